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

import html
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer

# A script or style element whole (code, not text), a start or end tag with its attributes (quoted
# values may hold `>`), a comment, a declaration (`<!DOCTYPE html>`) or a processing instruction
# (`<?xml ...?>`). A tag name starts with a letter, so `<3`, `a < b` and `x<-y` are text, as a
# browser reads them. No group captures: the note's findall reads whole matches.
TAG = (
    r"""<(?:(?i:script|style)\b[^>]*>[\s\S]*?</(?i:script|style)\s*"""
    r"""|/?[A-Za-z][A-Za-z0-9:-]*(?:\s(?:[^<>"']|"[^"]*"|'[^']*')*)?/?"""
    r"""|!--(?:[^-]|-(?!->))*--|![A-Za-z][^<>]*|\?[^<>]*\?)>"""
)

# Character references as each is read: those of scraped reviews and exports (a replacement per
# reference: the normaliser has no general decoding). Those written in ASCII are read before the
# tokenizer's other steps, the others after them (as those steps leave the character typed), so that
# an ASCII text keeps the tokenizer's fast path (ascii_reader.py); `&amp;` is read last of all, so
# that `&amp;lt;` reads as the `&lt;` a browser shows, not as `<`.
LEADING_REFERENCES = {
    "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&nbsp;": " ", "&#39;": "'", "&#039;": "'",
    "&#x27;": "'", "&#34;": '"', "&#x22;": '"', "&#160;": " ", "&#xa0;": " ",
}  # fmt: skip
TRAILING_REFERENCES = {
    "&ndash;": "–", "&mdash;": "—", "&lsquo;": "‘", "&rsquo;": "’", "&ldquo;": "“", "&rdquo;": "”",
    "&hellip;": "…", "&laquo;": "«", "&raquo;": "»", "&copy;": "©", "&reg;": "®", "&trade;": "™",
    "&deg;": "°", "&euro;": "€", "&pound;": "£", "&yen;": "¥", "&cent;": "¢", "&middot;": "·",
    "&bull;": "•", "&times;": "×", "&eacute;": "é", "&egrave;": "è", "&aacute;": "á", "&agrave;": "à",
    "&iacute;": "í", "&oacute;": "ó", "&uacute;": "ú", "&ntilde;": "ñ", "&ccedil;": "ç", "&uuml;": "ü",
    "&ouml;": "ö", "&auml;": "ä", "&szlig;": "ß", "&#8217;": "’", "&#8216;": "‘", "&#8220;": "“",
    "&#8221;": "”", "&#8211;": "–", "&#8212;": "—", "&#8230;": "…",
}  # fmt: skip
AMPERSANDS = ("&amp;", "&#38;")
READ_REFERENCES = (*LEADING_REFERENCES, *TRAILING_REFERENCES, *AMPERSANDS)

# Every other reference a browser reads: by number (`&#233;`, `&#xE9;`, `&#8217s` without its `;`) or
# by any of HTML's names (`&iuml;`, `&ensp;`), which the normaliser's list above left as written
# (`l&#233;gislatives` was five unknown tokens: a trial). The normaliser cannot compute a character
# from a number, so attn reads these in Python before the tokenizer (`read_references`), each as its
# character followed by FILLER up to the reference's length, which keeps every offset into the text
# as written, and the normaliser removes the filler (a noncharacter, which no text holds). Only a
# tokenizer whose normaliser has that step is given text so read (`reads_references`): one trained
# before it reads references as it was trained to.
FILLER = "\ufdd0"
REFERENCE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]{1,31};)")

# What the note counts as markup: a tag, or a character reference the normaliser's list reads or one by
# number (a name outside the list may be text: `R&Dept;`).
MARKUP = re.compile(
    TAG
    + "|"
    + "|".join(re.escape(reference) for reference in READ_REFERENCES)
    + r"|&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};"
)
# The share of the texts read that must hold markup for the note: a stray `&amp;` in a few is not
# worth a setting.
NOTE_SHARE = 0.05
# Texts read for the note, evenly spaced: a scan of every text of a large set would cost seconds.
NOTE_TEXTS = 2000


def with_markup_steps(steps: list[Normalizer]) -> list[Normalizer]:
    """A tokenizer's normaliser `steps` with tokenizer.strip_html's around them: tags as spaces and
    the ASCII references first, the others after the steps, each as those steps leave the character
    it stands for typed (`&hellip;` as NFKC's "...", `&eacute;` as an "e" where accents are
    stripped), and `&amp;` last."""
    from tokenizers import Regex, normalizers

    typed = normalizers.Sequence(steps)
    return [
        normalizers.Replace(Regex(TAG), " "),
        *(normalizers.Replace(reference, character) for reference, character in LEADING_REFERENCES.items()),
        # After the tags: a `<` read from `&#60;`, its filler still after it, opens no tag.
        normalizers.Replace(FILLER, ""),
        *steps,
        *(
            normalizers.Replace(reference, typed.normalize_str(character))
            for reference, character in TRAILING_REFERENCES.items()
        ),
        # One pass for both spellings: `&amp;#38;` is the `&#38;` a browser shows.
        normalizers.Replace(Regex("|".join(AMPERSANDS)), "&"),
    ]


def reads_references(tokenizer: Tokenizer) -> bool:
    """Whether `tokenizer` is given text with its character references read (`read_references`):
    its normaliser removes FILLER (tokenizer.strip_html, since attn read every reference)."""
    normalizer = tokenizer.normalizer
    return normalizer is not None and FILLER.encode("utf-8") in normalizer.__getstate__()


def read_references(text: str) -> str:
    """`text` with each character reference (REFERENCE) the normaliser's own list does not read, and
    a browser would, replaced by its character and FILLER to the reference's length. A reference to
    `&` (`&#38;`) is left to the normaliser's last step, which reads `&amp;` so too: read first, the
    `&` it gives would join what follows (`&#38;lt;`) into a reference a browser does not read."""
    if "&" not in text:
        return text
    return REFERENCE.sub(_read, text)


def _read(reference: re.Match[str]) -> str:
    written = reference.group()
    character = html.unescape(written)
    # An `&` read (`&#38;`, or `&amplt;` by HTML's legacy prefix) is left to the normaliser's last step.
    if character == written or "&" in character or written in _LISTED or len(character) > len(written):
        return written
    return character + FILLER * (len(written) - len(character))


_LISTED = frozenset(READ_REFERENCES)


def reference_spans(text: str) -> list[tuple[int, int]]:
    """Where `read_references` read a reference in `text`: the spans of the references as written."""
    if "&" not in text:
        return []
    return [match.span() for match in REFERENCE.finditer(text) if _read(match) != match.group()]


def spans_over_references(text: str, offsets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token spans of a tokenizer given text with its references read (`read_references`), each
    widened over the whole of a reference it ends or starts inside: the filler after a reference's
    character, which the normaliser removes, is left out of the span (`caf&#233;` was `caf&`)."""
    references = reference_spans(text)
    if not references:
        return list(offsets)
    widened = []
    for start, end in offsets:
        for first, last in references:
            if first < end < last:
                end = last
            if first < start < last:
                start = first
        widened.append((start, end))
    return widened


def strips_markup(tokenizer: Tokenizer) -> bool:
    """Whether `tokenizer` reads HTML as tokenizer.strip_html makes it (its normaliser's first step)."""
    normalizer = tokenizer.normalizer
    return normalizer is not None and _TAG_STEP in normalizer.__getstate__()


# A piece of tokenizer.strip_html's first step as tokenizer.json writes it (its comments' pattern).
_TAG_STEP = b"|!--(?:[^-]|-(?!->))*--"


def markup_note(texts: Sequence[str]) -> str | None:
    """A note where at least NOTE_SHARE of the training texts (evenly spaced ones, for many) hold
    HTML markup, naming the commonest forms and the setting that reads it as text; else None."""
    from attncli.sizing import evenly_spaced  # here: sizing reads the tokenizer, which reads this module

    if not texts:
        return None
    read = [texts[index] for index in evenly_spaced(len(texts), NOTE_TEXTS)]
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
        "tokenizer.strip_html=true reads each tag as a space and each character reference (&amp;, &#39;, "
        "&nbsp;, &#233;) as its character, where the markup does not tell the labels apart"
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
        "unknown token with its label, where predict gives such a text no label; remove them from the data "
        "(--drop-invalid leaves them in: it reads the texts as written, before the tokenizer)"
    )


def _form(markup: str) -> str:
    """A piece of markup as the note names it: a tag by its name (`<br />`, `<i>`, `</i>`), a
    reference as written."""
    if not markup.startswith("<"):
        return markup
    if markup.startswith("<!--"):
        return "<!-- -->"
    if markup.startswith(("<!", "<?")):
        return markup[:40]
    name = re.match(r"</?[A-Za-z][A-Za-z0-9:-]*", markup)
    closing = " />" if markup.endswith("/>") else ">"
    return f"{name.group(0) if name else '<'}{closing}"


# A reference the setting reads, ending a text: the one a token's `;` closes (in capitals too, which
# the steps after lowercasing read). One it leaves is read as words, its `;` a token of its own, which
# keeps its span, also where truncation cut the tokens before it.
_REFERENCE_BEFORE = re.compile(
    "(?:" + "|".join(re.escape(reference) for reference in READ_REFERENCES) + r")\Z", re.IGNORECASE
)


def whole_references(text: str, offsets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token spans of a tokenizer that strips markup, each token that starts at a character
    reference's `;` starting at its `&`: the normaliser gives the character it reads `&amp;` as the
    span of the reference's last character alone, so the heatmap coloured the `;` (and `&eacute;cole`
    was `;cole`). Where another token reaches into the reference (one the setting leaves as written,
    `&#233;` read as `&`, `#`, `233`, `;`), the spans are kept."""
    spans = list(offsets)
    widened: set[int] = set()
    for index, (start, end) in enumerate(spans):
        if not (start < end and text[start] == ";"):
            continue
        found = _REFERENCE_BEFORE.search(text, max(0, start - 12), start + 1)
        if found is None:
            continue
        # A token before this one inside the reference (not one widened here: NFKC's three dots of
        # &hellip;'s character share its span) reads it as words.
        blocked = any(
            spans[earlier][1] > found.start() and earlier not in widened
            for earlier in range(max(0, index - 8), index)
        )
        if not blocked:
            spans[index] = (found.start(), end)
            widened.add(index)
    return spans
