"""What loading gives: a Split (texts read from Arrow on demand, label indices in a compact array),
Splits (the labelled splits and what was learned while loading them), and the digest of a split's rows."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# Rows read at a time when a column is scanned, so no split is ever copied into Python objects whole.
CHUNK_ROWS = 10_000


class TextColumn(Sequence[str]):
    """The text column of a `datasets.Dataset`, read from Arrow on demand: a million texts cost no
    Python memory until a slice of them is asked for. With `rows`, a view of those rows only (in
    that order), kept as a compact index array rather than a `datasets` indices mapping."""

    def __init__(self, dataset: Any, column: str, rows: array | None = None) -> None:
        self.dataset = dataset.select_columns([column])
        self.column = column
        self.rows = rows

    def __len__(self) -> int:
        return len(self.dataset) if self.rows is None else len(self.rows)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            if self.rows is None:
                return self.dataset[index][self.column]
            return self.dataset[self.rows[index].tolist()][self.column]
        row = int(index) if self.rows is None else self.rows[index]
        return self.dataset[row][self.column]

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self), CHUNK_ROWS):
            yield from self[start : start + CHUNK_ROWS]

    def select(self, rows: Sequence[int]) -> TextColumn:
        picked = array("q", rows if self.rows is None else (self.rows[row] for row in rows))
        return TextColumn(self.dataset, self.column, picked)


@dataclass(frozen=True)
class Split:
    """One split: texts and their label indices, in the same order."""

    texts: Sequence[str]
    labels: array
    """array('q'): 8 bytes a row, and a tensor can view it without copying."""
    rows: array | None = None
    """The row of the source split each example is, when rows were left out (None: example i is row i)."""
    empty_rows: int = 0
    """Rows of the source split left out whatever data.drop_invalid says, for having neither a text
    nor a label: every cell empty (a spreadsheet's empty rows past its table), or other cells only
    (`half_filled_rows` of them), as `to_split` found them; the other rows left out, data.drop_invalid's."""
    half_filled_rows: int = 0
    """Of `empty_rows`, those with other cells filled (an id, a date): a record half filled in."""
    first_half_filled: str = ""
    """Where the first of those is (`line 7 of F`), for the note that says so."""
    unlabelled_rows: int = 0
    """Of the other rows left out (data.drop_invalid's), those with a text but no label: rows not yet
    labelled, where the rest lack a text."""

    def __len__(self) -> int:
        return len(self.texts)

    def select(self, rows: Sequence[int]) -> Split:
        """The given rows, in that order."""
        texts = (
            self.texts.select(rows) if isinstance(self.texts, TextColumn) else [self.texts[i] for i in rows]
        )
        source_rows = array("q", (self.rows[row] for row in rows)) if self.rows is not None else None
        return Split(texts=texts, labels=array("q", (self.labels[row] for row in rows)), rows=source_rows)


def rows_digest(split: Split, label_names: Sequence[str]) -> str:
    """SHA-256 of a split's texts and label names, in row order: what training records of the rows
    it held out for validation, so that eval can tell them from other rows of a changed file."""
    import hashlib

    digest = hashlib.sha256()
    for text, label in zip(split.texts, split.labels, strict=True):
        digest.update(f"{text}\x00{label_names[label]}\x01".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass(frozen=True)
class Splits:
    """Labelled splits plus what was learned about the data while loading it."""

    splits: dict[str, Split]
    label_names: list[str]
    text_column: str
    label_column: str
    notes: tuple[str, ...] = ()
    """Lines for the user: what was decided while loading (a delimiter, a column) and warnings."""
    carved: bool = True
    """Whether the validation rows were held out of train (the data has no validation split)."""
    label_conflicts: dict[str, Any] | None = None
    """Texts of train given more than one label: how many, and the most repeated with their labels'
    rows (data_warnings.LabelConflicts.to_json); None where there are none."""
    left_out: dict[str, dict[str, int]] | None = None
    """The rows left out of each split that lost any (`rows_left_out`); None where none was."""
    unvalidated: str | None = None
    """Why a new run is refused where a validation split of the data's own has no rows of labels
    training has enough of to hold some out (data_warnings.unvalidated_labels_error); None: it has."""
