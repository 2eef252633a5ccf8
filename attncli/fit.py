"""The training loop: steps through each epoch's batches from wherever a `TrainState` stands,
validates after every epoch, keeps `best/` and `last/` on disk (through `RunWriter`), stops early when
validation stops improving, and on a `StopRequest` (Ctrl-C, SIGTERM) saves `last/` and stops."""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import time
from typing import TYPE_CHECKING, cast

from attncli.adversarial import embedding_shift
from attncli.allocator import release_free_memory
from attncli.batching import plan_batches
from attncli.checkpoint_saving import replace_metrics
from attncli.device import autocast, counting_device, torch_threads
from attncli.epoch_validation import validate
from attncli.errors import TrainingError, TrainingInterrupted
from attncli.history import EpochRecord, TrainingMetrics
from attncli.outliers import outlier_batch
from attncli.prepare import Prepared
from attncli.rare_words import hide_rare_words
from attncli.reporter import Reporter
from attncli.run_folder import replaced_kept, resume_command
from attncli.run_writer import RunWriter, epoch_sums
from attncli.stop_request import StopRequest
from attncli.subword_dropout import split_pieces
from attncli.train_state import TrainState

if TYPE_CHECKING:
    import torch

    from attncli.config import TrainConfig

# Test-only: send this process SIGINT after the given global step, to test interruption and resume.
INTERRUPT_VARIABLE = "ATTN_TEST_INTERRUPT_AT_STEP"
LOG_EVERY = 10  # steps between progress lines of metrics.jsonl (and reads of the loss on a GPU)


def _non_finite_remedy(prepared: Prepared) -> str:
    """What to change after a non-finite loss, among the settings this run has."""
    remedies = [f"lower --lr (it is {prepared.config.train.lr:g})"]
    if prepared.config.train.grad_clip == 0:
        remedies.append("clip gradients again (train.grad_clip, 0 turns clipping off)")
    if prepared.precision != "fp32":
        remedies.append("use --precision fp32")
    return ", or ".join(remedies)


def _finite(loss: float) -> bool:
    """Whether a step's loss is a number training can go on from (tests make it fail on a step)."""
    return math.isfinite(loss)


def shard_loss_scale(shard_rows: int, batch_rows: int, world_size: int) -> float:
    """What a process multiplies its shard's mean loss by, so that DistributedDataParallel's mean
    of the processes' gradients is the gradient of the whole batch's mean loss: a batch of 33 rows
    over 2 processes gives shards of 17 and 16, whose plain means would weigh the 16 rows more.
    (With train.class_weights each shard's mean divides by its own rows' weights, so there it is
    close, not exact: exact would take an all-reduce of the weights every step.)"""
    return shard_rows * world_size / batch_rows


def adversarial_epsilon_at(config: TrainConfig, step: int, train_rows: int) -> float:
    """train.adversarial at `step` (1-based): it rises with the learning rate over the warmup. At full
    strength from the first step, a model whose embeddings are still random can be moved anywhere,
    and 3 runs in 12 on the BBC headlines (dropout 0.1) never learnt the task (33-40% on test; one
    run's training loss stayed near ln 5, equal probabilities, until early stopping ended it)."""
    warmup = config.warmup_steps(train_rows)
    return config.adversarial_epsilon * min(1.0, step / warmup) if warmup else config.adversarial_epsilon


def train_step(
    state: TrainState,
    prepared: Prepared,
    rows: torch.Tensor,
    weights: torch.Tensor | None,
    *,
    loss_scale: float = 1.0,
) -> torch.Tensor:
    """One optimisation step on the batch of `rows` (plus the step's outlier texts and, with
    train.adversarial, the batch's texts moved by attncli/adversarial.py); returns the (detached)
    mean loss on the batch's own texts. The gradient is that of `loss_scale` times the texts' and
    moved texts' losses, plus the outliers' (see shard_loss_scale)."""
    import torch
    import torch.nn.functional as F

    config, device = prepared.config.train, prepared.device
    input_ids = prepared.train_ids.padded(rows, pad_id=prepared.pad_id)
    if config.rare_word_alpha and prepared.hides_words:  # see attncli/rare_words.py
        # Before subword dropout: the pieces it splits a token into have no count of their own in
        # training, and would all be hidden.
        input_ids = hide_rare_words(
            input_ids, prepared.token_counts, alpha=config.rare_word_alpha, pad_id=prepared.pad_id,
            unknown_id=prepared.unknown_id,
        )  # fmt: skip
    if config.subword_dropout_rate and prepared.piece_splits is not None:  # see attncli/subword_dropout.py
        input_ids = split_pieces(
            input_ids, prepared.piece_splits, rate=config.subword_dropout_rate, pad_id=prepared.pad_id,
            max_length=prepared.config.model.length, truncation=prepared.config.model.truncation,
        )  # fmt: skip
    if config.token_dropout:
        # Hiding random words behind the unknown token: the model cannot lean on any one of them.
        hidden = (torch.rand(input_ids.shape) < config.token_dropout) & (input_ids != prepared.pad_id)
        input_ids = input_ids.masked_fill(hidden, prepared.unknown_id)
    outliers = None
    if config.outlier_rows and prepared.outlier_pool is not None:  # see attncli/outliers.py
        outliers = outlier_batch(
            prepared.outlier_pool, count=config.outlier_rows, step=state.global_step, seed=config.seed,
            length=input_ids.size(1), pad_id=prepared.pad_id,
        )  # fmt: skip
        # They join the batch, padded to its length: one forward pass per backward, as
        # DistributedDataParallel wants. (A pass of their own at their own length was measured too:
        # less accurate on BBC, 95.9-97.3% against 97.7-98.0%, and gibberish stayed at 48-72%.)
        input_ids = torch.cat([input_ids, outliers])
    targets = prepared.train_targets[rows].to(device, non_blocking=True)
    input_ids = input_ids.to(device, non_blocking=True)
    texts, batch = len(rows), len(input_ids)  # the batch's texts, then its outlier texts
    shift = None
    epsilon = adversarial_epsilon_at(config, state.global_step, len(prepared.train_ids))
    if epsilon:  # see attncli/adversarial.py
        with autocast(device, prepared.precision):
            moved = embedding_shift(
                state.model, input_ids[:texts], targets, epsilon=epsilon,
                pad_id=prepared.pad_id, class_weights=weights, label_smoothing=config.label_smoothing,
                scale_loss=state.scaler.scale,
            )  # fmt: skip
        # The moved texts join the batch, as the outliers do: one forward pass per backward.
        shift = torch.cat([moved.new_zeros(batch, *moved.shape[1:]), moved])
        input_ids = torch.cat([input_ids, input_ids[:texts]])
    with autocast(device, prepared.precision):
        logits = state.forward_model(input_ids, embedding_shift=shift).logits.float()
    outlier_logits = logits[texts:batch] if outliers is not None else None
    loss = F.cross_entropy(logits[:texts], targets, weight=weights, label_smoothing=config.label_smoothing)
    total = loss * loss_scale
    if shift is not None:
        moved_loss = F.cross_entropy(
            logits[batch:], targets, weight=weights, label_smoothing=config.label_smoothing
        )
        total = total + moved_loss * loss_scale
    if outlier_logits is not None:  # cross-entropy to the uniform distribution
        total = total - config.outlier_weight * outlier_logits.log_softmax(-1).mean()
    state.optimizer.zero_grad(set_to_none=True)
    state.scaler.scale(total).backward()
    # The grad scaler reads only param_groups and step() of what it is given (typed as torch's
    # Optimizer, which attn's AdamW does not subclass: see attncli/optimizer.py).
    optimizer = cast("torch.optim.Optimizer", state.optimizer)
    if config.grad_clip > 0:
        state.scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(state.model.parameters(), config.grad_clip)
    state.scaler.step(optimizer)
    state.scaler.update()
    state.scheduler.step()
    return loss.detach()


def _over_every_process(
    state: TrainState, prepared: Prepared, loss: float | None, rows: int
) -> tuple[float | None, int]:
    """A log line's figures for the whole run, not this process's share: the step's loss over the
    whole batch and the epoch's tokens so far. Every process must call it (a collective)."""
    if not prepared.distributed.active or loss is None:
        return loss, state.tokens_seen
    loss_sum, all_rows, tokens = summed_over_processes(prepared, [loss * rows, rows, state.tokens_seen])
    return loss_sum / max(all_rows, 1.0), int(tokens)


def summed_over_processes(prepared: Prepared, values: list[float]) -> list[float]:
    """`values` summed over the run's processes, in float64 (a collective: every process calls it)."""
    import torch

    where = counting_device(prepared.device)
    sums = torch.tensor(values, dtype=torch.float64, device=where)
    return [float(value) for value in prepared.distributed.all_reduce_sum(sums).tolist()]


def _end_epoch(
    state: TrainState, prepared: Prepared, run: RunWriter, metrics: TrainingMetrics, reporter: Reporter
) -> bool:
    """Validate, record, keep best/ and last/; True when training should stop."""
    config = prepared.config.train
    validation_loss, validation_accuracy, validation_f1, temperature, missed = validate(state, prepared)
    train_loss_sum, tokens_seen, padded_tokens = epoch_sums(state, prepared)
    record = EpochRecord(
        epoch=state.epoch,
        train_loss=train_loss_sum / len(prepared.train_ids),
        validation_loss=validation_loss,
        validation_accuracy=validation_accuracy,
        validation_macro_f1=validation_f1,
        seconds=state.epoch_seconds,
        tokens_per_second=tokens_seen / state.epoch_seconds if state.epoch_seconds > 0 else 0.0,
        padding_fraction=1.0 - tokens_seen / padded_tokens if padded_tokens else 0.0,
        temperature=temperature,
        missed_labels=missed,
        processes=prepared.distributed.world_size,
        threads=torch_threads(),
    )
    state.history.append(record)
    run.write_log(step=state.global_step, **dataclasses.asdict(record))
    improved = record_score(
        state,
        validation_f1=validation_f1,
        validation_loss=validation_loss,
        warming_up=state.global_step < config.warmup_steps(len(prepared.train_ids)),
    )
    stop = ""
    if state.epoch >= config.max_epochs:  # the ceiling, even where patience ran out with it
        stop = "epochs"
    elif config.epochs_of_patience and state.epochs_without_improvement >= config.epochs_of_patience:
        stop = "patience"
    metrics.history, metrics.best_epoch, metrics.stop_reason = list(state.history), state.best_epoch, stop
    if improved:
        # A refit of an earlier best/ (a resumed run's), or its divergence, no longer describes it.
        metrics.refit, metrics.refit_diverged, metrics.refit_skipped = None, "", ""
        run.save(run.folder.best, state, metrics, with_state=False)
    state.epoch, state.step, state.loss_sum = state.epoch + 1, 0, None
    state.tokens_seen, state.padded_tokens, state.epoch_seconds, state.epoch_generator_state = 0, 0, 0.0, None
    run.save(run.folder.last, state, metrics, with_state=True)
    # Said once saved: a reader that went away (`attn train ... | head`, a tee that died) raises
    # BrokenPipeError at the first line written, which then costs no epoch.
    reporter.epoch_end(record)
    return bool(stop)


# A fall of the mean validation loss (nats) that no longer counts as the model learning: a
# ten-thousandth of a nat, where the BBC runs' epochs move it by 0.001 to 0.05.
MIN_LOSS_FALL = 1e-4


def record_score(
    state: TrainState, *, validation_f1: float, validation_loss: float, warming_up: bool = False
) -> bool:
    """Note the epoch that just ended in `state`; True when it is the best so far (highest macro-F1,
    then lowest loss), which best/ then holds. Patience counts the epochs since the best epoch
    (warmup epochs left out, below): a lower loss at an equal macro-F1 keeps training going too.
    Counting from the last rise of
    macro-F1 alone stopped small, easy runs at 100% validation macro-F1 while the loss still fell
    fast (0.71 to 0.26 over the last three epochs), leaving a model right but unsure (76% where
    training on gave 99.5%), and said it stopped early at its own best epoch; the ceiling
    (`train.epochs`) still bounds such a run.

    Epochs that end `warming_up` (the learning rate still rising) do not count, as a high ceiling
    makes the warmup span many epochs. On the BBC headlines with random 20-dim word vectors and
    --epochs 300 (warmup 30 epochs, patience 3), a run stopped at epoch 4 and kept epoch 1 at 20.1%
    macro-F1, its validation loss still falling; not counting them, it kept epoch 26 at 83.3%.

    A lower loss at an equal macro-F1 restarts the patience only where it has fallen by more than
    MIN_LOSS_FALL since the epoch that last restarted it (best/ still takes the lower loss): on
    separable data (a user's trial, 480 emoji tweets at 100% from epoch 5) the loss fell on to float32's
    rounding, 4.5e-6 to 1.2e-7, so patience never ran out, and the run trained all 72 epochs."""
    key = (validation_f1, -validation_loss)
    improved = state.best_key is None or key > state.best_key
    if improved:
        state.best_key, state.best_epoch = key, state.epoch
    mark = state.progress_key
    progressed = improved and (
        mark is None or validation_f1 > mark[0] or validation_loss < -mark[1] - MIN_LOSS_FALL
    )
    if progressed:
        state.progress_key = key
    waited = 0 if progressed or warming_up else state.epochs_without_improvement + 1
    state.epochs_without_improvement = waited
    return improved


def _save_interrupted(state: TrainState, run: RunWriter, metrics: TrainingMetrics, signal_name: str) -> None:
    """Keep last/ at this step (rank 0 writes, every process waits for it), then stop. A run that
    replaces an earlier one (--overwrite) and has no best epoch yet gives the earlier run back
    instead: less than an epoch is lost, not a whole run; one with a best epoch keeps the earlier
    run aside, in use, until a --resume finishes it."""
    distributed = run.prepared.distributed
    replacing = run.enabled and run.folder.replaces_a_run()  # rank 0 knows; every rank must agree
    if not state.best_epoch and not distributed.agree(not replacing, device=run.prepared.device):
        if run.enabled:
            run.folder.put_back_replaced_run()
        distributed.barrier()
        raise TrainingInterrupted(
            f"{signal_name}: stopped at epoch {state.epoch}, step {state.step}, before the first epoch "
            f"ended; {run.folder.path} holds the earlier run again, as it was before --overwrite"
        )
    metrics.history, metrics.stop_reason = list(state.history), "interrupted"
    run.save(run.folder.last, state, metrics, with_state=True)
    kept_best = state.best_epoch and run.folder.best.is_dir()  # best/ may have been deleted by hand
    if run.enabled and kept_best:  # best/ tells the run's story too (`attn info RUN` reads it)
        replace_metrics(run.folder.best, metrics.to_json())
    run.prepared.distributed.barrier()
    best = f" and {run.folder.best} the best epoch ({state.best_epoch})" if kept_best else ""
    command = resume_command(run.folder.path, run.prepared.distributed.world_size)
    raise TrainingInterrupted(
        f"{signal_name}: stopped at epoch {state.epoch}, step {state.step}; {run.folder.last} holds this "
        f"state{best}{replaced_kept(run.folder.path) if replacing else ''}; resume with: {command}",
        resume=command,
    )


def fit(
    state: TrainState, prepared: Prepared, run: RunWriter, metrics: TrainingMetrics, *, reporter: Reporter
) -> None:
    """Train from where `state` stands until the epoch ceiling or early stopping; Ctrl-C or SIGTERM
    saves last/ after the current step and raises TrainingInterrupted."""
    import torch

    config = prepared.config.train
    weights = torch.tensor(prepared.class_weights, device=prepared.device) if prepared.class_weights else None
    interrupt_at = int(os.environ.get(INTERRUPT_VARIABLE, "0") or 0)
    on_cpu = prepared.device.type == "cpu"
    distributed = prepared.distributed
    with StopRequest(watch_launcher=distributed.active) as stop_request:
        while state.epoch <= config.max_epochs:
            if state.epoch_generator_state is None:
                state.epoch_generator_state = state.generator.get_state()
            else:  # resumed inside this epoch: plan the same batches again
                state.generator.set_state(state.epoch_generator_state)
            batches = plan_batches(
                prepared.train_lengths, batch_size=config.batch_size, generator=state.generator
            )
            reporter.epoch_start(state.epoch, len(batches), done=state.step)  # a resumed epoch's steps
            state.model.train()
            if state.loss_sum is None:
                state.loss_sum = torch.zeros((), device=prepared.device)
            for index, rows in enumerate(batches):
                if index < state.step:
                    continue
                state.step, state.global_step = state.step + 1, state.global_step + 1
                shard = rows[distributed.rank :: distributed.world_size]  # this process's share
                if len(rows) < distributed.world_size:
                    continue  # a last batch too small to share: every process skips it
                started = time.perf_counter()
                scale = shard_loss_scale(len(shard), len(rows), distributed.world_size)
                loss = train_step(state, prepared, shard, weights, loss_scale=scale)
                state.loss_sum += loss * len(shard)
                shard_lengths = prepared.train_lengths[shard]
                batch_tokens = int(shard_lengths.sum())
                state.tokens_seen += batch_tokens
                state.padded_tokens += len(shard) * int(shard_lengths.max())
                state.epoch_seconds += time.perf_counter() - started
                # Reading the loss syncs a GPU, so there it is read (and the processes agree on
                # stopping) every LOG_EVERY steps of the run; on the CPU, every step.
                shown = None
                logged = state.global_step % LOG_EVERY == 0  # of the run: epochs of 9 steps logged none
                if on_cpu or logged or state.step == len(batches):
                    shown = loss.item()
                    if interrupt_at and state.global_step >= interrupt_at:
                        interrupt_at = 0
                        os.kill(os.getpid(), signal.SIGINT)
                    finite = distributed.agree(_finite(shown), device=prepared.device)
                    if not finite:
                        distributed.barrier()  # every rank has the answer before any leaves (train._joined)
                        raise TrainingError(
                            f"the loss became {shown} at epoch {state.epoch}, step {state.step}; "
                            f"{_non_finite_remedy(prepared)}"
                        )
                if logged:
                    if on_cpu:
                        release_free_memory()
                    logged_loss, logged_tokens = _over_every_process(state, prepared, shown, len(shard))
                    run.write_log(
                        step=state.global_step, epoch=state.epoch, loss=logged_loss,
                        lr=state.scheduler.get_last_lr()[0],
                        tokens_per_second=logged_tokens / max(state.epoch_seconds, 1e-9),
                    )  # fmt: skip
                # After the step's log line: a run resumed from here goes on with the next step.
                stopping = shown is not None and not distributed.agree(
                    stop_request.requested() is None, device=prepared.device
                )
                if stopping:
                    _save_interrupted(
                        state, run, metrics, stop_request.signal_name or StopRequest.ANOTHER_PROCESS
                    )
                # The bar's tokens/s is the run's: every process's share of the batch.
                whole_batch = int(prepared.train_lengths[rows].sum()) if distributed.active else batch_tokens
                reporter.step(tokens=whole_batch, loss=shown)
            if _end_epoch(state, prepared, run, metrics, reporter):
                return
