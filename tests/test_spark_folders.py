"""Folders as Spark and Hive write them: a job's part files read as a split's shards, split folders
(train/, split=train/) as splits, and a folder partitioned by another column refused, naming it."""

import json
import shlex
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import make_rows

from attncli.data_files import load_files
from attncli.data_folders import load_folder, split_files, whole_kind
from attncli.errors import DataError
from attncli.record_sources import from_file
from attncli.sources import missing_path_message
from attncli.spark_folders import is_job_output, part_files, require_no_column_partitions, spark_splits

SPARK_PART = "part-{:05d}-259cc21c-71f2-431b-9be5-09a5b985054d-c000.snappy.parquet"


def write_job_output(folder, chunks, *, ids_from=0):
    """A Spark job's output folder: a part file (and its .crc) for each chunk of rows (an empty chunk
    an empty partition's part file), and _SUCCESS."""
    folder.mkdir(parents=True)
    next_id = ids_from
    for index, rows in enumerate(chunks):
        table = pa.table(
            {
                "id": pa.array(range(next_id, next_id + len(rows)), pa.int64()),
                "text": pa.array([row["text"] for row in rows], pa.string()),
                "label": pa.array([row["label"] for row in rows], pa.string()),
            }
        )
        next_id += len(rows)
        name = SPARK_PART.format(index)
        pq.write_table(table, folder / name)
        (folder / f".{name}.crc").write_bytes(b"crc\x00\x01")
    (folder / "_SUCCESS").write_bytes(b"")
    (folder / "._SUCCESS.crc").write_bytes(b"crc")
    return folder


def test_a_job_output_folder_is_its_part_files_read_as_one_split(tmp_path):
    rows = make_rows(30, seed=1)
    job = write_job_output(tmp_path / "job", [rows[:10], [], rows[10:]])
    parts = part_files(job)
    assert [part.name for part in parts] == [SPARK_PART.format(index) for index in range(3)]
    assert spark_splits(job) == {"train": parts} == split_files(job)
    assert whole_kind(job) == "one job's output folder (its part files)"
    raw = load_folder(job, encoding="utf-8", delimiter=None)
    assert raw.splits["train"]["text"] == [row["text"] for row in rows]  # in part order, all of them
    assert raw.splits["train"]["id"] == list(range(30))
    # The empty partition's part file is left out with a note, where it failed the whole split.
    assert raw.notes == (f"left out {job / SPARK_PART.format(1)}: shards that hold no rows",)
    # Anything beside the part files but bookkeeping: not a job's output folder.
    (job / "notes.csv").write_text("text,label\na,b\n")
    assert part_files(job) is None and spark_splits(job) == {}


def test_only_empty_shards_are_still_said_to_be_empty(tmp_path):
    job = write_job_output(tmp_path / "job", [[], []])
    with pytest.raises(DataError, match=r"part-00000-.*\.parquet is empty \(no rows\)"):
        load_files(spark_splits(job), encoding="utf-8", delimiter=None)


@pytest.mark.parametrize("naming", ["{}", "split={}"])
def test_split_folders_of_part_files_or_data_files_are_the_splits(tmp_path, naming):
    data = tmp_path / "data"
    write_job_output(data / naming.format("train"), [make_rows(8, seed=1), make_rows(8, seed=2)])
    write_job_output(data / naming.format("dev"), [make_rows(4, seed=3)])
    (data / naming.format("test")).mkdir()
    pq.write_table(pa.Table.from_pylist(make_rows(6, seed=4)), data / naming.format("test") / "a.parquet")
    (data / "README.md").write_text("# exported nightly\n")  # a file beside the split folders is left alone
    splits = split_files(data)
    assert sorted(splits) == ["test", "train", "validation"]
    assert [path.name for path in splits["test"]] == ["a.parquet"]
    raw = load_folder(data, encoding="utf-8", delimiter=None)
    assert {split: len(rows) for split, rows in raw.splits.items()} == {
        "train": 16,
        "validation": 4,
        "test": 6,
    }
    assert whole_kind(data) is None  # several splits, each read as its own


def test_folders_that_are_no_spark_layout_are_left_to_the_other_readers(tmp_path):
    labels = tmp_path / "labels"  # train/LABEL/FILE: label folders, not split folders of data files
    (labels / "train" / "sport").mkdir(parents=True)
    (labels / "train" / "sport" / "1.txt").write_text("a goal\n")
    texts = tmp_path / "texts"  # a split folder of texts, a file each
    (texts / "train").mkdir(parents=True)
    (texts / "train" / "1.txt").write_text("a goal\n")
    mixed = tmp_path / "mixed"  # a data file beside the split folders
    write_job_output(mixed / "train", [make_rows(4)])
    (mixed / "extra.csv").write_text("text,label\na,b\n")
    for folder in (labels, texts, mixed):
        assert spark_splits(folder) == {}


def test_a_folder_partitioned_by_another_column_is_refused_naming_it(tmp_path):
    by_label = tmp_path / "by_label"
    for label in ("money", "sport", "tech", "arts"):
        write_job_output(by_label / f"label={label}", [[{"text": "a goal", "label": label}]])
    message = (
        f"{by_label} is partitioned by the column 'label' (label=arts/, label=money/, label=sport/, ...), "
        "as Spark's partitionBy writes it: its rows hold no 'label', which attn does not read from folder "
        "names; write the data without partitionBy('label') (or partition it by split: split=train/, "
        "split=test/)"
    )
    with pytest.raises(DataError) as refused:
        load_folder(by_label, encoding="utf-8", delimiter=None)
    assert str(refused.value) == message
    with pytest.raises(DataError, match="partitioned by the column 'label'"):
        whole_kind(by_label)  # eval's look at what the folder is: not label folders holding data files
    nested = tmp_path / "nested"  # split=train/date=2024-01-01/part-...
    write_job_output(nested / "split=train" / "date=2024-01-01", [make_rows(4)])
    with pytest.raises(DataError, match=r"nested/split=train is partitioned by the column 'date'"):
        require_no_column_partitions(nested)


def test_predict_reads_a_job_output_folder_as_one_file_numbered_across_its_parts(tmp_path):
    rows = make_rows(12, seed=5)
    job = write_job_output(tmp_path / "job", [rows[:5], [], rows[5:]], ids_from=100)
    source = from_file(job)
    records = [record for chunk in source.chunks for record in chunk]
    assert [record.index for record in records] == list(range(12))
    assert [record.fields["id"] for record in records] == list(range(100, 112))
    assert [record.text for record in records] == [row["text"] for row in rows]
    assert source.count() == 12 and source.name == str(job)
    assert source.notes == [f"left out {job / SPARK_PART.format(1)}: shards that hold no rows"]


def test_part_files_with_a_header_renamed_are_refused_for_predict(tmp_path):
    job = write_job_output(tmp_path / "job", [make_rows(3)])
    pq.write_table(pa.table({"id": [9], "body": ["a"], "label": ["b"]}), job / SPARK_PART.format(1))
    with pytest.raises(DataError) as refused:
        from_file(job)
    assert str(refused.value) == (
        f"the part files of {job} hold different columns: {SPARK_PART.format(0)} has 'id', 'text', 'label', "
        f"{SPARK_PART.format(1)} has 'id', 'body', 'label'; give every part the same columns"
    )


def test_a_wildcard_pattern_is_said_to_be_one_not_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_job_output(tmp_path / "exports" / "day 1", [make_rows(3)])
    for pattern in ("exports/day 1/*.parquet", "exports/*/*.parquet", str(tmp_path / "exports" / "*")):
        assert missing_path_message(pattern) == (
            f"{shlex.quote(pattern)} is a wildcard pattern, which attn does not expand: it reads a file, or "
            "a folder whole (a folder of split files, or of a job's part files)"
        )
    # A name that merely holds a wildcard's character, or a pattern that names nothing, is missing.
    assert missing_path_message("data[1].csv").startswith("data[1].csv does not exist")
    assert missing_path_message("jobs/*.parquet").startswith("jobs/*.parquet does not exist")


def test_a_pandas_range_index_is_carried_as_the_column_pandas_reads_it_back_as(tmp_path):
    """`df.set_index("id").to_parquet(...)` of consecutive ids keeps them only as a range in the
    file's metadata: predict's output had no id to join on, without a word (a trial)."""

    def written(name, index):
        table = pa.table({"text": ["a goal", "a film", "a vote"]})
        pandas = {"index_columns": [index], "columns": []}
        path = tmp_path / f"{name}.parquet"
        pq.write_table(table.replace_schema_metadata({b"pandas": json.dumps(pandas).encode()}), path)
        return [record.fields for chunk in from_file(path).chunks for record in chunk]

    named = {"kind": "range", "name": "id", "start": 20000, "stop": 20006, "step": 2}
    assert [fields["id"] for fields in written("named", named)] == [20000, 20002, 20004]
    filtered = {"kind": "range", "name": None, "start": 5, "stop": 8, "step": 1}
    assert [fields["__index_level_0__"] for fields in written("filtered", filtered)] == [5, 6, 7]
    plain = {"kind": "range", "name": None, "start": 0, "stop": 3, "step": 1}  # the rows' own numbers
    assert written("plain", plain)[0] == {"text": "a goal"}


def test_a_range_index_of_another_length_than_the_rows_or_of_each_part_alone_is_not_made_up(tmp_path):
    """pandas drops a stored range index whose length is not the file's rows (rows filtered after it
    was stored), and one that each part of a folder stores for itself alone: made up, it gave wrong ids,
    or 0-99 once for each part (a review)."""
    filtered = {"kind": "range", "name": "id", "start": 0, "stop": 6, "step": 1}
    table = pa.table({"text": ["a goal", "a film", "a vote"]})
    pandas = {"index_columns": [filtered], "columns": []}
    pq.write_table(
        table.replace_schema_metadata({b"pandas": json.dumps(pandas).encode()}), tmp_path / "f.parquet"
    )
    assert [record.fields for chunk in from_file(tmp_path / "f.parquet").chunks for record in chunk][0] == {
        "text": "a goal"
    }
    job = tmp_path / "job"
    job.mkdir()
    own = {"kind": "range", "name": "id", "start": 0, "stop": 3, "step": 1}
    meta = {b"pandas": json.dumps({"index_columns": [own], "columns": []}).encode()}
    for index in range(2):
        pq.write_table(table.replace_schema_metadata(meta), job / f"part-{index}.parquet")
    assert [list(record.fields) for chunk in from_file(job).chunks for record in chunk] == [["text"]] * 6


def test_part_files_are_read_as_training_reads_shards(tmp_path):
    """Columns in another order (Spark's JSON writer leaves null fields out) or one column added
    are read, as training reads such shards; mixed formats and a renamed header are refused by both."""
    job = tmp_path / "job"
    job.mkdir()
    pq.write_table(pa.table({"id": [1], "text": ["a goal"], "label": ["sport"]}), job / "part-0.parquet")
    pq.write_table(pa.table({"text": ["a vote"], "label": ["politics"], "id": [2]}), job / "part-1.parquet")
    pq.write_table(
        pa.table({"text": ["a film"], "label": ["arts"], "id": [3], "extra": [1]}), job / "part-2.parquet"
    )
    source = from_file(job)
    assert [record.fields["id"] for chunk in source.chunks for record in chunk] == [1, 2, 3]
    assert source.columns == ["id", "text", "label", "extra"]
    assert len(load_folder(job, encoding="utf-8", delimiter=None).splits["train"]) == 3
    (job / "part-3.csv").write_text("text,label,id\na tax,money,4\n")
    for read in (lambda: from_file(job), lambda: load_folder(job, encoding="utf-8", delimiter=None)):
        with pytest.raises(DataError, match=r"mix formats \(.csv, .parquet\)"):
            read()


def test_a_job_output_folder_of_hundreds_of_parts_is_read_a_part_at_a_time(tmp_path):
    """Every part was opened before the first was read: 1,200 parts ran out of a process's files."""
    job = tmp_path / "job"
    job.mkdir()
    for index in range(120):
        pq.write_table(
            pa.table({"id": [index], "text": [f"text {index}"]}), job / f"part-{index:05d}.parquet"
        )
    script = (
        "import resource, sys; from pathlib import Path; "
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)); "
        "from attncli.record_sources import from_file; "
        "source = from_file(Path(sys.argv[1])); "
        "print(sum(len(chunk) for chunk in source.chunks), source.count())"
    )
    read = subprocess.run([sys.executable, "-c", script, str(job)], capture_output=True, text=True)
    assert read.stdout.split() == ["120", "120"], read.stderr


def test_delta_tables_label_partitions_named_like_splits_and_compressed_parts_are_refused(tmp_path):
    delta = write_job_output(tmp_path / "delta", [make_rows(3)])
    (delta / "_delta_log").mkdir()
    with pytest.raises(DataError, match=r"delta is a Delta table \(_delta_log/\)"):
        load_folder(delta, encoding="utf-8", delimiter=None)
    labels = tmp_path / "labels"  # label=train/ is a label's partition, not the train split
    for label in ("train", "test"):
        write_job_output(labels / f"label={label}", [[{"text": "a goal", "label": label}]])
    assert spark_splits(labels) == {}
    with pytest.raises(DataError, match="partitioned by the column 'label'"):
        load_folder(labels, encoding="utf-8", delimiter=None)
    packed = tmp_path / "packed"
    packed.mkdir()
    for index in range(3):  # compression=gzip; after `gunzip -k` on one, its copy beside it
        (packed / f"part-0000{index}-1a2b-c000.csv.gz").write_bytes(b"\x1f\x8b\x08\x00")
    (packed / "part-00000-1a2b-c000.csv").write_text("text,label\na goal,sport\n")
    assert is_job_output(packed)
    for read in (lambda: load_folder(packed, encoding="utf-8", delimiter=None), lambda: from_file(packed)):
        with pytest.raises(DataError) as refused:
            read()
        assert str(refused.value) == (
            f"{packed} holds compressed part files (part-00000-1a2b-c000.csv.gz and 2 more), and attn reads "
            f"them uncompressed; run `gunzip {packed}/*.gz` (each part then is there once, uncompressed), "
            "and pass the folder"
        )
    hadoop = tmp_path / "hadoop"  # Hadoop's and parquet-mr's names
    hadoop.mkdir()
    pq.write_table(pa.Table.from_pylist(make_rows(4)), hadoop / "part-r-00000.snappy.parquet")
    (hadoop / "_SUCCESS").write_bytes(b"")
    assert len(load_folder(hadoop, encoding="utf-8", delimiter=None).splits["train"]) == 4


def test_a_folder_of_split_files_beside_a_partition_folder_is_read_as_before(tmp_path):
    """A column partition among split files was refused once whole_kind looked at the folder (a review)."""
    data = tmp_path / "data"
    write_job_output(data / "date=2024-01-01", [make_rows(3)])
    (data / "train.csv").write_text("text,label\na goal,sport\n")
    (data / "test.csv").write_text("text,label\na vote,politics\n")
    assert whole_kind(data) is None and sorted(split_files(data)) == ["test", "train"]
