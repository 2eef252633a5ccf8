import dataclasses
import io
import re
import unicodedata

import pytest
from rich.cells import cell_len
from rich.console import Console

from attncli.evaluation import EvalResult, Mistake
from attncli.inspection import Inspection, TokenWeight
from attncli.metrics import ClassScores, ReliabilityBin
from attncli.prediction import Prediction
from attncli.render import (
    ATTN_THEME,
    HeatScale,
    format_probability,
    heat_styles,
    prediction_layout,
    render_eval,
    render_inspection,
    render_prediction_header,
    render_prediction_row,
)
from attncli.render.evaluation import STACKED_TEXT_LINES
from attncli.render.heat import as_multiple, heat_legend
from attncli.render.inspection import visible

INSPECTION = Inspection(
    text="good film",
    label="pos",
    score=0.875,
    view="attention pooling weights",
    tokens=[TokenWeight("good", 0, 4, 0.8), TokenWeight("film", 5, 9, 0.2)],
    truncated_tokens=0,
)


def _render(renderable, *, color: bool, width: int = 80) -> str:
    file = io.StringIO()
    console = Console(
        file=file,
        width=width,
        theme=ATTN_THEME,
        force_terminal=color,
        color_system="truecolor" if color else None,
    )
    console.print(renderable)
    return file.getvalue()


def test_tokens_unknown_to_the_model_are_said_to_be_so():
    unknown = Inspection(
        text="xyzzy soup", label="food", score=0.6, view="v",
        tokens=[TokenWeight("[UNK]", 0, 5, 0.4), TokenWeight("soup", 6, 10, 0.6)], truncated_tokens=0,
    )  # fmt: skip
    output = _render(render_inspection(unknown, color_system=None), color=False)
    said = " ".join(output.split())
    assert "xyzzy[0.400, unknown] soup[0.600]" in said  # which word it was, in the text itself
    assert (
        "1 of 2 tokens are unknown to the model (not in its vocabulary; marked unknown above): xyzzy" in said
    )
    # Its weight, the unknown token's whatever the word, is said, and the top tokens are the known
    # ones: a user's trial had two unseen words lead the table, above the one word that decided.
    assert (
        "it read each as [UNK], which took 40.0% of the weight, left out of the top tokens: the same token "
        "whatever the word, so its weight says nothing of which word it was" in said
    )
    assert said.endswith(
        "uniform would be 1/2 = 0.5; x known mean: a weight over the known tokens' mean (0.6) top tokens "
        "weight x known mean soup 0.6000 1.0x"
    )
    coloured = _render(render_inspection(unknown, color_system="truecolor"), color=True)
    assert "\x1b[4mxyzzy" in coloured  # underlined in the heatmap, uncoloured
    plain = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", coloured).split())
    assert "underlined above): xyzzy" in plain and "left uncoloured and out of the top tokens" in plain
    # The known words are coloured as multiples of their own mean: in a user's trial, "zebra quantum
    # love" showed the unknown words coloured and the deciding word, below the uniform 1/3, not.
    outweighed = Inspection(
        text="zebra quantum love it", label="praise", score=0.99, view="v",
        tokens=[
            TokenWeight("[UNK]", 0, 5, 0.35), TokenWeight("[UNK]", 6, 13, 0.35),
            TokenWeight("love", 14, 18, 0.22), TokenWeight("it", 19, 21, 0.08),
        ],
        truncated_tokens=0,
    )  # fmt: skip
    shown = _render(render_inspection(outweighed, color_system="truecolor"), color=True)
    heatmap = shown.split("\n")[1]
    assert not re.search(r"48;2;[0-9;]*m(zebra|quantum)", heatmap)  # no background on the unknown words
    assert re.search(r"48;2;[0-9;]*mlove", heatmap)  # 1.47 times the known mean (0.15)
    plain = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", shown).split())
    assert "colour: weight as a multiple of the known tokens' mean (0.15), log scale" in plain
    assert plain.endswith("top tokens weight x known mean love 0.2200 1.5x it 0.0800 0.5x")
    assert "unknown to the model" not in _render(
        render_inspection(INSPECTION, color_system=None), color=False
    )
    # Each unknown word once, with how often: it listed `<, >, <, >, <, >`.
    text = "<b> soup <b> soup <b>"
    spans = [(0, 1), (1, 2), (2, 3), (9, 10), (10, 11), (11, 12), (18, 19), (19, 20), (20, 21)]
    tokens = [TokenWeight("[UNK]" if text[a:b] in "<>" else text[a:b], a, b, 0.1) for a, b in spans]
    repeated = Inspection(text=text, label="food", score=0.6, view="v", tokens=tokens, truncated_tokens=0)
    said = " ".join(_render(render_inspection(repeated, color_system=None), color=False).split())
    assert (
        "6 of 9 tokens are unknown to the model (not in its vocabulary; marked unknown above): < (3x), "
        in said
    )
    assert "): < (3x), > (3x); it read each as [UNK]" in said


def test_invisible_tokens_show_their_code_points_and_long_ones_are_cut_in_the_top_tokens():
    """Found in a user's trial: a zero-width joiner was a weight beside nothing and a blank row of
    the top tokens, and a 5,000-character token made the table 5,027 characters wide."""
    long = "y" * 5000
    text = f"\u200d refund {long}"
    inspection = Inspection(
        text=text, label="billing", score=0.9, view="v",
        tokens=[
            TokenWeight("\u200d", 0, 1, 0.2),
            TokenWeight("refund", 2, 8, 0.7),
            TokenWeight(long, 9, 5009, 0.1),
        ],
        truncated_tokens=0,
    )  # fmt: skip
    output = _render(render_inspection(inspection, color_system=None), color=False)
    said = " ".join(output.split())
    assert "<U+200D>[0.200] refund[0.700]" in said
    assert visible("\u3164") == "<U+3164>" and visible("a\u200d") == "a\u200d"  # a filler; a joiner in a word
    table = said.split("top tokens weight x uniform ")[1]
    assert table == f"refund 0.7000 2.1x <U+200D> 0.2000 0.6x {'y' * 39}…(5,000 characters) 0.1000 0.3x"
    assert max(len(line) for line in output.split("top tokens")[1].splitlines()) < 80


def test_the_top_tokens_list_each_token_once_at_its_highest_weight_with_how_often():
    """A user's trial: on a long article `"` took four rows of the five, which then said nothing of
    what decided the label."""
    text = '"a" "b" cup "c" Cup'
    spans = [match.span() for match in re.finditer(r'\w+|"', text)]  # " a " " b " cup " c " Cup
    weights = [0.12, 0.01, 0.11, 0.13, 0.02, 0.1, 0.2, 0.09, 0.01, 0.08, 0.13]
    tokens = [TokenWeight(text[a:b].lower(), a, b, w) for (a, b), w in zip(spans, weights, strict=True)]
    inspection = Inspection(text=text, label="x", score=0.6, view="v", tokens=tokens, truncated_tokens=0)
    said = " ".join(_render(render_inspection(inspection, color_system=None), color=False).split())
    assert said.split("top tokens weight x uniform ")[1] == (
        'cup (2 times) 0.2000 2.2x " (6 times) 0.1300 1.4x b 0.0200 0.2x a 0.0100 0.1x c 0.0100 0.1x'
    )
    # Where every word is unknown, each is the unknown token: they are told apart by their spelling.
    text = "zorblax quintar zorblax"
    spans = [match.span() for match in re.finditer(r"\w+", text)]
    tokens = [TokenWeight("[UNK]", a, b, w) for (a, b), w in zip(spans, [0.3, 0.5, 0.2], strict=True)]
    unknown = Inspection(text=text, label="x", score=0.6, view="v", tokens=tokens, truncated_tokens=0)
    said = " ".join(_render(render_inspection(unknown, color_system=None), color=False).split())
    assert said.split("top tokens weight x uniform ")[1] == (
        "quintar ([UNK]) 0.5000 1.5x zorblax ([UNK]) (2 times) 0.3000 0.9x"
    )


def test_words_with_an_unknown_piece_are_shown_as_written_and_said_to_be_partly_unknown():
    """--words showed `café` (read as c, af, [UNK]) as [UNK] and counted it as an unknown token."""
    words = Inspection(
        text="café soup zzz", label="food", score=0.6, view="v",
        tokens=[
            TokenWeight("café", 0, 4, 0.5, pieces=3, unknown_pieces=1),
            TokenWeight("soup", 5, 9, 0.3),
            TokenWeight("[UNK]", 10, 13, 0.2, unknown_pieces=1),
        ],
        truncated_tokens=0,
    )  # fmt: skip
    said = " ".join(_render(render_inspection(words, color_system=None), color=False).split())
    assert "café[0.500, partly unknown] soup[0.300] zzz[0.200, unknown]" in said
    assert (
        "2 of 3 words are unknown to the model in whole or in part (not in its vocabulary; marked unknown "
        "above): café, zzz; it read each unknown piece as [UNK]"
    ) in said
    # A partly known word keeps its place among the top tokens; a wholly unknown one does not.
    assert "café (partly [UNK])" in said and "zzz" not in said.split("top tokens")[1]
    assert (
        "uniform would be 1/5 = 0.2 a token, k/5 for a word of k pieces; x known mean: a weight over the "
        "known tokens' mean (0.2)" in said
    )
    coloured = _render(render_inspection(words, color_system="truecolor"), color=True)
    codes = re.search(r"\x1b\[([0-9;]*)m[^\x1b]*café", coloured)  # the style the word is printed in
    assert codes is not None and "4" in codes.group(1).split(";")  # underlined, as a wholly unknown word is
    assert [item["unknown"] for item in words.to_json()["tokens"]] == [True, False, True]
    # --json carries how many pieces each word is and how many the model did not know, which a page
    # needs to draw the k/n scale and tell a partly unknown word from a wholly unknown one (a trial).
    counts = [(item["pieces"], item["unknown_pieces"]) for item in words.to_json()["tokens"]]
    assert counts == [(3, 1), (1, 0), (1, 1)]


def test_tokens_sharing_one_character_show_it_once_and_long_unknown_words_are_cut():
    url = "x" * 300
    text = f"㍿ {url}"  # NFKC reads ㍿ as four letters: four tokens with the one character as span
    tokens = [TokenWeight("[UNK]", 0, 1, 0.1) for _ in range(4)] + [TokenWeight("[UNK]", 2, 302, 0.6)]
    inspection = Inspection(text=text, label="a", score=0.9, view="v", tokens=tokens, truncated_tokens=0)
    said = " ".join(_render(render_inspection(inspection, color_system=None), color=False).split())
    assert said.count("[UNK][") == 0  # the heatmap showed "[UNK]" text that is not in the input
    # One entry for the one character, its weight the four tokens' (each weight had no text of its own).
    assert "㍿[0.400, unknown] xxx" in said
    assert "2 of 2 words are unknown" in said
    assert f": ㍿, {'x' * 39}…(300 characters); it read each unknown piece as [UNK]" in said  # once, cut


def test_thai_sara_am_which_nfkc_reads_as_two_tokens_is_one_entry_of_the_heatmap():
    """NFKC writes ำ as ํ and า: in every ทำ and น้ำ the second token showed a weight of its own with no
    text ("ทำ[0.169][0.131]"), and the top tokens counted it apart; --json keeps the model's tokens."""
    text = "ทำ น้ำ ดี"
    tokens = [
        TokenWeight("ทํ", 0, 2, 0.35), TokenWeight("า", 1, 2, 0.25), TokenWeight("น้ํ", 3, 6, 0.1),
        TokenWeight("า", 5, 6, 0.1), TokenWeight("ดี", 7, 9, 0.2),
    ]  # fmt: skip
    inspection = Inspection(text=text, label="a", score=0.9, view="v", tokens=tokens, truncated_tokens=0)
    said = " ".join(_render(render_inspection(inspection, color_system=None), color=False).split())
    assert "ทำ[0.600] น้ำ[0.200] ดี[0.200]" in said
    assert "uniform would be 1/5 = 0.2 a token, k/5 for a word of k pieces" in said
    top = said.split("top tokens")[1]
    assert "ทำ 0.6000 1.5x" in top and "า" not in top.replace("ทำ", "").replace("น้ำ", "")
    coloured = _render(render_inspection(inspection, color_system="truecolor"), color=True)
    assert "ทำ" in re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert re.search("\x1b\\[[0-9;]*mทำ", coloured)  # one style over the whole character pair
    assert [item["token"] for item in inspection.to_json()["tokens"]] == ["ทํ", "า", "น้ํ", "า", "ดี"]


def test_a_vowel_sign_a_subword_tokenizer_made_a_piece_of_its_own_joins_its_letter():
    """A trial's Hindi heatmap under wordpiece: `डिल[0.053]ी[0.047]व...`, each vowel sign drawn on no
    letter, and a bare `ं` led the top tokens."""
    text = "डिलीवरी में"
    tokens = [
        TokenWeight("डिल", 0, 3, 0.2), TokenWeight("##ी", 3, 4, 0.1), TokenWeight("##व", 4, 5, 0.1),
        TokenWeight("##र", 5, 6, 0.1), TokenWeight("##ी", 6, 7, 0.2), TokenWeight("म", 8, 9, 0.1),
        TokenWeight("##ें", 9, 11, 0.2),
    ]  # fmt: skip
    assert [unicodedata.category(text[start]) for start in (3, 6, 9)] == ["Mc", "Mc", "Mn"]
    inspection = Inspection(text=text, label="a", score=0.9, view="v", tokens=tokens, truncated_tokens=0)
    said = " ".join(_render(render_inspection(inspection, color_system=None), color=False).split())
    assert "डिली[0.300]व[0.100]री[0.300] में[0.300]" in said
    top = said.split("top tokens")[1]
    assert not re.search(r"(^| )[\u093e-\u094d\u0900-\u0903]", top)  # no line starts with a bare sign


def test_heatmap_colours_tokens_by_their_multiple_of_the_uniform_weight():
    output = _render(render_inspection(INSPECTION, color_system="truecolor"), color=True)
    # Two tokens: uniform is 0.5; "good" at 1.6x uniform is on the log scale from 1.15x to 4x (the
    # least top), so level 1 + int(7 * log(1.6 / 1.15) / log(4 / 1.15)) = 2; "film" is below uniform
    # and stays uncoloured.
    red, green, blue = (int("fed976"[i : i + 2], 16) for i in (0, 2, 4))
    assert f"48;2;{red};{green};{blue}mgood" in output
    assert "48;2;" not in output.split("good")[1].split("film")[0] + output.split("film")[0][-12:]
    assert "pos" in output and "87.5%" in output and "1/2 = 0.5" in output and "top tokens" in output


def test_heat_levels_spread_peaked_weights_and_keep_flat_ones_pale():
    scale = HeatScale.of([0.85, 0.05, 0.05, 0.05], levels=7)
    assert scale.level(0.85) == 7 and scale.level(0.05) == 0
    assert HeatScale.of([0.7, 0.1, 0.1, 0.1], levels=7).level(0.7) == 5  # 2.8x on a scale of 1.15x-4x
    flat = [
        0.054,
        0.078,
        0.066,
        0.07,
        0.065,
        0.06,
        0.067,
        0.066,
        0.07,
        0.064,
        0.066,
        0.068,
        0.07,
        0.066,
        0.07,
    ]
    flat_scale = HeatScale.of(flat, levels=7)
    assert max(flat_scale.level(weight) for weight in flat) <= 2  # at most 1.2x uniform on a scale to 4x
    # Each level starts where the last ended: lower bounds rise from 1.15x to below the top.
    bounds = [scale.lower_bound(level) for level in range(1, 8)]
    assert bounds[0] == 1.15 and bounds == sorted(bounds) and bounds[-1] < scale.top
    # Up to 1.15x uniform is flat: 1.04x was coloured beside 0.99x, both shown as 1.0x in the table;
    # what the table shows as 1.1x is uncoloured, and 1.2x coloured.
    near = HeatScale.of([0.26, 0.25, 0.245, 0.245], levels=7)
    assert near.level(0.26) == 0 and near.level(0.2875) == 0 and near.level(0.29) == 1
    assert as_multiple(0.2875 / 0.25) == "1.1x" and as_multiple(0.29 / 0.25) == "1.2x"


def test_a_word_merged_from_pieces_is_judged_by_its_weight_per_piece():
    # Four model tokens with flat attention, "footballs" merged from three of them: 0.75 is its
    # uniform share, not three times uniform, so it stays uncoloured and its multiple is 1.0x.
    merged = Inspection(
        text="footballs rule", label="pos", score=0.9, view="v", truncated_tokens=0,
        tokens=[TokenWeight("footballs", 0, 9, 0.75, pieces=3), TokenWeight("rule", 10, 14, 0.25)],
    )  # fmt: skip
    coloured = _render(render_inspection(merged, color_system="truecolor"), color=True)
    assert "48;2;" not in coloured.split("footballs")[0][-20:] and "weight per model token" in coloured
    assert "1.0x" in coloured.split("top tokens")[1].split("rule")[0]
    plain = _render(render_inspection(merged, color_system=None), color=False)
    assert "uniform would be 1/4 = 0.25 a token, k/4 for a word of k pieces" in " ".join(plain.split())


def test_heat_levels_name_their_text_colour_and_the_legend_shows_each_level_unbroken():
    """A user's trial: white text on #fc4e2a (level 5) was 1.8-2.7:1, ANSI white being the theme's
    grey; the legend's swatches were dimmed with its sentence and broken across lines."""
    from rich.color import Color

    styles = heat_styles("truecolor")
    assert [style.color for style in styles] == [Color.parse("#000000")] * 5 + [Color.parse("#ffffff")] * 2
    scale = HeatScale.of([0.85, 0.05, 0.05, 0.05], levels=len(styles))
    for width in (40, 100):
        file = io.StringIO()
        console = Console(
            file=file, width=width, theme=ATTN_THEME, force_terminal=True, color_system="truecolor"
        )
        console.print(heat_legend(scale, styles, merged=False))
        lines = file.getvalue().splitlines()
        shown = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines)
        for level in range(2, 8):
            assert f" >{as_multiple(scale.lower_bound(level))} " in shown  # each swatch whole on a line
        # The flat bound as it is: to one decimal it read "<=1.1x" beside ">1.1x" (a trial).
        assert " <=1.15x " in shown and " >1.15x " in shown and "1.1x" not in shown
        assert "\x1b[2;" not in "".join(lines[-2:]) and "38;2;0;0;0;48;2;252;78;42m" in file.getvalue()


def test_heat_levels_stay_distinct_on_256_and_16_colour_terminals():
    from rich.color import ColorSystem

    for system, colour_system in (("256", ColorSystem.EIGHT_BIT), ("standard", ColorSystem.STANDARD)):
        styles = heat_styles(system)
        assert styles[0].bgcolor is not None
        shown = [style.bgcolor.downgrade(colour_system).number for style in styles if style.bgcolor]
        # Every level its own colour once the terminal has downgraded it (7 on 256, 5 on 16), and
        # at least the 5 levels a reader can tell apart.
        assert len(set(shown)) == len(shown) == len(styles) >= 5, (system, shown)


def test_without_colour_each_token_is_followed_by_its_weight():
    output = _render(render_inspection(INSPECTION, color_system=None), color=False)
    assert "\x1b[" not in output
    assert "good[0.800] film[0.200]" in output


def test_a_long_texts_weights_keep_two_significant_digits(tmp_path):
    """A trial's 512-token essay: at 3 decimals, whose uniform weight is 0.00195, nearly every token
    showed [0.000]. Each weight now keeps 2 significant digits, within 5% of the model's own."""
    from conftest import FILLER, save_untrained_checkpoint

    from attncli.checkpoint import load_checkpoint
    from attncli.inspection import inspect_text
    from attncli.render.inspection import format_weight

    loaded = load_checkpoint(save_untrained_checkpoint(tmp_path / "ck", max_length=512))
    text = " ".join(FILLER[index % len(FILLER)] for index in range(400))
    inspection = inspect_text(loaded, text)
    assert len(inspection.tokens) == 400 and inspection.truncated_tokens == 0
    output = _render(render_inspection(inspection, color_system=None), color=False, width=10_000)
    shown = re.findall(r"\[([0-9.]+)\]", output.splitlines()[1])
    assert len(shown) == 400 and all(float(number) > 0 for number in shown)
    for number, item in zip(shown, inspection.tokens, strict=True):
        assert number == format_weight(item.weight)
        assert float(number) == pytest.approx(item.weight, rel=0.05)
        assert len(number.lstrip("0.")) >= 2  # 0.0025, not 0.002 or 0.003
    assert "uniform would be 1/400 = 0.0025" in output
    # Short texts' weights keep 3 decimals, and the top tokens 4.
    assert [format_weight(weight) for weight in (0.556, 0.067, 0.0123, 0.00996, 0.00195, 0.0)] == [
        "0.556", "0.067", "0.012", "0.010", "0.0019", "0.000",
    ]  # fmt: skip
    assert [format_weight(weight, 4) for weight in (0.8, 0.00195, 0.00049)] == ["0.8000", "0.0019", "0.00049"]
    assert format_weight(4e-6) == "0.000004" and format_weight(1e-8) == "<0.000001"


def test_an_html_page_gives_each_token_its_weight_as_a_title():
    """Hovering over a token of a saved page shows its weight, as the view without colour prints it."""
    from attncli.render.consoles import html_page, recording_console

    inspection = Inspection(
        text="good film zz", label="pos", score=0.9, view="v", truncated_tokens=0,
        tokens=[
            TokenWeight("good", 0, 4, 0.8), TokenWeight("film", 5, 9, 0.1999999),
            TokenWeight("[UNK]", 10, 12, 0.00012, unknown_pieces=1),
        ],
    )  # fmt: skip
    recorder = recording_console("html")
    recorder.print(render_inspection(inspection, color_system="truecolor", weight_titles=True))
    page = html_page(recorder)
    assert re.search(r'background-color: #[0-9a-f]{6}"><span title="0.800">good</span></span>', page)
    assert '<span title="0.200">film</span>' in page
    assert '<span title="0.00012, unknown">zz</span>' in page and "attn-weight" not in page
    # Neighbours of the same weight and colour keep a title each: `!!!` of three tokens was one
    # span titled with one weight (a trial).
    shouted = Inspection(
        text="AVOID!!!", label="neg", score=0.9, view="v", truncated_tokens=0,
        tokens=[TokenWeight("avoid", 0, 5, 0.4), *(TokenWeight("!", at, at + 1, 0.2) for at in (5, 6, 7))],
    )  # fmt: skip
    recorder = recording_console("html")
    recorder.print(render_inspection(shouted, color_system="truecolor", weight_titles=True))
    page = html_page(recorder)
    assert page.count('<span title="0.200">!</span>') == 3 and "attn-weight" not in page
    # The terminal's view carries no titles: they would be hyperlinks there.
    shown = _render(render_inspection(inspection, color_system="truecolor"), color=True)
    assert "\x1b]8" not in shown and "attn-weight" not in shown


def _contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_an_html_page_leaves_lines_to_the_browser_and_its_notes_readable():
    """A trial's report column showed a heatmap cut into lines of 100 characters, copied with line
    breaks of its own, and its notes in #7f7f7f (4.0:1 on the page's white; the SVG's 3.3:1 on its
    dark grey). The HTML page keeps each line whole for the browser to wrap; the SVG, a terminal's
    picture, keeps 100 columns; both mute their notes in a grey of at least 4.5:1."""
    from attncli.render import svg_page
    from attncli.render.consoles import html_page, recording_console

    words = [f"word{n}" for n in range(2_000)]  # 16,889 characters: over 10,000 columns too
    text = " ".join(words)
    spans = [(text.index(word), text.index(word) + len(word)) for word in words]
    inspection = Inspection(
        text=text, label="pos", score=0.9, view="v", truncated_tokens=3,
        tokens=[TokenWeight(word, *span, 1 / 2_000) for word, span in zip(words, spans, strict=True)],
    )  # fmt: skip
    pages = {}
    for kind in ("html", "svg"):
        recorder = recording_console(kind)
        recorder.print(render_inspection(inspection, color_system="truecolor", weight_titles=True))
        lines = recorder.export_text(clear=False).splitlines()
        assert (text in lines) == (kind == "html") and (max(map(len, lines)) <= 100) == (kind == "svg")
        pages[kind] = html_page(recorder) if kind == "html" else svg_page(recorder)
    assert "white-space:pre-wrap;" in pages["html"]
    notes = re.search(r"color: (#[0-9a-f]{6})[^>]*>[^<]*cut at max_length", pages["html"])
    assert notes is not None and _contrast(notes[1], "#ffffff") >= 4.5
    muted = re.findall(r"\.terminal-[0-9a-z-]+ \{ fill: (#[0-9a-f]{6})", pages["svg"])
    assert "#999999" in muted and _contrast("#999999", "#292929") >= 4.5  # on the SVG's background


def test_text_keeps_its_joiners_and_loses_what_a_terminal_would_act_on():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645"
    text = f"{family} {persian} \x1b[2J \u202eevil\u202c end"
    end = TokenWeight("end", len(text) - 3, len(text), 1.0)
    inspection = Inspection(text=text, label="pos", score=0.5, view="v", tokens=[end], truncated_tokens=0)
    output = _render(render_inspection(inspection, color_system=None), color=False)
    assert family in output and persian in output  # zero-width joiner and non-joiner kept
    assert "\x1b" not in output and "\u202e" not in output and "\u202c" not in output
    assert " [2J  evil  end[1.000]" in output


def test_truncated_text_shows_only_what_the_model_read():
    cut = Inspection(
        text="good film but long", label="pos", score=0.5, view="v",
        tokens=[TokenWeight("good", 0, 4, 0.6), TokenWeight("film", 5, 9, 0.4)], truncated_tokens=2,
    )  # fmt: skip
    output = _render(render_inspection(cut, color_system=None), color=False)
    assert "but long" not in output and "2 more tokens, cut at max_length" in output
    assert "the 2 shown are all the model read" in " ".join(output.split())
    words = Inspection(
        text="goodish film but long", label="pos", score=0.5, view="v", truncated_tokens=2,
        tokens=[TokenWeight("goodish", 0, 7, 0.7, pieces=2), TokenWeight("film", 8, 12, 0.3)],
    )  # fmt: skip
    output = _render(render_inspection(words, color_system=None), color=False)
    assert "the 3 shown (as 2 words) are all the model read" in " ".join(output.split())


def test_a_text_cut_in_its_middle_or_at_its_start_marks_what_the_model_did_not_read():
    """model.truncation head+tail and tail: the characters between the tokens read are replaced by
    a bracketed count, and the tokens after them keep their weights and colours."""
    text = "good film but far too long in the middle, sadly bad ending"
    ending, bad = text.index("ending"), text.index("bad")
    tokens = [TokenWeight("good", 0, 4, 0.2), TokenWeight("bad", bad, bad + 3, 0.7)]
    tokens.append(TokenWeight("ending", ending, ending + 6, 0.1))
    middle = Inspection(
        text=text, label="neg", score=0.9, view="v", tokens=tokens, truncated_tokens=9, cut=(4, bad)
    )
    output = " ".join(_render(render_inspection(middle, color_system=None), color=False).split())
    assert "good[0.200] [… 9 tokens not read …] bad[0.700] ending[0.100]" in output
    assert "far too long" not in output
    assert "9 tokens were cut at max_length where the brackets stand" in output
    assert "the 3 shown are all the model read" in output
    coloured = _render(render_inspection(middle, color_system="truecolor"), color=True)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert "good [… 9 tokens not read …] bad ending" in plain
    # The top tokens still quote the tokens after the cut by their own spans.
    assert re.search(r"bad\s+0\.7000", plain)
    start = dataclasses.replace(middle, tokens=tokens[1:], cut=(0, bad), truncated_tokens=10)
    output = " ".join(_render(render_inspection(start, color_system=None), color=False).split())
    assert "[… 10 tokens not read …] bad[0.700] ending[0.100]" in output and "good" not in output


def test_a_cut_marked_inside_a_word_or_a_shared_character_adds_no_space_and_no_repeat():
    text = "unbelievably long"
    cut = Inspection(
        text=text,
        label="x",
        score=0.5,
        view="v",
        truncated_tokens=2,
        cut=(2, 4),
        tokens=[
            TokenWeight("un", 0, 2, 0.5),
            TokenWeight("##lie", 4, 7, 0.3),
            TokenWeight("long", 13, 17, 0.2),
        ],
    )
    output = " ".join(_render(render_inspection(cut, color_system=None), color=False).split())
    assert "un[0.500][… 2 tokens not read …]lie" in output
    # "…" read as three dots, two before the cut and one after (cut (5, 5)): shown once.
    text = "fox … dog dog"
    dots = [TokenWeight(".", 4, 5, 0.1), TokenWeight(".", 4, 5, 0.1), TokenWeight(".", 4, 5, 0.1)]
    shared = Inspection(
        text=text, label="x", score=0.5, view="v", truncated_tokens=1, cut=(5, 5),
        tokens=[TokenWeight("fox", 0, 3, 0.2), *dots, TokenWeight("dog", 10, 13, 0.5)],
    )  # fmt: skip
    output = " ".join(_render(render_inspection(shared, color_system=None), color=False).split())
    assert "fox[0.200] …[0.300] [… 1 token not read …] dog dog[0.500]" in output
    # A cut that begins at a punctuation mark, or ends before a word with no space: set off by spaces.
    text = "alpha. beta gamma,delta"
    punctuation = Inspection(
        text=text, label="x", score=0.5, view="v", truncated_tokens=3, cut=(5, 18),
        tokens=[TokenWeight("alpha", 0, 5, 0.5), TokenWeight("delta", 18, 23, 0.5)],
    )  # fmt: skip
    output = " ".join(_render(render_inspection(punctuation, color_system=None), color=False).split())
    assert "alpha[0.500] [… 3 tokens not read …] delta[0.500]" in output


def test_probabilities_keep_enough_digits():
    assert format_probability(0.99994) == "99.99%"
    assert format_probability(0.999996) == "99.9996%"
    assert format_probability(0.5) == "50.0%"
    assert format_probability(1.0) == "100.0%"
    assert format_probability(0.00003) == "0.003%"
    assert format_probability(0.999999999) == ">99.9999%"
    # Under 1%, rounded at its first digit: found in a user's trial, 0.0054% and 0.0037% were shown
    # as "0.01%" and "0.004%", the first nearly doubled beside the second.
    assert [format_probability(p) for p in (0.000054, 0.000037, 0.0005, 0.005)] == [
        "0.005%", "0.004%", "0.05%", "0.5%",
    ]  # fmt: skip
    assert format_probability(0.0000004) == "<0.0001%"
    assert [format_probability(p) for p in (0.000999, 0.0000995)] == [
        "0.1%",
        "0.01%",
    ]  # a carry: no extra digit


def test_prediction_rows_put_the_label_first_and_cut_the_text_to_the_width():
    layout = prediction_layout(["pos", "neg"], top_k=2, width=60)
    prediction = Prediction(7, "a " * 100, "pos", 0.99994, [("pos", 0.99994), ("neg", 0.00006)])
    header = render_prediction_header(layout).plain
    row = render_prediction_row(prediction, layout).plain
    assert header.split() == ["#", "label", "score", "next", "labels", "text"]
    assert row.split()[:4] == ["7", "pos", "99.99%", "neg"]
    assert len(row) <= 60 and row.endswith("…")
    empty = Prediction(8, "  ", None, None, [], reason="empty text")
    assert "(empty text)" in render_prediction_row(empty, layout).plain
    # A longer reason spans the next-labels column too, whole, and the text starts where it does
    # on the other rows ("(no text in this…" was cut beside an empty column).
    missing = render_prediction_row(Prediction(9, None, None, None, [], reason="no text in this row"), layout)
    assert "(no text in this row)" in missing.plain and len(missing.plain.rstrip()) <= len(row)
    assert render_prediction_row(empty, layout).plain[row.index("a a") :] == "  "  # its own blank text
    # The --fallback label of a record with no text, with its reason whole where no next-labels
    # column leaves room (a narrow table cut it to "sport (empty t…").
    narrow = prediction_layout(["sport", "food"], top_k=1, width=50)
    fallback = Prediction(4, " ", "sport", None, [], reason="no text in this row")
    for shown in (narrow, layout):
        assert "sport (no text in this row)" in render_prediction_row(fallback, shown).plain
    # A file's rows show their id before the text: the row number alone did not join them back.
    identified = Prediction(3, "ok", "pos", 0.9, [("pos", 0.9)], fields={"ticket_id": "0007", "text": "ok"})
    assert render_prediction_row(identified, prediction_layout(["pos"], top_k=1, width=80)).plain.endswith(
        "  ticket_id 0007  ok"
    )
    assert render_prediction_row(identified, layout).plain.endswith(" 0007  ok")  # narrow: the value alone
    # ... and a long one keeps its end, where ids alike at the start differ (ORD-2024-0000001, ...002)
    orders = [
        Prediction(n, "ok", "pos", 0.9, [("pos", 0.9)], fields={"id": f"ORD-2024-000000{n}", "text": "ok"})
        for n in (1, 2)
    ]
    shown = [render_prediction_row(order, layout).plain for order in orders]
    assert shown[0] != shown[1] and shown[0].endswith("1  ok") and "…" in shown[0]
    nested = Prediction(0, "ok", "pos", 0.9, [("pos", 0.9)], fields={"id": {"shop": 7}, "text": "ok"})
    wide = prediction_layout(["pos"], top_k=1, width=80)
    assert render_prediction_row(nested, wide).plain.endswith('id {"shop": 7}  ok')  # as JSON, not a repr
    topics = ["business", "entertainment", "politics", "sport", "tech"]
    ranked = [("business", 0.9), ("tech", 0.05), ("sport", 0.03)]
    for width in (50, 60, 80):  # the next labels give way on a narrow terminal: one line a row
        narrow = render_prediction_row(
            Prediction(0, "Shares rose " * 9, "business", 0.9, ranked),
            (prediction_layout(topics, top_k=3, width=width)),
        )
        assert narrow.cell_len <= width and ("tech 5.0%" in narrow.plain) == (width >= 80)
    wide = prediction_layout(["体育运动", "科技"], top_k=2, width=80)  # widths in cells, not characters
    chinese = render_prediction_row(Prediction(0, "我喜欢足球", "体育运动", 0.9, [("体育运动", 0.9)]), wide)
    assert chinese.plain.split()[1] == "体育运动" and "…" not in chinese.plain


def test_long_labels_stay_whole_where_they_fit_and_distinct_where_they_are_cut():
    """Labels were cut to 24 cells at any width: three support categories all read
    'Support > Customer comp…'."""
    from attncli.render import distinct_labels

    support = [f"Support > Customer complaint > {end}" for end in ("billing", "delivery", "refund")]
    piped = prediction_layout(support, top_k=2, width=1 << 20)
    assert piped.label_width == len(support[1]) and [piped.label(name) for name in support] == support
    terminal = prediction_layout(support, top_k=2, width=80)
    shown = [terminal.label(name) for name in support]
    assert len(set(shown)) == 3 and all(cell_len(text) <= terminal.label_width < 39 for text in shown)
    assert [text.split("…") for text in shown][0] == ["Support ", "mplaint > billing"]
    row = render_prediction_row(Prediction(0, "a parcel", support[1], 0.9, [(support[1], 0.9)]), terminal)
    assert shown[1].endswith("> delivery") and f" {shown[1]} " in row.plain
    # Piped, the next labels are listed whole beside labels this long (they gave way to them).
    ranked = [(support[2], 0.5), ("Sales > Lead", 0.3), (support[0], 0.1)]
    piped = prediction_layout([*support, "Sales > Lead"], top_k=3, width=1 << 20)
    listed = render_prediction_row(Prediction(0, "my refund", support[2], 0.5, ranked), piped).plain
    assert f"Sales > Lead 30.0%, {support[0]} 10.0%" in listed
    # Paths alike at both ends: shown by their levels, those all share left out, the separators'
    # spaces next, then the longest levels cut; a label unlike the others keeps its end cut.
    teams = [f"Customer support team members / {kind} / general inquiries" for kind in ("billing", "refund")]
    cuts = distinct_labels([*teams, "News and current affairs coverage"], 26)
    assert cuts[teams[0]] == "…billing/general inquiries" and cuts[teams[1]] == "…refund/general inquiries"
    assert cuts["News and current affairs coverage"] == "News and current affairs …"
    # A cataloguer's twelve headings showed as four, the country cut from each.
    headings = [
        f"History > Europe > {country} > {topic} > {century} century"
        for country in ("France", "Germany", "Italy")
        for topic in ("Politics and government", "Economic conditions")
        for century in ("18th", "19th")
    ]
    cuts = distinct_labels(headings, 26)
    assert len(set(cuts.values())) == 12 and all(cell_len(cut) <= 26 for cut in cuts.values())
    assert (
        cuts[headings[0]] == "…Fran…>Polit…>18th century"
        and cuts[headings[-1]] == "…Italy>Econo…>19th century"
    )
    # Levels of CJK characters, two cells each, keep a character (they were cut to a bare ellipsis).
    japan, china = (f"アジア > {country} > 経済学 > 十八世紀の歴史" for country in ("日本", "中国"))
    assert distinct_labels([japan, china], 16) == {japan: "…日…>経…>十八世…", china: "…中…>経…>十八世…"}
    # Alike at their ends and but for their starts and a middle: each level down to a letter first,
    # then, not a path, the start and where they differ.
    long = [
        f"{top} > Heading number {n} (with its theory and history)" for top in ("Arts", "Law") for n in "12"
    ]
    cuts = distinct_labels(long, 26)
    assert len(set(cuts.values())) == 4 and cuts[long[0]] == "A…>Heading number 1 (with…"
    words = [f"The committee's {kind} report on general matters" for kind in ("annual", "weekly")]
    assert distinct_labels(words, 14) == {words[0]: "Th…'s annual …", words[1]: "Th…'s weekly …"}
    # A path of categories keeps its leaf, the part that tells it from its siblings (a shop's
    # taxonomy showed `Sports & Outdoors > Fitness > Kettlebel…`), even where its end cut is unique.
    shop = ["Sports & Outdoors > Fitness > Kettlebells", "news/sport/football-results", "a > b"]
    assert distinct_labels(shop, 24) == {
        "Sports & Outdoors > Fitness > Kettlebells": "Sports &…s > Kettlebells",
        "news/sport/football-results": "news/spo…ootball-results",
        "a > b": "a > b",
    }
    # Cut at the end where that keeps them apart; CJK widths in cells.
    assert distinct_labels(["entertainment", "economy"], 6) == {
        "entertainment": "enter…",
        "economy": "econo…",
    }
    assert distinct_labels(["体育运动员们很好", "体育运动员们不好"], 9)["体育运动员们不好"] == "体…们不好"


EVAL_RESULT = EvalResult(
    source="d.csv",
    split=None,
    n=4,
    accuracy=0.75,
    macro_f1=0.7333,
    weighted_f1=0.7333,
    labels=["neg", "pos", "meh"],
    per_class={
        "neg": ClassScores(1.0, 0.5, 2 / 3, 2),
        "pos": ClassScores(2 / 3, 1.0, 0.8, 2),
        "meh": ClassScores(None, None, None, 0),
    },
    confusion_matrix=[[1, 1, 0], [0, 2, 0], [0, 0, 0]],
    ece=0.2125,
    reliability=[ReliabilityBin(0.6, 2 / 3, 1, 0.65, 0.0), ReliabilityBin(14 / 15, 1.0, 3, 0.95, 1.0)],
    temperature=1.5,
    ignored_unknown=2,
    ignored_labels={"NEG": 2},
    errors=[Mistake(7, "Not good at all, " * 20, "neg", "pos", 0.65)],
)


def _render_eval(result: EvalResult, *, color: bool = False, width: int = 100) -> str:
    file = io.StringIO()
    console = Console(
        file=file,
        width=width,
        theme=ATTN_THEME,
        force_terminal=color,
        color_system="truecolor" if color else None,
    )
    console.print(render_eval(result, color_system="truecolor" if color else None))
    return file.getvalue()


def _cells(line: str) -> list[str]:
    """The cells of one table line (headers too)."""
    return [cell.strip() for cell in line.replace("┃", "│").strip().strip("│").split("│")]


def test_eval_scores_and_a_class_with_no_examples():
    output = _render_eval(EVAL_RESULT)
    lines = output.splitlines()
    assert lines[0].startswith("d.csv  n=4") and "[" not in lines[0]  # a single file: no split name
    assert "accuracy 75.0%" in lines[0] and "macro-F1 73.3%" in lines[0] and "weighted-F1 73.3%" in lines[0]
    tabbed = dataclasses.replace(EVAL_RESULT, labels=["neg", "neg\tmeh", "pos"], per_class={
        "neg": ClassScores(1.0, 0.5, 2 / 3, 2), "neg\tmeh": ClassScores(None, None, None, 0),
        "pos": ClassScores(2 / 3, 1.0, 0.8, 2),
    })  # fmt: skip
    assert "neg\\tmeh" in _render_eval(tabbed)  # not a second "neg meh" row
    assert (
        "ignored 2 rows whose label the model never saw: 'NEG' (2 rows) ('NEG' is 'neg' in another case)"
        in (" ".join(output.split()))
    )
    scores = {cells[0]: cells[1:] for cells in map(_cells, lines) if len(cells) == 5}
    assert scores["label"] == ["precision", "recall", "F1", "support"]
    assert scores["neg"] == ["100.0%", "50.0%", "66.7%", "2"]
    # Nothing to count is shown as such, not as a score of 0.0%.
    assert scores["meh"] == ["—", "no examples", "—", "0"]
    matrix = {cells[0]: cells[1:] for cells in map(_cells, lines) if len(cells) == 4}
    assert matrix["true \\ predicted"] == ["neg", "pos", "meh"]
    assert (matrix["neg"], matrix["pos"], matrix["meh"]) == (
        ["1", "1", "0"],
        ["0", "2", "0"],
        ["0", "0", "0"],
    )
    assert "confusion matrix" in output and "shade" not in output  # no colour: no shades to explain
    assert "shade: each count's share of its row" in _render_eval(EVAL_RESULT, color=True)


def test_eval_says_how_far_off_predictions_of_number_labels_are():
    graded = dataclasses.replace(EVAL_RESULT, mean_absolute_error=1 / 3, within_one=0.875)
    lines = _render_eval(graded, width=200).splitlines()
    assert lines[1] == (
        "mean absolute error 0.33  within one 87.5%  (labels read as numbers: how far the predicted label "
        "is from the true one, where their order means something, as grades' does; class ids' does not)"
    )
    assert "mean absolute error" not in _render_eval(EVAL_RESULT)  # labels that are words


def test_eval_calibration_and_most_confident_mistakes():
    output = _render_eval(EVAL_RESULT)
    assert "expected calibration error (ECE) 21.2% over 15 confidence bins; temperature 1.50" in output
    bins = [_cells(line) for line in output.splitlines() if line.startswith("│ (")]
    assert bins == [["(0.60, 0.67]", "1", "65.0%", "0.0%"], ["(0.93, 1.00]", "3", "95.0%", "100.0%"]]
    assert "1 most confident mistake (rows of the data, counting from 0)" in output
    (mistake,) = [_cells(line) for line in output.splitlines() if "Not good" in line]
    # The text is cut to the terminal's width; the labels and probability stay whole.
    assert mistake[0] == "7" and mistake[1].endswith("…") and mistake[2:] == ["neg", "pos", "65.0%"]
    assert all(len(line) <= 100 for line in output.splitlines())
    # A row with an id column is shown with its id, beside the row number.
    from dataclasses import replace

    assert EVAL_RESULT.errors
    identified = [replace(EVAL_RESULT.errors[0], fields={"created": "2026-01-02", "Ticket ID": "Z-9"})]
    output = _render_eval(replace(EVAL_RESULT, errors=identified))
    assert "Ticket ID" in output
    (mistake,) = [_cells(line) for line in output.splitlines() if "Not good" in line]
    assert mistake[:2] == ["7", "Z-9"] and mistake[3:] == ["neg", "pos", "65.0%"]
    # A long id folds in its column; the text keeps a readable width beside it.
    long_id = [replace(EVAL_RESULT.errors[0], fields={"uuid": "5f0c2a3e-8d1b-4c6e-9a7f-0b1d2c3e4f5a"})]
    output = _render_eval(replace(EVAL_RESULT, errors=long_id), width=80)
    (mistake,) = [_cells(line) for line in output.splitlines() if "Not good" in line]
    assert len(mistake[2]) >= 20 and mistake[1].startswith("5f0c2a3e")
    # On a wide terminal an id of 13-32 characters, a file of a label's folder, stays whole.
    filed = [replace(EVAL_RESULT.errors[0], fields={"file": "rec.sport.hockey/50722"})]
    for width, whole in ((160, True), (100, False)):
        console = Console(file=io.StringIO(), width=width, theme=ATTN_THEME)
        console.print(render_eval(replace(EVAL_RESULT, errors=filed), width=width))
        (mistake,) = [_cells(line) for line in console.file.getvalue().splitlines() if "Not good" in line]
        assert (mistake[1] == "rec.sport.hockey/50722") is whole, (width, mistake)


def test_mistakes_of_a_file_with_lines_are_listed_by_the_line_each_starts_on():
    """Row 7 of a csv whose quoted texts span lines starts on a later line than 9 (header, row from
    0): the line is what an editor or every other message names, so it is shown where it is known."""
    from dataclasses import replace

    assert EVAL_RESULT.errors
    on_line = [replace(EVAL_RESULT.errors[0], line=12, fields={"ticket_id": "T0113"})]
    output = _render_eval(replace(EVAL_RESULT, errors=on_line))
    assert "1 most confident mistake (by the line of the file each starts on)" in output
    heading = next(_cells(line) for line in output.splitlines() if "ticket_id" in line)
    assert heading[:3] == ["line", "ticket_id", "text"]
    (mistake,) = [_cells(line) for line in output.splitlines() if "Not good" in line]
    assert mistake[:2] == ["12", "T0113"] and mistake[3:] == ["neg", "pos", "65.0%"]
    file = io.StringIO()
    Console(file=file, width=60, theme=ATTN_THEME, color_system=None).print(
        render_eval(replace(EVAL_RESULT, errors=on_line), width=60)
    )
    assert "line 12  ticket_id T0113  label neg  predicted pos 65.0%" in file.getvalue()
    # One mistake without its line (not found in a file changed since): every one by its row.
    unknown = [*on_line, replace(EVAL_RESULT.errors[0], index=8)]
    output = _render_eval(replace(EVAL_RESULT, errors=unknown))
    assert "2 most confident mistakes (rows of the data, counting from 0)" in output
    assert [_cells(line)[0] for line in output.splitlines() if "Not good" in line] == ["7", "8"]


def test_mistakes_in_a_terminal_too_narrow_for_their_table_are_listed_with_their_first_lines():
    """Found in a user's trial: at 64 columns the text column was one letter wide, and at 60 the
    predicted label and the probability were cut off the table's right edge. Listed below their
    heading instead, each text was then shown whole: 40 lines for a BBC article at 60 columns."""
    from dataclasses import replace

    assert EVAL_RESULT.errors
    identified = [replace(EVAL_RESULT.errors[0], label="entertainment", fields={"ticket_id": "T0113"})]
    result = replace(EVAL_RESULT, errors=identified)
    for width in (60, 64):
        file = io.StringIO()
        console = Console(file=file, width=width, theme=ATTN_THEME, color_system=None)
        console.print(render_eval(result, width=width))
        lines = file.getvalue().splitlines()
        start = lines.index("1 most confident mistake (rows of the data, counting from 0)")
        text_start = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("  "))
        heading = " ".join(line.rstrip() for line in lines[start + 1 : text_start])
        assert heading == "row 7  ticket_id T0113  label entertainment  predicted pos 65.0%"
        # The text's first three lines as they wrap, indented below it, then an ellipsis.
        text_lines = [line for line in lines[text_start:] if line.strip()]
        assert len(text_lines) == STACKED_TEXT_LINES and all(line.startswith("  ") for line in text_lines)
        shown = " ".join(" ".join(text_lines).split())
        assert shown.endswith(" …") and len(shown) > 2 * (width - 4)
        assert " ".join(("Not good at all, " * 20).split()).startswith(shown.removesuffix(" …"))
        assert all(len(line) <= width for line in lines)
    short = replace(result, errors=[replace(identified[0], text="Not good at all.")])
    file = io.StringIO()
    Console(file=file, width=60, theme=ATTN_THEME, color_system=None).print(render_eval(short, width=60))
    assert "  Not good at all." in [line.rstrip() for line in file.getvalue().splitlines()]  # whole: it fits
    # Labels of wide characters (two terminal cells each) are measured as the terminal shows them.
    wide = replace(
        EVAL_RESULT,
        errors=[replace(identified[0], label="国际经济新闻报道分析", predicted="国内体育新闻报道分析")],
    )
    file = io.StringIO()
    Console(file=file, width=70, theme=ATTN_THEME, color_system=None).print(render_eval(wide, width=70))
    assert "row 7  ticket_id T0113  label 国际经济新闻报道分析  predicted" in file.getvalue()
    file = io.StringIO()
    Console(file=file, width=120, theme=ATTN_THEME, color_system=None).print(render_eval(result, width=120))
    assert any(_cells(line)[:2] == ["7", "T0113"] for line in file.getvalue().splitlines())  # the table


def test_the_id_column_is_the_rows_id_not_a_labels_or_a_key():
    from attncli.render.text import id_column, identity_of

    assert id_column(["text", "ticket_id", "label"]) == "ticket_id"
    assert id_column(["label_id", "review_id", "ID"]) == "ID"  # an exact id first
    assert id_column(["label_id", "class_id", "review-id"]) == "review-id"  # labels' numbers are no ids
    # Scraped pages are keyed by their address, taken where nothing else names the row.
    assert id_column(["url", "body", "topic"]) == "url"
    assert id_column(["Link", "post_id", "body"]) == "post_id"
    # A shop's products are keyed by their SKU (a trial's `sku,title,category_path` showed none).
    assert [id_column(["title", name, "category_id"]) for name in ("SKU", "asin", "GUID")] == [
        "SKU",
        "asin",
        "GUID",
    ]
    # Other languages' exports name no id: a German helpdesk's Ticket-Nr was not found (a trial).
    for name in ("Ticket-Nr", "Ticket No.", "Ticket #", "Número", "Nº", "order_number", "#"):
        assert id_column(["Beschreibung", name, "Kategorie"]) == name, name
    for other in ("yes_no", "phone_no", "Version No.", "Kategorie-Nr", "Klasse-Nr", "Telefon-Nr"):
        assert id_column(["text", other]) is None, other  # numbers of something else than the row
    assert id_column(["text", "category_no", "Notes", "Nora"]) is None  # a label's, or a mere beginning
    assert id_column(["key", "text"]) is None and id_column(["text"]) is None
    assert identity_of({"id": None, "x": 1}) is None and identity_of({"id": "T1"}) == "id T1"


def test_eval_without_errors_asked_and_with_none_found():
    from dataclasses import replace

    assert "mistakes" not in _render_eval(replace(EVAL_RESULT, errors=None))
    assert "no mistakes to list" in _render_eval(replace(EVAL_RESULT, errors=[]))
    assert _render_eval(replace(EVAL_RESULT, split="test")).startswith("d.csv [test]  n=4")


@pytest.mark.parametrize(
    ("temperature", "state", "said"),
    [
        (1.5, "fitted", "bins; temperature 1.50 (fitted on the validation split)\n"),
        (1.0, "fitted", "temperature 1.00 (fitted on the validation split)"),
        (
            0.25,
            "fitted",
            "temperature 0.25 (the lowest searched: the model was under-confident on the validation",
        ),
        (20.0, "fitted", "temperature 20.00 (the highest searched: the model was over-confident on the"),
        (1.0, "no_mistakes", "temperature 1.00 (not fitted: the validation split had no mistake to fit on)"),
        (1.0, "off", "temperature 1.00 (not fitted: train.calibrate is off)"),
        (1.0, "before_calibration", "temperature 1.00 (not fitted: saved before calibration existed)"),
    ],
)
def test_eval_says_why_the_temperature_is_what_it_is(temperature, state, said):
    from dataclasses import replace

    output = _render_eval(replace(EVAL_RESULT, temperature=temperature, calibration=state), width=200)
    assert said in output


def test_eval_says_a_refitted_models_temperature_was_fitted_before_the_refit():
    from dataclasses import replace

    output = _render_eval(replace(EVAL_RESULT, temperature=1.5, refitted=True), width=200)
    assert "temperature 1.50 (fitted on the validation split, before the refit)" in output
    assert replace(EVAL_RESULT, refitted=True).to_json()["refitted"] is True


def test_confusion_matrix_cells_are_shaded_by_their_share_of_the_row():
    output = _render_eval(EVAL_RESULT, color=True)
    # pos: 2 of its 2 examples, the darkest level (#b10026) with white text; neg: half and half,
    # level 4 of 7 (#fd8d3c) with black text: both named as RGB, which no terminal theme remaps.
    assert "38;2;255;255;255;48;2;177;0;38m  2" in output
    assert output.count("38;2;0;0;0;48;2;253;141;60m  1") == 2
    # On a 16-colour terminal the same levels as inspect's, not a continuous shade that left two
    # colours there (every mistake bright white).
    from rich.console import Console

    console = Console(
        file=io.StringIO(), width=100, theme=ATTN_THEME, force_terminal=True, color_system="standard"
    )
    console.print(render_eval(_diagonal_result(3, mistakes=((0, 1, 1), (0, 2, 4))), color_system="standard"))
    cells = console.file.getvalue()
    assert "30;103m" in cells and "30;43m" in cells  # 1 of 10 rows: bright yellow; 4 of 10: yellow


def test_a_narrow_terminal_wraps_the_numbers_instead_of_cutting_them():
    """COLUMNS=40 (a CI job's terminal): `100.0…` would read as another number; wrapped, every
    figure is still all there."""
    output = _render_eval(EVAL_RESULT, width=40)
    assert "…" not in output.split("most confident mistake")[0]  # a mistake's text may be cut
    neg = next(line for line in output.splitlines() if line.startswith("│ neg   "))
    assert _cells(neg)[1:] == ["100.0", "50.0%", "66.7%", "2"]  # "100.0%" goes on over two lines


def test_label_names_are_shown_as_texts_are_and_listed_so_they_can_be_told_apart():
    """A label holding an escape sequence, a line break or a bidi override reached the terminal raw
    (coloured, split or reversed output); one with a trailing space was invisible in a list."""
    from attncli.render import label_list

    hostile = ["\x1b[31mRED\x1b[0m", "new\nline", "\u202eevil"]
    layout = prediction_layout(hostile, top_k=3, width=120)
    row = render_prediction_row(
        Prediction(
            index=0, text="x", label=hostile[1], score=0.5, top_k=[(hostile[1], 0.5), (hostile[0], 0.3)]
        ),
        layout,
    ).plain
    # Written out as escapes, so that "new\nline" is not read as a label "new line" beside it
    assert "\x1b" not in row and "\n" not in row and "new\\nline" in row and "\\x1b[31mRED\\x1b[0m" in row
    assert "\u202e" not in _render(render_inspection(
        Inspection(**{**INSPECTION.__dict__, "label": hostile[2]}), color_system=None
    ), color=False)  # fmt: skip
    assert label_list(["sport", "food"]) == "sport, food"
    assert label_list(["sport ", "sport", "a,b"]) == "'sport ', 'sport', 'a,b'"
    assert label_list(["sci\tfi", "sci  fi", "sci fi", "a\nb"]) == "sci\\tfi, sci  fi, sci fi, a\\nb"
    assert label_list(["sci\tfi", "a,b"]) == "'sci\\tfi', 'a,b'"  # quoted, and escaped once
    assert label_list([f"c{index}" for index in range(500)], limit=10).endswith("c8, c9 and 490 more")


def _diagonal_result(count, mistakes=()):
    """EVAL_RESULT with `count` labels of 10 rows each, every row right but the (true, predicted,
    rows) `mistakes`: a confusion matrix of that width."""
    import dataclasses

    labels = [f"class_{index}" for index in range(count)]
    matrix = [[10 if row == column else 0 for column in range(count)] for row in range(count)]
    for row, column, rows in mistakes:
        matrix[row][column], matrix[row][row] = matrix[row][column] + rows, matrix[row][row] - rows
    return dataclasses.replace(
        EVAL_RESULT,
        labels=labels,
        per_class={label: ClassScores(1.0, 1.0, 1.0, 10) for label in labels},
        confusion_matrix=matrix,
    )


def test_a_confusion_matrix_too_wide_to_read_is_left_to_json(monkeypatch):
    """20 labels in 80 columns: cut into wrapped cells, headers and counts could not be read."""
    from attncli.render import render_eval

    wide = _diagonal_result(20)
    text = _render(render_eval(wide, width=80), color=False)
    # Numbered columns (the narrowest way to draw it): 1 + 11 + 3 for the row labels ("20 class_19"),
    # and 20 columns of 2 digits and 3 more.
    said = "confusion matrix: 20 labels need 115 columns, and the terminal has 80; --json gives it"
    assert said in " ".join(text.split())
    with monkeypatch.context() as asked:  # the width COLUMNS asks for, a pipe's too: no terminal there
        asked.setenv("COLUMNS", "80")
        text = _render(render_eval(wide, width=80), color=False)
    assert "20 labels need 115 columns, and COLUMNS is 80; --json gives it" in " ".join(text.split())
    assert "true \\ predicted" not in text
    assert "true \\ predicted" in _render(render_eval(EVAL_RESULT, width=80), color=False)
    assert "labels need" not in _render(render_eval(wide), color=False)  # no width given: drawn
    # Where the labels are too wide to head their columns (at 160 columns, 20 labels' headings folded
    # into columns of four letters), the columns are numbered, and each row's label follows its number.
    numbered = _render(render_eval(wide, width=160), color=False, width=160)
    assert "columns: the labels numbered as the rows are" in " ".join(numbered.split())
    heading = next(line for line in numbered.splitlines() if "true \\ predicted" in line)
    assert _cells(heading) == ["true \\ predicted", *map(str, range(1, 21))]
    row = next(line for line in numbered.splitlines() if "20 class_19" in line)
    assert _cells(row) == ["20 class_19", *["0"] * 19, "10"]
    # A long label is cut in its row (the width counted), not left to widen the row column until
    # rich folds the headings (a review: `…for_ever` / `_and_ever` at 120 columns).
    long = ["x", "y", "an_extremely_long_label_that_goes_on_and_on_for_ever_and_ever"]
    longer = dataclasses.replace(
        _diagonal_result(3), labels=long, per_class={label: ClassScores(1.0, 1.0, 1.0, 10) for label in long}
    )
    drawn = _render(render_eval(longer, width=120), color=False, width=120).split("confusion matrix")[1]
    heading = next(line for line in drawn.splitlines() if "true \\ predicted" in line)
    assert _cells(heading)[1:] == long and "│ an_extremely_long_label… │" in drawn
    labelled = _render(render_eval(wide, width=230), color=False, width=230)  # room for labels as headings
    heading = next(line for line in labelled.splitlines() if "true \\ predicted" in line)
    assert _cells(heading)[1:] == [f"class_{index}" for index in range(20)]
    # Into a file or pipe, tables take their natural width, up to a report's 400 columns: 1,000 labels
    # wrote 24,000-character lines (10 MB, 64 s of drawing).
    piped = Console(file=io.StringIO(), width=10_000, theme=ATTN_THEME, color_system=None)
    piped.print(render_eval(wide, width=10_000, piped=True))
    assert "true \\ predicted" in piped.file.getvalue()
    text = _render(render_eval(_diagonal_result(100), width=10_000, piped=True), color=False)
    said = "confusion matrix: 100 labels need 517 columns, more than a report's 400; --json gives it"
    assert said in " ".join(text.split()) and "true \\ predicted" not in text
    assert "no row was confused with another label" in text
    # In its place, the pairs most often confused, most first (a trial's 150 intents showed nothing).
    mixed = _diagonal_result(20)
    matrix = [list(row) for row in mixed.confusion_matrix]
    matrix[3][7], matrix[3][3] = 4, 6  # class_3: 4 of its 10 rows taken for class_7
    matrix[12][1], matrix[12][12] = 1, 9
    said = " ".join(
        _render(
            render_eval(dataclasses.replace(mixed, confusion_matrix=matrix), width=80), color=False
        ).split()
    )
    assert (
        "most confused true label predicted as rows of its rows class_3 class_7 4 40.0% "
        "class_12 class_1 1 10.0%" in said
    )


def test_class_weights_are_advised_only_for_labels_rare_in_training():
    from attncli.render.training import _missed_remedy
    from attncli.reporter import RunInfo

    def info(counts, validation=200):
        return RunInfo(
            train_size=sum(counts or [1]), validation_size=validation, label_names=["a", "b", "c"],
            vocab_size=10, num_parameters=1, device="cpu", precision="fp32", epochs=1, label_counts=counts,
        )  # fmt: skip

    assert _missed_remedy(["c"], False, info([500, 480, 20])) == (
        "--set train.class_weights=auto weighs rare labels up"
    )
    assert _missed_remedy(["c"], True, info([500, 480, 20])) == "more rows of them would help"
    # Weights given that leave the missed label no heavier than the rows' mean (a list in label
    # order that weighed up the commonest): "more rows would help" assumed the weighting was sound.
    weighted = dataclasses.replace(info([20, 480, 500]), class_weights=[1.0, 4.0, 1.0])
    assert _missed_remedy(["a"], True, weighted) == (
        "the class weights given do not weigh them up (a 1, against a mean of 2.44 over the training rows); "
        "--set train.class_weights=auto does"
    )
    weighted = dataclasses.replace(info([20, 480, 500]), class_weights=[20.0, 1.0, 1.0])
    assert _missed_remedy(["a"], True, weighted) == "more rows of them would help"
    # Balanced labels the model has not learnt (a tiny validation split, too few epochs): weights
    # cannot help, and the advice said they would.
    assert _missed_remedy(["a", "b"], False, info([9, 9, 9], validation=3)) == (
        "they are not rare in training (and only 3 validation rows), so class weights would not help; "
        "more epochs or rows may, unless the texts do not tell them apart"
    )
    assert _missed_remedy(["a"], False, info(None)) == "more rows of them, or more epochs, may help"
    # Most missed labels rare, one common (a trial: 38 of 40 with 2-10 rows): weights help those.
    many = RunInfo(
        train_size=910, validation_size=200, label_names=["a", "b", "c", "d"], vocab_size=10,
        num_parameters=1, device="cpu", precision="fp32", epochs=1, label_counts=[600, 300, 5, 5],
    )  # fmt: skip
    assert _missed_remedy(["b", "c", "d"], False, many) == (
        "c, d are rare in training: --set train.class_weights=auto weighs rare labels up; for the others, "
        "more epochs or rows may, unless the texts do not tell them apart"
    )
    assert _missed_remedy(["a", "b", "c"], False, many).startswith("c is rare in training: --set")
    # With weights on already, it does not say they would not help.
    assert _missed_remedy(["a", "b"], True, info([9, 9, 9], validation=3)) == (
        "they are not rare in training (and only 3 validation rows); more epochs or rows may, unless the "
        "texts do not tell them apart"
    )


def test_missed_labels_of_a_run_stopped_at_its_best_by_the_epoch_limit_are_advised_more_epochs_first():
    """A trial's run, its validation loss still falling at its last epoch, was told only that more
    rows of a label of 49 would help."""
    from types import SimpleNamespace

    from attncli.render.training import missed_labels_warning
    from attncli.reporter import RunInfo

    info = RunInfo(
        train_size=180, validation_size=20, label_names=["a", "b", "c"], vocab_size=10, num_parameters=1,
        device="cpu", precision="fp32", epochs=8, label_counts=[12, 119, 49], class_weights=[5.0, 0.5, 1.2],
    )  # fmt: skip

    def result(best_epoch, newest_epoch, stop_reason):
        return SimpleNamespace(
            best=SimpleNamespace(missed_labels=["a"]),
            best_epoch=best_epoch,
            metrics=SimpleNamespace(newest_epoch=newest_epoch, stop_reason=stop_reason),
            config=SimpleNamespace(train=SimpleNamespace(class_weights="auto")),
            info=info,
        )

    assert missed_labels_warning(result(8, 8, "epochs")) == (
        "warning: the best epoch recognised none of the validation rows of a; it was still improving at its "
        "last epoch: --epochs 16 may help first; else more rows of them would help"
    )
    for best, newest, stop in ((5, 8, "epochs"), (5, 8, "patience"), (1, 1, "epochs")):
        assert missed_labels_warning(result(best, newest, stop)) == (
            "warning: the best epoch recognised none of the validation rows of a; more rows of them would "
            "help"
        )


def test_a_summary_of_many_epochs_shows_the_first_the_last_and_the_best():
    from attncli.history import EpochRecord
    from attncli.render.training import _epochs_shown

    history = [EpochRecord(epoch, 0.1, 0.2, 0.9, 0.9, 1.0, 100.0) for epoch in range(1, 258)]
    shown = _epochs_shown(history, best=207)  # 257 rows printed, the footer after them
    epochs = [record.epoch if record is not None else None for record in shown]
    assert epochs == [1, 2, 3, 4, 5, None, 207, None, 253, 254, 255, 256, 257]
    assert _epochs_shown(history[:20], best=3) == history[:20]


def test_weights_without_colour_wrap_between_tokens_of_a_text_written_without_spaces():
    """A Chinese text is one long word to rich, which folded it anywhere, inside a weight too
    (`超[0.102` at the end of a line and `]值` at the start of the next)."""
    text = "这个手机很好满意超值我买了东西的" * 3
    tokens = [TokenWeight(character, index, index + 1, 0.021) for index, character in enumerate(text)]
    inspection = Inspection(text=text, label="好评", score=0.9, view="v", tokens=tokens, truncated_tokens=0)
    file = io.StringIO()
    Console(file=file, width=40, theme=ATTN_THEME, color_system=None).print(
        render_inspection(inspection, color_system=None)
    )
    lines = file.getvalue().splitlines()
    heatmap = lines[1 : lines.index(next(line for line in lines if line.startswith("[weight]")))]
    assert len(heatmap) > 1 and all(cell_len(line) <= 40 for line in heatmap)
    assert all(re.fullmatch(r"(\w\[0\.021\])+", line) for line in heatmap), heatmap
    assert "".join(re.sub(r"\[0\.021\]", "", line) for line in heatmap) == text
    # Spaced text (which rich broke at its spaces before) still breaks between tokens, without the
    # space it broke at, and a text's own line breaks stay.
    words = "alpha beta gamma\ndelta"
    spans = [(0, 5), (6, 10), (11, 16), (17, 22)]
    tokens = [TokenWeight(words[a:b], a, b, 0.25) for a, b in spans]
    inspection = Inspection(text=words, label="x", score=0.9, view="v", tokens=tokens, truncated_tokens=0)
    file = io.StringIO()
    Console(file=file, width=28, theme=ATTN_THEME, color_system=None).print(
        render_inspection(inspection, color_system=None)
    )
    shown = [line for line in file.getvalue().splitlines() if "[0.250]" in line]
    assert shown == ["alpha[0.250] beta[0.250]", "gamma[0.250]", "delta[0.250]"]


def test_a_best_epoch_at_chance_is_warned_of_with_word_order_as_a_cause_where_it_may_be():
    """An order task under the sized defaults (no layer, adversarial training) stayed at chance,
    48.8% on two balanced labels, with no word about it."""
    from types import SimpleNamespace

    from attncli.render.training import no_learning_warning

    def result(accuracy, macro_f1, counts=(500, 500), layers=0, adversarial=1.0, missed=None, weights=None):
        return SimpleNamespace(
            info=SimpleNamespace(label_counts=list(counts), validation_size=200),
            best=SimpleNamespace(
                validation_accuracy=accuracy,
                validation_macro_f1=macro_f1,
                missed_labels=missed,
                validation_loss=0.0,
            ),
            config=SimpleNamespace(
                model=SimpleNamespace(num_layers=layers),
                train=SimpleNamespace(adversarial=adversarial, class_weights=weights),
            ),
        )

    assert no_learning_warning(result(0.4875, 0.48)) == (
        "warning: the best epoch scored 48.8% on validation, within a row of the commonest training "
        "label's share (50.0% of the training rows, about what always answering it scores): the model "
        "learnt nothing it could show; if word order decides the labels, "
        "add a self-attention layer (--set model.num_layers=1) or turn adversarial training off (--set "
        "train.adversarial=0), which keeps a model without one from learning order; else more epochs may "
        "help, unless the texts do not tell the labels apart"
    )
    with_layer = no_learning_warning(result(0.5, 0.5, layers=1, adversarial=0.0))
    assert with_layer is not None and with_layer.endswith(
        "; more epochs may help, unless the texts do not tell the labels apart"
    )
    assert no_learning_warning(result(0.99, 0.99)) is None
    # 95% of one label: answering it alone is 95% accurate, but a model that finds some of the rest
    # has a macro-F1 above chance's.
    assert no_learning_warning(result(0.95, 0.75, counts=(950, 50))) is None
    assert no_learning_warning(result(0.95, 0.487, counts=(950, 50))) is not None
    # ... and where it missed the rare label, imbalance leads: word order came first, weights second.
    imbalanced = no_learning_warning(result(0.95, 0.487, counts=(950, 50), missed=["rare"]))
    assert imbalanced is not None and imbalanced.endswith(
        "the model learnt nothing it could show; with one label holding most rows the model answers it "
        "alone, and --set train.class_weights=auto weighs the others up (the next warning names those it "
        "missed)"
    )
    weighted = no_learning_warning(result(0.95, 0.487, counts=(950, 50), missed=["rare"], weights="auto"))
    assert weighted is not None and "word order" in weighted
    # Labels nearly even (697 against 653, a trial's word-order task) are no imbalance to weigh up,
    # even where the model at chance answers one label alone.
    even = no_learning_warning(result(0.51, 0.34, counts=(697, 653), missed=["b"]))
    assert even is not None and "class_weights" not in even and "word order" in even


def test_a_refit_longer_than_the_training_it_follows_is_warned_of():
    """A headline run of one epoch, refitted for four by the sized default, kept the temperature
    fitted before the refit: 0.137 of expected calibration error on test, against 0.057 unrefitted."""
    from types import SimpleNamespace

    from attncli.render.training import long_refit_warning

    def result(best_epoch, refit, calibrate=True):
        return SimpleNamespace(
            metrics=SimpleNamespace(refit=refit),
            best_epoch=best_epoch,
            best=SimpleNamespace(temperature=0.2761 if calibrate else 1.0, validation_accuracy=0.4),
            config=SimpleNamespace(train=SimpleNamespace(calibrate=calibrate)),
        )

    assert long_refit_warning(result(1, {"epochs": 4})) == (
        "warning: the refit trained 4 epochs on a model of 1 epoch, so the validation scores and temperature "
        "(0.276), measured before it, may not describe the refitted weights; evaluate them on held-out data "
        "(attn eval), or train with --set train.refit_epochs=0 to keep the model they describe"
    )
    assert long_refit_warning(result(4, {"epochs": 4})) is None  # the headlines' defaults: best epochs 6-12
    assert long_refit_warning(result(9, {"epochs": 4})) is None
    assert long_refit_warning(result(1, None)) is None  # no refit
    # No temperature was fitted: only the validation scores are from before it.
    uncalibrated = long_refit_warning(result(1, {"epochs": 4}, calibrate=False))
    assert (
        uncalibrated is not None and "so the validation scores, measured before it, may not" in uncalibrated
    )


def test_a_temperature_left_unfitted_for_want_of_validation_mistakes_is_said_after_training():
    """An SRE's model gave a pangram 99.9%, its validation split too easy to fit a temperature on,
    and only `attn info` said so."""
    from types import SimpleNamespace

    from attncli.render.training import unfitted_temperature_note

    def result(temperature, accuracy, calibrate=True):
        best = SimpleNamespace(temperature=temperature, validation_accuracy=accuracy)
        return SimpleNamespace(
            metrics=SimpleNamespace(best=best),
            config=SimpleNamespace(train=SimpleNamespace(calibrate=calibrate)),
        )

    said = unfitted_temperature_note(result(1.0, 1.0))
    assert said is not None and said.startswith(
        "note: the temperature was not fitted, as the best epoch made no mistake on the validation split"
    )
    assert unfitted_temperature_note(result(0.8, 0.95)) is None  # fitted
    assert unfitted_temperature_note(result(1.0, 1.0, calibrate=False)) is None  # not asked for
    assert unfitted_temperature_note(SimpleNamespace(metrics=SimpleNamespace(best=None))) is None


def test_more_epochs_are_suggested_after_training_only_where_the_best_epoch_came_late():
    """The note for many labels of few rows each is said with the summary, from the run's sized
    epochs, label counts and best epoch (before training, it told a taxonomy trial that stopped at
    epoch 11 of 20 to train for 40)."""
    from types import SimpleNamespace

    from attncli.render.training import more_epochs_note

    def result(best_epoch, sized=True):
        return SimpleNamespace(
            metrics=SimpleNamespace(
                refit=None, sized={"train.epochs": 2430} if sized else {"model.embed_dim": 2430},
                label_counts={f"intent{n}": 15 for n in range(162)}, stop_reason="epochs",
            ),
            best_epoch=best_epoch,
            best=SimpleNamespace(temperature=1.2, validation_accuracy=0.9, missed_labels=[]),
            config=SimpleNamespace(train=SimpleNamespace(epochs=20, calibrate=True)),
            history=[SimpleNamespace(validation_accuracy=0.9)],
        )  # fmt: skip

    late = more_epochs_note(result(19))
    assert late is not None and late.startswith(
        "note: 162 labels of about 15 training rows each (the median), and the best epoch 19 of the sized 20"
    )
    assert more_epochs_note(result(11)) is None and more_epochs_note(result(20, sized=False)) is None


def test_words_view_counts_words_even_where_no_word_has_several_pieces():
    """`inspect --words` of a text whose words are one token each said "1 of 2 tokens"."""
    from attncli.view_choice import WORDS_VIEW

    tokens = [TokenWeight("[UNK]", 0, 5, 0.4, unknown_pieces=1), TokenWeight("soup", 6, 10, 0.6)]
    words = Inspection(
        text="xyzzy soup", label="food", score=0.6, view=f"v{WORDS_VIEW}", tokens=tokens, truncated_tokens=0
    )
    said = " ".join(_render(render_inspection(words, color_system=None), color=False).split())
    assert "1 of 2 words are unknown to the model in whole or in part" in said


def test_labels_that_look_like_markup_are_shown_as_written_in_every_eval_table():
    """A review: a label `[/x]close` ended eval with rich's MarkupError, and `[red]` showed empty."""
    import dataclasses

    from attncli.render import render_eval

    odd = ["[/x]close", "[red]", *(f"class_{index}" for index in range(18))]
    result = dataclasses.replace(
        _diagonal_result(20),
        labels=odd,
        per_class=dict(zip(odd, _diagonal_result(20).per_class.values(), strict=True)),
    )
    matrix = [list(row) for row in result.confusion_matrix]
    matrix[0][1], matrix[0][0] = 3, 7
    result = dataclasses.replace(result, confusion_matrix=matrix)
    pairs = " ".join(_render(render_eval(result, width=80), color=False).split())  # the most confused pairs
    shown = _render(render_eval(result, width=80), color=False)
    assert ["[/x]close", "100.0%", "100.0%", "100.0%", "10"] in map(_cells, shown.splitlines())  # class table
    assert "rows of its rows [/x]close [red] 3 30.0%" in pairs
    wide = Console(file=io.StringIO(), width=400, theme=ATTN_THEME, color_system=None)
    wide.print(render_eval(result, width=400))  # the whole matrix, drawn
    matrix = wide.file.getvalue().split("true \\ predicted")[1]
    assert "[red]" in matrix and "[/x]close" in matrix


@pytest.mark.parametrize(
    "text",
    [
        "日本語のテキストはとても長いです" * 8,  # two cells a character: a line can leave one over
        "see https://example.com/" + "a" * 120 + " and more words after it",  # a word wider than a line
        "bed fd ffb gdafa " * 12,  # lines one word nearly the whole width
        "word " * 60,
    ],
)
def test_a_mistakes_text_is_cut_to_three_lines_as_the_terminal_wraps_it(text):
    from rich.padding import Padding

    from attncli.render.evaluation import FirstLines

    for width in (6, 20, 40, 61):
        file = io.StringIO()
        Console(file=file, width=width, color_system=None).print(Padding(FirstLines(text), (0, 0, 0, 2)))
        lines = [line.rstrip() for line in file.getvalue().splitlines()]
        assert len(lines) == STACKED_TEXT_LINES and lines[-1].endswith("…")
        assert all(cell_len(line) <= width for line in lines)


def test_an_svg_draws_wide_characters_two_cells_wide_as_their_boxes():
    """rich gave each character one cell of text width (`textLength`) where its box and the next
    run's place count two for CJK, kana and emoji: a trial's Chinese was squeezed to half its width
    over its own boxes. Each run is now as wide as the cells it fills; narrow text is left alone."""
    import html
    from xml.etree import ElementTree

    from attncli.render import svg_page
    from attncli.render.consoles import recording_console

    recorder = recording_console("svg")
    recorder.print("[bold]亲，我买的[/bold]iPhone 15[red]坏了😡[/red] ｷｬﾝｾﾙ ok")
    page = svg_page(recorder)
    ElementTree.fromstring(page)
    runs = re.findall(r'<text [^>]*?x="([0-9.]+)"[^>]*?textLength="([0-9.]+)"[^>]*>([^<]*)</text>', page)
    shown = [(float(length), html.unescape(text)) for _, length, text in runs]
    shown = [(length, text) for length, text in shown if cell_len(text.strip("\xa0"))]
    widths = {round(length / cell_len(text), 6) for length, text in shown}
    assert len(widths) == 1, shown  # one cell's width throughout, wide characters two of them
    assert any(cell_len(text) > len(text) for _, text in shown)
