"""The layout of a table as a user may name its columns: the top-level columns, the dotted paths into
its columns of records, and which hold records or lists, read from a pyarrow schema or a JSON record;
the value at such a path, and the columns listed for a message."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

RECORDS, LISTS = "records", "lists"
# Longest column listing in a message; a wide table is summarised after these.
LISTED_COLUMNS = 30


@dataclass(frozen=True)
class Layout:
    """The columns of a table as a user may name them."""

    columns: tuple[str, ...]
    """Top-level columns, in order."""
    paths: tuple[str, ...] = ()
    """Dotted paths (data.text) to the values inside columns of records, in order."""
    kinds: dict[str, str] = field(default_factory=dict)
    """RECORDS or LISTS for each column or path holding those; the others hold single values."""
    list_texts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """For each column or path holding lists of records (a ticket's messages), the fields of those
    records that hold texts."""

    def fields_of(self, name: str) -> list[str]:
        return [path for path in self.paths if path.startswith(f"{name}.")]

    def list_reached_into(self, name: str) -> str | None:
        """The column of lists of records that the name `name` reaches into (`messages` of
        `messages.body`, `messages[0].body` or `messages.0.body`), where no path reaches; else None."""
        head = re.split(r"[.\[]", name, maxsplit=1)[0]
        return head if head != name and head in self.list_texts else None


def layout_of_schema(schema: Any) -> Layout:
    """The layout of a pyarrow schema (a parquet file's, or a `datasets.Dataset`'s)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    paths: list[str] = []
    kinds: dict[str, str] = {}
    list_texts: dict[str, tuple[str, ...]] = {}

    def visit(name: str, kind: Any, nested: bool) -> None:
        if pa.types.is_struct(kind):
            kinds[name] = RECORDS
            for index in range(kind.num_fields):
                visit(f"{name}.{kind.field(index).name}", kind.field(index).type, True)
            return
        if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
            kinds[name] = LISTS
            item = kind.value_type
            if pa.types.is_struct(item):
                fields = [item.field(index) for index in range(item.num_fields)]
                texts = tuple(
                    inner.name
                    for inner in fields
                    if pa.types.is_string(inner.type) or pa.types.is_large_string(inner.type)
                )
                if texts:
                    list_texts[name] = texts
        if nested:
            paths.append(name)

    for item in schema:
        visit(item.name, item.type, False)
    return Layout(columns=tuple(schema.names), paths=tuple(paths), kinds=kinds, list_texts=list_texts)


def layout_of_record(record: dict[str, Any]) -> Layout:
    """The layout of one JSON record, its nested objects included."""
    paths: list[str] = []
    kinds: dict[str, str] = {}
    list_texts: dict[str, tuple[str, ...]] = {}

    def visit(name: str, value: Any, nested: bool) -> None:
        if isinstance(value, dict):
            kinds[name] = RECORDS
            for key, inner in value.items():
                visit(f"{name}.{key}", inner, True)
            return
        if isinstance(value, list):
            kinds[name] = LISTS
            texts = {
                str(key): None
                for item in value
                if isinstance(item, dict)
                for key, inner in item.items()
                if isinstance(inner, str)
            }
            if texts:
                list_texts[name] = tuple(texts)
        if nested:
            paths.append(name)

    for key, value in record.items():
        visit(str(key), value, False)
    return Layout(
        columns=tuple(str(key) for key in record), paths=tuple(paths), kinds=kinds, list_texts=list_texts
    )


def flat_columns(record: dict[str, Any], *, whole: Collection[str] = ()) -> list[str]:
    """The columns of a table of records like `record` (one record, or every record's keys merged), as
    datasets' flatten() names them: a field of nested records is a dotted column (`student.id`), a
    list one column. A record is kept one column (written as JSON) where it has no fields, where it
    is named in `whole` (some rows hold another value there), or where a field's dotted name is
    another column's (`a.b` beside `a: {b: ...}`), so that no two columns share a name."""
    kept = set(whole)
    while True:
        columns = _flattened(record, kept, "")
        clashing = {name for name, count in Counter(columns).items() if count > 1}
        expanded = {
            str(key)
            for key, value in record.items()
            if isinstance(value, dict) and str(key) not in kept
            and any(name.startswith(f"{key}.") for name in clashing)
        }  # fmt: skip
        if not expanded:
            return columns
        kept |= expanded


def _flattened(record: dict[str, Any], kept: Collection[str], prefix: str) -> list[str]:
    columns: list[str] = []
    for key, value in record.items():
        name = prefix + str(key)
        if isinstance(value, dict) and value and name not in kept:
            columns += _flattened(value, kept, f"{name}.")
        else:
            columns.append(name)
    return columns


def schema_fields(schema: Any) -> dict[str, Any]:
    """A pyarrow schema as a record of its columns (a struct's as a nested record, any other None),
    for flat_columns."""
    import pyarrow as pa  # type: ignore[import-untyped]

    def fields(kind: Any) -> Any:
        if not pa.types.is_struct(kind):
            return None
        return {kind.field(index).name: fields(kind.field(index).type) for index in range(kind.num_fields)}

    return {item.name: fields(item.type) for item in schema}


def value_at(record: Mapping[str, Any], name: str) -> Any:
    """The value of column `name` of a record, following a dotted path into nested records."""
    if name in record:
        return record[name]
    value: Any = record
    for key in name.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def listed(layout: Layout) -> str:
    """The columns for a message, quoted so that spaces show; a column of records with its fields."""
    parts = []
    for column in layout.columns[:LISTED_COLUMNS]:
        fields = layout.fields_of(column) if layout.kinds.get(column) == RECORDS else []
        inside = f" (with {', '.join(repr(path) for path in fields[:LISTED_COLUMNS])})" if fields else ""
        parts.append(f"{column!r}{inside}")
    more = len(layout.columns) - LISTED_COLUMNS
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")
