"""The seeded, stratified carve of validation rows out of train: the one rule that training uses
to hold rows out and eval uses to find them again."""

from __future__ import annotations

import random
from array import array
from collections.abc import Sequence


def stratified_split(labels: Sequence[int], *, fraction: float, seed: int) -> tuple[array, array]:
    """Row indices (kept, carved), each in row order, with about `fraction` of each label carved
    out, seeded. Indices live in compact arrays: a million rows cost 8 MB, not a million ints."""
    rng = random.Random(seed)
    by_label: dict[int, array] = {}
    for row, label in enumerate(labels):
        by_label.setdefault(label, array("q")).append(row)
    carved_mask = bytearray(len(labels))
    for label in sorted(by_label):
        rows = by_label[label]
        rng.shuffle(rows)
        # A label with a single example stays in train: it cannot be learned and validated at once.
        take = min(len(rows) - 1, max(1, round(fraction * len(rows)))) if len(rows) > 1 else 0
        for row in rows[:take]:
            carved_mask[row] = 1
    kept = array("q", (row for row, carved in enumerate(carved_mask) if not carved))
    carved = array("q", (row for row, carved in enumerate(carved_mask) if carved))
    return kept, carved
