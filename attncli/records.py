"""A record of the texts `attn predict` and `attn inspect` read (its number, its text, a data file's
whole row) and the RecordSource that hands records on in chunks, whatever the input; the record of
one value of a text column, and whether an input file came from Windows tools."""

from __future__ import annotations

import codecs
import json
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attncli.encodings import is_utf8
from attncli.errors import DataError

# Records handed on at a time from a file: enough to batch well, few enough to keep memory flat.
CHUNK_RECORDS = 2048


@dataclass(frozen=True)
class Record:
    index: int
    """0-based number of the record in its input."""
    text: str | None
    """None when a dataset row has no text (a null, a number, a missing field)."""
    fields: dict[str, Any] = field(default_factory=dict)
    """The whole row of a dataset file (its text column included), as read; empty for plain text."""
    not_text: str | None = None
    """What the text column held instead of a text (a number, true), shown, where it held one."""

    @property
    def has_text(self) -> bool:
        """Whether there is a text to label: not none, not blank (`is_blank`)."""
        return self.text is not None and not is_blank(self.text)


# What a text of nothing else is blank for, a policy of what shows nothing to read: whitespace,
# control and format characters (zero-width space and joiner, bidirectional marks, soft hyphen,
# byte-order mark), marks with no letter to sit on (an emoji's variation selector, a keycap's
# enclosing mark), skin tones alone, and the letters that show as blanks, which posts use to look
# empty (the Hangul fillers, the blank braille pattern). The tokenizer drops some of them and reads
# others as an unknown word. A post of a zero-width space got a label at 57% (a trial) where one of
# spaces got none; training refuses both alike.
_BLANK_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})
_SKIN_TONES = range(0x1F3FB, 0x1F400)
# Letters that draw nothing: the Hangul fillers and the blank braille pattern (inspect shows them too).
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


# A terminal's escape sequences, which tools that colour their output leave in text piped on (`grep
# --color=always`, a logger's levels, `tput sgr0`): ESC alone was a control character made a space,
# and the rest joined the next word (`\x1b[31mOOMKilled` was `[`, `31mOOMKilled`, unknown: an SRE's
# trial). A CSI sequence (colours, erasing a line), an OSC one (a window title, a link) ended by BEL
# or ESC \, or ESC, intermediate bytes and a final one (`\x1b(B`, `\x1b7`). ESC first, then what
# follows it: as fast as the control characters alone. One pattern for Python and for the tokenizer's
# normaliser (which saves it in tokenizer.json): a text of them alone has nothing to read.
TERMINAL_ESCAPES = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[ -/]*[0-~])?"
TERMINAL_ESCAPE = re.compile(TERMINAL_ESCAPES)


def is_blank(text: str) -> bool:
    """Whether `text` holds nothing to read: only whitespace, the invisible characters above and
    a terminal's escape sequences."""
    if "\x1b" in text:
        text = TERMINAL_ESCAPE.sub("", text)
    # Most texts begin with a letter once stripped: the loop stops at their first character.
    for character in text.strip():
        if character.isascii():
            if character <= " " or character == "\x7f":  # spaces and control characters (NUL)
                continue
            return False
        if not (
            character.isspace()
            or unicodedata.category(character) in _BLANK_CATEGORIES
            or ord(character) in _SKIN_TONES
            or character in BLANK_LETTERS
        ):
            return False
    return True


def carried_fields(fields: dict[str, Any], text: str | None, text_column: str | None) -> dict[str, Any]:
    """A row's columns as `--json` carries them beside its "text": the text column left out, unless
    its value was no text (a number), so nothing of the row is lost. A csv's empty cell is the
    missing text itself ("text": null)."""
    return {
        key: value
        for key, value in fields.items()
        if key != text_column
        or (value not in (None, "") and ((read := text_of(value)) is None or read != text))
    }


@dataclass
class RecordSource:
    """Where records come from, and in which chunks they become available."""

    name: str
    """For messages: the file, "standard input" or "arguments"."""
    chunks: Iterator[list[Record]]
    columns: list[str] = field(default_factory=list)
    """A dataset file's columns in order (empty for plain text)."""
    written_columns: list[str] | None = None
    """The columns as the file's header writes them, where `columns` names some apart (a csv's
    empty header cells, 'Unnamed: 5'), for a csv written from it to head them as the user did."""
    text_column: str | None = None
    streaming: bool = False
    """Records are handed on as they arrive (standard input), not in full chunks."""
    count: Callable[[], int | None] | None = None
    """How many records there are, where a quick pass can tell, counted only when asked (for the end
    of a progress bar, which is drawn only on a terminal)."""
    byte_order_mark: bool = False
    """Input from Windows tools: a file that opens with a byte-order mark (Excel's "CSV UTF-8",
    PowerShell's UTF-16), or input in another encoding than UTF-8 (Excel's cp1252 "CSV"). A csv
    written from it opens with a UTF-8 mark, without which Excel reads UTF-8 as cp1252 and garbles
    every accent."""
    delimiter: str | None = None
    """A .csv file's delimiter (`;` in an Excel export of many locales), which a csv file written
    from it keeps, so that the same spreadsheet opens it in columns."""
    notes: list[str] = field(default_factory=list)
    """What the reader decided on its own (a delimiter, a column found by a looser name), for the user."""


def in_chunks(records: Iterable[Record], size: int = CHUNK_RECORDS) -> Iterator[list[Record]]:
    """`records` in lists of `size`; the records read before one that cannot be read (a byte that
    is not in the encoding) are handed on before the error, so each of them gets its result."""
    chunk: list[Record] = []
    try:
        for record in records:
            chunk.append(record)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    except DataError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def is_pipe(path: Path) -> bool:
    """A pipe or a terminal: something read once, from start to end."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def from_windows(path: Path, encoding: str) -> bool:
    """Whether a file came from Windows tools, whose csv output Excel opens: it opens with a
    byte-order mark, or it is in another encoding than UTF-8 (see RecordSource.byte_order_mark)."""
    if not is_utf8(encoding):
        return True
    if is_pipe(path):
        return False  # read once, by the reader
    with path.open("rb") as start:
        return start.read(4).startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def is_missing(value: Any) -> bool:
    """None, a NaN of any float type (Python's, numpy's), or pandas' NA: what a missing cell becomes."""
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, dict)):
        return False
    try:
        return bool(value != value)  # only NaN differs from itself
    except (TypeError, ValueError):  # pandas' NA has no truth value; an array has none either
        return type(value).__name__ == "NAType"


def record_of(index: int, value: Any) -> Record:
    """The record of one value of a text column: a text, a missing one (None, or NaN, as pandas
    writes a missing cell), or a value of another kind, which gets no label."""
    return Record(index=index, text=text_of(value), not_text=not_text(value))


def text_of(value: Any) -> str | None:
    """The text of a text column's value: a string, or bytes that are UTF-8 (a parquet column of
    binary type, as Spark writes strings unless told otherwise; training reads them alike)."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def not_text(value: Any) -> str | None:
    """A value of the text column that is neither a text nor missing, shown as the file wrote it."""
    if isinstance(value, str) or is_missing(value) or text_of(value) is not None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return "bytes that are not UTF-8"
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # a numpy number: as Python's
        value = value.item()
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        shown = repr(value)
    return shown if len(shown) <= 40 else shown[:39] + "…"
