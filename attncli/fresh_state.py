"""A prepared run's fresh `TrainState`: the model (from pretrained vectors where asked), AdamW over
its parameter groups, the schedule and the scaler; and the `RunInfo` that reports them."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

from attncli.device import torch_threads
from attncli.local_paths import local_path
from attncli.optimizer import AdamW, WarmupDecaySchedule, learning_rate_factor
from attncli.prepare import Prepared
from attncli.reporter import Reporter, RunInfo
from attncli.tokenizer import special_ids_of
from attncli.train_state import TrainState
from attncli.vectors import initialise_embeddings, load_vectors

if TYPE_CHECKING:
    import torch

    from attncli.config import TrainConfig

# Frozen pretrained embeddings covering less of the vocabulary than this get a warning: the rest
# would stay random for the whole run.
FROZEN_COVERAGE = 0.5


def _parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Decay weight matrices only: decaying biases, norms or embeddings hurts and buys nothing."""
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:  # frozen (pretrained embeddings): nothing to optimise
            continue
        matrix = parameter.dim() >= 2 and "embedding" not in name
        (decay if matrix else no_decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _fused_optimizer(device: torch.device) -> bool:
    """Whether AdamW takes its fused kernel: on CUDA, and on the CPU from torch 2.4, where it updates
    the BBC model's 2.2M parameters in about a third of the time of the default loop over tensors."""
    import torch

    if device.type == "cuda":
        return True
    major, minor = (int(part) for part in torch.__version__.split(".")[:2])
    return device.type == "cpu" and (major, minor) >= (2, 4)


def fresh_optimizer(
    model: torch.nn.Module,
    config: TrainConfig,
    device: torch.device,
    *,
    lr: float,
    total_steps: int,
    warmup_steps: int,
) -> tuple[AdamW, WarmupDecaySchedule]:
    """AdamW over `model` at peak rate `lr`, and its schedule: a linear warmup over `warmup_steps`,
    then a linear decay to 0 at `total_steps`."""
    optimizer = AdamW(_parameter_groups(model, config.weight_decay), lr=lr, fused=_fused_optimizer(device))
    scheduler = WarmupDecaySchedule(
        optimizer,
        lambda step: learning_rate_factor(step, total_steps=total_steps, warmup_steps=warmup_steps),
    )
    return optimizer, scheduler


def build_state(
    prepared: Prepared, *, reporter: Reporter, token_dim: int | None = None, wrap: bool = True
) -> tuple[TrainState, dict | None]:
    """A fresh model (from pretrained vectors where asked), AdamW, the schedule and the scaler;
    and what the vectors covered. `token_dim` rebuilds a resumed model without reading vectors.
    `wrap=False` leaves `wrap_for_processes` to the caller (which first checks that every process
    built its model)."""
    import torch

    from attncli.model import build_model

    config, tokenizer = prepared.config, prepared.tokenizer
    random.seed(config.train.seed)
    torch.manual_seed(config.train.seed)
    vectors, coverage = None, None
    if config.model.embeddings_init and token_dim is None:
        special_ids = special_ids_of(tokenizer)
        vectors = load_vectors(
            config.model.embeddings_init, tokenizer.get_vocab(with_added_tokens=True), special_ids=special_ids
        )
        found, of = vectors.coverage(special_ids)
        # Which file it was, wherever attn runs later: `--config RUN/best/config.json` from another
        # folder takes it from there while it is unchanged, and `attn info` shows its digest.
        absolute = str(local_path(vectors.path).resolve())
        where = {"absolute_path": absolute, "sha256": vectors.sha256, "bytes": vectors.size}
        coverage = {"path": vectors.path, "dim": vectors.dim, "found": found, "of": of, **where}
        # Another width than the model's is projected: a table of the file's width, which can hold
        # most of the model's parameters (3,145 words x 300 of a 967,000-parameter model of width 64).
        projected = (
            f", projected to model.embed_dim {config.model.embed_dim}"
            if config.model.embed_dim is not None and config.model.embed_dim != vectors.dim
            else ""
        )
        reporter.stage(
            f"pretrained vectors: {found:,} of {of:,} vocabulary entries ({found / max(of, 1):.1%}) found "
            f"in {vectors.path} ({vectors.dim} dimensions{projected})"
        )
        for note in vectors.notes:
            reporter.stage(note)
        token_dim = vectors.dim
        if config.model.freeze_embeddings and found < FROZEN_COVERAGE * of:
            reporter.stage(
                f"warning: model.freeze_embeddings keeps the {of - found:,} vocabulary entries without a "
                f"pretrained vector ({1 - found / max(of, 1):.0%}) at their random start for the whole run; "
                "use vectors of the training texts' language, or leave the embeddings trainable"
            )
        elif found < FROZEN_COVERAGE * of:
            reporter.stage(
                f"warning: only {found / max(of, 1):.1%} of the vocabulary entries have a pretrained "
                "vector, and the rest start from random ones; pass vectors of the training texts' language"
            )
    model = build_model(
        config.model,
        vocab_size=tokenizer.get_vocab_size(with_added_tokens=True),
        num_labels=len(prepared.label_names),
        pad_id=prepared.pad_id,
        token_dim=token_dim,
    )
    if vectors is not None:
        initialise_embeddings(model.token_embedding.weight, vectors, pad_id=prepared.pad_id)
    if config.model.freeze_embeddings:
        model.token_embedding.weight.requires_grad_(False)
    model.to(prepared.device)
    steps_per_epoch = math.ceil(len(prepared.train_ids) / config.train.batch_size)
    optimizer, scheduler = fresh_optimizer(
        model,
        config.train,
        prepared.device,
        lr=config.train.lr,
        total_steps=steps_per_epoch * config.train.max_epochs,
        warmup_steps=config.train.warmup_steps(len(prepared.train_ids)),
    )
    scaler = torch.amp.GradScaler(prepared.device.type, enabled=prepared.precision == "fp16")
    generator = torch.Generator().manual_seed(config.train.seed)
    state = TrainState(
        model=model, optimizer=optimizer, scheduler=scheduler, scaler=scaler, generator=generator
    )
    if wrap:
        wrap_for_processes(state, prepared)
    return state, coverage


def wrap_for_processes(state: TrainState, prepared: Prepared) -> None:
    """Under torchrun, the model in DistributedDataParallel (a collective: it starts every process
    from rank 0's weights), and each process its own dropout draws."""
    import torch

    distributed = prepared.distributed
    if distributed.active:
        from torch.nn.parallel import DistributedDataParallel

        ids = [distributed.local_rank] if prepared.device.type == "cuda" else None
        state.wrapped = DistributedDataParallel(state.model, device_ids=ids)
        torch.manual_seed(prepared.config.train.seed + 1000 * distributed.rank)


def run_info(prepared: Prepared, state: TrainState) -> RunInfo:
    return RunInfo(
        train_size=len(prepared.train_ids),
        validation_size=len(prepared.validation_ids),
        label_names=prepared.label_names,
        vocab_size=prepared.tokenizer.get_vocab_size(with_added_tokens=True),
        num_parameters=sum(parameter.numel() for parameter in state.model.parameters()),
        trainable_parameters=sum(
            parameter.numel() for parameter in state.model.parameters() if parameter.requires_grad
        ),
        device=str(prepared.device),
        precision=prepared.precision,
        epochs=prepared.config.train.max_epochs,
        label_counts=prepared.label_counts,
        processes=prepared.distributed.world_size,
        class_weights=prepared.class_weights,
        patience=prepared.config.train.epochs_of_patience,
        threads=torch_threads(),
    )
