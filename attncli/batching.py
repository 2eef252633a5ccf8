"""One epoch's batches as two flat tensors of row indices, grouped by length to cut padding."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class BatchPlan:
    """One epoch's batches: batch b is `rows[b * batch_size : (b + 1) * batch_size]`, taken in
    `order`. Two flat tensors rather than a tensor per batch, so a million rows cost 4 MB."""

    rows: torch.Tensor
    """(num_rows,) int32: row indices, grouped so each batch holds rows of similar length."""
    order: torch.Tensor
    """(num_batches,) int64: the order the batches are taken in."""
    batch_size: int

    def __len__(self) -> int:
        return self.order.numel()

    def __iter__(self) -> Iterator[torch.Tensor]:
        for batch in self.order.tolist():
            yield self.rows[batch * self.batch_size : (batch + 1) * self.batch_size]


def plan_batches(lengths: torch.Tensor, *, batch_size: int, generator: torch.Generator) -> BatchPlan:
    """Shuffled batches of row indices, each drawn from rows of similar length to cut padding.

    Rows are shuffled, cut into pools of 50 batches, sorted by length within a pool, and the batches
    shuffled again, so order stays random while each batch pads little.
    """
    import torch

    rows = torch.randperm(len(lengths), generator=generator, dtype=torch.int32)
    pool_size = batch_size * 50  # a multiple of batch_size: no batch straddles two pools
    for pool in rows.split(pool_size):
        pool.copy_(pool[torch.argsort(lengths[pool], stable=True)])  # views: sorted in place
    num_batches = -(-len(lengths) // batch_size)
    return BatchPlan(rows=rows, order=torch.randperm(num_batches, generator=generator), batch_size=batch_size)
