import csv
import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from conftest import make_rows, write_csv, write_jsonl

from attncli.checkpoint import load_checkpoint
from attncli.decimals import float32_list
from attncli.errors import ConfigError, DataError
from attncli.evaluation import evaluate
from attncli.split_choice import VALIDATION_FALLBACK_NOTE, choose_split

JSON_KEYS = {
    "checkpoint", "source", "split", "n", "ignored_unknown", "ignored_unknown_labels", "left_out_invalid",
    "left_out_empty", "seen_in_training",
    "truncated", "tokens", "unknown_tokens", "rows_with_unknown_tokens",
    "accuracy", "macro_f1", "weighted_f1", "top_k_accuracy", "mean_absolute_error", "within_one", "labels",
    "per_class",
    "confusion_matrix",
    "temperature", "calibration", "refitted", "training_ended", "ece", "log_loss", "reliability",
    "thresholds", "min_score", "fallback", "fallback_rows", "below_min_score", "accuracy_at_min_score",
}  # fmt: skip


@pytest.fixture(scope="module")
def loaded(trained):
    return load_checkpoint(trained.output)


def _mislabelled(count: int, *, wrong: int, seed: int = 9) -> list[dict[str, str]]:
    """Easy rows, the first `wrong` of them given the next label round: sure mistakes."""
    rows = make_rows(count, seed=seed)
    names = ["food", "sport", "tech"]
    for row in rows[:wrong]:
        row["label"] = names[(names.index(row["label"]) + 1) % 3]
    return rows


def test_defaults_to_the_training_datas_test_split(loaded, easy_folder):
    result = evaluate(loaded)
    assert (result.source, result.split, result.n) == (str(easy_folder), "test", 90)
    assert result.accuracy >= 0.9
    assert sum(map(sum, result.confusion_matrix)) == 90
    diagonal = sum(result.confusion_matrix[i][i] for i in range(3))
    assert result.accuracy == pytest.approx(diagonal / 90)
    assert [scores.support for scores in result.per_class.values()] == [30, 30, 30]
    # Equal supports: the weighted mean of F1 is the plain one.
    assert result.weighted_f1 == pytest.approx(result.macro_f1)
    report = result.to_json()
    assert set(report) == JSON_KEYS and "errors" not in report
    assert (report["split"], report["ignored_unknown"]) == ("test", 0)
    # Labels that are words have no distance between them.
    assert (report["mean_absolute_error"], report["within_one"]) == (None, None)
    assert report["checkpoint"] == str(loaded.path)  # which folder was scored: a run folder's best/
    # The checkpoint's own temperature: 1, since the easy task's validation split had no mistake
    # to fit one on (tests/test_calibration.py fits them), and the report says so.
    saved = json.loads((loaded.path / "metrics.json").read_text())
    assert report["temperature"] == saved["validation"]["temperature"] == 1.0
    assert saved["validation"]["accuracy"] == 1.0 and report["calibration"] == "no_mistakes"
    # The reliability bins hold every row, and the ECE is their weighted gap.
    bins = result.reliability
    assert sum(item.count for item in bins) == 90
    assert result.ece == pytest.approx(sum(b.count / 90 * abs(b.accuracy - b.confidence) for b in bins))
    assert sum(b.count * b.accuracy for b in bins) == pytest.approx(diagonal)
    assert all(b.lower < b.confidence <= b.upper for b in bins)
    # The log loss is the mean negative log of the calibrated probability of each true label.
    import math

    from attncli.eval_split import load_labelled_split
    from attncli.prediction import predict_probabilities

    data = load_labelled_split(
        loaded, str(easy_folder), split="test", text_column=None, label_column=None, default_source=True
    )
    probabilities = predict_probabilities(loaded, data.labelled.texts)
    labels = data.labelled.labels
    expected = -sum(math.log(probabilities[row, label]) for row, label in enumerate(labels)) / 90
    assert result.log_loss == pytest.approx(expected, rel=1e-5) and 0 < result.log_loss < math.log(3)


def test_the_carved_validation_split_is_rebuilt_exactly(loaded, trained):
    result = evaluate(loaded, split="validation")
    assert (result.split, result.n) == ("validation", trained.info.validation_size)
    assert result.accuracy == trained.best.validation_accuracy
    assert evaluate(loaded, split="dev").to_json() == result.to_json()
    # A split name that is none of them lists the carved one too.
    with pytest.raises(DataError, match=r"no split 'bogus'; the data has test, train, validation \(held out"):
        evaluate(loaded, split="bogus")


def metrics_file_digest(folder: Path) -> str:
    """The validation digest a run's metrics.json recorded (a 64-digit SHA-256)."""
    import json

    metrics = json.loads(
        ((folder / "best" if (folder / "best").is_dir() else folder) / "metrics.json").read_text()
    )
    digest = metrics["validation_digest"]
    assert isinstance(digest, str) and len(digest) == 64
    return digest


def test_training_data_without_a_test_split_is_scored_on_held_out_rows(tmp_path, monkeypatch):
    from conftest import TINY_MODEL

    from attncli.config_loading import load_config
    from attncli.train import train

    path = write_csv(tmp_path / "only.csv", make_rows(60))
    monkeypatch.chdir(tmp_path)  # trained with a path relative to here...
    result = train(
        load_config(None, [*TINY_MODEL, "data.source=only.csv", "train.epochs=1"]), output=tmp_path / "r"
    )
    monkeypatch.chdir(tmp_path / "r")  # ...and evaluated from elsewhere
    checkpoint = load_checkpoint(tmp_path / "r")
    report = evaluate(checkpoint)
    assert (report.split, report.n) == ("validation", result.info.validation_size)
    named = evaluate(checkpoint, str(path))  # named explicitly: every row, headed by the file
    assert (named.split, named.n) == (None, 60)
    # Named explicitly with --split dev: the same held-out rows as training's.
    assert evaluate(checkpoint, str(path), split="dev").to_json() == {**report.to_json(), "source": str(path)}
    with pytest.raises(DataError, match="no split 'test'"):
        evaluate(checkpoint, split="test")  # the training data has none, and its rows are not one
    with pytest.raises(DataError, match="no split 'test': only.csv is the file this model was trained on"):
        evaluate(checkpoint, str(path), split="test")
    # --split train is the rows training learned from: the file without its validation rows.
    for source in (None, str(path)):
        trained_rows = evaluate(checkpoint, source, split="train")
        assert (trained_rows.split, trained_rows.n) == ("train", result.info.train_size)
        assert trained_rows.n + report.n == 60
    # The same rows reordered (sorted in a spreadsheet): the same sizes, but a carve now would hold
    # other rows, most of them trained on; it was scored as validation, without a word.
    original = path.read_text(encoding="utf-8")
    header, *rows = original.splitlines(keepends=True)
    path.write_text(header + "".join(sorted(rows)), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        evaluate(checkpoint)
    assert str(caught.value).startswith(
        f"{path} has changed since the run was trained (the same number of rows, but in another order or "
        "with other texts or labels), so the validation rows it held out cannot be found again"
    )
    assert metrics_file_digest(tmp_path / "r") == metrics_file_digest(tmp_path / "r" / "last")
    path.write_text(original, encoding="utf-8")
    assert evaluate(checkpoint).to_json() == report.to_json()  # put back: the same rows again
    # A run saved before the digest was kept is checked by its sizes alone, as it was then.
    import json

    from attncli.checkpoint_saving import replace_metrics

    older = tmp_path / "older"
    shutil.copytree(tmp_path / "r" / "best", older)
    metrics = json.loads((older / "metrics.json").read_text(encoding="utf-8"))
    replace_metrics(older, {key: value for key, value in metrics.items() if key != "validation_digest"})
    path.write_text(header + "".join(sorted(rows)), encoding="utf-8")
    assert evaluate(load_checkpoint(older)).n == report.n
    path.write_text(original, encoding="utf-8")
    # Rows added since: a carve now would hold other rows, some trained on; it is refused.
    with path.open("a", encoding="utf-8") as file:
        file.writelines(f"more text {n},sport\n" for n in range(20))
    for split in ("validation", "train"):
        with pytest.raises(DataError) as caught:
            evaluate(checkpoint, split=split)
        assert str(caught.value) == (
            f"{path} has changed since the run was trained (72 training and 8 validation texts now, "
            f"{result.info.train_size} and {result.info.validation_size} then), so the validation rows it "
            "held out cannot be found again; put back the data it trained on, or evaluate on a file of its "
            "own (if the data is as it was, this attn reads it otherwise than the one that trained the run)"
        )
    assert evaluate(checkpoint, str(path)).n == 80  # named whole, it is a file like any other


def test_the_training_data_is_found_by_its_recorded_path_before_a_namesake_here(tmp_path, monkeypatch):
    """A relative source typed at training time names another file from another folder: the
    recorded absolute path wins while it exists; once it is gone, the namesake is used and said."""
    from conftest import TINY_MODEL

    from attncli.config_loading import load_config
    from attncli.train import train

    (tmp_path / "trained").mkdir()
    (tmp_path / "elsewhere").mkdir()
    write_csv(tmp_path / "trained" / "d.csv", make_rows(60))
    namesake = write_csv(tmp_path / "elsewhere" / "d.csv", make_rows(60))  # a copy, as if moved
    monkeypatch.chdir(tmp_path / "trained")
    result = train(
        load_config(None, [*TINY_MODEL, "data.source=d.csv", "train.epochs=1"]), output=tmp_path / "r"
    )
    monkeypatch.chdir(tmp_path / "elsewhere")
    checkpoint = load_checkpoint(tmp_path / "r")
    report = evaluate(checkpoint)
    # Its validation rows, as it has no test split: said to flatter the model (an annotation
    # workflow's trial read them as new data's scores).
    assert report.source == str(tmp_path / "trained" / "d.csv") and report.notes == (
        VALIDATION_FALLBACK_NOTE,
    )
    assert (report.split, report.n) == ("validation", result.info.validation_size)
    (tmp_path / "trained" / "d.csv").unlink()
    moved = evaluate(checkpoint)
    assert moved.source == "d.csv" and moved.to_json()["accuracy"] == report.to_json()["accuracy"]
    assert (
        moved.notes[0]
        == f"the training data is no longer at {tmp_path / 'trained' / 'd.csv'}; using d.csv from this folder"
    )
    write_csv(namesake, make_rows(90, seed=1))  # a namesake of other rows: its carve is not the run's
    with pytest.raises(DataError, match=r"d.csv has changed since the run was trained \(81 training and 9"):
        evaluate(checkpoint)
    namesake.unlink()
    gone = rf"{tmp_path / 'r' / 'best'} records its training data as {tmp_path / 'trained' / 'd.csv'} which"
    with pytest.raises(
        DataError, match=gone + rf" is not there from here \({tmp_path / 'elsewhere'}\); pass DATA"
    ):
        evaluate(checkpoint)
    # A checkpoint saved before attn recorded the absolute path has only the path as typed: it is
    # read from the folder attn runs in, which is said, or named when nothing is there.
    import dataclasses

    old = dataclasses.replace(checkpoint, header={**checkpoint.header, "data_path": None})
    with pytest.raises(DataError, match=r"records its training data as d.csv, a path relative to the folder"):
        evaluate(old)
    write_csv(namesake, make_rows(60))
    assert evaluate(old).notes[0] == (
        f"{checkpoint.path} records its training data only as it was typed, d.csv, so it is read from this "
        f"folder ({namesake}); pass DATA if that is not the data it trained on"
    )


def test_the_training_data_is_read_again_in_its_encoding(tmp_path, monkeypatch):
    from conftest import TINY_MODEL

    from attncli.config_loading import load_config
    from attncli.train import train

    rows = make_rows(60)
    path = tmp_path / "latin.csv"
    path.write_bytes(
        ("text,label\n" + "".join(f"caf\xe9 {r['text']},{r['label']}\n" for r in rows)).encode("latin-1")
    )
    monkeypatch.chdir(tmp_path)
    settings = [*TINY_MODEL, "data.source=latin.csv", "data.encoding=latin-1", "train.epochs=1"]
    result = train(load_config(None, settings), output=tmp_path / "r")
    report = evaluate(load_checkpoint(tmp_path / "r"))  # recorded as an absolute path: still latin-1
    assert (report.split, report.n) == ("validation", result.info.validation_size)
    named = evaluate(load_checkpoint(tmp_path / "r"), str(path))
    assert named.n == 60


def test_a_single_file_is_evaluated_whole_with_other_column_names(loaded, tmp_path):
    path = write_csv(
        tmp_path / "test.csv", make_rows(21, seed=9), text_column="content", label_column="category"
    )
    result = evaluate(loaded, str(path))
    # The column read in place of the model's own is said, as predict says it (both were silent).
    chosen = (
        "warning: test.csv: using text column 'content', as it has none named 'text' (the column the "
        "model was trained on); --text-column chooses another"
    )
    assert (result.source, result.split, result.n, result.notes) == (str(path), None, 21, (chosen,))
    assert result.to_json()["split"] is None
    assert evaluate(loaded, str(path), text_column="content").notes == ()  # named: nothing to say
    # With a label column found loosely too, both choices are said.
    loose = write_csv(
        tmp_path / "loose.csv", make_rows(21, seed=9), text_column="review", label_column="Label "
    )
    assert evaluate(loaded, str(loose)).notes == (
        "loose.csv: using label column 'Label ', chosen by name (--label-column chooses another)",
        "warning: loose.csv: using text column 'review', as it has none named 'text' (the column the "
        "model was trained on); --text-column chooses another",
    )
    # A split name does not apply to one file: it is still evaluated whole, with a note saying so.
    asked = evaluate(loaded, str(path), split="test")
    assert (asked.split, asked.n, asked.accuracy) == (None, 21, result.accuracy)
    assert asked.notes == (
        chosen,
        "test.csv is a single file, evaluated whole (--split test is for folders of splits)",
    )
    with pytest.raises(DataError, match="no split 'bogus': test.csv is a single file"):
        evaluate(loaded, str(path), split="bogus")


def test_one_saved_dataset_is_evaluated_whole_as_a_single_file_is(loaded, tmp_path):
    """A Dataset saved alone (save_to_disk of a test split) was headed [train], and --split test
    found no split 'test'."""
    from datasets import Dataset

    Dataset.from_list(make_rows(21, seed=9)).with_format("torch").save_to_disk(str(tmp_path / "test"))
    whole = evaluate(loaded, str(tmp_path / "test"))
    assert (whole.split, whole.n, whole.notes) == (None, 21, ())
    asked = evaluate(loaded, str(tmp_path / "test"), split="test")
    assert (asked.split, asked.n, asked.accuracy) == (None, 21, whole.accuracy)
    assert asked.notes == (
        "test is one saved dataset, evaluated whole (--split test is for folders of splits)",
    )


def test_a_test_split_whose_labels_are_withheld_gives_way_to_validation(loaded, tmp_path):
    """A GLUE-style dataset, its test labels all -1: eval stopped at row 1's missing label, and with
    --drop-invalid at "every row has no text or no label"."""
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=["food", "sport", "tech"])})
    rows = make_rows(30, seed=9)
    labelled = Dataset.from_dict(
        {"text": [row["text"] for row in rows], "label": [row["label"] for row in rows]},
        features=Features({"text": Value("string"), "label": Value("string")}),
    ).cast(features)
    withheld = Dataset.from_dict(
        {"text": [row["text"] for row in rows], "label": [-1] * 30}, features=features
    )
    DatasetDict({"train": labelled, "validation": labelled, "test": withheld}).save_to_disk(
        str(tmp_path / "glue")
    )
    report = evaluate(loaded, str(tmp_path / "glue"))
    assert (report.split, report.n) == ("validation", 30)
    assert report.notes[0] == (
        f"split 'test' of {tmp_path / 'glue'} has no labels (every row's is empty, or -1 of a ClassLabel: a "
        "test set whose labels are withheld, as GLUE's are); evaluated the validation split instead"
    )
    with pytest.raises(DataError, match=r"GLUE's are\); evaluate a split with labels \(--split NAME\)"):
        evaluate(loaded, str(tmp_path / "glue"), split="test", drop_invalid=True)
    # A competition's test file holds texts alone: no label column to find, so validation too.
    (tmp_path / "kaggle").mkdir()
    write_csv(tmp_path / "kaggle" / "validation.csv", rows)
    (tmp_path / "kaggle" / "test.csv").write_text("text\n" + "".join(f"{row['text']}\n" for row in rows))
    report = evaluate(loaded, str(tmp_path / "kaggle"))
    assert (report.split, report.n) == ("validation", 30)
    assert report.notes[0] == (
        f"{tmp_path / 'kaggle' / 'test.csv'} has no label column; evaluated the validation split instead"
    )
    with pytest.raises(DataError, match="^no label column found \\(pass --label-column to name one\\)"):
        evaluate(loaded, str(tmp_path / "kaggle"), split="test")
    # A file whose label column is empty throughout says so too, where row 1 was named.
    empty = write_csv(tmp_path / "empty.csv", [{**row, "label": ""} for row in rows])
    with pytest.raises(DataError, match=r"^empty.csv has no labels \(every row's is empty"):
        evaluate(loaded, str(empty))


def test_the_python_api_evaluates_a_dataset_object_as_its_saved_twin(loaded, tmp_path):
    """A data scientist's Dataset was a TypeError ('expected str, bytes or os.PathLike object')."""
    from datasets import Dataset, DatasetDict

    rows = Dataset.from_list(_mislabelled(30, wrong=4))
    rows.save_to_disk(str(tmp_path / "one"))
    saved = evaluate(loaded, str(tmp_path / "one"), errors=2).to_json()
    assert evaluate(loaded, tmp_path / "one", errors=2).to_json() == saved  # a Path was a TypeError
    given = evaluate(loaded, rows, errors=2).to_json()
    assert (given["source"], given["split"]) == ("the Dataset given", None)
    assert {**given, "source": saved["source"]} == saved
    both = DatasetDict({"train": rows.select(range(10)), "test": rows})
    report = evaluate(loaded, both)  # the test split, as for a folder of splits
    assert (report.source, report.split, report.n, report.accuracy) == (
        "the DatasetDict given",
        "test",
        30,
        given["accuracy"],
    )
    with pytest.raises(DataError, match="^no split 'validation' in the DatasetDict given"):
        evaluate(loaded, both, split="validation")
    with pytest.raises(TypeError, match="a DatasetDict or a pandas DataFrame, not list$"):
        evaluate(loaded, [{"text": "soup", "label": "food"}])


def test_the_python_api_evaluates_a_dataframe_as_the_dataset_it_makes(loaded):
    """A notebook's test rows are a DataFrame more often than not: it was refused."""
    import pandas as pd
    from datasets import Dataset

    rows = _mislabelled(30, wrong=4)
    frame = pd.DataFrame(rows)
    expected = evaluate(loaded, Dataset.from_list(rows), errors=2).to_json()
    given = evaluate(loaded, frame, errors=2).to_json()
    assert given["source"] == "the DataFrame given"
    assert {**given, "source": expected["source"]} == expected
    # A filtered frame keeps its index, which is no column of the data.
    kept = frame[frame.index % 2 == 1]
    report = evaluate(loaded, kept, errors=30)
    assert report.n == 15
    assert "__index_level_0__" not in json.dumps(report.to_json())
    # A column of several types is read as text, as a csv of the frame is: Arrow's "Could not convert
    # 'tech' with type str: tried to convert to int64" was the message (a notebook user's trial).
    mixed = pd.DataFrame({"text": ["soup", 5, None], "label": ["food", 0, "food"]})
    with pytest.raises(DataError, match="labels the model never saw.*'0'"):
        evaluate(loaded, mixed)
    read = evaluate(loaded, mixed.assign(label="food"), drop_invalid=True)
    assert read.n == 2 and (
        "the DataFrame's column 'text' holds values of several types: read as text" in read.notes
    ), read.notes
    # pandas' NA is missing there too, not the text '<NA>'; another column Arrow cannot read is an
    # attn error still (a review).
    assert evaluate(loaded, mixed.assign(label="food", text=["soup", 5, pd.NA]), drop_invalid=True).n == 2
    with pytest.raises(DataError, match="^the DataFrame given cannot be read as a table of texts"):
        evaluate(loaded, mixed.assign(label="food", tags=[[1, "a"], [2], []]))


def test_texts_cut_at_max_length_are_counted_in_a_note(loaded, tmp_path):
    rows = make_rows(10, seed=9)
    for row in rows[:3]:  # 40 words: past the model's max_length of 32 tokens
        row["text"] = " ".join([row["text"]] * 10)
    result = evaluate(loaded, str(write_csv(tmp_path / "long.csv", rows)))
    assert result.notes == (
        "note: 3 of 10 texts were longer than the model's max_length (32 tokens); only their first 32 "
        "tokens were read (where a text's end decides, as a stack trace's cause or a letter's closing "
        "request does, train with --set model.truncation=head+tail to read it too)",
    )  # predict said so; eval of the same texts did not
    assert result.to_json()["truncated"] == 3


def test_the_share_of_tokens_the_model_did_not_know_is_counted_and_noted(loaded, tmp_path):
    """Eval gave no hint that 60% of a test set's tokens were unknown to a model trained on 150
    headlines: its low accuracy read as a poor model rather than a vocabulary that missed the data."""
    from attncli.tokenization import token_ids
    from attncli.tokenizer import UNK_TOKEN

    rows = make_rows(10, seed=9)
    for row in rows[:4]:
        row["text"] += " zqxj wvkp"  # two words no training row has
    result = evaluate(loaded, str(write_csv(tmp_path / "new.csv", rows)))
    ids = [ids for ids, _ in token_ids(loaded.tokenizer, [row["text"] for row in rows], max_length=32)]
    unknown = loaded.tokenizer.token_to_id(UNK_TOKEN)
    expected = sum(sequence.count(unknown) for sequence in ids)
    assert expected >= 8 and result.unknown_tokens == expected and result.tokens == sum(map(len, ids))
    assert result.rows_with_unknown_tokens == 4 and result.to_json()["unknown_tokens"] == expected
    assert result.notes == (
        f"unknown to the model: {expected / result.tokens:.1%} of the {result.tokens} tokens read, in 4 of "
        "the 10 texts (each read as the unknown token: words training never saw, or saw too rarely to keep)",
    )
    known = evaluate(loaded, str(write_csv(tmp_path / "known.csv", make_rows(10, seed=9))))
    assert known.unknown_tokens == 0 and known.rows_with_unknown_tokens == 0 and known.notes == ()


def test_split_aliases_name_a_folders_validation_split(loaded, tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(30, seed=3))
    write_csv(tmp_path / "validation.csv", make_rows(12, seed=4))
    for alias in ("dev", "valid", "val", "VALIDATION"):
        result = evaluate(loaded, str(tmp_path), split=alias)
        assert (result.split, result.n) == ("validation", 12)
    assert choose_split(["train", "dev"], "validation") == "dev"  # and the other way round
    with pytest.raises(DataError, match="no split 'test'; the data has train, validation"):
        evaluate(loaded, str(tmp_path), split="test")
    (tmp_path / "validation.csv").rename(tmp_path / "test.csv")  # a copy of data that had its carve
    with pytest.raises(DataError) as caught:
        evaluate(loaded, str(tmp_path), split="validation")
    assert str(caught.value) == (
        f"no split 'validation' in {tmp_path} (it has test, train); the model's validation rows are "
        f"in the data it trained on, {loaded.config.data.source}: evaluate that with --split validation, "
        "or another split here"
    )
    # The data it trained on is named by its recorded absolute path, not as it was typed (a relative
    # path typed in another folder could name this very folder from here).
    import dataclasses

    (tmp_path / "original").mkdir()
    elsewhere = dataclasses.replace(loaded, header={**loaded.header, "data_path": str(tmp_path / "original")})
    with pytest.raises(DataError, match=f"in the data it trained on, {tmp_path / 'original'}: evaluate"):
        evaluate(elsewhere, str(tmp_path), split="validation")


def test_labels_the_model_never_saw_are_named_or_dropped(loaded, tmp_path):
    guitar = {"text": "Guitar on the stage today", "label": "music"}
    rows = [guitar, {"text": "Paint and a brush", "label": "art"}, *_mislabelled(12, wrong=3), guitar]
    path = write_jsonl(tmp_path / "new.jsonl", rows)
    with pytest.raises(
        DataError, match=r"'music' \(2 rows\), 'art' \(1 row\).*--ignore-unknown-labels"
    ):  # commonest first
        evaluate(loaded, str(path))
    result = evaluate(loaded, str(path), ignore_unknown_labels=True, errors=20)
    assert (result.n, result.ignored_unknown, result.to_json()["ignored_unknown"]) == (12, 3, 3)
    assert result.to_json()["ignored_unknown_labels"] == {"music": 2, "art": 1}  # commonest first
    from attncli.unknown_labels import ignored_note, look_alike_hint

    # Every known label it may be is named, and a number written another way is one in another form
    assert look_alike_hint(["TECH", "007"], ["Tech", "tech", "7", "food"]) == (
        " ('TECH' is 'Tech' or 'tech' in another case, '007' is '7' in another form)"
    )
    assert look_alike_hint(["\u00b2"], ["food", "sport"]) == ""  # a digit int() cannot read: no crash
    # Star ratings 1-3 as ClassLabel indices 0-2 (a trial's `Dataset.to_csv`): only 0 is unknown,
    # and the flag the error offers scored the other rows a class off (0% accuracy).
    assert look_alike_hint(["0"], ["1", "2", "3"]) == (
        " (if these are indices of the model's labels, as a ClassLabel column exports them, every row's "
        "label is one of them, and the rows of the labels it knows would be scored as the wrong class: "
        "write the labels instead: 0 is '1', 1 is '2', 2 is '3')"
    )
    assert look_alike_hint(["3"], ["0", "1", "2"]) == ""  # labels named as indices: nothing shifted
    assert look_alike_hint(["7"], ["1", "2", "3"]) == ""  # not an index of them
    # A typo, or a label typed without its accent, gets the nearest label (a trial's class weights)
    assert look_alike_hint(["cafe", "buisness", "zzz"], ["business", "café", "sad"]) == (
        " ('cafe' may be 'café', 'buisness' may be 'business')"
    )
    assert look_alike_hint(["unhappy"], ["happy", "sad"]) == ""  # no typo of it
    # Spacing set aside too; a sibling of a long shared path is no slip (a trial of 396 labels was
    # told '... > Storage Boxes' may be '... > Shoe Racks', and a new leaf 'Herbal Tea' 'Black Tea').
    shelves = ["Home > Storage > Shoe Racks", "Home > Storage > Storage Boxes", "Drinks > Tea > Black Tea"]
    assert look_alike_hint(["Home>Storage>Storage Boxes", "Home > Storage > Shoe Rack"], shelves) == (
        " ('Home>Storage>Storage Boxes' is 'Home > Storage > Storage Boxes' in another form, "
        "'Home > Storage > Shoe Rack' may be 'Home > Storage > Shoe Racks')"
    )
    assert look_alike_hint(["Home > Storage > Storage Bins", "Drinks > Tea > Herbal Tea"], shelves) == ""
    # A letter's difference in a short name is another word: 'neu' is no 'neg', 'hr' no 'hw'.
    assert look_alike_hint(["neu", "hr", "D"], ["pos", "neg", "hw", "C"]) == ""
    assert look_alike_hint(["tach"], ["tech", "food"]) == " ('tach' may be 'tech')"
    # A checkpoint trained on JSON whose dates were read with a time (until 2026-12-05): the labels
    # of its own data are unknown to it now, and the error says why and what to do
    assert look_alike_hint(["2024-01-01"], ["2024-01-01 00:00:00", "2024-02-01 00:00:00"]) == (
        " ('2024-01-01' is '2024-01-01 00:00:00': attn read dates in JSON with a time until 2026-12-05; "
        "train again to name the labels as written)"
    )
    assert look_alike_hint(["2024"], ["2020", "2021", "2022", "2023"]) == ""  # another number, not a slip
    # What was left out is named, with what it may be instead (the flag hid the error's hint)
    assert ignored_note({"Sport": 2, "art": 1}, result.labels) == (
        "ignored 3 rows whose label the model never saw: 'Sport' (2 rows), 'art' (1 row) ('Sport' is "
        "'sport' in another case)"
    )
    # Mistakes name their row in the file, counted before the unknown rows were dropped.
    assert result.errors and {m.index for m in result.errors} >= {2, 3, 4}
    for mistake in result.errors:
        assert (mistake.text, mistake.label) == (rows[mistake.index]["text"], rows[mistake.index]["label"])
    music = write_jsonl(tmp_path / "music.jsonl", [guitar])
    with pytest.raises(DataError, match="every row of music.jsonl"):
        evaluate(loaded, str(music), ignore_unknown_labels=True)
    # ... with what they may be instead, which the flag had hidden (a model of two labels it may be)
    two_sports = dataclasses.replace(loaded, label_names=["food", "Sport", "sport"])
    upper = write_jsonl(tmp_path / "upper.jsonl", [{**guitar, "label": "SPORT"}])
    with pytest.raises(
        DataError, match=r"every row of upper.jsonl .*\('SPORT' is 'Sport' or 'sport' in another case\)"
    ):
        evaluate(two_sports, str(upper), ignore_unknown_labels=True)
    # A known label written another way is said to be one, and to be written as the model writes it
    # (a label in another case that is one of the model's is read as it:
    # test_labels_in_another_case_are_read_as_the_models_one).
    arrival = dataclasses.replace(loaded, label_names=["food", "card arrival", "tech"])
    dashed = write_jsonl(tmp_path / "dashed.jsonl", [{**guitar, "label": "card_arrival"}])
    with pytest.raises(DataError) as refused:
        evaluate(arrival, str(dashed))
    assert str(refused.value) == (
        "dashed.jsonl has labels the model never saw: 'card_arrival' (1 row) ('card_arrival' is "
        "'card arrival' in another form); it knows food, card arrival, tech. Write each of those labels as "
        "the model writes it, or pass --ignore-unknown-labels to evaluate without those rows"
    )


def test_labels_in_another_case_are_read_as_the_models_one(loaded, tmp_path):
    """A trial: a model of praise, complaint, ... refused a file of Praise, Complaint ("retrain with
    data that has them"; --ignore-unknown-labels dropped every row). A label that is one of the
    model's once case, spacing and character forms are set aside is read as that one, and said."""
    rows = _mislabelled(12, wrong=3)
    exact = evaluate(loaded, str(write_csv(tmp_path / "exact.csv", rows)))
    cased = [
        {**row, "label": {"food": "Food", "sport": "ＳＰＯＲＴ", "tech": "tech"}[row["label"]]}
        for row in rows
    ]
    result = evaluate(loaded, str(write_csv(tmp_path / "cased.csv", cased)), errors=3)
    # Scored on the model's labels: the three sure mistakes are the only ones (9 of 12 right).
    assert (result.n, result.accuracy, result.ignored_unknown) == (12, pytest.approx(9 / 12), 0)
    assert result.confusion_matrix == exact.confusion_matrix and result.macro_f1 == exact.macro_f1
    assert {mistake.label for mistake in result.errors or []} <= {"food", "sport", "tech"}
    food, sport, tech = (sum(row["label"] == label for row in rows) for label in ("food", "sport", "tech"))
    read = (
        f"read 'Food' as the model's 'food' ({food} rows), 'ＳＰＯＲＴ' as 'sport' ({sport} rows), labels "
        "compared ignoring case, spacing and the form of characters"
    )
    assert f"cased.csv: {read}" in result.notes
    only_case = evaluate(loaded, str(write_csv(tmp_path / "food.csv", [{**rows[0], "label": "FOOD"}])))
    read = "read 'FOOD' as the model's 'food' (1 row), labels compared ignoring case"
    assert only_case.n == 1 and f"food.csv: {read}" in only_case.notes
    # Where two of the model's labels fold alike, which one is meant is not guessed; the advice is to
    # write the labels as the model does, not to retrain.
    two_sports = dataclasses.replace(loaded, label_names=["food", "Sport", "sport"])
    with pytest.raises(DataError) as refused:
        evaluate(two_sports, str(tmp_path / "cased.csv"))
    assert str(refused.value).endswith(
        f"has labels the model never saw: 'tech' ({tech} rows), 'ＳＰＯＲＴ' ({sport} rows) ('ＳＰＯＲＴ' is "
        "'Sport' or 'sport' in another form); it knows food, Sport, sport. Write the labels that are the "
        "model's written another way as the model writes them; pass --ignore-unknown-labels to evaluate "
        "without the rows of the others, or retrain with data that has them"
    )
    with pytest.raises(
        DataError,
        match=r"\('SPORT' is 'Sport' or 'sport' in another case\); it knows food, Sport, "
        r"sport\. Write each of those labels as the model writes it, or pass --ignore-unknown-labels",
    ):
        evaluate(two_sports, str(write_csv(tmp_path / "upper.csv", [{**rows[1], "label": "SPORT"}])))


def test_rows_left_out_for_no_text_are_not_checked_for_unknown_labels(loaded, tmp_path):
    """--drop-invalid leaves a row with no text out before its label is read: an unknown label there
    is neither an error nor counted as ignored."""
    rows = [{"text": "", "label": "music"}, *_mislabelled(6, wrong=0)]
    path = write_csv(tmp_path / "blank.csv", rows)
    with pytest.raises(DataError, match="'music' \\(1 row\\)"):  # read without --drop-invalid
        evaluate(loaded, str(path))
    result = evaluate(loaded, str(path), drop_invalid=True)
    assert (result.n, result.ignored_unknown, result.to_json()["left_out_invalid"]) == (6, 0, 1)


def test_errors_are_the_most_confident_mistakes_first(loaded, tmp_path):
    path = write_csv(tmp_path / "test.csv", _mislabelled(30, wrong=8))
    everything = evaluate(loaded, str(path), errors=100)
    assert everything.errors is not None
    wrong = everything.n - sum(everything.confusion_matrix[i][i] for i in range(3))
    assert len(everything.errors) == wrong >= 8
    assert all(m.label != m.predicted for m in everything.errors)
    scores = [m.score for m in everything.errors]
    assert scores == sorted(scores, reverse=True) and all(1 / 3 <= score <= 1 for score in scores)
    top = evaluate(loaded, str(path), errors=3)
    assert top.errors == everything.errors[:3]
    assert top.to_json()["errors"][0] == {
        "index": top.errors[0].index, "line": top.errors[0].index + 2, "text": top.errors[0].text,
        "label": top.errors[0].label,
        "predicted": top.errors[0].predicted, "score": float32_list([top.errors[0].score])[0], "fields": {},
    }  # fmt: skip
    assert len(repr(top.to_json()["errors"][0]["score"])) < 12  # the float32's decimal, not 17 digits
    # The row's other columns come along, so a mistake is found by its id, not only by its row.
    ids = tmp_path / "ids.csv"
    with ids.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["ticket_id", "text", "label"])
        for row, values in enumerate(_mislabelled(30, wrong=8)):
            writer.writerow([f"T{row:03d}", values["text"], values["label"]])
    identified = evaluate(loaded, str(ids), errors=3).errors
    assert identified and [m.index for m in identified] == [m.index for m in top.errors]
    assert all(m.fields == {"ticket_id": f"T{m.index:03d}"} for m in identified)
    # JSON lines: as written, as predict carries them (a trial: eval gave dates a time, moved a
    # timestamp to UTC without its offset, and made the ids floats once one passed 64 bits: an
    # integer past 64 bits, which no Arrow column holds, comes back as its digits)
    rows = _mislabelled(30, wrong=8)
    for row, values in enumerate(rows):
        values |= {
            "id": 2**64 + row if row % 2 else row,
            "created": "2024-04-16",
            "at": "2024-04-16T10:55:00+02:00",
        }
        values |= {"customer": {"since": "2020-01-31", "n": row}}
    written = evaluate(loaded, str(write_jsonl(tmp_path / "ids.jsonl", rows)), errors=3).errors
    assert written and [m.index for m in written] == [m.index for m in top.errors]
    assert [m.fields for m in written] == [
        {key: rows[m.index][key] for key in ("created", "at", "customer")}
        | {"id": rows[m.index]["id"] if m.index % 2 == 0 else str(rows[m.index]["id"])}
        for m in written
    ]
    assert {m.index % 2 for m in written} == {0, 1}


def test_mistakes_are_named_by_the_line_their_row_starts_on(loaded, tmp_path):
    """An analyst went to row 305 of a sheet for a mistake listed as "row 305", which quoted texts
    of several lines before it put on a later line: the line is given beside the row, as every
    other message names a row; data without lines (parquet) keeps the row alone."""
    import pandas as pd

    spanning = [{"text": f"{row['text']}\nsecond line\nthird", "label": row["label"]} for row in make_rows(6)]
    rows = [*spanning, *_mislabelled(30, wrong=8)]
    path = write_csv(tmp_path / "quoted.csv", rows)
    starts = [2 + 3 * min(row, 6) + max(row - 6, 0) for row in range(len(rows))]  # 6 rows of 3 lines
    assert path.read_text().count("\n") == starts[-1]  # as written: header, 6 x 3 lines, 30 x 1
    result = evaluate(loaded, str(path), errors=10)
    assert result.errors and any(mistake.index >= 6 for mistake in result.errors)
    assert [mistake.line for mistake in result.errors] == [starts[mistake.index] for mistake in result.errors]
    reported = result.to_json()["errors"]
    assert [(entry["index"], entry["line"]) for entry in reported] == [
        (mistake.index, starts[mistake.index]) for mistake in result.errors
    ]
    records = write_jsonl(tmp_path / "quoted.jsonl", rows)
    records.write_text("\n" + records.read_text().replace("\n", "\n\n", 3))  # blank lines hold no record
    lines = [mistake.line for mistake in evaluate(loaded, str(records), errors=10).errors or []]
    assert lines == [row + 2 + min(row, 3) for row in (mistake.index for mistake in result.errors)]
    pd.DataFrame(rows).to_parquet(tmp_path / "quoted.parquet")
    stored = evaluate(loaded, str(tmp_path / "quoted.parquet"), errors=10)
    assert stored.errors and [mistake.index for mistake in stored.errors] == [m.index for m in result.errors]
    assert all(entry["line"] is None for entry in stored.to_json()["errors"])


def test_choose_split():
    assert choose_split(["train"], None) == "train"
    assert choose_split(["train", "validation", "test"], None) == "test"
    assert choose_split(["train", "validation"], None) == "validation"
    assert choose_split(["train", "dev"], None) == "dev"
    assert choose_split(["train", "test"], "train") == "train"
    with pytest.raises(DataError, match="no split 'dev'"):
        choose_split(["train", "test"], "dev")


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_attn_predicts_output_is_scored_against_its_true_labels_never_its_predictions(
    loaded, trained, tmp_path, suffix
):
    from typer.testing import CliRunner

    from attncli.cli import app

    rows = _mislabelled(30, wrong=8)
    truth = write_csv(tmp_path / "test.csv", rows, label_column="category")
    plain = tmp_path / "texts.txt"
    plain.write_text("".join(f"{row['text']}\n" for row in rows))
    for source, name in ((truth, f"scored.{suffix}"), (plain, f"plain.{suffix}")):
        result = CliRunner().invoke(
            app, ["predict", str(trained.output), "-f", str(source), "-o", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
    # The predictions carry the true labels along; eval reads those, as from the file predict read.
    scored = evaluate(loaded, str(tmp_path / f"scored.{suffix}"))
    assert scored.to_json() | {"source": None} == evaluate(loaded, str(truth)).to_json() | {"source": None}
    assert scored.accuracy < 1 and scored.notes[-1].startswith(f"scored.{suffix} is attn predict's output")
    # Output of texts without labels holds none: refused, never scored as 100%.
    with pytest.raises(
        DataError, match=f"plain.{suffix} is attn predict's output, whose column .*label"
    ) as refused:
        evaluate(loaded, str(tmp_path / f"plain.{suffix}"))
    # It names the column to pass where an annotator corrected the predictions, not a list of the
    # table's columns without the ones predict added (a trial: "has columns 'id', 'text'").
    assert str(refused.value).endswith(
        "where they were checked or corrected by hand, name it: --label-column label"
    )
    # With the text column wrong too, naming the label column would not do: the text's problem is said.
    with pytest.raises(DataError, match=r"no other label column was found; and .*'body'") as refused:
        evaluate(loaded, str(tmp_path / f"plain.{suffix}"), text_column="body")
    assert "--label-column label" not in str(refused.value)


def test_an_output_of_predict_run_on_an_output_of_predict_is_never_scored_on_predictions(
    loaded, trained, tmp_path
):
    """Its "fields.label" is the first run's prediction; the true label is a level further down
    (JSON, or a csv's column fields.fields.label): scored on the truth, or refused."""
    from typer.testing import CliRunner

    from attncli.cli import app

    rows = _mislabelled(30, wrong=8)
    truth = write_csv(tmp_path / "test.csv", rows)
    plain = tmp_path / "texts.txt"
    plain.write_text("".join(f"{row['text']}\n" for row in rows))
    chains = [("once.jsonl", "twice.jsonl"), ("once.jsonl", "twice.csv"), ("once.csv", "csv_then.jsonl")]
    for source, prefix in ((truth, ""), (plain, "plain_")):
        for first, again in ((prefix + first, prefix + again) for first, again in chains):
            for read, written in ((source, first), (tmp_path / first, again)):
                result = CliRunner().invoke(
                    app, ["predict", str(trained.output), "-f", str(read), "-o", str(tmp_path / written)]
                )
                assert result.exit_code == 0, result.output
    # A third run, into a csv: fields.label holds the first run's predictions, fields.fields.label the truth.
    thrice = CliRunner().invoke(
        app,
        [
            "predict",
            str(trained.output),
            "-f",
            str(tmp_path / "twice.jsonl"),
            "-o",
            str(tmp_path / "thrice.csv"),
        ],
    )
    assert thrice.exit_code == 0, thrice.output
    expected = evaluate(loaded, str(truth)).to_json() | {"source": None}
    for name in ("twice.jsonl", "csv_then.jsonl", "twice.csv", "thrice.csv"):
        # A csv's nested fields are columns (fields.label): its truth is read, never a prediction.
        assert evaluate(loaded, str(tmp_path / name)).to_json() | {"source": None} == expected, name
    for name in ("plain_twice.jsonl", "plain_twice.csv", "plain_csv_then.jsonl"):
        with pytest.raises(DataError, match=f"{name} is attn predict's output, whose column .*label"):
            evaluate(loaded, str(tmp_path / name))


def test_a_trimmed_output_of_predict_is_scored_on_the_true_labels_not_its_attn_label(loaded, tmp_path):
    """predict heads its label attn_label beside a label-like column; label detection took it by the
    word "label" in its name, so essay,grade,attn_label was scored against its own predictions."""
    rows = _mislabelled(30, wrong=8)
    truth = evaluate(loaded, str(write_csv(tmp_path / "truth.csv", rows))).to_json() | {"source": None}
    trimmed = tmp_path / "trimmed.csv"
    with trimmed.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["essay", "grade", "attn_label"])
        writer.writerows([row["text"], row["label"], "food"] for row in rows)
    report = evaluate(loaded, str(trimmed))
    assert report.to_json() | {"source": None} == truth
    assert "trimmed.csv: using label column 'grade', chosen by name (--label-column chooses another)" in (
        report.notes
    )
    alone = tmp_path / "alone.csv"
    alone.write_text("text,attn_label\n" + "".join(f"{row['text']},food\n" for row in rows))
    with pytest.raises(DataError) as refused:
        evaluate(loaded, str(alone))
    assert str(refused.value) == (
        "no label column found (pass --label-column to name one); 'attn_label' holds attn predict's "
        "predictions, not true labels; alone.csv has columns 'text', 'attn_label'"
    )
    named = evaluate(loaded, str(alone), label_column="attn_label")  # named, it is read all the same
    assert named.n == 30 and named.per_class["food"].support == 30


def test_the_output_of_predict_by_another_model_is_never_scored_on_its_predictions(loaded, tmp_path):
    """A labelling loop's model of 5 labels scored 60.1% against the predictions of the model of 4
    before it (its prob_ columns name other labels), exit 0, with a hedged warning only."""
    rows = _mislabelled(12, wrong=0)
    other = tmp_path / "other.csv"
    header = "text,label,score,prob_north,prob_south,reason\n"
    other.write_text(header + "".join(f"{row['text']},north,0.9,0.9,0.1,\n" for row in rows))
    with pytest.raises(DataError, match="other.csv is attn predict's output, whose column 'label' holds"):
        evaluate(loaded, str(other))


def test_eval_reports_its_progress_through_the_rows(loaded):
    calls: list[tuple[int, int]] = []
    result = evaluate(loaded, batch_size=8, on_batch=lambda done, total: calls.append((done, total)))
    done = [call[0] for call in calls]
    assert len(calls) >= result.n // 8 and done == sorted(done) and calls[-1] == (result.n, result.n)


def test_rows_whose_text_was_trained_on_are_counted_and_said(loaded, tmp_path, monkeypatch):
    """The training data's test split may repeat training texts (BBC News does, 28 of 444 articles):
    eval counts them, ignoring case and spacing, so the user knows the score is partly memory."""
    import dataclasses

    from attncli.carving import stratified_split

    train_rows = make_rows(300, seed=1)  # the easy folder's training rows
    labels = [loaded.label_names.index(row["label"]) for row in train_rows]
    kept, carved = stratified_split(labels, fraction=0.1, seed=0)  # training's carve: it hangs on labels
    # Two validation rows repeat a training row of their label, in other case and spacing.
    for validation_row in carved[:2]:
        twin = next(row for row in kept if labels[row] == labels[validation_row])
        train_rows[validation_row] = {**train_rows[twin], "text": train_rows[twin]["text"].upper() + "  "}
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(folder / "train.csv", train_rows)
    repeated = [
        {"text": "  " + train_rows[0]["text"].upper(), "label": train_rows[0]["label"]},
        {"text": train_rows[5]["text"].replace(" ", "   "), "label": train_rows[5]["label"]},
        {"text": train_rows[7]["text"], "label": train_rows[7]["label"]},
    ]
    fresh = [row for row in make_rows(40, seed=77) if row["text"] not in {r["text"] for r in train_rows}]
    write_csv(folder / "test.csv", repeated + fresh)
    # The checkpoint as if trained on this folder; its rows are not quite those it trained on, so the
    # digest of the held-out rows is left out, as in a run saved before it was kept.
    undigested = {key: value for key, value in loaded.metrics.items() if key != "validation_digest"}
    moved = dataclasses.replace(
        loaded, header={**loaded.header, "data_path": str(folder)}, metrics=undigested
    )
    result = evaluate(moved, str(folder), split="test")
    assert result.n == 3 + len(fresh) and result.seen_in_training == 3
    assert result.to_json()["seen_in_training"] == 3
    assert any(f"3 of the {result.n} rows evaluated have the same text" in note for note in result.notes)
    # The carved validation rows are compared with the rows trained on, the other side of the carve.
    validation = evaluate(moved, str(folder), split="validation")
    assert (validation.n, validation.seen_in_training) == (len(carved), 2)
    # The rows trained on are all seen; asked for by name (--split train), without a note.
    trained = evaluate(moved, str(folder), split="train")
    assert trained.n == trained.seen_in_training == len(kept) and not any(
        "same text" in n for n in trained.notes
    )
    # The training file evaluated whole: its kept rows, and the carved rows that repeat one of them.
    single = dataclasses.replace(moved, header={**loaded.header, "data_path": str(folder / "train.csv")})
    whole = evaluate(single, str(folder / "train.csv"))
    assert (whole.n, whole.seen_in_training) == (300, len(kept) + 2)
    assert any(f"{len(kept) + 2} of the 300 rows evaluated have the same text" in n for n in whole.notes)
    # The folder's own files named by their path are compared with its train split, as the folder is
    # (a user's trial: the train file by its path scored 98.9% without a word).
    by_path = evaluate(moved, str(folder / "test.csv"))
    assert (by_path.n, by_path.seen_in_training) == (3 + len(fresh), 3)
    said = f"3 of the {by_path.n} rows evaluated have the same text (ignoring case and spacing) as a row of "
    # (the run carved its validation rows out of it, and did not refit: the rows it trained on)
    assert any(
        note.startswith(said + f"the 'train' split of {folder} it trained on:") for note in by_path.notes
    )
    # The folder's train file by its path is the training data: its carve is rebuilt, and only the
    # rows trained on (and the held-out ones that repeat one) count, as for the folder itself.
    train_by_path = evaluate(moved, str(folder / "train.csv"))
    assert (train_by_path.n, train_by_path.seen_in_training) == (300, len(kept) + 2)
    assert evaluate(moved, str(folder / "train.csv"), split="validation").n == len(carved)
    # Only the train file is read for the comparison, and none past SEEN_CHECK_BYTES.
    import attncli.eval_split

    monkeypatch.setattr(attncli.eval_split, "SEEN_CHECK_BYTES", (folder / "train.csv").stat().st_size - 1)
    assert evaluate(moved, str(folder / "test.csv")).seen_in_training is None
    monkeypatch.undo()
    # A file outside the training folder is compared with its train split too (it said nothing).
    write_csv(tmp_path / "other.csv", repeated)
    outside = evaluate(moved, str(tmp_path / "other.csv"))
    assert outside.seen_in_training == 3
    assert any(note.startswith("3 of the 3 rows evaluated have the same text") for note in outside.notes)
    # Training data that does not read now (a datasets cache it cannot write, a trial's read-only
    # HF_DATASETS_CACHE) leaves the count out with a note saying why; it said nothing.
    from attncli.errors import DataError

    def unreadable(*args, **kwargs):
        raise DataError("could not write the Arrow copy of train.csv to HF_DATASETS_CACHE=/ro (Read-only)")

    monkeypatch.setattr(attncli.eval_split, "load_files", unreadable)
    unread = evaluate(moved, str(tmp_path / "other.csv"))
    assert (
        unread.seen_in_training is None
        and (
            "rows also in training not counted: the data trained on could not be read (could not write the "
            "Arrow copy of train.csv to HF_DATASETS_CACHE=/ro (Read-only))"
        )
        in unread.notes
    )
    monkeypatch.undo()
    # ... and with the one file training carved its validation rows from, where that was the data:
    # the rows it trained on, so those held out count only where a refit trained on them too.
    assert not single.refitted
    write_csv(tmp_path / "carved.csv", [train_rows[row] for row in (*kept[:3], *carved[:2])])
    outside = evaluate(single, str(tmp_path / "carved.csv"))
    assert outside.seen_in_training == 3 + 2  # the 2 carved ones repeat a kept row (set up above)
    write_csv(tmp_path / "held.csv", [train_rows[row] for row in carved[2:6]])
    assert evaluate(single, str(tmp_path / "held.csv")).seen_in_training == 0  # all 4 counted before
    refitted = dataclasses.replace(single, metrics={**single.metrics, "refit": {"epochs": 1}})
    assert evaluate(refitted, str(tmp_path / "held.csv")).seen_in_training == 4
    # The training file changed since (a row added): its carve is another, so no count, where the
    # rows held out of the new carve were counted as trained on.
    grown = tmp_path / "grown" / "train.csv"
    grown.parent.mkdir()
    write_csv(grown, [*train_rows, *make_rows(5, seed=123)])
    changed = dataclasses.replace(single, header={**loaded.header, "data_path": str(grown)})
    assert evaluate(changed, str(tmp_path / "held.csv")).seen_in_training is None
    said = "rows evaluated have the same text (ignoring case and spacing) as one of the rows of "
    assert any(said + f"{folder / 'train.csv'} it trained on:" in note for note in outside.notes)
    # A folder without a validation file likewise: its test file against the kept side of the carve.
    write_csv(folder / "test.csv", [train_rows[row] for row in carved[2:6]])
    assert evaluate(moved, str(folder), split="test").seen_in_training == 0
    assert (
        evaluate(
            dataclasses.replace(refitted, header=moved.header), str(folder), split="test"
        ).seen_in_training
        == 4
    )
    # A training source that is not a local file or folder (a Hub name) is not compared.
    hub = dataclasses.replace(moved, header={**loaded.header, "data_path": None})
    hub = dataclasses.replace(hub, config=dataclasses.replace(
        hub.config, data=dataclasses.replace(hub.config.data, source="someone/dataset")
    ))  # fmt: skip
    assert evaluate(hub, str(tmp_path / "other.csv")).seen_in_training is None
    # Past SEEN_CHECK_ROWS training rows the count is left out rather than slow every eval.
    import attncli.eval_split

    monkeypatch.setattr(attncli.eval_split, "SEEN_CHECK_ROWS", 100)
    assert evaluate(moved, str(folder), split="test").seen_in_training is None


def test_a_trimmed_output_of_predict_is_warned_of_before_it_scores_the_model_against_itself(
    loaded, trained, tmp_path
):
    """Found in a user's trial: predict's csv with its probability and reason columns deleted in a
    spreadsheet is no longer known as predict's output, and eval scored its predictions as the truth
    (100%) without a word."""
    from typer.testing import CliRunner

    from attncli.cli import app

    truth = write_csv(tmp_path / "test.csv", _mislabelled(30, wrong=8))
    plain = tmp_path / "texts.txt"
    plain.write_text("".join(f"{row['text']}\n" for row in _mislabelled(30, wrong=8)))
    full = tmp_path / "full.csv"
    result = CliRunner().invoke(app, ["predict", str(trained.output), "-f", str(plain), "-o", str(full)])
    assert result.exit_code == 0, result.output
    trimmed = tmp_path / "trimmed.csv"
    with full.open(newline="") as source, trimmed.open("w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["index", "text", "label", "score"])
        writer.writerows(
            [row["index"], row["text"], row["label"], row["score"]] for row in csv.DictReader(source)
        )
        writer.writerow([30, "", "", ""])  # a row with no text: predict leaves its label and score empty
    report = evaluate(loaded, str(trimmed), drop_invalid=True)
    assert report.accuracy == 1.0  # the predictions, scored as if they were the truth
    assert (
        "warning: in trimmed.csv the label column 'label' is followed by 'score', as in attn predict's "
        "output; if 'label' holds predictions rather than true labels, these scores measure the model "
        "against itself"
    ) in report.notes
    assert not [note for note in evaluate(loaded, str(truth)).notes if "followed by" in note]
    # A score of another kind after the true labels (a review's stars) is no sign of predict's output.
    stars = tmp_path / "stars.csv"
    with stars.open("w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["text", "label", "score"])
        writer.writerows(
            [row["text"], row["label"], 1 + index % 5] for index, row in enumerate(_mislabelled(30, wrong=0))
        )
    assert not [note for note in evaluate(loaded, str(stars)).notes if "followed by" in note]


def test_labels_with_few_rows_here_get_a_note(loaded, tmp_path):
    from attncli.evaluation import few_rows_note
    from attncli.metrics import ClassScores

    scores = {
        "food": ClassScores(1.0, 1.0, 1.0, 60),
        "tech": ClassScores(None, 0.0, 0.0, 1),
        "sport": ClassScores(1.0, 0.5, 0.67, 2),
        "music": ClassScores(None, None, None, 0),  # no rows: the table says so already
    }
    assert few_rows_note(scores) == (
        "few rows here for tech (1 row), sport (2 rows): one row moves their recall by up to 100 points, "
        "and macro-F1 weighs them as much as the others; more rows of them make the scores firmer"
    )
    assert few_rows_note({"food": ClassScores(1.0, 1.0, 1.0, 60)}) is None
    # Many labels: ten named and a count (300 labels of 1 row each made a line of 5,856 characters)
    many = {
        "food": ClassScores(1.0, 1.0, 1.0, 60),
        **{f"c{i}": ClassScores(1.0, 1.0, 1.0, 1) for i in range(12)},
    }
    assert few_rows_note(many).startswith(  # type: ignore[union-attr]
        "few rows here for c0 (1 row), c1 (1 row), c2 (1 row), c3 (1 row), c4 (1 row), c5 (1 row), "
        "c6 (1 row), c7 (1 row), c8 (1 row), c9 (1 row) and 2 more labels: one row moves"
    )
    # Long names: as many as about 240 characters hold (148 categories of 50 made a line of 791).
    paths = {
        f"Home & Kitchen > Storage & Organisation > Boxes {i:03d}": ClassScores(1.0, 1.0, 1.0, 1)
        for i in range(12)
    }
    listed = few_rows_note({"food": ClassScores(1.0, 1.0, 1.0, 60), **paths})
    assert listed is not None and "Boxes 002 (1 row) and 9 more labels: one row moves" in listed
    assert len(listed) < 420
    every = {f"c{i}": ClassScores(1.0, 1.0, 1.0, 1 + i % 2) for i in range(300)}
    assert few_rows_note(every).startswith("few rows here for every label (1-2 rows each): one row")  # type: ignore[union-attr]
    small = {"food": ClassScores(1.0, 1.0, 1.0, 20), "tech": ClassScores(1.0, 1.0, 1.0, 2)}
    assert few_rows_note(small) is None  # small throughout: the support column says it
    rows = [row for row in make_rows(120, seed=4) if row["label"] != "tech"][:60] + [
        row for row in make_rows(120, seed=4) if row["label"] == "tech"
    ][:2]
    result = evaluate(loaded, str(write_csv(tmp_path / "few.csv", rows)))
    assert result.per_class["tech"].support == 2
    assert "few rows here for tech (2 rows): one row moves their recall by up to 50 points" in "\n".join(
        result.notes
    )


def test_a_long_lived_process_evaluating_file_after_file_keeps_no_copy_of_each(loaded, tmp_path, monkeypatch):
    """A user's trial: `evaluate` kept each file's Arrow copy in the process's temporary folder until
    the process exited (1 MB a call of the BBC articles, in a service that never exits); and reading
    a local file asked the Hub's storage to count the load (a HEAD, 3 s timeout) unless offline."""
    import datasets

    from attncli.read_errors import local_cache_dir

    asked = []
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.load, "get_session", lambda: asked.append(1))
    monkeypatch.delenv("HF_DATASETS_CACHE", raising=False)
    cache = Path(local_cache_dir() or "")
    before = sorted(path.name for path in cache.iterdir())
    rows = make_rows(30)
    for index in range(3):
        path = write_jsonl(tmp_path / f"batch{index}.jsonl", rows[index:])
        assert evaluate(loaded, str(path)).n == len(rows) - index
        path.unlink()
    assert sorted(path.name for path in cache.iterdir()) == before  # nothing left behind
    assert asked == [] and datasets.config.HF_UPDATE_DOWNLOAD_COUNTS is not False  # and put back


def test_loads_in_threads_at_once_leave_datasets_download_counts_as_they_found_them(monkeypatch):
    """A review: each load put back the setting it found, so loads overlapping in threads left
    datasets' download counts off for good (3 runs of 3), or counted one load on the Hub. The loads
    here begin one after another and end in the same order, the first (which found the counts on)
    first: each putting back what it found left them off."""
    import threading

    import datasets

    from attncli.data_files import _UNCOUNTED

    monkeypatch.setattr(datasets.config, "HF_UPDATE_DOWNLOAD_COUNTS", True)
    inside: list[bool] = []
    entered = [threading.Event() for _ in range(3)]
    leave = [threading.Event() for _ in range(3)]

    def load(turn):
        with _UNCOUNTED.held():
            inside.append(datasets.config.HF_UPDATE_DOWNLOAD_COUNTS)
            entered[turn].set()
            leave[turn].wait()
        if turn + 1 < len(leave):
            leave[turn + 1].set()

    threads = [threading.Thread(target=load, args=(turn,)) for turn in range(3)]
    for thread, came_in in zip(threads, entered, strict=True):
        thread.start()
        came_in.wait()
    leave[0].set()
    for thread in threads:
        thread.join()
    assert inside == [False, False, False] and datasets.config.HF_UPDATE_DOWNLOAD_COUNTS is True


def test_evaluating_a_dataset_object_reads_the_training_data_without_progress_bars(loaded, monkeypatch):
    """A review of the README: `evaluate(ckpt, Dataset.from_list(rows))` printed datasets' bar
    'Generating train split' as it read the training data to count repeats; the bars are put back."""
    import datasets

    bars_while_reading = []
    load_dataset = datasets.load_dataset

    def recording(*args, **kwargs):
        bars_while_reading.append(datasets.is_progress_bar_enabled())
        return load_dataset(*args, **kwargs)

    monkeypatch.setattr(datasets, "load_dataset", recording)
    datasets.enable_progress_bars()
    try:
        result = evaluate(loaded, datasets.Dataset.from_list(_mislabelled(12, wrong=0)))
        assert result.n == 12 and result.seen_in_training is not None  # the training data was read
        assert bars_while_reading and not any(bars_while_reading)
        assert datasets.is_progress_bar_enabled()
    finally:
        datasets.disable_progress_bars()


def test_rows_trained_on_are_counted_where_the_text_is_a_nested_field(loaded, tmp_path):
    """A model trained on JSON lines whose text is a nested field (`doc.body`, found by itself) is
    compared with its training rows too: a user's trial scored 30 training essays again and was told
    that none of them had been trained on."""
    import dataclasses

    def nested(rows: list[dict[str, str]]) -> list[dict]:
        return [
            {"doc": {"body": row["text"], "id": number}, "label": row["label"]}
            for number, row in enumerate(rows)
        ]

    train_rows = make_rows(300, seed=1)
    train_file = tmp_path / "train.jsonl"
    train_file.write_text("".join(json.dumps(row) + "\n" for row in nested(train_rows)), encoding="utf-8")
    fresh = [row for row in make_rows(40, seed=77) if row["text"] not in {r["text"] for r in train_rows}]
    test_file = tmp_path / "test.jsonl"
    test_file.write_text(
        "".join(json.dumps(row) + "\n" for row in nested(train_rows[:3] + fresh)), encoding="utf-8"
    )
    data = dataclasses.replace(loaded.config.data, source=str(train_file), text_column="doc.body")
    moved = dataclasses.replace(
        loaded,
        header={**loaded.header, "data_path": str(train_file)},
        config=dataclasses.replace(loaded.config, data=data),
        metrics={**{key: value for key, value in loaded.metrics.items() if key != "validation_digest"},
                 "refit": {"epochs": 1}},
    )  # fmt: skip
    assert moved.refitted
    result = evaluate(moved, str(test_file))
    assert (result.n, result.seen_in_training) == (3 + len(fresh), 3)
    said = f"3 of the {result.n} rows evaluated have the same text"
    assert any(note.startswith(said) for note in result.notes)


def test_number_labels_are_scored_by_how_far_off_the_predictions_are(tmp_path):
    """Grades 1-3 (the easy task's labels renamed): the mean distance between predicted and true
    grade, and the share within one, as counted row by row from the model's own predictions."""
    from conftest import TINY_MODEL

    from attncli.config_loading import load_config
    from attncli.evaluation import label_values
    from attncli.prediction import predict_probabilities
    from attncli.train import train

    grades = {"food": "1", "sport": "2", "tech": "3"}

    def graded(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{**row, "label": grades[row["label"]]} for row in rows]

    source = write_csv(tmp_path / "grades.csv", graded(make_rows(150, seed=3)))
    settings = [*TINY_MODEL, f"data.source={source}", "train.epochs=4", "train.patience=0"]
    checkpoint = load_checkpoint(train(load_config(None, settings), output=tmp_path / "r").output)
    assert checkpoint.label_names == ["1", "2", "3"]
    # Food texts graded 3: two grades off where the model reads them right.
    rows = graded(make_rows(60, seed=5))
    for row in rows[:20:3]:
        row["label"] = "3"
    result = evaluate(checkpoint, str(write_csv(tmp_path / "test.csv", rows)))
    top = predict_probabilities(checkpoint, [row["text"] for row in rows]).argmax(-1).tolist()
    names = checkpoint.label_names
    off = [abs(int(names[guess]) - int(row["label"])) for guess, row in zip(top, rows, strict=True)]
    assert 2 in off  # a grade two off, which accuracy counts as it counts one off
    assert result.mean_absolute_error == pytest.approx(sum(off) / 60)
    assert result.within_one == pytest.approx(sum(distance <= 1 for distance in off) / 60)
    report = result.to_json()
    assert report["mean_absolute_error"] == result.mean_absolute_error
    assert report["within_one"] == result.within_one
    # Only labels that are all numbers, three or more: 0 and 1 would give the error rate again.
    assert label_values(["1", "2.5", "-3"]) == [1.0, 2.5, -3.0]
    assert label_values(["1", "2", "many"]) is None and label_values(["0", "1"]) is None
    assert label_values(["1", "2", "nan"]) is None
    assert label_values(["100000000000000000", "100000000000000001", " 2 "]) == [10**17, 10**17 + 1, 2]


def test_thresholds_decide_the_labels_scored_and_each_label_s_ranking_is_reported(loaded, tmp_path):
    """An imbalanced-data trial's rare label found 5 of 9 rows at the most probable label and 8 of 9
    at P >= 0.2, which eval could not show; nor how well the probabilities rank a label's rows."""
    import torch

    from attncli.prediction import predict_probabilities
    from attncli.ranking import average_precisions

    rows = _mislabelled(60, wrong=6)
    path = write_csv(tmp_path / "t.csv", rows)
    plain = evaluate(loaded, str(path))
    texts = [row["text"] for row in rows]
    probabilities = predict_probabilities(loaded, texts)
    names = loaded.label_names
    truth = [names.index(row["label"]) for row in rows]
    for name, expected in zip(names, average_precisions(probabilities, truth), strict=True):
        assert expected is not None and plain.average_precision[name] == pytest.approx(expected)
        assert plain.to_json()["per_class"][name]["average_precision"] == pytest.approx(expected)
    # tech wherever P(tech) reaches the highest it has on a row whose most probable label is another
    # (the most probable label without a threshold elsewhere)
    tech = names.index("tech")
    cut = probabilities[probabilities.argmax(-1) != tech, tech].max().item()
    decided = evaluate(loaded, str(path), thresholds={"tech": cut})
    expected = [
        tech if row[tech] >= cut else max((i for i in range(len(names)) if i != tech), key=lambda i: row[i])
        for row in probabilities.tolist()
    ]
    matrix = [[0] * len(names) for _ in names]
    for true, guess in zip(truth, expected, strict=True):
        matrix[true][guess] += 1
    assert decided.confusion_matrix == matrix
    assert torch.tensor(expected).ne(probabilities.argmax(-1)).any()  # the threshold changed labels
    assert decided.to_json()["thresholds"] == {"tech": cut} and plain.to_json()["thresholds"] == {}
    # calibration is of the most probable label, whichever label a threshold gives
    assert (decided.ece, decided.reliability) == (plain.ece, plain.reliability)


def test_the_labels_a_model_knows_are_quoted_where_one_is_empty():
    """A trial's checkpoint had an empty label: `it knows , entertainment, politics` read as a list
    with a stray comma. The list is quoted as other label lists are where one is empty or holds one."""
    from datasets import Dataset

    from attncli.columns import Columns
    from attncli.unknown_labels import drop_unknown_labels

    rows = Dataset.from_dict({"text": ["a", "b"], "label": ["sport", "weather"]})
    with pytest.raises(DataError, match=r"it knows '', 'sport', 'tech, science'\. "):
        drop_unknown_labels(
            rows, Columns("text", "label"), ["", "sport", "tech, science"], where="t.csv", ignore=False,
            drop_invalid=False,
        )  # fmt: skip


def test_the_api_s_results_show_their_headline_figures_in_a_notebook(trained, loaded):
    """A notebook shows a cell's last value by its repr: a checkpoint's was its modules and
    vocabulary (11,600 characters), a run's every epoch (6,600), a report's every class and bin,
    an inspection's every token (31,500 for an article). Each is now one short line of what it is."""
    import re

    from attncli.inspection import inspect_text

    report = evaluate(loaded, split="validation")
    inspection = inspect_text(loaded, "a tennis match " * 40)
    shown = {
        "TrainResult": repr(trained),
        "LoadedCheckpoint": repr(loaded),
        "EvalResult": repr(report),
        "Inspection": repr(inspection),
    }
    assert all(len(text) < 300 and text.startswith(f"{name}(") for name, text in shown.items()), shown
    assert f"best_epoch={trained.best_epoch}, validation_accuracy=" in shown["TrainResult"]
    assert "labels=['food', 'sport', 'tech'] (3)" in shown["LoadedCheckpoint"]
    assert re.search(rf"n={report.n}, accuracy={report.accuracy:.4f}, macro_f1=", shown["EvalResult"])
    assert f"label={inspection.label!r}" in shown["Inspection"] and "tokens=" in shown["Inspection"]


def test_the_api_sends_what_the_commands_note_to_the_attncli_logger(loaded, caplog, tmp_path):
    """A notebook's evaluate and predict said nothing of rows also trained on or of texts cut at
    max_length, which `attn eval` and `attn predict` note (a trial): they go to the attncli logger at
    INFO, as training's notes do."""
    import logging

    from attncli.prediction import predict

    long_text = "a tennis match " * 40
    with caplog.at_level(logging.INFO, logger="attncli"):
        predict(loaded, ["soup", long_text])
    said = [record.getMessage() for record in caplog.records if record.name == "attncli"]
    assert said == [
        "1 of 2 texts were longer than the model's max_length (32 tokens); only their first 32 tokens "
        "were read (where a text's end decides, as a stack trace's cause or a letter's closing request "
        "does, train with --set model.truncation=head+tail to read it too)"
    ]
    caplog.clear()
    rows = write_csv(tmp_path / "cut.csv", [{"text": long_text, "label": "sport"}, *make_rows(5)])
    with caplog.at_level(logging.INFO, logger="attncli"):
        report = evaluate(loaded, rows)
    said = [record.getMessage() for record in caplog.records if record.name == "attncli"]
    assert said == [note.removeprefix("note: ") for note in report.notes] and any(
        "max_length" in s for s in said
    )


def test_eval_refuses_a_prodigy_export_with_rejected_answers(loaded, tmp_path):
    """Scored as true labels, the labels turned down make the model look wrong where it is right."""
    rows = [{"text": "hot soup", "label": "food", "answer": answer} for answer in ("accept", "reject")]
    with pytest.raises(
        DataError, match="^binary.jsonl looks like a Prodigy export: its column 'answer' rejects 1 of 2"
    ):
        evaluate(loaded, str(write_jsonl(tmp_path / "binary.jsonl", rows)))


def test_rows_that_all_have_one_label_are_warned_of(loaded, tmp_path):
    """A student merged a competition's sample_submission.csv (every target 0) into test.csv and
    scored the placeholders: 59.4%, exit 0, without a word."""
    from attncli.evaluation import one_label_warning

    merged = write_csv(tmp_path / "merged.csv", make_rows(24, labels=("food",)))
    (said,) = [note for note in evaluate(loaded, str(merged)).notes if note.startswith("warning: every")]
    assert said.startswith(
        "warning: every one of the 24 rows evaluated has the label 'food', so accuracy is the share "
        "predicted as it and no label is told from another; where those labels are placeholders"
    )
    assert one_label_warning([[5, 0], [0, 0]], ["a", "b"]) is None  # a small hand-made check
    assert one_label_warning([[20, 3], [1, 0]], ["a", "b"]) is None  # two labels
    assert one_label_warning([[30]], ["a"]) is None  # a model of one label


def test_number_labels_read_one_off_are_warned_of_and_truth_values_of_0_and_1_hinted():
    """A model of labels 1-3 (a ClassLabel's names) scored on its indices 1 and 2 (0 absent, so no row
    was refused as unknown): 0.0% without a word (an annotation workflow's trial)."""
    from attncli.evaluation import shifted_labels_warning
    from attncli.unknown_labels import look_alike_hint

    shifted = [[0, 25, 0], [0, 0, 15], [0, 0, 0]]
    assert shifted_labels_warning(shifted, ["1", "2", "3"]) == (
        "warning: 40 of 40 rows were predicted as the label after theirs; if the file's labels are a "
        "ClassLabel's indices (0 for '1', 1 for '2', 2 for '3'), they are read as the labels they spell: "
        "write the labels instead"
    )
    assert shifted_labels_warning(shifted, ["0", "1", "2"]) is None  # names that are their indices
    assert shifted_labels_warning(shifted, ["a", "b", "c"]) is None
    assert shifted_labels_warning([[20, 5, 0], [0, 15, 0], [0, 0, 0]], ["1", "2", "3"]) is None
    # The reverse of "0 is 'False', 1 is 'True'": truth values given to a model of 0 and 1.
    assert look_alike_hint(["False", "True"], ["0", "1"]) == (
        " (if these are truth values of the model's 0 and 1, write them so: false is 0, true is 1)"
    )
    assert look_alike_hint(["False", "maybe"], ["0", "1"]) == ""
    # A decimal comma (a semicolon export of a teacher's rubric marks) is the number with a point;
    # a thousands separator is not.
    assert look_alike_hint(["2,5"], ["0", "1", "2", "2.5", "3"]) == " ('2,5' is '2.5' in another form)"
    assert "another form" not in look_alike_hint(["1,000"], ["1000", "2000"])


def test_unknown_labels_of_a_column_found_by_its_name_say_which_column(loaded, tmp_path):
    """The model's label column absent, a `grade` column was read as the labels, and its values
    refused without naming it (an annotation workflow's trial: a `score_manual` beside no `target`)."""
    rows = [{"text": "hot soup", "label": "A"}, {"text": "a tennis match", "label": "B"}]
    path = write_csv(tmp_path / "graded.csv", rows, label_column="grade")
    with pytest.raises(DataError) as refused:
        evaluate(loaded, str(path))
    assert str(refused.value).startswith(
        "graded.csv has labels the model never saw in column 'grade' (taken for the labels by its name, as "
        "the model's label column 'label' is not here; --label-column names the one to read): 'A' (1 row)"
    )


def test_the_python_api_scores_and_gives_a_fallback_label_below_min_score(loaded, easy_folder, tmp_path):
    """evaluate(min_score=, fallback=) scores what predict(min_score=, fallback=) gives."""
    from attncli.prediction import predict

    test = str(easy_folder / "test.csv")
    plain = evaluate(loaded, test)
    scored = evaluate(loaded, test, min_score=0.0, fallback="tech")  # no row is below 0
    assert (scored.accuracy, scored.fallback_rows, scored.fallback) == (plain.accuracy, 0, "tech")
    every = evaluate(loaded, test, min_score=1.0, fallback="tech")
    assert every.fallback_rows == every.n and every.per_class["tech"].recall == 1.0
    (prediction,) = predict(loaded, ["we had pasta"], min_score=1.0, fallback="tech")
    assert prediction.label == "tech" and prediction.reason == "below --min-score 1"
    with pytest.raises(ConfigError, match="--fallback LABEL goes with --min-score in eval"):
        evaluate(loaded, test, fallback="tech")
    # --min-score alone scores predict's policy: the rows that reach it get their most probable label,
    # the rest none; how many fall below, and how often the labels given are right (a teacher's trial
    # counted them in pandas, to auto-accept confident grades).
    import csv

    rows = list(csv.DictReader(open(test, encoding="utf-8")))
    given = predict(loaded, [row["text"] for row in rows])
    for at in (0.0, 0.75, 1.0):
        alone = evaluate(loaded, test, min_score=at)
        reached = [row["label"] == one.label for row, one in zip(rows, given, strict=True) if one.score >= at]
        assert (alone.min_score, alone.fallback, alone.fallback_rows) == (at, None, 0)
        assert alone.below_min_score == len(rows) - len(reached)
        assert alone.accuracy_at_min_score == (sum(reached) / len(reached) if reached else None)
        assert alone.accuracy == plain.accuracy  # the labels scored are the most probable ones still
    assert evaluate(loaded, test, min_score=0.0).accuracy_at_min_score == plain.accuracy
    # Without --min-score it labels only the records with no text, with no score.
    assert predict(loaded, ["we had pasta"], fallback="tech")[0].label == "food"
    from attncli.prediction import predict_records
    from attncli.records import Record

    (empty,) = predict_records(loaded, [Record(index=0, text=" ")], fallback="tech")
    assert (empty.label, empty.score, empty.reason) == ("tech", None, "empty text")
    # At the score predict gives, eval keeps the best label as predict does (both compare in float32).
    (best,) = predict(loaded, ["we had pasta"])
    assert best.score is not None and best.label is not None
    # A hair above it in float64, the same float32 (as a printed score read back is): not below either.
    hair = best.score * (1 + 2**-26)
    assert hair > best.score
    assert predict(loaded, ["we had pasta"], min_score=hair, fallback="tech")[0].label == best.label
    rows = write_csv(tmp_path / "one.csv", [{"text": "we had pasta", "label": best.label}])
    assert evaluate(loaded, str(rows), min_score=hair, fallback="tech").fallback_rows == 0
