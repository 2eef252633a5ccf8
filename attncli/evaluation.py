"""What `attn eval` computes: a checkpoint's metrics on labelled data, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attncli.checkpoint import LoadedCheckpoint
from attncli.data import (
    LABEL_COLUMNS,
    TEXT_COLUMNS,
    Split,
    find_column,
    load_raw,
    stratified_split,
    to_split,
)
from attncli.errors import DataError
from attncli.metrics import ClassScores, accuracy, confusion_matrix, macro_f1, per_class_scores
from attncli.prediction import predict_probabilities


@dataclass(frozen=True)
class EvalResult:
    source: str
    split: str
    n: int
    accuracy: float
    macro_f1: float
    labels: list[str]
    per_class: dict[str, ClassScores]
    confusion_matrix: list[list[int]]

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "labels": self.labels,
            "per_class": {
                label: {
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "support": s.support,
                }
                for label, s in self.per_class.items()
            },
            "confusion_matrix": self.confusion_matrix,
        }


def choose_split(available: list[str], requested: str | None) -> str:
    """A single-split source is evaluated whole; otherwise the requested split, else test, else validation."""
    if len(available) == 1 and requested is None:
        return available[0]
    if requested is not None:
        if requested not in available:
            raise DataError(
                f"no split {requested!r}; the data has {', '.join(available)}; pass --split with one of them"
            )
        return requested
    for split in ("test", "validation"):
        if split in available:
            return split
    raise DataError(f"the data has no test or validation split ({', '.join(available)}); pass --split")


def load_labelled_split(
    checkpoint: LoadedCheckpoint,
    source: str,
    *,
    split: str | None,
    text_column: str | None,
    label_column: str | None,
    default_source: bool = False,
) -> tuple[str, Split]:
    """The split of `source` to evaluate on, with labels indexed as the checkpoint's."""
    data = checkpoint.config.data
    raw = load_raw(source, config_name=data.config if source == data.source else None)
    if split is None and default_source and "test" not in raw:
        # DATA left out means the training data; without a test split, score the held-out
        # validation rows, never the rows the model was trained on.
        split = "validation"
    # Training carved validation out of train when the data had none; the same seed rebuilds it.
    carve = split == "validation" and "validation" not in raw and "train" in raw
    name = "train" if carve else choose_split(list(raw), split)
    dataset = raw[name]
    if len(dataset) == 0:
        raise DataError(f"split {name!r} of {source} is empty; evaluate on data with rows")
    columns = dataset.column_names
    # The training columns are tried first, then the usual names.
    text = find_column(columns, text_column, (data.text_column or "", *TEXT_COLUMNS), "text")
    label = find_column(columns, label_column, (data.label_column or "", *LABEL_COLUMNS), "label")
    labelled = to_split(
        dataset, name=name, text_column=text, label_column=label, label_names=checkpoint.label_names
    )
    if not carve:
        return name, labelled
    _, carved = stratified_split(labelled.labels, fraction=data.validation_fraction, seed=data.split_seed)
    return "validation", labelled.select(carved)


def evaluate(
    checkpoint: LoadedCheckpoint,
    source: str | None = None,
    *,
    split: str | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    batch_size: int = 64,
) -> EvalResult:
    """Metrics of `checkpoint` on one split of `source` (default: the data it was trained on)."""
    default_source = source is None
    source = source or checkpoint.config.data.source
    recorded = checkpoint.header.get("data_path")
    if default_source and source and recorded and not Path(source).expanduser().exists():
        source = recorded  # the training data, typed relative to another working directory
    if not source:
        raise DataError("the checkpoint does not record its data; pass DATA to evaluate on")
    name, labelled = load_labelled_split(
        checkpoint,
        source,
        split=split,
        text_column=text_column,
        label_column=label_column,
        default_source=default_source,
    )
    probabilities = predict_probabilities(checkpoint, labelled.texts, batch_size=batch_size)
    predicted = probabilities.argmax(-1).tolist()
    matrix = confusion_matrix(labelled.labels, predicted, len(checkpoint.label_names))
    scores = per_class_scores(matrix)
    return EvalResult(
        source=source,
        split=name,
        n=len(labelled),
        accuracy=accuracy(labelled.labels, predicted),
        macro_f1=macro_f1(matrix),
        labels=list(checkpoint.label_names),
        per_class=dict(zip(checkpoint.label_names, scores, strict=True)),
        confusion_matrix=matrix,
    )
