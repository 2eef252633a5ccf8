import itertools

import pytest
import torch

from attncli.model import ModelOutput, build_model
from attncli.model.registry import POOLING, POSITIONAL, SCORING
from attncli.model_config import ModelConfig

COMBINATIONS = list(itertools.product(POSITIONAL, SCORING, POOLING))


def _model(**settings) -> torch.nn.Module:
    torch.manual_seed(0)
    config = ModelConfig(
        **{"embed_dim": 16, "num_heads": 2, "ff_dim": 32, "max_length": 12, "segment_length": 4, **settings}
    )
    return build_model(config, vocab_size=50, num_labels=3, pad_id=0).eval()


@pytest.mark.parametrize(("positional", "attention", "pooling"), COMBINATIONS)
def test_padding_never_changes_a_prediction_and_both_paths_agree(positional, attention, pooling):
    model = _model(positional=positional, attention=attention, pooling=pooling, num_layers=2)
    ids = torch.tensor([[5, 6, 7, 0, 0], [8, 9, 10, 11, 12]])
    output = model(ids)
    assert isinstance(output, ModelOutput) and output.logits.shape == (2, 3)
    assert torch.allclose(model(ids[:1, :3]).logits, output.logits[:1], atol=1e-5)
    explicit = model(ids, return_attentions=True)  # every layer through the explicit path
    assert torch.allclose(explicit.logits, output.logits, atol=1e-5)
    extra = int(pooling == "cls")
    assert [a.shape for a in explicit.attentions] == [(2, 2, 5 + extra, 5 + extra)] * 2
    if pooling == "attention":
        assert torch.allclose(output.pooling_weights.sum(-1), torch.ones(2))
        assert torch.equal(output.pooling_weights[0, 3:], torch.zeros(2))
    else:
        assert output.pooling_weights is None


@pytest.mark.parametrize("pooling", list(POOLING))
@pytest.mark.parametrize("layers", [0, 2])
def test_without_positions_predictions_ignore_token_order(pooling, layers):
    if pooling == "cls" and layers == 0:
        pytest.skip("refused by the config")
    model = _model(positional="none", pooling=pooling, num_layers=layers)
    ids = torch.tensor([[5, 6, 7, 8, 9, 10]])
    shuffled = ids[:, torch.tensor([3, 0, 5, 1, 4, 2])]
    assert torch.allclose(model(ids).logits, model(shuffled).logits, atol=1e-5)
    ordered = _model(positional="sinusoidal", pooling=pooling, num_layers=layers)
    assert not torch.allclose(ordered(ids).logits, ordered(shuffled).logits, atol=1e-5)


def test_pretrained_width_is_projected_and_too_long_input_refused():
    model = build_model(
        ModelConfig(embed_dim=8, num_heads=2, max_length=4),
        vocab_size=20,
        num_labels=2,
        pad_id=3,
        token_dim=5,
    )
    assert model.token_embedding.weight.shape == (20, 5) and model.embedding_projection.weight.shape == (8, 5)
    assert model.token_embedding.weight[3].abs().sum() == 0
    assert model(torch.ones(2, 4, dtype=torch.long)).logits.shape == (2, 2)
    with pytest.raises(ValueError, match="takes 4"):
        model(torch.ones(1, 5, dtype=torch.long))
