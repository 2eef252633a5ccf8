from conftest import make_rows, write_csv, write_jsonl

from attncli.config import DataConfig
from attncli.data import load_splits


def test_texts_stay_in_arrow_and_select_keeps_order(tmp_path):
    from attncli.splits import CHUNK_ROWS, TextColumn

    rows = make_rows(CHUNK_ROWS + 5)
    splits = load_splits(DataConfig(source=str(write_jsonl(tmp_path / "d.jsonl", rows))))
    train = splits.splits["train"]
    assert isinstance(train.texts, TextColumn)
    assert len(train) + len(splits.splits["validation"]) == len(rows)
    assert list(train.texts)[:3] == train.texts[:3] == [train.texts[0], train.texts[1], train.texts[2]]
    picked = train.select([2, 0])
    assert list(picked.texts) == [train.texts[2], train.texts[0]]
    assert list(picked.labels) == [train.labels[2], train.labels[0]]


def test_a_selection_of_a_selection_reads_the_right_rows(tmp_path, monkeypatch):
    import attncli.splits
    from attncli.splits import TextColumn

    monkeypatch.setattr(attncli.splits, "CHUNK_ROWS", 3)  # iteration crosses chunk boundaries
    rows = [{"text": f"text {index}", "label": "ab"[index % 2]} for index in range(20)]
    train = load_splits(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows)))).splits["train"]
    column = TextColumn(train.texts.dataset, "text")  # every row, in file order
    odd = column.select(range(1, 20, 2))
    picked = odd.select([4, 0, 9, 2])
    assert list(picked) == ["text 9", "text 1", "text 19", "text 5"]
    assert picked[1:3] == ["text 1", "text 19"] and picked[-1] == "text 5" and len(picked) == 4
    assert list(odd) == [f"text {index}" for index in range(1, 20, 2)]
