import torch

from attncli.model.dropout import Dropout


def test_dropout_zeroes_about_p_and_keeps_the_expectation():
    torch.manual_seed(0)
    dropout = Dropout(0.3).train()
    x = torch.ones(200_000)
    out = dropout(x)
    assert abs((out == 0).float().mean().item() - 0.3) < 0.01
    assert torch.allclose(out[out != 0], torch.full_like(out[out != 0], 1 / 0.7))
    assert abs(out.mean().item() - 1.0) < 0.01


def test_dropout_is_identity_in_eval_mode_and_passes_gradients():
    dropout = Dropout(0.5)
    x = torch.randn(10, requires_grad=True)
    assert torch.equal(dropout.eval()(x), x)
    dropout.train()(x).sum().backward()
    assert set(x.grad.unique().tolist()) <= {0.0, 2.0}
