"""Made-up outliers for outlier exposure (Hendrycks et al., 2019): short texts of random words spelt
with the characters of the tokenizer's own alphabet ("qzv kxo", "tsiwa"), tokenized as any text
is. Training pushes them towards equal probabilities, so text the model cannot read (gibberish,
keyboard mashing) gets no confident label. Random letters rarely spell a word of the task, so the
outliers seldom contradict what the real texts teach. Where none of them reads as an unknown word
(a word tokenizer of Chinese, every character a word), half are spelt with letters the tokenizer
has never seen, so that text in another script gets no confident label either."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from attncli.packing import PackedSequences
from attncli.tokenization import pack_ids
from attncli.tokenizer import fallback_id_of, special_ids_of

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

POOL_TEXTS = 4096
WORDS_PER_TEXT = (1, 6)
LETTERS_PER_WORD = (2, 9)
# Fewer single-character tokens than this (a word tokenizer of a script whose words are never one
# letter long: Arabic, Hindi, Korean) and the letters of every token spell the outliers.
FEWEST_LETTERS = 10
# Letters of three scripts, to spell words a tokenizer that has none of them cannot read.
FOREIGN_LETTERS = "abcdefghijklmnopqrstuvwxyzαβγδεζηθικλμνξοπρστυφχψωабвгдежзийклмнопрстуфхцчшщыэюя"


def _words_of(tokenizer: Tokenizer) -> list[str]:
    """The tokenizer's vocabulary but its special tokens ([PAD], [UNK]: no letters of the text's)."""
    special = special_ids_of(tokenizer)
    vocabulary = tokenizer.get_vocab(with_added_tokens=False)
    return [token.removeprefix("##") for token, token_id in vocabulary.items() if token_id not in special]


def alphabet_of(tokenizer: Tokenizer) -> list[str]:
    """The letters and digits the tokenizer has as single-character tokens (subword markers
    removed), or, where it has few, those of all its tokens."""
    words = _words_of(tokenizer)
    letters = {word for word in words if len(word) == 1 and word.isalnum()}
    if len(letters) >= FEWEST_LETTERS:
        return sorted(letters)
    return sorted({character for word in words for character in word if character.isalnum()})


def foreign_letters(tokenizer: Tokenizer) -> list[str]:
    """Letters that no token of the tokenizer holds: words spelt with them are unknown to it."""
    seen = {character for word in _words_of(tokenizer) for character in word}
    return [letter for letter in FOREIGN_LETTERS if letter not in seen and letter.upper() not in seen]


def gibberish(alphabet: list[str], *, count: int, seed: int) -> list[str]:
    """`count` texts of random words over `alphabet`, the same for the same seed."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(*LETTERS_PER_WORD)))
            for _ in range(rng.randint(*WORDS_PER_TEXT))
        ]
        texts.append(" ".join(words))
    return texts


def outlier_pool(tokenizer: Tokenizer, *, seed: int, max_length: int) -> PackedSequences | None:
    """Token ids of POOL_TEXTS made-up texts (None when the tokenizer has no letters to spell with)."""
    alphabet = alphabet_of(tokenizer)
    texts = gibberish(alphabet, count=POOL_TEXTS, seed=seed) if alphabet else []
    # WordPiece is left as it was: on the BBC articles what follows cost 0.45 points on each of
    # seeds 0-2. BPE reads every made-up word of its letters, so its unknown token went untrained,
    # and "hello world" got 75% from a Korean model of 4 labels (a trial).
    unread = type(tokenizer.model).__name__ in ("WordLevel", "BPE")
    if unread and not _reads_as_unknown(tokenizer, texts[:100], max_length=max_length):
        # None of them reads as unknown (a word tokenizer of Chinese, each character a word): half
        # are spelt with letters it has never seen, where there are such letters.
        foreign = foreign_letters(tokenizer)
        if foreign:
            kept = texts[: POOL_TEXTS // 2]
            texts = kept + gibberish(foreign, count=POOL_TEXTS - len(kept), seed=seed + 1)
    if not texts:
        return None
    try:
        return pack_ids(tokenizer, texts, max_length=max_length)
    except Exception:  # a tokenizer of someone else's that cannot read an unknown word: no outliers
        return None


def _reads_as_unknown(tokenizer: Tokenizer, texts: list[str], *, max_length: int) -> bool:
    """Whether any of `texts` holds a word unknown to the tokenizer."""
    if not texts:
        return False
    try:
        ids = pack_ids(tokenizer, texts, max_length=max_length).ids
    except Exception:  # an unknown word it has no token for
        return True
    return bool((ids == fallback_id_of(tokenizer)).any())


def outlier_batch(
    pool: PackedSequences, *, count: int, step: int, seed: int, length: int | None, pad_id: int
) -> torch.Tensor:
    """(count, length) ids of texts drawn from the pool, right-padded (or cut) to `length` (None:
    to the longest drawn); the same on every process and after a resume, since the draw is seeded
    by the step."""
    import torch

    mixed = seed * 1_000_003 + step
    # Folded into torch's 64 bits only where it leaves them (a seed past about 9e12): every seed that
    # fitted draws what it drew ("Overflow when unpacking long long" was exit 1 for the others).
    generator = torch.Generator().manual_seed(mixed if -(2**63) <= mixed < 2**64 else mixed % 2**64)
    rows = torch.randint(len(pool), (count,), generator=generator)
    batch = pool.padded(rows, pad_id=pad_id)[:, :length]
    if length is not None and batch.size(1) < length:
        batch = torch.nn.functional.pad(batch, (0, length - batch.size(1)), value=pad_id)
    return batch
