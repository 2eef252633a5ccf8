"""Subword information added to each token's embedding, as fastText adds it to each word's: hashed
character n-grams of the token's spelling, and a hashed embedding of each pair of neighbouring tokens."""

from __future__ import annotations

import torch
from torch import nn

# Odd multiplier of the neighbour-pair hash (a large prime): consecutive ids land far apart.
PAIR_MULTIPLIER = 1_000_003


class CharNgramEmbedding(nn.Module):
    """Each vocabulary entry's n-gram vectors, summed. The entry -> buckets table comes from the
    tokenizer's vocabulary (attncli.char_ngrams) and is rebuilt from it on load, so it is not saved."""

    def __init__(self, table: list[list[int]], *, buckets: int, dim: int) -> None:
        super().__init__()
        width = max((len(row) for row in table), default=0) or 1
        padded = torch.full((len(table), width), buckets, dtype=torch.long)  # `buckets`: no n-gram
        for token_id, row in enumerate(table):
            padded[token_id, : len(row)] = torch.tensor(row, dtype=torch.long)
        self.register_buffer("table", padded, persistent=False)  # (V, K)
        counts = torch.tensor([len(row) for row in table], dtype=torch.float32)
        self.register_buffer("counts", counts, persistent=False)  # (V,)
        self.bag = nn.EmbeddingBag(buckets + 1, dim, mode="sum", padding_idx=buckets)

    def forward(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """input_ids (B, T) -> (sum of n-gram vectors (B, T, D), number of n-grams (B, T))."""
        # Each distinct token's bag once: a batch of articles repeats most of its tokens.
        unique, inverse = input_ids.unique(return_inverse=True)  # (U,), (B, T)
        sums = self.bag(self.table[unique])  # (U, D)
        return sums[inverse], self.counts[input_ids]


class PairEmbedding(nn.Module):
    """A vector for each token and its right neighbour, hashed into `buckets`: word bigrams."""

    def __init__(self, *, buckets: int, dim: int) -> None:
        super().__init__()
        self.buckets = buckets
        self.embedding = nn.Embedding(buckets + 1, dim, padding_idx=buckets)

    def forward(self, input_ids: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
        """input_ids, padding_mask (B, T) -> (B, T, D); zero where the token or its neighbour is
        padding, and for the last token."""
        left, right = input_ids[:, :-1], input_ids[:, 1:]  # (B, T - 1)
        pairs = (left * PAIR_MULTIPLIER + right) % self.buckets
        pairs = pairs.masked_fill(~(padding_mask[:, :-1] & padding_mask[:, 1:]), self.buckets)
        last = pairs.new_full((input_ids.size(0), 1), self.buckets)
        return self.embedding(torch.cat([pairs, last], dim=1))
