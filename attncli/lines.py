"""Text read as its bytes arrive, from a file or a pipe, in any encoding attn reads (UTF-16/32
re-encoded to UTF-8 first): complete lines handed on at once, found at the byte 0x0A, each decoded
line named by its number where it is not valid in its encoding."""

from __future__ import annotations

import codecs
import os
import select
import sys
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from attncli.encodings import (
    UndecodableLine,
    encoding_advice,
    is_wide,
    require_encoding_fits,
    unknown_encoding_advice,
    wide_as_utf8,
)
from attncli.errors import DataError

# Largest read at once; from standard input, whatever has arrived (up to GATHER_BYTES) is handed on
# without waiting for more.
READ_BYTES = 1 << 16
GATHER_BYTES = 1 << 20


def codec_name(encoding: str) -> str:
    """Python's name of a text encoding given to --encoding; an unknown one is refused."""
    try:
        name = codecs.lookup(encoding).name
        "a".encode(name)
    except (LookupError, UnicodeError):  # unknown, or one that encodes nothing ("undefined")
        raise DataError(f"unknown encoding {encoding!r}; {unknown_encoding_advice(encoding)}") from None
    return name


def readable_encoding(encoding: str) -> str:
    """Python's name of an encoding attn reads --file and standard input in: one whose line end is
    the byte 0x0A, found in the bytes, or UTF-16/32, re-encoded as UTF-8 first (`as_utf8`). An
    unknown one is refused, and so is any other (EBCDIC's line end is 0x15 or 0x25)."""
    name = codec_name(encoding)
    if not reads_lines_in_bytes(name) and not is_wide(name):
        raise DataError(
            f"{name} input is not supported (its line end is not the byte 0x0A); convert it to utf-8 first, "
            f"for example with iconv -f {name} -t utf-8"
        )
    return name


def reads_lines_in_bytes(encoding: str) -> bool:
    """Whether lines of `encoding` (a known codec) end at the byte 0x0A, where the line readers find
    them."""
    return "a\n".encode(encoding).endswith(b"a\n")


def as_utf8(chunks: Iterable[bytes], *, encoding: str, name: str) -> Iterator[bytes]:
    """`chunks` of UTF-16/32 text (as Windows tools save it) re-encoded as UTF-8, chunk by chunk as
    they come (standard input streams), for the line readers. Bytes that are not in the encoding (an
    unpaired surrogate, a file cut inside a character) are an error naming their line, raised after
    the text before them is handed on, so each line before gets its result."""
    try:
        yield from wide_as_utf8(chunks, encoding=encoding)
    except UndecodableLine as error:
        if error.reason.endswith("does not start with BOM"):  # Python 3.13 and later say it so
            raise _no_byte_order_mark(name, encoding) from None
        if error.reason == "truncated data":
            raise DataError(
                f"{name} ends inside a character of line {error.line}, which is not whole {encoding}: was "
                "it cut short? Every line before it was read"
            ) from None
        raise DataError(
            f"line {error.line} of {name} is not valid {encoding} ({error.reason}); pass --encoding with the "
            "encoding it is in"
        ) from None
    except UnicodeError:  # no byte-order mark to tell the byte order by (Python before 3.13)
        raise _no_byte_order_mark(name, encoding) from None


def _no_byte_order_mark(name: str, encoding: str) -> DataError:
    family = codecs.lookup(encoding).name  # utf-16, which iconv and Python both know as utf-16le
    return DataError(
        f"{name} has no byte-order mark to tell {encoding}'s byte order by; pass --encoding "
        f"{family}le or {family}be, as it was written"
    )


def line_chunks(chunks: Iterable[bytes], *, encoding: str, name: str) -> tuple[Iterable[bytes], str]:
    """`chunks` as bytes whose lines end at 0x0A, and the encoding they are then in."""
    if not is_wide(encoding):
        return chunks, encoding
    return as_utf8(chunks, encoding=encoding, name=name), "utf-8"


def decode(line: bytes, *, encoding: str, number: int, name: str, utf8_before: bool = False) -> str:
    """`line` decoded; where it is not valid, an error naming it. `utf8_before`: lines before it held
    characters above 0x7F (in a UTF-8 file: UTF-8 ones), which tells a stray byte from a file in
    another encoding."""
    try:
        return line.decode(encoding)
    except UnicodeDecodeError as error:
        raise DataError(
            f"line {number} of {name} is not valid {encoding} (byte {error.start + 1} of the line); "
            + encoding_advice(line, encoding, utf8_before=utf8_before)
        ) from None


def complete_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines of a byte stream, split at b"\\n" only, each with its b"\\n" (the last may lack one).
    A line's chunks are held apart until its end arrives and joined once: added to the line so far
    and split again at each chunk, a 100 MB line took 188 s (a minified export), in time that grows
    with the square of the line's length."""
    pending: list[bytes] = []
    for chunk in chunks:
        if b"\n" not in chunk:
            pending.append(chunk)
            continue
        first, *complete, rest = chunk.split(b"\n")
        yield b"".join([*pending, first, b"\n"])
        for line in complete:
            yield line + b"\n"
        pending = [rest]
    if last := b"".join(pending):
        yield last


def decoded_lines(chunks: Iterable[bytes], *, encoding: str, name: str) -> Iterator[str]:
    """Decoded lines (newline kept), a byte-order mark dropped from the first, the end-of-file mark
    Ctrl-Z that DOS tools and `copy a+b` put after the last dropped from it (it was a text of its own,
    or part of the last: a trial), errors naming the line."""
    chunks, encoding = line_chunks(chunks, encoding=encoding, name=name)
    beyond_ascii = False
    for number, line in enumerate(complete_lines(chunks), start=1):
        text = decode(line, encoding=encoding, number=number, name=name, utf8_before=beyond_ascii)
        beyond_ascii = beyond_ascii or not line.isascii()
        text = text.removeprefix("\ufeff") if number == 1 else text
        if not text.endswith("\n"):  # the last line, which no line end closes: where Ctrl-Z is
            text = text.removesuffix(END_OF_FILE)
        if text:
            yield text


# The end-of-file mark of DOS and CP/M text files (Ctrl-Z), which Windows' `copy a+b` still writes.
END_OF_FILE = "\x1a"


def file_chunks(file: BinaryIO) -> Iterator[bytes]:
    while chunk := file.read(READ_BYTES):
        yield chunk


def arrivals(descriptor: int) -> Iterator[bytes]:
    """Blocks of a pipe as they arrive: one read (which waits), then whatever else is already
    there, up to GATHER_BYTES, so a fast producer still gives bounded blocks."""
    while data := os.read(descriptor, READ_BYTES):
        block, size = [data], len(data)
        while size < GATHER_BYTES and _waiting(descriptor):
            more = os.read(descriptor, READ_BYTES)
            if not more:
                break
            block.append(more)
            size += len(more)
        yield b"".join(block)


def _waiting(descriptor: int) -> bool:
    """Whether more of a pipe is there to read now; False where a pipe cannot be asked (Windows, whose
    `select` takes sockets alone), which hands on each block as read."""
    if sys.platform == "win32":
        return False
    return bool(select.select([descriptor], [], [], 0)[0])


def narrow(blocks: Iterator[bytes], *, encoding: str, name: str = "standard input") -> Iterator[bytes]:
    """`blocks` of a pipe, refused when the first shows UTF-16/32 text (a pipe from a Windows tool)
    read as another encoding, which the advice for a byte not in the encoding (latin-1) would make
    garbage of, or text not in the UTF-16/32 it is to be read as."""
    first = next(blocks, b"")
    convert = "convert it by piping it through iconv -f {codec} -t utf-8"
    require_encoding_fits(first, encoding, source=name, convert=convert)
    if first:
        yield first
    yield from blocks


def with_end(blocks: Iterator[bytes]) -> Iterator[bytes | None]:
    yield from blocks
    yield None
