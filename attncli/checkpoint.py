"""The checkpoint folder: the only code that writes or reads model weights and training state.

A checkpoint is `config.json` (resolved config, label names, versions), `model.safetensors` (fp32
weights), `tokenizer.json` and `metrics.json`; the `last/` checkpoint of a run adds
`training_state.safetensors` and `training_state.json` (optimizer, schedule, random states, position
in the run). Every file is written into a hidden staging folder beside the target, flushed to disk,
and the folder swapped into place only when complete, so a process killed at any moment leaves the
previous checkpoint whole. config.json records the SHA-256 and size of every other file, and loading
checks the files against it (checkpoints written before that record load unchecked). Loading never
unpickles anything, and importing this module loads no torch, safetensors or tokenizers (`attn info`
relies on that).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from attncli import __version__
from attncli.calibration import CALIBRATION_STATES, calibration_state
from attncli.checksums import (
    FILES_KEY,
    HEADER_DIGEST_KEY,
    RESTORE_OR_RETRAIN,
    check_header,
    read_checked,
    read_checked_json,
    record_of,
    recorded_files,
    sealed,
)
from attncli.config import Config
from attncli.errors import CheckpointError, ConfigError, why_unwritten
from attncli.history import TrainingMetrics
from attncli.migrations import migrate_header, migrate_weights
from attncli.tokenizer import pad_id_of, tokenizer_from_json

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

    from attncli.model import AttentionClassifier

# 2: model zoo (attention kinds, pooling methods, multi-head pooling); format 1 is migrated on load.
FORMAT_VERSION = 2
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
METRICS_FILE = "metrics.json"
STATE_TENSORS_FILE = "training_state.safetensors"
STATE_FILE = "training_state.json"
REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE)
BEST, LAST = "best", "last"
# Where `attn train --overwrite` keeps the run it replaces until it has saved a checkpoint of its own.
REPLACED = ".attn-replaced"
# Test-only: seconds to sleep after each step of a save, so a test can kill a process mid-write.
SLOW_SAVE_VARIABLE = "ATTN_TEST_SLOW_SAVE"
# How pickles begin (protocol 2 and later; torch.save's zip archive), to say what a file is that
# should have been safetensors. Checked only once safetensors has refused a file: never to decide.
PICKLE_STARTS = (b"\x80", b"PK\x03\x04")
# Files other tools save weights in: pickles, which attn never loads (unpickling can run any code).
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
RESUME_REMEDY = "restore the file from a backup, or start a new run with attn train -o FOLDER"
# A checkpoint that a training run replaces while it is read is read again, this often at most: up
# to 2 s of epochs a fraction of a second long (small data). One that stays in place is read once.
READ_ATTEMPTS, READ_RETRY_SECONDS = 40, 0.05
# The files a save writes: a reader watches these for a swap or a copy, not a user's notes beside them.
CHECKPOINT_FILES = frozenset((*REQUIRED_FILES, METRICS_FILE, STATE_TENSORS_FILE, STATE_FILE))
T = TypeVar("T")


@dataclass
class LoadedCheckpoint:
    """Everything eval, predict and inspect need, rebuilt from one folder."""

    path: Path
    config: Config
    label_names: list[str]
    model: AttentionClassifier
    tokenizer: Tokenizer
    metrics: dict[str, Any]
    device: Any
    header: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    """What loading set aside, for the user (a metrics.json changed since it was saved)."""

    @property
    def pad_id(self) -> int:
        return int(self.header["pad_id"])

    def training_data(self) -> tuple[str | None, str | None]:
        """Where the data this checkpoint was trained on is now, and a note when that is not where it
        was: its recorded absolute path, wherever attn runs; else the source as typed (a Hub name, or
        a path from the folder attn runs in), said when it stands in for a recorded path now gone."""
        typed, recorded = self.config.data.source, self.header.get("data_path")
        if not recorded or Path(recorded).exists():
            return recorded or typed, None
        if typed and Path(typed).expanduser().exists():
            return typed, f"the training data is no longer at {recorded}; using {typed} from this folder"
        return recorded, None

    @property
    def temperature(self) -> float:
        """What the logits are divided by before the softmax; checkpoints saved before
        calibration existed have none, which is 1.0."""
        return float(self.header.get("temperature") or 1.0)

    @property
    def calibration(self) -> str:
        """Why the temperature is what it is: a key of calibration.CALIBRATION_STATES."""
        return saved_calibration_state(self.path, self.header, self.metrics)


def saved_calibration_state(folder: Path, header: dict[str, Any], metrics_json: Any) -> str:
    """Why the temperature of the checkpoint in `folder` is what it is (a key of
    calibration.CALIBRATION_STATES): as its config.json records, else, for one saved by an attn
    before that was recorded, worked out from its settings and the epoch it holds (`last/`: the
    newest; any other: the best), or no epoch at all."""
    recorded = header.get("calibration")
    if recorded in CALIBRATION_STATES:
        return str(recorded)
    temperature = header.get("temperature")
    calibrate = bool(header.get("config", {}).get("train", {}).get("calibrate", True))
    metrics = (
        TrainingMetrics.from_json(metrics_json) if isinstance(metrics_json, dict) and metrics_json else None
    )
    if temperature is not None and calibrate and metrics is not None and not metrics.history:
        return "no_epoch"
    epoch = None
    if metrics is not None and metrics.history:
        epoch = metrics.history[-1] if folder.name == LAST else metrics.best
    return calibration_state(
        calibrate=calibrate,
        temperature=None if temperature is None else float(temperature),
        validation_accuracy=epoch.validation_accuracy if epoch is not None else None,
    )


def _retired(folder: Path) -> list[Path]:
    """Previous copies of `folder` that a swap moved aside, newest first."""
    return sorted(folder.parent.glob(f".{folder.name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)


def resolve_checkpoint(path: Path) -> Path:
    """The checkpoint folder `path` names: a run's output folder means its `best/` (its `last/` when
    a run stopped before any epoch ended); `best/`, `last/` or a folder written by an earlier attn
    (files at the top) mean themselves. Where a process was killed halfway through replacing a
    checkpoint, the previous copy it moved aside is used; where an --overwrite run has saved nothing
    yet, the run it is replacing."""
    for folder in (path / BEST, path, path / LAST, path / REPLACED / BEST, path / REPLACED / LAST):
        if (folder / CONFIG_FILE).is_file():
            return folder
        survivors = [old for old in _retired(folder) if (old / CONFIG_FILE).is_file()]
        if survivors and not folder.exists():
            return survivors[0]
        if folder == path / BEST and folder.is_dir():  # damaged: its error, never a quiet switch to last/
            return folder
    return path


def recover_interrupted_swap(folder: Path) -> None:
    """Put back the copy of `folder` that a killed swap moved aside, and clear its debris."""
    survivors = _retired(folder)
    if survivors and not folder.exists():
        survivors[0].rename(folder)
        survivors = survivors[1:]
    for debris in [*survivors, *folder.parent.glob(f".{folder.name}.partial-*")]:
        shutil.rmtree(debris, ignore_errors=True)


def _pause() -> None:
    delay = float(os.environ.get(SLOW_SAVE_VARIABLE, "0") or 0)
    if delay:
        time.sleep(delay)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_file_durably(path: Path, data: bytes) -> None:
    """Write `path` and flush it to disk before returning."""
    with path.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    _pause()


def json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2) + "\n").encode("utf-8")


def save_checkpoint(
    path: Path,
    *,
    model: AttentionClassifier,
    tokenizer: Tokenizer,
    config: Config,
    label_names: list[str],
    metrics: dict[str, Any],
    training_state: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None,
    data_path: str | None = None,
    temperature: float = 1.0,
    calibration: str | None = None,
) -> None:
    """Write a checkpoint to `path`, replacing any there only once the new one is complete on disk.
    `data_path` is the absolute path of local training data, recorded beside the typed source;
    `temperature` divides the logits before the softmax (calibration; 1.0 for none), and
    `calibration` says why it is what it is (a key of calibration.CALIBRATION_STATES)."""
    import torch
    from safetensors.torch import save

    with _staged(path) as staging:
        files: dict[str, dict[str, Any]] = {}  # config.json's checksum of every other file

        def write(name: str, data: bytes) -> None:
            files[name] = record_of(data)  # hashed from the bytes in memory, not read back
            write_file_durably(staging / name, data)

        weights = {
            name: tensor.detach().float().cpu().contiguous() for name, tensor in model.state_dict().items()
        }
        write(WEIGHTS_FILE, save(weights, metadata={"format": "pt"}))
        write(TOKENIZER_FILE, tokenizer.to_str().encode("utf-8"))
        header = {
            "format_version": FORMAT_VERSION,
            "attn_version": __version__,
            "torch_version": torch.__version__,
            "label_names": label_names,
            "vocab_size": tokenizer.get_vocab_size(with_added_tokens=True),
            "pad_id": pad_id_of(tokenizer),
            "token_dim": model.token_embedding.embedding_dim,
            "data_path": data_path,
            "temperature": temperature,
            **({"calibration": calibration} if calibration is not None else {}),
            "config": config.to_dict(),
        }
        write(METRICS_FILE, json_bytes(metrics))
        if training_state is not None:
            tensors, state = training_state
            write(STATE_TENSORS_FILE, save({k: v.contiguous() for k, v in tensors.items()}))
            write(STATE_FILE, json_bytes(state))
        header[FILES_KEY] = files
        write_file_durably(
            staging / CONFIG_FILE, json_bytes(sealed(header))
        )  # last: its presence marks a whole folder


def replace_metrics(path: Path, metrics: dict[str, Any]) -> None:
    """Give the checkpoint at `path` a new metrics.json, and config.json its new checksum. The folder
    is rebuilt beside it (the other files hard-linked) and swapped in as a save is, so a kill leaves
    the old checkpoint or the new one, each matching its checksums."""
    header, data = read_header(path), json_bytes(metrics)
    with _staged(path) as staging:
        for source in path.iterdir():
            if source.is_file() and source.name not in (CONFIG_FILE, METRICS_FILE):
                try:
                    os.link(source, staging / source.name)
                except OSError:  # a file system without hard links
                    write_file_durably(staging / source.name, source.read_bytes())
        write_file_durably(staging / METRICS_FILE, data)
        files = recorded_files(header, path)
        if files is not None:
            files[METRICS_FILE] = record_of(data)
        if HEADER_DIGEST_KEY in header:  # one saved without (an earlier attn's) stays without
            header = sealed(header)
        write_file_durably(staging / CONFIG_FILE, json_bytes(header))


@contextlib.contextmanager
def _staged(path: Path) -> Iterator[Path]:
    """A hidden staging folder beside `path`, for the block to fill; swapped into place when the
    block completes. On any failure it is removed and `path` left as it was; a failure to write (a
    full disk, say) becomes a CheckpointError that says so."""
    existed = path.is_dir()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    except OSError as error:
        raise _write_failed(path, error, existed=existed) from error
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a checkpoint follows the umask
        yield staging
        _fsync_folder(staging)
        _swap_into_place(staging, path)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise _write_failed(path, error, existed=existed) from error
        raise


def _write_failed(path: Path, error: OSError, *, existed: bool) -> CheckpointError:
    """What to tell a user whose checkpoint could not be written."""
    reason, remedy = why_unwritten(error, path.parent)
    kept = f"{path} keeps the checkpoint it had" if existed else "nothing half-written was left"
    resume = ""
    if path.name in (BEST, LAST) and (path.parent / LAST / CONFIG_FILE).is_file():
        resume = f" (attn train --resume {path.parent} goes on from the last saved epoch)"
    return CheckpointWriteFailed(
        f"could not write the checkpoint {path} ({reason}); {kept}; {remedy}, then run again{resume}",
        path=path,
        reason=reason,
        remedy=remedy,
    )


class CheckpointWriteFailed(CheckpointError):
    """A checkpoint could not be written (a full disk, a folder made read-only): what and why, for
    a training run to say what it kept."""

    def __init__(self, message: str, *, path: Path, reason: str, remedy: str) -> None:
        super().__init__(message)
        self.path, self.reason, self.remedy = path, reason, remedy


def _swap_into_place(staging: Path, path: Path) -> None:
    """Move the finished checkpoint to `path`; an old folder there is moved aside first and removed
    only afterwards (`resolve_checkpoint` finds it if a kill falls between the two renames)."""
    if not path.exists():
        staging.rename(path)
        _fsync_folder(path.parent)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
    retired.rmdir()
    path.rename(retired)
    _pause()
    try:
        staging.rename(path)
    except BaseException:
        retired.rename(path)
        raise
    _fsync_folder(path.parent)
    _pause()
    shutil.rmtree(retired, ignore_errors=True)


# Runs named where a folder of runs is passed for one (`attn info runs` for runs/bbc).
RUNS_NAMED = 3


def _runs_inside(folder: Path) -> str:
    """The output folders or checkpoints just inside `folder`, newest first, for a message; empty
    where there are none."""
    try:
        runs = [
            child
            for child in folder.iterdir()
            if (child / CONFIG_FILE).is_file() or (child / BEST / CONFIG_FILE).is_file()
        ]
        runs.sort(key=lambda child: child.stat().st_mtime, reverse=True)
    except OSError:
        return ""
    more = len(runs) - RUNS_NAMED
    return ", ".join(str(child) for child in runs[:RUNS_NAMED]) + (f" and {more} more" if more > 0 else "")


def read_header(path: Path, *, complete: bool = True) -> dict[str, Any]:
    """config.json of the checkpoint at `path`, after checking the folder is complete and its values
    are those saved (`complete` False: that config.json is there and reads; `attn info` reports the
    state of every file, config.json's own included, itself)."""
    if path.is_file():
        raise CheckpointError(
            f"{path} is a file, not a checkpoint; pass the folder `attn train` wrote (its --output)"
        )
    if not path.is_dir():
        raise CheckpointError(f"checkpoint {path} does not exist; pass a folder written by `attn train`")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing and (complete or CONFIG_FILE in missing):
        pickles = sorted(item.name for item in path.iterdir() if item.suffix.lower() in PICKLE_SUFFIXES)
        refused = (
            f"; attn never loads {', '.join(pickles)}: a pickle can run any code when loaded"
            if pickles and WEIGHTS_FILE in missing
            else ""
        )
        if len(missing) == len(REQUIRED_FILES):
            inside = _runs_inside(path)
            raise CheckpointError(
                f"{path} is not an attn checkpoint (no {', '.join(REQUIRED_FILES)}); "
                + (
                    f"it holds the runs {inside}: pass one of them"
                    if inside
                    else "pass a folder written by `attn train`"
                )
            )
        newest = path.parent / LAST
        instead = (
            f"pass {newest} to use the newest epoch, or train again"
            if path.name == BEST and (newest / CONFIG_FILE).is_file()
            else "train it again with `attn train`"
        )
        raise CheckpointError(
            f"checkpoint {path} is incomplete (missing {', '.join(missing)}{refused}); {instead}"
        )
    try:
        header = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(
            f"{path / CONFIG_FILE} is not valid JSON ({error}); train the checkpoint again"
        ) from error
    version = header.get("format_version") if isinstance(header, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format {version!r}; this attn reads formats 1 to {FORMAT_VERSION}, "
            "so upgrade attn (pip install -U attncli) or retrain it with this version"
        )
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        # Another program's JSON, or one written over attn's: no newer attn reads it either.
        raise CheckpointError(
            f"{path / CONFIG_FILE} is not the config.json attn wrote (its format_version is {version!r}); "
            "restore the file from a backup of the checkpoint, or train it again"
        )
    if complete:
        check_header(header, path)
    return header


def read_steadily(path: Path, read: Callable[[Path], T]) -> T:
    """`read(folder)` of the checkpoint folder `path` names (`resolve_checkpoint`), done again when
    a training run replaced that folder while it was read, or a copy wrote over its files: they
    would then come from two checkpoints, and a whole one would look damaged to eval, predict or
    info during an --overwrite, a --resume or a deployment. A checkpoint that stays as it is while
    it fails is damaged."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        folder = resolve_checkpoint(path)
        before = _identity(folder)
        try:
            result = read(folder)
        except (CheckpointError, OSError) as error:  # OSError: a file gone between being found and opened
            if not _changed_since(path, before):
                raise
            if attempt == READ_ATTEMPTS:  # still being written: not damaged, and not readable yet
                seconds = READ_ATTEMPTS * READ_RETRY_SECONDS
                raise CheckpointError(
                    f"{folder} kept changing while attn read it, for {seconds:.0f} s (is a copy or a "
                    "training run writing it?); wait until it ends; to replace a checkpoint in use, copy the "
                    "new one beside it and rename it into place"
                ) from error
        else:
            if attempt == READ_ATTEMPTS or _identity(resolve_checkpoint(path)) == before:
                return result
        time.sleep(READ_RETRY_SECONDS)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _changed_since(path: Path, before: tuple[Any, ...] | None) -> bool:
    """Whether the checkpoint at `path` changed since `before` (`_identity`), looked at now and once
    more a moment later: a copy caught between truncating a file and writing it may leave the same
    size and time for a few milliseconds (times are kept to the kernel's tick)."""
    if _identity(resolve_checkpoint(path)) != before:
        return True
    time.sleep(READ_RETRY_SECONDS)
    return _identity(resolve_checkpoint(path)) != before


def _identity(folder: Path) -> tuple[Any, ...] | None:
    """What changes when a swap puts another folder at `folder`'s path, or when a copy (`cp -r
    new/. folder/`, rsync) writes over its files in place: the folder's inode and change time, and
    each file's size and modification time (None: nothing there)."""
    try:
        status = folder.stat()
        files = sorted(
            (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
            for entry in os.scandir(folder)
            if entry.name in CHECKPOINT_FILES and entry.is_file()
        )
    except OSError:
        return None
    return str(folder), status.st_ino, status.st_ctime_ns, tuple(files)


def load_checkpoint(
    path: str | Path, *, device: str = "cpu", history_optional: bool = False
) -> LoadedCheckpoint:
    """Rebuild config, tokenizer and model (in eval mode, on `device`) from a checkpoint folder (or
    a run's output folder, which means its best/). `history_optional`: a metrics.json changed since
    it was saved is set aside with a warning, not refused, as eval, predict and inspect want it
    (it holds the training history, which a resumed run carries on and must be whole)."""
    return read_steadily(
        Path(path),
        lambda folder: _load_checkpoint_from(folder, device=device, history_optional=history_optional),
    )


def checked_label_names(value: Any) -> list[str]:
    """config.json's label list, refused (ValueError, which loading reports as damage) unless it is
    distinct names: a label named twice, or a null, would predict one label under two names."""
    if not isinstance(value, list) or not value:
        raise ValueError("label_names is not a list of labels")
    for name in value:
        if not isinstance(name, str):
            raise ValueError(f"label_names holds {name!r}, which is not a label name")
    seen: set[str] = set()
    for name in value:
        if name in seen:
            raise ValueError(f"label_names names {name!r} twice")
        seen.add(name)
    return list(value)


def checked_temperature(value: Any) -> None:
    """A saved temperature divides the logits: it must be a positive number (absent means 1)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"temperature {value!r} is not a positive number")


def _load_checkpoint_from(path: Path, *, device: str, history_optional: bool) -> LoadedCheckpoint:
    import torch

    from attncli.model import build_model

    saved_header = read_header(path)
    files = recorded_files(saved_header, path)
    try:
        header = migrate_header(saved_header, FORMAT_VERSION)
        config = Config.from_dict(header["config"])
        label_names = checked_label_names(header["label_names"])
        checked_temperature(header.get("temperature"))
        vocab_size, pad_id = int(header["vocab_size"]), int(header["pad_id"])
        token_dim = int(header.get("token_dim") or config.model.width)
    except (KeyError, TypeError, ValueError, AttributeError, ConfigError) as error:
        raise CheckpointError(
            f"{path / CONFIG_FILE} is damaged ({error}); train the checkpoint again"
        ) from error
    tokenizer = _load_tokenizer_of(path, files, vocab_size=vocab_size, pad_id=pad_id)
    model = build_model(
        config.model,
        vocab_size=vocab_size,
        num_labels=len(label_names),
        pad_id=pad_id,
        token_dim=token_dim,
    )
    saved_weights = read_tensors(path / WEIGHTS_FILE, files)
    try:
        weights = migrate_weights(
            saved_weights, version=saved_header["format_version"], target=FORMAT_VERSION, header=header
        )
        misfit = _misfit(model.state_dict(), weights)
        if misfit is None:
            model.load_state_dict(weights, strict=True)
    except (RuntimeError, KeyError) as error:
        misfit = str(error).splitlines()[0]
    if misfit is not None:
        raise CheckpointError(
            f"{path / WEIGHTS_FILE} does not fit the model in config.json ({misfit}); the checkpoint "
            "is damaged or mixed from two runs: train it again"
        )
    metrics_path = path / METRICS_FILE  # optional: it only holds the history
    metrics, warnings = {}, []
    if metrics_path.is_file():
        try:
            metrics = read_checked_json(metrics_path, files, required=False, remedy=HISTORY_REMEDY)
        except CheckpointError as error:
            if not history_optional:
                raise
            warnings.append(f"{error}; until then it is left out")
    model.to(torch.device(device)).eval()
    return LoadedCheckpoint(
        path=path,
        config=config,
        label_names=label_names,
        model=model,
        tokenizer=tokenizer,
        metrics=metrics,
        device=torch.device(device),
        header=header,
        warnings=warnings,
    )


# metrics.json holds the training history alone: what to do when it is damaged.
HISTORY_REMEDY = (
    "restore it from a backup of the checkpoint, or delete it (it holds the training history, which "
    "predictions do not need)"
)


def read_tensors(
    path: Path, files: dict[str, Any] | None, *, remedy: str = RESTORE_OR_RETRAIN
) -> dict[str, torch.Tensor]:
    """The tensors of one of the checkpoint's safetensors files, checked against its checksum.
    Nothing is ever unpickled: a pickle in its place is refused, and named as one."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    data = read_checked(path, files, remedy=remedy)
    try:
        return load(data)
    except SafetensorError as error:
        what = (
            "it looks like a pickle, as torch.save writes, which attn never loads: "
            "unpickling can run any code"
            if data.startswith(PICKLE_STARTS)
            else str(error).splitlines()[0]
        )
        raise CheckpointError(f"{path} is not a safetensors file ({what}); {remedy}") from error


def _shape(tensor: torch.Tensor) -> str:
    return "x".join(map(str, tensor.shape)) or "a scalar"


def _misfit(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> str | None:
    """How the saved tensors `found` fail to fit the model built from config.json (whose state is
    `expected`), in words; None when they fit."""
    for name, tensor in expected.items():
        if name not in found:
            return f"it has no {name}"
        if found[name].shape != tensor.shape:
            return f"{name} is {_shape(found[name])} there but {_shape(tensor)} in that model"
    extra = sorted(set(found) - set(expected))
    return f"it has {extra[0]}, which that model lacks" if extra else None


def _load_tokenizer_of(
    path: Path, files: dict[str, Any] | None, *, vocab_size: int, pad_id: int
) -> Tokenizer:
    """The checkpoint's tokenizer, checked against its checksum and against the model in config.json."""
    tokenizer_path = path / TOKENIZER_FILE
    text = read_checked(tokenizer_path, files).decode("utf-8", errors="replace")
    tokenizer = tokenizer_from_json(text, origin=str(tokenizer_path))
    found = (tokenizer.get_vocab_size(with_added_tokens=True), pad_id_of(tokenizer))
    if found != (vocab_size, pad_id):
        raise CheckpointError(
            f"{tokenizer_path} belongs to another checkpoint: it has {found[0]:,} tokens and padding id "
            f"{found[1]} where the model in config.json has {vocab_size:,} and {pad_id}; copy back the "
            "tokenizer.json saved with this model, or train the checkpoint again"
        )
    return tokenizer


def load_training_state(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The optimizer, schedule and random states of a `last/` checkpoint (tensors, the rest)."""
    missing = [name for name in (STATE_TENSORS_FILE, STATE_FILE) if not (path / name).is_file()]
    if missing:
        raise CheckpointError(
            f"{path} holds no training state (missing {', '.join(missing)}), so it cannot be resumed; "
            "start a new run with attn train -o FOLDER"
        )
    files = recorded_files(read_header(path), path)
    return (
        read_tensors(path / STATE_TENSORS_FILE, files, remedy=RESUME_REMEDY),
        read_checked_json(path / STATE_FILE, files, remedy=RESUME_REMEDY),
    )
