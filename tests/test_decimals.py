import json
import math

import torch

from attncli.decimals import float32_decimals, float32_list, float32_list_texts


def test_each_value_is_the_shortest_decimal_that_reads_back_as_its_float32():
    values = torch.softmax(torch.randn(300, 7, generator=torch.Generator().manual_seed(0)) * 4, dim=-1)
    decimals = float32_decimals(values)
    assert torch.equal(torch.tensor(decimals, dtype=torch.float32).view(300, 7), values)  # nothing lost
    for decimal, exact in zip(decimals, values.flatten().tolist(), strict=True):
        digits = len(repr(decimal).split("e")[0].replace("-", "").replace(".", "").lstrip("0"))
        assert digits <= 9
        # One digit fewer would read back as another float32: it is the shortest.
        shorter = float(f"{exact:.{digits - 1}g}") if digits > 1 else math.nan
        assert torch.tensor(shorter, dtype=torch.float32) != torch.tensor(exact, dtype=torch.float32)
    # 0.9998585 as a double printed as 0.9998584985733032: float32's rounding, not the model's digits.
    assert float32_decimals(torch.tensor([0.9998585, 0.5, 1.0, 0.0])) == [0.9998585, 0.5, 1.0, 0.0]
    assert json.dumps(float32_decimals(torch.tensor([7.5486874e-05]))) == "[7.5486874e-05]"


def test_odd_values_shapes_and_types_keep_what_they_are():
    odd = float32_decimals(torch.tensor([math.inf, -math.inf, -0.0, 1.4e-45, 3.4028235e38]))
    assert odd[:2] == [math.inf, -math.inf] and math.copysign(1, odd[2]) == -1
    assert odd[3:] == [1e-45, 3.4028235e38]  # the smallest subnormal, the largest float32
    assert math.isnan(float32_decimals(torch.tensor([math.nan]))[0])
    assert float32_decimals(torch.tensor(0.25)) == [0.25]  # a scalar
    assert float32_decimals(torch.tensor([0.1], dtype=torch.float64)) == [0.1]  # rounded to float32 first
    assert float32_decimals(torch.empty(0, 3)) == [] and float32_decimals(torch.ones(2, 0)) == []
    assert float32_decimals(torch.tensor([[0.25, 0.75], [1.0, 0.0]])) == [0.25, 0.75, 1.0, 0.0]  # flattened
    assert float32_list_texts([0.9998584985733032, 1.0]) == ["0.9998585", "1.0"]  # as the csv writes them
    assert float32_list([0.1 + 0.2]) == [0.3] and float32_list([]) == []


def test_numpys_legacy_print_mode_set_by_a_caller_loses_no_digit():
    """A review: under `numpy.set_printoptions(legacy="1.13")` numpy writes float32 with 6 digits,
    so 0.9998585 came out as 0.999858."""
    import numpy

    before = numpy.get_printoptions()
    numpy.set_printoptions(legacy="1.13")
    try:
        assert float32_decimals(torch.tensor([0.9998585])) == [0.9998585]
    finally:
        numpy.set_printoptions(**before)
    assert numpy.get_printoptions() == before
