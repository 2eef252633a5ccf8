import json
import math

import pytest
import torch

from attncli import calibration
from attncli.calibration import (
    best_temperature,
    calibration_state,
    nll_by_temperature,
    temperature_grid,
)
from attncli.checkpoint import saved_calibration_state


def test_grid_holds_exactly_one_and_spans_the_range():
    grid = temperature_grid()
    assert 1.0 in grid.tolist()
    assert grid[0].item() == pytest.approx(0.25) and grid[-1].item() == pytest.approx(20.0)
    assert torch.all(grid[1:] > grid[:-1])


def test_summed_nll_matches_cross_entropy_at_every_temperature(monkeypatch):
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 4, generator=generator) * 3
    targets = torch.randint(0, 4, (50,), generator=generator)
    monkeypatch.setattr(calibration, "CHUNK_VALUES", 221 * 4 * 7)  # 7 rows a chunk: 8 chunks summed
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


def test_a_split_with_few_mistakes_sharpens_little_and_softening_is_free():
    """299 right of 300, confidently, and one mistake of a small margin: the loss alone asks for
    about the sharpest temperature of the grid (a social-media trial's split fitted 0.25, under which
    its gibberish got 99%); the prior on sharpening holds it back. A model overconfident on many
    rows is softened as before, and one underconfident on many rows is still sharpened."""
    right = torch.tensor([[3.0, 0.0, 0.0]]).repeat(299, 1)
    logits = torch.cat([right, torch.tensor([[0.05, 0.0, 0.0]])])
    targets = torch.cat([torch.zeros(299, dtype=torch.long), torch.tensor([1])])
    sums = nll_by_temperature(logits, targets)
    grid = temperature_grid()
    assert float(grid[sums.argmin()]) < 0.27  # what the loss alone chooses: near the grid's end
    prior = sums + calibration.sharpening_penalty(grid)
    assert best_temperature(sums) == float(grid[prior.argmin()]) == pytest.approx(0.42, abs=0.01)
    assert calibration.sharpening_penalty(grid[grid >= 1]).abs().max() == 0
    generator = torch.Generator().manual_seed(2)
    calibrated = torch.randn(3_000, 4, generator=generator) * 2
    drawn = torch.multinomial(calibrated.softmax(-1), 1, generator=generator).squeeze(1)
    assert best_temperature(nll_by_temperature(calibrated * 3, drawn)) == pytest.approx(3, rel=0.1)
    assert best_temperature(nll_by_temperature(calibrated / 3, drawn)) == pytest.approx(1 / 3, rel=0.1)


def test_training_saves_the_best_epochs_temperature(trained):
    header = json.loads((trained.output / "best" / "config.json").read_text())
    metrics = json.loads((trained.output / "best" / "metrics.json").read_text())
    best = next(record for record in metrics["history"] if record["epoch"] == metrics["best_epoch"])
    assert header["temperature"] == best["temperature"] == metrics["validation"]["temperature"]
    assert header["temperature"] in temperature_grid().tolist()
    last = json.loads((trained.output / "last" / "config.json").read_text())
    assert last["temperature"] == metrics["history"][-1]["temperature"]
    # Why it is what it is, recorded beside it: a perfect validation split leaves it at 1.
    expected = "no_mistakes" if best["validation_accuracy"] == 1.0 else "fitted"
    assert header["calibration"] == expected


def test_training_fits_the_temperature_with_the_lowest_validation_loss(tmp_path):
    """A validation split with mistakes (a tenth of its labels moved on): the temperature saved is
    the grid's with the lowest summed cross-entropy of the best model's validation logits,
    computed here with torch's own cross-entropy."""
    from conftest import TINY_MODEL, make_rows, write_csv

    from attncli.checkpoint import load_checkpoint
    from attncli.config_loading import load_config
    from attncli.inference import batched_forward
    from attncli.tokenization import pack_ids
    from attncli.train import train

    labels = sorted({row["label"] for row in make_rows(3)})
    validation = make_rows(60, seed=4)
    for row in validation[::10]:
        row["label"] = labels[(labels.index(row["label"]) + 1) % len(labels)]
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(folder / "train.csv", make_rows(150, seed=3))
    write_csv(folder / "validation.csv", validation)
    settings = [*TINY_MODEL, f"data.source={folder}", "train.epochs=4", "train.patience=0"]
    train(load_config(None, settings), output=tmp_path / "run")
    header = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    loaded = load_checkpoint(tmp_path / "run")
    ids = pack_ids(
        loaded.tokenizer, [row["text"] for row in validation], max_length=loaded.config.model.length
    )
    logits = batched_forward(loaded.model, ids, pad_id=loaded.pad_id, batch_size=16, device=loaded.device)
    targets = torch.tensor([loaded.label_names.index(row["label"]) for row in validation])
    assert (logits.argmax(-1) != targets).any()  # mistakes to fit on
    nll = [
        torch.nn.functional.cross_entropy(logits.double() / t, targets, reduction="sum").item()
        + (min(math.log(t), 0) ** 2 / (2 * 0.5**2))  # sharpening's prior: a Gaussian on log T, width 0.5
        for t in temperature_grid().tolist()
    ]
    saved = nll[temperature_grid().tolist().index(header["temperature"])]
    assert saved == pytest.approx(min(nll), rel=1e-6)
    assert header["temperature"] != 1.0 and header["calibration"] == "fitted"
    assert saved < nll[temperature_grid().tolist().index(1.0)]  # it lowers the loss


@pytest.mark.parametrize(
    ("calibrate", "temperature", "accuracy", "state"),
    [
        (True, 1.63, 0.9, "fitted"),
        (True, 1.0, 0.9, "fitted"),  # the best fit can be "no change"
        (True, 1.0, 1.0, "no_mistakes"),
        (True, 1.0, None, "fitted"),
        (False, 1.0, 0.9, "off"),
        (True, None, 0.9, "before_calibration"),
    ],
)
def test_the_calibration_state_tells_a_fitted_temperature_of_one_from_one_left_alone(
    calibrate, temperature, accuracy, state
):
    assert (
        calibration_state(calibrate=calibrate, temperature=temperature, validation_accuracy=accuracy) == state
    )


def test_checkpoints_saved_before_the_state_was_recorded_get_it_worked_out(tmp_path):
    from pathlib import Path

    def epoch(number: int, accuracy: float) -> dict:
        return {"epoch": number, "train_loss": 1, "validation_loss": 1, "validation_accuracy": accuracy,
                "validation_macro_f1": accuracy, "seconds": 1, "tokens_per_second": 1}  # fmt: skip

    header = {"temperature": 1.0, "config": {"train": {}}}
    metrics = {"best_epoch": 1, "history": [epoch(1, 1.0), epoch(2, 0.9)]}
    best, last = Path("run/best"), Path("run/last")
    assert saved_calibration_state(best, header, metrics) == "no_mistakes"  # the best epoch's accuracy
    assert saved_calibration_state(last, header, metrics) == "fitted"  # last/ holds the newest epoch
    assert saved_calibration_state(last, header, {"best_epoch": 0, "history": []}) == "no_epoch"
    off = {**header, "config": {"train": {"calibrate": False}}}
    assert saved_calibration_state(best, off, metrics) == "off"
    assert (
        saved_calibration_state(best, {**off, "calibration": "fitted"}, metrics) == "fitted"
    )  # recorded wins
    assert saved_calibration_state(best, {"config": {"train": {}}}, metrics) == "before_calibration"


def test_logits_that_are_no_numbers_fit_no_temperature():
    """A diverging model's validation logits (inf, nan) gave nan sums, and the search for the lowest
    found none: an IndexError in validation. There is nothing to fit: the temperature stays 1."""
    import torch

    sums = nll_by_temperature(torch.tensor([[float("inf"), 0.0], [float("nan"), 1.0]]), torch.tensor([0, 1]))
    assert not torch.isfinite(sums).any() and best_temperature(sums) == 1.0
    partly = torch.tensor([float("nan")] * len(sums))
    partly[3] = 2.0
    assert best_temperature(partly) == float(temperature_grid()[3])
