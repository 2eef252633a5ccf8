import csv
import dataclasses
import os
from pathlib import Path

import pytest
from conftest import make_rows, write_csv, write_jsonl

from attncli.columns import choose_columns
from attncli.config import DataConfig
from attncli.data import load_splits
from attncli.errors import DataError
from attncli.labels import bare_names, known_label_key, label_positions, missing_label, same_label_names
from attncli.layouts import Layout


def _split_sizes(splits):
    return {name: len(split) for name, split in splits.splits.items()}


@pytest.mark.parametrize("suffix", ["csv", "tsv", "json", "jsonl", "ndjson", "parquet"])
def test_single_files_of_every_format(tmp_path, suffix):
    from datasets import Dataset

    rows = make_rows(60)
    path = tmp_path / f"data.{suffix}"
    dataset = Dataset.from_list(rows)
    if suffix == "csv":
        dataset.to_csv(str(path), index=False)
    elif suffix == "tsv":
        dataset.to_csv(str(path), index=False, sep="\t")
    elif suffix == "parquet":
        dataset.to_parquet(str(path))
    else:
        write_jsonl(path, rows)
    splits = load_splits(DataConfig(source=str(path)))
    assert splits.label_names == ["food", "sport", "tech"]
    assert _split_sizes(splits) == {"train": 54, "validation": 6}
    assert splits.splits["train"].texts[0] in {row["text"] for row in rows}
    from attncli.record_sources import from_file  # predict reads each suffix as a data file too

    assert [record.text for chunk in from_file(path).chunks for record in chunk] == [
        row["text"] for row in rows
    ]


def test_json_nested_too_deep_for_a_reader_is_refused_naming_its_line(tmp_path):
    """A trial's JSON lines, 60 rows and one whose metadata nested 12,000 objects deep (87 KB):
    Arrow's reader crashed the process (a segmentation fault, exit 139, nothing said); from 63
    arrays or 350 objects deep, training and eval stopped with ArrowInvalid or RecursionError, exit
    1. Each is refused in one line, as data, naming the line and its depth."""
    import json
    import random

    from attncli.jsonfiles import ARROW_JSON_LEVELS, MOST_JSON_LEVELS, _opens_many_on_a_line, json_depth
    from attncli.record_sources import from_file

    rows = [json.dumps(row) for row in make_rows(60)]

    def with_meta(value: str) -> str:
        return f'{{"text": "x", "label": "food", "meta": {value}}}'

    for levels, value in (
        ("over 1,000", '{"a": ' * 12_000 + "1" + "}" * 12_000),
        ("over 1,000", '{"a": ' * 2_000 + "1" + "}" * 2_000),
        ("400", '{"a": ' * 399 + "1" + "}" * 399),
        ("64", "[" * 63 + "1" + "]" * 63),
    ):
        path = tmp_path / f"deep{len(value)}.jsonl"
        path.write_text("\n".join([*rows[:30], with_meta(value), *rows[30:]]))
        expected = f"line 31 of {path} nests arrays and objects {levels} levels deep, more than attn's"
        with pytest.raises(DataError, match=expected):
            load_splits(DataConfig(source=str(path)))
        if levels.startswith("over"):  # predict reads JSON lines with Python's reader, which follows fewer
            with pytest.raises(DataError, match=f"line 31 of {path} nests arrays and objects"):
                [record for chunk in from_file(path).chunks for record in chunk]
    # As deep as Arrow's types hold, and brackets in strings, which open nothing: read.
    shallow = with_meta("[" * (ARROW_JSON_LEVELS - 1) + "1" + "]" * (ARROW_JSON_LEVELS - 1))
    brackets = json.dumps({"text": "[{" * 1200, "label": "tech"})
    path = tmp_path / "shallow.jsonl"
    path.write_text("\n".join([*rows, shallow, brackets]) + "\n")
    assert len(load_splits(DataConfig(source=str(path))).splits["train"].texts) == 56  # 62 rows, 6 held out
    assert json_depth(brackets.encode()) == 1 and json_depth(shallow.encode()) == ARROW_JSON_LEVELS
    # Its depth at C speed, the pairs innermost first; what is left unclosed counts too.
    assert [json_depth(text) for text in (b"[{}, [1, {}]]", b'{"a": "]]]}"}', b"[[[", b"[{]}", b"")] == [
        3,
        1,
        3,
        2,
        0,
    ]
    assert json_depth(b'["\\"]", ["\\\\"]]') == 2 and json_depth(b'["]", "["]') == 1
    assert json_depth(b"[" * 5000 + b"]" * 5000) == MOST_JSON_LEVELS + 1  # counted no further
    # Nesting that spans lines (an indented document: one bracket a line) is said for the file.
    indented = tmp_path / "indented.json"
    indented.write_text(
        "[\n" + ",\n".join([*rows, with_meta("\n".join(["["] * 99 + ["1"] + ["]"] * 99))]) + "\n]\n"
    )
    with pytest.raises(DataError, match=f"^{indented} nests arrays and objects 101 levels deep"):
        load_splits(DataConfig(source=str(indented)))
    # The pass that finds the lines worth reading misses none, however the lines fall in its blocks.
    generator = random.Random(0)
    for _ in range(100):
        lines = [
            "[" * (opened := generator.choice([0, 3, 1000, 1001, 1600])) + "]" * opened
            + "x" * generator.choice([10, 3_000, 200_000])
            for _ in range(generator.randint(1, 30))
        ]  # fmt: skip
        path.write_text("\n".join(lines) + generator.choice(["", "\n"]))
        expected = any(line.count("[") > MOST_JSON_LEVELS for line in lines)
        assert _opens_many_on_a_line(path, encoding="utf-8") == expected


def test_folder_of_split_files_maps_names(tmp_path):
    write_csv(tmp_path / "train.csv", make_rows(30))
    write_csv(tmp_path / "dev.csv", make_rows(9, seed=5))
    write_csv(tmp_path / "test.csv", make_rows(12, seed=6))
    (tmp_path / "notes.txt").write_text("ignored")
    splits = load_splits(DataConfig(source=str(tmp_path)))
    assert _split_sizes(splits) == {"train": 30, "validation": 9}  # test is left to `attn eval`


def test_split_files_may_each_have_a_format_of_their_own(tmp_path):
    from datasets import Dataset

    from attncli.sources import load_raw

    write_csv(tmp_path / "train.csv", make_rows(30))
    write_jsonl(tmp_path / "validation.jsonl", make_rows(9, seed=5))
    Dataset.from_list(make_rows(12, seed=6)).to_parquet(str(tmp_path / "test.parquet"))
    assert {name: len(split) for name, split in load_raw(str(tmp_path)).splits.items()} == {
        "train": 30, "validation": 9, "test": 12,
    }  # fmt: skip
    assert _split_sizes(load_splits(DataConfig(source=str(tmp_path)))) == {"train": 30, "validation": 9}
    # The shards of one split are one download: one format.
    shards = tmp_path / "shards"
    shards.mkdir()
    write_csv(shards / "train-00000-of-00002.csv", make_rows(10))
    write_jsonl(shards / "train-00001-of-00002.jsonl", make_rows(10, seed=2))
    with pytest.raises(DataError, match=r"the shards of split 'train' mix formats \(.csv, .jsonl\)"):
        load_raw(str(shards))
    # And one header: an export beside another language's re-save lost its rows as "empty" ones.
    (shards / "train-00001-of-00002.jsonl").unlink()
    write_csv(
        shards / "train-00001-of-00002.csv",
        make_rows(10),
        text_column="Beschreibung",
        label_column="Kategorie",
    )
    with pytest.raises(DataError) as refused:
        load_raw(str(shards))
    assert str(refused.value) == (
        f"the shards of split 'train' hold different columns: {shards / 'train-00000-of-00002.csv'} has "
        f"'text', 'label', {shards / 'train-00001-of-00002.csv'} has 'Beschreibung', 'Kategorie'; give every "
        "shard of a split the same header, or keep files of other columns apart (a split of their own)"
    )
    # A column added to one shard (notes) is joined, as before: its rows keep their text and label.
    rows = [{**row, "notes": "n"} for row in make_rows(10, seed=3)]
    (shards / "train-00001-of-00002.csv").write_text(
        "text,label,notes\n" + "".join(f"{r['text']},{r['label']},n\n" for r in rows), encoding="utf-8"
    )
    assert len(load_raw(str(shards)).splits["train"]) == 20
    with pytest.raises(
        DataError, match=r"data.xlsx is an Excel workbook, not a data file attn reads; save it as"
    ):
        load_raw(str(_touched(tmp_path / "data.xlsx")))
    with pytest.raises(DataError, match=r"cannot read .xml files \(data.xml\); use one of .csv"):
        load_raw(str(_touched(tmp_path / "data.xml")))


def _touched(path: Path) -> Path:
    path.write_bytes(b"PK")
    return path


def test_a_teachers_essays_and_grades_are_read_and_a_score_beside_a_label_is_not(tmp_path):
    """A teacher's student_id,essay,grade was "no text column found ... no label column found"."""
    rows = make_rows(40)
    teacher = tmp_path / "class.csv"
    teacher.write_text(
        "student_id,essay,grade\n"
        + "".join(f's{i},"{row["text"]}",{row["label"]}\n' for i, row in enumerate(rows)),
        encoding="utf-8",
    )
    splits = load_splits(DataConfig(source=str(teacher)))
    assert splits.label_names == sorted({row["label"] for row in rows})
    texts = sorted(text for split in splits.splits.values() for text in split.texts)
    assert texts == sorted(row["text"] for row in rows)
    assert (
        f"{teacher}: using label column 'grade', chosen by name (--label-column chooses another)"
        in splits.notes
    )
    # An annotator's score beside the labels is no label column.
    scored = tmp_path / "scored.csv"
    scored.write_text(
        "text,score,label\n"
        + "".join(f'"{row["text"]}",0.{i},{row["label"]}\n' for i, row in enumerate(rows)),
        encoding="utf-8",
    )
    assert load_splits(DataConfig(source=str(scored))).label_names == splits.label_names


def test_a_whole_number_written_with_a_fraction_is_the_label_it_spells(tmp_path):
    known = {"1", "2", "10", "007"}
    assert [known_label_key(None, value, known) for value in ("2.0", "10.00", 2.0, "2", "7", "2.5", "x")] == [
        "2", "10", "2", "2", "7", "2.5", "x",
    ]  # fmt: skip
    # Other spellings of a number are other labels, as training keeps them (eval read 007 as 7)
    spellings = ("007", "+1", "1e0", "-0", "00", "7.0")
    assert [known_label_key(None, value, {"0", "1", "7"}) for value in spellings] == [
        "007", "+1", "1e0", "-0", "00", "7",
    ]  # fmt: skip
    assert known_label_key(None, "7", {"7.0"}) == "7.0"  # as an attn that kept 7.0 as written saved it
    assert known_label_key(None, "007.0", {"007", "7"}) == "007"  # 007.0 trains as 007
    coded = [{"text": f"text {n}", "label": label} for n, label in enumerate(["007.0", "2", "10"] * 4)]
    # Training refused its own label 007.0: "not among the training labels (2, 007, 10)"
    assert load_splits(DataConfig(source=str(write_jsonl(tmp_path / "c.jsonl", coded)))).label_names == [
        "2", "007", "10",
    ]  # fmt: skip
    numbered = {"food": "1", "sport": "2", "tech": "10"}
    write_csv(tmp_path / "train.csv", [{**row, "label": numbered[row["label"]]} for row in make_rows(30)])
    # pandas writes a label column with gaps as floats: 2.0 is the label 2 all the same
    rows = [{**row, "label": f"{numbered[row['label']]}.0"} for row in make_rows(9, seed=5)]
    write_csv(tmp_path / "validation.csv", rows)
    splits = load_splits(DataConfig(source=str(tmp_path)))
    assert splits.label_names == ["1", "2", "10"]
    assert [splits.label_names[i] for i in splits.splits["validation"].labels] == [
        row["label"].removesuffix(".0") for row in rows
    ]


def test_save_to_disk_folder_with_classlabel_names(tmp_path):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"sentence": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    train = Dataset.from_dict(
        {"sentence": ["bad", "good", "awful", "great"], "label": [0, 1, 0, 1]}, features=features
    )
    DatasetDict({"train": train, "validation": train}).save_to_disk(str(tmp_path / "disk"))
    splits = load_splits(DataConfig(source=str(tmp_path / "disk")))
    assert splits.label_names == ["neg", "pos"]
    assert splits.text_column == "sentence"
    assert list(splits.splits["validation"].labels) == [0, 1, 0, 1]


@pytest.mark.parametrize("kind", ["numpy", "torch", "arrow", "pandas"])
def test_a_dataset_saved_with_a_format_set_reads_as_one_without(tmp_path, kind):
    """A format set before save_to_disk (for PyTorch work) handed attn numpy integers, tensors or
    Arrow scalars: a ValueError or TypeError, exit 1, or every row said to have no text."""
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"sentence": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    rows = Dataset.from_dict(
        {"sentence": ["bad", "good", "awful", "great"], "label": [0, 1, 0, 1]}, features=features
    )
    DatasetDict({"train": rows, "validation": rows}).with_format(kind).save_to_disk(str(tmp_path / kind))
    splits = load_splits(DataConfig(source=str(tmp_path / kind)))
    assert splits.label_names == ["neg", "pos"]
    assert list(splits.splits["train"].texts) == ["bad", "good", "awful", "great"]
    assert list(splits.splits["validation"].labels) == [0, 1, 0, 1]


def test_arrow_files_are_data_files_as_parquet_files_are(tmp_path):
    """An .arrow file (as datasets writes one) was 'cannot read .arrow files' to train and eval."""
    import shutil

    from datasets import Dataset

    from attncli.sources import load_raw

    Dataset.from_list(make_rows(40)).save_to_disk(str(tmp_path / "saved"))
    arrow = next((tmp_path / "saved").glob("*.arrow"))
    (tmp_path / "splits").mkdir()
    shutil.copy(arrow, tmp_path / "splits" / "train.arrow")
    shutil.copy(arrow, tmp_path / "splits" / "validation.arrow")
    splits = load_splits(DataConfig(source=str(tmp_path / "splits")))
    assert (len(splits.splits["train"]), len(splits.splits["validation"])) == (40, 40)
    assert list(splits.splits["train"].texts) == [row["text"] for row in make_rows(40)]
    assert len(load_raw(str(arrow)).splits["train"]) == 40


def test_feather_files_are_arrow_files_and_statistics_programs_files_are_named(tmp_path):
    """R's arrow::write_feather and pandas' to_feather write Arrow IPC files named .feather, which were
    'an Arrow file, not plain text; pass it as a file named with the suffix .arrow'; Feather's first
    version is no Arrow file, and R's .rds was told to be gunzipped, then called UTF-16."""
    import pyarrow as pa
    import pyarrow.feather as feather

    from attncli.record_sources import from_file

    rows = make_rows(40)
    table = pa.table({
        "id": pa.array(range(40), pa.int32()),
        "text": [row["text"] for row in rows],
        "label": pa.array([row["label"] for row in rows]).dictionary_encode(),  # an R factor
    })  # fmt: skip
    feather.write_feather(table, tmp_path / "train.feather", compression="lz4")
    splits = load_splits(DataConfig(source=str(tmp_path / "train.feather")))
    every = [*splits.splits["train"].texts, *splits.splits["validation"].texts]
    assert sorted(every) == sorted(row["text"] for row in rows)
    records = [record for chunk in from_file(tmp_path / "train.feather").chunks for record in chunk]
    assert [(record.text, record.fields["id"]) for record in records] == [
        (row["text"], n) for n, row in enumerate(rows)
    ]
    old = tmp_path / "old.feather"
    old.write_bytes(b"FEA1" + bytes(60))  # Feather version 1's magic (pyarrow deprecates writing it)
    message = f"{old} is a Feather file of its first version, not an Arrow IPC file as later versions are"
    with pytest.raises(DataError, match=message):
        from_file(old)
    with pytest.raises(DataError, match=message.replace(str(old), "old.feather")):
        load_splits(DataConfig(source=str(old)))
    for name in ("train.rds", "survey.RData", "wave1.dta", "poll.sav"):
        (tmp_path / name).write_bytes(b"\x1f\x8b\x08" + bytes(40))
        said = f"{tmp_path / name} is an? (R|Stata|SPSS) data file.*, not a data file attn reads; export the"
        with pytest.raises(DataError, match=said):
            from_file(tmp_path / name)
        with pytest.raises(DataError, match=said):
            load_splits(DataConfig(source=str(tmp_path / name)))


def test_splits_of_a_saved_dataset_that_attn_does_not_use_are_said_to_be_left_out(tmp_path):
    """A DatasetDict with `holdout` and `eval` splits: they were dropped without a word."""
    from datasets import Dataset, DatasetDict

    rows = Dataset.from_list(make_rows(60))
    DatasetDict({"train": rows, "dev": rows, "holdout": rows, "eval": rows}).save_to_disk(str(tmp_path / "d"))
    splits = load_splits(DataConfig(source=str(tmp_path / "d")))
    assert sorted(splits.splits) == ["train", "validation"]  # dev is the validation split
    assert f"left out splits 'holdout', 'eval' of {tmp_path / 'd'}: attn trains on train, validates on " in (
        "\n".join(splits.notes)
    )


def test_a_saved_dataset_with_an_empty_split_or_a_data_file_gone_is_named(tmp_path):
    """datasets saves no data file for an empty split and then cannot read the folder back: that was
    an IndexError, exit 1, as was a saved dataset missing its .arrow file."""
    import shutil

    from datasets import Dataset, DatasetDict

    rows = Dataset.from_dict({"text": ["bad", "good", "awful", "great"], "label": ["n", "p", "n", "p"]})
    DatasetDict({"train": rows, "validation": rows.select([])}).save_to_disk(str(tmp_path / "empty"))
    with pytest.raises(DataError, match="^split 'validation' of .*empty has no rows .*; give it rows"):
        load_splits(DataConfig(source=str(tmp_path / "empty")))
    rows.save_to_disk(str(tmp_path / "single"))
    shutil.copytree(tmp_path / "single", tmp_path / "damaged")
    next((tmp_path / "damaged").glob("*.arrow")).unlink()
    with pytest.raises(
        DataError, match="damaged lacks its data file data-00000-of-00001.arrow; copy or save"
    ):
        load_splits(DataConfig(source=str(tmp_path / "damaged")))
    assert load_splits(DataConfig(source=str(tmp_path / "single"))).label_names == ["n", "p"]


def test_unlabelled_test_rows_do_not_stop_training_but_stop_evaluation(tmp_path):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    from attncli.columns import Columns
    from attncli.split_rows import to_split

    features = Features({"sentence": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    labelled = Dataset.from_dict({"sentence": ["bad", "good"] * 4, "label": [0, 1] * 4}, features=features)
    unlabelled = Dataset.from_dict({"sentence": ["meh"], "label": [-1]}, features=features)
    DatasetDict({"train": labelled, "validation": labelled, "test": unlabelled}).save_to_disk(
        str(tmp_path / "d")
    )
    assert set(load_splits(DataConfig(source=str(tmp_path / "d"))).splits) == {"train", "validation"}
    with pytest.raises(DataError, match=r"row 1 of split 'test' \(counting from 1\) has no label"):
        to_split(unlabelled, name="test", columns=Columns("sentence", "label"), label_names=["neg", "pos"])


def test_numeric_labels_sort_numerically(tmp_path):
    from datasets import Dataset

    path = tmp_path / "d.jsonl"
    Dataset.from_dict({"review": ["a", "b", "c", "d"], "target": [10, 2, 2, 10]}).to_json(str(path))
    splits = load_splits(DataConfig(source=str(path)))
    assert splits.label_names == ["2", "10"]
    assert splits.label_column == "target"


def test_labels_that_differ_only_in_case_or_spaces_are_warned_of(tmp_path):
    labels = ["Sport", "sport ", "sport", "tech", "Tech", "politics", "ｐｏｌｉｔｉｃｓ", "sci  fi", "sci fi"]
    labels *= 3
    rows = [{"text": f"text {n}", "label": label} for n, label in enumerate(labels)]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows))))
    # Spaces around a label are no part of it ("sport " is "sport"); those inside are.
    assert splits.label_names == [
        *("Sport", "Tech", "politics", "sci  fi", "sci fi", "sport", "tech", "ｐｏｌｉｔｉｃｓ"),
    ]
    warnings = [note for note in splits.notes if "differ only in case" in note]
    assert warnings == [
        "warning: labels that differ only in case, inner spaces, underscores or hyphens, character forms, "
        "invisible characters, letters of another script drawn alike, the script of their digits or the "
        "way a number is written are separate "
        "classes (spaces around a label are no part of it): 'Sport', 'sport'; 'Tech', 'tech'; "
        "'politics', 'ｐｏｌｉｔｉｃｓ'; 'sci  fi', 'sci fi'; write each label one way if they mean the same"
    ]
    # Underscores and hyphens between words too: a trial's `Card Arrival` (6 rows) scored nothing,
    # every row predicted as `card_arrival`.
    from attncli.label_warnings import look_alike_labels_warning

    (said,) = look_alike_labels_warning(
        ["card_arrival", "Card Arrival", "card-arrival", "intent_12", "intent 12"]
    )
    assert "'card_arrival', 'Card Arrival', 'card-arrival'; 'intent_12', 'intent 12'" in said
    # ... and words written apart or together (a survey coder's `Work load` beside `Workload`).
    (together,) = look_alike_labels_warning(["Workload", "Work load", "Pay", "work-load"])
    assert "'Workload', 'Work load', 'work-load'" in together
    # ... and spaces beside marks (a cataloguer's headings: `Science>Physics`, 4 rows, was a class).
    (headings,) = look_alike_labels_warning(
        ["Science > Physics", "Science>Physics", "Law (EU)", "Law(EU)", "History: Europe", "History:Europe"]
    )
    assert "'Science > Physics', 'Science>Physics'; 'Law (EU)', 'Law(EU)'; 'History: Europe'," in headings
    # ... and Cyrillic or Greek letters drawn as Latin ones (a moderator's `сору` beside `copy`), but not
    # words of those scripts that look like no Latin label, nor a transliteration (кот is no kot).
    (homoglyphs,) = look_alike_labels_warning(
        ["copy", "\u0441\u043e\u0440\u0443", "ok", "кот", "kot", "σπαμ"]
    )
    assert "'copy', 'сору'; write" in homoglyphs and "kot" not in homoglyphs
    # A Cyrillic or Greek word in two cases is one look-alike (a review: capitals read as Latin parted them).
    (cases,) = look_alike_labels_warning(["Кот", "кот", "НОВОСТИ", "новости", "ΝΑΙ", "ναι"])
    assert "'Кот', 'кот'; 'НОВОСТИ', 'новости'; 'ΝΑΙ', 'ναι'" in cases
    assert look_alike_labels_warning(["-5", "5", "top_up", "top_down"]) == []  # a sign is no hyphen
    # Only between letters or digits: grades A- and A, and 1_2 (a number to Python) and 12, differ.
    assert (
        look_alike_labels_warning(["A", "A-", "B", "B-", "_other", "other", "1_2", "12", "-inf", "inf"]) == []
    )
    # One number written two ways: "2.0" is read as 2 (said apart), "0.50" and "007" are warned of
    numbers = ["0.5", "0.50", "7", "007", "2", "2.0", "3"] * 3
    rows = [{"text": f"text {n}", "label": label} for n, label in enumerate(numbers)]
    numbered = load_splits(DataConfig(source=str(write_csv(tmp_path / "n.csv", rows))))
    assert numbered.label_names == ["0.5", "0.50", "2", "3", "007", "7"]
    assert [note for note in numbered.notes if "differ only in case" in note][0].endswith(
        "(spaces around a label are no part of it): '0.5', '0.50'; '007', '7'; write each label one way if "
        "they mean the same"
    )
    distinct = [{"text": f"text {n}", "label": label} for n, label in enumerate(["a", "b"] * 3)]
    plain = load_splits(DataConfig(source=str(write_csv(tmp_path / "e.csv", distinct))))
    assert not [note for note in plain.notes if "differ only" in note or "missing value" in note]


def test_numbers_are_look_alikes_by_their_exact_value():
    from attncli.label_warnings import look_alike_labels_warning

    # 31 digits, and a number too small for a Decimal's default context: not rounded into another
    assert (
        look_alike_labels_warning(["1234567890123456789012345678901", "1234567890123456789012345678902"])
        == []
    )
    assert look_alike_labels_warning(["1e-999999999999999", "0"]) == []
    assert look_alike_labels_warning(["100", "1e2", "x"])[0].endswith(
        ": '100', '1e2'; write each label one way if they mean the same"
    )


def test_labels_joined_from_other_labels_are_warned_of_as_multi_label_data(tmp_path):
    """A multi-label export's csv ("sport,money" in a quoted cell) trained each combination, in each
    order, as a class of its own without a word (tests/test_label_warnings.py has the rule)."""
    labels = ["sport", "money", "sport,money", "money,sport", "tech"] * 4
    rows = [{"text": f"text {n}", "label": label} for n, label in enumerate(labels)]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows))))
    assert (
        "warning: labels 'money,sport', 'sport,money' look like several labels joined with ',': attn gives "
        "each text one label, so each combination trains as a class of its own ('money,sport' apart from "
        "'sport,money') (multi-label data is not supported yet); give each text one label"
    ) in splits.notes


def test_texts_that_read_as_a_missing_value_are_warned_of(tmp_path):
    """R's write.csv writes a missing text as NA: those rows trained as the word, said only by the
    warning that 'NA' occurs with several labels."""
    texts = ["NA", "soup", "NA", "goal", "<NA>", "NA today"] * 3
    rows = [{"text": text, "label": "ab"[n % 2]} for n, text in enumerate(texts)]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows))))
    assert (
        "warning: 9 texts of the training data are only 'NA', '<NA>', as R writes a missing text, "
        "and train as that word; if they mark rows with no text, empty those cells (R: write.csv(..., na = "
        '"")) and pass --drop-invalid to leave the rows out'
    ) in splits.notes
    clean = [{"text": f"text {n}", "label": "ab"[n % 2]} for n in range(10)]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "clean.csv", clean))))
    assert not [note for note in splits.notes if "missing value" in note]


def test_labels_that_read_as_a_missing_value_are_warned_of(tmp_path):
    """A spreadsheet's N/A or pandas' NaN written into a csv trains as a class (only an empty cell has
    no label); the only word was 'add examples if you can'."""
    labels = ["sport", "food", "NaN", "None", "sport", "food", "N/A"] * 3
    rows = [{"text": f"text {n}", "label": label} for n, label in enumerate(labels)]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows))))
    assert (
        "warning: labels 'N/A', 'NaN', 'None' read as a missing value but train as classes, since only "
        in ("\n".join(splits.notes))
    )
    from attncli.label_warnings import missing_marker_labels_warning

    # A class named so on purpose, in a word's own spelling, is not warned of: "none" of an intent set.
    assert missing_marker_labels_warning(["none", "missing", "na", "book_flight"]) == []
    # The NULL of a MySQL or PostgreSQL text dump (SELECT ... INTO OUTFILE, COPY) trained as a class
    # with only the few-examples warning.
    assert missing_marker_labels_warning(["\\N", "food"])[0].startswith(
        "warning: label '\\\\N' reads as a missing value but trains as a class"
    )
    # A dash alone, a spreadsheet user's "nothing here" (an HR analyst's trial), but not a label with one.
    assert missing_marker_labels_warning(["-", "Pay", "e-mail", "\u2014"])[0].startswith(
        "warning: labels '-', '\u2014' read as a missing value but train as classes"
    )
    assert missing_marker_labels_warning(["NaN", "food"]) == [
        "warning: label 'NaN' reads as a missing value but trains as a class, since only an empty cell has "
        'no label; if it marks rows with no label, empty those cells (R: write.csv(..., na = "")) and pass '
        "--drop-invalid to leave the rows out"
    ]
    # A spreadsheet's formula errors trained as classes without a word (only #N/A was said).
    warned = missing_marker_labels_warning(["#VALUE!", "#N/A", "Err:502", "food", "#ref!"])
    assert [warning.split(" ", 4)[:4] for warning in warned] == [
        ["warning:", "label", "'#N/A'", "reads"],
        ["warning:", "labels", "'#VALUE!',", "'Err:502',"],
    ]
    assert warned[1] == (
        "warning: labels '#VALUE!', 'Err:502', '#ref!' are a spreadsheet's formula errors, not labels, but "
        "train as classes; mend the formulas and export again, or empty those cells and pass "
        "--drop-invalid to leave the rows out"
    )
    assert missing_marker_labels_warning(["#DIV/0!", "food"]) == [
        "warning: label '#DIV/0!' is a spreadsheet's formula error, not a label, but trains as a class; mend "
        "the formulas and export again, or empty those cells and pass --drop-invalid to leave the rows out"
    ]
    assert missing_marker_labels_warning(["#hashtag", "Err:abc", "food"]) == []


def test_invisible_marks_around_a_label_are_no_part_of_it_and_look_alikes_are_named(tmp_path):
    """Arabic exports leave a right-to-left mark after a word: "سلبي" and "سلبي" + U+200F were two
    classes no table could tell apart. Emoji or text presentation and other digits are named."""
    labels = ["سلبي", "سلبي\u200f", "\u200fإيجابي", "إيجابي\ufeff", "❤️", "❤", "1", "١"] * 3
    rows = [{"text": f"text {n}", "label": label} for n, label in enumerate(labels)]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows))))
    assert splits.label_names == sorted(["سلبي", "إيجابي", "❤️", "❤", "1", "١"])
    warnings = [note for note in splits.notes if "differ only in case" in note]
    assert len(warnings) == 1 and "'1', '١'" in warnings[0] and "'❤', '❤️'" in warnings[0], warnings
    assert "سلبي" not in warnings[0]
    # Joiners and tag characters make other emoji: England's and Scotland's flags, a family and its
    # three people apart, are no look-alikes.
    england, scotland = (
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    )
    rows = [
        {"text": f"text {n}", "label": label}
        for n, label in enumerate([england, scotland, "👨\u200d👩\u200d👧", "👨👩👧"] * 3)
    ]
    apart = load_splits(DataConfig(source=str(write_csv(tmp_path / "flags.csv", rows))))
    assert len(apart.label_names) == 4 and not [note for note in apart.notes if "differ only" in note]
    # A checkpoint of an attn that kept the mark finds its label from the file's either spelling.
    assert known_label_key(None, "سلبي", {"سلبي\u200f", "x"}) == "سلبي\u200f"
    assert same_label_names(["سلبي", "x"], ["سلبي\u200f", "x"])
    # A mark that began a saved name sorted it elsewhere: the same labels, in another order.
    assert label_positions(["إيجابي", "سلبي"], ["سلبي", "\u200fإيجابي"]) == [1, 0]
    assert label_positions(["a", "b"], ["a", "a\u200f"]) is None  # two saved labels, one today
    # A label of invisible marks alone is no label, as one of spaces alone.
    assert missing_label(None, "\u200f") and missing_label(None, " \ufeff ") and not missing_label(None, "a")


def test_a_csv_with_a_space_after_each_comma_gives_labels_without_it(tmp_path):
    """`text, label` / `Cup final tonight, sport`: the labels were ' sport', ' tech', and an eval file
    written without the spaces was refused as holding labels the model never saw."""
    path = tmp_path / "spaced.csv"
    rows = [f"text {n} {label}, {label}" for n, label in enumerate(["sport", "tech", "money"] * 10)]
    path.write_text("text, label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    splits = load_splits(DataConfig(source=str(path)))
    assert splits.label_names == ["money", "sport", "tech"]
    blank = tmp_path / "blank.csv"
    blank.write_text("text,label\na,x\nb,y\nc,   \n" + "d,x\ne,y\n" * 5, encoding="utf-8")
    with pytest.raises(DataError, match="no label"):  # spaces only: no label, as an empty cell
        load_splits(DataConfig(source=str(blank)))
    assert sorted(known_label_key(None, label, [" sport", " tech"]) for label in ("sport", " tech ")) == [
        " sport",
        " tech",
    ]  # a checkpoint that kept the spaces still knows its labels


class _UnscannableLabels(set):
    """Known labels that may be looked up but not listed, as a row's match must not list them."""

    def __iter__(self):
        raise AssertionError("a row's label was matched by scanning every known label")


def test_matching_many_rows_looks_labels_up_rather_than_scanning_them():
    # Each row scanned every known label for a bare name: over 100 ms a row with 100,000 labels.
    names = [f"class {n}" for n in range(100_000)] + [" sport", "café"]
    bare = bare_names(names)
    known = _UnscannableLabels(names)
    keys = [known_label_key(None, value, known, bare) for value in ("sport", "class 7", "2.0", "nothing")]
    assert keys == [" sport", "class 7", "2.0", "nothing"]
    assert bare["sport"] == " sport" and bare["class 99999"] == "class 99999"


def test_a_label_with_composed_or_decomposed_accents_is_one_label_in_training_and_eval(tmp_path):
    import unicodedata

    from attncli.labels import same_label_names

    composed, decomposed = "café", unicodedata.normalize("NFD", "café")
    assert composed != decomposed
    rows = [{"text": f"text {n}", "label": [composed, decomposed, "tea"][n % 3]} for n in range(30)]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows))))
    assert splits.label_names == [composed, "tea"]  # two classes, not three that look like two
    train, validation = splits.splits["train"], splits.splits["validation"]
    assert sum(label == 0 for label in [*train.labels, *validation.labels]) == 20
    # A checkpoint of an earlier attn that saved the name decomposed still finds its label.
    assert known_label_key(None, composed, {decomposed, "tea"}) == decomposed
    assert known_label_key(None, decomposed, {composed, "tea"}) == composed
    assert same_label_names([composed, "tea"], [decomposed, "tea"])
    assert not same_label_names([composed, "tea"], ["tea", decomposed])
    assert same_label_names(["sport", "tech"], [" sport", " tech"])  # a run that kept the spaces resumes


def test_requested_columns_and_suggestions(tmp_path):
    path = write_csv(tmp_path / "d.csv", make_rows(20), text_column="body_text", label_column="section")
    splits = load_splits(DataConfig(source=str(path), text_column="body_text", label_column="section"))
    assert len(splits.splits["train"]) + len(splits.splits["validation"]) == 20
    with pytest.raises(DataError) as refused:
        load_splits(DataConfig(source=str(path)))
    assert str(refused.value) == (
        f"no label column found (pass --label-column to name one); {path} has columns 'body_text', 'section'"
    )
    with pytest.raises(DataError, match=r"label column 'sections' not found \(closest: 'section'\)"):
        load_splits(DataConfig(source=str(path), text_column="body_text", label_column="sections"))
    # A news classifier's `topic` is found, as a last resort.
    topics = write_csv(tmp_path / "t.csv", make_rows(20), text_column="body_text", label_column="topic")
    assert load_splits(DataConfig(source=str(topics))).label_column == "topic"


def test_a_label_column_of_codes_comes_after_the_one_naming_the_labels_and_is_said_passed_over():
    """category_id beside category_name: the ids were taken, and the model's labels read 0, 1, 2."""
    from attncli.layouts import layout_of_record

    row = {"headline": "Cup final tonight", "category_id": 0, "category_name": "sport"}
    chosen = choose_columns(layout_of_record(row), where="news.csv", text=None)
    assert (chosen.text, chosen.label) == ("headline", "category_name")
    assert "label column 'category_name' over 'category_id'" in (chosen.note or "")
    alone = choose_columns(layout_of_record({"text": "x", "label_id": 2}), where="d.csv", text=None)
    assert alone.label == "label_id"  # codes are still labels where nothing else names them


def test_detection_ignores_case_and_spaces_then_reads_words_and_says_so():
    def chosen(*names: str) -> tuple[str, str | None, str | None]:
        found = choose_columns(Layout(columns=names), where="d.csv", text=None)
        return found.text, found.label, found.note

    assert chosen("text", "label") == ("text", "label", None)  # exact names, in order
    # ... and another text column beside the one read is said not to be read (a trial's run read a
    # `text` of noise beside the `sentence` that held the signal, silently).
    assert chosen("content", "text", "label") == (
        "text",
        "label",
        "d.csv: using text column 'text'; 'content' is not read: --text-column content,text reads both, a "
        "line each",
    )
    assert "'Title' is not read" in str(chosen("Class Index", "Title", "Description")[2])  # AG News
    qnli = choose_columns(Layout(columns=("question", "sentence", "label", "idx")), where="d", text=None)
    assert qnli.text == "sentence" and "its pair 'question' is not read" in str(qnli.note)
    assert (
        choose_columns(Layout(columns=("title", "content", "label")), where="d", text="content").note is None
    )
    assert chosen("Text", "Label") == (
        "Text",
        "Label",
        "d.csv: using text column 'Text' and label column 'Label', chosen by name "
        "(--text-column and --label-column choose others)",
    )
    assert chosen("text ", "label")[:2] == ("text ", "label")
    # Amazon's review files: review_id and review_headline are not the text; review_body is.
    amazon = ("review_id", "review_headline", "review_body", "star_rating", "sentiment_label")
    assert chosen(*amazon)[:2] == ("review_body", "sentiment_label")
    assert chosen("id", "commentText", "label_text", "label")[:2] == ("commentText", "label")
    assert chosen("tweet_id", "tweet", "sentiment") == ("tweet", "sentiment", None)
    assert chosen("Utterance", "intent_label")[0] == "Utterance"
    # AG News as a csv: the description is the text, unless only a title is there.
    assert chosen("Class Index", "Title", "Description")[:2] == ("Description", "Class Index")
    assert chosen("id", "headline", "category")[:2] == ("headline", "category")
    assert "using text column 'headline', chosen by name" in str(chosen("id", "headline", "category")[2])
    # A title or a question is the text only when nothing longer is there.
    assert chosen("title", "review_body", "label")[:2] == ("review_body", "label")
    assert chosen("question", "tweet_text", "label")[:2] == ("tweet_text", "label")
    assert chosen("Title", "label")[:2] == ("Title", "label")
    # ... or a name holding one of those words with nothing better there, never an id of it.
    assert chosen("Headline Text", "Category Name")[:2] == ("Headline Text", "Category Name")
    assert chosen("news_headline", "label")[:2] == ("news_headline", "label")
    assert chosen("headline_id", "review_title", "label")[:2] == ("review_title", "label")
    with pytest.raises(DataError, match="no text column found"):
        chosen("headline_id", "label")
    # A support ticket's subject likewise (a user's trial: `Subject / Body` and `Subject` alone were
    # "no text column found"), after a body beside it.
    assert chosen("Ticket ID", "Subject / Body", "Category ")[:2] == ("Subject / Body", "Category ")
    assert chosen("Subject", "Category")[:2] == ("Subject", "Category")
    assert chosen("email_subject", "email_body", "label")[:2] == ("email_body", "label")
    assert chosen("subject_id", "subject", "label")[:2] == ("subject", "label")
    # Beside a text, a subject is said not to be read: a ticket's is often its most telling text
    # (a trial's went unread without a word), though it may be a topic
    assert chosen("text", "label", "subject") == (
        "text",
        "label",
        "d.csv: using text column 'text'; 'subject' is not read: where it holds text, not a topic, "
        "--text-column text,subject reads both, a line each",
    )
    # ... and so is one beside a nested text, in the same record (a trial's message.subject)
    nested = Layout(
        columns=("id", "message", "category"),
        paths=("message.subject", "message.body"),
        kinds={"message": "records"},
    )
    note = choose_columns(nested, where="t.jsonl", text=None).note
    assert (
        note is not None
        and "'message.subject' is not read" in note
        and "using text column 'message.body'" in note
    )


def test_a_label_column_named_as_the_texts_column_says_so(tmp_path):
    path = write_csv(tmp_path / "d.csv", make_rows(30))
    with pytest.raises(DataError) as refused:
        load_splits(DataConfig(source=str(path), label_column="text"))
    assert str(refused.value) == (
        "the label column named, 'text', is the column that holds the texts; name the column of labels "
        f"instead (--label-column), and the texts' if it is another (--text-column); {path} has columns "
        "'text', 'label'"
    )  # it said "no text column found", beside a listing that shows one


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "is empty"),
        ([{"text": "a", "label": "x"}, {"text": "b", "label": "x"}], "only one class"),
        # One class because a label is missing: the row is named, not the class count.
        ([{"text": "a", "label": "x"}, {"text": "b", "label": ""}], r"^line 3 of .* has no label in column"),
        ([{"text": "a", "label": "x"}, {"text": "b", "label": "y"}], "too few rows"),
        # The columns swapped: each "label" a text of its own, the "texts" a few repeated names.
        (
            [{"text": f"t{i % 3}", "label": f"a text number {i}"} for i in range(42)],
            r"^label column 'label' has 42 distinct values in 42 rows, most rows a label of their own, so it "
            r"holds texts, not labels; name the label column with --label-column \(.*d.csv has "
            r"columns 'text', 'label'\)$",
        ),
    ],
)
def test_unusable_training_data(tmp_path, rows, message):
    path = write_csv(tmp_path / "d.csv", rows)
    with pytest.raises(DataError, match=message):
        load_splits(DataConfig(source=str(path)))


def test_many_labels_on_few_rows_are_a_task_not_a_swapped_column(tmp_path):
    """20 labels however few their rows; and more, most of them once (intents, a shot or two each),
    where the labels are short names over distinct texts."""
    path = write_csv(tmp_path / "d.csv", [{"text": f"t{i}", "label": f"l{i % 20}"} for i in range(40)])
    assert len(load_splits(DataConfig(source=str(path))).label_names) == 20
    intents = [{"text": f"please help me number {i}", "label": f"intent {i % 30}"} for i in range(45)]
    folder = tmp_path / "intents"
    folder.mkdir()
    write_csv(folder / "train.csv", intents)
    write_csv(folder / "validation.csv", intents[:30])
    assert len(load_splits(DataConfig(source=str(folder))).label_names) == 30


def test_missing_text_and_unseen_validation_label(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", [{"text": "a", "label": "x"}, {"text": None, "label": "y"}])
    with pytest.raises(DataError, match=r"line 2 of .*train.jsonl has no text in column 'text'"):
        load_splits(DataConfig(source=str(tmp_path)))
    write_jsonl(tmp_path / "train.jsonl", [{"text": "a", "label": "x"}, {"text": " \t", "label": "y"}])
    with pytest.raises(DataError, match=r"line 2 of .*train.jsonl has an empty text"):
        load_splits(DataConfig(source=str(tmp_path)))
    # As predict gives such a text no label, training learns none for it.
    write_jsonl(
        tmp_path / "train.jsonl", [{"text": "a", "label": "x"}, {"text": "\u200b\ufe0f", "label": "y"}]
    )
    with pytest.raises(
        DataError, match=r"line 2 of .*train.jsonl has a text of invisible characters alone in"
    ):
        load_splits(DataConfig(source=str(tmp_path)))
    write_jsonl(tmp_path / "train.jsonl", [{"text": "a", "label": "x"}, {"text": "b", "label": "y"}])
    write_jsonl(tmp_path / "validation.jsonl", [{"text": "c", "label": "z"}])
    with pytest.raises(DataError, match="label 'z'"):
        load_splits(DataConfig(source=str(tmp_path)))


def test_predict_output_is_no_training_data_unless_its_label_column_is_named(tmp_path):
    """A file attn predict labelled (an annotator's pre-labelled rows) was trained on without a
    word, its predictions taken for true labels, where eval of it refused to score them."""
    predicted = [
        {"id": i, "text": f"text {i}", "label": "ab"[i % 2], "score": 0.9, "prob_a": 0.9, "prob_b": 0.1}
        for i in range(20)
    ]
    path = tmp_path / "prelabelled.csv"
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(predicted[0]))
        writer.writeheader()
        writer.writerows(predicted)
    with pytest.raises(DataError) as refused:
        load_splits(DataConfig(source=str(path)))
    assert str(refused.value) == (
        f"{path} is attn predict's output, whose column 'label' holds its predictions, not true labels; "
        "where they were checked or corrected by hand, name it: --label-column label"
    )
    assert load_splits(DataConfig(source=str(path), label_column="label")).label_names == ["a", "b"]
    as_json = write_jsonl(
        tmp_path / "prelabelled.jsonl",
        [
            {"index": i, "text": f"t {i}", "label": "ab"[i % 2], "top_k": [], "truncated_tokens": 0}
            for i in range(20)
        ],
    )
    with pytest.raises(DataError, match="prelabelled.jsonl is attn predict's output"):
        load_splits(DataConfig(source=str(as_json)))
    # A label and a score of another kind (a review's stars) is a table of the user's own.
    reviews = tmp_path / "reviews.csv"
    reviews.write_text(
        "text,label,score\n" + "".join(f"text {i},{'ab'[i % 2]},{i % 5 + 1}\n" for i in range(20))
    )
    assert load_splits(DataConfig(source=str(reviews))).label_names == ["a", "b"]


def test_missing_paths_and_unreachable_hub(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="does not exist"):
        load_splits(DataConfig(source=str(tmp_path / "absent.csv")))
    for name in ("ev.csv", "semi.csv"):  # a name that differs but for case is the one meant
        (tmp_path / name).write_text("text,label\n")
    with pytest.raises(DataError, match=r"has no EV.CSV; did you mean ev.csv\?\);"):
        load_splits(DataConfig(source=str(tmp_path / "EV.CSV")))
    with pytest.raises(DataError, match="no split files"):
        load_splits(DataConfig(source=str(tmp_path)))
    # HF_DATASETS_OFFLINE=1 (conftest) makes the Hub lookup fail at once, without the network.
    with pytest.raises(DataError, match="Hugging Face Hub") as caught:
        load_splits(DataConfig(source="surely_not_a_dataset_name"))
    assert (
        "offline mode is on (HF_HUB_OFFLINE=1, HF_DATASETS_OFFLINE=1), so only datasets already in the "
        in (str(caught.value))
    )
    # A relative path (a checkpoint's config.json used from another folder) is said to be looked for
    # here: the Hub's reason alone sent the reader to the network
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source="data/bbc_headlines"))
    where = f"; no file or folder 'data/bbc_headlines' in {tmp_path}, where a relative path is read from; "
    assert where in str(caught.value), caught.value


def test_an_unreachable_hub_is_said_to_be_unreachable_not_the_name_wrong(monkeypatch):
    """With offline mode off and no network, the Hub client retries for half a minute, then raises
    LocalEntryNotFoundError; the message spoke of the name alone."""
    import datasets
    from huggingface_hub.errors import LocalEntryNotFoundError

    def unreachable(*args, **kwargs):
        try:
            raise OSError("[Errno -2] Name or service not known")
        except OSError as cause:
            raise LocalEntryNotFoundError("cannot find the requested files in the local cache") from cause

    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(name)
    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source="owner/some_name"))
    assert str(caught.value).endswith(
        "; the Hugging Face Hub could not be reached (no network?) and the dataset is not in the local "
        "cache; check the connection, or pass a local file or folder (HF_HUB_OFFLINE=1 skips asking the Hub)"
    )


def test_a_hub_dataset_with_several_configurations_names_them(tmp_path, monkeypatch):
    """A dataset repository whose card lists configurations, laid out as on the Hub and loaded by
    datasets itself, stands in for the Hub (unreachable in tests)."""
    import datasets

    for name in ("sst2", "cola"):
        (tmp_path / name).mkdir()
        write_jsonl(tmp_path / name / "train.jsonl", make_rows(20))
    (tmp_path / "README.md").write_text(
        "---\nconfigs:\n"
        + "".join(f"- config_name: {name}\n  data_files: {name}/train.jsonl\n" for name in ("sst2", "cola"))
        + "---\n"
    )
    load_dataset = datasets.load_dataset
    monkeypatch.setattr(
        datasets, "load_dataset", lambda name, config=None: load_dataset(str(tmp_path), config)
    )
    with pytest.raises(DataError) as missing:
        load_splits(DataConfig(source="nyu-mll/glue"))
    assert str(missing.value) == (
        "'nyu-mll/glue' has several configurations; pick one of sst2, cola with --set data.config=NAME"
    )
    with pytest.raises(DataError) as unknown:
        load_splits(DataConfig(source="nyu-mll/glue", config="mnli"))
    assert str(unknown.value) == (
        "'nyu-mll/glue' has no configuration 'mnli'; pick one of sst2, cola with --set data.config=NAME"
    )
    splits = load_splits(DataConfig(source="nyu-mll/glue", config="cola"))
    assert sum(len(split) for split in splits.splits.values()) == 20


def test_a_dev_split_of_a_saved_dataset_is_its_validation_split(tmp_path):
    from datasets import Dataset, DatasetDict

    rows = make_rows(40)
    train, dev = Dataset.from_list(rows[:30]), Dataset.from_list(rows[30:])
    DatasetDict({"train": train, "dev": dev}).save_to_disk(str(tmp_path / "disk"))
    splits = load_splits(DataConfig(source=str(tmp_path / "disk")))
    assert len(splits.splits["train"]) == 30 and len(splits.splits["validation"]) == 10


def test_data_files_that_name_no_split_are_said_to_be_left_out(tmp_path):
    write_jsonl(tmp_path / "train.jsonl", make_rows(40))
    write_jsonl(tmp_path / "eval.jsonl", make_rows(10))
    splits = load_splits(DataConfig(source=str(tmp_path)))
    assert (
        f"left out eval.jsonl in {tmp_path}: a split file is named train, validation (valid, val, dev) "
        "or test" in splits.notes
    )
    (tmp_path / "train.jsonl").rename(tmp_path / "trainingdata.jsonl")  # no split's word among others
    with pytest.raises(DataError, match=r"holds no split files \(eval.jsonl, trainingdata.jsonl name no"):
        load_splits(DataConfig(source=str(tmp_path)))
    (tmp_path / "trainingdata.jsonl").rename(tmp_path / "training-data.jsonl")  # as datasets reads it: train
    assert sum(_split_sizes(load_splits(DataConfig(source=str(tmp_path)))).values()) == 40


def test_a_misspelt_split_file_is_warned_of_with_its_right_name(tmp_path):
    """validaton.jsonl was left out with a plain line, and rows carved out of train instead: a
    model-selection trial's own validation split was replaced without a warning to search for."""
    write_jsonl(tmp_path / "train.jsonl", make_rows(40))
    write_jsonl(tmp_path / "validaton.jsonl", make_rows(10))
    write_jsonl(tmp_path / "tests.jsonl", make_rows(10))
    write_jsonl(tmp_path / "text.jsonl", make_rows(10))  # a word of its own, not a split's misspelt
    notes = load_splits(DataConfig(source=str(tmp_path))).notes
    assert [note for note in notes if note.startswith("warning:") and "names no split" in note] == [
        f"warning: {tmp_path / 'tests.jsonl'} names no split, so it is not read; if it is the test split, "
        "rename it test.jsonl",
        f"warning: {tmp_path / 'validaton.jsonl'} names no split, so it is not read; if it is the "
        "validation split, rename it validation.jsonl",
    ]
    write_jsonl(tmp_path / "dev.jsonl", make_rows(10))  # the folder has its validation split
    notes = load_splits(DataConfig(source=str(tmp_path))).notes
    assert not [note for note in notes if "validaton" in note and note.startswith("warning:")]


def test_shards_name_splits_of_their_own_as_the_hub_names_them(tmp_path):
    """MNLI's parquet files: validation_matched-00000-of-00001.parquet beside train shards was left
    out as naming no split, so `attn eval RUN --split test_matched` found none."""
    from conftest import save_untrained_checkpoint
    from datasets import Dataset

    from attncli.checkpoint import load_checkpoint
    from attncli.evaluation import evaluate
    from attncli.sources import load_raw

    (tmp_path / "data").mkdir()
    Dataset.from_list(make_rows(60)).to_parquet(str(tmp_path / "data" / "train-00000-of-00001.parquet"))
    for name, seed in (("validation_matched", 3), ("test_matched", 4)):
        Dataset.from_list(make_rows(12, seed=seed)).to_parquet(
            str(tmp_path / "data" / f"{name}-00000-of-00001.parquet")
        )
    (tmp_path / "data" / "notes-v2.parquet").write_bytes(b"")  # not a shard: names no split
    raw = load_raw(str(tmp_path))
    assert sorted(raw.splits) == ["test_matched", "train", "validation_matched"]
    loaded = load_checkpoint(save_untrained_checkpoint(tmp_path / "run"))
    result = evaluate(loaded, str(tmp_path), split="test_matched")
    assert (result.split, result.n) == ("test_matched", 12)
    splits = load_splits(DataConfig(source=str(tmp_path)))  # training carves its own validation rows
    assert _split_sizes(splits) == {"train": 54, "validation": 6}


def test_one_file_of_a_repository_is_given_the_labels_of_the_configuration_whose_files_name_it(tmp_path):
    """A repository file named alone reads the class labels its README.md gives that file's
    configuration; a file of none of its configurations reads none (whose names it has is a guess)."""
    import pyarrow as arrow
    import pyarrow.parquet as parquet

    from attncli.sources import load_raw

    info = "".join(
        f"- config_name: {name}\n  features:\n  - name: label\n    dtype:\n      class_label:\n"
        f"        names:\n          '0': {first}\n          '1': {second}\n"
        for name, first, second in (("small", "neg", "pos"), ("large", "bad", "good"))
    )
    (tmp_path / "README.md").write_text(
        "---\nconfigs:\n- config_name: small\n  data_files: small/*.parquet\n- config_name: large\n"
        f"  data_files: large/*.parquet\ndataset_info:\n{info}---\n",
        encoding="utf-8",
    )
    for folder in ("small", "large", "extra"):
        (tmp_path / folder).mkdir()
        parquet.write_table(
            arrow.table({"text": ["a", "b"], "label": [0, 1]}), tmp_path / folder / "x.parquet"
        )
    names = {
        folder: load_raw(str(tmp_path / folder / "x.parquet")).splits["train"].features["label"]
        for folder in ("small", "large", "extra")
    }
    assert names["small"].names == ["neg", "pos"] and names["large"].names == ["bad", "good"]
    assert names["extra"].dtype == "int64"


def test_a_cloned_hub_repository_with_configurations_reads_the_one_named(tmp_path):
    """`git clone` of a Hub dataset with configurations (README.md's `configs:`, each in a folder of
    its own): it was refused as holding no split files, and data.config called unused."""
    from attncli.config_loading import load_config
    from attncli.run_warnings import given_but_unused
    from attncli.sources import load_raw

    (tmp_path / "README.md").write_text(
        "---\nconfigs:\n"
        "- config_name: small\n  data_files:\n  - split: train\n    path: small/train-*\n"
        "  - split: test\n    path: small/test-*\n"
        "- config_name: large\n  data_files:\n  - split: train\n    path: large/train-*\n"
        "---\n# a dataset\n",
        encoding="utf-8",
    )
    for name, count in (("small", 30), ("large", 60)):
        (tmp_path / name).mkdir()
        write_csv(tmp_path / name / "train-00000-of-00001.csv", make_rows(count))
    write_csv(tmp_path / "small" / "test-00000-of-00001.csv", make_rows(9, seed=3))
    with pytest.raises(DataError) as refused:
        load_raw(str(tmp_path))
    assert str(refused.value) == (
        f"{tmp_path} is a dataset repository with configurations small, large (its README.md); choose one "
        "with data.config (train --set data.config=NAME; eval reads the one the run trained on)"
    )
    small = load_raw(str(tmp_path), config_name="small")
    assert {name: len(split.data) for name, split in small.splits.items()} == {"train": 30, "test": 9}
    assert len(load_raw(str(tmp_path), config_name="large").splits["train"].data) == 60
    with pytest.raises(DataError, match="has no configuration 'medium'; its README.md names small, large"):
        load_raw(str(tmp_path), config_name="medium")
    splits = load_splits(DataConfig(source=str(tmp_path), config="large"))
    assert sum(_split_sizes(splits).values()) == 60
    config = load_config(None, [f"data.source={tmp_path}", "data.config=large"])
    assert given_but_unused(config, {"data.config": "large"}) == []
    (tmp_path / "README.md").unlink()  # a plain folder: a configuration means nothing there
    assert given_but_unused(config, {"data.config": "large"})[0].startswith("data.config=large (it names")


@pytest.mark.parametrize(
    ("declared", "sizes"),
    [
        ("  data_files: small/train-*", {"train": 30}),  # one pattern: the train split
        ("  data_files:\n  - small/train-*\n  - large/train-*", {"train": 90}),  # patterns alone
        ("  data_files:\n    train: small/train-*\n    test: small/test-*", {"train": 30, "test": 9}),
        ("  data_dir: small", {"train": 30, "test": 9}),  # a folder of split files
    ],
)
def test_each_way_a_readme_declares_files_is_read_as_datasets_reads_it(tmp_path, declared, sizes):
    """A review found lists of patterns, mappings and data_dir read as no splits at all, where the
    folder had trained before."""
    from attncli.sources import load_raw

    (tmp_path / "README.md").write_text(
        f"---\nconfigs:\n- config_name: 2020\n{declared}\n---\n", encoding="utf-8"
    )
    for name, count in (("small", 30), ("large", 60)):
        (tmp_path / name).mkdir()
        write_csv(tmp_path / name / "train-00000-of-00001.csv", make_rows(count))
    write_csv(tmp_path / "small" / "test-00000-of-00001.csv", make_rows(9, seed=3))
    raw = load_raw(str(tmp_path))  # one configuration (named by a number): no need to name it
    assert {name: len(split.data) for name, split in raw.splits.items()} == sizes


def test_the_default_configuration_is_read_without_naming_it_and_eval_reads_the_runs_in_a_copy(tmp_path):
    import shutil

    from conftest import save_untrained_checkpoint

    from attncli.checkpoint import load_checkpoint
    from attncli.evaluation import evaluate
    from attncli.sources import load_raw

    repository = tmp_path / "repo"
    for name, count in (("a", 30), ("b", 45)):
        (repository / name).mkdir(parents=True)
        write_csv(repository / name / "test-00000-of-00001.csv", make_rows(count, seed=4))
    readme = (
        "---\nconfigs:\n- config_name: a\n  data_files: a/test-*\n- config_name: b\n  data_files: b/test-*\n"
    )
    (repository / "README.md").write_text(readme.replace("b/test-*", "b/test-*\n  default: true") + "---\n")
    assert len(load_raw(str(repository)).splits["train"].data) == 45
    (repository / "README.md").write_text(readme.replace("config_name: b", "config_name: default") + "---\n")
    assert len(load_raw(str(repository)).splits["train"].data) == 45  # datasets' name for its default
    (repository / "README.md").write_text(readme + "---\n")
    copy = tmp_path / "copy"
    shutil.copytree(repository, copy)
    trained_on = {"source": str(repository), "config": "a", "text_column": "text", "label_column": "label"}
    run = save_untrained_checkpoint(tmp_path / "run", data=trained_on)
    assert evaluate(load_checkpoint(run), str(copy), split="train").n == 30  # the run's configuration
    (copy / "README.md").write_text(readme.replace("a/test-*", "../repo/b/test-*") + "---\n")
    with pytest.raises(
        DataError, match="names .*test-00000-of-00001.csv, outside the folder; copy its files"
    ):
        load_raw(str(copy), config_name="a")
    # A link in the folder to files elsewhere (a Hub snapshot's, a data/ on scratch storage) is in
    # the folder, as datasets reads it: it was refused as outside (a trial).
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "README.md").write_text(readme + "---\n")
    (linked / "a").symlink_to(repository / "a", target_is_directory=True)
    assert len(load_raw(str(linked), config_name="a").splits["train"].data) == 30


def test_shards_of_a_split_as_the_hub_names_them_are_read_together(tmp_path):
    """A dataset repository cloned from the Hub: data/train-00000-of-00002.parquet and so on."""
    from datasets import Dataset

    (tmp_path / "data").mkdir()
    rows = make_rows(90)
    for number, part in enumerate((rows[:40], rows[40:])):
        Dataset.from_list(part).to_parquet(str(tmp_path / "data" / f"train-0000{number}-of-00002.parquet"))
    test = tmp_path / "data" / "test-00000-of-00001.parquet"
    Dataset.from_list(make_rows(12, seed=5)).to_parquet(str(test))
    splits = load_splits(DataConfig(source=str(tmp_path)))
    assert _split_sizes(splits) == {"train": 81, "validation": 9}
    every_text = sorted([*splits.splits["train"].texts, *splits.splits["validation"].texts])
    assert every_text == sorted(row["text"] for row in rows)
    (tmp_path / "data" / "train-00001-of-00002.parquet").unlink()  # a shard lost: not a shorter split
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source=str(tmp_path)))
    assert str(caught.value) == (
        "split 'train' is missing its shard train-00001-of-00002.parquet; put every shard of it in the folder"
    )
    write_jsonl(tmp_path / "data" / "train.jsonl", rows)  # a whole file beside shards: which is meant?
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source=str(tmp_path)))
    assert str(caught.value) == (
        f"{tmp_path / 'data'} holds split 'train' twice: train.jsonl, and shards such as "
        "train-00000-of-00002.parquet; move train.jsonl or the shards out of the folder"
    )
    two = tmp_path / "two"
    two.mkdir()
    write_jsonl(two / "train.jsonl", rows)
    write_jsonl(two / "dev.jsonl", rows)
    write_jsonl(two / "validation.jsonl", rows)  # dev is validation too
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source=str(two)))
    assert str(caught.value) == (
        f"{two} holds two files for split 'validation': dev.jsonl and validation.jsonl; move one of them out "
        "of the folder (or rename it so that it names no split)"
    )


def test_files_named_by_a_split_word_among_others_are_that_split_as_datasets_reads_them(tmp_path):
    """data-train-00000.parquet beside data-test-00000.parquet were said to name no split, where
    `datasets.load_dataset(folder)` reads them as train and test (an annotation workflow's trial)."""
    from datasets import Dataset

    rows = make_rows(90)
    for number, part in enumerate((rows[:40], rows[40:])):
        Dataset.from_list(part).to_parquet(str(tmp_path / f"data-train-0000{number}.parquet"))
    Dataset.from_list(make_rows(12, seed=5)).to_parquet(str(tmp_path / "data-test-00000.parquet"))
    (tmp_path / "contest.csv").write_text("not,a split\n")  # a word holding "test" is not "test"
    splits = load_splits(DataConfig(source=str(tmp_path)))
    assert _split_sizes(splits) == {"train": 81, "validation": 9}
    named = tmp_path / "named"
    named.mkdir()
    write_jsonl(named / "bbc_train.jsonl", rows)
    write_jsonl(named / "bbc_dev.jsonl", make_rows(12, seed=6))
    assert _split_sizes(load_splits(DataConfig(source=str(named)))) == {"train": 90, "validation": 12}
    # Beside a file named for a split itself they are left out with a note, as before such names were
    # read: predict's output kept beside the data (test_predictions.csv) is no part of test.
    write_jsonl(named / "train.jsonl", make_rows(30, seed=8))
    splits = load_splits(DataConfig(source=str(named)))
    assert _split_sizes(splits) == {"train": 27, "validation": 3}  # validation carved from train.jsonl
    assert any(note.startswith("left out bbc_dev.jsonl, bbc_train.jsonl in") for note in splits.notes), (
        splits.notes
    )


def test_shards_named_with_their_fingerprint_are_shards_of_their_split(tmp_path):
    """push_to_hub of older datasets versions named them train-00000-of-00002-<16 hex digits>.parquet;
    they were said to name no split."""
    from datasets import Dataset

    rows = make_rows(90)
    fingerprints = ["6d3c0a9e1f2b4c5d", "0123456789abcdef"]
    for number, part in enumerate((rows[:40], rows[40:])):
        name = f"train-0000{number}-of-00002-{fingerprints[number]}.parquet"
        Dataset.from_list(part).to_parquet(str(tmp_path / name))
    splits = load_splits(DataConfig(source=str(tmp_path)))
    assert _split_sizes(splits) == {"train": 81, "validation": 9}
    (tmp_path / f"train-00000-of-00002-{fingerprints[0]}.parquet").unlink()
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source=str(tmp_path)))
    assert str(caught.value).startswith("split 'train' is missing its shard train-00000-of-00002-*.parquet;")


def test_a_folders_split_saved_as_a_workbook_is_named_as_one(tmp_path):
    """train.xlsx beside test.csv was `has no train split (splits: test); name one file train.*`, and
    alone `holds no split files`: neither said it is a workbook. Beside the csv saved from it, the
    workbook is left alone."""
    (tmp_path / "train.xlsx").write_bytes(b"PK\x03\x04")
    for beside in ([], ["test.csv"]):
        for name in beside:
            write_csv(tmp_path / name, make_rows(20))
        with pytest.raises(DataError) as caught:
            load_splits(DataConfig(source=str(tmp_path)))
        assert str(caught.value) == (
            f"{tmp_path / 'train.xlsx'} is an Excel workbook, not a data file attn reads; save it as CSV "
            "(UTF-8) and pass that"
        )
    write_csv(tmp_path / "train.csv", make_rows(40))
    assert len(load_splits(DataConfig(source=str(tmp_path))).splits["train"]) == 37  # 3 held out
    # Other Office files beside a train split are left alone: a test workbook, the labelling guide
    # (training.docx names the train split by its alias).
    (tmp_path / "test.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / "training.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "train.csv").rename(tmp_path / "train-00000-of-00001.csv")
    assert len(load_splits(DataConfig(source=str(tmp_path))).splits["train"]) == 37
    # A validation workbook beside the train file was passed over for rows carved out of train.
    (tmp_path / "dev.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(DataError, match=r"dev.xlsx is an Excel workbook, not a data file attn reads"):
        load_splits(DataConfig(source=str(tmp_path)))


def test_compressed_data_files_are_refused_with_the_command_that_opens_them(tmp_path):
    import gzip

    from attncli.record_sources import from_file

    (tmp_path / "lake dir").mkdir()
    plain = write_jsonl(tmp_path / "lake dir" / "train.jsonl", make_rows(40))
    packed = tmp_path / "lake dir" / "train.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    # Beside the file it was made from (where `gunzip -k` would refuse to write over it), that file.
    beside = (
        f"{packed} is compressed (.gz), and attn reads data files uncompressed; train.jsonl beside it may be "
        f"the same data uncompressed: pass '{plain}'"
    )
    # Else the command, its path quoted so that it can be pasted (a data lake's folder had a space).
    alone = (
        f"{packed} is compressed (.gz), and attn reads data files uncompressed; run `gunzip -k '{packed}'` "
        "and pass the file it gives"
    )
    assert len(load_splits(DataConfig(source=str(plain.parent))).splits["train"]) == 37  # beside its original
    for expected in (beside, alone):
        for read in (lambda: load_splits(DataConfig(source=str(packed))), lambda: from_file(packed)):
            with pytest.raises(DataError) as caught:
                read()
            assert str(caught.value) == expected
        plain.unlink(missing_ok=True)
    with pytest.raises(DataError, match=r"is compressed \(.gz\)"):
        load_splits(DataConfig(source=str(plain.parent)))

    # Compressed under a plain name: it was "not valid utf-8; pass --encoding (latin-1)".
    import bz2
    import lzma

    text = "text,label\n" + "".join(f"row {n},{n % 2}\n" for n in range(20))
    for index, (compress, kind, command) in enumerate(
        [
            (gzip.compress, "gzip", "gunzip -c"),
            (bz2.compress, "bzip2", "bunzip2 -c"),
            (lambda data: bz2.compress(data, 1), "bzip2", "bunzip2 -c"),  # bzip2 -1: its magic says 1, not 9
            (lzma.compress, "xz", "unxz -c"),
        ]
    ):
        hidden = tmp_path / f"{kind}-{index}" / "train.csv"
        hidden.parent.mkdir()
        hidden.write_bytes(compress(text.encode()))
        for read in (lambda path: load_splits(DataConfig(source=str(path))), from_file):
            with pytest.raises(DataError) as caught:
                read(hidden)
            assert str(caught.value) == (
                f"{hidden} is {kind}-compressed, though its name does not say so, and attn reads data files "
                f"uncompressed; run `{command} {hidden} > train-plain.csv` and pass that file"
            )


def _assert_wide_file_advice(path, codec, shows):
    """train and eval, predict and inspect all take --encoding utf-16, and say so first: the advice
    was iconv alone."""
    from attncli.record_sources import from_file

    iconv = f"iconv -f {codec} -t utf-8 {path} > train-utf8.csv"
    for read in (lambda: load_splits(DataConfig(source=str(path))), lambda: from_file(path)):
        with pytest.raises(DataError) as caught:
            read()
        assert str(caught.value) == f"{shows}; pass --encoding {codec}, or convert it with {iconv}"


def test_a_utf16_or_utf32_file_with_its_byte_order_mark_is_read_as_such_without_being_asked(tmp_path):
    """Excel's "Unicode Text" and PowerShell's `>` save UTF-16 with its mark: every command refused
    it without --encoding utf-16, where a UTF-8 mark is read by itself. Read as marked (train and
    predict), with a note; a file read as another 8-bit encoding is still refused with the advice."""
    from attncli.record_sources import from_file

    for codec in ("utf-16", "utf-32"):
        path = tmp_path / f"train-{codec}.csv"
        path.write_text("text,label\n" + "".join(f"row {n},{n % 2}\n" for n in range(20)), encoding=codec)
        assert len([record for chunk in from_file(path).chunks for record in chunk]) == 20
        assert len([record for chunk in from_file(path, encoding=codec).chunks for record in chunk]) == 20
        splits = load_splits(DataConfig(source=str(path)))
        assert len(splits.splits["train"]) == 18
        note = f"{path.name} opens with a {codec.upper()} byte-order mark, so it is read as {codec}"
        assert note in splits.notes
        assert note not in load_splits(DataConfig(source=str(path), encoding=codec)).notes
        with pytest.raises(
            DataError, match=rf"is {codec.upper()} \(it starts with a {codec.upper()} byte-order"
        ):
            load_splits(DataConfig(source=str(path), encoding="cp1252"))


def test_utf16_or_utf32_without_a_byte_order_mark_or_on_standard_input_is_refused_with_what_to_do(tmp_path):
    """UTF-16LE without a mark read as utf-8 gave 'S h a r e s' texts and a record of a lone NUL,
    exit 0; on standard input a UTF-16 mark got the advice to pass --encoding latin-1, which read
    garbage (now a mark is read as it says; a replaced stdin with no descriptor still refuses it)."""
    import io
    import os

    from attncli.record_sources import _arriving_records, from_file, from_stdin

    texts = "".join(f"row {n},{n % 2}\n" for n in range(20))
    path = tmp_path / "train.csv"
    path.write_bytes(("text,label\n" + texts).encode("utf-16-le"))
    shows = f"{path} is UTF-16LE (it has no byte-order mark, but every other byte is zero)"
    _assert_wide_file_advice(path, "utf-16le", shows)
    assert len(load_splits(DataConfig(source=str(path), encoding="utf-16-le")).splits["train"]) == 18
    big_endian = tmp_path / "texts.txt"
    big_endian.write_bytes("Shares rose\nGoal\n".encode("utf-16-be"))
    with pytest.raises(DataError, match="is UTF-16BE .*; pass --encoding utf-16be, or convert it with iconv"):
        from_file(big_endian)
    # UTF-32 without a mark was 'UTF-16 without a byte-order mark' to the advice, or binary data.
    big_endian.write_bytes("Shares rose\nGoal\n".encode("utf-32-be"))
    with pytest.raises(DataError, match="is UTF-32BE .*; pass --encoding utf-32be, or convert it with iconv"):
        from_file(big_endian)
    # 32-bit integers under 65,536 (token ids, numpy's int32) have its zero bytes, and no space or
    # line end: binary data still, not UTF-32 to read as told (a review).
    ids = tmp_path / "ids.bin"
    ids.write_bytes(
        b"".join(number.to_bytes(4, "little") for number in range(1, 2000, 3) if number not in (10, 32))
    )
    with pytest.raises(DataError, match="is not text in an 8-bit encoding or UTF-8 .*: binary data"):
        from_file(ids)
    (tmp_path / "utf32").mkdir()
    wide = tmp_path / "utf32" / "train.csv"
    wide.write_bytes(("text,label\n" + texts).encode("utf-32-le"))
    four = "it has no byte-order mark, but each character is four bytes, the high ones zero"
    _assert_wide_file_advice(wide, "utf-32le", f"{wide} is UTF-32LE ({four})")
    assert len(load_splits(DataConfig(source=str(wide), encoding="utf-32-le")).splits["train"]) == 18

    def from_pipe(data: bytes) -> list[str]:
        reading, writing = os.pipe()
        os.write(writing, data)
        os.close(writing)
        try:
            return [record.text for chunk in _arriving_records(reading, encoding="utf-8") for record in chunk]
        finally:
            os.close(reading)

    # With its byte-order mark (PowerShell's pipes), UTF-16 or UTF-32 is read as such, as a file is.
    assert from_pipe("Shares rose\r\ncafé\n".encode("utf-16")) == ["Shares rose", "café"]
    assert from_pipe("Shares rose\n".encode("utf-32")) == ["Shares rose"]
    with pytest.raises(DataError, match="^standard input is UTF-16LE "):
        from_pipe("Shares rose\n".encode("utf-16-le"))
    assert from_pipe("Shares rose\ncafé\n".encode()) == ["Shares rose", "café"]
    with pytest.MonkeyPatch.context() as patch:  # a replaced stdin (a test runner's, an embedding host's)
        patch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO("Goal\n".encode("utf-16"))))
        with pytest.raises(DataError, match="^standard input is UTF-16 "):
            list(from_stdin().chunks)


def test_files_in_another_encoding_name_the_line_and_load_with_data_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        "text,label\nsoup,food\ncaf\xe9 cr\xe8me,food\ngoal,sport\nmatch,sport\n".encode("latin-1")
    )
    with pytest.raises(DataError, match=r"line 3 of .*latin.csv is not valid utf-8; pass --encoding"):
        load_splits(DataConfig(source=str(path)))
    splits = load_splits(DataConfig(source=str(path), encoding="latin-1", validation_fraction=0.5))
    texts = [*splits.splits["train"].texts, *splits.splits["validation"].texts]
    assert "café crème" in texts


def test_an_unwritable_datasets_cache_is_named_not_blamed_on_the_data(tmp_path, monkeypatch):
    from attncli.sources import load_raw

    data = write_csv(tmp_path / "d.csv", make_rows(12))
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(blocker / "x"))
    import datasets  # it reads the variable once, when imported: as a new process would see it

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", blocker / "x")
    with pytest.raises(DataError, match=f"HF_DATASETS_CACHE={blocker / 'x'} .*point HF_DATASETS_CACHE at a"):
        load_raw(str(data))


def test_a_full_temporary_folder_is_named_not_blamed_on_the_data(tmp_path, monkeypatch):
    import errno

    import datasets

    from attncli.sources import load_raw

    data = write_csv(tmp_path / "d.csv", make_rows(12))

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(datasets, "load_dataset", disk_full)
    monkeypatch.delenv("HF_DATASETS_CACHE")  # the run's own temporary copies
    with pytest.raises(DataError) as refused:  # it said "could not read d.csv as csv: [Errno 28] ..."
        load_raw(str(data))
    assert str(refused.value).startswith("could not write the Arrow copy of d.csv to ")
    assert str(refused.value).endswith(
        "(the disk is full); free some space, or point TMPDIR at a folder with room"
    )
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataError) as cache_full:  # the user's cache, and its own remedy
        load_raw(str(data))
    assert str(cache_full.value) == (
        f"could not write the Arrow copy of d.csv to {tmp_path / 'cache'} (the disk is full); free some "
        "space, or point HF_DATASETS_CACHE elsewhere"
    )
    # As `datasets` raises them in a container (a trial): the full disk wrapped in an error of its
    # own, its own check of the room needed, and a cache whose parent may not be made.
    from datasets.exceptions import DatasetGenerationError

    def wrapped(*args, **kwargs):
        try:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError as full:
            raise DatasetGenerationError("An error occurred while generating the dataset") from full

    def no_room(*args, **kwargs):
        raise OSError("Not enough disk space. Needed: Unknown size (download: Unknown size, generated: ...")

    for failing in (wrapped, no_room):
        monkeypatch.setattr(datasets, "load_dataset", failing)
        with pytest.raises(
            DataError, match=r"^could not write the Arrow copy of d.csv to .*\(the disk is full\)"
        ):
            load_raw(str(data))

    def parent_refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/nonexistent")

    monkeypatch.setattr(datasets, "load_dataset", parent_refused)
    monkeypatch.setenv("HF_DATASETS_CACHE", "/nonexistent/hf")
    with pytest.raises(
        DataError, match="^could not write the Arrow copy of d.csv to HF_DATASETS_CACHE=/nonexistent/hf"
    ):
        load_raw(str(data))


def test_a_nan_label_is_no_label_not_a_class_named_nan(tmp_path):
    """A float label column with gaps (pandas writes NaN to parquet) trained a class 'nan'."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    labels = [float(index % 2) if index % 7 else float("nan") for index in range(40)]
    pq.write_table(pa.table({"text": [f"t{i}" for i in range(40)], "label": labels}), tmp_path / "d.parquet")
    with pytest.raises(
        DataError, match=r"^row 1 of .*d.parquet \(counting from 1\) has no label in column 'label' \(6 rows"
    ):
        load_splits(DataConfig(source=str(tmp_path / "d.parquet")))
    splits = load_splits(DataConfig(source=str(tmp_path / "d.parquet"), drop_invalid=True))
    assert splits.label_names == ["0", "1"]
    assert sum(len(split) for split in splits.splits.values()) == 40 - 6  # rows 0, 7, ..., 35


def test_a_label_written_only_on_rows_left_out_is_no_class(tmp_path):
    """data.drop_invalid left a textless row out but kept its label: a one-class file trained as two
    classes (one of them empty) and reported 100% validation macro-F1."""
    rows = [{"text": "", "label": "other"}] + [{"text": f"news item {i}", "label": "news"} for i in range(30)]
    write_csv(tmp_path / "one.csv", rows)
    with pytest.raises(DataError, match=r"only one class \(news\)"):
        load_splits(DataConfig(source=str(tmp_path / "one.csv"), drop_invalid=True))
    two = rows + [{"text": f"sport item {i}", "label": "sport"} for i in range(30)]
    write_csv(tmp_path / "two.csv", two)
    splits = load_splits(DataConfig(source=str(tmp_path / "two.csv"), drop_invalid=True))
    assert splits.label_names == ["news", "sport"]
    assert sorted(set(splits.splits["train"].labels) | set(splits.splits["validation"].labels)) == [0, 1]
    # A validation row with that label is told why it is no class (it was 'train on data that has it').
    folder = tmp_path / "folder"
    folder.mkdir()
    write_csv(folder / "train.csv", two)
    write_csv(folder / "validation.csv", [{"text": "something else", "label": "other"}, *two[1:5]])
    with pytest.raises(
        DataError, match=r"label 'other' \(line 2 of .*validation.csv\) is written in train only on rows"
    ):
        load_splits(DataConfig(source=str(folder), drop_invalid=True))


def test_labels_written_with_a_zero_fraction_train_as_whole_numbers_and_truth_values_match(tmp_path):
    """pandas writes a star-rating column with a gap as 1.0 ... 5.0: the model's labels are 1 ... 5,
    so a test file writing 1 finds them; a model trained on "1.0" (before) still finds 1, and true,
    True and TRUE are one truth value (JSON's true is Python's True)."""
    from attncli.labels import label_names_of
    from attncli.sources import load_raw

    stars = [{"text": f"review number {index}", "label": f"{index % 5 + 1}.0"} for index in range(40)]
    write_csv(tmp_path / "train.csv", stars)
    splits = load_splits(DataConfig(source=str(tmp_path / "train.csv")))
    assert splits.label_names == ["1", "2", "3", "4", "5"]
    from collections import Counter

    mapped = Counter(splits.label_names[label] for split in splits.splits.values() for label in split.labels)
    assert mapped == Counter(row["label"].removesuffix(".0") for row in stars)
    # "007" is a code, not 7; "1" beside "1.0" (two exports joined) are one label, and said to be
    codes = tmp_path / "codes.csv"
    write_csv(
        codes, [{"text": f"row {index}", "label": ["007", "1.0", "1"][index % 3]} for index in range(30)]
    )
    raw = load_raw(str(codes)).splits["train"]
    assert label_names_of(raw, "label") == ["1", "007"]
    joined = load_splits(DataConfig(source=str(codes)))
    assert joined.label_names == ["1", "007"]
    assert "label column 'label' writes whole numbers two ways; read '1.0' as '1'" in joined.notes
    assert sorted(joined.splits["train"].labels + joined.splits["validation"].labels).count(0) == 20
    two_ways = write_csv(
        tmp_path / "two_ways.csv",
        [{"text": f"r{i}", "label": ["1.0", "1.00", "2"][i % 3]} for i in range(30)],
    )
    said = load_splits(DataConfig(source=str(two_ways)))
    assert said.label_names == ["1", "2"] and "read '1.0' as '1', '1.00' as '1'" in " ".join(said.notes)
    # A European spreadsheet's decimal comma (2,0 beside 2: two classes, an HR analyst's trial), but
    # not a thousand (1,000), which stays a label of its own.
    comma = tmp_path / "comma.csv"
    comma.write_text("text;code\n" + "".join(f"row {i};{['2,0', '2', '1,00'][i % 3]}\n" for i in range(30)))
    decimal_comma = load_splits(DataConfig(source=str(comma), label_column="code"))
    assert decimal_comma.label_names == ["1", "2"]
    assert "read '2,0' as '2'" in " ".join(decimal_comma.notes)
    assert known_label_key(None, "2,0", {"1", "2"}) == "2" and known_label_key(None, 2, {"2,0"}) == "2,0"
    assert known_label_key(None, "1,000", {"1", "2"}) == "1,000"
    assert known_label_key(None, 1, {"1.0", "2.0"}) == "1.0"  # a model trained before on "1.0"
    assert known_label_key(None, "3", {"1.0", "3.0"}) == "3.0"
    assert [known_label_key(None, value, {"true", "false"}) for value in (True, "False", "TRUE")] == [
        "true", "false", "true",
    ]  # fmt: skip
    assert known_label_key(None, "false", {"True", "False"}) == "False"


def test_a_label_column_chosen_over_another_label_like_column_is_said(tmp_path):
    """sentiment beside class: training on the wrong one would learn another task without a word."""
    rows = [
        {
            "text": f"text number {index}",
            "sentiment": ["pos", "neg"][index % 2],
            "class": "ab"[index % 3 == 0],
        }
        for index in range(20)
    ]
    import csv

    with (tmp_path / "two.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=["text", "sentiment", "class"])
        writer.writeheader()
        writer.writerows(rows)
    splits = load_splits(DataConfig(source=str(tmp_path / "two.csv"), label_column=None))
    assert splits.label_column == "class"
    said = "two.csv: using label column 'class' over 'sentiment', chosen by name (--label-column chooses"
    assert any(said in note for note in splits.notes), splits.notes
    named = load_splits(DataConfig(source=str(tmp_path / "two.csv"), label_column="sentiment"))
    assert named.label_column == "sentiment" and not any("over" in note for note in named.notes)


def test_a_validation_split_too_small_to_choose_by_is_warned_of(tmp_path):
    rows = [{"text": f"text {n}", "label": ["a", "b"][n % 2]} for n in range(60)]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows))))
    assert len(splits.splits["validation"]) == 6
    assert (
        "validation: 6 rows held out of train (a stratified 10%, data.split_seed 0), as there is no "
        "validation split"
    ) in splits.notes  # the run's log said "54 train / 6 validation texts" either way
    # Each class keeps a validation row: 8 classes of 5 rows hold out 8 of 40, not 10%.
    eight = [{"text": f"text {n}", "label": f"class {n % 8}"} for n in range(40)]
    notes = load_splits(DataConfig(source=str(write_csv(tmp_path / "eight.csv", eight)))).notes
    assert (
        "validation: 8 rows held out of train (a stratified 20%: at least one row of each class, for "
        "data.validation_fraction 10%, data.split_seed 0), as there is no validation split"
    ) in notes
    assert (
        "warning: only 6 validation rows: one row moves its scores by 17 points, and early stopping, "
        "the best epoch and calibration rest on them; a validation split of its own (a folder of train "
        "and validation files, such as train.csv and validation.csv), or more data, makes them reliable"
    ) in splits.notes
    folder = tmp_path / "split"
    folder.mkdir()
    write_csv(folder / "train.csv", rows)
    write_csv(folder / "validation.csv", rows[:8])  # a split of its own: more rows, not a file, helps
    given = load_splits(DataConfig(source=str(folder))).notes
    assert [note for note in given if note.startswith("warning: only")] == [
        "warning: only 8 validation rows: one row moves its scores by 12 points, and early stopping, the "
        "best epoch and calibration rest on them; more rows in the validation split make them reliable"
    ]
    many = [{"text": f"text {n}", "label": ["a", "b"][n % 2]} for n in range(400)]
    assert not [
        note
        for note in load_splits(DataConfig(source=str(write_csv(tmp_path / "e.csv", many)))).notes
        if "validation rows" in note
    ]


def test_texts_given_more_than_one_label_are_warned_of(tmp_path):
    rows = [{"text": f"text {n}", "label": ["a", "b"][n % 2]} for n in range(40)]
    rows += [{"text": "Same  text here", "label": "a"}, {"text": "same text HERE", "label": "b"}]
    rows += [{"text": "agreed twice", "label": "a"}, {"text": "agreed twice", "label": "a"}]
    # the same tokens to the model (NFKC): full-width letters, a decomposed accent
    rows += [{"text": "Ｓｔｏｃｋｓ rally", "label": "a"}, {"text": "stocks rally", "label": "b"}]
    rows += [{"text": "Cafe\u0301 prices", "label": "a"}, {"text": "café prices", "label": "b"}]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "d.csv", rows))))
    assert (
        "warning: 3 texts of the training data occur with more than one label (ignoring case, spacing and "
        "character forms), such as 'Same  text here' (a, b; line 42, line 43); no model can tell such rows "
        "apart: relabel "
        "them, or leave them if the labels are truly ambiguous (attn info RUN --json lists them: "
        "label_conflicts)"
    ) in splits.notes  # training went on as if the data were clean
    # Every one is listed, as first written, with its labels' rows (a trial's 63 were named by one
    # example alone; a review: the row that gave the second label was shown, `LATE` for `late` x 4),
    # and the lines of its rows (a trial grepped its csv for each text to relabel it).
    assert splits.label_conflicts == {
        "count": 3,
        "listed": [
            {"text": "Same  text here", "labels": {"a": 1, "b": 1}, "where": ["line 42", "line 43"]},
            {"text": "Ｓｔｏｃｋｓ rally", "labels": {"a": 1, "b": 1}, "where": ["line 46", "line 47"]},
            {"text": "Cafe\u0301 prices", "labels": {"a": 1, "b": 1}, "where": ["line 48", "line 49"]},
        ],
    }
    clean = load_splits(DataConfig(source=str(write_csv(tmp_path / "e.csv", rows[:40] + rows[42:44]))))
    assert not [note for note in clean.notes if "more than one label" in note]


def test_a_data_file_with_no_rows_is_said_to_be_empty_whatever_its_format(tmp_path):
    """Each reader said it its own way: `No columns to parse from file` (csv), `StopIteration`
    (jsonl), `BatchSize must be greater than 0, got 0` (parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as parquet

    (tmp_path / "none.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("text,label\n", encoding="utf-8")
    (tmp_path / "blank.jsonl").write_text("\n  \n\n", encoding="utf-8")
    (tmp_path / "marked.jsonl").write_text("\ufeff\n", encoding="utf-8")  # an editor's byte-order mark
    no_rows = pa.table({"text": pa.array([], pa.string()), "label": pa.array([], pa.string())})
    parquet.write_table(no_rows, tmp_path / "none.parquet")
    for name in ("none.csv", "header.csv", "blank.jsonl", "marked.jsonl", "none.parquet"):
        with pytest.raises(DataError) as refused:
            load_splits(DataConfig(source=str(tmp_path / name)))
        assert str(refused.value) == f"{name} is empty (no rows); give it labelled rows", name


def test_validation_rows_that_repeat_a_training_text_are_warned_of_when_training_loads(tmp_path):
    """Eval counted them afterwards (11 of 44 rows in a new user's trial, a file with 50 of its rows
    pasted twice); training, whose early stopping and calibration rest on those rows, said nothing."""
    rows = make_rows(100)
    clean = load_splits(DataConfig(source=str(write_csv(tmp_path / "clean.csv", rows))))
    assert not [note for note in clean.notes if "validation rows have the same text" in note]
    pasted = [*rows, *({**row, "text": row["text"].upper() + "  "} for row in rows[:50])]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "pasted.csv", pasted))))
    validation = splits.splits["validation"]
    trained = {" ".join(text.split()).casefold() for text in splits.splits["train"].texts}
    repeated = sum(" ".join(text.split()).casefold() in trained for text in validation.texts)
    assert repeated > 0
    assert (
        f"warning: {repeated} of the {len(validation)} validation rows have the same text (ignoring case "
        "and spacing) as a training row, so validation scores (and with them early stopping, the best "
        "epoch and calibration) measure memory on them; remove the repeated rows from the data (its "
        "repeats fell on both sides of the carve) where they are copies (rows pasted twice), or keep them "
        "where people write these texts alike (short answers), as new texts will repeat them too"
    ) in splits.notes
    # A validation split of the user's own: the repeats are in it.
    folder = tmp_path / "folder"
    folder.mkdir()
    write_csv(folder / "train.csv", rows[:80])
    write_csv(folder / "validation.csv", [*rows[80:], rows[0], rows[1]])
    given = load_splits(DataConfig(source=str(folder)))
    assert [note for note in given.notes if "validation rows have the same text" in note] == [
        "warning: 2 of the 22 validation rows have the same text (ignoring case and spacing) as a training "
        "row, so validation scores (and with them early stopping, the best epoch and calibration) measure "
        "memory on them; remove the repeated rows from the validation split where they are copies (rows "
        "pasted twice), or keep them where people write these texts alike (short answers), as new texts "
        "will repeat them too"
    ]


def test_a_bad_row_of_a_utf16_csv_is_named_by_its_own_line_not_as_line_1_undecodable(tmp_path):
    """A UTF-16 csv (PowerShell's Export-Csv) with a row of 4 fields on line 13 was said to be 'line 1
    ... not valid utf-16', with advice to pass cp1252 or latin-1, which would garble it: lines were
    looked for at the byte 0x0A, which UTF-16's line ends are not."""
    rows = [f'"row {n} soup","{n % 2}"' for n in range(20)]
    rows[11] = '"row 11 soup","1","extra","more"'  # line 13, the header being line 1
    path = tmp_path / "train.csv"
    path.write_text('"text","label"\r\n' + "\r\n".join(rows) + "\r\n", encoding="utf-16")
    with pytest.raises(DataError, match=r"line 13 of .*train.csv has 4 fields but its header line has 2"):
        load_splits(DataConfig(source=str(path), encoding="utf-16"))
    rows[11] = '"row 11 soup","1"'
    path.write_bytes(
        ('"text","label"\r\n' + "\r\n".join(rows[:18]) + "\r\n").encode("utf-16")
        + b"\x00\xd8"  # an unpaired surrogate, on line 20
        + ("x\r\n" + "\r\n".join(rows[18:]) + "\r\n").encode("utf-16-le")
    )
    with pytest.raises(DataError, match=r"^line 20 of .*train.csv is not valid utf-16; pass --encoding"):
        load_splits(DataConfig(source=str(path), encoding="utf-16"))


def test_utf8_read_as_an_8_bit_encoding_is_told_to_leave_encoding_out(tmp_path):
    """Notepad saves UTF-8 without a byte-order mark: read as latin-1, 'café' was trained as 'cafã©'
    without a word; as cp1252, the advice was to pass cp1252."""
    path = tmp_path / "train.csv"
    path.write_text(
        "text,label\n" + "".join(f"café number {n},{n % 2}\n" for n in range(20)), encoding="utf-8"
    )
    for encoding in ("latin-1", "cp1252"):
        with pytest.raises(DataError) as caught:
            load_splits(DataConfig(source=str(path), encoding=encoding))
        assert str(caught.value) == (
            f"{path} is UTF-8 (bytes above 0x7F among its first form UTF-8 characters, such as 'é'), not "
            f"{encoding}; leave --encoding out (utf-8 is the default), and where a line is then said not to "
            "be UTF-8, retype the character named"
        )
    from attncli.record_sources import from_file

    late = tmp_path / "late.txt"  # the first non-ASCII byte past what is looked at first
    late.write_bytes(b"plain text\n" * 500 + "caf\u00e9 \u2013 \x81\n".encode())
    with pytest.raises(DataError) as caught:
        [record for chunk in from_file(late, encoding="cp1252").chunks for record in chunk]
    assert str(caught.value) == (
        f"line 501 of {late} is not valid cp1252 (byte 12 of the line); it is valid UTF-8: leave --encoding "
        "out (utf-8 is the default)"
    )


def test_a_tab_separated_txt_file_is_told_to_be_renamed_tsv(tmp_path):
    """Excel's "Unicode Text" saves a table as tab-separated UTF-16 .txt: refused with no hint, after
    the advice to pass --encoding utf-16 had been followed."""
    path = tmp_path / "train.txt"
    path.write_text(
        "text\tlabel\r\n" + "".join(f"row {n}\t{n % 2}\r\n" for n in range(20)), encoding="utf-16"
    )
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source=str(path), encoding="utf-16"))
    assert str(caught.value) == (
        "cannot read .txt files (train.txt); use one of .csv, .tsv, .json, .jsonl, .ndjson, .jl, .parquet, "
        ".arrow, .feather, or fastText's format (__label__NAME and the text on each line) "
        '(its first line holds tabs, as Excel\'s "Unicode Text" saves a table: rename it train.tsv)'
    )
    path.rename(tmp_path / "train.tsv")
    assert (
        len(load_splits(DataConfig(source=str(tmp_path / "train.tsv"), encoding="utf-16")).splits["train"])
        == 18
    )


@pytest.mark.parametrize("name", ["eval", "csv", "json"])
def test_a_name_that_is_one_of_datasets_own_loaders_is_not_run_over_the_working_folder(
    name, tmp_path, monkeypatch
):
    """`attn eval R eval` (a folder meant, not there) ran datasets' own 'eval' loader over every file
    in the working folder, which failed on one of them (found in a user's trial)."""
    from attncli.sources import load_raw

    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not data\n")
    with pytest.raises(DataError) as refused:
        load_raw(name)
    assert str(refused.value) == (
        f"{name} is no file or folder here, and no Hub dataset but datasets' own {name!r} loader, which "
        "reads every file in the working folder; pass a path (a file, a folder) or a Hub name (owner/name)"
    )


def test_a_variable_in_a_data_setting_is_said_to_be_unexpanded(tmp_path, monkeypatch):
    """`--set 'data.source=$HOME/data'` or `source: $HOME/data` in a config file: only the shell
    expands variables, and this was reported as a failed Hub lookup alone."""
    from attncli.sources import load_raw

    monkeypatch.chdir(tmp_path)
    for source in ("$HOME/trial_data", "${HOME}/trial_data"):
        with pytest.raises(DataError, match=r"attn does not expand environment variables such as \$HOME"):
            load_raw(source)


def test_a_utf8_file_holding_a_pasted_windows_byte_names_the_line_and_the_character_to_retype(tmp_path):
    """One tweet pasted from Word into a UTF-8 csv (’ saved as the byte 0x92): training advised
    cp1252, and --encoding cp1252 was then refused as UTF-8, in a loop (a spreadsheet user's trial).
    Now the line and the byte are named, and cp1252's refusal says what a later line may still hold."""
    rows = "".join(f"love it 😍 number {n},{n % 2}\r\n" for n in range(20))
    path = tmp_path / "train.csv"
    path.write_bytes(("text,label\r\n" + rows).encode() + b"I\x92m happy,1\r\n")
    stray = (
        "byte 0x92 ('’' in cp1252) in 'I\ufffdm happy,1', where the lines before it are UTF-8: the file "
        "mixes encodings (text pasted from another program can), so no --encoding reads it whole; retype "
        "that character and save the file as UTF-8"
    )
    # Read as UTF-8, the line is named; read as cp1252, the file is UTF-8 apart from that line.
    for encoding, said in (
        ("utf-8", f"line 22 of {path} is not valid utf-8: "),
        ("cp1252", f"{path} is UTF-8 apart from line 22, not cp1252: "),
    ):
        with pytest.raises(DataError) as caught:
            load_splits(DataConfig(source=str(path), encoding=encoding))
        assert str(caught.value) == said + stray
    # Where the byte is past the first bytes looked at, those are found UTF-8: so said, with what to do
    # where a line then is not.
    path.write_bytes(("text,label\r\n" + rows * 500).encode() + b"I\x92m happy,1\r\n")
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source=str(path), encoding="cp1252"))
    assert str(caught.value) == (
        f"{path} is UTF-8 (bytes above 0x7F among its first form UTF-8 characters, such as '😍'), "
        "not cp1252; leave --encoding out (utf-8 is the default), and where a line is then said "
        "not to be UTF-8, retype the character named"
    )
    # A stray byte before any UTF-8 character: the lines after it tell (it was advised cp1252, which
    # then read 'café' as 'cafÃ©', exit 0: a review).
    path.write_bytes(b"text,label\nI\x92m happy,1\n" + rows.encode())
    for encoding, said in (
        ("utf-8", f"line 2 of {path} is not valid utf-8: byte 0x92 ('’' in cp1252) in 'I\ufffdm happy,1', "),
        ("cp1252", f"{path} is UTF-8 apart from line 2, not cp1252: byte 0x92 ('’' in cp1252) in "),
    ):
        with pytest.raises(DataError) as caught:
            load_splits(DataConfig(source=str(path), encoding=encoding))
        assert str(caught.value).startswith(said) and "where the lines after it are UTF-8" in str(
            caught.value
        )
    # A file of cp1252 all through is still told its encoding.
    path.write_bytes(
        ("text,label\r\n" + "".join(f"café “{n}”,{n % 2}\r\n" for n in range(20))).encode("cp1252")
    )
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source=str(path)))
    assert "with the file's encoding: its bytes read as text in cp1252" in str(caught.value)


def test_json_truth_values_beside_their_text_are_one_label_spelt_as_the_text(tmp_path):
    """true and "true" in one JSON-lines column were two classes, "True" and "true", with a warning
    of look-alike labels naming a spelling the file never held (an annotation workflow's trial)."""
    rows = [{"text": f"row {i}", "label": [True, "true", False, "false"][i % 4]} for i in range(40)]
    splits = load_splits(DataConfig(source=str(write_jsonl(tmp_path / "joined.jsonl", rows))))
    assert splits.label_names == ["false", "true"]
    assert (
        "label column 'label' holds truth values and their text; read false as 'false', true as 'true'"
        in (splits.notes)
    )
    labels = [splits.label_names[label] for split in splits.splits.values() for label in split.labels]
    assert sorted(labels) == ["false"] * 20 + ["true"] * 20
    # One truth value with its text, the other without (a review found a KeyError there).
    half = [{"text": f"row {i}", "label": [True, False, "false"][i % 3]} for i in range(30)]
    read = load_splits(DataConfig(source=str(write_jsonl(tmp_path / "half.jsonl", half))))
    assert read.label_names == ["True", "false"]
    assert "label column 'label' holds truth values and their text; read false as 'false'" in read.notes
    odd = [{"text": f"row {i}", "label": [True, "false"][i % 2]} for i in range(20)]
    assert load_splits(DataConfig(source=str(write_jsonl(tmp_path / "odd.jsonl", odd)))).label_names == [
        "True",
        "false",
    ]
    alone = [{"text": f"row {i}", "label": i % 2 == 0} for i in range(20)]
    assert load_splits(DataConfig(source=str(write_jsonl(tmp_path / "bool.jsonl", alone)))).label_names == [
        "False",
        "True",
    ]


def test_a_validation_file_is_the_validation_split_of_data_without_one(tmp_path, monkeypatch):
    """--validation FILE: the rows to choose the best epoch on, in place of a carve out of train
    (a Kaggle-style trial had only a folder of train.csv and validation.csv to do so)."""
    train, held = write_csv(tmp_path / "trn.csv", make_rows(60, seed=1)), make_rows(21, seed=2)
    write_jsonl(tmp_path / "hold.jsonl", held)  # any format the data may be in
    monkeypatch.chdir(tmp_path)
    config = DataConfig(source=str(train), validation_file="hold.jsonl")
    assert config.validation_file == str(tmp_path / "hold.jsonl")  # kept whole, for eval from elsewhere
    splits = load_splits(config)
    assert (len(splits.splits["train"]), len(splits.splits["validation"]), splits.carved) == (60, 21, False)
    assert list(splits.splits["validation"].texts) == [row["text"] for row in held]
    assert f"validation: the 21 rows of {tmp_path / 'hold.jsonl'} (data.validation_file)" in splits.notes
    folder = tmp_path / "split"
    folder.mkdir()
    write_csv(folder / "train.csv", make_rows(30, seed=3))
    write_csv(folder / "validation.csv", make_rows(9, seed=4))
    with pytest.raises(
        DataError, match=r"has a validation split of its own \(validation.csv\); drop --validation"
    ):
        load_splits(DataConfig(source=str(folder), validation_file=str(tmp_path / "hold.jsonl")))
    with pytest.raises(DataError, match="--validation gone.csv .data.validation_file. is not a file"):
        load_splits(DataConfig(source=str(train), validation_file="gone.csv"))


def test_a_validation_split_headed_in_another_case_is_read_by_the_train_splits_columns(tmp_path):
    """A dev file headed `Title,Description,Label` beside a train file's `title,description,label`
    was "no column 'title'", where eval and predict read such a file (a trial); and so was a
    folder's validation.csv."""
    train = [
        {"title": row["text"], "description": "more words", "label": row["label"]} for row in make_rows(40)
    ]
    held = [
        {" Title": row["text"], "DESCRIPTION": "", "Label": row["label"]} for row in make_rows(12, seed=7)
    ]
    with (tmp_path / "dev.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(held[0]))
        writer.writeheader()
        writer.writerows(held)
    write_jsonl(tmp_path / "train.jsonl", train)
    config = DataConfig(source=str(tmp_path / "train.jsonl"), validation_file=str(tmp_path / "dev.csv"))
    splits = load_splits(dataclasses.replace(config, text_column="title,description"))
    assert list(splits.splits["validation"].texts) == [row[" Title"] for row in held]  # descriptions empty
    assert len(load_splits(dataclasses.replace(config, text_column="title")).splits["validation"]) == 12


def test_validation_labels_in_another_case_are_read_as_trainings_as_eval_reads_them(tmp_path):
    """A --validation file's `shipping` was "not among the training labels (Billing, Shipping)",
    where eval reads it as `Shipping` (a support lead's trial); a label no case makes known is still
    refused."""
    train = tmp_path / "train.csv"
    train.write_text(
        "text,label\n" + "".join(f"parcel {n},Shipping\ninvoice {n},Billing\n" for n in range(10))
    )
    dev = tmp_path / "dev.csv"
    dev.write_text("text,label\nparcel late,shipping\ninvoice wrong,Billing \nparcel lost,SHIPPING\n")
    splits = load_splits(DataConfig(source=str(train), validation_file=str(dev)))
    names = splits.label_names
    assert [names[label] for label in splits.splits["validation"].labels] == [
        "Shipping",
        "Billing",
        "Shipping",
    ]
    assert (
        f"{dev}: read 'SHIPPING' as the model's 'Shipping' (1 row), 'shipping' as 'Shipping' (1 row), labels "
        "compared ignoring case" in splits.notes
    ), splits.notes
    dev.write_text("text,label\nparcel late,Sales\n")
    with pytest.raises(DataError, match="label 'Sales' .* is not among the training labels"):
        load_splits(DataConfig(source=str(train), validation_file=str(dev)))
    # ... told, where it is one in another form or a slip, which it may be (a cataloguer's trial).
    dev.write_text("text,label\nparcel late,Ship-ping\ninvoice wrong,Bliling\n")
    with pytest.raises(DataError) as refused:
        load_splits(DataConfig(source=str(train), validation_file=str(dev)))
    assert str(refused.value) == (
        f"label 'Ship-ping' (line 2 of {dev}) is not among the training labels ('Billing', 'Shipping') "
        "('Ship-ping' is 'Shipping' in another form); relabel it, or train on data that has it"
    )


def test_a_dotted_path_is_never_read_from_a_top_level_look_alike():
    """A split holding `Data.Text` beside the nested data.text read the look-alike (a review)."""
    from datasets import Dataset

    from attncli.columns import Columns
    from attncli.split_rows import with_columns

    rows = Dataset.from_list([{"data": {"text": "nested"}, "Data.Text": "unrelated", "label": "x"}])
    read = with_columns(rows, Columns(text="data.text", label="label"), where="D")
    assert read["data.text"] == ["nested"]


def test_labels_of_few_rows_each_are_warned_of_as_maybe_a_column_of_texts(tmp_path):
    """A translation memory's `target` (the translations), taken for the labels by its name beside
    `--text-column source_en`, trained 471 classes of 1,166 rows without a word of the column (a
    localisation trial): past a quarter of the rows, distinct labels are warned of, with the columns.
    Intents of five rows each are not."""
    memory = tmp_path / "tm.csv"
    memory.write_text(
        "key,source_en,target\n" + "".join(f"k{n},string {n},Zeichenkette {n // 2}\n" for n in range(120))
    )
    splits = load_splits(DataConfig(source=str(memory), text_column="source_en"))
    assert (
        "warning: label column 'target' has 60 distinct values in 120 rows (2.0 rows each): a column of "
        f"texts rather than of labels? name the label column with --label-column ({memory} has columns "
        "'key', 'source_en', 'target')"
    ) in splits.notes
    intents = [{"text": f"utterance {n}", "label": f"intent {n // 5}"} for n in range(150)]
    splits = load_splits(DataConfig(source=str(write_csv(tmp_path / "intents.csv", intents))))
    assert not any("a column of texts rather than of labels" in note for note in splits.notes)
