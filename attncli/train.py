"""Training, in three parts as litgpt's pretraining is: `prepare` and `build_state` (prepare.py),
a `TrainState` holding everything needed to continue (train_state.py), and `fit`, the loop
(fit.py). `train` starts a run in an output folder; `resume` continues one from its last/."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attncli.checkpoint import HISTORY_REMEDY, RESUME_REMEDY, load_checkpoint, load_training_state
from attncli.checkpoint_folder import (
    CONFIG_FILE,
    LAST,
    METRICS_FILE,
    STATE_FILE,
    read_header,
    resolve_checkpoint,
)
from attncli.checkpoint_saving import CheckpointWriteFailed, replace_metrics
from attncli.checksums import read_checked_json, recorded_files, saved_by_at_least
from attncli.config import UNSIZED_VALUES, Config
from attncli.device import resolve_device
from attncli.distributed import Distributed, init_distributed, shutdown
from attncli.errors import AttnError, CheckpointError, ConfigError, DataError, TrainingError
from attncli.fit import fit
from attncli.history import EpochRecord, TrainingMetrics, split_sizes_change
from attncli.labels import same_label_names
from attncli.prepare import Prepared, build_state, prepare, run_info
from attncli.reporter import Reporter, RunInfo, SilentReporter
from attncli.run_folder import LOCK_FILE, RunFolder, open_run_folder, resume_command
from attncli.run_writer import RunWriter, require_tensorboard
from attncli.sources import names_a_local_path, require_data_source, same_source
from attncli.tokenizer import require_tokenizer_file
from attncli.train_state import TrainState
from attncli.vectors import require_vectors_file


@dataclass
class TrainResult:
    output: Path
    config: Config
    info: RunInfo
    metrics: TrainingMetrics = field(default_factory=TrainingMetrics)
    is_main: bool = True
    """False on torchrun's other ranks, which print nothing."""

    @property
    def history(self) -> list[EpochRecord]:
        return self.metrics.history

    @property
    def best_epoch(self) -> int:
        return self.metrics.best_epoch

    @property
    def best(self) -> EpochRecord:
        best = self.metrics.best
        assert best is not None, "no epoch has finished"
        return best

    @property
    def train_seconds(self) -> float:
        return self.metrics.train_seconds


@contextlib.contextmanager
def _joined(
    output: Path, *, device: str, overwrite: bool, resume: bool
) -> Iterator[tuple[Distributed, RunFolder]]:
    """Join torchrun's process group (if launched by it) and take the output folder: rank 0 checks
    and locks it while the other ranks wait, since only rank 0 writes there."""
    distributed = init_distributed(resolve_device(device).type)
    try:
        folder, refused = RunFolder(path=output, lock=output / LOCK_FILE), None
        if distributed.is_main:
            try:
                folder = open_run_folder(output, overwrite=overwrite, resume=resume)
            except AttnError as error:
                refused = error
        # Every rank learns whether rank 0 took the folder, so none waits for a rank that gave up.
        if not distributed.agree(refused is None, device=resolve_device(device)):
            # Exit 2 as rank 0 does: the launcher may see this process end first.
            raise refused or ConfigError(f"rank 0 could not take --output {output}; see its message")
        try:
            yield distributed, folder
            # Every rank waits here until rank 0 has written its last file: a gloo rank that tore
            # its process group down while another still used it aborted the run (1 run in ~10).
            distributed.barrier()
        finally:
            folder.release()
    finally:
        shutdown(distributed)


def train(
    config: Config, *, output: Path, overwrite: bool = False, reporter: Reporter | None = None
) -> TrainResult:
    """Train a tokenizer and classifier per `config`; the best epoch goes to `output`/best."""
    with _joined(output, device=config.train.device, overwrite=overwrite, resume=False) as (
        distributed,
        folder,
    ):
        reporter = (reporter or SilentReporter()) if distributed.is_main else SilentReporter()
        _say_put_back(folder, reporter)
        require_tensorboard(config)
        require_vectors_file(config.model.embeddings_init)
        require_tokenizer_file(config.tokenizer.path)
        require_data_source(config.data.source)
        prepared = prepare(config, reporter=reporter, distributed=distributed)
        state, coverage = build_state(prepared, reporter=reporter)
        metrics = TrainingMetrics(embeddings_init=coverage)
        return _fit_and_finish(state, prepared, folder, metrics, reporter=reporter, resumed=False)


def resume(
    output: Path, *, epochs: int | None = None, data: str | None = None, reporter: Reporter | None = None
) -> TrainResult:
    """Continue the run in `output` from its last/ checkpoint: its data and settings (with `epochs`
    as a new ceiling, if given), model, optimizer, schedule, random states and place in the epoch.
    `data` is where the run's data is now, if it moved: the same data, which the run checks."""
    import torch

    last_path = resolve_checkpoint(output / LAST)
    saved = read_header(last_path) if last_path.is_dir() else {}
    device = saved.get("config", {}).get("train", {}).get("device", "auto")
    _refuse_finished(last_path, saved, epochs)
    with _joined(output, device=device, overwrite=False, resume=True) as (distributed, folder):
        reporter = (reporter or SilentReporter()) if distributed.is_main else SilentReporter()
        _say_put_back(folder, reporter)
        if folder.put_back:  # the run checked above was the --overwrite's, which is gone
            put_back = resolve_checkpoint(folder.last)
            _refuse_finished(put_back, read_header(put_back) if put_back.is_dir() else {}, epochs)
        last = load_checkpoint(folder.last)
        saved_state = load_training_state(folder.last)  # checked before any data loads
        config = last.config
        if epochs is not None:
            if epochs < config.train.max_epochs:
                reporter.stage(
                    f"note: --epochs {epochs} lowers the ceiling from {config.train.max_epochs}: the "
                    f"learning rate decays to 0 by epoch {epochs}, faster from here than the run had it"
                )
            elif epochs > config.train.max_epochs:
                reporter.stage(
                    f"note: --epochs {epochs} raises the ceiling from {config.train.max_epochs}: the "
                    f"learning rate's warmup and decay are spread over {epochs} epochs, so from here it "
                    "follows that schedule, not the one the run had"
                )
            config = dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=epochs))
        source, moved = last.training_data()
        recorded = None  # said once the data there is found to be the run's
        if data is not None and not same_source(data, source):
            source, moved = data, f"reading the run's data from {data} (it recorded {source})"
            recorded = (
                f"note: {data} holds the run's data, and the run records it, so attn eval {output} reads "
                "its test split there from now on"
            )
        elif source and names_a_local_path(source) and not Path(source).expanduser().exists():
            raise DataError(
                f"the run's training data {source} is gone; put it back, or pass where it is now: "
                f"attn train DATA --resume {output}"
            )
        if moved:
            reporter.stage(f"note: {moved}")
        config = dataclasses.replace(config, data=dataclasses.replace(config.data, source=source))
        require_tensorboard(config, resuming=True)
        reporter.stage(f"resuming {folder.path} from {folder.last}")
        prepared = prepare(config, reporter=reporter, tokenizer=last.tokenizer, distributed=distributed)
        _require_same_data(prepared, last.label_names, saved_state[1], last.metrics)
        if recorded:
            reporter.stage(recorded)
        state, _ = build_state(
            prepared, reporter=reporter, token_dim=int(last.header.get("token_dim") or 0) or None
        )
        state.model.load_state_dict(last.model.state_dict())  # the saved weights, migrated if need be
        state.load_state_dict(*saved_state)
        reporter.stage(
            f"continuing epoch {state.epoch} after its step {state.step}"
            if state.step
            else f"continuing at the start of epoch {state.epoch}"
        )
        saved_by = saved_state[1].get("world_size")
        if isinstance(saved_by, int) and saved_by != distributed.world_size:
            processes = f"{saved_by} process{'es' * (saved_by > 1)}"
            reporter.stage(
                f"note: last/ was saved by a run on {processes} and this one has {distributed.world_size}: "
                "each process's batches and dropout now differ from the run left alone's, and so will the "
                f"result; to carry on exactly: {resume_command(folder.path, saved_by)}"
            )
        if state.best_epoch and not folder.best.exists():
            best_f1 = state.best_key[0] if state.best_key else 0.0
            reporter.stage(
                f"warning: {folder.best} (epoch {state.best_epoch}) is gone; only a better epoch (validation "
                f"macro-F1 above {best_f1:.4f}, or equal at a lower loss) writes it again, and until then "
                f"`attn eval {folder.path}` uses {folder.last}"
            )
        if distributed.rank > 0:
            _restore_rank_random_state(
                saved_state, distributed, prepared, seed=config.train.seed + state.global_step
            )
            # last/ holds the interrupted epoch's sums over every process; rank 0 carries them on.
            # (An attn before 0.2.0 kept rank 0's share alone there: each process goes on from it.)
            if saved_by_at_least(last.header, EPOCH_SUMS_SINCE):
                state.tokens_seen = state.padded_tokens = 0
                if state.loss_sum is not None:
                    state.loss_sum = torch.zeros_like(state.loss_sum)
        metrics = TrainingMetrics.from_json(last.metrics)
        return _fit_and_finish(state, prepared, folder, metrics, reporter=reporter, resumed=True)


def _say_put_back(folder: RunFolder, reporter: Reporter) -> None:
    if folder.put_back:
        reporter.stage(
            f"note: an attn train --overwrite into {folder.path} stopped before its first epoch ended; "
            "the earlier run it was replacing is back in place"
        )


def _restore_rank_random_state(
    saved: tuple[dict[str, Any], dict[str, Any]], distributed: Distributed, prepared: Prepared, *, seed: int
) -> None:
    """The dropout random state this process (rank > 0) had when last/ was saved, so the resumed run
    matches one left alone. A last/ saved by another number of processes, or before these states
    were kept, has none for it: the process then draws from a seed of its own."""
    import torch

    tensors, values = saved
    own = f"rng.torch.rank{distributed.rank}"
    if values.get("world_size") == distributed.world_size and own in tensors:
        torch.set_rng_state(tensors[own])
        cuda = f"rng.cuda.rank{distributed.rank}"
        if prepared.device.type == "cuda" and cuda in tensors:
            torch.cuda.set_rng_state(tensors[cuda], prepared.device)
    else:
        torch.manual_seed(seed + 1000 * distributed.rank)


def _among_in_order(names: list[str], saved: list[str]) -> bool:
    """Whether `names` are some of `saved`, in the same order: what a run saved before labels
    written only on rows data.drop_invalid leaves out stopped being classes reads as today."""
    kept = set(names)
    return len(names) < len(saved) and [name for name in saved if name in kept] == names


def _relabel(prepared: Prepared, saved: list[str]) -> None:
    """Index `prepared`'s labels by the `saved` run's names, which hold classes with no training
    rows (labels only on rows left out): its model has an output for each, and resumes with them."""
    import torch

    from attncli.prepare import class_weights_of

    position = [saved.index(name) for name in prepared.label_names]
    prepared.train_targets = torch.tensor(position, dtype=torch.int64)[prepared.train_targets]
    prepared.validation_labels = array("q", (position[label] for label in prepared.validation_labels))
    prepared.label_names = list(saved)
    if prepared.config.train.class_weights == "auto":
        labels = array("q", prepared.train_targets.tolist())
        prepared.class_weights = class_weights_of("auto", labels, saved)


def _require_same_data(
    prepared: Prepared, label_names: list[str], state: dict[str, Any], metrics: dict[str, Any]
) -> None:
    """Refuse to resume on data other than the run's: new labels would not fit the model, and other
    rows would move the validation carve and the batches. last/ written before the digest was kept
    is checked by its labels and split sizes."""
    source = prepared.config.data.source
    remedy = "put back the data the run started on, or train a new run on this data with another --output"
    if same_label_names(prepared.label_names, label_names):
        # A run saved before labels such as 1.0 were read as 1 (or decomposed accents composed):
        # the same labels, in the same order, go on under the names it saved.
        prepared.label_names = list(label_names)
    elif prepared.config.data.drop_invalid and _among_in_order(prepared.label_names, label_names):
        _relabel(prepared, label_names)
    if prepared.label_names != label_names:
        raise ConfigError(
            f"the labels of {source} are not the run's ({', '.join(prepared.label_names)} now, "
            f"{', '.join(label_names)} then); {remedy}"
        )
    digest = state.get("data_digest")
    sizes_changed = split_sizes_change(metrics, len(prepared.train_ids), len(prepared.validation_ids))
    if sizes_changed is not None:
        what = sizes_changed
    elif digest is not None and digest != prepared.data_digest:
        what = "the same number of texts, but other texts or labels"
    else:
        return
    raise ConfigError(f"{source} has changed since the run was saved ({what}); {remedy}")


def _refuse_finished(last: Path, header: dict[str, Any], epochs: int | None) -> None:
    """Refuse, before any data loads, to resume a run that has nothing left to train. `header` is
    last/'s config.json, already read."""
    state_path, metrics_path = last / STATE_FILE, last / METRICS_FILE
    if not header or not state_path.is_file():
        return  # open_run_folder says what is missing
    files = recorded_files(header, last)
    state = read_checked_json(state_path, files, remedy=RESUME_REMEDY)
    stop_reason = (
        read_checked_json(metrics_path, files, required=False, remedy=HISTORY_REMEDY).get("stop_reason", "")
        if metrics_path.is_file()
        else ""
    )
    saved_ceiling = header["config"]["train"].get("epochs") or UNSIZED_VALUES["train.epochs"]
    done, ceiling = int(state["epoch"]) - 1, epochs or saved_ceiling
    if stop_reason == "patience":
        raise ConfigError(
            f"the run in {last.parent} stopped early after epoch {done} (validation stopped improving); "
            "there is nothing to resume: train a new run to change its settings"
        )
    if done >= ceiling:
        raise ConfigError(
            f"{last.parent} already trained {done} epoch{'s' * (done != 1)}; pass a higher --epochs to go on"
        )


def _keep_what_was_saved(
    state: TrainState, prepared: Prepared, folder: RunFolder, *, resumed: bool, epochs_before: int
) -> str:
    """After a run failed (a non-finite loss): what its folder keeps, said in words. A run that saved
    nothing of its own leaves the folder as it was, its earlier run put back after --overwrite, so
    the same command can be run again once its cause is fixed. `epochs_before`: the epochs the run
    had ended before this process took it up (a resumed run's)."""
    if len(state.history) > epochs_before:  # last/ was saved when this process ended an epoch
        epoch = state.history[-1].epoch
        return f"{folder.last} holds the state at the end of epoch {epoch}, {folder.best} the best epoch"
    if resumed:
        return f"{folder.last} holds the state the run resumed from"
    return _nothing_kept(folder, prepared)


def _nothing_kept(folder: RunFolder, prepared: Prepared) -> str:
    """Put the folder back as it was before this run (its earlier run too, after --overwrite), so
    that the same command can be run again, and say so."""
    replaced = folder.replaces_a_run()
    if prepared.distributed.is_main:
        folder.discard_this_run()
    if replaced:
        return f"nothing of this run was kept, and {folder.path} holds the earlier run again"
    return f"nothing of this run was kept, and {folder.path} is as it was"


# The first attn whose last/ keeps an interrupted epoch's sums over every process, not rank 0's.
EPOCH_SUMS_SINCE = (0, 2, 0)
# What gloo and NCCL say when a collective's other process is gone: they raise a plain RuntimeError.
PEER_LOST = ("connection closed by peer", "connection reset by peer", "remote process exited", "broken pipe")


def _peer_lost(error: RuntimeError) -> bool:
    """Whether `error` is a collective failing because another process is gone, rather than this
    process's own failure (an out-of-memory error, a bug), which must be reported as it is."""
    import torch

    if isinstance(error, torch.OutOfMemoryError):
        return False
    distributed_error = getattr(torch.distributed, "DistNetworkError", ())
    return isinstance(error, distributed_error) or any(words in str(error).lower() for words in PEER_LOST)


def _fit_and_finish(
    state: TrainState,
    prepared: Prepared,
    folder: RunFolder,
    metrics: TrainingMetrics,
    *,
    reporter: Reporter,
    resumed: bool,
) -> TrainResult:
    info = run_info(prepared, state)
    metrics.train_size, metrics.validation_size = info.train_size, info.validation_size
    metrics.validation_digest = prepared.validation_digest
    metrics.num_parameters, metrics.device, metrics.precision = (
        info.num_parameters,
        info.device,
        info.precision,
    )
    reporter.start(info)
    if prepared.distributed.is_main and not resumed:
        folder.clear_previous_run()
    run = RunWriter(folder, prepared, metrics, resumed_at=state.global_step if resumed else None)
    epochs_before = len(state.history)
    try:
        fit(state, prepared, run, metrics, reporter=reporter)
    except TrainingError as failed:
        run.close()  # the log is whole before the folder may be put back as it was
        kept = _keep_what_was_saved(state, prepared, folder, resumed=resumed, epochs_before=epochs_before)
        raise TrainingError(f"{failed}; {kept}") from None
    except CheckpointWriteFailed as failed:
        run.close()
        if resumed or (folder.last / CONFIG_FILE).is_file() or not prepared.distributed.is_main:
            raise  # last/ holds a state to resume from, and the message says so
        # No last/ to resume from. A best/ of this run is kept (the run --overwrite replaced is gone
        # once it was saved), and training again needs --overwrite; with nothing saved, the folder is
        # put back as it was, so the same command works.
        reason = f"could not write the checkpoint {failed.path} ({failed.reason})"
        if (folder.best / CONFIG_FILE).is_file():
            epoch = metrics.best_epoch
            raise CheckpointError(
                f"{reason}; {folder.best} holds epoch {epoch}, the best so far, but without last/ the run "
                f"cannot be resumed; {failed.remedy}, then run the same command with --overwrite"
            ) from None
        kept = _nothing_kept(folder, prepared)
        raise CheckpointError(f"{reason}; {kept}; {failed.remedy}, then run the same command again") from None
    except RuntimeError as error:
        if not prepared.distributed.active or not _peer_lost(error):
            raise
        # A collective with a process that is gone (killed by the OOM killer, say): gloo's or NCCL's
        # own words say nothing of the run; say what is kept and how to go on.
        run.close()
        kept = _keep_what_was_saved(state, prepared, folder, resumed=resumed, epochs_before=epochs_before)
        go_on = (
            f"resume with: {resume_command(folder.path, prepared.distributed.world_size)}"
            if (folder.last / CONFIG_FILE).is_file()
            else "run the same command again"
        )
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        # gloo's words, without its source file and its general advice
        reason = re.sub(r"^\[[^\]]*\]\s*", "", first_line).split(". This is typically")[0][:200]
        raise TrainingError(
            f"another training process stopped while this one trained ({reason}); {kept}; {go_on}"
        ) from error
    finally:
        run.close()  # a second close is a no-op
        # DistributedDataParallel goes before its process group does (`_joined`): a gloo rank
        # that freed it after destroy_process_group could abort at exit (signal 6).
        state.wrapped = None
    run.account(metrics)
    # best/ was saved when its epoch ended; give it the whole record (unless it was deleted since and
    # no epoch of a resumed run has beaten it)
    if prepared.distributed.is_main and folder.best.is_dir():
        replace_metrics(folder.best, metrics.to_json())
    return TrainResult(
        output=folder.path,
        config=prepared.config,
        info=info,
        metrics=metrics,
        is_main=prepared.distributed.is_main,
    )
