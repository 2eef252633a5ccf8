"""--quiet: whether a command says only its warnings and errors on standard error, for a scheduled
job whose log should hold what needs a person (its results still go to standard output)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

_quiet = False


def is_quiet() -> bool:
    """Whether notes, stages and progress are left unsaid."""
    return _quiet


def said_under_quiet(message: str) -> bool:
    """Whether `message` is said: always a warning or an error, anything else unless quiet."""
    return not _quiet or message.lstrip().startswith(("warning:", "error:"))


@contextlib.contextmanager
def quietened(quiet: bool) -> Iterator[None]:
    """The block with --quiet as given, put back afterwards (a command run in-process, in a test or a
    notebook, leaves the next one as it was)."""
    global _quiet
    before, _quiet = _quiet, quiet
    try:
        yield
    finally:
        _quiet = before


@contextlib.contextmanager
def logged_notes_unshown() -> Iterator[None]:
    """The block's notes logged for the Python API (`reporter.log_note`) kept from Python's last-resort
    handler, which prints a warning where no handler is set up: a command says each note itself, and
    eval said each of its warnings twice, the first bare (a support lead's trial)."""
    logger = logging.getLogger("attncli")
    held = logging.NullHandler()
    logger.addHandler(held)
    try:
        yield
    finally:
        logger.removeHandler(held)
