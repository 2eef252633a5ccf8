"""Which model settings a model never reads, each with why (attention pooling settings beside another
pooling, say): what `attn info` marks unused and training warns of when they were given."""

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
