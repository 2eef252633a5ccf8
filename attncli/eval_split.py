"""The labelled rows `attn eval` scores: which split of which source (a path, a Hub name, or a Dataset
given to the Python API), which of its columns, and which rows, with training's validation carve
rebuilt where that is the split asked for."""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attncli.checkpoint import LoadedCheckpoint
from attncli.columns import Columns, choose_columns, layout_of_schema, other_than_trained_note
from attncli.data import (
    CHUNK_ROWS,
    Split,
    TextColumn,
    folded,
    known_label_key,
    missing_label,
    row_problem,
    rows_digest,
    rows_seen_in_training,
    stratified_split,
    to_split,
    with_columns,
)
from attncli.errors import DataError
from attncli.history import split_sizes_change
from attncli.output import predicted_columns
from attncli.sources import SPLIT_ALIASES, RawData, holds_one_dataset, load_raw, raw_of_datasets, same_source

EVAL_DROP_HINT = "pass --drop-invalid to leave such rows out"
# Training rows eval reads through to count the evaluated rows the model has seen: about 5 s of
# hashing per million short texts (more for articles), so larger training data is not compared.
SEEN_CHECK_ROWS = 1_000_000


@dataclass(frozen=True)
class LabelledData:
    """The rows to evaluate, with labels indexed as the checkpoint's."""

    split: str | None
    """The split's name; None for a single file evaluated whole."""
    labelled: Split
    rows: Sequence[int]
    """The row of each example in its split of the source."""
    ignored_unknown: int = 0
    left_out_invalid: int = 0
    seen_in_training: int | None = None
    """Rows whose text (ignoring case and spacing) is also a training row's (None: not compared)."""
    notes: tuple[str, ...] = ()


def _find_split(available: Sequence[str], wanted: str) -> str | None:
    """The available split named `wanted` or one of its aliases (dev, valid, val: validation)."""
    if wanted in available:
        return wanted
    canonical = SPLIT_ALIASES.get(wanted.lower(), wanted)
    return next((name for name in available if SPLIT_ALIASES.get(name.lower(), name) == canonical), None)


def choose_split(available: list[str], requested: str | None) -> str:
    """A single-split source is evaluated whole; otherwise the requested split, else test, else validation."""
    if len(available) == 1 and requested is None:
        return available[0]
    if requested is not None:
        found = _find_split(available, requested)
        if found is None:
            raise DataError(
                f"no split {requested!r}; the data has {', '.join(available)}; pass --split with one of them"
            )
        return found
    for split in ("test", "validation"):
        found = _find_split(available, split)
        if found is not None:
            return found
    raise DataError(f"the data has no test or validation split ({', '.join(available)}); pass --split")


def _is_training_data(checkpoint: LoadedCheckpoint, source: str) -> bool:
    return same_source(source, checkpoint.header.get("data_path") or checkpoint.config.data.source)


def _unknown_label_rows(
    dataset: Any, columns: Columns, label_names: list[str], *, drop_invalid: bool
) -> dict[str, list[int]]:
    """The rows of each label the model does not know. Rows with no label are left to `to_split`,
    and so are rows with no text where `drop_invalid` leaves them out: their label is never read."""
    label_column = columns.label or ""
    feature = dataset.features[label_column]
    known = set(label_names)
    unknown: dict[str, list[int]] = {}
    wanted = [label_column, columns.text] if drop_invalid else [label_column]
    column = dataset.select_columns(wanted)
    for start in range(0, len(column), CHUNK_ROWS):
        chunk = column[start : start + CHUNK_ROWS]
        texts = chunk[columns.text] if drop_invalid else None
        for offset, value in enumerate(chunk[label_column]):
            if missing_label(feature, value):  # left to `to_split`
                continue
            if texts is not None and row_problem(texts[offset], value, feature, columns) is not None:
                continue
            key = known_label_key(feature, value, known)
            if key not in known:
                unknown.setdefault(key, []).append(start + offset)
    return unknown


def _look_alike_hint(ranked: list[tuple[str, list[int]]], label_names: list[str]) -> str:
    """What the unknown labels may be instead: known ones in another case ('Business'), or, where
    the model's labels are names, indices of them (0, 1, 2, as a ClassLabel column exports them)."""
    known = {folded(name): name for name in label_names}
    in_case = [(label, known[folded(label)]) for label, _ in ranked[:10] if folded(label) in known]
    if in_case:
        told = [
            f"{label!r} is {name!r} in another {'case' if label.casefold() == name.casefold() else 'form'}"
            for label, name in in_case
        ]
        return " (" + ", ".join(told) + ")"
    unknown = [label for label, _ in ranked]
    names_are_numbers = any(name.lstrip("-").isdigit() for name in label_names)
    if not names_are_numbers and all(label.isdigit() and int(label) < len(label_names) for label in unknown):
        shown = ", ".join(f"{index} is {name!r}" for index, name in enumerate(label_names[:10]))
        more = ", ..." if len(label_names) > 10 else ""
        return f" (if these are indices of the model's labels, write the labels instead: {shown}{more})"
    return ""


def _drop_unknown_labels(
    dataset: Any, columns: Columns, label_names: list[str], *, where: str, ignore: bool, drop_invalid: bool
) -> tuple[Any, Sequence[int], int]:
    """`dataset` without rows whose label the model never saw (an error unless `ignore`), the
    original row of each kept row, and how many were dropped."""
    unknown = _unknown_label_rows(dataset, columns, label_names, drop_invalid=drop_invalid)
    if not unknown:
        return dataset, range(len(dataset)), 0
    dropped = sum(len(rows) for rows in unknown.values())
    ranked = sorted(unknown.items(), key=lambda item: (-len(item[1]), item[0]))  # commonest first
    listing = ", ".join(f"{label!r} ({len(rows)} row{'s' * (len(rows) != 1)})" for label, rows in ranked[:10])
    if len(ranked) > 10:
        listing += f" and {len(ranked) - 10} more"
    if not ignore:
        raise DataError(
            f"{where} has labels the model never saw: {listing}{_look_alike_hint(ranked, label_names)}; it "
            f"knows {', '.join(label_names)}. Pass --ignore-unknown-labels to evaluate without those rows, "
            "or retrain with data that has them"
        )
    if dropped == len(dataset):
        raise DataError(
            f"every row of {where} has a label the model never saw ({listing}); nothing to evaluate"
        )
    skipped = {row for rows in unknown.values() for row in rows}
    kept = array("q", (row for row in range(len(dataset)) if row not in skipped))
    return dataset.select(kept), kept, dropped


@dataclass(frozen=True)
class _Source:
    """What is evaluated, as messages name it and as the choice of split needs it."""

    shown: str
    """The path or Hub name as given, or what a Dataset object given to the API is."""
    whole: str | None
    """What the source is where it is evaluated whole (a single file, one saved Dataset); else None."""
    whole_name: str
    """Its name where evaluated whole: a file's name, not its path."""
    trained_on: bool
    """Whether the model was trained on it."""


def _describe_source(checkpoint: LoadedCheckpoint, source: Any, *, default_source: bool) -> _Source:
    if not isinstance(source, str):  # a Dataset or DatasetDict, from the Python API
        kind = type(source).__name__
        single = not hasattr(source, "keys")
        return _Source(f"the {kind} given", f"one {kind}" if single else None, f"the {kind} given", False)
    path = Path(source).expanduser()
    single = not default_source and holds_one_dataset(path)
    whole = ("a single file" if path.is_file() else "one saved dataset") if single else None
    trained_on = default_source or _is_training_data(checkpoint, source)
    return _Source(source, whole, path.name, trained_on)


def _pick_split(
    checkpoint: LoadedCheckpoint,
    source: _Source,
    available: list[str],
    split: str | None,
    *,
    default_source: bool,
) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    """The split to read, the name to show (None: a single file, whole), which side of training's
    validation carve to keep ("train", "validation" or None for every row), and notes for the user."""
    if split is None and default_source and _find_split(available, "test") is None:
        # DATA left out means the training data; without a test split, score the held-out
        # validation rows, never the rows the model was trained on.
        split = "validation"
    wanted = SPLIT_ALIASES.get(split.lower()) if split is not None else None
    if split is not None and wanted is None and source.whole:
        raise DataError(
            f"no split {split!r}: {source.whole_name} is {source.whole}, evaluated whole; leave --split out, "
            "or name train, validation or test"
        )
    # Training carved validation out of train when the data had none; the same seed rebuilds both sides.
    carved_by_training = _carved_by_training(available, trained_on=source.trained_on)
    if carved_by_training and wanted in ("train", "validation"):
        return "train", wanted, wanted, ()
    if source.whole:
        if carved_by_training and wanted == "test":
            raise DataError(
                f"no split 'test': {source.whole_name} is the file this model was trained on, and its "
                "rows are train and validation; evaluate on another file, or pass --split validation"
            )
        folders = f"--split {split} is for folders of splits"
        note = f"{source.whole_name} is {source.whole}, evaluated whole ({folders})"
        return available[0], None, None, (note,) if split is not None else ()
    if wanted == "validation" and _find_split(available, "validation") is None:
        # Where the training data is now (its recorded absolute path), not as it was typed: a
        # relative path typed elsewhere may name this very folder from here.
        trained_on, splits = (
            checkpoint.training_data()[0] or checkpoint.config.data.source,
            ", ".join(sorted(available)),
        )
        raise DataError(
            f"no split 'validation' in {source.shown} (it has {splits}); the model's validation rows are "
            f"in the data it trained on, {trained_on}: evaluate that with --split validation, or another "
            "split here"
        )
    # The carved validation split is one to choose from too (the error lists it).
    choices = [*available, "validation (held out of train by training)"] if carved_by_training else available
    try:
        name = choose_split(available, split)
    except DataError:
        if split is None or choices == available:
            raise
        raise DataError(
            f"no split {split!r}; the data has {', '.join(choices)}; pass --split with one of them"
        ) from None
    return name, name, None, ()


def load_labelled_split(
    checkpoint: LoadedCheckpoint,
    source: str | Any,
    *,
    split: str | None,
    text_column: str | None,
    label_column: str | None,
    default_source: bool = False,
    ignore_unknown_labels: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    drop_invalid: bool = False,
) -> LabelledData:
    """The split of `source` to evaluate on. A single file named by the user is evaluated whole,
    whatever split is asked for: `datasets` calls it "train", which it is not. The training data is
    read with the settings it was trained with; rows training left out (data.drop_invalid) are left
    out here too, so that the carved validation rows are the same. `source` may be a Dataset or
    DatasetDict (the Python API), which is read as a saved one is."""
    data = checkpoint.config.data
    described = _describe_source(checkpoint, source, default_source=default_source)
    raw = _read(source, checkpoint, trained_on=described.trained_on, encoding=encoding, delimiter=delimiter)
    name, shown, carve, notes = _pick_split(
        checkpoint, described, list(raw.splits), split, default_source=default_source
    )
    dataset = raw.splits[name]
    where = described.whole_name if shown is None else f"split {name!r} of {described.shown}"
    if len(dataset) == 0:
        raise DataError(f"{where} is empty; evaluate on data with rows")
    columns, said, column_notes = _columns_to_score(
        checkpoint, dataset, where=where, text_column=text_column, label_column=label_column
    )
    notes += column_notes
    dataset = with_columns(dataset, columns, where=where)
    if carve is None and columns.label is not None and _holds_no_label(dataset, columns.label):
        raise UnlabelledSplit(where)
    drop_invalid = drop_invalid or data.drop_invalid
    dataset, rows, ignored = _drop_unknown_labels(
        dataset, columns, checkpoint.label_names, where=where, ignore=ignore_unknown_labels,
        drop_invalid=drop_invalid,
    )  # fmt: skip
    origin = dataclasses.replace(raw.origins[name], rows=None if ignored == 0 else rows)
    labelled = to_split(
        dataset, name=name, columns=columns, label_names=checkpoint.label_names, origin=origin,
        drop_invalid=drop_invalid, drop_hint=EVAL_DROP_HINT,
    )  # fmt: skip
    left_out = len(dataset) - len(labelled)
    if labelled.rows is not None:
        rows = array("q", (rows[row] for row in labelled.rows))
        notes += (f"left out {left_out} row{'s' * (left_out != 1)} of {where} with no text or no label",)
    labelled, rows, trained = _training_side(
        checkpoint, source, described, raw, name=name, carve=carve, labelled=labelled, rows=rows,
        text_column=columns.text,
    )  # fmt: skip
    asked_for_training_rows = split is not None and SPLIT_ALIASES.get(split.lower()) == "train"
    seen, seen_notes = _seen_in_training(labelled, trained, said_too=not asked_for_training_rows)
    return LabelledData(
        split=shown,
        labelled=labelled,
        rows=rows,
        ignored_unknown=ignored,
        left_out_invalid=left_out,
        seen_in_training=seen,
        notes=(*raw.notes, *said, *notes, *seen_notes),
    )


def _read(
    source: str | Any,
    checkpoint: LoadedCheckpoint,
    *,
    trained_on: bool,
    encoding: str | None,
    delimiter: str | None,
) -> RawData:
    """The source's splits; the training data as it was read in training (its encoding, delimiter
    and Hub configuration)."""
    if not isinstance(source, str):
        return raw_of_datasets(source)
    data = checkpoint.config.data
    return load_raw(
        source,
        config_name=data.config if trained_on else None,
        encoding=encoding or (data.encoding if trained_on else "utf-8"),
        delimiter=delimiter or (data.delimiter if trained_on else None),
    )


def _columns_to_score(
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
    layout = layout_of_schema(dataset.data.schema)
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
            layout, where=where, text=text_column, label=label_column,
            text_first=[data.text_column] if data.text_column else [],
            label_first=[data.label_column] if data.label_column else [],
        )  # fmt: skip
    except DataError as error:
        if predicted:
            raise DataError(
                f"{where} is attn predict's output, whose column {predicted[0]!r} holds its predictions, "
                f"not true labels: {error}"
            ) from None
        if label_column is None and _has_text_column(layout, where, text_column, data.text_column):
            # A test split of texts alone (a competition's): no label column to find.
            raise UnlabelledSplit(where, no_label_column=str(error)) from None
        raise
    notes += _like_predict_output_note(where, dataset, columns.label) if not predicted else ()
    other = other_than_trained_note(where, columns.text, trained=data.text_column, named=text_column)
    if other is not None and columns.note is not None and f"text column {columns.text!r}" in columns.note:
        other = None  # the loose match's own line already names it
    return columns, tuple(note for note in (columns.note, other) if note), notes


@dataclass(frozen=True)
class _Trained:
    """The texts the model trained on, to count the evaluated rows it has seen, and how to name them."""

    texts: Sequence[str] | None
    """None where the rows evaluated are not the training data's, or it is too large to compare."""
    rows: str


def _training_side(
    checkpoint: LoadedCheckpoint,
    source: str | Any,
    described: _Source,
    raw: RawData,
    *,
    name: str,
    carve: str | None,
    labelled: Split,
    rows: Sequence[int],
    text_column: str,
) -> tuple[Split, Sequence[int], _Trained]:
    """The rows to score and the texts the model trained on: where the training data's train split
    is read, training's carve is rebuilt (the same seed, the same sides), and the side asked for is
    kept (`carve`), or, evaluated whole, the kept side is what was trained on; else the train split
    of the training data, or nothing to compare with."""
    data = checkpoint.config.data
    whole_training_file = (
        carve is None and name == "train" and _carved_by_training(raw.splits, trained_on=described.trained_on)
    )
    if carve is None and not whole_training_file:
        texts = (
            _texts_of(raw.splits["train"], text_column)
            if described.trained_on and "train" in raw.splits
            else None
        )
        return (
            labelled,
            rows,
            _Trained(_comparable(texts), f"a row of the 'train' split of {described.shown}"),
        )
    kept, carved = stratified_split(labelled.labels, fraction=data.validation_fraction, seed=data.split_seed)
    trained_split, held_out = labelled.select(kept), labelled.select(carved)
    texts = None
    try:
        _require_same_carve(checkpoint, source, len(kept), held_out)
        texts = trained_split.texts
    except DataError:
        if carve is not None:
            raise
        # Evaluated whole, a training file that has changed since is a file like any other: its
        # rows are scored, but which of them were trained on can no longer be told.
    trained = _Trained(_comparable(texts), f"one of the rows of {described.shown} it trained on")
    if carve is None:
        return labelled, rows, trained
    side, labelled = (carved, held_out) if carve == "validation" else (kept, trained_split)
    return labelled, array("q", (rows[row] for row in side)), trained


def _comparable(texts: Sequence[str] | None) -> Sequence[str] | None:
    """Training texts to compare with, unless too many: not worth seconds of every eval (the count
    is then left out, null)."""
    return None if texts is None or len(texts) > SEEN_CHECK_ROWS else texts


def _seen_in_training(
    labelled: Split, trained: _Trained, *, said_too: bool
) -> tuple[int | None, tuple[str, ...]]:
    """How many evaluated rows have a training text (None: not compared), and a note saying so,
    unless the training rows were asked for."""
    seen = None if trained.texts is None else rows_seen_in_training(labelled.texts, trained.texts)
    if not seen or not said_too:
        return seen, ()
    return seen, (
        f"{seen} of the {len(labelled)} rows evaluated have the same text (ignoring case and spacing) "
        f"as {trained.rows}: scores on them show what the model remembers, not how it does on new text",
    )


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
        super().__init__(no_label_column or f"{self.unlabelled}; {remedy}")


def _has_text_column(layout: Any, where: str, named: str | None, trained: str | None) -> bool:
    """Whether a text column is found in `layout` as eval looks for one."""
    try:
        choose_columns(
            layout, where=where, text=named, with_label=False, text_first=[trained] if trained else []
        )
    except DataError:
        return False
    return True


def _holds_no_label(dataset: Any, label_column: str) -> bool:
    """Whether every row of `dataset` lacks a label (read a chunk at a time, stopping at the first)."""
    feature = dataset.features[label_column]
    for start in range(0, len(dataset), CHUNK_ROWS):
        values = dataset.select(range(start, min(start + CHUNK_ROWS, len(dataset))))[label_column]
        if not all(missing_label(feature, value) for value in values):
            return False
    return True


def _carved_by_training(available: Iterable[str], *, trained_on: bool) -> bool:
    """Whether training carved its validation rows out of this data's train split: it is the data
    the model trained on, and that has a train split but no validation split."""
    names = list(available)
    return trained_on and "train" in names and _find_split(names, "validation") is None


def _texts_of(dataset: Any, column: str) -> Sequence[str]:
    """A split's texts, read in chunks; none when it lacks the column."""
    return TextColumn(dataset, column) if column in dataset.column_names else ()


def _require_same_carve(
    checkpoint: LoadedCheckpoint, source: str, train_size: int, validation: Split
) -> None:
    """Refuse a validation carve from training data that has changed since the run: its rows would be
    others than those training held out, some of them trained on, and the score would flatter. The
    sizes tell a file with rows added or removed; the digest of the held-out rows (metrics.json's
    validation_digest; runs saved before it was kept are checked by size alone) tells one whose rows
    were reordered or edited: a file sorted in a spreadsheet scored 31.4% "validation" macro-F1,
    where the rows held out scored 26.2%, without a word."""
    if not checkpoint.metrics:  # missing, or set aside as damaged: nothing to find the rows again by
        why = "is damaged" if checkpoint.warnings else "is missing"
        raise DataError(
            f"the validation rows of {source} are those training held out of its train split, which "
            f"{checkpoint.path / 'metrics.json'} records, and it {why}; restore it, or evaluate on a file "
            "of its own"
        )
    change = split_sizes_change(checkpoint.metrics, train_size, len(validation))
    recorded = checkpoint.metrics.get("validation_digest")
    if change is None and isinstance(recorded, str) and recorded:
        if rows_digest(validation, checkpoint.label_names) != recorded:
            change = "the same number of rows, but in another order or with other texts or labels"
    if change is not None:
        raise DataError(
            f"{source} has changed since the run was trained ({change}), so the validation rows it held "
            "out cannot be found again; put back the data it trained on, or evaluate on a file of its own"
        )


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
