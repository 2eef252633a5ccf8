import io
import json

from attncli.prediction import Prediction
from attncli.prediction_writers import JsonLinesWriter
from attncli.streams import writes_unicode


def _stream(encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, write_through=True)


def test_only_utf_encodings_hold_every_character():
    assert writes_unicode(_stream("utf-8")) and writes_unicode(_stream("UTF8"))
    assert not writes_unicode(_stream("latin-1")) and not writes_unicode(_stream("ascii"))
    assert writes_unicode(io.StringIO())  # no encoding of its own: text stays text


def test_json_lines_to_a_stream_that_cannot_hold_a_text_escape_it_and_lose_nothing():
    text = "足球 é 👍🏽"
    stream = _stream("latin-1")
    JsonLinesWriter(stream).write([Prediction(0, text, "sport", 0.9, [("sport", 0.9)], [0.9, 0.1])])
    written = stream.buffer.getvalue()  # type: ignore[attr-defined]
    assert written.isascii() and json.loads(written)["text"] == text
    utf8 = _stream("utf-8")
    JsonLinesWriter(utf8).write([Prediction(0, text, "sport", 0.9, [("sport", 0.9)], [0.9, 0.1])])
    assert text.encode() in utf8.buffer.getvalue()  # type: ignore[attr-defined]


def test_a_terminal_width_of_zero_or_nonsense_is_forgotten(monkeypatch):
    import os

    from rich.console import Console

    from attncli.streams import usable_terminal_size

    for bad in ("0", "-5", "abc", ""):
        monkeypatch.setenv("COLUMNS", bad)
        usable_terminal_size()
        assert "COLUMNS" not in os.environ
        assert Console().width > 0  # COLUMNS=0 made every table print nothing at all, exit 0
    monkeypatch.setenv("COLUMNS", "120")
    usable_terminal_size()
    assert Console().width == 120


def test_closed_standard_input_reads_as_empty(monkeypatch):
    import sys

    from attncli.streams import input_closed, reopen_closed_streams

    assert not input_closed()
    monkeypatch.setattr(sys, "stdin", None)  # started with <&-: predict failed on None.isatty
    assert reopen_closed_streams() is False
    assert sys.stdin is not None and sys.stdin.read() == ""
    assert input_closed()  # which predict and inspect refuse where they read their texts there
    sys.stdin.close()


def test_only_predict_to_a_file_runs_with_standard_output_closed():
    from attncli.cli.group import _results_to_a_file

    assert _results_to_a_file(["predict", "R", "-f", "a.txt", "-o", "out.csv"])
    assert _results_to_a_file(["predict", "R", "x", "--output=out.jsonl"])
    assert _results_to_a_file(["predict", "R", "x", "-oout.csv"])
    assert not _results_to_a_file(["predict", "R", "x", "-o", "-"])
    assert not _results_to_a_file(["predict", "R", "x", "--output=/dev/stdout"])
    assert not _results_to_a_file(["predict", "R", "x"])
    assert not _results_to_a_file(["inspect", "R", "x", "--html", "page.html"])  # it prints the heatmap too
    assert not _results_to_a_file(["train", "data.csv", "-o", "runs/x"])  # its -o is a run folder
    assert not _results_to_a_file([])
    assert not _results_to_a_file(["predict", "R", "--", "-o", "out.csv"])  # two texts, "-o" and "out.csv"
