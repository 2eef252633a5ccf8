"""The README's examples run as written: its Python API example, on the easy test data."""

import contextlib
import csv
import io
import json
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_example(heading: str) -> str:
    """The first ```python block after `heading` in the README."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_python_api_example_runs_and_prints_what_it_says(easy_folder, tmp_path, monkeypatch):
    example = _python_example("### Python API")
    assert example.count("data/bbc_headlines") == 2 and example.count('"runs/api"') == 2
    # The README's data and run folder, as the example names them, from a folder of the test's own;
    # two epochs keep it quick.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "bbc_headlines").symlink_to(easy_folder)
    example = example.replace(
        '"data.source=data/bbc_headlines"', '"data.source=data/bbc_headlines", "train.epochs=2"'
    )
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(example, str(README), "exec"), {})
    lines = printed.getvalue().splitlines()
    assert len(lines) == 5, lines
    best_epoch, validation_accuracy = lines[0].split()
    assert 1 <= int(best_epoch) <= 2 and 0 <= float(validation_accuracy) <= 1
    index, label, score, reason = lines[1].split()
    assert (index, reason) == ("0", "None") and label in ("food", "sport", "tech") and 0 < float(score) <= 1
    assert lines[2] == "1 None None empty text"
    assert lines[3].startswith("[('Shares', ")  # each token as written in the text, with its weight
    accuracy, macro_f1 = map(float, lines[4].split())
    assert 0 <= macro_f1 <= 1
    assert (tmp_path / "runs" / "api" / "best" / "model.safetensors").is_file()
    # What it printed is the saved run's: its best epoch and validation accuracy, and the test
    # split's accuracy, counted here from the checkpoint's own predictions.
    from attncli.checkpoint import load_checkpoint
    from attncli.prediction import predict

    saved = json.loads((tmp_path / "runs" / "api" / "best" / "metrics.json").read_text())
    assert int(best_epoch) == saved["best_epoch"]
    assert float(validation_accuracy) == pytest.approx(saved["validation"]["accuracy"])
    with (easy_folder / "test.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    predicted = predict(load_checkpoint(tmp_path / "runs" / "api"), [row["text"] for row in rows])
    right = sum(p.label == row["label"] for p, row in zip(predicted, rows, strict=True))
    assert accuracy == pytest.approx(right / len(rows))


def test_attn_ships_its_type_hints_as_the_readme_says():
    """A user's `mypy --strict` saw no types in attn: 'missing library stubs or py.typed marker'."""
    import attncli

    assert (Path(attncli.__file__).parent / "py.typed").is_file()
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '[tool.setuptools.package-data]\nattncli = ["py.typed"]' in pyproject  # into the wheel
    assert "attn ships its type hints (`py.typed`)" in README.read_text().replace("\n", " ")
