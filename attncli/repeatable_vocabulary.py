"""Tokenizer training that repeats: the same texts give the same vocabulary, under the same ids, in
every run, so that a seed fixes a whole training run and not only its model.

`tokenizers` leaves two kinds of run-to-run difference (huggingface/tokenizers#1794, open):
- WordPiece: the trainer makes each word-continuing character's piece (`##e`) the first time it meets
  the character while walking a hash map of the training words, whose order changes from run to run.
  Those ids break ties between merges of equal count, so two runs learnt other pieces (BBC News: 16,000
  pieces, under other ids every run, and in one run of three a different set). Giving the trainer
  those pieces up front, in sorted order, fixes their ids and so every merge after them.
- Unigram: each piece's log-probability is a float sum taken in parallel, whose last digits (1e-14)
  change from run to run, and the pieces are numbered in score order. Scores rounded to 6 decimals
  and numbered by (score, piece) are the same every run. And characters the trainer drops from its
  pieces it adds back in the order of a hash set, each 1e-4 above the last from the lowest score, so
  they swapped scores and ids from run to run (200 pieces of 400 short texts): they are given those
  scores again, in order of spelling.
BPE and word-level training repeat already (checked by tests/test_repeatable_vocabulary.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer

WORDPIECE_PREFIX = "##"
# Decimals kept of a Unigram piece's log-probability: runs differ at about 1e-14, so two runs round a
# score apart only when it lies that close to a rounding boundary (for a 16,000-piece vocabulary, one
# piece in about 3 runs of 10,000), and no tokenization turns on a millionth of a log-probability.
UNIGRAM_SCORE_DECIMALS = 6
# The score step between the characters a Unigram trainer adds back (tokenizers' unigram/trainer.rs).
UNIGRAM_ADDED_CHARACTER_STEP = 1e-4


def continuing_pieces(untrained: Tokenizer, texts: Iterable[list[str]]) -> list[str]:
    """The `##c` piece of every character that continues a word of `texts`, sorted: the pieces a
    WordPiece trainer otherwise numbers in hash-map order. `untrained` is an untrained WordPiece
    tokenizer with the run's normaliser and pre-tokenizer: a trainer allowed no merge leaves it the
    characters and these pieces alone, found in Rust as the real training finds them (0.6-0.9 s for
    BBC News' 1,781 articles, where splitting them into words in Python took 2 s)."""
    from tokenizers import trainers

    untrained.train_from_iterator(
        texts, trainer=trainers.WordPieceTrainer(vocab_size=1, min_frequency=2**62, show_progress=False)
    )
    length = len(WORDPIECE_PREFIX) + 1  # the prefix and one character
    pieces = untrained.get_vocab()
    return sorted(piece for piece in pieces if piece.startswith(WORDPIECE_PREFIX) and len(piece) == length)


def without_added_pieces(tokenizer: Tokenizer, pieces: Sequence[str]) -> Tokenizer:
    """`tokenizer` with `pieces` kept in its vocabulary (under the same ids) but no longer matched as
    special tokens in raw text, as the trainer had made them."""
    from tokenizers import Tokenizer

    fixed = set(pieces)
    data = json.loads(tokenizer.to_str())
    data["added_tokens"] = [token for token in data["added_tokens"] if token["content"] not in fixed]
    return Tokenizer.from_str(json.dumps(data))


def ordered_unigram(tokenizer: Tokenizer, special_tokens: Sequence[str]) -> Tokenizer:
    """A trained Unigram `tokenizer` with its scores rounded and its pieces after the special tokens
    numbered by falling score, then by piece; unchanged if its special tokens do not come first."""
    from tokenizers import Tokenizer

    data = json.loads(tokenizer.to_str())
    model = data["model"]
    vocab: list[list[str | float]] = model["vocab"]
    leading = len(special_tokens)
    if [piece for piece, _ in vocab[:leading]] != list(special_tokens):
        return tokenizer
    scored = _added_characters_in_order([(str(piece), float(score)) for piece, score in vocab[leading:]])
    rounded = [(piece, round(score, UNIGRAM_SCORE_DECIMALS)) for piece, score in scored]
    rounded.sort(key=lambda entry: (-entry[1], entry[0]))
    model["vocab"] = [*vocab[:leading], *([piece, score] for piece, score in rounded)]
    return Tokenizer.from_str(json.dumps(data))


def _added_characters_in_order(pieces: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """`pieces` with the characters the trainer added back (single characters scored at the lowest
    score, then 1e-4 above it, then 2e-4, ...) scored again in the order of their spelling. The first
    of them shares the lowest score with any character the model itself scored lowest, so every single
    character on each step is taken, and the same scores handed out again, lowest first."""
    if not pieces:
        return pieces
    lowest = min(score for _, score in pieces)
    steps: dict[int, list[str]] = {}
    for piece, score in pieces:
        step = (score - lowest) / UNIGRAM_ADDED_CHARACTER_STEP
        if len(piece) == 1 and abs(step - round(step)) < 1e-6:
            steps.setdefault(round(step), []).append(piece)
    run = 0
    while run in steps:  # the steps 0, 1, 2, ... the trainer gave
        run += 1
    characters = sorted(piece for step in range(run) for piece in steps[step])
    if len(characters) < 2:
        return pieces
    scores = sorted(lowest + step * UNIGRAM_ADDED_CHARACTER_STEP for step in range(run) for _ in steps[step])
    rescored = dict(zip(characters, scores, strict=True))
    return [(piece, rescored.get(piece, score)) for piece, score in pieces]
