import pytest
import torch

from attncli.device import autocast, resolve_device, resolve_precision
from attncli.errors import ConfigError


def test_devices_and_precisions_resolve_on_the_cpu():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_precision("auto", torch.device("cpu")) == "fp32"
    with pytest.raises(ConfigError, match="needs a CUDA device"):
        resolve_precision("fp16", torch.device("cpu"))
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            resolve_device("cuda")
    with autocast(torch.device("cpu"), "bf16"):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
