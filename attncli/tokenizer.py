"""Training, loading and saving the `tokenizers` tokenizer, encoding texts, and padding a batch."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from attncli.config import UNSIZED_VALUES, TokenizerConfig, min_frequency_for
from attncli.errors import AttnError, CheckpointError, ConfigError

if TYPE_CHECKING:
    import torch
    from tokenizers import Encoding, Tokenizer
    from tokenizers.trainers import Trainer

PAD_TOKEN = "[PAD]"
UNK_TOKEN = "[UNK]"
CLS_TOKEN = "[CLS]"
SPECIAL_TOKENS = [PAD_TOKEN, UNK_TOKEN, CLS_TOKEN]
# Padding tokens of tokenizers trained elsewhere, so a supplied tokenizer.json keeps its own.
KNOWN_PAD_TOKENS = (PAD_TOKEN, "<pad>", "<|pad|>", "<PAD>")
# Token ids gathered in memory before each write to the packed-ids file (4 MB).
SPILL_TOKENS = 1 << 20
# Characters with no letters of their own, dropped before tokenizing: bidirectional marks (web text
# in Arabic and Hebrew is full of them), soft hyphens, word joiners, byte-order marks. Left in,
# "\u200fكرة" is a word of its own, unknown beside "كرة". Zero-width (non-)joiners stay: they change
# how Persian and Indic words are written, and join emoji sequences.
INVISIBLE = r"[\x{200E}\x{200F}\x{061C}\x{00AD}\x{2060}\x{FEFF}\x{202A}-\x{202E}\x{2066}-\x{2069}]"
# Marks that leave a word the same word, dropped too: emoji presentation selectors (a phone sends
# "⚽" followed by U+FE0F), Arabic short vowels and the tatweel that stretches a word, and Hebrew
# vowel points and cantillation. Everyday text mostly goes without them, so a word written with
# them was unknown beside its bare form.
MARKS = (
    r"[\x{FE00}-\x{FE0F}\x{0640}\x{064B}-\x{065F}\x{0670}\x{0591}-\x{05BD}\x{05BF}\x{05C1}\x{05C2}"
    r"\x{05C4}\x{05C5}\x{05C7}]"
)
CONTROL = r"\p{Cc}"
# What tokenizers' unigram trainer raises (a bare Exception) when vocab_size cannot hold every character.
UNIGRAM_TOO_SMALL = "The vocabulary is not large enough to contain all chars"
# A zero-width space marks a word break (in Thai or Khmer text, say): it becomes a space.
ZERO_WIDTH_SPACE = "\u200b"
# Lowercasing letter by letter leaves what full case folding (Python's casefold) maps further, so
# the same word written in capitals would be another word: final sigma, the Turkish dotted capital
# I (lowercased to i and a combining dot) and sharp s.
CASE_FOLDS = (("\u03c2", "\u03c3"), ("i\u0307", "i"), ("\u00df", "ss"))
# Pieces that are words of their own although no space or punctuation sets them apart:
# - each character (with its combining marks) of the scripts written without spaces beside the
#   CJK ideographs BertNormalizer already splits (Thai, Lao, Khmer, Myanmar, Hiragana), and each
#   run of Katakana (a loanword); without this a whole sentence was one word, unknown at once;
# - each emoji, with its skin tone, variation selector and zero-width-joined parts, and each flag:
#   "lol👍🏽" is "lol" and "👍🏽", as "lol!" is "lol" and "!".
UNSPACED_SCRIPTS = r"[\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Hiragana}]\p{M}*"
KATAKANA_RUN = r"[\x{30A0}-\x{30FF}\x{31F0}-\x{31FF}\x{FF66}-\x{FF9F}]+"
EMOJI = (
    r"\p{Regional_Indicator}{2}|\p{Extended_Pictographic}[\p{Emoji_Modifier}\x{FE0F}\x{20E3}]*"
    r"(?:\x{200D}\p{Extended_Pictographic}[\p{Emoji_Modifier}\x{FE0F}]*)*"
)
# The same characters as Python's `re` can find them, by Unicode block, to tell whether a tokenizer
# needs that split at all: it costs a third more time on every text, for nothing where data has none.
UNSPACED_CHARACTERS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
    "\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]"
)
# Texts read, evenly spaced, to find such characters in training data.
UNSPACED_SCAN_TEXTS = 20_000
# Code points UTF-8 cannot encode, which a Python string can still hold (from a JSON "\ud800"
# escape, or from bytes that are not UTF-8 in a command-line argument).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Encoded:
    """Token ids of one text (truncated), each token's character span in the text, and the index
    of the word (as the pre-tokenizer split the text) each token belongs to."""

    ids: list[int]
    offsets: list[tuple[int, int]]
    word_ids: list[int]
    untruncated_length: int


def _batched(texts: Sequence[str], size: int = 1000) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start : start + size])


def has_unspaced_text(texts: Sequence[str]) -> bool:
    """Whether `texts` (up to UNSPACED_SCAN_TEXTS of them, evenly spaced) hold a character of a
    script written without spaces (beside CJK ideographs) or an emoji."""
    step = max(1, len(texts) // UNSPACED_SCAN_TEXTS)
    sample = "\n".join(texts[index] for index in range(0, len(texts), step))
    return UNSPACED_CHARACTERS.search(sample) is not None


def build_untrained_tokenizer(config: TokenizerConfig, *, unspaced: bool = True) -> tuple[Tokenizer, Trainer]:
    """The explicit pipeline (normaliser, pre-tokeniser, model) and the trainer that fits it; with
    `unspaced`, words of scripts written without spaces and emoji are split apart too."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

    # Empty kind and min_frequency are chosen by attncli/sizing.py before training; a tokenizer
    # built without data takes the unsized ones.
    kind = config.kind or UNSIZED_VALUES["tokenizer.kind"]
    size, special = config.vocab_size, SPECIAL_TOKENS
    frequency = config.min_frequency or min_frequency_for(kind)
    trainer: Trainer
    if kind == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token=UNK_TOKEN))
        trainer = trainers.WordPieceTrainer(
            vocab_size=size, special_tokens=special, min_frequency=frequency, show_progress=False
        )
    elif kind == "bpe":
        tokenizer = Tokenizer(models.BPE(unk_token=UNK_TOKEN))
        trainer = trainers.BpeTrainer(
            vocab_size=size, special_tokens=special, min_frequency=frequency, show_progress=False
        )
    elif kind == "unigram":
        tokenizer = Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(
            vocab_size=size, special_tokens=special, unk_token=UNK_TOKEN, show_progress=False
        )
    else:
        tokenizer = Tokenizer(models.WordLevel(unk_token=UNK_TOKEN))
        trainer = trainers.WordLevelTrainer(
            vocab_size=size, special_tokens=special, min_frequency=frequency, show_progress=False
        )
    steps = [
        normalizers.NFKC(),
        normalizers.Replace(Regex(INVISIBLE), ""),
        normalizers.Replace(Regex(MARKS), ""),
        normalizers.Replace(ZERO_WIDTH_SPACE, " "),
        # Control characters (NUL, DEL, the separators 0x1C-0x1F) in damaged or exported text are not
        # whitespace to the pre-tokenizer: `football\x00match` was one unknown word. They part words.
        normalizers.Replace(Regex(CONTROL), " "),
        # Chinese and Japanese are written without spaces: as BERT does, each CJK ideograph is a
        # word of its own, so the vocabulary is not flooded with whole unsplit sentences.
        normalizers.BertNormalizer(
            clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False
        ),
    ]
    if config.lowercase:
        steps += [normalizers.Lowercase(), *(normalizers.Replace(a, b) for a, b in CASE_FOLDS)]
    tokenizer.normalizer = normalizers.Sequence(steps)
    # Splitting on whitespace and punctuation keeps every token's offsets inside one word.
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    if unspaced:
        pieces = Regex("|".join((UNSPACED_SCRIPTS, KATAKANA_RUN, EMOJI)))
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.BertPreTokenizer(), pre_tokenizers.Split(pieces, behavior="isolated")]
        )
    return tokenizer, trainer


def word_splitter(config: TokenizerConfig, *, unspaced: bool = True) -> Callable[[str], list[str]]:
    """The words a tokenizer of `config` reads in a text: its own normaliser and pre-tokenizer (at
    whitespace, each punctuation mark and each CJK ideograph a word), before any model splits them
    into pieces. What attncli/sizing.py counts."""
    tokenizer, _ = build_untrained_tokenizer(config, unspaced=unspaced)
    normalizer, pre_tokenizer = tokenizer.normalizer, tokenizer.pre_tokenizer

    def words(text: str) -> list[str]:
        return [
            word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(readable_text(text)))
        ]

    return words


def train_tokenizer(texts: Sequence[str], config: TokenizerConfig) -> Tokenizer:
    """Fit a tokenizer on `texts` (the training split only), or load `config.path` if given."""
    if config.path:
        return load_tokenizer(Path(config.path), source="tokenizer.path")
    tokenizer, trainer = build_untrained_tokenizer(config, unspaced=has_unspaced_text(texts))
    try:
        tokenizer.train_from_iterator(_batched(texts), trainer=trainer, length=len(texts))
    except Exception as error:  # tokenizers raises a bare Exception
        if UNIGRAM_TOO_SMALL not in str(error):
            raise
        characters = distinct_characters(tokenizer, texts)
        raise ConfigError(
            f"tokenizer.kind=unigram keeps each character of the training texts as a piece, and they hold "
            f"{characters:,} distinct characters, more than tokenizer.vocab_size={config.vocab_size}; raise "
            f"tokenizer.vocab_size to {characters} or more, or use tokenizer.kind=bpe or wordpiece, whose "
            "vocabulary grows to hold every character"
        ) from None
    return tokenizer


def distinct_characters(tokenizer: Tokenizer, texts: Sequence[str]) -> int:
    """How many characters the words of `texts` hold, as `tokenizer`'s normaliser and pre-tokenizer
    give them: the least vocabulary a unigram tokenizer trains with."""
    normalizer, pre_tokenizer = tokenizer.normalizer, tokenizer.pre_tokenizer
    assert normalizer is not None and pre_tokenizer is not None
    seen: set[str] = set()
    for text in texts:
        for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(readable_text(text))):
            seen.update(word)
    return len(seen)


def require_tokenizer_file(path: str | None) -> None:
    """Refuse a tokenizer.path that names no file, before any data loads."""
    if path is not None and not Path(path).is_file():
        raise ConfigError(f"tokenizer.path {path} does not exist; pass the path of a tokenizer.json")


def load_tokenizer(path: Path, *, source: str = "checkpoint") -> Tokenizer:
    if source == "tokenizer.path":
        require_tokenizer_file(str(path))
    elif not path.is_file():
        raise CheckpointError(f"{source} {path} does not exist; pass the path of a tokenizer.json")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not a tokenizers tokenizer.json: {exc}") from exc
    return tokenizer_from_json(text, origin=str(path))


def tokenizer_from_json(text: str, *, origin: str) -> Tokenizer:
    """A tokenizer from the JSON of a tokenizer.json, set up as attn uses it: no padding or
    truncation of its own, and a padding token."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_str(text)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"{origin} is not a tokenizers tokenizer.json ({reason}); pass one written by the "
            "tokenizers library (Tokenizer.save)"
        ) from exc
    tokenizer.no_padding()
    tokenizer.no_truncation()
    if pad_id_of(tokenizer) is None:
        tokenizer.add_special_tokens([PAD_TOKEN])
    return tokenizer


def pad_id_of(tokenizer: Tokenizer) -> int | None:
    for token in KNOWN_PAD_TOKENS:
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return token_id
    return None


def special_ids_of(tokenizer: Tokenizer) -> set[int]:
    """Ids of the tokenizer's special tokens (padding, unknown, classification, and any added)."""
    return {token_id for token_id, token in tokenizer.get_added_tokens_decoder().items() if token.special}


def readable_text(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, character for character (so offsets
    still point into the original): the tokenizer refuses them, and no output could hold them."""
    return text if text.isascii() else LONE_SURROGATE.sub("\ufffd", text)


def ascii_reader(tokenizer: Tokenizer) -> Tokenizer | None:
    """`tokenizer` without the normaliser steps that leave ASCII text as it is (Unicode forms, CJK
    spacing, replacements of non-ASCII characters), which encodes an ASCII text exactly as the whole
    pipeline does (the same ids, offsets and words) in about a quarter less time on English; None where no
    step can be left out, or where an added token is matched on its normalised form and would not be
    the same without them. Made once per tokenizer as it stands: one changed since is made again."""
    import json

    from tokenizers import Tokenizer

    fingerprint = _fingerprint(tokenizer)
    kept = _ASCII_READERS.get(id(tokenizer))
    if kept is not None and kept[0] is tokenizer and kept[1] == fingerprint:
        return kept[2]
    whole = json.loads(tokenizer.to_str())
    steps = _ascii_steps(whole.get("normalizer"))
    normalised_elsewise = any(
        token.get("normalized") and not str(token.get("content", "")).isascii()
        for token in whole.get("added_tokens") or []
    )
    reader = None
    if steps is not None and not normalised_elsewise:
        whole["normalizer"] = {"type": "Sequence", "normalizers": steps} if steps else None
        reader = Tokenizer.from_str(json.dumps(whole))
    if len(_ASCII_READERS) >= ASCII_READERS_KEPT:
        _ASCII_READERS.pop(next(iter(_ASCII_READERS)))
    # The tokenizer is kept with its reader, so that its id is not another's while it is here.
    _ASCII_READERS[id(tokenizer)] = (tokenizer, fingerprint, reader)
    return reader


def _fingerprint(tokenizer: Tokenizer) -> tuple[object, ...]:
    """What a reader copies from a tokenizer, cheaply (50 microseconds, where the whole tokenizer's
    JSON takes 1-60 ms): its normaliser, pre-tokenizer, vocabulary size and added tokens."""
    normalizer, pre_tokenizer = tokenizer.normalizer, tokenizer.pre_tokenizer
    return (
        normalizer.__getstate__() if normalizer is not None else None,
        pre_tokenizer.__getstate__() if pre_tokenizer is not None else None,
        tokenizer.get_vocab_size(with_added_tokens=True),
        str(tokenizer.get_added_tokens_decoder()),
    )


# Readers of ASCII text by the id of the tokenizer they read for; a process meets one or two
# tokenizers, more only in tests.
_ASCII_READERS: dict[int, tuple[Tokenizer, tuple[object, ...], Tokenizer | None]] = {}
ASCII_READERS_KEPT = 8
# Normaliser steps that never change ASCII text: no ASCII character has another Unicode form, and
# StripAccents removes only combining marks.
_ASCII_UNCHANGED = frozenset({"NFC", "NFD", "NFKC", "NFKD", "StripAccents"})
# Regular expressions of attn's own Replace steps that match no ASCII character.
_NON_ASCII_PATTERNS = frozenset({INVISIBLE, MARKS})


def _ascii_steps(normalizer: dict | None) -> list[dict] | None:
    """The steps of a tokenizer.json normaliser that can change ASCII text, or None where no step
    can be left out. Steps are left out only while the text is sure to be ASCII still: after a step
    that may write other characters (a replacement by "▁", byte-level, a step of a kind not known
    here), every later step is kept."""
    if normalizer is None:
        return None
    steps = normalizer["normalizers"] if normalizer.get("type") == "Sequence" else [normalizer]
    kept: list[dict] = []
    still_ascii = True
    for step in steps:
        kind = step.get("type")
        pattern = step.get("pattern") or {}
        if still_ascii and kind in _ASCII_UNCHANGED:
            continue
        if still_ascii and kind == "BertNormalizer" and not step.get("clean_text"):
            # Its CJK spacing and accent stripping leave ASCII alone; only its lowercasing is left.
            if step.get("lowercase"):
                kept.append({"type": "Lowercase"})
            continue
        if (
            still_ascii
            and kind == "Replace"
            and (not str(pattern.get("String", "a")).isascii() or pattern.get("Regex") in _NON_ASCII_PATTERNS)
        ):
            continue
        kept.append(step)
        writes_ascii = kind in ("Lowercase", "Strip", "BertNormalizer") or (
            kind == "Replace" and str(step.get("content", "")).isascii()
        )
        still_ascii = still_ascii and writes_ascii
    return kept if kept != steps else None


def fallback_id_of(tokenizer: Tokenizer) -> int:
    """The id that stands in for a text that produced no tokens at all (an unknown token)."""
    for token in (UNK_TOKEN, "<unk>"):
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return token_id
    pad_id = pad_id_of(tokenizer)
    return 1 if pad_id == 0 else 0


def _truncated(
    tokenizer: Tokenizer, texts: Sequence[str], *, max_length: int, offsets: bool = True
) -> Iterator[tuple[list[int], Encoding]]:
    """(ids, encoding) of each text: encoded without special tokens, truncated to `max_length`.
    With `offsets=False` the encodings' offsets are left empty, where `tokenizers` can skip them
    (`encode_batch_fast`, from 0.21: BBC articles encode in 0.13 s instead of 0.16 s).

    A text with no tokens (only spaces, say) becomes one unknown token, so every sequence has at
    least one position to attend to; "[PAD]" written in a text is an unknown token too, never
    padding (which the model would not read: a text of only "[PAD]" had nothing to attend to).
    """
    fallback, pad_id = fallback_id_of(tokenizer), pad_id_of(tokenizer)
    reader = ascii_reader(tokenizer)
    for batch in _batched(texts, 4096):
        batch = [readable_text(text) for text in batch]
        for encoding in _encodings(tokenizer, reader, batch, offsets=offsets):
            ids = encoding.ids[:max_length]
            if pad_id in ids:
                ids = [fallback if token == pad_id else token for token in ids]
            yield ids or [fallback], encoding


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
    tokenizer: Tokenizer, texts: Sequence[str], *, max_length: int
) -> Iterator[tuple[list[int], int]]:
    """(ids cut to `max_length`, length before the cut) of each text, for prediction."""
    for ids, encoding in _truncated(tokenizer, texts, max_length=max_length, offsets=False):
        yield ids, len(encoding.ids)


def encode(tokenizer: Tokenizer, texts: Sequence[str], *, max_length: int) -> list[Encoded]:
    """Token ids with each token's character span, for showing tokens (`attn inspect`)."""
    encoded = []
    for text, (ids, encoding) in zip(texts, _truncated(tokenizer, texts, max_length=max_length), strict=True):
        # The stand-in token of an empty text covers no characters.
        offsets = _whole_characters(text, encoding.offsets[:max_length]) or [(0, 0)]
        word_ids = [
            position if word is None else word for position, word in enumerate(encoding.word_ids[:max_length])
        ] or [0]
        encoded.append(
            Encoded(ids=ids, offsets=offsets, word_ids=word_ids, untruncated_length=len(encoding.ids))
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


@dataclass(frozen=True)
class PackedSequences:
    """Token id sequences stored end to end in one int32 tensor: 4 bytes a token and no Python
    object per text, so a million training texts cost tens of megabytes, not hundreds."""

    ids: torch.Tensor
    """(total_tokens,) int32."""
    starts: torch.Tensor
    """(num_sequences + 1,) int64: sequence i is ids[starts[i]:starts[i + 1]]."""
    truncated: int = 0
    """Texts that were longer than max_length, cut to it."""

    @classmethod
    def of_lists(cls, sequences: Sequence[Sequence[int]]) -> PackedSequences:
        """Sequences already in memory (a chunk of texts to predict), packed in a few operations."""
        import torch

        ids = array("i")
        starts = array("q", [0])
        for sequence in sequences:
            ids.extend(sequence)
            starts.append(len(ids))
        packed = torch.frombuffer(ids, dtype=torch.int32) if ids else torch.empty(0, dtype=torch.int32)
        return cls(ids=packed, starts=torch.frombuffer(starts, dtype=torch.int64))

    def __len__(self) -> int:
        return self.starts.numel() - 1

    def __getitem__(self, row: int) -> torch.Tensor:
        return self.ids[self.starts[row] : self.starts[row + 1]]

    def lengths(self) -> torch.Tensor:
        """(num_sequences,) int64."""
        return self.starts[1:] - self.starts[:-1]

    def padded(self, rows: torch.Tensor, *, pad_id: int) -> torch.Tensor:
        """The sequences at `rows` (a 1-D int64 tensor), right-padded into one (len(rows), longest)
        LongTensor, as `pad_batch` gives, in a few whole-batch operations rather than a few per row
        (a 32-headline training batch: 0.12 ms against 0.93 ms, a tenth of a step)."""
        import torch

        starts = self.starts[rows]
        lengths = self.starts[rows + 1] - starts
        positions = torch.arange(int(lengths.max()) if len(rows) else 0)
        padding = positions >= lengths[:, None]  # (rows, longest)
        index = (starts[:, None] + positions).masked_fill_(padding, 0)  # padded places read token 0
        batch = self.ids.index_select(0, index.view(-1)).view(index.shape).long()
        return batch.masked_fill_(padding, pad_id)


@contextlib.contextmanager
def _temporary_file_errors() -> Iterator[None]:
    """Turn a failure to write or map the token-id file into a message that says what to do."""
    import tempfile

    try:
        yield
    except OSError as error:
        raise AttnError(
            f"could not write token ids to a temporary file in {tempfile.gettempdir()} "
            f"({error.strerror or error}); point TMPDIR at a writable folder with free space"
        ) from error


class _SpilledArray:
    """Values appended chunk by chunk to an unnamed temporary file, then memory-mapped as one
    tensor: the pages belong to the page cache, which the kernel can drop and read back, so the
    process's own memory does not grow with the number of tokens."""

    def __init__(self) -> None:
        import tempfile

        with _temporary_file_errors():
            self.file = tempfile.TemporaryFile()  # unnamed: removed by the OS however the run ends
        self.count = 0

    def extend(self, values: array) -> None:
        with _temporary_file_errors():
            values.tofile(self.file)
        self.count += len(values)

    def to_tensor(self, dtype: torch.dtype) -> torch.Tensor:
        import mmap

        import torch

        with _temporary_file_errors():
            self.file.flush()
            if self.count == 0:
                self.file.close()
                return torch.zeros(0, dtype=dtype)
            # A private (copy-on-write) mapping is writable, as torch.frombuffer wants, yet never
            # writes back; the tensor keeps the mapping alive, and the mapping outlives the file.
            mapped = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_COPY)
            self.file.close()
        return torch.frombuffer(mapped, dtype=dtype)


def pack_ids(tokenizer: Tokenizer, texts: Sequence[str], *, max_length: int) -> PackedSequences:
    """The ids `encode` gives, without offsets, packed end to end as they come (for training and
    prediction), in a memory-mapped temporary file rather than in the process's own memory."""
    import torch

    ids, starts = _SpilledArray(), _SpilledArray()
    starts.extend(array("q", [0]))
    chunk_ids, chunk_starts, truncated = array("i"), array("q"), 0
    for sequence, encoding in _truncated(tokenizer, texts, max_length=max_length, offsets=False):
        truncated += len(encoding.ids) > max_length
        chunk_ids.extend(sequence)
        chunk_starts.append(ids.count + len(chunk_ids))
        if len(chunk_ids) >= SPILL_TOKENS:
            ids.extend(chunk_ids)
            starts.extend(chunk_starts)
            chunk_ids, chunk_starts = array("i"), array("q")
    ids.extend(chunk_ids)
    starts.extend(chunk_starts)
    return PackedSequences(
        ids=ids.to_tensor(torch.int32), starts=starts.to_tensor(torch.int64), truncated=truncated
    )


def pad_batch(sequences: Sequence[Sequence[int] | torch.Tensor], *, pad_id: int) -> torch.Tensor:
    """Right-pad token id sequences (lists or 1-D tensors) into one (batch, longest) LongTensor."""
    import torch

    longest = max(len(ids) for ids in sequences)
    batch = torch.full((len(sequences), longest), pad_id, dtype=torch.long)
    for row, ids in enumerate(sequences):
        batch[row, : len(ids)] = torch.as_tensor(ids, dtype=torch.long)
    return batch
