"""Where the rows of one split came from (Origin), so a row is named as the user finds it: the line of
a csv or JSON-lines file it starts on, else its row number."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
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

    @property
    def name(self) -> str:
        """The file's name, else the split's: for messages about all its rows."""
        return self.path.name if self.path is not None else f"split {self.split!r}"

    def locate(self, row: int) -> str:
        """Row `row` (from 0) of the split as a place in the file: "line 5 of train.csv"."""
        row = self.rows[row] if self.rows is not None else row
        suffix = self.path.suffix.lower() if self.path is not None else ""
        if self.path is None or suffix in BINARY_SUFFIXES or (suffix == ".json" and is_json_array(self.path)):
            where = f"split {self.split!r}" if self.path is None else str(self.path)
            return f"row {row + 1} of {where} (counting from 1)"
        if suffix in (".csv", ".tsv"):
            lines: Iterator[int] = (
                line
                for line, _ in csv_rows(
                    self.path, delimiter=self.delimiter, encoding=self.encoding, quoting=self.quoting
                )
            )
        else:
            lines = json_lines(self.path, encoding=self.encoding)
        line = next((line for index, line in enumerate(lines) if index == row), None)
        return f"line {line} of {self.path}" if line is not None else f"row {row + 1} of {self.path}"
