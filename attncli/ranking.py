"""How well the probabilities rank: each label's rows first, whatever the threshold (average
precision, as eval reports it for every label), and each row's label among its most probable (top-k
accuracy, fastText's R@k)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def average_precisions(probabilities: torch.Tensor, truth: Sequence[int]) -> list[float | None]:
    """Each label's average precision over the rows: the precision at each of its rows' probability,
    averaged over its rows (the area under the precision-recall curve as a step function, as
    scikit-learn's average_precision_score computes it: rows of one probability are one threshold).
    A random ranking scores the label's share of the rows, so for a rare label it tells what F1 at
    the most probable label does not. None for a label without rows. All labels at once, sorted
    column by column: a label at a time in Python took 20 s for 100k rows of 150 labels (a review)."""
    import torch

    rows, labels = probabilities.shape
    if rows == 0:
        return [None] * labels
    scores, order = probabilities.double().sort(dim=0, descending=True, stable=True)
    targets = torch.as_tensor(list(truth), dtype=torch.long)
    positive = (targets[order] == torch.arange(labels)).double()  # (rows, labels), in each column's order
    found = positive.cumsum(0)
    # The last row of each run of equal probabilities is where a threshold between them falls.
    ends = torch.ones_like(positive, dtype=torch.bool)
    ends[:-1] = scores[1:] != scores[:-1]
    at_ends = torch.where(ends, found, torch.zeros_like(found))
    before = torch.cat([torch.zeros(1, labels, dtype=found.dtype), at_ends.cummax(0).values[:-1]])
    gained = torch.where(ends, found - before, torch.zeros_like(found))  # rows of it found there
    precision = found / torch.arange(1, rows + 1, dtype=found.dtype).unsqueeze(1)
    totals = found[-1]
    area = (gained * precision).sum(0)
    return [float(a / t) if t > 0 else None for a, t in zip(area.tolist(), totals.tolist(), strict=True)]


def top_k_accuracy(probabilities: torch.Tensor, truth: Sequence[int], k: int) -> float:
    """The share of rows whose true label is among their `k` most probable (ties counted in)."""
    import torch

    if not len(truth):
        return 0.0
    true_probability = probabilities[torch.arange(len(truth)), torch.tensor(list(truth))]
    above = (probabilities > true_probability.unsqueeze(-1)).sum(-1)
    return float((above < k).double().mean())
