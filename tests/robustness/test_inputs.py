"""Whatever text reaches `attn predict` and `attn inspect` (emoji, right-to-left scripts, control
characters, lone surrogates, a megabyte in one text, 100,000 texts, texts of nothing but padding):
a valid result for each, output any UTF-8 reader takes, no crash. docs/robustness.md lists the promises."""

import io
import json
import math
import os
import subprocess
import sys
import textwrap
import unicodedata

import pytest
from conftest import save_untrained_checkpoint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from attncli.checkpoint import load_checkpoint
from attncli.cli import app
from attncli.inspection import inspect_text
from attncli.prediction import EMPTY_TEXT, predict
from attncli.prediction_writers import CsvWriter, JsonLinesWriter
from attncli.records import is_blank
from attncli.render import ATTN_THEME, prediction_layout, render_inspection, render_prediction_row

RUNNER = CliRunner()
LABELS = ["food", "sport", "tech"]
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\ufffd\u00ad"
EMOJI = ["😀", "🤖", "👩\u200d👩\u200d👧", "🏳\ufe0f\u200d🌈", "👍🏽", "🇫🇷"]
CHARACTERS = st.one_of(
    st.characters(codec="utf-8"),  # any character UTF-8 can hold
    st.characters(min_codepoint=0x0590, max_codepoint=0x06FF),  # Hebrew and Arabic
    st.characters(categories=["Cc"]),  # control characters: NUL, ESC, line ends, C1
    st.characters(categories=["Cs"]),  # lone surrogates
    st.sampled_from(BIDI_CONTROLS + INVISIBLE),
)
PIECES = st.one_of(
    st.text(CHARACTERS, max_size=12),
    st.sampled_from([*EMOJI, "pasta", "football", "[PAD]", "[CLS]", "[UNK]", " ", "\n", "\x1b[2J"]),
)
TEXTS = st.lists(PIECES, max_size=8).map("".join)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Every kind of whitespace Python knows, and texts that are padding in all but name.
WHITESPACE = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
PADDING_LIKE = [
    "[PAD]", "[PAD] [PAD] [PAD]", "[PAD]" * 500, "\u200b\u200b\u200b", "\u200b[PAD]\u200b", "\ufffd",
    "\ufffd" * 100, "\ufeff", "\u2060\u200d", "[CLS]", "[UNK]", "<pad>", "\x00\x00",
]  # fmt: skip


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return load_checkpoint(save_untrained_checkpoint(tmp_path_factory.mktemp("inputs") / "ckpt"))


def invoke(*args, **kwargs):
    return RUNNER.invoke(app, [str(arg) for arg in args], **kwargs)


def json_lines(output: str) -> list:
    """JSON lines split at "\\n" only: a text may hold U+0085 or U+2028, which str.splitlines splits at."""
    return [json.loads(line) for line in output.split("\n") if line]


def assert_valid(prediction, text: str) -> None:
    """A label with finite probabilities summing to 1, its score the largest; or, for a text with
    nothing to read (whitespace, zero-width and control characters), no label and the reason."""
    if is_blank(text):
        assert (prediction.label, prediction.score, prediction.reason) == (None, None, EMPTY_TEXT)
        return
    assert prediction.label in LABELS and prediction.reason is None
    assert all(math.isfinite(p) and 0 <= p <= 1 for p in prediction.probabilities)
    assert math.isclose(sum(prediction.probabilities), 1, abs_tol=1e-5)
    assert prediction.score == max(prediction.probabilities)


def shows_nothing_a_terminal_acts_on(output: str) -> bool:
    """No control character but line ends, no separator, surrogate or bidi control (format
    characters that shape text, such as the zero-width joiner, may stay)."""
    bidi = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    return all(
        char == "\n" or (unicodedata.category(char) not in ("Cc", "Zl", "Zp", "Cs") and char not in bidi)
        for char in output
    )


@SETTINGS
@given(texts=st.lists(TEXTS, max_size=6))
def test_predict_gives_any_texts_valid_results_and_writable_output(loaded, texts):
    predictions = predict(loaded, texts)
    assert [prediction.index for prediction in predictions] == list(range(len(texts)))
    for prediction, text in zip(predictions, texts, strict=True):
        assert_valid(prediction, text)
    lines, table = io.StringIO(), io.StringIO()
    JsonLinesWriter(lines).write(predictions)
    CsvWriter(table, input_columns=[], label_names=LABELS).write(predictions)
    lines.getvalue().encode("utf-8"), table.getvalue().encode("utf-8")  # a lone surrogate would raise
    assert [row["index"] for row in json_lines(lines.getvalue())] == list(range(len(texts)))
    layout = prediction_layout(LABELS, top_k=3, width=120)
    for prediction in predictions:
        row = render_prediction_row(prediction, layout).plain
        assert shows_nothing_a_terminal_acts_on(row) and "\n" not in row


@SETTINGS
@given(text=TEXTS.filter(lambda text: not is_blank(text)))
def test_inspect_weighs_the_tokens_of_any_text(loaded, text):
    inspection = inspect_text(loaded, text)
    assert inspection.label in LABELS and math.isfinite(inspection.score)
    weights = [token.weight for token in inspection.tokens]
    assert all(math.isfinite(weight) and weight >= 0 for weight in weights)
    assert math.isclose(sum(weights), 1, abs_tol=1e-5)
    assert all(0 <= token.start <= token.end <= len(text) for token in inspection.tokens)
    json.dumps(inspection.to_json(), ensure_ascii=False).encode("utf-8")
    for color_system in (None, "truecolor"):
        console = Console(file=io.StringIO(), width=80, theme=ATTN_THEME)
        console.print(render_inspection(inspection, color_system=color_system))
        assert shows_nothing_a_terminal_acts_on(console.file.getvalue())


def test_padding_like_texts_get_a_finite_score_and_whitespace_no_label(loaded, tmp_path):
    """ "[PAD]" typed in a text is read as an unknown word, not as padding (which gave NaN scores)."""
    texts = [*PADDING_LIKE, WHITESPACE, " \t ", "\u3000\u00a0"]
    for prediction, text in zip(predict(loaded, texts), texts, strict=True):
        assert_valid(prediction, text)
    path = tmp_path / "texts.jsonl"
    path.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts))
    result = invoke("predict", loaded.path, "--file", path, "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    rows = json_lines(result.stdout)
    assert [row["score"] is None for row in rows] == [is_blank(text) for text in texts]
    # "\u200b\u200b\u200b", "\ufeff", "\u2060\u200d" and "\x00\x00" among them: nothing to read
    assert sum(map(is_blank, PADDING_LIKE)) == 4
    inspected = invoke("inspect", loaded.path, "--file", path, "--json")
    assert inspected.exit_code == 0, inspected.stderr
    for row in json_lines(inspected.stdout):
        assert row.get("reason") == EMPTY_TEXT or math.isclose(
            sum(token["weight"] for token in row["tokens"]), 1, abs_tol=1e-5
        )


def test_lone_surrogates_from_json_escapes_are_read_as_replacement_characters(loaded, tmp_path):
    path = tmp_path / "escaped.jsonl"
    path.write_text('{"text": "pasta \\ud800 today", "id": "\\udfff"}\n')
    shown = {
        "jsonl": '"text": "pasta \ufffd today"',
        "csv": "\npasta \ufffd today,\ufffd,",
        "table": "pasta \ufffd today\n",  # the table shows the same replacement character
    }
    for output_format, expected in shown.items():
        result = invoke("predict", loaded.path, "--file", path, "--format", output_format)
        assert result.exit_code == 0, result.stderr
        assert expected in result.stdout and "\ud800" not in result.stdout, (output_format, result.stdout)
    row = json.loads(invoke("predict", loaded.path, "--file", path, "--json").stdout)
    assert (row["text"], row["fields"]) == ("pasta \ufffd today", {"id": "\ufffd"})
    inspected = invoke("inspect", loaded.path, "--file", path, "--json")  # its lines carry the row too
    assert inspected.exit_code == 0, inspected.stderr
    row = json.loads(inspected.stdout)
    assert (row["text"], row["fields"]) == ("pasta \ufffd today", {"id": "\ufffd"})


def test_bytes_that_are_not_utf8_in_arguments_reach_the_real_command_as_replacement_characters(loaded):
    """Python turns them into lone surrogates (surrogateescape), which the tokenizer refused (exit 1)."""
    command = [sys.executable, "-m", "attncli", "predict", str(loaded.path), b"caf\xe9 pasta", "--json"]
    result = subprocess.run(command, capture_output=True, env={**os.environ, "ATTN_DEBUG": ""})
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["text"] == "caf\ufffd pasta" and row["label"] in LABELS


def test_texts_of_a_megabyte_are_cut_at_max_length_and_said_so(loaded, tmp_path):
    words, unbroken = "pasta football " * 70_000, "x" * 1_000_000
    path = tmp_path / "big.txt"
    path.write_text(f"{words}\n{unbroken}\n")
    result = invoke("predict", loaded.path, "--file", path, "--format", "jsonl")
    assert result.exit_code == 0
    rows = json_lines(result.stdout)
    assert [row["truncated_tokens"] for row in rows] == [140_000 - 32, 0]
    assert [row["text"] for row in rows] == [words, unbroken] and all(row["label"] in LABELS for row in rows)
    assert "note: 1 of 2 texts were longer than the model's max_length (32 tokens)" in result.stderr
    inspection = inspect_text(loaded, words)
    assert (len(inspection.tokens), inspection.truncated_tokens) == (32, 140_000 - 32)


MEASURE = textwrap.dedent(
    """
    import resource, sys
    from attncli.cli import app
    try:
        app(sys.argv[1:], prog_name="attn")
    finally:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)  # MiB
    """
)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_100000_texts_in_one_file_get_100000_results_in_bounded_memory(loaded, tmp_path):
    """Measured: a peak of 273 MiB for 100,000 texts, 256 MiB for 1,000 (imports, mostly); about 10 s
    with one thread. Marked `slow`."""
    words = "pasta bread cheese football tennis robot chip the a of and to in".split()
    peaks = {}
    for count in (1_000, 100_000):
        source, output = tmp_path / f"{count}.txt", tmp_path / f"{count}.jsonl"
        source.write_text("".join(" ".join(words[i % 13 :] + words[: i % 7]) + "\n" for i in range(count)))
        command = ["predict", str(loaded.path), "--file", str(source), "-o", str(output)]
        measured = subprocess.run(
            [sys.executable, "-c", MEASURE, *command],
            capture_output=True,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        assert measured.returncode == 0, measured.stderr
        peaks[count] = int(measured.stderr.splitlines()[-1])
        with output.open() as results:
            indices = [json.loads(line)["index"] for line in results]
        assert indices == list(range(count))
    assert peaks[100_000] - peaks[1_000] < 64, peaks
