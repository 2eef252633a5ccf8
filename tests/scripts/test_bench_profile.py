import pytest
from bench_profile import MemoryProbe, allocator_free_mb, attention_flops, op_class, profiled


def test_ops_are_sorted_into_kinds_of_work():
    assert op_class("aten::_scaled_dot_product_flash_attention_for_cpu") == "attention"
    assert op_class("aten::_scaled_dot_product_flash_attention_for_cpu_backward") == "attention"
    assert op_class("aten::scaled_dot_product_attention") == "other ops"  # the wrapper, not the kernel
    assert op_class("aten::addmm") == "matmul" and op_class("aten::bmm") == "matmul"
    assert op_class("aten::random_") == "random"
    assert op_class("aten::_fused_adamw_") == "optimizer"
    assert op_class("aten::copy_") == "copies"
    assert op_class("aten::gelu") == "other ops"
    # On CUDA the fused kernels wrap inner ones, which must not be counted twice.
    assert op_class("aten::_scaled_dot_product_efficient_attention") == "attention"
    assert op_class("aten::_efficient_attention_forward") == "other ops"
    assert op_class("aten::_flash_attention_forward") == "other ops"


def test_attention_flops_count_both_products_and_twice_for_the_backward():
    q, k, v = [2, 3, 5, 4], [2, 3, 7, 4], [2, 3, 7, 6]
    forward = 2 * 2 * 3 * 5 * 7 * (4 + 6)
    assert attention_flops("aten::_scaled_dot_product_flash_attention_for_cpu", [q, k, v, []]) == forward
    backward = attention_flops("aten::_scaled_dot_product_flash_attention_for_cpu_backward", [q, q, k, v])
    assert backward == 2 * forward


def test_profiled_work_is_split_by_kind_with_its_flops():
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    linear = torch.nn.Linear(16, 24)
    x = torch.randn(2, 10, 16)
    q = k = v = torch.randn(2, 2, 10, 8)

    def work() -> None:
        with torch.inference_mode():
            linear(x)
            F.scaled_dot_product_attention(q, k, v)

    classes, wall = profiled(work)
    assert classes["matmul"]["flops"] == 2 * 20 * 16 * 24  # one addmm of (20, 16) by (16, 24)
    # On the CPU, F.scaled_dot_product_attention runs the fused flash kernel, counted once.
    assert classes["attention"]["seconds"] > 0
    assert classes["attention"]["flops"] == 2 * 2 * 2 * 10 * 10 * (8 + 8)
    assert classes["matmul"]["seconds"] > 0 and classes["random"]["seconds"] == 0
    assert 0 < wall and all(values["seconds"] >= 0 for values in classes.values())


def test_the_memory_probe_sees_the_steps_and_the_peak():
    """The largest resident set between steps is kept: the one with 64 MB held, not the later one.
    Judged against the resident set read beside it, not against `ready` + 64 MB, which a process
    whose malloc already held freed memory (a full suite's worker) does not grow by (CI: 46.6 MB)."""
    from bench_profile import _status_mb

    probe = MemoryProbe()
    probe.start(None)
    held = b"x" * (64 * 2**20)
    holding = _status_mb("VmRSS")
    probe.step(tokens=1, loss=None)
    del held
    probe.step(tokens=1, loss=None)
    summary = probe.summary()
    assert summary["imports_mb"] > 1 and holding > summary["ready_mb"]
    assert summary["between_steps_mb"] >= holding - 1  # the 64 MB held at the first step
    assert summary["peak_mb"] >= summary["between_steps_mb"]


def test_memory_freed_inside_the_heap_counts_as_held_free():
    import ctypes

    before = allocator_free_mb()
    if before is None:
        pytest.skip("not glibc")
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    # 200 blocks of 64 KB, under glibc's mmap threshold, so they come from the heap (from free space
    # malloc already holds, or from new heap above it); the last stays allocated, so the freed ones
    # cannot be trimmed off the top of the heap and stay with malloc: 199 x 64 KB = 12.4 MB.
    blocks = [libc.malloc(64 * 1024) for _ in range(200)]
    allocated = allocator_free_mb()
    for block in blocks[:-1]:
        libc.free(block)
    held = allocator_free_mb()
    libc.free(blocks[-1])
    assert allocated is not None and held is not None and held >= allocated + 12
