"""Reading a folder: a save_to_disk dataset, or a folder of split files named train, validation
and test (or Hub shards such as train-00000-of-00002.parquet, or a Spark job's part files: spark_folders),
each split's files found and checked."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attncli.arrowfiles import (
    DATASET_DICT_FILE,
    STATE_FILE,
    UNREADABLE_STATE,
    is_saved_dataset,
    listed_data_files,
    require_data_files,
)
from attncli.checkpoint_folder import is_checkpoint_or_run
from attncli.data_files import listed, load_files
from attncli.errors import DataError
from attncli.fasttext_files import FASTTEXT_SUFFIXES, is_fasttext_file
from attncli.label_folders import LabelFolders, label_folders, load_label_folders, near_miss
from attncli.labels import README_CLASS_LABEL
from attncli.raw_data import FILE_BUILDERS, SPLIT_ALIASES, RawData, raw_data_of, split_word_of
from attncli.spark_folders import (
    is_job_output,
    require_no_column_partitions,
    require_uncompressed_parts,
    spark_splits,
)
from attncli.textfiles import require_uncompressed

# A shard of a split as the Hub names it: train-00000-of-00002.parquet, or with the fingerprint of its
# data, as `push_to_hub` of older datasets versions wrote it: train-00000-of-00002-6d3c0a9e1f2b4c5d.parquet.
SHARD = re.compile(r"-(?P<index>\d{5})-of-(?P<total>\d{5})(?P<fingerprint>-[0-9a-f]{16})?$")
# Where a dataset repository on the Hub keeps its split files.
HUB_DATA_FOLDER = "data"


def _require_saved_data_files(path: Path) -> None:
    """Refuse a save_to_disk folder with a split that has no rows or a data file gone, naming it:
    datasets writes no .arrow file for an empty split, and fails reading it back with an IndexError."""
    dict_file = path / DATASET_DICT_FILE
    try:
        names = json.loads(dict_file.read_text(encoding="utf-8"))["splits"] if dict_file.is_file() else [None]
    except UNREADABLE_STATE:
        return  # datasets' own reading says what is wrong
    for name in names:
        folder = path / name if isinstance(name, str) else path
        try:
            data_files = listed_data_files(folder)
        except UNREADABLE_STATE:
            continue
        split = f"split '{name}' of {path}" if isinstance(name, str) else str(path)
        if not data_files:
            raise DataError(
                f"{split} has no rows (save_to_disk wrote no data file for it); give it rows, or save the "
                "dataset without it"
            )
        require_data_files(data_files, split)


def whole_kind(path: Path) -> str | None:
    """What `path` is, where it is one file ("a single file"), a job's output folder of part files, a
    save_to_disk folder of one Dataset, not a DatasetDict ("one saved dataset"), or one set of label
    folders with no split folders above them ("one folder of label folders"): data that is evaluated
    whole, since `datasets` calls its one split "train", which it need not be. None for data of several
    splits."""
    if path.is_file():
        return "a single file"
    if is_job_output(path):
        return "one job's output folder (its part files)"
    if (path / STATE_FILE).is_file():
        return None if (path / DATASET_DICT_FILE).is_file() else "one saved dataset"
    layout = label_layout(path)
    return "one folder of label folders" if layout is not None and layout.whole else None


def label_layout(path: Path) -> LabelFolders | None:
    """`path` as a folder of label folders, where `load_folder` reads it as one: not a folder
    save_to_disk wrote, nor a Hub repository's (configurations declared, split files at its top or
    in its data/ folder)."""
    if not path.is_dir() or is_saved_dataset(path) or repository_configs(path) is not None:
        return None
    if split_files(path) or ((path / HUB_DATA_FOLDER).is_dir() and split_files(path / HUB_DATA_FOLDER)):
        return None
    require_no_column_partitions(path)  # label=sport/ is a column's partition, not a label's texts
    return label_folders(path)


@dataclass(frozen=True)
class RepositoryConfigs:
    """The configurations a dataset repository cloned from the Hub declares in its README.md: each
    as its splits' file patterns (relative to the folder), and the default one, if it names one."""

    splits: dict[str, dict[str, list[str]]]
    default: str | None = None


def repository_configs(path: Path) -> RepositoryConfigs | None:
    """What a README.md's YAML front matter `configs:` declares, in the forms `datasets` reads:
    `data_files` as one pattern, a list of them (the train split), a list of {split, path} or a
    mapping of split to patterns, or a `data_dir` of split files; None where it declares none that
    name any file (the folder is then read as a folder of split files)."""
    header = _front_matter(path)
    entries = header.get("configs") if header is not None else None
    if not isinstance(entries, list):
        return None
    configs: dict[str, dict[str, list[str]]] = {}
    default = None
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("config_name") is None:
            continue
        name = str(entry["config_name"])  # `2020` is a configuration's name too
        splits = _declared_splits(path, entry)
        if not splits:
            continue
        configs[name] = splits
        if entry.get("default") is True:  # the one `datasets.load_dataset(path)` reads
            default = name
    if default is None and "default" in configs:  # as datasets names its default
        default = "default"
    return RepositoryConfigs(configs, default) if configs else None


def _front_matter(path: Path) -> dict[str, Any] | None:
    """The YAML front matter of a dataset repository's README.md, where it has one."""
    import yaml

    readme = path / "README.md"
    try:
        text = readme.read_text(encoding="utf-8-sig") if readme.is_file() else ""  # a mark, as datasets reads
    except (OSError, UnicodeDecodeError):
        return None
    matched = re.match(r"---\s*\n(.*?)\n---\s*(\n|$)", text, re.DOTALL)
    try:
        header = yaml.safe_load(matched.group(1)) if matched else None
    except yaml.YAMLError:
        return None
    return header if isinstance(header, dict) else None


def declared_class_labels(path: Path, config_name: str | None) -> dict[str, list[str]]:
    """The names of each class-label column a repository's README.md declares (`dataset_info`'s
    features, `class_label: names: {'0': sport, ...}`) for a configuration (None: the only, or the
    default, one), column -> names in order of their numbers; empty where it declares none."""
    header = _front_matter(path)
    infos = header.get("dataset_info") if header is not None else None
    entries = [infos] if isinstance(infos, dict) else infos if isinstance(infos, list) else []
    entries = [entry for entry in entries if isinstance(entry, dict)]
    wanted = [entry for entry in entries if entry.get("config_name", "default") == (config_name or "default")]
    # One entry naming no configuration is the repository's one, whatever its configuration is called.
    alone = entries[0] if len(entries) == 1 and "config_name" not in entries[0] else None
    info = wanted[0] if wanted else alone
    features = info.get("features") if info is not None else None
    declared: dict[str, list[str]] = {}
    for feature in features if isinstance(features, list) else []:
        dtype = feature.get("dtype") if isinstance(feature, dict) else None
        label = dtype.get("class_label") if isinstance(dtype, dict) else None
        names = label.get("names") if isinstance(label, dict) else None
        if isinstance(names, dict):  # {'0': sport, '1': business}, as the Hub writes them
            try:
                numbers = sorted(int(key) for key in names)
            except (TypeError, ValueError):
                continue
            if numbers != list(range(len(numbers))):  # a gap shifts every name past it: datasets refuses it
                continue
            names = [names[key] for key in sorted(names, key=int)]
        if isinstance(names, list) and names and isinstance(feature.get("name"), str):
            declared[feature["name"]] = [str(name) for name in names]
    return declared


def _with_class_labels(raw: RawData, declared: dict[str, list[str]]) -> RawData:
    """`raw` with each integer column the README.md declares a class label read as one, as
    `datasets.load_dataset` reads it: parquet written without datasets' schema (plain pyarrow) gave
    a model of labels 0, 1, 2 where the repository names them (a researcher's trial)."""
    import datasets
    import pyarrow.compute as compute  # type: ignore[import-untyped]

    splits = dict(raw.splits)
    for column, names in declared.items():
        features = [dataset.features.get(column) for dataset in raw.splits.values()]
        if not all(
            isinstance(feature, datasets.Value) and feature.dtype.startswith(("int", "uint"))
            for feature in features
        ):
            continue
        # Every split's numbers among the names' (or -1, no label), or the column is left as numbers:
        # a number past the names was cast to no label, and its rows refused (a review).
        ranges = [
            compute.min_max(dataset.data.table.column(column)).as_py() for dataset in raw.splits.values()
        ]
        if any(
            found["min"] is not None and not -1 <= found["min"] <= found["max"] < len(names)
            for found in ranges
        ):
            continue
        label = datasets.ClassLabel(names=names, id=README_CLASS_LABEL)
        for split in splits:
            splits[split] = splits[split].cast_column(column, label)
    return dataclasses.replace(raw, splits=splits)


def with_repository_labels(file: Path, raw: RawData, config_name: str | None) -> RawData:
    """`raw`, read from the one `file`, with the class labels of the dataset repository it lies in
    (its folder, or the one above, whose README.md has front matter: data/train.parquet, or glue's
    sst2/train.parquet) for the configuration `config_name`, or else the one whose files name it (or
    the only one; none where the file is of no configuration or several): eval of a repository's
    test shard was refused as labels 0, 1, 2 the model never saw, where the folder gave their names."""
    repository = next((folder for folder in file.parents[:2] if _front_matter(folder)), None)
    if repository is None:
        return raw
    configs = repository_configs(repository)
    if config_name is None and configs is not None:
        naming = [
            name
            for name, splits in configs.splits.items()
            if any(_same_file(found, file) for patterns in splits.values() for pattern in patterns
                   for found in _matching(repository, pattern))
        ]  # fmt: skip
        if len(naming) != 1 and len(configs.splits) > 1:
            return raw  # a file of no configuration, or of several: whose names it has is a guess
        config_name = naming[0] if naming else next(iter(configs.splits))
    return _with_class_labels(raw, declared_class_labels(repository, config_name))


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:
        return False


def _declared_splits(path: Path, entry: dict[str, Any]) -> dict[str, list[str]]:
    """Split -> file patterns of one configuration's entry."""
    files, data_dir = entry.get("data_files"), entry.get("data_dir")

    def patterns(value: Any) -> list[str]:
        return (
            [value]
            if isinstance(value, str)
            else [str(item) for item in value or [] if isinstance(item, str)]
        )

    if isinstance(files, str):
        return {"train": [files]}
    if isinstance(files, list):
        splits: dict[str, list[str]] = {}
        for item in files:
            if isinstance(item, dict) and item.get("path") is not None:
                splits.setdefault(str(item.get("split") or "train"), []).extend(patterns(item["path"]))
            elif isinstance(item, str):  # a pattern alone: the train split's
                splits.setdefault("train", []).append(item)
        return splits
    if isinstance(files, dict):
        return {str(split): patterns(value) for split, value in files.items() if patterns(value)}
    if isinstance(data_dir, str):  # a folder of split files: its own names give the splits
        found = split_files(path / data_dir) if (path / data_dir).is_dir() else {}
        return {split: [str(file.relative_to(path)) for file in found[split]] for split in found}
    return {}


def _lexical(path: Path) -> Path:
    """`path` absolute, its `..` taken away by the names alone (no link followed)."""
    return Path(os.path.normpath(path.absolute()))


def _config_name(path: Path, configs: RepositoryConfigs, config_name: str | None) -> str:
    """The configuration of a repository to read: `config_name`, or the only (or the default) one."""
    names = ", ".join(configs.splits)
    if config_name is None and len(configs.splits) > 1 and configs.default is None:
        raise DataError(
            f"{path} is a dataset repository with configurations {names} (its README.md); choose one "
            f"with data.config (train --set data.config=NAME; eval reads the one the run trained on)"
        )
    name = config_name or configs.default or next(iter(configs.splits))
    if name not in configs.splits:
        raise DataError(f"{path} has no configuration {name!r}; its README.md names {names}")
    return name


def _config_files(path: Path, configs: RepositoryConfigs, name: str) -> dict[str, list[Path]]:
    """The split files of the configuration `name` of a repository."""
    files: dict[str, list[Path]] = {}
    # Where the names are, not where links among them lead: a Hub snapshot's files, and a data/ linked
    # in from scratch storage, are links to elsewhere, and were refused as outside the folder (a trial).
    inside = _lexical(path)
    for split, patterns in configs.splits[name].items():
        found = sorted({file for pattern in patterns for file in _matching(path, pattern) if file.is_file()})
        outside = [file for file in found if not _lexical(file).is_relative_to(inside)]
        if outside:
            raise DataError(
                f"configuration {name!r} of {path} names {outside[0]}, outside the folder; copy its files "
                "into the folder"
            )
        if not found:
            raise DataError(
                f"configuration {name!r} of {path} names split {split!r} as {', '.join(patterns)}, and no "
                "file there matches; fetch its files (git lfs pull) or choose another configuration"
            )
        files[SPLIT_ALIASES.get(split.lower(), split)] = found
    return files


def _matching(path: Path, pattern: str) -> list[Path]:
    try:
        return list(path.glob(pattern))
    except (ValueError, NotImplementedError):  # an absolute or empty pattern: nothing in the folder
        return []


def load_folder(
    path: Path, *, encoding: str, delimiter: str | None, config_name: str | None = None
) -> RawData:
    import datasets

    if is_saved_dataset(path):
        _require_saved_data_files(path)
        try:
            loaded = datasets.load_from_disk(str(path))
        except (OSError, ValueError, KeyError, IndexError) as error:
            raise DataError(
                f"{path} was saved by datasets' save_to_disk but cannot be read back ({error}); save it again"
            ) from error
        return raw_data_of(dict(loaded) if isinstance(loaded, datasets.DatasetDict) else {"train": loaded})
    configs = repository_configs(path)
    if configs is not None:
        name = _config_name(path, configs, config_name)
        raw = load_files(_config_files(path, configs, name), encoding=encoding, delimiter=delimiter)
        return _with_class_labels(raw, declared_class_labels(path, name))
    repository = path  # its README.md may name the labels, where data/ holds the files
    files, others = _split_files(path)
    if not files and (path / HUB_DATA_FOLDER).is_dir():  # a Hub repository's layout: data/train-*.parquet
        inner = _split_files(path / HUB_DATA_FOLDER)
        if inner[0]:  # the notes below then name data/, where the files are
            path, (files, others) = path / HUB_DATA_FOLDER, inner
    _require_no_split_workbook(path, files)  # train.xlsx or validation.xlsx with no csv saved from it
    found = f" ({listed(others)} {'names' if len(others) == 1 else 'name'} no split)" if others else ""
    if not files and is_checkpoint_or_run(path):
        raise DataError(
            f"{path} is an attn checkpoint (a run's output), not data; pass the data to read (a file, a "
            "folder of split files or a Hub name)"
        )
    layout = None if files else label_layout(path)
    if layout is not None:
        return load_label_folders(layout, encoding=encoding)
    if not files:
        folders = near_miss(path)
        raise DataError(
            f"{path} holds no split files{found}; name them train/validation/test with a suffix among "
            f"{', '.join(FILE_BUILDERS)} (for example train.csv), or, in fastText's format, train.txt or "
            f"news.train{f'; or {folders}' if folders else ''}"
        )
    raw = _with_class_labels(
        load_files(files, encoding=encoding, delimiter=delimiter), declared_class_labels(repository, None)
    )
    if not others:
        return raw
    left_out = (
        f"left out {listed(others)} in {path}: a split file is named train, validation (valid, val, dev) "
        "or test"
    )
    return dataclasses.replace(raw, notes=(*raw.notes, left_out, *_misspelt_splits(path, others, files)))


# The names a misspelt split file's is compared with: validate.csv is 0.78 like validation, and
# text.csv 0.75 like test, under the 0.8 asked for, so the verb is named apart.
SPLIT_SPELLINGS = {**SPLIT_ALIASES, "validate": "validation"}


def _misspelt_splits(path: Path, others: list[str], files: dict[str, list[Path]]) -> list[str]:
    """A warning for each left-out file whose name is a split's misspelt (validaton.jsonl) where the
    folder has no such split: a validation file of one's own was passed over for rows carved out of
    train with a plain "left out" line, which a search for warnings missed (a trial)."""
    import difflib

    warnings = []
    for name in others:
        stem, _, suffix = name.partition(".")
        close = difflib.get_close_matches(stem.lower(), SPLIT_SPELLINGS, n=1, cutoff=0.8)
        if not close or SPLIT_SPELLINGS[close[0]] in files:
            continue
        split = SPLIT_SPELLINGS[close[0]]
        named = "validation" if close[0] == "validate" else close[0]
        warnings.append(
            f"warning: {path / name} names no split, so it is not read; if it is the {split} split, rename "
            f"it {named}.{suffix}"
        )
    return warnings


# Spreadsheet files a folder's train split may have been kept in before it was saved as csv.
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


def _require_no_split_workbook(path: Path, files: dict[str, list[Path]]) -> None:
    """Refuse a folder whose train or validation split is a workbook (train.xlsx, dev.xlsx) with no
    data file of that split beside it: the train split's was "has no train split (splits: test);
    name one file train.*" or "holds no split files", and a validation workbook was passed over for
    rows carved out of train. A test workbook is left alone: training does not read the test split."""
    for child in sorted(path.iterdir()):
        split = _split_of(child) if child.suffix.lower() in WORKBOOKS else None
        if split in ("train", "validation") and split not in files and child.is_file():
            require_uncompressed(child)


def split_files(path: Path) -> dict[str, list[Path]]:
    """The split files of a folder of them, by split (none for a folder save_to_disk wrote, or one
    that cannot be read as a folder of splits)."""
    if is_saved_dataset(path):
        return {}
    try:
        return _split_files(path)[0]
    except (DataError, OSError):
        return {}


def _split_files(path: Path) -> tuple[dict[str, list[Path]], list[str]]:
    """The split files of a folder (several shards of a split as the Hub names them:
    train-00000-of-00002.parquet, ...), and the names of its data files that name no split."""
    files: dict[str, list[Path]] = {}
    others: list[str] = []  # data files that name no split
    fasttext: dict[str, list[Path]] = {}  # files in fastText's format, by the split they name
    worded: dict[str, list[Path]] = {}  # files naming a split's word among others (data-train-00000)
    children = sorted(path.iterdir())
    for child in children:
        # train.csv.gz alone (not beside the train.csv `gunzip -k` leaves): compressed, not missing
        inner = child.with_suffix("")
        if inner.suffix.lower() in FILE_BUILDERS and _split_of(inner) is not None and not inner.exists():
            require_uncompressed(child)
        if not child.is_file():
            continue
        if child.suffix.lower() not in FILE_BUILDERS:
            if (fasttext_split := _fasttext_split(child)) is not None:  # kept unless a data file holds it
                fasttext.setdefault(fasttext_split, []).append(child)
            continue
        split = _split_of(child)
        if split is None:
            others.append(child.name)
            continue
        if _named_split(child) is None:  # named by a word among others: kept unless a file names a split
            worded.setdefault(split, []).append(child)
            continue
        earlier = files.setdefault(split, [])
        if earlier and not (SHARD.search(child.stem) and SHARD.search(earlier[0].stem)):
            first, second = earlier[0].name, child.name
            if SHARD.search(child.stem) or SHARD.search(earlier[0].stem):  # a whole file beside shards
                whole = second if SHARD.search(earlier[0].stem) else first
                raise DataError(
                    f"{path} holds split {split!r} twice: {whole}, and shards such as "
                    f"{first if whole == second else second}; move {whole} or the shards out of the folder"
                )
            raise DataError(
                f"{path} holds two files for split {split!r}: {first} and {second}; move one of them out "
                "of the folder (or rename it so that it names no split)"
            )
        earlier.append(child)
    # Only where no file names a split itself: beside train.csv and test.csv, test_predictions.csv
    # (predict's output kept with the data) or val_notes.csv is no split, and is left out with a note,
    # as before such names were read.
    if files:
        others += [path.name for paths in worded.values() for path in paths]
    else:
        files = worded
    for split, paths in fasttext.items():
        # A fastText copy beside a data file of the same split (a baseline's export, old.test) is
        # not that split: the data file is.
        if split in files or len(paths) > 1:
            others += [path.name for path in paths]
        else:
            files[split] = paths
    for split, paths in files.items():
        _require_every_shard(paths, split)
    if not files and (spark := spark_splits(path, children)):  # part-00000-....parquet, or train/ of them
        for parts in spark.values():
            require_uncompressed_parts(parts)
        return spark, []
    return files, others


def _require_every_shard(paths: list[Path], split: str) -> None:
    """Refuse the shards of a split when one is missing (train-00001-of-00003 gone) or they count
    differently: read as they are, they would be the whole split, silently short."""
    shards = [SHARD.search(path.stem) for path in paths]
    if not all(shards):
        return  # one whole file
    numbers = [(int(found["index"]), int(found["total"])) for found in shards if found]
    totals = {total for _, total in numbers}
    if len(totals) > 1:
        counts = ", ".join(map(str, sorted(totals)))
        raise DataError(
            f"the shards of split {split!r} count to different totals ({counts}); keep those of one download"
        )
    total = totals.pop()
    missing = sorted(set(range(total)) - {number for number, _ in numbers})
    if missing:
        fingerprint = "-*" if shards[0] and shards[0]["fingerprint"] else ""  # each shard has its own
        name = SHARD.sub(f"-{missing[0]:05d}-of-{total:05d}{fingerprint}", paths[0].stem) + paths[0].suffix
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise DataError(
            f"split {split!r} is missing its shard {name}{more}; put every shard of it in the folder"
        )


# A split name of the Hub's own (validation_matched, test_matched, unsupervised), as its shards
# give it: MNLI's parquet files name them so.
HUB_SPLIT = re.compile(r"[A-Za-z]\w*")


def _fasttext_split(path: Path) -> str | None:
    """The split of a file in fastText's format (lines that open with __label__): by its name
    (train.txt), or by its suffix, as fastText's tutorial names them (cooking.train, cooking.valid);
    None for any other file. Read as UTF-8 here, or as a byte-order mark says: the folder's files
    are read in the encoding asked for later."""
    suffix = path.suffix.lower()
    split = _split_of(path) if suffix in FASTTEXT_SUFFIXES else SPLIT_ALIASES.get(suffix.removeprefix("."))
    return split if split is not None and is_fasttext_file(path, encoding="utf-8") else None


def _split_of(path: Path) -> str | None:
    """The split a file's name gives it: train.csv and train-00000-of-00002.csv are both train; a
    shard names any split of its own (test_matched-00000-of-00001.parquet is test_matched); and, as
    `datasets` reads a folder, a name holding one split's word among others (data-train-00000.parquet,
    bbc_test.csv; not contest.csv) is that split."""
    return _named_split(path) or split_word_of(path.stem)


def _named_split(path: Path) -> str | None:
    """The split a file's name is, itself or as a Hub shard of it; None for other names."""
    bare = SHARD.sub("", path.stem)
    known = SPLIT_ALIASES.get(bare.lower())
    if known is None and SHARD.search(path.stem) and HUB_SPLIT.fullmatch(bare):
        return bare
    return known
