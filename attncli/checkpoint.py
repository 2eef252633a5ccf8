"""The checkpoint folder: the only code that writes or reads model weights.

A checkpoint is `config.json` (resolved config, label names, versions), `model.safetensors` (fp32
weights), `tokenizer.json` and `metrics.json`. It is written into a hidden staging folder beside the
target and moved into place only when complete, so a failed run never leaves half a checkpoint or
destroys the one that was there. Loading never unpickles anything.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attncli import __version__
from attncli.config import Config
from attncli.errors import CheckpointError, ConfigError
from attncli.migrations import migrate_header, migrate_weights
from attncli.tokenizer import load_tokenizer, pad_id_of, save_tokenizer

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from attncli.model import AttentionClassifier

# 2: model zoo (attention kinds, pooling methods, multi-head pooling); format 1 is migrated on load.
FORMAT_VERSION = 2
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
METRICS_FILE = "metrics.json"
CHECKPOINT_FILES = (CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE, METRICS_FILE)


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


def check_output_dir(path: Path, *, overwrite: bool) -> None:
    """Refuse, before any work starts, to train into a folder whose contents would be lost."""
    if path.exists() and not path.is_dir():
        raise CheckpointError(f"--output {path} is a file; pass a folder path")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise CheckpointError(
            f"--output {path} is not empty; pass --overwrite to replace it, or another folder"
        )


def save_checkpoint(
    path: Path,
    *,
    model: AttentionClassifier,
    tokenizer: Tokenizer,
    config: Config,
    label_names: list[str],
    metrics: dict[str, Any],
    overwrite: bool,
) -> None:
    import torch
    from safetensors.torch import save_file

    check_output_dir(path, overwrite=overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        weights = {
            name: tensor.detach().float().cpu().contiguous() for name, tensor in model.state_dict().items()
        }
        save_file(weights, str(staging / WEIGHTS_FILE), metadata={"format": "pt"})
        save_tokenizer(tokenizer, staging / TOKENIZER_FILE)
        header = {
            "format_version": FORMAT_VERSION,
            "attn_version": __version__,
            "torch_version": torch.__version__,
            "label_names": label_names,
            "vocab_size": tokenizer.get_vocab_size(with_added_tokens=True),
            "pad_id": pad_id_of(tokenizer),
            "token_dim": model.token_embedding.embedding_dim,
            "config": config.to_dict(),
        }
        _write_json(staging / CONFIG_FILE, header)
        _write_json(staging / METRICS_FILE, metrics)
        _swap_into_place(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


def _swap_into_place(staging: Path, path: Path) -> None:
    """Move the finished checkpoint to `path`; an old folder there is removed only afterwards."""
    if not path.exists():
        staging.rename(path)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
    retired.rmdir()
    path.rename(retired)
    try:
        staging.rename(path)
    except BaseException:
        retired.rename(path)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def read_header(path: Path) -> dict[str, Any]:
    """config.json of the checkpoint at `path`, after checking the folder is complete."""
    if not path.is_dir():
        raise CheckpointError(f"checkpoint {path} does not exist; pass a folder written by `attn train`")
    missing = [name for name in CHECKPOINT_FILES if not (path / name).is_file()]
    if missing:
        raise CheckpointError(
            f"checkpoint {path} is incomplete (missing {', '.join(missing)}); "
            "train it again with `attn train`"
        )
    try:
        header = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(
            f"{path / CONFIG_FILE} is not valid JSON ({error}); train the checkpoint again"
        ) from error
    version = header.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format {version!r}; this attn reads formats 1 to {FORMAT_VERSION}, "
            "so upgrade attn (pip install -U attncli) or retrain it with this version"
        )
    return header


def load_checkpoint(path: str | Path, *, device: str = "cpu") -> LoadedCheckpoint:
    """Rebuild config, tokenizer and model (in eval mode, on `device`) from a checkpoint folder."""
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from attncli.model import build_model

    path = Path(path)
    saved_header = read_header(path)
    try:
        header = migrate_header(saved_header, FORMAT_VERSION)
        config = Config.from_dict(header["config"])
        label_names = list(header["label_names"])
        vocab_size, pad_id = int(header["vocab_size"]), int(header["pad_id"])
        token_dim = int(header.get("token_dim") or config.model.embed_dim)
    except (KeyError, TypeError, ValueError, ConfigError) as error:
        raise CheckpointError(
            f"{path / CONFIG_FILE} is damaged ({error}); train the checkpoint again"
        ) from error
    tokenizer = load_tokenizer(path / TOKENIZER_FILE)
    model = build_model(
        config.model, vocab_size=vocab_size, num_labels=len(label_names), pad_id=pad_id, token_dim=token_dim
    )
    try:
        weights = migrate_weights(
            load_file(str(path / WEIGHTS_FILE)),
            version=saved_header["format_version"],
            target=FORMAT_VERSION,
            header=header,
        )
        model.load_state_dict(weights, strict=True)
    except (SafetensorError, RuntimeError, OSError, KeyError) as error:
        first_line = str(error).splitlines()[0]
        raise CheckpointError(
            f"{path / WEIGHTS_FILE} does not fit the model in config.json: {first_line}"
        ) from error
    metrics = json.loads((path / METRICS_FILE).read_text(encoding="utf-8"))
    model.to(torch.device(device)).eval()
    return LoadedCheckpoint(
        path=path,
        config=config,
        label_names=label_names,
        model=model,
        tokenizer=tokenizer,
        metrics=metrics,
        device=torch.device(device),
    )
