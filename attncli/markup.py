"""HTML left in scraped text (`<br /><br />` in reviews, `&amp;` and `&#39;` in exports): how
tokenizer.strip_html reads it, and the note that tells a run whose texts hold it.

Read as written, a `<br />` is four tokens (`<`, `br`, `/`, `>`) and `&#39;` three: in a trial's
scraped reviews markup was 18% of the tokens, raised the sized max_length by a quarter, and a review
of nothing but `<br /><br />` got a confident label. With tokenizer.strip_html the tokenizer's
normaliser reads each tag as a space and each common character reference as its character, so
the model never sees the markup while the heatmap still shows the text as written (the normaliser
keeps every token's offsets into it). It is a setting, off by default, because markup can be what
tells texts apart (a spam filter's `<font>` and `<a href>`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers.normalizers import Normalizer

# A start or end tag with its attributes (quoted values may hold `>`), or a comment. A tag name
# starts with a letter, so `<3`, `a < b` and `x<-y` are text, as a browser reads them.
TAG = r"""<(?:/?[A-Za-z][A-Za-z0-9:-]*(?:\s(?:[^<>"']|"[^"]*"|'[^']*')*)?/?|!--(?:[^-]|-(?!->))*--)>"""

# Character references as each is read: those of scraped reviews and exports (a replacement per
# reference: the normaliser has no general decoding). Those written as ASCII come first.
ASCII_REFERENCES = {
    "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&nbsp;": " ",
    "&#39;": "'", "&#039;": "'", "&#x27;": "'", "&#34;": '"', "&#x22;": '"', "&#38;": "&",
    "&#160;": " ", "&#xa0;": " ",
}  # fmt: skip
OTHER_REFERENCES = {
    "&ndash;": "–", "&mdash;": "—", "&lsquo;": "‘", "&rsquo;": "’", "&ldquo;": "“", "&rdquo;": "”",
    "&hellip;": "…", "&laquo;": "«", "&raquo;": "»", "&copy;": "©", "&reg;": "®", "&trade;": "™",
    "&deg;": "°", "&euro;": "€", "&pound;": "£", "&yen;": "¥", "&cent;": "¢", "&middot;": "·",
    "&bull;": "•", "&times;": "×", "&eacute;": "é", "&egrave;": "è", "&aacute;": "á", "&agrave;": "à",
    "&iacute;": "í", "&oacute;": "ó", "&uacute;": "ú", "&ntilde;": "ñ", "&ccedil;": "ç", "&uuml;": "ü",
    "&ouml;": "ö", "&auml;": "ä", "&szlig;": "ß", "&#8217;": "’", "&#8216;": "‘", "&#8220;": "“",
    "&#8221;": "”", "&#8211;": "–", "&#8212;": "—", "&#8230;": "…",
}  # fmt: skip

# What the note counts as markup: a tag, or any character reference (named, decimal or hex).
MARKUP = re.compile(TAG + r"|&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
# The share of the texts read that must hold markup for the note: a stray `&amp;` in a few is not
# worth a setting.
NOTE_SHARE = 0.05
# Texts read for the note, evenly spaced: a scan of every text of a large set would cost seconds.
NOTE_TEXTS = 2000


def markup_steps() -> list[Normalizer]:
    """tokenizer.strip_html's normaliser steps, to run before every other: tags as spaces, then the
    character references as their characters."""
    from tokenizers import Regex, normalizers

    references = {**ASCII_REFERENCES, **OTHER_REFERENCES}
    return [
        normalizers.Replace(Regex(TAG), " "),
        *(normalizers.Replace(reference, character) for reference, character in references.items()),
    ]


def markup_note(texts: Sequence[str]) -> str | None:
    """A note where at least NOTE_SHARE of the training texts (evenly spaced ones, for many) hold
    HTML markup, naming the commonest forms and the setting that reads it as text; else None."""
    if not texts:
        return None
    step = max(1, len(texts) // NOTE_TEXTS)
    read = [texts[index] for index in range(0, len(texts), step)][:NOTE_TEXTS]
    forms: Counter[str] = Counter()
    holding = 0
    for text in read:
        found = MARKUP.findall(text) if isinstance(text, str) else []
        holding += bool(found)
        forms.update(_form(item) for item in found)
    if holding < max(1, NOTE_SHARE * len(read)):
        return None
    held = (
        f"{holding:,} of the {len(texts):,} training texts"
        if len(read) == len(texts)
        else f"about {holding / len(read):.0%} of the {len(texts):,} training texts"
    )
    commonest = ", ".join(form for form, _ in forms.most_common(3))
    return (
        f"note: {held} hold HTML markup ({commonest}), which is read as words; --set "
        "tokenizer.strip_html=true reads each tag as a space and each character reference (&amp;) as its "
        "character, where the markup does not tell the labels apart"
    )


# A text of nothing but tags, spaces and references to spaces: read as no text with the setting. The
# match fails at a text's first character outside them, so a review costs what its first word does.
_MARKUP_ALONE = re.compile(r"(?:\s|" + TAG + r"|&nbsp;|&#160;|&#xa0;)*")


def markup_alone_warning(texts: Sequence[str]) -> str | None:
    """With tokenizer.strip_html: a warning where training texts hold nothing but markup, which the
    tokenizer reads as no text (trained as the unknown token with their label, where predict gives
    such a text no label, as it gives a blank one); else None."""
    alone = [
        text for text in texts if isinstance(text, str) and text.strip() and _MARKUP_ALONE.fullmatch(text)
    ]
    if not alone:
        return None
    return (
        f"warning: {len(alone):,} of the {len(texts):,} training texts hold nothing but HTML markup (such "
        f"as {alone[0].strip()[:40]!r}), which tokenizer.strip_html reads as no text: each trains as the "
        "unknown token with its label, where predict gives such a text no label; remove them from the data"
    )


def _form(markup: str) -> str:
    """A piece of markup as the note names it: a tag by its name (`<br />`, `<i>`, `</i>`), a
    reference as written."""
    if not markup.startswith("<"):
        return markup
    if markup.startswith("<!--"):
        return "<!-- -->"
    name = re.match(r"</?[A-Za-z][A-Za-z0-9:-]*", markup)
    closing = " />" if markup.endswith("/>") else ">"
    return f"{name.group(0) if name else '<'}{closing}"


# A character reference ending a text: the one a token's `;` closes.
_REFERENCE_BEFORE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});\Z")


def whole_references(text: str, offsets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token spans with a character reference's token spanning the whole reference: the normaliser
    gives the character it reads `&amp;` as the span of its last character alone, so the heatmap
    coloured the `;` and the top tokens listed `;`. A `;` read as itself (markup read as words: `&`,
    `amp`, `;`) follows a token inside the reference, and keeps its span."""
    spans = list(offsets)
    for index, (start, end) in enumerate(spans):
        if end != start + 1 or text[start] != ";":
            continue
        found = _REFERENCE_BEFORE.search(text, max(0, end - 40), end)
        if found is None:
            continue
        previous_end = spans[index - 1][1] if index else 0
        if previous_end <= found.start():
            spans[index] = (found.start(), end)
    return spans
