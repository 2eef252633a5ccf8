"""Where a run writes (`RunWriter`): best/ and last/ through save_checkpoint, progress lines to
metrics.jsonl and TensorBoard events, with what last/ gathers from every process under torchrun."""

from __future__ import annotations

import contextlib
import json
import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attncli.atomic_files import atomic_output
from attncli.calibration import calibration_state
from attncli.checkpoint_saving import CheckpointWriteFailed, save_checkpoint
from attncli.config import Config
from attncli.device import counting_device, peak_memory_mb
from attncli.errors import ConfigError, why_unwritten
from attncli.history import TrainingMetrics
from attncli.prepare import Prepared
from attncli.run_folder import TENSORBOARD_FOLDER, RunFolder
from attncli.settings import as_typed, flatten
from attncli.train_state import TrainState

if TYPE_CHECKING:
    import torch


def _event_tag(name: str, *, per_epoch: bool) -> str:
    """A metrics.jsonl key as a TensorBoard tag, grouped so that each chart holds one series:
    train/loss (every 10 steps), epoch/train_loss, validation/macro_f1, refit/loss, ..."""
    if name.startswith("refit_"):
        return f"refit/{name.removeprefix('refit_')}"
    if not per_epoch:
        return f"train/{name}"
    if name.startswith("validation_"):
        return f"validation/{name.removeprefix('validation_')}"
    return f"epoch/{name}"


# The scalars TensorBoard's HParams dashboard sets beside each run's settings.
COMPARED_METRICS = ("validation/accuracy", "validation/macro_f1", "validation/loss")


def hyperparameters(config: Config) -> dict[str, bool | int | float | str]:
    """Every setting of the run, for TensorBoard's HParams dashboard, which compares runs by them (a
    model-selection trial found scalars alone): numbers, booleans and text as they are, lists and
    mappings as a config file writes them; an empty one left out, as text beside another run's
    number would make the dashboard's column text for all."""
    return {
        key: value if isinstance(value, (bool, int, float, str)) else as_typed(value)
        for key, value in flatten(config.to_dict()).items()
        if value is not None
    }


def _keep_log_until(log: Path, step: int) -> None:
    """Drop the lines of `log` past `step`: a run killed after its last/ was saved logged steps that
    its resumption trains again, and would log twice. A line cut short by the kill goes too."""
    if not log.is_file():
        return
    kept = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            logged = json.loads(line).get("step")
        except (ValueError, AttributeError):
            continue
        if isinstance(logged, int) and logged <= step:
            kept.append(line + "\n")
    with atomic_output(log, option=None) as stream:
        stream.writelines(kept)


def rank_random_states(prepared: Prepared) -> dict[str, torch.Tensor]:
    """Under torchrun, the dropout random state of every process but rank 0 (whose state the
    TrainState saves), as `rng.torch.rank<r>` (and `rng.cuda.rank<r>`): a resumed run then draws
    the masks the uninterrupted one would have. A collective: every process must call it."""
    import torch

    distributed = prepared.distributed
    if not distributed.active:
        return {}
    states = {"torch": distributed.gather(torch.get_rng_state(), device=prepared.device)}
    if prepared.device.type == "cuda":
        states["cuda"] = distributed.gather(torch.cuda.get_rng_state(prepared.device), device=prepared.device)
    return {
        f"rng.{kind}.rank{rank}": state
        for kind, by_rank in states.items()
        for rank, state in enumerate(by_rank)
        if rank > 0
    }


class RunWriter:
    """Where a run writes: checkpoints through save_checkpoint, progress lines to metrics.jsonl.
    Under torchrun only rank 0 writes; on the other ranks every method does nothing."""

    def __init__(
        self, folder: RunFolder, prepared: Prepared, metrics: TrainingMetrics, *, resumed_at: int | None
    ) -> None:
        """`resumed_at`: the global step last/ was saved at, for a resumed run (None for a new one)."""
        self.folder, self.prepared = folder, prepared
        self.started, self.earlier_seconds = time.perf_counter(), metrics.train_seconds
        self.enabled = prepared.distributed.is_main
        if self.enabled and resumed_at is not None:
            _keep_log_until(folder.metrics_log, resumed_at)
        mode = "a" if resumed_at is not None else "w"
        self.log = folder.metrics_log.open(mode, encoding="utf-8") if self.enabled else None
        # What this process saved whole, for a failure to say what the folder keeps: the epoch whose
        # end last/ holds, and the epoch best/ holds.
        self.saved_last_epoch: int | None = None
        self.saved_best_epoch: int | None = None
        self.events: Any = None
        if self.enabled and prepared.config.train.tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            # A run killed after its last/ was saved wrote events past it, which its resumption
            # logs again: TensorBoard hides those from `purge_step` on, as metrics.jsonl drops them.
            purge_step = resumed_at + 1 if resumed_at is not None else None
            self.events = SummaryWriter(str(folder.path / TENSORBOARD_FOLDER), purge_step=purge_step)
            if resumed_at is None:
                from torch.utils.tensorboard.summary import hparams

                # In the run's own folder (SummaryWriter.add_hparams writes a run of its own beside
                # it), once: TensorBoard keeps a run's first settings, so a --resume's are not shown.
                summaries = hparams(hyperparameters(prepared.config), dict.fromkeys(COMPARED_METRICS, 0.0))
                for summary in summaries:
                    self.events.file_writer.add_summary(summary)

    def write_log(self, **values: Any) -> None:
        """One line of metrics.jsonl (and its numbers as TensorBoard scalars, when asked for)."""
        if self.log is not None:
            try:
                self.log.write(json.dumps(values) + "\n")
                self.log.flush()
            except OSError as error:  # a full disk, say: one line, and where the work is kept
                reason, remedy = why_unwritten(error, self.folder.path)
                raise CheckpointWriteFailed(
                    f"could not write {self.folder.metrics_log} ({reason}); {self.folder.last} keeps "
                    f"the last finished epoch; {remedy}, then attn train --resume "
                    f"{shlex.quote(str(self.folder.path))}",
                    path=self.folder.metrics_log,
                    reason=reason,
                    remedy=remedy,
                    what="the training log",
                ) from error
        if self.events is not None:
            for name, value in values.items():
                if name not in ("step", "epoch", "refit_epoch") and isinstance(value, (int, float)):
                    self.events.add_scalar(
                        _event_tag(name, per_epoch="validation_loss" in values), value, values["step"]
                    )
            self.events.flush()

    def account(self, metrics: TrainingMetrics) -> None:
        """Bring the run's time (earlier sessions of a resumed run included) and peak memory up to now."""
        metrics.train_seconds = self.earlier_seconds + time.perf_counter() - self.started
        metrics.peak_memory_mb = max(metrics.peak_memory_mb, peak_memory_mb(self.prepared.device))

    def save(self, path: Path, state: TrainState, metrics: TrainingMetrics, *, with_state: bool) -> None:
        """Called by every process (with_state gathers their random states); rank 0 writes."""
        prepared = self.prepared
        rank_states = rank_random_states(prepared) if with_state else {}
        # Inside an epoch, last/ keeps its sums over every process, not rank 0's share alone, so a
        # run resumed on any number of processes ends the epoch with the record of one left alone.
        sums = epoch_sums(state, prepared) if with_state and state.loss_sum is not None else None
        if not self.enabled:
            self._saved(path, state, metrics)  # as rank 0 is about to
            return
        self.account(metrics)
        # best/ is calibrated on its own epoch's validation scores, last/ on the newest epoch's.
        newest = state.history[-1] if state.history else None
        epoch = metrics.best if path == self.folder.best else newest
        save_checkpoint(
            path, model=state.model, tokenizer=prepared.tokenizer, config=prepared.config,
            label_names=prepared.label_names, metrics=metrics.to_json(),
            training_state=self._training_state(state, rank_states, sums) if with_state else None,
            data_path=prepared.data_path,
            temperature=epoch.temperature if epoch is not None else 1.0,
            calibration="no_epoch" if epoch is None else calibration_state(
                calibrate=prepared.config.train.calibrate, temperature=epoch.temperature,
                validation_accuracy=epoch.validation_accuracy,
            ),
        )  # fmt: skip
        self._saved(path, state, metrics)

    def _saved(self, path: Path, state: TrainState, metrics: TrainingMetrics) -> None:
        if path == self.folder.last and state.history:
            self.saved_last_epoch = state.history[-1].epoch
        elif path == self.folder.best:
            self.saved_best_epoch = metrics.best_epoch

    def _training_state(
        self,
        state: TrainState,
        rank_states: dict[str, torch.Tensor],
        sums: tuple[float, int, int] | None,
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """What last/ keeps to resume from: the state (rank 0's, with the epoch's `sums` over every
        process), the other processes' random states, and the digest of the data it was trained on."""
        import torch

        tensors, values = state.state_dict()
        if sums is not None and self.prepared.distributed.active:
            loss_sum, values["tokens_seen"], values["padded_tokens"] = sums
            tensors["epoch.loss_sum"] = torch.tensor(loss_sum, dtype=tensors["epoch.loss_sum"].dtype)
        world_size = self.prepared.distributed.world_size
        return {**tensors, **rank_states}, {
            **values,
            "data_digest": self.prepared.data_digest,
            "world_size": world_size,
        }

    def close(self) -> None:
        # Lines are flushed as they are written: a close that fails only repeats a failure already
        # raised (a full disk), whose message must not be lost to it.
        with contextlib.suppress(OSError):
            if self.log is not None:
                self.log.close()
        with contextlib.suppress(OSError):
            if self.events is not None:
                self.events.close()


def require_tensorboard(config: Config, *, resuming: bool = False) -> None:
    """Refuse train.tensorboard before any work when the tensorboard package is missing."""
    if config.train.tensorboard:
        try:
            import tensorboard  # noqa: F401
        except ImportError:
            # A resumed run keeps its settings: dropping this one is not open to it.
            way_out = (
                " (the run was started with it, and a resumed run keeps its settings)"
                if resuming
                else (", or drop the setting")
            )
            raise ConfigError(
                "train.tensorboard needs the tensorboard package; install it with "
                f"pip install 'tensorboard>=2.14'{way_out}"
            ) from None


def epoch_sums(state: TrainState, prepared: Prepared) -> tuple[float, int, int]:
    """The epoch so far over every process: its summed training loss, tokens and padded positions
    (each process holds its own share of the batches). Every process must call it."""
    import torch

    assert state.loss_sum is not None
    where = counting_device(prepared.device)
    counts = [state.loss_sum.to(where).double().reshape(1)]  # float64: token counts stay exact past 2^24
    counts.append(torch.tensor([state.tokens_seen, state.padded_tokens], dtype=torch.float64, device=where))
    loss_sum, tokens, padded = prepared.distributed.all_reduce_sum(torch.cat(counts)).tolist()
    return loss_sum, int(tokens), int(padded)
