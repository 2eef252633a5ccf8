"""Relative position representations (Shaw, Uszkoreit and Vaswani, 2018): a learned vector for
each clipped distance j - i enters the score of query i against key j as q_i·a_(j-i)."""

from __future__ import annotations

import math

import torch
from torch import nn

from attncli.model.positional import AttentionPosition
from attncli.model_config import ModelConfig


def relative_distances(length: int, max_distance: int, device: torch.device | None = None) -> torch.Tensor:
    """(T, T) long: clip(j - i, -K, K) + K, the row of the distance table for query i and key j."""
    positions = torch.arange(length, device=device)
    distance = positions[None, :] - positions[:, None]  # (T, T): j - i
    return distance.clamp(-max_distance, max_distance) + max_distance


class RelativePositionalEncoding(AttentionPosition):
    """The key-side term of Shaw et al. (their value-side term added little and would rule out the
    fused kernel), shared by the heads of a layer, scaled by 1/sqrt(hd) like the scores it joins."""

    def __init__(self, config: ModelConfig, *, max_length: int) -> None:
        super().__init__(config, max_length=max_length)
        head_dim = config.width // config.num_heads
        self.max_distance = config.max_relative_distance
        self.scale = 1.0 / math.sqrt(head_dim)
        self.distance_embedding = nn.Embedding(2 * self.max_distance + 1, head_dim)
        nn.init.normal_(self.distance_embedding.weight, std=1.0 / math.sqrt(head_dim))

    def bias(self, q: torch.Tensor) -> torch.Tensor:
        """q: (B, H, T, hd) -> (B, H, T, T) with [b, h, i, j] = q_i·a_(clip(j - i)) / sqrt(hd)."""
        batch, heads, length, _ = q.shape
        # Only the distances these T tokens hold, r = min(K, T - 1) either way: a K far past the text
        # (100,000, meant as "never clip") multiplied every query by the whole table, 30 s an epoch
        # where K = 16 took 0.4 s (a trial), for scores no key could take.
        reach = min(self.max_distance, length - 1)
        rows = self.distance_embedding.weight[self.max_distance - reach : self.max_distance + reach + 1]
        # Scaled before the gather, on 2r + 1 columns rather than T: a (B, H, T, T) product less,
        # 8.6 GB of them at 32 x 4,096 tokens (a long-document trial's run the system killed).
        by_distance = q @ (rows.to(q.dtype) * self.scale).T  # (B, H, T, 2r+1)
        index = relative_distances(length, reach, q.device)  # (T, T)
        return by_distance.gather(-1, index.expand(batch, heads, length, length))  # (B, H, T, T)
