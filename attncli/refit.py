"""The refit: once early stopping has chosen the best epoch, a few more epochs on every training row,
the validation rows held out of train included, starting from the best epoch's model (the refit of
scikit-learn's grid search, warm-started rather than from scratch).

Holding out a tenth of the rows is what lets a run stop early and fit its temperature, and it costs
small data dearly: on the BBC headlines the TF-IDF baselines lose 1-4 points when fitted without the
178 rows attn holds out. Four refit epochs (the learning rate falling linearly from a third of
train.lr to 0, adversarial training and the outlier texts as in training) took the sized default
from 83.2% to 83.9% of mean test accuracy over 12 seeds, ahead on 11 and behind on one, for about a
second (docs/short_texts.md). The held-out rows are trained on afterwards, so best/ keeps the best epoch's
validation scores and temperature, measured before the refit: they describe the model early
stopping chose, which the refit starts from. A refit that leaves the model less fitted to the rows it
trained on (beyond chance's noise) is set aside, and best/ keeps the epoch early stopping chose."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Iterator
from pathlib import Path

from attncli.allocator import release_free_memory
from attncli.batching import plan_batches
from attncli.checkpoint_folder import BEST, LAST, WEIGHTS_FILE
from attncli.checkpoint_saving import CheckpointWriteFailed, replace_metrics
from attncli.device import counting_device
from attncli.errors import CheckpointError, TrainingError, TrainingInterrupted
from attncli.fit import LOG_EVERY, shard_loss_scale, summed_over_processes, train_step
from attncli.fresh_state import fresh_optimizer
from attncli.history import TrainingMetrics, nothing_to_refit, refit_due, two_standard_errors
from attncli.prepare import Prepared
from attncli.reporter import Reporter
from attncli.resuming import without_refit, work_left
from attncli.run_folder import mend, replaced_kept, resume_command
from attncli.run_writer import RunWriter
from attncli.stop_request import StopRequest
from attncli.train_failures import peer_error_text, peer_lost
from attncli.train_state import TrainState

# The refit's peak learning rate, as a share of train.lr: measured on the headlines (train.lr 3e-3)
# from 1e-3, which beat 3e-4 with 2 epochs (83.7% against 83.5% of mean over 12 seeds).
REFIT_LR_SHARE = 1 / 3


def with_held_out_rows(prepared: Prepared) -> Prepared:
    """`prepared` with the validation rows appended to the training rows."""
    import torch

    ids = prepared.train_ids.followed_by(prepared.validation_ids)
    held_out = torch.tensor(prepared.validation_labels, dtype=torch.int64)
    every_row = dataclasses.replace(
        prepared,
        train_ids=ids,
        train_lengths=ids.lengths().int(),
        train_targets=torch.cat([prepared.train_targets, held_out]),
    )
    # The outlier texts do not depend on the rows: training's pool (a cached property) serves the
    # refit too, rather than being drawn again (0.19 s of a headline refit's second).
    vars(every_row)["outlier_pool"] = prepared.outlier_pool
    return every_row


def refit(
    state: TrainState, prepared: Prepared, run: RunWriter, metrics: TrainingMetrics, *, reporter: Reporter
) -> None:
    """Train the best epoch's model on every training row for train.refit_epochs epochs and save it
    as best/. Ctrl-C or SIGTERM stops it and leaves best/ as training chose it; a --resume then
    does the refit."""
    import torch
    from safetensors.torch import load

    config, distributed = prepared.config.train, prepared.distributed
    if not refit_due(config.refit_epoch_count, prepared.validation_digest):
        return
    epochs = config.refit_epoch_count
    sized = "train.refit_epochs" in (metrics.sized or {})
    if sized:
        # Sized, it trains no longer than the model it starts from did: four epochs on a model of
        # three left the validation scores and temperature describing another model, and the run
        # warned of its own default (a trial's noisy posts, best at epoch 3).
        epochs = min(epochs, state.best_epoch)
    if metrics.refit_diverged:
        # Its refit diverged at the end of an earlier session, and would again from the same start.
        reporter.stage(
            f"note: no refit: {run.folder.best} holds epoch {state.best_epoch}, whose refit diverged "
            f"({metrics.refit_diverged}); to refit, train again with --overwrite and a lower train.lr"
        )
        return
    if metrics.refit is not None:
        # A finished run resumed with a higher --epochs whose new epochs did not beat the best one:
        # best/ was refitted at the end of the earlier session, and a second refit would train on
        # the held-out rows twice as long as asked.
        reporter.stage(
            f"note: no refit: {run.folder.best} holds epoch {state.best_epoch} refitted already, and no "
            "later epoch beat it"
        )
        refitted = metrics.refit.get("epochs")
        if sized and isinstance(refitted, int):
            _say_refit_epochs(prepared, refitted)  # as best/'s config says them
        return
    best = metrics.best
    if best is not None and nothing_to_refit(prepared.label_counts, len(prepared.validation_ids), best):
        # A refit of a model validation found at chance is a model no validation scored: a trial's
        # word-order task, at chance by its best epoch, learnt in the refit, and kept the temperature
        # fitted on chance (14.3): 96.7% accurate on test, every score 50-57%, ECE 45%.
        metrics.refit_skipped = (
            f"epoch {state.best_epoch}, the best, learnt nothing validation could show, and a refit of "
            "it would be a model no validation scored"
        )
        reporter.stage(f"note: no refit: {metrics.refit_skipped}")
        return
    # Rank 0 wrote best/ and reads it back; the others take its weights from rank 0, so they need
    # not see the same file system (nor a fresh view of it).
    weights_file = run.folder.best / WEIGHTS_FILE
    if not distributed.agree(not distributed.is_main or weights_file.is_file(), device=prepared.device):
        # Deleted while a resumed run trained, and no later epoch beat it: nothing to start from.
        reporter.stage(f"note: no refit, as {run.folder.best} is gone, and with it the model to start from")
        return
    if distributed.is_main:
        # From the file's bytes, as loading a checkpoint reads them: safetensors takes a path only
        # as UTF-8, and a run folder named in another encoding ended the run at its refit.
        saved = load(weights_file.read_bytes())
        state.model.load_state_dict({name: tensor.to(prepared.device) for name, tensor in saved.items()})
    distributed.broadcast_tensors(state.model.state_dict().values())
    every_row = with_held_out_rows(prepared)
    rows = len(every_row.train_ids)
    steps_per_epoch = math.ceil(rows / config.batch_size)
    optimizer, scheduler = fresh_optimizer(
        state.model, config, prepared.device,
        lr=config.lr * REFIT_LR_SHARE, total_steps=steps_per_epoch * epochs, warmup_steps=0,
    )  # fmt: skip
    refitting = dataclasses.replace(state, optimizer=optimizer, scheduler=scheduler)
    reporter.stage(
        f"refit: {epochs} epoch{'s' * (epochs != 1)} on all {rows:,} training texts, the "
        f"{len(prepared.validation_ids):,} held out for validation included, "
        f"from epoch {state.best_epoch}'s model"
    )
    weights = torch.tensor(prepared.class_weights, device=prepared.device) if prepared.class_weights else None
    losses: list[float] = []
    on_cpu, counting = prepared.device.type == "cpu", counting_device(prepared.device)
    # Summed where the steps run, in float64 where the device has it (MPS has not: float32 there,
    # since a copy to the CPU each step would wait for the device each step).
    sum_dtype = torch.float64 if counting == prepared.device else torch.float32
    started = time.perf_counter()
    kept = without_refit(run.folder.best, state.best_epoch)
    # Where the refit stops unfinished, best/ is not in use yet after --overwrite: the run it replaces
    # is. (A refit that diverges ends the run, which then replaces it.)
    unfinished = kept + (replaced_kept(run.folder.path) if run.enabled else "")
    # The run's epochs are all in last/, and best/ is not yet refitted: a --resume does the refit.
    command = resume_command(run.folder.path, distributed.world_size)
    # Its steps reach a reporter that shows the refit's epochs as it shows training's (a bar, a line a
    # minute): see Reporter. One without those methods hears each refit epoch's line alone. (A mock
    # whose every attribute is callable has both.)
    epoch_begins = getattr(reporter, "refit_epoch_start", None)
    epoch_ends = getattr(reporter, "refit_epoch_end", reporter.stage)
    with StopRequest(watch_launcher=distributed.active) as stop_request, _peer_lost(unfinished, command):
        fit_before = _fit_to_its_rows(state, every_row)
        for epoch in range(1, epochs + 1):
            epoch_started = time.perf_counter()
            batches = plan_batches(
                every_row.train_lengths, batch_size=config.batch_size, generator=state.generator
            )
            if epoch_begins is not None:
                epoch_begins(epoch, epochs, len(batches))
            state.model.train()
            sums = torch.zeros(2, dtype=sum_dtype, device=prepared.device)  # loss x rows, rows
            for step, batch in enumerate(batches, start=1):
                shard = batch[distributed.rank :: distributed.world_size]
                if len(batch) < distributed.world_size:
                    continue  # a last batch too small to share: every process skips it
                refitting.global_step += 1
                scale = shard_loss_scale(len(shard), len(batch), distributed.world_size)
                loss = train_step(refitting, every_row, shard, weights, loss_scale=scale)
                sums[0] += loss.to(sum_dtype) * len(shard)
                sums[1] += len(shard)
                # Reading the loss syncs a GPU: there it is read every LOG_EVERY steps, as in fit.
                shown = None
                logged = refitting.global_step % LOG_EVERY == 0
                if on_cpu or logged or step == len(batches):
                    shown = loss.item()
                    if not distributed.agree(math.isfinite(shown), device=prepared.device):
                        where = f"refit epoch {epoch}, step {step}"
                        if epoch_begins is not None:  # its bar ends before the warning, not under it
                            epoch_ends(f"refit epoch {epoch}/{epochs}: stopped at step {step}")
                        _say_diverged(reporter, metrics, f"the loss became {shown} in {where}", kept)
                        return
                    if logged:
                        _log_step(run, refitting, every_row, epoch=epoch, loss=shown, rows=len(shard))
                    if not distributed.agree(stop_request.requested() is None, device=prepared.device):
                        signal_name = stop_request.signal_name or StopRequest.ANOTHER_PROCESS
                        _stop(
                            run, metrics, signal_name, epoch=epoch, step=step, kept=unfinished,
                            command=command, seconds=time.perf_counter() - started,
                        )  # fmt: skip
                if epoch_begins is not None:  # the run's tokens: every process's share of the batch
                    reporter.step(tokens=int(every_row.train_lengths[batch].sum()), loss=shown)
            loss_sum, seen = distributed.all_reduce_sum(sums.to(counting).double()).tolist()
            losses.append(loss_sum / max(seen, 1.0))
            # The steps' losses are read every LOG_EVERY steps on a GPU: the epoch's mean catches the rest.
            if not math.isfinite(losses[-1]):
                _say_diverged(reporter, metrics, f"refit epoch {epoch}'s mean loss became {losses[-1]}", kept)
                return
            if on_cpu:
                release_free_memory()
            seconds = time.perf_counter() - epoch_started
            run.write_log(
                step=refitting.global_step, refit_epoch=epoch, refit_loss=losses[-1], refit_seconds=seconds
            )
            epoch_ends(f"refit epoch {epoch}/{epochs}: train loss {losses[-1]:.4f} ({seconds:.1f} s)")
        fit_after = _fit_to_its_rows(state, every_row)
        # Under class weights the refit weighs the rare labels up, which may cost accuracy: macro-F1.
        measure, index = ("macro-F1", 1) if prepared.class_weights else ("accuracy", 0)
        before, after = fit_before[index], fit_after[index]
        if after < before - _noise(before, rows):
            # Trained on them, a settled model fits its rows better, or as well: one that fits them
            # worse started from an epoch validation happened to catch at its best while training
            # still swung (a teacher's rubric marks: 86.8% on its own rows fell to 65.6%, and on new
            # answers from 84.0% to 62.7%). The refit is set aside; best/ keeps the epoch it chose
            # (this process's model keeps the refit's weights, which nothing reads after this).
            metrics.refit_skipped = (
                f"the refit left epoch {state.best_epoch}'s model less fitted to the texts it trained on "
                f"({measure} {after:.1%} against {before:.1%}), as a model is whose training had not "
                "settled, so it was set aside"
            )
            reporter.stage(f"note: no refit: {metrics.refit_skipped}; {kept}")
            return
        # Saved while a signal is still only a request: one that came after the last step (or during
        # the save) stopped the process with KeyboardInterrupt, losing the finished refit and saying
        # there was nothing to resume.
        state.global_step = refitting.global_step
        metrics.refit = {
            "epochs": epochs,
            "from_epoch": state.best_epoch,
            "train_size": rows,
            "held_out_rows": len(prepared.validation_ids),
            "lr": config.lr * REFIT_LR_SHARE,
            "train_loss": losses,
            # On every row it trained on, before and after: kept where it is no lower than noise allows.
            "accuracy_before": fit_before[0],
            "accuracy_after": fit_after[0],
            "macro_f1_before": fit_before[1],
            "macro_f1_after": fit_after[1],
            "seconds": time.perf_counter() - started,
        }
        if epochs < config.refit_epoch_count:
            _say_refit_epochs(prepared, epochs)
        try:
            run.save(run.folder.best, state, metrics, with_state=False)
        except CheckpointWriteFailed as failed:  # best/ is left as it was: the write is staged
            metrics.refit = None
            raise CheckpointError(
                f"could not write the refitted model to {run.folder.best} ({failed.reason}); {unfinished}; "
                f"{failed.remedy}, then refit it with: {command}"
            ) from None
        came = stop_request.requested()
        if came is not None:
            reporter.stage(
                f"note: {came} came as the refit ended: the refitted model is saved in "
                f"{run.folder.best}, so nothing was lost"
            )


def _fit_to_its_rows(state: TrainState, every_row: Prepared) -> tuple[float, float]:
    """The accuracy and macro-F1 of `state`'s model on the rows the refit trains on, validated as a
    split is (each process its share, under torchrun, and the sums added up, so that every process
    decides alike)."""
    from array import array

    from attncli.epoch_validation import validate

    labels = array("q")
    labels.frombytes(every_row.train_targets.contiguous().numpy().tobytes())
    as_validation = dataclasses.replace(
        every_row, validation_ids=every_row.train_ids, validation_labels=labels
    )
    _, accuracy, f1, _, _ = validate(state, as_validation)
    return accuracy, f1


def _noise(score: float, rows: int) -> float:
    """How far a score of `rows` rows may fall by chance alone: two standard errors, at least a row (a
    refit of the headlines gained 0.06 to 0.4 points on its 1,781 rows; a teacher's lost 3 to 21)."""
    return max(1 / max(rows, 1), two_standard_errors(score, rows))


def _say_refit_epochs(prepared: Prepared, epochs: int) -> None:
    """Save the sized refit's epochs with best/ as the number that ran: `attn info
    --json` and train's said 4 where 3 ran, and a run replayed from their settings refitted 4 (a
    nightly job's trial). last/ keeps the rule's ceiling, which a resume for more epochs sizes again."""
    train = dataclasses.replace(prepared.config.train, refit_epochs=epochs)
    prepared.config = dataclasses.replace(prepared.config, train=train)


# Said where a process was killed once the run had done all it had to.
NOTHING_TO_RESUME = "the run's epochs are all trained, so there is nothing to resume"


def killed_after_training(folder: Path, *, epochs: int | None = None) -> str | None:
    """What the run in `folder` keeps, for a process killed where it could not say it (the OOM
    killer's SIGKILL) once the run had nothing left to do, where last/ has nothing to resume; None
    where it has epochs or a refit left (a --resume does them), or where last/ does not read
    (resuming then says what is wrong). `epochs`: the --epochs of a --resume, its ceiling. What the
    kill left half done is finished first: a swap of best/ (the refit's, whose refit is then left),
    and the run an --overwrite kept aside, which a finished run replaces."""
    mend(folder)
    if work_left(folder / LAST, epochs) is not False:
        return None
    return f"{NOTHING_TO_RESUME}: {folder / BEST} holds the run's model"


def _say_diverged(reporter: Reporter, metrics: TrainingMetrics, what: str, kept: str) -> None:
    """A refit whose loss stopped being a number ends there, and the run with the model training
    chose: a warning, not a failed run. best/ records it, so that a --resume does not diverge again."""
    metrics.refit_diverged = what
    reporter.stage(
        f"warning: the refit stopped: {what}; {kept}; to refit, train again with --overwrite and a lower "
        "train.lr (the refit starts at a third of it)"
    )


@contextlib.contextmanager
def _peer_lost(kept: str, command: str) -> Iterator[None]:
    """Another training process gone during the refit (gloo's or NCCL's RuntimeError) is said as
    what it leaves, and how to refit."""
    try:
        yield
    except RuntimeError as error:
        if not peer_lost(error):
            raise
        raise TrainingError(
            f"another training process stopped during the refit ({peer_error_text(error)}); {kept}; "
            f"refit it with: {command}"
        ) from error


def _log_step(
    run: RunWriter, refitting: TrainState, every_row: Prepared, *, epoch: int, loss: float, rows: int
) -> None:
    """A step line of metrics.jsonl, as training writes every LOG_EVERY steps: the refit's steps go on
    from training's, so TensorBoard's train/loss goes on through them (`refit_epoch` marks them)."""
    if every_row.distributed.active:  # the whole batch's loss, as training's lines give it
        loss_sum, all_rows = summed_over_processes(every_row, [loss * rows, rows])
        loss = loss_sum / max(all_rows, 1.0)
    if every_row.device.type == "cpu":
        release_free_memory()  # as training trims malloc every LOG_EVERY steps
    run.write_log(
        step=refitting.global_step, refit_epoch=epoch, loss=loss, lr=refitting.scheduler.get_last_lr()[0]
    )


def _stop(
    run: RunWriter,
    metrics: TrainingMetrics,
    signal_name: str,
    *,
    epoch: int,
    step: int,
    kept: str,
    command: str,
    seconds: float,
) -> None:
    """Stop the refit on Ctrl-C or SIGTERM: best/ keeps the model training chose, and a --resume of
    the run, whose epochs are all trained, does the refit, from its first epoch (the refit keeps no
    state of its own to carry on from)."""
    if run.enabled:
        replace_metrics(run.folder.best, metrics.to_json())
    run.prepared.distributed.barrier()
    raise TrainingInterrupted(
        f"{signal_name}: stopped in refit epoch {epoch}, step {step}; {kept}; the refit starts again from "
        f"its first epoch (its {seconds:.1f} s so far are not kept); refit it with: {command}",
        resume=command,
    )
