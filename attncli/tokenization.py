"""Texts turned into token ids by a tokenizer: ids for prediction (`token_ids`), ids with each token's
character span for `attn inspect` (`encode`), and ids packed end to end for training (`pack_ids`)."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from attncli.ascii_reader import ascii_reader
from attncli.markup import (
    read_references,
    reads_references,
    spans_over_references,
    strips_markup,
    whole_references,
)
from attncli.packing import PackedSequences, SpilledArray
from attncli.tokenizer import IDEOGRAPH_CHARACTERS, batched, fallback_id_of, pad_id_of, readable_text

if TYPE_CHECKING:
    from tokenizers import Encoding, Tokenizer


# Token ids gathered in memory before each write to the packed-ids file (4 MB).
SPILL_TOKENS = 1 << 20


def kept_ends(max_length: int, truncation: str) -> tuple[int, int]:
    """How many tokens of a text longer than `max_length` are kept from its start and from its end.
    head+tail keeps a quarter from the start and the rest from the end, as Sun et al. (2019, "How to
    fine-tune BERT for text classification") found best on long reviews and news (128 and 382 of 510)."""
    if truncation == "tail" or (truncation == "head+tail" and max_length == 1):
        return 0, max_length
    if truncation == "head+tail":
        head = max(1, max_length // 4)
        return head, max_length - head
    return max_length, 0


def tokens_read(max_length: int, truncation: str) -> str:
    """Which tokens of a longer text the model reads, in words: "first 512", "first 128 and last 384"."""
    head, tail = kept_ends(max_length, truncation)
    return " and ".join(f"{end} {count}" for end, count in (("first", head), ("last", tail)) if count)


@dataclass(frozen=True)
class Encoded:
    """Token ids of one text (truncated), each token's character span in the text, and the index
    of the word (as the pre-tokenizer split the text) each token belongs to."""

    ids: list[int]
    offsets: list[tuple[int, int]]
    word_ids: list[int]
    untruncated_length: int
    cut: tuple[int, int] | None = None
    """The characters between the tokens read (at max_length), which the model never saw."""


@dataclass(frozen=True)
class _Tokens:
    """One text's ids as the model reads them, its length in tokens before the cut, and (where asked
    for) each id's character span and word index."""

    ids: list[int]
    length: int
    offsets: list[tuple[int, int]] | None
    word_ids: list[int] | None


def _truncated(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    *,
    max_length: int,
    truncation: str = "head",
    offsets: bool = True,
) -> Iterator[_Tokens]:
    """Each text encoded without special tokens and truncated to `max_length` as `truncation` says
    (`kept_ends`), with its length in tokens before the cut. With `offsets=False` the encodings'
    offsets are left empty, where `tokenizers` can skip them (`encode_batch_fast`, from 0.21: BBC
    articles encode in 0.13 s instead of 0.16 s).

    A text with no tokens (only spaces, say) becomes one unknown token, so every sequence has at
    least one position to attend to; "[PAD]" written in a text is an unknown token too, never
    padding (which the model would not read: a text of only "[PAD]" had nothing to attend to).

    A text over LONG_TEXT characters is encoded in pieces cut at word breaks: its head (and, where
    its end is read, its tail) is encoded, and the rest only counted. A whole 21 MB line took 1.6 GB
    (tokenizers keeps tens of bytes of alignment a character) to give the model its first few hundred
    tokens. The count is exact for a tokenizer that splits words at whitespace and punctuation (and
    at CJK ideographs, where it splits them: attn's own) where the cuts find them; a tokenizer that
    marks a text's start (a prepended "▁"), a cut inside markup read by tokenizer.strip_html or a
    terminal's escape sequence, or a cut in a run of ideographs read whole or of 65,536 characters
    without a break, may count a token more or less a piece, and such a cut in a run read whole may
    change the last pieces of a tail read (model.truncation tail, head+tail).
    """
    fallback, pad_id = fallback_id_of(tokenizer), pad_id_of(tokenizer)
    reader = ascii_reader(tokenizer)
    head_kept, tail_kept = kept_ends(max_length, truncation)
    references, splits = reads_references(tokenizer), _normaliser_splits_ideographs(tokenizer)
    for batch in batched(texts, 4096):
        batch = [readable_text(text) for text in batch]
        if references:  # each character reference as its character, and filler: the same offsets
            batch = [read_references(text) for text in batch]
        heads = [_head(text, max_length, splits=splits) for text in batch]
        for text, head, encoding in zip(
            batch, heads, _encodings(tokenizer, reader, heads, offsets=offsets), strict=True
        ):
            pieces, length = _pieces(
                tokenizer, reader, text, head, encoding, max_length=max_length, tail_kept=tail_kept,
                offsets=offsets, splits=splits,
            )  # fmt: skip
            ends = (head_kept, tail_kept) if length > max_length else (length, 0)
            ids, spans, words = _kept(pieces, *ends, offsets=offsets)
            if pad_id in ids:
                ids = [fallback if token == pad_id else token for token in ids]
            yield _Tokens(ids or [fallback], length, spans, words)


def _pieces(
    tokenizer: Tokenizer,
    reader: Tokenizer | None,
    text: str,
    head: str,
    encoding: Encoding,
    *,
    max_length: int,
    tail_kept: int,
    offsets: bool,
    splits: bool,
) -> tuple[list[tuple[int, Encoding]], int]:
    """The encoded pieces of `text` the kept tokens come from, each with the character it starts at,
    and the text's length in tokens: the whole text's encoding, or for a long text its head's (and
    its tail's, where `tail_kept` tokens of its end are read), the rest only counted."""
    if len(head) == len(text):
        return [(0, encoding)], len(encoding.ids)
    if len(encoding.ids) >= max_length:  # else characters the normaliser drops filled the head
        if not tail_kept:
            rest = _token_count(tokenizer, reader, text, start=len(head), splits=splits)
            return [(0, encoding)], len(encoding.ids) + rest
        tail_start = _tail_start(text, max_length, splits=splits)
        if tail_start > len(head):
            tail = _encodings(tokenizer, reader, [text[tail_start:]], offsets=offsets)[0]
            if len(tail.ids) >= tail_kept:
                middle = _token_count(tokenizer, reader, text, start=len(head), end=tail_start, splits=splits)
                return [(0, encoding), (tail_start, tail)], len(encoding.ids) + middle + len(tail.ids)
    encoding = _encodings(tokenizer, reader, [text], offsets=offsets)[0]
    return [(0, encoding)], len(encoding.ids)


def _kept(
    pieces: list[tuple[int, Encoding]], head_kept: int, tail_kept: int, *, offsets: bool
) -> tuple[list[int], list[tuple[int, int]] | None, list[int] | None]:
    """The ids (and spans and word indices) of the first `head_kept` tokens of the first piece and
    the last `tail_kept` of the last. A tail's word indices continue the head's: `attn inspect
    --words` joins the pieces of one word, and the words on either side of the cut are not one."""
    (_, first), (tail_start, last) = pieces[0], pieces[-1]
    tail_from = len(last.ids) - tail_kept
    ids = first.ids[:head_kept] + last.ids[tail_from:] if tail_kept else first.ids[:head_kept]
    if not offsets:
        return ids, None, None
    spans = first.offsets[:head_kept]
    words = [position if word is None else word for position, word in enumerate(first.word_ids[:head_kept])]
    if tail_kept:
        spans = spans + [(start + tail_start, end + tail_start) for start, end in last.offsets[tail_from:]]
        tail_words = [
            position if word is None else word
            for position, word in enumerate(last.word_ids[tail_from:], start=tail_from)
        ]
        shift = max(words) + 1 - tail_words[0] if words and tail_words and tail_words[0] <= max(words) else 0
        words += [word + shift for word in tail_words]
    return ids, spans, words


# Characters of a text encoded at once; a longer text is encoded in pieces of this size, cut at
# whitespace (the pre-tokenizer's word breaks), which give the same tokens as the whole text.
LONG_TEXT = 1 << 16
# Pieces encoded together (in parallel), which bounds the memory they take (about 70 MB).
PIECES_AT_ONCE = 16


def ideographs_only(text: str) -> bool:
    """Whether `text` is one or more CJK ideographs and nothing else: a piece a tokenizer that reads
    runs of them whole learnt above the characters, which is a word to a reader (喜欢 in 我喜欢你)."""
    return bool(text) and all(IDEOGRAPH_CHARACTERS.fullmatch(character) for character in text)


@functools.cache
def _word_breaks(splits_ideographs: bool) -> re.Pattern[str]:
    """What a piece may end before without parting a word: whitespace, a mark the pre-tokenizer makes
    a word of its own (asked of BertPreTokenizer itself, whose Unicode tables are older than Python's:
    32 characters Python calls punctuation it leaves in words), and a CJK ideograph where the
    tokenizer splits them (Chinese without spaces was read whole, 20 MB of it in 52 s and 7.5 GB to
    give the model its first 32 tokens: a service's trial). Built once, at the first long text."""
    from tokenizers.pre_tokenizers import BertPreTokenizer

    splitter = BertPreTokenizer()
    marks = "".join(
        re.escape(character)
        for character in map(chr, range(0x10000))
        if not 0xD800 <= ord(character) < 0xE000
        and character.strip()
        and len(splitter.pre_tokenize_str(f"a{character}a")) == 3
    )
    ideographs = IDEOGRAPH_CHARACTERS.pattern[1:-1] if splits_ideographs else ""
    return re.compile(f"\\s|[{marks}{ideographs}]")


def _normaliser_splits_ideographs(tokenizer: Tokenizer) -> bool:
    """Whether `tokenizer`'s normaliser makes each CJK ideograph a word of its own (attn's word and
    WordPiece tokenizers; its BPE and unigram ones read runs of them whole, since 2026-12-08)."""
    if tokenizer.normalizer is None:
        return False
    state = json.loads(tokenizer.normalizer.__getstate__())
    steps = state.get("normalizers") or [] if state.get("type") == "Sequence" else [state]
    return any(step.get("type") == "BertNormalizer" and step.get("handle_chinese_chars") for step in steps)


def _piece_end(text: str, start: int, size: int, *, splits: bool) -> tuple[int, bool]:
    """Where a piece of `text` that begins at `start` ends, and whether there is a word break: at the
    first whitespace, punctuation mark or (where the tokenizer `splits` them) CJK ideograph from `size`
    characters on (within 1,024 more), else at the last whitespace before it, else, in a run of
    ideographs a tokenizer reads whole, before one of them all the same (which may part a piece of
    the count, far past the tokens the model reads, rather than encode megabytes whole), else (a run
    of `size` characters without any of them) at `size`, within a word."""
    if len(text) - start <= size:
        return len(text), True
    window = (start + size, start + size + 1024)
    found = _word_breaks(splits).search(text, *window)
    if found is not None:
        return found.start(), True
    before = max(text.rfind(space, start, start + size) for space in " \n\t\r")
    if before > start:
        return before, True
    found = None if splits else IDEOGRAPH_CHARACTERS.search(text, *window)
    return (found.start(), True) if found is not None else (start + size, False)


def _head(text: str, max_length: int, *, splits: bool) -> str:
    """The text itself, or the first piece of a long one: far more characters than `max_length`
    tokens take, ended at a word break (`_piece_end`). A text with none there (a blob of hex, say) is
    read whole: a cut inside a word would change its tokens."""
    end, at_break = _piece_end(text, 0, max(LONG_TEXT, 128 * max_length), splits=splits)
    return text[:end] if at_break else text


def _tail_start(text: str, max_length: int, *, splits: bool) -> int:
    """Where the last piece of a long text begins: as many characters from its end as `_head` takes
    from its start, at a word break (the first one after that point; in a run of ideographs read
    whole, before one of them), or 0 where there is none."""
    size = max(LONG_TEXT, 128 * max_length)
    if len(text) <= size:
        return 0
    # Within 1,024 characters, as _piece_end looks, and never in the last half of the piece: a run of
    # ideographs read whole ending in "。" had its tail start there, too short a tail, and the whole
    # text was encoded.
    window = (len(text) - size, len(text) - size + min(1024, size // 2))
    found = _word_breaks(splits).search(text, *window)
    if found is None and not splits:
        found = IDEOGRAPH_CHARACTERS.search(text, *window)
    return found.start() if found is not None else 0


def _token_count(
    tokenizer: Tokenizer,
    reader: Tokenizer | None,
    text: str,
    *,
    start: int,
    end: int | None = None,
    splits: bool,
) -> int:
    """The tokens of `text[start:end]`, counted piece by piece."""
    text = text[:end] if end is not None else text
    pieces, count = [], 0
    while start < len(text):
        cut, _ = _piece_end(text, start, LONG_TEXT, splits=splits)  # within a word where it must: a count
        pieces.append(text[start:cut])
        start = cut
        if len(pieces) == PIECES_AT_ONCE or start == len(text):
            count += sum(
                len(encoding.ids) for encoding in _encodings(tokenizer, reader, pieces, offsets=False)
            )
            pieces = []
    return count


def _encodings(
    tokenizer: Tokenizer, reader: Tokenizer | None, texts: list[str], *, offsets: bool
) -> list[Encoding]:
    """The encodings of `texts` in order, the ASCII ones by `reader` where there is one."""

    def encode(by: Tokenizer, batch: list[str]) -> list[Encoding]:
        # encode_batch_fast (tokenizers 0.21 and later) leaves the offsets empty.
        fast = getattr(by, "encode_batch_fast", by.encode_batch)
        return (by.encode_batch if offsets else fast)(batch, add_special_tokens=False)

    ascii_rows = [row for row, text in enumerate(texts) if text.isascii()] if reader is not None else []
    if reader is None or not ascii_rows:
        return encode(tokenizer, texts)
    if len(ascii_rows) == len(texts):
        return encode(reader, texts)
    others = [row for row, text in enumerate(texts) if not text.isascii()]
    encodings: list[Encoding] = [None] * len(texts)  # type: ignore[list-item]
    for rows, by in ((ascii_rows, reader), (others, tokenizer)):
        for row, encoding in zip(rows, encode(by, [texts[row] for row in rows]), strict=True):
            encodings[row] = encoding
    return encodings


def token_ids(
    tokenizer: Tokenizer, texts: Sequence[str], *, max_length: int, truncation: str = "head"
) -> Iterator[tuple[list[int], int]]:
    """(ids cut to `max_length`, length before the cut) of each text, for prediction."""
    for tokens in _truncated(tokenizer, texts, max_length=max_length, truncation=truncation, offsets=False):
        yield tokens.ids, tokens.length


def encode(
    tokenizer: Tokenizer, texts: Sequence[str], *, max_length: int, truncation: str = "head"
) -> list[Encoded]:
    """Token ids with each token's character span, for showing tokens (`attn inspect`)."""
    encoded = []
    head_kept, _ = kept_ends(max_length, truncation)
    strips, references = strips_markup(tokenizer), reads_references(tokenizer)
    for text, tokens in zip(
        texts, _truncated(tokenizer, texts, max_length=max_length, truncation=truncation), strict=True
    ):
        assert tokens.offsets is not None and tokens.word_ids is not None  # asked for by offsets=True
        # The stand-in token of an empty text covers no characters.
        offsets = _whole_characters(text, tokens.offsets) or [(0, 0)]
        if strips:
            offsets = whole_references(text, offsets)
        if references:
            offsets = spans_over_references(text, offsets)
        cut = None
        if tokens.length > len(tokens.ids):  # the characters between the last token read before the
            # cut and the first after it (the text's end for head, its start for tail)
            before = offsets[head_kept - 1][1] if head_kept else 0
            after = offsets[head_kept][0] if head_kept < len(offsets) else len(text)
            # Tokens NFKC made of one character ("…" as three dots) may sit on both sides of the cut.
            cut = (before, max(before, after))
        encoded.append(
            Encoded(
                ids=tokens.ids,
                offsets=offsets,
                word_ids=tokens.word_ids or [0],
                untruncated_length=tokens.length,
                cut=cut,
            )  # fmt: skip
        )
    return encoded


def _continues_character(character: str) -> bool:
    """Whether `character` belongs to the one before it on screen: a combining mark (a decomposed
    accent, a Thai vowel sign), a Hangul vowel or final consonant jamo (decomposed Korean), a
    variation selector, a zero-width joiner, or an emoji skin tone."""
    if unicodedata.category(character) in ("Mn", "Mc", "Me") or character == "\u200d":
        return True
    code = ord(character)
    return 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF or 0x1F3FB <= code <= 0x1F3FF


def _whole_characters(text: str, offsets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each token's span widened to the end of the character it ends in. NFKC composes a decomposed
    "ở" (o and two marks) or "는" (three jamo) into one character, and `tokenizers` maps it back to
    its first code point alone, so the marks belonged to no token: inspect drew them after the
    token, and --json spans cut them off."""
    widened = []
    for position, (start, end) in enumerate(offsets):
        limit = next((later for later, _ in offsets[position + 1 :] if later >= end), len(text))
        while start < end < limit and _continues_character(text[end]):
            end += 1
        widened.append((start, end))
    return widened


def pack_ids(
    tokenizer: Tokenizer, texts: Sequence[str], *, max_length: int, truncation: str = "head"
) -> PackedSequences:
    """The ids `encode` gives, without offsets, packed end to end as they come (for training and
    prediction), in a memory-mapped temporary file rather than in the process's own memory."""
    import torch

    ids, starts = SpilledArray(), SpilledArray()
    starts.extend(array("q", [0]))
    chunk_ids, chunk_starts, truncated, longest, read_nothing = array("i"), array("q"), 0, 0, 0
    for tokens in _truncated(tokenizer, texts, max_length=max_length, truncation=truncation, offsets=False):
        if tokens.length > max_length:
            truncated, longest = truncated + 1, max(longest, tokens.length)
        read_nothing += tokens.length == 0
        chunk_ids.extend(tokens.ids)
        chunk_starts.append(ids.count + len(chunk_ids))
        if len(chunk_ids) >= SPILL_TOKENS:
            ids.extend(chunk_ids)
            starts.extend(chunk_starts)
            chunk_ids, chunk_starts = array("i"), array("q")
    ids.extend(chunk_ids)
    starts.extend(chunk_starts)
    return PackedSequences(
        ids=ids.to_tensor(torch.int32), starts=starts.to_tensor(torch.int64), truncated=truncated,
        longest=longest, read_nothing=read_nothing,
    )  # fmt: skip
