"""Everything people see: functions that turn result dataclasses into rich renderables.
The only module that imports rich; it runs no torch and prints nothing itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.color import Color
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

if TYPE_CHECKING:
    from attncli.evaluation import EvalResult
    from attncli.inspection import Inspection
    from attncli.prediction import Prediction
    from attncli.train import TrainResult

ATTN_THEME = Theme(
    {
        "attn.label": "bold cyan",
        "attn.score": "green",
        "attn.good": "bold green",
        "attn.muted": "dim",
        "attn.heading": "bold",
    }
)
# Heatmap scale, low to high weight: pale yellow to dark red (ColorBrewer YlOrRd).
HEAT_STOPS = [(255, 255, 204), (254, 217, 118), (253, 141, 60), (227, 26, 28), (128, 0, 38)]
BAR_WIDTH = 20


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


def render_inspection(inspection: Inspection, *, color: bool) -> RenderableType:
    """The text with each token's background coloured by its weight, a legend and the label; without
    colour, a table of tokens with their weights as numbers and bars."""
    header = Text.assemble(
        ("predicted ", "attn.muted"),
        (inspection.label, "attn.label"),
        (f" ({_percent(inspection.score)})", "attn.score"),
        (f"; showing {inspection.view}", "attn.muted"),
    )
    top = max((item.weight for item in inspection.tokens), default=0.0) or 1.0
    parts: list[RenderableType] = [header]
    if color:
        heatmap = Text(inspection.text)
        for item in inspection.tokens:
            if item.end > item.start:
                heatmap.stylize(_heat_style(item.weight / top), item.start, item.end)
        legend = Text("weight  0 ", style="attn.muted")
        for step in range(8):
            legend.append("  ", style=Style(bgcolor=Color.from_rgb(*heat_color(step / 7))))
        legend.append(f" {top:.3f} (highest)", style="attn.muted")
        parts += [Text(), heatmap, Text(), legend]
    else:
        table = Table("#", "token", "text", "weight", "", box=None, pad_edge=False)
        for position, item in enumerate(inspection.tokens):
            bar = "#" * round(BAR_WIDTH * item.weight / top)
            span = inspection.text[item.start : item.end]
            table.add_row(str(position), item.token, span, f"{item.weight:.4f}", bar)
        parts += [table]
    if inspection.truncated_tokens:
        parts.append(
            Text(f"{inspection.truncated_tokens} tokens past max_length were not seen", "attn.muted")
        )
    return Group(*parts)


def render_predictions(predictions: list[Prediction]) -> RenderableType:
    table = Table("text", "label", "score", "top labels", header_style="attn.heading")
    for prediction in predictions:
        others = ", ".join(f"{label} {_percent(score)}" for label, score in prediction.top_k[1:])
        table.add_row(
            Text(prediction.text, overflow="ellipsis", no_wrap=True),
            Text(prediction.label, "attn.label"),
            Text(_percent(prediction.score), "attn.score"),
            Text(others, "attn.muted"),
        )
    return table


def render_eval(result: EvalResult) -> RenderableType:
    summary = Text.assemble(
        (f"{result.source} [{result.split}]  ", "attn.muted"),
        (f"n={result.n}  ", ""),
        ("accuracy ", ""),
        (_percent(result.accuracy), "attn.good"),
        ("  macro-F1 ", ""),
        (_percent(result.macro_f1), "attn.good"),
    )
    per_class = Table("label", "precision", "recall", "F1", "support", header_style="attn.heading")
    for label, scores in result.per_class.items():
        per_class.add_row(
            label,
            _percent(scores.precision),
            _percent(scores.recall),
            _percent(scores.f1),
            str(scores.support),
        )
    matrix = Table("true \\ predicted", *result.labels, title="confusion matrix", header_style="attn.heading")
    for label, row in zip(result.labels, result.confusion_matrix, strict=True):
        matrix.add_row(label, *(str(count) for count in row))
    return Group(summary, per_class, matrix)


def render_train_summary(result: TrainResult) -> RenderableType:
    table = Table(
        "epoch", "train loss", "val loss", "val accuracy", "val macro-F1", "seconds", "tokens/s", "padding",
        header_style="attn.heading",
    )  # fmt: skip
    for record in result.history:
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
    stopped = {
        "patience": f"stopped early: no better macro-F1 for {result.config.train.patience} epochs; ",
        "epochs": f"trained the most epochs ({info.epochs}); ",
    }.get(metrics.stop_reason, "")
    footer = Text.assemble(
        (f"best epoch {result.best_epoch}: validation macro-F1 ", ""),
        (_percent(result.best.validation_macro_f1), "attn.good"),
        (", accuracy ", ""),
        (_percent(result.best.validation_accuracy), "attn.good"),
        (
            f"\n{stopped}{info.num_parameters:,} parameters on {info.device} ({info.precision}); ",
            "attn.muted",
        ),
        (f"{result.train_seconds:.1f} s; peak memory {metrics.peak_memory_mb:,.0f} MB", "attn.muted"),
        (f"\nsaved to {result.output / 'best'} (best epoch) and {result.output / 'last'}", "attn.muted"),
    )
    return Panel(Group(table, footer), title="training summary", expand=False)
