import csv
import io
from pathlib import Path

import pytest

from attncli.errors import DataError
from attncli.output import CsvWriter, atomic_output, choose_format
from attncli.prediction import Prediction


def test_format_comes_from_the_option_then_json_then_the_suffix():
    assert choose_format(None, as_json=False, output=None) == "table"
    assert choose_format(None, as_json=True, output=None) == "jsonl"
    assert choose_format(None, as_json=False, output=Path("out.csv")) == "csv"
    assert choose_format("jsonl", as_json=False, output=Path("out.csv")) == "jsonl"
    with pytest.raises(DataError, match="--json means --format jsonl"):
        choose_format("csv", as_json=True, output=None)
    with pytest.raises(DataError, match="cannot tell the format of out.txt"):
        choose_format(None, as_json=False, output=Path("out.txt"))


def test_output_file_appears_only_when_complete(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("earlier results\n")
    with pytest.raises(RuntimeError), atomic_output(target) as stream:
        stream.write("half")
        raise RuntimeError("killed halfway")
    assert target.read_text() == "earlier results\n"
    assert [path.name for path in tmp_path.iterdir()] == ["out.jsonl"]  # no partial file left
    with atomic_output(target) as stream:
        stream.write("new\n")
    assert target.read_text() == "new\n"


def test_csv_output_adds_label_score_and_probabilities_to_the_input_columns():
    stream = io.StringIO()
    writer = CsvWriter(stream, input_columns=["id", "text", "label"], label_names=["neg", "pos"])
    first = {"id": "007", "text": "nice", "label": "pos"}
    second = {"id": "008", "text": "", "label": "neg"}
    writer.write([
        Prediction(0, "nice", "pos", 0.75, [("pos", 0.75)], [0.25, 0.75], fields=first),
        Prediction(1, "", None, None, [], reason="empty text", fields=second),
    ])  # fmt: skip
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows == [
        ["id", "text", "label", "attn_label", "score", "prob_neg", "prob_pos"],  # "label" was taken
        ["007", "nice", "pos", "pos", "0.75", "0.25", "0.75"],
        ["008", "", "neg", "", "", "", ""],
    ]
