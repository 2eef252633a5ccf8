"""Which view of a model's attention `attn inspect` shows when none is asked for, and the refusal,
with what to do instead, of a view the model does not have (InspectError)."""

from __future__ import annotations

from attncli.errors import InspectError  # defined here until 2026-12-05: still importable from here
from attncli.model_config import ModelConfig

# What a view's name gains with --words; the heatmap then counts words, not tokens.
WORDS_VIEW = ", pieces merged into words"


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def default_view(config: ModelConfig, *, layer: int | None, pooling: bool) -> bool:
    """Whether to show attention rollout when no view is asked for: yes for a model with
    self-attention layers (its pooling weights are nearly flat, since every position already
    carries the whole text; rollout traces them back to the tokens), unless it pools by max."""
    return layer is None and not pooling and config.layers > 0 and config.pooling != "max"


def default_layer(config: ModelConfig, *, layer: int | None, rollout: bool, pooling: bool) -> int | None:
    """The layer to show when no view is asked for of a model that pools by max (which has no
    weights to roll out from): its last self-attention layer, if it has one."""
    if layer is None and not rollout and not pooling and config.pooling == "max" and config.layers:
        return config.layers
    return layer


def check_view(
    config: ModelConfig, *, layer: int | None, head: int | None, rollout: bool, pooling: bool = False
) -> None:
    """Refuse, with what to do instead, a view this model does not have."""
    if pooling and (layer is not None or rollout):
        raise InspectError("--pooling shows the pooling's own weights; drop --layer/--rollout")
    if pooling and config.pooling not in ("attention", "cls"):
        raise InspectError(
            f"this model pools by {config.pooling}, which has no pooling weights; drop --pooling"
        )
    pooling_view = layer is None and not rollout and config.pooling == "attention"
    # cls pooling's own view is the classification token's attention in the last layer, by head too.
    cls_view = pooling and config.pooling == "cls"
    if head is not None and layer is None and not (pooling_view or cls_view):
        raise InspectError(
            "--head picks a head of one self-attention layer (pass --layer too)"
            + {
                "attention": " or of the attention pooling (pass --pooling)",
                "cls": " or of the classification token's attention (pass --pooling)",
            }.get(config.pooling, "")
        )
    if head is not None and pooling_view and not 1 <= head <= config.pooling_head_count:
        raise InspectError(
            f"--head {head}: the attention pooling has {_counted(config.pooling_head_count, 'head')}, "
            "numbered from 1"
        )
    if head is not None and cls_view and not 1 <= head <= config.num_heads:
        raise InspectError(
            f"--head {head}: the last layer has {_counted(config.num_heads, 'head')}, numbered from 1"
        )
    if (layer is not None or rollout) and config.layers == 0:
        raise InspectError(
            "this model has no self-attention layers (model.num_layers=0); drop --layer/--rollout"
        )
    if layer is not None and rollout:
        raise InspectError("--rollout traces every layer; pass either --layer or --rollout")
    if layer is not None and not 1 <= layer <= config.layers:
        raise InspectError(
            f"--layer {layer}: the model has {_counted(config.layers, 'layer')}, numbered from 1"
        )
    if head is not None and layer is not None and not 1 <= head <= config.num_heads:
        raise InspectError(
            f"--head {head}: each layer has {_counted(config.num_heads, 'head')}, numbered from 1"
        )
    if layer is None and not rollout and config.pooling in ("mean", "max"):
        if not config.layers:
            raise InspectError(
                f"this model pools by {config.pooling} and has no self-attention layers, so no weights "
                "say what it looked at; train with model.pooling=attention to inspect a model"
            )
        views = "--layer N" if config.pooling == "max" else "--layer N or --rollout"
        raise InspectError(
            f"this model pools by {config.pooling}, so no weights say what it pooled; pass {views} to "
            "see its self-attention"
        )
    if rollout and config.pooling == "max":
        raise InspectError(
            "--rollout traces back how much of each token the pooling read, and max pooling reads each "
            "dimension from one token, not a share of every token; use --layer"
        )
