import math

import pytest

from attncli.errors import DataError
from attncli.joined_columns import (
    is_joined,
    joined_value,
    missing_parts_note,
    parts_of,
    text_cell,
    with_joined_text,
)


def test_parts_are_the_names_between_commas_in_order():
    assert parts_of("title, body") == ["title", " body"]  # as written: choose_columns finds them loosely
    assert parts_of("text") == ["text"]
    assert is_joined("title,body", ["title", "body"])
    # A column the data holds whole, comma and all, is one column; so is a name without a comma.
    assert not is_joined("Price, in EUR", ["Price, in EUR", "label"])
    assert not is_joined("text", ["title"]) and not is_joined(None, [])


def test_a_rows_texts_are_joined_a_line_each_leaving_out_empty_ones():
    assert joined_value(["Cup final tonight", "The team won."]) == "Cup final tonight\nThe team won."
    # A missing or blank description leaves the title alone: a row is textless only where all are.
    assert joined_value(["Cup final", None]) == "Cup final"
    assert joined_value(["Cup final", ""]) == "Cup final"
    assert joined_value([math.nan, "body only"]) == "body only"
    assert joined_value(["  ", "body"]) == "body"
    assert joined_value([None, None]) is None
    assert joined_value(["", " "]) == " "  # blank, as one blank column's value is
    # JSON's empty strings are an empty text, as one column's is (a csv's empty cells are made None
    # by its readers): a helpdesk's empty ticket was "no text in this row", as if it lacked the keys.
    assert joined_value(["", ""]) == ""
    assert joined_value([b"caf\xc3\xa9", "au lait"]) == "café\nau lait"  # UTF-8 bytes are text
    # A value that is no text stays itself, so that it is refused or said as one column's would be.
    assert joined_value(["title", 3]) == 3


def test_text_cell_reads_one_column_or_joins_several():
    record = {"id": 7, "title": "Cup final", "body": "The team won.", "meta": {"summary": "sport"}}
    assert text_cell(record, "title") == "Cup final"
    assert text_cell(record, "title,body") == "Cup final\nThe team won."
    assert text_cell(record, "meta.summary,title") == "sport\nCup final"  # dotted paths are parts too
    assert text_cell({"a,b": "whole"}, "a,b") == "whole"


def test_a_dataset_gets_the_joined_column_and_refuses_numbers():
    from datasets import Dataset

    dataset = Dataset.from_dict(
        {"title": ["A", None, "C"], "body": ["a", "b", None], "stars": [1, 2, 3], "label": ["x", "y", "x"]}
    )
    joined = with_joined_text(dataset, "title,body", where="train.csv")
    assert joined["title,body"] == ["A\na", "b", "C"]
    assert joined.column_names[:4] == ["title", "body", "stars", "label"]  # the row's own columns kept
    assert with_joined_text(dataset, "title", where="train.csv") is dataset
    with pytest.raises(DataError, match=r"column 'stars' of train.csv holds int64 values, not text"):
        with_joined_text(dataset, "title,stars", where="train.csv")
    with pytest.raises(DataError, match=r"test.csv has no column 'summary'"):
        with_joined_text(dataset, "title,summary", where="test.csv")
    nested = Dataset.from_list([{"doc": {"head": "H", "body": "B"}, "label": "x"}])
    assert with_joined_text(nested, "doc.head,doc.body", where="d")["doc.head,doc.body"] == ["H\nB"]


def test_header_names_with_spaces_around_them_are_joined_as_the_data_writes_them():
    """A csv headed `id, title, body, label`: the names found loosely are written back as the data
    has them, and read so (they were stripped again, and training found no column 'title')."""
    from datasets import Dataset

    from attncli.columns import choose_columns
    from attncli.layouts import Layout

    chosen = choose_columns(Layout(columns=("id", " title", " body", " label")), where="D", text="title,body")
    assert chosen.text == " title, body" and parts_of(chosen.text) == [" title", " body"]
    assert text_cell({" title": "Cup", " body": "won"}, chosen.text) == "Cup\nwon"
    dataset = Dataset.from_dict({" title": ["Cup"], " body": ["won"], " label": ["x"]})
    assert with_joined_text(dataset, chosen.text, where="D")[chosen.text] == ["Cup\nwon"]


def test_a_value_that_is_no_text_leaves_the_row_without_one_in_a_dataset():
    """A JSON column of texts and a stray number (datasets types it Json), or bytes that are not
    UTF-8 in a binary column: that row has no text, to refuse or leave out as one column's row is
    (the whole column was refused, and bad bytes ended in Arrow's own error)."""
    from datasets import Dataset, Features, Value

    binary = Dataset.from_dict(
        {"title": [b"Cup", b"\xff\xfe"], "body": [b"won", b"lost"]},
        features=Features({"title": Value("binary"), "body": Value("binary")}),
    )
    assert with_joined_text(binary, "title,body", where="D")["title,body"] == ["Cup\nwon", None]
    with pytest.raises(DataError, match="holds ClassLabel values"):
        from datasets import ClassLabel

        labelled = Dataset.from_dict(
            {"title": ["a"], "topic": [0]},
            features=Features({"title": Value("string"), "topic": ClassLabel(names=["x"])}),
        )
        with_joined_text(labelled, "title,topic", where="D")


def test_rows_missing_a_joined_column_are_counted():
    """Rows read by the other columns alone are counted; a row with nothing in any is not (it has no
    text, to refuse or leave out), and a binary column's empty bytes are empty too."""
    from datasets import Dataset, Features, Value

    dataset = Dataset.from_dict({"title": ["A", None, "C", " "], "body": ["a", "b", "", None]})
    assert missing_parts_note(
        with_joined_text(dataset, "title,body", where="D"), "title,body", where="D"
    ) == (
        "D: rows with nothing in a column joined are read by the others alone: 1 of 4 without 'title', "
        "1 of 4 without 'body'"
    )
    binary = Dataset.from_dict(
        {"title": [b"A", b"B"], "body": [b"", b"b"]},
        features=Features({"title": Value("binary"), "body": Value("binary")}),
    )
    assert "1 of 2 without 'body'" in str(missing_parts_note(binary, "title,body", where="D"))
    full = Dataset.from_dict({"title": ["A"], "body": ["a"]})
    assert missing_parts_note(full, "title,body", where="D") is None
    assert missing_parts_note(full, "title", where="D") is None
