"""What a training run records about itself: one record per epoch and the run's summary, as typed
dataclasses that read and write the JSON of `metrics.json`. No torch."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    validation_loss: float
    validation_accuracy: float
    validation_macro_f1: float
    seconds: float
    tokens_per_second: float
    padding_fraction: float = 0.0
    """Share of the padded batches' positions that were padding."""
    temperature: float = 1.0
    """Calibration temperature fitted on this epoch's validation scores (1.0: none)."""
    missed_labels: list[str] | None = None
    """Labels with validation rows of which this epoch recognised none (recall 0); None for an
    epoch recorded by an attn before this was (unknown, not "none missed")."""
    processes: int = 0
    """How many processes trained the epoch (`--nproc`; the session that ended it, for an epoch a
    --resume finished); 0 where the record predates it."""
    threads: int = 0
    """torch's threads in each process that trained the epoch (the session that ended it); 0 where
    the record predates it."""

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> EpochRecord:
        names = {item.name for item in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})


@dataclass
class TrainingMetrics:
    """The contents of metrics.json."""

    best_epoch: int = 0
    history: list[EpochRecord] = field(default_factory=list)
    train_seconds: float = 0.0
    train_size: int = 0
    validation_size: int = 0
    num_parameters: int = 0
    device: str = ""
    precision: str = ""
    peak_memory_mb: float = 0.0
    """Peak memory of the process (resident on the CPU, allocated on a GPU)."""
    threads: int = 0
    """torch's threads in each training process (of the session that trained last): another number
    sums in another order, so a rerun repeats bit for bit only on as many; 0 where not recorded."""
    stop_reason: str = ""
    """Why training ended: "epochs" (the ceiling), "patience" (early stopping) or "interrupted"."""
    embeddings_init: dict[str, Any] | None = None
    """Where pretrained vectors came from and how much of the vocabulary they covered."""
    sized: dict[str, int] | None = None
    """Each setting sized to the data, with the number of training texts it was sized to: this run's,
    or an earlier run's whose config.json it was given with `--config` and whose sized value it
    kept. None where none was, or the run predates it. `--config RUN/best/config.json` says which
    of them it keeps."""
    class_weights: dict[str, float] | None = None
    """The loss weight of each label as training applied it (train.class_weights resolved: auto's
    depend on the validation carve); None where all were 1, or the run predates it."""
    label_counts: dict[str, int] | None = None
    """Training rows of each label, as the epochs trained on them (after the validation carve; the
    refit adds the held-out rows): with 150 labels, a warning named 10 rare ones and no file said the
    rest. None where the run predates it."""
    label_conflicts: dict[str, Any] | None = None
    """Texts of the training data given more than one label: `count`, and `listed`, the 500 with the
    most rows, each with its labels' rows (data_warnings.label_conflicts; the warning names one).
    None where there are none."""
    left_out: dict[str, dict[str, int]] | None = None
    """The rows left out of each split that lost any: `rows`, and those `empty`, `half_filled`, with
    `no_label` and with `no_text` (data.rows_left_out). None where none was, or the run predates it."""
    validation_digest: str = ""
    """`data.rows_digest` of the validation rows where training held them out of its train split
    (empty where the data had a validation split of its own)."""
    refit: dict[str, Any] | None = None
    """What the refit after early stopping did (attncli/refit.py): its epochs, the rows it trained
    on, each epoch's training loss and its seconds; None where there was none."""
    refit_diverged: str = ""
    """Where the refit's loss stopped being a number (empty where it did not): best/ is then the best
    epoch's, and a --resume would only diverge again."""
    refit_skipped: str = ""
    """Why the refit asked for was not done (empty where it was, or was not due): the best epoch
    learnt nothing validation could show (`learnt_nothing`)."""
    ceilings: list[dict[str, int]] | None = None
    """Each change a `--resume --epochs N` made to the epoch ceiling, in order: `after_epoch` (the
    epochs the run had recorded), `from` and `to`. The schedule follows the ceiling, so config.json's
    epochs alone would train another model from the start (a model-selection trial). None where none
    was changed, or the run predates it."""

    @property
    def best(self) -> EpochRecord | None:
        return next((record for record in self.history if record.epoch == self.best_epoch), None)

    @property
    def epoch_processes(self) -> list[int] | None:
        """The processes that trained each epoch up to the best one (every epoch where none is best
        yet): a rerun with another number draws other dropout masks, so trains another model.
        None where an epoch's count is not recorded, or not a count."""
        return self._counts_to_best("processes")

    @property
    def newest_epoch(self) -> int:
        """The newest epoch recorded (0: none)."""
        return max((record.epoch for record in self.history), default=0)

    def _counts_to_best(self, name: str) -> list[int] | None:
        """Each epoch's `name` (processes, threads) up to the best one (every epoch where none is
        best yet); None where an epoch's is not recorded, or not a count."""
        last = self.best_epoch or self.newest_epoch
        counts = [getattr(record, name) for record in self.history if record.epoch <= last]
        if not counts or not all(type(count) is int and count >= 1 for count in counts):
            return None
        return counts

    @property
    def trained_threads(self) -> int | None:
        """The one number of torch threads that trained the best epoch and those before it: None
        where it changed on the way (a --resume on another number: its sums took another order from
        there, a trial); the last session's where the epochs predate their own record."""
        counts = self._counts_to_best("threads")
        if counts is None:
            return self.threads or None
        return counts[0] if len(set(counts)) == 1 else None

    @property
    def last_threads(self) -> int | None:
        """torch's threads in the session that ended the last epoch recorded (the run's where the
        epochs predate their own record): what a --resume compares its own with."""
        recorded = self.history[-1].threads if self.history else 0
        return recorded if type(recorded) is int and recorded >= 1 else (self.threads or None)

    @property
    def processes(self) -> int | None:
        """The one number of processes that trained the best epoch and those before it; None where
        it changed on the way (a --resume on another --nproc) or is not recorded."""
        counts = self.epoch_processes
        return counts[0] if counts and len(set(counts)) == 1 else None

    def to_json(self) -> dict[str, Any]:
        best = self.best
        values: dict[str, Any] = {
            "best_epoch": self.best_epoch,
            "validation": None
            if best is None
            else {
                "loss": best.validation_loss,
                "accuracy": best.validation_accuracy,
                "macro_f1": best.validation_macro_f1,
                "temperature": best.temperature,
                "missed_labels": best.missed_labels,
            },
            "train_seconds": self.train_seconds,
            "train_size": self.train_size,
            "validation_size": self.validation_size,
            "num_parameters": self.num_parameters,
            "device": self.device,
            "precision": self.precision,
            "peak_memory_mb": self.peak_memory_mb,
            "stop_reason": self.stop_reason,
            **({"threads": self.trained_threads} if self.threads else {}),
            "history": [dataclasses.asdict(record) for record in self.history],
        }
        if self.embeddings_init is not None:
            values["embeddings_init"] = self.embeddings_init
        if self.class_weights is not None:
            values["class_weights"] = self.class_weights
        if self.label_counts is not None:
            values["label_counts"] = self.label_counts
        if self.label_conflicts:
            values["label_conflicts"] = self.label_conflicts
        if self.left_out:
            values["left_out"] = self.left_out
        if self.sized is not None:
            values["sized"] = self.sized
        values["processes"] = self.processes
        if self.validation_digest:
            values["validation_digest"] = self.validation_digest
        if self.refit is not None:
            values["refit"] = self.refit
        if self.refit_diverged:
            values["refit_diverged"] = self.refit_diverged
        if self.refit_skipped:
            values["refit_skipped"] = self.refit_skipped
        if self.ceilings:
            values["ceilings"] = self.ceilings
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> TrainingMetrics:
        """Read metrics.json, also as written by earlier versions (missing keys take defaults)."""
        plain = {
            name: values[name]
            for name in ("best_epoch", "train_seconds", "train_size", "validation_size", "num_parameters",
                         "device", "precision", "peak_memory_mb", "threads", "stop_reason", "embeddings_init",
                         "class_weights", "label_counts", "label_conflicts", "left_out", "sized",
                         "validation_digest", "refit", "refit_diverged", "refit_skipped", "ceilings")
            if name in values
        }  # fmt: skip
        history = [EpochRecord.from_json(record) for record in values.get("history", [])]
        return cls(history=history, **plain)


def training_ended(metrics: Any) -> bool | None:
    """Whether the training whose metrics.json reads `metrics` has ended (its ceiling, early
    stopping): False for a run still training, interrupted or killed, whose weights are the best
    of the epochs so far; None where the run predates the record of why training ended."""
    if not isinstance(metrics, dict) or not isinstance(metrics.get("stop_reason"), str):
        return None
    return metrics["stop_reason"] not in ("", "interrupted")


def learnt_nothing(label_counts: list[int], validation_rows: int, best: EpochRecord) -> bool:
    """Whether the best epoch scored no more than a validation row above always answering the
    commonest training label, in accuracy and in macro-F1, or, with a validation loss no better than
    answering every row with the training labels' shares, no more than chance's noise above it (two
    standard errors): the model learnt nothing it could show. A researcher's negated sentences,
    best at 53.3% of 150 rows against 51.6% for the commonest label, at a loss of 0.698 against
    0.693 for the shares, were not warned of, and went into a results table as attn's score."""
    if not label_counts or not sum(label_counts) or not validation_rows:
        return False
    if at_chance(label_counts, best, margin=1 / validation_rows):
        return True
    noise = two_standard_errors(max(label_counts) / sum(label_counts), validation_rows)
    return best.validation_loss >= _shares_loss(label_counts) and at_chance(label_counts, best, margin=noise)


def two_standard_errors(share: float, rows: int) -> float:
    """How far a share of `rows` rows (an accuracy) may move by chance alone: two standard errors."""
    share = min(max(share, 0.0), 1.0)
    return 2 * math.sqrt(share * (1 - share) / max(rows, 1))


def at_chance(label_counts: list[int], best: EpochRecord, *, margin: float) -> bool:
    """Whether the best epoch scored no more than `margin` above always answering the commonest
    training label, in accuracy and in macro-F1 (a validation row: `learnt_nothing`'s first rule)."""
    commonest = max(label_counts) / sum(label_counts)
    # What answering the commonest label, or guessing, scores: its macro-F1 is that label's F1 (2p /
    # (1 + p)) over the labels, a guess's about one over them.
    chance_f1 = max(1 / len(label_counts), 2 * commonest / (1 + commonest) / len(label_counts))
    return best.validation_accuracy <= commonest + margin and best.validation_macro_f1 <= chance_f1 + margin


def _shares_loss(label_counts: list[int]) -> float:
    """The cross-entropy of answering every row with the training labels' shares (their entropy)."""
    total = sum(label_counts)
    return -sum(count / total * math.log(count / total) for count in label_counts if count)


def refit_due(refit_epochs: int | None, validation_digest: str | None) -> bool:
    """Whether a run refits: train.refit_epochs asks for it and the validation rows were held out of
    train (`validation_digest` records them; a validation split of the data's own is not trained on)."""
    return bool(refit_epochs) and bool(validation_digest)


def nothing_to_refit(label_counts: list[int], validation_rows: int, best: EpochRecord) -> bool:
    """Whether the best epoch scored at chance (within a validation row) and its validation loss is
    no better than answering every row with the training labels' shares: one
    row of 15 is 6.7 points, and a model a row above chance there may still have learnt something,
    which its loss then shows."""
    if (
        not sum(label_counts)
        or not validation_rows
        or not at_chance(label_counts, best, margin=1 / validation_rows)
    ):
        return False
    return best.validation_loss >= PRIOR_LOSS_SHARE * _shares_loss(label_counts)


# Of the loss of answering the label shares, the least a model that learnt nothing is taken to
# reach (noise on a small validation split).
PRIOR_LOSS_SHARE = 0.98


def split_sizes_change(metrics: dict[str, Any], train_size: int, validation_size: int) -> str | None:
    """How the training and validation split sizes differ from those a run's metrics.json recorded
    ("405 training and 45 validation texts now, 361 and 39 then"), or None (the same, or unknown)."""
    then = (metrics.get("train_size"), metrics.get("validation_size"))
    if not all(isinstance(size, int) and size > 0 for size in then) or then == (train_size, validation_size):
        return None
    now = f"{train_size:,} training and {validation_size:,} validation texts now"
    return f"{now}, {then[0]:,} and {then[1]:,} then"
