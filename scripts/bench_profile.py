"""Where the time of attn's training steps and of its batch prediction goes, by kind of work.

torch.profiler's op self-times are grouped into classes: the fused attention kernels, the matrix
multiplies, random numbers (dropout), the optimizer, copies, and the other tensor operations; what no op
accounts for is Python and the data path. Each class's FLOPs come from its ops' shapes (attention) or
the profiler's own count (matrix multiplies), so the benchmark can say how fast each kernel ran against
the torch.mm peak of the same run, and how far the rest of the step keeps the whole from that rate.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attncli.reporter import SilentReporter

if TYPE_CHECKING:
    from attncli.checkpoint import LoadedCheckpoint
    from attncli.config import Config
    from attncli.reporter import RunInfo

MATMUL_OPS = frozenset({"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::addbmm"})
RANDOM_OPS = frozenset({"aten::random_", "aten::bernoulli_", "aten::uniform_", "aten::normal_"})
COPY_OPS = frozenset({"aten::copy_", "aten::cat", "aten::clone", "aten::stack", "aten::_to_copy"})
# The kernels behind F.scaled_dot_product_attention, by exact name: its own event is a wrapper around
# one of them, and on CUDA these wrap inner kernels (`_flash_attention_forward`, ...) that must not be
# counted again. Every one takes grad_out (backward only), then q, k, v as (B, H, L, E).
ATTENTION_KERNELS = frozenset(
    f"aten::_scaled_dot_product_{kind}{suffix}"
    for kind in ("flash_attention_for_cpu", "flash_attention", "efficient_attention", "cudnn_attention")
    for suffix in ("", "_backward")
)
CLASSES = ("attention", "matmul", "random", "optimizer", "copies", "other ops", "outside ops")


def op_class(name: str) -> str:
    """The class of work a profiler event of this name does."""
    if name in ATTENTION_KERNELS:
        return "attention"
    if name in MATMUL_OPS:
        return "matmul"
    if name in RANDOM_OPS:
        return "random"
    if "adam" in name.lower():
        return "optimizer"
    if name in COPY_OPS:
        return "copies"
    return "other ops"  # element-wise, normalisation, embeddings, loss, and autograd's own bookkeeping


def attention_flops(name: str, shapes: list[list[int]]) -> float:
    """Model FLOPs of one fused attention call: 2 B H L S (E + Ev) for QK^T and the weighted sum of V,
    twice that for the backward. The forward's inputs begin q, k, v; the backward's grad_out, q, k, v."""
    backward = name.endswith("_backward")
    query, key, value = shapes[1:4] if backward else shapes[0:3]
    batch, heads, length, width = query
    source = key[2]
    forward = 2.0 * batch * heads * length * source * (width + value[3])
    return 2 * forward if backward else forward


def seconds_by_class(events: Any, wall_s: float) -> dict[str, float]:
    """Self seconds per class from `profile.key_averages()`; the time no op accounts for is 'outside
    ops'."""
    seconds = dict.fromkeys(CLASSES, 0.0)
    for event in events:
        seconds[op_class(event.key)] += event.self_cpu_time_total / 1e6
    seconds["outside ops"] = max(wall_s - sum(seconds.values()), 0.0)
    return seconds


def flops_by_class(events: Any) -> dict[str, float]:
    """FLOPs of the attention kernels and matrix multiplies, from
    `profile.key_averages(group_by_input_shape=True)` of a run that recorded shapes and FLOPs."""
    flops = dict.fromkeys(CLASSES, 0.0)
    for event in events:
        kind = op_class(event.key)
        if kind == "attention":
            flops[kind] += event.count * attention_flops(event.key, event.input_shapes)
        elif kind == "matmul":
            flops[kind] += float(event.flops or 0)
    return flops


def profiled(work: Callable[[], Any]) -> tuple[dict[str, dict[str, float]], float]:
    """Seconds and FLOPs per class of `work`, and its wall seconds. `work` runs twice under the
    profiler: once plain, for the times, and once recording shapes, for the FLOPs (recording shapes
    slows the small ops, which would skew the times). It must do the same operations on the same
    shapes both times."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as timed:
        started = time.perf_counter()
        work()
        wall = time.perf_counter() - started
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, with_flops=True) as counted:
        work()
    seconds = seconds_by_class(timed.key_averages(), wall)
    flops = flops_by_class(counted.key_averages(group_by_input_shape=True))
    return {name: {"seconds": seconds[name], "flops": flops[name]} for name in CLASSES}, wall


def profile_training(config: Config, steps: int = 20) -> dict[str, Any]:
    """`steps` training steps of `config`'s model on its data (after 3 unprofiled warm-up steps), in
    the order the first epoch plans them: the breakdown, wall seconds and real tokens seen."""
    from attncli.batching import plan_batches
    from attncli.fit import train_step
    from attncli.fresh_state import build_state
    from attncli.prepare import prepare

    prepared = prepare(config, reporter=SilentReporter())
    state, _ = build_state(prepared, reporter=SilentReporter())
    batches = list(
        plan_batches(prepared.train_lengths, batch_size=config.train.batch_size, generator=state.generator)
    )
    warm_up, measured = batches[:3], batches[3 : 3 + steps]
    state.model.train()
    for rows in warm_up:
        train_step(state, prepared, rows, None)

    def run_steps() -> None:
        for rows in measured:
            train_step(state, prepared, rows, None)

    classes, wall = profiled(run_steps)
    tokens = sum(int(prepared.train_lengths[rows].sum()) for rows in measured)
    return {"steps": len(measured), "wall_s": wall, "tokens": tokens, "classes": classes}


def profile_prediction(checkpoint: LoadedCheckpoint, texts: list[str]) -> dict[str, Any]:
    """Batch prediction of `texts` as `predict` runs it, in two parts: tokenization (timed alone) and
    the batched forward passes (profiled)."""
    from attncli.inference import batched_forward
    from attncli.tokenization import token_ids

    max_length = checkpoint.config.model.length
    started = time.perf_counter()
    truncation = checkpoint.config.model.truncation
    encoded = [
        ids for ids, _ in token_ids(checkpoint.tokenizer, texts, max_length=max_length, truncation=truncation)
    ]
    tokenize_s = time.perf_counter() - started

    def forward() -> None:
        batched_forward(
            checkpoint.model, encoded, pad_id=checkpoint.pad_id, batch_size=64, device=checkpoint.device
        )

    forward()  # warm-up
    classes, wall = profiled(forward)
    return {"documents": len(texts), "tokenize_s": tokenize_s, "wall_s": wall, "classes": classes}


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


@functools.cache
def _mallinfo2() -> Callable[[], Any] | None:
    """glibc's mallinfo2, bound once (the probe calls it after steps of a timed run); None off glibc."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_size_t)
            for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                         "fordblks", "keepcost")
        ]  # fmt: skip

    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = MallInfo2
    return mallinfo2  # type: ignore[no-any-return]


def allocator_free_mb() -> float | None:
    """Memory glibc's malloc holds free for reuse (mallinfo2's fordblks, over every arena), in MB;
    None off glibc."""
    mallinfo2 = _mallinfo2()
    return mallinfo2().fordblks / 2**20 if mallinfo2 is not None else None


class MemoryProbe(SilentReporter):
    """A training reporter that says nothing and notes the process's resident memory as the run goes:
    when it is made (after the imports), at `start` (data, tokenizer, token ids, model and optimizer
    ready, no step yet), and after every step, keeping the largest resident set between steps and how
    much of it glibc held free at that moment. The peak within a step is VmHWM at the end."""

    def __init__(self) -> None:
        self.imports_mb = _status_mb("VmRSS")
        self.ready_mb = 0.0
        self.between_steps_mb = 0.0
        self.allocator_free_mb: float | None = None

    def start(self, info: RunInfo) -> None:
        self.ready_mb = _status_mb("VmRSS")

    def step(self, *, tokens: int, loss: float | None) -> None:
        resident = _status_mb("VmRSS")
        if resident > self.between_steps_mb:
            self.between_steps_mb, self.allocator_free_mb = resident, allocator_free_mb()

    def summary(self) -> dict[str, float | None]:
        return {
            "imports_mb": self.imports_mb,
            "ready_mb": self.ready_mb,
            "between_steps_mb": self.between_steps_mb,
            "allocator_free_mb": self.allocator_free_mb,
            # The kernel updates VmHWM lazily: it can trail a resident set read just before.
            "peak_mb": max(_status_mb("VmHWM"), self.between_steps_mb),
        }
