"""Running a trained model over many texts in padded batches, in the texts' own order.
Shared by validation during training and by eval, predict and inspect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from attncli.device import autocast
from attncli.tokenizer import PackedSequences, pad_batch

if TYPE_CHECKING:
    import torch


def batched_forward(
    model: torch.nn.Module,
    sequences: Sequence[Sequence[int]] | PackedSequences,
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

    if isinstance(sequences, PackedSequences):
        lengths = sequences.lengths()
    else:
        lengths = torch.tensor([len(ids) for ids in sequences], dtype=torch.long)
    logits: torch.Tensor | None = None
    weights: list[torch.Tensor | None] = [None] * len(lengths) if return_attention else []
    was_training = model.training
    model.eval()
    with torch.inference_mode(), autocast(device, precision):
        for rows in torch.argsort(lengths, stable=True).split(batch_size):
            row_list = rows.tolist()
            input_ids = pad_batch([sequences[row] for row in row_list], pad_id=pad_id).to(device)
            output = model(input_ids, return_attention=return_attention)
            batch_logits, batch_weights = output if return_attention else (output, None)
            if logits is None:
                logits = torch.empty(len(lengths), batch_logits.size(-1))
            logits[rows] = batch_logits.float().cpu()  # written in place: no tensor per text
            if batch_weights is not None:
                for position, row in enumerate(row_list):
                    weights[row] = batch_weights[position, : lengths[row]].float().cpu()
    model.train(was_training)
    if logits is None:
        logits = torch.empty(0, 0)
    return logits, (weights if return_attention else None)  # type: ignore[return-value]
