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

from attncli.tokenizer import UNK_TOKEN, PackedSequences, pack_ids

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


def alphabet_of(tokenizer: Tokenizer) -> list[str]:
    """The letters and digits the tokenizer has as single-character tokens (subword markers
    removed), or, where it has few, those of all its tokens."""
    vocabulary = [token.removeprefix("##") for token in tokenizer.get_vocab(with_added_tokens=False)]
    letters = {token for token in vocabulary if len(token) == 1 and token.isalnum()}
    if len(letters) >= FEWEST_LETTERS:
        return sorted(letters)
    return sorted({character for token in vocabulary for character in token if character.isalnum()})


def foreign_letters(tokenizer: Tokenizer) -> list[str]:
    """Letters that no token of the tokenizer holds: words spelt with them are unknown to it."""
    seen = {character for token in tokenizer.get_vocab(with_added_tokens=False) for character in token}
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
    unknown_id = tokenizer.token_to_id(UNK_TOKEN)
    sample = pack_ids(tokenizer, texts[:100], max_length=max_length) if texts else None
    foreign = foreign_letters(tokenizer)
    whole_words = type(tokenizer.model).__name__ == "WordLevel"
    if whole_words and foreign and (sample is None or unknown_id not in sample.ids.tolist()):
        # None of them reads as unknown (a word tokenizer of Chinese, each character a word): half
        # are spelt with letters it has never seen. Subword tokenizers are left as they were: on
        # the BBC articles (wordpiece) this cost 0.45 points on each of seeds 0-2.
        kept = texts[: POOL_TEXTS // 2]
        texts = kept + gibberish(foreign, count=POOL_TEXTS - len(kept), seed=seed + 1)
    if not texts:
        return None
    return pack_ids(tokenizer, texts, max_length=max_length)


def outlier_batch(
    pool: PackedSequences, *, count: int, step: int, seed: int, length: int | None, pad_id: int
) -> torch.Tensor:
    """(count, length) ids of texts drawn from the pool, right-padded (or cut) to `length` (None:
    to the longest drawn); the same on every process and after a resume, since the draw is seeded
    by the step."""
    import torch

    generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
    rows = torch.randint(len(pool), (count,), generator=generator)
    batch = pool.padded(rows, pad_id=pad_id)[:, :length]
    if length is not None and batch.size(1) < length:
        batch = torch.nn.functional.pad(batch, (0, length - batch.size(1)), value=pad_id)
    return batch
