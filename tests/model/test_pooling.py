import pytest
import torch

from attncli.model.pooling import AttentionPooling


@pytest.mark.parametrize("scoring", ["scaled_dot", "dot", "additive"])
def test_weights_sum_to_one_over_real_tokens_and_zero_on_padding(scoring):
    torch.manual_seed(0)
    pooling = AttentionPooling(6, scoring=scoring)
    x = torch.randn(2, 4, 6)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    pooled, weights = pooling(x, mask)
    assert pooled.shape == (2, 6)
    assert torch.allclose(weights.sum(-1), torch.ones(2))
    assert weights[0, 2:].abs().sum() == 0
    assert torch.allclose(pooled, torch.einsum("bt,btd->bd", weights, x), atol=1e-6)


def test_scaled_dot_scores_are_dot_scores_over_sqrt_width():
    pooling = AttentionPooling(4, scoring="scaled_dot")
    with torch.no_grad():
        pooling.query.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))
    x = torch.tensor([[[2.0, 0, 0, 0], [0.0, 0, 0, 0]]])
    _, weights = pooling(x, torch.ones(1, 2, dtype=torch.bool))
    expected = torch.softmax(torch.tensor([2.0 / 2, 0.0]), 0)  # sqrt(4) = 2
    assert torch.allclose(weights[0], expected)
