"""Training, in three parts as litgpt's pretraining is: `prepare` (prepare.py) and `build_state`
(fresh_state.py), a `TrainState` holding everything needed to continue (train_state.py), and `fit`,
the loop (fit.py). `train` starts a run in an output folder; `resume` continues one from its last/."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from attncli.callers_state import keeps_callers_state
from attncli.checkpoint import load_checkpoint, load_training_state
from attncli.checkpoint_folder import (
    CONFIG_FILE,
    LAST,
    LOCK_FILE,
    REPLACED,
    read_header,
    resolve_checkpoint,
    saved_device,
)
from attncli.checkpoint_saving import CheckpointWriteFailed, replace_metrics
from attncli.checksums import saved_by_at_least
from attncli.config import Config
from attncli.device import device_to_resume_on, resolve_device, torch_threads
from attncli.distributed import (
    Distributed,
    init_distributed,
    launched_by_torchrun,
    require_no_gpu_number,
    shutdown,
)
from attncli.errors import (
    AttnError,
    CheckpointError,
    ConfigError,
    DataError,
    ModelTooLarge,
    OutOfMemory,
    TrainingError,
)
from attncli.fit import fit
from attncli.forking import one_thread_in_forked_children
from attncli.fresh_state import build_state, run_info, wrap_for_processes
from attncli.history import EpochRecord, TrainingMetrics
from attncli.local_paths import local_path
from attncli.out_of_memory import (
    does_not_fit,
    failed_allocation,
    is_out_of_memory,
    model_advice,
    training_advice,
)
from attncli.prepare import Prepared, prepare
from attncli.refit import refit
from attncli.reporter import LoggingReporter, Reporter, RunInfo, SilentReporter, require_reporter
from attncli.resuming import (
    refit_record,
    refit_state,
    refuse_finished,
    require_same_data,
    restore_rank_random_state,
)
from attncli.run_folder import DROPPING, RunFolder, open_run_folder, replaced_kept, resume_command
from attncli.run_writer import RunWriter, require_tensorboard
from attncli.signals import import_whole
from attncli.sources import names_a_local_path, require_data_source, same_source
from attncli.tokenizer import require_tokenizer_file
from attncli.train_failures import keep_what_was_saved, nothing_kept, peer_error_text, peer_lost
from attncli.train_state import TrainState
from attncli.vectors import require_vectors_file

# The first attn whose runs draw their random numbers (dropout masks) as this one does: a run saved
# by an earlier one resumes, with a note that it does not carry on bit for bit.
SAME_DRAWS_SINCE = (0, 2, 0)


@dataclass
class TrainResult:
    output: Path
    config: Config
    info: RunInfo
    metrics: TrainingMetrics = field(default_factory=TrainingMetrics)
    is_main: bool = True
    """False on torchrun's other ranks, which print nothing."""

    def __repr__(self) -> str:
        # What a notebook shows of it: the config, the run's facts and every epoch made 6,600 characters.
        if not self.metrics.history:
            return f"TrainResult(output={str(self.output)!r}, epochs=0)"
        return (
            f"TrainResult(output={str(self.output)!r}, best_epoch={self.best_epoch}, "
            f"validation_accuracy={self.best.validation_accuracy:.4f}, "
            f"validation_macro_f1={self.best.validation_macro_f1:.4f}, epochs={len(self.history)})"
        )

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
    if launched_by_torchrun():
        require_no_gpu_number(
            device, "train.device", "set it to cuda, and choose the GPUs with CUDA_VISIBLE_DEVICES"
        )
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
            # Every rank has the answer before any tears the group down: with torch 2.3's gloo, a
            # rank that destroyed it while another was still in the agreement left both waiting, 30 s
            # more or for good (5 refusals in 8).
            distributed.barrier()
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


@keeps_callers_state
def train(
    config: Config,
    *,
    output: str | Path,
    overwrite: bool = False,
    reporter: Reporter | None = None,
    sized_before: dict[str, int] | None = None,
) -> TrainResult:
    """Train a tokenizer and classifier per `config`; the best epoch goes to `output`/best, the last
    to `output`/last. `reporter` hears what the command prints (by default, warnings go to the
    `attncli` logger). `sized_before` are the settings `config` keeps as an earlier run sized them
    (`--config RUN/best/config.json`), with the texts each was sized to, recorded with this run's.
    Raises ConfigError, DataError or CheckpointError for bad input, and TrainingInterrupted once
    Ctrl-C or SIGTERM has stopped it with last/ saved (`resume` goes on)."""
    require_reporter(reporter)
    import_whole("torch", "datasets")  # a Ctrl-C in a first call's imports leaves none half-made
    output = Path(output)
    one_thread_in_forked_children()
    with _joined(output, device=config.train.device, overwrite=overwrite, resume=False) as (
        distributed,
        folder,
    ):
        reporter = (reporter or LoggingReporter()) if distributed.is_main else SilentReporter()
        _say_put_back(folder, reporter)
        require_tensorboard(config)
        require_vectors_file(config.model.embeddings_init)
        require_tokenizer_file(config.tokenizer.path)
        require_data_source(config.data.source)
        prepared = prepare(
            config, reporter=reporter, distributed=distributed, sized_before=sized_before or ()
        )
        state, coverage = _built(prepared, reporter)
        weights = prepared.class_weights
        applied = dict(zip(prepared.label_names, weights, strict=True)) if weights is not None else None
        sized = {**(sized_before or {}), **prepared.sized} or None
        counts = prepared.label_counts
        metrics = TrainingMetrics(
            embeddings_init=coverage, class_weights=applied, sized=sized,
            label_counts=dict(zip(prepared.label_names, counts, strict=True)),
            label_conflicts=prepared.label_conflicts, left_out=prepared.left_out,
        )  # fmt: skip
        return _fit_and_finish(state, prepared, folder, metrics, reporter=reporter, resumed=False)


def _validation_file_now(config: Config, validation: str | None, output: Path) -> Config:
    """`config` with the run's validation file where it is now: `validation`, where it moved (the
    same rows, which the run checks with the rest of its data), else where the run recorded it."""
    recorded = config.data.validation_file
    if validation is not None:
        if recorded is None:
            raise ConfigError(
                f"the run in {output} had no validation file (data.validation_file): its validation rows "
                "were held out of train; drop --validation"
            )
        moved = dataclasses.replace(config, data=dataclasses.replace(config.data, validation_file=validation))
        if moved.data.validation_file != recorded and local_path(recorded).is_file():
            raise ConfigError(
                f"--validation names where the run's validation file has moved, and it is still where the "
                f"run recorded it, {recorded}; drop --validation"
            )
        return moved
    if recorded is not None and not local_path(recorded).is_file():
        raise DataError(
            f"the run's validation file {recorded} is gone; put it back, or pass where it is now: attn "
            f"train --resume {shlex.quote(str(output))} --validation FILE"
        )
    return config


@keeps_callers_state
def resume(
    output: str | Path,
    *,
    epochs: int | None = None,
    data: str | None = None,
    validation: str | None = None,
    reporter: Reporter | None = None,
) -> TrainResult:
    """Continue the run in `output` from its last/ checkpoint: its data and settings (with `epochs`
    as a new ceiling, if given), model, optimizer, schedule, random states and place in the epoch.
    `data` is where the run's data is now, if it moved: the same data, which the run checks; and
    `validation` where its validation file (data.validation_file) is now."""
    require_reporter(reporter)
    import_whole("torch", "datasets")  # a Ctrl-C in a first call's imports leaves none half-made
    import torch

    output, data = Path(output), (os.fspath(data) if data is not None else None)
    one_thread_in_forked_children()
    last_path = resolve_checkpoint(output / LAST)
    saved = read_header(last_path) if last_path.is_dir() else {}
    device, moved_device = device_to_resume_on(saved_device(saved))
    with _joined(output, device=device, overwrite=False, resume=True) as (distributed, folder):
        reporter = (reporter or LoggingReporter()) if distributed.is_main else SilentReporter()
        _say_put_back(folder, reporter)
        # Checked once rank 0 has taken the folder and mended what a kill left in it (a swap of best/
        # or last/, an --overwrite's moves, a run aside whose replacement had finished): a run with no
        # epoch left passes only for its refit (stopped or killed in it), which alone is then left.
        last_path = resolve_checkpoint(folder.last)
        refit_only = refuse_finished(last_path, read_header(last_path) if last_path.is_dir() else {}, epochs)
        last = load_checkpoint(folder.last)
        saved_state = load_training_state(folder.last)  # checked before any data loads
        config = last.config
        if moved_device is not None:
            reporter.stage(moved_device)
            config = dataclasses.replace(config, train=dataclasses.replace(config.train, device=device))
        if refit_only and epochs is not None:
            # The run's own ceiling, as a requeued job's command gives it again, is no news.
            if epochs != config.train.max_epochs:
                reporter.stage(
                    f"note: --epochs {epochs} is unused: the run's epochs are all trained, and its refit "
                    "is left"
                )
            epochs = None
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
        run_source = None  # where the run's data was, where DATA names another place
        if data is not None and not same_source(data, source):
            run_source = source
            source, moved = data, f"reading the run's data from {data} (it recorded {source})"
            recorded = (
                f"note: {data} holds the run's data, and the run records it, so attn eval "
                f"{shlex.quote(str(output))} reads its test split there from now on"
            )
        elif source and names_a_local_path(source) and not local_path(source).exists():
            raise DataError(
                f"the run's training data {source} is gone; put it back, or pass where it is now: "
                f"attn train DATA --resume {shlex.quote(str(output))}"
            )
        if moved:
            reporter.stage(f"note: {moved}")
        config = dataclasses.replace(config, data=dataclasses.replace(config.data, source=source))
        config = _validation_file_now(config, validation, output)
        require_tensorboard(config, resuming=True)
        reporter.stage(f"resuming {folder.path} from {folder.last}")
        metrics = TrainingMetrics.from_json(last.metrics)
        if last.config.train.max_epochs != config.train.max_epochs:
            # Recorded, as config.json keeps the new ceiling alone: a rerun of it trains another model.
            change = {"after_epoch": metrics.newest_epoch, "from": last.config.train.max_epochs,
                      "to": config.train.max_epochs}  # fmt: skip
            metrics.ceilings = [*(metrics.ceilings or []), change]
        prepared = prepare(
            config,
            reporter=reporter,
            tokenizer=last.tokenizer,
            distributed=distributed,
            sized_before=metrics.sized or {},
            resumed_precision=metrics.precision if metrics.device == "cpu" else None,
        )
        require_same_data(prepared, last.label_names, saved_state[1], last.metrics, run_source=run_source)
        if not moved and last.config.data.source:
            # Read from the recorded absolute path, wherever attn runs, and saved as typed: the
            # resumed run's config.json is then the one the run left alone writes.
            prepared.config = dataclasses.replace(
                prepared.config,
                data=dataclasses.replace(prepared.config.data, source=last.config.data.source),
            )
        if recorded:
            reporter.stage(recorded)
        state, _ = _built(
            prepared, reporter, token_dim=int(last.header.get("token_dim") or 0) or None, resumed=True
        )
        state.model.load_state_dict(last.model.state_dict())  # the saved weights, migrated if need be
        try:
            state.load_state_dict(*saved_state)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, RuntimeError) as error:
            if isinstance(error, RuntimeError) and is_out_of_memory(error):
                raise  # the moments did not fit on the device: said as running out of memory
            raise _unresumable(folder, error) from error
        if refit_only:
            reporter.stage(
                f"the run's epochs are all trained, and {folder.best} is not refitted: refitting it"
            )
        else:
            reporter.stage(
                f"continuing epoch {state.epoch} after its step {state.step}"
                if state.step
                else f"continuing at the start of epoch {state.epoch}"
            )
        if not saved_by_at_least(last.header, SAME_DRAWS_SINCE):
            # attn 0.1 drew dropout masks from floats until 2026-12-01, 16 random bits an element
            # since: the run goes on, but not as the attn that saved it would have carried it on.
            version = last.header.get("attn_version")
            older = f"attn {version}" if version else "an attn before 0.2.0"
            reporter.stage(
                f"note: last/ was saved by {older}, which may have drawn dropout masks otherwise: the "
                "run carries on, but not bit for bit as it would have there"
            )
        saved_by = saved_state[1].get("world_size")
        if isinstance(saved_by, int) and saved_by != distributed.world_size:
            processes = f"{saved_by} process{'es' * (saved_by > 1)}"
            reporter.stage(
                f"note: last/ was saved by a run on {processes} and this one has {distributed.world_size}: "
                "each process's batches and dropout now differ from the run left alone's, and so will the "
                f"result; to carry on exactly: {resume_command(folder.path, saved_by)}"
            )
        # The last epoch's session's (metrics.json's own is the best epoch's, null where mixed).
        saved_threads, threads = metrics.last_threads, torch_threads()
        if saved_threads is not None and saved_threads != threads:
            reporter.stage(
                f"note: the run trained on {saved_threads} torch thread{'s' * (saved_threads != 1)} a "
                f"process and resumes on {threads}: its sums take another order from here, so it ends close "
                "to, not the same as, the run left alone; to carry on exactly, resume with "
                f"--threads {saved_threads}"
            )
        if state.best_epoch and not folder.best.exists():
            best_f1 = state.best_key[0] if state.best_key else 0.0
            reporter.stage(
                f"warning: {folder.best} (epoch {state.best_epoch}) is gone; only a better epoch (validation "
                f"macro-F1 above {best_f1:.4f}, or equal at a lower loss) writes it again; until then eval, "
                f"predict and inspect of the run refuse it, and take {shlex.quote(str(folder.last))} for the "
                "model as the run left it"
            )
        if distributed.rank > 0:
            try:
                restore_rank_random_state(
                    saved_state, distributed, prepared, seed=config.train.seed + state.global_step
                )
            except RuntimeError as error:  # a random state torch cannot take
                raise _unresumable(folder, error) from error
            # last/ holds the interrupted epoch's sums over every process; rank 0 carries them on.
            # (An attn before 0.2.0 kept rank 0's share alone there: each process goes on from it.)
            if saved_by_at_least(last.header, EPOCH_SUMS_SINCE):
                state.tokens_seen = state.padded_tokens = 0
                if state.loss_sum is not None:
                    state.loss_sum = torch.zeros_like(state.loss_sum)
        # A run saved before they were recorded gets them now, as the warning just said.
        metrics.label_conflicts = metrics.label_conflicts or prepared.label_conflicts
        metrics.left_out = metrics.left_out or prepared.left_out
        # last/ never holds the refit: best/ says whether its weights are refitted, until a better epoch
        # replaces them.
        metrics.refit = refit_record(folder.best)
        refitted = refit_state(folder.best) or {}
        metrics.refit_diverged = str(refitted.get("refit_diverged", ""))
        metrics.refit_skipped = str(refitted.get("refit_skipped", ""))
        return _fit_and_finish(
            state, prepared, folder, metrics, reporter=reporter, resumed=True, refit_only=refit_only
        )


def require_unchanged_data(output: str | Path, source: str | None) -> None:
    """Refuse the finished run in `output` where its local data (`source`, the command's DATA, where
    it is here, else where the run recorded it) no longer holds the rows it trained on: a nightly
    `--auto-resume` over a file refreshed in place said the run had nothing left to train, exited
    0, and served the model of the old rows (a data engineer's trial). The data is read as a resume
    reads it, with the run's tokenizer, and compared by its digest, so an attn that reads the same
    files otherwise than the one that trained the run refuses it too, and says so (no file's time
    tells a refresh apart: `cp -p`, `tar x` and a label's files moved keep theirs, a review found).
    A Hub dataset is not read."""
    last_path = resolve_checkpoint(Path(output) / LAST)
    last = load_checkpoint(last_path, device="cpu")
    recorded, _ = last.training_data()
    named = (
        source
        if source is not None and names_a_local_path(source) and local_path(source).exists()
        else recorded
    )
    if not named or not names_a_local_path(named) or not local_path(named).exists():
        return  # a Hub dataset, or data gone: require_same_source said what it could
    import_whole("torch", "datasets")
    metrics = TrainingMetrics.from_json(last.metrics)
    config = dataclasses.replace(last.config, data=dataclasses.replace(last.config.data, source=named))
    # Read on the CPU, in fp32, whatever the run trained on: the rows' digest does not depend on it (a
    # finished fp16 run was refused as needing a CUDA device: a review).
    train_on_cpu = dataclasses.replace(config.train, device="cpu", precision="fp32")
    config = dataclasses.replace(config, train=train_on_cpu)
    finished = f"--auto-resume found the run in {output} finished, but"
    # Data other than the run's recorded data is said not to be the run's, not to have changed (the
    # run's own file, untouched, was blamed: a review).
    elsewhere = recorded if recorded and not same_source(named, recorded) else None
    try:
        prepared = prepare(
            config, reporter=SilentReporter(), tokenizer=last.tokenizer, sized_before=metrics.sized or {}
        )
        numbers = [str(number) for number in range(len(last.label_names))]
        if last.label_names == numbers and len(prepared.label_names) == len(numbers):
            # A run trained on a column's numbers before the names its repository's README.md declares
            # were read (2026-12-07), in the numbers' order: the same classes, its rows compared under
            # the run's names (such a finished run was refused as trained on other labels: a review).
            prepared.label_names = list(numbers)
        state = load_training_state(last_path)[1]
        require_same_data(prepared, last.label_names, state, last.metrics, run_source=elsewhere)
    except ConfigError as error:
        raise ConfigError(
            f"{finished} {error}; --auto-resume leaves a finished run as it is only for the data it "
            "trained on"
        ) from error
    except DataError as error:
        raise DataError(f"{finished} {named} does not read as it did: {error}") from error


def _unresumable(folder: RunFolder, error: Exception) -> CheckpointError:
    """A last/ whose training state is sealed and whole, yet holds values no run saved (hand-edited,
    or another program's): what torch or attn found wrong, and what to do."""
    return CheckpointError(
        f"{folder.last} holds a training state this run cannot carry on from ({error}); "
        "restore last/ from a backup, or start a new run with attn train -o FOLDER"
    )


def _left_whole(prepared: Prepared, folder: RunFolder, run: RunWriter | None, *, resumed: bool) -> str:
    """After a failure: close the log, leave the folder whole (as the last save left it, or as it
    was before the run), and say what it keeps. Never raises: a failure to tidy up (a folder made
    read-only, a full disk) is said, and must not replace the failure that ended the run."""
    try:
        if run is not None:
            run.close()  # the log is whole before the folder may be put back as it was
            return keep_what_was_saved(prepared, folder, run, resumed=resumed)
        if resumed:
            return f"{folder.last} holds the state the run resumed from"
        return nothing_kept(folder, prepared)  # failed before the log opened: nothing was saved
    except OSError as error:
        return f"{folder.path} could not be put back as it was ({error.strerror or error})"


def _where(prepared: Prepared) -> str:
    """The device memory ran out on, and under torchrun the process (each has its own GPU)."""
    process = f" in process {prepared.distributed.rank}" if prepared.distributed.active else ""
    return f"on {prepared.device}{process}"


def _out_of_memory(
    error: BaseException,
    prepared: Prepared,
    folder: RunFolder,
    run: RunWriter | None,
    *,
    resumed: bool,
    refitting: bool,
) -> OutOfMemory:
    """Memory ran out while training: what failed, what the folder keeps, and what to change. It is
    this process's own failure, so under torchrun it is said by the process that met it."""
    allocation = f"({failed_allocation(error)} failed)"
    if refitting and (folder.best / CONFIG_FILE).is_file():
        # best/ holds the best epoch, whole; the refit alone is left, which --resume does.
        if run is not None:
            run.close()
        # Ready to use, unless an --overwrite's earlier run stays in use until the refit is done.
        aside = replaced_kept(folder.path) if prepared.distributed.is_main else ""
        usable = aside or ", ready to use"
        message = (
            f"out of memory {_where(prepared)} while refitting the best epoch on every training row "
            f"{allocation}; {folder.best} holds the best epoch, not refitted{usable}; to refit it, "
            f"free memory and resume: {resume_command(folder.path, prepared.distributed.world_size)}"
        )
    else:
        kept = _left_whole(prepared, folder, run, resumed=resumed)
        saved = resumed or (
            run is not None and (run.saved_last_epoch is not None or run.saved_best_epoch is not None)
        )
        again = " with --overwrite (a resumed run keeps its settings)" if saved else ""
        message = (
            f"out of memory {_where(prepared)} while training {allocation}; {kept}; "
            f"{training_advice(prepared.config)} and train again{again}"
        )
    return OutOfMemory(message)


def _built(
    prepared: Prepared, reporter: Reporter, *, token_dim: int | None = None, resumed: bool = False
) -> tuple[TrainState, dict | None]:
    """`build_state`, with a model too large for the memory said as such, before the folder is
    touched. Every process learns whether each built its model before any waits in a collective
    (DistributedDataParallel's own, as it wraps the model) for one that gave up."""
    refused: AttnError | None = None
    try:
        built = build_state(prepared, reporter=reporter, token_dim=token_dim, wrap=False)
    except (RuntimeError, MemoryError) as error:
        if not is_out_of_memory(error):
            raise
        if resumed:  # it fitted when the run began, and a resumed run keeps its settings
            refused = OutOfMemory(does_not_fit("the run's model", _where(prepared), error))
        else:
            vocab_size = prepared.tokenizer.get_vocab_size(with_added_tokens=True)
            advice = f"{model_advice(prepared.config, vocab_size)}; nothing was written"
            refused = ModelTooLarge(does_not_fit("the model", _where(prepared), error, advice))
        refused.__cause__ = error  # the allocation's traceback, for --debug
    if not prepared.distributed.agree(refused is None, device=prepared.device):
        prepared.distributed.barrier()  # every rank has the answer before any leaves (see _joined)
        raise refused or ConfigError("another training process could not build the model; see its message")
    wrap_for_processes(built[0], prepared)
    return built


def _replace_the_earlier_run(folder: RunFolder, reporter: Reporter) -> None:
    """The run has finished: the run --overwrite kept aside, which eval and predict read until now,
    goes. Kept until here, not dropped at the first best/, so that a nightly retrain killed halfway
    leaves the earlier model in use rather than an epoch of the new one, and no run is lost."""
    try:
        folder.drop_replaced_run()
    except OSError as error:  # the run is saved whole: say it, do not fail it
        aside = folder.path / REPLACED
        read = "; eval and predict read it until it is removed" if aside.exists() else ""
        left = aside if aside.exists() else folder.path / DROPPING  # renamed, then not all removed
        reporter.stage(
            f"warning: could not remove {left}, the run this one replaces ({error.strerror or error}){read}: "
            f"rm -r {shlex.quote(str(left))}"
        )


def _say_put_back(folder: RunFolder, reporter: Reporter) -> None:
    if folder.put_back:
        reporter.stage(
            f"note: an attn train --overwrite into {folder.path} stopped before its first epoch ended; "
            "the earlier run it was replacing is back in place"
        )


# The first attn whose last/ keeps an interrupted epoch's sums over every process, not rank 0's.
EPOCH_SUMS_SINCE = (0, 2, 0)


def _fit_and_finish(
    state: TrainState,
    prepared: Prepared,
    folder: RunFolder,
    metrics: TrainingMetrics,
    *,
    reporter: Reporter,
    resumed: bool,
    refit_only: bool = False,
) -> TrainResult:
    info = run_info(prepared, state)
    metrics.train_size, metrics.validation_size = info.train_size, info.validation_size
    metrics.validation_digest = prepared.validation_digest
    metrics.num_parameters, metrics.device, metrics.precision = (
        info.num_parameters,
        info.device,
        info.precision,
    )
    metrics.threads = torch_threads()  # this session's, as the device is
    reporter.start(info)
    if prepared.distributed.is_main and not resumed:
        folder.clear_previous_run()
    run: RunWriter | None = None
    refitting = refit_only
    try:
        run = RunWriter(folder, prepared, metrics, resumed_at=state.global_step if resumed else None)
        if not refit_only:
            fit(state, prepared, run, metrics, reporter=reporter)
        refitting = True
        refit(state, prepared, run, metrics, reporter=reporter)
    except TrainingError as failed:
        kept = _left_whole(prepared, folder, run, resumed=resumed)
        raise TrainingError(f"{failed}; {kept}") from None
    except CheckpointWriteFailed as failed:
        if run is not None:
            run.close()
        if resumed or (folder.last / CONFIG_FILE).is_file() or not prepared.distributed.is_main:
            raise  # last/ holds a state to resume from, and the message says so
        # No last/ to resume from. A best/ of this run is kept (the run --overwrite replaces stays
        # aside, in use, until a run here finishes), and training again needs --overwrite; with
        # nothing saved, the folder is put back as it was, so the same command works.
        reason = f"could not write {failed.what} {failed.path} ({failed.reason})"
        if (folder.best / CONFIG_FILE).is_file():
            epoch = metrics.best_epoch
            aside = replaced_kept(folder.path)
            raise CheckpointError(
                f"{reason}; {folder.best} holds epoch {epoch}, the best so far, but without last/ the run "
                f"cannot be resumed{aside}; {failed.remedy}, then run the same command with --overwrite"
            ) from None
        kept = nothing_kept(folder, prepared)
        raise CheckpointError(f"{reason}; {kept}; {failed.remedy}, then run the same command again") from None
    except (RuntimeError, MemoryError) as error:
        if is_out_of_memory(error):
            raise _out_of_memory(
                error, prepared, folder, run, resumed=resumed, refitting=refitting
            ) from error
        if not (prepared.distributed.active and isinstance(error, RuntimeError) and peer_lost(error)):
            _left_whole(prepared, folder, run, resumed=resumed)
            raise
        # A collective with a process that is gone (killed by the OOM killer, say): gloo's or NCCL's
        # own words say nothing of the run; say what is kept and how to go on.
        kept = _left_whole(prepared, folder, run, resumed=resumed)
        go_on = (
            f"resume with: {resume_command(folder.path, prepared.distributed.world_size)}"
            if (folder.last / CONFIG_FILE).is_file()
            else "run the same command again"
        )
        reason = peer_error_text(error)
        raise TrainingError(
            f"another training process stopped while this one trained ({reason}); {kept}; {go_on}"
        ) from error
    except AttnError:
        raise  # said where it was raised (an interruption, a refusal)
    except Exception:
        # A failure attn cannot explain (a bug) still leaves the folder whole: as the last save left
        # it, or as it was before the run (the earlier run put back after --overwrite).
        _left_whole(prepared, folder, run, resumed=resumed)
        raise
    finally:
        if run is not None:
            run.close()  # a second close is a no-op
        # DistributedDataParallel goes before its process group does (`_joined`): a gloo rank
        # that freed it after destroy_process_group could abort at exit (signal 6).
        state.wrapped = None
    assert run is not None  # made first in the try above, which raised if anything failed
    run.account(metrics)
    # best/ was saved when its epoch ended; give it the whole record (unless it was deleted since and
    # no epoch of a resumed run has beaten it)
    if prepared.distributed.is_main and folder.best.is_dir():
        # ... and where the data is now: a resumed run told where it moved says that eval reads it there.
        data = prepared.config.data
        replace_metrics(
            folder.best, metrics.to_json(), data_source=(str(data.source), prepared.data_path),
            validation_file=data.validation_file,
        )  # fmt: skip
    if prepared.distributed.is_main:
        _replace_the_earlier_run(folder, reporter)
    result = TrainResult(
        output=folder.path,
        config=prepared.config,
        info=info,
        metrics=metrics,
        is_main=prepared.distributed.is_main,
    )
    _say_summary_warnings(reporter, result)
    return result


def _say_summary_warnings(reporter: Reporter, result: TrainResult) -> None:
    """The warnings `attn train` prints beside its summary (a best epoch that learnt nothing, labels
    it never recognised), to a reporter's `finished`, or else, one by one, to its `stage`: a
    reporter of the caller's own heard none of them."""
    finished = getattr(reporter, "finished", None)
    if finished is not None:
        finished(result)
        return
    from attncli.render.training import summary_warnings

    for warning in summary_warnings(result):
        reporter.stage(warning)
