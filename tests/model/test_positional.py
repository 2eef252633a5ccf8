import math

import torch

from attncli.model.positional import POSITIONAL_ENCODINGS, build_positional_encoding, sinusoidal_table


def test_sinusoidal_table_matches_the_formula():
    table = sinusoidal_table(max_length=50, embed_dim=16)
    for position in (0, 1, 7, 49):
        for i in range(8):
            angle = position / 10000 ** (2 * i / 16)
            assert math.isclose(table[position, 2 * i].item(), math.sin(angle), abs_tol=1e-6)
            assert math.isclose(table[position, 2 * i + 1].item(), math.cos(angle), abs_tol=1e-6)


def test_odd_width_is_handled():
    table = sinusoidal_table(max_length=4, embed_dim=5)
    assert table.shape == (4, 5)
    assert math.isclose(table[3, 4].item(), math.sin(3 / 10000 ** (4 / 5)), abs_tol=1e-6)


def test_every_encoding_keeps_shape_and_sinusoidal_saves_nothing():
    x = torch.zeros(2, 6, 8)
    for kind in POSITIONAL_ENCODINGS:
        encoding = build_positional_encoding(kind, embed_dim=8, max_length=10)
        assert encoding(x).shape == (2, 6, 8)
    sinusoidal = build_positional_encoding("sinusoidal", embed_dim=8, max_length=10)
    assert torch.equal(sinusoidal(x)[0], sinusoidal_table(10, 8)[:6])
    assert sinusoidal.state_dict() == {}
