"""The labelled rows `attn eval` scores: the split chosen (split_choice.py), its columns
(eval_columns.py) and rows, with training's validation carve rebuilt where that is the split asked
for, and the count of evaluated rows whose text the model trained on."""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from attncli.carving import stratified_split
from attncli.checkpoint import LoadedCheckpoint
from attncli.columns import Columns
from attncli.data_files import load_files
from attncli.data_folders import label_layout, split_files
from attncli.data_warnings import rows_seen_in_training
from attncli.encodings import is_utf8, trained_encoding_hint, utf8_advice_instead
from attncli.errors import AttnError, DataError
from attncli.eval_columns import UnlabelledSplit, columns_to_score
from attncli.fasttext_files import is_fasttext_file
from attncli.history import split_sizes_change
from attncli.joined_columns import with_joined_text
from attncli.label_folders import load_label_folders
from attncli.labels import missing_label
from attncli.local_paths import local_path
from attncli.origins import Origin
from attncli.raw_data import FILE_BUILDERS, SPLIT_ALIASES, RawData
from attncli.sources import load_raw, raw_of_datasets, same_source, with_validation_file
from attncli.split_choice import (
    Source,
    describe_source,
    is_carved_by_training,
    is_training_split_file,
    pick_split,
    recorded_source,
    training_file_encoding,
)
from attncli.split_rows import refuse_header_copies, to_split, with_columns
from attncli.splits import CHUNK_ROWS, Split, TextColumn, rows_digest
from attncli.unknown_labels import drop_unknown_labels

EVAL_DROP_HINT = "pass --drop-invalid to leave such rows out"
# Training rows eval reads through to count the evaluated rows the model has seen: about 5 s of
# hashing per million short texts (more for articles), so larger training data is not compared.
SEEN_CHECK_ROWS = 1_000_000
# Bytes of the training data's train file read to compare another file with it (about half a million
# short texts): 120 MB added 2 s to the eval of a 50-row file.
SEEN_CHECK_BYTES = 32 * 2**20


@dataclass(frozen=True)
class LabelledData:
    """The rows to evaluate, with labels indexed as the checkpoint's."""

    split: str | None
    """The split's name; None for a single file evaluated whole."""
    labelled: Split
    rows: Sequence[int]
    """The row of each example in its split of the source."""
    ignored_labels: dict[str, int] = dataclasses.field(default_factory=dict)
    """Rows left out of each label the model never saw (--ignore-unknown-labels), commonest first."""
    left_out_invalid: int = 0
    left_out_empty: int = 0
    seen_in_training: int | None = None
    """Rows whose text (ignoring case and spacing) is also a training row's (None: not compared)."""
    notes: tuple[str, ...] = ()
    source_rows: Any = None
    """The split of the source that `rows` index (a datasets.Dataset with every column), from which
    a mistake's other columns (an id, a date) are read; None where it is not kept."""
    scored_columns: tuple[str, ...] = ()
    """The text and label columns of `source_rows`."""
    origin: Origin | None = None
    """Where `source_rows` came from, to name a row by the line of its file."""
    refitted_on: bool = False
    """The rows are those training held out for validation, which the refit trained on too."""


def load_labelled_split(
    checkpoint: LoadedCheckpoint,
    source: str | Any,
    *,
    split: str | None,
    text_column: str | None,
    label_column: str | None,
    default_source: bool = False,
    ignore_unknown_labels: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    drop_invalid: bool = False,
) -> LabelledData:
    """The split of `source` to evaluate on. A single file named by the user is evaluated whole,
    whatever split is asked for: `datasets` calls it "train", which it is not. The training data is
    read with the settings it was trained with; rows training left out (data.drop_invalid) are left
    out here too, so that the carved validation rows are the same. `source` may be a Dataset or
    DatasetDict (the Python API), which is read as a saved one is."""
    data = checkpoint.config.data
    described = describe_source(checkpoint, source, default_source=default_source)
    raw = _read(source, checkpoint, trained_on=described.trained_on, encoding=encoding, delimiter=delimiter)
    name, shown, carve, notes = pick_split(
        checkpoint, described, list(raw.splits), split, default_source=default_source
    )
    dataset = raw.splits[name]
    where = described.whole_name if shown is None else raw.where(name, described.shown)
    if len(dataset) == 0:
        raise DataError(f"{where} is empty; evaluate on data with rows")
    columns, said, column_notes = columns_to_score(
        checkpoint, dataset, where=where, text_column=text_column, label_column=label_column
    )
    notes += column_notes
    dataset = with_columns(dataset, columns, where=where)
    refuse_header_copies(dataset, columns, raw.origins[name])
    if carve is None and columns.label is not None and _holds_no_label(dataset, columns.label):
        raise UnlabelledSplit(where)
    drop_invalid = drop_invalid or data.drop_invalid
    column_said = _label_column_said(columns.label, data.label_column, label_column)
    known = drop_unknown_labels(
        dataset, columns, checkpoint.label_names, where=where, ignore=ignore_unknown_labels,
        drop_invalid=drop_invalid, column_said=column_said,
    )  # fmt: skip
    dataset, rows, ignored_labels = known.dataset, known.rows, known.ignored
    notes += (known.note,) if known.note else ()
    origin = dataclasses.replace(raw.origins[name], rows=rows if ignored_labels else None)
    labelled = to_split(
        dataset, name=name, columns=columns, label_names=checkpoint.label_names, origin=origin,
        drop_invalid=drop_invalid, drop_hint=EVAL_DROP_HINT, read_as=known.read_as,
    )  # fmt: skip
    # Rows whose every cell is empty (a spreadsheet's empty rows) are said apart, and are not
    # counted as rows --drop-invalid left out.
    empty = labelled.empty_rows
    left_out = len(dataset) - len(labelled) - empty
    if labelled.rows is not None:
        rows = array("q", (rows[row] for row in labelled.rows))
        half_filled = labelled.half_filled_rows
        blank = empty - half_filled
        if blank:
            notes += (f"left out {blank:,} empty row{'s' * (blank != 1)} of {where} (every cell empty)",)
        if half_filled:
            notes += (
                f"left out {half_filled:,} row{'s' * (half_filled != 1)} of {where} with other cells filled "
                f"but neither a text nor a label (the first: {labelled.first_half_filled})",
            )
        if left_out:
            notes += (
                f"left out {left_out:,} row{'s' * (left_out != 1)} of {where} with no text or no label",
            )
    labelled, rows, trained = _training_side(
        checkpoint, source, described, raw, name=name, carve=carve, labelled=labelled, rows=rows,
        text_column=columns.text,
    )  # fmt: skip
    refitted_on = carve == "validation" and checkpoint.refitted
    if refitted_on:
        notes += (
            "the refit after training trained on these held-out rows (train.refit_epochs): scores "
            "on them show what the model remembers, not how it does on new text",
        )
    asked_for_training_rows = split is not None and SPLIT_ALIASES.get(split.lower()) == "train"
    # Rows known to be trained on are said once: by the refit's note, or by the count's.
    said_too = not (asked_for_training_rows or refitted_on)
    seen, seen_notes = _seen_in_training(labelled, trained, said_too=said_too)
    return LabelledData(
        split=shown,
        labelled=labelled,
        rows=rows,
        ignored_labels=ignored_labels,
        left_out_invalid=left_out,
        left_out_empty=empty,
        seen_in_training=seen,
        notes=(*raw.notes, *said, *notes, *seen_notes),
        source_rows=raw.splits[name],
        scored_columns=(columns.text, columns.label or columns.text),
        origin=raw.origins[name],
        refitted_on=refitted_on,
    )


def _read(
    source: str | Any,
    checkpoint: LoadedCheckpoint,
    *,
    trained_on: bool,
    encoding: str | None,
    delimiter: str | None,
) -> RawData:
    """The source's splits; the training data as it was read in training (its encoding, delimiter
    and Hub configuration)."""
    if not isinstance(source, str):
        return raw_of_datasets(source)
    data = checkpoint.config.data
    # A copy of the repository the run trained on (a clone elsewhere) has the same configurations.
    same_config = trained_on or _declares_config(source, data.config)
    # A split file of the training folder named by its path is read as training read it (a trial:
    # the test.csv of a cp1252 folder was refused as not UTF-8 where `attn eval RUN` read it), unless
    # it is UTF-8 (exported again since: no 8-bit text with an accent is valid UTF-8) or a byte-order
    # mark says what it is (training_file_encoding).
    in_folder = not trained_on and is_training_split_file(checkpoint, source)
    as_trained = trained_on or (in_folder and bool(training_file_encoding(checkpoint, local_path(source))))
    used = encoding or (data.encoding if as_trained else "utf-8")
    read_with = delimiter or (data.delimiter if trained_on or in_folder else None)
    try:
        raw = load_raw(
            source, config_name=data.config if same_config else None, encoding=used, delimiter=read_with
        )
        # The training data's validation rows are the run's validation file, where it had one, the
        # data has none of its own since, and the file is still there (gone: pick_split says so).
        validation = data.validation_file if trained_on else None
        if validation and "validation" not in raw.splits and local_path(validation).is_file():
            raw = with_validation_file(raw, source, validation, encoding=used, delimiter=read_with)
        return raw
    except DataError as error:
        told = str(error).replace(" (data.encoding in a config file)", "")  # eval takes no config file
        if encoding is None and used != "utf-8":  # the run's encoding, which leaving --encoding out keeps
            told = utf8_advice_instead(told, f"the run's data was read as {used}") or told
        hint = trained_encoding_hint(data.encoding, told) if is_utf8(used) else None
        if hint is None and told == str(error):
            raise
        raise DataError(f"{told}{hint or ''}") from error


def _declares_config(source: str, name: str | None) -> bool:
    """Whether `source` is a local dataset repository whose README.md declares configuration `name`."""
    from attncli.data_folders import repository_configs

    path = local_path(source)
    configs = repository_configs(path) if name and path.is_dir() else None
    return configs is not None and name in configs.splits


@dataclass(frozen=True)
class _Trained:
    """The texts the model trained on, to count the evaluated rows it has seen, and how to name them."""

    texts: Sequence[str] | None
    """None where the rows evaluated are not the training data's, or it is too large to compare."""
    rows: str
    unread: str = ""
    """Why the training data could not be read to compare with, where it could not."""


def _training_side(
    checkpoint: LoadedCheckpoint,
    source: str | Any,
    described: Source,
    raw: RawData,
    *,
    name: str,
    carve: str | None,
    labelled: Split,
    rows: Sequence[int],
    text_column: str,
) -> tuple[Split, Sequence[int], _Trained]:
    """The rows to score and the texts the model trained on: where the training data's train split
    is read, training's carve is rebuilt (the same seed, the same sides), and the side asked for is
    kept (`carve`), or, evaluated whole, the kept side is what was trained on; else the train split
    of the training data, or nothing to compare with."""
    data = checkpoint.config.data
    carved_by_training = is_carved_by_training(
        raw.splits, trained_on=described.trained_on, checkpoint=checkpoint
    )
    whole_training_file = carve is None and name == "train" and carved_by_training
    if carve is None and not whole_training_file:
        if described.trained_on:
            texts = (
                _trained_texts(checkpoint, raw.splits["train"], carved=carved_by_training)
                if "train" in raw.splits
                else None
            )
            trained_part = _trained_part(checkpoint, carved_by_training)
            named, unread = f"a row of the 'train' split of {described.shown}{trained_part}", ""
        else:
            texts, named, unread = _training_data_texts(checkpoint)
        return labelled, rows, _Trained(_comparable(texts), named, unread)
    kept, carved = stratified_split(labelled.labels, fraction=data.validation_fraction, seed=data.split_seed)
    trained_split, held_out = labelled.select(kept), labelled.select(carved)
    texts = None
    try:
        _require_same_carve(checkpoint, source, len(kept), held_out)
        # The refit after early stopping trained on the held-out rows too.
        texts = labelled.texts if checkpoint.refitted else trained_split.texts
    except DataError:
        if carve is not None:
            raise
        # Evaluated whole, a training file that has changed since is a file like any other: its
        # rows are scored, but which of them were trained on can no longer be told.
    trained = _Trained(_comparable(texts), f"one of the rows of {described.shown} it trained on")
    if carve is None:
        return labelled, rows, trained
    side, labelled = (carved, held_out) if carve == "validation" else (kept, trained_split)
    return labelled, array("q", (rows[row] for row in side)), trained


def _training_data_texts(checkpoint: LoadedCheckpoint) -> tuple[Sequence[str] | None, str, str]:
    """The texts of the local data the model was trained on (the train file of a folder of splits,
    or the one file it carved its validation rows from), read as training read them, to compare
    other data with (a file of that folder named by its path, a file anywhere, a Dataset given to
    the Python API), how the note names them, and why they could not be read, where they could
    not; None where it is not local. Eval of a test file
    that shared rows with the training data said nothing of it. Only up to SEEN_CHECK_BYTES are
    read: the check must not cost an eval seconds."""
    data = checkpoint.config.data
    recorded = recorded_source(checkpoint)
    shown = data.source if data.source and recorded and same_source(data.source, recorded) else str(recorded)
    if not recorded or not data.text_column:
        return None, "", ""
    trained = local_path(recorded)
    try:
        layout = label_layout(trained)
    except DataError as error:  # changed since into what is refused: said, not raised for other data
        return None, f"one of the rows of {shown} it trained on", str(error)
    if trained.is_dir():
        files = layout.files_by_split() if layout is not None else split_files(trained)
        train_files, carved = files.get("train", []), "validation" not in files and not data.validation_file
        of = f"a row of the 'train' split of {shown}{_trained_part(checkpoint, carved)}"
    else:
        readable = trained.is_file() and (
            trained.suffix.lower() in FILE_BUILDERS or is_fasttext_file(trained, encoding=data.encoding)
        )
        train_files, carved, of = (
            ([trained] if readable else []),
            not data.validation_file,
            f"one of the rows of {shown} it trained on",
        )
    try:
        too_large = sum(file.stat().st_size for file in train_files) > SEEN_CHECK_BYTES
    except OSError:
        return None, of, ""
    if not train_files or too_large:
        return None, of, ""
    try:
        training = (
            load_label_folders(layout.train_only(), encoding=data.encoding)
            if layout is not None
            else load_files({"train": train_files}, encoding=data.encoding, delimiter=data.delimiter)
        )
    except AttnError as error:
        # Changed since, or a datasets cache it cannot write: said, where the count was left out
        # without a word (a check for leaks gated on it passed: a trial's read-only HF_DATASETS_CACHE).
        return None, of, str(error)
    return _trained_texts(checkpoint, training.splits["train"], carved=carved), of, ""


def _trained_texts(checkpoint: LoadedCheckpoint, train: Any, *, carved: bool) -> Sequence[str] | None:
    """The texts of the training data's `train` split the model trained on: where training `carved`
    its validation rows out of it and did not refit on them, the kept side of that carve, rebuilt
    (a test file repeating the held-out rows counted them as trained on); else every row. None
    where the carve cannot be rebuilt (the split has changed since, or reads otherwise now)."""
    data = checkpoint.config.data
    if len(train) > SEEN_CHECK_ROWS:  # not compared (see _comparable): not worth reading through
        return None
    if not carved or checkpoint.refitted:
        return _texts_of(train, data.text_column or "")
    if not data.text_column or not data.label_column:
        return None
    columns = Columns(text=data.text_column, label=data.label_column)
    try:
        split = to_split(
            with_columns(train, columns, where="the training data"), name="train", columns=columns,
            label_names=checkpoint.label_names, drop_invalid=data.drop_invalid,
        )  # fmt: skip
        kept, held_out = stratified_split(
            split.labels, fraction=data.validation_fraction, seed=data.split_seed
        )
        # Rows shuffled or edited since: another carve, whose kept side is not what was trained on.
        _require_same_carve(checkpoint, "the training data", len(kept), split.select(held_out))
    except AttnError:
        return None
    return split.select(kept).texts


def _trained_part(checkpoint: LoadedCheckpoint, carved: bool) -> str:
    """What the note adds where only part of the train split was trained on (the kept side of a
    carve the run did not refit on): rows copied from its held-out side are not counted."""
    return " it trained on" if carved and not checkpoint.refitted else ""


def _comparable(texts: Sequence[str] | None) -> Sequence[str] | None:
    """Training texts to compare with, unless too many: not worth seconds of every eval (the count
    is then left out, null)."""
    return None if texts is None or len(texts) > SEEN_CHECK_ROWS else texts


def _seen_in_training(
    labelled: Split, trained: _Trained, *, said_too: bool
) -> tuple[int | None, tuple[str, ...]]:
    """How many evaluated rows have a training text (None: not compared), and a note saying so,
    unless the training rows were asked for."""
    seen = None if trained.texts is None else rows_seen_in_training(labelled.texts, trained.texts)
    if trained.unread:
        return None, (
            f"rows also in training not counted: the data trained on could not be read ({trained.unread})",
        )
    if not seen or not said_too:
        return seen, ()
    return seen, (
        f"{seen:,} of the {len(labelled):,} rows evaluated have the same text (ignoring case and spacing) "
        f"as {trained.rows}: scores on them show what the model remembers, not how it does on new text",
    )


def _holds_no_label(dataset: Any, label_column: str) -> bool:
    """Whether every row of `dataset` lacks a label (read a chunk at a time, stopping at the first)."""
    feature = dataset.features[label_column]
    for start in range(0, len(dataset), CHUNK_ROWS):
        values = dataset.select(range(start, min(start + CHUNK_ROWS, len(dataset))))[label_column]
        if not all(missing_label(feature, value) for value in values):
            return False
    return True


def _texts_of(dataset: Any, column: str) -> Sequence[str]:
    """A split's texts, read in chunks; none when it lacks the column. A dotted path (`doc.body`,
    a field of nested records) is read from the split flattened, and columns joined (title,body)
    joined, as training read them."""
    try:
        dataset = with_joined_text(dataset, column, where="the training data")
    except DataError:  # changed since: nothing to compare with
        return ()
    if column not in dataset.column_names:
        dataset = dataset.flatten()
    return TextColumn(dataset, column) if column in dataset.column_names else ()


def _require_same_carve(
    checkpoint: LoadedCheckpoint, source: str, train_size: int, validation: Split
) -> None:
    """Refuse a validation carve from training data that has changed since the run: its rows would be
    others than those training held out, some of them trained on, and the score would flatter. The
    sizes tell a file with rows added or removed; the digest of the held-out rows (metrics.json's
    validation_digest; runs saved before it was kept are checked by size alone) tells one whose rows
    were reordered or edited: a file sorted in a spreadsheet scored 31.4% "validation" macro-F1,
    where the rows held out scored 26.2%, without a word."""
    if not checkpoint.metrics:  # missing, or set aside as damaged: nothing to find the rows again by
        why = "is damaged" if checkpoint.warnings else "is missing"
        raise DataError(
            f"the validation rows of {source} are those training held out of its train split, which "
            f"{checkpoint.path / 'metrics.json'} records, and it {why}; restore it, or evaluate on a file "
            "of its own"
        )
    change = split_sizes_change(checkpoint.metrics, train_size, len(validation))
    recorded = checkpoint.metrics.get("validation_digest")
    if change is None and isinstance(recorded, str) and recorded:
        if rows_digest(validation, checkpoint.label_names) != recorded:
            change = "the same number of rows, but in another order or with other texts or labels"
    if change is not None:
        raise DataError(
            f"{source} has changed since the run was trained ({change}), so the validation rows it held "
            "out cannot be found again; put back the data it trained on, or evaluate on a file of its own "
            "(if the data is as it was, this attn reads it otherwise than the one that trained the run)"
        )


def _label_column_said(chosen: str | None, trained: str | None, named: str | None) -> str:
    """Which column the unknown labels came from, for the error that lists them, where it is not the
    model's own label column: one found by its name where that is absent (a `score_manual` beside
    no `target`) was read without a word, and its values refused as labels the model never saw."""
    if chosen is None or named is not None or trained is None or chosen == trained:
        return ""
    return (
        f" in column {chosen!r} (taken for the labels by its name, as the model's label column "
        f"{trained!r} is not here; --label-column names the one to read)"
    )
