"""Upgrading checkpoints written by earlier versions of attn, so users keep their models.

Each step turns format N into N + 1, on the header (config.json) and on the weights, and sets every
setting the old model had implicitly, so a later change of defaults never changes an old model.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

OLD_POOLING_SCORINGS = ("scaled_dot", "dot", "additive")
# The fixed defaults of the settings attn now sizes to the data (attncli/sizing.py). A checkpoint
# always saves them resolved, so an empty one can only be older: it meant these.
BEFORE_SIZING: dict[str, dict[str, Any]] = {
    "tokenizer": {"kind": "wordpiece", "min_frequency": 2},
    "model": {"embed_dim": 128, "num_layers": 1, "dropout": 0.1, "max_length": 256},
    "train": {"epochs": 10},
}


def _header_1_to_2(header: dict[str, Any]) -> dict[str, Any]:
    """Format 1 had one kind of self-attention (scaled dot) and `model.pooling` named the scoring of
    single-head attention pooling over the states themselves (no key projection)."""
    model = header["config"]["model"]
    scoring = model.get("pooling", "scaled_dot")
    model.update(
        attention="scaled_dot",
        pooling="attention",
        pooling_attention=scoring if scoring in OLD_POOLING_SCORINGS else "scaled_dot",
        pooling_heads=1,
        max_relative_distance=16,
        segment_length=64,
        embeddings_init=None,
        freeze_embeddings=False,
    )
    header["format_version"] = 2
    return header


def _weights_1_to_2(weights: dict[str, torch.Tensor], header: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The old pooling query becomes the one head's query (or, for additive scoring, the scoring
    vector v); its keys were the states themselves, so the new key projection is the identity
    (or, for additive, the old projection inside the tanh)."""
    import torch

    query = weights.pop("pooling.query")
    width = query.numel()
    if "pooling.projection.weight" in weights:  # additive: v·tanh(W h + b)
        weights["pooling.key.weight"] = weights.pop("pooling.projection.weight")
        weights["pooling.key.bias"] = weights.pop("pooling.projection.bias")
        weights["pooling.scoring.v"] = query.view(1, width)
        weights["pooling.query"] = torch.zeros(1, width)
    else:
        weights["pooling.key.weight"] = torch.eye(width)
        weights["pooling.key.bias"] = torch.zeros(width)
        weights["pooling.query"] = query.view(1, width)
    return weights


# format N -> (header step, weights step) to format N + 1
STEPS = {1: (_header_1_to_2, _weights_1_to_2)}


def migrate_header(header: dict[str, Any], target: int) -> dict[str, Any]:
    """A copy of `header` brought up to format `target` (unchanged if it is there already)."""
    header = copy.deepcopy(header)
    while header.get("format_version") in STEPS and header["format_version"] < target:
        header = STEPS[header["format_version"]][0](header)
    # Settings added without a format change: a run saved before them carries on as it was trained.
    config = header.get("config", {})
    train = config.get("train")
    if isinstance(train, dict):
        train.setdefault("outlier_rows", 0)  # outlier exposure came after those runs
    for name, defaults in BEFORE_SIZING.items():
        section = config.get(name)
        if isinstance(section, dict):
            for key, value in defaults.items():
                if section.get(key) is None:
                    section[key] = value
    model = config.get("model")
    if isinstance(model, dict) and model.get("pooling_heads") is None:
        # Empty meant one pooling head per attention head; sizing now reads empty as width 4.
        model["pooling_heads"] = model.get("num_heads", 4)
    return header


def migrate_weights(
    weights: dict[str, torch.Tensor], *, version: int, target: int, header: dict[str, Any]
) -> dict[str, torch.Tensor]:
    """`weights` saved at format `version`, renamed and reshaped for format `target`."""
    while version < target:
        weights = STEPS[version][1](weights, header)
        version += 1
    return weights
