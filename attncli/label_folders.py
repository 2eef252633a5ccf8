"""A folder of label folders: each subfolder a label, each file in it one text, the folder's name its
label (the layout of IMDB's aclImdb, 20 Newsgroups and the BBC's own articles, as scikit-learn's
`load_files` and Keras's `text_dataset_from_directory` read them), under split folders (train/,
test/) or not. It was refused as a folder with no split files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attncli.checkpoint_folder import is_checkpoint_or_run
from attncli.documents import FILE_FIELD, folder_file_text
from attncli.errors import DataError
from attncli.origins import Origin
from attncli.raw_data import FILE_BUILDERS, SPLIT_ALIASES, RawData

# Folders of texts without labels, as aclImdb's train/unsup: read as a label, 50,000 reviews of it.
UNLABELLED = ("unsup", "unsupervised", "unlabeled", "unlabelled")
# Files an operating system leaves in folders, which are no texts (hidden ones, .DS_Store, are left out too).
SYSTEM_FILES = ("thumbs.db", "desktop.ini")
# Names listed in a note, at most.
LISTED_AT_MOST = 4
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

    def train_only(self) -> LabelFolders:
        """Its train split alone, with nothing to say of what was left out."""
        return LabelFolders(splits={"train": self.splits["train"]}, whole=self.whole)


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name.lower() not in SYSTEM_FILES


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:LISTED_AT_MOST])
    return shown + (f" and {len(names) - LISTED_AT_MOST} more" if len(names) > LISTED_AT_MOST else "")


def _children(folder: Path) -> tuple[list[Path], list[Path]]:
    """The visible files and folders of `folder`, by name."""
    try:
        children = sorted(
            (child for child in folder.iterdir() if _visible(child)), key=lambda child: child.name
        )
    except OSError:
        return [], []
    return [child for child in children if child.is_file()], [child for child in children if child.is_dir()]


def _labels_in(folder: Path, left_out: list[str]) -> dict[str, list[Path]]:
    """The label folders of `folder` (those holding files), each with its files; what else it holds
    goes to `left_out`."""
    files, folders = _children(folder)
    labels: dict[str, list[Path]] = {}
    empty, unlabelled, nested, no_texts = [], [], [], []
    for label_folder in folders:
        texts, inner = _children(label_folder)
        if label_folder.name.lower() in UNLABELLED:
            unlabelled.append(label_folder.name)
        elif is_checkpoint_or_run(label_folder) or (texts and all(map(_is_data_file, texts))):
            no_texts.append(label_folder.name)  # a run's output, or a Hub repository's data/ of parquet
        elif texts:
            labels[label_folder.name] = texts
            nested += [f"{label_folder.name}/{child.name}" for child in inner]
        else:
            empty.append(label_folder.name)
    if not labels:
        return labels
    where = f"in {folder}"
    if unlabelled:
        left_out.append(f"left out {_listed(unlabelled)} {where}: texts without labels")
    if no_texts:
        left_out.append(f"left out {_listed(no_texts)} {where}: data files or a checkpoint, not texts")
    if empty:
        left_out.append(f"left out {_listed(empty)} {where}: folders with no files")
    if files:
        left_out.append(
            f"left out {_listed([file.name for file in files])} {where}: a text is a file of a label's folder"
        )
    if nested:
        left_out.append(
            f"left out {_listed(nested)} {where}: only the files directly in a label's folder are read"
        )
    return labels


def label_folders(path: Path) -> LabelFolders | None:
    """`path` read as a folder of label folders (FOLDER/LABEL/FILE), or of split folders that each
    are one (FOLDER/train/LABEL/FILE); None where it is neither."""
    _, folders = _children(path)
    split_folders = {
        SPLIT_ALIASES[folder.name.lower()]: folder
        for folder in folders
        if folder.name.lower() in SPLIT_ALIASES
    }
    left_out: list[str] = []
    if split_folders:
        splits = {split: _labels_in(folder, left_out) for split, folder in split_folders.items()}
        splits = {split: labels for split, labels in splits.items() if labels}
        if "train" not in splits or len(splits["train"]) < FEWEST_LABELS:
            return None
        others = [folder.name for folder in folders if folder.name.lower() not in SPLIT_ALIASES]
        others += [folder.name for split, folder in split_folders.items() if split not in splits]
        files = [child.name for child in _children(path)[0]]
        if others or files:
            left_out.append(
                f"left out {_listed(sorted(others) + files)} in {path}: the splits are the folders named "
                "train, validation (valid, val, dev) and test"
            )
        ordered = {split: splits[split] for split in SPLIT_ORDER if split in splits}
        return LabelFolders(splits=ordered, whole=False, left_out=left_out)
    labels = _labels_in(path, left_out)
    if len(labels) < FEWEST_LABELS:
        return None
    return LabelFolders(splits={"train": labels}, whole=True, left_out=left_out)


def _is_data_file(path: Path) -> bool:
    return path.suffix.lower() in FILE_BUILDERS


def _require_texts(label: str, files: list[Path]) -> None:
    """Refuse a data file among a label's texts: its rows are texts of their own, and read whole it
    would be one text of that label."""
    data_files = [file.name for file in files if _is_data_file(file)]
    if data_files:
        raise DataError(
            f"{files[0].parent} holds data files ({_listed(data_files)}) among the texts of label {label!r}; "
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
                text, used = folder_file_text(path, encoding=encoding)
                texts.append(text)
                read_as_utf8 += used != encoding and used == "utf-8"
            names += [label] * len(paths)
            files += paths
        # Each row's file, relative to the folder of its labels, names it as predict names the files
        # of a folder (an id column: eval's mistakes are listed by it).
        shown = [str(path.relative_to(path.parent.parent)) for path in files]
        splits[split] = datasets.Dataset.from_dict({FILE_FIELD: shown, "text": texts, "label": names})
        origins[split] = Origin(split=split, encoding=encoding, files=files)
        counts.append(f"{'' if layout.whole else f'{split} '}{len(files):,} files in {len(labels)}")
    read = "read a folder of label folders: each file one text, its folder's name its label"
    read += f" ({'; '.join(counts)} label folders)"
    if read_as_utf8:
        files_said = "1 file" if read_as_utf8 == 1 else f"{read_as_utf8:,} files"
        read += f"; {files_said} valid UTF-8 read as UTF-8, not as {encoding}"
    return RawData(splits=splits, origins=origins, notes=(read, *layout.left_out))
