"""The model's float32 numbers (probabilities, attention weights) as the shortest decimals that read
back as the same float32, for every output that prints them.

A float32 converted to a Python float prints all a double's digits: a probability of 0.9998585 came
out as 0.9998584985733032, whose last digits are float32's rounding, not the model's; with 150 labels
a csv of 50,000 predictions was 170 MB. The shortest decimal that reads back as the same float32 (at
most 9 significant digits) loses nothing the model computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where a value is converted: `attn --help` imports no torch
    import torch


def float32_decimals(values: torch.Tensor) -> list[float]:
    """The values, flattened, each as the Python float of the shortest decimal that reads back as the
    same float32 (0.9998585, 7.5486874e-05). The values are rounded to float32 first; NaN and the
    infinities stay as they are."""
    return [float(decimal) for decimal in float32_texts(values)]


def float32_texts(values: torch.Tensor) -> list[str]:
    """The values, flattened, each written as the shortest decimal that reads back as the same
    float32 (`7.5486874e-05`; numpy writes 0.0001 as `1e-04`), for a text format such as csv."""
    import numpy  # what torch's CPU tensors share memory with, and `datasets` requires
    import torch

    flat = values.detach().to("cpu", torch.float32).flatten()
    # numpy writes a float32 array's shortest decimals in C, 0.7 microseconds a value (a search by
    # digit count in Python took 2.3); under its legacy print mode (a caller's set_printoptions) it
    # would write 6 digits, so that mode is set aside.
    with numpy.printoptions(legacy=False):
        texts: list[str] = flat.numpy().astype(str).tolist()
    return texts


def float32_list(values: Sequence[float]) -> list[float]:
    """Python floats (sums of float32 weights, say) rounded to float32, as `float32_decimals` writes them."""
    import torch

    return float32_decimals(torch.tensor(list(values), dtype=torch.float32))


def float32_list_texts(values: Sequence[float]) -> list[str]:
    """Python floats rounded to float32, as `float32_texts` writes them."""
    import torch

    return float32_texts(torch.tensor(list(values), dtype=torch.float32))
