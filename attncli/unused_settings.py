"""Which model and tokenizer settings a run never reads, each with why (attention pooling settings
beside another pooling, a minimum frequency for the unigram trainer, say): what `attn info` marks
unused and training warns of when they were given."""

from __future__ import annotations


def unused_model_settings(model: dict[str, object]) -> dict[str, str]:
    """The model settings a checkpoint's model never reads, each with why: a setting of attention
    pooling beside another pooling, of one kind of position beside another, of self-attention
    layers in a model without them."""
    pooling, positional, layers = model.get("pooling"), model.get("positional"), model.get("num_layers")
    unused: dict[str, str] = {}
    if pooling != "attention":
        unused |= dict.fromkeys(("pooling_heads", "pooling_attention"), f"pooling is {pooling}")
    if positional != "relative":
        unused["max_relative_distance"] = f"positional is {positional}"
    if positional != "segment":
        unused["segment_length"] = f"positional is {positional}"
    if model.get("attention") == "additive":
        unused["attention_impl"] = "additive scoring has no fused kernel"
    if layers == 0:
        unused |= dict.fromkeys(("ff_dim", "attention_dropout", "attention_impl"), "no self-attention layers")
        if pooling != "attention" or model.get("pooling_heads") is not None:
            unused["num_heads"] = "no self-attention layers"
        if pooling != "attention" or model.get("pooling_attention") is not None:
            unused["attention"] = "no self-attention layers"
    return unused


def unused_tokenizer_settings(tokenizer: dict[str, object]) -> dict[str, str]:
    """The tokenizer settings that did not shape a checkpoint's tokenizer, each with why: every one
    that trains a tokenizer beside `path` (one given whole), and the unigram trainer's minimum
    frequency (it keeps pieces by likelihood, not by count). Only settings `tokenizer` holds are
    named (an earlier attn's config may lack some)."""
    unused: dict[str, str] = {}
    if tokenizer.get("path") is not None:
        decides = "the tokenizer in tokenizer.path is used as it is"
        shaping = (
            "kind",
            "vocab_size",
            "min_frequency",
            "lowercase",
            "strip_accents",
            "strip_html",
            "split_ideographs",
        )
        unused = dict.fromkeys(shaping, decides)
    elif tokenizer.get("kind") == "unigram":
        unused = {"min_frequency": "the unigram trainer takes no minimum frequency"}
    return {name: why for name, why in unused.items() if name in tokenizer}
