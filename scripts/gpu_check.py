"""The checks that need a CUDA GPU, which CI's machines do not have: training in each precision
(fp16 with its grad scaler, bf16, fp32) on BBC News, the attention kernel bf16 takes, a run
interrupted and resumed (to the bit with torch's deterministic kernels), DistributedDataParallel over
nccl, `--nproc` against the GPUs there are, prediction, and the test suite with a GPU in sight.

    python scripts/fetch_bbc_news.py --dest data/bbc_news --headlines data/bbc_headlines
    python scripts/gpu_check.py --out gpu-check      # on a machine with a CUDA GPU

Each check runs the real `attn` command (as `python -m attncli`) in a process of its own and records
what it measured in OUT/gpu_check.json; a check that fails is recorded as such and the others still run.
With one GPU, DistributedDataParallel over nccl runs as one process (nccl refuses two processes on one
GPU), with attn's collectives switched on as if there were several, so that every tensor they send
must be on the GPU, as nccl wants. docs/gpu.md holds the results of the last run."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "bbc_news"
HEADLINES = ROOT / "data" / "bbc_headlines"
# The runs that are interrupted and resumed: 3 epochs in fp16, with its grad scaler, none cut short.
FP16_RUN: list[object] = [
    *("--device", "cuda", "--precision", "fp16"),
    *("--epochs", 3, "--set", "train.patience=0"),
]
# Test-only variable of attncli.fit: SIGINT to the process after this global step.
INTERRUPT_VARIABLE = "ATTN_TEST_INTERRUPT_AT_STEP"

# Setups run before `attn` in a process of its own (_runner). This one: attn's collectives on over a
# one-process nccl group, so that the DistributedDataParallel wrapper, the tokenizer's broadcast, the
# gathered random states and the all-reduced metrics all go through nccl, which takes GPU tensors only.
FORCED_NCCL = """
import os, sys
os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT="29561")
import torch.distributed as dist
import attncli.distributed as distributed
distributed.launched_by_torchrun = lambda: True
distributed.Distributed.active = property(lambda self: True)
plain_init = dist.init_process_group
def init(*args, **kwargs):
    plain_init(*args, **kwargs)
    print("process group backend:", dist.get_backend(), file=sys.stderr, flush=True)
dist.init_process_group = init
"""

# ... with torch's deterministic kernels only (where one has none, it says so and stops).
DETERMINISTIC = """
import os
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
import torch
torch.use_deterministic_algorithms(True)
"""

# ... with torch's own choice of attention kernel, cuDNN's included, as before
# attncli.model.attention.shape_free_kernels.
CUDNN_ATTENTION_ON = """
import contextlib
import attncli.model.attention as attention
attention.shape_free_kernels = lambda device: contextlib.nullcontext()
"""

# What each of those programs runs after its setup: `attn` with the program's arguments.
THEN_ATTN = """
import sys
from attncli.cli import main
sys.argv = ["attn", *sys.argv[1:]]
main()
"""


def attn(*arguments: object, env: dict[str, str] | None = None, timeout: float = 150) -> dict[str, Any]:
    """One `attn` command as a process of its own: exit code, wall time, output."""
    command = [sys.executable, "-m", "attncli", *map(str, arguments)]
    return _process(command, env=env, timeout=timeout)


def _process(command: list[str], *, env: dict[str, str] | None, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}, cwd=ROOT
    )
    return {
        "command": " ".join(command[2:] if command[1] == "-m" else command[1:3]),
        "exit_code": done.returncode,
        "wall_seconds": round(time.perf_counter() - started, 2),
        "stdout": done.stdout,
        "stderr_tail": done.stderr[-1500:],
    }


def _json_of(result: dict[str, Any]) -> dict[str, Any]:
    if result["exit_code"] != 0:
        raise RuntimeError(f"{result['command']} exited {result['exit_code']}: {result['stderr_tail']}")
    return json.loads(result["stdout"])


def trained(
    run: Path, *arguments: object, data: Path = ARTICLES, runner: Callable[..., dict[str, Any]] | None = None
) -> dict[str, Any]:
    """`attn train` then `attn eval` on the test split: what the run reached and what it took."""
    training = (runner or attn)("train", data, "-o", run, "--overwrite", "--json", *arguments)
    summary = _json_of(training)
    evaluated = _json_of(attn("eval", run, data / "test.jsonl", "--json"))
    speeds = [record["tokens_per_second"] for record in summary["history"]]
    return {
        "arguments": " ".join(map(str, arguments)),
        "device": summary["device"],
        "precision": summary["precision"],
        "test_accuracy": evaluated["accuracy"],
        "test_macro_f1": evaluated["macro_f1"],
        "ece": evaluated["ece"],
        "temperature": evaluated["temperature"],
        "best_epoch": summary["best_epoch"],
        "epochs": len(summary["history"]),
        "stop_reason": summary["stop_reason"],
        "train_seconds": round(summary["train_seconds"], 2),
        "command_seconds": training["wall_seconds"],
        "median_tokens_per_second": round(statistics.median(speeds)),
        "epoch_seconds": [round(record["seconds"], 2) for record in summary["history"]],
        "peak_memory_mb": round(summary["peak_memory_mb"], 1),
    }


def check_environment(work: Path) -> dict[str, Any]:
    from importlib import metadata

    import torch

    versions = {}
    for name in ("datasets", "pyarrow", "tokenizers", "typer", "rich", "safetensors"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # recorded: the checks below say what it breaks
            versions[name] = "not installed"
    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
        "bf16_supported": torch.cuda.is_available() and torch.cuda.is_bf16_supported(),
        "versions": versions,
    }


def check_gpu_tests(work: Path) -> dict[str, Any]:
    """tests/test_gpu.py, the suite's tests marked gpu."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "gpu"]
    command.append("tests/test_gpu.py")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    return {"exit_code": done.returncode, "tail": done.stdout[-3000:]}


def check_precisions(work: Path) -> dict[str, Any]:
    """The sized defaults and configs/bbc.yaml (self-attention blocks) in each precision; `auto`
    must pick bf16 on a GPU that has it."""
    runs = {}
    for config, name in ((None, "defaults"), (ROOT / "configs" / "bbc.yaml", "bbc.yaml")):
        for precision in ("fp32", "auto" if config is None else "bf16", "fp16"):
            given = ["-c", config] if config else []
            runs[f"{name} {precision}"] = trained(
                work / f"{name}-{precision}",
                *given,
                "--device",
                "cuda",
                "--precision",
                precision,
                "--seed",
                0,
            )
    return runs


def _weights(run: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(run / "model.safetensors"))


def _compare(alone: Path, resumed: Path) -> dict[str, Any]:
    a, b = _weights(alone), _weights(resumed)
    differences = [float((a[name].float() - b[name].float()).abs().max()) for name in a]
    return {
        "bit_identical": all(a[name].equal(b[name]) for name in a),
        "max_abs_difference": max(differences),
    }


def _scaler(run: Path) -> Any:
    return json.loads((run / "last" / "training_state.json").read_text()).get("scaler")


def _interrupted_and_resumed(
    work: Path,
    name: str,
    arguments: list[object],
    *,
    at_step: int,
    runner: Callable[..., dict[str, Any]],
    data: Path = ARTICLES,
) -> dict[str, Any]:
    alone, resumed = work / f"{name}-alone", work / f"{name}-resumed"
    first = runner("train", data, "-o", alone, "--overwrite", *arguments)
    stopped = runner(
        "train", data, "-o", resumed, "--overwrite", *arguments, env={INTERRUPT_VARIABLE: str(at_step)}
    )
    again = runner("train", "--resume", resumed)
    outcome: dict[str, Any] = {
        "exit_codes": {
            "alone": first["exit_code"],
            "interrupted": stopped["exit_code"],
            "resumed": again["exit_code"],
        },
        "interrupted_stderr_tail": stopped["stderr_tail"][-400:],
    }
    if first["exit_code"] == 0 and again["exit_code"] == 0:
        outcome["last"] = _compare(alone / "last", resumed / "last")
        outcome["scaler"] = {"alone": _scaler(alone), "resumed": _scaler(resumed)}
        outcome["resumed_test"] = _json_of(runner("eval", resumed, data / "test.jsonl", "--json"))["accuracy"]
    else:
        outcome["stderr_tail"] = (first["stderr_tail"] + again["stderr_tail"])[-1500:]
    return outcome


def check_resume(work: Path) -> dict[str, Any]:
    """fp16 (the grad scaler's state goes with last/) stopped by SIGINT in epoch 2 and resumed, against
    the same run left alone. On a GPU some kernels add in a varying order (the embedding's gradient),
    so the two agree closely rather than to the bit unless torch is made deterministic."""
    return _interrupted_and_resumed(work, "resume-fp16", FP16_RUN, at_step=70, runner=attn)


def _runner(setup: str) -> Callable[..., dict[str, Any]]:
    """`attn` as a process of its own, after `setup` (Python) has run in it."""
    program = setup + THEN_ATTN

    def run(*arguments: object, env: dict[str, str] | None = None, timeout: float = 150) -> dict[str, Any]:
        return _process([sys.executable, "-c", program, *map(str, arguments)], env=env, timeout=timeout)

    return run


def check_attention_kernels(work: Path) -> dict[str, Any]:
    """configs/bbc.yaml (a self-attention block over up to 512 tokens) in bf16 with cuDNN's attention
    kernel off (attn's choice) and on, and in fp32, one after another."""
    config = ["-c", ROOT / "configs" / "bbc.yaml", "--device", "cuda", "--seed", 0]
    return {
        "bf16, cuDNN attention off": trained(work / "kernels-off", *config, "--precision", "bf16"),
        "bf16, cuDNN attention on": trained(
            work / "kernels-on", *config, "--precision", "bf16", runner=_runner(CUDNN_ATTENTION_ON)
        ),
        "fp32": trained(work / "kernels-fp32", *config, "--precision", "fp32"),
    }


def check_determinism(work: Path) -> dict[str, Any]:
    """Two runs of the same command left alone, compared; then, with torch's deterministic kernels,
    a run interrupted and resumed against one left alone, which must then agree to the bit."""
    runs = [work / "again-1", work / "again-2"]
    for run in runs:
        attn("train", HEADLINES, "-o", run, "--overwrite", *FP16_RUN)
    plain = _compare(runs[0] / "last", runs[1] / "last")
    exact = _interrupted_and_resumed(
        work, "deterministic", FP16_RUN, at_step=70, runner=_runner(DETERMINISTIC), data=HEADLINES
    )
    return {"two runs left alone": plain, "deterministic kernels, interrupted and resumed": exact}


forced_nccl = _runner(FORCED_NCCL)


def check_nccl(work: Path) -> dict[str, Any]:
    """DistributedDataParallel over nccl, one process: trained, interrupted and resumed."""
    outcome = _interrupted_and_resumed(work, "nccl", FP16_RUN, at_step=70, runner=forced_nccl)
    log = forced_nccl(
        "train", HEADLINES, "-o", work / "nccl-backend", "--overwrite", "--epochs", 1, "--device", "cuda"
    )
    outcome["backend_line"] = [line for line in log["stderr_tail"].splitlines() if "backend" in line]
    outcome["backend_run_exit_code"] = log["exit_code"]
    return outcome


def check_nproc(work: Path) -> dict[str, Any]:
    """`--nproc` with as many processes as GPUs, and with more (what a user with one GPU is told), and
    CPU processes (gloo) on a machine that has a GPU."""
    import torch

    gpus = torch.cuda.device_count()
    outcome = {}
    for nproc, device in ((gpus, "cuda"), (gpus + 1, "cuda"), (2, "cpu")):
        if nproc < 2:
            continue
        result = attn("train", HEADLINES, "-o", work / f"nproc{nproc}-{device}", "--overwrite", "--epochs", 1,
                      "--nproc", nproc, "--device", device, timeout=240)  # fmt: skip
        outcome[f"--nproc {nproc} --device {device}"] = {
            "exit_code": result["exit_code"],
            "wall_seconds": result["wall_seconds"],
            "stderr_tail": result["stderr_tail"][-600:],
        }
    return outcome


def check_prediction(work: Path) -> dict[str, Any]:
    """predict on the GPU: one text as a new process, and the 444 test articles from a file."""
    run = work / "defaults-fp32"
    if not (run / "best").is_dir():
        raise RuntimeError("no defaults-fp32 run to predict with (check_precisions failed)")
    one = attn("predict", run, "the bank raised interest rates", "--device", "cuda", "--json")
    many = attn("predict", run, "--file", ARTICLES / "test.jsonl", "--device", "cuda", "--format", "jsonl")
    rows = [json.loads(line) for line in many["stdout"].splitlines()]
    return {
        "one_text": {
            "exit_code": one["exit_code"],
            "wall_seconds": one["wall_seconds"],
            "output": one["stdout"][:300],
        },
        "test_file": {
            "exit_code": many["exit_code"],
            "wall_seconds": many["wall_seconds"],
            "rows": len(rows),
        },
    }


def check_tests(out: Path, seconds: float) -> dict[str, Any]:
    """The test suite on a machine that has a GPU (--device auto then picks it)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    try:
        import xdist  # noqa: F401

        command += ["-n", str(min(8, os.cpu_count() or 1))]
    except ImportError:
        pass
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds, cwd=ROOT)
        tail, code = done.stdout[-6000:], done.returncode
    except subprocess.TimeoutExpired as expired:
        printed = expired.stdout.decode() if isinstance(expired.stdout, bytes) else expired.stdout or ""
        tail, code = printed[-6000:], "timed out"
    (out / "pytest.log").write_text(tail)
    return {"exit_code": code, "summary": tail.strip().splitlines()[-1] if tail.strip() else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for gpu_check.json and pytest.log")
    parser.add_argument("--work", type=Path, default=Path("/tmp/attn-gpu-check"), help="folder for the runs")
    parser.add_argument("--budget", type=float, default=420, help="seconds for all the checks")
    parser.add_argument("--only", nargs="*", help="names of the checks to run (all by default)")
    options = parser.parse_args()
    started = time.perf_counter()
    work = options.work
    work.mkdir(parents=True, exist_ok=True)
    options.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    checks: dict[str, Callable[[Path], dict[str, Any]]] = {
        "environment": check_environment,
        "attention_kernels": check_attention_kernels,
        "determinism": check_determinism,
        "nproc": check_nproc,
        "gpu_tests": check_gpu_tests,
        "precisions": check_precisions,
        "nccl": check_nccl,
        "resume": check_resume,
        "prediction": check_prediction,
    }
    results: dict[str, Any] = {}
    for name, check in checks.items():
        if options.only and name not in options.only:
            continue
        began = time.perf_counter()
        try:
            results[name] = check(work)
        except Exception:
            results[name] = {"failed": traceback.format_exc()[-2000:]}
        results[name + "_seconds"] = round(time.perf_counter() - began, 1)
        print(f"{name}: {json.dumps(results[name])[:3000]}", flush=True)
        (options.out / "gpu_check.json").write_text(json.dumps(results, indent=2))
    left = options.budget - (time.perf_counter() - started)
    if (not options.only or "tests" in options.only) and left > 30:
        results["tests"] = check_tests(options.out, left - 10)
        print(f"tests: {results['tests']}", flush=True)
    (options.out / "gpu_check.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
