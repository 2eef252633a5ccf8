"""Scoring the validation split at the end of an epoch: loss, accuracy, macro-F1, the calibration
temperature and the labels never recognised, summed over every process under torchrun."""

from __future__ import annotations

from attncli.calibration import GRID_POINTS, best_temperature, nll_by_temperature
from attncli.device import counting_device
from attncli.inference import batched_forward
from attncli.metrics import macro_f1
from attncli.prepare import Prepared
from attncli.train_state import TrainState


def validate(state: TrainState, prepared: Prepared) -> tuple[float, float, float, float, list[str]]:
    """Validation loss, accuracy, macro-F1, the calibration temperature (1.0 unless
    train.calibrate) and the labels none of whose rows was recognised; under torchrun each process
    scores its share of the rows and the sums are added up."""
    import torch
    import torch.nn.functional as F

    distributed, num_labels = prepared.distributed, len(prepared.label_names)
    rows = range(distributed.rank, len(prepared.validation_ids), distributed.world_size)
    sequences = (
        prepared.validation_ids if not distributed.active else [prepared.validation_ids[i] for i in rows]
    )
    labels = torch.frombuffer(prepared.validation_labels, dtype=torch.int64)  # a view, as in training
    targets = labels if not distributed.active else labels[list(rows)]
    logits = batched_forward(
        state.model, sequences, pad_id=prepared.pad_id, batch_size=prepared.config.train.batch_size * 2,
        device=prepared.device, precision=prepared.precision,
    )  # fmt: skip
    loss_sum = F.cross_entropy(logits, targets, reduction="sum") if len(targets) else torch.zeros(())
    predicted = logits.argmax(-1) if len(targets) else targets
    counts = torch.bincount(targets * num_labels + predicted, minlength=num_labels * num_labels).double()
    nll_sums = nll_by_temperature(logits, targets) if len(targets) else torch.zeros(GRID_POINTS).double()
    totals = distributed.all_reduce_sum(
        torch.cat([loss_sum.double().reshape(1), counts, nll_sums]).to(counting_device(prepared.device))
    ).cpu()
    cells = num_labels * num_labels
    matrix = totals[1 : 1 + cells].long().view(num_labels, num_labels)  # rows: true, columns: predicted
    total = len(prepared.validation_ids)
    # A validation split without a mistake always asks for the sharpest grid temperature: it
    # cannot tell how confident to be, so it leaves the scores as they are.
    mistakes = total - int(matrix.trace().item())
    calibrate = prepared.config.train.calibrate and mistakes > 0
    temperature = best_temperature(totals[1 + cells :]) if calibrate else 1.0
    missed = [
        name
        for index, name in enumerate(prepared.label_names)
        if matrix[index].sum() > 0 and matrix[index, index] == 0
    ]
    accuracy = matrix.trace().item() / total
    return totals[0].item() / total, accuracy, macro_f1(matrix.tolist()), temperature, missed
