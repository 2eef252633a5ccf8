"""`attn predict`'s table: a header and one row per record, with texts cut to the terminal's width."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text

from attncli.render.text import format_probability, id_column, shown_value
from attncli.streams import one_line, safe_text

if TYPE_CHECKING:
    from attncli.prediction import Prediction


@dataclass(frozen=True)
class PredictionLayout:
    """Column widths of the prediction table, fixed before the first row so rows can be printed
    as they are predicted; the text takes what is left of the terminal's width."""

    index_width: int
    label_width: int
    others_width: int
    text_width: int
    labels: dict[str, str] = field(default_factory=dict)
    """Each label as the table shows it, cut to `label_width` where it is longer."""

    def label(self, name: str) -> str:
        return self.labels.get(name) or one_line(name)


SCORE_WIDTH = 9

# The widest a label is cut to on a terminal, unless a third of its width is more.
LABEL_WIDTH = 24


# The fewest cells of text a row shows before the next labels give way.
MIN_TEXT_WIDTH = 16


# What separates the levels of a label that is a path of categories.
PATH_SEPARATOR = re.compile(r"\s[>/|»›]\s|::|(?<=\w)[>/](?=\w)")
PATH_PIECES = re.compile(f"({PATH_SEPARATOR.pattern})")  # splits a path into levels and separators


def _head(text: str, cells: int) -> str:
    """The first characters of `text` that fit in `cells` terminal cells (a CJK character takes two)."""
    head = ""
    for char in text:
        if cell_len(head + char) > cells:
            break
        head += char
    return head


def _cut_in_middle(text: str, width: int, others: Sequence[str]) -> str:
    """`text` in `width` cells: its first third and its end, with an ellipsis between."""
    head = _head(text, max(1, width // 3))
    tail = ""
    for char in reversed(text):
        if cell_len(head) + 1 + cell_len(char + tail) > width:
            break
        tail = char + tail
    return f"{head}…{tail}"


def _cut_levels(text: str, width: int, others: Sequence[str]) -> str:
    """`text`, a path of categories, in `width` cells by its levels: the leading levels every other
    path shares left out, then the separators' spaces, then the longest of the other levels cut in
    turn, the last kept (`…Fr…>Econ…>18th century`, where a cataloguer's twelve headings, alike at
    both ends, showed as four: the country was cut from each)."""
    pieces = PATH_PIECES.split(text)
    levels, separators = pieces[0::2], pieces[1::2]
    if len(levels) < 2:
        return _cut_in_middle(text, width, others)
    paths = [PATH_PIECES.split(other)[0::2] for other in others]
    paths = [path for path in paths if len(path) > 1]
    shared = min((_leading_alike(levels[:-1], path) for path in paths), default=0)
    start = "…" if shared else ""
    levels, separators = levels[shared:], separators[shared:]

    def joined() -> str:
        ends = [*separators, ""]
        return start + "".join(level + separator for level, separator in zip(levels, ends, strict=True))

    if cell_len(joined()) > width:
        separators = [separator.strip() for separator in separators]
    while cell_len(joined()) > width:
        # Down to a character and an ellipsis each, counted in characters: `経…` takes three cells.
        longer = [index for index in range(len(levels) - 1) if len(levels[index].removesuffix("…")) > 1]
        if not longer:  # each down to a letter (or the last alone left): the last is cut at its end
            room = width - cell_len(joined()) + cell_len(levels[-1])
            if room < 2:
                return _cut_in_middle(text, width, others)
            levels[-1] = _cut(levels[-1], room)
            break
        longest = max(longer, key=lambda index: cell_len(levels[index]))
        levels[longest] = levels[longest].removesuffix("…")[:-1] + "…"  # a character less each time
    return joined()


def _leading_alike(levels: Sequence[str], other: Sequence[str]) -> int:
    """How many leading levels two paths share."""
    alike = (index for index, (one, two) in enumerate(zip(levels, other, strict=False)) if one != two)
    return next(alike, min(len(levels), len(other)))


def _cut_from_difference(text: str, width: int, others: Sequence[str]) -> str:
    """`text` in `width` cells from a little before where it first differs from the labels like it
    (`…/ refund / gener…`), for labels alike at both ends."""
    differs = max((len(os.path.commonprefix([text, other])) for other in others), default=0)
    start = max(0, differs - max(1, width // 4))
    if not start:
        return _cut(text, width)
    # Its first letters too: labels alike but for their start and a middle (`History > ... number
    # 01 (...)` beside `Arts > ... number 01 (...)`) were shown alike from where each differs from
    # its closest.
    head = _head(text, max(2, width // 5)) if cell_len(text[:start]) > width // 5 else ""
    return _cut(head + "…" + text[start:], width)


def distinct_labels(label_names: Sequence[str], width: int) -> dict[str, str]:
    """Each label as shown in `width` terminal cells: whole where it fits, else cut at the end, or,
    a path of categories (`Home > Kitchen > Frying Pans`, `news/sport`), in the middle, keeping the
    leaf that tells it from its siblings (a shop's taxonomy showed `Sports & Outdoors > Fitness >
    Kettlebel…`); a label whose cut would look like another's (Support > Complaint > billing and
    ... > refund) is cut in the middle, keeping its end, or, alike at both ends too, shown from where
    it differs."""
    shown = {name: one_line(name) for name in label_names}
    cuts = {
        name: text
        if cell_len(text) <= width
        else _cut_in_middle(text, width, ())
        if PATH_SEPARATOR.search(text)
        else _cut(text, width)
        for name, text in shown.items()
    }
    for cutter in (_cut_in_middle, _cut_levels, _cut_from_difference):
        counts = Counter(cuts.values())
        alike = [name for name, cut in cuts.items() if counts[cut] > 1 and cell_len(shown[name]) > width]
        for name in alike:
            cuts[name] = cutter(shown[name], width, [text for other, text in shown.items() if other != name])
    return cuts


def _cut(text: str, width: int) -> str:
    cut = Text(text)
    cut.truncate(width, overflow="ellipsis")
    return cut.plain


def prediction_layout(label_names: list[str], *, top_k: int, width: int) -> PredictionLayout:
    # Widths in terminal cells: a Chinese label of 4 characters takes 8. Piped (no terminal: any
    # width), labels are shown whole.
    widest = max(LABEL_WIDTH, width // 3)
    label_width = max(5, min(widest, max(cell_len(one_line(label)) for label in label_names)))
    labels = distinct_labels(label_names, label_width)
    others = min(top_k, len(label_names)) - 1
    # index, space, label, space, score, (two spaces, next labels), two spaces, then the text
    fixed = 6 + 1 + label_width + 1 + SCORE_WIDTH + 2
    # "label <0.0001%, " for each: up to 44 cells, one label where labels are wider, or a third of
    # what the row has left (piped: all of them).
    most = max(44, label_width + 12, (width - fixed) // 3)
    others_width = min(most, others * (label_width + 12)) if others > 0 else 0
    # On a narrow terminal the next labels give way to the text, down to none (--json has them all),
    # so that a row still fits on one line.
    others_width = min(others_width, max(0, width - fixed - 2 - MIN_TEXT_WIDTH))
    if others_width < label_width + 12:  # not even one "label 12.3%"
        others_width = 0
    fixed += others_width + 2 if others_width else 0
    return PredictionLayout(6, label_width, others_width, max(MIN_TEXT_WIDTH, width - fixed), labels)


def _cell(text: str, width: int, style: str = "", *, right: bool = False) -> Text:
    cell = Text(text, style=style)
    cell.truncate(width, overflow="ellipsis")
    padding = " " * (width - cell.cell_len)
    return Text.assemble(padding, cell) if right else Text.assemble(cell, padding)


def _identity(prediction: Prediction, width: int) -> str | None:
    """A row's id as shown before its text (`ticket_id 0007`, or `0007` alone where that is too
    wide, and then its start and end), in at most `width` cells, as inspect heads a heatmap: the
    row number alone does not join a table back to a file's rows."""
    column = id_column(prediction.fields) if prediction.fields else None
    if column is None or prediction.fields[column] in (None, ""):
        return None
    value = shown_value(prediction.fields[column])
    named = f"{safe_text(column)} {value}"
    if cell_len(named) <= width:
        return named
    # cut in the middle: ids alike at the start (ORD-2024-0000001, ORD-2024-0000002) differ at the end
    return value if cell_len(value) <= width else _cut_in_middle(value, width, [])


def render_prediction_header(layout: PredictionLayout) -> Text:
    parts = [_cell("#", layout.index_width, right=True), Text(" "), _cell("label", layout.label_width)]
    parts += [Text(" "), _cell("score", SCORE_WIDTH, right=True)]
    if layout.others_width:
        parts += [Text("  "), _cell("next labels", layout.others_width)]
    parts += [Text("  "), Text("text")]
    return Text.assemble(*parts, style="attn.heading")


def render_prediction_row(prediction: Prediction, layout: PredictionLayout) -> Text:
    """One line: record number, top label and its probability, the next labels, then the text cut
    to the terminal width. A record without a label shows why."""
    text = safe_text(prediction.text or "")  # one line per record
    parts = [_cell(str(prediction.index), layout.index_width, "attn.muted", right=True), Text(" ")]
    # The reason spans the label, score and next-labels columns: "(no text in this…" was cut beside
    # an empty next-labels column.
    width = layout.label_width + SCORE_WIDTH + 1 + (2 + layout.others_width if layout.others_width else 0)
    # Shown whole, then the text in what is left: the reason below --min-score with the label not
    # given and its probability ("(below --min-s…" was all a narrow table showed of it), or the
    # --fallback label of a record with no text and why it has no score ("sport (empty t…").
    spanning = None
    if prediction.label is None and prediction.top_k:
        label, score = prediction.top_k[0]
        said = f"({prediction.reason}: {layout.label(label)} {format_probability(score)})"
        spanning = Text(said, "attn.muted")
    elif prediction.label is not None and prediction.score is None:
        spanning = Text.assemble(
            (layout.label(prediction.label), "attn.label"), " ", (f"({prediction.reason})", "attn.muted")
        )
    if spanning is not None:
        spanning.pad_right(max(0, width - spanning.cell_len))
        left = max(1, layout.text_width - (spanning.cell_len - width))
        return Text.assemble(*parts, spanning, "  ", _shown_text(prediction, text, left))
    if prediction.label is None or prediction.score is None:
        parts += [_cell(f"({prediction.reason})", width, "attn.muted")]
    else:
        parts += [_cell(layout.label(prediction.label), layout.label_width, "attn.label"), Text(" ")]
        parts += [_cell(format_probability(prediction.score), SCORE_WIDTH, "attn.score", right=True)]
        # The labels after the one given: top_k's after the first, or, where --threshold gave another,
        # as many of top_k's others (the column is sized for top_k less one).
        following = [item for item in prediction.top_k if item[0] != prediction.label][
            : len(prediction.top_k) - 1
        ]
        others = ", ".join(f"{layout.label(label)} {format_probability(score)}" for label, score in following)
        text_width = layout.text_width
        if prediction.reason is not None:  # the --fallback label, given below --min-score: why
            said = f"({prediction.reason})"
            others = f"{said} {others}" if others else said
            if not layout.others_width:  # no column for it: before the text, which gives way
                parts += [Text("  "), Text(said, "attn.muted")]
                text_width = max(1, text_width - len(said) - 2)
        if layout.others_width:
            parts += [Text("  "), _cell(others, layout.others_width, "attn.muted")]
        parts += [Text("  "), _shown_text(prediction, text, text_width)]
        return Text.assemble(*parts)
    parts += [Text("  "), _shown_text(prediction, text, layout.text_width)]
    return Text.assemble(*parts)


def _shown_text(prediction: Prediction, text: str, width: int) -> Text:
    """The row's text, after its id where its input row has one, cut to `width` (the last column:
    cut, never padded)."""
    shown = Text(text)
    if (identity := _identity(prediction, max(1, width // 3))) is not None:
        shown = Text.assemble((identity, "attn.muted"), f"  {text}")
    shown.truncate(width, overflow="ellipsis")
    return shown
