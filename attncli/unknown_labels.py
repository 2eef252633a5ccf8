"""Rows whose label the model never saw: read as the model's label they are in another case, where
that is one label; else refused with what they may be instead (another case, indices of the
labels), or left out when asked."""

from __future__ import annotations

import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from attncli.columns import Columns
from attncli.data_warnings import folded
from attncli.errors import DataError
from attncli.label_warnings import look_alike_groups, look_alike_key
from attncli.labels import bare_names, known_label_key, label_list, missing_label, number_of
from attncli.split_rows import row_problem
from attncli.splits import CHUNK_ROWS


def _unknown_label_rows(
    dataset: Any, columns: Columns, label_names: list[str], *, drop_invalid: bool
) -> dict[str, list[int]]:
    """The rows of each label the model does not know. Rows with no label are left to `to_split`,
    and so are rows with no text where `drop_invalid` leaves them out: their label is never read."""
    label_column = columns.label or ""
    feature = dataset.features[label_column]
    known = set(label_names)
    bare = bare_names(known)
    unknown: dict[str, list[int]] = {}
    wanted = [label_column, columns.text] if drop_invalid else [label_column]
    column = dataset.select_columns(wanted)
    for start in range(0, len(column), CHUNK_ROWS):
        chunk = column[start : start + CHUNK_ROWS]
        texts = chunk[columns.text] if drop_invalid else None
        for offset, value in enumerate(chunk[label_column]):
            if missing_label(feature, value):  # left to `to_split`
                continue
            if texts is not None and row_problem(texts[offset], value, feature, columns) is not None:
                continue
            key = known_label_key(feature, value, known, bare)
            if key not in known:
                unknown.setdefault(key, []).append(start + offset)
    return unknown


def look_alike_hint(unknown: Sequence[str], label_names: list[str]) -> str:
    """What the unknown labels (commonest first) may be instead: known ones in another case
    ('Business') or written another way ('007' for 7), or, where the model's labels are names,
    indices of them (0, 1, 2, as a ClassLabel column exports them)."""
    dated = [(label, f"{label} 00:00:00") for label in unknown[:10] if f"{label} 00:00:00" in label_names]
    if dated:  # a checkpoint trained on JSON before its dates were read as written
        renamed = ", ".join(f"{label!r} is {name!r}" for label, name in dated)
        return (
            f" ({renamed}: attn read dates in JSON with a time until 2026-12-05; train again to name the "
            "labels as written)"
        )
    known = look_alike_groups(label_names)
    keys = [(label, look_alike_key(label)) for label in unknown[:10]]
    in_case = [(label, known[key]) for label, key in keys if key in known]
    if in_case:
        told = [
            f"{label!r} is {' or '.join(map(repr, names))} in another "
            f"{'case' if all(label.casefold() == name.casefold() for name in names) else 'form'}"
            for label, names in in_case
        ]
        # ... and the slips among the others ('Shoe Rack' beside 'Home>Storage>Storage Boxes').
        told += _closest_slips([label for label, key in keys if key not in known], label_names)
        return " (" + ", ".join(told) + ")"
    slips = _closest_slips(unknown[:10], label_names)
    return (
        _indices_hint(unknown, label_names)
        or _truth_values_hint(unknown, label_names)
        or (f" ({', '.join(slips)})" if slips else "")
    )


def _truth_values_hint(unknown: Sequence[str], label_names: list[str]) -> str:
    """For a model of 0 and 1 given truth values (True, false), as the reverse is told 0 is 'False'."""
    if (
        sorted(label_names) != ["0", "1"]
        or not unknown
        or any(label.lower() not in ("true", "false") for label in unknown)
    ):
        return ""
    return " (if these are truth values of the model's 0 and 1, write them so: false is 0, true is 1)"


def _indices_hint(unknown: Sequence[str], label_names: list[str]) -> str:
    """The hint for unknown labels that may be indices of the model's labels (0, 1, 2, as a
    ClassLabel column exports them), or none."""
    names_are_numbers = any(name.lstrip("-").isdigit() for name in label_names)
    indices = all(label.isascii() and label.isdigit() and int(label) < len(label_names) for label in unknown)
    shown = ", ".join(f"{index} is {name!r}" for index, name in enumerate(label_names[:10]))
    more = ", ..." if len(label_names) > 10 else ""
    if not names_are_numbers and indices:
        return f" (if these are indices of the model's labels, write the labels instead: {shown}{more})"
    numbered = all(name.isascii() and name.isdigit() for name in label_names)
    if numbered and indices and [int(name) for name in label_names] != list(range(len(label_names))):
        # Labels named 1-5 (star ratings) exported as ClassLabel indices 0-4: only 0 is unknown, and
        # every other row's index reads as a name, one class off.
        return (
            f" (if these are indices of the model's labels, as a ClassLabel column exports them, every "
            f"row's label is one of them, and the rows of the labels it knows would be scored as the wrong "
            f"class: write the labels instead: {shown}{more})"
        )
    return ""


def _closest_slips(unknown: Sequence[str], label_names: list[str]) -> list[str]:
    """The label each unknown one is a slip of, by spelling with case, accents and spacing set aside:
    'cafe' for 'café', 'buisness' for 'business', 'Home>Tools' for 'Home > Tools'; a slip is one
    letter added, dropped, changed or swapped with the next ('unhappy' is no 'happy'). Labels that
    share a long path differ in more than a letter: a close ratio of their spellings named a wrong
    sibling ('... > Storage Boxes' may be '... > Shoe Racks', a trial of 396 labels); so does a letter
    in a name of three ('neu' for 'neg'). Not between numbers: '2024' is no slip for '2023'."""
    if any(number_of(name) is not None for name in label_names):
        return []
    plain = {_spelling(name): name for name in reversed(label_names)}  # the first one wins
    told = []
    for label in unknown:
        key = _spelling(label)
        # A slip of a letter in a short name makes another word ('neu' is no slip for 'neg').
        slips = [name for name in plain if name == key or (len(key) >= SLIP_LENGTH and _one_slip(key, name))]
        if slips:
            told.append(f"{label!r} may be {plain[min(slips, key=lambda name: name != key)]!r}")
    return told


# The fewest letters a label's spelling holds for a letter's difference to be taken for a slip.
SLIP_LENGTH = 4


def _spelling(name: str) -> str:
    """A label as it is spelt, its case, accents and spaces set aside."""
    return "".join(_without_accents(name).split())


def _one_slip(first: str, second: str) -> bool:
    """Whether two spellings are the same, or one letter added, dropped, changed or swapped with
    the next apart."""
    if first == second:
        return True
    if abs(len(first) - len(second)) > 1:
        return False
    start = next((at for at, (a, b) in enumerate(zip(first, second, strict=False)) if a != b), None)
    if start is None:  # one is the other and a letter more at the end
        return True
    if len(first) == len(second):
        changed = first[start + 1 :] == second[start + 1 :]
        swapped = (
            first[start : start + 2] == second[start : start + 2][::-1]
            and first[start + 2 :] == second[start + 2 :]
        )
        return changed or swapped
    longer, shorter = (first, second) if len(first) > len(second) else (second, first)
    return longer[start + 1 :] == shorter[start:]


def _without_accents(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _known(label_names: list[str]) -> str:
    """The model's labels, the first 20 of them (a model of 600 labels listed them all), quoted
    where one is empty or holds a comma (a trial's empty label read "it knows , entertainment")."""
    return label_list(label_names, limit=20)


def unknown_labels_listing(counts: dict[str, int]) -> str:
    """The unknown labels with their rows, commonest first, the first 10 of them."""
    shown = list(counts.items())[:10]
    listing = ", ".join(f"{label!r} ({rows:,} row{'s' * (rows != 1)})" for label, rows in shown)
    return listing + (f" and {len(counts) - 10:,} more" if len(counts) > 10 else "")


def ignored_note(counts: dict[str, int], label_names: list[str]) -> str:
    """What --ignore-unknown-labels left out, said after the scores: which labels, how many rows of
    each, and what they may be instead."""
    dropped = sum(counts.values())
    return (
        f"ignored {dropped:,} row{'s' * (dropped != 1)} whose label the model never saw: "
        f"{unknown_labels_listing(counts)}{look_alike_hint(list(counts), label_names)}"
    )


@dataclass(frozen=True)
class KnownRows:
    """The rows of a split whose labels the model knows, and how their labels are read."""

    dataset: Any
    rows: Sequence[int]
    """The original row of each kept row."""
    ignored: dict[str, int] = field(default_factory=dict)
    """The rows left out of each unknown label, commonest first (--ignore-unknown-labels)."""
    read_as: dict[str, str] = field(default_factory=dict)
    """Labels read as the model's label they are in another case (`Praise` as `praise`)."""
    note: str | None = None
    """The line saying which labels were read so, and on how many rows."""


def drop_unknown_labels(
    dataset: Any,
    columns: Columns,
    label_names: list[str],
    *,
    where: str,
    ignore: bool,
    drop_invalid: bool,
    column_said: str = "",
) -> KnownRows:
    """`dataset` without rows whose label the model never saw (an error unless `ignore`); a label
    that is one of the model's in another case is read as that one, and said. `column_said` names
    the label column in the error (" in column 'grade'")."""
    unknown = _unknown_label_rows(dataset, columns, label_names, drop_invalid=drop_invalid)
    read_as, note = _read_as_known(unknown, label_names, where)
    if not unknown:
        return KnownRows(dataset, range(len(dataset)), read_as=read_as, note=note)
    ranked = sorted(unknown.items(), key=lambda item: (-len(item[1]), item[0]))  # commonest first
    counts = {label: len(rows) for label, rows in ranked}
    listing = unknown_labels_listing(counts) + look_alike_hint(list(counts), label_names)
    if not ignore:
        raise DataError(
            f"{where} has labels the model never saw{column_said}: {listing}; "
            f"it knows {_known(label_names)}. {_remedy(list(counts), label_names)}"
        )
    if sum(counts.values()) == len(dataset):
        raise DataError(
            f"every row of {where} has a label the model never saw: {listing}; it knows "
            f"{_known(label_names)}, so there is nothing to evaluate"
        )
    skipped = {row for rows in unknown.values() for row in rows}
    kept = array("q", (row for row in range(len(dataset)) if row not in skipped))
    return KnownRows(dataset.select(kept), kept, ignored=counts, read_as=read_as, note=note)


def labels_read_as_known(
    dataset: Any, columns: Columns, label_names: list[str], *, where: str, drop_invalid: bool
) -> tuple[dict[str, str], str | None]:
    """The labels of `dataset` that are the model's (or training's) in another case, each with that
    label (`labels_in_another_case`), and the note saying so: a --validation file's `shipping` was
    "not among the training labels (..., Shipping, ...)", where eval reads it as `Shipping` (a
    support lead's trial). Other unknown labels are left to `to_split`, which refuses them."""
    unknown = _unknown_label_rows(dataset, columns, label_names, drop_invalid=drop_invalid)
    return _read_as_known(unknown, label_names, where)


def _read_as_known(
    unknown: dict[str, list[int]], label_names: list[str], where: str
) -> tuple[dict[str, str], str | None]:
    """`labels_in_another_case` of the `unknown` labels' rows, which leaves them out of `unknown`,
    and the note naming them."""
    read_as = labels_in_another_case(list(unknown), label_names)
    read_rows = {label: len(unknown.pop(label)) for label in read_as}  # known now, as the model's
    return read_as, _read_as_note(where, read_as, read_rows)


def labels_in_another_case(unknown: Sequence[str], label_names: list[str]) -> dict[str, str]:
    """Each unknown label that is exactly one of the model's labels once case, spacing and the form
    of its characters are set aside (`folded`, as training's look-alike warning compares them), with
    that label: `Praise` is `praise`. One that two of the model's labels fold to (`Praise` and
    `praise`, two classes) is left unknown: which one it means is not for attn to guess."""
    by_folded: dict[str, list[str]] = {}
    for name in label_names:
        by_folded.setdefault(folded(name), []).append(name)
    matches = {label: by_folded.get(folded(label), []) for label in unknown}
    return {label: names[0] for label, names in matches.items() if len(names) == 1}


def _read_as_note(where: str, read_as: dict[str, str], rows: dict[str, int]) -> str | None:
    """The line naming the labels read as the model's, commonest first, with their rows."""
    if not read_as:
        return None
    ranked = sorted(read_as, key=lambda label: (-rows[label], label))
    said: list[str] = []
    for label in ranked[:10]:
        whose = "" if said else "the model's "
        said.append(f"{label!r} as {whose}{read_as[label]!r} ({rows[label]:,} row{'s' * (rows[label] != 1)})")
    more = f" and {len(ranked) - 10:,} more labels" if len(ranked) > 10 else ""
    only_case = all(label.casefold() == read_as[label].casefold() for label in read_as)
    compared = "ignoring case" if only_case else "ignoring case, spacing and the form of characters"
    return f"{where}: read {', '.join(said)}{more}, labels compared {compared}"


def _remedy(unknown: Sequence[str], label_names: list[str]) -> str:
    """What to do about rows of unknown labels: write the labels as the model does, where each is
    one of its labels written another way (`TECH` beside its `Tech` and `tech`; indices of its
    labels), else leave the rows out or train on data that has them."""
    known = look_alike_groups(label_names)
    alike = [label for label in unknown if look_alike_key(label) in known]
    if len(alike) == len(unknown) or _indices_hint(unknown, label_names):
        return (
            "Write each of those labels as the model writes it, or pass --ignore-unknown-labels to "
            "evaluate without those rows"
        )
    if alike:
        return (
            "Write the labels that are the model's written another way as the model writes them; pass "
            "--ignore-unknown-labels to evaluate without the rows of the others, or retrain with data "
            "that has them"
        )
    return "Pass --ignore-unknown-labels to evaluate without those rows, or retrain with data that has them"
