"""Which split of a source `attn eval` reads: what the source is (a file evaluated whole, the
data the model trained on), the split asked for or else test or validation, and which side of
training's validation carve to keep."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attncli.checkpoint import LoadedCheckpoint
from attncli.data_folders import split_files, whole_kind
from attncli.errors import DataError
from attncli.local_paths import local_path
from attncli.raw_data import SPLIT_ALIASES
from attncli.sources import same_source


def _find_split(available: Sequence[str], wanted: str) -> str | None:
    """The available split named `wanted` or one of its aliases (dev, valid, val: validation)."""
    if wanted in available:
        return wanted
    canonical = SPLIT_ALIASES.get(wanted.lower(), wanted)
    return next((name for name in available if SPLIT_ALIASES.get(name.lower(), name) == canonical), None)


def choose_split(available: list[str], requested: str | None) -> str:
    """A single-split source is evaluated whole; otherwise the requested split, else test, else validation."""
    if len(available) == 1 and requested is None:
        return available[0]
    if requested is not None:
        found = _find_split(available, requested)
        if found is None:
            raise DataError(
                f"no split {requested!r}; the data has {', '.join(available)}; pass --split with one of them"
            )
        return found
    for split in ("test", "validation"):
        found = _find_split(available, split)
        if found is not None:
            return found
    raise DataError(f"the data has no test or validation split ({', '.join(available)}); pass --split")


def _trained_kind(source: Source) -> str:
    return "file" if source.whole == "a single file" else "data"


def recorded_source(checkpoint: LoadedCheckpoint) -> str | None:
    """The data the checkpoint was trained on: its recorded absolute path, else the source as typed."""
    return checkpoint.header.get("data_path") or checkpoint.config.data.source


def _is_training_data(checkpoint: LoadedCheckpoint, source: str) -> bool:
    return same_source(source, recorded_source(checkpoint)) or _is_carved_train_file(checkpoint, source)


def training_folder_files(checkpoint: LoadedCheckpoint, source: str) -> dict[str, list[Path]]:
    """The split files of the folder the model was trained on, where `source` is a file inside it
    (one of its files named by its path); else none."""
    recorded = recorded_source(checkpoint)
    if not recorded:
        return {}
    folder, path = local_path(recorded), local_path(source)
    if not (folder.is_dir() and path.is_file() and path.resolve().is_relative_to(folder.resolve())):
        return {}
    return split_files(folder)


def is_training_split_file(checkpoint: LoadedCheckpoint, source: str) -> bool:
    """Whether `source` names one of the split files of the folder the model was trained on (not
    merely a file inside it: a day's new export saved there is data of its own)."""
    path = local_path(source).resolve()
    files = training_folder_files(checkpoint, source).values()
    return any(path == file.resolve() for split in files for file in split)


def training_file_encoding(checkpoint: LoadedCheckpoint, file: Path | None) -> str | None:
    """The encoding the run read its data in, for a `file` that is that data or a split file of its
    training folder, named by its path, and is not UTF-8 (one exported again since, in UTF-8, is
    read as UTF-8, and one a byte-order mark says is UTF-8, 16 or 32 as the mark says): predict and
    inspect read it as eval does. None for any other file, and where the run's data was UTF-8."""
    import codecs

    from attncli.encodings import decodes, is_utf8, marked_codec
    from attncli.lines import codec_name
    from attncli.record_sources import STDIN

    encoding = checkpoint.config.data.encoding
    if file is None or str(file) == STDIN or is_utf8(codec_name(encoding)) or not file.is_file():
        return None
    source = str(file)
    if not (_is_training_data(checkpoint, source) or is_training_split_file(checkpoint, source)):
        return None
    with file.open("rb") as opened:
        head = opened.read(4)
    if head.startswith(codecs.BOM_UTF8) or marked_codec(head) is not None:
        return None
    return None if decodes(file, "utf-8") else encoding


def _is_carved_train_file(checkpoint: LoadedCheckpoint, source: str) -> bool:
    """Whether `source` is the one train file of the folder the model trained on, a folder without a
    validation file (training carved its validation rows out of this file): named by its path, it is
    the training data, whose carve eval rebuilds (a user's trial: it scored 98.9% as new data)."""
    files = training_folder_files(checkpoint, source)
    train = files.get("train", [])
    path = local_path(source)
    return (
        "validation" not in files
        and not checkpoint.config.data.validation_file
        and len(train) == 1
        and train[0].resolve() == path.resolve()
    )


@dataclass(frozen=True)
class Source:
    """What is evaluated, as messages name it and as the choice of split needs it."""

    shown: str
    """The path or Hub name as given, or what a Dataset object given to the API is."""
    whole: str | None
    """What the source is where it is evaluated whole (a single file, one saved Dataset); else None."""
    whole_name: str
    """Its name where evaluated whole: a file's name, not its path."""
    trained_on: bool
    """Whether the model was trained on it."""


def describe_source(checkpoint: LoadedCheckpoint, source: Any, *, default_source: bool) -> Source:
    if not isinstance(source, str):  # a Dataset, DatasetDict or DataFrame, from the Python API
        import datasets

        kind = type(source).__name__
        single = not isinstance(source, datasets.DatasetDict)  # a DataFrame has keys: its columns
        return Source(f"the {kind} given", f"one {kind}" if single else None, f"the {kind} given", False)
    path = local_path(source)
    whole = None if default_source else whole_kind(path)
    trained_on = default_source or _is_training_data(checkpoint, source)
    return Source(source, whole, path.name, trained_on)


# Said where eval of the training data falls back to its validation split.
VALIDATION_FALLBACK_NOTE = (
    "note: the data has no test split, so these are validation scores: those rows chose the best "
    "epoch (and fitted the temperature), which flatters them; pass a labelled test file for scores of "
    "new data"
)


def refit_saw_validation(other: str = "") -> str:
    """Why a refitted model's training data holds no row to score it on, and what to do: the refit
    trained on the validation rows held out of train too. `other`: another split to name."""
    return (
        "the refit trained on the validation rows held out of train (train.refit_epochs): no row of the "
        "training data is new to the model; pass a labelled file to evaluate on (attn eval RUN FILE)"
        f"{other}, or --split validation to score those rows anyway"
    )


def pick_split(
    checkpoint: LoadedCheckpoint,
    source: Source,
    available: list[str],
    split: str | None,
    *,
    default_source: bool,
) -> tuple[str, str | None, str | None, tuple[str, ...]]:
    """The split to read, the name to show (None: a single file, whole), which side of training's
    validation carve to keep ("train", "validation" or None for every row), and notes for the user."""
    fallback = split is None and default_source and _find_split(available, "test") is None
    said = (VALIDATION_FALLBACK_NOTE,) if fallback else ()
    if fallback:
        # DATA left out means the training data; without a test split, score the held-out
        # validation rows, never the rows the model was trained on.
        split = "validation"
        if checkpoint.refitted and _find_split(available, "validation") is None:
            # The refit trained on the held-out rows too: no row of the training data is unseen.
            others = [name for name in available if name.lower().startswith("test")]
            other = f", or --split {others[0]} (a split of its own)" if others else ""
            raise DataError(f"{source.shown} has no test split, and {refit_saw_validation(other)}")
    wanted = SPLIT_ALIASES.get(split.lower()) if split is not None else None
    if split is not None and wanted is None and source.whole:
        raise DataError(
            f"no split {split!r}: {source.whole_name} is {source.whole}, evaluated whole; leave --split out, "
            "or name train, validation or test"
        )
    # Training carved validation out of train when the data had none; the same seed rebuilds both sides.
    carved_by_training = is_carved_by_training(available, trained_on=source.trained_on, checkpoint=checkpoint)
    if carved_by_training and wanted in ("train", "validation"):
        return "train", wanted, wanted, said
    validation_file = checkpoint.config.data.validation_file
    if (
        wanted == "validation"
        and validation_file
        and source.trained_on
        and (source.whole or _find_split(available, "validation") is None)
    ):
        # The run's validation rows were a file of their own (--validation): not in this data.
        there = (
            "; evaluate that file (attn eval RUN FILE)"
            if local_path(validation_file).is_file()
            else ", which is not there now; put it back and evaluate it (attn eval RUN FILE)"
        )
        raise DataError(
            f"the run's validation rows are its validation file, {validation_file} (data.validation_file)"
            + there
        )
    if source.whole:
        if carved_by_training and wanted == "test":
            raise DataError(
                f"no split 'test': {source.whole_name} is the {_trained_kind(source)} this model was trained "
                "on, and its rows are train and validation; evaluate on other data, or pass --split "
                "validation"
            )
        folders = f"--split {split} is for folders of splits"
        note = f"{source.whole_name} is {source.whole}, evaluated whole ({folders})"
        return available[0], None, None, (note,) if split is not None else ()
    if wanted == "validation" and _find_split(available, "validation") is None:
        # Where the training data is now (its recorded absolute path), not as it was typed: a
        # relative path typed elsewhere may name this very folder from here.
        trained_on, splits = (
            checkpoint.training_data()[0] or checkpoint.config.data.source,
            ", ".join(sorted(available)),
        )
        raise DataError(
            f"no split 'validation' in {source.shown} (it has {splits}); the model's validation rows are "
            f"in the data it trained on, {trained_on}: evaluate that with --split validation, or another "
            "split here"
        )
    # The carved validation split is one to choose from too (the error lists it).
    choices = [*available, "validation (held out of train by training)"] if carved_by_training else available
    try:
        name = choose_split(available, split)
    except DataError:
        if split is None or choices == available:
            raise
        raise DataError(
            f"no split {split!r}; the data has {', '.join(choices)}; pass --split with one of them"
        ) from None
    return name, name, None, said


def is_carved_by_training(
    available: Iterable[str], *, trained_on: bool, checkpoint: LoadedCheckpoint
) -> bool:
    """Whether training carved its validation rows out of this data's train split: it is the data
    the model trained on, and that has a train split but no validation split, nor had a validation
    file of its own (data.validation_file)."""
    names = list(available)
    return (
        trained_on
        and not checkpoint.config.data.validation_file
        and "train" in names
        and _find_split(names, "validation") is None
    )
