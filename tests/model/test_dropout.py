import torch

from attncli.model.dropout import Dropout, keep_mask


def test_dropout_zeroes_about_p_and_keeps_the_expectation():
    torch.manual_seed(0)
    dropout = Dropout(0.3).train()
    x = torch.ones(200_000)
    out = dropout(x)
    assert abs((out == 0).float().mean().item() - 0.3) < 0.01
    assert torch.allclose(out[out != 0], torch.full_like(out[out != 0], 1 / 0.7))
    assert abs(out.mean().item() - 1.0) < 0.01


def test_dropout_is_identity_in_eval_mode_and_passes_gradients():
    torch.manual_seed(0)
    dropout = Dropout(0.5)
    x = torch.randn(1000, requires_grad=True)
    assert torch.equal(dropout.eval()(x), x)
    out = dropout.train()(x)
    out.sum().backward()
    assert set(x.grad.unique().tolist()) == {0.0, 2.0}  # dropped, or kept and scaled by 1 / (1 - p)
    assert torch.equal(x.grad == 2.0, out != 0)  # the gradient flows where the value was kept


def test_the_mask_drops_p_in_every_bit_field_of_a_draw_for_any_p_and_shape():
    """Four 16-bit fields come from each 64-bit draw: a draw whose sign bit is always 0 (plain
    random_()) would drop about 3 in 5 of every fourth element at p = 0.3."""
    torch.manual_seed(0)
    for p in (0.001, 0.1, 0.3, 0.5, 0.9):
        keep, keep_probability = keep_mask(torch.Size([400_000]), p)
        assert abs(keep_probability - (1 - p)) <= 1 / 65536
        dropped = (~keep).view(-1, 4).float().mean(dim=0)  # per field of a draw
        tolerance = 5 * (p * (1 - p) / 100_000) ** 0.5
        assert torch.all((dropped - p).abs() < tolerance), (p, dropped)
    keep, keep_probability = keep_mask(torch.Size([10]), 0.999999)  # rounds to 1, yet keeps a level
    assert keep_probability == 1 / 65536
    odd = Dropout(0.5).train()(torch.ones(3, 5, 7, dtype=torch.bfloat16))
    assert odd.shape == (3, 5, 7) and odd.dtype == torch.bfloat16
    assert set(odd.unique().tolist()) == {0.0, 2.0}
