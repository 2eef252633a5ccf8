"""Upgrading checkpoints written by earlier versions of attn, so users keep their models.

Each step turns format N into N + 1, on the header (config.json) and on the weights, and sets every
setting the old model had implicitly, so a later change of defaults never changes an old model.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from attncli.errors import CheckpointError
from attncli.sized_settings import UNSIZED_VALUES

if TYPE_CHECKING:
    import torch

OLD_POOLING_SCORINGS = ("scaled_dot", "dot", "additive")
# Settings of an experiment that never shipped (hashed character n-gram and word-pair vectors); a
# run that left them at these values trained the model attn builds today.
REMOVED_SETTINGS = {"char_ngrams": 0, "char_ngram_min": 3, "char_ngram_max": 5, "word_bigrams": 0}


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
    (or, for additive, the old projection inside the tanh). `_shapes_1_to_2` says the same of the
    shapes alone, for attn info: change one, change both (test_info checks them on both fixtures)."""
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


def _shapes_1_to_2(shapes: dict[str, list[int]]) -> dict[str, list[int]]:
    """What `_weights_1_to_2` does, to the tensors' shapes alone (attn info reads no weights)."""
    width = math.prod(shapes.pop("pooling.query"))
    if "pooling.projection.weight" in shapes:
        shapes["pooling.key.weight"] = shapes.pop("pooling.projection.weight")
        shapes["pooling.key.bias"] = shapes.pop("pooling.projection.bias")
        shapes["pooling.scoring.v"] = [1, width]
    else:
        shapes["pooling.key.weight"] = [width, width]
        shapes["pooling.key.bias"] = [width]
    shapes["pooling.query"] = [1, width]
    return shapes


class Step(NamedTuple):
    """How format N becomes N + 1: on the header, on the weights, and on the weights' shapes."""

    header: Callable[[dict[str, Any]], dict[str, Any]]
    weights: Callable[[dict[str, torch.Tensor], dict[str, Any]], dict[str, torch.Tensor]]
    shapes: Callable[[dict[str, list[int]]], dict[str, list[int]]]


STEPS = {1: Step(_header_1_to_2, _weights_1_to_2, _shapes_1_to_2)}


def migrate_header(header: dict[str, Any], target: int) -> dict[str, Any]:
    """A copy of `header` brought up to format `target` (unchanged if it is there already)."""
    header = copy.deepcopy(header)
    while header.get("format_version") in STEPS and header["format_version"] < target:
        header = STEPS[header["format_version"]].header(header)
    # Settings added without a format change: a run saved before them carries on as it was trained.
    config = header.get("config", {})
    train = config.get("train")
    if isinstance(train, dict):
        train.setdefault("outlier_rows", 0)  # outlier exposure came after those runs
    # A run saves its sized settings resolved, so an empty one was saved before sizing (or by a
    # library call) and meant the fixed default of its day; and an empty model.pooling_heads meant
    # one head per attention head, where a new run sizes it to heads of width 4.
    model = config.get("model")
    for key, value in UNSIZED_VALUES.items():
        name, setting = key.split(".")
        section = config.get(name)
        given_tokenizer = name == "tokenizer" and isinstance(section, dict) and section.get("path")
        if isinstance(section, dict) and section.get(setting) is None and not given_tokenizer:
            section[setting] = value
    if isinstance(model, dict) and model.get("pooling_heads") is None and model.get("pooling") == "attention":
        model["pooling_heads"] = model.get("num_heads", 4)
    if isinstance(model, dict):
        used = removed_settings_used(model)
        if used:
            raise CheckpointError(
                f"this checkpoint was trained with model.{used[0]}, which attn no longer has; "
                "train it again with attn train"
            )
        for setting in REMOVED_SETTINGS:
            model.pop(setting, None)
    return header


def removed_settings_used(model: dict[str, Any]) -> list[str]:
    """The removed model settings that `model` (a config's model section) sets to anything but the
    value that trained today's model."""
    return [setting for setting, value in REMOVED_SETTINGS.items() if model.get(setting, value) != value]


def is_removed_setting(key: str) -> bool:
    """Whether the dotted setting `key` is one attn no longer has."""
    section, _, name = key.partition(".")
    return section == "model" and name in REMOVED_SETTINGS


def migrate_weights(
    weights: dict[str, torch.Tensor], *, version: int, target: int, header: dict[str, Any]
) -> dict[str, torch.Tensor]:
    """`weights` saved at format `version`, renamed and reshaped for format `target`."""
    while version < target:
        weights = STEPS[version].weights(weights, header)
        version += 1
    return weights


def migrate_shapes(shapes: dict[str, list[int]], *, version: int, target: int) -> dict[str, list[int]]:
    """The shapes of weights saved at format `version` once they are migrated to `target`."""
    shapes = dict(shapes)
    while version in STEPS and version < target:
        shapes = STEPS[version].shapes(shapes)
        version += 1
    return shapes
