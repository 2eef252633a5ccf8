"""Training and prediction on a CUDA GPU: mixed precision (fp16 with its grad scaler, bf16), resume,
and DistributedDataParallel over nccl. Marked `gpu` (deselected by default; `pytest -m gpu` runs
them where there is a GPU). scripts/gpu_check.py runs the same paths on BBC News."""

import json

import pytest
from conftest import TINY_MODEL, make_rows, write_csv

from attncli.checkpoint import load_checkpoint
from attncli.config_loading import load_config
from attncli.errors import TrainingInterrupted
from attncli.fit import INTERRUPT_VARIABLE
from attncli.prediction import predict_probabilities
from attncli.train import resume, train

pytestmark = pytest.mark.gpu


@pytest.fixture(autouse=True)
def _needs_cuda():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")


def _config(tmp_path, precision, *extra):
    path = write_csv(tmp_path / "d.csv", make_rows(300, seed=1))
    settings = [*TINY_MODEL, f"data.source={path}", "train.epochs=4", "train.patience=0", "train.device=cuda"]
    return load_config(None, [*settings, "tokenizer.kind=word", f"train.precision={precision}", *extra])


def _state(run):
    return json.loads((run / "last" / "training_state.json").read_text())


@pytest.mark.parametrize("precision", ["fp16", "bf16", "fp32"])
def test_each_precision_trains_the_easy_task_on_the_gpu(tmp_path, precision):
    result = train(_config(tmp_path, precision), output=tmp_path / "run")
    assert result.metrics.device.startswith("cuda") and result.metrics.precision == precision
    assert result.history[-1].validation_accuracy >= 0.9
    scaler = _state(tmp_path / "run")["scaler"]
    # fp16 scales its losses (the scale is saved with last/ for --resume); bf16 and fp32 need not.
    assert bool(scaler) == (precision == "fp16") and (not scaler or scaler["scale"] > 1)


def test_auto_precision_is_bf16_where_the_gpu_has_it(tmp_path):
    import torch

    result = train(_config(tmp_path, "auto"), output=tmp_path / "run")
    assert result.metrics.precision == ("bf16" if torch.cuda.is_bf16_supported() else "fp16")


def test_an_fp16_run_interrupted_and_resumed_on_the_gpu_goes_on_with_its_grad_scaler(tmp_path, monkeypatch):
    """On a GPU the loss is read, and a stop request seen, every 10 steps or at an epoch's end: SIGINT
    after step 30 stops the run at step 34, the end of epoch 2. Its weights agree with a run left
    alone only as closely as two runs left alone do (some CUDA kernels add in a varying order);
    scripts/gpu_check.py checks them to the bit with torch's deterministic kernels."""
    config = _config(tmp_path, "fp16")
    alone = train(config, output=tmp_path / "alone")
    monkeypatch.setenv(INTERRUPT_VARIABLE, "30")
    with pytest.raises(TrainingInterrupted, match="epoch 2, step 17"):
        train(config, output=tmp_path / "resumed")
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    assert _state(tmp_path / "resumed")["global_step"] == 34
    resumed = resume(tmp_path / "resumed")
    assert [record.epoch for record in resumed.history] == [1, 2, 3, 4]
    assert _state(tmp_path / "resumed")["global_step"] == _state(tmp_path / "alone")["global_step"] == 68
    assert _state(tmp_path / "resumed")["scaler"] == _state(tmp_path / "alone")["scaler"]
    accuracies = [run.history[-1].validation_accuracy for run in (alone, resumed)]
    assert accuracies[0] == pytest.approx(accuracies[1], abs=0.05)


def test_a_checkpoint_trained_on_the_gpu_predicts_the_same_on_the_cpu(tmp_path):
    import torch

    train(_config(tmp_path, "fp32"), output=tmp_path / "run")
    texts = [row["text"] for row in make_rows(40, seed=9)]
    on_gpu = predict_probabilities(load_checkpoint(tmp_path / "run", device="cuda"), texts)
    on_cpu = predict_probabilities(load_checkpoint(tmp_path / "run", device="cpu"), texts)
    assert torch.allclose(on_gpu.cpu(), on_cpu, atol=1e-4)


def test_distributed_data_parallel_over_nccl_trains_and_resumes(tmp_path, monkeypatch):
    """One process (nccl refuses two on one GPU) with attn's collectives on, as with several: the
    tokenizer's broadcast, the gathered random states and the all-reduced metrics must all send
    GPU tensors, which is all nccl takes."""
    import torch.distributed as dist

    import attncli.distributed as distributed

    backends = []
    plain_init = dist.init_process_group

    def init(**kwargs):
        plain_init(**kwargs)
        backends.append(dist.get_backend())

    for name, value in {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29563")
    monkeypatch.setattr(distributed, "launched_by_torchrun", lambda: True)
    monkeypatch.setattr(distributed.Distributed, "active", property(lambda self: True))
    monkeypatch.setattr(dist, "init_process_group", init)
    config = _config(tmp_path, "fp16", "train.adversarial=1.0")
    monkeypatch.setenv(INTERRUPT_VARIABLE, "30")
    with pytest.raises(TrainingInterrupted):
        train(config, output=tmp_path / "run")
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    resumed = resume(tmp_path / "run")
    assert backends == ["nccl", "nccl"] and not dist.is_initialized()
    assert resumed.history[-1].validation_accuracy >= 0.9
    assert len(resumed.history) == 4
