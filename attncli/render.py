"""Everything people see: functions that turn result dataclasses into rich renderables.
The only module that imports rich; it runs no torch and prints nothing itself."""

from __future__ import annotations

import math
import os
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich import box
from rich.cells import cell_len
from rich.color import Color
from rich.console import Group, OverflowMethod, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

from attncli.calibration import CALIBRATION_STATES, GRID_HIGH, GRID_LOW
from attncli.config import as_typed, settings_text
from attncli.data import SMALL_VALIDATION
from attncli.info import unused_model_settings
from attncli.metrics import CALIBRATION_BINS
from attncli.streams import acts_on_terminal
from attncli.tokenizer import UNK_TOKEN

if TYPE_CHECKING:
    from attncli.evaluation import EvalResult
    from attncli.history import EpochRecord
    from attncli.info import CheckpointInfo
    from attncli.inspection import Inspection, TokenWeight
    from attncli.prediction import Prediction
    from attncli.reporter import RunInfo
    from attncli.train import TrainResult


class _Table(Table):
    """rich's Table whose cells wrap instead of ending in "…" where the terminal is narrow
    (COLUMNS=40 in a CI job): a number cut short reads as another number. A cell that should be cut
    (a long text) says so itself, with a Text of its own overflow."""

    def add_column(self, *args: Any, overflow: OverflowMethod = "fold", **kwargs: Any) -> None:
        super().add_column(*args, overflow=overflow, **kwargs)


ATTN_THEME = Theme(
    {
        "attn.label": "bold cyan",
        "attn.score": "green",
        "attn.good": "bold green",
        "attn.muted": "dim",
        "attn.heading": "bold",
        "attn.bad": "bold red",
    }
)
# Heatmap scale, low to high weight: pale yellow to dark red (ColorBrewer YlOrRd).
HEAT_STOPS = [(255, 255, 204), (254, 217, 118), (253, 141, 60), (227, 26, 28), (128, 0, 38)]
BAR_WIDTH = 20
# Unknown words named under a heatmap; the rest are counted.
UNKNOWN_LISTED = 10


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def heat_color(fraction: float) -> tuple[int, int, int]:
    """The scale colour at `fraction` in [0, 1], interpolated between neighbouring stops."""
    fraction = min(1.0, max(0.0, fraction))
    position = fraction * (len(HEAT_STOPS) - 1)
    index = min(int(position), len(HEAT_STOPS) - 2)
    mix = position - index
    low, high = HEAT_STOPS[index], HEAT_STOPS[index + 1]
    return tuple(round(a + (b - a) * mix) for a, b in zip(low, high, strict=True))  # type: ignore[return-value]


def _heat_style(fraction: float) -> Style:
    # Dark text on the pale half of the scale, light text on the dark half.
    foreground = "black" if fraction < 0.6 else "white"
    return Style(color=foreground, bgcolor=Color.from_rgb(*heat_color(fraction)))


# Heatmap levels above the uniform weight, light to dark (ColorBrewer YlOrRd, 8 classes less the
# palest): 7 distinct colours in truecolor and in the 256-colour palette. Level 0 (at or below
# uniform) is left uncoloured.
HEAT_COLORS = ["#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]
# 16-colour terminals map those to 3 colours, so they get 5 of their own, light to dark.
HEAT_COLORS_16 = ["bright_yellow", "yellow", "bright_red", "red", "magenta"]
# Weights are shown relative to the uniform weight 1/n on a log scale that reaches at least this
# multiple, so nearly flat weights stay pale instead of being stretched over the whole scale.
LEAST_SCALE_TOP = 4.0
TOP_TOKENS = 5


def heat_styles(color_system: str | None) -> list[Style]:
    """The style of each heat level above uniform, for the terminal's colour system."""
    if color_system in ("standard", "windows"):
        return [
            Style(color="black" if level < 3 else "bright_white", bgcolor=name)
            for level, name in enumerate(HEAT_COLORS_16)
        ]
    return [
        Style(color="black" if level < 4 else "white", bgcolor=Color.parse(name))
        for level, name in enumerate(HEAT_COLORS)
    ]


@dataclass(frozen=True)
class HeatScale:
    """Weight -> heat level: 0 at or below the uniform weight 1/n, then `levels` steps of a log
    scale from 1/n up to `top` times it."""

    uniform: float
    top: float
    levels: int

    @classmethod
    def of(cls, weights: list[float], *, levels: int, positions: int | None = None) -> HeatScale:
        """`weights`: each entry's weight per model token; `positions`: how many tokens the model
        read (more than the entries when words were merged from pieces; default: one per entry)."""
        uniform = 1.0 / max(1, positions or len(weights))
        highest = max(weights, default=uniform) / uniform
        return cls(uniform=uniform, top=max(LEAST_SCALE_TOP, highest), levels=levels)

    def level(self, weight: float) -> int:
        ratio = weight / self.uniform
        if ratio <= 1.0:
            return 0
        return 1 + min(self.levels - 1, int(self.levels * math.log(ratio) / math.log(self.top)))

    def lower_bound(self, level: int) -> float:
        """The multiple of uniform where `level` (>= 1) starts."""
        return float(self.top ** ((level - 1) / self.levels))


def _multiple(value: float) -> str:
    return f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


def _per_token(item: TokenWeight) -> float:
    """An entry's weight per model token: a word merged from k pieces would get k times the uniform
    weight under flat attention, so it is judged by its weight over k."""
    return item.weight / item.pieces


def _heat_legend(scale: HeatScale, styles: list[Style], *, merged: bool) -> Text:
    what = "weight per model token" if merged else "weight"
    legend = Text(
        f"colour: {what} as a multiple of uniform (1/{round(1 / scale.uniform)} = {scale.uniform:.3g}), "
        "log scale: ",
        "attn.muted",
    )
    legend.append(" <=1x ")
    for level, style in enumerate(styles, start=1):
        legend.append(f" >{_multiple(scale.lower_bound(level))} ", style)
    return legend


def _shown(text: str, *, keep: str = "") -> str:
    """`text` with each character a terminal would act on rather than show (an escape sequence, a
    carriage return, a line break unless in `keep`) as a space, and a lone surrogate (which no
    terminal can be sent) as U+FFFD, as JSON output shows it: character for character, so token
    offsets still point at the same places."""
    return "".join(_shown_character(char) if char not in keep else char for char in text)


def label_list(names: Sequence[str], *, limit: int | None = None) -> str:
    """Label names as a list a reader can take apart: as they are, unless one has a comma, an
    empty or padded name (`sport ` beside `sport`), when each is quoted; cut after `limit`."""
    shown = [_shown(name) for name in names[:limit]]
    if any("," in name or name != name.strip() or not name for name in shown):
        shown = [repr(name) for name in shown]
    more = f" and {len(names) - limit} more" if limit is not None and len(names) > limit else ""
    return ", ".join(shown) + more


def _shown_character(char: str) -> str:
    if not acts_on_terminal(char):
        return char
    return "\ufffd" if unicodedata.category(char) == "Cs" else " "


def _top_tokens(inspection: Inspection, scale: HeatScale) -> Table:
    table = _Table("top tokens", "weight", "x uniform", box=None, header_style="attn.heading", pad_edge=False)
    ranked = sorted(inspection.tokens, key=lambda item: item.weight, reverse=True)[:TOP_TOKENS]
    for item in ranked:
        shown = _shown(inspection.text[item.start : item.end]) or item.token
        if item.unknown and shown != UNK_TOKEN:
            shown += f" ({UNK_TOKEN})" if item.token == UNK_TOKEN else f" (partly {UNK_TOKEN})"
        table.add_row(shown, f"{item.weight:.4f}", _multiple(_per_token(item) / scale.uniform))
    return table


def render_inspection(
    inspection: Inspection, *, color_system: str | None, index: int | None = None
) -> RenderableType:
    """The text as far as the model read it, each token's background coloured by its weight, with
    a legend and the top tokens; without colour, each token followed by its weight in brackets."""
    header = Text.assemble(
        (f"#{index}  " if index is not None else "", "attn.muted"),
        ("predicted ", "attn.muted"),
        (_shown(inspection.label), "attn.label"),
        (f" ({format_probability(inspection.score)})", "attn.score"),
        (f"; showing {inspection.view}", "attn.muted"),
    )
    styles = heat_styles(color_system)
    positions = sum(item.pieces for item in inspection.tokens)
    merged = positions > len(inspection.tokens)
    scale = HeatScale.of(
        [_per_token(item) for item in inspection.tokens], levels=len(styles), positions=positions
    )
    seen_end = max((item.end for item in inspection.tokens), default=0)
    text = _shown(inspection.text[:seen_end], keep="\n")
    if color_system is not None:
        heatmap = Text(text)
        for item in inspection.tokens:
            level = scale.level(_per_token(item))
            if item.end > item.start and level:
                heatmap.stylize(styles[level - 1], item.start, item.end)
            if item.unknown:  # read as the one unknown token (in part), whatever its spelling
                heatmap.stylize("underline", item.start, item.end)
        legend = _heat_legend(scale, styles, merged=merged)
    else:
        heatmap, position = Text(), 0
        for item in inspection.tokens:
            # A token with no span of its own shows its name; one that shares a character with the
            # token before (NFKC made several of one, as of "㍿") shows only its weight.
            heatmap.append(text[position : item.end] or (item.token if item.end <= item.start else ""))
            flag = (", unknown" if item.token == UNK_TOKEN else ", partly unknown") if item.unknown else ""
            heatmap.append(f"[{item.weight:.3f}{flag}]", "attn.muted")
            position = max(position, item.end)
        legend = Text(
            f"[weight] after each token; uniform would be 1/{positions} = {scale.uniform:.3g}"
            + (f" a token, k/{positions} for a word of k pieces" if merged else ""),
            "attn.muted",
        )
    parts: list[RenderableType] = [header, heatmap]
    if cut := inspection.truncated_tokens:
        parts.append(
            Text(
                f"... and {cut} more token{'s' * (cut != 1)}, cut at max_length: the "
                f"{positions} shown{f' (as {len(inspection.tokens)} words)' if merged else ''} are all the "
                "model read",
                "attn.muted",
            )
        )
    unknown = [item for item in inspection.tokens if item.unknown]
    if unknown:  # shown in their own spelling, but the model read each as the one unknown token
        spans = dict.fromkeys((item.start, item.end, item.token) for item in unknown)  # one per word
        # Each word once, with how often it occurs: `<, >, <, >, <, >` said nothing the first two did not.
        counts = Counter(_brief(_shown(inspection.text[start:end]) or token) for start, end, token in spans)
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
        parts.append(Text(said, "attn.muted"))
    parts += [legend, _top_tokens(inspection, scale), Text()]
    return Group(*parts)


def _brief(word: str, limit: int = 40) -> str:
    """A word cut to `limit` characters: a 5,000-character URL was listed whole below its heatmap."""
    return word if len(word) <= limit else f"{word[: limit - 1]}…({len(word):,} characters)"


def _missed_remedy(missed: Sequence[str], weighted: bool, info: RunInfo) -> str:
    """What may help a model that recognised none of some labels' validation rows: class weights
    only where those labels are rare in training (under half an even share); where they are not,
    the cause is elsewhere (too little training, texts that do not tell the labels apart)."""
    if not info.label_counts:  # not told the counts
        return "more rows of them, or more epochs, may help"
    counts = dict(zip(info.label_names, info.label_counts, strict=True))
    even_share = info.train_size / max(len(info.label_names), 1)
    if all(counts[name] < even_share / 2 for name in missed):
        weigh = "--set train.class_weights=auto weighs rare labels up"
        return "more rows of them would help" if weighted else weigh
    rows = info.validation_size
    held = f" (and only {rows} validation rows)" if rows < SMALL_VALIDATION else ""
    return (
        f"they are not rare in training{held}, so class weights would not help; more epochs or rows may, "
        "unless the texts do not tell them apart"
    )


def format_probability(value: float) -> str:
    """A probability as a percentage with as many decimals as it takes not to round to 100% or 0%
    when it is neither (0.99994 is "99.99%", 0.999996 "99.9996%"), up to four."""
    for decimals in (1, 2, 3, 4):
        shown = f"{100 * value:.{decimals}f}"
        if (value >= 1 or float(shown) < 100) and (value <= 0 or float(shown) > 0):
            return f"{shown}%"
    return ">99.9999%" if value > 0.5 else "<0.0001%"


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
        return self.labels.get(name) or _shown(name)


SCORE_WIDTH = 9

# The widest a label is cut to on a terminal, unless a third of its width is more.
LABEL_WIDTH = 24


# The fewest cells of text a row shows before the next labels give way.
MIN_TEXT_WIDTH = 16


def _cut_in_middle(text: str, width: int, others: Sequence[str]) -> str:
    """`text` in `width` cells: its first third and its end, with an ellipsis between."""
    head = ""
    for char in text:
        if cell_len(head + char) > max(1, width // 3):
            break
        head += char
    tail = ""
    for char in reversed(text):
        if cell_len(head) + 1 + cell_len(char + tail) > width:
            break
        tail = char + tail
    return f"{head}…{tail}"


def _cut_from_difference(text: str, width: int, others: Sequence[str]) -> str:
    """`text` in `width` cells from a little before where it first differs from the labels like it
    (`…/ refund / gener…`), for labels alike at both ends."""
    differs = max((len(os.path.commonprefix([text, other])) for other in others), default=0)
    start = max(0, differs - max(1, width // 4))
    return _cut(("…" if start else "") + text[start:], width)


def distinct_labels(label_names: Sequence[str], width: int) -> dict[str, str]:
    """Each label as shown in `width` terminal cells: whole where it fits, else cut at the end; a
    label whose cut would look like another's (Support > Complaint > billing and ... > refund) is
    cut in the middle, keeping its end, or, alike at both ends too, shown from where it differs."""
    shown = {name: _shown(name) for name in label_names}
    cuts = {name: text if cell_len(text) <= width else _cut(text, width) for name, text in shown.items()}
    for cutter in (_cut_in_middle, _cut_from_difference):
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
    label_width = max(5, min(widest, max(cell_len(_shown(label)) for label in label_names)))
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
    text = _shown(prediction.text or "")  # one line per record
    parts = [_cell(str(prediction.index), layout.index_width, "attn.muted", right=True), Text(" ")]
    if prediction.label is None or prediction.score is None:
        parts += [_cell(f"({prediction.reason})", layout.label_width + SCORE_WIDTH + 1, "attn.muted")]
        others = ""
    else:
        parts += [_cell(layout.label(prediction.label), layout.label_width, "attn.label"), Text(" ")]
        parts += [_cell(format_probability(prediction.score), SCORE_WIDTH, "attn.score", right=True)]
        others = ", ".join(
            f"{layout.label(label)} {format_probability(score)}" for label, score in prediction.top_k[1:]
        )
    if layout.others_width:
        parts += [Text("  "), _cell(others, layout.others_width, "attn.muted")]
    shown = Text(text)
    shown.truncate(layout.text_width, overflow="ellipsis")  # the last column: cut, never padded
    parts += [Text("  "), shown]
    return Text.assemble(*parts)


def _defined(value: float | None, undefined: str = "—") -> Text:
    return Text(_percent(value)) if value is not None else Text(undefined, "attn.muted")


def _class_table(result: EvalResult) -> Table:
    table = _Table("label", "precision", "recall", "F1", "support", header_style="attn.heading")
    for label, scores in result.per_class.items():
        table.add_row(
            _shown(label),
            _defined(scores.precision),
            _defined(scores.recall, "no examples"),
            _defined(scores.f1),
            str(scores.support),
        )
    return table


def _confusion_width(result: EvalResult) -> int:
    """The fewest terminal columns the confusion matrix can be read in: its label column cut to 12,
    and a column per label as wide as its largest count (at least 4: rich then wraps the label above
    it), each with a space either side and a rule."""
    largest = max((count for row in result.confusion_matrix for count in row), default=0)
    return 12 + 3 + len(result.labels) * (max(len(str(largest)), 4) + 3) + 1


def _confusion_heatmap(result: EvalResult) -> Table:
    """Counts shaded by their share of the true label's row, so a weak class shows at a glance.
    Cells carry their own padding so the shade fills the whole cell, not just the digits."""

    def cell(content: RenderableType, style: Style | str = "") -> Padding:
        return Padding(content, (0, 1), style=style, expand=True)

    matrix = _Table(
        title="confusion matrix", caption="shade: share of the row", header_style="attn.heading",
        caption_style="attn.muted", padding=0,
    )  # fmt: skip
    matrix.add_column(cell("true \\ predicted"))
    for label in result.labels:
        matrix.add_column(cell(_shown(label)), justify="right")
    for label, row in zip(result.labels, result.confusion_matrix, strict=True):
        total = sum(row)
        counts = [
            cell(Text(str(count), justify="right"), _heat_style(count / total))
            if count
            else cell(Text("0", "attn.muted", justify="right"))
            for count in row
        ]
        matrix.add_row(cell(_shown(label)), *counts)
    return matrix


def _calibration_note(temperature: float, state: str) -> str:
    """Why a temperature is what it is: fitted, left at 1 (which a fit of 1 would look like), or at
    an end of the search, where the best fit may lie further out."""
    if state != "fitted":
        return f" ({CALIBRATION_STATES.get(state, state)})"
    if math.isclose(temperature, GRID_LOW) or math.isclose(temperature, GRID_HIGH):
        end, confidence = ("lowest", "under") if temperature < 1 else ("highest", "over")
        return (
            f" (the {end} searched: the model was {confidence}-confident on the validation split, "
            "perhaps more than this corrects)"
        )
    return " (fitted on the validation split)"


def _reliability(result: EvalResult) -> RenderableType:
    temperature = f"{result.temperature:.2f}" + _calibration_note(result.temperature, result.calibration)
    line = Text.assemble(
        ("expected calibration error (ECE) ", ""),
        (_percent(result.ece), "attn.good"),
        (f" over {CALIBRATION_BINS} confidence bins; temperature {temperature}", "attn.muted"),
    )
    if result.log_loss is not None:
        line.append_text(
            Text.assemble(
                ("\nlog loss ", ""),
                (f"{result.log_loss:.4f}", "attn.good"),
                (" (mean negative log probability of the true labels)", "attn.muted"),
            )
        )
    table = _Table(
        "confidence", "count", "mean confidence", "accuracy", title="reliability", header_style="attn.heading"
    )
    for item in result.reliability:
        table.add_row(
            f"({item.lower:.2f}, {item.upper:.2f}]",
            str(item.count),
            format_probability(item.confidence),
            _percent(item.accuracy),
        )
    return Group(line, table)


# Into a pipe, where no terminal width cuts them, mistaken texts are cut at this many characters.
PIPED_TEXT = 120


def _mistakes(result: EvalResult, *, piped: bool) -> RenderableType:
    errors = result.errors or []
    if not errors:
        return Text("no mistakes to list", "attn.muted")
    table = _Table(
        "row", "text", "label", "predicted", "probability",
        title=f"{len(errors)} most confident mistakes (rows of the data, counting from 0)",
        header_style="attn.heading", expand=not piped,
    )  # fmt: skip
    for mistake in errors:
        text = " ".join(mistake.text.split())
        if piped and len(text) > PIPED_TEXT:
            text = text[: PIPED_TEXT - 1] + "…"
        table.add_row(
            str(mistake.index),
            Text(text, overflow="ellipsis", no_wrap=True),
            Text(_shown(mistake.label), "attn.label"),
            Text(_shown(mistake.predicted), "attn.label"),
            Text(format_probability(mistake.score), "attn.score"),
        )
    table.columns[1].ratio = 1  # the text takes the width the others leave
    for column in (table.columns[0], table.columns[4]):
        column.justify = "right"
    return table


def render_eval(result: EvalResult, *, width: int | None = None, piped: bool = False) -> RenderableType:
    """The scores, per-class table, confusion heatmap and calibration of an evaluation, and its
    most confident mistakes when they were asked for. A confusion matrix wider than `width` (the
    terminal's) is left to --json: cut into wrapped cells, its counts could not be read. `piped`:
    into a pipe or a file, where tables take their natural width rather than the console's."""
    where = f"{result.source} [{result.split}]" if result.split else result.source
    scored = f"{result.checkpoint} on " if result.checkpoint else ""
    summary = Text.assemble(
        (f"{scored}{where}  ", "attn.muted"),
        (f"n={result.n}  ", ""),
        ("accuracy ", ""),
        (_percent(result.accuracy), "attn.good"),
        ("  macro-F1 ", ""),
        (_percent(result.macro_f1), "attn.good"),
        ("  weighted-F1 ", ""),
        (_percent(result.weighted_f1), "attn.good"),
    )
    parts: list[RenderableType] = [summary]
    parts += [Text(note, "attn.muted") for note in result.notes]
    if result.ignored_unknown:
        rows = f"{result.ignored_unknown} row" + "s" * (result.ignored_unknown != 1)
        parts.append(Text(f"ignored {rows} whose label the model never saw", "attn.muted"))
    matrix_width = _confusion_width(result)
    if width is None or matrix_width <= width:
        matrix: RenderableType = _confusion_heatmap(result)
    else:
        matrix = Text(
            f"confusion matrix: {len(result.labels)} labels need {matrix_width} columns, and the terminal "
            f"has {width}; --json gives it (confusion_matrix, rows are true labels)",
            "attn.muted",
        )
    parts += [_class_table(result), matrix, _reliability(result)]
    if result.errors is not None:
        parts.append(_mistakes(result, piped=piped))
    return Group(*parts)


# A summary of more epochs than this (small data trains up to 300) shows the first and last few and
# the best, not a screenful of rows.
EPOCH_ROWS = 20


def _epochs_shown(history: Sequence[EpochRecord], *, best: int) -> list[EpochRecord | None]:
    """The epochs the summary table shows, None where it leaves some out."""
    if len(history) <= EPOCH_ROWS:
        return list(history)
    kept = {*range(5), *range(len(history) - 5, len(history))}
    kept |= {index for index, record in enumerate(history) if record.epoch == best}
    shown: list[EpochRecord | None] = []
    for index, record in enumerate(history):
        if index in kept:
            shown.append(record)
        elif shown and shown[-1] is not None:
            shown.append(None)
    return shown


def render_train_summary(result: TrainResult) -> RenderableType:
    # Two-line headers and no column rules: the table fits 80 columns, the width of a log file.
    table = _Table(
        "epoch", "train\nloss", "val\nloss", "val\naccuracy", "val\nmacro-F1", "seconds", "tokens/s",
        "padding", header_style="attn.heading", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
    )  # fmt: skip
    for record in _epochs_shown(result.history, best=result.best_epoch):
        if record is None:
            table.add_row("…", style="attn.muted")
            table.caption = f"{len(result.history)} epochs: each is in metrics.jsonl"
            continue
        style = "attn.good" if record.epoch == result.best_epoch else ""
        table.add_row(
            str(record.epoch),
            f"{record.train_loss:.4f}",
            f"{record.validation_loss:.4f}",
            _percent(record.validation_accuracy),
            _percent(record.validation_macro_f1),
            f"{record.seconds:.1f}",
            f"{record.tokens_per_second:,.0f}",
            _percent(record.padding_fraction),
            style=style,
        )
    info, metrics = result.info, result.metrics
    patience = result.config.train.epochs_of_patience
    stopped = {
        "patience": f"stopped early: no better epoch for {patience} epochs after warmup; ",
        "epochs": f"reached the epoch limit ({info.epochs}); ",
    }.get(metrics.stop_reason, "")
    footer = Text.assemble(
        (f"best epoch {result.best_epoch}: validation macro-F1 ", ""),
        (_percent(result.best.validation_macro_f1), "attn.good"),
        (", accuracy ", ""),
        (_percent(result.best.validation_accuracy), "attn.good"),
        (
            f"\n{stopped}{info.parameters_text} on {info.device} ({info.precision}); ",
            "attn.muted",
        ),
        (
            # The loading, the tokenizer and start-up before the first epoch are not counted.
            f"{result.train_seconds:.1f} s in the epochs; peak memory {metrics.peak_memory_mb:,.0f} MB",
            "attn.muted",
        ),
        (f"\nsaved to {result.output / 'best'} (best epoch) and {result.output / 'last'}", "attn.muted"),
    )
    missed = result.best.missed_labels
    if missed:  # a rare label the model learnt to ignore: accuracy alone hides it
        remedy = _missed_remedy(missed, result.config.train.class_weights is not None, info)
        labels = label_list(missed, limit=10)
        footer.append_text(Text(
            f"\nwarning: the best epoch recognised none of the validation rows of {labels}; {remedy}",
            "attn.bad",
        ))  # fmt: skip
    return Panel(Group(table, footer), title="training summary", expand=False)


STOP_REASONS = {
    "epochs": "reached the epoch limit",
    "patience": "stopped early (no better validation macro-F1, or loss at equal macro-F1)",
    "interrupted": "interrupted",
}


def _key_values(title: str, rows: list[tuple[str, str | Text]]) -> Table:
    table = _Table(title=title, title_style="attn.heading", title_justify="left", show_header=False, box=None)
    table.add_column(style="attn.muted")
    table.add_column()
    for name, value in rows:
        table.add_row(name, value)
    return table


def _training_rows(info: CheckpointInfo) -> list[tuple[str, str | Text]]:
    training, unknown = info.training, Text("not recorded", "attn.muted")
    data = training.data_source or "—"
    if training.data_path and training.data_path != training.data_source:
        data += f" ({training.data_path})"
    rows: list[tuple[str, str | Text]] = [("data", data)]
    if training.epochs_trained is None:
        rows.append(("epochs", unknown))
    else:
        epochs = f"{training.epochs_trained} trained, best {training.best_epoch or '—'}"
        ceiling = info.train.get("epochs")
        if isinstance(ceiling, int) and training.epochs_trained > ceiling:
            # best/ keeps the config it was saved with; a resume with a higher --epochs went on after it.
            epochs += f" (epochs={ceiling} below: the ceiling when this epoch was saved; a resume raised it)"
        rows.append(("epochs", epochs))
    if training.holds is not None:
        rows.append(("holds", training.holds))
    if training.validation is not None:
        validation = training.validation
        rows.append((
            "validation (best)",
            Text.assemble(
                ("macro-F1 ", ""), (_percent(validation["macro_f1"]), "attn.good"),
                (", accuracy ", ""), (_percent(validation["accuracy"]), "attn.good"),
                (f", loss {validation['loss']:.4f}", ""),
            ),
        ))  # fmt: skip
    if training.stop_reason is not None:
        rows.append(("stop", STOP_REASONS.get(training.stop_reason, training.stop_reason)))
    if training.train_seconds is not None:
        rows.append(("training time", f"{training.train_seconds:,.1f} s"))
    note = _calibration_note(training.temperature, training.calibration)
    rows.append(("temperature", f"{training.temperature:.4g}{note}"))
    vectors = training.embeddings_init
    if vectors:
        found, of = int(vectors.get("found", 0)), int(vectors.get("of", 0))
        frozen = ", frozen" if info.model.get("freeze_embeddings") else ""
        rows.append((
            "pretrained vectors",
            f"{found:,} of {of:,} vocabulary entries ({found / max(of, 1):.1%}) from {vectors.get('path')}, "
            f"{vectors.get('dim')} dimensions{frozen}",
        ))  # fmt: skip
    return rows


def _file_table(info: CheckpointInfo) -> RenderableType:
    if info.files is None:
        return Text("no checksums recorded (saved by an attn before they were)", "attn.muted")
    table = _Table("file", "bytes", "sha256", "on disk", header_style="attn.heading", box=None)
    for item in info.files:
        if item.status == "ok":
            status = Text("ok", "attn.good")
        elif item.sound:
            status = Text(f"{item.status} (optional: the training history)", "attn.muted")
        else:
            status = Text(item.status, "attn.bad")
        table.add_row(item.name, f"{item.bytes:,}", f"{item.sha256[:16]}…", status)
    return table


# Model settings whose empty value means "as another setting", not "none".
FOLLOWS = {"pooling_attention": "attention", "pooling_heads": "num_heads"}


def _model_setting(name: str, value: object, model: dict[str, object]) -> str | Text:
    unused = unused_model_settings(model).get(name)
    if unused is not None:
        return Text(f"{as_typed(value)} (unused: {unused})", "attn.muted")
    if value is not None:
        return as_typed(value)
    if name in FOLLOWS:
        return f"as {FOLLOWS[name]} ({as_typed(model.get(FOLLOWS[name]))})"
    return "none"


def render_info(info: CheckpointInfo) -> RenderableType:
    """What a checkpoint is: labels, model settings, how it was trained, versions and its files."""
    labels = Text.assemble(
        ("labels ", "attn.muted"),
        (label_list(info.label_names), "attn.label"),
        (f" ({len(info.label_names)})", "attn.muted"),
    )
    model_rows: list[tuple[str, str | Text]] = [
        ("parameters", "unreadable" if info.num_parameters is None else f"{info.num_parameters:,}"),
        ("vocabulary", f"{info.vocab_size:,} tokens ({info.tokenizer_kind or 'unknown'} tokenizer)"),
    ]
    model_rows += [(name, _model_setting(name, value, info.model)) for name, value in info.model.items()]
    versions = Text(
        f"attn {info.attn_version}, torch {info.torch_version}, checkpoint format {info.format_version}",
        "attn.muted",
    )
    settings = settings_text(info.train)
    training_rows = [*_training_rows(info), ("settings", Text(settings, "attn.muted"))]
    parts: list[RenderableType] = [labels, Text(), _key_values("model", model_rows), Text()]
    parts += [_key_values("training", training_rows), Text(), versions, Text(), _file_table(info)]
    return Panel(Group(*parts), title=f"checkpoint {info.path}", title_align="left", expand=False)
