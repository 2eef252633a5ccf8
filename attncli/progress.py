"""Progress on standard error: for training, a tqdm bar per epoch (loss and tokens/s) and a line
per epoch, so logs of non-interactive runs still show how training went, with a line a minute
within an epoch where there is no bar; for eval and predict, a bar through the texts on a terminal
once the work has taken a second."""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from tqdm import tqdm

from attncli.history import EpochRecord
from attncli.reporter import RunInfo, epoch_text
from attncli.streams import one_line
from attncli.verbosity import is_quiet, said_under_quiet

if TYPE_CHECKING:
    from attncli.train import TrainResult

# Where standard error is no terminal (a log file, `nohup`, CI), there is no bar: a line this often
# says how far the epoch is instead (a 25-minute epoch of long texts was silent from end to end).
PROGRESS_LINE_SECONDS = 60.0

# The epochs left are said at the end of an epoch where they would take at least this long: a run
# of 300k texts said only how long the current epoch had left, not when the run would end.
RUN_LEFT_SECONDS = 60.0


def _duration(seconds: float) -> str:
    """About how long: "40 s", "12 min", "2 h 5 min"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


class ProgressReporter:
    def __init__(self, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock  # seconds, for the lines' pace and time left
        self.epochs = 0
        self.patience = 0
        self.bar: tqdm | None = None
        self.tokens = 0
        self.started = 0.0
        self.num_batches, self.done, self.steps = 0, 0, 0
        self.title = ""  # "epoch 3/20", or "refit epoch 1/4"
        self.loss: float | None = None
        self.next_line = 0.0
        self.epoch_seconds: list[float] = []  # the training epochs this process ran, for the run's end

    def stage(self, message: str) -> None:
        if said_under_quiet(message):  # it names files and folders: on one line, escaped
            tqdm.write(one_line(message), file=sys.stderr)

    def finished(self, result: TrainResult) -> None:
        """Nothing: `attn train` prints the run's warnings beside its summary."""

    def start(self, info: RunInfo) -> None:
        self.epochs, self.patience = info.epochs, info.patience
        if not is_quiet():
            tqdm.write(one_line(info.summary_text), file=sys.stderr)

    def epoch_start(self, epoch: int, num_batches: int, *, done: int = 0) -> None:
        self._begin(f"epoch {epoch}/{self.epochs}", num_batches, done=done)

    def refit_epoch_start(self, epoch: int, epochs: int, num_batches: int) -> None:
        # A refit epoch of long texts was as long as a training epoch, and silent to its end.
        self._begin(f"refit epoch {epoch}/{epochs}", num_batches, done=0)

    def _begin(self, title: str, num_batches: int, *, done: int) -> None:
        # disable=None turns the bar off when standard error is not a terminal.
        self.bar = tqdm(
            total=num_batches, initial=done, desc=title, file=sys.stderr, disable=_off(), leave=False
        )
        self.tokens, self.started, self.title = 0, self.clock(), title
        self.num_batches, self.done, self.steps, self.loss = num_batches, done, 0, None
        self.next_line = self.started + PROGRESS_LINE_SECONDS

    def step(self, *, tokens: int, loss: float | None) -> None:
        self.tokens += tokens
        self.done, self.steps = self.done + 1, self.steps + 1
        self.loss = loss if loss is not None else self.loss
        if self.bar is None:
            return
        if self.bar.disable:
            self._progress_line()
            return
        self.bar.update(1)
        if loss is not None:
            elapsed = max(self.clock() - self.started, 1e-9)
            self.bar.set_postfix(loss=f"{loss:.4f}", tok_s=f"{self.tokens / elapsed:,.0f}", refresh=False)

    def _progress_line(self) -> None:
        """Now and then, where there is no bar: the epoch's step, loss, speed and time left."""
        now = self.clock()
        if now < self.next_line or self.done >= self.num_batches or is_quiet():
            return
        self.next_line = now + PROGRESS_LINE_SECONDS
        elapsed = max(now - self.started, 1e-9)
        left = (self.num_batches - self.done) * elapsed / self.steps
        loss = f", loss {self.loss:.4f}" if self.loss is not None else ""
        tqdm.write(
            f"{self.title}: step {self.done:,} of {self.num_batches:,} "
            f"({self.done / self.num_batches:.0%}){loss}, {self.tokens / elapsed:,.0f} tokens/s, about "
            f"{_duration(left)} to the end of the epoch",
            file=sys.stderr,
        )

    def epoch_end(self, record: EpochRecord) -> None:
        if self.bar is not None:
            self.bar.close()
        self.epoch_seconds.append(record.seconds)
        if not is_quiet():
            tqdm.write(epoch_text(record, self.epochs) + self._run_left(record.epoch), file=sys.stderr)

    def _run_left(self, epoch: int) -> str:
        """How long the epochs up to the ceiling would take at this run's pace (the median epoch this
        process ran: a first epoch may be slower), where that is long enough to plan around."""
        left = self.epochs - epoch
        if left <= 0 or not self.epoch_seconds:
            return ""
        seconds = left * statistics.median(self.epoch_seconds)
        if seconds < RUN_LEFT_SECONDS:
            return ""
        sooner = ", unless early stopping ends the run sooner" if self.patience else ""
        return f"; about {_duration(seconds)} to epoch {self.epochs}{sooner}"

    def refit_epoch_end(self, text: str) -> None:
        if self.bar is not None:
            self.bar.close()
        if not is_quiet():
            tqdm.write(text, file=sys.stderr)


T = TypeVar("T")


def _off() -> bool | None:
    """tqdm's `disable`: off under --quiet, else off where standard error is no terminal (None)."""
    return True if is_quiet() else None


@contextlib.contextmanager
def rows_progress() -> Iterator[Callable[[int, int], None]]:
    """An `on_batch(done, total)` that draws a bar through the rows, so that a long eval is not a
    silent wait."""
    bar: tqdm | None = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit=" texts", delay=1.0, leave=False, file=sys.stderr, disable=_off())
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
    if streaming or not sys.stderr.isatty() or is_quiet():
        yield from chunks
        return
    total = count() if count is not None else None
    with tqdm(total=total, unit=" texts", delay=1.0, leave=False, file=sys.stderr) as bar:
        for chunk in chunks:
            yield chunk
            bar.update(len(chunk))
