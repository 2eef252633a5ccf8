"""Running a trained model over many texts in padded batches, in the texts' own order.
Shared by validation during training and by eval, predict and inspect."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from attncli.device import autocast
from attncli.tokenizer import PackedSequences, pad_batch

if TYPE_CHECKING:
    import torch


# Padded positions a batch may hold: long documents go a few at a time, which keeps the activations
# in cache (BBC articles on a 2-core CPU: 8-16 a batch ran 10% faster than 64), short texts many at a
# time.
MAX_BATCH_TOKENS = 4096


def token_budget_batches(lengths: torch.Tensor, *, batch_size: int, max_tokens: int) -> list[torch.Tensor]:
    """Row indices in batches, shortest texts first; a batch grows while its padded size (rows x
    its longest) stays within `max_tokens` and its rows within `batch_size`."""
    import torch

    order = torch.argsort(lengths, stable=True)
    sorted_lengths = lengths[order].tolist()
    batches, start = [], 0
    for end in range(1, len(order) + 1):
        full = end - start > batch_size or (end - start) * sorted_lengths[end - 1] > max_tokens
        if full and end - 1 > start:
            batches.append(order[start : end - 1])
            start = end - 1
    batches.append(order[start:])
    return batches


def batched_forward(
    model: torch.nn.Module,
    sequences: Sequence[Sequence[int]] | Sequence[torch.Tensor] | PackedSequences,
    *,
    pad_id: int,
    batch_size: int,
    device: torch.device,
    precision: str = "fp32",
    max_tokens: int = MAX_BATCH_TOKENS,
    on_batch: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Logits (N, num_labels) in fp32 on the CPU, in the order of `sequences`. Texts are batched by
    length to cut padding, at most `batch_size` texts and about `max_tokens` padded positions a
    batch (at least one text). `on_batch(done, total)` is called after each batch (a progress bar)."""
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
    done = 0
    with torch.inference_mode(), autocast(device, precision):
        for rows in token_budget_batches(lengths, batch_size=batch_size, max_tokens=max_tokens):
            input_ids = (
                sequences.padded(rows, pad_id=pad_id)
                if isinstance(sequences, PackedSequences)
                else pad_batch([sequences[row] for row in rows.tolist()], pad_id=pad_id)
            ).to(device)
            batch_logits = model(input_ids).logits
            if logits is None:
                logits = torch.empty(len(lengths), batch_logits.size(-1))
            logits[rows] = batch_logits.float().cpu()  # written in place: no tensor per text
            if on_batch is not None:
                done += len(rows)
                on_batch(done, len(lengths))
    model.train(was_training)
    return logits if logits is not None else torch.empty(0, 0)
