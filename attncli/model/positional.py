"""Positional encodings: the two shapes a kind can take, and the kinds added to token embeddings
(none, sinusoidal, learned, segment). Kinds acting inside self-attention live in rope.py,
relative.py and alibi.py; registry.py lists them all."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn

from attncli.model_config import ModelConfig


class EmbeddingPosition(nn.Module):
    """A kind added to the token embeddings once, before the first layer."""

    acts_in_attention: ClassVar[bool] = False

    def __init__(self, config: ModelConfig, *, max_length: int) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        return x


class AttentionPosition(nn.Module):
    """A kind acting inside every self-attention layer (one instance a layer), as torchtune's
    `pos_embeddings`: it may transform queries and keys, and may add a bias to the scores."""

    acts_in_attention: ClassVar[bool] = True

    def __init__(self, config: ModelConfig, *, max_length: int) -> None:
        super().__init__()

    def rotate(self, q: torch.Tensor, k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q, k: (B, H, T, hd) -> the same shapes."""
        return q, k

    def bias(self, q: torch.Tensor) -> torch.Tensor | None:
        """q: (B, H, T, hd) -> a bias (H, T, T) or (B, H, T, T) added to the scores, or None."""
        return None


def sinusoidal_table(max_length: int, embed_dim: int) -> torch.Tensor:
    """PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)); shape (max_length, d)."""
    positions = torch.arange(max_length, dtype=torch.float64).unsqueeze(1)  # (T, 1)
    even_dims = torch.arange(0, embed_dim, 2, dtype=torch.float64)  # the 2i values
    angles = positions / torch.pow(10000.0, even_dims / embed_dim)  # (T, ceil(d/2))
    table = torch.zeros(max_length, embed_dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles[:, : embed_dim // 2])  # odd d has one fewer cosine column
    return table.float()


class NoPositionalEncoding(EmbeddingPosition):
    """Order-blind: without an order-sensitive layer the model sees a bag of tokens."""


class SinusoidalPositionalEncoding(EmbeddingPosition):
    """The fixed encoding of Vaswani et al. (2017); nothing to learn, nothing saved."""

    table: torch.Tensor

    def __init__(self, config: ModelConfig, *, max_length: int) -> None:
        super().__init__(config, max_length=max_length)
        # Not persistent: it is recomputed from the config, so checkpoints hold only learned weights.
        self.register_buffer("table", sinusoidal_table(max_length, config.width), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D) with the encoding of positions 0..T-1 added."""
        return x + self.table[: x.size(1)].to(x.dtype)


class LearnedPositionalEncoding(EmbeddingPosition):
    """One trained vector per position (Gehring et al., 2017; BERT)."""

    def __init__(self, config: ModelConfig, *, max_length: int) -> None:
        super().__init__(config, max_length=max_length)
        self.embedding = nn.Embedding(max_length, config.width)
        nn.init.normal_(self.embedding.weight, std=1.0 / math.sqrt(config.width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        positions = torch.arange(x.size(1), device=x.device)
        return x + self.embedding(positions).to(x.dtype)


class SegmentPositionalEncoding(EmbeddingPosition):
    """The text cut into segments of `model.segment_length` tokens: each token gets a learned
    embedding of its segment plus the sinusoidal encoding of its position inside the segment."""

    table: torch.Tensor

    def __init__(self, config: ModelConfig, *, max_length: int) -> None:
        super().__init__(config, max_length=max_length)
        self.segment_length = config.segment_length
        num_segments = math.ceil(max_length / config.segment_length)
        self.segment = nn.Embedding(num_segments, config.width)
        nn.init.normal_(self.segment.weight, std=1.0 / math.sqrt(config.width))
        inside = sinusoidal_table(config.segment_length, config.width)
        self.register_buffer("table", inside, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        positions = torch.arange(x.size(1), device=x.device)
        segments = positions // self.segment_length
        within = self.table[positions % self.segment_length]  # (T, D)
        return x + (self.segment(segments) + within).to(x.dtype)
