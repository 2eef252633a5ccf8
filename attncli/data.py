"""Loading datasets into labelled text splits: where the data lives, which columns hold text and
label, what the label names are. Knows nothing of tokens or tensors."""

from __future__ import annotations

import difflib
import os
import random
import tempfile
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attncli.config import DataConfig
from attncli.errors import DataError

TEXT_COLUMNS = ("text", "sentence", "content", "review", "document", "body")
LABEL_COLUMNS = ("label", "labels", "category", "class", "sentiment", "target")
# File suffix -> the `datasets` builder that reads it (and its extra arguments).
FILE_BUILDERS: dict[str, tuple[str, dict[str, Any]]] = {
    ".csv": ("csv", {}),
    ".tsv": ("csv", {"delimiter": "\t"}),
    ".json": ("json", {}),
    ".jsonl": ("json", {}),
    ".parquet": ("parquet", {}),
}
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
}


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

    def __len__(self) -> int:
        return len(self.texts)

    def select(self, rows: Sequence[int]) -> Split:
        """The given rows, in that order."""
        texts = (
            self.texts.select(rows) if isinstance(self.texts, TextColumn) else [self.texts[i] for i in rows]
        )
        return Split(texts=texts, labels=array("q", (self.labels[row] for row in rows)))


@dataclass(frozen=True)
class Splits:
    """Labelled splits plus what was learned about the data while loading it."""

    splits: dict[str, Split]
    label_names: list[str]
    text_column: str
    label_column: str


def load_raw(source: str, *, config_name: str | None = None, encoding: str = "utf-8") -> dict[str, Any]:
    """Load `source` into a mapping of split name -> `datasets.Dataset`, untouched; local text
    files are read in `encoding`."""
    import datasets

    # Every failure becomes a DataError that says what to do; datasets' own log lines would repeat it.
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    datasets.disable_progress_bars()
    path = Path(source).expanduser()
    if path.is_dir():
        return _load_folder(path, encoding=encoding)
    if path.is_file():
        return _load_files({"train": path}, encoding=encoding)
    # A name with a data-file suffix or a path prefix means a local path, never a Hub dataset.
    if path.suffix.lower() in FILE_BUILDERS or source.startswith((".", "/", "~")):
        raise DataError(f"{source} does not exist; pass an existing file, folder or Hub dataset name")
    try:
        loaded = datasets.load_dataset(source, config_name)
    except Exception as error:  # the Hub client raises many types; all mean "could not load"
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(
            f"could not load {source!r} as a local path or from the Hugging Face Hub ({reason}); "
            "check the name, or pass a local file or folder"
        ) from error
    return dict(loaded)


def _load_folder(path: Path, *, encoding: str) -> dict[str, Any]:
    import datasets

    if (path / "dataset_dict.json").is_file() or (path / "state.json").is_file():
        loaded = datasets.load_from_disk(str(path))
        return dict(loaded) if isinstance(loaded, datasets.DatasetDict) else {"train": loaded}
    files: dict[str, Path] = {}
    for child in sorted(path.iterdir()):
        split = SPLIT_ALIASES.get(child.stem.lower())
        if child.is_file() and child.suffix.lower() in FILE_BUILDERS and split is not None:
            if split in files:
                raise DataError(
                    f"{path} holds two files for split {split!r}: {files[split].name} and {child.name}"
                )
            files[split] = child
    if not files:
        raise DataError(
            f"{path} holds no split files; name them train/validation/test with a suffix among "
            f"{', '.join(FILE_BUILDERS)} (for example train.csv)"
        )
    return _load_files(files, encoding=encoding)


_RUN_CACHE: tempfile.TemporaryDirectory[str] | None = None


def local_cache_dir() -> str | None:
    """Where `datasets` puts its Arrow copies of local files: a temporary folder of this process,
    removed when it exits, so trying things leaves nothing in the user's Hugging Face cache; or,
    when the user set HF_DATASETS_CACHE, their cache (None: datasets' default)."""
    global _RUN_CACHE
    if os.environ.get("HF_DATASETS_CACHE"):
        return None
    if _RUN_CACHE is None:
        _RUN_CACHE = tempfile.TemporaryDirectory(prefix="attn-datasets-")
    return _RUN_CACHE.name


def first_undecodable_line(path: Path, encoding: str) -> int | None:
    """The 1-based number of the first line of `path` that is not valid `encoding`, if any."""
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return number
    return None


def _load_files(files: dict[str, Path], *, encoding: str = "utf-8") -> dict[str, Any]:
    import datasets

    suffixes = {path.suffix.lower() for path in files.values()}
    if len(suffixes) > 1:
        raise DataError(
            f"split files mix formats ({', '.join(sorted(suffixes))}); use one format for all splits"
        )
    suffix = suffixes.pop()
    if suffix not in FILE_BUILDERS:
        raise DataError(f"cannot read {suffix or 'suffix-less'} files; use one of {', '.join(FILE_BUILDERS)}")
    builder, extra = FILE_BUILDERS[suffix]
    if builder != "parquet":
        extra = {**extra, "encoding": encoding}
    data_files = {split: str(path) for split, path in files.items()}
    try:
        loaded = datasets.load_dataset(builder, data_files=data_files, cache_dir=local_cache_dir(), **extra)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        names = ", ".join(path.name for path in files.values())
        if builder != "parquet":  # `datasets` hides a decoding error behind a generic one
            for path in files.values():
                line = first_undecodable_line(path, encoding)
                if line is not None:
                    raise DataError(
                        f"line {line} of {path} is not valid {encoding}; pass --encoding (or set "
                        "data.encoding) with the file's encoding, for example latin-1 or cp1252"
                    ) from error
        if "corresponds to no data" in reason:  # what `datasets` says of a file with no rows
            raise DataError(f"{names} is empty (no rows); give it labelled rows") from error
        raise DataError(f"could not read {names} as {suffix[1:]}: {reason}") from error
    return dict(loaded)


def find_column(columns: Sequence[str], requested: str | None, candidates: Sequence[str], role: str) -> str:
    """The column to use for `role`: the requested one if it exists, else the first known name."""
    option = f"--{role}-column"
    if requested is not None:
        if requested in columns:
            return requested
        close = difflib.get_close_matches(requested, list(columns), n=1, cutoff=0.4)
        hint = f"; did you mean {close[0]!r}?" if close else f"; pass {option} with one of them"
        raise DataError(f"column {requested!r} not found; the columns are {', '.join(columns)}{hint}")
    lowered = {column.lower(): column for column in columns}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    raise DataError(f"no {role} column found among {', '.join(columns)}; pass {option} to name it")


def label_names_of(raw_splits: dict[str, Any], label_column: str) -> list[str]:
    """Names from a `ClassLabel` feature, else the sorted distinct values of the training labels."""
    train = raw_splits["train"]
    feature = train.features[label_column]
    if hasattr(feature, "names"):
        return list(feature.names)
    values = {value for value in train[label_column] if value is not None}
    if any(isinstance(value, (list, dict)) for value in values):
        raise DataError(f"column {label_column!r} holds lists or mappings; attn needs one label per text")
    numeric = all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values)
    return [str(value) for value in sorted(values, key=(float if numeric else str))]


def to_split(
    dataset: Any, *, name: str, text_column: str, label_column: str, label_names: list[str]
) -> Split:
    """Convert one `datasets.Dataset` into a `Split`, checking every text and label. The texts stay
    in Arrow; the label indices go into a compact array."""
    feature = dataset.features[label_column]
    index = {label: position for position, label in enumerate(label_names)}
    labels = array("q")
    for row, text, label in _scan(dataset, text_column, label_column):
        # A blank text is no text: predict gives it no label, so training does not learn one for it.
        if not isinstance(text, str) or not text.strip():
            missing = "an empty text" if isinstance(text, str) else "no text"
            raise DataError(
                f"row {row} of split {name!r} has {missing} in column {text_column!r}; fill or drop it"
            )
        # ClassLabel marks unlabelled rows with -1 (the GLUE test splits, for example).
        if label is None or (hasattr(feature, "int2str") and not 0 <= label < feature.num_classes):
            raise DataError(
                f"row {row} of split {name!r} has no label in column {label_column!r}; fill or drop it"
            )
        key = feature.int2str(label) if hasattr(feature, "int2str") else str(label)
        if key not in index:
            raise DataError(
                f"label {key!r} (row {row} of split {name!r}) is not one the model knows "
                f"({', '.join(label_names)}); relabel it or retrain with data that has it"
            )
        labels.append(index[key])
    return Split(texts=TextColumn(dataset, text_column), labels=labels)


def _scan(dataset: Any, text_column: str, label_column: str) -> Iterator[tuple[int, Any, Any]]:
    """(row, text, label) of every row, read CHUNK_ROWS at a time."""
    columns = dataset.select_columns([text_column, label_column])
    for start in range(0, len(columns), CHUNK_ROWS):
        chunk = columns[start : start + CHUNK_ROWS]
        for offset, (text, label) in enumerate(zip(chunk[text_column], chunk[label_column], strict=True)):
            yield start + offset, text, label


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


def load_splits(config: DataConfig) -> Splits:
    """Load `config.source` into train and validation splits (validation carved when missing)."""
    if not config.source:
        raise DataError("no dataset given; pass DATA (a file, folder or Hub name) or set data.source")
    raw = load_raw(config.source, config_name=config.config, encoding=config.encoding)
    if "train" not in raw:
        raise DataError(
            f"{config.source} has no train split (splits: {', '.join(raw)}); name one file train.*"
        )
    columns = raw["train"].column_names
    text_column = find_column(columns, config.text_column, TEXT_COLUMNS, "text")
    label_column = find_column(columns, config.label_column, LABEL_COLUMNS, "label")
    if text_column == label_column:
        raise DataError(
            f"text and label are both column {text_column!r}; pass --text-column or --label-column"
        )
    if len(raw["train"]) == 0:
        raise DataError(f"the train split of {config.source} is empty; give it labelled rows")
    label_names = label_names_of(raw, label_column)
    if len(label_names) < 2:
        raise DataError(
            f"the train split has only one class ({', '.join(label_names) or 'none'}); "
            "a classifier needs at least two"
        )
    splits = {
        name: to_split(
            dataset,
            name=name,
            text_column=text_column,
            label_column=label_column,
            label_names=label_names,
        )
        for name, dataset in raw.items()
        if name in ("train", "validation")  # test is for `attn eval`; Hub test splits are often unlabelled
    }
    if "validation" not in splits:
        kept, carved = stratified_split(
            splits["train"].labels, fraction=config.validation_fraction, seed=config.split_seed
        )
        if not carved:
            raise DataError(
                f"{config.source} has too few rows to hold any out for validation (each label has one "
                "row); add rows or give a validation split"
            )
        train = splits["train"]
        splits["train"] = train.select(kept)
        splits["validation"] = train.select(carved)
    return Splits(splits=splits, label_names=label_names, text_column=text_column, label_column=label_column)
