import random

import pytest
import torch
from conftest import TINY_MODEL, make_rows, write_csv

from attncli.config import load_config
from attncli.errors import CheckpointError, ConfigError
from attncli.train import learning_rate_factor, plan_batches, train


def test_learning_rate_warms_up_then_decays_linearly():
    factors = [learning_rate_factor(step, total_steps=10, warmup_steps=2) for step in range(10)]
    assert factors[:2] == [0.5, 1.0]
    assert factors[2:] == pytest.approx([1.0, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8])
    assert learning_rate_factor(0, total_steps=5, warmup_steps=0) == 1.0


def test_plan_batches_covers_every_row_once_and_groups_lengths():
    lengths = torch.tensor([random.Random(0).randint(1, 100) for _ in range(1000)])
    plan = plan_batches(lengths, batch_size=10, generator=torch.Generator().manual_seed(1))
    batches = list(plan)
    assert len(plan) == len(batches) == 100
    assert sorted(torch.cat(batches).tolist()) == list(range(1000))
    assert all(len(batch) == 10 for batch in batches)
    spread = sum(int(lengths[b].max() - lengths[b].min()) for b in batches) / len(batches)
    assert spread < 10  # random batches would spread about 80
    again = list(plan_batches(lengths, batch_size=10, generator=torch.Generator().manual_seed(1)))
    other = list(plan_batches(lengths, batch_size=10, generator=torch.Generator().manual_seed(2)))
    assert all(torch.equal(a, b) for a, b in zip(batches, again, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(batches, other, strict=True))


def test_plan_batches_keeps_a_short_last_batch():
    lengths = torch.arange(1, 1206)  # 1,205 rows: 24 pools of 50 batches would need 1,200
    plan = plan_batches(lengths, batch_size=5, generator=torch.Generator().manual_seed(0))
    sizes = sorted(len(batch) for batch in plan)
    assert len(plan) == 241 and sizes[0] == 5 and sum(sizes) == 1205
    lengths = torch.arange(1, 1203)
    sizes = sorted(len(batch) for batch in plan_batches(lengths, batch_size=5, generator=torch.Generator()))
    assert sizes[0] == 2 and sizes[1] == 5 and sum(sizes) == 1202


def test_training_learns_the_easy_task_and_keeps_the_best_epoch(trained):
    assert trained.best.validation_accuracy >= 0.9
    best = max(trained.history, key=lambda record: (record.validation_accuracy, -record.validation_loss))
    assert trained.best_epoch == best.epoch
    assert trained.history[-1].train_loss < trained.history[0].train_loss
    assert all(record.tokens_per_second > 0 for record in trained.history)


def test_training_is_reproducible_with_a_seed(tmp_path):
    # BPE, since WordPiece training in `tokenizers` breaks ties in hash order (huggingface/tokenizers#1794).
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=2", "tokenizer.kind=bpe"])
    first = train(config, output=tmp_path / "a")
    second = train(config, output=tmp_path / "b")
    assert [r.train_loss for r in first.history] == [r.train_loss for r in second.history]


def test_bf16_autocast_trains_on_cpu(tmp_path):
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1", "train.precision=bf16"])
    result = train(config, output=tmp_path / "run")
    assert result.info.precision == "bf16" and result.history[0].train_loss > 0


def test_refusals_happen_before_any_work(tmp_path):
    output = tmp_path / "run"
    output.mkdir()
    (output / "keep.txt").write_text("x")
    config = load_config(None, ["data.source=/definitely/absent.csv"])
    with pytest.raises(CheckpointError):
        train(config, output=output)
    with pytest.raises(ConfigError, match="fp16 needs a CUDA device"):
        train(load_config(None, ["train.precision=fp16", "train.device=cpu"]), output=tmp_path / "new")
    assert not (tmp_path / "new").exists()
