import pytest

from attncli.checkpoint import load_checkpoint
from attncli.inspection import inspect_text


def test_views_a_model_lacks_are_refused_with_what_to_do(tmp_path):
    from conftest import save_untrained_checkpoint

    from attncli.errors import InspectError

    mean = load_checkpoint(save_untrained_checkpoint(tmp_path / "mean", num_layers=1, pooling="mean"))
    with pytest.raises(InspectError, match="pools by mean, which has no pooling weights"):
        inspect_text(mean, "football", pooling=True)
    assert inspect_text(mean, "football").view.startswith("attention rollout")
    # Max pooling has no weights to roll out from: its last layer's attention is shown.
    maximum = load_checkpoint(save_untrained_checkpoint(tmp_path / "max", num_layers=2, pooling="max"))
    assert inspect_text(maximum, "football").view == inspect_text(maximum, "football", layer=2).view
    assert inspect_text(maximum, "football").view.startswith("attention received in layer 2")
    with pytest.raises(InspectError, match="max pooling reads each dimension from one token.*; use --layer"):
        inspect_text(maximum, "football", rollout=True)
    flat = load_checkpoint(save_untrained_checkpoint(tmp_path / "flat", num_layers=0, pooling="max"))
    with pytest.raises(
        InspectError,
        match="pools by max and has no self-attention layers, so no weights say what it looked at; "
        "train with model.pooling=attention",
    ):
        inspect_text(flat, "football")
    with pytest.raises(InspectError, match="no self-attention layers"):
        inspect_text(flat, "football", layer=1)
    for view, message in [
        ({"layer": 2}, "--layer 2: the model has 1 layer, numbered from 1"),
        ({"layer": 1, "head": 3}, "--head 3: each layer has 2 heads, numbered from 1"),
        ({"head": 1}, r"pass --layer too\)$"),
        ({"layer": 1, "rollout": True}, "either --layer or --rollout"),
    ]:
        with pytest.raises(InspectError, match=message):
            inspect_text(mean, "football", **view)
