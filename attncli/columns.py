"""Which columns hold the text and the label: the named ones (a dotted path into nested records,
data.text), else those found by name (column_detection). One error lists every problem, with advice:
a pair of texts to join, the closest column name, a csv header split at the wrong delimiter or missing."""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from attncli.column_detection import (
    CODE_WORDS,
    LABEL_COLUMNS,
    LAST_RESORT_TEXT_COLUMNS,
    NOT_TEXT_WORDS,
    TEXT_COLUMNS,
    Role,
    column_by_words,
    detect,
    is_text_word,
    label_role,
    name_key,
    name_words,
    text_role,
    written_by_predict,
)
from attncli.joined_columns import SEPARATOR, is_joined, is_taken, parts_of
from attncli.layouts import LISTED_COLUMNS, LISTS, RECORDS, Layout, listed

# Columns that hold two texts of one example (NLI, paraphrase, question answering), which attn, one
# text a row, classifies only once they are joined: named so, or by one word and 1/2 or a/b.
PAIRED_COLUMNS = (
    ("premise", "hypothesis"),
    ("question", "passage"),
    ("question", "context"),
    ("question", "sentence"),  # GLUE's QNLI
    ("query", "document"),
)
PAIR_SUFFIXES = re.compile(r"^(.*?)[ _]?(1|2|a|b)$", re.IGNORECASE)
# A column name of this many words or characters reads as a text: the first row of a csv without a
# header line, taken for column names.
SENTENCE_WORDS, SENTENCE_CHARACTERS = 5, 40
# The files that have a header line to miss.
DELIMITED_FILE = re.compile(r"\.(csv|tsv)(\.(gz|bz2|xz|zst))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Columns:
    """The columns chosen, and a line saying so when they were found by a looser match than the name."""

    text: str
    label: str | None
    note: str | None = None
    unread: tuple[str, ...] = ()
    """Columns named as texts are that were passed over for `text`, found by name (said in `note`)."""


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
    role = text_role(text, text_first)
    chosen_text = _choose(layout, role, taken=label, problems=problems, found=found)
    if chosen_text is None and text is None and label is not None:
        # The label named is the column that holds the texts (`--label-column text`): say that, not
        # that the table has no text column, which its listing plainly shows it has.
        if _choose(layout, role, taken=None, problems=[], found=[]) == label:
            problems = [
                (
                    f"the label column named, {label!r}, is the column that holds the texts; name the "
                    "column of labels instead (--label-column), and the texts' if it is another "
                    "(--text-column)",
                    True,
                )
                if problem.startswith("no text column found")
                else (problem, lists)
                for problem, lists in problems
            ]
    chosen_label = None
    if with_label:
        chosen_label = _choose(
            layout, label_role(label, label_first), taken=chosen_text or text, problems=problems, found=found
        )
    if with_label and text is not None and text == label:
        problems.append((f"text and label are both column {text!r}; name two different columns", False))
    elif chosen_label is not None and chosen_text is not None and chosen_label in parts_of(chosen_text):
        problems.append(
            (
                f"label column {chosen_label!r} is one of the text columns {chosen_text!r} joins; name "
                "two different columns",
                False,
            )
        )
    pair = _text_pair(layout)
    if pair is not None and any(problem.startswith("no text column found") for problem, _ in problems):
        problems.append((f"{pair[0]!r} and {pair[1]!r} hold a pair of texts: {_join_advice(pair)}", False))
    if problems:
        text_missing = any(problem.startswith("no text column found") for problem, _ in problems)
        listing = (
            (
                f"; {where} has columns {listed(layout)}{_headerless_hint(layout, where, text_missing)}"
                if layout.columns
                else f"; {where} has no columns (its first record is empty)"
            )
            if any(lists for _, lists in problems)
            else ""
        )
        raise DataError("; ".join(problem for problem, _ in problems) + listing)
    assert chosen_text is not None
    note = None
    unread_texts: list[str] = []
    if found:
        options = " and ".join(f"--{part.split()[0]}-column" for part in found)
        choose = "choose others" if len(found) > 1 else "chooses another"
        note = f"{where}: using {' and '.join(found)}, chosen by name ({options} {choose})"
    if pair is not None and chosen_text in pair and text is None:
        other = pair[1 - pair.index(chosen_text)]
        unread = f"its pair {other!r} is not read: {_join_advice(pair)}"
        note = f"{note or f'{where}: using text column {chosen_text!r}'}; {unread}"
    elif (
        text is None and not text_first and (unread_texts := _other_texts(layout, chosen_text, chosen_label))
    ):
        # A title beside a content column (amazon_polarity, dbpedia), or a text beside a sentence: one
        # is read, silently, and a trial's run on the other stayed at chance.
        others = " and ".join(repr(name) for name in unread_texts)
        verb = "is" if len(unread_texts) == 1 else "are"
        # A ticket's subject is often its most telling text (a trial: "Refund not received" went
        # unread without a word), but beside a text it may as well be a topic (a school subject).
        where_text = "where it holds text, not a topic, " if _is_subject(unread_texts) else ""
        both = [
            name for name in (*layout.columns, *layout.paths) if name == chosen_text or name in unread_texts
        ]
        unread = (
            f"{others} {verb} not read: {where_text}--text-column {shlex.quote(SEPARATOR.join(both))} reads "
            f"{'both' if len(both) == 2 else 'them all'}, a line each"
        )
        note = f"{note or f'{where}: using text column {chosen_text!r}'}; {unread}"
    in_lists = _listed_texts(layout) if text is None and not text_first else []
    if in_lists:
        # A helpdesk export's tickets were read by their subjects, their messages' bodies (a list of
        # records) unread without a word, and trained to 31.9% (a support lead's trial).
        unread = (
            f"{in_lists[0]!r} holds lists of records, not read: {_joined_list_advice(layout, in_lists[0])}"
        )
        note = f"{note or f'{where}: using text column {chosen_text!r}'}; {unread}"
    return Columns(text=chosen_text, label=chosen_label, note=note, unread=tuple(unread_texts))


def _listed_texts(layout: Layout) -> list[str]:
    """The columns holding lists of records with a field named as texts are (a ticket's messages,
    each with a body; not attachments of file names)."""
    return [
        name
        for name in layout.columns
        if any(is_text_word(field) for field in layout.list_texts.get(name, ()))
    ]


def _other_texts(layout: Layout, chosen: str, label: str | None) -> list[str]:
    """The columns besides `chosen` (and the label) named as text columns are named (text, title,
    question, subject, ...), or, where `chosen` was found by a word in its name, holding such a word
    and none that names something about a text (`Student Answer` beside a chosen `Teacher Comment`,
    which a teacher's trial trained on with no word of the answers: `comment` comes first among the
    names; not `answer_id`), holding single values."""
    names = {name_key(name) for name in (*TEXT_COLUMNS, *LAST_RESORT_TEXT_COLUMNS)}
    # Beside a nested text (message.body), the fields of the same record (message.subject)
    parent = chosen.rpartition(".")[0] if chosen not in layout.columns else ""
    siblings = [path for path in layout.paths if parent and path.rpartition(".")[0] == parent]
    by_word = name_key(chosen.rpartition(".")[2]) not in names
    return [
        name
        for name in (*layout.columns, *siblings)
        if name not in (chosen, label)
        and (name_key(name.rpartition(".")[2]) in names or (by_word and _names_a_text(name)))
        and layout.kinds.get(name) is None
    ]


def _names_a_text(name: str) -> bool:
    """Whether a column's name ends in a text column's word and holds none of a name about a text or
    a code (`Student Answer`; not `review_id`, `comment_date`, nor `message_author` or `text_raw`
    beside a chosen `message_body` or `text_clean`, which a review found named as unread texts)."""
    words = name_words(name)
    last = next((word for word in reversed(words) if not word.isdigit()), "")  # `answer_2`'s answer
    return is_text_word(last) and not set(words) & (NOT_TEXT_WORDS | CODE_WORDS)


def _is_subject(names: list[str]) -> bool:
    return all(name.strip().lower().rpartition(".")[2] == "subject" for name in names)


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
    pairs = [names for base, names in by_base.items() if len(names) == 2 and is_text_word(base)]
    return (pairs[0][0], pairs[0][1]) if pairs else None


def _choose_joined(
    layout: Layout,
    role: Role,
    named: str,
    *,
    taken: str | None,
    problems: list[tuple[str, bool]],
    found: list[str],
) -> str | None:
    """The columns `named` joins (`title,body`), each found as a named column is (spaces around a
    header's name, another case), written back as one name; None after adding to `problems`."""
    parts = parts_of(named)
    if any(not part.strip() for part in parts):
        problems.append(
            (f"--text-column {named!r} has an empty column name; name the columns to join: title,body", False)
        )
        return None
    chosen: list[str] = []
    for part in parts:
        column = _choose(
            layout, dataclasses.replace(role, named=part), taken=taken, problems=problems, found=found
        )
        if column is None:
            return None
        chosen.append(column)
    repeated = sorted({column for column in chosen if chosen.count(column) > 1})
    if repeated:
        problems.append(
            (f"--text-column {named!r} names column {repeated[0]!r} twice; name each column once", False)
        )
        return None
    return SEPARATOR.join(chosen)


def _join_advice(pair: tuple[str, str]) -> str:
    return f"--text-column {shlex.quote(SEPARATOR.join(pair))} reads both as one text, a line each"


def _choose(
    layout: Layout, role: Role, *, taken: str | None, problems: list[tuple[str, bool]], found: list[str]
) -> str | None:
    """The column for `role`, or None after adding to `problems`; a loose match is added to `found`."""
    named = role.named
    names = (*layout.columns, *layout.paths)
    if role.name == "text" and is_joined(named, names):
        return _choose_joined(layout, role, named or "", taken=taken, problems=problems, found=found)
    if named is None and role.name == "text":
        # The columns a model was trained on joined (title,body), where the data holds them all, each
        # found as a named one is (`Title,Body` in another export).
        for trained in role.trained:
            if is_joined(trained, names):
                joined = _choose_joined(layout, role, trained, taken=taken, problems=[], found=[])
                if joined is not None:
                    return joined
    if named is not None and named not in layout.columns and named not in layout.paths:
        # A header's name with spaces around it (a spreadsheet's `Text `), as the usual names are
        # matched: --text-column Text was refused as "not found (closest: 'Text ')". Spaces are no
        # part of a name to anyone reading the header, so it is taken without a note; and so is the
        # name in another case where no other column has it (--label-column rating for `Rating`).
        spaced = [column for column in layout.columns if column.strip() == named.strip()]
        if not spaced:  # and in another case, or Unicode form, or without its accents (name_key)
            spaced = [column for column in layout.columns if name_key(column) == name_key(named)]
        if len(spaced) == 1:
            named = spaced[0]
    if named is not None:
        if named not in layout.columns and named not in layout.paths:
            listing = _listing_lists(layout, named)
            if listing is not None:  # `messages.body`, `messages[0].body` into a ticket's messages
                problems.append((f"{role.name} column {named!r} not found: {listing}", False))
                return None
            closest = _closest(layout, named, role=role, taken=taken)
            problems.append((f"{role.name} column {named!r} not found{closest}", True))
            return None
        problem = _kind_problem(layout, role.name, named)
        if problem:
            problems.append((problem, False))
            return None
        return named
    detected, exact = detect(layout, role, taken)
    if detected is None:
        # A trimmed predict output's label column is predict's own: say why it is not taken.
        predicted = [
            name
            for name in layout.columns
            if role.name == "label" and name.startswith("attn_label") and written_by_predict(name)
        ]
        passed = f"; {predicted[0]!r} holds attn predict's predictions, not true labels" if predicted else ""
        passed += _trained_columns_lacked(layout, role) if role.name == "text" else ""
        problems.append(
            (f"no {role.name} column found (pass --{role.name}-column to name one){passed}", True)
        )
        return None
    problem = _kind_problem(layout, role.name, detected)
    if problem:
        problems.append((problem, False))
        return None
    # Labels from the wrong one of two label-like columns (sentiment beside class, category_id beside
    # category_name) would train a model of another task, or of codes, without a word: name the
    # others passed over; and where the column is a last-resort guess (Score), the other guesses (a
    # survey's Theme beside its Score, passed over without a word: an HR analyst's trial).
    last_resort = {name_key(name) for name in role.last_resort}
    guessed = name_key(detected) in last_resort
    passed_over = (
        [
            name
            for name in layout.columns
            if name not in (detected, taken)
            and not written_by_predict(name)
            and (
                name in LABEL_COLUMNS
                or column_by_words([name], list(LABEL_COLUMNS), role.excluded_words)
                or (guessed and name_key(name) in last_resort)
            )
        ]
        if role.name == "label"
        else []
    )
    over = f" over {', '.join(repr(name) for name in passed_over)}" if passed_over else ""
    # The column the model was trained on is found first: said so, not as a guess by name (eval of
    # a file holding topic and sentiment said topic was "chosen by name" over sentiment; a trial).
    trained = " (the one the model was trained on)" if detected in role.trained else ""
    if not exact or over:
        found.append(f"{role.name} column {detected!r}{trained}{over}")
    return detected


def _trained_columns_lacked(layout: Layout, role: Role) -> str:
    """Which of the text columns the model was trained on the data lacks, said beside "no text column
    found": a translation memory's export without its `locale` was told only its columns, not that
    the model joins `source_en,target,locale` (a localisation trial)."""
    if not role.trained:
        return ""
    spec = role.trained[0]
    here = {name_key(name) for name in (*layout.columns, *layout.paths)}
    lacked = [part for part in parts_of(spec) if name_key(part) not in here]
    if not lacked:
        return ""
    missing = " and ".join(repr(part) for part in lacked)
    if SEPARATOR in spec:
        verb = "is" if len(lacked) == 1 else "are"
        return f"; the model was trained on the columns {spec!r} joined, and {missing} {verb} not here"
    return f"; the model was trained on column {spec!r}, which is not here"


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
            f"multi-label data is not supported yet: label column {name!r} holds lists; give each text one "
            f"label (where each list holds one, as a scraper's getall() gives it: jq -c '{_jq_path(name)} |= "
            '.[0]\' for JSON lines; where each is a path of categories, ["Science", "Biology"]: jq -c '
            f"'{_jq_path(name)} |= join(\" > \")')"
        )
    if kind == LISTS and name in layout.list_texts:
        return f"text column {name!r} holds lists of records, not texts; {_joined_list_advice(layout, name)}"
    if kind == LISTS:
        return (
            f"text column {name!r} holds lists, not texts; join each list into one text (a scraper's "
            f"paragraphs: jq -c '{_jq_path(name)} |= join(\"\\n\")' for JSON lines), or name a column of "
            "single texts"
        )
    return None


def _joined_list_advice(layout: Layout, name: str) -> str:
    """How to read the texts of the records that column `name` holds lists of (a helpdesk ticket's
    messages, each a record with a sender and a body) as one text a row: a jq program that joins one
    field of them, for JSON lines and for a JSON array, the field named as a text is (body), else the
    first that holds texts. A trial was told to join the lists as texts, which jq refused."""
    fields = layout.list_texts[name]
    field = next((field for field in fields if is_text_word(field)), fields[0])
    joined = f'{_jq_path(name)} |= ([.[] | {_jq_path(field)}] | join("\\n"))'
    shown = ", ".join(repr(field) for field in fields[:LISTED_COLUMNS])
    return (
        f"join a field of them into one text ({shown}; jq -c '{joined}' for JSON lines, "
        f"jq -c '.[] | {joined}' for a JSON array, writes JSON lines), or name a column of single texts"
    )


def _listing_lists(layout: Layout, named: str) -> str | None:
    """What a column name that reaches into lists of records (`messages.body`, `messages[0].body`,
    `messages.0.body`) is told: a path reaches into records alone, and how to join the lists' texts."""
    head = layout.list_reached_into(named)
    if head is None:
        return None
    advice = _joined_list_advice(layout, head)
    return f"{head!r} holds lists of records, which a dotted path does not reach into; {advice}"


def _jq_path(name: str) -> str:
    """The path jq reaches a column by (`.body`, `.meta.tags`, `.["page body"]`)."""
    parts = name.split(".")
    if all(part.isidentifier() for part in parts):
        return "." + ".".join(parts)
    return f".[{json.dumps(name)}]"


def _closest(layout: Layout, name: str, *, role: Role, taken: str | None) -> str:
    """The column most like `name` in spelling, other than the one the other role took; else the one
    this role finds by name. `--label-column target` beside text and label columns was told
    "closest: 'text'", the column of the texts."""
    names = [column for column in (*layout.columns, *layout.paths) if not is_taken(column, taken)]
    loose = [column for column in names if name_key(column) == name_key(name)]
    if not loose:
        keyed = {name_key(column): column for column in names}
        close = difflib.get_close_matches(name_key(name), list(keyed), n=1, cutoff=0.5)
        loose = [keyed[close[0]]] if close else []
    if loose:
        return f" (closest: {loose[0]!r})"
    found, _ = detect(layout, role, taken)
    return f" (the {role.name} column found by name: {found!r})" if found is not None else ""


# A csv header's names joined by commas, as one column's name: "id,text,label".
COMMA_HEADER = re.compile(r"[^,\s]+(?:,[^,\s]+)+")


# How pandas names a csv column whose header cell is empty ("Unnamed: 2"), and predict names such
# columns where there are several (csv_rows.unnamed_apart).
UNNAMED = re.compile(r"Unnamed: \d+_*")


def _headerless_hint(layout: Layout, where: str, text_missing: bool = True) -> str:
    """A hint for a csv or tsv file whose header was split at the wrong delimiter (a column name
    holding `;` or a tab: an Excel export whose header has a comma in a name is not sniffed as
    `;`-separated), or without a header line, whose first row was taken for column names: a column
    named like a sentence. Such a name ending as a question or a prompt does may be a form's, which
    heads its answers (a survey export's `What is the ONE thing we could improve?`): where no text
    column was found, the hint says how to name it too."""
    if not DELIMITED_FILE.search(where):
        return ""
    for delimiter, typed in ((";", "';'"), ("\t", "'\\t'"), ("|", "'|'")):
        if any(delimiter in name for name in layout.columns):
            return f" (its column names hold {typed}: if it is {typed}-separated, pass --delimiter {typed})"
    named = [name for name in layout.columns if name.strip() and not UNNAMED.fullmatch(name)]
    if len(named) == 1 and len(layout.columns) > 1 and len(named[0].split()) > 1:
        # A title padded to the table's width, as spreadsheets export it (`Tickets export,,`): the
        # header is a later line.
        return (
            f" (only {named[0][:SENTENCE_CHARACTERS]!r} has a name: if it is a title above the header line, "
            "delete the lines above the header, so that it is the first line)"
        )
    if 1 < len(named) <= len(layout.columns) // 2:
        # Headings over groups of columns, each cell over the first of its group (`Employee
        # details,,,,Survey answers,,`: an HR analyst's export), where the names are on a later line.
        shown = ", ".join(repr(name[:SENTENCE_CHARACTERS]) for name in named[:LISTED_COLUMNS])
        return (
            f" (only {shown} have names: if they head groups of columns above the header line, delete the "
            "lines above the header, so that it is the first line)"
        )
    if len(layout.columns) == 1 and COMMA_HEADER.fullmatch(layout.columns[0].strip()):
        # A comma-separated header read at another --delimiter ("id,text,label"); a quoted name with
        # a comma in it ("comments, raw") has spaces, and is no such header.
        return " (its one column's name holds ',': if it is comma-separated, leave --delimiter out)"
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
    named_so = (
        f"if it is the name of the column of texts, as a form's question heads its answers, pass "
        f"--text-column {shlex.quote(sentence)}; "
        if text_missing and sentence.rstrip().endswith(("?", ":", "？", "："))
        else ""
    )
    return (
        f" ({shown!r} reads as a text, not a column name: {named_so}if the file has no header line, add one "
        "naming its columns, such as text and label, as its first line)"
    )


def other_than_trained_note(where: str, chosen: str, *, trained: str | None, named: str | None) -> str | None:
    """The line saying that a column of a usual name (description, review) is read in place of the
    one the model was trained on, which the data lacks (a warning): predict and eval said nothing of
    it."""
    if named is not None or not trained or chosen == trained:
        return None
    if is_joined(trained, ()):
        if SEPARATOR in chosen and list(map(name_key, parts_of(chosen))) == list(
            map(name_key, parts_of(trained))
        ):
            # The same columns, headed in another case, without accents or with spaces around them.
            return (
                f"{where}: using text columns {chosen!r}, those the model was trained on joined, but for "
                "case, accents or spaces"
            )
        return (
            f"warning: {where}: using text column {chosen!r}, as it has not every one of the columns the "
            f"model was trained on joined, {trained!r}; --text-column chooses others"
        )
    # A warning, which --quiet keeps: a nightly job's file whose text column was renamed was labelled by
    # another column, said in a note that --quiet left out (a data engineer's trial).
    return (
        f"warning: {where}: using text column {chosen!r}, as it has none named {trained!r} (the column the "
        "model was trained on); --text-column chooses another"
    )
