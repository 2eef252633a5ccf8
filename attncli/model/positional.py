"""Positional encodings added to token embeddings. A new kind is one class plus one registry entry."""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_table(max_length: int, embed_dim: int) -> torch.Tensor:
    """PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)); shape (max_length, d)."""
    positions = torch.arange(max_length, dtype=torch.float64).unsqueeze(1)  # (T, 1)
    even_dims = torch.arange(0, embed_dim, 2, dtype=torch.float64)  # the 2i values
    angles = positions / torch.pow(10000.0, even_dims / embed_dim)  # (T, ceil(d/2))
    table = torch.zeros(max_length, embed_dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles[:, : embed_dim // 2])  # odd d has one fewer cosine column
    return table.float()


class SinusoidalPositionalEncoding(nn.Module):
    """The fixed encoding of Vaswani et al. (2017); nothing to learn, nothing saved."""

    def __init__(self, embed_dim: int, max_length: int) -> None:
        super().__init__()
        # Not persistent: it is recomputed from the config, so checkpoints hold only learned weights.
        self.register_buffer("table", sinusoidal_table(max_length, embed_dim), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D) with the encoding of positions 0..T-1 added."""
        return x + self.table[: x.size(1)].to(x.dtype)


class LearnedPositionalEncoding(nn.Module):
    """One trained vector per position (Gehring et al., 2017; BERT)."""

    def __init__(self, embed_dim: int, max_length: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(max_length, embed_dim)
        nn.init.normal_(self.embedding.weight, std=1.0 / math.sqrt(embed_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        positions = torch.arange(x.size(1), device=x.device)
        return x + self.embedding(positions).to(x.dtype)


class NoPositionalEncoding(nn.Module):
    """Order-blind: the model sees a bag of tokens."""

    def __init__(self, embed_dim: int, max_length: int) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


POSITIONAL_ENCODINGS: dict[str, type[nn.Module]] = {
    "sinusoidal": SinusoidalPositionalEncoding,
    "learned": LearnedPositionalEncoding,
    "none": NoPositionalEncoding,
}


def build_positional_encoding(kind: str, *, embed_dim: int, max_length: int) -> nn.Module:
    return POSITIONAL_ENCODINGS[kind](embed_dim, max_length)
