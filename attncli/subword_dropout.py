"""Subword dropout: at each training step, some of a text's pieces are split back into the two pieces
they were made from (BPE-dropout, Provilkov et al., 2020, done on token ids).

A subword tokenizer keeps the pieces it built a word from (`search` from `sear` + `ch`, and `sear`
from `se` + `ar`), but tokenizes every training text into its largest pieces, so the smaller ones are
never a token of training: their embeddings stay as initialised, random. A text whose word was built
otherwise (`searched` as `sear` + `ched`) then gives the model an untrained vector, which attention
pooling may weigh most of all (0.92 of a Persian message's weight on one such piece, in a trial).
Splitting pieces at random while training trains them all, so an inflected form the data lacked is
read through the pieces it shares with the forms it had. (tokenizers' own BPE dropout draws from a
random source no seed reaches; this one draws from torch's, so a seed repeats a run.)"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

# Rounds of splitting a step makes: a piece split in one round may be split again in the next, as a
# merge skipped deep in a word's tree would leave. Four rounds at 0.1 leave a 1e-4 chance of a fifth.
ROUNDS = 4


def piece_splits(tokenizer: Tokenizer) -> torch.Tensor | None:
    """(vocab_size, 2) int64: each piece's two parts (-1, -1 where it has none), or None where the
    tokenizer has no pieces made of others (a word-level one). BPE's come from its merges, the first
    that makes each piece; WordPiece's and Unigram's are the split of a piece into a longest first
    part and a rest that are both in the vocabulary."""
    import torch

    model = json.loads(tokenizer.to_str())["model"]
    vocab = tokenizer.get_vocab(with_added_tokens=False)
    size = tokenizer.get_vocab_size(with_added_tokens=True)
    parts: dict[int, tuple[int, int]] = {}  # filled in Python, then one tensor: 50k merges in 0.1 s
    kind = model.get("type")
    if kind == "BPE":
        for merge in model.get("merges") or []:
            left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
            whole = vocab.get(left + right)
            if whole is not None and whole not in parts and left in vocab and right in vocab:
                parts[whole] = (vocab[left], vocab[right])
    elif kind in ("WordPiece", "Unigram"):
        prefix = model.get("continuing_subword_prefix", "##") if kind == "WordPiece" else ""
        for piece, index in vocab.items():
            continues = bool(prefix) and piece.startswith(prefix)
            body = piece[len(prefix) :] if continues else piece
            for cut in range(len(body) - 1, 0, -1):
                first = (prefix if continues else "") + body[:cut]
                rest = prefix + body[cut:]
                if first in vocab and rest in vocab:
                    parts[index] = (vocab[first], vocab[rest])
                    break
    else:
        return None
    splits = torch.full((size, 2), -1, dtype=torch.long)
    if parts:
        splits[torch.tensor(list(parts))] = torch.tensor(list(parts.values()))
    for index in tokenizer.get_added_tokens_decoder():  # [PAD], [UNK] and the like stay whole
        splits[index] = -1
    return splits if bool((splits[:, 0] >= 0).any()) else None


def split_pieces(
    input_ids: torch.Tensor,
    splits: torch.Tensor,
    *,
    rate: float,
    pad_id: int,
    max_length: int,
    truncation: str = "head",
) -> torch.Tensor:
    """(B, T) padded ids -> (B, T') with each splittable piece split into its two parts at `rate`,
    over ROUNDS rounds; a row that grew past `max_length` is cut as a text is (`truncation`: its end
    goes for head, its start for tail, the tokens between its first and last for head+tail) and the
    batch padded to its longest row. Draws from torch's default generator."""
    import torch

    from attncli.tokenization import kept_ends

    head, _ = kept_ends(max_length, truncation)

    for _ in range(ROUNDS):
        parts = splits[input_ids]  # (B, T, 2)
        chosen = (parts[..., 0] >= 0) & (torch.rand(input_ids.shape) < rate)
        if not bool(chosen.any()):
            break
        counts = 1 + chosen.long()  # tokens each position becomes
        flat = torch.repeat_interleave(input_ids.reshape(-1), counts.reshape(-1))
        firsts = counts.reshape(-1).cumsum(0) - counts.reshape(-1)  # where each position's tokens begin
        at = firsts[chosen.reshape(-1)]
        flat[at] = parts[chosen][:, 0]
        flat[at + 1] = parts[chosen][:, 1]
        # Each row's real tokens, now longer; padding (at each row's end) stays padding.
        row_ends = counts.sum(1).cumsum(0)
        row_starts = row_ends - counts.sum(1)
        grown = ((input_ids != pad_id).long() + chosen.long()).sum(1)
        lengths = grown.clamp(max=max_length)
        width = int(lengths.max())
        columns = torch.arange(width)
        inside = columns[None, :] < lengths[:, None]
        # Past the head's tokens, a row over max_length skips its excess, so that its last tokens stay.
        skipped = torch.where(columns[None, :] >= head, (grown - max_length).clamp(min=0)[:, None], 0)
        gathered = flat[(row_starts[:, None] + columns[None, :] + skipped).clamp(max=flat.numel() - 1)]
        input_ids = torch.where(inside, gathered, torch.full_like(gathered, pad_id))
    return input_ids
