"""What the standard streams can hold. Where their encoding cannot hold every character
(PYTHONIOENCODING=latin-1, an ASCII locale with Python's UTF-8 mode off), tables and messages show
such characters as '?' and JSON escapes them, where printing one failed halfway through the output."""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from attncli.errors import DISK_FULL, DataError, why_unwritten

REPLACE = "attn-replace"
_replaced: list[str] = []  # the first encoding that could not hold a character written to it


# Bidirectional embeddings, overrides and isolates: they would reorder the rest of the line.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def acts_on_terminal(char: str) -> bool:
    """Control characters (C0, C1: escapes, carriage returns, line breaks), line and paragraph
    separators, lone surrogates and bidi controls; not the format characters that shape text, such
    as the zero-width joiner of an emoji sequence or the non-joiner of a Persian word."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") or char in BIDI_CONTROLS


def safe_text(text: str, *, keep: str = "") -> str:
    """`text` with each character a terminal would act on rather than show (an escape sequence, a
    carriage return, a line break unless in `keep`) as a space, and a lone surrogate (which no
    terminal can be sent) as U+FFFD, as JSON output shows it: character for character, so token
    offsets still point at the same places."""
    if text.isprintable():  # no control, separator, format or surrogate character: the common case
        return text
    return "".join(_shown_character(char) if char not in keep else char for char in text)


def _shown_character(char: str) -> str:
    if not acts_on_terminal(char):
        return char
    return "\ufffd" if unicodedata.category(char) == "Cs" else " "


def one_line(message: str) -> str:
    """`message` with each character a terminal would act on escaped as Python writes it (`\\n`,
    `\\u202e`), so that a file name holding a line break or a bidi control stays visible and on
    one line."""
    return "".join(
        char.encode("unicode_escape").decode("ascii") if acts_on_terminal(char) else char for char in message
    )


def writes_unicode(stream: IO[str] | Any) -> bool:
    """Whether `stream`'s encoding holds every character (a UTF encoding)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name.startswith("utf")
    except LookupError:
        return False


def _replace(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    if not _replaced:  # the note names one encoding: keep no more than that
        _replaced.append(error.encoding)
    return "?" * (error.end - error.start), error.end


def tolerate_narrow_encodings() -> None:
    """Make standard output and error write '?' for what their encoding cannot hold."""
    codecs.register_error(REPLACE, _replace)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not writes_unicode(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=REPLACE)


def usable_terminal_size() -> None:
    """Forget a COLUMNS or LINES that is not a positive number (some CI runners export COLUMNS=0):
    rich takes it as the width and prints nothing at all."""
    for name in ("COLUMNS", "LINES"):
        value = os.environ.get(name)
        if value is not None and not (value.strip().isdigit() and int(value) > 0):
            del os.environ[name]


def reopen_closed_streams() -> bool:
    """Give each standard stream the command was started without (`<&-`, `>&-`, `2>&-`) /dev/null as
    its descriptor, which a file attn opens would otherwise take, and then receive what was meant
    for the stream: closed input reads as empty, closed error goes nowhere. Returns whether standard
    output was closed, which the command refuses: its results would be lost. Closed input is
    refused where the command reads its texts there (`input_closed`)."""
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 (for the whole command)
        _CLOSED_INPUT.append(sys.stdin)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stdout is None:
        os.open(os.devnull, os.O_WRONLY)  # the lowest free descriptor: 1
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (guarded as closed, below)
        _CLOSED.append(sys.stdout)
        return True
    return False


# Standard input as the command was started without it (`<&-`).
_CLOSED_INPUT: list[IO[str]] = []


def input_closed() -> bool:
    """Whether the command was started with standard input closed (`<&-`): where it reads its texts
    there, an ops trial's script that lost its texts read none and reported success, exit 0."""
    return bool(_CLOSED_INPUT) and sys.stdin is _CLOSED_INPUT[0]


# What a command says where standard output was closed (`>&-`) and results would go there.
CLOSED_OUTPUT = "standard output is closed (>&-); redirect it to a file or /dev/null"
# Standard output as the command was started without it (`>&-`): guard_standard_streams makes its
# first write an error, so a command whose results go to a file (predict -o) still runs.
_CLOSED: list[IO[str]] = []


def replacement_note() -> str | None:
    """One line for the end of a command that wrote '?' for characters its output could not hold."""
    if not _replaced:
        return None
    return (
        f"note: some characters were written as '?', which the output's encoding ({_replaced[0]}) "
        "cannot hold; set PYTHONIOENCODING=utf-8 to keep them (the files attn writes are always UTF-8)"
    )


class _MessagesDescriptor(io.RawIOBase):
    """Standard error's descriptor, for messages: a write it cannot take (a full disk under `2>log`,
    a descriptor closed under the command) is dropped. Failing on it stopped a training at its first
    progress line, and ended a predict that had written every result with exit status 1."""

    def __init__(self, descriptor: int, name: str) -> None:
        super().__init__()
        self.descriptor, self.name = descriptor, name

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.descriptor

    def isatty(self) -> bool:
        try:
            return os.isatty(self.descriptor)
        except OSError:
            return False

    def write(self, data: Any) -> int:
        try:
            return os.write(self.descriptor, data)
        except OSError:
            return len(data)


class _ResultsDescriptor(_MessagesDescriptor):
    """Standard output's descriptor (or standard error's, named as `-o /dev/stderr`), for results: a
    write it cannot take is an error that says so (exit status 2), where it was an unexpected OSError
    (1); a reader gone away is still a broken pipe. Once failed, it takes nothing more, so a later
    flush does not fail again."""

    failed = False

    def __init__(self, descriptor: int, name: str, shown: str = "standard output") -> None:
        super().__init__(descriptor, name)
        self.shown = shown

    def write(self, data: Any) -> int:
        if self.failed or not data:  # click probes a stream with an empty write, which /dev/full refuses
            return len(data)
        try:
            return os.write(self.descriptor, data)
        except BrokenPipeError:
            raise
        except OSError as error:
            self.failed = True
            if error.errno in DISK_FULL:  # in the words of every other failed write
                reason, remedy = why_unwritten(error, Path.cwd())
                advice = remedy if error.errno == errno.EFBIG else f"{remedy}, or send it elsewhere"
            else:
                reason, advice = error.strerror or str(error), "check where it is redirected"
            raise DataError(f"could not write {self.shown} ({reason}); {advice}") from None


class _ClosedResultsDescriptor(_ResultsDescriptor):
    """Standard output the command was started without (`>&-`): results written there would be lost,
    so the first one is an error; a command that writes none (predict -o FILE) is not refused."""

    def write(self, data: Any) -> int:
        if self.failed or not data:
            return len(data)
        self.failed = True
        raise DataError(CLOSED_OUTPUT)


def guard_standard_streams() -> None:
    """Standard output and error, as they are (encoding, error handling, buffering), written through
    descriptors that turn a failed write into an error that says so (output) or nothing (messages)."""
    for name, kind in (("stdout", _ResultsDescriptor), ("stderr", _MessagesDescriptor)):
        stream = getattr(sys, name)
        try:
            descriptor = stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a real stream (io.StringIO, a test's capture)
            continue
        stream.flush()
        closed = name == "stdout" and stream in _CLOSED
        raw = (_ClosedResultsDescriptor if closed else kind)(descriptor, f"<{name}>")
        # Unbuffered as it was (python -u, PYTHONUNBUFFERED: no BufferedWriter below the text), or
        # training's progress lines waited in a buffer until the end.
        unbuffered = not isinstance(getattr(stream, "buffer", None), io.BufferedIOBase)
        guarded = io.TextIOWrapper(
            raw if unbuffered else io.BufferedWriter(raw),
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=stream.write_through or unbuffered,
        )
        _GUARDED.append(stream)  # the stream it replaces keeps the descriptor open: it must not close it
        setattr(sys, name, guarded)


_GUARDED: list[IO[str]] = []


def results_on_standard_error() -> IO[str]:
    """Results written to standard error's own descriptor (`-o /dev/stderr`), in UTF-8 as every file
    attn writes, failing as standard output's do where messages' writes are dropped."""
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # not a real stream: the results go where it goes
        return sys.stderr
    sys.stderr.flush()
    raw = _ResultsDescriptor(descriptor, "<stderr>", shown="standard error")
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", newline="")


def flush_quietly() -> None:
    """Flush standard output where its failure was already said, or cannot be said any more (the
    command ends): the interpreter's own flush at exit printed a traceback."""
    with contextlib.suppress(DataError, OSError):
        sys.stdout.flush()


@contextlib.contextmanager
def in_utf8(stream: IO[str]) -> Iterator[IO[str]]:
    """`stream`, or where its encoding cannot hold every character (PYTHONIOENCODING=ascii, a C
    locale without UTF-8 mode), its bytes written as UTF-8: a csv on standard output is data for
    a program, and was written with '?' for every accent, exit 0, where -o FILE writes UTF-8."""
    buffer = getattr(stream, "buffer", None)
    if writes_unicode(stream) or buffer is None:
        yield stream
        return
    stream.flush()
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    try:
        yield wrapper
    finally:
        wrapper.flush()
        wrapper.detach()  # standard output stays open for what follows
