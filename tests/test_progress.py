"""Training's progress on standard error where there is no terminal to draw a bar on."""

import pytest

from attncli.history import EpochRecord
from attncli.progress import ProgressReporter, _duration


def test_without_a_terminal_an_epoch_says_how_far_it_is_now_and_then(capsys):
    clock = iter([100.0, 100.5, 161.0, 161.5, 162.0, 230.0])  # epoch_start, then each step's "now"
    reporter = ProgressReporter(clock=lambda: next(clock))
    reporter.epochs = 4
    reporter.epoch_start(2, 1_200, done=200)  # resumed after step 200 of the epoch
    assert reporter.bar is not None and reporter.bar.disable  # capsys is no terminal
    reporter.step(tokens=5_000, loss=0.9)  # at 100.5 s: under a minute, no line
    reporter.step(tokens=5_000, loss=None)  # at 161 s: a line; the loss last read
    reporter.step(tokens=5_000, loss=0.7)  # at 161.5 s: the next line is a minute away
    reporter.step(tokens=5_000, loss=0.6)  # at 162 s
    reporter.step(tokens=5_000, loss=0.5)  # at 230 s: a line
    lines = capsys.readouterr().err.splitlines()
    # Time left: the steps left at this session's pace (998 x 61 s / 2 steps; 995 x 130 s / 5 steps).
    assert lines == [
        "epoch 2/4: step 202 of 1,200 (17%), loss 0.9000, 164 tokens/s, about 8 h 27 min to the end of "
        "the epoch",
        "epoch 2/4: step 205 of 1,200 (17%), loss 0.5000, 192 tokens/s, about 7 h 11 min to the end of "
        "the epoch",
    ]


def test_a_refit_epoch_shows_its_progress_as_a_training_epoch_does(capsys):
    """A refit epoch of long texts (84 s) was silent from end to end: no bar, no line a minute."""
    clock = iter([10.0, 75.0, 80.0])
    reporter = ProgressReporter(clock=lambda: next(clock))
    reporter.epochs = 20
    reporter.refit_epoch_start(1, 2, 300)
    reporter.step(tokens=1_000, loss=0.4)  # at 75 s: a line
    reporter.step(tokens=1_000, loss=0.3)  # at 80 s: the next is a minute away
    reporter.refit_epoch_end("refit epoch 1/2: train loss 0.3500 (84.0 s)")
    assert reporter.bar is not None and reporter.bar.disable
    assert capsys.readouterr().err.splitlines() == [
        "refit epoch 1/2: step 1 of 300 (0%), loss 0.4000, 15 tokens/s, about 5 h 24 min to the end of the "
        "epoch",
        "refit epoch 1/2: train loss 0.3500 (84.0 s)",
    ]


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(40, "40 s"), (89.4, "89 s"), (720, "12 min"), (5_340, "89 min"), (7_500, "2 h 5 min")],
)
def test_durations_are_said_as_a_person_would(seconds, said):
    assert _duration(seconds) == said


def _record(epoch: int, seconds: float) -> EpochRecord:
    return EpochRecord(epoch, 0.5, 0.6, 0.8, 0.75, seconds, 1_000.0)


def test_an_epoch_line_says_how_long_the_epochs_left_would_take_where_that_is_long(capsys):
    """A run of 300k texts said how long its current epoch had left, never when the run would end."""
    reporter = ProgressReporter()
    reporter.epochs, reporter.patience = 5, 3
    reporter.epoch_end(_record(1, 400.0))  # a slow first epoch
    reporter.epoch_end(_record(2, 200.0))
    reporter.epoch_end(_record(3, 210.0))
    reporter.epoch_end(_record(5, 205.0))  # the last: nothing left
    lines = capsys.readouterr().err.splitlines()
    suffixes = [line.partition(" tokens/s)")[2] for line in lines]
    # 4 epochs left at 400 s; 3 left at the median of 400 and 200 (300 s); 2 at 210 s; none.
    assert suffixes == [
        "; about 27 min to epoch 5, unless early stopping ends the run sooner",
        "; about 15 min to epoch 5, unless early stopping ends the run sooner",
        "; about 7 min to epoch 5, unless early stopping ends the run sooner",
        "",
    ]


def test_a_short_run_or_one_without_early_stopping_says_no_more_than_it_should(capsys):
    reporter = ProgressReporter()
    reporter.epochs, reporter.patience = 20, 3
    reporter.epoch_end(_record(1, 3.0))  # 19 epochs of 3 s: under a minute, not said
    reporter.patience = 0
    reporter.epoch_end(_record(2, 30.0))  # no early stopping: the ceiling is when the run ends
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].endswith("tokens/s)")
    assert lines[1].endswith("tokens/s); about 5 min to epoch 20")  # 18 x the median, 16.5 s


def test_training_tells_the_reporter_its_patience(tmp_path):
    """The epoch line's 'unless early stopping ends the run sooner' rests on it."""
    from conftest import TINY_MODEL, StageRecorder, make_rows, write_csv

    from attncli.config_loading import load_config
    from attncli.train import train

    class Started(StageRecorder):
        def start(self, info):
            self.patience = info.patience

    path = write_csv(tmp_path / "d.csv", make_rows(60))
    reporter = Started()
    train(
        load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1", "train.patience=2"]),
        output=tmp_path / "run",
        reporter=reporter,
    )
    assert reporter.patience == 2
