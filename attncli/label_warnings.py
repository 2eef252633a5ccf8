"""Warnings about the training data's label names, as lines for the user: labels that look alike
(case, spacing, character forms, the way a number is written), labels that read as a missing value
or a spreadsheet's formula error, and labels that look like several labels joined."""

from __future__ import annotations

import decimal
import re
from collections import Counter
from collections.abc import Iterable

from attncli.data_warnings import MISSING_VALUE_MARKERS, folded

# What a spreadsheet writes into a cell whose formula failed (Excel's, Google Sheets' and LibreOffice
# Calc's, whose `Err:502` carries a number), exported as the cell's text. Excel's #N/A is also a
# missing value's marker above, and said as one.
FORMULA_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#SPILL!", "#CALC!", "#GETTING_DATA",
    "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#ERROR!",
})  # fmt: skip


def _is_formula_error(name: str) -> bool:
    name = name.strip()
    return name.upper() in FORMULA_ERRORS or (name.startswith("Err:") and name[4:].isdigit())


# A dash alone, as a spreadsheet's user writes "nothing here" in a cell (an HR analyst's trial: `-`
# trained as a class beside #N/A and N/A, which were warned of). Labels only: a text "-" is a reply.
DASHES_FOR_NOTHING = frozenset({"-", "--", "\u2013", "\u2014"})
MISSING_LABEL_MARKERS = MISSING_VALUE_MARKERS | DASHES_FOR_NOTHING


def missing_marker_labels_warning(label_names: list[str]) -> list[str]:
    """A warning naming labels that read as markers of a missing value ("NaN", "None", "N/A"), and
    one naming labels that are a spreadsheet's formula errors ("#VALUE!", "#REF!"): both trained as
    classes, and only #N/A was said."""
    errors = [name for name in label_names if _is_formula_error(name)]
    formula_warning = []
    if errors:
        shown = ", ".join(repr(name) for name in errors)
        said = (
            f"labels {shown} are a spreadsheet's formula errors, not labels, but train as classes"
            if len(errors) > 1
            else f"label {shown} is a spreadsheet's formula error, not a label, but trains as a class"
        )
        formula_warning = [
            f"warning: {said}; mend the formulas and export again, or empty those cells and pass "
            "--drop-invalid to leave the rows out"
        ]
    markers = [name for name in label_names if name.strip() in MISSING_LABEL_MARKERS]
    if not markers:
        return formula_warning
    shown = ", ".join(repr(name) for name in markers)
    if len(markers) == 1:
        said = f"label {shown} reads as a missing value but trains as a class"
        remedy = "if it marks rows with no label, empty those cells"
    else:
        said = f"labels {shown} read as a missing value but train as classes"
        remedy = "if they mark rows with no label, empty those cells"
    remedy += ' (R: write.csv(..., na = ""))'  # R writes NA for a missing value
    return [
        f"warning: {said}, since only an empty cell has no label; {remedy} and pass --drop-invalid "
        "to leave the rows out",
        *formula_warning,
    ]


# Underscores, hyphens and spaces between the words of a label, and spaces anywhere (`Science >
# Physics` beside `Science>Physics`, `Law (EU)` beside `Law(EU)`: a cataloguer's headings), as
# look-alikes are compared.
WORD_SEPARATORS = re.compile(r"(?<=[^\W_])[\s_-]+(?=[^\W_])|\s+")  # _ and - between letters only: A- is not A


# Cyrillic and Greek small letters drawn as Latin ones, as look-alike labels are compared once
# folded: `сору` (Cyrillic, pasted from a localised interface) beside `copy` trained as two classes
# without a word, and eval's confusion table showed a label confused with itself (a moderator's
# trial). Only small letters drawn alike (кот is no kot), on folded names: capitals alike only as
# capitals (НАМ, HAM) would part a word from itself in another case (НОВОСТИ, новости: a review).
LATIN_LOOK_ALIKES = str.maketrans("аеорсухѕіјһԁԛԝ" + "οαιρυνχ", "aeopcyxsijhdqw" + "oaipuvx")


# A number with a decimal comma, as a European spreadsheet writes it: one or two digits after it
# (2,5 or 2,50; not 1,000, a thousand).
DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d{1,2}")


def look_alike_key(name: str) -> str | tuple[int, str, int]:
    """What look-alike labels share: a number's exact value ("0.50", "0.5", "+.5", "5e-1" and, with a
    decimal comma, "0,5" are one: a teacher's `2,5` from a semicolon export beside training's `2.5`
    was refused by eval with no word of it; a 31-digit number is not rounded to another), else the
    label `folded`, with the underscores, hyphens between words and every space left out
    (`card_arrival`, `Card Arrival`, `card-arrival`: a trial's class of six rows scored nothing, its
    rows all predicted as the other spelling; `Work load` beside `Workload`, a survey coder's)."""
    text = folded(name)
    if DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    words = WORD_SEPARATORS.sub("", text).translate(LATIN_LOOK_ALIKES)
    if not any(character.isdigit() for character in text) or "_" in text:  # Decimal reads 1_2 as 12
        return words
    try:
        number = decimal.Decimal(text)
    except decimal.DecimalException:
        return words
    if not number.is_finite():
        return words
    sign, digits, exponent = number.as_tuple()
    shown = "".join(map(str, digits))
    significant = shown.rstrip("0")
    if not significant:  # zero, -0 and 0.00 alike
        return (0, "0", 0)
    return (sign, significant, int(exponent) + len(shown) - len(significant))


def look_alike_groups(label_names: Iterable[str]) -> dict[object, list[str]]:
    """The label names by what look-alikes share (`look_alike_key`), in their order."""
    groups: dict[object, list[str]] = {}
    for name in label_names:
        groups.setdefault(look_alike_key(name), []).append(name)
    return groups


# The marks exports join a text's several labels with ("sport,money", "a|b"). A slash is not among
# them: it writes a hierarchy ("Electronics/Phones") or one class's name (AG News' "Sci/Tech").
LABEL_JOINERS = (",", ";", "|")


def joined_labels_warning(label_names: list[str]) -> list[str]:
    """A warning, one a joiner, where labels look like several labels joined (a multi-label export:
    "sport,money" beside "sport" and "money", or beside "money,sport"): each combination trains as a
    class of its own, in each order apart, where the user meant a text to have several labels. Said
    only on that evidence, so that a name with a comma of its own ("Arts, Culture") is not taken for
    two labels, nor a rating with a decimal comma ("2,5" beside "2" and "5")."""
    known = {folded(name) for name in label_names}
    warnings = []
    for joiner in LABEL_JOINERS:
        joined: dict[str, tuple[str, ...]] = {}
        for name in label_names:
            parts = tuple(folded(part) for part in name.split(joiner))
            if len(parts) < 2 or not all(parts):
                continue
            if joiner == "," and len(parts) == 2 and all(part.isdigit() for part in parts):
                continue  # a decimal comma as often as two labels
            joined[name] = parts
        # Each combination counted once however it is spelled ("Sport,Money" and "sport,money").
        orders = Counter(frozenset(parts) for parts in set(joined.values()) if len(set(parts)) == len(parts))
        evidence = [
            name
            for name, parts in joined.items()
            if orders[frozenset(parts)] > 1 or all(part in known for part in parts)
        ]
        if evidence:
            warnings.append(_joined_warning(evidence, joined, joiner))
    return warnings


def _joined_warning(evidence: list[str], joined: dict[str, tuple[str, ...]], joiner: str) -> str:
    """The warning for the labels of `evidence`, joined with `joiner`, with two orders of one
    combination where there are."""
    apart = ""
    first_of: dict[frozenset[str], str] = {}  # each combination's first name, to show another order
    for name in evidence:
        first = first_of.setdefault(frozenset(joined[name]), name)
        if joined[first] != joined[name]:
            apart = f" ({first!r} apart from {name!r})"
            break
    many = len(evidence) > 1
    # Quoted, whatever the names hold: "labels a;b, b;a" reads as three.
    shown = ", ".join(map(repr, evidence[:3]))
    shown += f" and {len(evidence) - 3:,} more" if len(evidence) > 3 else ""
    return (
        f"warning: label{'s' * many} {shown} look{'s' * (not many)} like several labels joined with "
        f"{joiner!r}: attn gives each text one label, so each combination trains as a class of its "
        f"own{apart} (multi-label data is not supported yet); give each text one label"
    )


def look_alike_labels_warning(label_names: list[str]) -> list[str]:
    """A warning naming labels that differ only in case, surrounding spaces, the form of their
    characters ("Sport", "sport ", "ｓｐｏｒｔ"), invisible characters ("❤️", "❤"), the script of their
    digits ("1", "١") or the way a number is written ("0.5", "0.50"; "007", "7"): each is a class of its
    own, which is rarely what a hand-made file means."""
    alike = [names for names in look_alike_groups(label_names).values() if len(names) > 1]
    if not alike:
        return []
    shown = "; ".join(", ".join(repr(name) for name in names) for names in alike[:5])
    more = f" and {len(alike) - 5:,} more groups" if len(alike) > 5 else ""
    return [
        "warning: labels that differ only in case, inner spaces, underscores or hyphens, character forms, "
        "invisible characters, letters of another script drawn alike, the script of their digits or the "
        "way a number is written are separate "
        f"classes (spaces around a label are no part of it): {shown}{more}; write each label one way if "
        "they mean the same"
    ]
