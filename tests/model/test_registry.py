"""Every kind a config accepts is registered, builds, trains and survives a checkpoint round trip."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from attncli.checkpoint import load_checkpoint
from attncli.checkpoint_saving import save_checkpoint
from attncli.config import Config, ConfigError
from attncli.config_loading import load_config
from attncli.model import build_model
from attncli.model.registry import POOLING, POSITIONAL, SCORING
from attncli.model_config import ModelConfig
from attncli.packing import pad_batch
from attncli.prediction import predict_probabilities
from attncli.tokenization import pack_ids
from attncli.tokenizer import pad_id_of, train_tokenizer

TEXTS = ["pasta bread cheese", "football tennis goal match", "laptop chip robot", "soup salad bread"] * 4
LABELS = torch.tensor([0, 1, 2, 0] * 4)


@pytest.mark.parametrize(
    ("setting", "registry"), [("positional", POSITIONAL), ("attention", SCORING), ("pooling", POOLING)]
)
def test_config_choices_are_exactly_the_registry(setting, registry):
    with pytest.raises(ConfigError) as error:
        ModelConfig(**{setting: "no-such-kind"})
    assert str(error.value) == f"model.{setting} must be one of {', '.join(registry)}, not 'no-such-kind'"


@pytest.mark.parametrize("positional", [name for name, kind in POSITIONAL.items() if kind.acts_in_attention])
def test_positions_inside_attention_are_refused_without_layers(positional):
    assert {"relative", "rope", "alibi"} == {n for n, k in POSITIONAL.items() if k.acts_in_attention}
    with pytest.raises(ConfigError, match="blind to order"):
        load_config(None, [f"model.positional={positional}", "model.num_layers=0"])
    with pytest.raises(ConfigError, match="only the classification token"):
        load_config(None, ["model.pooling=cls", "model.num_layers=0"])


def test_every_combination_trains_and_reloads_to_identical_predictions(tmp_path):
    from attncli.config import TokenizerConfig

    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(kind="word", vocab_size=50, min_frequency=1))
    pad_id = pad_id_of(tokenizer)
    packed = pack_ids(tokenizer, TEXTS, max_length=8)
    ids = pad_batch([packed[row] for row in range(len(packed))], pad_id=pad_id)
    vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
    for positional, attention, pooling in itertools.product(POSITIONAL, SCORING, POOLING):
        torch.manual_seed(0)
        model_config = ModelConfig(
            embed_dim=8, num_heads=2, ff_dim=16, max_length=8, segment_length=4, num_layers=1,
            dropout=0.1, pooling_heads=2, positional=positional, attention=attention, pooling=pooling,
        )  # fmt: skip
        model = build_model(model_config, vocab_size=vocab_size, num_labels=3, pad_id=pad_id)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
        for _ in range(3):
            optimizer.zero_grad()
            F.cross_entropy(model(ids).logits, LABELS).backward()
            optimizer.step()
        trained = [
            name for name, tensor in model.state_dict().items() if not torch.equal(before[name], tensor)
        ]
        assert trained, (positional, attention, pooling)
        folder = tmp_path / f"{positional}-{attention}-{pooling}"
        config = Config(model=model_config)
        save_checkpoint(
            folder, model=model.eval(), tokenizer=tokenizer, config=config,
            label_names=["a", "b", "c"], metrics={},
        )  # fmt: skip
        loaded = load_checkpoint(folder)
        assert loaded.config.model == model_config
        with torch.inference_mode():
            expected = model(ids).logits.softmax(-1)
        assert torch.equal(predict_probabilities(loaded, TEXTS), expected), (positional, attention, pooling)
