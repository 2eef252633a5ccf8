"""The refit after early stopping (attncli/refit.py): the best epoch's model trained on for a few
epochs on every training row, the held-out validation rows included; best/ then holds it."""

import io
import json
import math
import os
import re
import shutil
import signal

import pytest
from conftest import TINY_MODEL, StageRecorder, make_rows, write_csv
from rich.console import Console

from attncli.config_loading import load_config
from attncli.errors import DataError, TrainingInterrupted
from attncli.train import train


def _config(tmp_path, *settings):
    """Three epochs of 150 rows (135 trained, 15 held out), no early stop, whole words."""
    path = tmp_path / "d.csv"
    if not path.exists():
        write_csv(path, make_rows(150, seed=5))
    common = [*TINY_MODEL, f"data.source={path}", "train.epochs=3", "train.patience=0", "tokenizer.kind=word"]
    return load_config(None, [*common, *settings])


def _weights(folder):
    from safetensors.torch import load_file

    return {name: tensor.tolist() for name, tensor in load_file(str(folder / "model.safetensors")).items()}


def _metrics(folder):
    return json.loads((folder / "metrics.json").read_text())


def test_the_packed_rows_of_both_splits_follow_each_other():
    from attncli.packing import PackedSequences

    train = PackedSequences.of_lists([[1, 2], [3]])
    held_out = PackedSequences.of_lists([[4, 5, 6], [7]])
    both = train.followed_by(held_out)
    assert [both[row].tolist() for row in range(len(both))] == [[1, 2], [3], [4, 5, 6], [7]]
    assert both.lengths().tolist() == [2, 1, 3, 1]


def test_the_held_out_rows_join_the_training_rows_each_with_its_own_label(tmp_path):
    from attncli.prepare import prepare
    from attncli.refit import with_held_out_rows

    prepared = prepare(_config(tmp_path), reporter=StageRecorder())  # type: ignore[arg-type]
    every_row = with_held_out_rows(prepared)
    trained, held_out = len(prepared.train_ids), len(prepared.validation_ids)
    assert (trained, held_out, len(every_row.train_ids)) == (135, 15, 150)
    for row in range(150):
        source, index = (
            (prepared.train_ids, row) if row < trained else (prepared.validation_ids, row - trained)
        )
        assert every_row.train_ids[row].tolist() == source[index].tolist()
    assert every_row.train_targets[:trained].tolist() == prepared.train_targets.tolist()
    assert every_row.train_targets[trained:].tolist() == list(prepared.validation_labels)
    assert every_row.train_lengths.tolist() == [len(every_row.train_ids[row]) for row in range(150)]
    assert every_row.outlier_pool is prepared.outlier_pool is not None  # drawn once, for both


def test_the_refit_starts_from_the_best_epoch_and_its_rate_falls_from_a_third_of_lr(tmp_path, monkeypatch):
    import attncli.fit
    import attncli.refit

    def only_the_first_epoch_is_best(state, *, validation_f1, validation_loss, warming_up):
        state.epochs_without_improvement += 1
        if state.best_epoch:
            return False
        state.best_epoch, state.best_key, state.epochs_without_improvement = state.epoch, (0.0, 0.0), 0
        return True

    monkeypatch.setattr(attncli.fit, "record_score", only_the_first_epoch_is_best)
    train(_config(tmp_path), output=tmp_path / "plain")
    started_from, rates = [], []
    real_step = attncli.refit.train_step

    def recording_step(state, prepared, rows, weights, *, loss_scale):
        if not started_from:
            started_from.append({name: tensor.tolist() for name, tensor in state.model.state_dict().items()})
        rates.append(state.optimizer.param_groups[0]["lr"])
        return real_step(state, prepared, rows, weights, loss_scale=loss_scale)

    monkeypatch.setattr(attncli.refit, "train_step", recording_step)
    result = train(_config(tmp_path, "train.refit_epochs=2"), output=tmp_path / "refit")
    assert result.best_epoch == 1 and result.metrics.refit["from_epoch"] == 1
    assert started_from[0] == _weights(tmp_path / "plain" / "best") != _weights(tmp_path / "plain" / "last")
    assert rates[0] == pytest.approx(0.005 / 3) and rates[0] == result.metrics.refit["lr"]
    assert len(rates) == 2 * 10  # two epochs of 150 rows in batches of 16
    # Falling linearly over the refit's 20 steps, to 0 after the last.
    assert rates == pytest.approx([0.005 / 3 * (20 - step) / 20 for step in range(20)])


def test_each_refit_epoch_trains_every_row_once_the_held_out_ones_included(tmp_path, monkeypatch):
    import attncli.refit

    seen = []
    real_step = attncli.refit.train_step

    def recording_step(state, prepared, rows, weights, *, loss_scale):
        seen.append((len(prepared.train_ids), prepared.train_targets[rows].tolist(), rows.tolist()))
        return real_step(state, prepared, rows, weights, loss_scale=loss_scale)

    class Showing(StageRecorder):
        """Keeps what a terminal's progress would show of the refit."""

        def __init__(self) -> None:
            super().__init__()
            self.refit_epochs: list[tuple[int, int, int]] = []
            self.refit_tokens: list[int] = []

        def refit_epoch_start(self, epoch: int, epochs: int, num_batches: int) -> None:
            self.refit_epochs.append((epoch, epochs, num_batches))

        def step(self, *, tokens: int, loss: float | None) -> None:
            if self.refit_epochs:
                self.refit_tokens.append(tokens)

    monkeypatch.setattr(attncli.refit, "train_step", recording_step)
    reporter = Showing()
    config = _config(tmp_path, "train.refit_epochs=2")
    result = train(config, output=tmp_path / "run", reporter=reporter)  # type: ignore[arg-type]
    # Its steps reach the reporter, as training's do: a bar and a line a minute (it was silent).
    assert reporter.refit_epochs == [(1, 2, 10), (2, 2, 10)] and len(reporter.refit_tokens) == 20
    # Each refit epoch's tokens are every row's once: the same in both.
    assert min(reporter.refit_tokens) > 0 and sum(reporter.refit_tokens[:10]) == sum(
        reporter.refit_tokens[10:]
    )
    assert [line for line in reporter.lines if line.startswith("refit epoch ")][0].startswith(
        "refit epoch 1/2: train loss "
    )
    assert {total for total, _, _ in seen} == {150}  # 135 training rows and the 15 held out
    rows = [row for _, _, batch in seen for row in batch]
    assert sorted(rows) == sorted(list(range(150)) * 2)  # each row once in each of the two epochs
    # The targets are the rows' own labels: the held-out rows (135-149) carry theirs.
    labels = sorted(name for name in result.info.label_names)
    counts = [0] * len(labels)
    for _, targets, _ in seen:
        for target in targets:
            counts[target] += 1
    assert counts == [100, 100, 100]  # 50 rows a label, in two epochs
    assert "refit: 2 epochs on all 150 training texts, the 15 held out for validation included" in " ".join(
        reporter.lines
    )


def test_best_holds_the_refitted_model_with_the_best_epochs_scores_and_temperature(tmp_path):
    config = _config(tmp_path)
    plain = train(config, output=tmp_path / "plain")
    refitted = train(_config(tmp_path, "train.refit_epochs=2"), output=tmp_path / "refit")
    # The same run up to the refit: the same epochs and last/; best/ is trained on from there.
    assert [r.train_loss for r in plain.history] == [r.train_loss for r in refitted.history]
    assert _weights(tmp_path / "plain" / "last") == _weights(tmp_path / "refit" / "last")
    assert _weights(tmp_path / "plain" / "best") != _weights(tmp_path / "refit" / "best")
    record = _metrics(tmp_path / "refit" / "best")
    assert record["refit"]["epochs"] == 2 and record["refit"]["train_size"] == 150
    assert record["refit"]["held_out_rows"] == 15 and record["refit"]["from_epoch"] == plain.best_epoch
    assert len(record["refit"]["train_loss"]) == 2 and record["refit"]["lr"] == pytest.approx(0.005 / 3)
    assert record["validation"] == _metrics(tmp_path / "plain" / "best")["validation"]
    plain_header = json.loads((tmp_path / "plain" / "best" / "config.json").read_text())
    refit_header = json.loads((tmp_path / "refit" / "best" / "config.json").read_text())
    assert refit_header["temperature"] == plain_header["temperature"]
    assert "refit" not in _metrics(tmp_path / "plain" / "best")
    logged = [json.loads(line) for line in (tmp_path / "refit" / "metrics.jsonl").read_text().splitlines()]
    assert [line["refit_epoch"] for line in logged if "refit_loss" in line] == [1, 2]
    # Step lines every 10 steps of the run, as training's, going on from them (TensorBoard's
    # train/loss runs through the refit); the refit wrote none between its epochs.
    training_steps = [line["step"] for line in logged if "epoch" in line and "loss" in line]
    refit_steps = [line["step"] for line in logged if "refit_epoch" in line and "loss" in line]
    assert refit_steps and min(refit_steps) > max(training_steps)
    assert all(step % 10 == 0 for step in refit_steps), refit_steps
    assert all(
        math.isfinite(line["loss"]) and line["lr"] > 0
        for line in logged
        if "refit_epoch" in line and "loss" in line
    )


def test_a_run_folder_named_in_another_encoding_than_utf8_is_refitted(tmp_path):
    """safetensors takes a path only as UTF-8: `-o runs/lat\\xe9` (a Latin-1 name) trained every
    epoch, then ended at the refit ("Path ... is not valid UTF-8"), its best/ never refitted."""
    run = tmp_path / os.fsdecode(b"lat\xe9")
    result = train(_config(tmp_path, "train.refit_epochs=1"), output=run)
    assert _metrics(run / "best")["refit"]["epochs"] == 1 and result.output == run


def test_info_and_eval_say_the_weights_are_refitted_and_the_held_out_rows_trained_on(tmp_path):
    from attncli.checkpoint import load_checkpoint
    from attncli.evaluation import evaluate
    from attncli.info import describe_checkpoint

    train(_config(tmp_path, "train.refit_epochs=2"), output=tmp_path / "run")
    refit = describe_checkpoint(tmp_path / "run").to_json()["training"]["refit"]
    assert describe_checkpoint(tmp_path / "run").no_refit is None
    assert (refit["epochs"], refit["train_size"], refit["held_out_rows"]) == (2, 150, 15)
    assert describe_checkpoint(tmp_path / "run" / "last").to_json()["training"]["refit"] is None
    checkpoint = load_checkpoint(tmp_path / "run")
    said = "the refit after training trained on these held-out rows"
    on_validation = evaluate(checkpoint, split="validation")
    assert any(said in note for note in on_validation.notes) and on_validation.seen_in_training == 15
    assert on_validation.refitted and not evaluate(load_checkpoint(tmp_path / "run" / "last")).refitted
    # info says what its training time and temperature cover.
    from attncli.render import ATTN_THEME
    from attncli.render.info import render_info

    console = Console(width=300, color_system=None, file=io.StringIO(), theme=ATTN_THEME)
    console.print(render_info(describe_checkpoint(tmp_path / "run")))
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert re.search(r"training time +[0-9.,]+ s \(the refit included\)", shown), shown
    assert "on the validation split, before the refit" in shown  # (here at the grid's lowest)
    assert not any("rows evaluated have the same text" in note for note in on_validation.notes)  # once
    # With no data given, no test split and the held-out rows trained on, nothing unseen is left.
    with pytest.raises(
        DataError, match="no row of the training data is new to the model; pass a labelled file"
    ):
        evaluate(checkpoint)
    assert evaluate(load_checkpoint(tmp_path / "run" / "last")).split == "validation"  # not refitted
    assert not any(said in note for note in evaluate(checkpoint, split="train").notes)
    # The training file evaluated whole: every row was trained on, the held-out ones too.
    assert evaluate(checkpoint, str(tmp_path / "d.csv")).seen_in_training == 150


def test_eval_of_a_folder_whose_test_split_has_no_labels_refuses_the_refitted_rows(tmp_path):
    """A competition's folder: train.csv and a test.csv without labels. Eval with no data fell back
    to the validation rows, which the refit had trained on, and reported them (97.2% where 95.6% was
    the score before the refit), exit 0; the same model trained on train.csv alone was refused."""
    from attncli.checkpoint import load_checkpoint
    from attncli.evaluation import evaluate

    folder = tmp_path / "competition"
    folder.mkdir()
    write_csv(folder / "train.csv", make_rows(150, seed=5))
    (folder / "test.csv").write_text("id,text\n1,the coach said football today\n2,fresh bread\n")
    settings = [
        *TINY_MODEL,
        f"data.source={folder}",
        "train.epochs=2",
        "train.patience=0",
        "train.refit_epochs=1",
    ]
    train(load_config(None, settings), output=tmp_path / "run")
    with pytest.raises(DataError, match=r"competition/test.csv has no label column, and the refit trained"):
        evaluate(load_checkpoint(tmp_path / "run"))
    # The test file named: it has no labels, which is for predict (not the refit's rows: none read).
    with pytest.raises(
        DataError, match=r"no label column found .*; to label texts that have none, use attn predict"
    ):
        evaluate(load_checkpoint(tmp_path / "run"), str(folder / "test.csv"))
    # Named, the held-out rows are scored, under the note that says what they are.
    named = evaluate(load_checkpoint(tmp_path / "run"), split="validation")
    assert any("the refit after training trained on these held-out rows" in note for note in named.notes)


def test_a_validation_split_of_the_datas_own_is_not_trained_on(tmp_path):
    folder = tmp_path / "split"
    folder.mkdir()
    write_csv(folder / "train.csv", make_rows(120, seed=5))
    write_csv(folder / "validation.csv", make_rows(30, seed=6))
    settings = [*TINY_MODEL, f"data.source={folder}", "train.epochs=2", "train.patience=0"]
    reporter = StageRecorder()
    asked = load_config(None, [*settings, "train.refit_epochs=3"])
    result = train(asked, output=tmp_path / "run", reporter=reporter)  # type: ignore[arg-type]
    assert result.metrics.refit is None and "refit" not in _metrics(tmp_path / "run" / "best")
    warning = next(line for line in reporter.lines if "does not use" in line)
    assert (
        "train.refit_epochs=3 (the data has a validation split, which training does not learn from)"
        in warning
    )
    from attncli.info import describe_checkpoint

    assert describe_checkpoint(tmp_path / "run").no_refit == (
        "none: train.refit_epochs=3 is unused, as the data has a validation split of its own"
    )


def _stopped_in_the_refit(monkeypatch, training):
    """Run `training` with a SIGINT sent at the refit's third step."""
    import attncli.refit

    real_step, steps = attncli.refit.train_step, []

    def interrupted_step(*args, **kwargs):
        steps.append(1)
        if len(steps) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return real_step(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(attncli.refit, "train_step", interrupted_step)
        training()


def test_a_refit_stopped_by_ctrl_c_leaves_best_as_training_chose_it_and_a_resume_refits(
    tmp_path, monkeypatch
):
    from attncli.info import describe_checkpoint
    from attncli.train import resume

    config = _config(tmp_path)
    plain = train(config, output=tmp_path / "plain")
    asked = _config(tmp_path, "train.refit_epochs=2")
    train(asked, output=tmp_path / "alone")
    with pytest.raises(TrainingInterrupted) as stopped:
        _stopped_in_the_refit(monkeypatch, lambda: train(asked, output=tmp_path / "run"))
    message, command = str(stopped.value), f"attn train --resume {tmp_path / 'run'}"
    assert message.startswith("SIGINT: stopped in refit epoch 1, step 3;") and stopped.value.exit_code == 130
    assert re.search(
        f"holds epoch {plain.best_epoch} as training chose it, without the refit; the refit starts again "
        rf"from its first epoch \(its [0-9.]+ s so far are not kept\); refit it with: {re.escape(command)}$",
        message,
    ), message
    assert stopped.value.resume == command
    assert _weights(tmp_path / "run" / "best") == _weights(tmp_path / "plain" / "best")
    assert "refit" not in _metrics(tmp_path / "run" / "best")
    # attn info says the refit is missing, and how to have it.
    assert describe_checkpoint(tmp_path / "run").to_json()["training"]["no_refit"] == (
        "none yet: train.refit_epochs=2 asks for one once training ends, which these weights do not have "
        "(stopped in or before it, or still training): attn train --resume trains what is left and refits "
        "them"
    )
    assert describe_checkpoint(tmp_path / "run" / "last").no_refit is None  # last/ never holds it
    assert describe_checkpoint(tmp_path / "plain").no_refit is None  # none asked for
    # ... and gives the resume command, as for a run stopped in its epochs (null: a nightly job that
    # resumes where there is one shipped the weights without their refit)
    for named in ("run", "run/best", "run/last"):
        assert describe_checkpoint(tmp_path / named).to_json()["training"]["resume_command"] == command
    assert describe_checkpoint(tmp_path / "alone").to_json()["training"]["resume_command"] is None
    # predict says so too (it said nothing: an ops trial), and nothing of a run that needs no refit.
    from typer.testing import CliRunner

    from attncli.cli import app

    runner = CliRunner()
    for named in ("run", "run/best"):  # --resume takes the run folder, whichever was named
        said = runner.invoke(app, ["predict", str(tmp_path / named), "soup"]).stderr
        assert (
            f"note: the refit of {tmp_path / 'run'} has not finished (it was stopped, or is still running): "
            f"these weights are epoch {plain.best_epoch}'s, not trained on the held-out rows; attn train "
            f"--resume {tmp_path / 'run'} refits a stopped one"
        ) in said.splitlines(), said
    for quiet in ("plain", "alone", "run/last"):
        assert "refit" not in runner.invoke(app, ["predict", str(tmp_path / quiet), "soup"]).stderr, quiet
    # The resume trains no epoch (they are all in last/) and refits best/ as a run left alone did.
    reporter = StageRecorder()
    resumed = resume(tmp_path / "run", reporter=reporter)  # type: ignore[arg-type]
    assert f"the run's epochs are all trained, and {tmp_path / 'run' / 'best'} is not refitted" in " ".join(
        reporter.lines
    )
    assert resumed.metrics.refit is not None and len(resumed.metrics.history) == len(plain.metrics.history)
    assert _weights(tmp_path / "run" / "best") == _weights(tmp_path / "alone" / "best")
    assert _weights(tmp_path / "run" / "last") == _weights(tmp_path / "alone" / "last")
    assert describe_checkpoint(tmp_path / "run").no_refit is None
    assert describe_checkpoint(tmp_path / "run").to_json()["training"]["resume_command"] is None


def test_a_signal_as_the_refit_ends_keeps_the_refitted_model(tmp_path, monkeypatch):
    """Ctrl-C after the refit's last step (while its model was saved) stopped the process at once:
    best/ kept training's model, the refit was lost, and the reply said there was nothing to resume."""
    from attncli.run_writer import RunWriter

    asked = _config(tmp_path, "train.refit_epochs=1")
    alone = train(asked, output=tmp_path / "alone")
    real_save = RunWriter.save

    def save_under_a_signal(self, folder, *args, **kwargs):
        if folder.name == "best" and args[1].refit is not None:  # the refitted model's save
            os.kill(os.getpid(), signal.SIGINT)
        return real_save(self, folder, *args, **kwargs)

    reporter = StageRecorder()
    with monkeypatch.context() as patched:
        patched.setattr(RunWriter, "save", save_under_a_signal)
        result = train(asked, output=tmp_path / "run", reporter=reporter)  # type: ignore[arg-type]
    assert result.metrics.refit is not None and "refit" in _metrics(tmp_path / "run" / "best")
    assert _weights(tmp_path / "run" / "best") == _weights(tmp_path / "alone" / "best")
    assert alone.metrics.refit is not None
    assert (
        f"note: SIGINT came as the refit ended: the refitted model is saved in {tmp_path / 'run' / 'best'}, "
        "so nothing was lost"
    ) in reporter.lines


def test_attn_train_says_what_the_refit_did(tmp_path):
    from typer.testing import CliRunner

    from attncli.cli import app

    data = write_csv(tmp_path / "d.csv", make_rows(150, seed=5))
    settings = [arg for setting in [*TINY_MODEL, "train.refit_epochs=1"] for arg in ("--set", setting)]
    command = ["train", str(data), "-o", str(tmp_path / "run"), "--epochs", "2", *settings]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert (
        "refit: 1 epoch on all 150 training texts, the 15 held out for validation included" in result.stderr
    )
    assert "refit epoch 1/1: train loss" in result.stderr
    summary = " ".join(line.strip("│ ") for line in result.output.splitlines())
    assert "refit: 1 epoch on all 150 training texts, the 15 validation rows included" in summary
    assert "(best epoch, refitted)" in summary
    assert "s in the epochs, the refit included; peak memory" in summary  # its seconds counted once


def test_a_run_interrupted_in_training_and_resumed_refits_as_one_left_alone(tmp_path, monkeypatch):
    from attncli.fit import INTERRUPT_VARIABLE
    from attncli.train import resume

    config = _config(tmp_path, "train.refit_epochs=2")
    train(config, output=tmp_path / "alone")
    monkeypatch.setenv(INTERRUPT_VARIABLE, "13")  # epoch 2 of 3, before the refit
    with pytest.raises(TrainingInterrupted):
        train(config, output=tmp_path / "resumed")
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    assert "refit" not in _metrics(tmp_path / "resumed" / "best")
    from attncli.info import describe_checkpoint  # attn info: not refitted yet, and a resume does it

    assert describe_checkpoint(tmp_path / "resumed").no_refit == (
        "none yet: train.refit_epochs=2 asks for one once training ends, which these weights do not have "
        "(stopped in or before it, or still training): attn train --resume trains what is left and refits "
        "them"
    )
    resumed = resume(tmp_path / "resumed")
    assert resumed.metrics.refit is not None and resumed.metrics.refit["epochs"] == 2
    assert _weights(tmp_path / "resumed" / "best") == _weights(tmp_path / "alone" / "best")
    assert _weights(tmp_path / "resumed" / "last") == _weights(tmp_path / "alone" / "last")


def test_refit_lines_are_their_own_tensorboard_charts():
    from attncli.run_writer import _event_tag

    assert _event_tag("refit_loss", per_epoch=False) == "refit/loss"
    assert _event_tag("loss", per_epoch=False) == "train/loss"


def test_a_refitted_run_resumed_for_more_epochs_refits_only_a_new_best(tmp_path, monkeypatch):
    import attncli.fit
    from attncli.train import resume

    config = _config(tmp_path, "train.refit_epochs=2")
    train(config, output=tmp_path / "run")
    refitted = _weights(tmp_path / "run" / "best")
    record = _metrics(tmp_path / "run" / "best")["refit"]

    def never_better(state, *, validation_f1, validation_loss, warming_up):
        state.epochs_without_improvement += 1
        return False

    with monkeypatch.context() as patched:
        patched.setattr(attncli.fit, "record_score", never_better)
        reporter = StageRecorder()
        resumed = resume(tmp_path / "run", epochs=4, reporter=reporter)  # type: ignore[arg-type]
    # Epoch 4 did not beat the refitted best: it is not refitted a second time, and says so.
    assert any(line.startswith("note: no refit:") and "refitted already" in line for line in reporter.lines)
    assert _weights(tmp_path / "run" / "best") == refitted
    assert resumed.metrics.refit == record and _metrics(tmp_path / "run" / "best")["refit"] == record
    # A better epoch replaces best/, which is then refitted from it.
    resumed = resume(tmp_path / "run", epochs=5)
    assert resumed.best_epoch == 5 and resumed.metrics.refit["from_epoch"] == 5
    assert _metrics(tmp_path / "run" / "best")["refit"]["from_epoch"] == 5


def test_a_refit_whose_loss_is_no_number_warns_and_keeps_the_best_epoch(tmp_path, monkeypatch):
    import torch

    import attncli.refit

    plain = train(_config(tmp_path), output=tmp_path / "plain")
    real_step = attncli.refit.train_step
    steps = []

    def diverging_step(*args, **kwargs):
        steps.append(1)
        loss = real_step(*args, **kwargs)
        return loss * torch.tensor(float("nan")) if len(steps) == 3 else loss

    monkeypatch.setattr(attncli.refit, "train_step", diverging_step)
    reporter = StageRecorder()
    result = train(_config(tmp_path, "train.refit_epochs=2"), output=tmp_path / "run", reporter=reporter)  # type: ignore[arg-type]
    warning = next(line for line in reporter.lines if line.startswith("warning: the refit stopped"))
    assert "the loss became nan in refit epoch 1, step 3" in warning
    assert f"holds epoch {plain.best_epoch} as training chose it, without the refit" in warning
    assert result.metrics.refit is None and _weights(tmp_path / "run" / "best") == _weights(
        tmp_path / "plain" / "best"
    )
    saved = _metrics(tmp_path / "run" / "best")
    assert "refit" not in saved and saved["stop_reason"] == "epochs" and len(saved["history"]) == 3
    # Recorded, so that a --resume does not diverge again from the same start, and info says it.
    assert saved["refit_diverged"] == "the loss became nan in refit epoch 1, step 3"
    from attncli.errors import ConfigError
    from attncli.info import describe_checkpoint
    from attncli.train import resume

    with pytest.raises(ConfigError, match="already trained 3 epochs"):
        resume(tmp_path / "run")
    assert describe_checkpoint(tmp_path / "run").no_refit == (
        "none: the refit diverged (the loss became nan in refit epoch 1, step 3); to refit, train again "
        "with --overwrite and a lower train.lr"
    )
    # Resumed for more epochs without a better one, the divergence stands: no second refit of it.
    reporter = StageRecorder()
    again = resume(tmp_path / "run", epochs=4, reporter=reporter)  # type: ignore[arg-type]
    if again.metrics.best_epoch == plain.best_epoch:
        assert any("whose refit diverged" in line for line in reporter.lines)
        assert _metrics(tmp_path / "run" / "best")["refit_diverged"]
    else:  # a better epoch 4 replaced best/, and its refit was its own
        assert "refit_diverged" not in _metrics(tmp_path / "run" / "best")


def test_a_best_that_does_not_read_whole_is_not_refitted_by_a_resume(tmp_path, monkeypatch):
    """A refit left to do is done only on a best/ that reads whole and says it is not refitted: a
    damaged metrics.json might hide a refit done already (training the held-out rows twice as long),
    and without its weights there is nothing to refit; --epochs is unused when the refit is all that
    is left."""
    import attncli.refit
    from attncli.errors import ConfigError
    from attncli.resuming import refit_left
    from attncli.train import resume

    def interrupted_step(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return real_step(*args, **kwargs)

    real_step = attncli.refit.train_step
    run = tmp_path / "run"
    with monkeypatch.context() as patched:
        patched.setattr(attncli.refit, "train_step", interrupted_step)
        with pytest.raises(TrainingInterrupted):
            train(_config(tmp_path, "train.refit_epochs=1"), output=run)
    header = json.loads((run / "last" / "config.json").read_text())
    assert refit_left(run / "last", header)
    metrics_file = run / "best" / "metrics.json"
    original = metrics_file.read_text()
    metrics_file.write_text(original.replace("{", "{ ", 1))  # not as its checksum says
    assert not refit_left(run / "last", header)
    with pytest.raises(ConfigError, match="already trained 3 epochs"):
        resume(run)
    metrics_file.write_text(original)
    weights = (run / "best" / "model.safetensors").read_bytes()
    (run / "best" / "model.safetensors").unlink()
    assert not refit_left(run / "last", header)
    (run / "best" / "model.safetensors").write_bytes(weights)
    # The run's own ceiling, as a requeued job's command gives it again, is not said to be unused.
    shutil.copytree(run, tmp_path / "requeued")
    reporter = StageRecorder()
    resume(tmp_path / "requeued", epochs=3, reporter=reporter)  # type: ignore[arg-type]
    assert not [line for line in reporter.lines if "is unused" in line]
    reporter = StageRecorder()
    resumed = resume(run, epochs=2, reporter=reporter)  # type: ignore[arg-type]
    assert (
        "note: --epochs 2 is unused: the run's epochs are all trained, and its refit is left"
        in reporter.lines
    )
    assert resumed.metrics.refit is not None and resumed.config.train.epochs == 3


def test_a_runs_refit_record_is_read_only_from_a_metrics_json_its_checksums_vouch_for(tmp_path):
    from attncli.resuming import refit_record

    train(_config(tmp_path, "train.refit_epochs=1"), output=tmp_path / "run")
    best = tmp_path / "run" / "best"
    assert refit_record(best) == _metrics(best)["refit"] and refit_record(best)["epochs"] == 1
    (best / "metrics.json").write_text(json.dumps({"refit": {"epochs": 9}}))  # edited by hand
    assert refit_record(best) is None
    assert refit_record(tmp_path / "nowhere") is None


def test_the_launcher_offers_a_resume_only_where_epochs_or_a_refit_are_left(tmp_path, monkeypatch, capsys):
    """A process killed (SIGKILL: it could not say it) in the refit leaves a run whose --resume does
    the refit; killed once the run is done, there is nothing to resume, and the launcher says what
    best/ holds instead of offering a resume that is refused."""
    import torch.distributed.run as torchrun
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    import attncli.refit
    from attncli.cli.launch import launch_processes
    from attncli.errors import ConfigError
    from attncli.train import resume

    def killed(_arguments):
        failures = {1: ProcessFailure(1, 1001, -9, ""), 0: ProcessFailure(0, 1000, 1, "")}
        raise ChildFailedError("attncli", failures)

    monkeypatch.setenv("LOGLEVEL", "CRITICAL")
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", str(os.cpu_count() or 1)))
    monkeypatch.setattr(torchrun, "run", killed)
    real_step = attncli.refit.train_step

    def interrupted_step(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # stops the refit at its first step, as a kill would
        return real_step(*args, **kwargs)

    run = tmp_path / "run"
    with monkeypatch.context() as patched:
        patched.setattr(attncli.refit, "train_step", interrupted_step)
        with pytest.raises(TrainingInterrupted):
            train(_config(tmp_path, "train.refit_epochs=1"), output=run)
    assert launch_processes(2, ["train"], debug=False, run_folder=run) == 1
    assert capsys.readouterr().err == (
        f"error: training process 1 was killed by signal 9 (SIGKILL); {run}/last keeps the newest state "
        f"saved: resume with attn train --resume {run} --nproc 2; rerun with --debug for torchrun's log\n"
    )
    # ... with the --epochs of a resumed session, which raised the ceiling it is judged by.
    assert launch_processes(2, ["train"], debug=False, run_folder=run, resume_epochs=6) == 1
    assert f"resume with attn train --resume {run} --epochs 6 --nproc 2;" in capsys.readouterr().err
    train(_config(tmp_path, "train.refit_epochs=1"), output=run, overwrite=True)  # refitted this time
    assert launch_processes(2, ["train"], debug=False, run_folder=run) == 1
    assert capsys.readouterr().err == (
        f"error: training process 1 was killed by signal 9 (SIGKILL); the run's epochs are all trained, so "
        f"there is nothing to resume: {run}/best holds the run's model; rerun with --debug for torchrun's "
        "log\n"
    )
    # Rank 0 saved the whole run and ended well, and another process aborted as it shut down (gloo's
    # teardown, SIGABRT, about 1 suite run in 7): the run is complete, exit 0 with a note.
    monkeypatch.setattr(
        torchrun,
        "run",
        lambda _arguments: (_ for _ in ()).throw(
            ChildFailedError("attncli", {1: ProcessFailure(1, 1001, -6, "")})
        ),
    )
    assert launch_processes(2, ["train"], debug=False, run_folder=run) == 0
    assert capsys.readouterr().err == (
        "note: training process 1 ended by signal 6 (SIGABRT) as it shut down, after the run had finished: "
        f"the run's epochs are all trained, so there is nothing to resume: {run}/best holds the run's model\n"
    )
    monkeypatch.setattr(torchrun, "run", killed)
    with pytest.raises(ConfigError) as refused:
        resume(run)
    assert str(refused.value) == f"{run} already trained 3 epochs; pass a higher --epochs to go on"
    plain = tmp_path / "plain"
    train(_config(tmp_path), output=plain)  # no refit asked for: none to miss
    assert launch_processes(2, ["train"], debug=False, run_folder=plain) == 1
    assert f"nothing to resume: {plain}/best holds the run's model;" in capsys.readouterr().err


def test_an_overwrite_stopped_in_its_refit_keeps_the_earlier_run_in_use_and_says_so(tmp_path, monkeypatch):
    """best/ holds the new run's best epoch, not refitted: not in use yet, since the run --overwrite
    replaces stays in use until the refit is done (the message said best/ was ready)."""
    from attncli.checkpoint_folder import resolve_checkpoint
    from attncli.train import resume

    run, aside = tmp_path / "run", tmp_path / "run" / ".attn-replaced"
    train(_config(tmp_path), output=run)
    earlier = _weights(run / "best")
    asked = _config(tmp_path, "train.refit_epochs=2", "train.seed=1")
    with pytest.raises(TrainingInterrupted) as stopped:
        _stopped_in_the_refit(monkeypatch, lambda: train(asked, output=run, overwrite=True))
    assert (
        f"without the refit; the run it replaces stays in use ({aside}) until a run in {run} finishes; "
        in (str(stopped.value))
    )
    assert resolve_checkpoint(run) == aside / "best" and _weights(aside / "best") == earlier
    resume(run)
    assert not aside.exists() and _metrics(run / "best")["refit"]["epochs"] == 2


def test_a_sized_refit_trains_no_more_epochs_than_the_best_epoch_had(tmp_path, monkeypatch):
    """Four refit epochs on a model of three left its validation scores and temperature describing
    another model, and the run warned of its own default (a trial's noisy posts): sized, the refit
    takes at most the best epoch's number; given, as many as asked."""
    sized = train(
        _config(tmp_path, "train.epochs=2", "train.refit_epochs=auto"),
        output=tmp_path / "sized",
        reporter=StageRecorder(),
    )
    assert sized.best_epoch <= 2 and sized.metrics.sized and "train.refit_epochs" in sized.metrics.sized
    assert _metrics(tmp_path / "sized" / "best")["refit"]["epochs"] == sized.best_epoch
    # ... and says so where its settings are read back: best/'s config, info, and train's result
    # (a nightly job replayed them and refitted the rule's 4)
    from attncli.info import describe_checkpoint

    saved = json.loads((tmp_path / "sized" / "best" / "config.json").read_text())
    assert saved["config"]["train"]["refit_epochs"] == sized.best_epoch == sized.config.train.refit_epochs
    assert describe_checkpoint(tmp_path / "sized").to_json()["train"]["refit_epochs"] == sized.best_epoch
    # Resumed for more epochs, none better: not refitted again, and the result says what best/ says.
    import attncli.fit
    from attncli.train import resume

    def never_better(state, *, validation_f1, validation_loss, warming_up):
        state.epochs_without_improvement += 1
        return False

    with monkeypatch.context() as patched:
        patched.setattr(attncli.fit, "record_score", never_better)
        resumed = resume(tmp_path / "sized", epochs=3, reporter=StageRecorder())  # type: ignore[arg-type]
    assert resumed.config.train.refit_epochs == sized.best_epoch
    given = train(
        _config(tmp_path, "train.epochs=2", "train.refit_epochs=4"),
        output=tmp_path / "given",
        reporter=StageRecorder(),
    )
    assert _metrics(tmp_path / "given" / "best")["refit"]["epochs"] == 4
    from attncli.render.training import long_refit_warning

    assert long_refit_warning(sized) is None and long_refit_warning(given) is not None


def test_a_best_epoch_that_learnt_nothing_is_not_refitted(tmp_path):
    """A trial's word-order task, at chance by its best epoch, learnt the task in the refit and kept
    the temperature fitted on chance (14.3): 96.7% on test, every score 50-57%. A model validation
    found at chance is not refitted, and the run, info and predict say why, not that it is left."""
    from typer.testing import CliRunner

    from attncli.cli import app
    from attncli.info import describe_checkpoint

    # One text for every row, labels alternating: nothing to learn.
    write_csv(
        tmp_path / "same.csv", [{"text": "the same words", "label": "ab"[row % 2]} for row in range(80)]
    )
    reporter = StageRecorder()
    result = train(
        _config(tmp_path, f"data.source={tmp_path / 'same.csv'}", "train.refit_epochs=2"),
        output=tmp_path / "run",
        reporter=reporter,
    )
    said = (
        f"note: no refit: epoch {result.best_epoch}, the best, learnt nothing validation could show, and a "
        "refit of it would be a model no validation scored"
    )
    assert said in reporter.lines and result.metrics.refit is None
    saved = _metrics(tmp_path / "run" / "best")
    assert "refit" not in saved and saved["refit_skipped"] == said.removeprefix("note: no refit: ")
    info = describe_checkpoint(tmp_path / "run").to_json()
    assert info["training"]["no_refit"] == "none: " + saved["refit_skipped"]
    assert info["training"]["resume_command"] is None  # nothing is left to do
    predicted = CliRunner().invoke(app, ["predict", str(tmp_path / "run"), "words"])
    assert predicted.exit_code == 0 and "refit" not in predicted.stderr


def test_info_gives_the_refit_epochs_that_ran_for_a_run_saved_with_the_rule_s_number(tmp_path, monkeypatch):
    """Runs saved on 2026-12-06 between 12:35 and 13:54 capped the sized refit at the best epoch but
    wrote the rule's 4 into best/'s config: info listed refit_epochs=4 beside a refit of 2 (a
    compatibility trial), and a run replayed from its settings would refit 4."""
    import attncli.refit
    from attncli.info import describe_checkpoint

    monkeypatch.setattr(attncli.refit, "_say_refit_epochs", lambda prepared, epochs: None)  # as they did
    run = train(
        _config(tmp_path, "train.epochs=2", "train.refit_epochs=auto"),
        output=tmp_path / "run",
        reporter=StageRecorder(),
    )
    saved = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    ran = _metrics(tmp_path / "run" / "best")["refit"]["epochs"]
    assert (saved["config"]["train"]["refit_epochs"], ran) == (4, run.best_epoch) and ran < 4
    assert describe_checkpoint(tmp_path / "run").to_json()["train"]["refit_epochs"] == ran
    # last/ never holds the refit: it keeps the rule's ceiling
    assert describe_checkpoint(tmp_path / "run" / "last").to_json()["train"]["refit_epochs"] == 4


def test_a_refit_that_fits_its_own_rows_worse_is_set_aside(tmp_path, monkeypatch):
    """A teacher's rubric marks, best at an epoch validation caught while training still swung: the
    refit took the model from 86.8% to 65.6% on the very rows it trained on, and from 84.0% to 62.7%
    on new answers. A refit that leaves its rows less accurately fitted is set aside, said, and
    recorded; one kept records both accuracies."""
    import attncli.refit
    from attncli.info import describe_checkpoint

    plain = train(_config(tmp_path), output=tmp_path / "plain")
    kept = train(_config(tmp_path, "train.refit_epochs=2"), output=tmp_path / "kept")
    record = kept.metrics.refit
    assert record is not None and record["accuracy_after"] >= record["accuracy_before"] > 0.5
    assert 0 < record["macro_f1_before"] <= 1 and 0 < record["macro_f1_after"] <= 1
    assert _metrics(tmp_path / "kept" / "best")["refit"]["accuracy_after"] == record["accuracy_after"]
    # A rate a hundred times training's throws the model far from where validation chose it.
    monkeypatch.setattr(attncli.refit, "REFIT_LR_SHARE", 100.0)
    reporter = StageRecorder()
    result = train(_config(tmp_path, "train.refit_epochs=2"), output=tmp_path / "run", reporter=reporter)  # type: ignore[arg-type]
    note = next(line for line in reporter.lines if line.startswith("note: no refit:"))
    fell = re.search(
        r"less fitted to the texts it trained on \(accuracy (\d+\.\d)% against (\d+\.\d)%\)", note
    )
    assert fell is not None and float(fell[1]) < float(fell[2]), note
    assert f"holds epoch {plain.best_epoch} as training chose it, without the refit" in note
    assert result.metrics.refit is None
    assert _weights(tmp_path / "run" / "best") == _weights(tmp_path / "plain" / "best")
    saved = _metrics(tmp_path / "run" / "best")
    assert "refit" not in saved and note.startswith(f"note: no refit: {saved['refit_skipped']}; ")
    assert describe_checkpoint(tmp_path / "run").no_refit == "none: " + saved["refit_skipped"]
