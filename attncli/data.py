"""Loading a data source into labelled train and validation splits: which columns hold text and
label, what the label names are, the checks and notes on the data, and the validation carve where
the data has none. Knows nothing of tokens or tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attncli.added_columns import predicted_label_columns
from attncli.annotation_exports import export_hint, refuse_rejected_answers
from attncli.carving import stratified_split
from attncli.columns import Columns, choose_columns
from attncli.config import DataConfig
from attncli.data_warnings import (
    conflicting_labels_warning,
    encoded_blocks_warning,
    few_examples_warning,
    label_conflicts,
    lost_letters_warning,
    missing_marker_texts_warning,
    rare_in_validation_warning,
    repeated_in_training_warning,
    small_validation_warning,
    unvalidated_labels_error,
)
from attncli.errors import DataError
from attncli.joined_columns import columns_named, missing_parts_note
from attncli.label_warnings import (
    joined_labels_warning,
    look_alike_labels_warning,
    missing_marker_labels_warning,
)
from attncli.labels import labels_of
from attncli.layouts import layout_of_schema, listed
from attncli.sources import NO_DATASET, load_raw
from attncli.split_rows import refuse_header_copies, to_split, with_columns, without_labels_of_rows_left_out
from attncli.splits import Split, Splits
from attncli.unknown_labels import labels_read_as_known

# Up to this many labels a training set may have however few rows it has (a small hand-made task).
MOST_LABELS_UNCHECKED = 20
# Labels this many words long on average read as texts, not as names of classes.
TEXT_LIKE_WORDS = 4


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


def _labels_like_texts_warning(
    train: Split, label_names: list[str], columns: Columns, where: str, layout: Any
) -> list[str]:
    """A warning where the labels average fewer than four rows each (past MOST_LABELS_UNCHECKED): a
    translation memory's `target`, taken for the labels by its name beside `--text-column source_en`,
    trained 471 classes of 1,166 rows without a word of the column (a localisation trial); past half
    the rows, labels that read as texts are refused (`_require_labels_not_texts`)."""
    most = max(MOST_LABELS_UNCHECKED, len(train) / 4)
    if len(label_names) <= most:
        return []  # the labels read are at least those present: no pass over the rows
    labels = len(set(train.labels))
    if labels <= most:
        return []
    return [
        f"warning: label column {columns.label!r} has {labels:,} distinct values in {len(train):,} rows "
        f"({len(train) / labels:.1f} rows each): a column of texts rather than of labels? name the label "
        f"column with --label-column ({where} has columns {listed(layout)})"
    ]


def _refuse_predictions_as_labels(train: Any, label: str | None, where: str) -> None:
    """Refuse to learn from the label column of attn predict's output unless it is named: it holds the
    model's guesses, as `attn eval` will not score against them (train took them for true labels
    without a word, where eval of the same file refused: an annotation workflow's trial). Corrected by
    hand, they are labels: naming the column says so."""
    if label is not None and label in predicted_label_columns(list(train.column_names)):
        raise DataError(
            f"{where} is attn predict's output, whose column {label!r} holds its predictions, not true "
            f"labels; where they were checked or corrected by hand, name it: --label-column {label}"
        )


def load_splits(config: DataConfig) -> Splits:
    """Load `config.source` into train and validation splits (validation carved when missing)."""
    if not config.source:
        raise DataError(NO_DATASET)
    raw = load_raw(
        config.source, config_name=config.config, encoding=config.encoding, delimiter=config.delimiter,
        validation=config.validation_file,
    )  # fmt: skip
    if "train" not in raw.splits:
        raise DataError(
            f"{config.source} has no train split (splits: {', '.join(raw.splits)}); name one file train.*"
        )
    where = raw.where("train", config.source)
    train = raw.splits["train"]
    try:
        columns = choose_columns(
            layout_of_schema(train.data.schema),
            where=where,
            text=config.text_column,
            label=config.label_column,
        )
    except DataError as error:
        hint = export_hint(list(train.column_names))
        if hint is None:
            raise
        raise DataError(f"{error}; {hint}") from None
    if config.label_column is None:
        _refuse_predictions_as_labels(train, columns.label, where)
    split_wheres = {name: raw.where(name, config.source) for name in raw.splits}
    for name in ("train", "validation"):
        if name in raw.splits:
            split_where = where if name == "train" else split_wheres[name]
            refuse_rejected_answers(raw.splits[name], label=columns.label, where=split_where)
    # test is for `attn eval`; Hub test splits are often unlabelled
    used = {
        name: with_columns(dataset, columns, where=split_wheres[name])
        for name, dataset in raw.splits.items()
        if name in ("train", "validation")
    }
    for name, dataset in used.items():
        refuse_header_copies(dataset, columns, raw.origins[name])
    if len(used["train"]) == 0:
        raise DataError(f"the train split of {config.source} is empty; give it labelled rows")
    label_names, label_notes = labels_of(used["train"], columns.label or "")
    case_notes: list[str] = []  # validation labels read as training's in another case

    def split_of(name: str, labels: list[str], left_out: Sequence[str] = ()) -> Split:
        read_as: dict[str, str] = {}
        if name != "train":  # its labels in another case are training's, as eval reads them
            read_as, read_note = labels_read_as_known(
                used[name], columns, labels, where=split_wheres[name], drop_invalid=config.drop_invalid
            )
            case_notes.extend([read_note] if read_note else [])
        try:
            return to_split(
                used[name], name=name, columns=columns, label_names=labels, origin=raw.origins[name],
                drop_invalid=config.drop_invalid, left_out_labels=left_out, read_as=read_as,
            )  # fmt: skip
        except DataError as error:  # each split's empty text cells, the validation file's too
            raise _with_column_choice(error, columns) from None

    if len(label_names) < 2:  # a row with no label may be why: to_split names the first
        split_of("train", label_names)
        raise DataError(
            f"the train split has only one class ({', '.join(label_names) or 'none'}); "
            "a classifier needs at least two"
        )
    kept = split_of("train", label_names)
    label_names, kept, left_out_labels = without_labels_of_rows_left_out(
        kept, label_names, used["train"].features[columns.label or ""]
    )
    if len(label_names) < 2:
        raise DataError(
            f"the train split has only one class ({label_names[0]}) once rows with no text are left out "
            f"({', '.join(map(repr, left_out_labels))} only on those); a classifier needs at least two"
        )
    splits = {"train": kept}
    for name in used:
        if name != "train":
            splits[name] = split_of(name, label_names, left_out_labels)
    feature = used["train"].features[columns.label or ""]
    layout = layout_of_schema(train.data.schema)
    _require_labels_not_texts(splits["train"], label_names, columns, feature, where, layout)
    notes = [*raw.notes, *([columns.note] if columns.note else []), *label_notes, *case_notes]
    notes += _labels_like_texts_warning(splits["train"], label_names, columns, where, layout)
    partial = missing_parts_note(used["train"], columns.text, where=where)
    notes += [partial] if partial else []
    left_out = rows_left_out(splits, used)
    notes += _dropped_note(left_out, splits, columns)
    # A Hub or saved dataset's own split names (a split file's name names no other: data_folders.py).
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
    notes += joined_labels_warning(label_names)
    notes += missing_marker_labels_warning(label_names)
    notes += missing_marker_texts_warning(splits["train"])
    notes += lost_letters_warning(splits["train"])
    notes += encoded_blocks_warning(splits["train"])
    conflicts = label_conflicts(splits["train"], label_names, raw.origins["train"])
    notes += conflicting_labels_warning(conflicts)
    carved = "validation" not in splits
    unvalidated = None
    if not carved:
        train_path = raw.origins["train"].path
        places = (str(train_path) if train_path else None, raw.origins["validation"].name)
        said = unvalidated_labels_error(
            splits["train"], label_names, validation=splits["validation"], places=places
        )
        if train_path is None and said:
            # A Hub or save_to_disk dataset's splits are what the dataset is: no file to train on alone.
            notes.append(f"warning: {said}")
        else:
            unvalidated = said
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
    if config.validation_file is not None:
        notes.append(
            f"validation: the {len(splits['validation']):,} rows of {config.validation_file} "
            "(data.validation_file)"
        )
    notes += small_validation_warning(len(splits["validation"]), carved=carved)
    notes += rare_in_validation_warning(
        splits["train"], splits["validation"], label_names, carved=carved, fraction=config.validation_fraction
    )
    notes += repeated_in_training_warning(splits["train"], splits["validation"], carved=carved)
    return Splits(
        splits=splits,
        label_names=label_names,
        text_column=columns.text,
        label_column=columns.label or "",
        notes=tuple(notes),
        carved=carved,
        label_conflicts=conflicts.to_json(),
        left_out=left_out or None,
        unvalidated=unvalidated,
    )


def _with_column_choice(error: DataError, columns: Columns) -> DataError:
    """`error` about the text column's rows, with how that column was chosen where it was chosen by
    name and others could be the text: a teacher's `Teacher Comment` was taken over `Student Answer`,
    and its empty cells refused with no word of the choice (a trial)."""
    named = columns_named(columns.text or "")
    if columns.note is None or named not in str(error) or "not read" not in columns.note:
        return error
    return DataError(f"{error}; {columns.note.partition(': ')[2]}")


def rows_left_out(splits: dict[str, Split], datasets: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The rows left out of each split that lost any, as metrics.json keeps them (a trial could not
    tell months later that 1,389 of 2,000 rows, not yet labelled, were not trained on): its `rows`,
    the `empty` ones (every cell), the `half_filled` ones (other cells alone), and those
    data.drop_invalid left out, `no_label` (a text without a label) and `no_text`."""
    counts = {}
    for name, split in splits.items():
        dropped = len(datasets[name]) - len(split) - split.empty_rows
        counted = {
            "rows": len(datasets[name]),
            "empty": split.empty_rows - split.half_filled_rows,
            "half_filled": split.half_filled_rows,
            "no_label": split.unlabelled_rows,
            "no_text": dropped - split.unlabelled_rows,
        }
        if any(count for key, count in counted.items() if key != "rows"):
            counts[name] = counted
    return counts


def _dropped_note(
    left_out: dict[str, dict[str, int]], splits: dict[str, Split], columns: Columns
) -> list[str]:
    """The lines saying how many empty rows (every cell empty) were left out of each split, and how
    many more data.drop_invalid left out (none: no line). Rows with neither a text nor a label, where
    the text column was chosen by name over others, say which others are not read: a teacher's
    comments, written with each grade, were taken for the texts over the answers, validated at 100%,
    and left every ungraded answer unread (a trial)."""
    notes = []
    if any(counts["empty"] for counts in left_out.values()):
        notes.append(f"left out {_per_split(left_out, 'empty')} whose every cell is empty (empty rows)")
    if any(counts["half_filled"] for counts in left_out.values()):
        first = next(split.first_half_filled for split in splits.values() if split.half_filled_rows)
        unread = ""
        if columns.unread and not any(counts["no_label"] for counts in left_out.values()):
            others = " or ".join(repr(name) for name in columns.unread)
            unread = (
                f"; the text column {columns.text!r}, chosen by name, has a text only in rows with a label, "
                "as a grader's comments would, which give the label away: if the texts are in "
                f"{others}, name them with --text-column"
            )
        notes.append(
            f"warning: left out {_per_split(left_out, 'half_filled')} that have other cells filled but "
            f"neither a text nor a label (the first: {first}); fill in their text and label to train on "
            f"them{unread}"
        )
    if any(counts["no_label"] + counts["no_text"] for counts in left_out.values()):
        notes.append(
            f"left out {_per_split(left_out, 'no_label', 'no_text')} for having no text or no label "
            "(data.drop_invalid)"
        )
    return notes


def _per_split(left_out: dict[str, dict[str, int]], *kinds: str) -> str:
    """The rows of `kinds` left out, as "3 of 62 rows of 'train'", for the splits with any; rows
    without a label told apart where others lack a text ("12 of 62 rows of 'train' (10 with a text
    but no label)")."""
    said = []
    for name, counts in left_out.items():
        count = sum(counts[kind] for kind in kinds)
        if count:
            unlabelled = counts["no_label"] if "no_label" in kinds else 0
            apart = f" ({unlabelled:,} with a text but no label)" if 0 < unlabelled < count else ""
            said.append(f"{count:,} of {counts['rows']:,} rows of {name!r}{apart}")
    return ", ".join(said)


def _carve(train: Split, config: DataConfig) -> tuple[Split, Split]:
    kept, carved = stratified_split(train.labels, fraction=config.validation_fraction, seed=config.split_seed)
    if not carved:
        raise DataError(
            f"{config.source} has too few rows to hold any out for validation (each label has one "
            "row); add rows or give a validation split"
        )
    return train.select(kept), train.select(carved)
