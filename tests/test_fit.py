"""One training step (the loop itself is tested through `train` in test_train.py)."""

import dataclasses

import pytest
import torch
from conftest import TINY_MODEL

from attncli.config import TrainConfig
from attncli.config_loading import load_config
from attncli.fit import adversarial_epsilon_at, train_step
from attncli.fresh_state import build_state
from attncli.prepare import prepare
from attncli.reporter import SilentReporter


@pytest.fixture(scope="module")
def prepared(easy_folder):
    settings = [*TINY_MODEL, f"data.source={easy_folder}", "model.num_layers=0", "model.dropout=0",
                "train.grad_clip=0", "train.outlier_rows=2"]  # fmt: skip
    return prepare(load_config(None, settings), reporter=SilentReporter())


def _step(prepared, **train_settings) -> tuple[float, torch.Tensor]:
    """The loss one step reports and the gradient of the output layer's weights, from the same fresh
    state (no dropout, no clipping)."""
    train = dataclasses.replace(prepared.config.train, **train_settings)
    run = dataclasses.replace(prepared, config=dataclasses.replace(prepared.config, train=train))
    state, _ = build_state(run, reporter=SilentReporter())
    state.global_step = 1_000  # past the warmup, over which train.adversarial rises
    loss = train_step(state, run, torch.arange(16), None)
    return loss.item(), state.model.head.weight.grad.clone()


def test_adversarial_training_adds_the_moved_texts_loss_and_reports_the_plain_one(prepared):
    plain_loss, plain = _step(prepared, adversarial=0.0)
    _, texts_only = _step(prepared, adversarial=0.0, outlier_rows=0)
    outliers = plain - texts_only  # the gradient of the step's outlier texts' loss
    # Moved almost nowhere, the moved copies of the texts add their gradient a second time; the
    # outlier texts are not moved, nor counted twice.
    tiny_loss, tiny = _step(prepared, adversarial=1e-6)
    assert torch.allclose(tiny, 2 * texts_only + outliers, atol=1e-6)
    assert not torch.allclose(plain, tiny, atol=1e-3)
    strong_loss, strong = _step(prepared, adversarial=1.0)
    assert not torch.allclose(strong, tiny, atol=1e-3)
    # The loss reported (and logged as the training loss) is the texts' own, as without it.
    assert tiny_loss == pytest.approx(plain_loss, abs=1e-6) and strong_loss == pytest.approx(
        plain_loss, abs=1e-6
    )


def test_adversarial_training_rises_with_the_learning_rate_over_the_warmup():
    config = TrainConfig(
        epochs=10, batch_size=10, warmup_ratio=0.1, adversarial=1.2
    )  # 100 rows: 10 warmup steps
    assert config.warmup_steps(100) == 10
    rising = [adversarial_epsilon_at(config, step, 100) for step in (1, 5, 10, 11, 500)]
    assert rising == pytest.approx([0.12, 0.6, 1.2, 1.2, 1.2])
    no_warmup = TrainConfig(epochs=10, warmup_ratio=0.0, adversarial=0.7)
    assert adversarial_epsilon_at(no_warmup, 1, 100) == 0.7
    assert adversarial_epsilon_at(TrainConfig(epochs=10, adversarial=0.0), 500, 100) == 0.0


def test_rare_words_are_hidden_before_subword_dropout_splits_pieces(prepared, monkeypatch):
    """The pieces subword dropout splits a token into have no count of their own in training: hidden
    after it, every one of them would be hidden. And with the setting at 0 nothing is drawn, so runs
    saved before it resume on the random numbers they left off with."""
    import attncli.fit as fit

    seen: list[str] = []
    hidden_ids: list[torch.Tensor] = []
    real_hide = fit.hide_rare_words

    def hide(input_ids, *args, **kwargs):
        seen.append("hide")
        hidden_ids.append(real_hide(input_ids, *args, **kwargs))
        return hidden_ids[-1]

    def split(input_ids, *args, **kwargs):
        seen.append("split")
        assert input_ids is hidden_ids[-1]  # it splits what was hidden, not the other way round
        return input_ids

    monkeypatch.setattr(fit, "hide_rare_words", hide)
    monkeypatch.setattr(fit, "split_pieces", split)
    monkeypatch.setattr(type(prepared), "piece_splits", torch.zeros(1), raising=False)
    _step(prepared, rare_word_dropout=0.25, subword_dropout=0.1)
    assert seen == ["hide", "split"]
    seen.clear()
    torch.manual_seed(3)
    _step(prepared, rare_word_dropout=0.0, subword_dropout=0.0, adversarial=0.0, outlier_rows=0)
    after_without = torch.rand(1)
    assert seen == []
    torch.manual_seed(3)
    _step(prepared, rare_word_dropout=0.25, subword_dropout=0.0, adversarial=0.0, outlier_rows=0)
    assert not torch.equal(torch.rand(1), after_without)  # hiding draws, and only when it is on
