import pytest
from conftest import make_rows, write_csv, write_jsonl

from attncli.checkpoint import load_checkpoint
from attncli.errors import DataError
from attncli.evaluation import choose_split, evaluate


@pytest.fixture(scope="module")
def loaded(trained):
    return load_checkpoint(trained.output)


def test_defaults_to_the_training_datas_test_split(loaded, easy_folder):
    result = evaluate(loaded)
    assert (result.source, result.split, result.n) == (str(easy_folder), "test", 90)
    assert result.accuracy >= 0.9
    assert sum(map(sum, result.confusion_matrix)) == 90
    diagonal = sum(result.confusion_matrix[i][i] for i in range(3))
    assert result.accuracy == pytest.approx(diagonal / 90)
    assert [scores.support for scores in result.per_class.values()] == [30, 30, 30]
    assert set(result.to_json()) == {"n", "accuracy", "macro_f1", "labels", "per_class", "confusion_matrix"}


def test_the_carved_validation_split_is_rebuilt_exactly(loaded, trained):
    result = evaluate(loaded, split="validation")
    assert (result.split, result.n) == ("validation", trained.info.validation_size)
    assert result.accuracy == trained.best.validation_accuracy


def test_training_data_without_a_test_split_is_scored_on_held_out_rows(tmp_path, monkeypatch):
    from conftest import TINY_MODEL

    from attncli.config import load_config
    from attncli.train import train

    path = write_csv(tmp_path / "only.csv", make_rows(60))
    monkeypatch.chdir(tmp_path)  # trained with a path relative to here...
    result = train(
        load_config(None, [*TINY_MODEL, "data.source=only.csv", "train.epochs=1"]), output=tmp_path / "r"
    )
    monkeypatch.chdir(tmp_path / "r")  # ...and evaluated from elsewhere
    report = evaluate(load_checkpoint(tmp_path / "r"))
    assert (report.split, report.n) == ("validation", result.info.validation_size)
    assert evaluate(load_checkpoint(tmp_path / "r"), str(path)).n == 60  # named explicitly: every row


def test_a_single_file_is_evaluated_whole_with_other_column_names(loaded, tmp_path):
    path = write_csv(
        tmp_path / "other.csv", make_rows(21, seed=9), text_column="content", label_column="category"
    )
    result = evaluate(loaded, str(path))
    assert (result.split, result.n) == ("train", 21)


def test_labels_the_model_never_saw_are_named(loaded, tmp_path):
    path = write_jsonl(
        tmp_path / "new.jsonl", [{"text": "pasta", "label": "food"}, {"text": "x", "label": "music"}]
    )
    with pytest.raises(DataError, match="label 'music' .* is not one the model knows"):
        evaluate(loaded, str(path))


def test_choose_split():
    assert choose_split(["train"], None) == "train"
    assert choose_split(["train", "validation", "test"], None) == "test"
    assert choose_split(["train", "validation"], None) == "validation"
    assert choose_split(["train", "test"], "train") == "train"
    with pytest.raises(DataError, match="no split 'dev'"):
        choose_split(["train", "test"], "dev")
