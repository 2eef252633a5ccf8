"""Checks of local JSON and JSON-lines files: the layouts that are not records (pandas' columns, rows
as arrays), the first line that is not a JSON object, where on its line a JSON line is wrong, and
nesting too deep for a reader to follow."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attncli.errors import DataError
from attncli.textfiles import BOM, HEADER_BYTES
from attncli.tokenizer import readable_text


def readable_values(value: Any) -> Any:
    """A JSON value with each lone surrogate in its strings (a "\\ud83d" escape: a tweet cut inside
    an emoji) replaced by U+FFFD, character for character, as predict reads it: valid JSON, but no
    UTF-8 text, so Arrow (and every output) refuses it."""
    if isinstance(value, str):
        return readable_text(value)
    if isinstance(value, dict):
        return {readable_values(key): readable_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [readable_values(item) for item in value]
    return value


# Arrays and objects within each other deeper than this are refused before a reader sees them:
# Arrow's JSON reader crashed the process on a line 12,000 deep (a segmentation fault on a thread
# of its own: exit 139, nothing said), and Python's stops from about 1,000 (RecursionError) (a trial).
MOST_JSON_LEVELS = 1000
# Nesting that the readers of training and eval hold is less: arrays within arrays 63 deep were
# Arrow's ArrowInvalid ("Recursion level in ArrowSchema struct exceeded"), objects 350 deep a
# RecursionError of datasets'. Deeper than this, a failure of theirs is said to be the nesting.
ARROW_JSON_LEVELS = 60
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a run at a time, not a character at a time
NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")


def require_shallow_json(path: Path, *, encoding: str) -> None:
    """Refuse a JSON or JSON-lines file with a line nested over MOST_JSON_LEVELS deep, before a
    reader recurses into it. A line is at most as deep as the brackets it opens, which a pass over
    the bytes counts; only a file with a line that opens that many is read line by line."""
    if _opens_many_on_a_line(path, encoding=encoding):
        deepest = deepest_line(path, encoding=encoding, beyond=MOST_JSON_LEVELS, spanning=False)
        if deepest is not None:
            raise too_deep(path, *deepest)


def deepest_line(
    path: Path, *, encoding: str, beyond: int, spanning: bool = True
) -> tuple[int | None, int] | None:
    """Where the JSON (lines) file at `path` nests deepest, where that is deeper than `beyond`: the
    number and depth of its deepest line, or with `spanning`, (None, depth) for nesting that spans
    lines (an indented document, read whole); None where nothing nests deeper."""
    from attncli.lines import complete_lines, file_chunks, line_chunks

    found: tuple[int | None, int] | None = None
    whole: list[bytes] = []  # the lines, to measure the file whole where no line is deep
    with path.open("rb") as file:
        chunks, read_as = line_chunks(file_chunks(file), encoding=encoding, name=str(path))
        utf8 = codecs.lookup(read_as).name == "utf-8"
        for number, line in enumerate(complete_lines(chunks), start=1):
            deepest = max(beyond, found[1] if found else 0)
            if line.count(b"{") + line.count(b"[") > deepest:
                depth = json_depth(line if utf8 else line.decode(read_as, errors="replace").encode("utf-8"))
                if depth > deepest:
                    found = (number, depth)
            if found is None and spanning:
                whole.append(line)
    if found is None and spanning:
        depth = json_depth(b"".join(whole).decode(read_as, errors="replace").encode("utf-8"))
        return (None, depth) if depth > beyond else None
    return found


def too_deep(path: Path, number: int | None, depth: int | None = None) -> DataError:
    """The refusal of nesting `depth` levels deep (over MOST_JSON_LEVELS where None or more) at line
    `number` of the file at `path` (the file where None)."""
    where = f"line {number} of {path}" if number is not None else str(path)
    known = depth is not None and depth <= MOST_JSON_LEVELS
    levels = f"{depth:,} levels deep" if known else f"over {MOST_JSON_LEVELS:,} levels deep"
    return DataError(
        f"{where} nests arrays and objects {levels}, more than attn's JSON readers follow (for training "
        "and eval, arrays about 60 deep and objects about 350); flatten that value, or leave its field "
        "out of the file"
    )


def json_depth(text: bytes, most: int = MOST_JSON_LEVELS) -> int:
    """How deeply the arrays and objects of a JSON text (UTF-8) nest, brackets inside strings left
    out, counted up to `most` (most + 1: deeper): each pass removes the innermost pairs, at C speed
    (a loop over each bracket took 20 s of a 289 MB file of annotated rows, a thousand small objects
    each). Brackets left unclosed count as levels too, as a reader recurses into them."""
    # Outside strings: every other piece between quotes, where no backslash can escape a quote.
    outside = JSON_STRING.sub(b"", text) if b"\\" in text else b"".join(text.split(b'"')[::2])
    brackets = outside.translate(None, NOT_BRACKETS)
    depth = 0
    while brackets and depth <= most:
        inner = INNERMOST_PAIR.sub(b"", brackets)  # in one pass: "{[]}" is two levels
        if len(inner) == len(brackets):  # unbalanced: what is still open
            return min(most + 1, depth + brackets.count(b"[") + brackets.count(b"{"))
        depth, brackets = depth + 1, inner
    return depth


def _opens_many_on_a_line(path: Path, *, encoding: str) -> bool:
    """Whether a line of the file at `path` may open over MOST_JSON_LEVELS brackets: counted a block
    at a time, the part of a line carried from block to block as a count, not as its text."""
    from attncli.lines import file_chunks, line_chunks

    opened = 0  # by the line under way when a block ends
    with path.open("rb") as file:
        blocks, _ = line_chunks(file_chunks(file), encoding=encoding, name=str(path))
        for block in blocks:
            first, last = block.find(b"\n"), block.rfind(b"\n")
            opened += _opens(block, 0, len(block) if first < 0 else first)
            if opened > MOST_JSON_LEVELS:
                return True
            if first < 0:
                continue
            if _a_line_opens_many(block, first + 1, last + 1):
                return True
            opened = _opens(block, last + 1, len(block))
    return opened > MOST_JSON_LEVELS


def _opens(block: bytes, start: int, end: int) -> int:
    return block.count(b"{", start, end) + block.count(b"[", start, end)


def _a_line_opens_many(block: bytes, start: int, end: int) -> bool:
    """Whether one of the whole lines in block[start:end] opens over MOST_JSON_LEVELS brackets:
    halved at a line break until a part opens fewer, or is one line."""
    if _opens(block, start, end) <= MOST_JSON_LEVELS:
        return False
    middle = block.find(b"\n", (start + end) // 2, end - 1)
    if middle < 0:
        middle = block.rfind(b"\n", start, (start + end) // 2)
    if middle < 0 or middle + 1 in (start, end):  # one line
        return True
    return _a_line_opens_many(block, start, middle + 1) or _a_line_opens_many(block, middle + 1, end)


# The words of the keys an API's page holds beside its records (next_page, total_count, has_more).
PAGING_WORDS = frozenset({"page", "pages", "count", "total", "next", "previous", "prev", "more", "offset"})
PAGING_WORDS |= {"limit", "cursor", "after", "before", "size", "per"}
# What a search API's response says beside its records (NewsAPI's status and totalResults).
PAGING_WORDS |= {"status", "results", "ok", "success", "took"}
# One of which a page's keys hold at least (next_page, has_more, next_cursor, totalResults).
PAGE_WORDS = frozenset({"page", "pages", "cursor", "next", "previous", "prev", "more", "results"})


def require_records(value: object, path: Path) -> None:
    """Refuse a JSON file that is one object holding whole columns (pandas' `to_json()` default:
    {"text": {"0": ..., "1": ...}, ...}, or {"text": [...], ...}) or holding the records under one
    key ({"data": [{...}, ...]}): read as it is, it is one row whose cells are whole columns. Rows
    that are arrays (["text", "label"]) name no fields to find the text and label by."""
    if isinstance(value, list):
        raise DataError(
            f"{path} holds its rows as JSON arrays ([...]), whose fields have no names; give each row "
            'as a JSON object, such as {"text": "...", "label": "..."}'
        )
    if not isinstance(value, dict) or not value:
        return
    cells = list(value.values())
    if {"columns", "data"} <= set(value) and isinstance(value["data"], list):
        raise DataError(
            f"{path} holds pandas' 'split' layout (columns, data), not records; write one record per "
            "line (pandas: df.to_json(path, orient='records', lines=True))"
        )
    listed = [
        key for key, cell in value.items() if isinstance(cell, list) and cell and isinstance(cell[0], dict)
    ]
    others = [key for key in value if key not in listed]
    # Beside the records, an API's page holds only its paging (Zendesk's next_page, count); a record
    # of its own with a list of records in a field (a ticket's attachments) is one row. Words are
    # split at a capital too (NewsAPI's totalResults).
    spaced = [re.sub("([a-z])([A-Z])", r"\1 \2", str(key)).lower() for key in others]
    words = [set(re.split(r"[^a-z]+", key)) for key in spaced]
    paging = all(
        isinstance(value[key], (str, int, float, bool, type(None))) and PAGING_WORDS & named
        for key, named in zip(others, words, strict=True)
    ) and (
        not others or any(PAGE_WORDS & named for named in words)
    )  # {"total": 12.5, "items": [...]}: an order
    if len(listed) == 1 and paging:
        beside = f" (beside {', '.join(repr(key) for key in others[:3])})" if others else ""
        key = listed[0]
        jq_path = f".{key}" if key.isidentifier() else f".[{json.dumps(key)}]"
        # Piped in, the input has no name to give jq (a support lead's trial was told `jq -c
        # '.tickets[]' standard input > rows.jsonl`).
        unwrap = (
            f"pipe it through jq -c '{jq_path}[]'"
            if str(path) == STANDARD_INPUT
            else f"jq -c '{jq_path}[]' {path.name} > rows.jsonl"
        )
        raise DataError(
            f"{path} holds its records under the key {key!r}{beside}; write the list itself, as a JSON "
            f"array or one record per line ({unwrap})"
        )
    if (
        len(value) > 1
        and all(str(key).isdigit() for key in value)
        and all(isinstance(cell, dict) for cell in cells)
    ):
        # pandas' orient='index': each record under its row number ({"0": {"text": ..., "label": ...}}),
        # read as one row whose columns are records (a trial's "the train split has only one class").
        raise DataError(
            f"{path} holds one JSON object of records keyed by their row numbers, not records; write one "
            "record per line (pandas: df.to_json(path, orient='records', lines=True))"
        )
    if all(isinstance(cell, (dict, list)) for cell in cells) and len({len(cell) for cell in cells}) == 1:
        # pandas' columns are keyed by the row index ("0", "1", ...); a record nested under one key
        # ({"data": {"text": ..., "label": ...}}, which a dotted path reads) is keyed by its fields.
        # One row's columns are each keyed by the same index alone ("0", or "5" for df.iloc[[5]]); a
        # list of one could be a record's field.
        many_rows = len(cells[0]) > 1 and all(
            isinstance(cell, list) or all(key.isdigit() for key in cell) for cell in cells
        )
        keys = [tuple(cell) for cell in cells if isinstance(cell, dict)]
        one_row = (
            len(keys) == len(cells) and len(set(keys)) == 1 and len(keys[0]) == 1 and keys[0][0].isdigit()
        )
        if many_rows or one_row:
            raise DataError(
                f"{path} holds one JSON object of columns, not records; write one record per line "
                "(pandas: df.to_json(path, orient='records', lines=True))"
            )


def opens_json(line: str, *, values_in_a_row: bool = False) -> bool:
    """Whether a first line (past blank ones) begins JSON to be read whole, not one object a line:
    a whole array of records (`[{"text": ...}]`, ConvertTo-Json -Compress), or an array or object
    that the lines after it go on with (`[`, `{`, `[{"url": ..., "body": ...},`: Scrapy's feed, `jq
    .`); with `values_in_a_row` (a .json file's, which holds JSON whatever it begins), also a whole
    value and more after it (`{...} {...}`: records written one after another, which
    `whole_json_values` reads). Told from the first line alone, so that plain text starting so
    (`[{citation needed}] a film`, `["Great"] said the critic`, `[1]`) is read as it arrives."""
    stripped = line.strip(JSON_SPACE)
    if not stripped.startswith(("[", "{")):
        return False
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as error:
        # JSON so far, and unfinished: the next lines go on with it.
        return error.pos >= len(stripped) or (values_in_a_row and error.msg == "Extra data")
    except RecursionError:
        return True
    # A whole object is a JSON line, read as JSON lines are; a whole array is records only where it
    # holds records (`[1]` or `["Great"]` alone on a line may be a text).
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def whole_json_values(content: str, name: str) -> list[Any]:
    """The values of JSON text read whole: one array's items, or values written one after another over
    any number of lines each (`jq .` writes records so, PowerShell's ConvertTo-Json one object alone).
    A DataError says what is wrong where it can tell (`broken_json`); RecursionError where the
    nesting is too deep for Python's reader."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    position = _past_space(content, 0)
    while position < len(content):
        try:
            value, end = decoder.raw_decode(content, position)
        except json.JSONDecodeError as error:
            raise DataError(broken_json(content, error, name)) from None
        if (isinstance(value, list) and values) or (values and isinstance(values[0], list)):
            # Two arrays, or an array and more: what a second run adds to a feed file (Scrapy's -o).
            raise DataError(_arrays_in_a_row(content, position, name))
        values.append(value)
        position = _past_space(content, end)
    if len(values) == 1 and isinstance(values[0], list):
        return values[0]
    return values


def broken_json(content: str, error: json.JSONDecodeError, name: str) -> str:
    """What is wrong with JSON text read whole, in words where it is a common breakage: a comma
    before a closing bracket (JavaScript allows it, JSON does not), text cut short (a crawl or an
    export stopped while writing), two arrays one after another; else the reader's own message."""
    before = content[: error.pos].rstrip()
    at = content[error.pos : error.pos + 1]
    if at in ("]", "}") and before.endswith(","):
        return (
            f"{name} has a comma before the {at} on line {error.lineno}, which JSON does not allow "
            "(JavaScript does); remove it"
        )
    stripped = content.strip().removeprefix("\ufeff")
    closing = {"[": "]", "{": "}"}.get(stripped[:1])
    # Cut short: the reader ran out of text, at its end, in a string that no quote closes, or on the
    # last line of text that its closing bracket does not end (`"ok": tru`, `"n": 1.`: a write stops
    # at any byte).
    cut_short = (
        error.pos >= len(content.rstrip())
        or error.msg.startswith("Unterminated string")
        or (
            closing is not None
            and not stripped.endswith(closing)
            and "\n" not in content[error.pos :].rstrip()
        )
    )
    if closing is not None and cut_short:
        whole = f", after {_whole_items(content):,} whole records" if closing == "]" else ""
        return (
            f"{name} ends inside its JSON{whole}, as a file does whose writing stopped before its end (a "
            f"crawl or export killed); end it with {closing} after the last whole record, or write it again"
        )
    if error.msg == "Extra data" and content[error.pos :].lstrip().startswith("["):
        return _arrays_in_a_row(content, error.pos, name)
    return f"{name} is not valid JSON ({error})"


def _arrays_in_a_row(content: str, position: int, name: str) -> str:
    line = content.count("\n", 0, position) + 1
    joined = (
        "pipe it through jq -c '.[]'"
        if name == STANDARD_INPUT
        else f"jq -c '.[]' {Path(name).name} > rows.jsonl"
    )
    return (
        f"{name} holds more than one JSON value, the second from line {line}, where a JSON file holds one "
        "array (Scrapy's -o adds a run's array to the end of the file; -O replaces it); keep one, or read "
        f"every record as JSON lines ({joined})"
    )


# The name of standard input in messages (record_sources.py's).
STANDARD_INPUT = "standard input"


def _past_space(content: str, position: int) -> int:
    return _SPACE.match(content, position).end()  # type: ignore[union-attr]


# JSON's whitespace, and a byte-order mark at the start.
JSON_SPACE = " \t\r\n\ufeff"
_SPACE = re.compile(f"[{JSON_SPACE}]*")


def _whole_items(content: str) -> int:
    """How many items of a JSON array cut short are whole: those before the first that is not."""
    decoder = json.JSONDecoder()
    position, count = content.index("[") + 1, 0
    while True:
        try:
            _, position = decoder.raw_decode(content, _past_space(content, position))
        except (json.JSONDecodeError, RecursionError):
            return count
        count += 1
        position = _past_space(content, position)
        if content[position : position + 1] != ",":
            return count
        position += 1


def json_problem(error: json.JSONDecodeError) -> str:
    """What is wrong with a JSON line and where on it: the decoder, given the line with its line end,
    puts an object left open at column 1 of the next line; its "Invalid control character at" ends in
    the "at" the place begins with."""
    place = "at the end of the line" if error.lineno > 1 else f"at column {error.colno}"
    return f"{error.msg.removesuffix(' at')} {place}"


def first_bad_json_line(path: Path, *, encoding: str) -> tuple[int, str] | None:
    """(line, reason) of the first non-blank line of a JSON-lines file that is not a JSON object."""
    with path.open(encoding=encoding) as file:
        for number, line in enumerate(file, start=1):
            line = line.removeprefix(BOM) if number == 1 else line
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                return number, f"not JSON: {json_problem(error)}"
            if not isinstance(value, dict):
                return number, f"a JSON {type(value).__name__}, not an object"
    return None


def is_json_array(path: Path) -> bool:
    """Whether a JSON file is read whole (an array, or records over several lines: `jq .`), so that
    its records start on no line of their own (a record is named by its number, not a line)."""
    with path.open("rb") as file:
        start = file.read(HEADER_BYTES).lstrip(JSON_SPACE.encode())  # the mark's bytes among them
    if start.startswith(b"["):
        return True
    first, newline, _ = start.partition(b"\n")
    if not (start.startswith(b"{") and newline):
        return False
    try:
        line = first.decode("utf-8")
        return opens_json(line, values_in_a_row=True)  # as json_rows tells one read whole
    except UnicodeDecodeError:  # a line in another encoding: the readers name it, by its line
        return False


def json_lines(path: Path, *, encoding: str) -> Iterator[int]:
    """The line of every record of a JSON-lines file (blank lines hold none)."""
    with path.open(encoding=encoding) as file:
        for number, line in enumerate(file, start=1):
            if line.strip():
                yield number
