"""Pretrained word vectors (GloVe, word2vec, fastText `.vec` text files) matched to a vocabulary, to
start the token embeddings from. Knows nothing of models: it returns a matrix and what it found."""

from __future__ import annotations

import gzip
import io
import math
import re
import unicodedata
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from attncli.checksums import digest_file_once
from attncli.errors import ConfigError
from attncli.fasttext_files import FASTTEXT_MAGIC
from attncli.local_paths import local_path
from attncli.tokenizer import ARABIC_KAF_AND_YEH, BARE_LETTERS, CASE_FOLDS, GREEK_TONOS

if TYPE_CHECKING:
    import torch

CONTINUATION_PREFIX = "##"  # WordPiece marks pieces that continue a word this way
# A vector's value as GloVe, word2vec and fastText write them ("-0.41", "1e-05"), not a number
# that may end a phrase ("windows 10") or a word ("nan").
VALUE_WRITTEN = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][+-]?\d+)")


@dataclass(frozen=True)
class PretrainedVectors:
    matrix: torch.Tensor
    """(vocab_size, dim) float32: a vector for every vocabulary entry found, zeros elsewhere."""
    found: torch.Tensor
    """(vocab_size,) bool: which rows came from the file."""
    path: str
    notes: tuple[str, ...] = ()
    """Warnings about the file: lines that are not UTF-8, fewer words than its header announces."""
    sha256: str = ""
    """SHA-256 of the file as it is on disk (hex), which `attn info` shows."""
    size: int = 0
    """Its size in bytes."""

    @property
    def dim(self) -> int:
        return self.matrix.size(1)

    def coverage(self, special_ids: set[int]) -> tuple[int, int]:
        """(found, of): vocabulary entries found among those that are not special tokens."""
        regular = [row for row in range(self.found.numel()) if row not in special_ids]
        return sum(bool(self.found[row]) for row in regular), len(regular)


GZIP_MAGIC = b"\x1f\x8b"
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")  # the byte-order marks of UTF-16 text
UTF32_MARKS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")  # of UTF-32, checked first: it starts as UTF-16's
# Compressed files attn does not open itself, by their first bytes: what they are, and what to do.
ARCHIVES = (
    (re.compile(rb"PK\x03\x04"), "a zip archive", "unzip it and pass one of the .txt files inside"),
    (
        re.compile(rb"BZh[1-9]1AY&SY"),
        "bzip2-compressed",
        "decompress it with bunzip2, or recompress it with gzip",
    ),
    (re.compile(rb"\xfd7zXZ\x00"), "xz-compressed", "decompress it with unxz, or recompress it with gzip"),
)
# How far behind every `_lookup_keys` key a file's word found only once lowercased ranks, and one
# found only in the form texts are read in (NFKC), behind every lowercased one.
CASE_FOLDED = 4
NORMALISED = 2 * CASE_FOLDED
# ... and one found only without its accents (tokenizer.strip_accents reads `devolución` as
# `devolucion`), behind every other.
UNACCENTED = 2 * NORMALISED
FLOAT32_MAX = 3.4028234663852886e38


def _open_lines(path: Path) -> io.BufferedIOBase:
    """The file's bytes, decompressed when it is gzip (by its first bytes, whatever its name), for
    `load_vectors` to read line by line. A binary file (word2vec's .bin) is refused: attn reads text
    vectors, in UTF-8."""
    with path.open("rb") as file:
        head = file.read(1 << 16)
    compressed = head.startswith(GZIP_MAGIC)
    if path.suffix == ".gz" and not compressed:
        raise ConfigError(f"model.embeddings_init {path} is named .gz but is not gzip-compressed; rename it")
    if compressed:
        try:
            with gzip.open(path, "rb") as file:
                head = file.read(1 << 16)
        except (OSError, EOFError, zlib.error) as error:
            raise _damaged(path, error) from error
    for magic, kind, remedy in ARCHIVES:
        if magic.match(head):
            raise ConfigError(
                f"model.embeddings_init {path} is {kind}, and attn reads vectors as text, plain or "
                f"gzip-compressed; {remedy}"
            )
    if head.startswith(UTF32_MARKS):
        raise ConfigError(
            f"model.embeddings_init {path} is UTF-32 text, and attn reads vectors in UTF-8; convert it "
            "(iconv -f UTF-32 -t UTF-8)"
        )
    if head.startswith(UTF16_MARKS) or _looks_like_utf16(head):
        raise ConfigError(
            f"model.embeddings_init {path} is UTF-16 text (as Windows PowerShell's > writes), and attn reads "
            "vectors in UTF-8; convert it (iconv -f UTF-16 -t UTF-8), or save it with Out-File -Encoding utf8"
        )
    if head.startswith(FASTTEXT_MAGIC):
        raise ConfigError(
            f"model.embeddings_init {path} is a fastText model (.bin); attn reads vectors as text: pass the "
            ".vec file fastText writes beside it (fasttext supervised/skipgram -output NAME writes NAME.vec)"
        )
    if b"\x00" in head:
        raise ConfigError(
            f"model.embeddings_init {path} is a binary file; attn reads vectors as text (GloVe, "
            "word2vec or fastText .txt/.vec): convert a binary word2vec file to text first"
        )
    if b"\r" in head and b"\n" not in head:  # classic Mac OS line ends: the whole file one line
        raise ConfigError(
            f"model.embeddings_init {path} ends its lines with a carriage return alone; convert them "
            f"(tr '\\r' '\\n' < {path.name} > fixed{path.suffix or '.txt'}) and pass the converted file"
        )
    return gzip.open(path, "rb") if compressed else path.open("rb")


def _looks_like_utf16(head: bytes) -> bool:
    """Whether text with no byte-order mark is UTF-16: mostly ASCII characters, each a byte beside a
    zero. A binary word2vec file's floats leave zeros here and there, not in every other byte."""
    halves = (head[0::2], head[1::2])
    return len(head) >= 64 and any(half.count(0) >= 0.9 * len(half) for half in halves)


@dataclass
class _Undecodable:
    """Lines that are not UTF-8 (a Latin-1 or cp1252 file): read with replacement characters, their
    words match no vocabulary entry, which the coverage must not leave unexplained."""

    lines: int = 0
    first: int = 0

    def note(self, path: Path) -> str:
        first = f"line {self.first:,}" if self.lines == 1 else f"the first: line {self.first:,}"
        lines = "1 line" if self.lines == 1 else f"{self.lines:,} lines"
        return f"{lines} of {path} {'is' if self.lines == 1 else 'are'} not UTF-8 text ({first})"

    def replaced(self, raw: bytes, number: int) -> str:
        """A line that is not UTF-8, counted, as text with replacement characters."""
        self.lines += 1
        self.first = self.first or number
        return raw.decode("utf-8", errors="replace")


def _damaged(path: Path, error: BaseException) -> ConfigError:
    return ConfigError(
        f"model.embeddings_init {path} is cut short or damaged ({error}); download or unpack it again"
    )


def _lookup_keys(token: str) -> Iterator[str]:
    """The words a vocabulary entry may be found under, best first: itself, lowercased, and for a
    WordPiece continuation `##x`, the piece x (and its lowercase)."""
    yield token
    yield token.lower()
    if token.startswith(CONTINUATION_PREFIX) and len(token) > len(CONTINUATION_PREFIX):
        piece = token[len(CONTINUATION_PREFIX) :]
        yield piece
        yield piece.lower()


def _stripped(line: str) -> str:
    """A line without its end, its fields separated by single spaces (GloVe, word2vec) or tabs
    turned into spaces."""
    return line.replace("\t", " ").rstrip("\r\n ")  # a tab at the end is no empty last field


def _fields(line: str) -> list[str]:
    return _stripped(line).split(" ")


def _parse_line(line: str, path: Path, number: int, dim: int | None) -> tuple[str, list[float]]:
    """(word, vector) of one line. Once the width is known, the last `dim` fields are the vector and
    the rest the word, which may hold spaces (as a few of GloVe 840B's do)."""
    parts = _fields(line)
    cut = len(parts) - dim if dim is not None and len(parts) > dim else 1
    try:
        vector = [float(value) for value in parts[cut:]]
    except ValueError as error:
        if any(character == "\ufffd" or character < " " for value in parts[cut:] for character in value):
            # A small binary word2vec file may hold no zero byte in its head: its floats as bytes
            # that decode to garbage here, which the message quoted (a trial).
            raise ConfigError(
                f"line {number} of {path} holds bytes that are no text after its word, as a binary word2vec "
                "file's vectors are; attn reads vectors as text (GloVe, word2vec or fastText .txt/.vec): "
                "convert a binary word2vec file to text first"
            ) from error
        raise ConfigError(
            f"line {number} of {path} is not 'word value value ...' ({error}); "
            "model.embeddings_init takes a GloVe or word2vec text file"
        ) from error
    if not vector or (dim is not None and len(vector) != dim):
        raise ConfigError(
            f"line {number} of {path} has {len(vector)} values where earlier lines had {dim}; "
            "the vectors file is damaged or not a GloVe/word2vec text file"
        )
    unusable = next((value for value in vector if not abs(value) <= FLOAT32_MAX), None)  # nan too
    if unusable is not None:
        raise ConfigError(
            f"line {number} of {path} holds {unusable}, not a finite 32-bit number; "
            "the vectors file is damaged"
        )
    return " ".join(parts[:cut]), vector


def _holds_more_values(word: str, wanted: Collection[str]) -> bool:
    """Whether a line read as a word holding spaces ("london 0.1253") is a vocabulary word with more
    values than the first line's: its vector would be lost. A word that really holds spaces (GloVe
    840B's ". . .", a phrase such as "windows 10") does not end in a value written as vectors write
    theirs, with a decimal point or an exponent."""
    first, _, rest = word.partition(" ")
    ends_in_a_value = VALUE_WRITTEN.fullmatch(rest.rpartition(" ")[2]) is not None
    return (first in wanted or first.lower() in wanted) and ends_in_a_value


def _header(line: str) -> tuple[int, int] | None:
    """The (words, width) a word2vec header line ("count dim") announces, if the line is one."""
    parts = _fields(line)
    return (
        (int(parts[0]), int(parts[1])) if len(parts) == 2 and all(part.isdigit() for part in parts) else None
    )


def require_vectors_file(path: str | None) -> None:
    """Refuse a model.embeddings_init that names no file, before any data loads."""
    if path is not None and local_path(path).is_dir():
        raise ConfigError(
            f"model.embeddings_init {path} is a folder; pass a GloVe or word2vec .txt/.vec file in it"
        )
    if path is not None and not local_path(path).is_file():
        what = "is not a regular file" if local_path(path).exists() else "does not exist"
        raise ConfigError(f"model.embeddings_init {path} {what}; pass a GloVe or word2vec .txt/.vec file")


def load_vectors(
    path: str | Path, vocabulary: dict[str, int], *, special_ids: Collection[int] = ()
) -> PretrainedVectors:
    """Read the vectors file once, keeping only words the vocabulary (token -> id) can use. A token
    found under several keys takes the first in `_lookup_keys` order; `special_ids` ([PAD], [UNK],
    ...) are not counted as entries that could have a vector."""
    import torch

    require_vectors_file(str(path))
    path = local_path(path)
    wanted: dict[str, list[tuple[int, int]]] = {}  # word -> [(token id, priority)]
    for token, token_id in vocabulary.items():
        for priority, key in enumerate(dict.fromkeys(_lookup_keys(token))):
            wanted.setdefault(key, []).append((token_id, priority))
    best: dict[int, _Found] = {}
    dim = announced = announced_words = None
    other_width: tuple[int, int] | None = None  # the first line of another width than the first's
    other_widths = read = 0
    longer: tuple[int, int] | None = None  # the first line of a vocabulary word with more values
    undecodable = _Undecodable()
    with _open_lines(path) as file:
        try:
            for number, raw in enumerate(file, start=1):
                # decoded here, in the loop: a generator around it cost 0.1 s a 300 MB file
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    line = undecodable.replaced(raw, number)
                if number == 1:
                    line = line.removeprefix("\ufeff")  # a byte-order mark
                if not line.strip():
                    continue
                read += 1
                if dim is not None:
                    # Only lines the vocabulary can use are parsed and checked: a file of millions
                    # of words is read in seconds. The word ends at the first space unless the line
                    # has more fields than a word and its vector (a word holding spaces).
                    stripped = _stripped(line)
                    spaces = stripped.count(" ")
                    if spaces != dim and other_width is None:
                        other_width = (number, spaces)
                    other_widths += spaces != dim
                    word = stripped.partition(" ")[0] if spaces <= dim else stripped.rsplit(" ", dim)[0]
                    if spaces > dim and longer is None and _holds_more_values(word, wanted):
                        longer = (number, spaces)
                    if word not in wanted and word.lower() not in wanted:
                        # (its NFKC forms only where it has characters that have one)
                        if word.isascii() or not any(key in wanted for key, _ in _file_keys(word)[2:]):
                            continue
                elif number == 1 and (header := _header(line)) is not None:
                    announced_words, announced = header
                    continue
                word, vector = _parse_line(line, path, number, dim)
                if dim is None and announced is not None and announced != len(vector):
                    raise ConfigError(
                        f"line 1 of {path} announces {announced} values a word but line {number} has "
                        f"{len(vector)}; the vectors file is damaged"
                    )
                dim = dim or len(vector)
                for key, behind in _file_keys(word):
                    for token_id, priority in wanted.get(key, []):
                        if token_id not in best or priority + behind < best[token_id].priority:
                            best[token_id] = _Found(priority + behind, vector, number, word)
        except (OSError, EOFError, zlib.error) as error:  # a gzip file cut short or corrupted
            raise _damaged(path, error) from error
    if dim is None:
        raise ConfigError(f"model.embeddings_init {path} holds no vectors")
    if other_width is not None and other_widths * 2 > read:  # whether or not its word was found
        number, spaces = other_width
        raise ConfigError(
            f"the first vector of {path} has {dim} values but most lines have another number ({spaces} on "
            f"line {number}); the vectors file is damaged: remove its odd first line"
        )
    if longer is not None:
        number, spaces = longer
        raise ConfigError(
            f"line {number} of {path} has {spaces} values where earlier lines had {dim}; "
            "the vectors file is damaged or not a GloVe/word2vec text file"
        )
    if not best:
        entries = len(vocabulary) - len(special_ids)
        if undecodable.lines:
            raise ConfigError(
                f"none of the {entries:,} vocabulary entries has a vector in {path}, and "
                f"{undecodable.note(path)}; convert the file to UTF-8 (iconv -f latin1 -t utf-8, with "
                "its encoding after -f)"
            )
        raise ConfigError(
            f"none of the {entries:,} vocabulary entries has a vector in {path}; "
            "pass vectors of the training texts' language"
        )
    matrix = torch.zeros(len(vocabulary), dim)
    found = torch.zeros(len(vocabulary), dtype=torch.bool)
    for token_id, entry in best.items():
        matrix[token_id] = torch.tensor(entry.vector)
        found[token_id] = True
    values = matrix[found]
    if values.numel() < 2 or not float(values.std()) > 0:  # one value, or the same one everywhere
        raise ConfigError(
            f"the {len(best)} vector{'s' * (len(best) != 1)} found in {path} hold the same value "
            f"({float(values.flatten()[0]):g}) throughout, which tells no word from another; "
            "pass trained vectors (GloVe, word2vec or fastText text)"
        )
    _refuse_outlying_lengths(best, matrix, path)
    notes = []
    if undecodable.lines:
        notes.append(
            f"warning: {undecodable.note(path)}, so {'its word' if undecodable.lines == 1 else 'their words'}"
            " can match no vocabulary entry; convert the file to UTF-8 (iconv -f latin1 -t utf-8, with its "
            "encoding after -f)"
        )
    if announced_words is not None and read - 1 < announced_words:
        notes.append(
            f"warning: line 1 of {path} announces {announced_words:,} words but the file holds {read - 1:,}; "
            "it may be cut short: download or unpack it again, unless it was shortened on purpose"
        )
    # Of the file as it is on disk (a .gz's compressed bytes), read again while the system still
    # caches it: in 1 MB chunks, faster than hashing each line as it was read (0.22 s against 0.38 s
    # for 300 MB); not again where `--config` has just checked it.
    sha256, size = digest_file_once(path)
    return PretrainedVectors(matrix, found, str(path), notes=tuple(notes), sha256=sha256, size=size)


@dataclass(frozen=True)
class _Found:
    """A vocabulary entry's vector as found: how good a match it is (lower is better), and where."""

    priority: int
    vector: list[float]
    line: int
    word: str


# How many times the typical vector's length the spread the rescaling divides by may be before the
# longest vector is taken for damage: one value of 1e6 (a digit too many) made the spread 431,001
# times the typical length, so every other vector was rescaled to about 1e-5. Real vectors' lengths
# vary by a few times between frequent and rare words, which moves the spread far less.
OUTLYING_SPREAD = 10


def _refuse_outlying_lengths(found: dict[int, _Found], matrix: torch.Tensor, path: Path) -> None:
    """Refuse vectors whose spread (the root mean square of all their values, which the rescaling
    to the model's scale divides by) is far above the typical vector's length (the median of their
    root mean squares): a few values out of scale would shrink every other vector. Names the line of
    the longest. (In float64: a value near float32's largest squares past it.)"""
    ids = list(found)
    lengths = matrix[ids].double().pow(2).mean(dim=1).sqrt()
    # the upper of two middle lengths, as a sorted list's [n // 2] (torch's median takes the lower)
    typical = float(lengths.sort().values[len(ids) // 2])
    spread = float(lengths.pow(2).mean().sqrt())
    if typical > 0 and spread > OUTLYING_SPREAD * typical:  # most zero: the spread check's to refuse
        longest = int(lengths.argmax())
        entry, times = found[ids[longest]], float(lengths[longest]) / typical
        raise ConfigError(
            f"line {entry.line} of {path} ({entry.word!r}) holds a vector {times:,.0f} times as long as the "
            f"typical one, which makes the vectors' spread {spread / typical:,.0f} times the typical length, "
            "so that rescaling them together would shrink every other vector as many times; the file looks "
            "damaged there: fix or remove that line"
        )


def _file_keys(word: str) -> list[tuple[str, int]]:
    """The keys a file's word serves, with how far behind an exact match each ranks: itself; a cased
    file's word ("London", word2vec's and fastText's) lowercased, behind the file's own lowercase
    word; and, behind both, its form as the tokenizer reads texts (NFKC: "café" with a combining
    accent, or full-width "ｐａｒｉｓ"), so that it never takes the vector of the word as written; and,
    behind all, without its Latin and Greek accents (for tokenizer.strip_accents)."""
    keys = [(word, 0), (word.lower(), CASE_FOLDED)]
    if word.isascii():
        return keys
    if (normal := unicodedata.normalize("NFKC", word)) != word:
        keys += [(normal, NORMALISED), (normal.lower(), NORMALISED + CASE_FOLDED)]
    # ... and as the tokenizer's lowercasing and letter folds write it: Arabic's kaf and yeh as
    # Persian's (every such word of an Arabic vector file missed a tokenizer that folds them), Greek
    # without its tonos, final sigma, ß.
    if (folded := _folded(normal.lower())) != normal.lower():
        keys.append((folded, NORMALISED + CASE_FOLDED))
    # Only a word with a character that decomposes, or a letter written bare (đ, ł), can have an
    # accent to leave out: the tokenizer's normaliser (1.7 us a word) is not asked of the rest (a
    # file's Chinese or Arabic words).
    if unicodedata.normalize("NFD", normal) != normal or any(letter in normal for letter, _ in BARE_LETTERS):
        from attncli.tokenizer import without_accents

        if (bare := without_accents(normal)) != word:
            keys += [(bare, UNACCENTED), (bare.lower(), UNACCENTED + CASE_FOLDED)]
    return keys


def _folded(word: str) -> str:
    """`word` (lowercased) with the letter folds of attn's normaliser: CASE_FOLDS, GREEK_TONOS and
    ARABIC_KAF_AND_YEH."""
    for letter, written in (*CASE_FOLDS, *GREEK_TONOS, *ARABIC_KAF_AND_YEH):
        word = word.replace(letter, written)
    return word


def initialise_embeddings(embedding: torch.Tensor, vectors: PretrainedVectors, *, pad_id: int) -> None:
    """Copy the found vectors into `embedding` (vocab_size, dim) in place, rescaled by one factor so
    their spread matches the model's initial embeddings (std 1/sqrt(dim)); directions and relative
    lengths are kept. Rows not found keep their random start; the padding row stays zero."""
    import torch

    found = vectors.found.clone()
    found[pad_id] = False
    if not bool(found.any()):
        return
    rows = vectors.matrix[found]
    scale = (1.0 / math.sqrt(vectors.dim)) / float(rows.std().clamp(min=1e-12))
    with torch.no_grad():
        embedding[found] = (rows * scale).to(embedding.dtype)
