import pytest
from bench_profile import MemoryProbe, attention_flops, op_class, profiled


def test_ops_are_sorted_into_kinds_of_work():
    assert op_class("aten::_scaled_dot_product_flash_attention_for_cpu") == "attention"
    assert op_class("aten::_scaled_dot_product_flash_attention_for_cpu_backward") == "attention"
    assert op_class("aten::scaled_dot_product_attention") == "other ops"  # the wrapper, not the kernel
    assert op_class("aten::addmm") == "matmul" and op_class("aten::bmm") == "matmul"
    assert op_class("aten::random_") == "random"
    assert op_class("aten::_fused_adamw_") == "optimizer"
    assert op_class("aten::copy_") == "copies"
    assert op_class("aten::gelu") == "other ops"


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
    if classes["attention"]["seconds"] > 0:  # the CPU build's fused kernel ran
        assert classes["attention"]["flops"] == 2 * 2 * 2 * 10 * 10 * (8 + 8)
    assert sum(values["seconds"] for values in classes.values()) == pytest.approx(wall, rel=0.05)
    assert all(values["seconds"] >= 0 for values in classes.values())


def test_the_memory_probe_sees_the_steps_and_the_peak():
    probe = MemoryProbe()
    probe.start(None)
    held = b"x" * (64 * 2**20)
    probe.step(tokens=1, loss=None)
    del held
    probe.step(tokens=1, loss=None)
    summary = probe.summary()
    assert summary["imports_mb"] > 1
    assert summary["between_steps_mb"] >= summary["ready_mb"] + 50  # the 64 MB held at the first step
    assert summary["peak_mb"] >= summary["between_steps_mb"]
    assert summary["allocator_free_mb"] is None or summary["allocator_free_mb"] >= 0
