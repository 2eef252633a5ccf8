"""Writing a checkpoint durably: every file is written into a hidden staging folder beside the target,
flushed to disk, and the folder swapped into place only when complete, so a process killed at any
moment leaves the previous checkpoint whole (`save_checkpoint`, `replace_metrics`)."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attncli import __version__
from attncli.checkpoint_folder import (
    BEST,
    CONFIG_FILE,
    FORMAT_VERSION,
    LAST,
    METRICS_FILE,
    STATE_FILE,
    STATE_TENSORS_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    read_header,
    retired,
)
from attncli.checksums import FILES_KEY, HEADER_DIGEST_KEY, record_of, recorded_files, sealed
from attncli.config import Config
from attncli.errors import CheckpointError, why_unwritten
from attncli.tokenizer import pad_id_of

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

    from attncli.model import AttentionClassifier

# Test-only: seconds to sleep after each step of a save, so a test can kill a process mid-write.
SLOW_SAVE_VARIABLE = "ATTN_TEST_SLOW_SAVE"


def recover_interrupted_swap(folder: Path) -> None:
    """Put back the copy of `folder` that a killed swap moved aside, and clear its debris."""
    survivors = retired(folder)
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
            "library_versions": library_versions(),
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


def replace_metrics(
    path: Path,
    metrics: dict[str, Any],
    *,
    data_source: tuple[str, str | None] | None = None,
    validation_file: str | None = None,
) -> None:
    """Give the checkpoint at `path` a new metrics.json, and config.json its new checksum. The folder
    is rebuilt beside it (the other files hard-linked) and swapped in as a save is, so a kill leaves
    the old checkpoint or the new one, each matching its checksums. `data_source`: (data.source, the
    absolute data_path) where the run's data is now, and `validation_file` where its validation file
    is, recorded too (a resumed run whose data moved)."""
    header, data = read_header(path), json_bytes(metrics)
    saved_data = header.get("config", {}).get("data")
    if data_source is not None and data_source[1] != header.get("data_path"):  # moved since saved
        if isinstance(saved_data, dict):
            saved_data["source"], header["data_path"] = data_source
    if validation_file is not None and isinstance(saved_data, dict):
        saved_data["validation_file"] = validation_file
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


def library_versions() -> dict[str, str]:
    """The versions beside attn's and torch's that shaped a checkpoint (the tokenizer's trainer, the
    data reader, Python's float formatting), for whoever must say how a model was made."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in ("tokenizers", "datasets", "safetensors"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:  # a runtime dependency, but say nothing rather than fail a save
            continue
    return versions


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
        resume = f" (attn train --resume {shlex.quote(str(path.parent))} goes on from the last saved epoch)"
    return CheckpointWriteFailed(
        f"could not write the checkpoint {path} ({reason}); {kept}; {remedy}, then run again{resume}",
        path=path,
        reason=reason,
        remedy=remedy,
    )


class CheckpointWriteFailed(CheckpointError):
    """A checkpoint (or the training log beside it) could not be written (a full disk, a folder made
    read-only): what and why, for a training run to say what it kept."""

    def __init__(
        self, message: str, *, path: Path, reason: str, remedy: str, what: str = "the checkpoint"
    ) -> None:
        super().__init__(message)
        self.path, self.reason, self.remedy, self.what = path, reason, remedy, what


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
