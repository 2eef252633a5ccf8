"""What reading a source gives (RawData: its splits as read, under the names attn uses, and where
their rows came from), the split names and their aliases, and the data-file suffixes attn reads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from attncli.origins import Origin

# File suffix -> the `datasets` builder that reads it.
FILE_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}
FILE_BUILDERS |= {".jl": "json"}  # JSON lines as Scrapy's feeds name them
FILE_BUILDERS |= {".parquet": "parquet", ".arrow": "arrow", ".feather": "arrow"}
# Formats whose files are binary: no text encoding, no lines.
BINARY_BUILDERS = ("parquet", "arrow")
# The column pandas reads an unnamed index into: a csv's first field where each row has one more
# than the header, and an index `to_parquet` stored.
PANDAS_INDEX = "__index_level_0__"


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


def split_word_of(name: str) -> str | None:
    """The one split that the words of a file's or folder's name name (its runs of letters:
    bbc_train.csv, 20news-bydate-test), or None where they name none or several (train_test.csv)."""
    named = {SPLIT_ALIASES[word] for word in re.findall(r"[a-z]+", name.lower()) if word in SPLIT_ALIASES}
    return named.pop() if len(named) == 1 else None


@dataclass(frozen=True)
class RawData:
    """The splits of a source as read, and where their rows came from."""

    splits: dict[str, Any]
    """Split name -> `datasets.Dataset`."""
    origins: dict[str, Origin]
    notes: tuple[str, ...] = ()
    """What the reader decided on its own, for the user (a delimiter read off a header line)."""

    def where(self, split: str, source: str) -> str:
        """A split for messages: its file, else the split of the source (eval's notes named a
        validation file given to train by the training file: `split 'validation' of train.csv`)."""
        path = self.origins[split].path
        return str(path) if path is not None else f"split {split!r} of {source}"


def raw_data_of(splits: dict[str, Any]) -> RawData:
    """Splits of a Hub or save_to_disk dataset under the names attn uses (`dev` is validation, as
    for split files), unless a split of that name exists too; messages keep the dataset's names."""
    named: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for name, dataset in splits.items():
        # A format set before saving (with_format("numpy"), "torch", "arrow") would hand the columns
        # over as arrays, tensors or Arrow scalars, where attn reads Python values.
        dataset = dataset.with_format(None)
        canonical = SPLIT_ALIASES.get(name.lower(), name)
        key = canonical if canonical == name or (canonical not in splits and canonical not in named) else name
        named[key], origins[key] = dataset, Origin(split=name)
    return RawData(splits=named, origins=origins)
