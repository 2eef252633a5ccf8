"""The Python API's reporters: what `attn train` prints, as records of the `attncli` logger."""

from __future__ import annotations

import logging

import pytest

from attncli.reporter import LoggingReporter, log_note


@pytest.mark.parametrize("say", [LoggingReporter().stage, log_note])
def test_notes_and_warnings_are_logged_at_their_level_without_the_prefix_the_level_says(
    say, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="attncli"):
        say("warning: the model never predicts sport")
        say("note: no refit, as the run is gone")
        say("train / validation texts: 1,603 / 178")
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == [
        (logging.WARNING, "the model never predicts sport"),
        (logging.INFO, "no refit, as the run is gone"),
        (logging.INFO, "train / validation texts: 1,603 / 178"),
    ]
    assert {record.name for record in caplog.records} == {"attncli"}
