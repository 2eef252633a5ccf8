import torch

from attncli.model.attention import MultiHeadSelfAttention, explicit_attention, fused_attention


def test_fused_and_explicit_kernels_agree_with_padding():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 4) for _ in range(3))
    mask = torch.tensor([[True, True, True, False, False], [True] * 5])[:, None, None, :]
    assert torch.allclose(
        fused_attention(q, k, v, mask, 0.0), explicit_attention(q, k, v, mask, 0.0), atol=1e-5
    )


def test_explicit_attention_is_softmax_of_scaled_scores():
    q = torch.tensor([[[[1.0, 0.0]]]])  # (B=1, H=1, T=1, hd=2)
    k = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
    v = torch.tensor([[[[10.0, 0.0], [0.0, 10.0]]]])
    mask = torch.tensor([True, True])[None, None, None, :]
    first = torch.softmax(torch.tensor([1 / 2**0.5, 0.0]), 0)
    expected = first[0] * v[0, 0, 0] + first[1] * v[0, 0, 1]
    assert torch.allclose(explicit_attention(q, k, v, mask, 0.0)[0, 0, 0], expected)


def test_padding_does_not_change_real_positions():
    torch.manual_seed(0)
    attention = MultiHeadSelfAttention(8, 2, dropout=0.0).eval()
    x = torch.randn(1, 3, 8)
    padded = torch.cat([x, torch.randn(1, 2, 8)], dim=1)
    short = attention(x, torch.ones(1, 3, dtype=torch.bool))
    long = attention(padded, torch.tensor([[True, True, True, False, False]]))
    assert torch.allclose(short, long[:, :3], atol=1e-6)
