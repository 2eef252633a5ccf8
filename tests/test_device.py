import pytest
import torch

from attncli.device import autocast, counting_device, resolve_device, resolve_precision
from attncli.errors import ConfigError


def test_devices_and_precisions_resolve_on_the_cpu():
    assert resolve_device("cpu") == torch.device("cpu")
    # Named as the setting, which a config file gives too (it said --precision, --device).
    with pytest.raises(ConfigError, match=r"^precision fp16 \(--precision or train.precision\) needs a CUDA"):
        resolve_precision("fp16", torch.device("cpu"))
    if not torch.cuda.is_available():
        with pytest.raises(
            ConfigError, match=r"^device cuda was asked for \(--device or train.device\), but no"
        ):
            resolve_device("cuda")
    for name in ("gpu", "CPU", "", "cuda:abc"):  # eval, predict, inspect: RuntimeError, exit 1
        with pytest.raises(
            ConfigError, match=f"--device must be one of auto, cpu, cuda, mps or cuda:N, not {name!r}"
        ):
            resolve_device(name)
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            resolve_device("cuda:1")  # a GPU by its number, where there are some
    with autocast(torch.device("cpu"), "bf16"):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16


@pytest.mark.parametrize(("native", "amx"), [(True, True), (True, False), (False, False)])
def test_auto_precision_on_the_cpu_is_bf16_with_amx_and_wide_layers_alone(monkeypatch, native, amx):
    """AVX512-BF16 without AMX trained configs/bbc.yaml 7% faster in bf16 on half as much memory
    again, and the small defaults 40% slower, so auto keeps fp32 there; with AMX only
    self-attention layers of width 256 gained (a trial found the sized defaults 40% slower in bf16
    there); explicit bf16 runs without a warning."""
    from attncli import device
    from attncli.model_config import ModelConfig

    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: native)
    monkeypatch.setattr(device, "cpu_has_amx", lambda: amx)
    cpu = torch.device("cpu")
    wide = ModelConfig(embed_dim=256, num_layers=1)
    assert resolve_precision("auto", cpu, wide) == ("bf16" if amx else "fp32")
    for model in (  # the headlines' and the articles' sized defaults, configs/bbc.yaml's, 256 alone
        ModelConfig(embed_dim=64, num_layers=0),
        ModelConfig(embed_dim=128, num_layers=0),
        ModelConfig(embed_dim=128, num_layers=1),
        ModelConfig(embed_dim=256, num_layers=0),
        None,  # sizes not settled: the name is checked alone
    ):
        assert resolve_precision("auto", cpu, model) == "fp32"
    assert resolve_precision("fp32", cpu) == "fp32"
    assert resolve_precision("bf16", cpu) == "bf16"
    warning = device.precision_warning("bf16", cpu)
    assert (warning is None) == native
    if not native:
        assert "7-10 times for configs/bbc.yaml" in warning and "--precision fp32" in warning
    assert device.precision_warning("fp32", cpu) is None
    with pytest.raises(ConfigError) as refused:  # fp16 needs CUDA: the way out suits this CPU
        resolve_precision("fp16", cpu)
    assert str(refused.value).endswith(
        "use --precision bf16 or fp32" if native else "use --precision fp32 (or auto)"
    )


def test_native_bf16_and_amx_are_read_from_torch_or_cpuinfo(monkeypatch):
    from attncli import device

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True, raising=False)
    monkeypatch.setattr(device, "Path", lambda _: _FakeCpuinfo("flags : fpu avx2 avx512f avx512_bf16"))
    assert device.cpu_has_native_bf16() and not device.cpu_has_amx()
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    assert device.cpu_has_native_bf16()  # the flag alone says so
    monkeypatch.setattr(device, "Path", lambda _: _FakeCpuinfo("flags : fpu avx2 avx512f"))
    assert not device.cpu_has_native_bf16() and not device.cpu_has_amx()
    monkeypatch.setattr(device, "Path", lambda _: _FakeCpuinfo("flags : fpu avx2 amx_bf16 amx_tile"))
    assert device.cpu_has_native_bf16() and device.cpu_has_amx()
    monkeypatch.setattr(device, "Path", lambda _: _FakeCpuinfo("flags : fpu avx2"))
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    assert device.cpu_has_native_bf16() and device.cpu_has_amx()


class _FakeCpuinfo:
    def __init__(self, text):
        self.text = text

    def is_file(self):
        return True

    def read_text(self, errors=None):
        return self.text


def test_float64_sums_of_an_mps_run_are_added_up_on_the_cpu():
    """MPS has no float64: an epoch's sums (exact token counts past 2^24) are kept on the CPU there,
    and on the run's own device elsewhere (NCCL's collectives need CUDA tensors)."""
    import types

    from attncli.distributed import SINGLE_PROCESS
    from attncli.run_writer import epoch_sums

    assert counting_device(torch.device("mps")) == torch.device("cpu")
    assert counting_device(torch.device("cuda", 1)) == torch.device("cuda", 1)
    assert counting_device(torch.device("cpu")) == torch.device("cpu")
    # An MPS run's state: made here on the CPU, which a machine without MPS can hold. Without the
    # CPU in between, torch refuses a float64 tensor on MPS (and, here, any tensor on it).
    state = types.SimpleNamespace(loss_sum=torch.tensor(3.5), tokens_seen=2**24 + 1, padded_tokens=7)
    prepared = types.SimpleNamespace(device=torch.device("mps"), distributed=SINGLE_PROCESS)
    assert epoch_sums(state, prepared) == (3.5, 2**24 + 1, 7)  # type: ignore[arg-type]


def test_a_run_trained_on_one_gpu_resumes_on_cuda_where_that_gpu_is_not(monkeypatch):
    """--resume takes no --device: a run trained on cuda:1 could not resume with CUDA_VISIBLE_DEVICES=1
    (which numbers that GPU 0) or on a machine of one GPU, told to pass the --device it refuses."""
    from attncli.device import device_to_resume_on

    assert device_to_resume_on("cpu") == ("cpu", None)
    # No GPU here: the way out is not the --device that resolve_device names, which --resume refuses
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError) as refused:
        device_to_resume_on("cuda:0")
    assert str(refused.value) == (
        "the run was trained on cuda:0 (train.device), and this machine has no CUDA device: --resume goes "
        "on on the run's device, so resume it where there is one, or start a run of the same settings on "
        "the CPU (attn train --config RUN/last/config.json --device cpu -o NEW)"
    )
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert device_to_resume_on("cuda:1") == ("cuda:1", None)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert device_to_resume_on("cuda:1") == (
        "cuda",
        "note: the run was trained on cuda:1, and this machine has 1 CUDA device: it resumes on cuda:0 "
        "(CUDA_VISIBLE_DEVICES chooses which GPU that is)",
    )
