import pytest
import torch

from attncli.model.pooling import AttentionPooling, ClsPooling, MaxPooling, MeanPooling
from attncli.model_config import ModelConfig

MASK = torch.tensor([[True, True, False, False], [True, True, True, True]])


@pytest.mark.parametrize("scoring", ["scaled_dot", "dot", "additive"])
@pytest.mark.parametrize("heads", [1, 3])
def test_attention_pooling_weights_sum_to_one_and_each_head_sums_its_slice(scoring, heads):
    torch.manual_seed(0)
    pooling = AttentionPooling(ModelConfig(embed_dim=6, num_heads=3, attention=scoring, pooling_heads=heads))
    x = torch.randn(2, 4, 6)
    pooled, weights = pooling(x, MASK)
    head_weights = pooling.head_weights(x, MASK)  # (B, H, T)
    assert pooled.shape == (2, 6) and head_weights.shape == (2, heads, 4)
    assert torch.allclose(head_weights.sum(-1), torch.ones(2, heads))
    assert torch.equal(weights[:, :, 2:][0], torch.zeros(heads, 2)) and torch.equal(weights, head_weights)
    width = 6 // heads
    for head in range(heads):
        expected = torch.einsum(
            "bt,btd->bd", head_weights[:, head], x[..., head * width : (head + 1) * width]
        )
        assert torch.allclose(pooled[:, head * width : (head + 1) * width], expected, atol=1e-6)


def test_single_head_scaled_dot_pooling_by_hand():
    pooling = AttentionPooling(ModelConfig(embed_dim=4, num_heads=1, attention="scaled_dot"))
    with torch.no_grad():
        pooling.key.weight.copy_(torch.eye(4))
        pooling.key.bias.zero_()
        pooling.query.copy_(torch.tensor([[1.0, 0.0, 0.0, 0.0]]))
    x = torch.tensor([[[2.0, 0, 0, 0], [0.0, 0, 0, 0]]])
    _, weights = pooling(x, torch.ones(1, 2, dtype=torch.bool))
    assert torch.allclose(weights[0, 0], torch.softmax(torch.tensor([2.0 / 2, 0.0]), 0))  # sqrt(4) = 2


def test_mean_max_and_cls_ignore_padding():
    x = torch.tensor([[[1.0, -5.0], [3.0, -1.0], [100.0, 100.0], [100.0, 100.0]]]).expand(2, 4, 2)
    config = ModelConfig(embed_dim=2, num_heads=1)
    assert MeanPooling(config)(x, MASK)[0][0].tolist() == [2.0, -3.0]
    assert MaxPooling(config)(x, MASK)[0][0].tolist() == [3.0, -1.0]
    assert ClsPooling(config)(x, MASK)[0][0].tolist() == [1.0, -5.0]
    assert MeanPooling(config)(x, MASK)[1] is None and ClsPooling.uses_cls_token
