"""What `attn info` shows about a checkpoint: labels, model, training, versions, its files' checks
(file_checks.py) and parameter count (parameter_count.py). Read from the JSON files and the header of
model.safetensors alone, so it imports no torch, safetensors or tokenizers and answers at once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attncli.checkpoint import checked_label_names, checked_temperature, saved_calibration_state
from attncli.checkpoint_folder import (
    CONFIG_FILE,
    FORMAT_VERSION,
    METRICS_FILE,
    STATE_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    read_header,
    read_steadily,
)
from attncli.checksums import header_status
from attncli.errors import CheckpointError
from attncli.file_checks import FileCheck, file_checks
from attncli.history import TrainingMetrics
from attncli.migrations import migrate_header
from attncli.parameter_count import count_parameters
from attncli.run_folder import resume_command, training_now
from attncli.unused_settings import unused_model_settings, unused_tokenizer_settings

# tokenizer.json's model type -> the tokenizer.kind setting that trains it.
TOKENIZER_KINDS = {"WordPiece": "wordpiece", "BPE": "bpe", "Unigram": "unigram", "WordLevel": "word"}


@dataclass(frozen=True)
class TrainingInfo:
    """How the checkpoint was trained; the numbers from metrics.json are None when it is absent."""

    data_source: str | None
    data_path: str | None
    """Absolute path of local training data, as the run resolved it."""
    epochs_trained: int | None
    best_epoch: int | None
    validation: dict[str, float] | None
    """Loss, accuracy and macro-F1 on the validation split at the best epoch."""
    stop_reason: str | None
    train_seconds: float | None
    temperature: float
    """Calibration temperature dividing the logits (1.0: unchanged)."""
    calibration: str
    """Why the temperature is what it is: a key of calibration.CALIBRATION_STATES."""
    embeddings_init: dict[str, Any] | None = None
    """Where pretrained vectors came from and how much of the vocabulary they covered."""
    class_weights: dict[str, float] | None = None
    """The loss weight of each label as training applied it (None: all 1, or not recorded)."""
    missed_labels: list[str] | None = None
    """Labels of which the best epoch recognised no validation row (None: not recorded)."""
    label_counts: dict[str, int] | None = None
    """Training rows of each label, as the epochs trained on them (None: not recorded)."""
    label_conflicts: dict[str, Any] | None = None
    """Training texts given more than one label: how many, and the most repeated with their labels'
    rows (None: none, or not recorded)."""
    left_out: dict[str, dict[str, int]] | None = None
    """The rows left out of each split that lost any: `rows`, and those `empty`, `half_filled`, with
    `no_label` and with `no_text` (None: none, or not recorded)."""
    sized: dict[str, int] | None = None
    """Each setting sized to the data, with the number of training texts it was sized to (None:
    none, or not recorded)."""
    processes: int | None = None
    """The one number of processes that trained the weights (None: it changed on the way, or was
    not recorded, before attn kept it)."""
    epoch_processes: list[int] | None = None
    """How many processes trained each epoch up to the best (None: not recorded)."""
    validation_digest: str | None = None
    """The digest of the validation rows training carved out of its data (None: the data had a
    validation split of its own, or the run predates it)."""
    refit: dict[str, Any] | None = None
    """What the refit after early stopping did (epochs, rows, losses), where the weights are refitted."""
    refit_diverged: str = ""
    """Where the refit's loss stopped being a number, where it did."""
    refit_skipped: str = ""
    """Why the refit asked for was not done, where it was left out."""
    history_set_aside: bool = False
    """metrics.json changed since it was saved: its figures are left out, as eval and predict leave it."""
    train_size: int | None = None
    """Texts the epochs trained on (the validation rows left out; None: not recorded)."""
    validation_size: int | None = None
    device: str | None = None
    """The device and precision the run trained in, as `auto` resolved them (None: not recorded)."""
    precision: str | None = None
    threads: int | None = None
    """torch's threads in each training process (None: not recorded, or changed by a --resume)."""
    ceilings: list[dict[str, int]] | None = None
    """Each change of the epoch ceiling a --resume made (history.TrainingMetrics.ceilings)."""
    holds: str | None = None
    """Which state the weights are, for a last/ checkpoint (training_state.json says): the end of an
    epoch, or a place inside one where the run was stopped, whose scores are the epoch before's."""


@dataclass(frozen=True)
class CheckpointInfo:
    path: Path
    label_names: list[str]
    model: dict[str, Any]
    """The config's model section (a format 1 checkpoint's as loading upgrades it)."""
    train: dict[str, Any]
    """The config's train section: the settings it was trained with (lr, batch size, seed, ...)."""
    data: dict[str, Any]
    """The config's data section: which columns, which rows, how validation was carved."""
    tokenizer: dict[str, Any]
    """The config's tokenizer section: the settings that trained tokenizer.json."""
    num_parameters: int | None
    """Numbers stored in model.safetensors; None when its header cannot be read."""
    vocab_size: int
    tokenizer_kind: str | None
    training: TrainingInfo
    attn_version: str
    torch_version: str
    format_version: int
    files: list[FileCheck] | None
    """None for a checkpoint written before attn recorded checksums."""
    library_versions: dict[str, str] = field(default_factory=dict)
    """Python's and the libraries' beside torch (tokenizers, datasets, safetensors) that saved it;
    empty for a checkpoint saved before attn recorded them."""

    @property
    def damaged(self) -> list[str]:
        """ "name status" of each file that eval and predict would refuse."""
        return [f"{item.name} {item.status}" for item in self.files or [] if not item.sound]

    @property
    def no_refit(self) -> str | None:
        """Why the weights of a run that asked for a refit (train.refit_epochs) are not refitted:
        unused beside a validation split of the data's own, or not finished; None where they are,
        none was asked for, or for last/, which never holds the refit."""
        asked, training = self.train.get("refit_epochs"), self.training
        if not isinstance(asked, int) or asked <= 0 or training.refit or training.holds is not None:
            return None
        if training.epochs_trained is None:  # no training history to tell by
            return None
        if training.refit_skipped:
            return f"none: {training.refit_skipped}"
        if training.refit_diverged:
            return (
                f"none: the refit diverged ({training.refit_diverged}); to refit, train again with "
                "--overwrite and a lower train.lr"
            )
        if not training.validation_digest:
            return (
                f"none: train.refit_epochs={asked} is unused, as the data has a validation split of its own"
            )
        return (
            f"none yet: train.refit_epochs={asked} asks for one once training ends, which these weights do "
            "not have (stopped in or before it, or still training): attn train --resume trains what is left "
            "and refits them"
        )

    @property
    def resume_command(self) -> str | None:
        """The command that carries on an interrupted run from its last/ (None where the run was
        not interrupted, or its last/ is gone): a run stopped by Ctrl-C or SIGTERM said it once, as
        it stopped, and `attn info` on it later showed only "interrupted". A run killed (kill -9, a
        machine that stopped) recorded no stop at all: where no attn train holds its folder and its
        last/ has epochs left, that is one too, which info showed as a finished short run (a trial);
        and so is a run whose epochs ended but whose refit was stopped (`refit_left`)."""
        if self.training.stop_reason != "interrupted" and not self.killed and not self.refit_left:
            return None
        if not (self.run_folder / "last" / STATE_FILE).is_file():
            return None
        processes = self.training.epoch_processes
        return resume_command(self.run_folder, processes[-1] if processes else 1)

    @property
    def run_folder(self) -> Path:
        """The run folder the checkpoint is in (itself where it is not a best/ or last/)."""
        return self.path.parent if self.path.name in ("best", "last") else self.path

    @property
    def killed(self) -> bool:
        """Whether the run stopped without recording why (killed) with epochs left: no stop reason,
        no attn train holding its folder, and a last/ that a --resume would go on from."""
        if self.training.stop_reason is not None or self.training.epochs_trained is None:
            return False
        return self._resumable()

    @property
    def refit_left(self) -> bool:
        """Whether the run's epochs all ended (its ceiling, early stopping) and the refit it asked for
        did not (Ctrl-C, SIGTERM or a kill in it): info said no resume command, and a nightly job that
        resumes where there is one would have shipped weights without the refit (a trial)."""
        return self.training.stop_reason not in (None, "interrupted") and self._resumable()

    def _resumable(self) -> bool:
        """Whether no attn train holds the run's folder and its last/ has work a --resume would do."""
        from attncli.resuming import work_left

        last = self.run_folder / "last"
        return (last / STATE_FILE).is_file() and not training_now(self.run_folder) and work_left(last) is True

    def to_json(self) -> dict[str, Any]:
        training = self.training
        return {
            "path": str(self.path),
            "labels": self.label_names,
            "model": self.model,
            "train": self.train,
            "data": self.data,
            "tokenizer_settings": self.tokenizer,
            "num_parameters": self.num_parameters,
            "vocab_size": self.vocab_size,
            "tokenizer": self.tokenizer_kind,
            "training": {
                "data_source": training.data_source,
                "data_path": training.data_path,
                "epochs_trained": training.epochs_trained,
                "best_epoch": training.best_epoch,
                "validation": training.validation,
                "stop_reason": training.stop_reason,
                "train_seconds": training.train_seconds,
                "train_size": training.train_size,
                "validation_size": training.validation_size,
                "device": training.device,
                "precision": training.precision,
                "threads": training.threads,
                "holds": training.holds,
                "ceilings": training.ceilings,
                "temperature": training.temperature,
                "calibration": training.calibration,
                "embeddings_init": training.embeddings_init,
                "class_weights": training.class_weights,
                "missed_labels": training.missed_labels,
                "label_counts": training.label_counts,
                "label_conflicts": training.label_conflicts,
                "left_out": training.left_out,
                "sized": training.sized,
                "processes": training.processes,
                "epoch_processes": training.epoch_processes,
                "validation_digest": training.validation_digest,
                "refit": training.refit,
                "no_refit": self.no_refit,
                "resume_command": self.resume_command,
                "history_set_aside": training.history_set_aside,
            },
            "versions": {
                "attn": self.attn_version,
                "torch": self.torch_version,
                **self.library_versions,
                "format": self.format_version,
            },
            "unused_settings": unused_model_settings(self.model),
            "unused_tokenizer_settings": unused_tokenizer_settings(self.tokenizer),
            "files": None
            if self.files is None
            else {
                item.name: {
                    "sha256": item.sha256,
                    "bytes": item.bytes,
                    "bytes_on_disk": item.bytes_on_disk,
                    "status": item.status,
                    "required": item.required,
                }
                for item in self.files
            },
        }


def _read_json(path: Path) -> Any:
    """The JSON in `path`, or None when it is missing or not JSON (its file check says why)."""
    if not path.is_file():  # a FIFO would wait for a writer forever
        return None
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None


def _tokenizer_kind(path: Path) -> str | None:
    """The tokenizer.kind that trains the tokenizer in tokenizer.json (its model type if attn has none)."""
    tokenizer = _read_json(path)
    model = tokenizer.get("model") if isinstance(tokenizer, dict) else None
    kind = model.get("type") if isinstance(model, dict) else None
    return TOKENIZER_KINDS.get(kind, kind) if isinstance(kind, str) else None


def _holds(path: Path) -> str | None:
    """Which state a last/ checkpoint's weights are, from its training_state.json (None: no such
    file, as in best/, or one that cannot be read)."""
    state = _read_json(path / STATE_FILE) if (path / STATE_FILE).is_file() else None
    if not isinstance(state, dict) or not isinstance(state.get("epoch"), int):
        return None
    epoch, step = state["epoch"], state.get("step")
    if isinstance(step, int) and step > 0:
        scores = (
            f"the validation scores and temperature here are those of epoch {epoch - 1}"
            if epoch > 1
            else "there are no validation scores or temperature here yet"
        )
        return f"epoch {epoch} after its step {step}: stopped inside the epoch, so {scores}"
    return f"the end of epoch {epoch - 1}"


def _training(
    path: Path, header: dict[str, Any], metrics_json: Any, history_set_aside: bool = False
) -> TrainingInfo:
    data = header["config"].get("data", {})
    common = {
        "history_set_aside": history_set_aside,
        "data_source": data.get("source"),
        "data_path": header.get("data_path"),
        "temperature": float(header.get("temperature") or 1.0),
        "calibration": saved_calibration_state(path, header, metrics_json),
        "holds": _holds(path),
    }
    if not metrics_json or not isinstance(metrics_json, dict):
        return TrainingInfo(
            **common,
            epochs_trained=None,
            best_epoch=None,
            validation=None,
            stop_reason=None,
            train_seconds=None,
        )
    metrics = TrainingMetrics.from_json(metrics_json)
    best = metrics.best
    validation = None
    if best is not None:
        validation = {
            "loss": best.validation_loss,
            "accuracy": best.validation_accuracy,
            "macro_f1": best.validation_macro_f1,
        }
    epochs_trained, stop_reason = metrics.newest_epoch, metrics.stop_reason or None
    ceilings = metrics.ceilings
    if (ahead := _last_ahead(path, epochs_trained)) is not None:
        epochs_trained, stop_reason = ahead.newest_epoch, ahead.stop_reason or None
        ceilings = ahead.ceilings
    return TrainingInfo(
        **common,
        epochs_trained=epochs_trained,
        best_epoch=metrics.best_epoch or None,  # epochs count from 1
        validation=validation,
        stop_reason=stop_reason,
        train_seconds=metrics.train_seconds,
        embeddings_init=metrics.embeddings_init,
        class_weights=metrics.class_weights,
        missed_labels=best.missed_labels if best is not None else None,
        label_counts=metrics.label_counts,
        label_conflicts=metrics.label_conflicts,
        left_out=metrics.left_out,
        sized=metrics.sized,
        processes=metrics.processes,
        epoch_processes=metrics.epoch_processes,
        validation_digest=metrics.validation_digest or None,
        refit=metrics.refit,
        refit_diverged=metrics.refit_diverged,
        refit_skipped=metrics.refit_skipped,
        train_size=metrics.train_size or None,
        validation_size=metrics.validation_size if metrics.train_size else None,
        device=metrics.device or None,
        precision=metrics.precision or None,
        threads=metrics.trained_threads,
        ceilings=ceilings if isinstance(ceilings, list) else None,
    )


def _train_settings(saved: dict[str, Any], training: TrainingInfo) -> dict[str, Any]:
    """The run's train settings, its sized refit epochs as many as ran: runs saved on 2026-12-06
    between 12:35 and 13:54 capped the refit at the best epoch but wrote the rule's number (4 where
    3 ran), and a run replayed from info's settings would refit 4 (a compatibility trial)."""
    train = dict(saved)
    ran = (training.refit or {}).get("epochs")
    if isinstance(ran, int) and "train.refit_epochs" in (training.sized or {}):
        train["refit_epochs"] = ran
    return train


def _last_ahead(path: Path, epochs: int) -> TrainingMetrics | None:
    """The metrics of the last/ beside a best/ at `path`, where they record epochs past `epochs`
    (None: not so, or no readable last/). best/ is written at the best epoch and when a run ends,
    last/ at every epoch: a run killed or still training, or one resumed for more epochs and then
    killed, said "13 trained" (and "reached the epoch limit") from best/ where last/ held 15, which
    --resume then went on from."""
    if path.name != "best":
        return None
    try:
        recorded = json.loads((path.parent / "last" / METRICS_FILE).read_text(encoding="utf-8"))
        ahead = TrainingMetrics.from_json(recorded)
    except (OSError, ValueError, AttributeError, TypeError, KeyError):  # absent, or not attn's
        return None
    return ahead if ahead.newest_epoch > epochs else None


def _library_versions(value: Any) -> dict[str, str]:
    """config.json's library_versions, as text (a stranger's may hold anything)."""
    if not isinstance(value, dict):
        return {}
    return {
        str(name): str(version) for name, version in value.items() if name not in ("attn", "torch", "format")
    }


def describe_checkpoint(path: str | Path) -> CheckpointInfo:
    """What the checkpoint at `path` is (any path eval and predict accept: a run folder, best/,
    last/ or a folder written by an earlier attn)."""
    return read_steadily(Path(path), _describe)


def _describe(path: Path) -> CheckpointInfo:
    saved = read_header(path, complete=False)  # a missing file is reported, not an error
    try:
        header = migrate_header(saved, FORMAT_VERSION)
        # A config.json changed by hand is described as it now reads (its files' table marks it
        # changed, and info exits 2), whatever values the edit left.
        changed = header_status(saved) == "changed"
        if not changed:
            checked_temperature(header.get("temperature"))
        labels = header["label_names"]
        files = file_checks(path, saved)
        # A training history changed since it was saved is left out, as eval and predict leave it:
        # its epochs and scores are whatever the edit made them.
        set_aside = any(item.name == METRICS_FILE and item.status == "changed" for item in files or [])
        training = _training(path, header, None if set_aside else _read_json(path / METRICS_FILE), set_aside)
        return CheckpointInfo(
            path=path,
            label_names=[str(name) for name in labels] if changed else checked_label_names(labels),
            model=dict(header["config"]["model"]),
            train=_train_settings(header["config"].get("train", {}), training),
            data=dict(header["config"].get("data", {})),
            tokenizer=dict(header["config"].get("tokenizer", {})),
            num_parameters=count_parameters(path / WEIGHTS_FILE, format_version=int(saved["format_version"])),
            vocab_size=int(header["vocab_size"]),
            tokenizer_kind=_tokenizer_kind(path / TOKENIZER_FILE),
            training=training,
            attn_version=str(saved.get("attn_version")),
            torch_version=str(saved.get("torch_version")),
            library_versions=_library_versions(saved.get("library_versions")),
            format_version=int(saved["format_version"]),
            files=files,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CheckpointError(
            f"{path / CONFIG_FILE} is damaged ({error}); train the checkpoint again"
        ) from error
