"""Where the rows of one split came from (Origin), so a row is named as the user finds it: the line of
a csv or JSON-lines file it starts on, else its row number."""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from attncli.csv_rows import Quoting, csv_rows
from attncli.jsonfiles import is_json_array, json_lines
from attncli.textfiles import BINARY_SUFFIXES


@dataclass(frozen=True)
class Origin:
    """Where the rows of one split came from, so a row can be named as the user finds it."""

    split: str
    path: Path | None = None
    """The local file (None: a Hub dataset or a save_to_disk folder)."""
    delimiter: str = ","
    encoding: str = "utf-8"
    rows: Sequence[int] | None = None
    """The file's rows this split holds when only some are (None: all of them, in order)."""
    quoting: Quoting = csv.QUOTE_MINIMAL
    """How a csv/tsv file's double quotes were read (`quoting_of`)."""
    files: Sequence[Path] | None = None
    """The file each row was read from, where each is a file of its own (a folder of label folders)."""

    @property
    def name(self) -> str:
        """The file's name, else the split's: for messages about all its rows."""
        return self.path.name if self.path is not None else f"split {self.split!r}"

    def locate(self, row: int) -> str:
        """Row `row` (from 0) of the split as a place in the file: "line 5 of train.csv"."""
        line = self.lines_of([row]).get(row)
        if line is not None:
            return f"line {line} of {self.path}"
        file_row = self.rows[row] if self.rows is not None else row
        if self.files is not None:
            return str(self.files[file_row])
        where = f"split {self.split!r}" if self.path is None else str(self.path)
        counting = "" if self.has_lines() else " (counting from 1)"
        return f"row {file_row + 1} of {where}{counting}"

    def has_lines(self) -> bool:
        """Whether each row starts on a line of a file: a csv, tsv or JSON-lines file's do, and not
        a parquet's, a JSON file's read whole (an array, or `jq .`'s records over several lines), a
        Hub dataset's or a save_to_disk folder's."""
        from attncli.raw_data import FILE_BUILDERS  # which reads this module

        suffix = self.path.suffix.lower() if self.path is not None else ""
        return not (
            self.path is None
            or suffix in BINARY_SUFFIXES
            or (FILE_BUILDERS.get(suffix) == "json" and is_json_array(self.path))
        )

    def lines_of(self, rows: Collection[int]) -> dict[int, int]:
        """The line of the file each of `rows` (from 0, of the split) starts on, read in one pass that
        stops at the last one asked for; none where rows have no lines (`has_lines`)."""
        if not rows or self.path is None or not self.has_lines():
            return {}
        in_file = {row: self.rows[row] if self.rows is not None else row for row in rows}
        wanted, last = set(in_file.values()), max(in_file.values())
        if self.path.suffix.lower() in (".csv", ".tsv"):
            lines: Iterator[int] = (
                line
                for line, _ in csv_rows(
                    self.path, delimiter=self.delimiter, encoding=self.encoding, quoting=self.quoting
                )
            )
        else:
            lines = json_lines(self.path, encoding=self.encoding)
        found: dict[int, int] = {}
        for index, line in enumerate(lines):
            if index in wanted:
                found[index] = line
            if index >= last:
                break
        return {row: found[file_row] for row, file_row in in_file.items() if file_row in found}
