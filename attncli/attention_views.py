"""The weights of each view `attn inspect` can show, from one text's row of a batch's output: the
attention each token receives in a layer, attention rollout through every layer, the pooling's
own weights, or the classification token's attention; each summing to 1 over the real tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from attncli.model_config import ModelConfig

if TYPE_CHECKING:
    import torch

    from attncli.model.classifier import ModelOutput


def _normalised(weights: torch.Tensor) -> torch.Tensor:
    return weights / weights.sum()


def received_attention(attention: torch.Tensor, *, head: int | None, offset: int) -> torch.Tensor:
    """attention: (H, T', T') of one text -> (T,): the attention each real token receives, averaged
    over the real tokens' queries (the classification token, at positions < offset, left out)."""
    matrix = attention.mean(0) if head is None else attention[head]  # (T', T')
    return _normalised(matrix[offset:, offset:].mean(0))


def attention_rollout(attentions: list[torch.Tensor], start: torch.Tensor) -> torch.Tensor:
    """attentions: per layer (H, T', T') of one text; start: (T',) how the output reads the last
    layer's positions -> (T',): that reading traced back to the input tokens through every layer,
    each layer's attention averaged over heads and mixed half and half with the residual path
    (Abnar and Zuidema, 2020)."""
    import torch

    rollout = torch.eye(start.numel())
    for attention in attentions:
        mixed = 0.5 * attention.mean(0) + 0.5 * torch.eye(start.numel())  # (T', T')
        rollout = (mixed / mixed.sum(-1, keepdim=True)) @ rollout
    return start @ rollout


def _pooling_reading(config: ModelConfig, pooling_weights: torch.Tensor | None, length: int) -> torch.Tensor:
    """(T',): how the pooling reads the last layer's positions: its weights, the classification
    token alone (position 0), or all positions equally (mean)."""
    import torch

    if config.pooling == "attention":
        assert pooling_weights is not None
        return pooling_weights
    if config.pooling == "cls":
        return torch.nn.functional.one_hot(torch.tensor(0), length).float()
    return torch.full((length,), 1.0 / length)


def view_of_row(
    config: ModelConfig,
    output: ModelOutput,
    row: int,
    length: int,
    *,
    offset: int,
    layer: int | None,
    head: int | None,
    rollout: bool,
) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(logits (num_labels,), weights (T,), what the weights are) for row `row` of a batch's
    output, whose first `length` positions (the classification token's included) are that text's:
    the rest are padding, which no real position attends to."""
    logits = output.logits[row].float().cpu()
    layers = output.attentions or []

    def attention_of(index: int) -> torch.Tensor:  # (H, length, length): one layer's, this text's
        return layers[index][row, :, :length, :length].float().cpu()

    if layer is not None:
        chosen = None if head is None else head - 1
        weights = received_attention(attention_of(layer - 1), head=chosen, offset=offset)
        heads = "heads averaged" if head is None else f"head {head}"
        return logits, weights, f"attention received in layer {layer} ({heads}), averaged over queries"
    pooling_weights = None
    if output.pooling_weights is not None:
        pooling_weights = output.pooling_weights[row, :length].float().cpu()
    if rollout:
        reading = _pooling_reading(config, pooling_weights, length)
        weights = _normalised(
            attention_rollout([attention_of(i) for i in range(len(layers))], reading)[offset:]
        )
        return (
            logits,
            weights,
            f"attention rollout through {config.layers} layer{'s' * (config.layers > 1)} "
            f"from {config.pooling} pooling"
            + (
                " (heads averaged)" if config.pooling == "attention" and config.pooling_head_count > 1 else ""
            ),
        )
    if config.pooling == "cls":
        last = attention_of(len(layers) - 1)
        if head is not None:
            weights = _normalised(last[head - 1, 0, offset:])
            shown = f"head {head} of {config.num_heads}"
        else:
            weights, shown = _normalised(last.mean(0)[0, offset:]), "heads averaged"
        return logits, weights, f"attention from the classification token in the last layer ({shown})"
    assert pooling_weights is not None and output.pooling_head_weights is not None
    count = config.pooling_head_count
    if head is not None:
        weights = output.pooling_head_weights[row, head - 1, :length].float().cpu()
        return logits, weights, f"attention pooling weights of head {head} of {count}"
    # Each head pools its own slice of the states with its own weights: their mean summarises
    # where the model looked, not the weights of any one head (--head shows those).
    averaged = f" ({count} heads averaged)" if count > 1 else ""
    return logits, pooling_weights, f"attention pooling weights{averaged}"
