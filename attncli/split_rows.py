"""Turning one `datasets.Dataset` into a Split: its chosen columns brought to the top level, every
row's text and label checked, and rows with no text or no label left out where asked."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from attncli.column_detection import name_key
from attncli.columns import Columns
from attncli.csv_rows import CARRIAGE_RETURN_REMEDY, unquoted_carriage_return
from attncli.errors import DataError
from attncli.joined_columns import columns_named, is_joined, missing_column, parts_of, with_joined_text
from attncli.labels import bare_names, known_label_key, label_list, missing_label
from attncli.lines import END_OF_FILE
from attncli.origins import Origin
from attncli.records import is_blank, text_of
from attncli.splits import CHUNK_ROWS, Split, TextColumn


def row_problem(text: Any, label: Any, feature: Any, columns: Columns) -> str | None:
    """Why a row cannot be trained or scored on, if it cannot."""
    # A blank text is no text: predict gives it no label, so training does not learn one for it.
    if text is None:
        return f"no text in {columns_named(columns.text or '')}"
    if not isinstance(text, str):
        return f"{repr(text)[:40]} instead of a text in {columns_named(columns.text or '')}"
    if is_blank(text):
        blank = "an empty text" if not text.strip() else "a text of invisible characters alone"
        return f"{blank} in {columns_named(columns.text or '')}"
    if missing_label(feature, label):
        return f"{NO_LABEL} in column {columns.label!r}"
    return None


NO_LABEL = "no label"  # how row_problem begins for a row with a text and no label


DROP_HINT = "pass --drop-invalid (data.drop_invalid) to leave such rows out"


def to_split(
    dataset: Any,
    *,
    name: str,
    columns: Columns,
    label_names: list[str],
    origin: Origin | None = None,
    drop_invalid: bool = False,
    drop_hint: str = DROP_HINT,
    left_out_labels: Sequence[str] = (),
    read_as: Mapping[str, str] | None = None,
) -> Split:
    """Convert one `datasets.Dataset` into a `Split`, checking every text and label. A row with no
    text or no label stops it, naming the row's line, unless `drop_invalid` leaves such rows out.
    The texts stay in Arrow; the label indices go into a compact array. `read_as` reads labels as
    others (eval's `Praise` as the model's `praise`)."""
    assert columns.label is not None
    dataset, undecodable = text_as_strings(dataset, columns.text)
    feature = dataset.features[columns.label]
    index = {label: position for position, label in enumerate(label_names)}
    bare = bare_names(index)
    origin = origin or Origin(split=name)
    labels, skipped = array("q"), array("q")
    empty = half_filled = unlabelled = 0
    first: str | None = None
    first_half_filled = ""
    remedy = "fill them in, or use another split"  # for a split of which no row can be used
    for row, text, label, neither in _scan(dataset, columns.text, columns.label, feature):
        problem = row_problem(text, label, feature, columns)
        if row in undecodable:
            problem = f"bytes that are not UTF-8 text in {columns_named(columns.text or '')}"
        elif neither is not None:
            # Neither text nor label: nothing to read or learn, so always left out, and counted (they
            # stopped training unless data.drop_invalid, which also drops the rows that lack only a
            # text or a label). Every cell empty, they are the `,,,` rows a spreadsheet exports past
            # its table; with other cells filled (an id, a date), a record half filled in, not debris,
            # told apart with the first one's line (it was counted among the empty rows, a trial),
            # and still left out, so that a run trained on such data resumes on the same rows.
            skipped.append(row)
            empty += 1
            if neither == HALF_FILLED:
                half_filled += 1
                first_half_filled = first_half_filled or origin.locate(row)
            continue
        if problem is not None:
            unlabelled += problem.startswith(NO_LABEL)
            if first is None:
                first, remedy = (
                    f"{origin.locate(row)} has {problem}",
                    _remedy_for_every_row(row in undecodable, text),
                )
            skipped.append(row)
            continue
        if isinstance(label, (list, dict)):
            raise DataError(
                f"multi-label data is not supported yet: {origin.locate(row)} holds a list of labels "
                f"in column {columns.label!r}; give each text one label"
            )
        key = known_label_key(feature, label, index, bare)
        if read_as:
            key = read_as.get(key, key)
        if key in left_out_labels:
            raise DataError(
                f"label {key!r} ({origin.locate(row)}) is written in train only on rows with no text, "
                "which data.drop_invalid leaves out, so it is no class; give those rows their text, or "
                "relabel this row"
            )
        if key not in index:
            from attncli.unknown_labels import look_alike_hint  # it reads rows as this module does

            # Quoted, as labels with commas (`Economics, Finance`) ran together; with what it may be
            # (`Science>Physics` for `Science > Physics`), as eval says it (a cataloguer's trial).
            known = label_list(label_names, limit=20, quoted=True)
            raise DataError(
                f"label {key!r} ({origin.locate(row)}) is not among the training labels ({known})"
                f"{look_alike_hint([key], label_names)}; relabel it, or train on data that has it"
            )
        labels.append(index[key])
    if not skipped:
        return Split(texts=TextColumn(dataset, columns.text), labels=labels)
    if len(skipped) == len(dataset):  # leaving them out would leave nothing: no use saying how
        first = first or f"{origin.locate(int(skipped[0]))} has no text and no label"
        raise DataError(f"every row of {origin.name} has no text or no label (the first: {first}); {remedy}")
    if first is not None:  # under drop_invalid too: its second half would train as a row
        _refuse_a_row_broken_by_a_carriage_return(origin)
    if first is not None and not drop_invalid:
        unusable = len(skipped) - empty  # the empty rows are left out whatever the setting
        others = f" ({unusable:,} rows of {origin.name} have no text or no label)" if unusable > 1 else ""
        raise DataError(f"{first}{others}; fill in or remove such rows, or {drop_hint}")
    left_out = set(skipped)
    kept = array("q", (row for row in range(len(dataset)) if row not in left_out))
    return Split(
        texts=TextColumn(dataset, columns.text, kept), labels=labels, rows=kept, empty_rows=empty,
        half_filled_rows=half_filled, first_half_filled=first_half_filled, unlabelled_rows=unlabelled,
    )  # fmt: skip


def _refuse_a_row_broken_by_a_carriage_return(origin: Origin) -> None:
    """Where a csv's row lacks a text or a label because a carriage return outside quotes broke it
    in two, say that (training and eval said the first half had no label; predict, which reads
    with Python's csv, that it was not valid csv)."""
    if origin.path is None or origin.path.suffix.lower() not in (".csv", ".tsv"):
        return
    line = unquoted_carriage_return(
        origin.path, delimiter=origin.delimiter, encoding=origin.encoding, quoting=origin.quoting
    )
    if line is not None:
        raise DataError(f"line {line} of {origin.path} is not valid csv: {CARRIAGE_RETURN_REMEDY}")


def _is_empty_row(text: Any, label: Any, feature: Any) -> bool:
    """Whether a row holds neither a text (none, or only spaces) nor a label."""
    no_text = text is None or (isinstance(text, str) and is_blank(text))
    return no_text and missing_label(feature, label)


def _remedy_for_every_row(undecodable: bool, text: Any) -> str:
    """What to do where no row of a split can be used, by its first row's problem: "fill them in"
    was the advice for texts in another encoding and for a column of numbers too."""
    if undecodable:
        return "store the texts as UTF-8 strings, or use another split"
    if text is not None and not isinstance(text, str):
        return "name the column that holds the texts (--text-column), or use another split"
    return "fill them in, or use another split"


def text_as_strings(dataset: Any, column: str) -> tuple[Any, frozenset[int]]:
    """`dataset` with a text column of bytes (a parquet column of binary type, as Spark writes strings
    unless told otherwise) read as strings, as predict reads such a column, and the rows whose bytes
    are not UTF-8, whose text is then missing (every row was refused as "b'...' instead of a text",
    and data.drop_invalid would have left out every one)."""
    kind = getattr(dataset.features.get(column), "dtype", None)
    if kind not in ("binary", "large_binary"):
        return dataset, frozenset()
    import pyarrow  # type: ignore[import-untyped]
    from datasets import Value

    strings = Value(kind.replace("binary", "string"))
    try:  # all of it at once in Arrow, where every text is UTF-8
        return dataset.cast_column(column, strings), frozenset()
    except pyarrow.ArrowInvalid:  # "Invalid UTF8 payload": find which rows, one by one
        pass
    undecodable: set[int] = set()

    def decoded(batch: dict[str, list[Any]], rows: list[int]) -> dict[str, list[str | None]]:
        texts = [text_of(value) for value in batch[column]]  # as predict reads the column
        undecodable.update(
            row
            for value, text, row in zip(batch[column], texts, rows, strict=True)
            if value is not None and text is None
        )
        return {column: texts}

    features = dataset.features.copy()
    features[column] = strings
    read = dataset.map(
        decoded, batched=True, with_indices=True, features=features, load_from_cache_file=False
    )
    return read, frozenset(undecodable)


def without_labels_of_rows_left_out(
    train: Split, label_names: list[str], feature: Any
) -> tuple[list[str], Split, list[str]]:
    """The labels of the train rows data.drop_invalid keeps, those rows indexed by them, and the
    labels written only on rows left out, which are no class (a one-class file with one textless row
    of another label trained as two classes, one of them empty). A ClassLabel column's names are the
    data's own, and stay."""
    if train.rows is None or hasattr(feature, "names"):
        return label_names, train, []
    present = sorted(set(train.labels))
    if len(present) == len(label_names):
        return label_names, train, []
    index = {old: new for new, old in enumerate(present)}
    relabelled = replace(train, labels=array("q", (index[label] for label in train.labels)))
    left_out = [name for position, name in enumerate(label_names) if position not in index]
    return [label_names[position] for position in present], relabelled, left_out


# What _scan says of a row with neither a text nor a label: every cell empty, or other cells filled.
BLANK, HALF_FILLED = "blank", "half filled"


def _scan(
    dataset: Any, text_column: str, label_column: str, feature: Any
) -> Iterator[tuple[int, Any, Any, str | None]]:
    """(row, text, label, and for a row with neither a text nor a label BLANK or HALF_FILLED, else
    None) of every row, read CHUNK_ROWS at a time; the other columns are read only for the rows with
    neither text nor label."""
    columns = dataset.select_columns([text_column, label_column])
    others = [name for name in dataset.column_names if name not in (text_column, label_column)]
    for start in range(0, len(columns), CHUNK_ROWS):
        chunk = columns[start : start + CHUNK_ROWS]
        pairs = list(zip(chunk[text_column], chunk[label_column], strict=True))
        bare = [
            start + offset
            for offset, (text, label) in enumerate(pairs)
            if _is_empty_row(text, label, feature)
        ]
        filled, neither_rows = _rows_with_other_cells(dataset, others, bare), set(bare)
        for offset, (text, label) in enumerate(pairs):
            row = start + offset
            neither = None if row not in neither_rows else HALF_FILLED if row in filled else BLANK
            yield row, text, label, neither


def _rows_with_other_cells(dataset: Any, others: list[str], rows: list[int]) -> set[int]:
    """Those of `rows` with a value in a column besides the text and label ones."""
    if not others or not rows:
        return set()
    values = dataset.select_columns(others)[rows]
    return {
        row
        for position, row in enumerate(rows)
        if any(not _is_empty_cell(values[name][position]) for name in others)
    }


def _is_empty_cell(value: Any) -> bool:
    """Whether a cell is empty: missing (None, a NaN), spaces only (the end-of-file mark Ctrl-Z that
    DOS tools and `copy a+b` add counted as one: it made a last row "with other cells filled"), or a
    record or list of such cells (a JSON record's missing object, as `datasets` fills it in). 0 and
    False are values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    if isinstance(value, str):
        return not value.replace(END_OF_FILE, "").strip()
    if isinstance(value, bytes):
        return not value.strip()
    if isinstance(value, dict):
        return all(_is_empty_cell(cell) for cell in value.values())
    if isinstance(value, (list, tuple)):
        return all(_is_empty_cell(cell) for cell in value)
    return False


def with_columns(dataset: Any, columns: Columns, *, where: str) -> Any:
    """`dataset` with the chosen columns at its top level: nested records are flattened when a
    dotted path (data.text) was chosen, and the columns a text joins (title,body) joined into one.
    A split's column named as the train split's but for case, accents or the spaces around it (a
    validation file headed `Title` beside a train file's `title`) is read as that column, as eval
    and predict find it."""
    text = parts_of(columns.text) if is_joined(columns.text, dataset.column_names) else [columns.text]
    for name in [*text, *([columns.label] if columns.label is not None else [])]:
        loose = [column for column in dataset.column_names if name_key(column) == name_key(name)]
        # A dotted path (data.text) is reached by flattening, never through a top-level look-alike.
        if name not in dataset.column_names and "." not in name and len(loose) == 1:
            dataset = dataset.rename_column(loose[0], name)
    dataset = with_joined_text(dataset, columns.text, where=where)
    wanted = [name for name in (columns.text, columns.label) if name is not None]
    if any(name not in dataset.column_names for name in wanted):
        dataset = dataset.flatten()
    missing = [name for name in wanted if name not in dataset.column_names]
    if missing:
        raise missing_column(where, missing[0])
    return dataset


# What surrounds a header's name in a row that repeats it (see refuse_header_copies).
HEADER_TRIMMED = ' \t\r\n"\ufeff'


def refuse_header_copies(dataset: Any, columns: Columns, origin: Origin) -> None:
    """Refuse rows that repeat the header line: their text the text column's name and their label the
    label column's, what files joined with their header lines leave (`cat a.csv b.csv`, Windows'
    `copy a.csv+b.csv`, PowerShell's `Get-Content a.csv,b.csv`). Such a row trained a class named
    after the label column, with no more than a warning about its one example (a trial)."""
    import pyarrow as arrow  # type: ignore[import-untyped]
    import pyarrow.compute as compute  # type: ignore[import-untyped]

    if columns.label is None or is_joined(columns.text, ()):
        return
    table = dataset.select_columns([columns.text, columns.label]).with_format("arrow")
    if not all(
        arrow.types.is_string(kind) or arrow.types.is_large_string(kind)
        for kind in table.features.arrow_schema.types
    ):
        return  # a column of numbers holds no header's name
    copies: list[int] = []
    for start in range(0, len(table), CHUNK_ROWS):  # a chunk at a time: a text column may be GBs
        chunk = table[start : start + CHUNK_ROWS]
        matches = None
        for column in (columns.text, columns.label):
            # Trimmed as a header's cell may be: spaces, a quote, and the byte-order mark that opens
            # a second file joined to the first (`copy a.csv+b.csv` of two Excel "CSV UTF-8" files).
            read = compute.utf8_trim(chunk[column], characters=HEADER_TRIMMED)
            equal = compute.fill_null(compute.equal(read, column), False)
            matches = equal if matches is None else compute.and_(matches, equal)
        copies += [start + row for row in compute.indices_nonzero(matches).to_pylist()]
    if not copies:
        return
    more = f" (and {len(copies) - 1:,} more rows like it)" if len(copies) > 1 else ""
    raise DataError(
        f"{origin.locate(copies[0])} repeats the header line ({columns.text!r} and {columns.label!r} in "
        f"those columns){more}, as files joined with their header lines do (cat a.csv b.csv, copy "
        "a.csv+b.csv); delete those lines, or join the files without the second header"
    )
