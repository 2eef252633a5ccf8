"""What `attn eval` computes: a checkpoint's metrics, calibration and most confident mistakes on
labelled data, as plain data."""

from __future__ import annotations

import dataclasses
import heapq
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attncli.callers_state import keeps_datasets_state
from attncli.checkpoint import LoadedCheckpoint, require_loaded
from attncli.decimals import float32_list
from attncli.errors import DataError
from attncli.eval_columns import UnlabelledSplit
from attncli.eval_split import LabelledData, load_labelled_split
from attncli.history import training_ended
from attncli.labels import number_of
from attncli.local_paths import local_path
from attncli.markup import strips_markup
from attncli.metrics import (
    ClassScores,
    ReliabilityBin,
    accuracy,
    confusion_matrix,
    expected_calibration_error,
    log_loss,
    macro_f1,
    mean_absolute_error,
    per_class_scores,
    reliability_bins,
    share_within,
    weighted_f1,
)
from attncli.prediction import PredictionStats, predict_probabilities, require_count, require_min_score
from attncli.ranking import average_precisions, top_k_accuracy
from attncli.read_errors import call_cache
from attncli.reporter import log_note
from attncli.signals import import_whole
from attncli.sources import names_a_local_path
from attncli.split_choice import refit_saw_validation
from attncli.streams import one_line
from attncli.thresholds import (
    decide,
    decided_with_fallback,
    require_scored_fallback,
    resolve_fallback,
    resolve_thresholds,
)

if TYPE_CHECKING:
    import torch

# Number labels get a distance from the truth where there are at least this many: with two (0 and 1,
# as many sentiment sets write them), it is the error rate again, and every row is within one.
ORDINAL_LABELS = 3

# Labels with fewer rows than this in the evaluated data get a note: their scores move in big steps.
FEW_ROWS, FEW_ROWS_DATA = 5, 50


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
    fields: dict[str, Any] = field(default_factory=dict)
    """The row's other columns (an id, a date), by which to find it in the data."""
    line: int | None = None
    """The line of the file the row starts on (a quoted text's line breaks counted), as every other
    message names a row; None for data without lines (parquet, a Hub or save_to_disk dataset)."""


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
    training_ended: bool | None = None
    """Whether the run's training had ended (history.training_ended): False for a run still training,
    interrupted or killed, whose scores are its best epoch's so far (a sweep's `eval --json` put such
    runs in its table, with the note on standard error alone); None where not recorded."""
    refitted: bool = False
    """Whether the weights were refitted after early stopping (train.refit_epochs): the temperature
    was then fitted before the refit, to the model it started from."""
    ignored_unknown: int = 0
    """Rows dropped because their label is not one the model knows."""
    ignored_labels: dict[str, int] = field(default_factory=dict)
    """The rows dropped of each label the model does not know, commonest first."""
    left_out_invalid: int = 0
    """Rows left out because they have no text or no label (--drop-invalid), counted over the split
    read, before training's validation carve splits it."""
    left_out_empty: int = 0
    """Rows left out because every cell of them is empty (a spreadsheet's empty rows), counted
    likewise, whatever --drop-invalid says."""
    seen_in_training: int | None = None
    """Rows evaluated whose text (ignoring case and spacing) a row trained on also has; None when
    the rows are not the training data's, so nothing was compared."""
    errors: list[Mistake] | None = None
    """The most confident mistakes, highest probability first; None when not asked for."""
    notes: tuple[str, ...] = ()
    checkpoint: str | None = None
    """The checkpoint folder scored (a run folder's best/, or last/ where it has none)."""
    truncated: int = 0
    """Rows whose text was longer than the model's max_length: it read the tokens model.truncation keeps."""
    tokens: int = 0
    """Tokens the model read over the rows evaluated."""
    unknown_tokens: int | None = None
    """Of those, the ones read as the unknown token (None: the tokenizer has none, or not counted)."""
    rows_with_unknown_tokens: int | None = None
    mean_absolute_error: float | None = None
    """Where every label is a number (grades 1-5), and there are ORDINAL_LABELS or more: the mean
    distance between the predicted label's number and the true one's; None otherwise."""
    within_one: float | None = None
    """Likewise: the share of rows predicted at most 1 from the true number."""
    average_precision: dict[str, float | None] = field(default_factory=dict)
    """Each label's average precision (ranking.average_precisions): how well its probability ranks
    its rows first, whatever the threshold; None for a label without rows."""
    thresholds: dict[str, float] = field(default_factory=dict)
    """The --threshold of each label given one, by which the labels scored were decided."""
    top_k_accuracy: dict[int, float] = field(default_factory=dict)
    """Where asked for (--top-k K): the share of rows whose label is among the K most probable,
    fastText's R@K for one label a row (its P@K is that over K)."""
    min_score: float | None = None
    """--min-score: the probability under which a row's best label gave way to `fallback`, or where
    there is none, under which predict gives no label."""
    fallback: str | None = None
    """The label scored wherever the best label's probability was under `min_score` (--fallback)."""
    fallback_rows: int = 0
    """Rows given the fallback label so."""
    below_min_score: int | None = None
    """With `min_score`: the rows whose best label's probability is below it (None without)."""
    accuracy_at_min_score: float | None = None
    """With `min_score`: how often the most probable label is right on the rows that reach it, the
    labels predict gives (None without, or where no row reaches it)."""

    def __repr__(self) -> str:
        # The headline figures: every class, bin and mistake made 3,300 to 12,300 characters.
        return (
            f"EvalResult(source={self.source!r}, split={self.split!r}, n={self.n}, "
            f"accuracy={self.accuracy:.4f}, macro_f1={self.macro_f1:.4f}, "
            f"weighted_f1={self.weighted_f1:.4f}, ece={self.ece:.4f})"
        )

    def to_json(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "checkpoint": self.checkpoint,
            "source": self.source,
            "split": self.split,
            "n": self.n,
            "ignored_unknown": self.ignored_unknown,
            "ignored_unknown_labels": self.ignored_labels,
            "left_out_invalid": self.left_out_invalid,
            "left_out_empty": self.left_out_empty,
            "seen_in_training": self.seen_in_training,
            "truncated": self.truncated,
            "tokens": self.tokens,
            "unknown_tokens": self.unknown_tokens,
            "rows_with_unknown_tokens": self.rows_with_unknown_tokens,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "weighted_f1": self.weighted_f1,
            "top_k_accuracy": {str(k): value for k, value in self.top_k_accuracy.items()},
            "mean_absolute_error": self.mean_absolute_error,
            "within_one": self.within_one,
            "labels": self.labels,
            "per_class": {
                label: {
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "support": s.support,
                    "average_precision": self.average_precision.get(label),
                }
                for label, s in self.per_class.items()
            },
            "thresholds": self.thresholds,
            "min_score": self.min_score,
            "fallback": self.fallback,
            "fallback_rows": self.fallback_rows,
            "below_min_score": self.below_min_score,
            "accuracy_at_min_score": self.accuracy_at_min_score,
            "confusion_matrix": self.confusion_matrix,
            "temperature": self.temperature,
            "calibration": self.calibration,
            "refitted": self.refitted,
            "training_ended": self.training_ended,
            "ece": self.ece,
            "log_loss": self.log_loss,
            "reliability": [asdict(item) for item in self.reliability],
        }
        if self.errors is not None:
            # Each probability as the shortest decimal of its float32, as predict writes them.
            scores = float32_list([mistake.score for mistake in self.errors])
            report["errors"] = [  # "line" beside "index", the row from 0 that scripts read
                {"index": mistake.index, "line": mistake.line, **asdict(mistake), "score": score}
                for mistake, score in zip(self.errors, scores, strict=True)
            ]
        return report


def _where_the_training_data_is(checkpoint: LoadedCheckpoint, source: str) -> tuple[str, ...]:
    """Refuse, in words that say where the path came from, training data that is not where the
    checkpoint records it; note where a checkpoint saved before attn recorded the absolute path
    (data_path) is taking its typed, relative path from: another file of that name may be there."""
    exists = local_path(source).exists()
    if not exists and names_a_local_path(source):
        recorded = checkpoint.header.get("data_path")
        where = "" if recorded else ", a path relative to the folder it was trained in,"
        raise DataError(
            f"{checkpoint.path} records its training data as {source}{where} which is not there from "
            f"here ({Path.cwd()}); pass DATA to evaluate on"
        )
    if exists and not checkpoint.header.get("data_path") and not local_path(source).is_absolute():
        return (
            f"{checkpoint.path} records its training data only as it was typed, {source}, so it is read "
            f"from this folder ({Path(source).resolve()}); pass DATA if that is not the data it trained on",
        )
    return ()


def _accuracy_where(rows: torch.Tensor, truth: Sequence[int], predicted: torch.Tensor) -> float | None:
    """How often `predicted` is right on the `rows` (a mask); None where it holds none."""
    import torch

    if not rows.any():
        return None
    return (torch.as_tensor(truth)[rows] == predicted[rows]).double().mean().item()


def _most_confident_mistakes(
    data: LabelledData, predicted: list[int], confidences: list[float], label_names: list[str], count: int
) -> list[Mistake]:
    """Up to `count` wrong predictions, highest probability first (ties: earlier rows first)."""
    truth = data.labelled.labels
    wrong = (position for position, label in enumerate(truth) if label != predicted[position])
    chosen = heapq.nlargest(count, wrong, key=lambda position: (confidences[position], -position))
    rows = [int(data.rows[position]) for position in chosen]
    others = _other_columns(data, rows)
    # An analyst finds a row by its line: a row number is off by every quoted line break before it.
    lines = data.origin.lines_of(rows) if data.origin is not None else {}
    return [
        Mistake(
            index=row,
            text=data.labelled.texts[position],
            label=label_names[truth[position]],
            predicted=label_names[predicted[position]],
            score=confidences[position],
            fields=fields,
            line=lines.get(row),
        )
        for position, row, fields in zip(chosen, rows, others, strict=True)
    ]


def _other_columns(data: LabelledData, rows: list[int]) -> list[dict[str, Any]]:
    """The columns of the source's `rows` beside their text and label, read at once (a row at a
    time costs a millisecond at 200 columns); values as predict carries them (a date stays one)."""
    if data.source_rows is None or not rows:
        return [{} for _ in rows]
    return [
        {key: value for key, value in values.items() if key not in data.scored_columns}
        for values in data.source_rows.select(rows).to_list()
    ]


def label_values(names: list[str]) -> list[Decimal] | None:
    """The labels as the numbers they name, exactly (ids past 2**53 are equal as floats), where every
    one names a number and there are at least ORDINAL_LABELS (grades, star ratings: a 5 predicted as
    1 is further off than one predicted as 4); None otherwise."""
    if len(names) < ORDINAL_LABELS or any(number_of(name) is None for name in names):
        return None
    return [Decimal(name.strip()) for name in names]


# The most characters of label names and counts the few-rows note lists.
FEW_ROWS_LISTED = 240


def few_rows_note(per_class: dict[str, ClassScores]) -> str | None:
    """A note on labels with so few rows here that their recall and F1 move in big steps (1 row:
    0% or 100%), which macro-F1 weighs as much as any other label's; None when there are none, or
    when the data is small throughout (under FEW_ROWS_DATA rows), which the support column shows."""
    if sum(scores.support for scores in per_class.values()) < FEW_ROWS_DATA:
        return None
    few = {name: scores.support for name, scores in per_class.items() if 0 < scores.support < FEW_ROWS}
    if not few:
        return None
    if len(few) == len(per_class) > 10:  # every label has a row or few (300 labels, 1 row each)
        low, high = min(few.values()), max(few.values())
        counted = f"every label ({low if low == high else f'{low}-{high}'} row{'s' * (high != 1)} each)"
    else:
        # Ten at most, and no more than FEW_ROWS_LISTED characters of them: a shop's 148 categories
        # of 50 characters made the note a line of 791.
        shown: list[str] = []
        for name, support in few.items():
            item = f"{one_line(name)} ({support:,} row{'s' * (support != 1)})"
            if shown and (len(shown) == 10 or len(", ".join([*shown, item])) > FEW_ROWS_LISTED):
                break
            shown.append(item)
        counted = ", ".join(shown)
        counted += f" and {len(few) - len(shown):,} more labels" if len(few) > len(shown) else ""
    return (
        f"few rows here for {counted}: one row moves their recall by up to {100 / min(few.values()):.0f} "
        "points, and macro-F1 weighs them as much as the others; more rows of them make the scores firmer"
    )


# Rows predicted as the label after theirs, this share or more, where the labels are numbers: the
# file's labels are likely a ClassLabel's indices (0 for "1", 1 for "2", ...), read as names.
SHIFTED_SHARE = 0.8


def shifted_labels_warning(matrix: list[list[int]], names: list[str]) -> str | None:
    """A warning where the model's labels are numbers that are not their own indices (1-5 stars)
    and nearly every row was predicted as the label after its own: the file's labels are likely the
    indices a ClassLabel column exports them as (0 for "1"), read as the names they spell. Without a
    0 among them no row was refused as unknown, and a trial's eval scored 0.0% without a word."""
    numbered = all(name.isascii() and name.isdigit() for name in names)
    if not numbered or [int(name) for name in names] == list(range(len(names))):
        return None
    total = sum(map(sum, matrix))
    after = sum(matrix[row][row + 1] for row in range(len(names) - 1))
    if not total or after < SHIFTED_SHARE * total:
        return None
    shown = ", ".join(f"{index} for {name!r}" for index, name in enumerate(names[:5]))
    return (
        f"warning: {after:,} of {total:,} rows were predicted as the label after theirs; if the file's "
        f"labels are a ClassLabel's indices ({shown}{', ...' if len(names) > 5 else ''}), they are read "
        "as the labels they spell: write the labels instead"
    )


# Rows of one label alone, this many or more, are a column of one value rather than a sample of the
# task: below it a small hand-made check may well hold one class.
ONE_LABEL_ROWS = 20


def one_label_warning(matrix: list[list[int]], names: list[str]) -> str | None:
    """A warning where every row evaluated has the same label, of a model of several: accuracy is
    then the share of rows predicted as it, and no label is compared with another. A student merged
    a competition's sample_submission.csv (every target 0) into its test.csv, and scored 59.4%."""
    supports = [sum(row) for row in matrix]
    total = sum(supports)
    if total < ONE_LABEL_ROWS or len(names) < 2 or max(supports) != total:
        return None
    label = names[supports.index(total)]
    return (
        f"warning: every one of the {total:,} rows evaluated has the label {label!r}, so accuracy is the "
        "share predicted as it and no label is told from another; where those labels are placeholders (a "
        "competition's sample_submission.csv merged in), there are no true labels to score: evaluate "
        "labelled rows, or predict these"
    )


@keeps_datasets_state
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
    thresholds: Mapping[str, float] | None = None,
    top_k: int | None = None,
    min_score: float | None = None,
    fallback: str | None = None,
) -> EvalResult:
    """Metrics of `checkpoint` on one split of `source` (a path, a Hub dataset name, a Dataset, a
    pandas DataFrame or a DatasetDict; default: the data it was trained on), with the `errors` most
    confident mistakes when that is above 0; `on_batch(done, total)` follows the model through the
    rows. `thresholds` ({label: probability}) decide the labels scored as predict decides them
    (thresholds.decide); calibration is of the most probable label whatever they are. `top_k`: also
    the share of rows whose label is among the `top_k` most probable. `min_score` and `fallback`: the
    `fallback` label is scored wherever the best label's probability is below `min_score`, as
    `attn predict --min-score P --fallback LABEL` gives it; `min_score` alone: how many rows fall
    below it (`below_min_score`) and how often the label of the others is right
    (`accuracy_at_min_score`), as `attn predict --min-score P` labels them."""
    require_loaded(checkpoint, "evaluate")
    import_whole("datasets")  # a Ctrl-C in a first call's imports leaves none half-made
    require_count("batch_size", batch_size)
    if top_k is not None:
        require_count("top_k", top_k)
        if top_k > len(checkpoint.label_names):
            raise DataError(
                f"--top-k {top_k}: the model has {len(checkpoint.label_names)} labels; give at most that"
            )
    by_index = resolve_thresholds(thresholds, checkpoint.label_names)
    min_score = require_min_score(min_score)
    require_scored_fallback(min_score, fallback, by_index)
    otherwise = resolve_fallback(fallback, checkpoint.label_names)
    with call_cache():  # a service evaluating file after file keeps no Arrow copy of each
        result = _evaluate(
            checkpoint, source, split=split, text_column=text_column, label_column=label_column,
            batch_size=batch_size, errors=errors, ignore_unknown_labels=ignore_unknown_labels,
            encoding=encoding, delimiter=delimiter, drop_invalid=drop_invalid, on_batch=on_batch,
            thresholds=by_index, top_k=top_k, min_score=min_score, fallback=otherwise,
        )  # fmt: skip
    # What `attn eval` notes (rows also trained on, texts cut, unknown words), to the attncli logger
    # as training's notes go: a notebook saw none of them unless it read `notes` (a trial).
    for note in result.notes:
        log_note(note)
    return result


def _evaluate(
    checkpoint: LoadedCheckpoint,
    source: str | Any | None,
    *,
    split: str | None,
    text_column: str | None,
    label_column: str | None,
    batch_size: int,
    errors: int,
    ignore_unknown_labels: bool,
    encoding: str | None,
    delimiter: str | None,
    drop_invalid: bool,
    on_batch: Callable[[int, int], None] | None,
    thresholds: dict[int, float],
    top_k: int | None,
    min_score: float | None = None,
    fallback: int | None = None,
) -> EvalResult:
    if isinstance(source, os.PathLike):  # a Path from Python, as the path it names
        source = os.fspath(source)
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
        if data.refitted_on:
            # Its scores would be of rows the refit trained on: a competition folder's unlabelled
            # test.csv gave 97.2% "validation" accuracy, exit 0, where 95.6% was the score before it.
            raise DataError(f"{unlabelled.unlabelled}, and {refit_saw_validation()}") from None
        note = f"{unlabelled.unlabelled}; evaluated the validation split instead"
        data = dataclasses.replace(data, notes=(note, *data.notes))
    truth = data.labelled.labels
    stats = PredictionStats()
    probabilities = predict_probabilities(
        checkpoint, data.labelled.texts, batch_size=batch_size, on_batch=on_batch, stats=stats
    )
    cut = stats.truncation_note(checkpoint.config.model.length, checkpoint.config.model.truncation)
    unknown = stats.unknown_note()
    nothing = stats.read_nothing_note(strips_markup=strips_markup(checkpoint.tokenizer))
    missing = stats.missing_marker_note(evaluated=True)
    top = probabilities.max(-1)
    confidences, most_probable = top.values.tolist(), top.indices.tolist()
    decided = decided_with_fallback(decide(probabilities, thresholds), probabilities, min_score, fallback)
    below = None if min_score is None else top.values < min_score  # float32, as predict compares them
    fallback_rows = 0 if below is None or fallback is None else int(below.sum())
    predicted = decided.tolist()
    chosen_probabilities = probabilities.gather(-1, decided.unsqueeze(-1)).squeeze(-1).tolist()
    names = list(checkpoint.label_names)
    matrix = confusion_matrix(truth, predicted, len(names))
    true_label_probabilities = probabilities[list(range(len(truth))), list(truth)].tolist()
    # Calibration: whether the most probable label is right as often as its probability says, a
    # property of the probabilities, whichever label a threshold gives.
    bins = reliability_bins(
        confidences, [label == guess for label, guess in zip(truth, most_probable, strict=True)]
    )
    ranking = dict(zip(names, average_precisions(probabilities, truth), strict=True))
    per_class = dict(zip(names, per_class_scores(matrix), strict=True))
    few = few_rows_note(per_class)
    shifted = shifted_labels_warning(matrix, names)
    single = one_label_warning(matrix, names)
    values = label_values(names)
    shown = source if isinstance(source, str) else f"the {type(source).__name__} given"
    validation_file = checkpoint.config.data.validation_file
    if data.split == "validation" and data.origin is not None and data.origin.path is not None:
        # The run's validation file (--validation), not the training data it was read beside.
        if validation_file and str(data.origin.path.resolve()) == validation_file:
            shown = validation_file
    return EvalResult(
        source=shown,
        split=data.split,
        n=len(data.labelled),
        accuracy=accuracy(truth, predicted),
        macro_f1=macro_f1(matrix),
        weighted_f1=weighted_f1(matrix),
        mean_absolute_error=None if values is None else mean_absolute_error(matrix, values),
        within_one=None if values is None else share_within(matrix, values),
        labels=names,
        per_class=per_class,
        confusion_matrix=matrix,
        ece=expected_calibration_error(bins),
        reliability=bins,
        log_loss=log_loss(true_label_probabilities),
        temperature=checkpoint.temperature,
        calibration=checkpoint.calibration,
        refitted=checkpoint.refitted,
        training_ended=training_ended(checkpoint.metrics),
        ignored_unknown=sum(data.ignored_labels.values()),
        ignored_labels=data.ignored_labels,
        left_out_invalid=data.left_out_invalid,
        left_out_empty=data.left_out_empty,
        seen_in_training=data.seen_in_training,
        errors=(
            _most_confident_mistakes(data, predicted, chosen_probabilities, names, errors)
            if errors > 0
            else None
        ),
        average_precision=ranking,
        thresholds={names[index]: value for index, value in thresholds.items()},
        min_score=min_score,
        fallback=names[fallback] if fallback is not None else None,
        fallback_rows=fallback_rows,
        below_min_score=None if below is None else int(below.sum()),
        accuracy_at_min_score=None if below is None else _accuracy_where(~below, truth, top.indices),
        top_k_accuracy={} if top_k is None else {top_k: top_k_accuracy(probabilities, truth, top_k)},
        notes=(
            *moved,
            *data.notes,
            *([cut] if cut else []),
            *([unknown] if unknown else []),
            *([nothing] if nothing else []),
            *([missing] if missing else []),
            *([few] if few else []),
            *([shifted] if shifted else []),
            *([single] if single else []),
        ),
        checkpoint=str(checkpoint.path),
        truncated=stats.truncated,
        tokens=stats.tokens,
        unknown_tokens=stats.unknown_tokens,
        rows_with_unknown_tokens=None if stats.unknown_tokens is None else stats.texts_with_unknown,
    )
