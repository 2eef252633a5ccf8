"""Rare-word dropout: how often each training token is hidden behind the unknown token."""

import torch

from attncli.rare_words import hide_rare_words, token_counts

PAD, UNK, ONCE, THRICE, COMMON = 0, 1, 2, 3, 4


def test_a_token_seen_c_times_is_hidden_with_chance_alpha_over_alpha_plus_c():
    training = torch.tensor([ONCE] + [THRICE] * 3 + [COMMON] * 1000 + [PAD] * 50, dtype=torch.int32)
    counts = token_counts(training, 6)
    assert counts.tolist() == [50, 0, 1, 3, 1000, 0]
    batch = torch.tensor([[ONCE, THRICE, COMMON, PAD]]).repeat(200_000, 1)
    torch.manual_seed(0)
    hidden = hide_rare_words(batch, counts, alpha=0.25, pad_id=PAD, unknown_id=UNK) == UNK
    shares = hidden.double().mean(0).tolist()
    expected = [0.25 / 1.25, 0.25 / 3.25, 0.25 / 1000.25, 0.0]
    assert all(abs(share - chance) < 0.004 for share, chance in zip(shares, expected, strict=True)), shares
    assert shares[3] == 0.0  # padding is never read as a word
    # Drawn from torch's generator, as the step's other draws: the same seed hides the same words.
    torch.manual_seed(0)
    again = hide_rare_words(batch, counts, alpha=0.25, pad_id=PAD, unknown_id=UNK) == UNK
    assert torch.equal(hidden, again)
    # A larger alpha hides more of every word: alpha 1 hides a word seen once half the time.
    torch.manual_seed(1)
    more = hide_rare_words(batch[:20_000], counts, alpha=1.0, pad_id=PAD, unknown_id=UNK) == UNK
    assert abs(more[:, 0].double().mean().item() - 0.5) < 0.015
