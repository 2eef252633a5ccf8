"""Attention pooling: a learned query scores every token, a softmax over the real tokens turns the
scores into weights, and the sequence becomes their weighted sum. The weights are what
`attn inspect` shows."""

from __future__ import annotations

import math

import torch
from torch import nn


class AttentionPooling(nn.Module):
    """Scores: `dot` q·h, `scaled_dot` q·h / sqrt(D), `additive` v·tanh(W h + b) (Bahdanau et al.)."""

    def __init__(self, embed_dim: int, *, scoring: str = "scaled_dot") -> None:
        super().__init__()
        self.scoring = scoring
        self.query = nn.Parameter(torch.randn(embed_dim) / math.sqrt(embed_dim))
        self.projection = nn.Linear(embed_dim, embed_dim) if scoring == "additive" else None

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> unnormalised scores (B, T)."""
        if self.projection is not None:
            return torch.tanh(self.projection(x)) @ self.query.to(x.dtype)
        scores = x @ self.query.to(x.dtype)
        return scores / math.sqrt(x.size(-1)) if self.scoring == "scaled_dot" else scores

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, D), padding_mask: (B, T) -> pooled (B, D) and weights (B, T), 0 on padding."""
        scores = self.scores(x).float().masked_fill(~padding_mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # (B, T), in fp32 so they sum to 1 under autocast
        pooled = torch.einsum("bt,btd->bd", weights.to(x.dtype), x)
        return pooled, weights
