"""A prepared run's fresh model and optimizer state."""


def test_adamw_takes_its_fused_kernel_on_the_cpu_from_torch_2_4(monkeypatch):
    import torch

    from attncli.fresh_state import _fused_optimizer

    cpu = torch.device("cpu")
    monkeypatch.setattr(torch, "__version__", "2.3.1+cpu")
    assert not _fused_optimizer(cpu)
    monkeypatch.setattr(torch, "__version__", "2.13.0+cpu")
    assert _fused_optimizer(cpu) and _fused_optimizer(torch.device("cuda"))
    assert not _fused_optimizer(torch.device("mps"))
