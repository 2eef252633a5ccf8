"""The heatmap's colours: a weight's colour on a true-colour, 256-colour or 16-colour terminal, the
scale that spreads a text's weights over them, and its legend."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.color import Color
from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

# Heatmap levels above the uniform weight, light to dark (ColorBrewer YlOrRd, 8 classes less the
# palest): 7 distinct colours in truecolor and in the 256-colour palette. Level 0 (at or below
# uniform) is left uncoloured.
HEAT_COLORS = ["#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]
# 16-colour terminals map those to 3 colours, so they get 5 of their own, light to dark.
HEAT_COLORS_16 = ["bright_yellow", "yellow", "bright_red", "red", "magenta"]


# Text on a level: black where it reads better than white, by contrast (WCAG), on these colours
# through #fc4e2a (6.3:1 against 3.3:1 for white), white on the two darkest. Named as RGB: a terminal's
# theme remaps ANSI black and white (xterm's white on #fc4e2a is 2.7:1).
LIGHT_TEXT_FROM = 5
DARK_TEXT, LIGHT_TEXT = Color.parse("#000000"), Color.parse("#ffffff")
LIGHT_TEXT_FROM_16 = 3


def heat_styles(color_system: str | None) -> list[Style]:
    """The style of each heat level above uniform, for the terminal's colour system."""
    if color_system in ("standard", "windows"):
        return [
            Style(color="black" if level < LIGHT_TEXT_FROM_16 else "bright_white", bgcolor=name)
            for level, name in enumerate(HEAT_COLORS_16)
        ]
    return [
        Style(color=DARK_TEXT if level < LIGHT_TEXT_FROM else LIGHT_TEXT, bgcolor=Color.parse(name))
        for level, name in enumerate(HEAT_COLORS)
    ]


def share_level(share: float, levels: int) -> int:
    """The heat level (1 to `levels`) of a share in (0, 1] of a whole, in equal steps: a confusion
    matrix's count as a share of its row."""
    return min(levels, max(1, math.ceil(share * levels)))


# Weights are shown relative to the uniform weight 1/n on a log scale that reaches at least this
# multiple, so nearly flat weights stay pale instead of being stretched over the whole scale.
LEAST_SCALE_TOP = 4.0
# Weights up to this multiple of uniform stay uncoloured: at 1.0x, a token at 1.04x was coloured
# beside one at 0.99x, where the top tokens' table showed both as 1.0x (a user's trial). At 1.15,
# every multiple the table shows as 1.1x or less is uncoloured, and every one from 1.2x coloured.
FLAT_UP_TO = 1.15


@dataclass(frozen=True)
class HeatScale:
    """Weight -> heat level: 0 up to FLAT_UP_TO times the uniform weight 1/n, then `levels` steps of
    a log scale from there up to `top` times it."""

    uniform: float
    top: float
    levels: int
    known_only: bool = False
    """Whether `uniform` is the known tokens' mean weight, unknown tokens left out of the scale."""

    @classmethod
    def of(
        cls, weights: list[float], *, levels: int, positions: int | None = None, mass: float | None = None
    ) -> HeatScale:
        """`weights`: each entry's weight per model token; `positions`: how many tokens the model
        read (more than the entries when words were merged from pieces; default: one per entry);
        `mass`: the share of the weight those positions hold, where they are the known tokens only
        (default: all of it, 1)."""
        uniform = (1.0 if mass is None else mass) / max(1, positions or len(weights))
        highest = max(weights, default=uniform) / uniform if uniform > 0 else 1.0
        uniform = uniform if uniform > 0 else 1.0 / max(1, positions or len(weights))
        return cls(
            uniform=uniform, top=max(LEAST_SCALE_TOP, highest), levels=levels, known_only=mass is not None
        )

    def level(self, weight: float) -> int:
        ratio = weight / self.uniform
        if ratio <= FLAT_UP_TO:
            return 0
        steps = self.levels * math.log(ratio / FLAT_UP_TO) / math.log(self.top / FLAT_UP_TO)
        return 1 + min(self.levels - 1, int(steps))

    def lower_bound(self, level: int) -> float:
        """The multiple of uniform where `level` (>= 1) starts."""
        return float(FLAT_UP_TO * (self.top / FLAT_UP_TO) ** ((level - 1) / self.levels))


def as_multiple(value: float) -> str:
    return f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


def heat_legend(scale: HeatScale, styles: list[Style], *, merged: bool) -> RenderableType:
    """What the colours mean, then a swatch of each level styled as the heatmap styles it (not dimmed
    with the sentence), a swatch never broken across lines."""
    what = "weight per model token" if merged else "weight"
    baseline = (
        f"the known tokens' mean ({scale.uniform:.3g})"
        if scale.known_only
        else f"uniform (1/{round(1 / scale.uniform)} = {scale.uniform:.3g})"
    )
    sentence = Text(f"colour: {what} as a multiple of {baseline}, log scale:", "attn.muted")
    # The flat bound as it is, 1.15x: to one decimal the legend read "<=1.1x" beside ">1.1x" (a trial).
    higher = (as_multiple(scale.lower_bound(level)) for level in range(2, len(styles) + 1))
    bounds = [f"{FLAT_UP_TO:g}x", *higher]
    swatches = [Text(f" <={bounds[0]} ")]
    swatches += [Text(f" >{bound} ", style) for bound, style in zip(bounds, styles, strict=True)]
    return Group(sentence, Columns(swatches, padding=(0, 1)))
