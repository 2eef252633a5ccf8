"""The training loop: data -> tokenizer -> model -> AdamW with warmup and decay -> best-epoch
checkpoint. Progress goes through a small `Reporter` protocol so the loop never prints."""

from __future__ import annotations

import dataclasses
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from attncli.checkpoint import check_output_dir, save_checkpoint
from attncli.config import Config, changed_settings
from attncli.data import load_splits
from attncli.device import autocast, resolve_device, resolve_precision
from attncli.errors import TrainingError
from attncli.inference import batched_forward
from attncli.metrics import accuracy, confusion_matrix, macro_f1
from attncli.tokenizer import pack_ids, pad_batch, pad_id_of, special_ids_of, train_tokenizer
from attncli.vectors import initialise_embeddings, load_vectors

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class RunInfo:
    """What is about to be trained, told to the reporter before the first step."""

    train_size: int
    validation_size: int
    label_names: list[str]
    vocab_size: int
    num_parameters: int
    device: str
    precision: str
    steps_per_epoch: int


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    validation_loss: float
    validation_accuracy: float
    validation_macro_f1: float
    seconds: float
    tokens_per_second: float


@dataclass
class TrainResult:
    output: Path
    config: Config
    info: RunInfo
    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0
    train_seconds: float = 0.0
    embeddings_init: dict[str, Any] | None = None
    """Where pretrained vectors came from and how much of the vocabulary they covered."""

    @property
    def best(self) -> EpochRecord:
        return self.history[self.best_epoch - 1]


class Reporter(Protocol):
    def stage(self, message: str) -> None: ...
    def start(self, info: RunInfo) -> None: ...
    def epoch_start(self, epoch: int, num_batches: int) -> None: ...
    def step(self, *, tokens: int, loss: float | None) -> None: ...
    def epoch_end(self, record: EpochRecord) -> None: ...


class SilentReporter:
    """A reporter that says nothing (tests, library use)."""

    def stage(self, message: str) -> None:
        pass

    def start(self, info: RunInfo) -> None:
        pass

    def epoch_start(self, epoch: int, num_batches: int) -> None:
        pass

    def step(self, *, tokens: int, loss: float | None) -> None:
        pass

    def epoch_end(self, record: EpochRecord) -> None:
        pass


def learning_rate_factor(step: int, *, total_steps: int, warmup_steps: int) -> float:
    """Multiplier of the peak rate at `step` (0-based): linear warmup to 1, then linear decay to 0."""
    if warmup_steps and step < warmup_steps:
        return (step + 1) / warmup_steps
    remaining = total_steps - warmup_steps
    return max(0.0, (total_steps - step) / remaining) if remaining > 0 else 1.0


@dataclass(frozen=True)
class BatchPlan:
    """One epoch's batches: batch b is `rows[b * batch_size : (b + 1) * batch_size]`, taken in
    `order`. Two flat tensors rather than a tensor per batch, so a million rows cost 4 MB."""

    rows: torch.Tensor
    """(num_rows,) int32: row indices, grouped so each batch holds rows of similar length."""
    order: torch.Tensor
    """(num_batches,) int64: the order the batches are taken in."""
    batch_size: int

    def __len__(self) -> int:
        return self.order.numel()

    def __iter__(self) -> Iterator[torch.Tensor]:
        for batch in self.order.tolist():
            yield self.rows[batch * self.batch_size : (batch + 1) * self.batch_size]


def plan_batches(lengths: torch.Tensor, *, batch_size: int, generator: torch.Generator) -> BatchPlan:
    """Shuffled batches of row indices, each drawn from rows of similar length to cut padding.

    Rows are shuffled, cut into pools of 50 batches, sorted by length within a pool, and the batches
    shuffled again, so order stays random while each batch pads little.
    """
    import torch

    rows = torch.randperm(len(lengths), generator=generator, dtype=torch.int32)
    pool_size = batch_size * 50  # a multiple of batch_size: no batch straddles two pools
    for pool in rows.split(pool_size):
        pool.copy_(pool[torch.argsort(lengths[pool], stable=True)])  # views: sorted in place
    num_batches = -(-len(lengths) // batch_size)
    return BatchPlan(rows=rows, order=torch.randperm(num_batches, generator=generator), batch_size=batch_size)


def _parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Decay weight matrices only: decaying biases, norms or embeddings hurts and buys nothing."""
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:  # frozen (pretrained embeddings): nothing to optimise
            continue
        matrix = parameter.dim() >= 2 and "embedding" not in name
        (decay if matrix else no_decay).append(parameter)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def _validate(
    model, sequences, labels, *, pad_id, batch_size, device, precision
) -> tuple[float, float, float]:
    """Validation loss, accuracy and macro-F1."""
    import torch
    import torch.nn.functional as F

    logits = batched_forward(
        model, sequences, pad_id=pad_id, batch_size=batch_size, device=device, precision=precision
    )
    targets = torch.frombuffer(labels, dtype=torch.int64)  # a view of the labels array, as in training
    loss = F.cross_entropy(logits, targets).item()
    predicted = logits.argmax(-1).tolist()
    matrix = confusion_matrix(labels, predicted, logits.size(1))
    return loss, accuracy(labels, predicted), macro_f1(matrix)


def train(
    config: Config, *, output: Path, overwrite: bool = False, reporter: Reporter | None = None
) -> TrainResult:
    """Train a tokenizer and classifier per `config` and save the best epoch to `output`."""
    import torch
    import torch.nn.functional as F

    from attncli.model import build_model

    reporter = reporter or SilentReporter()
    check_output_dir(output, overwrite=overwrite)
    device = resolve_device(config.train.device)
    precision = resolve_precision(config.train.precision, device)
    random.seed(config.train.seed)
    torch.manual_seed(config.train.seed)

    changed = " ".join(f"{key}={value}" for key, value in changed_settings(config).items())
    reporter.stage(f"settings (all others default; the full config is saved): {changed}")
    reporter.stage(f"loading {config.data.source}")
    splits = load_splits(config.data)
    config = dataclasses.replace(
        config,
        data=dataclasses.replace(
            config.data, text_column=splits.text_column, label_column=splits.label_column
        ),
    )
    train_split, validation_split = splits.splits["train"], splits.splits["validation"]
    reporter.stage(f"training the {config.tokenizer.kind} tokenizer on {len(train_split)} texts")
    tokenizer = train_tokenizer(train_split.texts, config.tokenizer)
    pad_id = pad_id_of(tokenizer)
    max_length = config.model.max_length
    train_ids = pack_ids(tokenizer, train_split.texts, max_length=max_length)
    train_lengths = train_ids.lengths().int()  # int32: 4 bytes a row
    validation_ids = pack_ids(tokenizer, validation_split.texts, max_length=max_length)

    vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
    vectors = None
    if config.model.embeddings_init:
        vectors = load_vectors(config.model.embeddings_init, tokenizer.get_vocab(with_added_tokens=True))
        found, of = vectors.coverage(special_ids_of(tokenizer))
        reporter.stage(
            f"pretrained vectors: {found} of {of} vocabulary entries ({found / max(of, 1):.1%}) found "
            f"in {vectors.path} ({vectors.dim} dimensions)"
        )
    model = build_model(
        config.model,
        vocab_size=vocab_size,
        num_labels=len(splits.label_names),
        pad_id=pad_id,
        token_dim=vectors.dim if vectors else None,
    )
    if vectors is not None:
        initialise_embeddings(model.token_embedding.weight, vectors, pad_id=pad_id)
        model.token_embedding.weight.requires_grad_(not config.model.freeze_embeddings)
    model.to(device)
    optimizer = torch.optim.AdamW(
        _parameter_groups(model, config.train.weight_decay),
        lr=config.train.lr,
        fused=device.type == "cuda",
    )
    steps_per_epoch = math.ceil(len(train_ids) / config.train.batch_size)
    total_steps = steps_per_epoch * config.train.epochs
    warmup_steps = int(config.train.warmup_ratio * total_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: learning_rate_factor(step, total_steps=total_steps, warmup_steps=warmup_steps),
    )
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    info = RunInfo(
        train_size=len(train_ids),
        validation_size=len(validation_ids),
        label_names=splits.label_names,
        vocab_size=vocab_size,
        num_parameters=sum(parameter.numel() for parameter in model.parameters()),
        device=str(device),
        precision=precision,
        steps_per_epoch=steps_per_epoch,
    )
    reporter.start(info)
    result = TrainResult(output=output, config=config, info=info)
    if vectors is not None:
        found, of = vectors.coverage(special_ids_of(tokenizer))
        result.embeddings_init = {"path": vectors.path, "dim": vectors.dim, "found": found, "of": of}
    generator = torch.Generator().manual_seed(config.train.seed)
    targets = torch.frombuffer(train_split.labels, dtype=torch.int64)  # a view, not a copy
    best_key, best_state = None, None
    started = time.perf_counter()
    for epoch in range(1, config.train.epochs + 1):
        epoch_started = time.perf_counter()
        batches = plan_batches(train_lengths, batch_size=config.train.batch_size, generator=generator)
        reporter.epoch_start(epoch, len(batches))
        model.train()
        loss_sum, tokens_seen = torch.zeros((), device=device), 0
        for step, rows in enumerate(batches, start=1):
            input_ids = pad_batch([train_ids[row] for row in rows.tolist()], pad_id=pad_id).to(
                device, non_blocking=True
            )
            batch_targets = targets[rows].to(device, non_blocking=True)
            with autocast(device, precision):
                logits = model(input_ids).logits
            loss = F.cross_entropy(
                logits.float(), batch_targets, label_smoothing=config.train.label_smoothing
            )
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if config.train.grad_clip > 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.train.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            loss_sum += loss.detach() * len(rows)
            batch_tokens = int(train_lengths[rows].sum())
            tokens_seen += batch_tokens
            # Reading the loss forces a device sync, so it is read only every 10 steps.
            shown_loss = None
            if step % 10 == 0 or step == len(batches):
                shown_loss = loss.item()
                if not math.isfinite(shown_loss):
                    raise TrainingError(
                        f"the loss became {shown_loss} at epoch {epoch}, step {step}; lower --lr or use "
                        "--precision fp32"
                    )
            reporter.step(tokens=batch_tokens, loss=shown_loss)
        train_seconds = time.perf_counter() - epoch_started
        validation_loss, validation_accuracy, validation_f1 = _validate(
            model, validation_ids, validation_split.labels, pad_id=pad_id,
            batch_size=config.train.batch_size * 2, device=device, precision=precision,
        )  # fmt: skip
        record = EpochRecord(
            epoch=epoch,
            train_loss=loss_sum.item() / len(train_ids),
            validation_loss=validation_loss,
            validation_accuracy=validation_accuracy,
            validation_macro_f1=validation_f1,
            seconds=time.perf_counter() - epoch_started,
            tokens_per_second=tokens_seen / train_seconds if train_seconds > 0 else 0.0,
        )
        result.history.append(record)
        reporter.epoch_end(record)
        # Best = highest validation accuracy; among equals, the lowest validation loss.
        key = (validation_accuracy, -validation_loss)
        if best_key is None or key > best_key:
            best_key, result.best_epoch = key, epoch
            best_state = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
    result.train_seconds = time.perf_counter() - started
    model.load_state_dict(best_state)
    reporter.stage(f"saving the checkpoint of epoch {result.best_epoch} to {output}")
    save_checkpoint(
        output,
        model=model,
        tokenizer=tokenizer,
        config=config,
        label_names=splits.label_names,
        metrics=training_metrics(result),
        overwrite=overwrite,
    )
    return result


def training_metrics(result: TrainResult) -> dict[str, Any]:
    """What metrics.json records about a run."""
    info = result.info
    return {
        "best_epoch": result.best_epoch,
        "validation": {
            "loss": result.best.validation_loss,
            "accuracy": result.best.validation_accuracy,
            "macro_f1": result.best.validation_macro_f1,
        },
        "train_seconds": result.train_seconds,
        "train_size": info.train_size,
        "validation_size": info.validation_size,
        "num_parameters": info.num_parameters,
        "device": info.device,
        "precision": info.precision,
        "history": [dataclasses.asdict(record) for record in result.history],
        **({"embeddings_init": result.embeddings_init} if result.embeddings_init else {}),
    }
