"""Inverted dropout that is cheap on the CPU.

torch's dropout draws its mask with `bernoulli_`, which on the CPU took about 2x as long as
`rand_like` plus a comparison (8 ms against 4.7 ms for a 32x256x128 tensor on 2 cores), and was a
quarter of a training step. Other devices keep torch's own fused kernel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Dropout(nn.Module):
    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: any shape -> same shape; each element zeroed with probability p, the rest scaled by 1/(1-p)."""
        if not self.training or self.p == 0.0:
            return x
        if x.device.type != "cpu":
            return F.dropout(x, self.p, training=True)
        keep = torch.rand_like(x) >= self.p
        return x * keep / (1.0 - self.p)
