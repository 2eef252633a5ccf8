"""Finding a text or label column by its name: the usual names (text, review, label, category, ...,
and theirs in Spanish, Portuguese, French, German, Italian and Chinese) tried exactly, then ignoring case,
accents, Unicode forms and surrounding spaces, then by the words in a name (review_body,
sentiment_label), where words that name something else rule a column out (review_id) or put it last."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from attncli.joined_columns import is_taken
from attncli.layouts import LISTS, RECORDS, Layout

# Best first; the other languages' after English, without their accents (matched without them):
# a helpdesk export's `Descripción` and `Categoría` were found by neither (a user's trial). None is
# an English word (French `étiquette` is).
FOREIGN_TEXT_COLUMNS = (
    *("texto", "texte", "testo", "descripcion", "descricao", "beschreibung", "descrizione"),
    *("mensaje", "mensagem", "nachricht", "messaggio", "comentario", "commentaire", "kommentar"),
    *("commento", "contenido", "conteudo", "contenu", "inhalt", "contenuto", "resena"),
    *("respuesta", "resposta", "reponse", "antwort", "risposta"),
    # Chinese, simplified and traditional: a review export's 评论 beside 情感 was found by neither.
    *("文本", "内容", "內容", "评论", "評論", "评价", "評價", "正文", "留言", "描述"),
)
TEXT_COLUMNS = (
    *("text", "sentence", "content", "review", "document", "body", "tweet", "comment", "utterance"),
    *("message", "post", "description", "abstract"),
    # What survey tools head the answers to an open question with (a survey export's `Response`).
    *("response", "answer", "feedback", "verbatim"),
    # A teacher's export of students' writing (student_id,essay,grade found neither column).
    "essay",
    *FOREIGN_TEXT_COLUMNS,
)
# Texts too, but of a table with nothing better: a table holding a title and a review_body (or a
# question and a tweet_text) is classified by the longer text, found by the words in its name.
LAST_RESORT_TEXT_COLUMNS = ("title", "headline", "question", "subject")
FOREIGN_LABEL_COLUMNS = (
    *("categoria", "categorie", "kategorie", "etiqueta", "etichetta", "rotulo"),
    *("clase", "classe", "klasse", "sentimiento", "sentimento"),
    *("标签", "標籤", "类别", "類別", "分类", "分類", "情感"),
)
# `intent`: what CLINC150, SNIPS and Rasa's data call a chatbot's labels (an intent trial's was not found).
LABEL_COLUMNS = (
    *("label", "labels", "category", "class", "sentiment", "target", "intent"),
    *FOREIGN_LABEL_COLUMNS,
)
# Labels too (a teacher's `grade`, a review's `rating` or `stars`, or `overall` in Amazon's review
# dumps), but of a table with nothing
# better, exactly or by a word in its name: each also heads numbers that are no classes (an
# annotator's score beside a label, predict's own `score`), so `label` beside `score` is `label`, and
# one taken is said in a note. Other languages' words are left out: `note`, `nota` (a grade in French,
# Spanish, German) is a text column's name too.
# A news classifier's `topic` is one too, found late: a forum's `topic` may hold a thread's title; so
# are a survey coder's `Theme` and a help desk's `Group` (Zendesk's and Freshdesk's exports), an age
# group or a colour theme elsewhere (trials of both), found by their whole names alone (WHOLE_NAMES_ONLY).
LAST_RESORT_LABEL_COLUMNS = (
    *("grade", "rating", "stars", "overall", "mark", "score", "topic", "theme", "themes", "group"),
    "verdict",  # a phishing-report tool's
    *("thema", "tema"),  # a theme in German and Dutch, and in Spanish, Italian and Portuguese
)
# Last-resort names not found as a word of another (group_id, age_group, Assignment Group beside a
# ticket's own label, whose output's `label` became `attn_label`: a review).
WHOLE_NAMES_ONLY = frozenset({"theme", "themes", "group", "verdict", "thema", "tema"})
# Other languages' names that an English plural less its s spells (classes, categories): known only
# as written. The rest are found in the plural too (Comentarios, Categorías, etiquetas).
SINGULAR_ONLY = frozenset({"classe", "categorie"})
# A name with one of these words names something about the text, not the text (review_id, review_date).
NOT_TEXT_WORDS = frozenset(
    {"id", "ids", "uuid", "key", "date", "time", "timestamp", "url", "link", "title", "headline"}
    | {"summary", "subject", "lang", "language", "count", "length", "len", "type"}
    # Not `intent`, a word of many a text column's name too (intent_description, user_intent_message).
    | {name for name in LABEL_COLUMNS if name != "intent"}
)
# A text column's name holding one of these comes after one without: review_body before review_stars.
# Not ruled out, as a rating_comment or a comment_score is a text column (a review).
NOT_TEXT_FIRST_WORDS = frozenset(LAST_RESORT_LABEL_COLUMNS)
NOT_LABEL_WORDS = frozenset(
    {"text", "sentence", "content", "document", "body", "texto", "texte", "testo", "contenido", "conteudo"}
    | {"contenu", "inhalt", "contenuto"}
)
# A label column named with one of these (category_id beside category_name) holds codes for labels:
# taken only where no other column names the labels (the model's labels would read 0, 1, 2).
CODE_WORDS = frozenset({"id", "ids", "idx", "index", "code", "num", "number", "no"})
# The columns predict adds besides a prob_<label> for each label (prediction_writers.CsvWriter),
# prefixed attn_ beside an input's own.
ADDED_BY_PREDICT = ("label", "score", "reason")


@dataclass(frozen=True)
class Role:
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
    trained: Sequence[str] = ()
    """The names the model was trained on, tried first (eval's label column, say)."""


def label_role(named: str | None, label_first: Sequence[str] = ()) -> Role:
    """How a label column is found: `named`, else `label_first`, the usual names, then the
    last-resort ones."""
    known = (*label_first, *LABEL_COLUMNS)
    return Role("label", named, known, NOT_LABEL_WORDS, LAST_RESORT_LABEL_COLUMNS, CODE_WORDS, label_first)


def text_role(named: str | None, text_first: Sequence[str] = ()) -> Role:
    """How a text column is found: `named`, else `text_first`, the usual names, then the last-resort
    ones; a name holding a word of something else (review_id, review_date) is none."""
    known = (*text_first, *TEXT_COLUMNS)
    last_resort = LAST_RESORT_TEXT_COLUMNS
    return Role("text", named, known, NOT_TEXT_WORDS, last_resort, NOT_TEXT_FIRST_WORDS, text_first)


def detect(layout: Layout, role: Role, taken: str | None) -> tuple[str | None, bool]:
    """The column a `role` most likely is, and whether its name was exactly a known one. Tried in
    turn: exact names, names equal but for case and surrounding spaces, then names holding a known
    word (the most known words, the earliest known word, the leftmost column wins)."""
    candidates = [
        name
        for name in (*layout.columns, *layout.paths)
        if not is_taken(name, taken)
        and layout.kinds.get(name) != RECORDS
        and (role.name == "label" or layout.kinds.get(name) != LISTS)
        # predict's own attn_label holds its predictions: a trimmed output (essay,grade,attn_label)
        # was scored against itself. A run trained on such a column by name still finds it first.
        and not (role.name == "label" and written_by_predict(name) and name not in role.known)
    ]
    known = role.known
    found = _by_name(known, candidates)
    if found[0] is not None:
        return found
    words_known = [name_key(name) for name in known if name.isalpha()]
    by_words = column_by_words(candidates, words_known, role.excluded_words, role.demoted_words)
    if by_words is not None:
        return by_words, False
    # Guesses, said in a note even when exact: a last-resort name, then a name holding a known or
    # last-resort word once those words no longer rule it out ("Headline Text", news_headline).
    last_resort = _by_name(role.last_resort, candidates)[0]
    if last_resort is not None or not role.last_resort:
        return last_resort, False
    lenient = role.excluded_words.difference(role.last_resort)
    by_word = [name for name in role.last_resort if name not in WHOLE_NAMES_ONLY]
    return column_by_words(candidates, [*words_known, *by_word], lenient, role.demoted_words), False


def written_by_predict(column: str) -> bool:
    """Whether `column` is named as attn predict names a column it adds beside an input column of
    that name or a label-like one: attn_label, attn_label_2, attn_score, attn_prob_<label>,
    attn_reason (as added_columns' `added_as` reads them)."""
    base = column.removeprefix("attn_")
    return base != column and (base.startswith("prob_") or re.sub(r"_\d+$", "", base) in ADDED_BY_PREDICT)


def column_by_words(
    candidates: list[str],
    known_words: list[str],
    excluded_words: frozenset[str],
    demoted_words: frozenset[str] = frozenset(),
) -> str | None:
    """The candidate holding the most known words, then none of `demoted_words`, then the earliest
    known word, then the leftmost, among those holding none of `excluded_words`."""
    ranked = []
    for position, name in enumerate(candidates):
        words = name_words(name)
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
        loose = next((column for column in candidates if name_key(column) == name_key(name)), None)
        if loose is not None:
            return loose, False
    return None, False


def name_key(name: str) -> str:
    """A column name as a person reads it: without case, accents, surrounding spaces or the
    difference between Unicode's composed and decomposed forms (a header saved on a Mac spells
    `Descripción` with a combining accent, and was "not found (closest: 'Descripción')")."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _known_word(word: str, known: list[str]) -> int | None:
    """The place of `word` (or its English singular: reviews, texts) among the known words."""
    if word in known:
        return known.index(word)
    singular = word.removesuffix("s")
    if singular in known and singular not in SINGULAR_ONLY:
        return known.index(singular)
    return None


def name_words(name: str) -> list[str]:
    """The words of a column name: review_body, reviewBody and "Review Body" all give review, body;
    `Descripción_Ticket` gives descripcion, ticket."""
    # ASCII runs apart from others: `text文本` is text and 文本.
    return re.findall(r"[a-z0-9]+|[^\W_a-z0-9]+", name_key(re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)))


def is_text_word(base: str) -> bool:
    return any(word in (*TEXT_COLUMNS, *LAST_RESORT_TEXT_COLUMNS) for word in name_words(base))


def detected_label_column(columns: Sequence[str]) -> str | None:
    """The column label detection would take for true labels among `columns`, if any: by its name
    (label, category, ...; ignoring case and spaces) or by a word in it (sentiment_label), else a
    last-resort name (grade, rating, ...)."""
    role = label_role(None)
    return detect(Layout(columns=tuple(columns)), role, taken=None)[0]
