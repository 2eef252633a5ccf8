"""Pooling: how the sequence of token states becomes one vector for the classifier head.
`attention` weighs the tokens by a learned query (its weights are what `attn inspect` shows),
`cls` takes the state of a classification token the model prepends, `mean` and `max` average or
take the largest value over the real tokens."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn

from attncli.model.scoring import SCORING
from attncli.model_config import ModelConfig


class Pooling(nn.Module):
    uses_cls_token: ClassVar[bool] = False
    """True when the model must prepend a classification token for this pooling."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()

    def forward(
        self, x: torch.Tensor, padding_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x: (B, T, D), padding_mask: (B, T) True for real tokens -> pooled (B, D) and the
        weights (B, H, T) each head pooled each token with, where the pooling has any."""
        raise NotImplementedError


class AttentionPooling(Pooling):
    """A learned query per head scores every token's key (a projection of its state); a softmax
    over the real tokens turns the scores into weights; each head sums its slice of the states
    with its weights (Yang et al., 2016, with heads)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.num_heads = config.pooling_head_count
        head_dim = config.width // self.num_heads
        self.key = nn.Linear(config.width, config.width)
        self.query = nn.Parameter(torch.randn(self.num_heads, head_dim) / math.sqrt(head_dim))
        self.scoring = SCORING[config.pooling_attention or config.attention](self.num_heads, head_dim)

    def head_weights(self, x: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D), padding_mask: (B, T) -> weights (B, H, T), each head's summing to 1."""
        batch, length, width = x.shape
        keys = self.key(x).view(batch, length, self.num_heads, -1).transpose(1, 2)  # (B, H, T, hd)
        query = self.query.to(keys.dtype)[None, :, None, :]  # (1, H, 1, hd)
        scores = self.scoring(query.expand(batch, -1, -1, -1), keys).squeeze(2).float()  # (B, H, T)
        return torch.softmax(scores.masked_fill(~padding_mask[:, None, :], float("-inf")), dim=-1)

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, D), padding_mask: (B, T) -> pooled (B, D), each head's weights (B, H, T)."""
        batch, length, width = x.shape
        weights = self.head_weights(x, padding_mask)  # (B, H, T)
        values = x.view(batch, length, self.num_heads, -1)  # (B, T, H, hd)
        pooled = torch.einsum("bht,bthd->bhd", weights.to(x.dtype), values).reshape(batch, width)
        return pooled, weights


class ClsPooling(Pooling):
    """The state of the classification token the model prepends at position 0 (BERT)."""

    uses_cls_token = True

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor) -> tuple[torch.Tensor, None]:
        return x[:, 0], None


class MeanPooling(Pooling):
    """The mean of the real tokens' states."""

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor) -> tuple[torch.Tensor, None]:
        mask = padding_mask.unsqueeze(-1).to(x.dtype)  # (B, T, 1)
        return (x * mask).sum(1) / mask.sum(1).clamp(min=1), None


class MaxPooling(Pooling):
    """The largest value of each dimension over the real tokens (Collobert et al., 2011)."""

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor) -> tuple[torch.Tensor, None]:
        masked = x.masked_fill(~padding_mask.unsqueeze(-1), float("-inf"))
        return masked.max(dim=1).values, None
