"""How a csv/tsv file is read, from its header line: the delimiter (an Excel export's `;`, said in a
note), and its quoting (`csv_quoting`). Reads only the header line, and the file again for quotes."""

from __future__ import annotations

import codecs
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from attncli.csv_quoting import quoting_of
from attncli.csv_rows import Quoting, shown
from attncli.encoding_guess import likely_encodings, likely_encodings_text
from attncli.encodings import is_wide
from attncli.errors import DataError
from attncli.textfiles import BOM, HEADER_BYTES

# The separators an export may use instead of the one its suffix promises, in order of preference.
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}


def suffix_delimiter(path: Path) -> str:
    """The delimiter a file's suffix promises: tab for .tsv, else a comma."""
    return "\t" if path.suffix.lower() == ".tsv" else ","


def header_line(path: Path, *, encoding: str) -> str:
    """The header line of `path` (its first line that is not blank), decoded, without its
    byte-order mark and line end."""
    with path.open("rb") as file:
        head = file.read(HEADER_BYTES)
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head)  # a character cut at the end waits
    except UnicodeDecodeError as error:
        text = head[: error.start].decode(encoding)
        if _ends_lines_with_lone_carriage_return(head.decode(encoding, errors="replace")):
            # Both to mend, the line ends first: "line 1" was the whole file, and the encoding its
            # error advised read it, to be refused for its line ends next (a Mac user's trial).
            raise DataError(_lone_carriage_returns_refusal(path, encoding, head)) from None
        if "\n" not in text:  # the bad byte is in the header line itself
            raise DataError(
                f"line 1 of {path} is not valid {encoding}; pass --encoding "
                "(data.encoding in a config file) with "
                f"the file's encoding{likely_encodings_text(head, besides=encoding)}"
            ) from None
    except UnicodeError as error:  # the file does not start as the encoding must (utf-16 without a BOM)
        raise DataError(
            f"{path} does not read as {encoding} ({error}); pass --encoding "
            "(data.encoding in a config file) with the "
            "file's encoding, for example utf-8"
        ) from None
    if _ends_lines_with_lone_carriage_return(text.removeprefix(BOM)):
        raise DataError(_lone_carriage_returns_refusal(path, encoding, None))
    lines = text.removeprefix(BOM).split("\n")
    # pandas skips blank lines (spaces alone included) above the header, and so do attn's own
    # readers (`header_row`).
    return next((line.removesuffix("\r") for line in lines if line.strip()), "")


MAC_CSV = '"CSV (Macintosh)"'
# Encodings iconv knows by other names than Python.
ICONV_NAMES = {"mac_roman": "macintosh"}


def _lone_carriage_returns_refusal(path: Path, encoding: str, undecoded: bytes | None) -> str:
    """The refusal of a csv file whose lines end with a carriage return alone; `undecoded`: its first
    bytes where they are not in `encoding` either, for both to be converted at once."""
    said = f"{path} ends its lines with a carriage return alone (as Excel for Mac's {MAC_CSV} writes them)"
    if undecoded is None:
        return (
            f"{said}; convert them to line feeds first, for example with {line_feeds_command(path, encoding)}"
        )
    found = likely_encodings(undecoded, besides=encoding)
    if not found:
        return (
            f"{said}, and is not {encoding}; convert its line ends and its encoding to utf-8 first (iconv -f "
            f"ENCODING -t utf-8 {shlex.quote(str(path))} | tr '\\r' '\\n' > {_converted(path)})"
        )
    codec, language = found[0]
    return (
        f"{said}, and is not {encoding} (its bytes read as text in {codec}, {language}); convert both first, "
        f"for example with iconv -f {ICONV_NAMES.get(codec, codec)} -t utf-8 {shlex.quote(str(path))} | "
        f"tr '\\r' '\\n' > {_converted(path)}, and read that without --encoding (it is utf-8)"
    )


def _converted(path: Path) -> str:
    return shlex.quote(f"{path.stem}-lf{path.suffix}")


# From the start of a file to its first line end that is not inside quotes, and that line end.
FIRST_LINE_END = re.compile(r'(?:"[^"]*"|[^"\r\n])*(\r\n?|\n)?')


def _ends_lines_with_lone_carriage_return(head: str) -> bool:
    """Whether the first line of `head` (a file's first bytes, decoded) ends with a carriage return
    alone. Not merely "no line feed anywhere": Excel for Mac keeps a line break typed in a cell as a
    line feed, in quotes, so a file of such line ends may hold line feeds all the same."""
    if "\r" in head and "\n" not in head:
        return True
    found = FIRST_LINE_END.match(head)
    assert found is not None  # the pattern matches the empty string
    # A carriage return that ends `head` may have its line feed just past what was read.
    return found.group(1) == "\r" and found.end() < len(head)


def line_feeds_command(path: Path, encoding: str) -> str:
    """A command that turns a file's lone carriage returns into line feeds: `tr` works on bytes, so
    a UTF-16/32 file (where it would change characters such as U+010D) goes through utf-8 first."""
    converted, quoted = _converted(path), shlex.quote(str(path))  # a Mac's `Sheet 1-Table 1.csv`
    if is_wide(encoding):
        name = codecs.lookup(encoding).name.replace("-le", "le").replace("-be", "be")  # as iconv knows it
        return (
            f"iconv -f {name} -t utf-8 {quoted} | tr '\\r' '\\n' > {converted}, and read that without "
            "--encoding (it is utf-8)"
        )
    return f"tr '\\r' '\\n' < {quoted} > {converted}"


# The line Excel writes (and reads) above a csv's header to name its delimiter: `sep=;`.
EXCEL_DELIMITER_LINE = re.compile(r'"?sep=."?,*;*')


def choose_delimiter(path: Path, *, configured: str | None, encoding: str) -> tuple[str, bool]:
    """The delimiter of a csv/tsv file, and whether it was read off the header line: the one
    configured; else the suffix's one if the header has it; else the only other one it has."""
    first = header_line(path, encoding=encoding)
    if EXCEL_DELIMITER_LINE.fullmatch(first):
        raise DataError(
            f"the first line of {path} is Excel's delimiter hint ({first!r}), not the header line that "
            "names the columns; delete that line (attn reads the delimiter off the header line below it)"
        )
    if configured is not None:
        return configured, False
    expected = suffix_delimiter(path)
    # A delimiter inside a quoted name ("price, in EUR";"label") separates nothing.
    header = re.sub(r'"(?:[^"]|"")*"', "", first)
    if expected in header:
        return expected, False
    found = [delimiter for delimiter in DELIMITERS if delimiter != expected and delimiter in header]
    if len(found) > 1:
        listed = " and ".join(DELIMITER_NAMES[delimiter] for delimiter in found)
        raise DataError(
            f"the header line of {path} has no {DELIMITER_NAMES[expected]} but has {listed}; pass "
            f"--delimiter (or --set data.delimiter=...) with the one that separates its columns, "
            f"for example --delimiter {shown(found[0])}"
        )
    if not found:  # one column, or no header: the usual delimiter, and the column checks say the rest
        return expected, False
    return found[0], True


@dataclass(frozen=True)
class CsvDialect:
    """How a csv/tsv file is read: its delimiter (and whether it was read off the header line) and
    its quoting, with the note that says when quotes are read as text."""

    delimiter: str
    sniffed: bool
    quoting: Quoting
    quoting_note: str | None


def csv_dialect(path: Path, *, configured: str | None, encoding: str) -> CsvDialect:
    """`choose_delimiter` then `quoting_of`: what train, eval and predict all need of a csv/tsv file."""
    delimiter, sniffed = choose_delimiter(path, configured=configured, encoding=encoding)
    quoting, note = quoting_of(path, delimiter=delimiter, encoding=encoding)
    return CsvDialect(delimiter=delimiter, sniffed=sniffed, quoting=quoting, quoting_note=note)


def delimiter_note(paths: list[Path], delimiter: str) -> str:
    """The line that says a delimiter was read off the header lines of `paths` (of one suffix)."""
    expected = suffix_delimiter(paths[0])
    return (
        f"{', '.join(str(path) for path in paths)}: the header line has no {DELIMITER_NAMES[expected]} "
        f"but has {DELIMITER_NAMES[delimiter]}, so it is read as {shown(delimiter)}-separated "
        "(--delimiter chooses another)"
    )
