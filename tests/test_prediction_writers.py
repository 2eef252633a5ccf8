import csv
import dataclasses
import io

import pytest

from attncli.prediction import Prediction
from attncli.prediction_writers import CsvWriter


def test_a_json_array_holds_every_result_in_order_and_an_empty_one_is_still_json():
    import json

    from attncli.prediction_writers import JsonArrayWriter

    stream = io.StringIO()
    writer = JsonArrayWriter(stream)
    first = Prediction(0, "a", "x", 0.75, [("x", 0.75)], probabilities=[0.75, 0.25])
    writer.write([first, Prediction(1, "b", None, None, [], reason="blank")])
    writer.close()
    rows = json.loads(stream.getvalue())
    counts = {"truncated_tokens": 0, "unknown_tokens": 0}
    assert rows == [
        {
            "index": 0,
            "text": "a",
            "label": "x",
            "score": 0.75,
            "top_k": [{"label": "x", "score": 0.75}],
            **counts,
        },
        {"index": 1, "text": "b", "label": None, "score": None, "top_k": [], **counts, "reason": "blank"},
    ]
    empty = io.StringIO()
    JsonArrayWriter(empty).close()
    assert json.loads(empty.getvalue()) == []


def test_csv_output_columns_keep_names_of_their_own_whatever_the_input_holds():
    columns = ["label", "attn_label", "attn_label_2", "score", "prob_neg"]
    writer = CsvWriter(io.StringIO(), input_columns=columns, label_names=["neg", "pos"])
    assert writer.added == [
        "attn_label_3",
        "attn_score",
        "attn_prob_neg",
        "prob_pos",
        "reason",
        "truncated_tokens",
    ]
    assert writer.stream.getvalue() == ""  # type: ignore[attr-defined]  # the header comes with the rows
    writer.finish()  # ... or at the end, where none came
    header = next(csv.reader(io.StringIO(writer.stream.getvalue())))  # type: ignore[attr-defined]
    assert len(set(header)) == len(header) == 11
    # Two labels that differ only in case: their columns are told apart as the input's would be.
    cased = CsvWriter(io.StringIO(), input_columns=[], label_names=["Billing", "billing", "bug"])
    assert cased.added[:6] == ["label", "score", "prob_Billing", "attn_prob_billing", "prob_bug", "reason"]
    # ... and a label's edge spaces count no more than an input column's do.
    spaced = CsvWriter(io.StringIO(), input_columns=["text", "prob_billing"], label_names=["billing "])
    assert spaced.added == ["label", "score", "attn_prob_billing ", "reason", "truncated_tokens"]


@pytest.mark.parametrize(
    ("columns", "added"),
    [
        (["text", "category"], ["attn_label", "score"]),  # true labels by another name: eval reads "label"
        (["TEXT", "Label"], ["attn_label", "score"]),  # a name that differs only in case
        # A score, a grade or a rating, which eval reads where no label column is found, are such names.
        (["text", "Score"], ["attn_label", "attn_score"]),
        (["student_id", "essay", "grade"], ["attn_label", "score"]),
        (["text", "note"], ["label", "score"]),
        (["review_body", "sentiment_label"], ["attn_label", "score"]),  # found by a word in its name
        # A help desk's `Group` by its whole name only: not a word of another (a review).
        (["Subject", "Group"], ["attn_label", "score"]),
        (["Subject", "group_id"], ["label", "score"]),
        (["text", "age_group", "Assignment Group"], ["label", "score"]),
        # Predict's own label column holds no true labels, so it leaves "label" free.
        (["text", "attn_label"], ["label", "score"]),
    ],
)
def test_the_predicted_label_never_takes_a_name_eval_would_read_as_the_true_labels(columns, added):
    writer = CsvWriter(io.StringIO(), input_columns=columns, label_names=["neg"])
    assert writer.added[:2] == added


def test_the_predicted_label_is_named_apart_beside_the_column_the_model_was_trained_on_for_labels():
    """A model trained with --label-column Code, run on a sheet holding Code: `Code,label`, where
    eval reads Code, and names `Catégorie,attn_label` apart (a Mac user's trial, of `Theme`)."""
    for trained in ("Code", "code "):
        writer = CsvWriter(
            io.StringIO(), input_columns=["Response", "Code"], label_names=["a"], label_column=trained
        )
        assert writer.added[:2] == ["attn_label", "score"]
    other = CsvWriter(
        io.StringIO(), input_columns=["Response", "Notes"], label_names=["a"], label_column="Code"
    )
    assert other.added[:2] == ["label", "score"]
    # One of the model's text columns is no column of true labels: a translation memory's `target`
    # (the translation, read with its source) was said to "may hold true labels" (a trial).
    columns = ["key", "source_en", "target", "locale"]
    memory = CsvWriter(io.StringIO(), input_columns=columns, label_names=["ok"], label_column="issue")
    assert memory.added[:2] == ["attn_label", "score"]
    read = CsvWriter(
        io.StringIO(), input_columns=columns, label_names=["ok"], label_column="issue",
        text_columns=["source_en", "Target"],
    )  # fmt: skip
    assert read.added[:2] == ["label", "score"] and read.renamed_label_note() is None


def test_csv_output_adds_label_score_and_probabilities_to_the_input_columns():
    stream = io.StringIO()
    writer = CsvWriter(stream, input_columns=["id", "text", "label"], label_names=["neg", "pos"])
    first = {"id": "007", "text": "nice", "label": "pos"}
    second = {"id": "008", "text": "", "label": "neg"}
    writer.write([
        Prediction(0, "nice", "pos", 0.75, [("pos", 0.75)], [0.25, 0.75], fields=first, truncated_tokens=31),
        Prediction(1, "", None, None, [], reason="empty text", fields=second),
    ])  # fmt: skip
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    # The tokens past max_length, as JSON gives them (a long-document trial wanted them in its sheet).
    assert rows == [
        ["id", "text", "label", "attn_label", "score", "prob_neg", "prob_pos", "reason", "truncated_tokens"],
        ["007", "nice", "pos", "pos", "0.75", "0.25", "0.75", "", "31"],  # "label" was taken
        ["008", "", "neg", "", "", "", "", "empty text", "0"],  # why it has no label, as JSON says
    ]


def test_csv_cells_of_bytes_dates_and_nested_values_read_as_the_json_writers_write_them():
    """Found in a user's trial: a parquet's bytes column came out of the csv as b'caf\\xc3\\xa9', where
    the JSON lines said "café"; nested bytes failed the csv's JSON."""
    import datetime
    import json

    from attncli.prediction_writers import JsonLinesWriter

    fields = {
        "id": b"caf\xc3\xa9",
        "day": datetime.date(2026, 12, 4),
        "tags": {"raw": b"x\xffy", "gap": float("nan")},
        "text": "nice",
    }
    prediction = Prediction(0, "nice", "a", 1.0, [("a", 1.0)], [1.0], fields=fields)
    stream = io.StringIO()
    CsvWriter(stream, input_columns=list(fields), label_names=["a"]).write([prediction])
    row = list(csv.reader(io.StringIO(stream.getvalue())))[1]
    lines = io.StringIO()
    JsonLinesWriter(lines).write([prediction])
    carried = json.loads(lines.getvalue())["fields"]
    assert row[:4] == ["café", "2026-12-04", '{"raw": "x\ufffdy", "gap": null}', "nice"]
    # A truth value as R and pandas both read one (R reads True as text).
    flagged = dataclasses.replace(prediction, fields={"flag": True, "text": "nice", "off": False})
    stream = io.StringIO()
    CsvWriter(stream, input_columns=["flag", "text", "off"], label_names=["a"]).write([flagged])
    assert list(csv.reader(io.StringIO(stream.getvalue())))[1][:3] == ["true", "nice", "false"]
    assert [carried["id"], carried["day"], carried["tags"]] == [
        "café",
        "2026-12-04",
        {"raw": "x\ufffdy", "gap": None},
    ]


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_csv_output_quotes_every_text_a_reader_would_split_a_lone_carriage_return_included(delimiter):
    stream = io.StringIO()
    writer = CsvWriter(stream, input_columns=["id", "text"], label_names=["a"], delimiter=delimiter)
    texts = ["old\rmac", 'say "hi"', "one\ntwo", "tab\there", "comma, here", "plain"]
    writer.write([
        Prediction(i, text, "a", 1.0, [("a", 1.0)], [1.0], fields={"id": i, "text": text})
        for i, text in enumerate(texts)
    ])  # fmt: skip
    rows = list(csv.reader(io.StringIO(stream.getvalue(), newline=""), delimiter=delimiter))
    assert [row[:2] for row in rows[1:]] == [[str(i), text] for i, text in enumerate(texts)]
    assert stream.getvalue().splitlines()[-1] == delimiter.join(["5", "plain", "a", "1.0", "1.0", "", "0"])


@pytest.mark.parametrize("escaped", [False, True])
def test_json_lines_hold_what_json_cannot_spell_as_null_and_replacement_characters(escaped):
    import datetime
    import json

    from attncli.prediction_writers import JsonLinesWriter

    stream = io.StringIO()
    writer = JsonLinesWriter(stream)
    writer.escaped = escaped  # as for a stream whose encoding cannot hold every character
    fields = {
        "nan": float("nan"),
        "inf": float("-inf"),
        "lone": "a\ud800b",
        "day": datetime.date(2026, 12, 2),
    }
    writer.write(
        [
            Prediction(0, "café ok", "x", 0.5, [("x", 0.5)], fields=fields),
            Prediction(1, "é 😀", None, None, []),
        ]
    )
    first, second = stream.getvalue().splitlines()
    assert json.loads(first)["fields"] == {"nan": None, "inf": None, "lone": "a\ufffdb", "day": "2026-12-02"}
    assert {key: value for key, value in json.loads(first).items() if key != "fields"} == {
        "index": 0, "text": "café ok", "label": "x", "score": 0.5, "top_k": [{"label": "x", "score": 0.5}],
        "truncated_tokens": 0, "unknown_tokens": 0,
    }  # fmt: skip
    assert json.loads(second) == {
        "index": 1, "text": "é 😀", "label": None, "score": None, "top_k": [], "truncated_tokens": 0,
        "unknown_tokens": 0,
    }  # fmt: skip
    assert (first + second).isascii() == escaped


def test_a_file_predicted_before_gets_every_column_of_the_new_prediction_named_apart():
    """Predicting a model's output again with a model of one more label wrote `attn_label`,
    `attn_score`, `attn_prob_business` ... beside a plain `prob_tech`: a script taking the `prob_`
    columns mixed the two models."""
    before = ["id", "text", "label", "score", "prob_business", "prob_sports", "reason"]
    writer = CsvWriter(io.StringIO(), input_columns=before, label_names=["business", "sports", "tech"])
    assert writer.added == [
        "attn_label", "attn_score", "attn_prob_business", "attn_prob_sports", "attn_prob_tech", "attn_reason",
        "attn_truncated_tokens",
    ]  # fmt: skip
    twice = [*before, *writer.added]
    again = CsvWriter(io.StringIO(), input_columns=twice, label_names=["business"])
    assert again.added == [
        "attn_label_2", "attn_score_2", "attn_prob_business_2", "attn_reason_2", "attn_truncated_tokens_2"
    ]  # fmt: skip
    # Each says where its labels went, and why (a nightly job read `label`, the input's own column).
    assert writer.renamed_label_note() == (
        "note: the predicted labels are in column 'attn_label', not 'label': the input holds an earlier "
        "prediction's columns, 'label' among them"
    )
    assert again.renamed_label_note() == (
        "note: the predicted labels are in column 'attn_label_2', not 'label': the input holds an earlier "
        "prediction's columns, 'label' among them"
    )
    gold = CsvWriter(io.StringIO(), input_columns=["text", "category"], label_names=["a"])
    assert gold.renamed_label_note() == (
        "note: the predicted labels are in column 'attn_label', not 'label': the input's 'category' may hold "
        "true labels"
    )
    assert CsvWriter(io.StringIO(), input_columns=["text"], label_names=["a"]).renamed_label_note() is None
    # Labels alike but for case, or edge spaces, still get names of their own in the group.
    cased = CsvWriter(io.StringIO(), input_columns=before, label_names=["Billing", "billing", "tech "])
    assert cased.added[2:5] == ["attn_prob_Billing", "attn_prob_billing_2", "attn_prob_tech "]
    assert len({name.strip().lower() for name in [*before, *cased.added]}) == len(before) + len(cased.added)


def test_predicted_columns_are_found_by_their_layout_whichever_model_wrote_them():
    """eval by a model with another label set read another model's predictions as true labels."""
    from attncli.prediction_writers import predicted_columns

    before = ["id", "text", "label", "score", "prob_business", "prob_sports", "reason"]
    twice = [*before, "attn_label", "attn_score", "attn_prob_business", "attn_prob_tech", "attn_reason"]
    assert predicted_columns(twice, ["business", "tech"]) == tuple(twice[2:])
    assert predicted_columns(before, ["a", "b", "c"]) == tuple(before[2:])
    # ... and as attn writes them from 2026-12-06, with the tokens cut at max_length after the reason.
    cut = [*before, "truncated_tokens", "attn_label", "attn_score", "attn_prob_tech", "attn_reason"]
    cut += ["attn_truncated_tokens"]
    assert predicted_columns(cut, ["tech"]) == tuple(cut[2:])
    assert predicted_columns(cut, ["a", "b", "c"]) == tuple(cut[2:])
    # ... and the next best labels --top-k adds after them, by another model too.
    ranked = [*before, "truncated_tokens", "top2_label", "top2_score", "top3_label", "top3_score", "note"]
    assert predicted_columns(ranked, ["business", "sports"]) == tuple(ranked[2:-1])
    assert predicted_columns(ranked, ["a", "b", "c"]) == tuple(ranked[2:-1])
    # a score that no probability column follows, or probabilities with no reason column after
    # them, make a table of the user's own (an annotator's score, an agreement figure)
    assert predicted_columns(["text", "label", "score", "note"], ["a"]) == ()
    assert predicted_columns(["text", "label", "score", "prob_agree"], ["a"]) == ()


def test_predicted_columns_are_found_whatever_the_labels_hold_and_at_every_level():
    from attncli.prediction_writers import predicted_columns

    labels = ["rec.sport.hockey", "sci.space"]  # 20 Newsgroups: dots in the probability columns' names
    csv_columns = ["index", "text", "label", "score", "prob_rec.sport.hockey", "prob_sci.space", "reason"]
    assert predicted_columns(csv_columns, labels) == tuple(csv_columns[2:])
    # JSON lines of predict run on its own csv output: the csv's columns one level down.
    json_columns = ["index", "text", "label", "score", "top_k", "truncated_tokens", "fields"]
    paths = [f"fields.{column}" for column in csv_columns]
    assert predicted_columns(json_columns, labels, paths) == (
        "label",
        "score",
        "top_k",
        "truncated_tokens",
        *paths[2:],
    )
    # ... and a csv written from those JSON lines, whose nested fields are dotted columns.
    flat = [*json_columns[:-1], *paths]
    assert predicted_columns(flat, labels) == ("label", "score", "top_k", "truncated_tokens", *paths[2:])
    assert predicted_columns(["text", "label"], labels) == ()


def test_c1_control_characters_are_escaped_in_json_and_read_back_the_same(capsys):
    """A security trial: a text or label holding U+009B (a one-character ESC [ to some UTF-8
    terminals) went out raw in `predict --json`, which JSON allows and a terminal acts on."""
    import json

    from attncli.cli.edge import print_json
    from attncli.prediction_writers import JsonArrayWriter, JsonLinesWriter

    odd = "te\x9b31mch \x85 caf\u00e9"
    prediction = Prediction(0, odd, "sci\x9bfi", 0.5, [("sci\x9bfi", 0.5)], fields={"note": "\x80"})
    for writer_class in (JsonLinesWriter, JsonArrayWriter):
        stream = io.StringIO()
        writer = writer_class(stream)
        writer.write([prediction])
        if isinstance(writer, JsonArrayWriter):
            writer.close()
        written = stream.getvalue()
        assert not any("\x80" <= char <= "\x9f" for char in written) and "\\u009b" in written
        row = json.loads(written)[0] if isinstance(writer, JsonArrayWriter) else json.loads(written)
        assert (row["text"], row["label"], row["fields"]["note"]) == (odd, "sci\x9bfi", "\x80")
        assert "café" in written  # other characters stay as they are
    print_json([{"text": odd}])  # inspect's and eval's JSON lines
    shown = capsys.readouterr().out
    assert "\\u009b" in shown and json.loads(shown) == {"text": odd}


def test_csv_on_a_terminal_shows_each_character_it_would_act_on_as_a_space_and_a_file_gets_them_as_they_are():
    """`attn predict --format csv` of a stranger's texts to a terminal: ESC [2J cleared the screen, a
    carriage return hid what the line held, U+009B opened a control sequence, U+202E reversed it."""
    texts = [
        "clear\x1b[2Jme",
        "hidden\rshown",
        "c1\x9b31m",
        "bidi\u202eevil",
        "two\nlines",
        "tab\there",
        "café",
    ]
    shown = ["clear [2Jme", "hidden shown", "c1 31m", "bidi evil", "two\nlines", "tab\there", "café"]
    for on_terminal, expected in ((True, shown), (False, texts)):
        stream = io.StringIO()
        writer = CsvWriter(stream, input_columns=[], label_names=["a"], on_terminal=on_terminal)
        writer.write([Prediction(i, text, "a", 1.0, [("a", 1.0)], [1.0]) for i, text in enumerate(texts)])
        rows = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))
        assert [row[1] for row in rows[1:]] == expected


def test_parquet_output_keeps_the_inputs_types_beside_the_csvs_columns(tmp_path):
    """A data lake's join keys and dates came back as text through csv (a trial); parquet keeps them."""
    import datetime

    import pyarrow.parquet as pq

    from attncli.prediction_writers import ParquetWriter

    when = datetime.datetime(2024, 1, 1, 9, 30)
    rows = [
        {"id": 7, "text": "nice", "at": when, "meta": {"source": "web"}, "mixed": 3},
        {"id": 8, "text": "", "at": when, "meta": {"source": "app"}, "mixed": "three"},
    ]
    with (tmp_path / "out.parquet").open("w", encoding="utf-8") as stream:
        writer = ParquetWriter(
            stream,
            input_columns=["id", "text", "at", "meta.source", "mixed"],
            label_names=["neg", "pos"],
            top_k=2,
        )
        writer.write(
            [
                Prediction(
                    0, "nice", "pos", 0.75, [("pos", 0.75), ("neg", 0.25)], [0.25, 0.75], fields=rows[0]
                ),
                Prediction(1, "", None, None, [], reason="empty text", fields=rows[1]),
            ]
        )
        writer.finish()
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column_names == [
        "id", "text", "at", "meta.source", "mixed", "label", "score", "prob_neg", "prob_pos", "reason",
        "truncated_tokens", "top2_label", "top2_score",
    ]  # fmt: skip
    assert table.to_pylist()[0] == {
        "id": 7, "text": "nice", "at": when, "meta.source": "web", "mixed": "3", "label": "pos",
        "score": 0.75, "prob_neg": 0.25, "prob_pos": 0.75, "reason": None, "truncated_tokens": 0,
        "top2_label": "neg", "top2_score": 0.25,
    }  # fmt: skip
    assert table.to_pylist()[1]["reason"] == "empty text" and table.to_pylist()[1]["prob_pos"] is None
    assert str(table.schema.field("id").type) == "int64"  # a join key stays a number
    # Each added column has its type whatever the rows hold: with no reason given, 'reason' was of
    # Arrow's null type, and an output's schema was not the next one's (an R user's trial).
    with (tmp_path / "plain.parquet").open("w", encoding="utf-8") as stream:
        writer = ParquetWriter(stream, input_columns=[], label_names=["neg", "pos"], top_k=2)
        writer.write([Prediction(0, "nice", "pos", 0.75, [("pos", 0.75), ("neg", 0.25)], [0.25, 0.75])])
        writer.finish()
    # Whole-number labels beside the input's integer labels are integers, so that the two compare
    # (`df.label == df.attn_label` was False on every row: an R user's trial); beside text, text.
    for truth, written in ((3, 3), ("3", "3")):
        with (tmp_path / "stars.parquet").open("w", encoding="utf-8") as stream:
            writer = ParquetWriter(stream, input_columns=["text", "label"], label_names=["3", "5"], top_k=2)
            fields = {"text": "fine", "label": truth}
            ranked = [("3", 0.75), ("5", 0.25)]
            writer.write([Prediction(0, "fine", "3", 0.75, ranked, [0.75, 0.25], fields=fields)])
            writer.write([Prediction(1, "", None, None, [], reason="empty text", fields={"label": None})])
            writer.finish()
        stars = pq.read_table(tmp_path / "stars.parquet").to_pylist()
        assert [stars[0]["label"], stars[0]["attn_label"], stars[0]["top2_label"]] == [
            written,
            written,
            5 if truth == 3 else "5",
        ]
        assert stars[1]["attn_label"] is None
    # So beside the column the model was trained on for labels, whatever its name (a review).
    with (tmp_path / "y.parquet").open("w", encoding="utf-8") as stream:
        writer = ParquetWriter(stream, input_columns=["text", "y"], label_names=["3", "5"], label_column="y")
        writer.write(
            [Prediction(0, "fine", "3", 0.75, [("3", 0.75)], [0.75, 0.25], fields={"text": "x", "y": 5})]
        )
        writer.finish()
    assert pq.read_table(tmp_path / "y.parquet").to_pylist()[0]["attn_label"] == 3
    added = pq.read_table(tmp_path / "plain.parquet").schema
    assert [str(added.field(name).type) for name in added.names] == [
        "int64", "string", "string", "double", "double", "double", "string", "int64", "string", "double",
    ]  # fmt: skip
