"""Annotation tools' exports that are not one text and its label a row: refused with what to do."""

import pytest
from conftest import write_jsonl

from attncli.config import DataConfig
from attncli.data import load_splits
from attncli.errors import DataError


def _prodigy(answers: list[str]) -> list[dict]:
    return [
        {"text": f"text number {i}", "label": "ab"[i % 2], "answer": answer, "_task_hash": i}
        for i, answer in enumerate(answers)
    ]


def test_a_prodigy_export_with_rejected_answers_is_refused_and_one_of_accepted_answers_trains(tmp_path):
    """A trial's binary export trained on its rejected rows as if accepted: a model of 52% accuracy
    on texts it would have learnt perfectly, and a note that advised joining `answer` to the text."""
    mixed = write_jsonl(tmp_path / "binary.jsonl", _prodigy(["accept", "reject", "ignore", "accept"] * 5))
    with pytest.raises(DataError) as refused:
        load_splits(DataConfig(source=str(mixed)))
    assert str(refused.value) == (
        f"{mixed} looks like a Prodigy export: its column 'answer' rejects 5 and skips 5 of 20 rows, whose "
        "'label' is a label turned down or not decided, not the text's; keep the accepted rows "
        "(jq -c 'select(.answer == \"accept\")' for JSON lines) and pass that file"
    )
    accepted = write_jsonl(tmp_path / "accepted.jsonl", _prodigy(["accept"] * 20))
    assert load_splits(DataConfig(source=str(accepted))).label_names == ["a", "b"]
    # A validation file of the export's is read so too.
    folder = tmp_path / "folder"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", _prodigy(["accept"] * 20))
    write_jsonl(folder / "validation.jsonl", _prodigy(["accept", "reject"] * 5))
    with pytest.raises(
        DataError, match="validation.*looks like a Prodigy export: its column 'answer' rejects 5 of"
    ):
        load_splits(DataConfig(source=str(folder)))
    # An "answer" column of other values (a Q&A table's answers) is no sign of it.
    rows = [{**row, "answer": f"an answer {i}"} for i, row in enumerate(_prodigy(["x"] * 20))]
    assert load_splits(DataConfig(source=str(write_jsonl(tmp_path / "qa.jsonl", rows)))).label_names == [
        "a",
        "b",
    ]


def test_a_label_studio_json_export_says_which_export_to_use(tmp_path):
    tasks = [
        {"id": i, "data": {"text": f"text {i}"},
         "annotations": [{"result": [{"value": {"choices": ["ab"[i % 2]]}, "type": "choices"}]}]}
        for i in range(10)
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "project.jsonl", tasks)
    with pytest.raises(
        DataError, match=r"no label column found .*; it looks like Label Studio's full JSON export"
    ):
        load_splits(DataConfig(source=str(path)))


def test_a_prodigy_choice_export_says_how_to_flatten_it(tmp_path):
    """Its `accept` holds a list of the options chosen, which no label column is: "no label column
    found" said nothing of what to do (an annotation workflow's trial)."""
    rows = [
        {"text": f"text number {i}", "options": [{"id": "a"}, {"id": "b"}], "accept": ["ab"[i % 2]],
         "answer": "accept"}
        for i in range(20)
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "choice.jsonl", rows)
    with pytest.raises(
        DataError, match=r"; it looks like a Prodigy export of choices, whose 'accept' lists"
    ) as said:
        load_splits(DataConfig(source=str(path)))
    assert str(said.value).endswith("| {text, label: .accept[0]}') and pass that file")
