"""Warnings about the training data, as lines for the user: classes with too few examples, texts
with two labels, texts that are a missing value's marker, validation rows repeating training texts,
a tiny validation split; and the folding
of texts by which repeats and look-alike labels (attncli/label_warnings.py) are compared."""

from __future__ import annotations

import functools
import itertools
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from attncli.splits import Split
from attncli.streams import one_line
from attncli.tokenizer import INVISIBLE_CHARACTERS

if TYPE_CHECKING:
    from attncli.origins import Origin

# A missing value as spreadsheets, R, pandas, Python and databases write one, in their own spellings.
# Only an empty cell is missing to attn, so a label or a text of these trains as written: said, not
# dropped. The words a class may be named on purpose ("none" of an intent set, "missing" parcels,
# "na" for North America) are left out in those spellings; Python's "None" and pandas' "NaN" and
# "<NA>" are kept, and the NULL of MySQL's and PostgreSQL's text dumps, \N.
MISSING_VALUE_MARKERS = frozenset({
    "None", "NONE", "NaN", "nan", "NAN", "<NA>", "NA", "N/A", "n/a", "#N/A", "NULL", "null", "Null", "nil",
    "undefined", "\\N",
})  # fmt: skip


def held_out_only_by_the_minimum(count: int, fraction: float) -> bool:
    """Whether a label of `count` training rows has a validation row only because a carve holds at
    least one of each label (or none, under two rows), not by its share `fraction`."""
    return count * fraction < 1


def few_examples_warning(
    train: Split, label_names: list[str], *, validation: Split | None, fraction: float
) -> str | None:
    """A warning naming the classes with too few examples to be validated: with no validation split
    (`validation` None), those the carve holds none or less than its share of; else those with under
    two training examples or none in validation."""
    counts = Counter(train.labels)
    held = Counter(validation.labels) if validation is not None else None
    parts = []
    # The rarest first: of 95 such classes only 10 are named, and in label order the 1-row ones were
    # among the "85 more" (a trial).
    for index, name in sorted(enumerate(label_names), key=lambda item: counts[item[0]]):
        count = counts[index]
        # (none in validation of a label of VALIDATED_FROM_ROWS or more: unvalidated_labels_error)
        if held is not None and (count < 2 or (held[index] == 0 and count < VALIDATED_FROM_ROWS)):
            parts.append(f"class {name!r} has {count} in train and {held[index]} in validation")
        elif held is None and held_out_only_by_the_minimum(count, fraction):
            parts.append(
                f"class {name!r} has {count} ({'none' if count < 2 else '1'} held out for validation)"
            )
    if not parts:
        return None
    more = f" and {len(parts) - 10:,} more" if len(parts) > 10 else ""
    return (
        f"warning: too few examples to learn or validate reliably: {', '.join(parts[:10])}{more}; "
        "add examples if you can"
    )


# A label with at least this many training rows and none in a validation split of the data's own
# cannot be left out of choosing the model: a carve at the default 10% holds one out from here.
VALIDATED_FROM_ROWS = 10


def unvalidated_labels_error(
    train: Split, label_names: list[str], *, validation: Split, places: tuple[str | None, str]
) -> str | None:
    """Why a validation split of the data's own cannot choose the model, where it has no rows of a
    label with VALIDATED_FROM_ROWS or more training rows; None where it can. `places`: the train
    split's file (None for a Hub or save_to_disk dataset) and the validation split's name. Every
    epoch's macro-F1 counts a prediction of such a label as a class scored 0, and its loss rises
    with each, so the best epoch is one that never predicts it: a trial's spam filter, its
    validation file all ham, kept epoch 1 (100% against 49.8% for the epochs that flagged a row)
    and found none of 70 spam messages in test. Rarer labels are warned of (few_examples_warning)."""
    counts = Counter(train.labels)
    held = Counter(validation.labels)
    missing = [
        (name, counts[index])
        for index, name in sorted(enumerate(label_names), key=lambda item: -counts[item[0]])
        if held[index] == 0 and counts[index] >= VALIDATED_FROM_ROWS
    ]
    if not missing:
        return None
    one = len(missing) == 1
    named = ", ".join(f"{one_line(name)!r} ({count:,} training rows)" for name, count in missing[:10])
    more = f" and {len(missing) - 10:,} more" if len(missing) > 10 else ""
    them = "it" if one else "them"
    train_file, validation_place = places
    alone = (
        f", or train on {train_file} alone, of which attn holds out a stratified share of each label for "
        "validation (data.validation_fraction)"
        if train_file
        else ""
    )
    return (
        f"the validation split ({validation_place}) has no rows of {named}{more}, so the best epoch "
        f"would be chosen on the other labels alone, which favours a model that never predicts {them}; "
        f"add rows of {them} to the validation split{alone}"
    )


def folded(text: str) -> str:
    """`text` as compared for look-alikes: as the tokenizer reads it (NFKC, without the invisible
    marks and emoji presentation selectors it drops: ❤️ is ❤), ignoring case, spacing and the script
    of its digits (١ is 1). Joiners and tag characters stay: they make other emoji, other words."""
    if text.isascii():  # NFKC and the table leave ASCII as it is, and lower() is casefold() there
        return " ".join(text.split()).lower()
    kept = unicodedata.normalize("NFKC", text).translate(_folding_table())
    return " ".join(kept.split()).casefold()


@functools.cache
def _folding_table() -> dict[int, str | None]:
    """What `folded` drops or replaces, as a str.translate table: translated in C, not a Python call
    a character (50,000 long texts took 44 s to compare that way)."""
    table: dict[int, str | None] = dict.fromkeys(map(ord, INVISIBLE_CHARACTERS))
    table |= dict.fromkeys(range(0xFE00, 0xFE10))
    # Every decimal digit but ASCII's lies here (up to Unicode 16; tests/test_data_warnings.py
    # checks it for this Python's Unicode): the whole range would cost 0.1 s a run.
    for code in range(0x80, 0x20000):
        digit = unicodedata.decimal(chr(code), None)
        if digit is not None:
            table[code] = str(digit)
    return table


def text_key(text: str) -> int:
    """A text as compared for duplicates: the hash of its `folded` form."""
    return hash(folded(text))


# The training rows checked for texts given two labels (the check keeps an entry per distinct text:
# about 20 MB here) and for validation rows that repeat one: the first so many of a larger split,
# and the warnings say so (larger splits were not checked at all).
CONFLICT_CHECK_ROWS = 200_000


def _checked_rows(rows: int) -> str:
    """How a warning names the training rows it compared, where it compared only the first ones."""
    return (
        f" (among its first {CONFLICT_CHECK_ROWS:,} rows, of {rows:,})" if rows > CONFLICT_CHECK_ROWS else ""
    )


@dataclass(frozen=True)
class LabelConflicts:
    """Texts of the training data that occur with more than one label (ignoring case, spacing and
    character forms), each with its rows' labels counted: most rows first, at most LISTED_CONFLICTS."""

    listed: list[dict[str, Any]]
    """{"text": the text as first written (cut to CONFLICT_TEXT_CHARACTERS), "labels": {label: rows},
    "where": the places of its first PLACES_LISTED rows ("line 12" of the training file, else
    "row 3 of split 'train'" or a label folder's file), where an origin was given}."""
    count: int
    """How many such texts there are, listed or not."""
    rows: int
    """The split's rows (the first CONFLICT_CHECK_ROWS of them compared)."""

    def to_json(self) -> dict[str, Any] | None:
        """As metrics.json keeps them: how many, and those listed; None where there are none."""
        return {"count": self.count, "listed": self.listed} if self.count else None


# Texts a run's metrics.json lists with their labels (`attn info RUN --json`: label_conflicts), and
# how much of each: a trial's 63 were named by one example alone, and no file said the rest.
LISTED_CONFLICTS = 500
CONFLICT_TEXT_CHARACTERS = 200


# The rows of a conflicting text whose places are listed: a trial had to grep its csv for each text.
PLACES_LISTED = 5


def label_conflicts(split: Split, label_names: list[str], origin: Origin | None = None) -> LabelConflicts:
    """The texts of `split` that occur with more than one label: no model can tell such rows apart,
    and the split's accuracy has a ceiling below 100% because of them. With the split's `origin`,
    each listed text says where its first rows are."""
    first: dict[int, int] = {}  # each text's first label
    conflicting: dict[int, str] = {}  # each such text, as first written (the second pass finds it)
    for text, label in itertools.islice(zip(split.texts, split.labels, strict=True), CONFLICT_CHECK_ROWS):
        key = text_key(text)
        if first.setdefault(key, label) != label:
            conflicting[key] = ""
    counts: dict[int, Counter[str]] = {key: Counter() for key in conflicting}
    rows: dict[int, list[int]] = {key: [] for key in conflicting}
    if conflicting:  # a second pass counts each one's labels (a few texts: kept, not every row)
        pairs = itertools.islice(zip(split.texts, split.labels, strict=True), CONFLICT_CHECK_ROWS)
        for row, (text, label) in enumerate(pairs):
            if (key := text_key(text)) in counts:
                counts[key][label_names[label]] += 1
                conflicting[key] = conflicting[key] or text
                if len(rows[key]) < PLACES_LISTED:
                    rows[key].append(split.rows[row] if split.rows is not None else row)
    ranked = sorted(conflicting, key=lambda key: -sum(counts[key].values()))  # stable: first seen first
    listed = [
        {"text": conflicting[key][:CONFLICT_TEXT_CHARACTERS], "labels": dict(counts[key].most_common())}
        for key in ranked[:LISTED_CONFLICTS]
    ]
    if origin is not None and listed:
        wanted = [rows[key] for key in ranked[:LISTED_CONFLICTS]]
        # The file read once for every line; a file without lines (parquet, a label folder's files)
        # names its rows or files as messages do.
        with_lines = origin.has_lines()
        lines = origin.lines_of([row for places in wanted for row in places]) if with_lines else {}
        for entry, places in zip(listed, wanted, strict=True):
            entry["where"] = [
                f"line {lines[row]}"
                if row in lines
                else f"row {row + 1}"
                if with_lines
                else origin.locate(row)
                for row in places
            ]
    return LabelConflicts(listed=listed, count=len(conflicting), rows=len(split))


def conflicting_labels_warning(conflicts: LabelConflicts) -> list[str]:
    """The warning that texts occur with more than one label, with the one most repeated."""
    if not conflicts.count:
        return []
    worst = conflicts.listed[0]
    text = worst["text"]
    shown = text if len(text) <= 60 else text[:59] + "…"
    names = ", ".join(one_line(name) for name in sorted(worst["labels"]))
    places = worst.get("where") or []
    if places:  # where to relabel them (a trial grepped its csv for each text)
        more = ", ..." if sum(worst["labels"].values()) > len(places) else ""
        names += f"; {', '.join(places)}{more}"
    many = conflicts.count != 1
    listed = "them" if many else "it"
    if conflicts.count > len(conflicts.listed):
        listed = f"the {len(conflicts.listed):,} with the most rows"
    return [
        f"warning: {conflicts.count:,} text{'s' * many} of the training data{_checked_rows(conflicts.rows)} "
        f"{'occur' if many else 'occurs'} with more than one label (ignoring case, spacing and character "
        f"forms), such as {shown!r} ({names}); no model can tell such rows apart: relabel them, or leave "
        f"them if the labels are truly ambiguous (attn info RUN --json lists {listed}: label_conflicts)"
    ]


def rows_seen_in_training(evaluated: Iterable[str], training: Iterable[str]) -> int:
    """How many evaluated texts a training text equals, ignoring case and spacing: a corpus with
    duplicates (28 of BBC News's 444 test articles are also training articles) scores them by memory.
    The evaluated texts' hashes are kept and the training texts streamed past them, so memory grows
    with the rows evaluated, not with the training data. A cell that is no text (a number, an empty
    cell) is nobody's duplicate."""
    wanted = Counter(text_key(text) for text in evaluated if isinstance(text, str) and text)
    found: set[int] = set()
    for text in training:
        if isinstance(text, str) and text:
            key = text_key(text)
            if key in wanted:
                found.add(key)
                if len(found) == len(wanted):
                    break
    return sum(wanted[key] for key in found)


def repeated_in_training_warning(train: Split, validation: Split, *, carved: bool) -> list[str]:
    """A warning when validation rows repeat a training text (ignoring case and spacing): the
    validation scores that early stopping, the choice of the best epoch and the calibration rest
    on then measure memory on those rows. Eval said it afterwards (11 of 44 rows in a new user's
    trial, a file with 50 of its rows pasted twice); training said nothing. Counted as eval counts
    them (`rows_seen_in_training`), against the first CONFLICT_CHECK_ROWS training rows. Repeats
    people really write (a survey's "nothing") are no mistake: the advice says when to keep them."""
    if not len(validation):
        return []
    repeated = rows_seen_in_training(validation.texts, itertools.islice(train.texts, CONFLICT_CHECK_ROWS))
    if not repeated:
        return []
    where = "the data (its repeats fell on both sides of the carve)" if carved else "the validation split"
    return [
        f"warning: {repeated:,} of the {len(validation):,} validation rows "
        f"{'has' if repeated == 1 else 'have'} the same text (ignoring case and spacing) as a training "
        f"row{_checked_rows(len(train))}, so validation scores (and with them early stopping, the best "
        "epoch and calibration) measure memory on them; remove the "
        f"repeated rows from {where} where they are copies (rows pasted twice), or keep them where people "
        "write these texts alike (short answers), as new texts will repeat them too"
    ]


# Under this many validation rows one row moves accuracy by over 3 points: early stopping, the
# choice of the best epoch and the calibration temperature all rest on too little.
SMALL_VALIDATION = 30


def small_validation_warning(rows: int, *, carved: bool) -> list[str]:
    """A warning when the validation split is too small to choose an epoch or a temperature by;
    `carved`: held out of train, where a validation file of its own is the remedy."""
    if rows >= SMALL_VALIDATION:
        return []
    remedy = (
        "a validation split of its own (a folder of train and validation files, such as train.csv and "
        "validation.csv), or more data, makes them reliable"
        if carved
        else "more rows in the validation split make them reliable"
    )
    return [
        f"warning: only {rows} validation row{'s' * (rows != 1)}: one row moves its scores by "
        f"{100 / max(rows, 1):.0f} points, and early stopping, the best epoch and calibration rest on "
        f"them; {remedy}"
    ]


# A label with fewer validation rows than this, where most labels have five times as many, is warned
# of: one row moves its recall by over 20 points, and the best epoch is chosen on them.
RARE_IN_VALIDATION = 5


# Labels in validation from which a few large ones beside the rest are no longer rare labels among
# common ones (a chatbot's intents beside its out-of-scope class); fewer, as an imbalanced task's 4
# rare labels beside 1 common one, are.
MANY_LABELS_HELD = 20


def rare_in_validation_warning(
    train: Split, validation: Split, label_names: list[str], *, carved: bool, fraction: float
) -> list[str]:
    """A warning naming labels of which validation holds under RARE_IN_VALIDATION rows while the
    other labels have five times as many (an imbalanced-data trial, 4 tech rows among 150
    validation rows: on BBC articles validation macro-F1 moved 49 -> 74 -> 69 -> 66% a row at a
    time; on their headlines the best epoch found none of the 9 tech headlines in test). Small
    validation splits, many labels equally few, and labels too rare to hold out more than one row
    (few_examples_warning) have warnings of their own."""
    if len(validation) < SMALL_VALIDATION:
        return []
    counts, held = Counter(train.labels), Counter(validation.labels)
    few = {index for index in held if held[index] < RARE_IN_VALIDATION}
    others = [held[index] for index in held if index not in few]
    if not others:  # every label few (8 survey themes of 4 validation rows each): none rare beside the rest
        return []
    # Nearly every label few beside one or two large ones (an intent trial's 161 intents of 1-2
    # validation rows beside its out-of-scope class, "against a median of 40"): few is the norm there,
    # and no label is rare against the rest.
    if len(held) >= MANY_LABELS_HELD and len(others) * 4 < len(held):
        return []
    median = statistics.median(others)
    rare = [
        (label_names[index], held[index])
        for index in sorted(few, key=lambda index: held[index])
        if held[index] * 5 <= median
        and not (carved and held_out_only_by_the_minimum(counts[index], fraction))  # few_examples_warning's
    ]
    if not rare:
        return []
    named = ", ".join(f"{one_line(name)!r} {count}" for name, count in rare[:10])
    more = f" and {len(rare) - 10:,} more" if len(rare) > 10 else ""
    larger = min(0.5, 2 * fraction)
    remedy = (
        f"--set data.validation_fraction={larger:g} holds out more of each label"
        if carved and larger > fraction
        else "more rows of them in the validation split make it reliable"
    )
    return [
        f"warning: validation holds few rows of {named}{more}, against a median of {median:g} for the other "
        f"labels: the best epoch is chosen on them with the rest, and one row moves such a label's recall by "
        f"{100 / rare[0][1]:.0f} points; {remedy}; for a rare label, a --threshold chosen on rows the model "
        "never trained on may find more of it (README: Decision thresholds)"
    ]


def missing_marker_texts(texts: Iterable[str]) -> Counter[str]:
    """How many of `texts` are a missing value's marker alone ("NA", as R's write.csv writes a missing
    text), by marker."""
    return Counter(
        marker for text in texts if len(text) < 12 and (marker := text.strip()) in MISSING_VALUE_MARKERS
    )


def missing_marker_texts_warning(split: Split) -> list[str]:
    """The warning that training texts are a missing value's marker alone: they train as that word,
    where an empty cell leaves the row out (with --drop-invalid) or stops training."""
    markers = missing_marker_texts(itertools.islice(split.texts, CONFLICT_CHECK_ROWS))
    if not markers:
        return []
    count = sum(markers.values())
    return [
        f"warning: {count:,} text{'s' * (count > 1)} of the training data{_checked_rows(len(split))} "
        f"{'are' if count > 1 else 'is'} only {shown_markers(markers)}, as R writes a missing text, and "
        "train as that word; if they mark rows with no text, empty those cells (R: write.csv(..., "
        'na = "")) and pass --drop-invalid to leave the rows out'
    ]


# A letter an ASCII-only export could not hold, written as `?` (Windows PowerShell 5.1's Export-Csv,
# Set-Content and `>`, and its pipes, by default): `r?sum?`, `Jos? M?ller`. A `?` between two ASCII
# letters, in a text of ASCII alone (such an export holds nothing else; Chinese `你好吗?我很好` is
# written so), in a word that is no web address (`page?id=3`).
LOST_LETTER = re.compile(r"[A-Za-z]\?[A-Za-z]")
ADDRESS_MARKS = ("/", "=", "&", "www.")
# How many texts, and what share of them, must hold such words for the warning: a typo is no export.
LOST_LETTER_TEXTS = 3
LOST_LETTER_SHARE = 0.01


def lost_letters_warning(split: Split) -> list[str]:
    """The warning that training texts hold `?` between letters, as an export in ASCII writes each
    letter it cannot hold (a trial's PowerShell export trained on `r?sum?` and `caf?` without a word,
    and eval found 31% of the test tokens unknown). Texts of ASCII alone are looked at, and none
    where any text holds a character that neither ASCII nor Windows' ANSI code page (whose exports
    keep `é` but write `Wroc?aw`) can hold, which no such export writes (a moderator's posts in
    Arabic and Japanese, among them chat's `wait?what`, were said to have lost their letters)."""
    checked = 0
    words: Counter[str] = Counter()
    holding = 0
    for text in itertools.islice(split.texts, CONFLICT_CHECK_ROWS):
        checked += 1
        if text.isascii():
            if "?" not in text:
                continue
        elif _in_ansi_code_page(text):
            continue  # `é` kept: a `?` beside it may be a letter lost or a question (`Quoi?Non`)
        else:
            return []
        lost = [
            word
            for word in text.split()
            if LOST_LETTER.search(word) and not any(mark in word for mark in ADDRESS_MARKS)
        ]
        holding += bool(lost)
        words.update(lost)
    if holding < max(LOST_LETTER_TEXTS, LOST_LETTER_SHARE * checked):
        return []
    shown = ", ".join(repr(one_line(word)[:30]) for word, _ in words.most_common(3))
    return [
        f"warning: {holding:,} of the training texts{_checked_rows(len(split))} hold a ? between letters "
        f"({shown}), as a file saved in ASCII writes each letter it cannot hold (Windows PowerShell 5.1 "
        "does by default); those letters are lost: save the data again in UTF-8 (PowerShell: Export-Csv "
        "-Encoding UTF8, Out-File -Encoding utf8)"
    ]


def _in_ansi_code_page(text: str) -> bool:
    """Whether `text` is written in Windows-1252 alone, as an ANSI export writes its texts."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def shown_markers(markers: Counter[str]) -> str:
    """The markers met, the commonest first: 'NA' or 'NA', 'NULL'."""
    return ", ".join(repr(marker) for marker, _ in markers.most_common())


# Two lines in a row of base64 alone, as MIME writes an attachment or an encoded part (76 a line).
ENCODED_BLOCK = re.compile(r"^[A-Za-z0-9+/]{60,}={0,2}\r?\n[A-Za-z0-9+/]{40,}={0,2}\r?$", re.MULTILINE)


def _is_base64(block: str) -> bool:
    """Whether lines of base64's letters are base64: capitals, small letters and digits together,
    which a DNA or protein sequence (capitals) and hex digests (small letters, digits) never mix."""
    return any(map(str.isupper, block)) and any(map(str.islower, block)) and any(map(str.isdigit, block))


def encoded_blocks_warning(split: Split) -> list[str]:
    """The warning that training texts hold blocks of base64, as raw email holds its attachments and
    encoded parts: a spam analyst's trial trained a vocabulary two thirds of whose pieces came only
    from them, and inspect showed `##cmvmaw5hbmnl` (base64 of "refinance") among a message's reasons."""
    checked = holding = 0
    example = ""
    for text in itertools.islice(split.texts, CONFLICT_CHECK_ROWS):
        checked += 1
        found = next(filter(_is_base64, ENCODED_BLOCK.findall(text)), None) if "\n" in text else None
        if found is not None:
            holding += 1
            example = example or found[:24]
    if not holding:
        return []
    return [
        f"warning: {holding:,} of the training texts{_checked_rows(len(split))} hold blocks of base64 "
        f"(such as {example + '...'!r}), as raw email holds its attachments and encoded parts, which "
        "train as words; decode each message's text parts and leave out its attachments first (Python: "
        "email.message_from_binary_file(file, policy=email.policy.default).get_body(('plain', "
        "'html')).get_content())"
    ]
