"""The `attn` commands run in-process through typer's CliRunner: options reach the functions and
what the functions return reaches the user."""

import json

import pytest
import torch
from conftest import KEYWORDS, TINY_MODEL, make_rows, save_untrained_checkpoint, write_csv
from typer.testing import CliRunner

from attncli.cli import app

RUNNER = CliRunner()
TINY = [arg for setting in TINY_MODEL for arg in ("--set", setting)]


def invoke(*args):
    return RUNNER.invoke(app, [str(arg) for arg in args])


def test_inspect_layer_head_rollout_and_words_as_json(tmp_path):
    path = save_untrained_checkpoint(tmp_path / "deep", num_layers=2, positional="alibi")
    text = "the coach said football today"
    views = {}
    for flags in (["--layer", 2, "--head", 1], ["--rollout"], ["--words"], []):
        result = invoke("inspect", path, text, "--json", *flags)
        assert result.exit_code == 0, result.output
        output = json.loads(result.stdout)
        assert [token["token"] for token in output["tokens"]] == text.split()
        assert sum(token["weight"] for token in output["tokens"]) == pytest.approx(1.0, abs=1e-5)
        views[str(flags)] = output["view"]
    assert len(set(views.values())) == 4 and "layer 2 (head 1)" in views["['--layer', 2, '--head', 1]"]
    refused = invoke("inspect", path, text, "--layer", 3)
    assert refused.exit_code == 2 and "--layer must be between 1 and 2" in refused.output


def test_train_starts_from_pretrained_vectors_and_keeps_them_frozen(tmp_path):
    rows = make_rows(120, seed=3)
    data = write_csv(tmp_path / "train.csv", rows)
    vectors = tmp_path / "vectors.txt"
    words = [word for group in KEYWORDS.values() for word in group]
    # A 4-dimensional vector for every keyword and for "the": the model is 32 wide, so projected.
    vectors.write_text("".join(f"{w} {i} {i % 3} {-i} 1\n" for i, w in enumerate([*words, "the"], 1)))
    output = tmp_path / "run"
    result = invoke(
        "train", data, "-o", output, "--epochs", 1, *TINY, "--set", "tokenizer.kind=word",
        "--set", f"model.embeddings_init={vectors}", "--set", "model.freeze_embeddings=true",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads((output / "best" / "metrics.json").read_text())
    assert metrics["embeddings_init"] == {
        "path": str(vectors),
        "dim": 4,
        "found": 16,
        "of": metrics["embeddings_init"]["of"],
    }
    assert "16 of" in result.output and "(4 dimensions)" in result.output
    from safetensors.torch import load_file

    tokenizer = json.loads((output / "best" / "tokenizer.json").read_text())["model"]["vocab"]
    weights = load_file(str(output / "best" / "model.safetensors"))
    table = torch.tensor([[i, i % 3, -i, 1] for i in range(1, 17)], dtype=torch.float32)
    scale = (1 / 2) / table.std()  # rescaled by one factor to std 1/sqrt(4)
    rows = torch.stack([weights["token_embedding.weight"][tokenizer[w]] for w in [*words, "the"]])
    assert torch.allclose(rows, table * scale, atol=1e-6)  # copied in, and unchanged by training
    assert weights["embedding_projection.weight"].shape == (32, 4)
