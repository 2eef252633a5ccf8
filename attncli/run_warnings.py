"""What a run warns of before it trains: settings that train but not as their names promise, settings
given that the run never reads, and a vocabulary that reads most training words as unknown."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attncli.config import Config, TokenizerConfig
from attncli.data_folders import repository_configs
from attncli.label_warnings import WORD_SEPARATORS
from attncli.local_paths import local_path
from attncli.model_config import ModelConfig
from attncli.packing import PackedSequences
from attncli.raw_data import FILE_BUILDERS
from attncli.settings import as_typed
from attncli.sources import names_a_local_path
from attncli.tokenizer import unknown_id_of
from attncli.unused_settings import unused_model_settings, unused_tokenizer_settings

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# More of the training tokens than this unknown to the vocabulary get a warning: the model cannot
# tell those words apart (a vocab_size set far below the distinct words, or someone else's tokenizer).
UNKNOWN_SHARE_WARNED = 0.1
# train.adversarial above this is warned of (attncli/adversarial.py: at 1.5, 5 runs in 12 on the
# headlines learnt little or nothing).
ADVERSARIAL_WARNED = 1.2


def unknown_tokens_warning(
    tokenizer: Tokenizer, train_ids: PackedSequences, config: TokenizerConfig
) -> str | None:
    """Why a vocabulary that reads most training words as unknown is a problem, or None."""
    unknown_id = unknown_id_of(tokenizer)
    if unknown_id is None or not train_ids.ids.numel():
        return None  # byte-level vocabularies have no unknown token
    share = float((train_ids.ids == unknown_id).sum()) / train_ids.ids.numel()
    if share <= UNKNOWN_SHARE_WARNED:
        return None
    if config.path:
        remedy = (
            f"the tokenizer in {config.path} was not made for these texts: leave tokenizer.path out to "
            "train one on them"
        )
    else:
        remedies = ["raise tokenizer.vocab_size"]
        if (config.min_frequency or 1) > 1:
            remedies.append("lower tokenizer.min_frequency")
        if config.kind == "word":
            remedies.append(
                "set tokenizer.kind=wordpiece, whose pieces spell the words a vocabulary has no room for"
            )
        remedy = ", or ".join(remedies)
    vocabulary = f"vocabulary of {tokenizer.get_vocab_size(with_added_tokens=True):,}"
    return (
        f"{share:.0%} of the training tokens are {tokenizer.id_to_token(unknown_id)} to the {vocabulary}, so "
        f"the model cannot tell those words apart; {remedy}"
    )


def model_warnings(model: ModelConfig) -> list[str]:
    """Settings that train, but not as their names promise. Warned of rather than refused: models
    saved with them must still load."""
    warnings = []
    if model.pooling_attention is not None and model.pooling != "attention":
        warnings.append(
            f"model.pooling_attention={model.pooling_attention} scores attention pooling only; "
            f"model.pooling={model.pooling} does not use it"
        )
    if model.positional == "alibi" and model.num_heads == 1:
        # The paper's slope for one head is its gentlest, 2^-8: on an order task (the label set by
        # which of two words comes first) a one-head model stayed at chance, two heads reached 100%.
        warnings.append(
            "model.positional=alibi with model.num_heads=1: its one head gets the paper's slope for one "
            "head, 1/256 a token (two heads get 1/16), and penalises only keys on its left, so the model "
            "hardly sees word order; use an even number of heads (2 or more)"
        )
    elif model.positional == "alibi" and model.num_heads % 2:
        warnings.append(
            f"model.positional=alibi pairs heads (one penalises keys on the left, the next keys on the "
            f"right); with model.num_heads={model.num_heads} the last head has no partner and measures "
            "distance only to keys on its left; use an even number of heads"
        )
    if model.positional == "rope" and model.attention == "additive":
        warnings.append(
            "model.positional=rope makes a score depend on the distance j - i through the product q·k; "
            "model.attention=additive adds q and k instead, so the rotated positions enter as absolute "
            "ones; use dot or scaled_dot attention with rope"
        )
    return warnings


# (B, H, T, T) tensors of scores a self-attention layer holds at once in a training step where the
# fused kernel cannot keep them blockwise: relative positions' bias, ALiBi's mask of a padded batch,
# or the explicit path's scores, weights and dropout. One relative layer at 8 x 2,048 tokens peaked
# at 2,004 MB, 3.7 such tensors of 537 MB with the rest of its step.
SCORE_TENSORS_A_LAYER = 3


def score_memory_warning(model: ModelConfig, batch_size: int, available: int | None) -> str | None:
    """Where a training step's attention scores alone would take more memory than the CPU's machine
    has (a GPU's running out is an error attn words itself): the system's out-of-memory killer then
    ends the run without a word (a long-document trial's
    relative positions at 4,096 tokens, killed at 24.4 GB, printed nothing)."""
    from attncli.out_of_memory import in_units

    layers = model.num_layers or 0
    additive = model.attention == "additive"  # no fused kernel: (B, H, T, T, hd) before its sum
    explicit = model.attention_impl == "explicit" or additive
    if not layers or available is None or not (explicit or model.positional in ("relative", "alibi")):
        return None
    per_score = 4 * (model.width // model.num_heads if additive else 1)  # float32
    scores = batch_size * model.num_heads * model.length**2 * per_score
    needed = SCORE_TENSORS_A_LAYER * layers * scores
    if needed <= available:
        return None
    causes, remedies = [], []
    if model.positional in ("relative", "alibi"):
        causes.append(f"model.positional={model.positional}")
        remedies.append("positions the fused kernel takes (rope)")
    if additive:
        causes.append("model.attention=additive")
        remedies.append("scaled_dot attention")
    elif model.attention_impl == "explicit":
        causes.append("model.attention_impl=explicit")
        remedies.append("model.attention_impl=fused")
    where = "its layer" if layers == 1 else f"each of its {layers} layers"
    width = f" x {per_score // 4} (additive scores a head's whole width)" if additive else ""
    return (
        f"{' and '.join(causes)} {'keep' if len(causes) > 1 else 'keeps'} every score of a text in memory: a "
        f"training step's attention holds about {in_units(needed)} ({SCORE_TENSORS_A_LAYER} tables of "
        f"{batch_size} texts x {model.num_heads} heads x {model.length:,}² scores{width} in {where}), where "
        f"{in_units(available)} is available, so the system may end the run without a word; lower "
        f"--batch-size or --max-length, or use {' and '.join(remedies)}"
    )


def one_segment_warning(model: ModelConfig) -> str | None:
    """Segment positions whose segments are no shorter than the texts (64 against headlines sized
    to 16 tokens): every text is one segment, so the model is sinusoidal positions plus one learned
    vector, and a comparison of the two compares almost the same model."""
    if model.positional != "segment" or model.segment_length < model.length:
        return None
    return (
        f"model.positional=segment with model.segment_length={model.segment_length} and "
        f"model.max_length={model.length}: every text is one segment, so segments add nothing to "
        f"sinusoidal positions; set model.segment_length below {model.length}"
    )


def adversarial_warning(epsilon: float | None) -> str | None:
    """A train.adversarial large enough that a step's move can stand for a whole word, or None."""
    if epsilon is None or epsilon <= ADVERSARIAL_WARNED:
        return None
    return (
        f"train.adversarial={epsilon:g} moves each text's embeddings by {epsilon:g} word vectors' lengths, "
        "enough to cancel the word that decides a short text, and the model can then learn little or "
        "nothing (at 1.5, 5 of 12 seeds of the BBC headlines ended at 40-52% against 82-85%); keep it "
        f"at {ADVERSARIAL_WARNED:g} or less"
    )


def given_but_unused(config: Config, given: dict[str, Any], *, carved: bool = True) -> list[str]:
    """Each setting of `given` (the user's) that the run, `config` as sized, never reads, with
    why: it was accepted and saved, and nothing said so. `carved`: whether the validation rows were
    held out of train (else the data's own validation split is used, and the carve's settings not)."""
    why: dict[str, str] = {
        f"model.{name}": reason
        for name, reason in unused_model_settings(dataclasses.asdict(config.model)).items()
        if name != "pooling_attention"  # model_warnings says it
    }
    why |= {
        f"tokenizer.{name}": reason
        for name, reason in unused_tokenizer_settings(dataclasses.asdict(config.tokenizer)).items()
    }
    source = Path(config.data.source or "")
    if FILE_BUILDERS.get(source.suffix.lower()) in ("json", "parquet", "arrow"):
        why["data.delimiter"] = f"{source.name} is not a csv/tsv file"
    if FILE_BUILDERS.get(source.suffix.lower()) in ("parquet", "arrow"):
        why["data.encoding"] = f"{source.name} is a {source.suffix.lower()[1:]} file, whose texts are UTF-8"
    if (
        config.data.source
        and (names_a_local_path(config.data.source) or local_path(source).exists())
        and repository_configs(local_path(source)) is None
    ):
        why["data.config"] = "it names a configuration of a Hub dataset, and the data is a local path"
    if not carved:
        why |= dict.fromkeys(
            ("data.validation_fraction", "data.split_seed"), "the data has a validation split"
        )
        if config.train.refit_epochs:  # 0 says what the run does anyway
            why["train.refit_epochs"] = "the data has a validation split, which training does not learn from"
    if config.train.outlier_rows == 0:
        why["train.outlier_weight"] = "train.outlier_rows is 0"
    word_level = config.tokenizer.kind == "word" and config.tokenizer.path is None
    if word_level and config.train.subword_dropout_rate:  # 0 says what the run does anyway
        why["train.subword_dropout"] = "a word tokenizer's tokens are whole words, made of no pieces"
    return [f"{key}={_shown(given[key])} ({why[key]})" for key in given if key in why]


def _shown(value: Any) -> str:
    """A setting's value as --set takes it (explicit, not Python's 'explicit'), as other settings are
    shown; in quotes where it holds the "; " that joins the warning's list (data.delimiter=";")."""
    text = as_typed(value)
    return json.dumps(value, ensure_ascii=False) if ";" in text and isinstance(value, str) else text


# Label names an out-of-scope class goes by in intent data (CLINC150's `oos`, chatbots' fallbacks),
# compared lowercased with underscores, hyphens and spaces as one.
OUT_OF_SCOPE_NAMES = frozenset(
    {
        "oos",
        "out of scope",
        "outofscope",
        "out of domain",
        "ood",
        "no intent",
        "fallback",
        "none of the above",
    }
)


def out_of_scope_warning(label_names: list[str], outlier_rows: int) -> str | None:
    """Where the labels hold an out-of-scope class and made-up texts are trained towards no label
    (train.outlier_rows): a text unlike any intent may get a low-confidence intent, not that class. In a
    trial of 149 intents, 0 of 200 unfamiliar questions were labelled `oos`; 200 of 200 without
    made-up texts, at the same test accuracy. In another (161 intents, 2026-12-07), 45% of 40 either
    way, and without them the others' scores were higher (three: 22.5-27.0% where they were
    1.9-13.3%), which --min-score reads: which way serves is the data's, so the warning names both."""
    if not outlier_rows:
        return None
    named = [
        name
        for name in label_names
        if WORD_SEPARATORS.sub(" ", name.strip(" _-").lower()) in OUT_OF_SCOPE_NAMES
    ]
    if not named:
        return None
    return (
        f"label {named[0]!r} looks like an out-of-scope class, and train.outlier_rows trains made-up texts "
        f"towards no label at all, so a text unlike every other label may get one of them at low confidence "
        f"rather than {named[0]!r}; --set train.outlier_rows=0 took a trial's unfamiliar questions from 0 to "
        f"200 of 200 into {named[0]!r}, and left another's at 45%, where keeping the made-up texts kept "
        "their scores low enough for predict's --min-score to catch more: try both on unfamiliar texts of "
        "your own"
    )
