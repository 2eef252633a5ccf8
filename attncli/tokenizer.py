"""Building, training, loading and saving the `tokenizers` tokenizer (its explicit pipeline and
special tokens), the ids of its padding and unknown tokens, and the text it can read."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from attncli.config import TokenizerConfig
from attncli.errors import CheckpointError, ConfigError
from attncli.markup import read_references, reads_references, with_markup_steps
from attncli.records import TERMINAL_ESCAPES
from attncli.repeatable_vocabulary import (
    continuing_pieces,
    ordered_unigram,
    without_added_pieces,
)
from attncli.sized_settings import UNSIZED_VALUES, min_frequency_for

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer
    from tokenizers.trainers import Trainer


PAD_TOKEN = "[PAD]"
UNK_TOKEN = "[UNK]"
CLS_TOKEN = "[CLS]"
SPECIAL_TOKENS = [PAD_TOKEN, UNK_TOKEN, CLS_TOKEN]
# Unknown tokens by the names attn and other tokenizers (sentencepiece's, many of the Hub's) give them.
UNKNOWN_TOKENS = (UNK_TOKEN, "<unk>")
# Padding tokens of tokenizers trained elsewhere, so a supplied tokenizer.json keeps its own.
KNOWN_PAD_TOKENS = (PAD_TOKEN, "<pad>", "<|pad|>", "<PAD>")


# Characters with no letters of their own, dropped before tokenizing: bidirectional marks (web text
# in Arabic and Hebrew is full of them), soft hyphens, word joiners, byte-order marks. Left in,
# "\u200fكرة" is a word of its own, unknown beside "كرة". Zero-width (non-)joiners stay: they change
# how Persian and Indic words are written, and join emoji sequences.
INVISIBLE = r"[\x{200E}\x{200F}\x{061C}\x{00AD}\x{2060}\x{FEFF}\x{202A}-\x{202E}\x{2066}-\x{2069}]"
# A zero-width (non-)joiner between letters of scripts that join none (Latin, Greek, Cyrillic): no
# spelling needs one there, but a post that hides a word from filters does (`stu\u200dpid` was two
# unknown tokens where a word joiner, U+2060, is dropped: a moderator's trial). Dropped, in tokenizers
# trained since 2026-12-07.
UNJOINED_LETTER = r"[\p{Latin}\p{Greek}\p{Cyrillic}]"
JOINER_IN_WORD = rf"(?<={UNJOINED_LETTER})[\x{{200C}}\x{{200D}}]+(?={UNJOINED_LETTER})"
# The same characters, with the zero-width space (a word break in texts), as labels and look-alike
# texts are compared without them (the regex above stays as checkpoints saved it).
INVISIBLE_CHARACTERS = frozenset(
    "\u200e\u200f\u061c\u00ad\u2060\ufeff\u200b"
    + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2066, 0x206A)))
)
# Marks that leave a word the same word, dropped too: emoji presentation selectors (a phone sends
# "⚽" followed by U+FE0F) and skin tones (U+1F3FB-U+1F3FF: "👍🏽" was unknown where training held
# "👍"), Arabic short vowels and the tatweel that stretches a word, and Hebrew vowel points and
# cantillation. Everyday text mostly goes without them, so a word written with them was unknown
# beside its bare form.
MARKS = (
    r"[\x{FE00}-\x{FE0F}\x{1F3FB}-\x{1F3FF}\x{0640}\x{064B}-\x{065F}\x{0670}\x{0591}-\x{05BD}\x{05BF}"
    r"\x{05C1}\x{05C2}\x{05C4}\x{05C5}\x{05C7}]"
)
# MARKS as tokenizers trained before 2026-12-06 saved it, skin tones kept: their tokenizer.json holds
# this pattern, and still reads a skin tone as written.
MARKS_KEEPING_SKIN_TONES = (
    r"[\x{FE00}-\x{FE0F}\x{0640}\x{064B}-\x{065F}\x{0670}\x{0591}-\x{05BD}\x{05BF}\x{05C1}\x{05C2}"
    r"\x{05C4}\x{05C5}\x{05C7}]"
)
CONTROL = r"\p{Cc}"
# The accents of Latin and Greek letters once decomposed (tokenizer.strip_accents): the combining
# marks after such a letter. Those of other scripts stay: a Devanagari vowel sign or the breve of
# Cyrillic й is part of the letter, not an accent one may leave out.
ACCENTS = r"(?<=[\p{Latin}\p{Greek}])\p{Mn}+"
# Latin letters whose stroke or missing dot no decomposition takes off, as typed on a keyboard
# without them: Vietnamese đ (`dang nhap` for `đăng nhập` read `dang` as unknown), Polish ł, Danish
# and Norwegian ø, Maltese ħ, Turkish dotless ı (`ILIK` lowercases to `ilik`, not `ılık`).
BARE_LETTERS = (
    ("đ", "d"), ("Đ", "D"), ("ł", "l"), ("Ł", "L"), ("ø", "o"), ("Ø", "O"), ("ħ", "h"), ("Ħ", "H"),
    ("ı", "i"),
)  # fmt: skip


def accent_steps() -> list[Normalizer]:
    """tokenizer.strip_accents's normaliser steps: decomposed, the accents dropped, composed again,
    and the letters of BARE_LETTERS written bare."""
    from tokenizers import Regex, normalizers

    bare = [normalizers.Replace(letter, plain) for letter, plain in BARE_LETTERS]
    return [normalizers.NFD(), normalizers.Replace(Regex(ACCENTS), ""), normalizers.NFC(), *bare]


def without_accents(text: str) -> str:
    """`text` as tokenizer.strip_accents reads it: Latin and Greek letters without their accents."""
    return _accents_stripper().normalize_str(text)


@functools.cache
def _accents_stripper() -> Normalizer:
    from tokenizers import normalizers

    return normalizers.Sequence(accent_steps())


# What tokenizers' unigram trainer raises (a bare Exception) when vocab_size cannot hold every character.
UNIGRAM_TOO_SMALL = "The vocabulary is not large enough to contain all chars"
# Persian typed on an Arabic keyboard writes kaf and yeh in their Arabic forms (ك, ي), which read
# as other letters than Persian's own (ک, ی): a trial's Persian keywords with the Arabic kaf were
# unknown words, 0 of 4 right. One form each, as Persian toolkits normalise them (hazm); Arabic
# text, which writes them one way, reads as before. Alef maksura (ى) stays a letter of its own.
ARABIC_KAF_AND_YEH = (("\u0643", "\u06a9"), ("\u064a", "\u06cc"))
# A zero-width space marks a word break (in Thai or Khmer text, say): it becomes a space.
ZERO_WIDTH_SPACE = "\u200b"
# Lowercasing letter by letter leaves what full case folding (Python's casefold) maps further, so
# the same word written in capitals would be another word: final sigma, the Turkish dotted capital
# I (lowercased to i and a combining dot) and sharp s.
CASE_FOLDS = (("\u03c2", "\u03c3"), ("i\u0307", "i"), ("\u00df", "ss"))
# Greek capitals are written without the tonos (ΚΩΔΙΚΟΣ for κωδικός), so lowercasing one is no match
# for the word as written in lower case (a trial's Greek in capitals: 2 of 12 right, 12 of 12 with
# tokenizer.strip_accents). Lowercasing drops it, with the rest of the case: the few words it tells
# apart (πού and που) read alike. The dialytika stays, as capitals keep it (Ϊ).
GREEK_TONOS = (
    ("ά", "α"), ("έ", "ε"), ("ή", "η"), ("ί", "ι"), ("ό", "ο"), ("ύ", "υ"), ("ώ", "ω"),
    ("ΐ", "ϊ"), ("ΰ", "ϋ"),
)  # fmt: skip
# Pieces that are words of their own although no space or punctuation sets them apart:
# - each character (with its combining marks) of the scripts written without spaces beside the
#   CJK ideographs BertNormalizer already splits (Thai, Lao, Khmer, Myanmar, Hiragana), and each
#   run of Katakana (a loanword); without this a whole sentence was one word, unknown at once;
# - each emoji, with its skin tone, variation selector and zero-width-joined parts, each flag (the
#   tag characters of Scotland's and Wales's among them) and each keycap: "lol👍🏽" is "lol" and
#   "👍🏽", as "lol!" is "lol" and "!". A keycap's digit with its enclosing mark is one piece; "#"
#   and "*" are punctuation, pieces of their own already, which leaves their mark one piece too.
UNSPACED_SCRIPTS = r"[\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Hiragana}]\p{M}*"
KATAKANA_RUN = r"[\x{30A0}-\x{30FF}\x{31F0}-\x{31FF}\x{FF66}-\x{FF9F}]+"
# A run of CJK ideographs (BertNormalizer's ranges), a word of its own where they are read whole.
IDEOGRAPH_RUN = (
    r"[\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{F900}-\x{FAFF}\x{20000}-\x{2A6DF}\x{2A700}-\x{2CEAF}"
    r"\x{2F800}-\x{2FA1F}]+"
)
EMOJI = (
    r"\p{Regional_Indicator}{2}|[0-9]?\x{20E3}"
    r"|\p{Extended_Pictographic}[\p{Emoji_Modifier}\x{FE0F}\x{20E3}\x{E0020}-\x{E007F}]*"
    r"(?:\x{200D}\p{Extended_Pictographic}[\p{Emoji_Modifier}\x{FE0F}]*)*"
)
# The same characters as Python's `re` can find them, by Unicode block, to tell whether a tokenizer
# needs that split at all: it costs a third more time on every text, for nothing where data has none.
UNSPACED_CHARACTERS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
    "\u20e3\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]"
)
# Texts read, evenly spaced, to find such characters in training data.
UNSPACED_SCAN_TEXTS = 20_000
# Code points UTF-8 cannot encode, which a Python string can still hold (from a JSON "\ud800"
# escape, or from bytes that are not UTF-8 in a command-line argument).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def batched(texts: Sequence[str], size: int = 1000) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start : start + size])


# The scripts GREEK_TONOS and ARABIC_KAF_AND_YEH fold letters of (Persian data too, whose users may
# type the Arabic forms): their steps, a fifth more normaliser time on texts beyond ASCII (BBC
# articles with their vowels accented: 0.19 s against 0.16 s), are kept for data in those scripts.
FOLDED_LETTERS = re.compile("[\u0370-\u03ff\u1f00-\u1fff\u0600-\u06ff]")


# CJK ideographs (BertNormalizer's ranges, which IDEOGRAPH_RUN writes for tokenizers' regexes) as
# Python's `re` finds them.
IDEOGRAPH_CHARACTERS = re.compile(
    "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df\U0002a700-\U0002ceaf\U0002f800-\U0002fa1f]"
)


def optional_steps(texts: Sequence[str]) -> tuple[bool, bool, bool]:
    """Whether `texts` (up to UNSPACED_SCAN_TEXTS of them, evenly spaced) need the steps kept for
    data that holds their characters: the split of scripts written without spaces (beside CJK
    ideographs) and of emoji, the Greek and Arabic-script letter folds, and the split of runs of CJK
    ideographs read whole from the letters beside them."""
    step = max(1, len(texts) // UNSPACED_SCAN_TEXTS)
    sample = "\n".join(texts[index] for index in range(0, len(texts), step))

    def holds(characters: re.Pattern[str]) -> bool:
        return characters.search(sample) is not None

    return holds(UNSPACED_CHARACTERS), holds(FOLDED_LETTERS), holds(IDEOGRAPH_CHARACTERS)


def splits_ideographs(config: TokenizerConfig, kind: str) -> bool:
    """Whether a tokenizer of `kind` trained with `config` reads each CJK ideograph as a word of its own:
    as tokenizer.split_ideographs says, or where it is empty for whole words and WordPiece (BERT's
    reading: WordPiece reads a word it cannot spell from its pieces as one unknown token). BPE and
    unigram given whole runs of them learn pieces above the characters (不错, 喜欢, 不是很): on 13,890
    real Chinese reviews, 84.1% of test over six seeds against 81.9% for characters one by one
    (docs/short_texts.md)."""
    if config.split_ideographs is not None:
        return config.split_ideographs
    return kind in ("word", "wordpiece")


def build_untrained_tokenizer(
    config: TokenizerConfig,
    *,
    unspaced: bool = True,
    letter_folds: bool = True,
    ideograph_runs: bool = True,
    fixed_pieces: Sequence[str] = (),
) -> tuple[Tokenizer, Trainer]:
    """The explicit pipeline (normaliser, pre-tokeniser, model) and the trainer that fits it; with
    `unspaced`, words of scripts written without spaces and emoji are split apart too, and with
    `ideograph_runs` runs of CJK ideographs read whole from the letters beside them. A WordPiece
    trainer numbers `fixed_pieces` right after the special tokens (attncli/repeatable_vocabulary.py)."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

    # Empty kind and min_frequency are chosen by attncli/sizing.py before training; a tokenizer
    # built without data takes the unsized ones.
    kind = config.kind or UNSIZED_VALUES["tokenizer.kind"]
    size, special = config.vocab_size, SPECIAL_TOKENS
    frequency = config.min_frequency or min_frequency_for(kind)
    trainer: Trainer
    split_ideographs = splits_ideographs(config, kind)
    if kind == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token=UNK_TOKEN))
        trainer = trainers.WordPieceTrainer(
            vocab_size=size,
            special_tokens=[*special, *fixed_pieces],
            min_frequency=frequency,
            show_progress=False,
        )
    elif kind == "bpe":
        # One unknown token for a run of characters training never held (a Latin brand name in an
        # Arabic model was six, and pushed the Arabic past max_length: a trial).
        tokenizer = Tokenizer(models.BPE(unk_token=UNK_TOKEN, fuse_unk=True))
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
        normalizers.Replace(Regex(JOINER_IN_WORD), ""),
        normalizers.Replace(Regex(MARKS), ""),
        normalizers.Replace(ZERO_WIDTH_SPACE, " "),
        *(normalizers.Replace(arabic, persian) for arabic, persian in ARABIC_KAF_AND_YEH if letter_folds),
        # Control characters (NUL, DEL, the separators 0x1C-0x1F) in damaged or exported text are not
        # whitespace to the pre-tokenizer: `football\x00match` was one unknown word. They part words.
        # A terminal's escape sequences go with them, in the same pass (one step fewer for every text),
        # in tokenizers trained since 2026-12-08 (records.TERMINAL_ESCAPES).
        normalizers.Replace(Regex(f"{TERMINAL_ESCAPES}|{CONTROL}"), " "),
    ]
    if split_ideographs:
        # Chinese and Japanese are written without spaces: as BERT does, each CJK ideograph is a
        # word of its own, so a word vocabulary is not flooded with whole unsplit sentences.
        steps.append(
            normalizers.BertNormalizer(
                clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False
            )
        )
    if config.lowercase:
        folds = (*CASE_FOLDS, *(GREEK_TONOS if letter_folds else ()))
        steps += [normalizers.Lowercase(), *(normalizers.Replace(a, b) for a, b in folds)]
    if config.strip_accents:
        steps += accent_steps()
    if config.strip_html:
        steps = with_markup_steps(steps)
    tokenizer.normalizer = normalizers.Sequence(steps)
    # Splitting on whitespace and punctuation keeps every token's offsets inside one word.
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # A run of ideographs read whole is a word apart from the Latin letters and digits written against
    # it (我用iPhone13拍照: 我用, iphone13, 拍照), so that no piece joins the two scripts; where the
    # data holds ideographs (the split took a fifth more time on BBC News in BPE, for nothing there).
    runs = (IDEOGRAPH_RUN,) if ideograph_runs and not split_ideographs else ()
    if unspaced or runs:
        pieces = Regex("|".join((*runs, *((UNSPACED_SCRIPTS, KATAKANA_RUN, EMOJI) if unspaced else ()))))
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.BertPreTokenizer(), pre_tokenizers.Split(pieces, behavior="isolated")]
        )
    return tokenizer, trainer


def word_splitter(
    config: TokenizerConfig, *, unspaced: bool = True, letter_folds: bool = True
) -> Callable[[str], list[str]]:
    """The words a tokenizer of `config` reads in a text: its own normaliser and pre-tokenizer (at
    whitespace, each punctuation mark and each CJK ideograph a word), before any model splits them
    into pieces. What attncli/sizing.py counts."""
    tokenizer, _ = build_untrained_tokenizer(config, unspaced=unspaced, letter_folds=letter_folds)
    normalizer, pre_tokenizer = tokenizer.normalizer, tokenizer.pre_tokenizer
    read = read_references if config.strip_html else str

    def words(text: str) -> list[str]:
        written = normalizer.normalize_str(read(readable_text(text)))
        return [word for word, _ in pre_tokenizer.pre_tokenize_str(written)]

    return words


# A text's words past this multiple of what the model reads (max_length tokens) are left out of the
# tokenizer's training: subword statistics gain from more text than the model reads, but one line of
# 200,000 words (a log pasted into a cell) grew a word vocabulary 13 times, with vectors that training
# never reaches. At 16, BBC News (its longest article 4,432 words, max_length 512) loses no word.
TOKENIZER_WORDS_PER_TOKEN_READ = 16
# Characters kept where a text's whitespace cannot say where its words end (Chinese, one long run).
CHARACTERS_PER_WORD = 64


def words_up_to(text: str, words: int) -> str:
    """`text` up to its first `words` whitespace-separated words (each punctuation mark and CJK
    character is a word of its own to the tokenizer, so it keeps at least as many of the tokenizer's
    words), and at most `words` x CHARACTERS_PER_WORD characters."""
    if len(text) <= words:
        return text
    parts = text.split(maxsplit=words)
    cut = text if len(parts) <= words else text[: len(text) - len(parts[-1])]
    return cut[: words * CHARACTERS_PER_WORD]


def words_from_end(text: str, words: int) -> str:
    """`text` from its last `words` whitespace-separated words on (as `words_up_to` from its start),
    and at most `words` x CHARACTERS_PER_WORD characters."""
    if len(text) <= words:
        return text
    parts = text.rsplit(maxsplit=words)
    cut = text if len(parts) <= words else text[len(parts[0]) :]
    return cut[-words * CHARACTERS_PER_WORD :]


def words_read(text: str, words: int, truncation: str) -> str:
    """The words of `text` near those a model of `truncation` (model.truncation) reads: up to `words`
    of them from its start (head), its end (tail), or each (head+tail, joined by a space)."""
    if truncation == "tail":
        return words_from_end(text, words)
    head = words_up_to(text, words)
    if truncation != "head+tail" or len(head) == len(text):
        return head
    tail = words_from_end(text, words)
    return text if len(head) + len(tail) >= len(text) else f"{head} {tail}"


def train_tokenizer(
    texts: Sequence[str],
    config: TokenizerConfig,
    *,
    max_length: int | None = None,
    truncation: str = "head",
) -> Tokenizer:
    """Fit a tokenizer on `texts` (the training split only), or load `config.path` if given; with
    `max_length` (the tokens the model reads), each text's words far from those it reads (past them,
    or before them for `truncation` tail and head+tail) are left out."""
    if config.path:
        return load_tokenizer(Path(config.path), source="tokenizer.path")
    unspaced, letter_folds, ideograph_runs = optional_steps(texts)
    kind = config.kind or UNSIZED_VALUES["tokenizer.kind"]

    read = read_references if config.strip_html else str

    def batches() -> Iterator[list[str]]:
        if max_length is None:
            return ([read(text) for text in batch] for batch in batched(texts))
        words = max_length * TOKENIZER_WORDS_PER_TOKEN_READ
        return ([read(words_read(text, words, truncation)) for text in batch] for batch in batched(texts))

    fixed_pieces: list[str] = []
    if kind == "wordpiece":
        untrained, _ = build_untrained_tokenizer(
            config, unspaced=unspaced, letter_folds=letter_folds, ideograph_runs=ideograph_runs
        )
        fixed_pieces = continuing_pieces(untrained, batches())
    tokenizer, trainer = build_untrained_tokenizer(
        config,
        unspaced=unspaced,
        letter_folds=letter_folds,
        ideograph_runs=ideograph_runs,
        fixed_pieces=fixed_pieces,
    )
    try:
        tokenizer.train_from_iterator(batches(), trainer=trainer, length=len(texts))
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
    if fixed_pieces:
        return without_added_pieces(tokenizer, fixed_pieces)
    if kind == "unigram":
        return ordered_unigram(tokenizer, SPECIAL_TOKENS)
    return tokenizer


def distinct_characters(tokenizer: Tokenizer, texts: Sequence[str]) -> int:
    """How many characters the words of `texts` hold, as `tokenizer`'s normaliser and pre-tokenizer
    give them: the least vocabulary a unigram tokenizer trains with."""
    normalizer, pre_tokenizer = tokenizer.normalizer, tokenizer.pre_tokenizer
    assert normalizer is not None and pre_tokenizer is not None
    seen: set[str] = set()
    read = read_references if reads_references(tokenizer) else str
    for text in texts:
        for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(read(readable_text(text)))):
            seen.update(word)
    return len(seen)


def require_tokenizer_file(path: str | None) -> None:
    """Refuse a tokenizer.path that names no file, before any data loads."""
    if path is not None and not Path(path).is_file():
        # /dev/zero or a FIFO exists, but is no file to read a tokenizer from (it was "does not exist").
        what = "is not a regular file" if Path(path).exists() else "does not exist"
        raise ConfigError(f"tokenizer.path {path} {what}; pass the path of a tokenizer.json")


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


def unknown_id_of(tokenizer: Tokenizer) -> int | None:
    """The id of the tokenizer's unknown token ([UNK] or <unk>), or None (a byte-level vocabulary)."""
    return next(
        (token_id for token in UNKNOWN_TOKENS if (token_id := tokenizer.token_to_id(token)) is not None), None
    )


def fallback_id_of(tokenizer: Tokenizer) -> int:
    """The id that stands in for a text that produced no tokens at all (an unknown token)."""
    if (unknown_id := unknown_id_of(tokenizer)) is not None:
        return unknown_id
    pad_id = pad_id_of(tokenizer)
    return 1 if pad_id == 0 else 0
