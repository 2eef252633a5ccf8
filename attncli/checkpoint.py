"""Loading a checkpoint: `load_checkpoint` rebuilds config, tokenizer and model from its folder, each
file checked against config.json's checksums, and `load_training_state` what a resumed run goes on
from. Nothing is ever unpickled, and importing it loads no torch, safetensors or tokenizers."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attncli.calibration import CALIBRATION_STATES, GRID_HIGH, GRID_LOW, calibration_state
from attncli.checkpoint_folder import (
    CONFIG_FILE,
    FORMAT_VERSION,
    LAST,
    METRICS_FILE,
    STATE_FILE,
    STATE_TENSORS_FILE,
    TOKENIZER_FILE,
    WEIGHTS_FILE,
    read_header,
    read_steadily,
)
from attncli.checksums import RESTORE_OR_RETRAIN, read_checked, read_checked_json, recorded_files
from attncli.config import Config
from attncli.errors import ArgumentError, CheckpointError, ConfigError
from attncli.forking import ForkSafeLock
from attncli.history import TrainingMetrics
from attncli.local_paths import local_path
from attncli.migrations import migrate_header, migrate_weights
from attncli.model_config import ModelConfig
from attncli.out_of_memory import is_out_of_memory, said_when_out_of_memory
from attncli.tokenizer import pad_id_of, tokenizer_from_json

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

    from attncli.model import AttentionClassifier

# How pickles begin (protocol 2 and later; torch.save's zip archive), to say what a file is that
# should have been safetensors. Checked only once safetensors has refused a file: never to decide.
PICKLE_STARTS = (b"\x80", b"PK\x03\x04")
RESUME_REMEDY = "restore the file from a backup, or start a new run with attn train -o FOLDER"


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

    def __repr__(self) -> str:
        # A notebook showed the model's modules and the tokenizer's vocabulary: 11,600 characters.
        labels = ", ".join(map(repr, self.label_names[:10])) + (", ..." if len(self.label_names) > 10 else "")
        return (
            f"LoadedCheckpoint(path={str(self.path)!r}, labels=[{labels}] ({len(self.label_names)}), "
            f"device={str(self.device)!r})"
        )

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
        if typed and local_path(typed).exists():
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

    @property
    def refitted(self) -> bool:
        """Whether the weights were refitted after early stopping, on the held-out rows too (its
        validation scores and temperature are from before that)."""
        return bool((self.metrics or {}).get("refit"))


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


def load_checkpoint(
    path: str | Path, *, device: str | torch.device = "cpu", history_optional: bool = False
) -> LoadedCheckpoint:
    """Rebuild config, tokenizer and model (in eval mode, on `device`: cpu, cuda, cuda:N, mps or auto)
    from a checkpoint folder (or a run's output folder, which means its best/). `history_optional`: a
    metrics.json changed since it was saved is set aside with a warning, not refused, as eval,
    predict and inspect want it (it holds the training history, which a resumed run carries on and
    must be whole)."""
    from attncli.device import resolve_device
    from attncli.forking import one_thread_in_forked_children
    from attncli.signals import import_whole

    import_whole("torch")  # a Ctrl-C in a first call's imports leaves none half-made
    if not isinstance(path, (str, os.PathLike)):  # None was os.fspath's "expected str, bytes or ..."
        kind = type(path).__name__
        raise ArgumentError(
            f"load_checkpoint takes the path of a checkpoint folder (a str or Path), not {kind}"
        )
    one_thread_in_forked_children()
    # A device that is not there is a ConfigError that says so, as --device's is (it was torch's
    # AssertionError, and `auto` was refused).
    resolved = str(resolve_device(str(device)))
    return read_steadily(
        Path(path),
        lambda folder: _load_checkpoint_from(folder, device=resolved, history_optional=history_optional),
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
    # Calibration picks from its grid: far outside it, the scaled logits overflowed (1e-40 gave NaN).
    if not GRID_LOW * (1 - 1e-9) <= value <= GRID_HIGH * (1 + 1e-9):
        raise ValueError(
            f"temperature {value!r} is outside the {GRID_LOW:g} to {GRID_HIGH:g} calibration fits"
        )


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
        if vocab_size < 1 or not 0 <= pad_id < vocab_size or token_dim < 1:
            raise ValueError(
                f"vocab_size {vocab_size}, pad_id {pad_id} and token_dim {token_dim} make no model"
            )
    except (KeyError, TypeError, ValueError, AttributeError, ConfigError) as error:
        raise CheckpointError(
            f"{path / CONFIG_FILE} is damaged ({error}); train the checkpoint again"
        ) from error
    tokenizer = _load_tokenizer_of(path, files, vocab_size=vocab_size, pad_id=pad_id)

    # A model too large for the device's memory is said as such, not as a damaged checkpoint.
    with said_when_out_of_memory(f"the model of {path}", torch.device(device)):
        saved_weights = read_tensors(path / WEIGHTS_FILE, files)
        unsound = _unsound(saved_weights)
        if unsound is not None:
            # Integers or NaN gave probabilities that were no numbers (NaN), printed with exit 0.
            raise CheckpointError(
                f"{path / WEIGHTS_FILE} is damaged: {unsound}; restore it from a backup of the checkpoint, "
                "or train it again"
            )
        model: AttentionClassifier | None = None
        try:
            weights = migrate_weights(
                saved_weights, version=saved_header["format_version"], target=FORMAT_VERSION, header=header
            )
            # Shapes are compared on the model built (torch's meta device would spare the memory of a
            # config.json doctored to ask for terabytes, but its first use costs 1.2 s of every start:
            # _far_larger refuses such a config first).
            misfit = _far_larger(
                config.model, saved_weights, vocab_size=vocab_size, token_dim=token_dim,
                num_labels=len(label_names),
            )  # fmt: skip
            if misfit is None:
                # The random weights the saved ones replace are drawn from a generator of their own,
                # so that loading a checkpoint leaves the caller's random numbers where they were; one
                # load at a time, or each put back the state the other's build had half drawn (two
                # loads in threads changed the caller's state in 9 runs of 10).
                with _ONE_BUILD_AT_A_TIME, torch.random.fork_rng(devices=[]):
                    model = build_model(
                        config.model,
                        vocab_size=vocab_size,
                        num_labels=len(label_names),
                        pad_id=pad_id,
                        token_dim=token_dim,
                    )
                misfit = _misfit(model.state_dict(), weights)
            if misfit is None and model is not None:
                model.load_state_dict(weights, strict=True)
        except (RuntimeError, KeyError) as error:
            if isinstance(error, RuntimeError) and is_out_of_memory(error):
                raise  # no misfit: said_when_out_of_memory says what it is
            misfit = str(error).splitlines()[0]
        if misfit is not None or model is None:  # (model is None only where building failed)
            raise CheckpointError(
                f"{path / WEIGHTS_FILE} does not fit the model in config.json ({misfit}); the checkpoint "
                "is damaged or mixed from two runs: train it again"
            )
        model.to(torch.device(device)).eval()
    metrics_path = path / METRICS_FILE  # optional: it only holds the history
    metrics, warnings = {}, []
    if metrics_path.is_file():
        try:
            metrics = read_checked_json(metrics_path, files, required=False, remedy=HISTORY_REMEDY)
        except CheckpointError as error:
            if not history_optional:
                raise
            warnings.append(f"{error}; until then it is left out")
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


def require_loaded(checkpoint: object, function: str) -> None:
    """The Python API's functions take a loaded checkpoint: a path given instead (the commands take
    one) is a TypeError that says how to load it, where it was an AttributeError about `.config`."""
    if isinstance(checkpoint, LoadedCheckpoint):
        return
    if isinstance(checkpoint, (str, os.PathLike)):
        raise ArgumentError(
            f"{function} takes a loaded checkpoint, not the path {os.fspath(checkpoint)!r}; pass "
            f"load_checkpoint({os.fspath(checkpoint)!r}) (attncli.checkpoint), and reuse it for every call"
        )
    raise ArgumentError(
        f"{function} takes a checkpoint loaded by load_checkpoint(path) (attncli.checkpoint), not "
        f"{type(checkpoint).__name__}"
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


def _unsound(weights: dict[str, torch.Tensor]) -> str | None:
    """What no training saves among `weights`, in words: a tensor that is not floating point, or one
    holding NaN or infinity (a run whose loss diverged stops before saving); None when all are sound."""
    import torch

    for name, tensor in weights.items():
        if not tensor.is_floating_point():
            return f"its {name} is {str(tensor.dtype).removeprefix('torch.')}, not floating point"
        if not bool(torch.isfinite(tensor).all()):
            return f"its {name} holds values that are not numbers (NaN or infinity)"
    return None


_ONE_BUILD_AT_A_TIME = ForkSafeLock()

# Numbers a model's config.json may ask for beyond what its weights file holds, past their multiple.
SAVED_SLACK = 10_000_000


def _far_larger(
    model: ModelConfig, saved: dict[str, torch.Tensor], *, vocab_size: int, token_dim: int, num_labels: int
) -> str | None:
    """Why a model of config.json's sizes cannot be the one the saved weights hold, where it would
    hold far more numbers than they do (embed_dim 16384 in a doctored config.json took 1.4 GB, and
    20,000 layers would take terabytes, before their shapes were found not to fit); None for any
    model near the weights' size. An upper bound of its parameters, not their count. Tables built
    without being saved (sinusoidal or rotary positions) are bounded by ModelConfig's own check."""
    width, layers = model.width, model.layers
    head = width // max(1, model.num_heads)
    saved_positions = {
        "learned": model.length * width,
        "relative": layers * (2 * model.max_relative_distance + 1) * head,
    }
    requested = (
        vocab_size * token_dim
        + (token_dim * width if token_dim != width else 0)  # pretrained vectors' projection
        + layers * (4 * width * width + 2 * width * model.ff_dim)
        + (width * width if model.pooling == "attention" else 0)  # the pooling's key projection
        + saved_positions.get(model.positional, 0)
        + num_labels * (width + 1)  # the head: a million labels in config.json built 16 GB of it
    )
    held = sum(tensor.numel() for tensor in saved.values())
    if requested > 8 * held + SAVED_SLACK:
        return f"its sizes ask for about {requested:,} numbers, and the weights hold {held:,}"
    return None


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
    # As many entries as the model has rows, but not the same tokenizer (edited, or crafted): an id
    # past the rows was IndexError at prediction, an unknown token missing from the vocabulary the
    # library's "Missing [UNK] token", both exit 1 (a trial).
    beyond = max(tokenizer.get_vocab(with_added_tokens=True).values(), default=0)
    unknown = getattr(tokenizer.model, "unk_token", None)
    problem = (
        f"its token id {beyond:,} is past the model's {vocab_size:,} rows"
        if beyond >= vocab_size
        else f"its unknown token {unknown!r} is not in its vocabulary"
        if unknown is not None and tokenizer.token_to_id(unknown) is None
        else None
    )
    if problem is not None:
        raise CheckpointError(
            f"{tokenizer_path} is damaged: {problem}; copy back the tokenizer.json saved with this model, or "
            "train the checkpoint again"
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
