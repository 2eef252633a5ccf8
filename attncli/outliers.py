"""Made-up outliers for outlier exposure (Hendrycks et al., 2019): short texts of random words spelt
with the characters of the tokenizer's own alphabet ("qzv kxo", "tsiwa"), tokenized as any text
is. Training pushes them towards equal probabilities, so text the model cannot read (gibberish,
keyboard mashing) gets no confident label. Random letters rarely spell a word of the task, so the
outliers seldom contradict what the real texts teach."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from attncli.tokenizer import PackedSequences, pack_ids

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

POOL_TEXTS = 4096
WORDS_PER_TEXT = (1, 6)
LETTERS_PER_WORD = (2, 9)


def alphabet_of(tokenizer: Tokenizer) -> list[str]:
    """The letters and digits the tokenizer has as single-character tokens (subword markers removed)."""
    letters = set()
    for token in tokenizer.get_vocab(with_added_tokens=False):
        character = token.removeprefix("##")
        if len(character) == 1 and character.isalnum():
            letters.add(character)
    return sorted(letters)


def gibberish(alphabet: list[str], *, count: int, seed: int) -> list[str]:
    """`count` texts of random words over `alphabet`, the same for the same seed."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(*LETTERS_PER_WORD)))
            for _ in range(rng.randint(*WORDS_PER_TEXT))
        ]
        texts.append(" ".join(words))
    return texts


def outlier_pool(tokenizer: Tokenizer, *, seed: int, max_length: int) -> PackedSequences | None:
    """Token ids of POOL_TEXTS made-up texts (None when the tokenizer has no alphabet to spell with)."""
    alphabet = alphabet_of(tokenizer)
    if not alphabet:
        return None
    return pack_ids(tokenizer, gibberish(alphabet, count=POOL_TEXTS, seed=seed), max_length=max_length)


def outlier_batch(
    pool: PackedSequences, *, count: int, step: int, seed: int, length: int | None, pad_id: int
) -> torch.Tensor:
    """(count, length) ids of texts drawn from the pool, right-padded (or cut) to `length` (None:
    to the longest drawn); the same on every process and after a resume, since the draw is seeded
    by the step."""
    import torch

    generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
    rows = torch.randint(len(pool), (count,), generator=generator)
    batch = pool.padded(rows, pad_id=pad_id)[:, :length]
    if length is not None and batch.size(1) < length:
        batch = torch.nn.functional.pad(batch, (0, length - batch.size(1)), value=pad_id)
    return batch
