"""`attn inspect`'s view of one text: its tokens coloured by weight, the legend, the top tokens and
the unknown words."""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from attncli.records import BLANK_LETTERS
from attncli.render.consoles import WEIGHT_LINK
from attncli.render.heat import HeatScale, as_multiple, heat_legend, heat_styles
from attncli.render.text import WrappingTable, format_probability
from attncli.streams import one_line, safe_text
from attncli.tokenizer import UNK_TOKEN
from attncli.view_choice import WORDS_VIEW

if TYPE_CHECKING:
    from attncli.inspection import Inspection, TokenWeight

# Unknown words named under a heatmap; the rest are counted.
UNKNOWN_LISTED = 10


TOP_TOKENS = 5
# A weight is shown to at most this many decimals; one that rounds to nothing there is "<0.000001".
WEIGHT_DECIMALS = 6


def format_weight(weight: float, least_decimals: int = 3) -> str:
    """A weight to `least_decimals` decimals, or to 2 significant digits where that takes more: on a
    512-token essay, whose uniform weight is 0.00195, 3 decimals showed nearly every token as 0.000.
    A text of up to 100 tokens or so keeps 3 decimals throughout (`0.556`, `0.067`, `0.012`)."""
    if weight <= 0:
        return f"{0:.{least_decimals}f}"
    decimals = min(WEIGHT_DECIMALS, max(least_decimals, 1 - math.floor(math.log10(weight))))
    shown = f"{weight:.{decimals}f}"
    if decimals > least_decimals and float(shown) == 10.0 ** (2 - decimals):  # 0.00996: "0.010", not "0.0100"
        shown = f"{weight:.{decimals - 1}f}"
    return shown if float(shown) > 0 else f"<{10.0**-WEIGHT_DECIMALS:.{WEIGHT_DECIMALS}f}"


def _per_token(item: TokenWeight) -> float:
    """An entry's weight per model token: a word merged from k pieces would get k times the uniform
    weight under flat attention, so it is judged by its weight over k."""
    return item.weight / item.pieces


def visible(token: str) -> str:
    """A token made only of characters that show nothing (a zero-width joiner, a no-break space, a
    word joiner) as their code points, `<U+200D>`: it was a weight beside nothing, and a blank row
    of the top tokens."""
    if token and all(unicodedata.category(char) in ("Cf", "Zs") or char in BLANK_LETTERS for char in token):
        return "".join(f"<U+{ord(char):04X}>" for char in token)
    return token


def _known(inspection: Inspection) -> list[TokenWeight]:
    """The entries the model read as tokens of their own: all but the wholly unknown ones, which it
    read as the one unknown token whatever their spelling (all of them, where every one is)."""
    known = [item for item in inspection.tokens if item.token != UNK_TOKEN]
    return known or list(inspection.tokens)


def _top_tokens(inspection: Inspection, known: list[TokenWeight], scale: HeatScale) -> Table:
    """The highest weights of the known tokens: an unknown word's weight is the unknown token's,
    which says nothing of the word (a user's trial: two unseen words led the table, above the one
    word that decided the label). Each token once, at its highest weight, with how many times the
    text holds it: on a long article `"` took four rows of five."""
    table = WrappingTable(
        "top tokens", "weight", "x known mean" if scale.known_only else "x uniform", box=None,
        header_style="attn.heading", pad_edge=False,
    )  # fmt: skip
    ranked = sorted(known, key=lambda item: item.weight, reverse=True)

    def key(item: TokenWeight) -> str:  # unknown words, all one token where every word is, by spelling
        return (
            item.token if item.token != UNK_TOKEN else f"{UNK_TOKEN}{inspection.text[item.start : item.end]}"
        )

    times = Counter(map(key, ranked))
    highest: dict[str, TokenWeight] = {}
    for item in ranked:
        highest.setdefault(key(item), item)  # in the order of each token's highest weight
    for item in list(highest.values())[:TOP_TOKENS]:
        shown = _brief(visible(safe_text(inspection.text[item.start : item.end])) or item.token)
        if item.unknown and shown != UNK_TOKEN:
            shown += f" ({UNK_TOKEN})" if item.token == UNK_TOKEN else f" (partly {UNK_TOKEN})"
        if times[key(item)] > 1:
            shown += f" ({times[key(item)]} times)"
        table.add_row(shown, format_weight(item.weight, 4), as_multiple(_per_token(item) / scale.uniform))
    return table


def _weight_label(item: TokenWeight) -> str:
    """A token's weight as shown beside it without colour (and as its title in an HTML page)."""
    flag = (", unknown" if item.token == UNK_TOKEN else ", partly unknown") if item.unknown else ""
    return f"{format_weight(item.weight)}{flag}"


def render_inspection(
    inspection: Inspection,
    *,
    color_system: str | None,
    index: int | None = None,
    identity: str | None = None,
    weight_titles: bool = False,
    labelled: tuple[str, str] | None = None,
) -> RenderableType:
    """The text as far as the model read it, each token's background coloured by its weight, with
    a legend and the top tokens; without colour, each token followed by its weight in brackets.
    `index` and `identity` ("ticket_id T0042") head the record of a file it came from;
    `weight_titles`: each coloured token carries its weight for html_page to make its title;
    `labelled`: the row's own label, where its file has one, as written and as the model's label it
    is read as, said beside the prediction."""
    written, read_as = labelled if labelled is not None else (None, None)
    wrong = read_as is not None and read_as != inspection.label
    header = Text.assemble(
        (f"#{index}  " if index is not None else "", "attn.muted"),
        (f"{identity}  " if identity is not None else "", "attn.muted"),
        ("predicted ", "attn.muted"),
        (one_line(inspection.label), "attn.label"),
        (f" ({format_probability(inspection.score)})", "attn.score"),
        (", labelled " if written is not None else "", "attn.muted"),
        (one_line(written or ""), "attn.bad" if wrong else "attn.label"),
        (" (wrong)" if wrong else "", "attn.bad"),
        (f"; showing {inspection.view}", "attn.muted"),
    )
    from attncli.inspection import merge_shared_characters

    # Each character is coloured once: tokens NFKC made of one character (Thai's ำ) make one entry.
    shared = merge_shared_characters(inspection.tokens, inspection.text)
    inspection, marker = _cut_marked(dataclasses.replace(inspection, tokens=shared))
    styles = heat_styles(color_system)
    positions = sum(item.pieces for item in inspection.tokens)
    # Words where --words merged pieces (or a word has several): "4 of 5 tokens" said tokens of words.
    merged = positions > len(inspection.tokens) or inspection.view.endswith(WORDS_VIEW)
    # The colours spread over the known tokens' weights, as multiples of their mean where unknown
    # words (left uncoloured) took some of it.
    known = _known(inspection)
    per_token = [_per_token(item) for item in known]
    if len(known) < len(inspection.tokens):
        known_positions = sum(item.pieces for item in known)
        mass = sum(item.weight for item in known)
        scale = HeatScale.of(per_token, levels=len(styles), positions=known_positions, mass=mass)
    else:
        scale = HeatScale.of(per_token, levels=len(styles), positions=positions)
    seen_end = max((item.end for item in inspection.tokens), default=0)
    text = safe_text(inspection.text[:seen_end], keep="\n")
    heatmap: Text | WeightedTokens
    if color_system is not None:
        heatmap = Text(text)
        if marker is not None:
            heatmap.stylize("attn.muted", *marker)
        for number, item in enumerate(inspection.tokens):
            level = scale.level(_per_token(item)) if item.token != UNK_TOKEN else 0
            if item.end > item.start and level:
                heatmap.stylize(styles[level - 1], item.start, item.end)
            if item.unknown:  # read as the one unknown token (in part), whatever its spelling
                heatmap.stylize("underline", item.start, item.end)
            if weight_titles and item.end > item.start:
                # Numbered: rich joins neighbours of equal style into one span, which gave `!!!` of
                # three tokens one title (a trial).
                link = f"{WEIGHT_LINK}{number}:{_weight_label(item)}"
                heatmap.stylize(Style(link=link), item.start, item.end)
        legend = heat_legend(scale, styles, merged=merged)
    else:
        units, position = [], 0
        for item in inspection.tokens:
            # A token with no span of its own shows its name (tokens that share a character were
            # joined into one entry above).
            written = text[position : item.end] or (item.token if item.end <= item.start else "")
            if (
                position <= item.start < item.end
                and (shown := visible(text[item.start : item.end])) != text[item.start : item.end]
            ):
                written = text[position : item.start] + shown
            units.append((written, f"[{_weight_label(item)}]"))
            position = max(position, item.end)
        heatmap = WeightedTokens(units)
        legend = Text(
            f"[weight] after each token; uniform would be 1/{positions} = {1 / max(1, positions):.3g}"
            + (f" a token, k/{positions} for a word of k pieces" if merged else "")
            + (
                f"; x known mean: a weight over the known tokens' mean ({scale.uniform:.3g})"
                if scale.known_only
                else ""
            ),
            "attn.muted",
        )
    parts: list[RenderableType] = [header, heatmap]
    if cut := inspection.truncated_tokens:
        as_words = f" (as {len(inspection.tokens)} words)" if merged else ""
        shown = f"the {positions} shown{as_words} are all the model read"
        said = (
            f"{cut:,} token{'s were' if cut != 1 else ' was'} cut at max_length where the brackets stand: "
            + shown
            if marker is not None
            else f"... and {cut:,} more token{'s' * (cut != 1)}, cut at max_length: {shown}"
        )
        parts.append(Text(said, "attn.muted"))
    unknown = [item for item in inspection.tokens if item.unknown]
    if unknown:  # shown in their own spelling, but the model read each as the one unknown token
        spans = dict.fromkeys((item.start, item.end, item.token) for item in unknown)  # one per word
        # Each word once, with how often it occurs: `<, >, <, >, <, >` said nothing the first two did not.
        counts = Counter(
            _brief(safe_text(inspection.text[start:end]) or token) for start, end, token in spans
        )
        words = [f"{word} ({count}x)" if count > 1 else word for word, count in counts.items()]
        listed = ", ".join(words[:UNKNOWN_LISTED]) + (", ..." if len(words) > UNKNOWN_LISTED else "")
        marked = "underlined" if color_system is not None else "marked unknown"
        if merged:  # words: some wholly unknown, some with an unknown piece among known ones
            said = (
                f"{len(unknown)} of {len(inspection.tokens)} words are unknown to the model in whole or in "
                f"part (not in its vocabulary; {marked} above): {listed}; it read each unknown piece as "
                f"{UNK_TOKEN}"
            )
        else:
            said = (
                f"{len(unknown)} of {len(inspection.tokens)} tokens are unknown to the model (not in its "
                f"vocabulary; {marked} above): {listed}; it read each as {UNK_TOKEN}"
            )
        wholly = [item for item in inspection.tokens if item.token == UNK_TOKEN]
        if wholly and len(wholly) < len(inspection.tokens):
            share = sum(item.weight for item in wholly)
            said += (
                f", which took {share:.1%} of the weight"
                + (
                    ", left uncoloured and out of the top tokens"
                    if color_system
                    else ", left out of the top tokens"
                )
                + ": the same token whatever the word, so its weight says nothing of which word it was"
            )
        parts.append(Text(said, "attn.muted"))
    parts += [legend, _top_tokens(inspection, known, scale), Text()]
    return Group(*parts)


def _cut_marked(inspection: Inspection) -> tuple[Inspection, tuple[int, int] | None]:
    """The inspection with the characters the model never saw replaced by a bracketed count, where
    they lie before or between tokens it read (model.truncation tail or head+tail), and where the
    count lies in the new text; a text cut at its end (head) is shown up to its last token read."""
    if inspection.cut is None or inspection.cut[1] >= len(inspection.text):
        return inspection, None
    start, end = inspection.cut
    count = inspection.truncated_tokens
    text = inspection.text
    # Set off by a space from the text on each side, unless the text has one there or the cut falls
    # inside a word or between CJK characters (letters on both sides), which it would split.
    before = " " if start > 0 and not text[start - 1].isspace() and not _inside_word(text, start) else ""
    after = " " if end < len(text) and not text[end].isspace() and not _inside_word(text, end) else ""
    marker = f"{before}[… {count:,} token{'s' * (count != 1)} not read …]{after}"
    moved = len(marker) - (end - start)
    # Tokens from the cut's end on move past the marker; a token NFKC made of the character before
    # the cut as well (a "…" read as three dots, some before the cut and some after) stays with it.
    tokens = [
        item
        if item.start < end
        else dataclasses.replace(item, start=item.start + moved, end=item.end + moved)
        for item in inspection.tokens
    ]
    marked = text[:start] + marker + text[end:]
    return dataclasses.replace(inspection, text=marked, tokens=tokens), (start, start + len(marker))


def _inside_word(text: str, at: int) -> bool:
    """Whether the characters on both sides of position `at` of `text` are letters or digits."""
    return 0 < at < len(text) and text[at - 1].isalnum() and text[at].isalnum()


class WeightedTokens:
    """Each token followed by its weight in brackets, wrapped between tokens only: a text written
    without spaces (Chinese, Thai) was one long word to rich, folded anywhere, inside a weight too
    (`超[0.102` and `]值` on the next line). A token wider than the line is folded, as rich folds."""

    def __init__(self, units: list[tuple[str, str]]) -> None:
        self.units = units  # (the text up to the token's end, its weight in brackets)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        width, line = options.max_width, Text()
        for written, weight in self.units:
            *ended, written = written.split("\n")  # a text's own line breaks end lines
            for part in ended:
                yield Text.assemble(line, part)
                line = Text()
            unit = Text.assemble(written, (weight, "attn.muted"))
            if line.cell_len and line.cell_len + unit.cell_len > width:
                yield line
                unit = Text.assemble(written.lstrip(), (weight, "attn.muted"))
                line = Text()
            line.append_text(unit)
        yield line


def _brief(word: str, limit: int = 40) -> str:
    """A word cut to `limit` characters: a 5,000-character URL was listed whole below its heatmap."""
    return word if len(word) <= limit else f"{word[: limit - 1]}…({len(word):,} characters)"
