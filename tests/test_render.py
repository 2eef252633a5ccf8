import io

from rich.console import Console

from attncli.evaluation import EvalResult
from attncli.inspection import Inspection, TokenWeight
from attncli.metrics import ClassScores
from attncli.prediction import Prediction
from attncli.render import ATTN_THEME, heat_color, render_eval, render_inspection, render_predictions

INSPECTION = Inspection(
    text="good film",
    label="pos",
    score=0.875,
    view="attention pooling weights",
    tokens=[TokenWeight("good", 0, 4, 0.8), TokenWeight("film", 5, 9, 0.2)],
    truncated_tokens=0,
)


def _render(renderable, *, color: bool) -> str:
    file = io.StringIO()
    console = Console(
        file=file,
        width=80,
        theme=ATTN_THEME,
        force_terminal=color,
        color_system="truecolor" if color else None,
    )
    console.print(renderable)
    return file.getvalue()


def test_heat_scale_runs_from_pale_to_dark():
    assert heat_color(0.0) == (255, 255, 204)
    assert heat_color(1.0) == (128, 0, 38)
    assert heat_color(2.0) == heat_color(1.0)
    assert sum(heat_color(0.3)) > sum(heat_color(0.7))


def test_heatmap_colours_each_token_by_weight():
    output = _render(render_inspection(INSPECTION, color=True), color=True)
    # The top token gets the darkest colour, the other one (0.2 / 0.8 = 0.25 of the scale) a pale one.
    assert "48;2;128;0;38mgood" in output
    red, green, blue = heat_color(0.25)
    assert f"48;2;{red};{green};{blue}mfilm" in output
    assert "pos" in output and "87.5%" in output and "0.800 (highest)" in output


def test_without_colour_the_weights_are_numbers():
    output = _render(render_inspection(INSPECTION, color=False), color=False)
    assert "\x1b[" not in output
    assert "0.8000" in output and "0.2000" in output and "#" * 20 in output and "good" in output


def test_predictions_and_eval_tables():
    prediction = Prediction("nice", "pos", 0.9, [("pos", 0.9), ("neg", 0.1)])
    output = _render(render_predictions([prediction]), color=False)
    assert "pos" in output and "90.0%" in output and "neg 10.0%" in output
    result = EvalResult(
        source="d.csv",
        split="test",
        n=4,
        accuracy=0.75,
        macro_f1=0.7333,
        labels=["neg", "pos"],
        per_class={"neg": ClassScores(1.0, 0.5, 2 / 3, 2), "pos": ClassScores(2 / 3, 1.0, 0.8, 2)},
        confusion_matrix=[[1, 1], [0, 2]],
    )
    output = _render(render_eval(result), color=False)
    assert "accuracy 75.0%" in output and "macro-F1 73.3%" in output and "66.7%" in output
    assert "confusion matrix" in output
