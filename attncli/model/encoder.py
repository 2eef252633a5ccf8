"""A pre-norm Transformer block: self-attention then a feed-forward layer, each with a residual."""

from __future__ import annotations

import torch
from torch import nn

from attncli.model.attention import MultiHeadSelfAttention
from attncli.model.dropout import Dropout


class FeedForward(nn.Module):
    def __init__(self, embed_dim: int, ff_dim: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(embed_dim, ff_dim), nn.GELU(), nn.Linear(ff_dim, embed_dim), Dropout(dropout)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        return self.net(x)


class EncoderBlock(nn.Module):
    def __init__(
        self, attention: MultiHeadSelfAttention, *, embed_dim: int, ff_dim: int, dropout: float
    ) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(embed_dim)
        self.attention = attention
        self.attention_dropout = Dropout(dropout)
        self.ff_norm = nn.LayerNorm(embed_dim)
        self.ff = FeedForward(embed_dim, ff_dim, dropout)

    def forward(
        self, x: torch.Tensor, padding_mask: torch.Tensor, *, need_weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x: (B, T, D), padding_mask: (B, T) True for real tokens -> (B, T, D), and the attention
        weights (B, H, T, T) when asked for."""
        attended, weights = self.attention(self.attention_norm(x), padding_mask, need_weights=need_weights)
        x = x + self.attention_dropout(attended)
        return x + self.ff(self.ff_norm(x)), weights
