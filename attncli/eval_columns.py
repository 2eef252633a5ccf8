"""Which columns of a split eval scores: the training columns first, the label column of attn
predict's output passed over, a warning where a table looks like that output, and the error for a
split with no labels."""

from __future__ import annotations

import dataclasses
from typing import Any

from attncli.annotation_exports import export_hint, refuse_rejected_answers
from attncli.checkpoint import LoadedCheckpoint
from attncli.columns import Columns, choose_columns, other_than_trained_note
from attncli.errors import DataError
from attncli.joined_columns import is_joined
from attncli.layouts import layout_of_schema
from attncli.prediction_writers import predicted_columns


def columns_to_score(
    checkpoint: LoadedCheckpoint,
    dataset: Any,
    *,
    where: str,
    text_column: str | None,
    label_column: str | None,
) -> tuple[Columns, tuple[str, ...], tuple[str, ...]]:
    """The text and label columns to score, the training columns tried first, then the usual names;
    what the choice says of itself, then notes on the columns. The label column of attn predict's
    output holds predictions, never true labels: it is passed over."""
    data = checkpoint.config.data
    layout = whole = layout_of_schema(dataset.data.schema)
    text_first = [data.text_column] if data.text_column else []
    predicted = (
        predicted_columns(layout.columns, checkpoint.label_names, layout.paths)
        if label_column is None
        else ()
    )
    notes: tuple[str, ...] = ()
    if predicted:
        own = tuple(column for column in layout.columns if column not in predicted)
        paths = tuple(path for path in layout.paths if path not in predicted)
        layout = dataclasses.replace(layout, columns=own, paths=paths)
        notes += (
            f"{where} is attn predict's output: the true labels are not read from {predicted[0]!r}, which "
            f"holds its predictions (--label-column {predicted[0]} reads them all the same)",
        )
    try:
        columns = choose_columns(
            layout, where=where, text=text_column, label=label_column, text_first=text_first,
            label_first=[data.label_column] if data.label_column else [],
        )  # fmt: skip
    except DataError as error:
        if predicted:
            said = (
                f"{where} is attn predict's output, whose column {predicted[0]!r} holds its predictions, "
                "not true labels, and no other label column was found"
            )
            try:  # the text column too? Said as the whole table's columns name it (the error
                # above lists them without those predict added: a misleading list)
                choose_columns(
                    whole, where=where, text=text_column, label=predicted[0], text_first=text_first
                )
            except DataError as text_error:
                raise DataError(f"{said}; and {text_error}") from error
            remedy = f"where they were checked or corrected by hand, name it: --label-column {predicted[0]}"
            raise DataError(f"{said}; {remedy}") from error
        hint = export_hint(list(dataset.column_names))
        if hint is not None:
            raise DataError(f"{error}; {hint}") from None
        if label_column is None and _has_text_column(layout, where, text_column, data.text_column):
            # A test split of texts alone (a competition's): no label column to find.
            raise UnlabelledSplit(where, no_label_column=str(error)) from None
        raise
    refuse_rejected_answers(dataset, label=columns.label, where=where)
    notes += _like_predict_output_note(where, dataset, columns.label) if not predicted else ()
    other = other_than_trained_note(where, columns.text, trained=data.text_column, named=text_column)
    shown: tuple[str | None, ...] = (columns.note, other)
    if other is not None and columns.note is not None and f"text column {columns.text!r}" in columns.note:
        # The loose match's own line already names it, unless columns the model joined are missing,
        # which matters more than how this one was found.
        shown = (other,) if is_joined(data.text_column, ()) else (columns.note,)
    return columns, tuple(note for note in shown if note), notes


class UnlabelledSplit(DataError):
    """The split read has no labels at all: none in its label column, or no label column (whose error
    is `no_label_column`)."""

    def __init__(self, where: str, *, no_label_column: str | None = None) -> None:
        self.unlabelled = (
            f"{where} has no label column"
            if no_label_column
            else f"{where} has no labels (every row's is empty, or -1 of a ClassLabel: a test set whose "
            "labels are withheld, as GLUE's are)"
        )
        remedy = "evaluate a split with labels (--split NAME) or a file of them"
        # A competition's test file of texts alone is for predict (a trial ran eval on it first).
        hint = "; to label texts that have none, use attn predict RUN --file FILE"
        said = (
            f"{no_label_column}{hint if 'attn predict' not in no_label_column else ''}"
            if no_label_column
            else ""
        )
        super().__init__(said or f"{self.unlabelled}; {remedy}")


def _has_text_column(layout: Any, where: str, named: str | None, trained: str | None) -> bool:
    """Whether a text column is found in `layout` as eval looks for one."""
    try:
        choose_columns(
            layout, where=where, text=named, with_label=False, text_first=[trained] if trained else []
        )
    except DataError:
        return False
    return True


def _like_predict_output_note(where: str, dataset: Any, label: str | None) -> tuple[str, ...]:
    """A line for a table laid out as attn predict writes its output, but with its probability
    columns gone (trimmed in a spreadsheet): its label column, followed by a score that holds
    probabilities, may hold predictions, which would score the model against itself. A score of
    another kind (a review's 1 to 5 stars) is no such sign."""
    names = list(dataset.column_names)
    at = names.index(label) if label in names else len(names)
    following = names[at + 1] if at + 1 < len(names) else ""
    if following.lower() not in ("score", "attn_score"):
        return ()
    sample = dataset.select(range(min(len(dataset), PREDICT_OUTPUT_SAMPLE)))[following]
    # predict leaves the score of a record without a text empty.
    given = [value for value in sample if value is not None and str(value).strip()]
    if not given or not all(_is_probability(value) for value in given):
        return ()
    return (
        f"warning: in {where} the label column {label!r} is followed by {following!r}, as in attn "
        f"predict's output; if {label!r} holds predictions rather than true labels, these scores "
        "measure the model against itself",
    )


# Rows whose score column is read to tell predict's probabilities from a score of another kind.
PREDICT_OUTPUT_SAMPLE = 1_000


def _is_probability(value: Any) -> bool:
    """Whether a cell reads as a probability (a csv may hold it as text; an empty cell does not)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return 0.0 <= number <= 1.0
