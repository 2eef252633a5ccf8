import math

import pytest
import torch
import torch.nn.functional as F

from attncli.model.scoring import SCORING, AdditiveScoring, DotScoring, ScaledDotScoring


def test_dot_and_scaled_dot_scores_by_hand():
    q = torch.tensor([1.0, 2.0, 0.0, 1.0]).view(1, 1, 1, 4)
    k = torch.tensor([[2.0, 1.0, 5.0, 0.0], [0.0, 0.0, 0.0, 3.0]]).view(1, 1, 2, 4)
    assert DotScoring(1, 4)(q, k).flatten().tolist() == [4.0, 3.0]
    assert ScaledDotScoring(1, 4)(q, k).flatten().tolist() == [4.0 / 2, 3.0 / 2]  # sqrt(4) = 2


def test_additive_scores_are_v_dot_tanh_of_q_plus_k_per_head():
    torch.manual_seed(0)
    scoring = AdditiveScoring(2, 3)
    q, k = torch.randn(1, 2, 2, 3), torch.randn(1, 2, 4, 3)
    scores = scoring(q, k)
    assert scores.shape == (1, 2, 2, 4)
    for head in range(2):
        for i in range(2):
            for j in range(4):
                expected = torch.dot(scoring.v[head], torch.tanh(q[0, head, i] + k[0, head, j]))
                assert math.isclose(scores[0, head, i, j].item(), expected.item(), abs_tol=1e-6)


def test_additive_scores_gradients_are_those_of_v_dot_tanh():
    # The module computes v·tanh(z) as 2 v·sigmoid(2z) - sum(v); training must see tanh's gradients.
    torch.manual_seed(0)
    scoring = AdditiveScoring(2, 3)
    q = torch.randn(2, 2, 1, 3, requires_grad=True)
    k = torch.randn(2, 2, 5, 3, requires_grad=True)
    weights = torch.randn(2, 2, 1, 5)
    (scoring(q, k) * weights).sum().backward()
    got = (q.grad, k.grad, scoring.v.grad)
    q.grad = k.grad = scoring.v.grad = None
    by_tanh = torch.einsum("bhqkd,hd->bhqk", torch.tanh(q.unsqueeze(-2) + k.unsqueeze(-3)), scoring.v)
    (by_tanh * weights).sum().backward()
    for mine, expected in zip(got, (q.grad, k.grad, scoring.v.grad), strict=True):
        assert torch.allclose(mine, expected, atol=1e-6)


def test_additive_scores_in_half_precision_are_tanhs_own():
    # The sigmoid form rounds its larger intermediate sum more coarsely in bf16: half precision keeps tanh.
    torch.manual_seed(0)
    scoring = AdditiveScoring(2, 8)
    q, k = torch.randn(1, 2, 3, 8, dtype=torch.bfloat16), torch.randn(1, 2, 5, 8, dtype=torch.bfloat16)
    expected = torch.einsum(
        "bhqkd,hd->bhqk", torch.tanh(q.unsqueeze(-2) + k.unsqueeze(-3)), scoring.v.bfloat16()
    )
    assert torch.equal(scoring(q, k), expected)


@pytest.mark.parametrize("kind", ["dot", "scaled_dot"])
def test_fused_scale_makes_torch_kernel_compute_the_same_attention(kind):
    torch.manual_seed(0)
    scoring = SCORING[kind](2, 8)
    q, k, v = (torch.randn(3, 2, 5, 8) for _ in range(3))
    explicit = torch.softmax(scoring(q, k), dim=-1) @ v
    fused = F.scaled_dot_product_attention(q, k, v, scale=scoring.fused_scale)
    assert torch.allclose(explicit, fused, atol=1e-5)


def test_additive_has_no_fused_kernel():
    assert AdditiveScoring(1, 4).fused_scale is None
