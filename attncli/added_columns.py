"""The names of the columns attn predict adds to a table (label, score, prob_*, reason, attn_-prefixed
where the input has them), read back: by the writer that names them, and by train and eval, which
must not take predictions for true labels."""

from __future__ import annotations

import itertools
from collections.abc import Sequence


def added_as(column: str, name: str) -> bool:
    """Whether `column` is CsvWriter's name for its column `name` (name, attn_name, attn_name_2, ...)."""
    prefix = f"attn_{name}"
    return column in (name, prefix) or (
        column.startswith(f"{prefix}_") and column[len(prefix) + 1 :].isdigit()
    )


def predicted_label_columns(columns: Sequence[str]) -> list[str]:
    """The label columns of a table laid out as attn predict's output whatever model wrote it: a
    JSON row's (beside its top_k and truncated_tokens), or a csv's label column followed by a score
    and two or more probability columns, as CsvWriter writes them. Stricter than predicted_columns'
    reading of a model's own output: a table's "label, score" alone may be a review's stars."""
    if {"top_k", "truncated_tokens"} <= set(columns):
        return [column for column in columns if added_as(column, "label")]
    found = []
    for start in range(len(columns) - 3):
        if added_as(columns[start], "label") and added_as(columns[start + 1], "score"):
            probabilities = itertools.takewhile(
                lambda column: column.removeprefix("attn_").startswith("prob_"), columns[start + 2 :]
            )
            if len(list(probabilities)) >= 2:
                found.append(columns[start])
    return found
