import json

import pytest
import torch

from attncli import checkpoint as checkpoint_module
from attncli.checkpoint import CHECKPOINT_FILES, check_output_dir, load_checkpoint, save_checkpoint
from attncli.errors import CheckpointError
from attncli.prediction import predict_probabilities


def _save_again(loaded, path, *, metrics, overwrite):
    """Write a loaded checkpoint's parts to `path` through save_checkpoint."""
    save_checkpoint(
        path,
        model=loaded.model,
        tokenizer=loaded.tokenizer,
        config=loaded.config,
        label_names=loaded.label_names,
        metrics=metrics,
        overwrite=overwrite,
    )


def test_run_folder_holds_exactly_the_checkpoint_files(trained):
    assert sorted(path.name for path in trained.output.iterdir()) == sorted(CHECKPOINT_FILES)
    header = json.loads((trained.output / "config.json").read_text())
    assert header["label_names"] == ["food", "sport", "tech"]
    assert header["config"]["data"]["text_column"] == "text"  # detected columns are recorded
    assert header["torch_version"] == torch.__version__ and header["attn_version"]
    metrics = json.loads((trained.output / "metrics.json").read_text())
    assert metrics["best_epoch"] == trained.best_epoch and len(metrics["history"]) == 8


def test_weights_are_safetensors_not_pickle(trained):
    from safetensors import safe_open

    raw = (trained.output / "model.safetensors").read_bytes()
    assert not raw.startswith(b"\x80")  # pickle protocol marker
    with safe_open(str(trained.output / "model.safetensors"), framework="pt") as weights:
        assert all(weights.get_tensor(name).dtype == torch.float32 for name in weights.keys())


def test_save_and_load_round_trip_predicts_the_same(trained, tmp_path):
    loaded = load_checkpoint(trained.output)
    copy = tmp_path / "copy"
    _save_again(loaded, copy, metrics=loaded.metrics, overwrite=False)
    texts = ["pasta and cheese today", "the coach said the match was very good"]
    assert torch.equal(
        predict_probabilities(load_checkpoint(copy), texts), predict_probabilities(loaded, texts)
    )


def test_incomplete_or_missing_checkpoints(trained, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "absent")
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json", "metrics.json"):
        (broken / name).write_bytes((trained.output / name).read_bytes())
    with pytest.raises(CheckpointError, match="missing model.safetensors"):
        load_checkpoint(broken)
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="does not fit"):
        load_checkpoint(broken)


def test_existing_work_is_never_overwritten_by_accident(tmp_path):
    output = tmp_path / "run"
    output.mkdir()
    (output / "precious.txt").write_text("keep me")
    with pytest.raises(CheckpointError, match="--overwrite"):
        check_output_dir(output, overwrite=False)
    check_output_dir(output, overwrite=True)
    check_output_dir(tmp_path / "new", overwrite=False)


def test_a_failed_save_leaves_the_old_checkpoint_and_no_debris(trained, tmp_path, monkeypatch):
    loaded = load_checkpoint(trained.output)
    output = tmp_path / "run"
    output.mkdir()
    (output / "precious.txt").write_text("keep me")

    def failing_write(path, value):
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module, "_write_json", failing_write)
    with pytest.raises(OSError, match="disk full"):
        _save_again(loaded, output, metrics={}, overwrite=True)
    assert [path.name for path in tmp_path.iterdir()] == ["run"]
    assert (output / "precious.txt").read_text() == "keep me"
