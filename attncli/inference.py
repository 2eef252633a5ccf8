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
    sequences: Sequence[Sequence[int]] | Sequence[torch.Tensor] | PackedSequences,
    *,
    pad_id: int,
    batch_size: int,
    device: torch.device,
    precision: str = "fp32",
) -> torch.Tensor:
    """Logits (N, num_labels) in fp32 on the CPU, in the order of `sequences`. Texts are batched by
    length to cut padding."""
    import torch

    if isinstance(sequences, PackedSequences):
        lengths = sequences.lengths()
    else:
        lengths = torch.tensor([len(ids) for ids in sequences], dtype=torch.long)
    logits: torch.Tensor | None = None
    if len(lengths) == 0:  # torch.split of an empty tensor still yields one (empty) batch
        return torch.empty(0, 0)
    was_training = model.training
    model.eval()
    with torch.inference_mode(), autocast(device, precision):
        for rows in torch.argsort(lengths, stable=True).split(batch_size):
            input_ids = pad_batch([sequences[row] for row in rows.tolist()], pad_id=pad_id).to(device)
            batch_logits = model(input_ids).logits
            if logits is None:
                logits = torch.empty(len(lengths), batch_logits.size(-1))
            logits[rows] = batch_logits.float().cpu()  # written in place: no tensor per text
    model.train(was_training)
    return logits if logits is not None else torch.empty(0, 0)
