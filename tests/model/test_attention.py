import itertools

import pytest
import torch

from attncli.model.attention import MultiHeadSelfAttention
from attncli.model.positional import AttentionPosition
from attncli.model.registry import POSITIONAL, SCORING
from attncli.model_config import ModelConfig

MASK = torch.tensor([[True, True, True, False, False], [True] * 5])


def _attention(positional: str, scoring: str, impl: str) -> MultiHeadSelfAttention:
    config = ModelConfig(embed_dim=16, num_heads=4, positional=positional, attention=scoring)
    kind = POSITIONAL[positional]
    position = kind(config, max_length=8) if issubclass(kind, AttentionPosition) else None
    return MultiHeadSelfAttention(16, 4, scoring=SCORING[scoring](4, 4), position=position, impl=impl)


@pytest.mark.parametrize(("positional", "scoring"), list(itertools.product(POSITIONAL, SCORING)))
def test_fused_and_explicit_paths_agree_and_weights_are_a_softmax_over_real_keys(positional, scoring):
    torch.manual_seed(0)
    fused = _attention(positional, scoring, "fused").eval()
    explicit = _attention(positional, scoring, "explicit").eval()
    explicit.load_state_dict(fused.state_dict())
    x = torch.randn(2, 5, 16)
    fused_out, unasked = fused(x, MASK)
    explicit_out, weights = explicit(x, MASK, need_weights=True)
    # Additive scoring has no fused kernel: it always takes the explicit path.
    assert fused.fused == (unasked is None) == (scoring != "additive")
    assert torch.allclose(fused_out, explicit_out, atol=1e-5)
    assert weights.shape == (2, 4, 5, 5)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 4, 5), atol=1e-6)
    assert torch.equal(weights[0, :, :, 3:], torch.zeros(4, 5, 2))  # padded keys: exactly zero


def test_need_weights_takes_the_explicit_path_with_the_same_output():
    torch.manual_seed(0)
    attention = _attention("alibi", "scaled_dot", "fused").eval()
    x = torch.randn(2, 5, 16)
    assert torch.allclose(attention(x, MASK)[0], attention(x, MASK, need_weights=True)[0], atol=1e-5)


def test_the_fused_kernel_runs_without_cudnns_on_cuda_and_as_torch_picks_elsewhere(monkeypatch):
    """cuDNN's attention builds a plan for each new input shape (docs/gpu.md); the choice is scoped
    to attn's own call, and what was enabled before comes back after it."""
    import attncli.model.attention as attention_module

    backends = torch.backends.cuda
    before = (
        backends.cudnn_sdp_enabled(),
        backends.flash_sdp_enabled(),
        backends.mem_efficient_sdp_enabled(),
    )
    with attention_module.shape_free_kernels(torch.device("cuda", 0)):
        assert not backends.cudnn_sdp_enabled()
        assert (
            backends.flash_sdp_enabled()
            and backends.mem_efficient_sdp_enabled()
            and backends.math_sdp_enabled()
        )
    after = (backends.cudnn_sdp_enabled(), backends.flash_sdp_enabled(), backends.mem_efficient_sdp_enabled())
    assert after == before
    with attention_module.shape_free_kernels(torch.device("cpu")):
        assert backends.cudnn_sdp_enabled() == before[0]
    # The fused path goes through it with the inputs' device.
    seen = []
    plain = attention_module.shape_free_kernels
    monkeypatch.setattr(
        attention_module, "shape_free_kernels", lambda device: seen.append(device) or plain(device)
    )
    _attention("sinusoidal", "scaled_dot", "fused").eval()(torch.randn(2, 5, 16), MASK)
    assert seen == [torch.device("cpu")]


@pytest.mark.parametrize("positional", ["none", "relative", "rope", "alibi"])
def test_padding_does_not_change_real_positions(positional):
    torch.manual_seed(0)
    attention = _attention(positional, "scaled_dot", "fused").eval()
    x = torch.randn(1, 3, 16)
    padded = torch.cat([x, torch.randn(1, 2, 16)], dim=1)
    short, _ = attention(x, torch.ones(1, 3, dtype=torch.bool))
    long, _ = attention(padded, MASK[:1])
    assert torch.allclose(short, long[:, :3], atol=1e-6)


def test_a_bias_shared_by_every_text_is_not_copied_for_each_in_a_batch_without_padding():
    """ALiBi's (H, T, T) penalty is the same for every text: without padding it goes to the kernel as
    (1, H, T, T), not copied for each of the B texts (537 MB at 8 x 2,048 tokens), to the same output."""
    from attncli.model.attention import attention_mask

    bias = torch.randn(4, 5, 5)
    unpadded = attention_mask(torch.ones(3, 1, 1, 5, dtype=torch.bool), bias, torch.float32)
    assert unpadded.shape == (1, 4, 5, 5) and torch.equal(unpadded[0], bias)
    padded = attention_mask(MASK[:, None, None, :], bias, torch.float32)
    assert padded.shape == (2, 4, 5, 5) and torch.isinf(padded[0, :, :, 3:]).all()
    torch.manual_seed(0)
    attention = _attention("alibi", "scaled_dot", "fused").eval()
    x = torch.randn(3, 5, 16)
    full = torch.ones(3, 5, dtype=torch.bool)
    explicit, _ = attention(x, full, need_weights=True)
    assert torch.allclose(attention(x, full)[0], explicit, atol=1e-5)
    # A table made in validation (inference mode) serves a training step of that length: it went
    # to the kernel unbatched, which cannot save an inference tensor for the backward (a review).
    with torch.inference_mode():
        attention(x, full)
    attention.train()
    trained, _ = attention(x.clone().requires_grad_(), full)
    trained.sum().backward()
    assert all(parameter.grad is not None for parameter in attention.parameters())
