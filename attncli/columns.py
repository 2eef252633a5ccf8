"""Which columns hold the text and the label. A named column may be a dotted path into nested
records (data.text); an unnamed one is found by the usual names, ignoring case and surrounding
spaces, then by the words in a name (review_body, comment_text). One error lists every problem."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Best first.
TEXT_COLUMNS = (
    *("text", "sentence", "content", "review", "document", "body", "tweet", "comment", "utterance"),
    *("message", "post", "description", "abstract"),
)
# Texts too, but of a table with nothing better: a table holding a title and a review_body (or a
# question and a tweet_text) is classified by the longer text, found by the words in its name.
LAST_RESORT_TEXT_COLUMNS = ("title", "headline", "question")
LABEL_COLUMNS = ("label", "labels", "category", "class", "sentiment", "target")
# A name with one of these words names something about the text, not the text (review_id, review_date).
NOT_TEXT_WORDS = frozenset(
    {"id", "ids", "uuid", "key", "date", "time", "timestamp", "url", "link", "title", "headline"}
    | {"summary", "subject", "lang", "language", "count", "length", "len", "type", *LABEL_COLUMNS}
)
NOT_LABEL_WORDS = frozenset({"text", "sentence", "content", "document", "body"})
# A label column named with one of these (category_id beside category_name) holds codes for labels:
# taken only where no other column names the labels (the model's labels would read 0, 1, 2).
CODE_WORDS = frozenset({"id", "ids", "idx", "index", "code", "num", "number", "no"})
RECORDS, LISTS = "records", "lists"
# Columns that hold two texts of one example (NLI, paraphrase, question answering), which attn, one
# text a row, classifies only once they are joined: named so, or by one word and 1/2 or a/b.
PAIRED_COLUMNS = (
    ("premise", "hypothesis"),
    ("question", "passage"),
    ("question", "context"),
    ("query", "document"),
)
PAIR_SUFFIXES = re.compile(r"^(.*?)[ _]?(1|2|a|b)$", re.IGNORECASE)
# Longest column listing in a message; a wide table is summarised after these.
LISTED_COLUMNS = 30
# A column name of this many words or characters reads as a text: the first row of a csv without a
# header line, taken for column names.
SENTENCE_WORDS, SENTENCE_CHARACTERS = 5, 40
# The files that have a header line to miss.
DELIMITED_FILE = re.compile(r"\.(csv|tsv)(\.(gz|bz2|xz|zst))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Layout:
    """The columns of a table as a user may name them."""

    columns: tuple[str, ...]
    """Top-level columns, in order."""
    paths: tuple[str, ...] = ()
    """Dotted paths (data.text) to the values inside columns of records, in order."""
    kinds: dict[str, str] = field(default_factory=dict)
    """RECORDS or LISTS for each column or path holding those; the others hold single values."""

    def fields_of(self, name: str) -> list[str]:
        return [path for path in self.paths if path.startswith(f"{name}.")]


def layout_of_schema(schema: Any) -> Layout:
    """The layout of a pyarrow schema (a parquet file's, or a `datasets.Dataset`'s)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    paths: list[str] = []
    kinds: dict[str, str] = {}

    def visit(name: str, kind: Any, nested: bool) -> None:
        if pa.types.is_struct(kind):
            kinds[name] = RECORDS
            for index in range(kind.num_fields):
                visit(f"{name}.{kind.field(index).name}", kind.field(index).type, True)
            return
        if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
            kinds[name] = LISTS
        if nested:
            paths.append(name)

    for item in schema:
        visit(item.name, item.type, False)
    return Layout(columns=tuple(schema.names), paths=tuple(paths), kinds=kinds)


def layout_of_record(record: dict[str, Any]) -> Layout:
    """The layout of one JSON record, its nested objects included."""
    paths: list[str] = []
    kinds: dict[str, str] = {}

    def visit(name: str, value: Any, nested: bool) -> None:
        if isinstance(value, dict):
            kinds[name] = RECORDS
            for key, inner in value.items():
                visit(f"{name}.{key}", inner, True)
            return
        if isinstance(value, list):
            kinds[name] = LISTS
        if nested:
            paths.append(name)

    for key, value in record.items():
        visit(str(key), value, False)
    return Layout(columns=tuple(str(key) for key in record), paths=tuple(paths), kinds=kinds)


def value_at(record: dict[str, Any], name: str) -> Any:
    """The value of column `name` of a record, following a dotted path into nested records."""
    if name in record:
        return record[name]
    value: Any = record
    for key in name.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


@dataclass(frozen=True)
class Columns:
    """The columns chosen, and a line saying so when they were found by a looser match than the name."""

    text: str
    label: str | None
    note: str | None = None


def choose_columns(
    layout: Layout,
    *,
    where: str,
    text: str | None,
    label: str | None = None,
    with_label: bool = True,
    text_first: Sequence[str] = (),
    label_first: Sequence[str] = (),
) -> Columns:
    """The text (and label) columns: the named ones, else detected (`*_first` names tried first).
    Every problem with either goes into one DataError."""
    from attncli.errors import DataError

    problems: list[tuple[str, bool]] = []  # each problem, and whether listing the columns helps fix it
    found: list[str] = []
    text_role = _Role("text", text, (*text_first, *TEXT_COLUMNS), NOT_TEXT_WORDS, LAST_RESORT_TEXT_COLUMNS)
    chosen_text = _choose(layout, text_role, taken=label, problems=problems, found=found)
    chosen_label = None
    if with_label:
        label_role = _Role("label", label, (*label_first, *LABEL_COLUMNS), NOT_LABEL_WORDS, (), CODE_WORDS)
        chosen_label = _choose(layout, label_role, taken=chosen_text or text, problems=problems, found=found)
    if with_label and text is not None and text == label:
        problems.append((f"text and label are both column {text!r}; name two different columns", False))
    pair = _text_pair(layout)
    if pair is not None and any(problem.startswith("no text column found") for problem, _ in problems):
        problems.append((f"attn classifies one text a row: {_join_advice(pair)}", False))
    if problems:
        listing = (
            f"; {where} has columns {listed(layout)}{_headerless_hint(layout, where)}"
            if any(lists for _, lists in problems)
            else ""
        )
        raise DataError("; ".join(problem for problem, _ in problems) + listing)
    assert chosen_text is not None
    note = None
    if found:
        options = " and ".join(f"--{part.split()[0]}-column" for part in found)
        choose = "choose others" if len(found) > 1 else "chooses another"
        note = f"{where}: using {' and '.join(found)}, chosen by name ({options} {choose})"
    if pair is not None and chosen_text in pair and text is None:
        other = pair[1 - pair.index(chosen_text)]
        unread = f"its pair {other!r} is not read (attn classifies one text a row): {_join_advice(pair)}"
        note = f"{note or f'{where}: using text column {chosen_text!r}'}; {unread}"
    return Columns(text=chosen_text, label=chosen_label, note=note)


def _text_pair(layout: Layout) -> tuple[str, str] | None:
    """Two columns that hold the two texts of each example (premise and hypothesis, sentence1 and
    sentence2), if the table has them."""
    lowered = {name.lower(): name for name in layout.columns}
    for first, second in PAIRED_COLUMNS:
        if first in lowered and second in lowered:
            return lowered[first], lowered[second]
    by_base: dict[str, list[str]] = {}
    for name in layout.columns:
        matched = PAIR_SUFFIXES.match(name)
        if matched and matched.group(1) and layout.kinds.get(name) is None:
            by_base.setdefault(matched.group(1).lower(), []).append(name)
    pairs = [names for base, names in by_base.items() if len(names) == 2 and _is_text_word(base)]
    return (pairs[0][0], pairs[0][1]) if pairs else None


def _is_text_word(base: str) -> bool:
    return any(word in (*TEXT_COLUMNS, *LAST_RESORT_TEXT_COLUMNS) for word in _words(base))


def _join_advice(pair: tuple[str, str]) -> str:
    return f"join {pair[0]!r} and {pair[1]!r} into one text column to classify them together"


def detected_label_column(columns: Sequence[str]) -> str | None:
    """The column label detection would take for true labels among `columns`, if any: by its name
    (label, category, ...; ignoring case and spaces) or by a word in it (sentiment_label)."""
    role = _Role("label", None, LABEL_COLUMNS, NOT_LABEL_WORDS)
    return _detect(Layout(columns=tuple(columns)), role, taken=None)[0]


@dataclass(frozen=True)
class _Role:
    """What one column is for, and how to find it."""

    name: str
    """text or label."""
    named: str | None
    """The column the user named, if any."""
    known: Sequence[str]
    """Names to try, best first."""
    excluded_words: frozenset[str]
    """Words that rule a column out when it is found by the words in its name."""
    last_resort: Sequence[str] = ()
    """Names tried (exactly, then ignoring case and spaces) when nothing else is found."""
    demoted_words: frozenset[str] = frozenset()
    """Words that make a column found by the words in its name come after those without them."""


def _choose(
    layout: Layout, role: _Role, *, taken: str | None, problems: list[tuple[str, bool]], found: list[str]
) -> str | None:
    """The column for `role`, or None after adding to `problems`; a loose match is added to `found`."""
    named = role.named
    if named is not None:
        if named not in layout.columns and named not in layout.paths:
            problems.append((f"{role.name} column {named!r} not found{_closest(layout, named)}", True))
            return None
        problem = _kind_problem(layout, role.name, named)
        if problem:
            problems.append((problem, False))
            return None
        return named
    detected, exact = _detect(layout, role, taken)
    if detected is None:
        problems.append((f"no {role.name} column found (pass --{role.name}-column to name one)", True))
        return None
    problem = _kind_problem(layout, role.name, detected)
    if problem:
        problems.append((problem, False))
        return None
    # Labels from the wrong one of two label-like columns (sentiment beside class, category_id beside
    # category_name) would train a model of another task, or of codes, without a word: name the
    # others passed over.
    passed_over = (
        [
            name
            for name in layout.columns
            if name not in (detected, taken)
            and (name in LABEL_COLUMNS or _by_words([name], list(LABEL_COLUMNS), role.excluded_words))
        ]
        if role.name == "label"
        else []
    )
    over = f" over {', '.join(repr(name) for name in passed_over)}" if passed_over else ""
    if not exact or over:
        found.append(f"{role.name} column {detected!r}{over}")
    return detected


def _kind_problem(layout: Layout, role: str, name: str) -> str | None:
    kind = layout.kinds.get(name)
    if kind == RECORDS:
        fields = ", ".join(repr(path) for path in layout.fields_of(name)[:LISTED_COLUMNS])
        return (
            f"{role} column {name!r} holds records, not {role}s; name one of its fields with a dotted "
            f"path: {fields or 'it has none'}"
        )
    if kind == LISTS and role == "label":
        return (
            f"multi-label data is not supported yet: label column {name!r} holds lists; "
            "give each text one label"
        )
    if kind == LISTS:
        return f"text column {name!r} holds lists, not texts; name a column of single texts"
    return None


def _words(name: str) -> list[str]:
    """The words of a column name: review_body, reviewBody and "Review Body" all give review, body."""
    return re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).lower())


def _detect(layout: Layout, role: _Role, taken: str | None) -> tuple[str | None, bool]:
    """The column a `role` most likely is, and whether its name was exactly a known one. Tried in
    turn: exact names, names equal but for case and surrounding spaces, then names holding a known
    word (the most known words, the earliest known word, the leftmost column wins)."""
    candidates = [
        name
        for name in (*layout.columns, *layout.paths)
        if name != taken
        and layout.kinds.get(name) != RECORDS
        and (role.name == "label" or layout.kinds.get(name) != LISTS)
    ]
    known = role.known
    found = _by_name(known, candidates)
    if found[0] is not None:
        return found
    words_known = [name.lower() for name in known if name.isalpha()]
    by_words = _by_words(candidates, words_known, role.excluded_words, role.demoted_words)
    if by_words is not None:
        return by_words, False
    # Guesses, said in a note even when exact: a last-resort name, then a name holding a known or
    # last-resort word once those words no longer rule it out ("Headline Text", news_headline).
    last_resort = _by_name(role.last_resort, candidates)[0]
    if last_resort is not None or not role.last_resort:
        return last_resort, False
    lenient = role.excluded_words.difference(role.last_resort)
    return _by_words(candidates, [*words_known, *role.last_resort], lenient), False


def _by_words(
    candidates: list[str],
    known_words: list[str],
    excluded_words: frozenset[str],
    demoted_words: frozenset[str] = frozenset(),
) -> str | None:
    """The candidate holding the most known words, then none of `demoted_words`, then the earliest
    known word, then the leftmost, among those holding none of `excluded_words`."""
    ranked = []
    for position, name in enumerate(candidates):
        words = _words(name)
        hits = [index for word in words if (index := _known_word(word, known_words)) is not None]
        if hits and not excluded_words.intersection(words):
            ranked.append((-len(hits), bool(demoted_words.intersection(words)), min(hits), position, name))
    return min(ranked)[-1] if ranked else None


def _by_name(known: Sequence[str], candidates: list[str]) -> tuple[str | None, bool]:
    """The first of `known` among `candidates` (exact: True), else equal but for case and spaces."""
    for name in known:
        if name in candidates:
            return name, True
    for name in known:
        loose = next((column for column in candidates if column.strip().lower() == name.lower()), None)
        if loose is not None:
            return loose, False
    return None, False


def _known_word(word: str, known: list[str]) -> int | None:
    """The place of `word` (or its singular: reviews, texts) among the known words."""
    for form in (word, word.removesuffix("s")):
        if form in known:
            return known.index(form)
    return None


def _closest(layout: Layout, name: str) -> str:
    names = [*layout.columns, *layout.paths]
    loose = [column for column in names if column.strip().lower() == name.strip().lower()]
    if not loose:
        lowered = {column.strip().lower(): column for column in names}
        close = difflib.get_close_matches(name.strip().lower(), list(lowered), n=1, cutoff=0.5)
        loose = [lowered[close[0]]] if close else []
    return f" (closest: {loose[0]!r})" if loose else ""


def _headerless_hint(layout: Layout, where: str) -> str:
    """A hint for a csv or tsv file whose header was split at the wrong delimiter (a column name
    holding `;` or a tab: an Excel export whose header has a comma in a name is not sniffed as
    `;`-separated), or without a header line, whose first row was taken for column names: a column
    named like a sentence."""
    if not DELIMITED_FILE.search(where):
        return ""
    for delimiter, typed in ((";", "';'"), ("\t", "'\\t'"), ("|", "'|'")):
        if any(delimiter in name for name in layout.columns):
            return f" (its column names hold {typed}: if it is {typed}-separated, pass --delimiter {typed})"
    sentence = next(
        (
            name
            for name in layout.columns
            if len(name.split()) >= SENTENCE_WORDS or len(name) > SENTENCE_CHARACTERS
        ),
        None,
    )
    if sentence is None:
        return ""
    shown = sentence
    if len(sentence) > SENTENCE_CHARACTERS:  # cut at a space, where there is one
        shown = sentence[:SENTENCE_CHARACTERS].rsplit(" ", 1)[0] + "..."
    return (
        f" ({shown!r} reads as a text, not a column name: if the file has no header line, add one naming "
        "its columns, such as text and label, as its first line)"
    )


def listed(layout: Layout) -> str:
    """The columns for a message, quoted so that spaces show; a column of records with its fields."""
    parts = []
    for column in layout.columns[:LISTED_COLUMNS]:
        fields = layout.fields_of(column) if layout.kinds.get(column) == RECORDS else []
        inside = f" (with {', '.join(repr(path) for path in fields[:LISTED_COLUMNS])})" if fields else ""
        parts.append(f"{column!r}{inside}")
    more = len(layout.columns) - LISTED_COLUMNS
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def other_than_trained_note(where: str, chosen: str, *, trained: str | None, named: str | None) -> str | None:
    """The line saying that a column of a usual name (description, review) is read in place of the
    one the model was trained on, which the data lacks: predict and eval said nothing of it."""
    if named is not None or not trained or chosen == trained:
        return None
    return (
        f"{where}: using text column {chosen!r}, as it has none named {trained!r} (the column the model "
        "was trained on); --text-column chooses another"
    )
