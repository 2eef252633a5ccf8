"""Data files as users really have them (Excel exports, nested JSON, gaps, stray bytes): each case
asserts what attn reads, or the exact error and exit code 2. docs/robustness.md lists the promises."""

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import TINY_MODEL, make_rows, save_untrained_checkpoint, write_csv, write_jsonl
from typer.testing import CliRunner

from attncli.cli import app
from attncli.config import DataConfig
from attncli.data import load_splits
from attncli.errors import DataError

RUNNER = CliRunner()
TINY = [arg for setting in TINY_MODEL for arg in ("--set", setting)]
TWO = ["food", "sport"]


def said(splits):
    """The notes of loading, but for what every test file without a validation split gets: where its
    validation rows come from, and that they are too few."""
    return tuple(note for note in splits.notes if not note.startswith(("warning: only ", "validation: ")))


def invoke(*args):
    return RUNNER.invoke(app, [str(arg) for arg in args])


def load(path: Path, **settings):
    return load_splits(DataConfig(source=str(path), **settings))


def every_text(splits) -> list[str]:
    return sorted(text for split in splits.splits.values() for text in split.texts)


def refusal(path: Path, **settings) -> str:
    with pytest.raises(DataError) as refused:
        load(path, **settings)
    return str(refused.value)


def lines(*rows: str, end: str = "\n") -> str:
    return "".join(row + end for row in rows)


def ab_rows(count: int = 10) -> list[str]:
    """Data rows "t0,food", "t1,sport", ...: two classes of `count` // 2 each."""
    return [f"t{index},{TWO[index % 2]}" for index in range(count)]


def excel_export(path: Path, rows: list[dict[str, str]]) -> Path:
    """What Excel writes for "CSV UTF-8" in a semicolon locale: a BOM, CRLF and ';'."""
    body = lines("text;label", *(f"{row['text']};{row['label']}" for row in rows), end="\r\n")
    path.write_bytes(("\ufeff" + body).encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An untrained checkpoint (labels food, sport, tech): enough to read data through eval and predict."""
    return save_untrained_checkpoint(tmp_path_factory.mktemp("robust") / "ckpt")


# --- csv: byte-order mark, line ends, delimiters, quoting, ragged rows -----------------------------


def test_a_header_line_repeated_inside_a_file_is_refused_naming_its_line(tmp_path, checkpoint):
    """Two exports joined with their headers (`copy a.csv+b.csv`, PowerShell's `Get-Content
    a.csv,b.csv`): the second header trained a class 'label' with a warning about its one example,
    and eval refused it as a label the model never saw, naming no line (a trial)."""
    first = ['"text","label"', *(f'"hot soup {n}","food"' for n in range(6))]
    second = ['"text","label"', *(f'"a late goal {n}","sport"' for n in range(6))]
    path = tmp_path / "joined.csv"
    path.write_text(lines(*first, *second, end="\r\n"))
    expected = (
        f"line 8 of {path} repeats the header line ('text' and 'label' in those columns), as files joined"
    )
    assert refusal(path).startswith(expected)
    result = CliRunner().invoke(app, ["eval", str(checkpoint), str(path)])
    assert result.exit_code == 2 and expected in result.output, result.output
    # Two Excel "CSV UTF-8" files joined: the second header opens with its byte-order mark.
    path.write_text(lines(*first, "\ufeff" + second[0], *second[1:], end="\r\n"))
    assert refusal(path).startswith(expected)
    # Records written over several lines each (`jq .`) are named by their number, not a line.
    pretty = tmp_path / "pretty.json"
    records = [{"text": f"soup {n}", "label": "food"} for n in range(3)] + [
        {"text": "text", "label": "label"}
    ]
    pretty.write_text("".join(json.dumps(record, indent=2) + "\n" for record in records))
    assert refusal(pretty).startswith(f"row 4 of {pretty} (counting from 1) repeats the header line")
    # A text that only is the word, beside a label that is no column's name, is a row like any other.
    path.write_text(lines("text,label", *(f"soup {n},food" for n in range(5)), "text,sport", "goal,sport"))
    assert every_text(load(path)).count("text") == 1


def test_a_json_array_in_cp1252_names_its_line_and_the_encodings_as_json_lines_do(tmp_path, checkpoint):
    """A JSON array saved by Windows tools in cp1252: "not valid JSON ('utf-8' codec can't decode byte
    0xe9 in position 62...)", where the same rows as JSON lines or csv named the line and cp1252."""
    path = tmp_path / "rows.json"
    path.write_bytes('[{"text": "soup"},\n{"text": "caf\u00e9 au lait"}]'.encode("cp1252"))
    for arguments in (["predict", checkpoint, "-f", path], ["eval", checkpoint, path]):
        result = invoke(*arguments)
        assert result.exit_code == 2 and f"line 2 of {path} is not valid utf-8" in result.stderr, (
            result.output
        )
        assert "cp1252 (Western European)" in result.stderr


def test_empty_cells_of_a_text_column_chosen_by_a_word_say_how_it_was_chosen(tmp_path):
    """A teacher's `Teacher Comment`, mostly empty, was taken as the text and refused for its empty
    cells with no word that it was chosen by name, or that `Student Answer` was there (a trial)."""
    rows = [f"Kid {n},Q,answer {n},{n % 2},{'good' if n % 3 else ''}" for n in range(12)]
    path = tmp_path / "sheet.csv"
    path.write_text(lines("Student Name,Question,Student Answer,Score,Teacher Comment", *rows))
    said = refusal(path)
    assert said.startswith(f"line 2 of {path} has no text in column 'Teacher Comment'")
    assert "; using text column 'Teacher Comment' and label column 'Score', chosen by name" in said
    assert "'Question' and 'Student Answer' are not read" in said
    # The same cells in a validation file of its own are told alike (a review).
    full = [f"Kid {n},Q,answer {n},{n % 2},good" for n in range(12)]
    path.write_text(lines("Student Name,Question,Student Answer,Score,Teacher Comment", *full))
    (dev := tmp_path / "dev.csv").write_text(
        lines("Student Name,Question,Student Answer,Score,Teacher Comment", *rows)
    )
    said = refusal(path, validation_file=str(dev))
    assert said.startswith(f"line 2 of {dev} has no text in column 'Teacher Comment'")
    assert "'Question' and 'Student Answer' are not read" in said
    # Comments written with each grade, none on ungraded rows: those rows are left out with a warning
    # that says the comments may give the grades away (a trial validated at 100% on them, and its
    # ungraded answers were all unread).
    graded = [f"Kid {n},Q,answer {n},{n % 2 if n % 3 else ''},{'good' if n % 3 else ''}" for n in range(30)]
    path.write_text(lines("Student Name,Question,Student Answer,Score,Teacher Comment", *graded))
    warning = next(note for note in load(path).notes if note.startswith("warning: left out 10 of "))
    assert warning.endswith(
        "; the text column 'Teacher Comment', chosen by name, has a text only in rows with a label, as a "
        "grader's comments would, which give the label away: if the texts are in 'Question' or 'Student "
        "Answer', name them with --text-column"
    )
    # Where some rows have a comment but no grade, the comments are not written with the grades.
    graded[1] = "Kid 1,Q,answer 1,,fine"
    path.write_text(lines("Student Name,Question,Student Answer,Score,Teacher Comment", *graded))
    assert not any("give the label away" in note for note in load(path, drop_invalid=True).notes)


def test_the_ctrl_z_that_dos_tools_end_a_file_with_is_no_text_and_no_row(tmp_path, checkpoint):
    """`copy a+b` ends its file with Ctrl-Z (0x1A): predict gave it a result of its own ("empty text")
    or kept it in the last text, and train and eval left out a row "with other cells filled"."""
    from attncli.lines import decoded_lines

    for written, last in ((b"soup\r\ngoal\r\n\x1a", "goal\r\n"), (b"soup\r\ngoal\x1a", "goal")):
        assert list(decoded_lines([written], encoding="utf-8", name="t")) == ["soup\r\n", last]
        path = tmp_path / "texts.txt"
        path.write_bytes(written)
        result = invoke("predict", checkpoint, "--file", path, "--json")
        assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["soup", "goal"]
    assert list(decoded_lines([b"a\x1ab\n"], encoding="utf-8", name="t")) == ["a\x1ab\n"]  # not at the end
    # Through a real pipe too (standard input, `--file <(...)`), which is read as it arrives.
    import os

    from attncli.record_sources import _arriving_records

    for written, last in ((b"soup\r\ngoal\r\n\x1a", "goal"), (b"soup\r\ngoal\x1a", "goal")):
        reading, writing = os.pipe()
        os.write(writing, written)
        os.close(writing)
        arrived = [record.text for chunk in _arriving_records(reading, encoding="utf-8") for record in chunk]
        os.close(reading)
        assert arrived == ["soup", last]
    table = tmp_path / "rows.csv"
    table.write_bytes(b"id,text,label\r\n1,hot soup,food\r\n2,a late goal,sport\r\n\x1a")
    result = invoke("eval", checkpoint, table)
    assert result.exit_code == 0 and "left out 1 empty row of" in result.output, result.output
    assert "other cells filled" not in result.output
    from attncli.split_rows import _is_empty_cell

    # Any whitespace, a no-break space's too, is still no value beside it.
    assert _is_empty_cell("\u00a0\x1a") and _is_empty_cell("\u3000") and not _is_empty_cell("\x1ax")
    assert _is_empty_cell("\x1a \x1a") and _is_empty_cell("\x1a\t\x1a")  # marks among spaces (a review)


def test_csv_with_a_byte_order_mark_keeps_its_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + lines("text,label", *ab_rows())).encode("utf-8"))
    splits = load(path)
    assert (splits.text_column, splits.label_column) == ("text", "label")
    assert every_text(splits) == sorted(f"t{index}" for index in range(10))


def test_csv_with_crlf_line_ends_gives_texts_without_carriage_returns(tmp_path):
    path = tmp_path / "crlf.csv"
    path.write_bytes(lines("text,label", *ab_rows(), end="\r\n").encode())
    splits = load(path)
    assert every_text(splits) == sorted(f"t{index}" for index in range(10)) and splits.label_names == TWO


def test_excel_export_is_read_as_semicolon_separated_and_says_so(tmp_path):
    rows = [{"text": f"soup, bread and cheese {i}", "label": TWO[i % 2]} for i in range(20)]
    path = excel_export(tmp_path / "excel.csv", rows)
    splits = load(path)
    assert every_text(splits) == sorted(row["text"] for row in rows)  # commas stay inside the texts
    assert splits.label_names == TWO
    assert splits.notes[0] == (
        f"{path}: the header line has no commas but has semicolons, so it is read as ';'-separated "
        "(--delimiter chooses another)"
    )
    named = load(path, delimiter=";")
    assert every_text(named) == every_text(splits) and said(named) == ()


def test_an_excel_export_whose_texts_hold_no_commas_is_not_one_column(tmp_path):
    """The issue's "no text column found among text;label": the header decides, not the rows."""
    path = excel_export(
        tmp_path / "excel.csv", [{"text": f"soup {i}", "label": TWO[i % 2]} for i in range(10)]
    )
    assert (load(path).text_column, load(path).label_column) == ("text", "label")


def test_a_comma_inside_a_quoted_column_name_does_not_hide_the_semicolons(tmp_path):
    path = tmp_path / "quoted_header.csv"
    path.write_text(lines('"text, in full";"label"', *(f'"soup, {i}";{TWO[i % 2]}' for i in range(10))))
    splits = load(path)
    assert (splits.text_column, splits.label_column) == ("text, in full", "label")
    assert every_text(splits) == sorted(f"soup, {i}" for i in range(10))


def test_a_header_with_two_candidate_delimiters_asks_which(tmp_path):
    path = tmp_path / "both.csv"
    path.write_text(lines("text;label|note", "a;b|c"))
    assert refusal(path) == (
        f"the header line of {path} has no commas but has semicolons and pipes; pass --delimiter (or --set "
        "data.delimiter=...) with the one that separates its columns, for example --delimiter ';'"
    )


def test_quoted_newlines_stay_in_the_text_and_later_lines_are_numbered_right(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text(lines("text,label", '"first line\nsecond line",food', *ab_rows(), "late,"))
    assert refusal(path) == (
        f"line 14 of {path} has no label in column 'label'; fill in or remove such rows, or pass "
        "--drop-invalid (data.drop_invalid) to leave such rows out"
    )
    splits = load(path, drop_invalid=True)
    assert "first line\nsecond line" in every_text(splits)


def test_a_row_with_too_many_fields_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(lines("text,label", *ab_rows(4), "hello, world,food", *ab_rows(4)))
    assert refusal(path) == (
        f"line 6 of {path} has 3 fields but its header line has 2; put a text that holds ',' in double "
        "quotes, or pass --delimiter if another character separates the columns"
    )


def test_every_row_one_field_over_the_header_is_refused_not_cut_into_an_index(tmp_path):
    """pandas takes an unnamed first column for the index when every row has one field more than the
    header: each text's part before its unquoted comma was dropped without a word."""
    path = tmp_path / "commas.csv"
    path.write_text(lines("text,label", *(f"soup, t{index},{TWO[index % 2]}" for index in range(10))))
    assert refusal(path) == (
        f"line 2 of {path} has 3 fields but its header line has 2; if each row starts with a row name, as "
        "R's write.table writes one with no column name above it, write the file with row.names = FALSE; "
        "else put a text that holds ',' in double quotes, or pass --delimiter if another character "
        "separates the columns"
    )


def test_r_write_table_files_get_the_r_options_that_write_them_readable(tmp_path, checkpoint):
    """R's write.table writes row names under no header field, and a quote inside a quoted text as a
    backslash and a quote (qmethod "escape"): the first was told to quote its tabs, and the second,
    tab-separated, trained on labels in quotes ('"sport"'). Both are refused in train and predict
    with the R options that write them as csv."""
    escaped = tmp_path / "escaped.tsv"
    rows = [f'"Shares rose {i}"\t"{TWO[i % 2]}"' for i in range(10)]
    rows[3] = '"He said \\"hi\\" today"\t"a"'
    escaped.write_text(lines('"text"\t"label"', *rows), encoding="utf-8")
    message = (
        f"{escaped} writes a double quote inside a quoted text as \\\" (line 5), as R's write.table does by "
        'default, where csv writes it as two (""): write it again with write.table(..., qmethod = '
        '"double", row.names = FALSE), write.csv or readr\'s write_csv/write_tsv'
    )
    assert refusal(escaped) == message
    predicted = CliRunner().invoke(app, ["predict", str(checkpoint), "-f", str(escaped)])
    assert predicted.exit_code == 2 and message in " ".join(predicted.stderr.split())
    named = tmp_path / "row_names.tsv"
    named.write_text(lines('"text"\t"label"', *(f'"{i}"\t{row}' for i, row in enumerate(rows[:3]))))
    assert "as R's write.table writes one with no column name above it, write the file with row.names" in (
        refusal(named)
    )
    # ... the row names of a text of several lines in a comma-separated file too (taken for a quote
    # left open), which R's write.table(sep = ",") writes.
    spanning = tmp_path / "row_names.csv"
    spanning.write_text('"text","label"\n"1","Film wins","a"\n"2","Stocks fall\nthen rose","b"\n')
    assert "as R's write.table writes one with no column name above it" in refusal(spanning)
    # ... but a quote left open that takes in a line of one field more is still an open quote (a review).
    opened = tmp_path / "opened.csv"
    opened.write_text('text,label\n"He said, hi,sport\nnext text",news,x\n')
    assert refusal(opened).startswith(
        f"line 2 of {opened} opens a double quote that its field does not close"
    )
    # A Windows path before a closing quote is csv as it stands, and read as such.
    path = tmp_path / "paths.csv"
    path.write_text(lines("text,label", *(f'"saved in C:\\temp\\",{TWO[i % 2]}' for i in range(10))))
    assert every_text(load(path)) == ["saved in C:\\temp\\"] * 10
    # A tab-separated file of stray quotes that also holds a backslash before a quote is read as
    # before (its quotes as text), as is a comma-separated one: only R's escapes are refused (a review).
    stray = tmp_path / "stray.tsv"
    stray.write_text(
        lines(
            "text\tlabel",
            '"Great" movie\tsport',
            '{"msg": "say \\"hi\\""}\tfood',
            *(row.replace(",", "\t") for row in ab_rows(8)),
        )
    )
    assert '{"msg": "say \\"hi\\""}' in every_text(load(stray))
    json_cell = tmp_path / "json_cell.csv"
    json_cell.write_text(
        lines(
            "text,label", '"payload {""msg"": ""say \\""hi\\""""}",food', '"Parasite" wins,sport', *ab_rows(8)
        )
    )
    assert 'payload {"msg": "say \\"hi\\""}' in every_text(load(json_cell))


def test_a_title_line_above_the_header_is_named_by_train_and_predict(tmp_path):
    path = tmp_path / "titled.csv"
    path.write_text(lines("Exported from the CRM, 1 May", "text,label", *ab_rows()).replace(",", "", 1))
    said = f"line 1 of {path} ('Exported from the CRM 1 May') has 1 field but line 2 has 2; if line 1 is a"
    assert refusal(path).startswith(said)
    # Or a file of one column from a European Excel (';'), whose texts hold commas unquoted.
    assert refusal(path).endswith(
        "so that the header is the first line; if it is the header of a file of one column whose texts "
        "hold ',', pass --delimiter with what its exports separate columns with (such as ';')"
    )
    checkpoint = save_untrained_checkpoint(tmp_path / "ckpt")
    result = invoke("predict", checkpoint, "--file", path)
    assert result.exit_code == 2 and said in result.stderr
    # A title padded to the table's width, as spreadsheets export it: the columns listed, and why.
    path.write_text(lines("Tickets export 2024-05-01,,", ",,", "text,label,id", *ab_rows()))
    assert refusal(path).endswith(
        f"{path} has columns 'Tickets export 2024-05-01', 'Unnamed: 1', 'Unnamed: 2' (only 'Tickets export "
        "2024-05-01' has a name: if it is a title above the header line, delete the lines above the header, "
        "so that it is the first line)"
    )
    result = invoke("predict", checkpoint, "--file", path)  # named alike, where predict said '', ''
    assert result.exit_code == 2 and "'Unnamed: 1', 'Unnamed: 2' (only 'Tickets export" in result.stderr
    # Headings over groups of columns (an HR analyst's export): training said only "no label column found".
    path.write_text(lines("Employee details,,Survey answers,", "id,name,text,label", *ab_rows()))
    assert refusal(path).endswith(
        "(only 'Employee details', 'Survey answers' have names: if they head groups of columns above the "
        "header line, delete the lines above the header, so that it is the first line)"
    )
    # PowerShell 5's Export-Csv writes a type line above the header unless told not to.
    exported = tmp_path / "exported.csv"
    exported.write_text(
        lines("#TYPE System.Management.Automation.PSCustomObject", '"text","label"', *ab_rows())
    )
    powershell = (
        "('#TYPE System.Management.Automation.PSCustomObject') is the type line PowerShell's Export-Csv "
        "writes; delete it, or export again with Export-Csv -NoTypeInformation (ConvertTo-Csv "
        "-NoTypeInformation)"
    )
    assert refusal(exported) == f"line 1 of {exported} {powershell}"
    assert (
        invoke("predict", checkpoint, "--file", exported).stderr
        == f"error: line 1 of {exported} {powershell}\n"
    )
    # The same table piped in (each line was labelled, type line and header included) or saved as .txt.
    piped = CliRunner().invoke(app, ["predict", str(checkpoint)], input=exported.read_text())
    assert piped.exit_code == 2 and piped.stderr == f"error: line 1 of standard input {powershell}\n"
    as_text = exported.rename(tmp_path / "exported.txt")
    assert (
        invoke("predict", checkpoint, "--file", as_text).stderr
        == f"error: line 1 of {as_text} {powershell}\n"
    )
    # A text that only begins so is a text.
    text = CliRunner().invoke(app, ["predict", str(checkpoint), "--json"], input="#TYPE of thing\n")
    assert json.loads(text.stdout)["text"] == "#TYPE of thing"


@pytest.mark.parametrize("name", ["arrays.json", "arrays.jsonl"])
def test_training_rows_that_are_json_arrays_are_refused_not_read_as_one_column(tmp_path, name):
    """datasets read an array of arrays as one column named "text" ("no text column found; F has
    columns 'text'"), and a JSON-lines file of arrays as one broken JSON array ("pass --encoding")."""
    rows = [[f"t{index}", TWO[index % 2]] for index in range(10)]
    path = tmp_path / name
    path.write_text(json.dumps(rows) if name.endswith(".json") else lines(*map(json.dumps, rows)))
    assert refusal(path) == (
        f"{path} holds its rows as JSON arrays ([...]), whose fields have no names; give each row as a JSON "
        'object, such as {"text": "...", "label": "..."}'
    )


def test_a_text_over_128_kb_neither_hides_a_bad_row_nor_turns_csv_quoting_off(tmp_path):
    """The csv module's field limit (128 KB) stopped the checks that name a bad row ("field larger
    than field limit", exit 1), and made a well-quoted tsv read with its quotes as text."""
    import csv

    default = csv.field_size_limit(128 * 1024)  # as a fresh process has it
    try:
        book = "word " * 30000
        path = tmp_path / "big.csv"
        path.write_text(lines("text,label", *ab_rows(4), f"{book},food", *ab_rows(4), "no label here"))
        assert refusal(path).startswith(f"line 11 of {path} has no label in column 'label';")
        quoted = tmp_path / "quoted.tsv"
        rows = [f"t{index}\t{TWO[index % 2]}" for index in range(10)]
        quoted.write_text(lines("text\tlabel", *rows, f"{book}\tfood", '"He said ""hi"" to me"\tsport'))
        splits = load(quoted)
        assert 'He said "hi" to me' in every_text(splits)
        assert not [note for note in splits.notes if "double quote" in note]
    finally:
        csv.field_size_limit(default)


def test_a_row_with_too_few_fields_has_empty_cells(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text(lines("text,label", *ab_rows(), "no label here"))
    assert refusal(path).startswith(f"line 12 of {path} has no label in column 'label';")
    assert len(load(path, drop_invalid=True).splits["train"]) == 8  # 1 of each class held out


def test_tsv_is_split_at_tabs_only(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text(lines("text\tlabel", *(f"t{i}, and; more|\t{TWO[i % 2]}" for i in range(20))))
    splits = load(path)
    assert every_text(splits) == sorted(f"t{i}, and; more|" for i in range(20)) and said(splits) == ()


def test_cells_are_read_as_written(tmp_path):
    """Numbers stay texts ("007" is not 7), and "NA" or "None" are words: only an empty cell is missing."""
    path = tmp_path / "numbers.csv"
    path.write_text(lines("text,label", "007,NA", "42,None", "3.50,NA", "1e3,None"))
    splits = load(path, validation_fraction=0.5)
    assert every_text(splits) == ["007", "1e3", "3.50", "42"] and splits.label_names == ["NA", "None"]


# --- JSON lines and parquet ------------------------------------------------------------------------


def test_a_broken_json_line_is_named(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text(
        lines('{"text": "a", "label": "x"}', "", '{"text": broken', '{"text": "c", "label": "y"}')
    )
    assert refusal(path) == (
        f"line 3 of {path} is not JSON: Expecting value at column 10; give one JSON object per line"
    )
    # A raw tab inside a string: json's own message ends in "at", which the place repeated ("at at").
    path.write_text(lines('{"text": "a\tb", "label": "x"}'))
    assert refusal(path) == (
        f"line 1 of {path} is not JSON: Invalid control character at column 12; give one JSON object per line"
    )


def test_a_number_where_a_text_belongs_in_json_names_its_line(tmp_path):
    path = write_jsonl(tmp_path / "mixed.jsonl", [{"text": "soup", "label": "a"}, {"text": 42, "label": "b"}])
    assert refusal(path).startswith(f"line 2 of {path} has 42 instead of a text in column 'text';")


def test_a_json_column_mixing_numbers_and_strings_keeps_every_value_as_written(tmp_path):
    """datasets stores such a column as JSON but leaves strings that look like JSON unquoted: "01"
    read back as 1 (two labels merged into one) and the text "null" as no text."""
    labels = [1, "01", 2, "2.0", 1.5, "1"]
    texts = ["null", "007", "true", "plain words", "[1]", "more words"]
    rows = [{"text": texts[i % 6], "label": labels[i % 6]} for i in range(24)]
    splits = load(write_jsonl(tmp_path / "mixed.jsonl", rows))
    # 1 and "1" are one label, as in csv, and so are 2 and "2.0" (a whole number written two ways)
    assert splits.label_names == ["01", "1", "1.5", "2"]
    assert sorted(set(every_text(splits))) == sorted(texts)


def test_json_strings_that_look_like_dates_stay_as_written(tmp_path):
    """Arrow's JSON reader takes such strings for dates: a label column of months trained the labels
    '2024-01-01 00:00:00' and '2024-02-01 00:00:00', which the same data as csv (and predict's
    output of it) did not name; a time with an offset was moved to UTC and the offset dropped."""
    months = ["2024-01-01", "2024-02-01"]
    rows = [
        {"text": f"text {i}", "label": months[i % 2], "at": "2024-04-16T10:55:00+02:00"} for i in range(20)
    ]
    splits = load(write_jsonl(tmp_path / "months.jsonl", rows))
    assert splits.label_names == months
    times = [
        {"text": f"text {i}", "label": TWO[i % 2], "at": f"2024-04-16 10:55:0{i % 2}"} for i in range(20)
    ]
    splits = load(write_jsonl(tmp_path / "times.jsonl", times), label_column="at")
    assert splits.label_names == ["2024-04-16 10:55:00", "2024-04-16 10:55:01"]


def test_integers_past_64_bits_at_any_depth_keep_every_digit(tmp_path):
    """Arrow stored them as floats (the last digits lost, eval's rows unlike predict's); in a list,
    read as JSON, datasets' reader refused them ("Value is too big!") and the run ended."""
    from attncli.data_files import _load_file

    rows = [
        {"text": f"t{i}", "label": TWO[i % 2], "meta": {"id": 2**64 + i}, "ids": [2**64 + i, i]}
        for i in range(10)
    ]
    dataset = _load_file(write_jsonl(tmp_path / "ids.jsonl", rows), encoding="utf-8", delimiter=None)
    assert [(row["meta"]["id"], row["ids"]) for row in dataset] == [
        (str(2**64 + i), [str(2**64 + i), i]) for i in range(10)
    ]


def test_a_json_file_mixing_types_reads_past_blank_lines(tmp_path):
    """datasets reads mixed types with pandas, which failed on a blank line ("Expected object or
    value"); attn then reads the file itself, as predict does."""
    labels = [1, "01", 2, "2.0"]
    rows = [json.dumps({"text": f"text number {i}", "label": labels[i % 4], "id": i}) for i in range(24)]
    path = tmp_path / "blank.jsonl"
    path.write_text("\n".join(rows[:10]) + "\n\n" + "\n".join(rows[10:]) + "\n\n")
    splits = load(path)
    assert splits.label_names == ["01", "1", "2"]
    assert sorted(every_text(splits)) == sorted(f"text number {i}" for i in range(24))
    with_a_list = rows + ["", json.dumps({"text": "two labels", "label": [1, "01"], "id": 99})]
    path.write_text("\n".join(with_a_list) + "\n")
    assert refusal(path).startswith("multi-label data is not supported yet: label column 'label' holds lists")


def test_nested_json_fields_are_named_with_dotted_paths(tmp_path):
    rows = [{"id": i, "data": {"text": f"t{i}", "meta": {"label": TWO[i % 2]}}} for i in range(10)]
    path = write_jsonl(tmp_path / "nested.jsonl", rows)
    splits = load(path, text_column="data.text", label_column="data.meta.label")
    assert every_text(splits) == sorted(f"t{i}" for i in range(10)) and splits.label_names == TWO
    assert refusal(path, text_column="data") == (
        "text column 'data' holds records, not texts; name one of its fields with a dotted path: "
        "'data.text', 'data.meta.label'"
    )
    detected = load(path, label_column="data.meta.label")  # data.text is found by its words
    assert detected.text_column == "data.text" and "text column 'data.text'" in detected.notes[0]


def test_nested_json_fields_are_columns_when_the_objects_keys_vary_from_row_to_row(tmp_path):
    """An export's optional fields: `lang` in some rows' `data`, not in others. datasets stores such
    a column as JSON, whose fields are no columns: train and eval said "text column 'data.text' not
    found (closest: 'data')" where predict read the same file."""
    rows = [{"id": i, "data": {"text": f"t{i}"}, "label": TWO[i % 2]} for i in range(10)]
    for row in rows[::3]:
        row["data"]["lang"] = "en"
    rows[4]["data"] = None  # a row without the object is a row without text
    path = write_jsonl(tmp_path / "varied.jsonl", rows)
    splits = load(path, text_column="data.text", drop_invalid=True)
    assert every_text(splits) == sorted(f"t{i}" for i in range(10) if i != 4)
    detected = load(path, drop_invalid=True)  # and data.text is found by its words, as predict finds it
    assert detected.text_column == "data.text"
    # A field whose values differ in type (an id that is 1 in one row, "a" in another), which one
    # Arrow column cannot hold, is read as text, so the object's other fields are still columns.
    rows[4]["data"] = {"text": "t4", "id": "a", "meta": {"n": 1}}
    rows[5]["data"] |= {"id": 1, "meta": {"n": "x"}}
    mixed = write_jsonl(tmp_path / "mixed.jsonl", rows)
    assert every_text(load(mixed, text_column="data.text")) == sorted(f"t{i}" for i in range(10))
    from attncli.data_files import _fields_of_one_type

    assert _fields_of_one_type([{"id": "a", "m": {"n": 1}}, None, {"id": 1, "m": {"n": 2.5}}]) == [
        {"id": "a", "m": {"n": 1}},
        None,
        {"id": "1", "m": {"n": 2.5}},
    ]
    # So are a list of mixed values and an integer past 64 bits (a hash), which Arrow refused.
    assert _fields_of_one_type([{"tags": [1, "a"], "h": 2**63 + 5}, {"tags": [2], "h": 1}]) == [
        {"tags": '[1, "a"]', "h": "9223372036854775813"},
        {"tags": "[2]", "h": "1"},
    ]
    rows[0]["data"] |= {"tags": [1, "a"], "h": 2**63 + 5}
    odd = write_jsonl(tmp_path / "odd.jsonl", rows)
    assert every_text(load(odd, text_column="data.text")) == sorted(f"t{i}" for i in range(10))
    # Records nested under one key, the documented `{"data": {"text": ..., "label": ...}}`: that
    # column alone, replaced, left no rows; and with a blank line, read by attn's own reader.
    alone = [{"data": {"text": f"t{i}", "label": TWO[i % 2]}} for i in range(10)]
    alone[0]["data"]["lang"] = "en"
    path = write_jsonl(tmp_path / "alone.jsonl", alone)
    assert load(path).text_column == "data.text"
    path.write_text(path.read_text().replace("\n", "\n\n", 1), encoding="utf-8")
    assert every_text(load(path, label_column="data.label")) == sorted(f"t{i}" for i in range(10))


def test_list_valued_labels_are_refused_as_multi_label(tmp_path):
    rows = [{"text": f"t{i}", "labels": ["food", "sport"][: 1 + i % 2]} for i in range(6)]
    path = write_jsonl(tmp_path / "multi.jsonl", rows)
    assert refusal(path) == (
        "multi-label data is not supported yet: label column 'labels' holds lists; give each text one "
        "label (where each list holds one, as a scraper's getall() gives it: jq -c '.labels |= .[0]' for "
        'JSON lines; where each is a path of categories, ["Science", "Biology"]: jq -c \'.labels |= '
        'join(" > ")\')'
    )
    # A scraper's paragraphs: a list of texts each, named; told how to join them.
    paragraphs = [{"body": [f"p{i}", "more"], "label": "x"} for i in range(6)]
    assert refusal(write_jsonl(tmp_path / "paragraphs.jsonl", paragraphs), text_column="body").startswith(
        "text column 'body' holds lists, not texts; join each list into one text (a scraper's paragraphs: "
        "jq -c '.body |= join(\"\\n\")' for JSON lines), or name a column of single texts"
    )


def test_lists_of_records_as_a_text_column_are_told_how_to_join_a_field_of_them(tmp_path, checkpoint):
    """A helpdesk export's tickets, each a subject and a list of messages (a sender and a body): told
    to join the lists as texts, which jq refused on records, or that `messages.body` was not found
    (closest: 'messages'); and piped in, that no record had a text in the column. Each is told how to
    join the messages' bodies, by train, eval and predict, from a file or piped in."""
    tickets = [
        {"id": i, "subject": "Help", "messages": [{"from": "customer", "body": f"t{i}"}], "team": TWO[i % 2]}
        for i in range(6)
    ]
    path = write_jsonl(tmp_path / "tickets.jsonl", tickets)
    joined = "'.messages |= ([.[] | .body] | join(\"\\n\"))'"
    advice = (
        f"join a field of them into one text ('from', 'body'; jq -c {joined} for JSON lines, jq -c "
        f"'.[] | {joined[1:]} for a JSON array, writes JSON lines), or name a column of single texts"
    )
    whole = f"text column 'messages' holds lists of records, not texts; {advice}"
    assert refusal(path, text_column="messages", label_column="team") == whole
    for named in ("messages.body", "messages[0].body", "messages.0.body"):
        assert refusal(path, text_column=named, label_column="team") == (
            f"text column {named!r} not found: 'messages' holds lists of records, which a dotted path does "
            f"not reach into; {advice}"
        )
    for source in (["--file", str(path)], ["-"]):
        for named in ("messages", "messages.body"):
            result = RUNNER.invoke(
                app, ["predict", str(checkpoint), *source, "--text-column", named], input=path.read_text()
            )
            assert result.exit_code == 2 and result.stderr.endswith(f"{advice}\n"), result.stderr
    # Found by name, the subject is read, and the messages said to be unread (a raw export trained to
    # 31.9% on its subjects, without a word of them).
    found = load(path, label_column="team")
    assert found.text_column == "subject"
    assert any(f"'messages' holds lists of records, not read: {advice}" in note for note in found.notes)
    evaluated = invoke("eval", checkpoint, path, "--text-column", "messages", "--label-column", "team")
    assert evaluated.exit_code == 2 and evaluated.stderr == f"error: {whole}\n"
    # The jq program given makes records attn reads, the messages' bodies their text.
    jq = shutil.which("jq")
    if jq is not None:
        program = joined.strip("'")
        flat = subprocess.run([jq, "-c", program, str(path)], capture_output=True, text=True, check=True)
        assert json.loads(flat.stdout.splitlines()[1])["messages"] == "t1"


def test_a_carriage_return_in_a_cell_without_quotes_is_named_by_every_command(tmp_path, checkpoint):
    """pandas' to_csv leaves a cell holding a lone carriage return unquoted: training and eval said
    the row's first half had no label, and predict quoted Python's "do you need to open the file in
    universal-newline mode?"."""
    path = tmp_path / "cr.csv"
    rows = [f"t{index},{TWO[index % 2]}" for index in range(10)]
    rows[3] = "refund\rplease,food"
    path.write_bytes(lines("text,label", *rows).encode())
    said = (
        f"line 5 of {path} is not valid csv: a carriage return (\\r) stands inside a cell that is not in "
        "quotes, which ends the row there (pandas' to_csv writes such cells); quote every cell "
        "(to_csv(..., quoting=csv.QUOTE_NONNUMERIC)) or replace the carriage returns"
    )
    assert refusal(path) == said
    assert refusal(path, drop_invalid=True) == said  # its second half would have trained as a row
    evaluated = invoke("eval", checkpoint, path)
    assert evaluated.exit_code == 2 and evaluated.stderr == f"error: {said}\n"
    predicted = invoke("predict", checkpoint, "-f", path, "--json")
    assert (
        predicted.exit_code == 2
        and "is not valid csv (a carriage return (\\r) stands inside" in predicted.stderr
    )
    quoted = tmp_path / "quoted.csv"
    rows[3] = '"refund\rplease",food'  # in quotes it is the cell's own
    quoted.write_bytes(lines("text,label", *rows).encode())
    assert "refund\rplease" in every_text(load(quoted))
    # Every cell quoted, as the error's own advice writes it (QUOTE_NONNUMERIC): the part after the
    # carriage return, `please","food"`, was taken for a row an open quote had swallowed.
    every = tmp_path / "every.csv"
    cells = [(f"t{index}", TWO[index % 2]) for index in range(10)]
    cells[3] = ("refund\rplease", "food")
    every.write_bytes(lines('"text","label"', *(f'"{text}","{label}"' for text, label in cells)).encode())
    assert "refund\rplease" in every_text(load(every))


def test_a_column_of_scores_is_refused_as_a_regression_target_in_one_line(tmp_path):
    """STS-B's similarity scores: training said "too few rows to hold any out for validation", or,
    with a validation split, listed 4,000 numbers in one line."""
    import random

    rng = random.Random(0)
    rows = [{"sentence": f"words {i}", "label": round(rng.uniform(0, 5), 3)} for i in range(200)]
    path = write_jsonl(tmp_path / "stsb.jsonl", rows)
    said = refusal(path)
    assert said.startswith("label column 'label' holds ") and "distinct numbers in 200 rows, from 0." in said
    assert said.endswith(
        ": a score to predict (regression), where attn learns classes; bin the numbers into a few classes "
        "first, name the column of classes with --label-column, or, if these are the classes, write them as "
        "names (c2.33)"
    )
    # Codes of one decimal (1.1 to 3.9, a review's section numbers), five rows each, are classes.
    codes = [{"text": f"t{i}", "label": f"{1 + i % 3}.{1 + (i // 3) % 9}"} for i in range(135)]
    assert len(load(write_jsonl(tmp_path / "codes.jsonl", codes)).label_names) == 27
    # The mean of ten raters (1.0, 1.1, ... 5.0): one decimal, but whole numbers among the fractions.
    means = [{"text": f"t{i}", "label": round(1 + rng.randrange(41) / 10, 1)} for i in range(150)]
    assert "a score to predict (regression)" in refusal(write_jsonl(tmp_path / "means.jsonl", means))
    # Half-star ratings and a few classes with decimals are classes, trained as such.
    stars = [
        {"text": f"t{i} {'good' if i % 2 else 'bad'}", "label": [1.5, 2.5, 3.5][i % 3]} for i in range(60)
    ]
    assert load(write_jsonl(tmp_path / "stars.jsonl", stars)).label_names == ["1.5", "2.5", "3.5"]
    # A validation label not among the training labels is named with the first 20 of them, not all.
    folder = tmp_path / "many"
    folder.mkdir()
    many = [{"text": f"t{i}", "label": f"c{i % 40:02d}"} for i in range(400)]
    write_jsonl(folder / "train.jsonl", many)
    write_jsonl(folder / "validation.jsonl", [{"text": "x", "label": "other"}])
    said = refusal(folder)
    assert "('c00', 'c01', 'c02', 'c03'" in said and "'c19' and 20 more); relabel it" in said
    assert "c39" not in said


def test_parquet_labels_are_compared_as_text_across_files(tmp_path, checkpoint):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "mixed"
    folder.mkdir()
    pq.write_table(pa.table({"text": [f"t{i}" for i in range(8)], "label": [i % 2 for i in range(8)]}),
                   folder / "train.parquet")  # fmt: skip
    pq.write_table(pa.table({"text": ["u0", "u1"], "label": ["0", "1"]}), folder / "validation.parquet")
    splits = load(folder)  # integers in one file, strings in the other: both read as "0" and "1"
    assert splits.label_names == ["0", "1"] and list(splits.splits["validation"].labels) == [0, 1]
    pq.write_table(pa.table({"text": ["soup", "goal"], "label": [1, 2]}), folder / "test.parquet")
    refused = invoke("eval", checkpoint, folder, "--split", "test")
    assert refused.exit_code == 2
    assert (
        "labels the model never saw: '1' (1 row), '2' (1 row) (if these are indices of the model's labels, "
        "write the labels instead: 0 is 'food', 1 is 'sport', 2 is 'tech'); it knows food, sport, tech"
    ) in refused.output


# --- columns ---------------------------------------------------------------------------------------


def test_columns_are_found_despite_case_spaces_and_longer_names(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(lines("review_id,review_body,Label ", *(f"r{i},t{i},{TWO[i % 2]}" for i in range(10))))
    splits = load(path)
    assert (splits.text_column, splits.label_column) == ("review_body", "Label ")
    assert splits.notes[0] == (
        f"{path}: using text column 'review_body' and label column 'Label ', chosen by name "
        "(--text-column and --label-column choose others)"
    )


def test_missing_named_columns_are_reported_together_with_what_there_is(tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text(lines("text ,label", *ab_rows()))
    assert refusal(path, text_column="TXT", label_column="lable") == (
        "text column 'TXT' not found (closest: 'text '); label column 'lable' not found (closest: 'label'); "
        f"{path} has columns 'text ', 'label'"
    )
    # A name given without the spaces around it in the header is that column (it was "not found"),
    # and so is one in another case that no other column has.
    assert every_text(load(path, text_column="text", label_column=" label")) == [f"t{n}" for n in range(10)]
    assert every_text(load(path, text_column="TEXT", label_column="Label")) == [f"t{n}" for n in range(10)]


# --- missing values, encodings, rare classes ------------------------------------------------------


def test_a_missing_text_names_the_files_line_or_is_left_out(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text(lines("text,label", *ab_rows(), ",food", "   ,sport"))
    assert refusal(path) == (
        f"line 12 of {path} has no text in column 'text' (2 rows of gaps.csv have no text or no "
        "label); fill in or remove such rows, or pass --drop-invalid (data.drop_invalid) to leave such rows "
        "out"
    )
    splits = load(path, drop_invalid=True)
    assert every_text(splits) == sorted(f"t{index}" for index in range(10))
    assert (
        splits.notes[0]
        == "left out 2 of 12 rows of 'train' for having no text or no label (data.drop_invalid)"
    )
    many = tmp_path / "many.csv"  # counts written as every other count is: 1,203, not 1203
    many.write_text(lines("text,label", *ab_rows(1200), ",food", "   ,sport", "t,"))
    loaded = load(many, drop_invalid=True)
    assert loaded.notes[0] == (
        "left out 3 of 1,203 rows of 'train' (1 with a text but no label) for having no text or no label "
        "(data.drop_invalid)"
    )  # rows not yet labelled told apart from rows without a text (an analyst's 1,389 of 2,000)
    assert loaded.left_out == {
        "train": {"rows": 1203, "empty": 0, "half_filled": 0, "no_label": 1, "no_text": 2}
    }  # kept in metrics.json, which `attn info` reads
    assert splits.left_out == {
        "train": {"rows": 12, "empty": 0, "half_filled": 0, "no_label": 0, "no_text": 2}
    }


def test_an_empty_csv_cell_is_missing_whatever_pandas_makes_of_it():
    """pandas before 3.1 hands an empty cell to a converter as "" whatever na_values says, so a row
    without a text was "an empty text" there and "no text" with 3.1 (scripts/test_oldest.sh runs
    the tests below with pandas 3.0)."""
    from attncli.data_files import _text_or_missing

    assert [_text_or_missing(cell) for cell in ["", " ", "007", "NA", '""']] == [None, " ", "007", "NA", '""']


def test_a_csv_column_empty_in_its_first_10000_rows_is_read_as_text(tmp_path):
    """datasets types a column from its first 10,000 rows: a notes column filled only in the last
    rows was "null", and its first value refused the whole file (`its type in this file is null`)."""
    path = tmp_path / "tickets.csv"
    rows = [f"t{index},{TWO[index % 2]}," for index in range(10_010)]
    rows += [f"t{index},{TWO[index % 2]},called back" for index in range(10_010, 10_030)]
    path.write_text(lines("text,label,note", *rows))
    assert len(every_text(load(path))) == 10_030
    # Each row a field over the header (a trailing comma): refused, not read with shifted columns,
    # which the column types given would do (pandas' index column dropped, labels read as texts).
    path.write_text(lines("text,label,note", *(row + "," for row in rows)))
    assert refusal(path).startswith(f"line 2 of {path} has 4 fields but its header line has 3")


def test_empty_rows_past_a_spreadsheets_table_are_left_out_and_counted(tmp_path):
    """Excel, LibreOffice and Sheets export formatted empty rows as `,,` past the table: training
    stopped at the first (`line 13 ... has no text`), and the way out, data.drop_invalid, also drops
    the rows that lack only a text or only a label."""
    path = tmp_path / "sheet.csv"
    path.write_text(lines("text,label,note", *[row + "," for row in ab_rows()], ",,", " ,,", ",,"))
    splits = load(path)
    assert every_text(splits) == sorted(f"t{index}" for index in range(10))
    assert splits.notes[0] == "left out 3 of 13 rows of 'train' whose every cell is empty (empty rows)"
    # A row that lacks only its text still stops training, counted apart from the empty ones.
    path.write_text(lines("text,label", *ab_rows(), ",food", ",", ","))
    assert refusal(path).startswith(f"line 12 of {path} has no text in column 'text'; fill in or remove")
    both = load(path, drop_invalid=True)
    assert both.notes[:2] == (
        "left out 2 of 13 rows of 'train' whose every cell is empty (empty rows)",
        "left out 1 of 13 rows of 'train' for having no text or no label (data.drop_invalid)",
    )
    path.write_text(lines("text,label", ",", ","))
    assert refusal(path) == (
        f"every row of {path.name} has no text or no label (the first: line 2 of {path} has no text and no "
        "label); fill them in, or use another split"
    )


def test_a_row_with_other_cells_but_no_text_and_no_label_is_left_out_and_warned_of_apart(
    tmp_path, checkpoint
):
    """A record half filled in (`T10040,13/06/2024,Facebook,,`: an id, a date and a channel) was left
    out as one of the "empty rows", as the `,,,,` debris past a table is (a trial). It is still left
    out whatever data.drop_invalid says, so that a run trained on such data resumes and is evaluated
    on the same rows, but warned of apart, with its line."""
    path = tmp_path / "posts.csv"
    good = [f"T{index},01/06/2024,Web,{row}" for index, row in enumerate(ab_rows())]
    path.write_text(
        lines("id,date,channel,text,label", *good[:5], "T10040,13/06/2024,Facebook,,", *good[5:], ",,,,")
    )
    for drop_invalid in (False, True):
        assert said(load(path, drop_invalid=drop_invalid))[:2] == (
            "left out 1 of 12 rows of 'train' whose every cell is empty (empty rows)",
            "warning: left out 1 of 12 rows of 'train' that have other cells filled but neither a text nor a "
            f"label (the first: line 7 of {path}); fill in their text and label to train on them",
        )
    # Cells of spaces, or a record with only empty values, are empty cells; 0 is a value.
    path.write_text(lines("id,text,label", *(f"i,{row}" for row in ab_rows()), " , ,", "0,,"))
    assert said(load(path))[:2] == (
        "left out 1 of 12 rows of 'train' whose every cell is empty (empty rows)",
        "warning: left out 1 of 12 rows of 'train' that have other cells filled but neither a text nor a "
        f"label (the first: line 13 of {path}); fill in their text and label to train on them",
    )
    rows = [{"id": 1, "meta": {"lang": "en"}, "text": f"t{i}", "label": TWO[i % 2]} for i in range(10)]
    records = write_jsonl(tmp_path / "posts.jsonl", [*rows, {"meta": {"lang": None}}, {"id": 11}])
    assert said(load(records))[1].endswith(
        f"(the first: line 12 of {records}); fill in their text and label to train on them"
    )
    # A run trained on such data resumes on the same rows (with them invalid, it could not: --resume
    # refuses data.drop_invalid, which the refusal advised, a review).
    path.write_text(
        lines("id,date,channel,text,label", *good[:5], "T10040,13/06/2024,Facebook,,", *good[5:], ",,,,")
    )
    first = invoke("train", path, "-o", tmp_path / "run", "--epochs", 1, *TINY)
    assert first.exit_code == 0, first.output
    resumed = invoke("train", "--resume", tmp_path / "run", "--epochs", 2)
    assert resumed.exit_code == 0, resumed.output
    # eval: left out and counted with the empty ones (left_out_empty), said apart.
    test = tmp_path / "test.csv"
    test.write_text(lines("id,text,label", "1,soup,food", "2,,", "3,goal,sport", ",,"))
    accepted = invoke("eval", checkpoint, test, "--json")
    assert accepted.exit_code == 0, accepted.output
    report = json.loads(accepted.stdout)
    assert (report["n"], report["left_out_invalid"], report["left_out_empty"]) == (2, 0, 2)
    assert "left out 1 empty row of test.csv (every cell empty)" in accepted.stderr
    assert (
        "left out 1 row of test.csv with other cells filled but neither a text nor a label (the first: "
        f"line 3 of {test})" in accepted.stderr
    )


def test_a_missing_label_in_json_lines_names_the_line(tmp_path):
    rows = [{"text": f"t{i}", "label": TWO[i % 2]} for i in range(10)] + [{"text": "x", "label": None}]
    path = write_jsonl(tmp_path / "gaps.jsonl", rows)
    assert refusal(path).startswith(f"line 11 of {path} has no label in column 'label';")
    assert len(load(path, drop_invalid=True).splits["train"]) == 8


def test_non_utf8_bytes_name_the_line_and_load_with_the_right_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(lines("text;label", *(f"caf\xe9 {i};{TWO[i % 2]}" for i in range(10))).encode("latin-1"))
    assert refusal(path) == (
        f"line 2 of {path} is not valid utf-8; pass --encoding "
        "(data.encoding in a config file) with the file's "
        "encoding: its bytes read as text in cp1252 (Western European) or cp1250 (Central European)"
    )
    assert every_text(load(path, encoding="latin-1"))[0] == "café 0"
    path.write_bytes("t\xe9xt;label\n".encode("latin-1") + lines(*ab_rows()).encode())
    assert refusal(path).startswith(f"line 1 of {path} is not valid utf-8")  # even in the header line


def test_a_cp1252_file_read_as_latin1_is_warned_of_where_its_quotes_become_controls(tmp_path):
    """Excel's "CSV" is cp1252, and latin-1 is a common guess for "Western": its curly quotes and
    euro signs were read as invisible control characters, silently, in train and predict (`€12` gone
    from the vocabulary, controls in the output file). A warning, not a refusal: a run trained so
    must still evaluate and resume on its data as it read it."""
    from conftest import save_untrained_checkpoint

    def warnings_of(notes) -> list[str]:
        return [note for note in notes if "cp1252" in note]

    path = tmp_path / "excel.csv"
    path.write_bytes(lines("text,label", *ab_rows(), "Café “Año” €5m,food").encode("cp1252"))
    said = "warning: line 12 of {} holds the byte 0x93, which {} reads as an invisible control character and "
    for encoding in ("latin-1", "iso-8859-15"):
        splits = load(path, encoding=encoding)
        rest = (
            "Windows' cp1252 as '“': the file is surely cp1252 (as Excel's \"CSV\" saves it); pass "
            "--encoding cp1252 to read its quotes, dashes and euro signs (a run trained on it so goes on "
            "reading it so: train it again with --encoding cp1252)"
        )
        assert said.format(path, encoding) + rest in splits.notes
        assert "Café \x93Año\x94 \x805m" in every_text(splits)  # read as asked, all the same
    checkpoint = save_untrained_checkpoint(tmp_path / "ckpt")
    result = invoke("predict", checkpoint, "--file", path, "--encoding", "latin-1", "--json")
    assert result.exit_code == 0 and said.format(path, "latin-1") in result.stderr
    assert "Café “Año” €5m" in every_text(load(path, encoding="cp1252"))
    assert not warnings_of(load(path, encoding="cp1252").notes)
    # Latin-1 itself (accents, no byte in 0x80-0x9F) reads without a word; so does a file holding a
    # byte cp1252 leaves undefined (0x81), which cannot be cp1252.
    path.write_bytes(lines("text,label", *ab_rows(), "Café déjà vu,food").encode("latin-1"))
    assert not warnings_of(load(path, encoding="latin-1").notes)
    path.write_bytes(lines("text,label", *ab_rows()).encode() + b"caf\x81 \x93x,food\n")
    assert not warnings_of(load(path, encoding="latin-1").notes)


def test_a_class_with_one_example_trains_with_a_warning(tmp_path):
    path = write_csv(
        tmp_path / "rare.csv", [*make_rows(30, labels=("food", "sport")), {"text": "x", "label": "z"}]
    )
    splits = load(path)
    assert splits.label_names == ["food", "sport", "z"]
    assert said(splits) == (
        "warning: too few examples to learn or validate reliably: class 'z' has 1 (none held out for "
        "validation); add examples if you can",
    )


# --- the commands ---------------------------------------------------------------------------------


def test_train_refuses_bad_files_with_exit_code_2(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text(lines("text,label", *ab_rows(), ",food"))
    refused = invoke("train", path, "-o", tmp_path / "run", *TINY)
    assert refused.exit_code == 2
    assert f"error: line 12 of {path} has no text in column 'text'" in refused.output
    refused = invoke("train", path, "-o", tmp_path / "run", "--text-column", "body", "--label-column", "y")
    assert refused.exit_code == 2
    assert (
        "text column 'body' not found (the text column found by name: 'text'); label column 'y' not found "
        "(the label column found by name: 'label'); " in refused.output
    )


def test_train_on_an_excel_export_then_eval_rebuilds_the_same_validation_rows(tmp_path):
    rows = make_rows(60, labels=("food", "sport"))
    rows[7]["text"] = ""  # a gap in the sheet
    path = excel_export(tmp_path / "excel.csv", rows)
    trained = invoke("train", path, "-o", tmp_path / "run", "--epochs", 1, *TINY, "--drop-invalid")
    assert trained.exit_code == 0, trained.output
    assert "read as ';'-separated" in trained.output and "left out 1 of 60 rows of 'train'" in trained.output
    assert "53 train / 6 validation texts" in trained.output  # 59 rows: 30 food, 29 sport, 3 of each held out
    report = invoke("eval", tmp_path / "run", "--split", "validation", "--json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["n"] == 6
    # Empty rows past the table (`;` lines) are left out whatever data.drop_invalid says, in training
    # and in eval, which rebuilds the same carve and says them apart from the rows it dropped.
    path.write_bytes(path.read_bytes() + b";\r\n;\r\n")
    again = invoke(
        "train", path, "-o", tmp_path / "again", "--epochs", 1, *TINY, "--set", "data.drop_invalid=true"
    )
    assert again.exit_code == 0, again.output
    assert "left out 2 of 62 rows of 'train' whose every cell is empty (empty rows)" in again.output
    assert "left out 1 of 62 rows of 'train' for having no text or no label" in again.output
    assert "53 train / 6 validation texts" in again.output  # the same carve
    report = invoke("eval", tmp_path / "again", "--split", "validation", "--json")
    assert report.exit_code == 0, report.output
    scored = json.loads(report.stdout)
    assert (scored["n"], scored["left_out_invalid"], scored["left_out_empty"]) == (6, 1, 2)
    assert f"left out 2 empty rows of {path}" in " ".join(report.stderr.split())
    # The run keeps what training left out, which info says (an analyst could not tell, months on).
    info = invoke("info", tmp_path / "again", "--json")
    assert json.loads(info.stdout)["training"]["left_out"] == {
        "train": {"rows": 62, "empty": 2, "half_filled": 0, "no_label": 0, "no_text": 1}
    }
    told = invoke("info", tmp_path / "again")
    assert "3 of 62 rows of 'train' (1 with no text, 2 empty)" in " ".join(told.stdout.split())


def test_eval_names_the_line_and_offers_drop_invalid(tmp_path, checkpoint):
    path = tmp_path / "scored.csv"
    path.write_text(lines("text;label", "soup;food", ";sport", "goal;sport"))
    refused = invoke("eval", checkpoint, path)
    assert refused.exit_code == 2
    assert (
        f"error: line 3 of {path} has no text in column 'text'; fill in or remove such rows, or pass "
        "--drop-invalid to leave such rows out"
    ) in refused.output
    accepted = invoke("eval", checkpoint, path, "--drop-invalid", "--delimiter", ";", "--json")
    assert accepted.exit_code == 0, accepted.output
    report = json.loads(accepted.stdout)  # stdout holds the JSON alone; the note goes to stderr
    assert (report["n"], report["left_out_invalid"]) == (2, 1)
    assert "left out 1 row of scored.csv with no text or no label" in accepted.stderr


def test_lone_surrogate_escapes_in_json_lines_are_read_as_replacement_characters(tmp_path, checkpoint):
    """A tweet cut inside an emoji ends in a "\\ud83d" escape: valid JSON, no UTF-8 text. Training
    and eval stopped with `UnicodeEncodeError ... surrogates not allowed`, where predict read it as
    U+FFFD."""
    rows = [
        {"id": f"i{index}", "text": f"{word} {index}", "label": label}
        for index, (word, label) in enumerate([("soup", "food"), ("goal", "sport"), ("chip", "tech")] * 2)
    ]
    escaped = tmp_path / "cut.jsonl"
    lines_written = [json.dumps(row) for row in rows]
    lines_written[0] = lines_written[0].replace('"i0"', '"i0\\ud800"').replace('"soup 0"', '"soup \\ud83d"')
    escaped.write_text("\n".join(lines_written) + "\n", encoding="utf-8")
    assert every_text(load(escaped)) == sorted(["soup \ufffd", *(row["text"] for row in rows[1:])])
    rows[0].update(id="i0\ufffd", text="soup \ufffd")
    replaced = write_jsonl(tmp_path / "replaced.jsonl", rows)
    result = invoke("eval", checkpoint, escaped, "--json")
    assert result.exit_code == 0, result.output
    expected = json.loads(invoke("eval", checkpoint, replaced, "--json").stdout)
    assert {key: value for key, value in json.loads(result.stdout).items() if key != "source"} == {
        key: value for key, value in expected.items() if key != "source"
    }


def test_eval_reads_nested_json_by_dotted_paths(tmp_path, checkpoint):
    rows = [{"data": {"text": "soup", "label": "food"}}, {"data": {"text": "goal", "label": "sport"}}]
    path = write_jsonl(tmp_path / "nested.jsonl", rows)
    result = invoke(
        "eval", checkpoint, path, "--text-column", "data.text", "--label-column", "data.label", "--json"
    )
    assert result.exit_code == 0, result.output
    nested = json.loads(result.stdout)
    # The same scores as the same rows written flat: the texts and labels were read, not just counted.
    flat = write_jsonl(tmp_path / "flat.jsonl", [row["data"] for row in rows])
    expected = json.loads(invoke("eval", checkpoint, flat, "--json").stdout)
    assert nested["n"] == 2 and sum(map(sum, nested["confusion_matrix"])) == 2
    for key in ("accuracy", "macro_f1", "labels", "confusion_matrix", "per_class", "log_loss"):
        assert nested[key] == expected[key], key


def test_predict_reads_excel_exports_and_nested_json(tmp_path, checkpoint):
    path = excel_export(tmp_path / "excel.csv", [{"text": "soup, bread", "label": "food"}])
    result = invoke("predict", checkpoint, "-f", path, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["text"] == "soup, bread"
    # The file as named, as the lines after it name it (it said excel.csv alone: a trial)
    assert f"note: {path}: the header line has no commas but has semicolons" in result.stderr
    # A csv written from an Excel export keeps its byte-order mark, so that Excel reads "crème" again,
    # and its semicolons, so that the spreadsheet that wrote it opens it in columns (it got commas).
    out, plain_out = tmp_path / "labelled.csv", tmp_path / "plain_labelled.csv"
    excel_export(path, [{"text": "crème brûlée", "label": "food"}])
    assert invoke("predict", checkpoint, "-f", path, "-o", out).exit_code == 0
    assert out.read_bytes().startswith("\ufefftext;label;attn_label;score;".encode())
    tabbed = tmp_path / "labelled.tsv"
    assert invoke("predict", checkpoint, "-f", path, "-o", tabbed).exit_code == 0
    assert tabbed.read_text(encoding="utf-8-sig").startswith("text\tlabel\tattn_label\t")
    piped = invoke("predict", checkpoint, "-f", path, "--format", "csv")  # for scripts: commas
    assert piped.exit_code == 0 and piped.stdout.startswith("text,label,attn_label,score,")
    assert "crème brûlée" in out.read_text(encoding="utf-8-sig")
    plain = write_csv(tmp_path / "plain.csv", [{"text": "crème", "label": "food"}])
    assert invoke("predict", checkpoint, "-f", plain, "-o", plain_out).exit_code == 0
    assert plain_out.read_bytes().startswith(b"text,label,attn_label")
    nested = write_jsonl(tmp_path / "n.jsonl", [{"id": 1, "data": {"text": "soup"}}])
    result = invoke("predict", checkpoint, "-f", nested, "--text-column", "data.text", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["text"] == "soup"
    refused = invoke("predict", checkpoint, "-f", nested, "--text-column", "data")
    assert refused.exit_code == 2
    assert (
        "text column 'data' holds records, not texts; name one of its fields with a dotted path: 'data.text'"
        in (refused.output)
    )


def test_predict_refuses_a_ragged_row_and_a_delimiter_for_plain_text(tmp_path, checkpoint):
    path = tmp_path / "rows.csv"
    path.write_text(lines("id,text", "1,soup", "2,hello, world"))
    refused = invoke("predict", checkpoint, "-f", path)
    assert (
        refused.exit_code == 2
        and f"line 3 of {path} has 3 fields but its header line has 2" in refused.output
    )
    plain = tmp_path / "texts.txt"
    plain.write_text("soup\n")
    refused = invoke("predict", checkpoint, "-f", plain, "--delimiter", ";")
    assert refused.exit_code == 2 and (
        f"--delimiter ';' splits csv rows, and the first line of {plain} is no csv header naming the text "
        "column" in refused.output
    )


# --- size ------------------------------------------------------------------------------------------

MEASURE = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    if sys.argv[2] == "train":
        from attncli.config import DataConfig
        from attncli.data import load_splits
        rows = len(load_splits(DataConfig(source=sys.argv[1])).splits["train"])
    else:
        from attncli.record_sources import from_file
        rows = sum(len(chunk) for chunk in from_file(Path(sys.argv[1])).chunks)
    print(rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)  # KiB on Linux -> MiB
    """
)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_a_100_mb_file_of_one_repeated_line_keeps_memory_bounded(tmp_path):
    """Measured: predict's reader peaks near 20 MiB; training's loader near 330 MiB, about 180 of it
    the memory-mapped Arrow copy of the file (pages the system can drop), the rest imports and 8-byte
    arrays per row. The bounds leave room for other library versions."""
    path = tmp_path / "big.csv"
    line = "the same review, said again and again by everybody who ever wrote one;food\n"
    with path.open("w") as file:
        file.write("text;label\nthe one odd row out;sport\n")
        for _ in range(100_000_000 // (len(line) * 10_000)):
            file.write(line * 10_000)
    repeated = (100_000_000 // (len(line) * 10_000)) * 10_000
    # predict reads every row; training keeps all but the tenth of "food" carved out for validation.
    for mode, rows, bound in (("predict", 1 + repeated, 100), ("train", 1 + repeated - repeated // 10, 700)):
        measured = subprocess.run(
            [sys.executable, "-c", MEASURE, str(path), mode], capture_output=True, text=True, check=True
        )
        read, peak_mib = map(int, measured.stdout.split())
        assert read == rows
        assert peak_mib < bound, f"{mode}: peak {peak_mib} MiB"


def test_a_split_with_no_usable_row_is_refused_even_when_leaving_rows_out(tmp_path):
    path = tmp_path / "unlabelled.csv"
    path.write_text(lines("text,label", "soup and bread,", "the goal,"))
    said = (
        f"every row of unlabelled.csv has no text or no label (the first: line 2 of {path} has no label "
        "in column 'label'); fill them in, or use another split"
    )
    assert refusal(path, drop_invalid=True) == said
    # Without drop_invalid the same: offering it, as a file with some such rows is, would lead nowhere
    assert refusal(path) == said


def test_a_split_with_no_usable_row_is_told_what_would_make_its_rows_usable(tmp_path):
    """ "fill them in" was the advice for a column of numbers and for texts in another encoding too."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    numbers = tmp_path / "numbers.jsonl"
    numbers.write_text("".join(f'{{"text": {n}, "label": "{"ab"[n % 2]}"}}\n' for n in range(6)))
    assert refusal(numbers, text_column="text").endswith(
        "(the first: line 1 of " + str(numbers) + " has 0 instead of a text in column 'text'); name the "
        "column that holds the texts (--text-column), or use another split"
    )
    latin = tmp_path / "latin.parquet"
    pq.write_table(pa.table({"text": [b"caf\xe9", b"th\xe9"] * 3, "label": ["a", "b"] * 3}), latin)
    assert refusal(latin).endswith("bytes that are not UTF-8 text in column 'text'); store the texts as "
                                   "UTF-8 strings, or use another split")  # fmt: skip


def test_json_lines_in_another_encoding_name_the_line(tmp_path):
    """Arrow's JSON reader accepts bytes that are not UTF-8; the texts then failed to decode later,
    as a UnicodeDecodeError with exit 1."""
    path = tmp_path / "latin.jsonl"
    rows = [
        json.dumps({"text": f"caf\u00e9 {i}", "label": TWO[i % 2]}, ensure_ascii=False) for i in range(10)
    ]
    path.write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    assert refusal(path).startswith(f"line 1 of {path} is not valid utf-8; pass --encoding")
    assert every_text(load(path, encoding="latin-1")) == sorted(f"caf\u00e9 {i}" for i in range(10))


def test_a_header_naming_a_column_twice_is_refused_by_train_eval_and_predict(tmp_path, checkpoint):
    """pandas took the first 'label' silently, and predict's joined output wrote the second
    column's values over the first's."""
    path = tmp_path / "twice.csv"
    path.write_text(lines("label,text,label", "x,soup and bread,food", "y,the goal,sport"))
    expected = f"the header line of {path} names column 'label' twice (columns 1 and 3); rename one"
    assert refusal(path) == expected
    for command in (["eval", str(checkpoint), str(path)], ["predict", str(checkpoint), "--file", str(path)]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2 and result.output.strip() == f"error: {expected}"


def test_a_spreadsheets_empty_columns_past_the_table_are_read_past(tmp_path, checkpoint):
    """Excel saves `text;label;;`: the two unnamed columns were refused as one column named twice."""
    path = tmp_path / "sheet.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + lines("text;label;;", *(f"{row.replace(',', ';')};;" for row in ab_rows()), end="\r\n").encode()
    )
    splits = load(path)
    assert every_text(splits) == sorted(f"t{index}" for index in range(10)) and splits.label_names == list(
        TWO
    )
    predicted = CliRunner().invoke(app, ["predict", str(checkpoint), "--file", str(path), "--format", "csv"])
    assert predicted.exit_code == 0 and len(predicted.stdout.splitlines()) == 11


def test_one_record_holding_a_list_of_records_in_a_field_is_one_row(tmp_path):
    from attncli.jsonfiles import require_records

    ticket = {"text": "soup", "label": "food", "attachments": [{"name": "a.png"}], "count": 1}
    require_records(ticket, tmp_path / "ticket.json")  # no error: a ticket, not an API's page
    require_records({"total": 12.5, "items": [{"sku": "a", "text": "x"}]}, tmp_path / "order.json")
    require_records({"size": "M", "responses": [{"text": "ok"}]}, tmp_path / "form.json")


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (
            {"text": {"0": "soup", "1": "goal"}, "label": {"0": "food", "1": "sport"}},
            "one JSON object of columns",
        ),
        ({"text": ["soup", "goal"], "label": ["food", "sport"]}, "one JSON object of columns"),
        (
            {"columns": ["text", "label"], "index": [0, 1], "data": [["soup", "food"]]},
            "pandas' 'split' layout",
        ),
        ({"data": [{"text": "soup", "label": "food"}]}, "holds its records under the key 'data'; write"),
        # An API's page: the records beside its paging (it said "no text column found")
        (
            {"tickets": [{"text": "soup", "label": "food"}], "next_page": None, "count": 1},
            "holds its records under the key 'tickets' (beside 'next_page', 'count'); write the list itself, "
            "as a JSON array or one record per line (jq -c '.tickets[]' frame.json > rows.jsonl)",
        ),
        # A news API's response (NewsAPI): its status and totalResults beside the articles.
        (
            {"status": "ok", "totalResults": 1, "articles": [{"text": "soup", "label": "food"}]},
            "holds its records under the key 'articles' (beside 'status', 'totalResults')",
        ),
    ],
)
def test_json_that_is_not_records_is_refused_by_train_eval_and_predict(
    tmp_path, checkpoint, layout, expected
):
    """pandas' to_json() default was read as one row: eval reported 100% on n=1."""
    path = tmp_path / "frame.json"
    path.write_text(json.dumps(layout))
    assert expected in refusal(path)
    for command in (["eval", str(checkpoint), str(path)], ["predict", str(checkpoint), "--file", str(path)]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2 and expected in result.output, result.output
    if "next_page" in layout:  # piped in, it has no file name to give jq (it was told `standard input`)
        piped = CliRunner().invoke(app, ["predict", str(checkpoint)], input=path.read_text())
        assert piped.exit_code == 2 and piped.stderr.endswith(
            "one record per line (pipe it through jq -c '.tickets[]')\n"
        ), piped.stderr


def test_many_unknown_labels_are_listed_ten_at_most_and_a_folder_is_no_file(tmp_path, checkpoint):
    """A column of 600 distinct numbers (a regression target) made an error line of 18 kB."""
    rows = [{"text": f"text {i}", "label": f"0.{i:03d}"} for i in range(30)] + [
        {"text": "t", "label": "0.000"}
    ]
    path = write_jsonl(tmp_path / "numbers.jsonl", rows)
    result = CliRunner().invoke(app, ["eval", str(checkpoint), str(path)])
    assert result.exit_code == 2
    assert "labels the model never saw: '0.000' (2 rows), '0.001' (1 row)," in result.output
    assert "'0.009' (1 row) and 20 more; it knows" in result.output and "0.010" not in result.output
    folder = CliRunner().invoke(app, ["predict", str(checkpoint), "--file", str(tmp_path)])
    # A folder is read as text files, one text each: one holding data files is refused.
    assert folder.exit_code == 2 and f"--file {tmp_path} holds data files (numbers.jsonl)" in folder.output
    # A folder of split files (a Hub repository's data/ shards): one of its files is named.
    shards = tmp_path / "hub" / "data"
    shards.mkdir(parents=True)
    write_jsonl(shards / "train-00000-of-00001.jsonl", rows)
    write_jsonl(shards / "test-00000-of-00001.jsonl", rows)
    hub = CliRunner().invoke(app, ["predict", str(checkpoint), "--file", str(tmp_path / "hub")])
    assert hub.exit_code == 2 and hub.stderr == (
        f"error: --file {tmp_path / 'hub'} is a folder of split files; pass one split's file, such as "
        f"--file {shards / 'test-00000-of-00001.jsonl'}\n"
    )


def test_a_tsv_whose_quotes_are_text_keeps_them_and_every_row_in_train_and_predict(tmp_path):
    """A tweet-like TSV: a text opening with a quote ("Great" movie) lost its quotes, and a quote left
    open took the rows after it into one text, silently; a TSV written with csv quoting still reads."""
    from attncli.record_sources import from_file

    texts = ['"Great" movie', '"Awful film', "bad bad", 'good "stuff"', "fine fine"] * 4
    rows = "".join(f"{text}\t{'neg' if 'bad' in text or 'Awful' in text else 'pos'}\n" for text in texts)
    path = tmp_path / "tweets.tsv"
    path.write_text("text\tlabel\n" + rows + "\tpos\n", encoding="utf-8")
    note = (
        "tweets.tsv: the row on line 2 opens a double quote that csv quoting cannot close, so double "
        "quotes are read as part of the texts of this tab-separated file"
    )
    with pytest.raises(DataError) as refused:  # the blank text named by its line, read the same way
        load(path)
    assert str(refused.value).startswith(f"line 22 of {path} has no text")
    splits = load(path, drop_invalid=True)
    assert note in splits.notes
    assert every_text(splits) == sorted(texts)
    source = from_file(path)
    assert [record.text for chunk in source.chunks for record in chunk] == [*texts, None]  # an empty cell
    assert note in source.notes
    quoted = tmp_path / "quoted.tsv"  # as pandas' to_csv(sep="\t") writes it
    quoted.write_text("text\tlabel\n" + '"""Great"" movie"\tpos\n"two\nlines"\tneg\n' * 3, encoding="utf-8")
    assert every_text(load(quoted)) == sorted(['"Great" movie', "two\nlines"] * 3)
    assert not [n for n in load(quoted).notes if "double quote" in n]


def test_an_open_quote_whose_field_outgrows_the_csv_limit_is_still_named_by_its_line(tmp_path, monkeypatch):
    """The csv module stops a field past its size limit (1 GiB in attn) with its own error, which
    escaped the check as a traceback; a file that size is scaled down here to a 100-character limit."""
    import csv

    from attncli import csv_quoting, csv_rows

    monkeypatch.setattr(csv_rows, "LONGEST_FIELD", 100)
    huge = tmp_path / "huge.csv"
    huge.write_text('text,label\n"open,a\n' + "".join(f"row {i},b\n" for i in range(40)), encoding="utf-8")
    limit = csv.field_size_limit()
    try:
        with pytest.raises(DataError) as refused:
            csv_quoting.quoting_of(huge, delimiter=",", encoding="utf-8")
    finally:
        csv.field_size_limit(limit)  # the csv module's limit is one for the whole process
    assert str(refused.value).startswith(f"line 2 of {huge} opens a double quote that its field does not")


def test_a_csv_quote_left_open_across_lines_is_refused_by_line_in_train_eval_and_predict(tmp_path):
    """A stray opening quote in a comma-separated file joined every row after it into one text:
    1,000 rows gave 3 predictions, and eval scored 443 of 444 rows, silently. A quote within one
    line ("Hello" world) still reads as pandas reads it."""
    from attncli.record_sources import from_file

    texts = [f"Shares rose number {i}" for i in range(40)]
    open_to_the_end = tmp_path / "stray.csv"
    quoted = ['"' * (i == 2) + f"{text},{'ab'[i % 2]}\n" for i, text in enumerate(texts)]
    open_to_the_end.write_text("text,label\n" + "".join(quoted), encoding="utf-8")
    closed_late = tmp_path / "late.csv"  # the next row's opening quote closes it
    closed_late.write_text('text,label\n"one,a\n"two",b\n"three",a\n', encoding="utf-8")
    after_a_stray_one = tmp_path / "after.csv"  # a harmless one-line stray quote comes first
    after_a_stray_one.write_text(
        'text,label\n"Hello" world,sport\nok,business\n"open quote,sport\na,b\nc,d\n', encoding="utf-8"
    )
    single_column = tmp_path / "single.csv"
    single_column.write_text('text\nfine\n"open quote\nmore\nand more\n', encoding="utf-8")
    label_first = tmp_path / "label_first.csv"  # the next row's quote opens a field after the label
    label_first.write_text('label,text\na,"open quote\nb,"two"\nc,"three"\nd,"four"\n', encoding="utf-8")
    escaped_next = tmp_path / "escaped.csv"  # the next row's text starts with a quote written as two
    escaped_next.write_text('text,label\n"open,a\n"""Quoted"" text",b\nc,d\n', encoding="utf-8")
    header = tmp_path / "header.csv"
    header.write_text('text,"label\na,b\nc,d\n', encoding="utf-8")
    # The next row an empty quoted text (R writes "" so): csv's strict rules read the lines as one row.
    empty_next = tmp_path / "empty_next.csv"
    empty_next.write_text('text,label\n"Great movie,a\n"",b\nbad film",b\nok,a\n', encoding="utf-8")
    # The last line alone left open, with or without its line end (a file still being written was
    # labelled with exit 0: a data engineer's trial).
    cut_short = tmp_path / "cut_short.csv"
    cut_short.write_text('id,text\n1,Shares rose\n2,"New phone laun', encoding="utf-8")
    expected = {
        cut_short: f"line 3 of {cut_short} opens a double quote that its field does not close, and the file "
        "ends inside that row's text (cut short, or still being written); close the quote on line 3",
        empty_next: f"line 2 of {empty_next} opens a double quote that its field does not close, so lines 3",
        label_first: f"line 2 of {label_first} opens a double quote that its field does not close, so line 3",
        escaped_next: f"line 2 of {escaped_next} opens a double quote that its field does not close, so line",
        header: f"line 1 of {header} opens a double quote that its field does not close, so every line after",
        after_a_stray_one: f"line 4 of {after_a_stray_one} opens a double quote that its field does not "
        "close, so every line after it",
        single_column: f"line 3 of {single_column} opens a double quote that its field does not close",
        open_to_the_end: f"line 4 of {open_to_the_end} opens a double quote that its field does not close, "
        "so every line after it would be read into that row's text; close the quote on line 4, or write "
        'a double quote inside a quoted text as two ("")',
        closed_late: f"line 2 of {closed_late} opens a double quote that its field does not close, so line "
        "3 would be read into that row's text; close the quote on line 2, or write",
    }
    for path, message in expected.items():
        with pytest.raises(DataError) as refused:
            load(path)
        assert str(refused.value).startswith(message)
        with pytest.raises(DataError) as refused:
            from_file(path)
        assert str(refused.value).startswith(message)
    sloppy = tmp_path / "sloppy.csv"
    sloppy.write_text('text,label\n"Hello" world,a\nGoal,b\n', encoding="utf-8")
    source = from_file(sloppy)
    assert [record.text for chunk in source.chunks for record in chunk] == ["Hello world", "Goal"]
    # A quoted text may span lines and hold a stray quote: pandas reads it, and so does attn.
    multi_line = tmp_path / "multi.csv"
    rows = "".join(f"row {i},{'ab'[i % 2]}\n" for i in range(8))
    multi_line.write_text(f'text,label\n"line one\nHe said "hi" there",a\nplain,b\n{rows}', encoding="utf-8")
    source = from_file(multi_line)
    texts = ['line one\nHe said hi" there"', "plain"] + [f"row {i}" for i in range(8)]
    assert [record.text for chunk in source.chunks for record in chunk] == texts
    assert every_text(load(multi_line)) == sorted(texts)
    # ... also when its later line starts with a quote that reads as no row, and after a byte-order
    # mark before the header, or one and a quoted header name holding the delimiter, or a line of
    # spaces (the check took it for a one-column header and refused the two-column row).
    dialogue = '"I loved it.\n"Best movie" I said.",a\n'
    for before, column in [
        ("\ufefftext,label\n", "text"),
        ('\ufeff"text, in full",label\n', "text, in full"),
        ("   \ntext,label\n", "text"),  # a line of spaces above the header, which pandas skips
    ]:
        multi_line.write_text(f"{before}{dialogue}plain,b\n{rows}", encoding="utf-8")
        source = from_file(multi_line, text_column=column)
        assert [record.text for chunk in source.chunks for record in chunk][:2] == [
            'I loved it.\nBest movie" I said."',
            "plain",
        ], before


def test_r_write_csv_texts_of_several_lines_after_a_column_are_read_by_train_and_predict(tmp_path):
    """R's write.csv quotes every field and writes row names first: a later line of a text that holds
        a comma (`We won, they lost","sport"`) reads on its own as a whole row with a quoted field, which
        the open-quote check took for the next row swallowed, refusing every article R had saved. (A quote
    left open before such a line is still refused: the test above.)"""
    from attncli.record_sources import from_file

    texts = [f"Shares rose {i}\nWe won, they lost" if i % 3 == 0 else f"Plain text {i}" for i in range(30)]
    written = tmp_path / "r_export.csv"
    rows = [f'"{i + 1}","{text}","{"ab"[i % 2]}"\n' for i, text in enumerate(texts)]
    written.write_text('"","text","label"\n' + "".join(rows), encoding="utf-8")
    assert every_text(load(written)) == sorted(texts)
    source = from_file(written)
    assert [record.text for chunk in source.chunks for record in chunk] == texts


def test_blank_lines_above_a_csv_header_are_skipped_by_train_eval_and_predict_alike(tmp_path):
    """pandas skips them, so train and eval read such a file, while predict took the blank line for
    the header: `no text column found; F has columns ` (none)."""
    from attncli.record_sources import from_file

    rows = [f"Shares rose number {i};{'ab'[i % 2]}" for i in range(20)]
    blank_above = tmp_path / "blank_above.csv"  # a semicolon export: the delimiter is read off the header
    blank_above.write_text("\n  \r\n" + lines("text;label", *rows), encoding="utf-8", newline="")
    texts = sorted(row.split(";")[0] for row in rows)
    assert every_text(load(blank_above)) == texts
    source = from_file(blank_above)
    assert source.columns == ["text", "label"]
    assert sorted(record.text for chunk in source.chunks for record in chunk) == texts


def test_excel_delimiter_hint_line_is_named_in_train_eval_and_predict(tmp_path):
    """Excel writes `sep=;` above the header of a csv for other locales; read as the header, it gave
    `no text column found; F has columns 'sep=', 'Unnamed: 1'` (pandas' name for a column)."""
    from attncli.record_sources import from_file

    hinted = tmp_path / "hinted.csv"
    hinted.write_text(
        lines("sep=;", "text;label", *(f"row {i};{'ab'[i % 2]}" for i in range(20))), encoding="utf-8"
    )
    expected = (
        f"the first line of {hinted} is Excel's delimiter hint ('sep=;'), not the header line that names the "
        "columns; delete that line (attn reads the delimiter off the header line below it)"
    )
    _refused_by_train_and_predict(hinted, expected)
    named = tmp_path / "named.csv"  # a one-column file whose column is named `sep=`: no hint
    named.write_text(lines("sep=", "soup", "bread"), encoding="utf-8")
    assert [r.text for chunk in from_file(named, text_column="sep=").chunks for r in chunk] == [
        "soup",
        "bread",
    ]


def test_a_csv_line_of_spaces_alone_is_no_row_in_predict_as_in_train(tmp_path):
    """pandas skips it, so training left it out without a word while predict gave it a result of
    its own (an empty text), and a results file no longer lined up with what eval scored."""
    from attncli.record_sources import from_file

    rows = [f"row {i},{'ab'[i % 2]}" for i in range(20)]
    spaced = tmp_path / "spaced.csv"
    spaced.write_text(lines("text,label", *rows[:10], "   ", *rows[10:]), encoding="utf-8")
    texts = [row.split(",")[0] for row in rows]
    assert every_text(load(spaced)) == sorted(texts)
    records = [record for chunk in from_file(spaced).chunks for record in chunk]
    assert [record.text for record in records] == texts
    assert [record.index for record in records] == list(range(20))
    # Quoted, spaces are a text (an empty one), which pandas keeps as a row: so does predict.
    spaced.write_text(lines("text,label", *rows[:10], '"   ",a', *rows[10:]), encoding="utf-8")
    records = [record for chunk in from_file(spaced).chunks for record in chunk]
    assert [record.text for record in records] == [*texts[:10], "   ", *texts[10:]]


def test_a_header_split_at_the_wrong_delimiter_gets_a_hint_to_pass_the_right_one(tmp_path):
    """An Excel export (';'-separated) whose header has a comma inside a name is not sniffed as
    ';'-separated: the error sent the user to --text-column, which cannot help."""
    from attncli.record_sources import from_file

    excel = tmp_path / "excel.csv"
    excel.write_bytes(
        b"\xef\xbb\xbfTicket ID;Ticket Text (short, English);Category\r\n"
        + b"".join(f"{i};ticket number {i};{TWO[i % 2]}\r\n".encode() for i in range(20))
    )
    hint = "(its column names hold ';': if it is ';'-separated, pass --delimiter ';')"
    assert refusal(excel).endswith(hint)
    with pytest.raises(DataError) as refused:
        from_file(excel)
    assert str(refused.value).endswith(hint)
    assert len(load(excel, delimiter=";").splits["train"]) == 18  # as the hint says
    # And a comma-separated file read at ';' (found in a user's trial: no hint at all).
    commas = tmp_path / "commas.csv"
    commas.write_text(lines("id,text,label", *(f"{i},ticket number {i},{TWO[i % 2]}" for i in range(20))))
    with pytest.raises(DataError) as refused:
        from_file(commas, delimiter=";")
    assert str(refused.value).endswith(
        "(its one column's name holds ',': if it is comma-separated, leave --delimiter out)"
    )
    # A quoted name with a comma in it, read at commas, is no such header: no hint.
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(lines('"comments, raw"', *(f"ticket number {i}" for i in range(20))))
    assert refusal(quoted).endswith("has columns 'comments, raw'")  # training finds no label column


def test_a_csv_without_a_header_line_gets_a_hint_in_train_and_predict(tmp_path):
    """Its first row becomes the column names; the error listed them with no word on why."""
    from attncli.record_sources import from_file

    headless = tmp_path / "headless.csv"
    headless.write_text(
        lines(*(f"the match ended in a draw after extra time number {i},{TWO[i % 2]}" for i in range(20))),
        encoding="utf-8",
    )
    hint = (
        "('the match ended in a draw after extra...' reads as a text, not a column name: if the file has "
        "no header line, add one naming its columns, such as text and label, as its first line)"
    )
    assert refusal(headless).endswith(hint)
    with pytest.raises(DataError) as refused:
        from_file(headless)
    assert str(refused.value).endswith(hint)
    # Column names that read as names get no hint, however unusual, nor do files without header lines.
    named = tmp_path / "named.csv"
    named.write_text(
        lines("Customer Feedback,customer_comment_as_typed_by_user", *ab_rows()), encoding="utf-8"
    )
    assert "header line" not in refusal(named)
    keyed = tmp_path / "keyed.jsonl"
    write_jsonl(keyed, [{"the comment as the customer typed it in": "soup", "outcome": "food"}] * 4)
    assert "has columns" in refusal(keyed) and "header line" not in refusal(keyed)
    # A form's question heads its answers (a survey export): the hint names the option as well.
    form = tmp_path / "form.csv"
    question = "What is the ONE thing we could improve?"
    form.write_text(
        lines(f"Timestamp,{question},Category", *(f"2024-01-0{i},{row}" for i, row in enumerate(ab_rows())))
    )
    assert refusal(form).endswith(
        f"('{question}' reads as a text, not a column name: if it is the name of the column of texts, as "
        f"a form's question heads its answers, pass --text-column '{question}'; if the file has no header "
        "line, add one naming its columns, such as text and label, as its first line)"
    )
    assert every_text(load(form, text_column=question)) == sorted(row.split(",")[0] for row in ab_rows())


def _refused_by_train_and_predict(path: Path, expected: str) -> None:
    from attncli.record_sources import from_file

    assert refusal(path) == expected
    with pytest.raises(DataError) as refused:
        from_file(path)
    assert str(refused.value) == expected


def _refused_as_carriage_return_ended(path):
    """Train and predict both refuse `path` as a csv whose lines end with a carriage return alone,
    with the tr command that mends it."""
    _refused_by_train_and_predict(
        path,
        f'{path} ends its lines with a carriage return alone (as Excel for Mac\'s "CSV (Macintosh)" writes '
        f"them); convert them to line feeds first, for example with tr '\\r' '\\n' < {path} > mac-lf.csv",
    )


def test_a_csv_with_carriage_returns_alone_for_line_ends_is_refused_in_train_and_predict(tmp_path):
    """Excel for Mac's "CSV (Macintosh)": train and eval stopped on the csv module's own words
    ("new-line character seen in unquoted field - do you need to open the file in universal-newline
    mode?") with exit 1."""
    from attncli.record_sources import from_file

    path = tmp_path / "mac.csv"
    path.write_bytes(b"text,label\r" + b"".join(b"row %d,%s\r" % (i, TWO[i % 2].encode()) for i in range(20)))
    _refused_as_carriage_return_ended(path)
    # tr works on bytes, and in UTF-16 would turn č (U+010D) into Ċ (U+010A): through utf-8 first,
    # with the encoding's name as iconv knows it (utf-16-le failed to start, and left an empty file).
    for encoding, written, iconv in (("utf-16", "utf-16", "utf-16"), ("utf-16le", "utf-16-le", "utf-16le")):
        path.write_text("text,label\rčaj,a\rkava,b\r", encoding=written)
        with pytest.raises(DataError) as refused:
            from_file(path, encoding=encoding)
        assert str(refused.value).endswith(
            f"for example with iconv -f {iconv} -t utf-8 {path} | tr '\\r' '\\n' > mac-lf.csv, and read that "
            "without --encoding (it is utf-8)"
        )
    # In Mac Roman, as that export writes it: both told at once, where "line 1 is not valid utf-8"
    # (line 1 the whole file) advised cp1252, which read `café` as `cafŽ` (a Mac user's trial).
    spaced = tmp_path / "Sheet 1.csv"
    spaced.write_bytes("text,label\rcafé très bon,a\rlivraison déçue,b\r".encode("mac_roman"))
    expected = (
        f'{spaced} ends its lines with a carriage return alone (as Excel for Mac\'s "CSV (Macintosh)" writes '
        "them), and is not utf-8 (its bytes read as text in mac_roman, Western European, from a Mac); "
        f"convert both first, for example with iconv -f macintosh -t utf-8 '{spaced}' | tr '\\r' '\\n' > "
        "'Sheet 1-lf.csv', and read that without --encoding (it is utf-8)"
    )
    _refused_by_train_and_predict(spaced, expected)


def test_a_mac_csv_whose_cell_keeps_a_line_feed_is_refused_as_one_with_carriage_returns_alone(tmp_path):
    """Excel for Mac keeps a line break typed in a cell as a line feed, in quotes: that line feed hid
    the carriage-return line ends, and train and eval stopped on the csv module's words (exit 1)
    while predict said a carriage return stood in a cell not in quotes."""

    path = tmp_path / "mac.csv"
    rows = b"".join(b"%d,row %d,%s\r" % (i, i, TWO[i % 2].encode()) for i in range(20))
    path.write_bytes(b'id,text,label\r0,"love it\nreally",food\r' + rows)
    _refused_as_carriage_return_ended(path)
    # The advice works: the line feed stays a line break inside its quoted cell.
    path.write_bytes(path.read_bytes().replace(b"\r", b"\n"))
    assert "love it\nreally" in every_text(load(path))
    # Line feeds ending the lines, and a carriage return in a quoted cell or header name, are no such file.
    path.write_bytes(b'id,"text\rbody",label\r\n0,"love\rit",food\r\n' + rows.replace(b"\r", b"\r\n"))
    assert "love\rit" in every_text(load(path, text_column="text\rbody"))


def test_a_json_line_left_open_is_said_to_end_too_soon_not_to_fail_at_column_1(tmp_path):
    from attncli.record_sources import from_file

    path = write_jsonl(tmp_path / "open.jsonl", [{"text": "soup", "label": "food"}] * 3)
    path.write_text(path.read_text() + '{"text": "bread", "label": "food"\n', encoding="utf-8")
    expected = f"line 4 of {path} is not JSON: Expecting ',' delimiter at the end of the line"
    assert expected in refusal(path)
    with pytest.raises(DataError) as refused:
        list(from_file(path).chunks)
    assert str(refused.value).startswith(expected)
