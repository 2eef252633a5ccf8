import json
import os
import re
from pathlib import Path

import pytest

from attncli.errors import DataError
from attncli.lines import as_utf8
from attncli.record_sources import _arriving_records, from_arguments, from_file
from attncli.records import Record, carried_fields


def _records(source):
    return [record for chunk in source.chunks for record in chunk]


def test_plain_text_is_one_record_per_newline_and_keeps_blank_lines(tmp_path):
    path = tmp_path / "texts.txt"
    # U+2028 and a form feed are not line ends; CRLF is; a BOM is dropped; the final newline ends
    # the last record without starting another.
    path.write_bytes("\ufeffone\r\n\ntwo\u2028still two\x0cand two\n   \nlast\n".encode())
    records = _records(from_file(path))
    assert [(r.index, r.text) for r in records] == [
        (0, "one"),
        (1, ""),
        (2, "two\u2028still two\x0cand two"),
        (3, "   "),
        (4, "last"),
    ]


def test_a_decoding_error_names_the_line_and_the_option(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("fine\ncaf\xe9 cr\xe8me\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"line 2 of .*latin.txt is not valid utf-8.*--encoding"):
        _records(from_file(path))
    assert [r.text for r in _records(from_file(path, encoding="latin-1"))] == ["fine", "café crème"]
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        from_file(path, encoding="klingon")


WIDE_ENCODINGS = [
    ("utf-16", "utf-16"),
    ("utf-16le", "utf-16-le"),
    ("utf-16be", "utf-16-be"),
    ("utf-32", "utf-32"),
]


@pytest.mark.parametrize(("option", "codec"), WIDE_ENCODINGS)
def test_utf16_and_utf32_files_read_as_their_utf8_twins_with_every_field(tmp_path, option, codec):
    """Windows tools (PowerShell's `>` among them) save UTF-16, whose newline is not the byte 0x0A:
    predict and inspect refused it with advice to convert it, while train and eval read it. With its
    byte-order mark it needs no --encoding (it was refused without one, as UTF-8's mark is not)."""
    texts = ["Shares rose\u2028on profits", "Café, crème \U0001f600", "", "中文 ਗੁਰਮੁਖੀ"]  # U+0A17: a 0x0A byte
    contents = {
        "t.txt": "".join(text + "\r\n" for text in texts),
        "t.csv": "id,text\n" + "".join(f'{n},"{text}"\n' for n, text in enumerate(texts)),
        "t.jsonl": "".join(
            json.dumps({"id": n, "text": text}, ensure_ascii=False) + "\n" for n, text in enumerate(texts)
        ),
        "t.json": json.dumps([{"id": n, "text": text} for n, text in enumerate(texts)], ensure_ascii=False),
    }
    for name, content in contents.items():
        (tmp_path / "utf8").mkdir(exist_ok=True)
        (tmp_path / "utf8" / name).write_text(content, encoding="utf-8")
        (tmp_path / name).write_bytes(content.encode(codec))
        wide = from_file(tmp_path / name, encoding=option)
        records = _records(wide)
        want = _records(from_file(tmp_path / "utf8" / name))
        assert [(r.index, r.text, r.fields) for r in records] == [(r.index, r.text, r.fields) for r in want]
        assert [r.text or "" for r in records] == texts
        assert wide.count is None or wide.count() == len(texts)
        if option in ("utf-16", "utf-32"):  # with a byte-order mark, which says the encoding: read by itself
            unasked = from_file(tmp_path / name)
            assert [(r.index, r.text, r.fields) for r in _records(unasked)] == [
                (r.index, r.text, r.fields) for r in want
            ]
            assert (
                unasked.notes[0]
                == f"{name} opens with a {option.upper()} byte-order mark, so it is read as {option}"
            )
            continue
        with pytest.raises(DataError, match=f"is {option.upper()} .*; pass --encoding {option}, or convert"):
            from_file(tmp_path / name)


def test_a_bad_utf16_sequence_names_its_line_and_the_lines_before_it_are_read(tmp_path):
    path = tmp_path / "texts.txt"
    # An unpaired surrogate on line 4, in a chunk that also holds lines 3 and 5.
    path.write_bytes("one\ntwo\nthree\n".encode("utf-16-le") + b"\x00\xd8" + "x\nlast\n".encode("utf-16-le"))
    source, read = from_file(path, encoding="utf-16le"), []
    with pytest.raises(DataError) as caught:
        for chunk in source.chunks:
            read += [record.text for record in chunk]
    assert str(caught.value) == (
        f"line 4 of {path} is not valid utf-16le (illegal UTF-16 surrogate); pass --encoding with the "
        "encoding it is in"
    )
    assert read == ["one", "two", "three"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_a_character_split_between_chunks_is_decoded_whole(codec):
    text = "ab\nçé\n😀 ਗ\n"  # a surrogate pair in UTF-16, and U+0A17, which holds the byte 0x0A
    data = text.encode(codec)
    for size in (1, 3, 5):
        chunks = [data[n : n + size] for n in range(0, len(data), size)]
        assert b"".join(as_utf8(chunks, encoding=codec, name="x")).decode().removeprefix("\ufeff") == text


def test_a_bad_sequence_in_a_later_chunk_names_its_line_counting_the_chunks_before():
    marked = "one\ntwo\n".encode("utf-16")  # little-endian after its mark: the state later chunks start in
    later = "three\nfour ".encode("utf-16-le") + b"\x00\xdc" + "\nfive\n".encode("utf-16-le")
    read = []
    with pytest.raises(DataError) as caught:
        for chunk in as_utf8([marked, later], encoding="utf-16", name="x"):
            read.append(chunk)
    assert str(caught.value) == (
        "line 4 of x is not valid utf-16 (illegal encoding); pass --encoding with the encoding it is in"
    )
    assert b"".join(read).decode() == "one\ntwo\nthree\nfour "  # up to the bad sequence, handed on
    lone = [marked, b"\x00\xdc"]  # the bad sequence alone in its chunk
    with pytest.raises(DataError, match="^line 3 of x is not valid utf-16"):
        list(as_utf8(lone, encoding="utf-16", name="x"))


def test_text_not_in_the_utf16_or_byte_order_it_is_read_as_is_refused_naming_the_right_one(tmp_path):
    """Each of these read as told gave garbage texts ('匀栀愀爀攀猀' for 'Shares') and exit 0."""
    cases = {
        ("Shares rose\n".encode("utf-16"), "utf-16be"): (
            "is UTF-16 (it starts with a UTF-16LE byte-order mark), not utf-16be; pass --encoding utf-16"
        ),
        ("Shares rose\n".encode("utf-16-le"), "utf-16be"): (
            "is UTF-16LE (its zero bytes are where UTF-16LE has them), not utf-16be; pass --encoding utf-16le"
        ),
        ("Shares rose\n".encode("utf-16-be"), "utf-16"): (
            "is UTF-16BE (it has no byte-order mark, but every other byte is zero), not utf-16; pass "
            "--encoding utf-16be"
        ),
        ("Shares rose\n".encode("utf-32"), "utf-16"): (
            "is UTF-32 (it starts with a UTF-32LE byte-order mark), not utf-16; pass --encoding utf-32"
        ),
        # UTF-32 without a mark: its zero bytes made it UTF-16 or binary data, or 'code point not in
        # range' of line 1 where told utf-32.
        ("Shares rose\nGoal\n".encode("utf-32-be"), "utf-32"): (
            "is UTF-32BE (it has no byte-order mark, but each character is four bytes, the high ones zero), "
            "not utf-32; pass --encoding utf-32be"
        ),
        ("上海股市\n".encode("utf-32-le"), "utf-16le"): (
            "is UTF-32LE (its zero bytes are where UTF-32LE has them), not utf-16le; pass --encoding utf-32le"
        ),
        (b"Shares rose on strong profits\nGoals in the last minute of the final\nA vote\n", "utf-16le"): (
            "is not utf-16le (it has line ends but no zero bytes, which UTF-16 and UTF-32 line ends hold); "
            "leave --encoding out for utf-8, or pass the encoding it is in (such as cp1252)"
        ),
        # Excel's plain "CSV" and Notepad's ANSI: cp1252, with accents (not valid UTF-8).
        (
            "Thanou bullish – café crème\r\nGoals in the last minute of the final\r\n".encode("cp1252"),
            "utf-16le",
        ): (
            "is not utf-16le (it has line ends but no zero bytes, which UTF-16 and UTF-32 line ends hold); "
            "leave --encoding out for utf-8, or pass the encoding it is in (such as cp1252)"
        ),
        # Notepad's UTF-8, without a mark, read as cp1252: 'café' became 'cafÃ©'.
        ("Thanou – café\n".encode(), "cp1252"): (
            "is UTF-8 (bytes above 0x7F among its first form UTF-8 characters, such as '–'), "
            "not cp1252; leave --encoding out (utf-8 is the default), and where a line is then said "
            "not to be UTF-8, retype the character named"
        ),
    }
    path = tmp_path / "texts.txt"
    for (data, encoding), message in cases.items():
        path.write_bytes(data)
        with pytest.raises(DataError) as caught:
            from_file(path, encoding=encoding)
        assert str(caught.value) == f"{path} {message}"
        with pytest.raises(DataError) as caught:
            list(_arriving_records(_pipe_holding(data), encoding=encoding))
        assert str(caught.value) == f"standard input {message}"
    # A 0x0A byte of a CJK character, with no zero byte: UTF-16 that only UTF-8 line ends would refute.
    for text in ("上海", "上上上海"):  # 上 is 0a 4e: "\nN\nN\nNwm" in UTF-8, too short to tell
        path.write_bytes(text.encode("utf-16-le"))
        assert [record.text for record in _records(from_file(path, encoding="utf-16le"))] == [text]
    # A file given as a pipe (`-f <(cat texts.txt)`) is checked as it is read, as standard input is.
    path.write_bytes("Shares rose\n".encode("utf-16-le"))
    with pytest.raises(DataError, match="^/dev/fd/.* is UTF-16LE .*; pass --encoding utf-16le, or convert"):
        _records(from_file(Path(f"/dev/fd/{_pipe_holding(path.read_bytes())}")))


def test_utf16_without_a_mark_and_undetected_is_told_to_name_its_byte_order(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_bytes("中文\n".encode("utf-16-le"))  # no zero byte but the line end's: nothing tells the order
    source = from_file(path, encoding="utf-16")
    assert source.count is not None and source.count() is None  # the progress bar's total: unknown
    with pytest.raises(DataError) as caught:
        _records(source)
    assert str(caught.value) == (
        f"{path} has no byte-order mark to tell utf-16's byte order by; pass --encoding utf-16le or "
        "utf-16be, as it was written"
    )
    assert [record.text for record in _records(from_file(path, encoding="utf-16le"))] == [
        "中文"
    ]  # as advised
    path.write_bytes("one\ntwo\n".encode("utf-16") + b"a")
    with pytest.raises(DataError) as caught:
        _records(from_file(path, encoding="utf-16"))
    assert str(caught.value) == (
        f"{path} ends inside a character of line 3, which is not whole utf-16: was it cut short? Every "
        "line before it was read"
    )


def test_an_encoding_whose_line_end_is_not_the_byte_0x0a_and_not_utf16_is_refused(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_bytes("one\n".encode("cp037"))
    for encoding, message in (
        ("cp037", "cp037 input is not supported (its line end is not the byte 0x0A); convert it to utf-8"),
        ("unicode_escape", "unicode-escape input is not supported"),
        ("undefined", "unknown encoding 'undefined'"),
        # PowerShell's -Encoding names, which Python knows otherwise.
        (
            "Unicode",
            "unknown encoding 'Unicode'; what Windows calls Unicode is utf-16: pass --encoding utf-16",
        ),
        (
            "BigEndianUnicode",
            "unknown encoding 'BigEndianUnicode'; what Windows calls BigEndianUnicode is utf-16be",
        ),
    ):
        with pytest.raises(DataError) as caught:
            from_file(path, encoding=encoding)
        assert str(caught.value).startswith(message)


def _pipe_holding(data: bytes) -> int:
    """The read end of a pipe that holds `data` and is closed for writing."""
    reading, writing = os.pipe()
    os.write(writing, data)
    os.close(writing)
    return reading


def test_utf16_standard_input_is_read_as_it_arrives():
    read_end, write_end = os.pipe()
    chunks = _arriving_records(read_end, encoding="utf-16")
    data = "first\r\nsecond é\nthird".encode("utf-16")
    os.write(write_end, data[:-3])  # the last character of the stream arrives later
    assert [(r.index, r.text) for r in next(chunks)] == [(0, "first"), (1, "second é")]
    os.write(write_end, data[-3:])
    os.close(write_end)
    assert [(r.index, r.text) for r in next(chunks)] == [(2, "third")]
    assert next(chunks, None) is None
    os.close(read_end)


def test_csv_rows_keep_their_columns_as_written(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(
        'id,review_text,stars\n007,"great, really\nsecond line",5\n008,meh\n009,,1\n', encoding="utf-8"
    )
    source = from_file(path, text_column="review_text")
    records = _records(source)
    assert source.columns == ["id", "review_text", "stars"] and source.text_column == "review_text"
    assert [(r.index, r.text, r.fields["id"]) for r in records] == [
        (0, "great, really\nsecond line", "007"),
        (1, "meh", "008"),  # a ragged row: its missing cell is empty
        (2, None, "009"),  # an empty cell is a missing text, as training reads it: "no text in this row"
    ]
    assert records[1].fields["stars"] == ""
    # --json carries the row's other columns; the empty text cell is the null text itself.
    assert carried_fields(records[2].fields, records[2].text, "review_text") == {"id": "009", "stars": "1"}


def test_columns_without_a_name_keep_their_own_values(tmp_path):
    """A pandas index column beside Excel's empty columns past the table (`,Text,`), or two unnamed
    columns: one name for both, so predict's output carried the last one's values in each (a
    spreadsheet user's trial lost the index and a comment column)."""
    path = tmp_path / "rows.csv"
    path.write_text(",Text,,\r\n0,Shares rose,checked by Ann,x\r\n1,A goal,,y\r\n", encoding="utf-8-sig")
    source = from_file(path)
    assert source.columns == ["Unnamed: 0", "Text", "Unnamed: 2", "Unnamed: 3"]  # as pandas names them
    assert [record.fields for record in _records(source)] == [
        {"Unnamed: 0": "0", "Text": "Shares rose", "Unnamed: 2": "checked by Ann", "Unnamed: 3": "x"},
        {"Unnamed: 0": "1", "Text": "A goal", "Unnamed: 2": "", "Unnamed: 3": "y"},
    ]
    path.write_text("Unnamed: 2,Text,,\nkept,a,b,c\n", encoding="utf-8")  # a name already taken
    assert from_file(path).columns == ["Unnamed: 2", "Text", "Unnamed: 2.1", "Unnamed: 3"]  # as pandas
    path.write_text(" ,Text,,\n1,a,b,c\n", encoding="utf-8")  # a name of spaces is a name, to pandas too
    assert from_file(path).columns == [" ", "Text", "Unnamed: 2", "Unnamed: 3"]
    path.write_text("id,Text,\n7,a,b\n", encoding="utf-8")  # one empty name stays as it was
    assert _records(from_file(path))[0].fields == {"id": "7", "Text": "a", "": "b"}


def test_csv_text_column_follows_training_then_the_usual_names(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("body,sentence\nfrom body,from sentence\n", encoding="utf-8")
    assert _records(from_file(path))[0].text == "from sentence"  # "sentence" comes before "body"
    assert _records(from_file(path, trained_column="body"))[0].text == "from body"
    with pytest.raises(DataError, match="column 'txt' not found"):
        from_file(path, text_column="txt")


def test_jsonl_rows_keep_their_fields_and_a_broken_line_is_named(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"id": "a1", "text": "soup"}, {"id": "a2", "text": None}, "just a string"]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    records = _records(from_file(path))
    assert [(r.text, r.fields.get("id")) for r in records] == [
        ("soup", "a1"),
        (None, "a2"),
        ("just a string", None),
    ]
    path.write_text('{"text": "ok"}\n{"text": broken\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 2 of .* is not JSON"):
        _records(from_file(path))


@pytest.mark.parametrize("layout", ["lines", "array"])
def test_columns_are_every_key_any_record_holds_so_csv_output_keeps_each(tmp_path, layout):
    rows = [{"id": 1, "text": "soup"}, {"id": 2, "text": "goal", "note": "keep me"}, {"text": "x", "n": 3}]
    path = tmp_path / ("rows.jsonl" if layout == "lines" else "rows.json")
    path.write_text(
        "".join(json.dumps(row) + "\n" for row in rows) if layout == "lines" else json.dumps(rows),
        encoding="utf-8",
    )
    source = from_file(path)
    assert source.columns == ["id", "text", "note", "n"]
    assert [r.fields for r in _records(source)] == rows


def test_the_text_column_is_chosen_among_every_records_keys_not_the_first_ones(tmp_path):
    rows = [
        {"id": 1, "body": "soup"},
        {"id": 2, "text": "goal"},
        {"id": 3, "text": None},
        {"id": 4, "text": "x"},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    source = from_file(path)
    assert source.text_column == "text"
    assert [r.text for r in _records(source)] == [None, "goal", None, "x"]
    nested = [
        {"id": 1, "data": {"title": "soup"}},
        {"id": 2, "data": {"title": "goal", "text": "goal match"}},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in nested), encoding="utf-8")
    assert from_file(path, text_column="data.text").text_column == "data.text"  # found in the second


@pytest.mark.parametrize("name", ["rows.json", "rows.jsonl"])
def test_rows_that_are_json_arrays_are_refused_as_having_no_field_names(tmp_path, name):
    rows = [["soup", "food"], ["goal", "sport"]]
    path = tmp_path / name
    path.write_text(json.dumps(rows) if name == "rows.json" else "".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(
        DataError, match=r"holds its rows as JSON arrays \(\[\.\.\.\]\), whose fields have no names"
    ):
        from_file(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.txt", "soup\n\ngoal\nlast without its end"),
        ("b.txt", "soup\n\n"),
        ("c.jsonl", '{"text": "soup"}\n\n{"text": "goal"}\n'),
        ("d.json", '[{"text": "soup"}, {"text": "goal"}, {"text": "x"}]'),
    ],
)
def test_a_files_record_count_is_known_beforehand_for_the_progress_bar(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    source = from_file(path)
    assert source.count is not None and source.count() == len(_records(source)) > 0


def test_parquet_rows_keep_their_fields(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"id": [1, 2], "text": ["soup", "tennis"]}), path)
    assert from_file(path).count() == 2
    assert [(r.index, r.text, r.fields["id"]) for r in _records(from_file(path))] == [
        (0, "soup", 1),
        (1, "tennis", 2),
    ]


def test_a_saved_dataset_and_its_arrow_files_are_read_as_records_with_their_fields(tmp_path):
    """A data scientist's save_to_disk folder: predict said 'is a folder', and an .arrow file was
    read as lines of binary ('not valid utf-8; pass --encoding latin-1': garbage, exit 0)."""
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features(
        {"id": Value("int64"), "sentence": Value("string"), "label": ClassLabel(names=["neg", "pos"])}
    )
    rows = Dataset.from_dict(
        {"id": list(range(2500)), "sentence": [f"text {i}" for i in range(2500)], "label": [0, 1] * 1250},
        features=features,
    )
    rows.save_to_disk(str(tmp_path / "one"), max_shard_size="20KB")  # several data files, in order
    source = from_file(tmp_path / "one")
    records = _records(source)
    assert (source.count(), source.text_column, source.columns) == (
        2500,
        "sentence",
        ["id", "sentence", "label"],
    )
    # The ClassLabel column as its names, as eval reads them: "business" was written beside 1.
    assert [(r.index, r.text, r.fields["id"], r.fields["label"]) for r in records[:2]] == [
        (0, "text 0", 0, "neg"),
        (1, "text 1", 1, "pos"),
    ]
    assert source.notes == [
        f"{tmp_path / 'one'}: ClassLabel column 'label' is written as its names (neg, pos), not the "
        "indices stored"
    ]
    rows.to_parquet(str(tmp_path / "one.parquet"))
    parquet = _records(from_file(tmp_path / "one.parquet"))
    assert [r.fields["label"] for r in parquet] == ["neg", "pos"] * 1250
    unlabelled = Dataset.from_dict(
        {"id": [1, 2], "sentence": ["a", "b"], "label": [-1, 1]}, features=features
    )
    unlabelled.to_parquet(str(tmp_path / "glue_test.parquet"))  # GLUE's test splits: -1, no label
    assert [r.fields["label"] for r in _records(from_file(tmp_path / "glue_test.parquet"))] == [None, "pos"]
    assert [r.fields["id"] for r in records] == list(range(2500))
    first = sorted((tmp_path / "one").glob("*.arrow"))[0]
    assert [r.text for r in _records(from_file(first))] == [
        r.text for r in records[: from_file(first).count()]
    ]
    # A DatasetDict's folder names its splits' folders; a data file gone is named.
    DatasetDict({"train": rows, "test": rows}).save_to_disk(str(tmp_path / "splits"))
    with pytest.raises(
        DataError, match=r"splits is a saved DatasetDict of several splits \(test, train\); pass"
    ):
        from_file(tmp_path / "splits")
    assert [r.text for r in _records(from_file(tmp_path / "splits" / "test"))][:1] == ["text 0"]
    first.unlink()
    with pytest.raises(DataError, match=f"one lacks its data file {first.name}; copy or save"):
        from_file(tmp_path / "one")


@pytest.mark.parametrize(
    ("head", "said", "file_said"),
    [
        (
            b"PK\x03\x04" + bytes(200),
            "zip-compressed; decompress it first",
            "zip-compressed, though its name",
        ),
        (
            b"\xff\xff\xff\xff\x50\x01\x00\x00\x10\x00\x00\x00" + bytes(200),
            "an Arrow file, not plain text; pass it as a file named with the suffix .arrow",
            None,
        ),
        (  # standard input cannot be given a suffix: it was "give it the suffix .parquet" (a trial)
            b"PAR1\x15\x04\x15\xe0\x12\x15" + bytes(200),
            "a parquet file, not plain text; pass it as a file named with the suffix .parquet",
            None,
        ),
        (b"%PDF-1.7\n" + bytes(range(256)) * 4, "a PDF, not plain text", None),
        (  # TextEdit's default: its markup was labelled line by line, and trained on (a Mac user's trial)
            b"{\\rtf1\\ansi\\ansicpg1252\\cocoartf2761\n{\\fonttbl\\f0\\fswiss Helvetica;}\n"
            b"\\f0\\fs24 late\\\n}",
            "an RTF document (rich text, as TextEdit and WordPad save it), not plain text; save it as plain "
            "text",
            None,
        ),
        (
            bytes(range(256)) * 16,
            "not text in an 8-bit encoding or UTF-8 (its first 4,096 bytes hold 16 zero bytes)",
            None,
        ),
    ],
    ids=["zip", "arrow", "parquet", "pdf", "rtf", "zeros"],
)
def test_binary_data_read_as_text_is_refused_not_advised_an_8bit_encoding(tmp_path, head, said, file_said):
    """Such bytes were 'not valid utf-8; pass --encoding (latin-1)', which then gave garbage texts."""
    path = tmp_path / "data.bin"
    path.write_bytes(head)
    with pytest.raises(DataError, match=f"^{path} is {re.escape(file_said or said)}"):
        _records(from_file(path))
    with pytest.raises(DataError, match=f"^standard input is {re.escape(said)}"):
        list(_arriving_records(_pipe_holding(head), encoding="utf-8"))
    # Text with a stray zero byte, tabs, escapes and other control bytes is still text: a Hive
    # table's \x01 delimiter, a bell, a text that begins as a signature does.
    text = tmp_path / "text.txt"
    text.write_bytes(b"one\ttwo\x1b[1m bold\x07\x0e\x0f\n" * 50 + b"a stray \x00 byte\n" + b"PAR1 results\n")
    assert len(_records(from_file(text))) == 52
    hive = tmp_path / "hive.csv"
    hive.write_bytes(b"text\x01label\n" + b"soup and bread\x01food\n" * 40)
    assert [r.text for r in _records(from_file(hive, delimiter="\x01"))][:1] == ["soup and bread"]
    # A text that names RTF's opening is a text: `{\rtf1}` alone, or in words.
    text.write_bytes(b"{\\rtf is how RTF opens\n{\\rtf1}\n")
    assert len(_records(from_file(text))) == 2


def test_arguments_are_records_in_order():
    assert [(r.index, r.text) for r in _records(from_arguments(["a", "", "b"]))] == [
        (0, "a"),
        (1, ""),
        (2, "b"),
    ]


def test_standard_input_hands_on_each_line_as_soon_as_it_arrives():
    read_end, write_end = os.pipe()
    chunks = _arriving_records(read_end, encoding="utf-8")
    os.write(write_end, b"first\r\nsecond\n")
    # The writer is still open: the lines that have arrived come out without waiting for the end.
    assert [(r.index, r.text) for r in next(chunks)] == [(0, "first"), (1, "second")]
    os.write(write_end, b"third, with no newline")
    os.close(write_end)
    assert [(r.index, r.text) for r in next(chunks)] == [(2, "third, with no newline")]
    assert next(chunks, None) is None
    os.close(read_end)


def test_json_lines_arriving_on_a_pipe_are_records_handed_on_as_they_arrive():
    """`jq -c ... | attn predict R` classified each JSON line whole; now the first line being a JSON
    object makes them records, each handed on as it arrives (a stream is not waited to its end)."""
    from attncli.data_file_records import json_lines_if_records
    from attncli.records import RecordSource

    read_end, write_end = os.pipe()
    arriving = RecordSource(name="standard input", chunks=_arriving_records(read_end, encoding="utf-8"))
    os.write(write_end, b'{"id": 1, "meta": {"body": "hot soup"}}\n')
    source, as_records = json_lines_if_records(arriving, text_column="meta.body", trained_column="text")
    chunks = iter(source.chunks)
    # A csv written from them has the nested field as a column of its own, as eval finds it again.
    assert as_records and (source.columns, source.text_column) == (["id", "meta.body"], "meta.body")
    first = next(chunks)
    assert [(r.index, r.text, r.fields) for r in first] == [
        (0, "hot soup", {"id": 1, "meta": {"body": "hot soup"}})
    ]
    os.write(write_end, b'\n{"id": 2, "meta": {"body": 7}}\n"a bare string"\n[1]')
    os.close(write_end)
    rest = [record for chunk in chunks for record in chunk]
    assert [(r.index, r.text, r.not_text) for r in rest] == [
        (1, None, "7"),
        (2, "a bare string", None),
        (3, None, "[1]"),  # no record, and said so (it was a record without a text, 'no text in this row')
    ]
    assert rest[1].fields == {"meta.body": "a bare string"}  # its text column's, in a csv written
    os.close(read_end)
    # Plain lines stay plain, the first one handed on with the rest.
    plain = RecordSource(name="standard input", chunks=iter([[Record(0, "{not json}"), Record(1, "b")]]))
    source, as_records = json_lines_if_records(plain, text_column=None, trained_column="text")
    assert not as_records and [r.text for chunk in source.chunks for r in chunk] == ["{not json}", "b"]


def test_csv_rows_arriving_on_a_pipe_are_records_handed_on_as_their_rows_complete():
    """`head rows.csv | attn predict R` labelled each line whole, then was refused; now a header naming
    the text column over a row of as many cells makes the lines csv rows, each record handed on once
    the lines that hold its row have arrived, and no line read before it is needed."""
    from attncli.data_file_records import csv_rows_if_table
    from attncli.records import RecordSource

    pulled: list[int] = []

    def arrivals():
        for number, lines in enumerate([["id,text"], ['1,"hot'], ['soup, bread"', "2,goal"], ["", "3,x"]]):
            pulled.append(number)
            yield [Record(0, line) for line in lines]  # numbers of plain lines, which rows renumber

    source, as_rows = csv_rows_if_table(
        RecordSource(name="standard input", chunks=arrivals()), text_column=None, trained_column="text",
        delimiter=None,
    )  # fmt: skip
    assert as_rows and (source.columns, source.text_column, source.delimiter) == (["id", "text"], "text", ",")
    assert pulled == [0, 1]  # the header and the line after it, which tells a table from a text
    chunks = iter(source.chunks)
    first = next(chunks)
    assert [(r.index, r.text, r.fields) for r in first] == [
        (0, "hot\nsoup, bread", {"id": "1", "text": "hot\nsoup, bread"}),
        (1, "goal", {"id": "2", "text": "goal"}),
    ]
    assert pulled == [0, 1, 2]
    assert [(r.index, r.text) for r in next(chunks)] == [(2, "x")] and next(chunks, None) is None
    # A blank line that arrives on its own before the header is passed over, as in a file.
    blank_first = RecordSource(
        name="standard input", chunks=iter([[Record(0, "")], [Record(1, "id,text")], [Record(2, "1,soup")]])
    )
    read, as_rows = csv_rows_if_table(blank_first, text_column=None, trained_column="text", delimiter=None)
    assert as_rows and [(r.text, r.fields) for chunk in read.chunks for r in chunk] == [
        ("soup", {"id": "1", "text": "soup"})
    ]
    # Columns joined, named in other case or with spaces around: each read as the header names it,
    # as a file is (the description was left out, read by the subject alone: a trial).
    for header in ("id,subject,description", "id,Subject ,Description "):
        joined = RecordSource(
            name="standard input", chunks=iter([[Record(0, header), Record(1, "9,Refund,twice")]])
        )
        read, as_rows = csv_rows_if_table(
            joined, text_column=None, trained_column="Subject,Description", delimiter=None
        )
        assert as_rows and read.text_column == ",".join(header.split(",")[1:])
        assert [r.text for chunk in read.chunks for r in chunk] == ["Refund\ntwice"]
    # Plain lines stay plain: a header over a line of other cells, a header naming another column,
    # or none to name (a model of no text column, no --text-column).
    for lines, trained in (
        (["id,text", "hot soup"], "text"),
        (["id,body", "1,soup"], "text"),
        (["a,b", "1,2"], None),
    ):
        plain = RecordSource(
            name="standard input", chunks=iter([[Record(n, line) for n, line in enumerate(lines)]])
        )
        kept, as_rows = csv_rows_if_table(plain, text_column=None, trained_column=trained, delimiter=None)
        assert not as_rows and [r.text for chunk in kept.chunks for r in chunk] == lines


def test_csv_delimiter_is_read_off_the_header_line_or_given(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffid;text\r\n1;soup, bread\r\n2;goal\r\n".encode())
    source = from_file(path)
    assert [(r.text, r.fields["id"]) for r in _records(source)] == [("soup, bread", "1"), ("goal", "2")]
    assert source.notes == [
        f"{path}: the header line has no commas but has semicolons, so it is read as ';'-separated "
        "(--delimiter chooses another)"
    ]
    named = from_file(path, delimiter=";")
    assert named.notes == [] and [r.text for r in _records(named)] == ["soup, bread", "goal"]
    path.write_text("id;text|x\n", encoding="utf-8")
    with pytest.raises(DataError, match="has no commas but has semicolons and pipes; pass --delimiter"):
        from_file(path)
    plain = tmp_path / "texts.txt"
    plain.write_text("soup\n", encoding="utf-8")
    with pytest.raises(
        DataError, match="--delimiter ';' splits csv rows, and the first line of .*texts.txt is no"
    ):
        from_file(plain, delimiter=";", trained_column="text")
    # A table under a plain-text name is read as a csv file is, at the delimiter given.
    plain.write_text("id|text\n1|soup, bread\n", encoding="utf-8")
    table = from_file(plain, delimiter="|", trained_column="text")
    assert [(r.text, r.fields) for r in _records(table)] == [
        ("soup, bread", {"id": "1", "text": "soup, bread"})
    ]
    assert table.notes[0].endswith(
        "texts.txt opens with a csv header naming the text column 'text', so it is read as csv rows, each "
        "with its columns"
    )


def test_a_csv_row_with_more_fields_than_the_header_names_its_line(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('id,text\n1,"two\nlines"\n2,hello, world\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"line 4 of .*rows.csv has 3 fields but its header line has 2"):
        _records(from_file(path))


def test_dotted_paths_reach_into_nested_json_and_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": 1, "data": {"text": "soup"}}, {"id": 2, "data": {"text": None}}, {"id": 3, "data": None}]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    source = from_file(path, text_column="data.text")
    assert [r.text for r in _records(source)] == ["soup", None, None] and source.text_column == "data.text"
    found = from_file(path)  # data.text holds a known word: found, and said
    assert found.text_column == "data.text" and "using text column 'data.text'" in found.notes[0]
    with pytest.raises(DataError, match=r"text column 'data' holds records, not texts; .* 'data.text'"):
        from_file(path, text_column="data")
    table = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(rows), table)
    assert [r.text for r in _records(from_file(table, text_column="data.text"))] == ["soup", None, None]
    # A csv written from either has the field as a column of its own, as datasets' flatten() names it.
    assert source.columns == from_file(table, text_column="data.text").columns == ["id", "data.text"]


def test_text_column_found_loosely_is_said(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("review_id,Review Body \nr1,soup\n", encoding="utf-8")
    source = from_file(path)
    assert source.text_column == "Review Body " and _records(source)[0].text == "soup"
    assert source.notes == [
        f"{path}: using text column 'Review Body ', chosen by name (--text-column chooses another)"
    ]
    # Named in another case, it is the one column of that name to anyone reading the header (a
    # trial's --label-column rating for `Rating` was refused); another name is refused as before
    assert from_file(path, text_column="review body").text_column == "Review Body "
    with pytest.raises(DataError) as refused:
        from_file(path, text_column="review bodies")
    assert str(refused.value) == (
        f"text column 'review bodies' not found (closest: 'Review Body '); {path} has columns 'review_id', "
        "'Review Body '"
    )
    path.write_text("Text,text,label\na,b,c\n", encoding="utf-8")  # two in other cases: neither taken
    with pytest.raises(DataError, match="text column 'TEXT' not found"):
        from_file(path, text_column="TEXT")


def test_a_text_column_read_in_place_of_the_trained_one_is_said(tmp_path):
    """predict labelled a file's `description` column, where the model was trained on `text`,
    without a word (train and eval say which columns they read)."""
    path = tmp_path / "td.csv"
    path.write_text("title,description\nShares rose,Some long description about sport\n", encoding="utf-8")
    source = from_file(path, trained_column="text")
    assert source.text_column == "description"
    assert source.notes == [
        f"warning: {path}: using text column 'description', as it has none named 'text' (the column the "
        "model was trained on); --text-column chooses another"
    ]
    assert from_file(path, trained_column="text", text_column="description").notes == []
    assert from_file(path, trained_column="description").notes == []


def test_an_argument_python_read_under_an_ascii_locale_is_its_utf8_text():
    from attncli.record_sources import argument_text

    assert argument_text(b"Caf\xc3\xa9".decode("ascii", "surrogateescape")) == "Café"
    assert argument_text("Caf\udcff") == "Caf\udcff"  # not UTF-8: as Python read it
    assert argument_text("plain") == "plain"


def test_a_csv_files_records_are_counted_for_the_progress_bar_as_they_are_read(tmp_path):
    """A large csv showed a count and no end on predict's bar; its lines are not its records where
    a quoted text spans lines, and blank lines are none."""
    path = tmp_path / "rows.csv"
    path.write_text('id,text\n1,"two\nlines"\n\n2,plain\n   \n3,"a ""quoted"" one"\n4,\n')
    source = from_file(path)
    assert source.count is not None and source.count() == len(_records(source)) == 4


def test_a_pasted_windows_byte_in_utf8_lines_is_named_from_a_file_and_from_a_pipe(tmp_path):
    """The lines before it tell a UTF-8 file holding one byte of cp1252 from a cp1252 file: the byte is
    named with what to retype, for a file and for standard input alike."""
    data = "café ok\nfine\n".encode() + b"I\x92m fine\n"
    said = (
        "line 3 of {} is not valid utf-8 (byte 2 of the line); byte 0x92 ('’' in cp1252) in 'I\ufffdm fine', "
        "where the lines before it are UTF-8: the file mixes encodings"
    )
    path = tmp_path / "texts.txt"
    path.write_bytes(data)
    with pytest.raises(DataError) as caught:
        _records(from_file(path))
    assert str(caught.value).startswith(said.format(path))
    with pytest.raises(DataError) as caught:
        list(_arriving_records(_pipe_holding(data), encoding="utf-8"))
    assert str(caught.value).startswith(said.format("standard input"))
    # Without UTF-8 before it, the line is told the encodings it reads in.
    path.write_bytes(b"ok\nI\x92m fine\n")
    with pytest.raises(DataError) as caught:
        _records(from_file(path))
    assert "pass --encoding with the file's encoding: its bytes read as text in cp1252" in str(caught.value)


def test_lines_are_the_same_however_the_stream_is_cut_into_chunks():
    """A line's chunks are joined once its end arrives (each chunk was added to the line so far and
    the whole split again: a 100 MB line took 188 s); every way of cutting a stream gives its lines."""
    import random

    from attncli.lines import complete_lines

    rng = random.Random(0)
    for _ in range(3000):
        data = bytes(rng.choice(b"ab\n") for _ in range(rng.randint(0, 40)))
        cuts = sorted(rng.choices(range(len(data) + 1), k=rng.randint(0, 6)))
        chunks = [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        *ended, last = data.split(b"\n")
        assert list(complete_lines(chunks)) == [line + b"\n" for line in ended] + ([last] if last else [])
    long_line = b"word " * 200_000
    pieces = [long_line[start : start + 4096] for start in range(0, len(long_line), 4096)]
    assert list(complete_lines([*pieces, b"\nend"])) == [long_line + b"\n", b"end"]


def test_an_mbox_mailbox_is_refused_with_how_to_split_it(tmp_path):
    """Read one line a text, an inbox of 30 messages gave 725 results (a spam analyst's trial)."""
    import mailbox
    from email.message import EmailMessage

    from attncli.sources import load_raw

    box = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    for number in range(2):
        message = EmailMessage()
        message["Subject"] = "win"
        message.set_content(f"win a prize now {number}")
        box.add(message)
    box.flush()
    path = tmp_path / "inbox.mbox"
    for read in (lambda: _records(from_file(path)), lambda: load_raw(str(path))):
        with pytest.raises(
            DataError, match=rf"^{path} is an mbox mailbox \(messages one after another, .*python3 -c"
        ):
            read()
    # A sender too long for the first bytes other checks read (a bounce address) hides none either.
    long = tmp_path / "long.mbox"
    sender = b"bounces+1234567-abcd-user=example.com@em1234.sendgrid.net"
    long.write_bytes(path.read_bytes().replace(b"From MAILER-DAEMON", b"From " + sender, 1))
    with pytest.raises(DataError, match="is an mbox mailbox"):
        _records(from_file(long))
    # A first message of megabytes (an attachment) hides no second one (a review).
    big = tmp_path / "big.mbox"
    first, _, second = path.read_bytes().partition(b"\nFrom ")
    big.write_bytes(first + b"\n" + b"QUJD" * 300_000 + b"\n\nFrom " + second)
    with pytest.raises(DataError, match="is an mbox mailbox"):
        _records(from_file(big))
    text = tmp_path / "texts.txt"
    text.write_text("From here on it rains\nFrom Monday the shop opens\nFrom 9am Sat we are open\n")
    assert len(_records(from_file(text))) == 3
    # One message whose first line is its `From ` line (SpamAssassin's corpus, mutt's saved mail) is
    # a text, not a mailbox to split (a review).
    one = tmp_path / "0001.eml"
    one.write_bytes(path.read_bytes().split(b"\nFrom ")[0] + b"\n")
    assert len(_records(from_file(one))) > 1  # read as lines here; predict reads a .eml whole


def test_an_xml_document_is_refused_rather_than_read_a_line_at_a_time(tmp_path):
    """An XLIFF export given to predict --file had each line labelled, its declaration and tags
    included, exit 0, where train and eval refuse it (a localisation trial): by its suffix, or by
    the declaration it opens with under any other name; a text file that merely holds a tag is read."""
    xliff = '<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2"><file>\n<trans-unit id="a"/>\n'
    for name in ("export.xliff", "export.XLF", "memory.tmx", "export.txt", "strings"):
        (tmp_path / name).write_text(xliff if name != "export.txt" else "\ufeff" + xliff)
        with pytest.raises(DataError, match="is an XML document, which would be read a line at a time"):
            from_file(tmp_path / name)
    (tmp_path / "units.xlf").write_text('\ufeff\n  <xliff version="1.2">\n')  # no declaration: its tag
    with pytest.raises(DataError, match="is an XML document"):
        from_file(tmp_path / "units.xlf")
    (tmp_path / "lines.xml").write_text("a text named .xml\n")  # what it holds, not its name, decides
    assert [record.text for record in _records(from_file(tmp_path / "lines.xml"))] == ["a text named .xml"]
    (tmp_path / "notes.txt").write_text("<b>bold</b> text\n<?xml is no declaration here\n")
    assert [record.text for record in _records(from_file(tmp_path / "notes.txt"))] == [
        "<b>bold</b> text",
        "<?xml is no declaration here",
    ]
