"""Training, in three parts as litgpt's pretraining is: `prepare` and `build_state` (prepare.py),
a `TrainState` holding everything needed to continue (train_state.py), and `fit`, the loop
(fit.py). `train` starts a run in an output folder; `resume` continues one from its last/."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from attncli.checkpoint import (
    LAST,
    METRICS_FILE,
    WEIGHTS_FILE,
    load_checkpoint,
    load_training_state,
    read_header,
    replace_file,
)
from attncli.config import Config
from attncli.device import peak_memory_mb, resolve_device
from attncli.distributed import Distributed, init_distributed, shutdown
from attncli.errors import ConfigError
from attncli.fit import RunWriter, fit, require_tensorboard
from attncli.history import EpochRecord, TrainingMetrics
from attncli.prepare import Prepared, build_state, prepare, run_info
from attncli.reporter import Reporter, RunInfo, SilentReporter
from attncli.run_folder import LOCK_FILE, RunFolder, open_run_folder
from attncli.train_state import TrainState


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
        if distributed.is_main:
            folder = open_run_folder(output, overwrite=overwrite, resume=resume)
        else:
            folder = RunFolder(path=output, lock=output / LOCK_FILE, owns_lock=False)
        try:
            distributed.barrier()
            yield distributed, folder
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
        require_tensorboard(config)
        prepared = prepare(config, reporter=reporter, distributed=distributed)
        state, coverage = build_state(prepared, reporter=reporter)
        metrics = TrainingMetrics(embeddings_init=coverage)
        return _fit_and_finish(state, prepared, folder, metrics, reporter=reporter, resumed=False)


def resume(output: Path, *, epochs: int | None = None, reporter: Reporter | None = None) -> TrainResult:
    """Continue the run in `output` from its last/ checkpoint: its data and settings (with `epochs`
    as a new ceiling, if given), model, optimizer, schedule, random states and place in the epoch."""
    from safetensors.torch import load_file

    saved = read_header(output / LAST) if (output / LAST).is_dir() else {}
    device = saved.get("config", {}).get("train", {}).get("device", "auto")
    with _joined(output, device=device, overwrite=False, resume=True) as (distributed, folder):
        reporter = (reporter or SilentReporter()) if distributed.is_main else SilentReporter()
        last = load_checkpoint(folder.last)
        config = last.config
        if epochs is not None:
            config = dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=epochs))
        source = config.data.source or ""
        if not Path(source).expanduser().exists() and last.header.get("data_path"):
            config = dataclasses.replace(
                config, data=dataclasses.replace(config.data, source=last.header["data_path"])
            )
        require_tensorboard(config)
        reporter.stage(f"resuming {folder.path} from {folder.last}")
        prepared = prepare(config, reporter=reporter, tokenizer=last.tokenizer, distributed=distributed)
        state, _ = build_state(
            prepared, reporter=reporter, token_dim=int(last.header.get("token_dim") or 0) or None
        )
        state.model.load_state_dict(load_file(str(folder.last / WEIGHTS_FILE)))
        state.load_state_dict(*load_training_state(folder.last))
        metrics = TrainingMetrics.from_json(last.metrics)
        if state.epoch > config.train.epochs:
            raise ConfigError(
                f"{folder.path} already trained {state.epoch - 1} epochs; pass a higher --epochs to go on"
            )
        return _fit_and_finish(state, prepared, folder, metrics, reporter=reporter, resumed=True)


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
    metrics.num_parameters, metrics.device, metrics.precision = (
        info.num_parameters,
        info.device,
        info.precision,
    )
    reporter.start(info)
    run = RunWriter(folder, prepared, append_log=resumed)
    started = time.perf_counter()
    try:
        fit(state, prepared, run, metrics, reporter=reporter)
    finally:
        run.close()
    metrics.train_seconds += time.perf_counter() - started
    metrics.peak_memory_mb = max(metrics.peak_memory_mb, peak_memory_mb(prepared.device))
    if prepared.distributed.is_main:  # best/ was saved when its epoch ended; give it the whole record
        replace_file(folder.best / METRICS_FILE, (json.dumps(metrics.to_json(), indent=2) + "\n").encode())
    return TrainResult(
        output=folder.path,
        config=prepared.config,
        info=info,
        metrics=metrics,
        is_main=prepared.distributed.is_main,
    )
