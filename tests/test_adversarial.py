import pytest
import torch
import torch.nn.functional as F

from attncli.adversarial import adversarial_shift, embedding_shift
from attncli.model import build_model
from attncli.model_config import ModelConfig


def _model(**settings) -> torch.nn.Module:
    torch.manual_seed(0)
    config = ModelConfig(**{"embed_dim": 16, "num_layers": 0, "max_length": 12, "dropout": 0.0, **settings})
    return build_model(config, vocab_size=50, num_labels=3, pad_id=0)


def test_the_shift_follows_the_gradient_at_epsilon_times_the_texts_typical_token_length():
    embeddings = torch.zeros(2, 3, 4)
    embeddings[0, 0, 0], embeddings[0, 1, 1] = 3.0, 4.0  # token lengths 3 and 4, then padding
    embeddings[1] = 2.0  # three tokens of length 4
    real = torch.tensor([[True, True, False], [True, True, True]])
    gradient = torch.randn(2, 3, 4)
    gradient[1] = 0.0  # a text the loss does not depend on moves nowhere
    shift = adversarial_shift(gradient, embeddings, real, epsilon=0.5)
    typical = (((3.0**2 + 4.0**2) / 2) ** 0.5, 4.0)
    assert shift[0].norm().item() == pytest.approx(0.5 * typical[0], rel=1e-5)
    assert torch.equal(shift[0, 2], torch.zeros(4))  # none on padding
    assert torch.equal(shift[1], torch.zeros(3, 4))
    direction = gradient[0, :2].flatten()
    assert F.cosine_similarity(shift[0, :2].flatten(), direction, dim=0).item() == pytest.approx(1.0)
    assert typical[1] == pytest.approx(
        adversarial_shift(torch.ones(2, 3, 4), embeddings, real, epsilon=1.0)[1].norm().item()
    )


def test_the_shift_raises_the_loss_more_than_a_random_move_and_leaves_the_weights_gradients_alone():
    model = _model()
    ids = torch.tensor([[5, 6, 7, 0], [8, 9, 10, 11], [12, 13, 0, 0]])
    targets = torch.tensor([0, 1, 2])
    shift = embedding_shift(
        model, ids, targets, epsilon=0.3, pad_id=0, class_weights=None, label_smoothing=0.0
    )
    assert all(parameter.grad is None for parameter in model.parameters())
    with torch.no_grad():
        embeddings = model.embed(ids)
        loss = F.cross_entropy(model(ids).logits, targets).item()
        moved = F.cross_entropy(model(ids, embedding_shift=shift).logits, targets).item()
        generator = torch.Generator().manual_seed(0)
        random_losses = []
        for _ in range(20):
            noise = torch.randn(shift.shape, generator=generator)
            noise = adversarial_shift(noise, embeddings, ids != 0, epsilon=0.3)
            random_losses.append(F.cross_entropy(model(ids, embedding_shift=noise).logits, targets).item())
    assert moved > loss and moved > max(random_losses)
    for text, length in enumerate((3, 4, 2)):  # each text moved by 0.3 of its typical token length
        typical = embeddings[text, :length].pow(2).sum(-1).mean().sqrt()
        assert shift[text].norm().item() == pytest.approx(0.3 * typical.item(), rel=1e-4)
