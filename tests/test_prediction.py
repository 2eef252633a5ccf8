import csv
import dataclasses
import io
import json

import pytest

from attncli.checkpoint import load_checkpoint
from attncli.decimals import float32_list
from attncli.errors import DataError
from attncli.prediction import PredictionStats, predict, predict_probabilities, predict_records
from attncli.prediction_writers import CsvWriter, JsonLinesWriter
from attncli.records import Record


@pytest.fixture(scope="module")
def loaded(trained):
    return load_checkpoint(trained.output)


def test_predictions_are_right_and_probabilities_sum_to_one(loaded):
    texts = ["we had pasta with cheese", "the coach praised the tennis match", "a new laptop chip"]
    predictions = predict(loaded, texts, top_k=3)
    assert [p.label for p in predictions] == ["food", "sport", "tech"]
    for prediction in predictions:
        scores = [score for _, score in prediction.top_k]
        assert sum(scores) == pytest.approx(1.0, abs=1e-5)
        assert scores == sorted(scores, reverse=True)
        assert prediction.top_k[0] == (prediction.label, prediction.score)
    keys = {"index", "text", "label", "score", "top_k", "truncated_tokens", "unknown_tokens"}
    assert set(predictions[0].to_json()) == keys
    # The scores as the command writes them, the shortest decimals of their float32 values (the
    # Python API's JSON gave a double's 17 digits where the command's gave 0.9985012).
    import numpy

    shown = predictions[0].to_json()
    assert shown["score"] == float(str(numpy.float32(predictions[0].score)))
    assert [item["score"] for item in shown["top_k"]] == [
        float(str(numpy.float32(s))) for _, s in predictions[0].top_k
    ]
    assert predictions[0].to_json(shortest=False)["score"] == predictions[0].score
    # Words the model never saw are counted: a low score for such a text is the reason, not a doubt
    # between labels (a labelling loop's 104 tied scores were all headlines of unknown words).
    unseen = predict(loaded, ["zzqx wwvk pasta", "we had pasta with cheese"])
    assert [p.unknown_tokens for p in unseen] == [2, 0]
    assert [p.index for p in predictions] == [0, 1, 2]
    # The API keeps the model's float32 values exactly; JSON and CSV write each as the shortest
    # decimal that reads back as it (0.9998585), not a double's 17 digits (0.9998584985733032).
    exact = predict_probabilities(loaded, texts)
    assert [p.probabilities for p in predictions] == exact.tolist()
    lines, table = io.StringIO(), io.StringIO()
    JsonLinesWriter(lines).write(predictions)
    CsvWriter(table, input_columns=[], label_names=loaded.label_names).write(predictions)
    written = [json.loads(line) for line in lines.getvalue().splitlines()]
    best = [float32_list(row) for row in exact.topk(3).values.tolist()]
    assert [row["score"] for row in written] == [scores[0] for scores in best]
    assert [[item["score"] for item in row["top_k"]] for row in written] == best
    rows = list(csv.reader(io.StringIO(table.getvalue())))
    assert [[float(cell) for cell in row[4:-2]] for row in rows[1:]] == [
        float32_list(row) for row in exact.tolist()
    ]
    assert max(len(cell) for row in rows[1:] for cell in row[3:-1]) < 16  # 17 digits made 18-24 characters


def test_a_tokenizer_with_no_unknown_token_counts_none_rather_than_zero(loaded, monkeypatch):
    """0 read as "no unknown words" for a byte-level tokenizer, where no word can be unknown."""
    import attncli.prediction as prediction

    monkeypatch.setattr(prediction, "unknown_id_of", lambda tokenizer: None)
    (only,) = predict(loaded, ["zzqx wwvk pasta"])
    assert only.unknown_tokens is None and only.to_json()["unknown_tokens"] is None


def test_top_k_is_capped_and_order_is_kept(loaded):
    texts = ["robot internet"] + ["soup"] * 70 + ["goal"]  # more than one batch
    predictions = predict(loaded, texts, top_k=10, batch_size=16)
    assert len(predictions[0].top_k) == 3
    assert [p.text for p in predictions] == texts
    assert (predictions[0].label, predictions[-1].label) == ("tech", "sport")


def test_empty_and_blank_texts_get_no_label_and_keep_their_place(loaded):
    predictions = predict(loaded, ["soup and bread", "", "   ", "a tennis match"])
    assert [(p.index, p.label, p.reason) for p in predictions] == [
        (0, "food", None),
        (1, None, "empty text"),
        (2, None, "empty text"),
        (3, "sport", None),
    ]
    assert predictions[1].to_json()["score"] is None and predictions[1].top_k == []
    # Characters with nothing to read are blank too: a zero-width space, joiner or direction mark, a
    # soft hyphen, an emoji's variation selector, a keycap mark or a skin tone alone (a social-media
    # trial's got a label at 57%); beside a word they are part of a text.
    invisible = [
        "\u200b",
        "\u200d \u200e",
        "\u2060\u00ad",
        "\ufe0f\ufe0f",
        "\u20e3",
        "\U0001f3fd",
        "\u3000\x00",
        "\u3164 \u2800",  # Hangul filler, blank braille: letters that show as blanks
        "\x1b[2J\x1b[0m ",  # a terminal's escape sequences alone (a log line's colour codes)
    ]
    read = predict(loaded, [*invisible, "soup\u200b", "\U0001f44d\U0001f3fd"])
    assert [p.reason for p in read] == ["empty text"] * len(invisible) + [None, None]
    from attncli.inspection import inspect_text

    with pytest.raises(DataError, match=r"^text 0 \(counting from 0\) is empty"):
        inspect_text(loaded, "\u200b")
    # What a data scientist's list holds where a cell was missing (None, NaN), or a number: each gets
    # its place and a reason, as a file's cells do (NaN was an AttributeError).
    import numpy
    import pandas

    missing = [None, float("nan"), numpy.float32("nan"), pandas.NA]  # as lists and columns hold them
    odd = predict(loaded, ["soup and bread", *missing, 42, numpy.int64(7), {"text": "x"}])
    assert [(p.index, p.label, p.reason) for p in odd] == [
        (0, "food", None),
        *((index, None, "no text in this row") for index in range(1, 5)),
        (5, None, "42 instead of a text"),
        (6, None, "7 instead of a text"),
        (7, None, '{"text": "x"} instead of a text'),
    ]


def test_a_best_label_below_min_score_is_not_given_and_its_scores_are_kept(loaded):
    """Routing tickets, a trial gave 'Saludos, Juan' a label at 26.8%, with no way to abstain."""
    texts = ["we had pasta with cheese", "zzqx wwvk", ""]
    plain, stats = predict(loaded, texts), PredictionStats()
    cut = plain[0].score - 1e-3  # just under the sure text's score, well above the unknown one's
    unsure = predict_records(loaded, [Record(i, t) for i, t in enumerate(texts)], min_score=cut, stats=stats)
    assert [(p.label, p.reason) for p in unsure] == [
        ("food", None),
        (None, f"below --min-score {cut:g}"),
        (None, "empty text"),
    ]
    assert (unsure[1].score, unsure[1].top_k, unsure[1].probabilities) == (
        plain[1].score, plain[1].top_k, plain[1].probabilities,
    )  # fmt: skip
    assert (stats.below_min_score, stats.without_label) == (1, 1)
    table = io.StringIO()
    CsvWriter(table, input_columns=[], label_names=loaded.label_names).write(unsure)
    rows = list(csv.reader(io.StringIO(table.getvalue())))
    assert (
        rows[2][2] == ""
        and float(rows[2][3]) == pytest.approx(plain[1].score)
        and rows[2][-2:] == [unsure[1].reason, "0"]
    )
    assert [p.label for p in predict(loaded, texts, min_score=0.0)] == [p.label for p in plain]
    with pytest.raises(DataError, match=r"min_score \(--min-score\) must be between 0 and 1"):
        predict(loaded, texts, min_score=1.5)
    with pytest.raises(TypeError, match="takes a probability, not '0.5'"):
        predict(loaded, texts, min_score="0.5")
    numpy = pytest.importorskip("numpy")  # a threshold taken from the model's own float32 scores
    assert [p.label for p in predict(loaded, texts, min_score=numpy.float32(cut))] == ["food", None, None]


def test_a_row_whose_text_is_no_string_keeps_its_value_in_the_output(loaded):
    rows = [{"id": 1, "body": "soup and bread"}, {"id": 2, "body": 5}, {"id": 3, "body": None}]
    records = [Record(index=i, text=row["body"] if isinstance(row["body"], str) else None, fields=row)
               for i, row in enumerate(rows)]  # fmt: skip
    shown = [p.to_json(text_column="body") for p in predict_records(loaded, records)]
    assert [(row["label"], row.get("reason"), row["fields"]) for row in shown] == [
        ("food", None, {"id": 1}),  # the text is "text" already
        (None, "no text in this row", {"id": 2, "body": 5}),  # not lost
        (None, "no text in this row", {"id": 3}),
    ]


def test_probabilities_are_divided_by_the_checkpoint_temperature(loaded):
    import torch

    from attncli.packing import pad_batch
    from attncli.tokenization import token_ids

    texts = ["we had pasta with cheese", "the coach praised the tennis match"]
    ids = [sequence for sequence, _ in token_ids(loaded.tokenizer, texts, max_length=32)]
    with torch.inference_mode():
        logits = loaded.model(pad_batch(ids, pad_id=loaded.pad_id)).logits
    saved = loaded.header.get("temperature")
    try:
        loaded.header["temperature"] = 2.5
        assert loaded.temperature == 2.5
        expected = (logits / 2.5).softmax(-1)
        assert torch.allclose(predict_probabilities(loaded, texts), expected, atol=1e-6)
        assert predict(loaded, texts)[1].probabilities == pytest.approx(expected[1].tolist(), abs=1e-6)
    finally:
        loaded.header["temperature"] = saved


def test_checkpoints_without_a_temperature_are_uncalibrated(loaded):
    header = dict(loaded.header)
    header.pop("temperature", None)
    assert dataclasses.replace(loaded, header=header).temperature == 1.0


def test_long_texts_say_how_many_tokens_were_cut(loaded):
    stats = PredictionStats()
    long_text = " ".join(["soup"] * 50)  # 50 word tokens; the model reads 32
    records = [Record(0, long_text), Record(1, "bread")]
    predictions = predict_records(loaded, records, stats=stats)
    assert [p.truncated_tokens for p in predictions] == [18, 0]
    assert (stats.records, stats.truncated, stats.without_label) == (2, 1, 0)


def test_texts_written_for_a_missing_value_are_labelled_and_warned_of(loaded):
    """R's write.csv writes a missing text as NA, which reads as the word: such records got labels like
    any other, said nowhere (an R user's trial). They keep their labels (NA may be a text), with a
    warning naming the markers met; a text that only holds one among others is no marker."""
    stats = PredictionStats()
    texts = ["NA", "bread", " NA ", "NULL", "NA is a word here", "na"]
    predictions = predict_records(loaded, [Record(i, text) for i, text in enumerate(texts)], stats=stats)
    assert all(prediction.label is not None for prediction in predictions)
    assert stats.missing_markers == {"NA": 2, "NULL": 1}
    assert stats.missing_marker_note() == (
        "warning: 3 of 6 records are only 'NA', 'NULL', as R writes a missing text, and were read as that "
        'word; if they mark missing texts, leave them empty (R: write.csv(..., na = "")) to give them no '
        "label"
    )
    assert "rows evaluated are only 'NA', 'NULL'" in stats.missing_marker_note(evaluated=True)
    assert PredictionStats().missing_marker_note() is None
    one = PredictionStats()
    predict_records(loaded, [Record(0, "N/A"), Record(1, "bread")], stats=one)
    assert (
        "1 of 2 records is only 'N/A', as R writes a missing text, and was read as that word; if it marks "
        'missing texts, leave it empty (R: write.csv(..., na = "")) to give it no label'
        in (one.missing_marker_note() or "")
    )


def test_texts_mostly_unknown_to_the_model_are_warned_of(loaded):
    """A predict of a file whose text column was another (a department's name: `Sales`, `IT`) gave
    309 of 361 rows labels read from nothing, and said nothing (an HR analyst's trial)."""
    stats = PredictionStats()
    texts = ["Zzqx", "Wwvk", "Qqjx", "we had pasta with cheese", ""]
    predict_records(loaded, [Record(i, text) for i, text in enumerate(texts)], stats=stats)
    assert (stats.tokens, stats.unknown_tokens, stats.texts_with_unknown, stats.texts_all_unknown) == (
        10,
        3,
        3,
        3,
    )
    assert stats.unknown_note(warned_only=True) is None  # 3 of 10 tokens: a note, no warning
    assert stats.unknown_note() == (
        "unknown to the model: 30.0% of the 10 tokens read, in 3 of the 4 texts (each read as the unknown "
        "token: words training never saw, or saw too rarely to keep)"
    )
    predict_records(loaded, [Record(i, text) for i, text in enumerate(texts[:3] * 2)], stats=stats)
    assert stats.unknown_note(warned_only=True) == (
        "warning: unknown to the model: 56.2% of the 16 tokens read, in 9 of the 10 texts, 9 of them nothing "
        "else; their labels say little: check that these texts are of the kind it was trained on (the "
        "text column it read, the language)"
    )


def test_text_the_model_cannot_read_gets_no_confident_label(loaded):
    # Training adds made-up gibberish with equal-probability targets (train.outlier_rows, on by
    # default), so gibberish lands near 1/3 on this three-label task, below a real text.
    gibberish, real = predict(loaded, ["zzzz qqqq xkcd", "we had pasta with cheese"])
    assert gibberish.score < 0.45, gibberish.top_k  # 1/3 is no preference at all
    assert real.label == "food" and real.score > gibberish.score + 0.1


def test_the_python_api_refuses_one_text_given_as_a_string(loaded):
    """A str is a sequence of one-character texts: 11 predictions for "Shares rose", silently."""
    with pytest.raises(
        TypeError, match=r"predict takes a list of texts, not one text; pass it in a list: \[text\]$"
    ):
        predict(loaded, "Shares rose")
    assert len(predict(loaded, ["Shares rose"])) == 1
    # An AttnError too, so that one `except AttnError` catches every bad input (a service's trial
    # caught TypeError apart); a TypeError still, as Python's own for an argument of the wrong kind.
    from attncli.errors import ArgumentError, AttnError

    for wrong in ("Shares rose", None, 5):
        with pytest.raises(AttnError) as refused:
            predict(loaded, wrong)
        assert isinstance(refused.value, TypeError) and isinstance(refused.value, ArgumentError)
    with pytest.raises(AttnError, match="top_k"):
        predict(loaded, ["Shares rose"], top_k=1.5)
    with pytest.raises(
        ArgumentError,
        match=r"^load_checkpoint takes the path of a checkpoint folder \(a str or Path\), not NoneType$",
    ):
        load_checkpoint(None)
    # A set's order is its hashes', and a dict's texts would be its keys: both were taken silently.
    with pytest.raises(
        TypeError, match="^predict takes a list of texts in the order of its results, not a set, "
    ):
        predict(loaded, {"Shares rose", "Team won"})
    with pytest.raises(
        TypeError, match=r"^predict takes a list of texts, not a dict; pass list\(texts.values\(\)\)$"
    ):
        predict(loaded, {"a": "Shares rose"})

    class Frame:  # what matters of a pandas DataFrame: its columns, and iterating them
        columns = ["text"]

        def __iter__(self):
            return iter(self.columns)

    with pytest.raises(
        TypeError, match=r"^predict takes a list of texts, not a Frame; pass a column of it, df\['text'\]$"
    ):
        predict(loaded, Frame())
    assert [p.text for p in predict(loaded, iter(["Shares rose", "Team won"]))] == ["Shares rose", "Team won"]
    # A Dataset, a 2-D array and a table's rows iterate rows: each was label None, with no error
    # (a notebook user's trial).
    import numpy
    from datasets import Dataset

    rows = Dataset.from_dict({"text": ["Shares rose"], "label": ["business"]})
    with pytest.raises(
        TypeError, match=r"^predict takes a list of texts, not a Dataset; pass a column of it"
    ):
        predict(loaded, rows)
    with pytest.raises(
        TypeError, match=r"^predict takes a list of texts, not a ndarray of 2 dimensions; pass"
    ):
        predict(loaded, numpy.array([["Shares rose", "business"]]))
    for table_rows in ([("Shares rose", "business")], [{"text": "Shares rose"}]):
        with pytest.raises(
            TypeError, match=r"each item given is a (tuple|dict) \(a table's rows\?\); pass the"
        ):
            predict(loaded, table_rows)
    assert predict(loaded, numpy.array(["Shares rose"]))[0].label is not None  # 1-D: texts
    for one in (numpy.float64(1.5), numpy.array("Shares rose")):  # 0-d: one value, no column to slice
        with pytest.raises(TypeError, match=r"not one value \(.*\); pass a list: \[text\]$"):
            predict(loaded, one)
    assert predict(loaded, rows["text"])[0].label is not None


def test_the_python_api_says_how_to_load_a_checkpoint_given_as_a_path_and_refuses_batch_size_0(trained):
    from pathlib import Path

    from attncli.errors import DataError
    from attncli.evaluation import evaluate
    from attncli.inspection import inspect_text

    best = trained.output / "best"
    for call, name in [
        (lambda: predict(str(best), ["soup"]), "predict"),
        (lambda: inspect_text(Path(best), "soup"), "inspect_text"),
        (lambda: evaluate(str(best)), "evaluate"),
    ]:
        expected = rf"^{name} takes a loaded checkpoint, not the path .*; pass load_checkpoint\("
        with pytest.raises(TypeError, match=expected):
            call()
    with pytest.raises(TypeError, match="load_checkpoint\\(path\\) \\(attncli.checkpoint\\), not int"):
        predict(5, ["soup"])  # type: ignore[arg-type]
    loaded = load_checkpoint(trained.output)
    with pytest.raises(DataError, match="^batch_size \\(--batch-size\\) must be at least 1, not 0$"):
        predict(loaded, ["soup"], batch_size=0)
    # A user's trial: top_k=0 named only the command line's --top-k, top_k=None was a TypeError
    # comparing None with 1, batch_size=1.5 was taken, and texts=None "'NoneType' is not iterable".
    with pytest.raises(DataError, match="^top_k \\(--top-k\\) must be at least 1, not 0$"):
        predict(loaded, ["soup"], top_k=0)
    import numpy

    assert len(predict(loaded, ["soup"], top_k=numpy.int64(2), batch_size=numpy.int32(8))[0].top_k) == 2
    for name, value in (("top_k", None), ("batch_size", 1.5), ("top_k", True)):
        with pytest.raises(TypeError, match=f"^{name} \\(--.*\\) takes a whole number, not {value!r}$"):
            predict(loaded, ["soup"], **{name: value})
    with pytest.raises(
        TypeError, match="^predict takes a list of texts, not None; pass a list, \\[\\] for none$"
    ):
        predict(loaded, None)  # type: ignore[arg-type]


def test_a_thresholded_label_is_predicted_where_its_probability_reaches_the_threshold(loaded):
    """A spam filter flags a message at P(spam) 0.2: `--min-score` (of the best label) could not."""
    from attncli.errors import ConfigError
    from attncli.render.prediction import prediction_layout, render_prediction_row
    from attncli.render.text import format_probability

    texts = ["we had pasta with cheese and a laptop", "the coach watched the match", "a new chip"]
    records = [Record(i, t) for i, t in enumerate(texts)]
    plain = predict_records(loaded, records)
    tech = loaded.label_names.index("tech")
    # the highest P(tech) among the texts whose most probable label is another
    cut = max(p.probabilities[tech] for p in plain if p.label != "tech")
    decided = predict_records(loaded, records, thresholds={"tech": cut})
    assert [p.label for p in predict(loaded, texts, thresholds={"tech": cut})] == [p.label for p in decided]
    for before, after in zip(plain, decided, strict=True):
        expected = "tech" if before.probabilities[tech] >= cut else before.label
        assert after.label == expected
        assert after.score == before.probabilities[loaded.label_names.index(expected)]
        assert (after.top_k, after.probabilities) == (before.top_k, before.probabilities)
    changed = [after for before, after in zip(plain, decided, strict=True) if after.label != before.label]
    assert changed  # the text most like tech among the others now is
    # The table's next labels are the labels other than the one given (the most probable among them).
    row = render_prediction_row(changed[0], prediction_layout(loaded.label_names, top_k=3, width=200)).plain
    most_probable, score = changed[0].top_k[0]
    assert row.count("tech") == 1 and f"{most_probable} {format_probability(score)}" in row
    with pytest.raises(ConfigError, match="--min-score and --threshold decide labels two ways; give one"):
        predict_records(loaded, records, thresholds={"tech": 0.2}, min_score=0.5)
    # A label given outside top_k: the next labels column still holds top_k less one (it overflowed).
    outside = dataclasses.replace(changed[0], label="x", score=0.01, top_k=changed[0].top_k[:2])
    row = render_prediction_row(
        outside, prediction_layout([*loaded.label_names, "x"], top_k=2, width=200)
    ).plain
    first, second = outside.top_k
    assert f"{first[0]} {format_probability(first[1])}" in row and f"{second[0]} " not in row
