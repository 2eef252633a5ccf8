"""Multi-head scaled dot-product self-attention with padding masked out, in two interchangeable
kernels: torch's fused `scaled_dot_product_attention` and the explicit softmax(QK^T / sqrt(d)) V."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def explicit_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_mask: torch.Tensor, dropout_p: float
) -> torch.Tensor:
    """q, k, v: (B, H, T, hd); key_mask: (B, 1, 1, T) True where a key is a real token."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, H, T, T)
    scores = scores.masked_fill(~key_mask, float("-inf"))
    weights = torch.softmax(scores.float(), dim=-1).to(q.dtype)
    weights = F.dropout(weights, p=dropout_p, training=dropout_p > 0)
    return weights @ v  # (B, H, T, hd)


def fused_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, key_mask: torch.Tensor, dropout_p: float
) -> torch.Tensor:
    """Same contract as `explicit_attention`, computed by torch's fused kernel."""
    return F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask, dropout_p=dropout_p)


ATTENTION_KERNELS = {"fused": fused_attention, "explicit": explicit_attention}


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, embed_dim: int, num_heads: int, *, dropout: float, impl: str = "fused") -> None:
        super().__init__()
        self.num_heads = num_heads
        self.dropout = dropout
        self.kernel = ATTENTION_KERNELS[impl]
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.out = nn.Linear(embed_dim, embed_dim)

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D), padding_mask: (B, T) True for real tokens -> (B, T, D)."""
        batch, length, width = x.shape
        head_dim = width // self.num_heads
        qkv = self.qkv(x).view(batch, length, 3, self.num_heads, head_dim)  # (B, T, 3, H, hd)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, H, T, hd)
        key_mask = padding_mask[:, None, None, :]  # (B, 1, 1, T)
        dropout_p = self.dropout if self.training else 0.0
        attended = self.kernel(q, k, v, key_mask, dropout_p)  # (B, H, T, hd)
        attended = attended.transpose(1, 2).reshape(batch, length, width)  # (B, T, D)
        return self.out(attended)
