"""A folder of label folders: each subfolder a label, each file in it one text, the folder's name its
label (the layout of IMDB's aclImdb, 20 Newsgroups and the BBC's own articles, as scikit-learn's
`load_files` and Keras's `text_dataset_from_directory` read them), under split folders (train/,
test/) or not. It was refused as a folder with no split files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attncli.checkpoint_folder import is_checkpoint_or_run
from attncli.data_files import listed
from attncli.documents import (
    FILE_FIELD,
    NO_FILE,
    Children,
    folder_file_text,
    is_data_file,
    is_visible,
    readable_children,
    visible_children,
)
from attncli.errors import DataError
from attncli.origins import Origin
from attncli.raw_data import SPLIT_ALIASES, RawData, split_word_of

# Folders of texts without labels, as aclImdb's train/unsup: read as a label, 50,000 reviews of it.
UNLABELLED = ("unsup", "unsupervised", "unlabeled", "unlabelled")
# The order splits are read and named in.
SPLIT_ORDER = ("train", "validation", "test")
# The fewest label folders that make a folder of them (one is no classification, and a folder of
# one subfolder is more likely something else).
FEWEST_LABELS = 2


@dataclass
class LabelFolders:
    """The texts of a folder of label folders, by split, then by label, and what was left out."""

    splits: dict[str, dict[str, list[Path]]]
    whole: bool
    """Whether it is one set of label folders, with no split folders above them: evaluated whole, as a
    single file is (its one split is called train, which it need not be)."""
    left_out: list[str] = field(default_factory=list)
    """Notes: what is in the folders but read as no text of any label."""

    def files_by_split(self) -> dict[str, list[Path]]:
        """Each split's files, its labels' together."""
        return {
            split: [file for files in labels.values() for file in files]
            for split, labels in self.splits.items()
        }

    def train_only(self) -> LabelFolders:
        """Its train split alone, with nothing to say of what was left out."""
        return LabelFolders(splits={"train": self.splits["train"]}, whole=self.whole)


def _listed_children(folder: Path) -> Children:
    """The visible entries of a folder whose texts are read, which must be readable: a label's folder
    the user may not list was refused as a 'config.json cannot be opened' that was not there, and a
    split folder so was left out as naming no split."""
    try:
        return visible_children(folder)
    except PermissionError:
        raise DataError(
            f"{folder} cannot be read (permission denied); give yourself access to it (chmod, chown), or "
            "move it out"
        ) from None


def _holds_split_files(files: list[Path]) -> bool:
    """Whether `files` are a dataset's: a data file named for a split (train.csv, bbc_test.jsonl)
    among no more other files than data files (a README beside them). A label's texts with such a
    file among them are a label's, whose data file is refused."""
    data_files = [file for file in files if is_data_file(file)]
    named = any(split_word_of(file.stem) is not None for file in data_files)
    return named and len(files) - len(data_files) <= len(data_files)


def _holds_label_folders(folder: Path) -> bool:
    """Whether `folder` holds a folder of files: one that may be a split's folder of label folders."""
    return any(readable_children(inner).files for inner in readable_children(folder).folders)


# The folders of a Maildir that hold its messages, and those beside them that may hold files: tmp/
# during a delivery or after a failed one, Courier's keywords.
MAILDIR_FOLDERS = frozenset({"cur", "new"})
MAILDIR_OTHERS = frozenset({"tmp", "courierimapkeywords"})


def _labels_in(folder: Path, left_out: list[str]) -> dict[str, list[Path]]:
    """The label folders of `folder` (those holding files), each with its files; what else it holds
    goes to `left_out`."""
    files, folders, others = _listed_children(folder)
    labels: dict[str, list[Path]] = {}
    empty: list[str] = []
    unlabelled: list[str] = []
    nested: list[str] = []
    inner_folders: list[Path] = []
    no_texts: list[str] = []
    parents: dict[str, list[Path]] = {}  # folders holding folders alone (Science/Geology/: a label's /)
    for label_folder in folders:
        texts, inner, strange = _listed_children(label_folder)
        if label_folder.name.lower() in UNLABELLED:
            unlabelled.append(label_folder.name)
        elif not texts and inner and not is_checkpoint_or_run(label_folder):
            parents[label_folder.name] = inner
            others += strange
        elif is_checkpoint_or_run(label_folder) or _holds_split_files(texts) or all(map(is_data_file, texts)):
            (no_texts if texts else empty).append(label_folder.name)  # a run, a dataset, Hub parquet
        else:
            labels[label_folder.name] = texts
            nested += [f"{label_folder.name}/{child.name}" for child in inner]
            inner_folders += inner
            others += strange
    if not labels:
        return labels
    named = {name.lower() for name in labels}
    if MAILDIR_FOLDERS <= named <= MAILDIR_FOLDERS | MAILDIR_OTHERS:  # `new`, `cur` and `old` are labels
        # A mail store's own folders: trained as the labels `cur` and `new` (a spam analyst's trial).
        raise DataError(
            f"{folder} is a Maildir (cur/ and new/ hold its messages), not a folder of label folders: "
            "cur and new are no labels; put each label's messages in a folder named for it (spam/, ham/), "
            "a Maildir's cur/ and new/ messages moved into one"
        )
    where = f"in {folder}"
    if unlabelled:
        left_out.append(f"left out {listed(unlabelled)} {where}: texts without labels")
    if no_texts:
        left_out.append(f"left out {listed(no_texts)} {where}: data files or a checkpoint, not texts")
    held = {name: _files_within(inner) for name, inner in parents.items()}
    empty += [name for name, (count, unread) in held.items() if not count and not unread]
    parents = {name: inner for name, inner in parents.items() if name not in empty}
    if parents:
        # A warning, which -q keeps: a cataloguer's labels with a slash (Science/Geology) made folders
        # within folders, and five labels of 61 were left out in a note of "folders with no files".
        inner_names = [f"{name}/{inner.name}" for name, folders in parents.items() for inner in folders]
        parents_files = sum(held[name][0] for name in parents)
        parents_unread = [unread for name in parents for unread in held[name][1]]
        files_held = _files_held(parents_files, parents_unread)
        left_out.append(
            f"warning: left out {listed(list(parents))} {where}, holding folders alone "
            f"({listed(inner_names)}, with {files_held}): a label is one folder of files, and a "
            "label's name holds no /; to train on them, make each a label's folder at this level "
            f"({inner_names[0].replace('/', '-')})"
        )
    if empty:
        left_out.append(f"left out {listed(empty)} {where}: folders with no files")
    if files:
        left_out.append(
            f"left out {listed([file.name for file in files])} {where}: a text is a file of a label's folder"
        )
    nested_files, unread = _files_within(inner_folders)
    if nested_files or unread:
        # A warning, which -q keeps: contracts filed by year (NDA/2023/) were 8 of 15 of a label's files,
        # left out in a note (a legal analyst's trial).
        left_out.append(
            f"warning: left out {listed(nested)} {where}, holding {_files_held(nested_files, unread)}: only "
            "the files directly in a label's folder are read; move them up into it to train on them"
        )
    elif nested:
        left_out.append(f"left out {listed(nested)} {where}: folders with no files")
    if others:
        shown = [str(other.relative_to(folder).as_posix()) for other in others]
        left_out.append(f"left out {listed(shown)} {where}: {NO_FILE}")
    return labels


def _files_held(files: int, unread: list[str]) -> str:
    """How many files `_files_within` counted, as a warning says it (`10,000+ files`)."""
    more = "+" * (files >= NESTED_FILES_COUNTED)
    unreadable = f" ({listed(unread)} could not be listed)" if unread else ""
    return f"{files:,}{more} file{'s' * (files != 1)}{unreadable}"


# Files counted in the folders inside label folders, at most: a warning need not walk a whole tree.
NESTED_FILES_COUNTED = 10_000


def _files_within(folders: list[Path]) -> tuple[int, list[str]]:
    """The visible files under `folders`, at any depth (links to folders followed no further), up to
    NESTED_FILES_COUNTED in all, and the folders among them that could not be listed."""
    counted, unread = 0, []

    def unreadable(error: OSError) -> None:
        unread.append(Path(error.filename or "").name)

    for folder in folders:
        for root, inner, files in os.walk(folder, onerror=unreadable):
            inner[:] = [name for name in inner if is_visible(Path(root, name))]
            counted += sum(1 for name in files if is_visible(Path(root, name)))
            if counted >= NESTED_FILES_COUNTED:
                return NESTED_FILES_COUNTED, unread
    return counted, unread


def label_folders(path: Path) -> LabelFolders | None:
    """`path` read as a folder of label folders (FOLDER/LABEL/FILE), or of split folders that each
    are one (FOLDER/train/LABEL/FILE); None where it is neither."""
    files, folders, strange = readable_children(path)
    split_folders = _split_folders(path, folders)
    if not split_folders:
        return _labels_alone(path)
    left_out: list[str] = []
    splits = {split: _labels_in(folder, left_out) for split, folder in split_folders.items()}
    splits = {split: labels for split, labels in splits.items() if labels}
    if "train" not in splits or len(splits["train"]) < FEWEST_LABELS:
        # Labels whose names hold a split's word (training, dev-ops) beside others (sales) are labels;
        # split folders of texts alone (train/ and test/ each holding its files) are not.
        if set(split_folders.values()) >= {folder for folder in folders if readable_children(folder).files}:
            return None
        return _labels_alone(path)
    read = {folder for split, folder in split_folders.items() if split in splits}
    others = [child.name for child in [*folders, *files] if child not in read]
    if others:
        left_out.append(
            f"left out {listed(others)} in {path}: the splits are the folders named train, validation "
            "(valid, val, dev) and test, or, where none is, with one of those words in their names "
            "(20news-bydate-train)"
        )
    if strange:
        left_out.append(f"left out {listed([other.name for other in strange])} in {path}: {NO_FILE}")
    return LabelFolders(splits=splits, whole=False, left_out=left_out)


def _labels_alone(path: Path) -> LabelFolders | None:
    """`path` as one set of label folders, with no split folders above them."""
    left_out: list[str] = []
    labels = _labels_in(path, left_out)
    if len(labels) < FEWEST_LABELS:
        return None
    return LabelFolders(splits={"train": labels}, whole=True, left_out=left_out)


def _split_folders(path: Path, folders: list[Path]) -> dict[str, Path]:
    """The folders of splits among `folders`, in the order train, validation, test: those named for a
    split (train, dev), else those whose names hold one split's word among others, as 20 Newsgroups'
    20news-bydate-train and 20news-bydate-test (as datasets reads such files: bbc_train.csv), where no
    two name the same split (train_booking and train_schedule are labels). A split named by two
    folders of label folders (dev and validation, Train and train) is refused, as two files are."""
    named = [(SPLIT_ALIASES.get(folder.name.lower()), folder) for folder in folders]
    if not any(split for split, _ in named):
        worded = [(split_word_of(folder.name), folder) for folder in folders]
        splits = [split for split, _ in worded if split is not None]
        named_once = {split: folder for split, folder in worded if split is not None}
        return _in_split_order(named_once if len(splits) == len(set(splits)) else {})
    found: dict[str, Path] = {}
    for split, folder in named:
        if split is None:
            continue
        if split in found and _holds_label_folders(found[split]) and _holds_label_folders(folder):
            raise DataError(
                f"{path} holds two folders for split {split!r}: {found[split].name} and {folder.name}; move "
                "one of them out of the folder (or rename it so that it names no split)"
            )
        if split not in found or _holds_label_folders(folder):
            found[split] = folder
    return _in_split_order(found)


def _in_split_order(found: dict[str, Path]) -> dict[str, Path]:
    return {split: found[split] for split in SPLIT_ORDER if split in found}


def near_miss(path: Path) -> str | None:
    """What keeps `path`, a folder holding folders, from being read as a folder of label folders,
    with what to do: said where it was refused as holding no split files, which told a user with 20
    Newsgroups' folders to save csv files."""
    _, folders, _ = readable_children(path)
    datasets = [folder for folder in folders if _holds_split_files(readable_children(folder).files)]
    if datasets:
        return f"{datasets[0]} is a folder of split files: pass it"
    split_folders = _split_folders(path, folders)
    for split_folder in split_folders.values():
        if readable_children(split_folder).files and not _labels_in(split_folder, []):
            return (
                f"{split_folder.name}/ holds its texts directly: to read texts from files, put each label's "
                f"in a folder of its own ({split_folder.name}/LABEL/FILE)"
            )
    if "train" not in split_folders:
        for folder in folders:
            try:
                inner = label_folders(folder)
            except DataError:  # what is wrong inside it is said where it is passed
                inner = None
            if inner is not None:
                return f"{folder} is a folder of label folders (one folder a label, a text a file): pass it"
    within = split_folders.get("train", path)
    labels = _labels_in(within, [])
    if len(labels) == 1:
        return (
            f"to read texts from files, each label needs a folder of its own, and only {next(iter(labels))}/ "
            f"in {within} holds texts"
        )
    return None


def _require_texts(label: str, files: list[Path]) -> None:
    """Refuse a data file among a label's texts: its rows are texts of their own, and read whole it
    would be one text of that label."""
    data_files = [file.name for file in files if is_data_file(file)]
    if data_files:
        raise DataError(
            f"{files[0].parent} holds data files ({listed(data_files)}) among the texts of label {label!r}; "
            "each file of a label's folder is read as one text: move them out"
        )


def load_label_folders(layout: LabelFolders, *, encoding: str) -> RawData:
    """Each split's texts (each file read whole, as predict reads a folder's files) and labels, as a
    Dataset with `file`, `text` and `label` columns; a row is named by its file in messages."""
    import datasets

    splits: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    counts = []
    read_as_utf8 = 0
    for split, labels in layout.splits.items():
        texts: list[str] = []
        names: list[str] = []
        files: list[Path] = []
        for label, paths in labels.items():
            _require_texts(label, paths)
            for path in paths:
                text, used = folder_file_text(path, encoding=encoding, folder="a label's folder")
                texts.append(text)
                read_as_utf8 += used != encoding and used == "utf-8"
            names += [label] * len(paths)
            files += paths
        # Each row's file, relative to the folder of its labels (with / on Windows too), names it as
        # predict names the files of a folder (an id column: eval's mistakes are listed by it).
        shown = [path.relative_to(path.parent.parent).as_posix() for path in files]
        splits[split] = datasets.Dataset.from_dict({FILE_FIELD: shown, "text": texts, "label": names})
        origins[split] = Origin(split=split, encoding=encoding, files=files)
        counts.append(f"{'' if layout.whole else f'{split} '}{len(files):,} files in {len(labels)}")
    read = "read a folder of label folders: each file one text, its folder's name its label"
    read += f" ({'; '.join(counts)} label folders)"
    if read_as_utf8:
        files_said = "1 file" if read_as_utf8 == 1 else f"{read_as_utf8:,} files"
        read += f"; {files_said} valid UTF-8 read as UTF-8, not as {encoding}"
    return RawData(splits=splits, origins=origins, notes=(read, *layout.left_out))
