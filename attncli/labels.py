"""Labels as text: one label however a file spells it (1, 1.0, "1", composed or decomposed accents,
spaces around it), which rows have none, and the label names of a training split."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from attncli.errors import DataError
from attncli.splits import CHUNK_ROWS
from attncli.streams import one_line
from attncli.tokenizer import INVISIBLE_CHARACTERS

# Marks no one sees, which exports leave around a label (a right-to-left mark after an Arabic word, a
# byte-order mark, a zero-width space): never part of its name, or "سلبي" and "سلبي" + U+200F were two
# classes no table could tell apart. Joiners (U+200C, U+200D) stay: Persian words and emoji use them.
INVISIBLE_MARKS = dict.fromkeys(map(ord, INVISIBLE_CHARACTERS))
# A whole number as Python writes one: no sign but a minus, no leading zero.
WHOLE_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)")


def bare_label(name: str) -> str:
    """A label's text as its name: composed accents (NFC), no invisible marks or spaces around it."""
    return unicodedata.normalize("NFC", name).translate(INVISIBLE_MARKS).strip()


def label_key(feature: Any, value: Any) -> str:
    """A label as text, the same whichever way a file stored it: 1, 1.0 (a column with gaps, read
    by pandas) and "1" are all "1"; "café" is one label whether its é is one character or an e and
    a combining accent (NFC, as texts are read; two classes that look alike otherwise), with or
    without a right-to-left mark; " sport" (a csv written with a space after each comma) is "sport";
    a `ClassLabel` index is its name."""
    if hasattr(feature, "int2str"):
        return str(feature.int2str(value))
    value = _as_text_if_bytes(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return bare_label(str(value))


def _as_text_if_bytes(value: Any) -> Any:
    """A label of a parquet column of binary type as its text ("b'sport'" was a class of its own)."""
    return bytes(value).decode("utf-8", errors="replace") if isinstance(value, (bytes, bytearray)) else value


def missing_label(feature: Any, value: Any) -> bool:
    """Whether a row has no label: an empty cell, a NaN (a number column with gaps, as pandas writes
    one to parquet: it became a class named 'nan'), or -1 of a `ClassLabel`, which marks unlabelled
    rows (the GLUE test splits, for example)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    value = _as_text_if_bytes(value)
    if isinstance(value, str) and not bare_label(value):  # spaces or invisible marks only: an empty cell
        return True
    return hasattr(feature, "int2str") and not 0 <= value < feature.num_classes


def bare_names(known: Collection[str]) -> dict[str, str]:
    """Each known label by its `bare_label`, for `known_label_key` over many rows: built once, it
    spares each row a scan of every known label (over 100 ms a row with 100,000 of them)."""
    index: dict[str, str] = {}
    for name in known:
        index.setdefault(bare_label(name), name)
    return index


# The id of a class-label column attn cast from the names a repository's README.md declares.
README_CLASS_LABEL = "attn:readme-class-label"


def known_label_key(
    feature: Any, value: Any, known: Collection[str], bare: Mapping[str, str] | None = None
) -> str:
    """`label_key`, matched to the `known` labels: a whole number is the same label whether it is
    written 2 or 2.0 (as pandas writes a column with gaps into a csv), on either side, and a truth
    value the same whether written true, True or TRUE (JSON's true is Python's True). Other
    spellings of a number are other labels, as in training: "007", "+7" and "7e0" are not 7.
    `bare` is `bare_names(known)`, given where many rows are matched."""
    key = label_key(feature, value)
    if key in known:
        return key
    if getattr(feature, "id", None) == README_CLASS_LABEL and isinstance(value, int) and str(value) in known:
        # A run trained on a column's numbers before the names its repository's README.md declares
        # were read (since 2026-12-07): its labels are the numbers. Only for such a column, and only
        # where the model's labels are its numbers, every one: another dataset's class labels, or a
        # model of stars 1-5 beside names `1 star`-`5 stars`, would be scored under another mapping.
        if set(known) == {str(number) for number in range(len(feature.names))}:
            return str(value)
    # A checkpoint of an attn that kept labels as written may hold a decomposed name, or one with
    # the spaces or invisible marks around it.
    candidates = [
        unicodedata.normalize("NFD", key),
        (bare_names(known) if bare is None else bare).get(key, ""),
    ]
    whole = spelled_whole(key)  # 2.0 is 2, and 007.0 is 007, as training reads them
    candidates.append(whole)
    if WHOLE_NUMBER.fullmatch(whole):
        candidates += [f"{whole}.0", f"{whole},0"]  # an earlier attn kept the label 2.0 (2,0) as written
    if key.lower() in ("true", "false"):
        candidates += [key.lower(), key.capitalize(), key.upper()]
    return next((candidate for candidate in candidates if candidate and candidate in known), key)


def number_of(key: str) -> float | None:
    """The label `key` as a finite number, or None where it is no number (nan, inf are names)."""
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
    keys: set[str] = set()
    truth_values: set[str] = set()
    for value in values:
        if isinstance(value, (list, dict)):
            raise DataError(
                f"multi-label data is not supported yet: label column {label_column!r} holds lists or "
                "records; give each text one label (where each list holds one, as a scraper's getall() "
                "gives it, take it out of its list)"
            )
        if not missing_label(feature, value):
            (truth_values if isinstance(value, bool) else keys).add(label_key(feature, value))
    notes = []
    # JSON's true beside the text "true" in one column (a file joined from two tools' exports) is one
    # label, spelt as the text spells it (it was two classes, "True" and "true", and a warning naming
    # a spelling the file never held); true alone is "True", as Python writes it and eval matches.
    # Of several spellings ("true" and "TRUE"), the one eval's known_label_key tries first.
    spelt: dict[str, str] = {}
    for key in sorted(keys, key=lambda key: (key != key.lower(), key != key.capitalize(), key)):
        if key.lower() in ("true", "false"):
            spelt.setdefault(key.lower(), key)
    merged = sorted(value for value in truth_values if value.lower() in spelt)
    if merged:
        shown = ", ".join(f"{value.lower()} as {spelt[value.lower()]!r}" for value in merged)
        notes.append(f"label column {label_column!r} holds truth values and their text; read {shown}")
    keys |= {spelt.get(value.lower(), value) for value in truth_values}
    if all(number_of(spelled_whole(key)) is not None for key in keys):
        # Whole numbers written with a zero fraction ("1.0", as pandas writes a column with gaps
        # into a csv, or "1,0", as a European spreadsheet does) are the numbers themselves, so a
        # test file that writes 1 finds the label 1, and a file joined from two exports (1 in one,
        # 1.0 in the other) has one label 1, not two. Other spellings stay: "007" is a code, not 7.
        fractional = {key for key in keys if spelled_whole(key) != key}
        spellings: dict[str, list[str]] = {}
        for key in keys:
            spellings.setdefault(spelled_whole(key), []).append(key)
        # Said where one number is written two ways or more: "1" and "1.0", or "1.0" and "1.00".
        merged = sorted(
            (key for key in fractional if len(spellings[spelled_whole(key)]) > 1),
            key=lambda key: (number_of(spelled_whole(key)) or 0.0, key),
        )
        keys = (keys - fractional) | {spelled_whole(key) for key in fractional}
        _refuse_a_regression_target(keys, label_column, rows=len(train))
        if merged:
            shown = ", ".join(f"{key!r} as {spelled_whole(key)!r}" for key in merged[:5])
            more = f" and {len(merged) - 5} more" if len(merged) > 5 else ""
            notes.append(f"label column {label_column!r} writes whole numbers two ways; read {shown}{more}")
        return sorted(keys, key=lambda key: (number_of(key), key)), notes
    return sorted(keys), notes


# Labels that are numbers with fractions, this many or more, most of them with two decimals or more
# or with whole numbers among them, and this many rows a label or fewer on average: a score to
# predict (STS-B's similarity, a rating averaged over raters), not classes.
REGRESSION_LABELS, REGRESSION_ROWS_A_LABEL = 20, 5


def _refuse_a_regression_target(keys: set[str], label_column: str, *, rows: int) -> None:
    """Refuse number labels that are a regression target: training stopped at "too few rows to hold
    any out for validation (each label has one row)", or listed 4,000 numbers in one line."""
    fractions = [key for key in keys if "." in key]
    if len(fractions) < REGRESSION_LABELS or len(keys) * REGRESSION_ROWS_A_LABEL < rows:
        return
    # Measurements have digits to spare (2.333, 0.148), or whole numbers among their fractions (the
    # mean of ten raters: 1.0, 1.1, ... 5.0); codes and versions (1.1 to 3.9) have neither.
    precise = 2 * sum(len(key.split(".")[1]) >= 2 for key in fractions) >= len(fractions)
    if not precise and len(fractions) == len(keys):
        return
    numbers = sorted(number_of(key) or 0.0 for key in keys)
    raise DataError(
        f"label column {label_column!r} holds {len(keys):,} distinct numbers in {rows:,} rows, from "
        f"{numbers[0]:g} to {numbers[-1]:g}, such as {', '.join(sorted(fractions)[:3])}: a score to predict "
        "(regression), where attn learns classes; bin the numbers into a few classes first, name the "
        "column of classes with --label-column, or, if these are the classes, write them as names (c2.33)"
    )


# A whole number with a zero fraction: 1.0, 1.00, or with a decimal comma, as a European spreadsheet
# writes it, 1,0 or 1,00 (an HR analyst's trial: 2 and 2,0 were two classes); not 1,000, a thousand.
ZERO_FRACTION = re.compile(r"(-?\d+)(?:\.0+|,00?)")


def spelled_whole(name: str) -> str:
    """A label name with a zero fraction as its whole number ("1.0" and "1,0" are "1"; "007", "1.5"
    and "1,000" stay)."""
    matched = ZERO_FRACTION.fullmatch(name)
    return matched.group(1) if matched else name


def same_label_names(now: Sequence[str], then: Sequence[str]) -> bool:
    """Whether labels read today are those an earlier attn saved, which kept "1.0", decomposed
    accents, invisible marks and surrounding spaces as written."""
    return label_positions(now, then) == list(range(len(now)))


def label_positions(now: Sequence[str], then: Sequence[str]) -> list[int] | None:
    """Where each label read today is among those an earlier attn saved (as `same_label_names`
    reads them), or None where they are other labels. Names read as today sort apart from those
    saved where a mark or space began one (U+200F before an Arabic word, a byte-order mark)."""
    read = [spelled_whole(bare_label(name)) for name in then]
    if sorted(read) != sorted(spelled_whole(name) for name in now) or len(set(read)) < len(read):
        return None  # other labels, or two saved labels that read as one today
    return [read.index(spelled_whole(name)) for name in now]


def label_list(names: Sequence[str], *, limit: int | None = None, quoted: bool = False) -> str:
    """Label names as a list a reader can take apart: as they are, with a tab or line break in one
    written `\\t` or `\\n` (as a space, "sci\\tfi" read as "sci fi" beside it), unless one has a comma,
    an empty or padded name (`sport ` beside `sport`), or `quoted`, when each is quoted; cut after
    `limit`."""
    shown = [one_line(name) for name in names[:limit]]
    if quoted or any("," in name or name != name.strip() or not name for name in shown):
        shown = [repr(name) for name in names[:limit]]  # which writes a tab out itself, once
    more = f" and {len(names) - limit:,} more" if limit is not None and len(names) > limit else ""
    return ", ".join(shown) + more
