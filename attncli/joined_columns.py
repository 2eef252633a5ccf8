"""A text read from several columns of a row, a title and its description: `--text-column
title,description` names them, joined in that order, a line each (as transformers' text
classification example joins its `text_column_names`). A name the data holds whole, comma and all,
stays one column. Training, eval, predict and inspect read a row's text through `text_cell`, or a
dataset's through `with_joined_text`, so that every command joins alike."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from attncli.errors import DataError
from attncli.layouts import value_at
from attncli.records import is_blank, is_missing, text_of
from attncli.splits import CHUNK_ROWS

SEPARATOR = ","
NUMBERS = re.compile(r"(u?int|float|bool|decimal)")
# Each column's text on a line of its own: the heatmap shows them as the row holds them, and the
# model reads the same words whatever joins them.
JOINER = "\n"


def parts_of(spec: str) -> list[str]:
    """The columns `spec` names, in order (one, for a name without a comma), each as written: a
    header's name with spaces around it (`id, title, body`) keeps them, as the data does; the
    names a user types are found loosely (columns.choose_columns) and written back so."""
    return spec.split(SEPARATOR) if SEPARATOR in spec else [spec]


def columns_named(spec: str) -> str:
    """`column 'text'`, or where `spec` joins several, `columns 'title,body'`: a message naming them."""
    return f"columns {spec!r}" if SEPARATOR in spec else f"column {spec!r}"


def is_joined(spec: str | None, names: Collection[str]) -> bool:
    """Whether `spec` names several columns: it holds a comma, and no column of `names` is so named."""
    return spec is not None and SEPARATOR in spec and spec not in names


def is_taken(column: str, taken: str | None) -> bool:
    """Whether `column` is the column `taken` by the other role, or one of those it joins: a label
    is never found among the text's columns."""
    return taken is not None and (column == taken or (SEPARATOR in taken and column in parts_of(taken)))


def _missing(value: Any) -> bool:
    """A cell with nothing in it: missing as training reads a cell (null, a NaN, pandas' NA), or a
    csv's empty cell."""
    return (isinstance(value, str) and value == "") or is_missing(value)


def joined_value(values: Sequence[Any]) -> Any:
    """The text of a row's columns `values`: their texts a line each, a missing or blank one left
    out (a row whose description is empty is its title); a blank text where every one is blank or
    empty (JSON's `""`, as one column's is an empty text), and None where every one is missing, so
    that the row is refused or labelled as one column's would be; and the first value that is no
    text (a number), as it is, so that it is said as one column's is. A csv's empty cells, which are
    missing, are made None by its readers."""
    texts: list[str] = []
    for value in values:
        if is_missing(value):
            continue
        text = text_of(value)
        if text is None:
            return value
        texts.append(text)
    kept = [text for text in texts if not is_blank(text)]
    if kept:
        return JOINER.join(kept)
    return next((text for text in texts if text), texts[0]) if texts else None


def text_cell(record: Mapping[str, Any], spec: str) -> Any:
    """The value of text column `spec` in `record` (a dotted path reaches into nested records), the
    columns it joins joined."""
    if not is_joined(spec, record):
        return value_at(record, spec)
    return joined_value([value_at(record, part) for part in parts_of(spec)])


def missing_column(where: str, name: str) -> DataError:
    """The error for a split (`where`) that lacks column `name`, which training read."""
    return DataError(
        f"{where} has no column {name!r} (the training data has it); give every split the same columns"
    )


def with_joined_text(dataset: Any, spec: str, *, where: str) -> Any:
    """`dataset` (a `datasets.Dataset`) with a column named `spec` holding each row's joined text,
    where `spec` joins several columns (dotted paths read from the dataset flattened); else the
    dataset as it is. A column that holds no text (numbers) is refused: joined as text, its values
    would be words."""
    if not is_joined(spec, dataset.column_names):
        return dataset
    parts = parts_of(spec)
    if any(part not in dataset.column_names for part in parts):
        dataset = dataset.flatten()
    missing = [part for part in parts if part not in dataset.column_names]
    if missing:
        raise missing_column(where, missing[0])
    for part in parts:
        feature = dataset.features[part]
        dtype = getattr(feature, "dtype", None)
        # A column of numbers or label indices holds no text in any row; one of mixed values (JSON's
        # texts and a stray number) is read row by row, as a single text column is.
        if hasattr(feature, "names") or (isinstance(dtype, str) and NUMBERS.match(dtype)):
            kind = "ClassLabel values (label indices)" if hasattr(feature, "names") else f"{dtype} values"
            raise DataError(
                f"column {part!r} of {where} holds {kind}, not text; --text-column {spec} joins text "
                "columns: leave it out of them"
            )
    from datasets import Value

    features = dataset.features.copy()
    features[spec] = Value("string")

    def joined(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        columns = [batch[part] for part in parts]
        # A row holding no text in any column, or a value that is none (a number, bytes that are not
        # UTF-8), has no text: refused, or left out by data.drop_invalid, as predict gives it no label.
        texts = (joined_value(values) for values in zip(*columns, strict=True))
        return {spec: [text if isinstance(text, str) else None for text in texts]}

    return dataset.map(joined, batched=True, features=features, load_from_cache_file=False)


def missing_parts_note(dataset: Any, spec: str, *, where: str) -> str | None:
    """How many rows of `dataset` have nothing in some of the columns `spec` joins, and are read by
    the others alone (a trial's 396 of 1,581 training rows without a description, and a test file's
    without, cost 2.5 points unsaid): rows with nothing in any of them are not, as they have no text.
    None where no row lacks one, or `spec` is one column. Read a chunk of rows at a time."""
    parts = parts_of(spec)
    if SEPARATOR not in spec or any(part not in dataset.column_names for part in parts):
        return None

    def empty(value: Any) -> bool:
        return _missing(value) or ((text := text_of(value)) is not None and is_blank(text))

    counts = [0] * len(parts)
    columns = dataset.select_columns(parts)
    for start in range(0, len(columns), CHUNK_ROWS):
        chunk = columns[start : start + CHUNK_ROWS]
        for values in zip(*(chunk[part] for part in parts), strict=True):
            gaps = [empty(value) for value in values]
            if not all(gaps):
                counts = [count + gap for count, gap in zip(counts, gaps, strict=True)]
    said = [
        f"{count:,} of {len(dataset):,} without {part!r}"
        for part, count in zip(parts, counts, strict=True)
        if count
    ]
    if not said:
        return None
    return f"{where}: rows with nothing in a column joined are read by the others alone: {', '.join(said)}"
