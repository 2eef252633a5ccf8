"""Adversarial training on the token embeddings (Miyato, Dai and Goodfellow, 2017, "Adversarial
training methods for semi-supervised text classification"): each step also trains on its texts with
their token embeddings moved a short way in the direction that raises the loss most, so that no one
word's vector can carry a decision that a small change of it would undo.

The move's length is `train.adversarial` times the root mean square of the text's token embedding
lengths: a text-wide budget of about one word's vector at 1. It rises from 0 with the learning rate
over the warmup (attncli/fit.py). Measured on the BBC headlines (seeds 0-11, docs/short_texts.md),
1 with dropout 0.3 took the mean test accuracy from 80.9% to 83.2% and the worst seed from 75.7% to
82.0%. Past about one word's vector the move can cancel the one word that decides a headline, and
the model learns little or nothing: at 1.5, 5 runs in 12 ended at 40-52% on test, against 82-85%."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn


def adversarial_shift(
    gradient: torch.Tensor, embeddings: torch.Tensor, real: torch.Tensor, *, epsilon: float
) -> torch.Tensor:
    """The move of each text's embeddings (B, T, D): along the loss's `gradient` with respect to them,
    of length `epsilon` times the root mean square length of the text's `real` (B, T) token
    embeddings; none on padding, and none for a text whose gradient is zero."""
    import torch

    mask = real.unsqueeze(-1).to(gradient.dtype)
    gradient = gradient.float() * mask
    tokens = real.sum(dim=1).clamp_min(1)
    typical_length = (embeddings.float().pow(2).sum(dim=-1) * real).sum(dim=1).div(tokens).sqrt()
    gradient_length = gradient.flatten(1).norm(dim=1)
    scale = torch.where(gradient_length > 0, epsilon * typical_length / gradient_length.clamp_min(1e-30), 0.0)
    return gradient * scale[:, None, None]


def embedding_shift(
    model: nn.Module,
    input_ids: torch.Tensor,
    targets: torch.Tensor,
    *,
    epsilon: float,
    pad_id: int,
    class_weights: torch.Tensor | None,
    label_smoothing: float,
    scale_loss: Callable[[torch.Tensor], torch.Tensor] = lambda loss: loss,
) -> torch.Tensor:
    """The adversarial move of the token embeddings of `input_ids` (B, T) (see adversarial_shift):
    one forward pass of `model` (the module itself: a DistributedDataParallel wrapper expects one
    forward pass per backward) and a backward pass to its embeddings only, which leaves the
    weights' gradients as they were. `scale_loss` (the fp16 grad scaler's) keeps a small gradient from
    underflowing; it does not change the direction."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        embeddings = model.embed(input_ids)  # type: ignore[operator]
    probe = torch.zeros_like(embeddings, dtype=torch.float32, requires_grad=True)
    logits = model(input_ids, embedding_shift=probe).logits.float()
    loss = F.cross_entropy(logits, targets, weight=class_weights, label_smoothing=label_smoothing)
    (gradient,) = torch.autograd.grad(scale_loss(loss), probe)
    return adversarial_shift(gradient, embeddings, input_ids != pad_id, epsilon=epsilon).detach()
