"""What training tells whoever watches it: the run about to start, each step, each epoch. The loop
only calls a `Reporter`; progress.py draws bars, `SilentReporter` says nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from attncli.history import EpochRecord


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

    @property
    def hardware_text(self) -> str:
        """ "cpu fp32", and how many processes where there are several."""
        processes = f" x {self.processes} processes" if self.processes > 1 else ""
        return f"{self.device} {self.precision}{processes}"

    @property
    def parameters_text(self) -> str:
        """ "165,127 parameters", with how many train where some are frozen."""
        frozen = self.trainable_parameters is not None and self.trainable_parameters < self.num_parameters
        trainable = f" ({self.trainable_parameters:,} trainable)" if frozen else ""
        return f"{self.num_parameters:,} parameters{trainable}"


class Reporter(Protocol):
    def stage(self, message: str) -> None: ...
    def start(self, info: RunInfo) -> None: ...
    def epoch_start(self, epoch: int, num_batches: int, *, done: int = 0) -> None: ...
    def step(self, *, tokens: int, loss: float | None) -> None: ...
    def epoch_end(self, record: EpochRecord) -> None: ...


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
