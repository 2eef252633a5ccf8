"""What training tells whoever watches it: the run about to start, each step, each epoch. The loop
only calls a `Reporter`; progress.py draws bars, `LoggingReporter` (the Python API's, unless it is
given one) writes to the `attncli` logger, `SilentReporter` says nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from attncli.history import EpochRecord

if TYPE_CHECKING:
    from attncli.train import TrainResult


@dataclass(frozen=True)
class RunInfo:
    """What is about to be trained, told to the reporter before the first step."""

    train_size: int
    validation_size: int
    label_names: list[str]
    vocab_size: int
    num_parameters: int
    device: str
    precision: str
    epochs: int
    """The ceiling: early stopping may end the run sooner."""
    label_counts: list[int] | None = None
    """Training rows of each label, in label order."""
    trainable_parameters: int | None = None
    """Those the optimizer updates (fewer with model.freeze_embeddings); None: all of them."""
    processes: int = 1
    """How many processes share each batch (`--nproc`)."""
    class_weights: list[float] | None = None
    """The loss weight of each label, in label order (train.class_weights resolved); None: all 1."""
    patience: int = 0
    """Epochs without improvement that end the run (train.patience as sized); 0: no early stopping."""
    threads: int = 0
    """torch's threads in each process (--threads), shown for the CPU; 0: not known."""

    @property
    def hardware_text(self) -> str:
        """ "cpu fp32, 2 threads" (the threads on the CPU, which order its sums: a run repeats on as
        many), and how many processes where there are several."""
        processes = f" x {self.processes} processes" if self.processes > 1 else ""
        on_cpu = self.threads and self.device == "cpu"
        threads = f", {self.threads} thread{'s' * (self.threads != 1)}" if on_cpu else ""
        return f"{self.device} {self.precision}{processes}{threads}"

    @property
    def summary_text(self) -> str:
        """One line: the data, the labels, the vocabulary, the model's size, where it trains."""
        return (
            f"{self.train_size:,} train / {self.validation_size:,} validation texts, "
            f"{len(self.label_names):,} labels, vocabulary {self.vocab_size:,}, "
            f"{self.parameters_text}, {self.hardware_text}"
        )

    @property
    def parameters_text(self) -> str:
        """ "165,127 parameters", with how many train where some are frozen."""
        frozen = self.trainable_parameters is not None and self.trainable_parameters < self.num_parameters
        trainable = f" ({self.trainable_parameters:,} trainable)" if frozen else ""
        return f"{self.num_parameters:,} parameters{trainable}"


class Reporter(Protocol):
    """What a run says as it goes. Three methods are optional, each on its own, so that reporters
    written before them still work: with `refit_epoch_start(epoch, epochs, num_batches)`, the
    refit's steps (attncli/refit.py) come to `step` as training's do; with `refit_epoch_end(text)`,
    each refit epoch's line comes there rather than to `stage`; with `finished(result)`, the
    finished run's TrainResult comes there, and without it the warnings `attn train` prints beside
    its summary come to `stage`, each starting "warning:"."""

    def stage(self, message: str) -> None: ...
    def start(self, info: RunInfo) -> None: ...
    def epoch_start(self, epoch: int, num_batches: int, *, done: int = 0) -> None: ...
    def step(self, *, tokens: int, loss: float | None) -> None: ...
    def epoch_end(self, record: EpochRecord) -> None: ...


REPORTER_METHODS = ("stage", "start", "epoch_start", "step", "epoch_end")


def require_reporter(reporter: object) -> None:
    """Refuse, before a run starts, a reporter without Reporter's methods: one with `epoch_end`
    alone failed minutes in, with "'OnlyEpochs' object has no attribute 'stage'" (a notebook user's
    trial)."""
    from attncli.errors import ArgumentError

    if reporter is None:
        return
    missing = [name for name in REPORTER_METHODS if not callable(getattr(reporter, name, None))]
    if missing:
        raise ArgumentError(
            f"reporter {type(reporter).__name__} has no {', '.join(missing)}: a reporter has Reporter's "
            f"methods {', '.join(REPORTER_METHODS)}; subclass attncli.reporter.SilentReporter, which has "
            "them all doing nothing, and write those you want"
        )


class SilentReporter:
    """A reporter that says nothing (tests, library use)."""

    def stage(self, message: str) -> None:
        pass

    def start(self, info: RunInfo) -> None:
        pass

    def epoch_start(self, epoch: int, num_batches: int, *, done: int = 0) -> None:
        pass

    def step(self, *, tokens: int, loss: float | None) -> None:
        pass

    def epoch_end(self, record: EpochRecord) -> None:
        pass

    def refit_epoch_start(self, epoch: int, epochs: int, num_batches: int) -> None:
        pass

    def refit_epoch_end(self, text: str) -> None:
        pass


def epoch_text(record: EpochRecord, epochs: int) -> str:
    """An epoch's line: its losses, validation accuracy and macro-F1, time and speed."""
    return (
        f"epoch {record.epoch}/{epochs}: train loss {record.train_loss:.4f}, "
        f"validation loss {record.validation_loss:.4f}, "
        f"accuracy {100 * record.validation_accuracy:.1f}%, "
        f"macro-F1 {100 * record.validation_macro_f1:.1f}% ({record.seconds:.1f} s, "
        f"{record.tokens_per_second:,.0f} tokens/s)"
    )


def log_note(message: str, logger: logging.Logger | None = None) -> None:
    """A note or warning the commands print, as a record of the `attncli` logger, for the Python
    API: a warning at WARNING, the rest at INFO, without the prefix the record's level says (a
    caller's logging format that shows the level would print "WARNING:attncli:warning: ...")."""
    logger = logger or logging.getLogger("attncli")
    if message.startswith("warning: "):
        logger.warning("%s", message.removeprefix("warning: "))
    else:
        logger.info("%s", message.removeprefix("note: "))


class LoggingReporter(SilentReporter):
    """What `attn train` prints, as records of the `attncli` logger: its warnings at WARNING, which
    Python shows on standard error where the program sets up no logging (a notebook, a script), and
    the rest (the sizing line, notes, each epoch) at INFO; steps and the start of epochs, silent. A
    Python API caller that passed no reporter got none of the warnings the command prints (a model
    that never learns two labels)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("attncli")
        self.epochs = 0

    def stage(self, message: str) -> None:
        log_note(message, self.logger)

    def start(self, info: RunInfo) -> None:
        self.epochs = info.epochs
        self.logger.info("%s", info.summary_text)

    def epoch_end(self, record: EpochRecord) -> None:
        self.logger.info("%s", epoch_text(record, self.epochs))

    def refit_epoch_end(self, text: str) -> None:
        self.logger.info("%s", text)

    def finished(self, result: TrainResult) -> None:
        """The warnings `attn train` prints beside its summary: a best epoch that learnt nothing, labels
        it never recognised."""
        from attncli.render.training import summary_warnings

        for warning in summary_warnings(result):
            self.stage(warning)
