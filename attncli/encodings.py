"""Which encoding a local file is in, and whether it is the one named: byte-order marks, UTF-16/32
without one, UTF-8 read as an 8-bit codec, the names Windows gives codecs; and UTF-16/32 read as a
stream of UTF-8, so lines are found at the byte 0x0A. Plain Python."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from attncli.encoding_guess import garbled_reading_warning, likely_encodings_text
from attncli.errors import DataError

# The first bytes of each compressed format, for a compressed file whose name does not say so.
# bzip2's carry the block size (1 to 9) and then a block's magic, or the end-of-stream one when
# the file holds nothing.
COMPRESSED_MAGIC = {
    re.compile(rb"\x1f\x8b"): ("gzip", "gunzip -c"),
    re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)"): ("bzip2", "bunzip2 -c"),
    re.compile(rb"\xfd7zXZ\x00"): ("xz", "unxz -c"),
    re.compile(rb"\x28\xb5\x2f\xfd"): ("zstd", "unzstd -c"),
    re.compile(rb"PK\x03\x04"): ("zip", "unzip -p"),
}
# Data files that are binary, with no text encoding and no lines: parquet, and Arrow's IPC files
# (`datasets`' .arrow, and the .feather that R's and pandas' write_feather write).
BINARY_SUFFIXES = (".parquet", ".arrow", ".feather")
# Office Open XML files (.xlsx, .docx) are zip archives whose first entry is this one.
OFFICE_ZIP = re.compile(rb"PK\x03\x04[\x00-\xff]{26}\[Content_Types\]\.xml")
OFFICE_UNDER_ANOTHER_NAME = "an Office document (such as an Excel workbook) under another name"
SAVE_AS_CSV = "save it as CSV (UTF-8) and pass that"
# The first bytes of other files that are not text, and what to do with each: whole signatures, so
# that a text that happens to begin "PAR1" or "%PDF" is still a text.
BINARY_MAGIC = {
    re.compile(rb"ARROW1\x00\x00|\xff\xff\xff\xff[\x00-\xff]{4}\x10\x00\x00\x00"): (
        "an Arrow file",
        "pass it as a file named with the suffix .arrow, or pass the folder save_to_disk wrote",
    ),
    re.compile(rb"PAR1[\x00-\xff]*\x00"): (
        "a parquet file",
        "pass it as a file named with the suffix .parquet",
    ),
    re.compile(rb"%PDF-\d\.\d"): ("a PDF", "export its texts to a text or csv file"),
    # TextEdit's and WordPad's own format, text among its markup ({\rtf1\ansi ... \f0\fs24 answer\):
    # a trial's answers.rtf was labelled line by line, and trained a vocabulary of rtf1 and helvetica.
    re.compile(rb"\{\\rtf1\\"): (
        "an RTF document (rich text, as TextEdit and WordPad save it)",
        "save it as plain text (TextEdit: Format > Make Plain Text; WordPad: Save as Plain text document) "
        "and pass that",
    ),
    re.compile(rb"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"): ("an old Office document (.xls, .doc)", SAVE_AS_CSV),
}
# Zero bytes that text in an 8-bit encoding or UTF-8 never holds, and binary data does; other control
# bytes are text's own (a Hive table's \x01 delimiter, ISO-2022's shifts).
BINARY_ZEROS = 4


def not_text(head: bytes) -> str | None:
    """What bytes starting with `head` are where they are plainly not text in an 8-bit encoding or
    UTF-8 (compressed, a known binary format, or zero bytes), with what to do; None where they may
    be text."""
    if OFFICE_ZIP.match(head):
        return f"{OFFICE_UNDER_ANOTHER_NAME}, not text; {SAVE_AS_CSV}"
    for magic, (kind, decompress) in COMPRESSED_MAGIC.items():
        if magic.match(head):
            return f"{kind}-compressed; decompress it first (run {decompress} on it, or pipe it through that)"
    for magic, (kind, remedy) in BINARY_MAGIC.items():
        if magic.match(head):
            return f"{kind}, not plain text; {remedy}"
    zeros = head.count(0)
    if zeros >= BINARY_ZEROS:
        return (
            f"not text in an 8-bit encoding or UTF-8 (its first {len(head):,} bytes hold {zeros:,} zero "
            "bytes): binary data, or UTF-16 without a byte-order mark; pass --encoding utf-16le (or "
            "utf-16be) if it is UTF-16, else a text, csv/tsv, json/jsonl, parquet or arrow file"
        )
    return None


# Byte-order marks of the encodings whose newline is not the byte 0x0A, longest first (UTF-32's
# little-endian mark begins with UTF-16's).
WIDE_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# Bytes read to tell UTF-16 without a byte-order mark: in its Latin-script text every other byte is zero.
WIDE_SAMPLE_BYTES = 4096


def wide_encoding(head: bytes) -> tuple[str, str] | None:
    """(encoding, what shows it) when bytes starting with `head` are UTF-16/32 text: by its byte-order
    mark, or, without one, by zero bytes in most even or most odd places and almost none in the
    others (what Latin-script UTF-16 looks like, and no 8-bit text)."""
    for mark, name in WIDE_MARKS:
        if head.startswith(mark):
            return name, f"it starts with a {name.upper()} byte-order mark"
    sample = head[:WIDE_SAMPLE_BYTES]
    if len(sample) < 8:
        return None
    # UTF-32's characters are four bytes, the highest always zero and the next zero for every
    # character but emoji and rarer ones; its lowest byte is the character's own. Told before UTF-16,
    # whose Latin-script text it would otherwise pass for (every other byte zero).
    # An array of small 32-bit integers (token ids, numpy's int32) looks the same; text has a space
    # or a line end among its first thousand characters, and such numbers almost never do.
    zero_shares = [sample[place::4].count(0) / len(sample[place::4]) for place in range(4)]
    orders: tuple[tuple[tuple[int, int], int, str, Literal["little", "big"]], ...] = (
        ((2, 3), 0, "utf-32le", "little"),
        ((1, 0), 3, "utf-32be", "big"),
    )
    for high, low, name, order in orders:
        if all(zero_shares[place] >= 0.9 for place in high) and zero_shares[low] <= 0.1:
            units = {int.from_bytes(sample[at : at + 4], order) for at in range(0, len(sample) - 3, 4)}
            if units & {0x0A, 0x20, 0x3000}:  # a line end, a space, an ideographic space
                return name, "it has no byte-order mark, but each character is four bytes, the high ones zero"
    even, odd = sample[0::2].count(0) / len(sample[0::2]), sample[1::2].count(0) / len(sample[1::2])
    for zeros, others, name in ((odd, even, "utf-16le"), (even, odd, "utf-16be")):
        if zeros >= 0.4 and others <= 0.05:
            return name, "it has no byte-order mark, but every other byte is zero"
    return None


# What Windows tools call encodings that Python knows by other names: PowerShell's -Encoding values
# and Notepad's "ANSI".
WINDOWS_NAMES = {
    "unicode": "utf-16", "bigendianunicode": "utf-16be", "ansi": "cp1252", "default": "cp1252",
    "oem": "cp437", "ucs-2": "utf-16", "ucs2": "utf-16", "utf8bom": "utf-8-sig", "utf8nobom": "utf-8",
}  # fmt: skip


def unknown_encoding_advice(encoding: str) -> str:
    """What to pass instead of an encoding name Python does not know: its Python name where Windows
    tools call it so (PowerShell's Unicode is utf-16), else the usual ones."""
    python_name = WINDOWS_NAMES.get(encoding.strip().lower().replace(" ", ""))
    if python_name is not None:
        return f"what Windows calls {encoding} is {python_name}: pass --encoding {python_name}"
    return "pass --encoding with a Python codec name such as utf-8, utf-16, latin-1 or cp1252"


# Refusals' advice for UTF-8 read as another encoding. Where that encoding came from a config file
# or a run rather than --encoding, leaving --encoding out keeps it: `utf8_advice_instead`.
LEAVE_OUT = "leave --encoding out (utf-8 is the default)"
LEAVE_OUT_FOR_UTF8 = "leave --encoding out for utf-8"


def utf8_advice_instead(refusal: str, origin: str) -> str | None:
    """`refusal` with its advice to leave --encoding out as `pass --encoding utf-8 (ORIGIN)`, where
    the encoding it was read in came from `origin` (a config file, the run), not --encoding; None
    where it gives no such advice."""
    if LEAVE_OUT not in refusal and LEAVE_OUT_FOR_UTF8 not in refusal:
        return None
    instead = f"pass --encoding utf-8 ({origin})"
    return refusal.replace(LEAVE_OUT, instead).replace(LEAVE_OUT_FOR_UTF8, instead)


def is_utf8(encoding: str) -> bool:
    """Whether `encoding` (a known codec) is UTF-8, in any spelling, utf-8-sig included."""
    return codecs.lookup(encoding).name.startswith("utf-8")


def require_utf8_read_as_utf8(head: bytes, encoding: str, *, source: str) -> None:
    """Refuse bytes starting with `head` that open with UTF-8's byte-order mark (Excel's "CSV
    UTF-8") but are to be read as another encoding: cp1252 made the mark 'ï»¿' (in the first
    column's name) and every accent two letters ('CafÃ©'), without a word."""
    if head.startswith(codecs.BOM_UTF8) and not is_utf8(encoding):
        raise DataError(
            f"{source} starts with a UTF-8 byte-order mark, so it is UTF-8, not {encoding}; {LEAVE_OUT}"
        )


def require_narrow_encoding(path: Path, encoding: str) -> None:
    """Refuse a UTF-16/32 file (as Windows tools often save text) read as another encoding: its
    every other byte is zero, which no 8-bit encoding reads as the text; a file marked as UTF-8
    read as another; and a file read as UTF-16/32 that its bytes show is not, or not in that byte
    order."""
    with path.open("rb") as file:
        head = file.read(WIDE_SAMPLE_BYTES)
    require_narrow_head(head, path, encoding)


def require_narrow_head(held: bytes, path: Path, encoding: str) -> None:
    """`require_narrow_encoding`'s check of `path`, made on bytes of it read already (its first
    WIDE_SAMPLE_BYTES are looked at)."""
    convert = f"convert it with iconv -f {{codec}} -t utf-8 {path} > {path.stem}-utf8{path.suffix}"
    require_encoding_fits(held[:WIDE_SAMPLE_BYTES], encoding, source=str(path), convert=convert)


# Python's names of the encodings that read the bytes 0x80-0x9F as invisible C1 control characters,
# where Windows' cp1252, which Excel's "CSV" and Notepad's "ANSI" save, has € ‘ ’ “ ” – — in them.
C1_CONTROL_CODECS = frozenset({"iso8859-1", "iso8859-15"})
# How much of a file is looked through for those bytes: where a cp1252 file read so has its first
# curly quote or euro sign later than this, it is not told.
C1_SAMPLE_BYTES = 4 << 20


def cp1252_read_as_latin1_warning(path: Path, encoding: str) -> str | None:
    """A warning for a file read as latin-1 (ISO 8859-1 or -15) that holds the bytes 0x80-0x9F, which
    those read as invisible control characters, where it reads as cp1252: such a file is cp1252, and
    read as latin-1 its curly quotes and euro signs became controls, silently (a spreadsheet user's
    trial: `€12` gone from the vocabulary, control characters in predict's output file). A warning,
    not a refusal: a run trained so reads its data so for eval and --resume, whose validation rows
    are found again by their texts. None for a file holding one of the five bytes cp1252 leaves
    undefined, or none of those bytes."""
    if codecs.lookup(encoding).name not in C1_CONTROL_CODECS:
        return None
    with path.open("rb") as file:
        sample = file.read(C1_SAMPLE_BYTES)
    found = re.search(rb"[\x80-\x9f]", sample)
    if found is None:
        return None
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return None
    line = sample.count(b"\n", 0, found.start()) + 1
    byte = sample[found.start()]
    shown = bytes([byte]).decode("cp1252")
    return (
        f"warning: line {line} of {path} holds the byte 0x{byte:02X}, which {encoding} reads "
        f"as an invisible control character and Windows' cp1252 as {shown!r}: the file is surely cp1252 (as "
        'Excel\'s "CSV" saves it); pass --encoding cp1252 to read its quotes, dashes and euro signs (a '
        "run trained on it so goes on reading it so: train it again with --encoding cp1252)"
    )


def misread_warning(path: Path, encoding: str) -> str | None:
    """The warning for a file read in an encoding it was not written in, though it decodes: cp1252
    read as latin-1, or a legacy export decoded to garbage or to another script's letters. What
    train, eval, predict and inspect all say of a file they read."""
    return cp1252_read_as_latin1_warning(path, encoding) or garbled_reading_warning(path, encoding)


def marked_encoding(path: Path, encoding: str) -> str:
    """The encoding to read `path` in: UTF-16 or UTF-32 where it opens with that byte-order mark and
    UTF-8 (the default) is asked for, since the mark says so as surely as UTF-8's own mark, which is
    read without being asked (Excel's "Unicode Text" and PowerShell's `>` save such files: every
    command needed --encoding utf-16); else `encoding`. Not for binary files or pipes."""
    if not is_utf8(encoding) or path.suffix.lower() in BINARY_SUFFIXES or not path.is_file():
        return encoding
    try:
        with path.open("rb") as file:
            head = file.read(4)
    except OSError:
        return encoding  # the reader says why
    return encoding_marked_by(head, encoding)


def encoding_marked_by(head: bytes, encoding: str) -> str:
    """UTF-16 or UTF-32 where bytes starting with `head` open with that byte-order mark and UTF-8 is
    asked for; else `encoding`."""
    found = _byte_order(head) if is_utf8(encoding) else None
    if found is None or not found[2]:  # no mark: UTF-16 without one still needs its byte order named
        return encoding
    return found[1]  # utf-16 or utf-32: the codec that reads the mark and drops it


def marked_encoding_note(path: Path, encoding: str, used: str) -> str | None:
    """The note saying `path` is read in `used`, which its byte-order mark chose over `encoding`."""
    if used == encoding:
        return None
    return f"{path.name} opens with a {used.upper()} byte-order mark, so it is read as {used}"


# Python's names of the UTF-16 and UTF-32 codecs, the wide encodings attn reads: without a byte
# order (a byte-order mark tells it), and with one.
WIDE_CODECS = frozenset(f"utf-{bits}{order}" for bits in (16, 32) for order in ("", "-le", "-be"))


def is_wide(encoding: str) -> bool:
    """Whether `encoding` (a known codec) is UTF-16 or UTF-32, in any byte order."""
    return codecs.lookup(encoding).name in WIDE_CODECS


class UndecodableLine(Exception):
    """Bytes of a UTF-16/32 stream that are not in its encoding, on `line` (from 1)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def wide_as_utf8(chunks: Iterable[bytes], *, encoding: str) -> Iterator[bytes]:
    """`chunks` of UTF-16/32 text re-encoded as UTF-8, chunk by chunk as they come; lines are then
    found at the byte 0x0A, which these encodings' line ends are not. Bytes not in the encoding raise
    UndecodableLine after the text before them is handed on; UTF-16/32 without a byte-order mark, read
    as the encoding that needs one, raises UnicodeError."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    for chunk, final in _with_last(chunks):
        state = decoder.getstate()
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            # The error's bytes are what the decoder held over from the chunk before, then this one:
            # what precedes the error decodes cleanly from the state it started the chunk in.
            before = codecs.getincrementaldecoder(encoding)(errors="replace")
            before.setstate((b"", state[1]))
            text = before.decode(error.object[: error.start])
            yield text.encode("utf-8")
            raise UndecodableLine(lines_before + text.count("\n") + 1, error.reason) from None
        lines_before += text.count("\n")
        yield text.encode("utf-8")


def _with_last(chunks: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Each chunk with whether it is the last; an empty last one after them all."""
    yield from ((chunk, False) for chunk in chunks)
    yield b"", True


def marked_codec(head: bytes) -> str | None:
    """The UTF-16/32 codec, with its byte order ("utf-16-le"), that the byte-order mark opening
    `head` names; None without such a mark."""
    found = _byte_order(head)
    return found[0] if found is not None and found[2] else None


def _byte_order(head: bytes) -> tuple[str, str, bool] | None:
    """(codec with its byte order, as --encoding names it, whether a byte-order mark says so) of
    bytes starting with `head` that are UTF-16/32 text, where they show which."""
    for mark, codec in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(mark):
            return codec, codec[:6], True
    wide = wide_encoding(head)
    if wide is None:
        return None
    return wide[0][:6] + "-" + wide[0][6:], wide[0], False


def reads_as_utf8(head: bytes) -> bool:
    """Whether `head` is UTF-8 text (a character cut at its end waits in the decoder)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return False
    return True


def encoding_advice(line: bytes, encoding: str, *, utf8_before: bool = False) -> str:
    """What to pass for a line that is not valid `encoding`: utf-8 where it is UTF-8 (the advice
    named cp1252 to a user who had passed cp1252 for a UTF-8 file), what to retype where a UTF-8 file
    holds a few bytes of another encoding (`utf8_before`: the lines before it hold UTF-8 characters),
    else the encodings it reads in."""
    if not is_utf8(encoding) and reads_as_utf8(line):
        return f"it is valid UTF-8: {LEAVE_OUT}"
    stray = stray_bytes_advice(line, utf8_before=utf8_before) if is_utf8(encoding) else None
    if stray is not None:
        return stray
    return "pass --encoding with the file's encoding" + likely_encodings_text(line, besides=encoding)


# Characters of a line shown around its first stray byte.
STRAY_CONTEXT = 24
# Bytes of a line that are not UTF-8, at most, for it to be told as a UTF-8 line holding a few
# characters of another encoding.
MOST_STRAY_BYTES = 8


def _replacing_strays(data: bytes) -> str:
    """`data` as UTF-8, each byte that is not UTF-8 a U+FFFD; a character cut at the end is left out."""
    return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data)


def mostly_utf8(data: bytes) -> bool:
    """Whether bytes hold UTF-8 characters above 0x7F and no more bytes that are not UTF-8 than such
    characters (a character cut at the end waits in the decoder): a UTF-8 file with a few pasted
    bytes of another encoding. Text in an 8-bit encoding or in GBK has few such characters, all by
    chance, among many bytes that are not UTF-8."""
    text = _replacing_strays(data)
    strays = text.count("\ufffd")
    utf8_characters = sum(ord(character) > 0x7F for character in text) - strays
    return utf8_characters > 0 and strays <= utf8_characters


def stray_bytes_advice(line: bytes, *, utf8_before: bool, utf8_after: bool = False) -> str | None:
    """For a line that is not valid UTF-8 in a file that otherwise is (the line's other characters
    above 0x7F are UTF-8, or `utf8_before`: the lines before it hold UTF-8 characters): the bytes
    that are not, read as cp1252, and what to retype. A curly apostrophe pasted from Word into a
    UTF-8 csv (byte 0x92) was told to be cp1252, and `--encoding cp1252` was then refused as UTF-8:
    no way forward (a spreadsheet user's trial). `utf8_after`: the lines after it show UTF-8 where
    nothing before it does. None where the line gives no sign of UTF-8."""
    strays, start = [], 0
    while True:
        try:
            line[start:].decode("utf-8")
            break
        except UnicodeDecodeError as error:
            strays.append(start + error.start)
            start += error.start + 1
    text = line.decode("utf-8", errors="replace").rstrip("\r\n")
    # Text in another multi-byte encoding (GBK) has bytes that happen to form UTF-8 characters
    # here and there, among many that do not: a few stray bytes, beside more UTF-8 characters (or
    # after lines of them), are what a pasted character leaves.
    utf8_characters = sum(ord(character) > 0x7F and character != "\ufffd" for character in text)
    elsewhere_utf8 = utf8_before or utf8_after
    if not strays or not (elsewhere_utf8 or utf8_characters >= len(strays)):
        return None
    if len(strays) > MOST_STRAY_BYTES:
        return _pasted_row_advice(line) if utf8_before else None
    named = sorted({line[position] for position in strays})
    shown = ", ".join(
        f"0x{byte:02X}" + (f" ({bytes([byte]).decode('cp1252')!r} in cp1252)" if _cp1252(byte) else "")
        for byte in named[:3]
    ) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
    where = len(line[: strays[0]].decode("utf-8", errors="replace"))
    excerpt = text[max(0, where - STRAY_CONTEXT) : where + STRAY_CONTEXT]
    elsewhere = "the rest of the line is"
    if elsewhere_utf8:
        elsewhere = f"the lines {'before' if utf8_before else 'after'} it are"
    characters = "that character" if len(strays) == 1 else "those characters"
    return (
        f"{'byte' if len(named) == 1 else 'bytes'} {shown} in {excerpt!r}, where {elsewhere} "
        f"UTF-8: the file mixes encodings (text pasted from another "
        f"program can), so no --encoding reads it whole; retype {characters} and save the file as UTF-8"
    )


def _pasted_row_advice(line: bytes) -> str | None:
    """For a line wholly in another encoding after lines of UTF-8 (rows of a GBK export pasted into a
    UTF-8 csv): the encoding it reads in, and that the file mixes them. A trial's such file was
    advised gb18030, which was then refused as UTF-8, whose refusal advised an encoding again: a
    circle. None where the line reads as no likely encoding."""
    from attncli.encoding_guess import likely_encodings

    found = likely_encodings(line, besides="utf-8")
    if not found:
        return None
    codec, language = found[0]
    return (
        f"it reads as {codec} ({language}), where the lines before it are UTF-8: the file mixes encodings "
        "(rows pasted from another export can), so no --encoding reads it whole; convert those rows to "
        "UTF-8 (or export them again as UTF-8) and save the file as UTF-8"
    )


def _mixed_head_refusal(head: bytes, source: str, encoding: str) -> str:
    """The refusal of a file read in an 8-bit encoding whose first bytes are UTF-8 but for a few: the
    line of the first that is not, and what to retype."""
    text = _replacing_strays(head)
    before = text[: text.index("\ufffd")]
    line = before.count("\n")  # lines before the first byte that is not UTF-8
    held = head.split(b"\n")[line]
    # The UTF-8 characters that show it are on the lines before that one, or after it.
    lines_before = before[: len(before) - len(before.split("\n")[-1])]
    utf8_before = any(ord(character) > 0x7F for character in lines_before)
    advice = stray_bytes_advice(held, utf8_before=utf8_before, utf8_after=not utf8_before)
    advice = advice or f"retype it, and {LEAVE_OUT}"
    return f"{source} is UTF-8 apart from line {line + 1}, not {encoding}: {advice}"


def _cp1252(byte: int) -> bool:
    try:
        bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def require_encoding_fits(head: bytes, encoding: str, *, source: str, convert: str) -> None:
    """Refuse bytes starting with `head` whose first bytes show they are not in `encoding`: UTF-8
    with its byte-order mark, or without one, read as another encoding; UTF-16/32 read as an 8-bit
    encoding (every other byte zero), or in the wrong byte order; text read as UTF-16/32 that is not.
    Each read as told gave garbage texts, and exit 0. `convert`: how to convert the input to UTF-8,
    with {codec} for the encoding it is in."""
    require_utf8_read_as_utf8(head, encoding, source=source)
    name = codecs.lookup(encoding).name
    if name not in WIDE_CODECS:
        if not is_utf8(name) and not head.isascii():
            # Notepad's UTF-8 has no mark; read as cp1252 or latin-1, 'café' became 'cafÃ©'. Text in
            # an 8-bit or East Asian encoding is all but never valid UTF-8 once it has a byte above 0x7F.
            # Only the head is read, and a few bytes of another encoding may be in it (a pasted
            # character): a line may still not be UTF-8, and the error on reading it says which.
            if reads_as_utf8(head):
                first = next(char for char in head.decode("utf-8", "ignore") if ord(char) > 0x7F)
                raise DataError(
                    f"{source} is UTF-8 (bytes above 0x7F among its first form UTF-8 characters, such as "
                    f"{first!r}), not {encoding}; {LEAVE_OUT}, and where a line is then said not to be "
                    "UTF-8, retype the character named"
                )
            if mostly_utf8(head):
                raise DataError(_mixed_head_refusal(head, source, encoding))
        wide = wide_encoding(head)
        if wide is not None:
            codec, shows = wide
            raise DataError(
                f"{source} is {codec.upper()} ({shows}); pass --encoding {codec}, or "
                + convert.replace("{codec}", codec)  # not format(): a path may hold braces
            )
        binary = not_text(head)
        if binary is not None:  # its bytes above 0x7F, 'not valid utf-8', advised latin-1: garbage, exit 0
            raise DataError(f"{source} is {binary}")
        return
    found = _byte_order(head)
    if found is None:
        # Every line end of UTF-16/32 text holds a zero byte, and 8-bit and UTF-8 text holds none. A
        # 0x0A byte alone proves nothing ("上海" in UTF-16LE is 0a 4e 77 6d); two of them, past a few
        # characters, with no zero byte, are lines of another encoding.
        if len(head) >= 64 and head.count(b"\n") >= 2 and b"\x00" not in head:
            raise DataError(
                f"{source} is not {encoding} (it has line ends but no zero bytes, which UTF-16 and UTF-32 "
                f"line ends hold); {LEAVE_OUT_FOR_UTF8}, or pass the encoding it is in (such as "
                "cp1252)"
            )
        return
    codec, option, marked = found
    if name == codec or (marked and name == codec[:6]):
        return
    written = codec.replace("-le", "le").replace("-be", "be").upper()  # UTF-16LE
    wide = wide_encoding(head)
    if name == codec[:6] and wide is not None:  # utf-16 or utf-32, which need a mark to tell the byte order
        shows = wide[1]
    elif marked:
        shows = f"it starts with a {written} byte-order mark"
    else:
        shows = f"its zero bytes are where {written} has them"
    raise DataError(f"{source} is {option.upper()} ({shows}), not {encoding}; pass --encoding {option}")


def decodes(path: Path, encoding: str) -> bool:
    """Whether the whole of `path` is valid `encoding`, read in large chunks (C speed)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as file:
            while chunk := file.read(1 << 22):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeError:  # a bad byte, or UTF-16 without the mark its codec needs
        return False
    return True


def first_undecodable_line(path: Path, encoding: str) -> int | None:
    """The 1-based number of the first line of `path` that is not valid `encoding`, if any."""
    with path.open("rb") as file:
        if is_wide(encoding):  # its lines do not end at the byte 0x0A: decoded as a stream
            try:
                for _ in wide_as_utf8(iter(lambda: file.read(1 << 16), b""), encoding=encoding):
                    pass
            except UndecodableLine as error:
                return error.line
            except UnicodeError:  # no byte-order mark: nothing reads, from the first line
                return 1
            return None
        for number, line in enumerate(file, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return number
    return None


def trained_encoding_hint(trained_encoding: str, refusal: str) -> str | None:
    """Where a file read as UTF-8 (no --encoding given) is not, and the model's training data was
    read in another encoding: that encoding, which the same system's exports are likely in."""
    if is_utf8(trained_encoding) or "is not valid utf-8" not in refusal:
        return None
    return f"; the model's training data was read as {trained_encoding} (--encoding {trained_encoding})"
