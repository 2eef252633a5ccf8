"""The rule that sizes a run to its data: settings left empty (`null`, or `auto` on the command
line) are chosen from a profile of the training texts, so a few thousand headlines and a few thousand
articles each get a model they can train. No torch; the measurements behind each number are in
docs/short_texts.md."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from attncli.config import Config

# Words as the tokenizer's pre-tokenizer splits them: runs of letters and digits, each punctuation
# mark alone, and each CJK ideograph alone (the normaliser splits those, as BERT's does).
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
WORD = re.compile(rf"[{CJK}]|(?:(?![{CJK}])\w)+|[^\w\s]")

# Below SMALL_DATA training words, a narrow, strongly regularised model with whole-word tokens won;
# from DEEP_DATA up a self-attention block is worth its cost; from WIDE_DATA a wider model.
SMALL_DATA = 100_000
DEEP_DATA = 2_000_000
WIDE_DATA = 10_000_000
# Words a run should see in all, so small data gets more passes than large (3M: 4 epochs of BBC's
# articles, the epoch count that measured best there), within EPOCHS_RANGE.
WORDS_TO_SEE = 3_000_000
EPOCHS_RANGE = (4, 20)
POOLING_HEAD_WIDTH = 4  # many narrow pooling heads: +2 to +4 points over 4 heads on both BBC tasks
SUBWORDS_PER_WORD = 1.3  # a subword tokenizer splits rare words: room for that in max_length
LONGEST_MAX_LENGTH = 512


@dataclass(frozen=True)
class DataProfile:
    """What the sizing rule reads off the training texts."""

    texts: int
    words: int
    """Words (as WORD splits them) over all training texts."""
    distinct_words: int
    """Distinct words (lowercased when the tokenizer lowercases), counted up to `distinct_cap`."""
    distinct_cap: int
    """Counting stops once there are more distinct words than this (the vocabulary size)."""
    longest_words: int
    """The 99th percentile of words per text: what max_length has to hold."""

    @property
    def all_words_fit(self) -> bool:
        """True when the vocabulary can hold every distinct training word."""
        return self.distinct_words <= self.distinct_cap


def profile_texts(texts: Iterable[str], *, lowercase: bool, distinct_cap: int) -> DataProfile:
    """One pass over `texts`; memory stays bounded (the distinct words are counted only up to
    `distinct_cap`, the lengths as a histogram)."""
    distinct: set[str] = set()
    lengths: dict[int, int] = {}
    count = total = 0
    for text in texts:
        words = WORD.findall(text.lower() if lowercase else text)
        count, total = count + 1, total + len(words)
        lengths[len(words)] = lengths.get(len(words), 0) + 1
        if len(distinct) <= distinct_cap:
            distinct.update(words)
    return DataProfile(
        texts=count,
        words=total,
        distinct_words=len(distinct),
        distinct_cap=distinct_cap,
        longest_words=_percentile(lengths, 0.99),
    )


def _percentile(histogram: dict[int, int], share: float) -> int:
    """The smallest length that at least `share` of the texts do not exceed."""
    needed, seen = share * sum(histogram.values()), 0
    for length in sorted(histogram):
        seen += histogram[length]
        if seen >= needed:
            return length
    return 0


def _width(profile: DataProfile, num_heads: int) -> int:
    base = 64 if profile.words < SMALL_DATA else 128 if profile.words < WIDE_DATA else 256
    return math.ceil(base / num_heads) * num_heads  # divisible by the heads the user asked for


def sized_settings(config: Config, profile: DataProfile) -> dict[str, Any]:
    """The value the rule gives each setting that `config` leaves empty, as dotted keys."""
    from attncli.model.registry import POOLING, POSITIONAL

    model, tokenizer, small = config.model, config.tokenizer, profile.words < SMALL_DATA
    chosen: dict[str, Any] = {}
    if tokenizer.kind is None:
        # Whole words while every word fits: on 1,600 headlines wordpiece split the rare words
        # into pieces and lost 3-6 points. Past the vocabulary size, pieces share what they can.
        chosen["tokenizer.kind"] = "word" if profile.all_words_fit else "wordpiece"
    kind = tokenizer.kind or chosen["tokenizer.kind"]
    if tokenizer.min_frequency is None:
        chosen["tokenizer.min_frequency"] = 1 if kind == "word" else 2  # a word seen once still counts
    width = model.embed_dim or _width(profile, model.num_heads)
    if model.embed_dim is None:
        chosen["model.embed_dim"] = width
    if model.num_layers is None:
        needs_block = POSITIONAL[model.positional].acts_in_attention or POOLING[model.pooling].uses_cls_token
        chosen["model.num_layers"] = 1 if needs_block or profile.words >= DEEP_DATA else 0
    if model.dropout is None:
        chosen["model.dropout"] = 0.5 if small else 0.3
    if model.pooling_heads is None and model.pooling == "attention":
        heads = width // POOLING_HEAD_WIDTH
        chosen["model.pooling_heads"] = heads if heads and width % heads == 0 else model.num_heads
    if model.max_length is None:
        per_word = 1.0 if kind == "word" else SUBWORDS_PER_WORD
        tokens = math.ceil(max(profile.longest_words, 1) * per_word / 16) * 16
        chosen["model.max_length"] = min(tokens, LONGEST_MAX_LENGTH)
    if config.train.epochs is None:
        low, high = EPOCHS_RANGE
        chosen["train.epochs"] = min(high, max(low, math.ceil(WORDS_TO_SEE / max(profile.words, 1))))
    return chosen


# The settings the rule sizes, each empty by default.
SIZED_KEYS = (
    "tokenizer.kind",
    "tokenizer.min_frequency",
    "model.embed_dim",
    "model.num_layers",
    "model.dropout",
    "model.pooling_heads",
    "model.max_length",
    "train.epochs",
)


def unsized_keys(config: Config) -> list[str]:
    """The sized settings `config` leaves empty (pooling heads only matter to attention pooling)."""
    empty = []
    for key in SIZED_KEYS:
        section, name = key.split(".")
        if getattr(getattr(config, section), name) is None:
            if key != "model.pooling_heads" or config.model.pooling == "attention":
                empty.append(key)
    return empty


def size_to_data(config: Config, profile: DataProfile) -> tuple[Config, dict[str, Any]]:
    """`config` with every empty sized setting filled in by the rule, and what was chosen."""
    chosen = sized_settings(config, profile)
    sections: dict[str, dict[str, Any]] = {}
    for key, value in chosen.items():
        section, name = key.split(".", 1)
        sections.setdefault(section, {})[name] = value
    replaced = {
        section: dataclasses.replace(getattr(config, section), **values)
        for section, values in sections.items()
    }
    return dataclasses.replace(config, **replaced), chosen
