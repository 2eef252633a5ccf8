"""fastText's format (`__label__sport Arsenal win`): read by train, eval and predict as a table of
text and label. A fastText user's first `attn train cooking.train` was refused: "cannot read .train
files"."""

import json

import pytest
from conftest import make_rows, write_csv
from typer.testing import CliRunner

from attncli.cli import app
from attncli.config import DataConfig
from attncli.data import load_splits
from attncli.errors import DataError
from attncli.fasttext_files import fasttext_rows, is_fasttext_file

RUNNER = CliRunner()


def _fasttext(path, rows):
    path.write_text("".join(f"__label__{row['label']} {row['text']}\n" for row in rows), encoding="utf-8")
    return path


def test_each_line_is_its_label_then_its_text_as_written(tmp_path):
    path = tmp_path / "cooking.train"
    path.write_bytes(
        "\ufeff__label__baking  How do I  bake bread?\r\n"
        "\n"  # blank: no row
        "  __label__equipment\tWhich knife?\n"
        "no label on this line\n"
        "__label__ \n".encode()
    )
    assert is_fasttext_file(path, encoding="utf-8")
    texts, labels = fasttext_rows(path, encoding="utf-8")
    assert texts == ["How do I  bake bread?", "Which knife?", "no label on this line", ""]
    assert labels == ["baking", "equipment", None, None]
    plain = tmp_path / "notes.txt"
    plain.write_text("\n  a text that mentions __label__x later\n", encoding="utf-8")
    assert not is_fasttext_file(plain, encoding="utf-8")


def test_labels_at_the_end_of_each_line_are_read_as_fasttext_reads_them(tmp_path):
    """A trial's file with each label after its text (`Renault boss hails great year __label__business`):
    refused as "cannot read .txt files", or, with some lines so, "line 50 has no label in column
    'label'", where fastText reads it."""
    path = tmp_path / "ends.txt"
    path.write_text(
        "Renault boss hails 'great year' __label__business\n"
        "__label__sport Arsenal win the cup\n"
        "a text that mentions __label__x in passing\n"
        "Chelsea sign a keeper\t__label__sport  \n",
        encoding="utf-8",
    )
    assert is_fasttext_file(path, encoding="utf-8")
    texts, labels = fasttext_rows(path, encoding="utf-8")
    assert texts == [
        "Renault boss hails 'great year'",
        "Arsenal win the cup",
        "a text that mentions __label__x in passing",
        "Chelsea sign a keeper",
    ]
    assert labels == ["business", "sport", None, "sport"]
    ended = tmp_path / "all_ends.txt"
    ended.write_text("".join(f"{row['text']} __label__{row['label']}\n" for row in make_rows(30)))
    splits = load_splits(DataConfig(source=str(ended)))
    assert splits.label_names == ["food", "sport", "tech"] and "__label__" not in "".join(splits.label_names)


def test_several_labels_on_a_line_are_refused_as_multi_label(tmp_path):
    path = tmp_path / "multi.txt"
    path.write_text("__label__a one\n__label__a __label__b two\n", encoding="utf-8")
    with pytest.raises(DataError) as refused:
        fasttext_rows(path, encoding="utf-8")
    assert str(refused.value) == (
        f"multi-label data is not supported yet: line 2 of {path} has 2 labels (__label__a __label__b); "
        "give each text one label"
    )


def test_training_reads_a_file_and_a_folder_of_split_files(tmp_path):
    rows = make_rows(60)
    single = load_splits(DataConfig(source=str(_fasttext(tmp_path / "data.train", rows))))
    assert single.text_column == "text" and single.label_names == sorted({row["label"] for row in rows})
    read = sorted([*single.splits["train"].texts, *single.splits["validation"].texts])
    assert read == sorted(row["text"] for row in rows)
    folder = tmp_path / "folder"
    folder.mkdir()
    _fasttext(folder / "train.txt", rows)
    _fasttext(folder / "valid.txt", make_rows(9, seed=3))
    (folder / "README.txt").write_text("about this data\n", encoding="utf-8")  # names no split
    splits = load_splits(DataConfig(source=str(folder)))
    assert (len(splits.splits["train"].texts), len(splits.splits["validation"].texts)) == (60, 9)
    (folder / "valid.txt").write_text("__label__food soup\nsalad\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 2 of .*valid.txt has no label"):
        load_splits(DataConfig(source=str(folder)))


def test_eval_and_predict_read_the_labels_apart_from_the_texts(tmp_path, trained):
    easy_run = trained.output
    rows = make_rows(12, seed=5)
    test = _fasttext(tmp_path / "test.txt", rows)
    evaluated = RUNNER.invoke(app, ["eval", str(easy_run), str(test), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert report["n"] == 12 and report["accuracy"] >= 0.9
    # Said, as predict says it (train and eval read the format without a word: a trial).
    assert f"note: {test} read in fastText's format: each line's __label__NAME" in evaluated.stderr
    predicted = RUNNER.invoke(app, ["predict", str(easy_run), "--file", str(test), "--json"])
    assert predicted.exit_code == 0, predicted.output
    results = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert [(result["text"], result["fields"]) for result in results] == [
        (row["text"], {"label": row["label"]}) for row in rows
    ]
    assert predicted.stderr.startswith(f"note: {test} is in fastText's format: each line's __label__")
    # Its csv output is a table eval reads, the true labels beside the predicted ones.
    out = tmp_path / "labelled.csv"
    assert RUNNER.invoke(app, ["predict", str(easy_run), "--file", str(test), "-o", str(out)]).exit_code == 0
    again = json.loads(RUNNER.invoke(app, ["eval", str(easy_run), str(out), "--json"]).stdout)
    assert (again["n"], again["accuracy"]) == (12, report["accuracy"])


def test_an_unlabelled_first_line_and_a_tutorials_folder_are_still_fasttexts(tmp_path):
    """A trial: a comment line at the top made the file "cannot read .train files", and a folder of
    cooking.train, cooking.valid and cooking.test (fastText's tutorial) held "no split files"."""
    rows = make_rows(30)
    path = tmp_path / "commented.train"
    path.write_text(
        "# fetched 2026-12-05\n" + _fasttext(tmp_path / "x.txt", rows).read_text(), encoding="utf-8"
    )
    assert is_fasttext_file(path, encoding="utf-8")
    with pytest.raises(DataError, match=r"^line 1 of .*commented.train has no label"):
        load_splits(DataConfig(source=str(path)))
    tutorial = tmp_path / "cooking"
    tutorial.mkdir()
    _fasttext(tutorial / "cooking.train", rows)
    _fasttext(tutorial / "cooking.valid", make_rows(9, seed=3))
    _fasttext(tutorial / "cooking.test", make_rows(6, seed=4))
    (tutorial / "notes.test").write_text("not labelled\n", encoding="utf-8")  # not fastText's: no split
    splits = load_splits(DataConfig(source=str(tutorial)))
    assert (len(splits.splits["train"].texts), len(splits.splits["validation"].texts)) == (30, 9)


def test_standard_input_in_fasttexts_format_is_read_as_a_file_of_it_is(trained):
    """A trial: `attn predict RUN - < test.txt` classified `__label__tech` with the text, and scored
    2.7 points above `--file test.txt`: the true label leaked into the prediction."""
    rows = make_rows(5, seed=6)
    piped = RUNNER.invoke(
        app, ["predict", str(trained.output), "--json"],
        input="".join(f"__label__{row['label']} {row['text']}\n" for row in rows),
    )  # fmt: skip
    assert piped.exit_code == 0, piped.output
    results = [json.loads(line) for line in piped.stdout.splitlines()]
    assert [(result["text"], result["fields"]) for result in results] == [
        (row["text"], {"label": row["label"]}) for row in rows
    ]
    assert piped.stderr.startswith("note: standard input is in fastText's format")
    # Prose that opens with the word itself is no label: read as it is.
    prose = RUNNER.invoke(app, ["predict", str(trained.output), "--json"], input="__label__ is the prefix\n")
    assert json.loads(prose.stdout)["text"] == "__label__ is the prefix" and "fastText" not in prose.stderr


def test_eval_counts_the_rows_a_model_trained_on_from_one_fasttext_file(tmp_path):
    """`seen_in_training` was null for a run trained on a .train file: only data files were read again."""
    from conftest import TINY_MODEL

    from attncli.checkpoint import load_checkpoint
    from attncli.config_loading import load_config
    from attncli.evaluation import evaluate
    from attncli.train import train

    rows = make_rows(60)
    data = _fasttext(tmp_path / "news.train", rows)
    settings = [*TINY_MODEL, f"data.source={data}", "train.epochs=1", "train.refit_epochs=1"]
    train(load_config(None, settings), output=tmp_path / "run")
    test = _fasttext(tmp_path / "news.test", [*rows[:7], *make_rows(5, seed=9)])
    result = evaluate(load_checkpoint(tmp_path / "run"), str(test))
    assert result.to_json()["seen_in_training"] == 7


def test_what_a_review_found_in_fasttext_input(tmp_path, trained):
    """Mac OS line ends read as one line and one result; a UTF-16 file, or standard input opening
    with an unlabelled line, classified the labels with the text; a multi-label line stopped
    predict; a fastText copy beside a csv of the same split stopped training."""
    run = str(trained.output)
    mac = tmp_path / "mac.txt"
    mac.write_bytes(b"__label__sport tennis goal\r__label__food bread soup\r")
    refused = RUNNER.invoke(app, ["predict", run, "--file", str(mac), "--json"])
    assert refused.exit_code == 2 and "ends its lines with a carriage return alone" in refused.stderr
    mac.rename(tmp_path / "mac.train")
    with pytest.raises(DataError, match="ends its lines with a carriage return alone"):
        load_splits(DataConfig(source=str(tmp_path / "mac.train")))
    wide = tmp_path / "wide.txt"
    wide.write_text("__label__sport tennis goal\n__label__food bread soup\n", encoding="utf-16")
    read = RUNNER.invoke(app, ["predict", run, "--file", str(wide), "--json"])
    assert [json.loads(line)["text"] for line in read.stdout.splitlines()] == ["tennis goal", "bread soup"]
    piped = RUNNER.invoke(
        app, ["predict", run, "--json"], input="a comment\n__label__sport tennis goal\n__label__food soup\n"
    )
    results = [json.loads(line) for line in piped.stdout.splitlines()]
    assert [(r["text"], r["fields"]) for r in results] == [
        ("a comment", {"label": None}), ("tennis goal", {"label": "sport"}), ("soup", {"label": "food"})
    ]  # fmt: skip
    several = tmp_path / "several.txt"
    several.write_text("__label__sport tennis\n__label__food __label__tech bread chip\n", encoding="utf-8")
    carried = RUNNER.invoke(app, ["predict", run, "--file", str(several), "--json"])
    assert [json.loads(line)["fields"]["label"] for line in carried.stdout.splitlines()] == [
        "sport",
        "food tech",
    ]
    folder = tmp_path / "csvs"
    folder.mkdir()
    write_csv(folder / "train.csv", make_rows(30))
    _fasttext(folder / "old.test", make_rows(6))  # a baseline's export beside the csv of the split
    write_csv(folder / "test.csv", make_rows(6, seed=2))
    assert len(load_splits(DataConfig(source=str(folder))).splits["train"].texts) == 27
    utf16 = tmp_path / "utf16"
    utf16.mkdir()
    (utf16 / "train.txt").write_text(
        _fasttext(tmp_path / "t.txt", make_rows(30)).read_text(), encoding="utf-16"
    )
    assert len(load_splits(DataConfig(source=str(utf16))).splits["train"].texts) == 27
