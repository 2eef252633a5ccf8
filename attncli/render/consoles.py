"""The consoles attn prints to: the terminal's (or a pipe's), with attn's theme, and one that records
in full colour for --html and --svg."""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Callable
from typing import Any, Literal

from rich.console import Console
from rich.theme import Theme

from attncli.render.text import ATTN_THEME
from attncli.streams import one_line

# Lines printed into a pipe or a file are not wrapped at rich's 80 columns: grep finds a score or a
# token's weight on the line it belongs to. Tables keep their natural width.
PIPED_WIDTH = 10_000


def output_console(
    *, on_broken_pipe: Callable[[], None], unwrapped_when_piped: bool = False, **options: Any
) -> Console:
    """A console with attn's theme; `on_broken_pipe` is called when its reader goes away (`| head`),
    where rich's own handling would exit with status 1."""
    console = Console(theme=ATTN_THEME, highlight=False, **options)
    console.on_broken_pipe = on_broken_pipe  # type: ignore[method-assign]
    if unwrapped_when_piped and not console.is_terminal and "width" not in options and not width_asked():
        console.width = PIPED_WIDTH
    return console


def print_unpadded(console: Console, renderable: Any) -> None:
    """Print `renderable` with no line ending in spaces, for a pipe or a file: a table pads its rows
    to its widest, and a panel every line to its longest (900 characters of settings)."""
    with console.capture() as captured:
        console.print(renderable)
    console.file.write("".join(f"{line.rstrip()}\n" for line in captured.get().splitlines()))


def width_asked() -> bool:
    """Whether COLUMNS asks for a width (`COLUMNS=100 attn eval ... | less`), which rich reads
    itself, piped or not: output then fits it as a terminal's would."""
    return (os.environ.get("COLUMNS") or "").isdigit()  # as rich reads it: " 60" is no width to it


# rich's SVG page asks a CDN for its font (Fira Code) after the reader's own copy: a report opened
# offline, or behind a firewall that logs requests, should not reach out. The reader's local Fira
# Code, else its monospace font, is used.
FONT_DOWNLOAD = re.compile(r',\s*url\("https?://[^"]*"\)\s*format\("[^"]*"\)')


# U+FFFE and U+FFFF are not characters XML allows (the other characters it refuses, controls, are
# never shown): one of them in a text left the whole SVG unreadable to a browser.
NOT_XML = str.maketrans({"\ufffe": "\ufffd", "\uffff": "\ufffd"})


# rich sizes each run of text to one cell a character (`textLength`, its width in the picture),
# where its boxes and positions count two for a wide one (CJK, kana, emoji): a trial's Chinese was
# drawn squeezed to half its width over its own boxes (Textualize/rich#2742).
TEXT_RUN = re.compile(r'(<text [^>]*?textLength=")([0-9.]+)("[^>]*>)([^<]*)(</text>)')


def _cell_widths(page: str) -> str:
    """`page` with each run of text as wide as the cells it fills."""
    from rich.cells import cell_len

    def widened(match: re.Match[str]) -> str:
        start, length, middle, escaped, end = match.groups()
        text = html.unescape(escaped)
        cells = cell_len(text)
        if not text or cells == len(text):
            return match.group(0)
        width = float(length) / len(text) * cells
        return f"{start}{width:.6g}{middle}{escaped}{end}"

    return TEXT_RUN.sub(widened, page)


# A heatmap token's weight rides into the recording as a link of this scheme, after the token's number
# (rich's HTML export writes a style's link and nothing else of it: no title); html_page turns each
# such link into a title, which a browser shows on hover. Only the recording gets them: a terminal
# would show them as hyperlinks.
WEIGHT_LINK = "attn-weight:"
WEIGHT_ANCHOR = re.compile(r'<a href="attn-weight:[0-9]+:([^"]*)">([^<]*)</a>')


def _weight_titles(page: str) -> str:
    """`page` with each weight's link as a span titled with the weight."""
    return WEIGHT_ANCHOR.sub(lambda match: f'<span title="{html.escape(match[1])}">{match[2]}</span>', page)


def svg_page(recorder: Console, title: str = "attn inspect") -> str:
    """What `recorder` holds as an SVG page (well-formed XML) that loads nothing from the network,
    titled `title` in its window bar, its wide characters two cells wide as on a terminal."""
    page = recorder.export_svg(clear=False, title=one_line(title).translate(NOT_XML))
    return _cell_widths(FONT_DOWNLOAD.sub("", page)).translate(NOT_XML)


def html_page(recorder: Console, title: str = "attn inspect") -> str:
    """What `recorder` holds as an HTML page, its styles inline, titled `title` (a browser's tab
    and a report's link show it; rich's page has no title), each heatmap token with its weight as
    its title, shown on hover."""
    from rich._export_format import CONSOLE_HTML_FORMAT

    shown = html.escape(one_line(title).translate(NOT_XML)).replace("{", "{{").replace("}", "}}")
    charset = '<meta charset="UTF-8">\n'  # rich's template: where it changes, the page has no title
    page = CONSOLE_HTML_FORMAT.replace(charset, f"{charset}<title>{shown}</title>\n", 1)
    # Each line takes its direction from its own first letter: a Hebrew or Arabic heatmap reads right
    # to left, its legend and tables left to right (the page set every line left to right).
    # Lines wrap to the browser's window, as a page's text does: the recording breaks none (a report's
    # narrow column showed a heatmap cut at 100 characters, copied with line breaks of its own).
    wrapped = "unicode-bidi:plaintext;white-space:pre-wrap;overflow-wrap:anywhere;"
    page = page.replace('<pre style="', f'<pre style="{wrapped}', 1)
    exported = recorder.export_html(clear=False, inline_styles=True, code_format=page)
    return _weight_titles(exported).translate(NOT_XML)


# The width a page is recorded at: an SVG is a terminal's picture of 100 columns; an HTML page's lines
# are left whole, for the browser to wrap (a million columns: at 10,000, a long text's heatmap with its
# weights written out was still cut in two).
RECORDED_WIDTH = {"html": 1 << 20, "svg": 100}
# Notes and the legend's sentence, muted on a terminal by `dim`, which blends the text's colour half
# into the background: 4.0:1 against the HTML page's white and 3.3:1 against the SVG's dark grey,
# under the 4.5:1 that WCAG asks of text. Saved pages give them a grey of their own: 5.7:1 and 5.1:1.
RECORDED_MUTED = {"html": "#666666", "svg": "#999999"}


def recording_console(page: Literal["html", "svg"]) -> Console:
    """A console that renders in full colour into memory, for the `page` --html or --svg saves."""
    theme = Theme({**ATTN_THEME.styles, "attn.muted": RECORDED_MUTED[page]})
    return Console(
        file=io.StringIO(), record=True, theme=theme, highlight=False, color_system="truecolor",
        force_terminal=True, force_jupyter=False, width=RECORDED_WIDTH[page],
    )  # fmt: skip
