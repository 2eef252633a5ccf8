import csv
import io
from pathlib import Path

import pytest

from attncli.errors import DataError
from attncli.output import CsvWriter, atomic_output, check_output_file, choose_format
from attncli.prediction import Prediction


def test_format_comes_from_the_option_then_json_then_the_suffix():
    assert choose_format(None, as_json=False, output=None) == "table"
    assert choose_format(None, as_json=True, output=None) == "jsonl"
    assert choose_format(None, as_json=False, output=Path("out.csv")) == "csv"
    assert choose_format("table", as_json=False, output=Path("out.txt")) == "table"
    assert choose_format("TSV", as_json=False, output=None) == "tsv"  # to standard output
    assert choose_format(None, as_json=False, output=Path("out.tsv")) == "tsv"
    assert choose_format("csv", as_json=False, output=Path("out.tsv")) == "tsv"  # csv, tab-separated
    # A format the name contradicts wrote JSON lines into out.json and a table into out.csv, silently.
    with pytest.raises(DataError) as contradicted:
        choose_format("jsonl", as_json=False, output=Path("out.json"))
    assert str(contradicted.value) == (
        "--format jsonl does not write the json that the name out.json promises; drop --format (the "
        "suffix chooses json), or give the file a name that fits"
    )
    with pytest.raises(DataError, match="^--format table does not write the csv that the name out.CSV"):
        choose_format("table", as_json=False, output=Path("out.CSV"))
    assert choose_format("CSV", as_json=False, output=None) == "csv"  # as people type it
    with pytest.raises(DataError, match="--json means --format jsonl"):
        choose_format("csv", as_json=True, output=None)
    # A data format attn reads but does not write is said to be one ('cannot tell the format').
    with pytest.raises(
        DataError, match=r"^attn predict does not write .parquet files; write a csv or jsonl file"
    ):
        choose_format(None, as_json=False, output=Path("preds.parquet"))
    for requested, as_json in (("csv", False), (None, True)):
        with pytest.raises(DataError, match=r"^attn predict does not write .parquet files"):
            choose_format(requested, as_json=as_json, output=Path("preds.parquet"))
    with pytest.raises(
        DataError,
        match=r"out.txt from its suffix \(.jsonl, .ndjson, .json, .csv or .tsv\); pass --format table",
    ):
        choose_format(None, as_json=False, output=Path("out.txt"))
    assert choose_format(None, as_json=False, output=Path("out.json")) == "json"
    assert choose_format(None, as_json=False, output=Path("out.ndjson")) == "jsonl"
    with pytest.raises(DataError) as caught:
        choose_format(None, as_json=True, output=Path("out.json"))
    assert str(caught.value) == (
        "--json writes JSON lines, not into out.json; drop --json (a .json file gets one JSON array) "
        "or rename it"
    )


def test_a_json_array_holds_every_result_in_order_and_an_empty_one_is_still_json():
    import json

    from attncli.output import JsonArrayWriter

    stream = io.StringIO()
    writer = JsonArrayWriter(stream)
    first = Prediction(0, "a", "x", 0.75, [("x", 0.75)], probabilities=[0.75, 0.25])
    writer.write([first, Prediction(1, "b", None, None, [], reason="blank")])
    writer.close()
    rows = json.loads(stream.getvalue())
    assert [(row["index"], row["text"], row["label"]) for row in rows] == [(0, "a", "x"), (1, "b", None)]
    empty = io.StringIO()
    JsonArrayWriter(empty).close()
    assert json.loads(empty.getvalue()) == []


def test_csv_output_columns_keep_names_of_their_own_whatever_the_input_holds():
    columns = ["label", "attn_label", "attn_label_2", "score", "prob_neg"]
    writer = CsvWriter(io.StringIO(), input_columns=columns, label_names=["neg", "pos"])
    assert writer.added == ["attn_label_3", "attn_score", "attn_prob_neg", "prob_pos", "reason"]
    header = next(csv.reader(io.StringIO(writer.stream.getvalue())))  # type: ignore[attr-defined]
    assert len(set(header)) == len(header) == 10
    # Two labels that differ only in case: their columns are told apart as the input's would be.
    cased = CsvWriter(io.StringIO(), input_columns=[], label_names=["Billing", "billing", "bug"])
    assert cased.added == ["label", "score", "prob_Billing", "attn_prob_billing", "prob_bug", "reason"]
    # ... and a label's edge spaces count no more than an input column's do.
    spaced = CsvWriter(io.StringIO(), input_columns=["text", "prob_billing"], label_names=["billing "])
    assert spaced.added == ["label", "score", "attn_prob_billing ", "reason"]


@pytest.mark.parametrize(
    ("columns", "added"),
    [
        (["text", "category"], ["attn_label", "score"]),  # true labels by another name: eval reads "label"
        (["TEXT", "Label"], ["attn_label", "score"]),  # a name that differs only in case
        (["text", "Score"], ["label", "attn_score"]),
        (["text", "note"], ["label", "score"]),
        (["review_body", "sentiment_label"], ["attn_label", "score"]),  # found by a word in its name
    ],
)
def test_the_predicted_label_never_takes_a_name_eval_would_read_as_the_true_labels(columns, added):
    writer = CsvWriter(io.StringIO(), input_columns=columns, label_names=["neg"])
    assert writer.added[:2] == added


def test_a_compressed_output_name_is_refused_rather_than_given_plain_text():
    for option, name in [("--output", "out.csv.gz"), ("--html", "page.html.xz")]:
        with pytest.raises(DataError) as refused:
            check_output_file(Path(name), option)
        plain = name.rsplit(".", 1)[0]
        assert str(refused.value) == (
            f"{option} {name}: attn writes files uncompressed; pass {plain} and compress it once written"
        )


def test_an_output_path_that_is_a_folder_or_in_no_folder_is_refused_before_any_work(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path} is a folder; pass --html the name of a file"):
        check_output_file(tmp_path, "--html")
    with pytest.raises(DataError, match="folder .*absent does not exist; create it or pass another --output"):
        check_output_file(tmp_path / "absent" / "out.csv")
    check_output_file(tmp_path / "out.csv")  # a new file in a folder that exists
    check_output_file(None)


def test_no_output_goes_into_a_checkpoint_or_over_a_file_of_another_kind(tmp_path):
    """`inspect --html run/best/config.json` replaced the checkpoint's config (it loaded no more), and
    `--html notes.txt` the notes."""
    checkpoint = tmp_path / "best"
    checkpoint.mkdir()
    for name in ("config.json", "model.safetensors"):
        (checkpoint / name).write_text("{}")
    for name in ("config.json", "predictions.csv"):
        with pytest.raises(DataError) as refused:
            check_output_file(checkpoint / name, "--html")
        assert str(refused.value) == (
            f"--html {checkpoint / name} is inside the checkpoint {checkpoint}; write it to another folder"
        )
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(DataError) as refused:
        check_output_file(notes, "--html", replaces=(".html", ".htm"))
    assert str(refused.value) == (
        f"--html {notes} exists and is not a .html or .htm file; pass a new file name, or an existing .html "
        "file to replace"
    )
    (tmp_path / "old.HTML").write_text("<p>")
    check_output_file(tmp_path / "old.HTML", "--html", replaces=(".html", ".htm"))  # replaced, as asked
    check_output_file(tmp_path / "new.txt", "--html", replaces=(".html", ".htm"))  # a new file: any name


def test_an_output_path_too_long_looping_or_under_a_file_is_refused_in_words(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(DataError, match=r"afile is a file, not a folder; pass another --output"):
        check_output_file(tmp_path / "afile" / "out.csv")  # it said "folder afile does not exist"
    with pytest.raises(DataError, match=r"\(File name too long\); pass another --html"):
        check_output_file(tmp_path / ("b" * 300 + ".html"), "--html")  # an OSError, exit 1
    (tmp_path / "loop_a").symlink_to("loop_b")
    (tmp_path / "loop_b").symlink_to("loop_a")
    with pytest.raises(DataError, match="a link that leads to itself"):
        check_output_file(tmp_path / "loop_a")
    (tmp_path / "later.jsonl").symlink_to("made-by-the-write.jsonl")
    check_output_file(tmp_path / "later.jsonl")  # a link to a file not made yet: writing makes it


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path):
    import os

    private = tmp_path / "private.jsonl"
    private.write_text("secret\n")
    private.chmod(0o600)
    with atomic_output(private) as stream:
        stream.write("results\n")
    assert private.read_text() == "results\n" and private.stat().st_mode & 0o777 == 0o600  # it became 644
    mask = os.umask(0o027)
    try:
        with atomic_output(tmp_path / "new.jsonl") as stream:
            stream.write("x\n")
    finally:
        os.umask(mask)
    assert (tmp_path / "new.jsonl").stat().st_mode & 0o777 == 0o640


def test_a_pipe_is_read_as_plain_text_and_a_data_file_suffix_on_one_is_refused(tmp_path):
    import os
    import threading

    from attncli.record_sources import from_file

    fifo = tmp_path / "texts"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text("first text\nsecond\n"))
    writer.start()
    texts = [record.text for chunk in from_file(fifo).chunks for record in chunk]
    writer.join()
    assert texts == ["first text", "second"]  # it said "--file texts does not exist"
    os.mkfifo(tmp_path / "rows.csv")
    with pytest.raises(DataError, match=r"rows.csv is a pipe, and a .csv file is read more than once"):
        from_file(tmp_path / "rows.csv")


def test_a_partial_file_a_killed_write_left_is_removed_by_the_next_write(tmp_path):
    import os
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    orphan = tmp_path / f".out.jsonl.{gone.stdout.strip()}.k3j2.partial"  # its writer was killed (SIGKILL)
    orphan.write_text("half")
    ongoing = tmp_path / f".out.jsonl.{os.getppid()}.x9q1.partial"  # a writer still running keeps its own
    ongoing.write_text("half")
    other = tmp_path / f".other.jsonl.{gone.stdout.strip()}.a1b2.partial"
    other.write_text("half")
    with atomic_output(tmp_path / "out.jsonl") as stream:
        stream.write("new\n")
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted(["out.jsonl", ongoing.name, other.name])  # the orphan stayed for good


def test_an_output_name_near_the_file_systems_limit_is_written(tmp_path):
    target = tmp_path / ("b" * 240 + ".jsonl")  # its temporary name passed 255 bytes: "File name too long"
    with atomic_output(target) as stream:
        stream.write("x\n")
    assert target.read_text() == "x\n" and [path.name for path in tmp_path.iterdir()] == [target.name]


def test_output_file_appears_only_when_complete(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("earlier results\n")
    with pytest.raises(RuntimeError), atomic_output(target) as stream:
        stream.write("half")
        raise RuntimeError("killed halfway")
    assert target.read_text() == "earlier results\n"
    assert [path.name for path in tmp_path.iterdir()] == ["out.jsonl"]  # no partial file left
    with atomic_output(target) as stream:
        stream.write("new\n")
    assert target.read_text() == "new\n"


def test_csv_output_adds_label_score_and_probabilities_to_the_input_columns():
    stream = io.StringIO()
    writer = CsvWriter(stream, input_columns=["id", "text", "label"], label_names=["neg", "pos"])
    first = {"id": "007", "text": "nice", "label": "pos"}
    second = {"id": "008", "text": "", "label": "neg"}
    writer.write([
        Prediction(0, "nice", "pos", 0.75, [("pos", 0.75)], [0.25, 0.75], fields=first),
        Prediction(1, "", None, None, [], reason="empty text", fields=second),
    ])  # fmt: skip
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows == [
        ["id", "text", "label", "attn_label", "score", "prob_neg", "prob_pos", "reason"],  # "label" taken
        ["007", "nice", "pos", "pos", "0.75", "0.25", "0.75", ""],
        ["008", "", "neg", "", "", "", "", "empty text"],  # why it has no label, as JSON says
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
    assert stream.getvalue().splitlines()[-1] == delimiter.join(["5", "plain", "a", "1.0", "1.0", ""])


def test_a_link_is_followed_and_a_pipe_is_written_into_not_replaced(tmp_path):
    import os
    import threading

    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old\n")
    link.symlink_to(real.name)
    with atomic_output(link) as stream:
        stream.write("new\n")
    assert link.is_symlink() and real.read_text() == "new\n"  # the link kept, its target replaced
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link.csv", "real.csv"]
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()))
    reader.start()
    with atomic_output(pipe) as stream:
        stream.write("through the pipe\n")
    reader.join(timeout=10)
    assert received == ["through the pipe\n"] and pipe.is_fifo()  # still a pipe, not a file


def test_sigterm_while_writing_leaves_the_old_file_and_no_partial_file(tmp_path):
    import os
    import signal

    target = tmp_path / "out.jsonl"
    target.write_text("earlier results\n")
    with pytest.raises(SystemExit) as stopped, atomic_output(target) as stream:
        stream.write("half")
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert target.read_text() == "earlier results\n" and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back as it was


def test_dev_stdout_redirected_to_a_file_is_written_into_not_replaced(tmp_path):
    import subprocess
    import sys

    log = tmp_path / "log.txt"
    log.write_text("earlier line\n")
    script = "from pathlib import Path\nfrom attncli.output import atomic_output\n"
    script += "with atomic_output(Path('/dev/stdout')) as stream:\n    stream.write('results\\n')\n"
    with log.open("a") as appended:
        subprocess.run([sys.executable, "-c", script], stdout=appended, check=True)
    assert log.read_text() == "earlier line\nresults\n" and not log.is_symlink()


def test_a_signal_the_user_ignored_stays_ignored_while_writing(tmp_path, monkeypatch):
    import signal

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with atomic_output(tmp_path / "out.txt") as stream:
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
            stream.write("done\n")
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_failed_write_offers_the_option_that_named_the_file():
    import errno

    from attncli.output import _write_failed

    full = OSError(errno.ENOSPC, "No space left on device")
    assert str(_write_failed(Path("/tmp/x/heat.html"), full, "--html")).endswith("or pass another --html")
    assert "pass another" not in str(_write_failed(Path("/tmp/x/metrics.jsonl"), full, None))


@pytest.mark.parametrize("escaped", [False, True])
def test_json_lines_hold_what_json_cannot_spell_as_null_and_replacement_characters(escaped):
    import datetime
    import json

    from attncli.output import JsonLinesWriter

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
    assert json.loads(second)["text"] == "é 😀"
    assert (first + second).isascii() == escaped


def test_predicted_columns_are_found_whatever_the_labels_hold_and_at_every_level():
    from attncli.output import predicted_columns

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
    assert predicted_columns(["text", "label"], labels) == ()
