"""Local data files as people save them, refused before they are read where attn cannot read them as
they stand: compressed, an Office document, UTF-16/32 read as another encoding. Also the byte-order
mark and the header gulp every reader of a csv or JSON file shares."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from attncli.encodings import (
    BINARY_SUFFIXES,
    COMPRESSED_MAGIC,
    OFFICE_UNDER_ANOTHER_NAME,
    OFFICE_ZIP,
    SAVE_AS_CSV,
    require_narrow_encoding,
    require_narrow_head,
)
from attncli.errors import DataError
from attncli.lfs_pointers import require_no_lfs_pointer, require_no_lfs_pointer_file

# The header line is read in one gulp of at most this much: a file that is one huge line costs no more.
HEADER_BYTES = 1 << 16
BOM = "\ufeff"


# Compressed files are not read: the command that gives the file attn reads, by suffix.
DECOMPRESS = {".gz": "gunzip -k", ".bz2": "bunzip2 -k", ".xz": "unxz -k", ".zst": "unzstd", ".zip": "unzip"}


# Office files, which are zip archives (or, the old ones, binary): saved as CSV, they are data.
OFFICE_FILES = {
    ".xlsx": "an Excel workbook", ".xlsm": "an Excel workbook", ".xls": "an Excel workbook",
    ".ods": "a spreadsheet", ".numbers": "a Numbers spreadsheet", ".docx": "a Word document",
}  # fmt: skip
# Statistics programs' own files (R's saveRDS and save, Stata's, SPSS's, SAS's): a gzip-compressed
# .rds was told to be decompressed, and the result was "binary data, or UTF-16" (an R user's trial).
STATISTICS_FILES = {
    ".rds": "an R data file (saveRDS)", ".rda": "an R data file (save)", ".rdata": "an R data file (save)",
    ".dta": "a Stata data file", ".sav": "an SPSS data file", ".sas7bdat": "a SAS data file",
}  # fmt: skip
EXPORT_FROM_STATISTICS = (
    "export the table as csv or parquet (in R: write.csv(df, 'data.csv', row.names = FALSE), or "
    "arrow::write_parquet(df, 'data.parquet')) and pass that"
)


def require_uncompressed(path: Path) -> None:
    """Refuse a compressed file (train.csv.gz) by name, or by its first bytes where the name does
    not say so (a gzip file named data.csv read as text was 'not valid utf-8; pass --encoding'),
    before its bytes are taken for text."""
    _require_uncompressed_name(path)
    if not path.is_file():
        return  # a pipe is read once
    if path.suffix.lower() in BINARY_SUFFIXES:
        require_no_lfs_pointer_file(path)  # parquet's own pages may be compressed
        return
    with path.open("rb") as file:
        head = file.read(MBOX_SEPARATOR_BYTES)  # an mbox's first line whole: a sender may be long
    _require_uncompressed_head(path, head)


# The first bytes of a file that say whether it is compressed or an Office document.
MAGIC_BYTES = 64


def _require_uncompressed_name(path: Path) -> None:
    office = OFFICE_FILES.get(path.suffix.lower())
    if office is not None:  # zip archives inside: 'run unzip -p' gave XML, not rows
        raise DataError(f"{path} is {office}, not a data file attn reads; {SAVE_AS_CSV}")
    statistics = STATISTICS_FILES.get(path.suffix.lower())
    if statistics is not None:
        raise DataError(f"{path} is {statistics}, not a data file attn reads; {EXPORT_FROM_STATISTICS}")
    command = DECOMPRESS.get(path.suffix.lower())
    if command is None:
        return
    plain = path.with_suffix("")
    if plain.is_file():  # where `gunzip -k` would refuse to overwrite it
        raise DataError(
            f"{path} is compressed ({path.suffix}), and attn reads data files uncompressed; {plain.name} "
            f"beside it may be the same data uncompressed: pass {shlex.quote(str(plain))}"
        )
    raise DataError(
        f"{path} is compressed ({path.suffix}), and attn reads data files uncompressed; run "
        f"`{command} {shlex.quote(str(path))}` and pass the file it gives"
    )


# An mbox mailbox's separator line: `From sender Thu Nov 30 12:00:00 2023`.
MBOX_FROM_LINE = (
    rb"From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d"
)
MBOX_FIRST_LINE = re.compile(MBOX_FROM_LINE)
# The most bytes of a separator line the pattern reads: `\nFrom ` and a long sender and its date.
MBOX_SEPARATOR_BYTES = 512
MBOX_LATER_LINE = re.compile(rb"\n" + MBOX_FROM_LINE)
# The blocks a file opening as an mbox is read in, looking for its second message.
MBOX_BLOCK_BYTES = 1 << 20


def _is_mbox(path: Path, head: bytes) -> bool:
    """Whether a file opening with `head` is an mbox of several messages: one message whose first
    line is its `From ` line (SpamAssassin's corpus, mutt's saved mail) is a text (a review). Read
    on to its end where `head` is not all of it: a first message's attachment may be megabytes."""
    if not MBOX_FIRST_LINE.match(head):
        return False
    if MBOX_LATER_LINE.search(head):
        return True
    try:
        if path.stat().st_size <= len(head):
            return False  # all of it seen
        with path.open("rb") as file:
            carried = b""
            while block := file.read(MBOX_BLOCK_BYTES):
                if MBOX_LATER_LINE.search(carried + block):
                    return True
                carried = block[-MBOX_SEPARATOR_BYTES:]  # a line begun at the block's end
    except OSError:
        return False
    return False


def _require_uncompressed_head(path: Path, head: bytes) -> None:
    require_no_lfs_pointer(path, head)
    if _is_mbox(path, head):
        # Read one line a text, an inbox gave 725 results for 30 messages (a spam analyst's trial).
        split = (
            'import mailbox, os; os.makedirs("messages", exist_ok=True); '
            '[open(f"messages/{number}.eml", "wb").write(message.as_bytes()) '
            f"for number, message in enumerate(mailbox.mbox({json.dumps(str(path))}))]"
        )
        raise DataError(
            f"{path} is an mbox mailbox (messages one after another, each after a 'From ' line), not texts "
            f"attn reads as they stand; split it into a file a message, python3 -c {shlex.quote(split)}, "
            "and pass their folder (each file one text)"
        )
    if OFFICE_ZIP.match(head):  # a zip too, whose unzip gives XML, not rows
        raise DataError(f"{path} is {OFFICE_UNDER_ANOTHER_NAME}, not a data file attn reads; {SAVE_AS_CSV}")
    for magic, (kind, decompress) in COMPRESSED_MAGIC.items():
        if magic.match(head):
            raise DataError(
                f"{path} is {kind}-compressed, though its name does not say so, and attn reads data files "
                f"uncompressed; run `{decompress} {shlex.quote(str(path))} > "
                f"{shlex.quote(f'{path.stem}-plain{path.suffix}')}` and pass that file"
            )


def require_readable(path: Path, encoding: str) -> None:
    """Refuse, before reading it, a data file attn cannot read as it stands: a compressed one, or a
    UTF-16/32 one read as another encoding (parquet and Arrow files are binary: no text encoding)."""
    require_uncompressed(path)
    if path.suffix.lower() not in BINARY_SUFFIXES:
        require_narrow_encoding(path, encoding)


def require_readable_text(path: Path, held: bytes, encoding: str) -> None:
    """`require_readable`'s checks of a text file, made on its bytes read already: one opening of
    each file, not three (a folder of 50,000 reviews took 8.6 s to read, 5.3 s of it in the files'
    openings)."""
    _require_uncompressed_name(path)
    _require_uncompressed_head(path, held)  # all of it: an mbox's second message is looked for there
    require_narrow_head(held, path, encoding)
