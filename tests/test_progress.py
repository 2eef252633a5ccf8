"""Training's progress on standard error where there is no terminal to draw a bar on."""

import pytest

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


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(40, "40 s"), (89.4, "89 s"), (720, "12 min"), (5_340, "89 min"), (7_500, "2 h 5 min")],
)
def test_durations_are_said_as_a_person_would(seconds, said):
    assert _duration(seconds) == said
