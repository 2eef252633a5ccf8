"""Progress on standard error: for training, a tqdm bar per epoch (loss and tokens/s) and a line
per epoch, so logs of non-interactive runs still show how training went; for eval and predict, a
bar through the texts on a terminal once the work has taken a second."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from tqdm import tqdm

from attncli.history import EpochRecord
from attncli.reporter import RunInfo


class ProgressReporter:
    def __init__(self) -> None:
        self.epochs = 0
        self.bar: tqdm | None = None
        self.tokens = 0
        self.started = 0.0

    def stage(self, message: str) -> None:
        tqdm.write(message, file=sys.stderr)

    def start(self, info: RunInfo) -> None:
        self.epochs = info.epochs
        tqdm.write(
            f"{info.train_size:,} train / {info.validation_size:,} validation texts, "
            f"{len(info.label_names)} labels, vocabulary {info.vocab_size:,}, "
            f"{info.parameters_text}, {info.hardware_text}",
            file=sys.stderr,
        )

    def epoch_start(self, epoch: int, num_batches: int) -> None:
        # disable=None turns the bar off when standard error is not a terminal.
        self.bar = tqdm(
            total=num_batches,
            desc=f"epoch {epoch}/{self.epochs}",
            file=sys.stderr,
            disable=None,
            leave=False,
        )
        self.tokens, self.started = 0, time.perf_counter()

    def step(self, *, tokens: int, loss: float | None) -> None:
        self.tokens += tokens
        if self.bar is None:
            return
        self.bar.update(1)
        if loss is not None:
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            self.bar.set_postfix(loss=f"{loss:.4f}", tok_s=f"{self.tokens / elapsed:,.0f}", refresh=False)

    def epoch_end(self, record: EpochRecord) -> None:
        if self.bar is not None:
            self.bar.close()
        tqdm.write(
            f"epoch {record.epoch}/{self.epochs}: train loss {record.train_loss:.4f}, "
            f"validation loss {record.validation_loss:.4f}, "
            f"accuracy {100 * record.validation_accuracy:.1f}%, "
            f"macro-F1 {100 * record.validation_macro_f1:.1f}% ({record.seconds:.1f} s, "
            f"{record.tokens_per_second:,.0f} tokens/s)",
            file=sys.stderr,
        )


T = TypeVar("T")


@contextlib.contextmanager
def rows_progress() -> Iterator[Callable[[int, int], None]]:
    """An `on_batch(done, total)` that draws a bar through the rows, so that a long eval is not a
    silent wait."""
    bar: tqdm | None = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=" texts", delay=1.0, leave=False, file=sys.stderr, disable=None)
        bar.update(done - bar.n)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.close()


def counted_chunks(
    chunks: Iterable[Sequence[T]], *, streaming: bool, count: Callable[[], int | None] | None = None
) -> Iterator[Sequence[T]]:
    """`chunks` as they come, counted on a bar while a file is read (not standard input, whose
    results stream out as they are read), towards the records `count` finds where it is given."""
    if streaming or not sys.stderr.isatty():
        yield from chunks
        return
    total = count() if count is not None else None
    with tqdm(total=total, unit=" texts", delay=1.0, leave=False, file=sys.stderr) as bar:
        for chunk in chunks:
            yield chunk
            bar.update(len(chunk))
