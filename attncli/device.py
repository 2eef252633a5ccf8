"""Choosing the device and the numeric precision, and the autocast context that applies it."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from attncli.config import DEVICES, ONE_GPU, is_device_name
from attncli.errors import ConfigError

if TYPE_CHECKING:
    import torch

    from attncli.model_config import ModelConfig

# The narrowest self-attention layers for which bf16 on a CPU with AMX trains faster than fp32.
CPU_BF16_MIN_WIDTH = 256


def resolve_device(name: str) -> torch.device:
    """`auto` picks cuda, then mps, then cpu; an explicit device must exist."""
    import torch

    if not is_device_name(name):  # torch's words: a RuntimeError
        raise ConfigError(f"--device must be one of {', '.join(DEVICES)} or cuda:N, not {name!r}")
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if name.split(":")[0] == "cuda" and not cuda:
        raise ConfigError(
            f"device {name} was asked for (--device or train.device), but no CUDA device is available; use "
            "--device cpu or auto"
        )
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        raise ConfigError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA devices")
    if name == "mps" and not mps:
        raise ConfigError(
            "device mps was asked for (--device or train.device), but MPS is not available; use --device cpu "
            "or auto"
        )
    return torch.device(name)


def device_to_resume_on(name: str) -> tuple[str, str | None]:
    """The device a run saved with `name` resumes on, and a note where it moves: a run trained on
    cuda:1 resumes on cuda where this machine has no GPU 1 (CUDA_VISIBLE_DEVICES=1 numbers that GPU
    0), since --resume takes no --device."""
    import torch

    kind = name.split(":")[0]
    there = torch.cuda.is_available() if kind == "cuda" else torch.backends.mps.is_available()
    if kind in ("cuda", "mps") and not there:
        # resolve_device's advice, --device cpu, is an option --resume does not take.
        raise ConfigError(
            f"the run was trained on {name} (train.device), and this machine has no "
            f"{'CUDA' if kind == 'cuda' else 'MPS'} device: --resume goes on on the run's device, so "
            "resume it where there is one, or start a run of the same settings on the CPU (attn train "
            "--config RUN/last/config.json --device cpu -o NEW)"
        )
    if not ONE_GPU.fullmatch(name):
        return name, None
    count = torch.cuda.device_count()
    if int(name.split(":")[1]) < count:
        return name, None
    return "cuda", (
        f"note: the run was trained on {name}, and this machine has {count} CUDA "
        f"device{'s' * (count != 1)}: it resumes on cuda:0 (CUDA_VISIBLE_DEVICES chooses which GPU that is)"
    )


def counting_device(device: torch.device) -> torch.device:
    """Where a run's float64 sums (losses, token counts, calibration sums) are added up: on `device`,
    where NCCL's collectives need them, except on MPS, which has no float64 (it refuses the dtype,
    which ended every MPS training at its first validation): there on the CPU. Training on MPS is
    one process, with no collective to take part in."""
    import torch

    return torch.device("cpu") if device.type == "mps" else device


def _cpu_flags() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.read_text(errors="replace").split() if cpuinfo.is_file() else []


def cpu_has_native_bf16() -> bool:
    """True when this CPU multiplies bf16 in hardware (AMX or AVX512-BF16), as torch or
    /proc/cpuinfo tells."""
    if cpu_has_amx():
        return True
    import torch

    probe = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    if probe is not None and probe():
        return True
    return "avx512_bf16" in _cpu_flags()


def cpu_has_amx() -> bool:
    """True when this CPU has AMX tiles for bf16 matrix multiplies, as torch or /proc/cpuinfo tells."""
    import torch

    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    if probe is not None and probe():
        return True
    return "amx_bf16" in _cpu_flags()


def resolve_precision(name: str, device: torch.device, model: ModelConfig | None = None) -> str:
    """`auto` is bf16 on a CUDA device that supports it, else fp16 on CUDA; on the CPU, bf16 where
    the CPU has AMX and `model` (its sizes settled) is wide enough to gain from it, else fp32.

    bf16 pays for its faster multiplies with casts to and from it around every operation and with
    memory for both copies of the activations. On an Intel Xeon with AMX (one epoch of the BBC
    articles, two rounds alternated) it gained only for self-attention layers of width 256: 15.3-15.6
    s against 19.8-21.3 s with one layer (two layers of 256 with a feed-forward of 1,024: 17 s against
    29-30 s), where width 256 without layers took 12.7-12.9 s against 13.5-14.2 s on 1.45 GB against
    0.85 GB, the articles' sized defaults (width 128, no layers) 6.6-7.0 s against 6.1-6.3 s, two
    layers of 128 16.6-17.6 s against 17.4-17.5 s, configs/bbc.yaml 10.5-10.7 s against 9.6-10.2 s on
    1.3 GB against 0.85 GB, and the headlines' defaults 3.2-3.4 s of epochs against 2.3-2.4 s. With
    AVX512-BF16 alone (an AMD EPYC: 415 against 144 GFLOP/s), an epoch of configs/bbc.yaml took
    13.0-13.9 s against 14.0-15.4 s in fp32 on 1.2 GB against 0.8 GB, and the headlines' defaults
    3.6-4.3 s against 2.6-2.7 s. `model` None (its sizes not settled yet) checks the name alone."""
    import torch

    if name == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        if device.type == "cpu" and model is not None and gains_from_cpu_bf16(model) and cpu_has_amx():
            return "bf16"
        return "fp32"
    if name == "fp16" and device.type != "cuda":
        instead = "bf16 or fp32" if device.type != "cpu" or cpu_has_native_bf16() else "fp32 (or auto)"
        raise ConfigError(
            f"precision fp16 (--precision or train.precision) needs a CUDA device, not {device.type}; use "
            f"--precision {instead}"
        )
    if name == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ConfigError("this CUDA device does not support bf16; use --precision fp16 or fp32")
    return name


def gains_from_cpu_bf16(model: ModelConfig) -> bool:
    """Whether `model` has self-attention layers wide enough for bf16 on AMX to pay (above)."""
    return bool(model.num_layers) and (model.embed_dim or 0) >= CPU_BF16_MIN_WIDTH


def precision_warning(precision: str, device: torch.device) -> str | None:
    """What to tell a user who asked for a precision this hardware runs slowly."""
    if precision == "bf16" and device.type == "cpu" and not cpu_has_native_bf16():
        return (
            "this CPU has no native bf16 (no AMX or AVX512-BF16): bf16 training runs slower than fp32 "
            "here (about 1.4 times as long for a model without self-attention layers, 7-10 times for "
            "configs/bbc.yaml's); use --precision fp32 (or auto)"
        )
    return None


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """Mixed precision for the forward pass; weights and optimiser state stay fp32."""
    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def peak_memory_mb(device: torch.device) -> float:
    """The process's peak memory so far: allocated on a CUDA device, resident on the CPU; 0 where
    this system does not tell (Windows, which has no `resource` module)."""
    import sys

    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    try:
        import resource
    except ImportError:
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux, bytes on macOS
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def torch_threads() -> int:
    """torch's intra-op threads in this process, which order the float sums of every step."""
    import torch

    return torch.get_num_threads()
