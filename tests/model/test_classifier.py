import pytest
import torch

from attncli.config import ModelConfig
from attncli.model import build_model


@pytest.mark.parametrize("positional", ["sinusoidal", "learned", "none"])
@pytest.mark.parametrize("layers", [0, 2])
def test_logits_and_weights_shapes_and_padding_invariance(positional, layers):
    torch.manual_seed(0)
    config = ModelConfig(
        embed_dim=16, num_heads=2, ff_dim=32, num_layers=layers, max_length=12, positional=positional
    )
    model = build_model(config, vocab_size=50, num_labels=3, pad_id=0).eval()
    ids = torch.tensor([[5, 6, 7, 0, 0], [8, 9, 10, 11, 12]])
    logits, weights = model(ids, return_attention=True)
    assert logits.shape == (2, 3) and weights.shape == (2, 5)
    assert torch.allclose(weights.sum(-1), torch.ones(2))
    assert torch.allclose(model(ids[:1, :3]), logits[:1], atol=1e-5)


def test_fused_and_explicit_models_compute_the_same_function():
    config = ModelConfig(embed_dim=16, num_heads=4, ff_dim=32, num_layers=2, max_length=12)
    torch.manual_seed(0)
    fused = build_model(config, vocab_size=50, num_labels=3, pad_id=0).eval()
    explicit = build_model(
        ModelConfig(**{**config.__dict__, "attention_impl": "explicit"}),
        vocab_size=50,
        num_labels=3,
        pad_id=0,
    ).eval()
    explicit.load_state_dict(fused.state_dict())
    ids = torch.tensor([[5, 6, 7, 0], [8, 9, 10, 11]])
    assert torch.allclose(fused(ids), explicit(ids), atol=1e-5)


def test_too_long_input_is_refused_and_padding_row_starts_at_zero():
    model = build_model(
        ModelConfig(embed_dim=8, num_heads=2, max_length=4), vocab_size=20, num_labels=2, pad_id=3
    )
    assert model.token_embedding.weight[3].abs().sum() == 0
    with pytest.raises(ValueError, match="takes 4"):
        model(torch.ones(1, 5, dtype=torch.long))
