import json

import pytest
import torch

from attncli.calibration import best_temperature, nll_by_temperature, temperature_grid


def test_grid_holds_exactly_one_and_spans_the_range():
    grid = temperature_grid()
    assert 1.0 in grid.tolist()
    assert grid[0].item() == pytest.approx(0.25) and grid[-1].item() == pytest.approx(20.0)
    assert torch.all(grid[1:] > grid[:-1])


def test_summed_nll_matches_cross_entropy_at_every_temperature():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 4, generator=generator) * 3
    targets = torch.randint(0, 4, (50,), generator=generator)
    sums = nll_by_temperature(logits, targets)
    for index in (0, 60, 121, 220):
        temperature = temperature_grid()[index].item()
        expected = torch.nn.functional.cross_entropy(logits.double() / temperature, targets, reduction="sum")
        assert sums[index].item() == pytest.approx(expected.item(), rel=1e-9)


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 3.0])
def test_the_fitted_temperature_undoes_known_overconfidence(true_temperature):
    # Labels drawn from softmax(z): a model that outputs z * T is overconfident (T > 1) or
    # underconfident (T < 1) by exactly T, which calibration should find.
    generator = torch.Generator().manual_seed(1)
    calibrated = torch.randn(20_000, 5, generator=generator) * 2
    targets = torch.multinomial(calibrated.softmax(-1), 1, generator=generator).squeeze(1)
    fitted = best_temperature(nll_by_temperature(calibrated * true_temperature, targets))
    assert fitted == pytest.approx(true_temperature, rel=0.06)


def test_training_saves_the_best_epochs_temperature(trained):
    header = json.loads((trained.output / "best" / "config.json").read_text())
    metrics = json.loads((trained.output / "best" / "metrics.json").read_text())
    best = next(record for record in metrics["history"] if record["epoch"] == metrics["best_epoch"])
    assert header["temperature"] == best["temperature"] == metrics["validation"]["temperature"]
    assert header["temperature"] in temperature_grid().tolist()
    last = json.loads((trained.output / "last" / "config.json").read_text())
    assert last["temperature"] == metrics["history"][-1]["temperature"]
