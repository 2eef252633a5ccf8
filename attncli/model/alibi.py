"""ALiBi (Press, Smith and Lewis, 2022): a per-head penalty on the scores, linear in the distance
between query and key. Direction-aware for an encoder that reads both ways: even heads penalise
distance to keys on the left, odd heads to keys on the right, so together they tell which side a
token is on. (The symmetric -m|i - j| of the paper says how far, but not on which side.)"""

from __future__ import annotations

import math

import torch

from attncli.model.positional import AttentionPosition
from attncli.model_config import ModelConfig


def alibi_slopes(num_slopes: int) -> torch.Tensor:
    """The geometric slopes of the paper, 2^(-8/n), 2^(-16/n), ..., for n slopes."""
    return torch.tensor([2.0 ** (-8.0 * (index + 1) / num_slopes) for index in range(num_slopes)])


class ALiBiPositionalEncoding(AttentionPosition):
    """Head 2p penalises keys on the left with slope m_p, head 2p + 1 keys on the right with the
    same slope; keys on the other side get no penalty. The slopes are the steeper half of the
    paper's H slopes (the gentlest ones, 2^-8 and below, barely move a score over a short text).
    Nothing is learned or saved."""

    slopes: torch.Tensor

    def __init__(self, config: ModelConfig, *, max_length: int) -> None:
        super().__init__(config, max_length=max_length)
        heads = config.num_heads
        slopes = alibi_slopes(heads)[: math.ceil(heads / 2)].repeat_interleave(2)[:heads]  # (H,)
        self.register_buffer("slopes", slopes, persistent=False)
        # The penalty is made for each batch's length, not kept for max_length: a (H, T, T) table
        # of every length took 3.1 GB at max_length 8,000 (and 40 GB, refused, at 100,000).
        self._made: tuple[int, torch.device, torch.dtype, torch.Tensor] | None = None

    def bias(self, q: torch.Tensor) -> torch.Tensor:
        """q: (B, H, T, hd) -> (H, T, T), depending only on j - i."""
        length = q.size(-2)
        made = self._made
        if made is None or made[:3] != (length, q.device, q.dtype):
            with torch.inference_mode(False):  # made in validation, it is kept for training too
                table = self._table(length, q)
            made = self._made = (length, q.device, q.dtype, table)
        return made[3]

    def _table(self, length: int, q: torch.Tensor) -> torch.Tensor:
        """The (H, T, T) penalty for texts of `length` tokens, in q's dtype and on its device: a
        table made under inference mode (in validation) went unbatched into a training step's
        kernel, which cannot save an inference tensor for its backward (a review)."""
        positions = torch.arange(length, dtype=torch.float32, device=q.device)
        distance = positions[None, :] - positions[:, None]  # (T, T): j - i
        left = (-distance).clamp(min=0)  # how far key j lies to the left of query i
        right = distance.clamp(min=0)
        heads = self.slopes.numel()
        is_left_head = (torch.arange(heads, device=q.device) % 2 == 0)[:, None, None]  # (H, 1, 1)
        table = -self.slopes[:, None, None] * torch.where(is_left_head, left, right)  # (H, T, T)
        return table.to(q.dtype)
