import json
from pathlib import Path

import pytest

from attncli.errors import DataError
from attncli.output import choose_format


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
        DataError, match=r"^attn predict does not write .arrow files; write a csv or jsonl file"
    ):
        choose_format(None, as_json=False, output=Path("preds.arrow"))
    for requested, as_json in (("csv", False), (None, True)):
        with pytest.raises(DataError, match=r"^attn predict does not write .arrow files"):
            choose_format(requested, as_json=as_json, output=Path("preds.arrow"))
    # The name suggested is never the file being read (`-f today.csv -o today.xlsx`: a trial).
    for reading, suggested in ((None, "today.csv"), (Path("today.csv"), "today-predictions.csv")):
        with pytest.raises(DataError) as refused:
            choose_format(None, as_json=False, output=Path("today.xlsx"), reading=reading)
        assert f"(-o {suggested}), and convert that" in str(refused.value)
    # Parquet, a data lake's format, is written to a file, never to standard output (binary).
    assert choose_format(None, as_json=False, output=Path("preds.parquet")) == "parquet"
    assert choose_format("parquet", as_json=False, output=Path("preds.parquet")) == "parquet"
    with pytest.raises(
        DataError, match=r"^--format parquet writes a binary file; pass --output FILE.parquet"
    ):
        choose_format("parquet", as_json=False, output=None)
    with pytest.raises(DataError, match=r"^--format csv does not write the parquet that the name"):
        choose_format("csv", as_json=False, output=Path("preds.parquet"))
    with pytest.raises(
        DataError,
        match=r"out.txt from its suffix \(.jsonl, .ndjson, .json, .csv, .tsv or .parquet\); pass --format",
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


def test_a_pipe_given_as_file_is_read_as_its_lines_arrive(tmp_path):
    """`--file <(tail -f log)` or a named pipe printed nothing until 2,048 lines had come or the
    input ended, where standard input gives each result as its line comes."""
    import os
    import threading

    from attncli.record_sources import from_file

    fifo = tmp_path / "live"
    os.mkfifo(fifo)
    first_taken, waited = threading.Event(), []

    def writer() -> None:
        with open(fifo, "w", encoding="utf-8") as pipe:
            pipe.write("first text\r\n")
            pipe.flush()
            waited.append(first_taken.wait(10))
            pipe.write("second")

    thread = threading.Thread(target=writer, daemon=True)  # a reader that never opens it: pytest still ends
    thread.start()
    source = from_file(fifo)
    chunks = iter(source.chunks)
    first = next(chunks)
    first_taken.set()
    rest = [record for chunk in chunks for record in chunk]
    thread.join()
    assert [(record.index, record.text) for record in first] == [(0, "first text")]
    assert [(record.index, record.text) for record in rest] == [(1, "second")]
    assert waited == [True] and source.streaming


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


def test_a_named_pipe_of_json_lines_is_read_as_records_as_they_arrive(tmp_path):
    """A .jsonl named pipe was refused as "read more than once"; JSON lines are read a line at a time,
    so it is read as records, as JSON lines on standard input are; one that is not JSON lines is refused."""
    import os
    import threading

    from conftest import save_untrained_checkpoint
    from typer.testing import CliRunner

    from attncli.cli import app

    checkpoint = save_untrained_checkpoint(tmp_path / "ckpt")
    fifo = tmp_path / "rows.jsonl"

    def predicted(content: str):
        os.mkfifo(fifo)
        writer = threading.Thread(target=lambda: fifo.write_text(content))
        writer.start()
        result = CliRunner().invoke(app, ["predict", str(checkpoint), "-f", str(fifo), "--json"])
        writer.join()
        fifo.unlink()
        return result

    result = predicted('\n{"id": 7, "text": "hot soup"}\n{"id": 8, "text": "a goal"}\n')
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(row["index"], row["text"], row["fields"]) for row in rows] == [
        (0, "hot soup", {"id": 7}),
        (1, "a goal", {"id": 8}),
    ]
    refused = predicted("hot soup\n")
    assert refused.exit_code == 2 and refused.stderr == (
        f"error: the first line of {fifo} is no JSON object, and its name says JSON lines; give one JSON "
        "object per line, or a name without .jsonl to read it as plain text\n"
    )
