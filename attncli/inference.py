"""Running a trained model over many texts in padded batches, in the texts' own order.
Shared by validation during training and by eval, predict and inspect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from attncli.device import autocast
from attncli.tokenizer import pad_batch

if TYPE_CHECKING:
    import torch


def batched_forward(
    model: torch.nn.Module,
    sequences: Sequence[Sequence[int]],
    *,
    pad_id: int,
    batch_size: int,
    device: torch.device,
    precision: str = "fp32",
    return_attention: bool = False,
) -> tuple[torch.Tensor, list[torch.Tensor] | None]:
    """Logits (N, num_labels) in fp32 on the CPU, and optionally each text's pooling weights
    (one 1-D tensor per text, its real tokens only). Texts are batched by length to cut padding."""
    import torch

    order = sorted(range(len(sequences)), key=lambda index: len(sequences[index]))
    logits: list[torch.Tensor | None] = [None] * len(sequences)
    weights: list[torch.Tensor | None] = [None] * len(sequences)
    was_training = model.training
    model.eval()
    with torch.inference_mode(), autocast(device, precision):
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            input_ids = pad_batch([sequences[row] for row in rows], pad_id=pad_id).to(device)
            output = model(input_ids, return_attention=return_attention)
            batch_logits, batch_weights = output if return_attention else (output, None)
            batch_logits = batch_logits.float().cpu()
            for position, row in enumerate(rows):
                logits[row] = batch_logits[position]
                if batch_weights is not None:
                    weights[row] = batch_weights[position, : len(sequences[row])].float().cpu()
    model.train(was_training)
    stacked = torch.stack(logits) if logits else torch.empty(0)  # type: ignore[arg-type]
    return stacked, (weights if return_attention else None)  # type: ignore[return-value]
