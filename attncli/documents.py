"""Whole files as texts, for predict and inspect: each file of a folder (`--file essays/`), or one
file or standard input read whole (`--whole-file`). An essay or an article with blank lines between
its paragraphs is one text, where one text a line made a 1,200-word essay 48 records, 22 of them
empty (a teacher's trial)."""

from __future__ import annotations

import codecs
import functools
from pathlib import Path
from typing import NamedTuple

from attncli.data_files import listed
from attncli.encodings import encoding_marked_by, is_utf8, is_wide
from attncli.errors import ConfigError, DataError
from attncli.lines import decoded_lines, narrow
from attncli.raw_data import FILE_BUILDERS
from attncli.record_sources import from_stdin
from attncli.records import Record, RecordSource, from_windows, in_chunks, is_pipe
from attncli.textfiles import require_readable_text

# The field that names each whole file's record: carried to --json's fields and csv's columns.
FILE_FIELD = "file"

# Files that hold one text each whatever their lines: an email message (.eml, as mail programs save
# one), read whole by `--file` as a folder's files are.
WHOLE_SUFFIXES = (".eml",)


# Files an operating system leaves in folders, which are no texts (hidden ones, .DS_Store, too).
SYSTEM_FILES = ("thumbs.db", "desktop.ini")


def is_visible(path: Path) -> bool:
    """Whether a file or folder of a folder of texts is one of its own: not hidden (.DS_Store), nor a
    file the system leaves (Thumbs.db, desktop.ini: read as a text, or refused as not UTF-8), nor one
    an editor leaves beside a document: Word's lock file `~$lease.docx` (which stopped a legal
    analyst's training as a Word document) and a backup `nda_004.txt~` (read as another copy of
    the contract: a trial)."""
    name = path.name
    return not (name.startswith((".", "~$")) or name.endswith("~") or name.lower() in SYSTEM_FILES)


class Children(NamedTuple):
    """The visible entries of a folder, each kind by name."""

    files: list[Path]
    folders: list[Path]
    others: list[Path]
    """Neither a file nor a folder: a link to nothing, a pipe, a socket."""


def visible_children(folder: Path) -> Children:
    """The visible files, folders and other entries of `folder`."""
    children = sorted(
        (child for child in folder.iterdir() if is_visible(child)), key=lambda child: child.name
    )
    files, folders, others = Children([], [], [])
    for child in children:
        (files if child.is_file() else folders if child.is_dir() else others).append(child)
    return Children(files, folders, others)


def readable_children(folder: Path) -> Children:
    """The visible entries of `folder`, none where it cannot be listed (lost+found): for telling what
    a folder is, not for reading its texts."""
    try:
        return visible_children(folder)
    except OSError:
        return Children([], [], [])


def folder_files(folder: Path) -> list[Path]:
    """The files of a folder of texts, by name (hidden and system ones left out), refused as
    `_checked_children` refuses them."""
    return _checked_children(folder).files


def _checked_children(folder: Path) -> Children:
    """The visible entries of a folder of texts; refused where it has no files, or holds data files,
    whose rows would be read as one text, or folders of files beside its files, which are a folder of
    label folders' texts as train and eval read it (its README or urls_pos.txt was predicted, and its
    thousands of texts passed over with a note)."""
    children = visible_children(folder)
    files, folders, _ = children
    with_files = [inner.name for inner in folders if readable_children(inner).files]
    to_eval = (
        f"score a folder of label folders (one folder a label, a text a file) with attn eval RUN {folder}"
    )
    if not files and folders:
        from attncli.spark_folders import require_no_column_partitions

        require_no_column_partitions(folder)  # label=sport/: a column's partitions, not label folders
        raise DataError(
            f"--file {folder} holds folders ({listed([inner.name for inner in folders])}) and no files; "
            f"--file reads the text files directly in a folder: pass one of those folders, or {to_eval}"
        )
    if not files:
        raise DataError(
            f"--file {folder} is a folder with no files; pass a folder of text files, one text each"
        )
    if len(with_files) >= FOLDERS_OF_TEXTS:
        raise DataError(
            f"--file {folder} holds folders of files ({listed(with_files)}) beside its files "
            f"({listed([file.name for file in files])}); --file reads the files directly in a folder: move "
            f"the folders out, pass one of them, or {to_eval}"
        )
    data_files = [path.name for path in files if is_data_file(path)]
    if data_files:
        raise DataError(
            f"--file {folder} holds data files ({listed(data_files)}), whose rows are texts of their own; "
            "pass one of them with --file, or a folder of text files only (each file one text)"
        )
    return children


def is_data_file(path: Path) -> bool:
    """Whether `path` is named as a data file (rows.csv): its rows are texts of their own."""
    return path.suffix.lower() in FILE_BUILDERS


# Why an entry of a folder that is neither a file nor a folder is left out.
NO_FILE = "neither a file nor a folder (a link to nothing, a pipe)"
# Folders of files beside a folder's files that make it a folder of label folders, as train reads one.
FOLDERS_OF_TEXTS = 2


def require_folder_of_texts(folder: Path, *, encoding: str) -> None:
    """Refuse, before the model loads, a folder `folder_files` refuses, or one holding a file that is
    no text (a Word document, an archive) or UTF-16 read as another encoding: a .docx among essays
    stopped the run after the results of the files before it, advised to save it as CSV."""
    for path in folder_files(folder):
        held = path.read_bytes()
        _require_text_in_folder(path, held, folder_file_encoding(held, encoding), f"--file {folder}")


def _require_text_in_folder(path: Path, held: bytes, encoding: str, folder: str) -> None:
    """`require_readable_text`, with advice for a file of a folder of texts, not for a data file."""
    try:
        require_readable_text(path, held, encoding)
    except DataError as error:
        found = str(error).split("; ", 1)[0]  # what it is, without advice for a data file
        raise DataError(
            f"{found}; each file of {folder} is read as one plain text: save it as plain text (UTF-8), or "
            "move it out"
        ) from None


def whole_text(path: Path, *, encoding: str) -> str:
    """A file's text, as lines are read (a byte-order mark naming UTF-16 or UTF-32 heeded, a byte not
    in the encoding refused naming its line), without the line end that closes its last line. A pipe
    (`--file <(zcat essay.txt.gz)`) is read once, and checked on what it holds: the checks of a file
    read its head first, which a pipe hands over only once (its first 4,096 bytes were lost)."""
    if is_pipe(path):
        with path.open("rb") as file:
            held = file.read()
        used = encoding_marked_by(held[:4], encoding)
        blocks = narrow(iter([held] if held else []), encoding=used, name=str(path))
        return _without_last_line_end("".join(decoded_lines(blocks, encoding=used, name=str(path))))
    held = path.read_bytes()
    return _text_of(held, path, encoding_marked_by(held[:4], encoding))


def folder_file_text(path: Path, *, encoding: str, folder: str) -> tuple[str, str]:
    """A file of a folder of texts read whole (`whole_text`), and the encoding it was read in
    (`folder_file_encoding`); `folder`: the folder as a refusal names it."""
    held = path.read_bytes()
    used = folder_file_encoding(held, encoding)
    _require_text_in_folder(path, held, used, folder)
    return _decoded(held, path, used), used


def folder_file_encoding(held: bytes, encoding: str) -> str:
    """The encoding to read a file of a folder of texts in, from its bytes: as its byte-order mark
    says, and UTF-8 where an 8-bit `encoding` is asked for and the file is valid UTF-8 beyond ASCII.
    A folder's files were often saved by different programs (the BBC's 2,225 articles: 646 in UTF-8
    beyond ASCII, one in cp1252), and bytes that are valid UTF-8 beyond ASCII are almost never meant
    as an 8-bit encoding's: `--encoding cp1252`, which the one file needed, garbled the 646 ('â€™'
    for '’')."""
    used = encoding_marked_by(held[:4], encoding)
    if is_utf8(used) or is_wide(used):
        return used
    # UTF-8's byte-order mark leaves no doubt, in any encoding asked for (GBK's).
    if held.startswith(codecs.BOM_UTF8) or (_single_byte(used) and not held.isascii() and _valid_utf8(held)):
        return "utf-8"
    return used


@functools.cache
def _single_byte(encoding: str) -> bool:
    """Whether `encoding` reads each byte as one character (cp1252, latin-1, koi8-r): not UTF-8/16/32,
    nor GBK or Big5, whose two-byte characters are valid UTF-8 often enough ('同学' in GBK reads as
    UTF-8 'ͬѧ') that a short text in them would be taken for UTF-8."""
    high = bytes(range(0x80, 0x100))
    return len(high.decode(encoding, errors="replace")) == len(high)


def _valid_utf8(held: bytes) -> bool:
    try:
        held.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _text_of(held: bytes, path: Path, encoding: str) -> str:
    """The bytes of file `path` as text in `encoding`, checked as a data file's are (not compressed,
    not UTF-16 read as 8-bit, ...), and decoded (`_decoded`)."""
    require_readable_text(path, held, encoding)
    return _decoded(held, path, encoding)


def _decoded(held: bytes, path: Path, encoding: str) -> str:
    """The bytes of file `path` as text in `encoding`, decoded at once: line by line only to name the
    line a bad byte is on (a folder of 50,000 reviews, each file opened three times and decoded a
    line at a time, took 8.6 s to read)."""
    try:
        text = held.decode(encoding)
    except UnicodeDecodeError:
        text = "".join(decoded_lines(iter([held]), encoding=encoding, name=str(path)))
    return _without_last_line_end(text.removeprefix("\ufeff"))


def _without_last_line_end(text: str) -> str:
    return text.removesuffix("\n").removesuffix("\r")


def _file_record(index: int, path: Path, text: str) -> Record:
    """`path`, read whole as `text`, as record `index`, named in its `file` field."""
    return Record(index=index, text=text, fields={FILE_FIELD: path.name, "text": text})


def from_folder(folder: Path, *, encoding: str) -> RecordSource:
    """Each file of `folder` one record, in the order of their names, named in its `file` field
    (checked by `require_folder_of_texts` before the model loaded)."""
    files, folders, others = _checked_children(folder)  # one listing, for its files and its notes
    records = (
        _file_record(index, path, folder_file_text(path, encoding=encoding, folder=f"--file {folder}")[0])
        for index, path in enumerate(files)
    )
    # Said, where the files of its folders were passed over without a word (a folder of label folders
    # beside a README: one text read of thousands).
    notes = (
        [
            f"left out the folders {listed([inner.name for inner in folders])} in {folder}: --file reads the "
            "files directly in it"
        ]
        if folders
        else []
    )
    notes += [f"left out {listed([other.name for other in others])} in {folder}: {NO_FILE}"] if others else []
    return RecordSource(
        name=str(folder),
        notes=notes,
        chunks=in_chunks(records, size=DOCUMENTS_AT_ONCE),
        columns=[FILE_FIELD, "text"],
        text_column="text",
        count=lambda: len(files),
        byte_order_mark=from_windows(files[0], encoding),  # the first file tells where they came from
    )


# Whole files handed on at a time: each may be long, and their results are printed as they come.
DOCUMENTS_AT_ONCE = 64


def require_text_file(path: Path) -> None:
    """Refuse --whole-file for a data file, whose rows are texts of their own."""
    if is_data_file(path):
        raise ConfigError(
            f"--whole-file reads a text file as one text; {path.name} is a {path.suffix.lower()[1:]} file, "
            "whose rows are texts of their own: drop --whole-file"
        )


def from_whole_file(path: Path, *, encoding: str) -> RecordSource:
    """`path` read whole as one record, named in its `file` field."""
    require_text_file(path)
    return RecordSource(
        name=str(path),
        chunks=iter([[_file_record(0, path, whole_text(path, encoding=encoding))]]),
        columns=[FILE_FIELD, "text"],
        text_column="text",
        byte_order_mark=from_windows(path, encoding),
    )


def from_whole_stdin(*, encoding: str) -> RecordSource:
    """Standard input read to its end as one record (`cat essay.txt | attn predict RUN --whole-file`)."""
    lines = from_stdin(encoding=encoding)
    text = "\n".join(record.text or "" for chunk in lines.chunks for record in chunk)
    return RecordSource(
        name="standard input",
        chunks=iter([[Record(index=0, text=text)]]),
        byte_order_mark=lines.byte_order_mark,
    )
