"""Rotary position embeddings (Su et al., 2021): each pair of query and key dimensions is rotated
by an angle proportional to the position, so q_i·k_j depends on the positions only through j - i."""

from __future__ import annotations

import torch

from attncli.model.positional import AttentionPosition
from attncli.model_config import ModelConfig


class RotaryPositionalEncoding(AttentionPosition):
    """Dimension pairs (d, d + hd/2) rotate at frequency base^(-2d/hd), the "rotate half" layout."""

    cos: torch.Tensor
    sin: torch.Tensor

    def __init__(self, config: ModelConfig, *, max_length: int, base: float = 10000.0) -> None:
        super().__init__(config, max_length=max_length)
        head_dim = config.width // config.num_heads
        frequencies = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
        angles = torch.arange(max_length, dtype=torch.float64)[:, None] * frequencies  # (T, hd/2)
        angles = torch.cat([angles, angles], dim=-1)  # (T, hd)
        # Recomputed from the config, never saved.
        self.register_buffer("cos", angles.cos().float(), persistent=False)
        self.register_buffer("sin", angles.sin().float(), persistent=False)

    def _apply_rotation(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, H, T, hd) -> x rotated by its positions."""
        length = x.size(-2)
        first, second = x.chunk(2, dim=-1)
        rotated_half = torch.cat([-second, first], dim=-1)  # (B, H, T, hd)
        cos, sin = self.cos[:length].to(x.dtype), self.sin[:length].to(x.dtype)
        return x * cos + rotated_half * sin

    def rotate(self, q: torch.Tensor, k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q, k: (B, H, T, hd) -> both rotated."""
        return self._apply_rotation(q), self._apply_rotation(k)
