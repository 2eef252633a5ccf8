import math

import torch

from attncli.model.alibi import ALiBiPositionalEncoding
from attncli.model.positional import SegmentPositionalEncoding, sinusoidal_table
from attncli.model.relative import RelativePositionalEncoding, relative_distances
from attncli.model.rope import RotaryPositionalEncoding
from attncli.model_config import ModelConfig


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


def _is_toeplitz(matrix: torch.Tensor) -> bool:
    """True when matrix[i, j] depends only on j - i."""
    return torch.allclose(matrix[..., 1:, 1:], matrix[..., :-1, :-1], atol=1e-6)


def test_relative_distance_index_is_clipped_j_minus_i():
    index = relative_distances(6, 2)
    assert index[0].tolist() == [2, 3, 4, 4, 4, 4]  # j - i = 0, 1, 2, 3 (clipped), ...
    assert index[5].tolist() == [0, 0, 0, 0, 1, 2]
    assert _is_toeplitz(index.float())


def test_relative_bias_is_q_dot_distance_vector_and_depends_only_on_j_minus_i():
    torch.manual_seed(0)
    encoding = RelativePositionalEncoding(
        ModelConfig(embed_dim=8, num_heads=2, max_relative_distance=3), max_length=10
    )
    q = torch.randn(2, 1, 1, 4).expand(2, 2, 7, 4)  # the same query at every position and head
    bias = encoding.bias(q)
    assert bias.shape == (2, 2, 7, 7) and _is_toeplitz(bias)
    table = encoding.distance_embedding.weight
    expected = torch.dot(q[0, 0, 1], table[relative_distances(7, 3)[1, 5]]) / 2  # sqrt(hd=4)
    assert math.isclose(bias[0, 0, 1, 5].item(), expected.item(), abs_tol=1e-6)
    assert torch.allclose(bias[..., 0, 4:], bias[..., 0, 3:4].expand(-1, -1, 3))  # clipped beyond 3


def test_relative_bias_costs_the_texts_distances_however_far_max_relative_distance_reaches():
    """A trial's max_relative_distance=100000 ("never clip") multiplied each query by the whole
    table: 30 s an epoch of the headlines where 16 took 0.4 s. The bias, and its gradient, are those
    of the whole table's, at the cost of the distances a text of T tokens holds."""
    from torch.utils.flop_counter import FlopCounterMode

    def bias_and_flops(max_distance: int, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        torch.manual_seed(0)
        config = ModelConfig(embed_dim=8, num_heads=2, max_relative_distance=max_distance)
        encoding = RelativePositionalEncoding(config, max_length=10)
        # The same vectors for the distances a 7-token text holds, whatever the table's size.
        with torch.no_grad():
            middle = encoding.distance_embedding.weight[max_distance - 6 : max_distance + 7]
            middle.copy_(torch.arange(13 * 4, dtype=torch.float32).reshape(13, 4).sin())
        with FlopCounterMode(display=False) as counter:
            bias = encoding.bias(q)
        bias.square().sum().backward()
        table = encoding.distance_embedding.weight
        return bias, table.grad[max_distance - 6 : max_distance + 7], counter.get_total_flops()

    q = torch.randn(2, 2, 7, 4)
    reference, reference_grad, reference_flops = bias_and_flops(6, q)  # T - 1: no clipping
    for far in (7, 50, 5000):
        bias, grad, flops = bias_and_flops(far, q)
        assert torch.allclose(bias, reference, atol=1e-6) and torch.allclose(grad, reference_grad, atol=1e-5)
        assert flops == reference_flops, (far, flops, reference_flops)


def test_alibi_bias_depends_only_on_distance_and_each_head_looks_one_way():
    encoding = ALiBiPositionalEncoding(ModelConfig(embed_dim=16, num_heads=4), max_length=12)
    bias = encoding.bias(torch.zeros(1, 4, 8, 4))
    assert bias.shape == (4, 8, 8) and _is_toeplitz(bias)
    left_head, right_head = bias[0], bias[1]
    assert torch.equal(torch.triu(left_head), torch.zeros(8, 8))  # keys on the right: no penalty
    assert torch.equal(torch.tril(right_head), torch.zeros(8, 8))
    assert torch.allclose(left_head[5, 2], right_head[2, 5]) and left_head[5, 2] < left_head[5, 4] < 0
    assert bias[2, 5, 0] > bias[0, 5, 0]  # the second pair of heads has a gentler slope
    # Made for the batch's length: a (H, max_length, max_length) table took 3.1 GB at 8,000 tokens.
    assert [(name, tuple(buffer.shape)) for name, buffer in encoding.named_buffers()] == [("slopes", (4,))]
    assert torch.equal(encoding.bias(torch.zeros(1, 4, 12, 4))[:, :8, :8], bias)
    assert torch.equal(encoding.bias(torch.zeros(2, 4, 8, 4)), bias)


def test_rotary_query_key_products_depend_only_on_the_offset():
    torch.manual_seed(0)
    rope = RotaryPositionalEncoding(ModelConfig(embed_dim=16, num_heads=2), max_length=20)
    query, key = torch.randn(8), torch.randn(8)
    q, k = rope.rotate(query.expand(1, 1, 20, 8), key.expand(1, 1, 20, 8))
    products = (q @ k.transpose(-2, -1))[0, 0]  # (20, 20)
    assert _is_toeplitz(products)
    assert not torch.allclose(products[0, 1], products[0, 5])  # yet the offset matters
    assert torch.allclose(q.norm(dim=-1), query.norm().expand(1, 1, 20))  # rotations keep lengths


def test_segment_encoding_is_segment_vector_plus_sinusoid_of_position_inside():
    encoding = SegmentPositionalEncoding(ModelConfig(embed_dim=8, segment_length=4), max_length=10)
    added = encoding(torch.zeros(1, 10, 8))[0]
    table = sinusoidal_table(4, 8)
    segments = encoding.segment.weight
    assert segments.shape == (3, 8)  # ceil(10 / 4)
    for position in range(10):
        expected = segments[position // 4] + table[position % 4]
        assert torch.allclose(added[position], expected, atol=1e-6)
