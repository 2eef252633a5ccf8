"""`attn eval`'s report: per-class scores, the confusion matrix as a heatmap, calibration and the
most confident mistakes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.style import Style
from rich.table import Column, Table
from rich.text import Text

from attncli.metrics import CALIBRATION_BINS
from attncli.render.consoles import width_asked
from attncli.render.heat import heat_styles, share_level
from attncli.render.text import (
    WrappingTable,
    as_percent,
    calibration_note,
    format_probability,
    id_column,
    shown_value,
)
from attncli.streams import one_line, safe_text
from attncli.unknown_labels import ignored_note

if TYPE_CHECKING:
    from attncli.evaluation import EvalResult, Mistake


def _defined(value: float | None, undefined: str = "—") -> Text:
    return Text(as_percent(value)) if value is not None else Text(undefined, "attn.muted")


def _class_table(result: EvalResult) -> Table:
    # avg precision: how well a label's probability ranks its rows first, at any threshold (a rare
    # label's F1 at the most probable label says little of what a lower threshold would find).
    headings = ["label", "precision", "recall", "F1", "support"]
    ranked = bool(result.average_precision)  # a result made without them (the Python API) has none
    table = WrappingTable(*headings, *(["avg precision"] if ranked else []), header_style="attn.heading")
    for column in table.columns[1:]:
        column.justify = "right"
    for label, scores in result.per_class.items():
        ranking = [_defined(result.average_precision.get(label))] if ranked else []
        table.add_row(
            Text(one_line(label)),  # as written: `[red]` is a label, not markup
            _defined(scores.precision),
            _defined(scores.recall, "no examples"),
            _defined(scores.f1),
            str(scores.support),
            *ranking,
        )
    return table


# A row's label in the confusion matrix is cut (…) past this many terminal cells, never wrapped.
ROW_LABEL_WIDTH = 24
# The matrix's corner heading may wrap to this width ("true \" above "predicted").
CORNER_WIDTH = len("predicted")


def _row_label_width(result: EvalResult) -> int:
    return min(ROW_LABEL_WIDTH, max((cell_len(one_line(label)) for label in result.labels), default=0))


def _confusion_width(result: EvalResult, *, numbered: bool) -> int:
    """The terminal columns the confusion matrix takes: each label's column as wide as its heading
    (or, `numbered`, its number) and its largest count, with a space either side and a rule, and
    the column of row labels, cut at ROW_LABEL_WIDTH (numbered: each label after its number)."""
    columns = list(zip(*result.confusion_matrix, strict=True)) or [()] * len(result.labels)
    counts = [len(str(max(column, default=0))) for column in columns]
    if numbered:
        row_width = max(CORNER_WIDTH, len(str(len(result.labels))) + 1 + _row_label_width(result))
        headings = [len(str(number)) for number in range(1, len(result.labels) + 1)]
    else:
        row_width = max(CORNER_WIDTH, _row_label_width(result))
        headings = [cell_len(one_line(label)) for label in result.labels]
    widths = [max(heading, count) for heading, count in zip(headings, counts, strict=True)]
    return 1 + row_width + 3 + sum(width + 3 for width in widths)


def _confusion_heatmap(result: EvalResult, *, numbered: bool, color_system: str | None) -> Table:
    """Counts shaded by their share of the true label's row, so a weak class shows at a glance, in
    the heat levels inspect uses (7, or 5 on a 16-colour terminal: a continuous shade left a
    16-colour terminal two, every mistake the same). Cells carry their own padding so the shade
    fills the whole cell. `numbered`: the columns are headed by the rows' numbers, where the labels
    are too wide to head them (folded into columns of a few letters, `ente/rtai/nmen/t_a`)."""

    def cell(content: RenderableType, style: Style | str = "") -> Padding:
        return Padding(content, (0, 1), style=style, expand=True)

    styles = heat_styles(color_system)
    shading = "shade: each count's share of its row (its true label), darker for more"
    caption = shading if color_system else None
    if numbered:
        caption = "columns: the labels numbered as the rows are" + (f"; {caption}" if caption else "")
    matrix = WrappingTable(
        title="confusion matrix", caption=caption, header_style="attn.heading", caption_style="attn.muted",
        padding=0,
    )  # fmt: skip
    matrix.add_column(cell("true \\ predicted"), min_width=CORNER_WIDTH + 2)
    number_width = len(str(len(result.labels)))
    for number, label in enumerate(result.labels, start=1):
        matrix.add_column(cell(Text(str(number) if numbered else one_line(label))), justify="right")
    for number, (label, row) in enumerate(zip(result.labels, result.confusion_matrix, strict=True), start=1):
        total = sum(row)
        counts = [
            cell(
                Text(str(count), justify="right"),
                styles[share_level(count / total, len(styles)) - 1] if color_system else "",
            )
            if count
            else cell(Text("0", "attn.muted", justify="right"))
            for count in row
        ]
        named = Text(one_line(label), no_wrap=True)
        named.truncate(ROW_LABEL_WIDTH, overflow="ellipsis")  # the width _confusion_width counted
        if numbered:
            named = Text.assemble((f"{number:>{number_width}} ", "attn.muted"), named)
        matrix.add_row(cell(named), *counts)
    return matrix


# Pairs of labels listed where the confusion matrix is too wide to draw.
CONFUSED_PAIRS = 10


def _most_confused(result: EvalResult) -> RenderableType:
    """The pairs of labels most often confused, where the matrix is too wide to draw: with 150
    labels, nothing said which classes the model mixed up (a user's trial)."""
    pairs = sorted(
        (
            (count, row, column)
            for row, counts in enumerate(result.confusion_matrix)
            for column, count in enumerate(counts)
            if row != column and count > 0
        ),
        key=lambda pair: (-pair[0], pair[1], pair[2]),
    )
    if not pairs:
        return Text("no row was confused with another label", "attn.muted")
    table = WrappingTable(
        "true label", "predicted as", "rows", "of its rows", title="most confused", box=None,
        header_style="attn.heading", pad_edge=False,
    )  # fmt: skip
    for count, row, column in pairs[:CONFUSED_PAIRS]:
        support = sum(result.confusion_matrix[row])
        table.add_row(
            Text(one_line(result.labels[row])),
            Text(one_line(result.labels[column])),
            str(count),
            as_percent(count / support),
        )
    return table


def _reliability(result: EvalResult) -> RenderableType:
    temperature = f"{result.temperature:.2f}" + calibration_note(
        result.temperature, result.calibration, refitted=result.refitted
    )
    line = Text.assemble(
        ("expected calibration error (ECE) ", ""),
        (as_percent(result.ece), "attn.figure"),
        (f" over {CALIBRATION_BINS} confidence bins; temperature {temperature}", "attn.muted"),
    )
    if result.log_loss is not None:
        line.append_text(
            Text.assemble(
                ("\nlog loss ", ""),
                (f"{result.log_loss:.4f}", "attn.figure"),
                (" (mean negative log probability of the true labels)", "attn.muted"),
            )
        )
    table = WrappingTable(
        "confidence", "count", "mean confidence", "accuracy", title="reliability", header_style="attn.heading"
    )
    for column in table.columns[1:]:
        column.justify = "right"
    for item in result.reliability:
        table.add_row(
            f"({item.lower:.2f}, {item.upper:.2f}]",
            str(item.count),
            format_probability(item.confidence),
            as_percent(item.accuracy),
        )
    return Group(line, table)


# Into a pipe, where no terminal width cuts them, mistaken texts are cut at this many characters.
PIPED_TEXT = 120
# A mistake's text keeps at least this width beside a long id, which folds at its own; on a terminal
# of WIDE_TERMINAL columns or more, at WIDE_ID_WIDTH (a file of a label's folder, rec.sport.hockey/50722,
# folded at 12 however wide the terminal).
MISTAKE_TEXT_WIDTH, ID_WIDTH = 20, 12
WIDE_TERMINAL, WIDE_ID_WIDTH = 120, 32


def _id_width(width: int | None) -> int:
    return WIDE_ID_WIDTH if width is not None and width >= WIDE_TERMINAL else ID_WIDTH


def _mistakes(result: EvalResult, *, piped: bool, width: int | None = None) -> RenderableType:
    errors = result.errors or []
    if not errors:
        return Text("no mistakes to list", "attn.muted")
    # The row's own id, where it has one, finds it in a file whose quoted texts span lines.
    shown_id = id_column(errors[0].fields)
    by_line = _by_line(errors)
    if width is not None and not piped and _mistakes_table_width(errors, shown_id, width) > width:
        return _mistakes_stacked(errors, shown_id)
    # As Text, an id (and its column's name) is never read as markup: "[bold]B-1" stays as written.
    id_header = [Column(header=Text(safe_text(shown_id)), max_width=_id_width(width))] if shown_id else []
    table = WrappingTable(
        _place_heading(by_line), *id_header, "text", "label", "predicted", "probability",
        title=_mistakes_title(errors),
        header_style="attn.heading", expand=not piped,
    )  # fmt: skip
    for mistake in errors:
        text = _one_line(mistake)
        if piped and len(text) > PIPED_TEXT:
            text = text[: PIPED_TEXT - 1] + "…"
        identity = [] if shown_id is None else [Text(_id_of(mistake, shown_id), overflow="fold")]
        table.add_row(
            _place(mistake, by_line),
            *identity,
            Text(text, overflow="ellipsis", no_wrap=True),
            Text(one_line(mistake.label), "attn.label"),
            Text(one_line(mistake.predicted), "attn.label"),
            Text(format_probability(mistake.score), "attn.score"),
        )
    text_column = 1 + (shown_id is not None)
    table.columns[text_column].ratio = 1  # the text takes the width the others leave
    table.columns[text_column].min_width = MISTAKE_TEXT_WIDTH
    for column in (table.columns[0], table.columns[-1]):
        column.justify = "right"
    return table


def _one_line(mistake: Mistake) -> str:
    """A mistake's text as one line, as a terminal shows it."""
    return safe_text(" ".join(mistake.text.split()))


def _id_of(mistake: Mistake, shown_id: str) -> str:
    """The mistake's row id as shown ("" for none)."""
    return shown_value(mistake.fields.get(shown_id))


def _by_line(errors: list[Mistake]) -> bool:
    """Whether the mistakes are named by the line of the file each starts on, as every other message
    names a row (a csv's, a JSON-lines file's), else by their row from 0 (parquet, a Hub dataset)."""
    return all(mistake.line is not None for mistake in errors)


def _place_heading(by_line: bool) -> str:
    return "line" if by_line else "row"


def _place(mistake: Mistake, by_line: bool) -> str:
    """Where the mistake is: its line, else its row (an analyst went to row 305 of a sheet for a
    mistake on line 307, past a quoted text of three lines)."""
    return str(mistake.line) if by_line else str(mistake.index)


def _mistakes_title(errors: list[Mistake]) -> str:
    where = (
        "by the line of the file each starts on" if _by_line(errors) else "rows of the data, counting from 0"
    )
    return f"{len(errors)} most confident {'mistake' if len(errors) == 1 else 'mistakes'} ({where})"


def _mistakes_table_width(errors: list[Mistake], shown_id: str | None, width: int) -> int:
    """The fewest terminal columns the mistakes' table takes with each text kept at
    MISTAKE_TEXT_WIDTH: each column's widest cell (in terminal cells: a CJK character takes two), its
    padding and its rule."""
    ids = [_id_of(mistake, shown_id) for mistake in errors] if shown_id else []
    by_line = _by_line(errors)
    widths = [
        max(len(_place_heading(by_line)), *(len(_place(mistake, by_line)) for mistake in errors)),
        *(
            [min(_id_width(width), max(cell_len(safe_text(str(shown_id))), *map(cell_len, ids)))]
            if shown_id
            else []
        ),
        MISTAKE_TEXT_WIDTH,
        max(len("label"), *(cell_len(one_line(mistake.label)) for mistake in errors)),
        max(len("predicted"), *(cell_len(one_line(mistake.predicted)) for mistake in errors)),
        max(len("probability"), *(len(format_probability(mistake.score)) for mistake in errors)),
    ]
    return sum(widths) + 3 * len(widths) + 1


# Lines of a mistake's text shown where the terminal is too narrow for the table: a BBC article took
# 40 lines of a 60-column terminal for each mistake (the table cuts it to one line).
STACKED_TEXT_LINES = 3


def _mistakes_stacked(errors: list[Mistake], shown_id: str | None) -> RenderableType:
    """The mistakes for a terminal too narrow for their table (cut there into columns of a letter or
    two): each as a line of its row, id, labels and probability, then its text, indented and cut after
    STACKED_TEXT_LINES lines."""
    lines: list[RenderableType] = [Text(_mistakes_title(errors), "attn.heading")]
    by_line = _by_line(errors)
    for mistake in errors:
        row_id = "" if shown_id is None else _id_of(mistake, shown_id)
        identity = [(f"{safe_text(str(shown_id))} {row_id}  ", "")] if row_id else []
        lines.append(
            Text.assemble(
                (f"{_place_heading(by_line)} {_place(mistake, by_line)}  ", "attn.muted"),
                *identity,
                ("label ", "attn.muted"),
                (one_line(mistake.label), "attn.label"),
                ("  predicted ", "attn.muted"),
                (one_line(mistake.predicted), "attn.label"),
                (" ", ""),
                (format_probability(mistake.score), "attn.score"),
            )
        )
        lines.append(Padding(FirstLines(_one_line(mistake)), (0, 0, 0, 2)))
    return Group(*lines)


class FirstLines:
    """A text as the console wraps it at the width it is given, cut after `count` lines, the last
    ending in an ellipsis: wrapped by rich itself, so a word wider than a line, or a line of wide
    characters that leaves a cell over, counts as the lines it takes."""

    def __init__(self, text: str, count: int = STACKED_TEXT_LINES) -> None:
        self.text, self.count = text, count

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width, 2)
        lines = list(Text(self.text).wrap(console, width))
        if len(lines) > self.count:
            last = lines[self.count - 1]
            last.rstrip()
            last.truncate(width - 2)  # room for " …"
            last.rstrip()
            last.append(" …")
        yield from lines[: self.count]


# The widest confusion matrix a report into a file or pipe draws (55 to 80 labels): 1,000 labels made
# a 10 MB file of 24,000-character lines, and took 64 s of a 74 s eval to draw.
PIPED_MATRIX_COLUMNS = 400


def _distance(mean_absolute_error: float, within_one: float) -> Text:
    """How far off the predictions are where the labels are numbers (grades 1-5): accuracy counts a 5
    predicted as 1 as it counts one predicted as 4."""
    return Text.assemble(
        ("mean absolute error ", ""),
        (f"{mean_absolute_error:.2f}", "attn.figure"),
        ("  within one ", ""),
        (as_percent(within_one), "attn.figure"),
        (
            "  (labels read as numbers: how far the predicted label is from the true one, where their order "
            "means something, as grades' does; class ids' does not)",
            "attn.muted",
        ),
    )


def render_eval(
    result: EvalResult, *, width: int | None = None, piped: bool = False, color_system: str | None = None
) -> RenderableType:
    """The scores, per-class table, confusion heatmap and calibration of an evaluation, and its
    most confident mistakes when they were asked for. A confusion matrix wider than `width` (the
    terminal's) has its columns numbered, and one too wide even so is left to --json: cut into
    wrapped cells, its counts could not be read. `piped`: into a pipe or a file, where tables take
    their natural width rather than the console's, and a matrix is drawn up to
    PIPED_MATRIX_COLUMNS whatever `width` says. `color_system`: the terminal's, for the matrix's
    shades (None: no colour)."""
    # Paths as one line, their escape sequences escaped: a file's name cleared a trial's screen.
    where = one_line(f"{result.source} [{result.split}]" if result.split else result.source)
    scored = one_line(f"{result.checkpoint} on ") if result.checkpoint else ""
    summary = Text.assemble(
        (f"{scored}{where}  ", "attn.muted"),
        (f"n={result.n}  ", ""),
        ("accuracy ", ""),
        (as_percent(result.accuracy), "attn.figure"),
        ("  macro-F1 ", ""),
        (as_percent(result.macro_f1), "attn.figure"),
        ("  weighted-F1 ", ""),
        (as_percent(result.weighted_f1), "attn.figure"),
        *(
            part
            for k, value in result.top_k_accuracy.items()
            for part in ((f"  top-{k} accuracy ", ""), (as_percent(value), "attn.figure"))
        ),
    )
    parts: list[RenderableType] = [summary]
    if result.thresholds:
        # As given (2=0.3): "--threshold 2 0.3" read as two numbers for a star rating's label.
        given = ", ".join(f"{one_line(label)}={value!r}" for label, value in result.thresholds.items())
        said = f"labels decided by --threshold {given}, else the most probable label without one"
        parts.append(Text(said, "attn.muted"))
    if result.fallback is not None and result.min_score is not None:
        rows = f"{result.fallback_rows:,} row{'s' * (result.fallback_rows != 1)}"
        said = (
            f"label {one_line(result.fallback)} scored where the best label's probability is below "
            f"--min-score {result.min_score:g} ({rows}), else the most probable label"
        )
        parts.append(Text(said, "attn.muted"))
    if result.fallback is None and result.below_min_score is not None:  # --min-score alone
        parts.append(Text(min_score_line(result), "attn.muted"))
    if result.mean_absolute_error is not None and result.within_one is not None:
        parts.append(_distance(result.mean_absolute_error, result.within_one))
    parts += [Text(one_line(note), "attn.muted") for note in result.notes]
    if result.ignored_unknown:
        if result.ignored_labels:
            note = ignored_note(result.ignored_labels, result.labels)
        else:  # a result made without them (the Python API)
            rows = f"{result.ignored_unknown} row" + "s" * (result.ignored_unknown != 1)
            note = f"ignored {rows} whose label the model never saw"
        parts.append(Text(note, "attn.muted"))
    matrix: RenderableType
    room = PIPED_MATRIX_COLUMNS if piped else width
    if room is None or _confusion_width(result, numbered=False) <= room:
        matrix = _confusion_heatmap(result, numbered=False, color_system=color_system)
    elif (needed := _confusion_width(result, numbered=True)) <= room:
        matrix = _confusion_heatmap(result, numbered=True, color_system=color_system)
    else:
        where = (
            f"more than a report's {room}"
            if piped
            else f"and COLUMNS is {room}"
            if width_asked()  # piped or not, the width asked for
            else f"and the terminal has {room}"
        )
        said = (
            f"confusion matrix: {len(result.labels)} labels need {needed} columns, {where}; --json gives it "
            "(confusion_matrix, rows are true labels)"
        )
        matrix = Group(Text(said, "attn.muted"), _most_confused(result))
    parts += [_class_table(result), matrix, _reliability(result)]
    if result.errors is not None:
        parts.append(_mistakes(result, piped=piped, width=width))
    return Group(*parts)


def min_score_line(result: EvalResult) -> str:
    """What predict's --min-score alone does to the rows evaluated: how many reach it and get a label,
    how often that label is right, and how many get none (for a person to label)."""
    assert result.min_score is not None and result.below_min_score is not None
    reached = result.n - result.below_min_score
    share = f" ({as_percent(reached / result.n)})" if result.n else ""
    right = (
        f", {as_percent(result.accuracy_at_min_score)} of them right"
        if result.accuracy_at_min_score is not None
        else ""
    )
    return (
        f"at --min-score {result.min_score:g}, {reached:,} of {result.n:,} rows{share} get a label{right}; "
        f"predict gives the other {result.below_min_score:,} none"
    )
