from attncli.encodings import encoding_advice, stray_bytes_advice

RETYPE = (
    "the file mixes encodings (text pasted from another program can), so no --encoding reads it whole; "
    "retype that character and save the file as UTF-8"
)


def test_a_stray_byte_in_a_utf8_line_is_named_with_what_it_reads_as_in_cp1252():
    """A curly apostrophe pasted from Word into a UTF-8 csv (byte 0x92): the advice named cp1252, and
    --encoding cp1252 was then refused as UTF-8 (a spreadsheet user's trial)."""
    line = "T9,I\x00m happy 😍,praise\r\n".encode().replace(b"\x00", b"\x92")
    assert stray_bytes_advice(line, utf8_before=False) == (
        "byte 0x92 ('’' in cp1252) in 'T9,I\ufffdm happy 😍,praise', where the rest of the line is UTF-8: "
        + RETYPE
    )
    # A line of ASCII and the stray byte alone is told by the lines before it.
    assert stray_bytes_advice(b"I\x92m fine\n", utf8_before=False) is None
    assert stray_bytes_advice(b"I\x92m fine\n", utf8_before=True) == (
        "byte 0x92 ('’' in cp1252) in 'I\ufffdm fine', where the lines before it are UTF-8: " + RETYPE
    )
    # Several bytes, one undefined in cp1252, and a long line shown around the first.
    line = b"x" * 60 + b" \x93quoted\x94 \x81 " + "é".encode() + b"y" * 60
    assert stray_bytes_advice(line, utf8_before=False) is None  # more strays than UTF-8 characters
    told = stray_bytes_advice(line, utf8_before=True)
    assert told is not None and told.startswith(
        "bytes 0x81, 0x93 ('“' in cp1252), 0x94 ('”' in cp1252) in "
        "'xxxxxxxxxxxxxxxxxxxxxxx \ufffdquoted\ufffd \ufffd éyyyyyyyyyyyy', "
        "where the lines before it are UTF-8"
    )
    assert told.endswith("retype those characters and save the file as UTF-8")


def test_a_file_in_another_encoding_is_still_told_the_encodings_it_reads_in():
    """A cp1252 file's first line with an accent gives no sign of UTF-8: the encodings are guessed,
    as before."""
    assert encoding_advice("café “ok”\n".encode("cp1252"), "utf-8") == (
        "pass --encoding with the file's encoding: its bytes read as text in cp1252 (Western European) or "
        "cp1250 (Central European)"
    )
    assert encoding_advice(b"I\x92m fine\n", "utf-8", utf8_before=True).startswith("byte 0x92")
    # Chinese in GBK has bytes that happen to form UTF-8 characters, among many that do not.
    line = "cheese. 中文的测试句子,food\n".encode("gbk")
    assert [c for c in line.decode("utf-8", "replace") if c > "\x7f" and c != "\ufffd"] == ["ĵ", "Ĳ", "Ծ"]
    assert encoding_advice(line, "utf-8").startswith(
        "pass --encoding with the file's encoding: its bytes read"
    )
    # Another encoding than UTF-8 is never told of stray bytes.
    assert encoding_advice(b"\x81\xff\n", "cp1252", utf8_before=True).startswith("pass --encoding")


def test_a_row_wholly_in_another_encoding_after_utf8_rows_is_told_as_a_mixed_file(tmp_path):
    """Rows of a GBK export pasted into a UTF-8 csv were advised gb18030, which was then refused as
    UTF-8, whose refusal advised an encoding again: a circle (a trial). The row is named as reading
    in gb18030 in a file that mixes encodings; a GBK file whose lines before are not UTF-8 is still
    advised gb18030."""
    row = "R201,收到货了，手感感觉没得说，发货一般，包装很好,好评\n".encode("gbk")
    assert stray_bytes_advice(row, utf8_before=True) == (
        "it reads as gb18030 (Chinese), where the lines before it are UTF-8: the file mixes encodings "
        "(rows pasted from another export can), so no --encoding reads it whole; convert those rows to "
        "UTF-8 (or export them again as UTF-8) and save the file as UTF-8"
    )
    assert stray_bytes_advice(row, utf8_before=False) is None
    from conftest import save_untrained_checkpoint
    from typer.testing import CliRunner

    from attncli.cli import app

    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("id,text\nR1,质量很好，物流很快\n".encode() + row.replace(b",\xba\xc3\xc6\xc0", b""))
    said = CliRunner().invoke(app, ["predict", str(checkpoint), "-f", str(mixed), "--json"])
    assert (
        said.exit_code == 2
        and "it reads as gb18030 (Chinese), where the lines before it are UTF-8" in said.stderr
    )
