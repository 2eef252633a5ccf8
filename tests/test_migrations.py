"""Checkpoints written before the model restructure (format 1) load and predict exactly as before.
The fixtures were trained and their predictions recorded by the code of that time."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from attncli.checkpoint import FORMAT_VERSION, load_checkpoint
from attncli.errors import CheckpointError
from attncli.prediction import predict_probabilities

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "v1_expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED["probabilities"]))
def test_format_1_checkpoints_predict_the_same_as_before(name):
    header = json.loads((FIXTURES / name / "config.json").read_text())
    assert header["format_version"] == 1 and header["config"]["model"]["pooling"] in (
        "additive",
        "scaled_dot",
    )
    loaded = load_checkpoint(FIXTURES / name)
    model = loaded.config.model
    assert (model.pooling, model.attention, model.pooling_heads) == ("attention", "scaled_dot", 1)
    assert model.pooling_attention == header["config"]["model"]["pooling"]
    expected = torch.tensor(EXPECTED["probabilities"][name])
    assert torch.allclose(predict_probabilities(loaded, EXPECTED["texts"]), expected, atol=1e-6)


def test_a_format_from_the_future_says_to_upgrade(tmp_path):
    folder = tmp_path / "future"
    shutil.copytree(FIXTURES / "v1_additive_learned", folder)
    header = json.loads((folder / "config.json").read_text())
    header["format_version"] = FORMAT_VERSION + 1
    (folder / "config.json").write_text(json.dumps(header))
    with pytest.raises(CheckpointError, match=f"format {FORMAT_VERSION + 1}; this attn reads formats 1 to"):
        load_checkpoint(folder)


def test_runs_saved_before_outlier_exposure_carry_on_without_it():
    import json

    from attncli.config import Config
    from attncli.migrations import migrate_header

    for name in ("v1_additive_learned", "v1_scaled_dot_sinusoidal"):
        header = json.loads((FIXTURES / name / "config.json").read_text())
        assert "outlier_rows" not in header["config"]["train"]
        migrated = migrate_header(header, 2)
        assert Config.from_dict(migrated["config"]).train.outlier_rows == 0
