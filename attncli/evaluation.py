"""What `attn eval` computes: a checkpoint's metrics, calibration and most confident mistakes on
labelled data, as plain data."""

from __future__ import annotations

import dataclasses
import heapq
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
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
from attncli.metrics import (
    ClassScores,
    ReliabilityBin,
    accuracy,
    confusion_matrix,
    expected_calibration_error,
    log_loss,
    macro_f1,
    per_class_scores,
    reliability_bins,
    weighted_f1,
)
from attncli.output import predicted_columns
from attncli.prediction import PredictionStats, predict_probabilities
from attncli.sources import (
    SPLIT_ALIASES,
    holds_one_dataset,
    load_raw,
    names_a_local_path,
    raw_of_datasets,
    same_source,
)

EVAL_DROP_HINT = "pass --drop-invalid to leave such rows out"
# Training rows eval reads through to count the evaluated rows the model has seen: about 5 s of
# hashing per million short texts (more for articles), so larger training data is not compared.
SEEN_CHECK_ROWS = 1_000_000


@dataclass(frozen=True)
class Mistake:
    """A wrongly predicted example."""

    index: int
    """Its row (from 0) in its split of the source."""
    text: str
    label: str
    predicted: str
    score: float
    """The predicted label's probability."""


@dataclass(frozen=True)
class EvalResult:
    source: str
    split: str | None
    """None when `source` is a single file, which is evaluated whole."""
    n: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    labels: list[str]
    per_class: dict[str, ClassScores]
    confusion_matrix: list[list[int]]
    ece: float
    reliability: list[ReliabilityBin]
    log_loss: float | None = None
    """Mean negative log probability of the true labels (calibrated, as predict gives them)."""
    temperature: float = 1.0
    """What the checkpoint divides its logits by before the softmax (1.0: unchanged)."""
    calibration: str = "fitted"
    """Why the temperature is what it is: a key of calibration.CALIBRATION_STATES."""
    ignored_unknown: int = 0
    """Rows dropped because their label is not one the model knows."""
    left_out_invalid: int = 0
    """Rows left out because they have no text or no label (--drop-invalid), counted over the split
    read, before training's validation carve splits it."""
    seen_in_training: int | None = None
    """Rows evaluated whose text (ignoring case and spacing) a row trained on also has; None when
    the rows are not the training data's, so nothing was compared."""
    errors: list[Mistake] | None = None
    """The most confident mistakes, highest probability first; None when not asked for."""
    notes: tuple[str, ...] = ()
    checkpoint: str | None = None
    """The checkpoint folder scored (a run folder's best/, or last/ where it has none)."""
    truncated: int = 0
    """Rows whose text was longer than the model's max_length: it read their first tokens only."""

    def to_json(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "checkpoint": self.checkpoint,
            "source": self.source,
            "split": self.split,
            "n": self.n,
            "ignored_unknown": self.ignored_unknown,
            "left_out_invalid": self.left_out_invalid,
            "seen_in_training": self.seen_in_training,
            "truncated": self.truncated,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "weighted_f1": self.weighted_f1,
            "labels": self.labels,
            "per_class": {
                label: {"precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support}
                for label, s in self.per_class.items()
            },
            "confusion_matrix": self.confusion_matrix,
            "temperature": self.temperature,
            "calibration": self.calibration,
            "ece": self.ece,
            "log_loss": self.log_loss,
            "reliability": [asdict(item) for item in self.reliability],
        }
        if self.errors is not None:
            report["errors"] = [asdict(mistake) for mistake in self.errors]
        return report


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


def _where_the_training_data_is(checkpoint: LoadedCheckpoint, source: str) -> tuple[str, ...]:
    """Refuse, in words that say where the path came from, training data that is not where the
    checkpoint records it; note where a checkpoint saved before attn recorded the absolute path
    (data_path) is taking its typed, relative path from: another file of that name may be there."""
    exists = Path(source).expanduser().exists()
    if not exists and names_a_local_path(source):
        recorded = checkpoint.header.get("data_path")
        where = "" if recorded else ", a path relative to the folder it was trained in,"
        raise DataError(
            f"{checkpoint.path} records its training data as {source}{where} which is not there from "
            f"here ({Path.cwd()}); pass DATA to evaluate on"
        )
    if exists and not checkpoint.header.get("data_path") and not Path(source).expanduser().is_absolute():
        return (
            f"{checkpoint.path} records its training data only as it was typed, {source}, so it is read "
            f"from this folder ({Path(source).resolve()}); pass DATA if that is not the data it trained on",
        )
    return ()


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
    trained_on = described.trained_on
    if isinstance(source, str):
        raw = load_raw(
            source,
            config_name=data.config if trained_on else None,
            encoding=encoding or (data.encoding if trained_on else "utf-8"),
            delimiter=delimiter or (data.delimiter if trained_on else None),
        )
    else:
        raw = raw_of_datasets(source)
    name, shown, carve, notes = _pick_split(
        checkpoint, described, list(raw.splits), split, default_source=default_source
    )
    dataset = raw.splits[name]
    where = described.whole_name if shown is None else f"split {name!r} of {described.shown}"
    if len(dataset) == 0:
        raise DataError(f"{where} is empty; evaluate on data with rows")
    layout = layout_of_schema(dataset.data.schema)
    predicted = (
        predicted_columns(layout.columns, checkpoint.label_names, layout.paths)
        if label_column is None
        else ()
    )
    if predicted:  # attn predict's output: its label column holds predictions, never the true labels
        own = tuple(column for column in layout.columns if column not in predicted)
        paths = tuple(path for path in layout.paths if path not in predicted)
        layout = dataclasses.replace(layout, columns=own, paths=paths)
        notes += (
            f"{where} is attn predict's output: the true labels are not read from {predicted[0]!r}, which "
            f"holds its predictions (--label-column {predicted[0]} reads them all the same)",
        )
    # The training columns are tried first, then the usual names.
    try:
        columns = choose_columns(
            layout, where=where, text=text_column, label=label_column,
            text_first=[data.text_column] if data.text_column else [],
            label_first=[data.label_column] if data.label_column else [],
        )  # fmt: skip
    except DataError as error:
        if not predicted:
            raise
        raise DataError(
            f"{where} is attn predict's output, whose column {predicted[0]!r} holds its predictions, not "
            f"true labels: {error}"
        ) from None
    notes += _like_predict_output_note(where, dataset, columns.label) if not predicted else ()
    other = other_than_trained_note(where, columns.text, trained=data.text_column, named=text_column)
    if other is not None and columns.note is not None and f"text column {columns.text!r}" in columns.note:
        other = None  # the loose match's own line already names it
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
    # The texts the model trained on, to count the evaluated rows it has seen: the kept side of
    # training's carve where it carved one (the training file evaluated whole included), else the
    # train split; None where the rows are not the training data's (nothing to compare with).
    whole_training_file = (
        carve is None and name == "train" and _carved_by_training(raw.splits, trained_on=trained_on)
    )
    training_texts: Sequence[str] | None = None
    trained_rows = f"a row of the 'train' split of {described.shown}"
    if carve is not None or whole_training_file:
        kept, carved = stratified_split(
            labelled.labels, fraction=data.validation_fraction, seed=data.split_seed
        )
        trained_split, held_out = labelled.select(kept), labelled.select(carved)
        try:
            _require_same_carve(checkpoint, source, len(kept), held_out)
            training_texts = trained_split.texts
        except DataError:
            if carve is not None:
                raise
            # Evaluated whole, a training file that has changed since is a file like any other: its
            # rows are scored, but which of them were trained on can no longer be told.
        trained_rows = f"one of the rows of {described.shown} it trained on"
        if carve is not None:
            side, labelled = (carved, held_out) if carve == "validation" else (kept, trained_split)
            rows = array("q", (rows[row] for row in side))
    elif trained_on and "train" in raw.splits:
        training_texts = _texts_of(raw.splits["train"], columns.text)
    if training_texts is not None and len(training_texts) > SEEN_CHECK_ROWS:
        training_texts = None  # not worth seconds of every eval: the count is left out (null)
    seen = None if training_texts is None else rows_seen_in_training(labelled.texts, training_texts)
    asked_for_training_rows = split is not None and SPLIT_ALIASES.get(split.lower()) == "train"
    if seen and not asked_for_training_rows:
        notes += (
            f"{seen} of the {len(labelled)} rows evaluated have the same text (ignoring case and spacing) "
            f"as {trained_rows}: scores on them show what the model remembers, not how it does on new text",
        )
    notes = (*raw.notes, *(note for note in (columns.note, other) if note), *notes)
    return LabelledData(
        split=shown,
        labelled=labelled,
        rows=rows,
        ignored_unknown=ignored,
        left_out_invalid=left_out,
        seen_in_training=seen,
        notes=notes,
    )


class UnlabelledSplit(DataError):
    """The split read has no labels at all."""

    def __init__(self, where: str) -> None:
        self.unlabelled = (
            f"{where} has no labels (every row's is empty, or -1 of a ClassLabel: a test set whose labels "
            "are withheld, as GLUE's are)"
        )
        super().__init__(f"{self.unlabelled}; evaluate a split with labels (--split NAME) or a file of them")


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


def _most_confident_mistakes(
    data: LabelledData, predicted: list[int], confidences: list[float], label_names: list[str], count: int
) -> list[Mistake]:
    """Up to `count` wrong predictions, highest probability first (ties: earlier rows first)."""
    truth = data.labelled.labels
    wrong = (position for position, label in enumerate(truth) if label != predicted[position])
    chosen = heapq.nlargest(count, wrong, key=lambda position: (confidences[position], -position))
    return [
        Mistake(
            index=int(data.rows[position]),
            text=data.labelled.texts[position],
            label=label_names[truth[position]],
            predicted=label_names[predicted[position]],
            score=confidences[position],
        )
        for position in chosen
    ]


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
    if not all(_is_probability(value) for value in sample):
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


def evaluate(
    checkpoint: LoadedCheckpoint,
    source: str | Any | None = None,
    *,
    split: str | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    batch_size: int = 64,
    errors: int = 0,
    ignore_unknown_labels: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    drop_invalid: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Metrics of `checkpoint` on one split of `source` (a path, a Hub dataset name, or a Dataset or
    DatasetDict; default: the data it was trained on), with the `errors` most confident mistakes when
    that is above 0; `on_batch(done, total)` follows the model through the rows."""
    default_source = source is None
    moved: tuple[str, ...] = ()
    if source is None:
        source, note = checkpoint.training_data()
        moved = (note,) if note else ()
        if source:
            moved += _where_the_training_data_is(checkpoint, source)
    if source is None or (isinstance(source, str) and not source):
        raise DataError("the checkpoint does not record its data; pass DATA to evaluate on")

    def labelled_split(name: str | None) -> LabelledData:
        return load_labelled_split(
            checkpoint, source, split=name, text_column=text_column, label_column=label_column,
            default_source=default_source, encoding=encoding, delimiter=delimiter, drop_invalid=drop_invalid,
            ignore_unknown_labels=ignore_unknown_labels,
        )  # fmt: skip

    try:
        data = labelled_split(split)
    except UnlabelledSplit as unlabelled:
        # The split chosen for the user (test) has its labels withheld: the validation split instead.
        if split is not None:
            raise
        try:
            data = labelled_split("validation")
        except DataError:
            raise unlabelled from None
        note = f"{unlabelled.unlabelled}; evaluated the validation split instead"
        data = dataclasses.replace(data, notes=(note, *data.notes))
    truth = data.labelled.labels
    stats = PredictionStats()
    probabilities = predict_probabilities(
        checkpoint, data.labelled.texts, batch_size=batch_size, on_batch=on_batch, stats=stats
    )
    cut = stats.truncation_note(checkpoint.config.model.length)
    top = probabilities.max(-1)
    confidences, predicted = top.values.tolist(), top.indices.tolist()
    names = list(checkpoint.label_names)
    matrix = confusion_matrix(truth, predicted, len(names))
    true_label_probabilities = probabilities[list(range(len(truth))), list(truth)].tolist()
    bins = reliability_bins(
        confidences, [label == guess for label, guess in zip(truth, predicted, strict=True)]
    )
    return EvalResult(
        source=source if isinstance(source, str) else f"the {type(source).__name__} given",
        split=data.split,
        n=len(data.labelled),
        accuracy=accuracy(truth, predicted),
        macro_f1=macro_f1(matrix),
        weighted_f1=weighted_f1(matrix),
        labels=names,
        per_class=dict(zip(names, per_class_scores(matrix), strict=True)),
        confusion_matrix=matrix,
        ece=expected_calibration_error(bins),
        reliability=bins,
        log_loss=log_loss(true_label_probabilities),
        temperature=checkpoint.temperature,
        calibration=checkpoint.calibration,
        ignored_unknown=data.ignored_unknown,
        left_out_invalid=data.left_out_invalid,
        seen_in_training=data.seen_in_training,
        errors=_most_confident_mistakes(data, predicted, confidences, names, errors) if errors > 0 else None,
        notes=(*moved, *data.notes, *([cut] if cut else [])),
        checkpoint=str(checkpoint.path),
        truncated=stats.truncated,
    )
