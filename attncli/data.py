"""Loading datasets into labelled text splits: where the data lives, which columns hold text and
label, what the label names are. Knows nothing of tokens or tensors."""

from __future__ import annotations

import math
import random
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from attncli.columns import Columns, choose_columns, layout_of_schema, listed
from attncli.config import DataConfig
from attncli.errors import DataError
from attncli.origins import Origin
from attncli.sources import RawData, load_raw

# Rows read at a time when a column is scanned, so no split is ever copied into Python objects whole.
CHUNK_ROWS = 10_000
# Up to this many labels a training set may have however few rows it has (a small hand-made task).
MOST_LABELS_UNCHECKED = 20
# Labels this many words long on average read as texts, not as names of classes.
TEXT_LIKE_WORDS = 4


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


def label_key(feature: Any, value: Any) -> str:
    """A label as text, the same whichever way a file stored it: 1, 1.0 (a column with gaps, read
    by pandas) and "1" are all "1"; "café" is one label whether its é is one character or an e and
    a combining accent (NFC, as texts are read; two classes that look alike otherwise); " sport"
    (a csv written with a space after each comma) is "sport"; a `ClassLabel` index is its name."""
    if hasattr(feature, "int2str"):
        return str(feature.int2str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFC", str(value)).strip()


def missing_label(feature: Any, value: Any) -> bool:
    """Whether a row has no label: an empty cell, a NaN (a number column with gaps, as pandas writes
    one to parquet: it became a class named 'nan'), or -1 of a `ClassLabel`, which marks unlabelled
    rows (the GLUE test splits, for example)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    if isinstance(value, str) and not value.strip():  # spaces only: as an empty cell
        return True
    return hasattr(feature, "int2str") and not 0 <= value < feature.num_classes


def known_label_key(feature: Any, value: Any, known: Collection[str]) -> str:
    """`label_key`, matched to the `known` labels: a whole number is the same label whether it is
    written 2 or 2.0 (as pandas writes a column with gaps into a csv), on either side, and a truth
    value the same whether written true, True or TRUE (JSON's true is Python's True)."""
    key = label_key(feature, value)
    if key in known:
        return key
    # A checkpoint of an attn that kept labels as written may hold a decomposed name, or one with
    # the spaces around it.
    candidates = [unicodedata.normalize("NFD", key), *(name for name in known if name.strip() == key)]
    whole = _whole(key)
    if whole is not None:
        candidates += [str(whole), f"{float(whole)}"]
    if key.lower() in ("true", "false"):
        candidates += [key.lower(), key.capitalize(), key.upper()]
    return next((candidate for candidate in candidates if candidate in known), key)


def _number(key: str) -> float | None:
    try:
        value = float(key)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def label_names_of(train: Any, label_column: str) -> list[str]:
    """Names from a `ClassLabel` feature, else the distinct training labels as text, in numeric
    order when they are all numbers."""
    return labels_of(train, label_column)[0]


def labels_of(train: Any, label_column: str) -> tuple[list[str], list[str]]:
    """`label_names_of`, and a note where one label was written as two numbers (1 and 1.0)."""
    feature = train.features[label_column]
    if hasattr(feature, "names"):
        return list(feature.names), []
    if getattr(feature, "_type", None) == "Value":  # Arrow finds the distinct values at once
        values: Iterator[Any] = iter(train.unique(label_column))
    else:  # a column of mixed JSON values (1 and "x"), read as Python values
        column = train.select_columns([label_column])
        values = (
            value
            for start in range(0, len(column), CHUNK_ROWS)
            for value in column[start : start + CHUNK_ROWS][label_column]
        )
    keys = set()
    for value in values:
        if isinstance(value, (list, dict)):
            raise DataError(
                f"multi-label data is not supported yet: label column {label_column!r} holds lists or "
                "records; give each text one label"
            )
        if not missing_label(feature, value):
            keys.add(label_key(feature, value))
    notes = []
    if all(_number(key) is not None for key in keys):
        # Whole numbers written with a zero fraction ("1.0", as pandas writes a column with gaps
        # into a csv) are the numbers themselves, so a test file that writes 1 finds the label 1,
        # and a file joined from two exports (1 in one, 1.0 in the other) has one label 1, not two.
        # Other spellings stay: "007" is a code, not 7.
        fractional = {key for key in keys if spelled_whole(key) != key}
        spellings: dict[str, list[str]] = {}
        for key in keys:
            spellings.setdefault(spelled_whole(key), []).append(key)
        # Said where one number is written two ways or more: "1" and "1.0", or "1.0" and "1.00".
        merged = sorted(
            (key for key in fractional if len(spellings[spelled_whole(key)]) > 1),
            key=lambda key: (_number(key) or 0.0, key),
        )
        keys = (keys - fractional) | {spelled_whole(key) for key in fractional}
        if merged:
            shown = ", ".join(f"{key!r} as {spelled_whole(key)!r}" for key in merged[:5])
            more = f" and {len(merged) - 5} more" if len(merged) > 5 else ""
            notes.append(f"label column {label_column!r} writes whole numbers two ways; read {shown}{more}")
        return sorted(keys, key=lambda key: (_number(key), key)), notes
    return sorted(keys), notes


def spelled_whole(name: str) -> str:
    """A label name with a zero fraction as its whole number ("1.0" is "1"; "007" and "1.5" stay)."""
    return name.split(".")[0] if re.fullmatch(r"-?\d+\.0+", name) else name


def same_label_names(now: Sequence[str], then: Sequence[str]) -> bool:
    """Whether labels read today are those an earlier attn saved, which kept "1.0", decomposed
    accents and surrounding spaces as written."""
    return [spelled_whole(unicodedata.normalize("NFC", name).strip()) for name in then] == [
        spelled_whole(name) for name in now
    ]


def _whole(key: str) -> int | None:
    number = _number(key)
    return int(number) if number is not None and number.is_integer() and abs(number) < 2**53 else None


def row_problem(text: Any, label: Any, feature: Any, columns: Columns) -> str | None:
    """Why a row cannot be trained or scored on, if it cannot."""
    # A blank text is no text: predict gives it no label, so training does not learn one for it.
    if text is None:
        return f"no text in column {columns.text!r}"
    if not isinstance(text, str):
        return f"{repr(text)[:40]} instead of a text in column {columns.text!r}"
    if not text.strip():
        return f"an empty text in column {columns.text!r}"
    if missing_label(feature, label):
        return f"no label in column {columns.label!r}"
    return None


DROP_HINT = "pass --set data.drop_invalid=true to leave such rows out"


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
) -> Split:
    """Convert one `datasets.Dataset` into a `Split`, checking every text and label. A row with no
    text or no label stops it, naming the row's line, unless `drop_invalid` leaves such rows out.
    The texts stay in Arrow; the label indices go into a compact array."""
    assert columns.label is not None
    feature = dataset.features[columns.label]
    index = {label: position for position, label in enumerate(label_names)}
    origin = origin or Origin(split=name)
    labels, skipped = array("q"), array("q")
    first: str | None = None
    for row, text, label in _scan(dataset, columns.text, columns.label):
        problem = row_problem(text, label, feature, columns)
        if problem is not None:
            first = first or f"{origin.locate(row)} has {problem}"
            skipped.append(row)
            continue
        if isinstance(label, (list, dict)):
            raise DataError(
                f"multi-label data is not supported yet: {origin.locate(row)} holds a list of labels "
                f"in column {columns.label!r}; give each text one label"
            )
        key = known_label_key(feature, label, index)
        if key in left_out_labels:
            raise DataError(
                f"label {key!r} ({origin.locate(row)}) is written in train only on rows with no text, "
                "which data.drop_invalid leaves out, so it is no class; give those rows their text, or "
                "relabel this row"
            )
        if key not in index:
            raise DataError(
                f"label {key!r} ({origin.locate(row)}) is not among the training labels "
                f"({', '.join(label_names)}); relabel it, or train on data that has it"
            )
        labels.append(index[key])
    if skipped and not drop_invalid:
        others = (
            f" ({len(skipped)} rows of {origin.name} have no text or no label)" if len(skipped) > 1 else ""
        )
        raise DataError(f"{first}{others}; fill in or remove such rows, or {drop_hint}")
    if not skipped:
        return Split(texts=TextColumn(dataset, columns.text), labels=labels)
    if len(skipped) == len(dataset):  # leaving them out would leave nothing
        raise DataError(
            f"every row of {origin.name} has no text or no label (the first: {first}); "
            "fill them in, or use another split"
        )
    left_out = set(skipped)
    kept = array("q", (row for row in range(len(dataset)) if row not in left_out))
    return Split(texts=TextColumn(dataset, columns.text, kept), labels=labels, rows=kept)


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


def _scan(dataset: Any, text_column: str, label_column: str) -> Iterator[tuple[int, Any, Any]]:
    """(row, text, label) of every row, read CHUNK_ROWS at a time."""
    columns = dataset.select_columns([text_column, label_column])
    for start in range(0, len(columns), CHUNK_ROWS):
        chunk = columns[start : start + CHUNK_ROWS]
        for offset, (text, label) in enumerate(zip(chunk[text_column], chunk[label_column], strict=True)):
            yield start + offset, text, label


def with_columns(dataset: Any, columns: Columns, *, where: str) -> Any:
    """`dataset` with the chosen columns at its top level: nested records are flattened when a
    dotted path (data.text) was chosen."""
    wanted = [name for name in (columns.text, columns.label) if name is not None]
    if any(name not in dataset.column_names for name in wanted):
        dataset = dataset.flatten()
    missing = [name for name in wanted if name not in dataset.column_names]
    if missing:
        raise DataError(
            f"{where} has no column {missing[0]!r} (the training data has it); give every split "
            "the same columns"
        )
    return dataset


def where_is(raw: RawData, split: str, source: str) -> str:
    """A split for messages: its file, else the split of the source."""
    path = raw.origins[split].path
    return str(path) if path is not None else f"split {split!r} of {source}"


def stratified_split(labels: Sequence[int], *, fraction: float, seed: int) -> tuple[array, array]:
    """Row indices (kept, carved), each in row order, with about `fraction` of each label carved
    out, seeded. Indices live in compact arrays: a million rows cost 8 MB, not a million ints."""
    rng = random.Random(seed)
    by_label: dict[int, array] = {}
    for row, label in enumerate(labels):
        by_label.setdefault(label, array("q")).append(row)
    carved_mask = bytearray(len(labels))
    for label in sorted(by_label):
        rows = by_label[label]
        rng.shuffle(rows)
        # A label with a single example stays in train: it cannot be learned and validated at once.
        take = min(len(rows) - 1, max(1, round(fraction * len(rows)))) if len(rows) > 1 else 0
        for row in rows[:take]:
            carved_mask[row] = 1
    kept = array("q", (row for row, carved in enumerate(carved_mask) if not carved))
    carved = array("q", (row for row, carved in enumerate(carved_mask) if carved))
    return kept, carved


def few_examples_warning(
    train: Split, label_names: list[str], *, validation: Split | None, fraction: float
) -> str | None:
    """A warning naming the classes with too few examples to be validated: with no validation split
    (`validation` None), those the carve holds none or less than its share of; else those with under
    two training examples or none in validation."""
    counts = Counter(train.labels)
    held = Counter(validation.labels) if validation is not None else None
    parts = []
    for index, name in enumerate(label_names):
        count = counts[index]
        if held is not None and (count < 2 or held[index] == 0):
            parts.append(f"class {name!r} has {count} in train and {held[index]} in validation")
        elif held is None and count * fraction < 1:
            parts.append(
                f"class {name!r} has {count} ({'none' if count < 2 else '1'} held out for validation)"
            )
    if not parts:
        return None
    more = f" and {len(parts) - 10} more" if len(parts) > 10 else ""
    return (
        f"warning: too few examples to learn or validate reliably: {', '.join(parts[:10])}{more}; "
        "add examples if you can"
    )


def folded(text: str) -> str:
    """`text` as compared for look-alikes: as the tokenizer reads it (NFKC), ignoring case and spacing."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def text_key(text: str) -> int:
    """A text as compared for duplicates: the hash of its `folded` form."""
    return hash(folded(text))


# Training splits up to this many rows are checked for texts given two labels (the check keeps an
# entry per distinct text: about 20 MB here).
CONFLICT_CHECK_ROWS = 200_000


def conflicting_labels_warning(split: Split, label_names: list[str]) -> list[str]:
    """A warning when texts occur with more than one label (ignoring case and spacing): no model can
    tell such rows apart, and the split's accuracy has a ceiling below 100% because of them."""
    if len(split) > CONFLICT_CHECK_ROWS:
        return []
    first: dict[int, int] = {}
    conflicting: dict[int, tuple[str, set[int]]] = {}
    for text, label in zip(split.texts, split.labels, strict=True):
        key = text_key(text)
        seen = first.setdefault(key, label)
        if key in conflicting:
            conflicting[key][1].add(label)
        elif seen != label:
            conflicting[key] = (text, {seen, label})
    if not conflicting:
        return []
    text, labels = next(iter(conflicting.values()))
    shown = text if len(text) <= 60 else text[:59] + "…"
    names = ", ".join(label_names[label] for label in sorted(labels))
    return [
        f"warning: {len(conflicting):,} text{'s' * (len(conflicting) != 1)} of the training data "
        f"{'occur' if len(conflicting) != 1 else 'occurs'} with more than one label (ignoring case, spacing "
        f"and character forms), such as {shown!r} ({names}); no model can tell such rows apart: relabel "
        "them, or leave them if the labels are truly ambiguous"
    ]


def rows_seen_in_training(evaluated: Iterable[str], training: Iterable[str]) -> int:
    """How many evaluated texts a training text equals, ignoring case and spacing: a corpus with
    duplicates (28 of BBC News's 444 test articles are also training articles) scores them by memory.
    The evaluated texts' hashes are kept and the training texts streamed past them, so memory grows
    with the rows evaluated, not with the training data. A cell that is no text (a number, an empty
    cell) is nobody's duplicate."""
    wanted = Counter(text_key(text) for text in evaluated if isinstance(text, str) and text)
    found: set[int] = set()
    for text in training:
        if isinstance(text, str) and text:
            key = text_key(text)
            if key in wanted:
                found.add(key)
                if len(found) == len(wanted):
                    break
    return sum(wanted[key] for key in found)


def repeated_in_training_warning(train: Split, validation: Split, *, carved: bool) -> list[str]:
    """A warning when validation rows repeat a training text (ignoring case and spacing): the
    validation scores that early stopping, the choice of the best epoch and the calibration rest
    on then measure memory on those rows. Eval said it afterwards (11 of 44 rows in a new user's
    trial, a file with 50 of its rows pasted twice); training said nothing. Counted as eval counts
    them (`rows_seen_in_training`), up to CONFLICT_CHECK_ROWS training rows."""
    if len(train) > CONFLICT_CHECK_ROWS or not len(validation):
        return []
    repeated = rows_seen_in_training(validation.texts, train.texts)
    if not repeated:
        return []
    where = "the data (its repeats fell on both sides of the carve)" if carved else "the validation split"
    return [
        f"warning: {repeated:,} of the {len(validation):,} validation rows have the same text (ignoring "
        "case and spacing) as a training row, so validation scores (and with them early stopping, the "
        f"best epoch and calibration) measure memory on them; remove the repeated rows from {where}"
    ]


# Under this many validation rows one row moves accuracy by over 3 points: early stopping, the
# choice of the best epoch and the calibration temperature all rest on too little.
SMALL_VALIDATION = 30


def small_validation_warning(rows: int, *, carved: bool) -> list[str]:
    """A warning when the validation split is too small to choose an epoch or a temperature by;
    `carved`: held out of train, where a validation file of its own is the remedy."""
    if rows >= SMALL_VALIDATION:
        return []
    remedy = (
        "a validation file of its own (validation.csv beside train.csv), or more data, makes them reliable"
        if carved
        else "more rows in the validation split make them reliable"
    )
    return [
        f"warning: only {rows} validation row{'s' * (rows != 1)}: one row moves its scores by "
        f"{100 / max(rows, 1):.0f} points, and early stopping, the best epoch and calibration rest on "
        f"them; {remedy}"
    ]


def look_alike_labels_warning(label_names: list[str]) -> list[str]:
    """A warning naming labels that differ only in case, surrounding spaces or the form of their
    characters ("Sport", "sport ", "ｓｐｏｒｔ"): each is a class of its own, which is rarely what a
    hand-made file means."""
    groups: dict[str, list[str]] = {}
    for name in label_names:
        groups.setdefault(folded(name), []).append(name)
    alike = [names for names in groups.values() if len(names) > 1]
    if not alike:
        return []
    shown = "; ".join(", ".join(repr(name) for name in names) for names in alike[:5])
    more = f" and {len(alike) - 5} more groups" if len(alike) > 5 else ""
    return [
        "warning: labels that differ only in case, inner spaces or character forms are separate classes "
        f"(spaces around a label are no part of it): {shown}{more}; write each label one way if they mean "
        "the same"
    ]


def _require_labels_not_texts(
    train: Split, label_names: list[str], columns: Columns, feature: Any, where: str, layout: Any
) -> None:
    """Refuse a label column where most rows have a label of their own and those labels read as texts
    (the columns swapped, or a text column named as the label): training on it would learn nothing.
    Many short labels over distinct texts (150 intents, a few examples each) are a task, not this;
    a `ClassLabel` column holds labels by definition."""
    rows = len(train)
    if hasattr(feature, "names") or len(label_names) <= max(MOST_LABELS_UNCHECKED, rows / 2):
        return  # the labels read are at least those present: nothing to count
    labels = len(set(train.labels))
    if labels <= max(MOST_LABELS_UNCHECKED, rows / 2):
        return
    words = sum(len(name.split()) for name in label_names) / len(label_names)
    if words < TEXT_LIKE_WORDS and len(set(train.texts)) >= labels / 2:
        return
    raise DataError(
        f"label column {columns.label!r} has {labels:,} distinct values in {rows:,} rows, most rows a "
        f"label of their own, so it holds texts, not labels; name the label column with --label-column "
        f"({where} has columns {listed(layout)})"
    )


def load_splits(config: DataConfig) -> Splits:
    """Load `config.source` into train and validation splits (validation carved when missing)."""
    if not config.source:
        raise DataError("no dataset given; pass DATA (a file, folder or Hub name) or set data.source")
    raw = load_raw(
        config.source, config_name=config.config, encoding=config.encoding, delimiter=config.delimiter
    )
    if "train" not in raw.splits:
        raise DataError(
            f"{config.source} has no train split (splits: {', '.join(raw.splits)}); name one file train.*"
        )
    where = where_is(raw, "train", config.source)
    train = raw.splits["train"]
    columns = choose_columns(
        layout_of_schema(train.data.schema), where=where, text=config.text_column, label=config.label_column
    )
    # test is for `attn eval`; Hub test splits are often unlabelled
    used = {
        name: with_columns(dataset, columns, where=where_is(raw, name, config.source))
        for name, dataset in raw.splits.items()
        if name in ("train", "validation")
    }
    if len(used["train"]) == 0:
        raise DataError(f"the train split of {config.source} is empty; give it labelled rows")
    label_names, label_notes = labels_of(used["train"], columns.label or "")
    if len(label_names) < 2:  # a row with no label may be why: to_split names the first
        to_split(
            used["train"], name="train", columns=columns, label_names=label_names,
            origin=raw.origins["train"], drop_invalid=config.drop_invalid,
        )  # fmt: skip
        raise DataError(
            f"the train split has only one class ({', '.join(label_names) or 'none'}); "
            "a classifier needs at least two"
        )
    kept = to_split(
        used["train"], name="train", columns=columns, label_names=label_names, origin=raw.origins["train"],
        drop_invalid=config.drop_invalid,
    )  # fmt: skip
    label_names, kept, left_out_labels = without_labels_of_rows_left_out(
        kept, label_names, used["train"].features[columns.label or ""]
    )
    if len(label_names) < 2:
        raise DataError(
            f"the train split has only one class ({label_names[0]}) once rows with no text are left out "
            f"({', '.join(map(repr, left_out_labels))} only on those); a classifier needs at least two"
        )
    splits = {"train": kept}
    for name, dataset in used.items():
        if name != "train":
            splits[name] = to_split(
                dataset, name=name, columns=columns, label_names=label_names, origin=raw.origins[name],
                drop_invalid=config.drop_invalid, left_out_labels=left_out_labels,
            )  # fmt: skip
    feature = used["train"].features[columns.label or ""]
    layout = layout_of_schema(train.data.schema)
    _require_labels_not_texts(splits["train"], label_names, columns, feature, where, layout)
    notes = [*raw.notes, *([columns.note] if columns.note else []), *label_notes]
    notes += _dropped_note(splits, used)
    # A Hub or saved dataset's own split names (a split file's name names no other: sources.py).
    unused = [raw.origins[name].split for name in raw.splits if name not in ("train", "validation", "test")]
    if unused:
        notes.append(
            f"left out split{'s' * (len(unused) > 1)} {', '.join(map(repr, unused))} of {config.source}: "
            "attn trains on train, validates on validation (dev, valid, val) and evaluates on test"
        )
    warning = few_examples_warning(
        splits["train"], label_names, validation=splits.get("validation"), fraction=config.validation_fraction
    )
    notes += [warning] if warning else []
    notes += look_alike_labels_warning(label_names)
    notes += conflicting_labels_warning(splits["train"], label_names)
    carved = "validation" not in splits
    if carved:
        splits["train"], splits["validation"] = _carve(splits["train"], config)
        held = len(splits["validation"])
        share = held / (held + len(splits["train"]))
        # At least one row of each class is held out: on small data far more than the fraction (a
        # 5-row file held out 2 rows, which this note called 10%).
        shown = f"{config.validation_fraction:.0%}"
        if abs(share - config.validation_fraction) >= 0.02:
            shown = f"{share:.0%}: at least one row of each class, for data.validation_fraction {shown}"
        notes.append(
            f"validation: {held:,} rows held out of train (a stratified {shown}, data.split_seed "
            f"{config.split_seed}), as there is no validation split"
        )
    notes += small_validation_warning(len(splits["validation"]), carved=carved)
    notes += repeated_in_training_warning(splits["train"], splits["validation"], carved=carved)
    return Splits(
        splits=splits,
        label_names=label_names,
        text_column=columns.text,
        label_column=columns.label or "",
        notes=tuple(notes),
        carved=carved,
    )


def _dropped_note(splits: dict[str, Split], datasets: dict[str, Any]) -> list[str]:
    """The line saying how many rows data.drop_invalid left out of each split (none: no line)."""
    dropped = {name: len(datasets[name]) - len(split) for name, split in splits.items()}
    if not any(dropped.values()):
        return []
    counts = ", ".join(
        f"{count} of {len(datasets[name])} rows of {name!r}" for name, count in dropped.items()
    )
    return [f"left out {counts} for having no text or no label (data.drop_invalid)"]


def _carve(train: Split, config: DataConfig) -> tuple[Split, Split]:
    kept, carved = stratified_split(train.labels, fraction=config.validation_fraction, seed=config.split_seed)
    if not carved:
        raise DataError(
            f"{config.source} has too few rows to hold any out for validation (each label has one "
            "row); add rows or give a validation split"
        )
    return train.select(kept), train.select(carved)
