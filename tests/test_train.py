import dataclasses
import io
import json
import math
import random
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from conftest import KEYWORDS, TINY_MODEL, StageRecorder, make_rows, write_csv

from attncli.checkpoint import load_checkpoint
from attncli.config_loading import load_config
from attncli.data import load_splits
from attncli.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    OutOfMemory,
    TrainingError,
    TrainingInterrupted,
)
from attncli.evaluation import evaluate
from attncli.fit import INTERRUPT_VARIABLE, record_score
from attncli.model.classifier import AttentionClassifier
from attncli.run_folder import open_run_folder
from attncli.run_writer import RunWriter
from attncli.train import resume, train


def test_training_learns_the_easy_task_and_keeps_the_best_epoch(trained):
    assert trained.best.validation_accuracy >= 0.9
    best = max(trained.history, key=lambda record: (record.validation_macro_f1, -record.validation_loss))
    assert trained.best_epoch == best.epoch
    assert trained.history[-1].train_loss < trained.history[0].train_loss
    assert all(record.tokens_per_second > 0 for record in trained.history)


def test_training_is_reproducible_with_a_seed(tmp_path):
    # WordPiece, whose training in `tokenizers` alone varies from run to run, and did on these rows
    # (tests/test_repeatable_vocabulary.py has each kind's tokenizer alone).
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    settings = [*TINY_MODEL, f"data.source={path}", "train.epochs=2", "tokenizer.kind=wordpiece"]
    config = load_config(None, settings)
    first = train(config, output=tmp_path / "a")
    second = train(config, output=tmp_path / "b")
    assert [r.train_loss for r in first.history] == [r.train_loss for r in second.history]
    assert [r.validation_macro_f1 for r in first.history] == [r.validation_macro_f1 for r in second.history]
    assert _weights(tmp_path / "a" / "last") == _weights(tmp_path / "b" / "last")
    # ... and the seed is what fixes them: another seed starts from other weights and batches.
    other = train(load_config(None, [*settings, "train.seed=1"]), output=tmp_path / "c")
    assert [r.train_loss for r in other.history] != [r.train_loss for r in first.history]
    assert _weights(tmp_path / "c" / "last") != _weights(tmp_path / "a" / "last")


def _weights(folder):
    from safetensors.torch import load_file

    return {name: tensor.tolist() for name, tensor in load_file(str(folder / "model.safetensors")).items()}


def _cpu_autocast() -> tuple[bool, torch.dtype]:
    """Whether autocast is on for the CPU, and its dtype (torch before 2.4 has CPU-only names)."""
    try:
        return torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")
    except TypeError:  # torch before 2.4: is_autocast_enabled() takes no device
        return torch.is_autocast_cpu_enabled(), torch.get_autocast_cpu_dtype()


def test_bf16_autocast_trains_on_cpu(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1", "train.precision=bf16"])
    seen = []  # the autocast state each forward pass of training runs under
    forward = AttentionClassifier.forward

    def recording_forward(self, *args, **kwargs):
        seen.append(_cpu_autocast())
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(AttentionClassifier, "forward", recording_forward)
    result = train(config, output=tmp_path / "run")
    assert result.info.precision == "bf16" and result.history[0].train_loss > 0
    assert seen and all(state == (True, torch.bfloat16) for state in seen), set(seen)


def test_refusals_happen_before_any_work(tmp_path):
    output = tmp_path / "run"
    output.mkdir()
    (output / "keep.txt").write_text("x")
    config = load_config(None, ["data.source=/definitely/absent.csv"])
    with pytest.raises(CheckpointError):
        train(config, output=output)
    with pytest.raises(ConfigError, match=r"fp16 \(--precision or train.precision\) needs a CUDA device"):
        train(load_config(None, ["train.precision=fp16", "train.device=cpu"]), output=tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_early_stopping_ends_the_run_and_best_holds_the_best_macro_f1(tmp_path):
    rows = make_rows(120, seed=7)
    shuffled = [row["label"] for row in rows]
    random.Random(0).shuffle(shuffled)  # labels unrelated to the texts: validation cannot keep improving
    path = write_csv(
        tmp_path / "d.csv", [{**row, "label": label} for row, label in zip(rows, shuffled, strict=True)]
    )
    config = load_config(
        None,
        [*TINY_MODEL, f"data.source={path}", "train.epochs=30", "train.patience=1", "tokenizer.kind=word"],
    )
    result = train(config, output=tmp_path / "run")
    history = result.history
    assert result.metrics.stop_reason == "patience" and len(history) < 30
    best = max(history, key=lambda record: (record.validation_macro_f1, -record.validation_loss))
    rose = [
        r.epoch
        for i, r in enumerate(history)
        if all(r.validation_macro_f1 > p.validation_macro_f1 for p in history[:i])
    ]
    assert result.best_epoch == best.epoch and history[-1].epoch == rose[-1] + 1  # patience 1

    saved = json.loads((tmp_path / "run" / "best" / "metrics.json").read_text())
    assert saved["best_epoch"] == best.epoch and len(saved["history"]) == len(history)
    with pytest.raises(ConfigError, match="stopped early after epoch .* nothing to resume"):
        resume(tmp_path / "run", epochs=40)


def test_a_run_whose_patience_runs_out_at_the_ceiling_reached_the_ceiling_and_may_go_on(tmp_path):
    """It was 'stopped early', and --resume --epochs N refused to raise the ceiling."""
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    settings = [*TINY_MODEL, f"data.source={path}", "train.epochs=2", "train.patience=1", "train.lr=1e-12"]
    result = train(load_config(None, settings), output=tmp_path / "run")  # epoch 2 cannot improve
    assert [record.epoch for record in result.history] == [1, 2] and result.metrics.stop_reason == "epochs"
    resumed = resume(tmp_path / "run", epochs=3)
    assert [record.epoch for record in resumed.history] == [1, 2, 3]
    assert resumed.metrics.stop_reason == "epochs"


def test_patience_counts_epochs_since_the_best_epoch_a_lower_loss_at_equal_macro_f1_included():
    state = SimpleNamespace(
        best_key=None, best_epoch=0, epoch=1, epochs_without_improvement=0, progress_key=None
    )
    scores = [(0.8, 0.9), (1.0, 0.5), (1.0, 0.3), (1.0, 0.2), (0.9, 0.1), (1.0, 0.2), (1.0, 0.25)]
    scores += [(1.0, 0.19995), (1.0, 0.19991), (1.0, 0.1998)]
    best, waited = [], []
    for epoch, (f1, loss) in enumerate(scores, 1):
        state.epoch = epoch
        best.append(record_score(state, validation_f1=f1, validation_loss=loss))  # type: ignore[arg-type]
        waited.append(state.epochs_without_improvement)
    # Epochs 3 and 4 tie epoch 2's macro-F1 at a lower loss: they are better epochs, and the count
    # starts again; a lower loss at a lower macro-F1 (epoch 5) is not, nor an equal one (epoch 6).
    assert best[:7] == [True, True, True, True, False, False, False]
    assert waited[:7] == [0, 0, 0, 0, 1, 2, 3]
    # Epochs 8 and 9 are better epochs (best/ takes them), but their loss has fallen by less than
    # MIN_LOSS_FALL since epoch 4, float rounding on separable data, so the count goes on; by epoch
    # 10 it has fallen by more, and the count starts again.
    assert best[7:] == [True, True, True] and waited[7:] == [4, 5, 0] and state.best_epoch == 10


def test_epochs_in_the_learning_rates_warmup_do_not_count_toward_patience(tmp_path):
    """With a high ceiling the warmup spans many epochs; patience ran out inside it, at a tenth of
    the peak rate (a run on random word vectors, --epochs 300: best epoch 1 at 20% macro-F1)."""
    state = SimpleNamespace(
        best_key=None, best_epoch=0, epoch=1, epochs_without_improvement=0, progress_key=None
    )
    waited = []
    for epoch, warming_up in enumerate([True, True, True, False, False], 1):
        state.epoch = epoch
        record_score(state, validation_f1=0.5, validation_loss=1.0, warming_up=warming_up)  # type: ignore[arg-type]
        waited.append(state.epochs_without_improvement)
    assert waited == [0, 0, 0, 1, 2] and state.best_epoch == 1

    # 54 training rows in batches of 32: 2 steps an epoch, 20 in all, the first 10 warming up (to
    # the end of epoch 5). Nothing improves on epoch 1 at this rate, so patience 1 stops the run
    # at epoch 5, the first epoch after the warmup, not at epoch 2.
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    settings = [*TINY_MODEL, f"data.source={path}", "train.epochs=10", "train.patience=1"]
    settings += ["train.lr=1e-12", "train.warmup_ratio=0.5"]
    result = train(load_config(None, settings), output=tmp_path / "run")
    assert [record.epoch for record in result.history] == [1, 2, 3, 4, 5]
    assert result.metrics.stop_reason == "patience" and result.best_epoch == 1


def test_a_run_saved_before_the_patience_looked_past_tiny_loss_falls_resumes_counting_from_its_best_epoch(
    tmp_path, monkeypatch
):
    """training_state.json of attn 0.2.0 has no `progress_key`: a resumed run takes the best epoch's
    scores for it, from which that run had counted its patience."""
    import attncli.fit
    from attncli.checksums import record_of, sealed

    config = _resumable_config(tmp_path)
    run = tmp_path / "run"
    train(dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=1)), output=run)
    last = run / "last"
    values = json.loads((last / "training_state.json").read_text())
    assert values["progress_key"] == values["best_key"] is not None
    del values["progress_key"]
    (last / "training_state.json").write_text(json.dumps(values))
    header = json.loads((last / "config.json").read_text())
    header["files"]["training_state.json"] = record_of((last / "training_state.json").read_bytes())
    header.pop("config_sha256", None)
    (last / "config.json").write_text(json.dumps(sealed(header)))
    seen = []
    real = attncli.fit.record_score

    def recording(state, **scores):
        seen.append(state.progress_key)
        return real(state, **scores)

    monkeypatch.setattr(attncli.fit, "record_score", recording)
    resume(run, epochs=2)
    assert seen == [tuple(values["best_key"])]


def test_class_weights_reach_the_loss(tmp_path, monkeypatch):
    import torch.nn.functional as F

    seen = []
    real = F.cross_entropy

    def recording(*args, **kwargs):
        seen.append(kwargs.get("weight"))
        return real(*args, **kwargs)

    monkeypatch.setattr(F, "cross_entropy", recording)
    rows = make_rows(60, labels=("food", "sport")) + make_rows(10, seed=3, labels=("tech",))
    path = write_csv(tmp_path / "d.csv", rows)
    config = load_config(
        None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1", "train.class_weights=auto"]
    )
    recorder = StageRecorder()
    train(config, output=tmp_path / "run", reporter=recorder)  # type: ignore[arg-type]
    stages = recorder.lines
    weights = next(weight for weight in seen if weight is not None)
    # 10% of each label is carved for validation: 27 + 27 + 9 training rows.
    assert weights.tolist() == pytest.approx([63 / (3 * 27), 63 / (3 * 27), 63 / (3 * 9)])
    assert "class weights (auto: inverse frequency in train): food 0.778, sport 0.778, tech 2.33" in stages
    # What was applied is kept: auto's weights depend on the validation carve, so info cannot redo them.
    metrics = json.loads((tmp_path / "run" / "best" / "metrics.json").read_text())
    # ... and the threads it trained on, which order every step's float sums (a rerun on another
    # number is close, not bit for bit)
    assert metrics["threads"] == torch.get_num_threads()
    assert metrics["class_weights"] == pytest.approx({"food": 63 / 81, "sport": 63 / 81, "tech": 63 / 27})
    # A list or a mapping is said against the labels too: a list is in label order, which was not shown.
    for setting in ("[1, 4, 1]", "{tech: 4}"):
        recorder = StageRecorder()
        given = load_config(
            None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1", f"train.class_weights={setting}"]
        )
        train(given, output=tmp_path / "given", reporter=recorder, overwrite=True)  # type: ignore[arg-type]
        expected = "food 1, sport 4, tech 1" if setting.startswith("[") else "food 1, sport 1, tech 4"
        assert f"class weights (given): {expected}" in recorder.lines


def _resumable_config(tmp_path):
    """Three epochs of 9 steps on 150 rows, no early stop; whole words, so runs are reproducible."""
    path = write_csv(tmp_path / "d.csv", make_rows(150, seed=5))
    settings = [
        *TINY_MODEL,
        f"data.source={path}",
        "train.epochs=3",
        "train.patience=0",
        "tokenizer.kind=word",
    ]
    return load_config(None, settings)


def _interrupted(config, output, monkeypatch):
    """Train `config` into `output`, stopped by SIGINT at global step 13 (epoch 2, step 4)."""
    monkeypatch.setenv(INTERRUPT_VARIABLE, "13")
    with pytest.raises(TrainingInterrupted) as stopped:
        train(config, output=output)
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    return stopped.value


def _logged(run):
    """(step, training loss, validation loss) of each line of a run's metrics.jsonl."""
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [(r["step"], r.get("loss"), r.get("validation_loss")) for r in map(json.loads, lines)]


def test_interrupted_and_resumed_run_ends_bit_identical_to_one_left_alone(tmp_path, monkeypatch):
    config = _resumable_config(tmp_path)
    alone = train(config, output=tmp_path / "alone")
    stopped = _interrupted(config, tmp_path / "resumed", monkeypatch)
    assert "resume with: attn train --resume" in str(stopped)
    assert "epoch 2, step 4" in str(stopped) and stopped.exit_code == 130
    # Training into it again is refused, with how to carry it on (it said --overwrite alone)
    with pytest.raises(CheckpointError) as refused:
        train(config, output=tmp_path / "resumed")
    assert str(refused.value).endswith(
        f"or another folder; its run is unfinished, and attn train --resume {tmp_path / 'resumed'} "
        "carries it on"
    )
    with pytest.raises(CheckpointError) as refused:  # a finished run has nothing to carry on
        train(config, output=tmp_path / "alone")
    assert str(refused.value).endswith("pass --overwrite to replace the attn run in it, or another folder")
    interrupted_seconds = json.loads((tmp_path / "resumed" / "last" / "metrics.json").read_text())[
        "train_seconds"
    ]
    assert interrupted_seconds > 0
    best_record = json.loads((tmp_path / "resumed" / "best" / "metrics.json").read_text())
    assert best_record["stop_reason"] == "interrupted"  # what `attn info RUN` shows
    # As if killed later, before another last/ was saved: steps logged past it, the last line cut short.
    with (tmp_path / "resumed" / "metrics.jsonl").open("a") as log:
        log.write('{"step": 14, "epoch": 2, "loss": 9.0}\n{"step": 15, "epo')
    resumed = resume(tmp_path / "resumed")
    # The log reads as the uninterrupted run's: each step once, with the same losses. Its step lines
    # come every 10 steps of the run (epochs of 9 steps logged none: found in a user's trial).
    assert [step for step, loss, _ in _logged(tmp_path / "alone") if loss is not None] == [10, 20]
    assert _logged(tmp_path / "resumed") == _logged(tmp_path / "alone")
    assert _weights(tmp_path / "alone" / "last") == _weights(tmp_path / "resumed" / "last")
    assert _weights(tmp_path / "alone" / "best") == _weights(tmp_path / "resumed" / "best")
    assert [r.train_loss for r in alone.history] == [r.train_loss for r in resumed.history]
    assert resumed.metrics.train_seconds > interrupted_seconds  # both sessions' time
    with pytest.raises(ConfigError, match="already trained 3 epochs; pass a higher --epochs"):
        resume(tmp_path / "resumed")
    longer = resume(tmp_path / "resumed", epochs=4)
    assert [record.epoch for record in longer.history] == [1, 2, 3, 4]
    # An --overwrite killed before its first epoch ended leaves the finished run aside, and --resume
    # puts it back: it then trained nothing, printed the old summary as saved, and exited 0.
    folder = open_run_folder(tmp_path / "resumed", overwrite=True)
    folder.clear_previous_run()
    folder.release()
    with pytest.raises(ConfigError, match="already trained 4 epochs; pass a higher --epochs"):
        resume(tmp_path / "resumed")
    assert (tmp_path / "resumed" / "last" / "config.json").is_file()  # the run is back in place


def test_a_run_resumed_on_another_number_of_threads_says_so_and_records_no_one_number(tmp_path, monkeypatch):
    """Another number of threads sums in another order, and a trial's 2-layer run resumed on 1 of its
    2 threads ended elsewhere (validation 78.5% against 76.5%) without a word, its metrics.json
    then saying it trained on 1."""
    from attncli.info import describe_checkpoint

    config = _resumable_config(tmp_path)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        _interrupted(config, tmp_path / "run", monkeypatch)
        assert json.loads((tmp_path / "run" / "last" / "metrics.json").read_text())["threads"] == 1
        torch.set_num_threads(2)
        reporter = StageRecorder()
        resume(tmp_path / "run", reporter=reporter)  # type: ignore[arg-type]
    finally:
        torch.set_num_threads(threads)
    assert (
        "note: the run trained on 1 torch thread a process and resumes on 2: its sums take another order "
        "from here, so it ends close to, not the same as, the run left alone; to carry on exactly, resume "
        "with --threads 1"
    ) in reporter.lines
    metrics = json.loads((tmp_path / "run" / "best" / "metrics.json").read_text())
    assert [record["threads"] for record in metrics["history"]] == [1, 2, 2]
    assert metrics["threads"] is None and describe_checkpoint(tmp_path / "run").training.threads is None


def test_a_resumed_run_saves_the_settings_the_run_left_alone_saves_its_data_source_as_typed(
    tmp_path, monkeypatch
):
    """The resumed run had written the data's absolute path over `data.source` as typed, so its
    config.json (and config_sha256) differed from the run's left alone (a reproducibility trial)."""
    monkeypatch.chdir(tmp_path)
    config = _resumable_config(tmp_path)  # writes d.csv there
    config = dataclasses.replace(config, data=dataclasses.replace(config.data, source="d.csv"))
    train(config, output=tmp_path / "alone")
    _interrupted(config, tmp_path / "resumed", monkeypatch)
    monkeypatch.chdir(tmp_path / "resumed")  # resumed from elsewhere: the recorded path finds the data
    resume(tmp_path / "resumed")
    for checkpoint in ("best", "last"):
        saved = [
            json.loads((tmp_path / run / checkpoint / "config.json").read_text())
            for run in ("alone", "resumed")
        ]
        assert saved[0]["config"] == saved[1]["config"] and saved[0]["config"]["data"]["source"] == "d.csv"
        assert saved[0]["data_path"] == saved[1]["data_path"] == str(tmp_path / "d.csv")
    assert _weights(tmp_path / "alone" / "last") == _weights(tmp_path / "resumed" / "last")


def test_an_adversarially_trained_run_interrupted_in_the_warmup_resumes_bit_identical(tmp_path, monkeypatch):
    """The pass that finds the move draws dropout masks too, and its strength rises over the warmup
    (24 of the 27 steps here, step 13 among them): a resumed run must draw and rise as one left alone."""
    import dataclasses

    config = _resumable_config(tmp_path)
    config = dataclasses.replace(
        config,
        model=dataclasses.replace(config.model, num_layers=0),
        train=dataclasses.replace(config.train, adversarial=1.0, warmup_ratio=0.9),
    )
    alone = train(config, output=tmp_path / "alone")
    _interrupted(config, tmp_path / "resumed", monkeypatch)
    resumed = resume(tmp_path / "resumed")
    assert _logged(tmp_path / "resumed") == _logged(tmp_path / "alone")
    assert _weights(tmp_path / "alone" / "last") == _weights(tmp_path / "resumed" / "last")
    assert [r.train_loss for r in alone.history] == [r.train_loss for r in resumed.history]
    assert alone.config.train.adversarial == 1.0 and resumed.config.train.adversarial == 1.0


def _grad_scaler_from(monkeypatch, init_scale, overflow_at=()):
    """Training's grad scaler switched on at `init_scale`: fp16 runs on CUDA only, but its scaler
    runs on the CPU too, where it scales fp32 losses by powers of two (exactly), so the fp16 path's
    steps (unscaling before clipping, skipping overflowed steps, the scale saved in last/) are
    checked here with attn's own AdamW, which is not a torch Optimizer. The losses scaled at the
    steps counted in `overflow_at` (from 1, over every scaler made after `steps.clear()`) overflow,
    as fp16 gradients do."""
    import torch

    steps: list[int] = []

    class Scaler(torch.amp.GradScaler):
        def scale(self, outputs):
            steps.append(len(steps) + 1)
            scaled = super().scale(outputs)
            return scaled * float("inf") if steps[-1] in overflow_at else scaled

    monkeypatch.setattr(
        torch.amp, "GradScaler", lambda device, enabled: Scaler(device, enabled=True, init_scale=init_scale)
    )
    return steps


def _training_state(run):
    from safetensors.torch import load_file

    folder = run / "last"
    return load_file(str(folder / "training_state.safetensors")), json.loads(
        (folder / "training_state.json").read_text()
    )


def test_the_fp16_grad_scaler_steps_attns_optimizer_as_unscaled_training_would(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1", "tokenizer.kind=word"])
    plain = train(config, output=tmp_path / "plain")
    _grad_scaler_from(monkeypatch, 2.0**16)
    scaled = train(config, output=tmp_path / "scaled")
    assert _weights(tmp_path / "plain" / "last") == _weights(tmp_path / "scaled" / "last")
    assert [r.train_loss for r in plain.history] == [r.train_loss for r in scaled.history]
    assert _training_state(tmp_path / "scaled")[1]["scaler"]["scale"] == 2.0**16
    assert _training_state(tmp_path / "plain")[1]["scaler"] == {}


def test_steps_the_grad_scaler_skips_are_not_errors_and_its_scale_resumes(tmp_path, monkeypatch):
    steps = _grad_scaler_from(monkeypatch, 2.0**16, overflow_at=(2, 3, 4))
    config = _resumable_config(tmp_path)
    alone = train(config, output=tmp_path / "alone")
    tensors, values = _training_state(tmp_path / "alone")
    # Three steps skipped (Adam counted the others), the scale halved at each, and the run went on.
    assert values["global_step"] - int(tensors["optimizer.0.step"].item()) == 3
    assert values["scaler"]["scale"] == 2.0**13
    assert all(math.isfinite(record.train_loss) for record in alone.history)
    # Stopped after the skips and resumed: the scale comes back with the run, not from the start.
    steps.clear()
    _interrupted(config, tmp_path / "resumed", monkeypatch)
    resume(tmp_path / "resumed")
    assert _training_state(tmp_path / "resumed")[1]["scaler"] == values["scaler"]
    assert _weights(tmp_path / "alone" / "last") == _weights(tmp_path / "resumed" / "last")


def test_a_run_stopped_on_a_logged_step_and_resumed_logs_every_step_once(tmp_path, monkeypatch):
    # Batches of 8: 17 steps an epoch, so steps 10 are logged; the run stops right on one.
    source = _resumable_config(tmp_path).data.source
    settings = ["train.epochs=2", "train.patience=0", "tokenizer.kind=word", "train.batch_size=8"]
    config = load_config(None, [*TINY_MODEL, f"data.source={source}", *settings])
    train(config, output=tmp_path / "alone")
    monkeypatch.setenv(INTERRUPT_VARIABLE, "10")
    with pytest.raises(TrainingInterrupted, match="epoch 1, step 10"):
        train(config, output=tmp_path / "resumed")
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    resume(tmp_path / "resumed")
    logged = _logged(tmp_path / "resumed")
    assert logged == _logged(tmp_path / "alone") and 10 in [step for step, *_ in logged]


def test_tensorboard_hides_the_steps_a_killed_run_logged_past_its_last_checkpoint(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    resumable = _resumable_config(tmp_path)
    config = dataclasses.replace(resumable, train=dataclasses.replace(resumable.train, tensorboard=True))
    _interrupted(config, tmp_path / "run", monkeypatch)  # last/ holds step 13
    # As if killed later, before another last/ was saved: events of steps its resumption trains again.
    killed = SummaryWriter(str(tmp_path / "run" / "tensorboard"))
    killed.add_scalar("validation/macro_f1", 0.0, 18)
    killed.add_scalar("train/loss", 9.0, 20)
    killed.close()
    resume(tmp_path / "run")
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard")).Reload()
    logged = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    for tag, key in (("train/loss", "loss"), ("validation/macro_f1", "validation_macro_f1")):
        shown = [(event.step, event.value) for event in events.Scalars(tag)]
        expected = [(record["step"], record[key]) for record in logged if key in record]
        assert [step for step, _ in shown] == [step for step, _ in expected]  # each step once
        assert [value for _, value in shown] == pytest.approx([value for _, value in expected], rel=1e-6)


CPU_REFUSAL = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried "
    "to allocate 25600000000 bytes. Error code 12 (Cannot allocate memory)"
)


def _lower(config):
    """What an out-of-memory message asks to lower, with the run's values."""
    return (
        f"lower --batch-size (train.batch_size, {config.train.batch_size}) or --max-length "
        f"(model.max_length, {config.model.length})"
    )


def _forward_failing(monkeypatch, *, after_validation):
    """Make the model's forward fail as torch's allocator does: at once, or from the first training
    step after a validation pass (epoch 2's first step, once last/ holds epoch 1)."""
    from attncli.model.classifier import AttentionClassifier

    real, validated = AttentionClassifier.forward, []

    def forward(self, *args, **kwargs):
        if not self.training:
            validated.append(True)
        elif validated or not after_validation:
            raise RuntimeError(CPU_REFUSAL)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(AttentionClassifier, "forward", forward)


def test_out_of_memory_while_training_says_what_to_lower_and_keeps_the_earlier_run(tmp_path, monkeypatch):
    config = _resumable_config(tmp_path)
    run = tmp_path / "run"
    train(config, output=run)
    earlier = _weights(run / "best")
    _forward_failing(monkeypatch, after_validation=False)
    with pytest.raises(OutOfMemory) as failed:
        train(config, output=run, overwrite=True)
    assert str(failed.value) == (
        f"out of memory on cpu while training (an allocation of 23.8 GiB failed); nothing of this run was "
        f"kept, and {run} holds the earlier run again; {_lower(config)} and train again"
    )
    assert failed.value.exit_code == 1 and _weights(run / "best") == earlier
    with pytest.raises(OutOfMemory, match="out of memory"):  # a new folder is left as it was: none
        train(config, output=tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_folder_that_cannot_be_put_back_is_said_beside_the_failure_not_instead_of_it(tmp_path, monkeypatch):
    import errno
    import os

    config = _resumable_config(tmp_path)
    run = tmp_path / "run"
    train(config, output=run)

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("attncli.run_folder.RunFolder.discard_this_run", read_only)
    _forward_failing(monkeypatch, after_validation=False)
    with pytest.raises(OutOfMemory) as failed:  # it was the PermissionError, the cause unsaid
        train(config, output=run, overwrite=True)
    assert f"; {run} could not be put back as it was (Permission denied); lower --batch-size" in str(
        failed.value
    )


def test_out_of_memory_after_an_epoch_keeps_it_and_says_to_train_again_with_overwrite(tmp_path, monkeypatch):
    config = _resumable_config(tmp_path)
    run = tmp_path / "run"
    _forward_failing(monkeypatch, after_validation=True)
    with pytest.raises(OutOfMemory) as failed:
        train(config, output=run)
    assert str(failed.value).endswith(
        f"{run / 'last'} holds the state at the end of epoch 1, {run / 'best'} the best epoch; "
        f"{_lower(config)} and train again with --overwrite (a resumed run keeps its settings)"
    )
    assert [record["epoch"] for record in load_checkpoint(run / "last").metrics["history"]] == [1]


def test_an_unexpected_failure_in_the_first_epoch_of_an_overwrite_puts_the_earlier_run_back(
    tmp_path, monkeypatch
):
    from attncli.model.classifier import AttentionClassifier

    config = _resumable_config(tmp_path)
    run = tmp_path / "run"
    train(config, output=run)
    earlier = _weights(run / "best")

    def forward(self, *args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(AttentionClassifier, "forward", forward)
    with pytest.raises(ValueError, match="a bug"):  # said by the CLI in one line, exit 1
        train(config, output=run, overwrite=True)
    # It was left aside in .attn-replaced/, out of reach of eval and predict until the next train.
    assert sorted(path.name for path in run.iterdir()) == ["best", "last", "metrics.jsonl"]
    assert _weights(run / "best") == earlier


def test_a_model_too_large_for_the_memory_is_refused_before_the_folder_is_touched(tmp_path, monkeypatch):
    config = _resumable_config(tmp_path)
    run = tmp_path / "run"
    train(config, output=run)
    earlier = _weights(run / "best")
    vocab_size = load_checkpoint(run).tokenizer.get_vocab_size(with_added_tokens=True)

    def refused(*args, **kwargs):
        raise RuntimeError(CPU_REFUSAL)

    # As an allocation too large for the machine fails (a table, a matrix: --set model.embed_dim=100000): it
    # was torch's words and exit 1, where a setting is the cause.
    monkeypatch.setattr("attncli.model.positional.sinusoidal_table", refused)
    with pytest.raises(ConfigError) as failed:
        train(config, output=run, overwrite=True)
    assert str(failed.value) == (
        "the model does not fit in memory on cpu (an allocation of 23.8 GiB failed); lower --max-length "
        f"(model.max_length, {config.model.length}), model.embed_dim ({config.model.width}) or "
        f"tokenizer.vocab_size (a vocabulary of {vocab_size:,}); nothing was written"
    )
    assert failed.value.exit_code == 2 and _weights(run / "best") == earlier
    assert isinstance(failed.value.__cause__, RuntimeError)  # the allocation's traceback, for --debug
    # A resumed run keeps its settings, and its model fitted when it began: the machine is what changed.
    with pytest.raises(OutOfMemory) as failed:
        resume(run, epochs=4)
    assert str(failed.value) == (
        f"the model of {run / 'last'} does not fit in memory on cpu (an allocation of 23.8 GiB failed); "
        "free memory, or use a machine with more"
    )
    assert failed.value.exit_code == 1 and _weights(run / "best") == earlier


def test_out_of_memory_while_saving_an_epoch_says_what_was_saved_whole(tmp_path, monkeypatch):
    import attncli.run_writer

    config = _resumable_config(tmp_path)
    run = tmp_path / "run"
    real = attncli.run_writer.save_checkpoint

    def save(path, **kwargs):  # best/ is written whole, then last/ fails as it is built in memory
        if path.name == "last":
            raise RuntimeError(CPU_REFUSAL)
        real(path, **kwargs)

    monkeypatch.setattr(attncli.run_writer, "save_checkpoint", save)
    with pytest.raises(OutOfMemory) as failed:
        train(config, output=run)
    # The epoch had ended (its record was kept), but last/ was never written: it said it held it.
    assert str(failed.value).endswith(
        f"{run / 'best'} holds epoch 1, the best so far, but without last/ the run cannot be resumed; "
        f"{_lower(config)} and train again with --overwrite (a resumed run keeps its settings)"
    )
    assert sorted(path.name for path in run.iterdir()) == ["best", "metrics.jsonl"]


def test_out_of_memory_in_the_refit_keeps_the_best_epoch_and_resuming_refits_it(tmp_path, monkeypatch):
    import attncli.train

    resumable = _resumable_config(tmp_path)
    config = dataclasses.replace(resumable, train=dataclasses.replace(resumable.train, refit_epochs=1))
    run = tmp_path / "run"
    real = attncli.train.refit

    def refit(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(attncli.train, "refit", refit)
    with pytest.raises(OutOfMemory) as failed:
        train(config, output=run)
    assert str(failed.value) == (
        f"out of memory on cpu while refitting the best epoch on every training row (an allocation "
        f"failed); {run / 'best'} holds the best epoch, not refitted, ready to use; to refit it, free memory "
        f"and resume: attn train --resume {run}"
    )
    assert load_checkpoint(run / "best").metrics.get("refit") is None
    monkeypatch.setattr(attncli.train, "refit", real)
    resume(run)
    assert load_checkpoint(run / "best").metrics["refit"]["epochs"] == 1


def test_a_non_finite_loss_after_an_epoch_keeps_last_and_best(tmp_path, monkeypatch):
    import math

    import attncli.fit

    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=3", "train.batch_size=8"])
    checked = []

    def finite(value: float) -> bool:  # the 8th loss read, in epoch 2 (7 steps an epoch), is nan
        checked.append(value)
        return len(checked) != 8 and math.isfinite(value)

    monkeypatch.setattr(attncli.fit, "_finite", finite)
    with pytest.raises(TrainingError, match="at epoch 2, step 1; lower --lr") as failed:
        train(config, output=tmp_path / "run")
    run = tmp_path / "run"
    assert str(failed.value).endswith(
        f"{run / 'last'} holds the state at the end of epoch 1, {run / 'best'} the best epoch"
    )
    assert load_checkpoint(run).metrics["best_epoch"] == 1


def test_a_non_finite_loss_in_a_resumed_run_names_the_state_it_resumed_from(tmp_path, monkeypatch):
    import attncli.fit

    config = _resumable_config(tmp_path)
    _interrupted(config, tmp_path / "run", monkeypatch)  # epoch 2, step 4: last/ is mid-epoch
    monkeypatch.setattr(attncli.fit, "_finite", lambda loss: False)
    with pytest.raises(TrainingError, match="at epoch 2, step 5; lower --lr") as failed:
        resume(tmp_path / "run")
    assert str(failed.value).endswith(f"{tmp_path / 'run' / 'last'} holds the state the run resumed from")


def test_a_non_finite_loss_in_the_first_epoch_leaves_the_folder_as_it_was(tmp_path):
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(
        None, [*TINY_MODEL, f"data.source={path}", "train.epochs=3", "train.lr=1e30", "train.grad_clip=0"]
    )
    with pytest.raises(
        TrainingError,
        match=r"the loss became (nan|inf) at epoch 1, step \d+; lower --lr \(it is 1e\+30\), or clip "
        r"gradients again \(train.grad_clip, 0 turns clipping off\); nothing",
    ) as failed:
        train(config, output=tmp_path / "run")
    # Nothing of its own was saved: the folder is as it was, so the same command can run again.
    assert str(failed.value).endswith(f"nothing of this run was kept, and {tmp_path / 'run'} is as it was")
    assert not (tmp_path / "run").exists()
    sound = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1"])
    train(sound, output=tmp_path / "run")
    before = sorted((path.name, path.stat().st_mtime_ns) for path in (tmp_path / "run").rglob("*"))
    with pytest.raises(TrainingError, match="holds the earlier run again$"):
        train(config, output=tmp_path / "run", overwrite=True)
    assert sorted((path.name, path.stat().st_mtime_ns) for path in (tmp_path / "run").rglob("*")) == before


def test_tensorboard_events_or_a_message_saying_how_to_install(tmp_path, monkeypatch):
    import builtins

    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(
        None,
        [
            *TINY_MODEL,
            f"data.source={path}",
            "train.epochs=1",
            "train.batch_size=4",
            "train.tensorboard=true",
        ],
    )  # 14 steps: the 10th is logged
    real_import = builtins.__import__

    def without_tensorboard(name, *args, **kwargs):
        if name == "tensorboard":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_tensorboard)
    with pytest.raises(ConfigError, match=r"pip install 'tensorboard>=2.14', or drop the setting"):
        train(config, output=tmp_path / "refused")
    assert not (tmp_path / "refused").exists()
    from attncli.run_writer import require_tensorboard

    with pytest.raises(ConfigError) as resuming:  # a resumed run cannot drop a setting
        require_tensorboard(config, resuming=True)
    assert str(resuming.value) == (
        "train.tensorboard needs the tensorboard package; install it with pip install "
        "'tensorboard>=2.14' (the run was started with it, and a resumed run keeps its settings)"
    )
    monkeypatch.setattr(builtins, "__import__", real_import)
    pytest.importorskip("tensorboard")
    train(config, output=tmp_path / "run")
    events = list((tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 0
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags = set(EventAccumulator(str(events[0])).Reload().Tags()["scalars"])
    assert {"train/loss", "train/tokens_per_second", "epoch/tokens_per_second", "validation/macro_f1"} <= tags
    assert "tokens_per_second" not in tags  # one series a chart: steps and epochs apart
    # Every setting for the HParams dashboard, which compares runs by them (a trial found scalars alone).
    from tensorboard.plugins.hparams import plugin_data_pb2

    accumulator = EventAccumulator(str(events[0])).Reload()
    content = accumulator.PluginTagToContent("hparams")
    started = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    recorded = started.session_start_info.hparams
    assert recorded["train.batch_size"].number_value == 4 and recorded["model.positional"].string_value == (
        config.model.positional
    )
    assert recorded["train.tensorboard"].number_value == 1  # torch writes a boolean as a number
    assert recorded["data.source"].string_value == str(path)
    assert "train.class_weights" not in recorded  # null: left out, not text beside other runs' numbers
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    assert (
        {info.name.tag for info in experiment.metric_infos}
        == {"validation/accuracy", "validation/macro_f1", "validation/loss"}
        <= set(accumulator.Tags()["scalars"])
    )


def test_summary_records_padding_and_peak_memory(trained):
    import io
    import resource

    from rich.console import Console

    from attncli.render import ATTN_THEME, render_train_summary

    assert all(0.0 <= record.padding_fraction < 0.5 for record in trained.history)
    # The process's peak so far, in MB, bounds the peak the run recorded (a KB figure read as MB
    # would be a thousand times over it).
    assert 50 < trained.metrics.peak_memory_mb <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    log = io.StringIO()  # a log file: 80 columns, every header whole
    Console(file=log, width=80, theme=ATTN_THEME).print(render_train_summary(trained))
    assert max(len(line) for line in log.getvalue().splitlines()) <= 80 and "…" not in log.getvalue()
    assert "accuracy" in log.getvalue() and "macro-F1" in log.getvalue() and "tokens/s" in log.getvalue()
    assert "warning" not in log.getvalue() and trained.best.missed_labels == []


def test_padding_fraction_is_the_share_of_padded_positions_in_the_epochs_batches(tmp_path, monkeypatch):
    import attncli.fit

    planned = []  # (lengths, batches) of each epoch, as the training loop planned them
    plan = attncli.fit.plan_batches

    def recording_plan(lengths, **kwargs):
        batches = plan(lengths, **kwargs)
        planned.append((lengths.clone(), [rows.clone() for rows in batches]))
        return batches

    monkeypatch.setattr(attncli.fit, "plan_batches", recording_plan)
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    settings = [*TINY_MODEL, f"data.source={path}", "train.epochs=2", "train.batch_size=8"]
    result = train(load_config(None, settings), output=tmp_path / "run")
    assert len(planned) == len(result.history) == 2
    for (lengths, batches), record in zip(planned, result.history, strict=True):
        real = sum(int(lengths[rows].sum()) for rows in batches)
        padded = sum(len(rows) * int(lengths[rows].max()) for rows in batches)
        assert padded > real  # texts of several lengths: some padding to count
        assert record.padding_fraction == pytest.approx(1 - real / padded)


def test_resume_refuses_data_that_changed_since_the_run_was_saved(tmp_path, monkeypatch):
    config = _resumable_config(tmp_path)
    data = Path(config.data.source)
    original = data.read_text()
    lines = original.splitlines(keepends=True)
    _interrupted(config, tmp_path / "run", monkeypatch)
    changed = {
        "labels of .* are not the run's .*put back the data": [*lines, "New words here,music\n"],
        r"\(the same number of texts, but other texts or labels\)": [
            lines[0],
            lines[1].replace(lines[1].split(",")[0], "Something else entirely"),
            *lines[2:],
        ],
        r"\(\d+ training and \d+ validation texts now, 135 and 15 then\)": lines[:-10],
    }
    for message, edited in changed.items():
        data.write_text("".join(edited))
        with pytest.raises(ConfigError, match=message):
            resume(tmp_path / "run")
    data.write_text(original)
    # Other data named as DATA is not the run's: it has not "changed since the run was saved".
    other = tmp_path / "other.csv"
    other.write_text("".join(lines[:-10]))
    with pytest.raises(ConfigError) as refused:
        resume(tmp_path / "run", data=str(other))
    assert str(refused.value) == (
        f"{other} is not the run's data (125 training and 15 validation texts now, 135 and 15 then); pass "
        f"the run's data (it trained on {data}), or train a new run on this data with another --output"
    )
    shutil.rmtree(tmp_path / "run" / "best")  # removed by hand: said, not left to be found later
    recorder = StageRecorder()
    assert resume(tmp_path / "run", reporter=recorder).history[-1].epoch == 3  # type: ignore[arg-type]
    stages = recorder.lines
    assert "continuing epoch 2 after its step 4" in stages
    warning = next(stage for stage in stages if "is gone" in stage)
    run = tmp_path / "run"
    assert re.sub(r"above 0\.\d{4}", "above F1", warning) == (
        f"warning: {run / 'best'} (epoch 1) is gone; only a better epoch (validation macro-F1 above F1, or "
        f"equal at a lower loss) writes it again; until then eval, predict and inspect of the run refuse it, "
        f"and take {run / 'last'} for the model as the run left it"
    )  # it said eval used last/, which eval has refused since a run with no best/ is no validated model
    # last/ written before the digest was kept: the split sizes still tell a changed file.
    monkeypatch.setattr(
        RunWriter, "_training_state", lambda self, state, rank_states, sums: state.state_dict()
    )
    _interrupted(config, tmp_path / "old", monkeypatch)
    data.write_text("".join(lines[:-10]))
    with pytest.raises(ConfigError, match="validation texts now, 135 and 15 then"):
        resume(tmp_path / "old")


def test_a_run_whose_data_moved_resumes_from_where_it_is_now_if_it_is_the_same(tmp_path, monkeypatch):
    from attncli.errors import DataError

    config = _resumable_config(tmp_path)
    data = Path(config.data.source)
    _interrupted(config, tmp_path / "run", monkeypatch)
    moved = tmp_path / "elsewhere.csv"
    data.rename(moved)
    with pytest.raises(
        DataError
    ) as gone:  # it said "does not exist; pass an existing file", which --resume refused
        resume(tmp_path / "run")
    assert str(gone.value) == (
        f"the run's training data {data} is gone; put it back, or pass where it is now: "
        f"attn train DATA --resume {tmp_path / 'run'}"
    )
    other = tmp_path / "other.csv"
    other.write_text("".join(moved.read_text().splitlines(keepends=True)[:-10]))
    refused = StageRecorder()
    with pytest.raises(ConfigError, match="validation texts now, 135 and 15 then"):
        resume(tmp_path / "run", data=str(other), reporter=refused)  # type: ignore[arg-type]
    assert not [line for line in refused.lines if "records it" in line]  # it said so before the check
    recorder = StageRecorder()
    result = resume(tmp_path / "run", data=str(moved), epochs=2, reporter=recorder)  # type: ignore[arg-type]
    assert result.history[-1].epoch == 2
    assert (
        "note: --epochs 2 lowers the ceiling from 3: the learning rate decays to 0 by epoch 2, faster from "
        "here than the run had it"
    ) in recorder.lines
    assert f"note: reading the run's data from {moved} (it recorded {data})" in recorder.lines
    assert (
        f"note: {moved} holds the run's data, and the run records it, so attn eval {tmp_path / 'run'} reads "
        "its test split there from now on"
    ) in recorder.lines
    assert any(line.startswith("settings of the run, as saved (the rest default") for line in recorder.lines)
    assert load_checkpoint(tmp_path / "run" / "last").config.data.source == str(moved)
    # best/ too, which no epoch of the resumed run replaced (eval read the old place, against the note).
    assert [record.epoch for record in result.history] == [1, 2] and result.metrics.best_epoch == 1
    assert load_checkpoint(tmp_path / "run" / "best").config.data.source == str(moved)
    assert load_checkpoint(tmp_path / "run" / "best").header["data_path"] == str(moved.resolve())


def test_a_higher_epoch_ceiling_on_resume_says_the_schedule_is_spread_over_it(tmp_path, monkeypatch):
    """The schedule (warmup and decay) is spread over the new ceiling, so the rate jumps from where
    the run left it: a lower ceiling said so, a higher one said nothing. The change is recorded, and
    said where the run's config is trained again: config.json keeps the new ceiling alone, with which
    a model-selection trial's rerun of an extended run trained another model (81.1% against 73.0%)."""
    from rich.console import Console

    from attncli.config_loading import load_config, raised_ceiling_note
    from attncli.info import describe_checkpoint
    from attncli.render import ATTN_THEME, render_info

    config = _resumable_config(tmp_path)
    _interrupted(config, tmp_path / "run", monkeypatch)
    recorder = StageRecorder()
    resume(tmp_path / "run", epochs=5, reporter=recorder)  # type: ignore[arg-type]
    assert (
        "note: --epochs 5 raises the ceiling from 3: the learning rate's warmup and decay are spread over 5 "
        "epochs, so from here it follows that schedule, not the one the run had"
    ) in recorder.lines
    assert not [line for line in recorder.lines if "lowers the ceiling" in line]
    change = {"after_epoch": 1, "from": 3, "to": 5}  # stopped in epoch 2: epoch 1 recorded
    for folder in ("best", "last"):
        assert json.loads((tmp_path / "run" / folder / "metrics.json").read_text())["ceilings"] == [change]
    info = describe_checkpoint(tmp_path / "run" / "best")
    assert info.to_json()["training"]["ceilings"] == [change]
    console = Console(width=300, record=True, file=io.StringIO(), theme=ATTN_THEME)
    console.print(render_info(info))
    assert "5 trained, best 5; ceiling 3, then 5 from a resume after epoch 1" in console.export_text()
    saved = tmp_path / "run" / "best" / "config.json"
    assert raised_ceiling_note(saved, load_config(saved, [])) == (
        f"{tmp_path / 'run' / 'best'} was trained with train.epochs=3, changed to 5 by a --resume after "
        "epoch 1; the learning rate's schedule follows the ceiling, so this run, with 5 from its start, "
        "trains another model"
    )
    assert raised_ceiling_note(saved, load_config(saved, ["train.epochs=3"])) is None  # as it started
    # A best/ saved under the second of three ceilings keeps that one (a review: said only for the last).
    metrics = json.loads((saved.parent / "metrics.json").read_text())
    metrics["ceilings"].append({"after_epoch": 4, "from": 5, "to": 7})
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "config.json").write_text(saved.read_text())
    (tmp_path / "copy" / "metrics.json").write_text(json.dumps(metrics))
    copied = tmp_path / "copy" / "config.json"
    assert raised_ceiling_note(copied, load_config(copied, [])) == (
        f"{tmp_path / 'copy'} was trained with train.epochs=3, changed to 5 by a --resume after epoch 1, "
        "to 7 by a --resume after epoch 4; the learning rate's schedule follows the ceiling, so this run, "
        "with 5 from its start, trains another model"
    )
    # A run resumed without a new ceiling records none; and one copied first (cp -r, as README says,
    # to keep the run as it was) resumes in the copy, the original untouched.
    _interrupted(config, tmp_path / "plain", monkeypatch)
    import shutil

    shutil.copytree(tmp_path / "plain", tmp_path / "longer")
    before = sorted((path.name, path.stat().st_mtime_ns) for path in (tmp_path / "plain").rglob("*"))
    resume(tmp_path / "longer", epochs=4)
    assert sorted((path.name, path.stat().st_mtime_ns) for path in (tmp_path / "plain").rglob("*")) == before
    assert json.loads((tmp_path / "longer" / "last" / "metrics.json").read_text())["ceilings"] == [
        {"after_epoch": 1, "from": 3, "to": 4}
    ]
    resume(tmp_path / "plain")
    assert "ceilings" not in json.loads((tmp_path / "plain" / "last" / "metrics.json").read_text())


def test_a_run_whose_best_folder_was_deleted_resumes_to_the_end_without_it(tmp_path, monkeypatch):
    """No resumed epoch beats the deleted best/: the run used to fail at its end, reading the
    best/ it meant to give the whole record to."""
    import shutil

    import attncli.fit

    config = _resumable_config(tmp_path)
    _interrupted(config, tmp_path / "run", monkeypatch)
    shutil.rmtree(tmp_path / "run" / "best")

    def never_better(state, *, validation_f1, validation_loss, warming_up):
        state.epochs_without_improvement += 1
        return False

    monkeypatch.setattr(attncli.fit, "record_score", never_better)
    result = resume(tmp_path / "run")
    assert [record.epoch for record in result.history] == [1, 2, 3]
    assert not (tmp_path / "run" / "best").exists() and (tmp_path / "run" / "last").is_dir()


def test_the_runs_own_data_passed_again_by_another_path_is_not_said_to_have_moved(tmp_path, monkeypatch):
    config = _resumable_config(tmp_path)
    data = Path(config.data.source)
    _interrupted(config, tmp_path / "run", monkeypatch)
    monkeypatch.chdir(data.parent)
    recorder = StageRecorder()
    resume(tmp_path / "run", data=data.name, reporter=recorder)  # type: ignore[arg-type]
    assert not [line for line in recorder.lines if "reading the run's data from" in line], recorder.lines
    assert load_checkpoint(tmp_path / "run" / "last").config.data.source == str(data)


def test_a_run_saved_with_the_unfused_optimizer_resumes_with_it(tmp_path, monkeypatch):
    # last/ from torch before 2.4 (or attn before fused AdamW on the CPU), resumed on a newer torch:
    # the optimizer's moments carry over and the run keeps its kernel, so it ends where the unfused
    # run left alone ends; moments reset to zero would land far away, and the fused kernel's rounding
    # moves the weights whose gradients are only noise (the pooling keys' bias) by up to 1e-3.
    import attncli.fresh_state

    config = _resumable_config(tmp_path)
    monkeypatch.setattr(attncli.fresh_state, "_fused_optimizer", lambda device: False)
    alone = train(config, output=tmp_path / "alone")
    _interrupted(config, tmp_path / "resumed", monkeypatch)
    monkeypatch.setattr(attncli.fresh_state, "_fused_optimizer", lambda device: True)
    resumed = resume(tmp_path / "resumed")
    assert [record.epoch for record in resumed.history] == [1, 2, 3]
    assert _weights(tmp_path / "resumed" / "last") == _weights(tmp_path / "alone" / "last")
    assert resumed.history[-1].train_loss == alone.history[-1].train_loss


def test_a_run_saved_by_attn_on_torchs_optimizer_classes_resumes_to_the_same_weights(tmp_path, monkeypatch):
    """last/ of attn before its own AdamW (torch.optim.AdamW and LambdaLR, whose state dicts it
    kept), resumed now: it ends where that run left alone ends, to the bit."""
    import torch

    import attncli.fresh_state

    own = attncli.fresh_state.AdamW, attncli.fresh_state.WarmupDecaySchedule
    config = _resumable_config(tmp_path)
    monkeypatch.setattr(
        attncli.fresh_state,
        "AdamW",
        lambda groups, *, lr, fused: torch.optim.AdamW(groups, lr=lr, fused=fused),
    )
    monkeypatch.setattr(attncli.fresh_state, "WarmupDecaySchedule", torch.optim.lr_scheduler.LambdaLR)
    alone = train(config, output=tmp_path / "alone")
    _interrupted(config, tmp_path / "resumed", monkeypatch)
    monkeypatch.setattr(attncli.fresh_state, "AdamW", own[0])
    monkeypatch.setattr(attncli.fresh_state, "WarmupDecaySchedule", own[1])
    resumed = resume(tmp_path / "resumed")
    assert [record.epoch for record in resumed.history] == [1, 2, 3]
    assert _weights(tmp_path / "resumed" / "last") == _weights(tmp_path / "alone" / "last")
    assert resumed.history[-1].train_loss == alone.history[-1].train_loss


def test_resuming_on_another_number_of_processes_says_the_result_will_differ(tmp_path, monkeypatch):
    from attncli.run_writer import RunWriter

    config = _resumable_config(tmp_path)
    kept = RunWriter._training_state

    def saved_by_two(self, *args, **kwargs):  # as a run under torchrun --nproc_per_node 2 saves it
        tensors, values = kept(self, *args, **kwargs)
        return tensors, {**values, "world_size": 2}

    monkeypatch.setattr(RunWriter, "_training_state", saved_by_two)
    _interrupted(config, tmp_path / "run", monkeypatch)
    monkeypatch.setattr(RunWriter, "_training_state", kept)
    recorder = StageRecorder()
    resume(tmp_path / "run", reporter=recorder)  # type: ignore[arg-type]
    assert (
        "note: last/ was saved by a run on 2 processes and this one has 1: each process's batches and "
        "dropout now differ from the run left alone's, and so will the result; to carry on exactly: attn "
        f"train --resume {tmp_path / 'run'} --nproc 2"
    ) in recorder.lines


def test_a_reader_gone_at_an_epoch_line_costs_no_epoch(tmp_path):
    """`attn train ... | head`: the epoch line that met the closed pipe came before the epoch was saved."""

    class ReaderGone(StageRecorder):
        def epoch_end(self, record):
            if record.epoch == 2:
                raise BrokenPipeError

    with pytest.raises(BrokenPipeError):
        train(_resumable_config(tmp_path), output=tmp_path / "run", reporter=ReaderGone())
    state = json.loads((tmp_path / "run" / "last" / "training_state.json").read_text())
    assert state["epoch"] == 3 and [record["epoch"] for record in state["history"]] == [1, 2]


def test_ctrl_c_before_the_first_epoch_of_an_overwrite_run_gives_the_earlier_run_back(tmp_path, monkeypatch):
    config = _resumable_config(tmp_path)
    train(
        dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=1)), output=tmp_path / "r"
    )
    earlier = {path.name: path.read_bytes() for path in (tmp_path / "r" / "best").iterdir()}
    monkeypatch.setenv(INTERRUPT_VARIABLE, "4")  # epoch 1, step 4: no best/ of its own yet
    with pytest.raises(TrainingInterrupted) as stopped:
        train(config, output=tmp_path / "r", overwrite=True)
    assert str(stopped.value) == (
        f"SIGINT: stopped at epoch 1, step 4, before the first epoch ended; {tmp_path / 'r'} holds the "
        "earlier run again, as it was before --overwrite"
    )
    assert {path.name: path.read_bytes() for path in (tmp_path / "r" / "best").iterdir()} == earlier
    assert sorted(path.name for path in (tmp_path / "r").iterdir()) == ["best", "last", "metrics.jsonl"]
    monkeypatch.setenv(INTERRUPT_VARIABLE, "13")  # epoch 2: the new run has its best/, and keeps it
    with pytest.raises(TrainingInterrupted, match="resume with"):
        train(config, output=tmp_path / "r", overwrite=True)
    assert (tmp_path / "r" / "best" / "config.json").read_bytes() != earlier["config.json"]


def test_an_overwrite_stopped_after_its_first_epoch_keeps_the_earlier_run_in_use_until_it_finishes(
    tmp_path, monkeypatch
):
    """A nightly --overwrite retrain stopped or killed halfway lost the earlier run once its first
    epoch was saved, and eval and predict read that epoch's model; the earlier run now stays in use
    until the new one finishes (here by --resume)."""
    from typer.testing import CliRunner

    from attncli.checkpoint_folder import resolve_checkpoint
    from attncli.cli import app

    config = _resumable_config(tmp_path)
    run = tmp_path / "r"
    train(dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=1)), output=run)
    earlier = _weights(run / "best")
    monkeypatch.setenv(INTERRUPT_VARIABLE, "13")  # epoch 2, step 4
    with pytest.raises(TrainingInterrupted) as stopped:
        train(config, output=run, overwrite=True)
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    aside = run / ".attn-replaced"
    assert str(stopped.value).endswith(
        f" the best epoch (1); the run it replaces stays in use ({aside}) until a run in {run} finishes; "
        f"resume with: attn train --resume {run}"
    )
    assert resolve_checkpoint(run) == aside / "best" and _weights(aside / "best") == earlier
    assert _weights(run / "best") != earlier  # the new run's best epoch so far, kept for its --resume
    predicted = CliRunner().invoke(app, ["predict", str(run), "pasta and pizza", "--json"])
    assert predicted.exit_code == 0, predicted.output
    assert predicted.stderr == (
        f"note: an attn train --overwrite into {run} has not finished (it is still training, or was stopped; "
        f"{run / 'best'} holds its best epoch so far): these are the weights of the run it replaces, in use "
        "until it finishes\n"
    )
    described = CliRunner().invoke(app, ["info", str(run), "--json"])
    assert described.exit_code == 0 and json.loads(described.stdout)["path"] == str(aside / "best")
    assert described.stderr == predicted.stderr
    held = sorted(path.name for path in run.iterdir())
    with pytest.raises(CheckpointError) as refused:  # -o alone touches neither run
        train(config, output=run)
    assert str(refused.value).endswith(
        f"; its run is an --overwrite that has not finished, and attn train --resume {run} carries it on "
        f"(the run it replaces is kept in {aside} until then)"
    )
    assert sorted(path.name for path in run.iterdir()) == held
    resume(run)  # finishes the new run, which replaces the earlier one now
    assert not aside.exists() and resolve_checkpoint(run) == run / "best"
    assert _weights(run / "best") != earlier
    alone = train(config, output=tmp_path / "alone")  # the same run, left alone, for comparison
    assert _weights(run / "best") == _weights(alone.output / "best")


def test_a_run_killed_between_its_end_and_the_removal_of_the_run_it_replaces_is_mended_by_the_next_train(
    tmp_path, monkeypatch
):
    """The earlier run was left aside, read in the finished run's place, and --resume refused the run
    as finished without removing it (a review)."""
    from attncli.checkpoint_folder import resolve_checkpoint

    config = _resumable_config(tmp_path)
    run, aside = tmp_path / "r", tmp_path / "r" / ".attn-replaced"
    train(dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=1)), output=run)
    with monkeypatch.context() as patched:  # as if killed just before the removal
        patched.setattr("attncli.run_folder.RunFolder.drop_replaced_run", lambda folder: None)
        train(config, output=run, overwrite=True)
    assert resolve_checkpoint(run) == aside / "best"
    with pytest.raises(ConfigError, match="already trained 3 epochs"):
        resume(run)
    assert not aside.exists() and resolve_checkpoint(run) == run / "best"


def test_a_label_the_best_epoch_never_recognises_is_warned_of_in_the_summary(tmp_path):
    import io

    from conftest import FILLER
    from rich.console import Console

    from attncli.render import ATTN_THEME, render_train_summary

    rng = random.Random(0)  # a rare label whose texts look like the common one's: never predicted
    rows = [
        {"text": " ".join(rng.choices(FILLER, k=6)), "label": "rare" if index % 20 == 0 else "common"}
        for index in range(400)
    ]
    path = write_csv(tmp_path / "d.csv", rows)
    config = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1"])

    from attncli.reporter import SilentReporter

    class OwnReporter(SilentReporter):  # a caller's own, as bench_profile.py's: it heard no summary warning
        def __init__(self):
            self.stages = []

        def stage(self, message):
            self.stages.append(message)

    own = OwnReporter()
    result = train(config, output=tmp_path / "run", reporter=own)
    assert result.best.missed_labels == ["rare"]
    assert own.stages[-1].startswith("warning: the best epoch recognised none of the validation rows of rare")
    log = io.StringIO()
    Console(file=log, width=200, theme=ATTN_THEME).print(render_train_summary(result))
    assert (
        "warning: the best epoch recognised none of the validation rows of rare; "
        "--set train.class_weights=auto weighs rare labels up"
    ) in log.getvalue()
    saved = json.loads((tmp_path / "run" / "best" / "metrics.json").read_text())
    assert saved["history"][0]["missed_labels"] == saved["validation"]["missed_labels"] == ["rare"]
    # A scripted run (--json) keeps the warning too: on stderr, and in the JSON as metrics.json has it.
    from typer.testing import CliRunner

    from attncli.cli import app

    settings = [item for setting in TINY_MODEL for item in ("--set", setting)]
    ran = CliRunner().invoke(
        app, ["train", str(path), "-o", str(tmp_path / "j"), "--epochs", "1", "--json", *settings]
    )
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["validation"]["missed_labels"] == ["rare"]
    assert "warning: the best epoch recognised none of the validation rows of rare; --set" in ran.stderr


def test_a_run_that_puts_back_an_interrupted_overwrite_says_so(tmp_path):
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1"])
    train(config, output=tmp_path / "run")
    aside = tmp_path / "run" / ".attn-replaced"  # an --overwrite killed before its first epoch ended
    aside.mkdir()
    for name in ("best", "last", "metrics.jsonl"):
        (tmp_path / "run" / name).rename(aside / name)
    reporter = StageRecorder()
    resume(tmp_path / "run", epochs=2, reporter=reporter)
    assert any("stopped before its first epoch ended; the earlier run" in line for line in reporter.lines)


def test_a_run_saved_with_labels_spelled_1_0_resumes_under_its_names(tmp_path):
    """Labels read from a csv as 1.0 ... 3.0 are now 1 ... 3; a run an earlier attn saved under the
    names 1.0 ... 3.0 still resumes on that data, under the names it saved."""
    from attncli.train import resume, train

    numbered = {"food": "1.0", "sport": "2.0", "tech": "3.0"}
    data = write_csv(tmp_path / "d.csv", [{**row, "label": numbered[row["label"]]} for row in make_rows(60)])
    result = train(
        load_config(None, [*TINY_MODEL, f"data.source={data}", "train.epochs=1", "train.patience=0"]),
        output=tmp_path / "run",
    )
    assert result.info.label_names == ["1", "2", "3"]
    for folder in ("best", "last"):  # as an earlier attn saved them (without checksums, to rename)
        path = tmp_path / "run" / folder / "config.json"
        header = json.loads(path.read_text())
        del header["config_sha256"], header["files"]
        header.update(attn_version="0.1.0", label_names=["1.0", "2.0", "3.0"])
        path.write_text(json.dumps(header))
    state_path = tmp_path / "run" / "last" / "training_state.json"
    state = json.loads(state_path.read_text())
    del state["data_digest"]  # it hashes the label names: the renamed run is checked by its labels
    state_path.write_text(json.dumps(state))
    resumed = resume(tmp_path / "run", epochs=2)
    assert len(resumed.history) == 2 and resumed.info.label_names == ["1.0", "2.0", "3.0"]
    assert load_checkpoint(tmp_path / "run" / "last").label_names == ["1.0", "2.0", "3.0"]


def test_a_run_saved_with_a_class_only_on_rows_left_out_resumes_with_it(tmp_path, monkeypatch):
    """An earlier attn made a label written only on rows data.drop_invalid leaves out a class with no
    rows; such a run still resumes (it was refused: 'the labels of d.csv are not the run's')."""
    import attncli.data

    rows = [{"text": "", "label": "music"}, *make_rows(60)]
    data = write_csv(tmp_path / "d.csv", rows)
    settings = [*TINY_MODEL, f"data.source={data}", "data.drop_invalid=true", "train.epochs=1"]
    settings += ["train.patience=0", "train.class_weights=auto"]
    with monkeypatch.context() as before:  # labels as the earlier attn read them: every label written
        before.setattr(
            attncli.data, "without_labels_of_rows_left_out", lambda train, names, _: (names, train, [])
        )
        first = train(load_config(None, settings), output=tmp_path / "run")
    assert first.info.label_names == ["food", "music", "sport", "tech"]
    assert train(load_config(None, settings), output=tmp_path / "now").info.label_names == [
        "food",
        "sport",
        "tech",
    ]
    resumed = resume(tmp_path / "run", epochs=2)
    assert len(resumed.history) == 2 and resumed.info.label_names == ["food", "music", "sport", "tech"]
    assert resumed.info.label_counts[1] == 0 and sum(resumed.info.label_counts) == first.info.train_size


def test_resume_refuses_a_damaged_history_and_says_it_may_be_deleted(trained, tmp_path):
    """The history a resumed run carries on must be whole; the advice was to train again."""
    run = tmp_path / "run"
    shutil.copytree(trained.output, run)
    history = run / "last" / "metrics.json"
    history.write_text(history.read_text().replace("{", "{ ", 1))
    with pytest.raises(CheckpointError) as caught:
        resume(run, epochs=len(trained.history) + 1)
    assert str(caught.value).startswith(f"{history} is damaged: ")
    assert str(caught.value).endswith(
        "restore it from a backup of the checkpoint, or delete it (it holds the training history, which "
        "predictions do not need)"
    )


def test_the_python_api_takes_str_folders_logs_the_warnings_and_leaves_the_callers_state(
    tmp_path, caplog, monkeypatch
):
    """A notebook's train() printed none of the command's warnings, took only a Path, and left
    torch and Python seeded with train.seed and datasets' logging and progress bars off."""
    import logging

    import datasets
    import torch

    from attncli.render import training as summary

    # The summary's warnings (labels never recognised, nothing learnt), as the command prints them.
    seen = []
    monkeypatch.setattr(
        summary, "summary_warnings", lambda result: seen.append(result) or ["warning: summary"]
    )
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    settings = [*TINY_MODEL, f"data.source={path}", "train.epochs=1", "train.adversarial=1.5"]
    config = load_config(None, settings)
    torch.manual_seed(123)
    random.seed(123)
    expected = (torch.rand(2).tolist(), random.random())
    torch.manual_seed(123)
    random.seed(123)
    datasets.logging.set_verbosity_info()
    datasets.enable_progress_bars()
    try:
        with caplog.at_level(logging.INFO, logger="attncli"):
            result = train(config, output=str(tmp_path / "run"))
        assert (torch.rand(2).tolist(), random.random()) == expected
        assert datasets.logging.get_verbosity() == datasets.logging.INFO
        assert datasets.is_progress_bar_enabled()
    finally:
        datasets.logging.set_verbosity_warning()
    assert result.output == tmp_path / "run" and (tmp_path / "run" / "best" / "model.safetensors").is_file()
    warned = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    # The level says "warning": a logging format that shows it printed "WARNING:attncli:warning: ...".
    assert any(line.startswith("train.adversarial=1.5 moves each text's") for line in warned), warned
    assert warned[-1] == "summary" and seen == [result]
    told = [record.getMessage() for record in caplog.records if record.levelno == logging.INFO]
    assert any(line.startswith("epoch 1/1: train loss ") for line in told), told
    assert any("train / " in line and "validation texts" in line for line in told), told
    # resume() takes a str as well: a finished run is refused in its own words, not a TypeError.
    with pytest.raises(ConfigError, match="already"):
        resume(str(tmp_path / "run"))
    # evaluate draws no random numbers, the carved validation split included, and leaves torch's
    # generator alone: it put back the state it found, so draws another thread of a service made
    # while it ran (here, one made as it predicts) came again after it.
    from attncli import evaluation

    checkpoint = load_checkpoint(tmp_path / "run")
    torch.manual_seed(5)
    expected_draws = torch.rand(2).tolist()
    torch.manual_seed(5)

    drawn: list[float] = []
    real_predict = evaluation.predict_probabilities

    def predicting_while_another_thread_draws(*args, **kwargs):
        drawn.append(torch.rand(1).item())
        return real_predict(*args, **kwargs)

    monkeypatch.setattr(evaluation, "predict_probabilities", predicting_while_another_thread_draws)
    evaluate(checkpoint, split="validation")
    assert drawn == expected_draws[:1] and torch.rand(1).tolist() == expected_draws[1:]


def test_a_run_saved_by_attn_0_1_resumes_with_a_note_that_it_does_not_carry_on_bit_for_bit(tmp_path):
    """attn 0.1 drew dropout masks from floats until 2026-12-01: a run it saved carries on, but as
    HEAD draws, so not as that attn would have (a user's trial of old checkpoints found it silent)."""
    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1", "tokenizer.kind=bpe"])
    train(config, output=tmp_path / "now")
    said = StageRecorder()
    resume(tmp_path / "now", epochs=2, reporter=said)
    assert not [line for line in said.lines if "may have drawn dropout masks otherwise" in line]
    train(config, output=tmp_path / "old")
    header_path = tmp_path / "old" / "last" / "config.json"
    header = json.loads(header_path.read_text())
    header["attn_version"] = "0.1.0"  # an attn before config.json's digest, which it then lacks
    header.pop("config_sha256")
    header_path.write_text(json.dumps(header))
    said = StageRecorder()
    result = resume(tmp_path / "old", epochs=2, reporter=said)
    assert [record.epoch for record in result.history] == [1, 2]
    assert (
        "note: last/ was saved by attn 0.1.0, which may have drawn dropout masks otherwise: the run carries "
        "on, but not bit for bit as it would have there"
    ) in said.lines


def test_a_resealed_training_state_with_values_no_run_saved_is_refused_in_one_line(tmp_path):
    """From a trial of checkpoints from strangers: a last/ edited and sealed again (its checksums
    recomputed) crashed the resume with torch's words, or trained on from a step of -5."""
    from attncli.checksums import record_of, sealed

    path = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1", "tokenizer.kind=bpe"])
    train(config, output=tmp_path / "run")
    last = tmp_path / "run" / "last"
    state = json.loads((last / "training_state.json").read_text())
    state["global_step"] = -5
    (last / "training_state.json").write_text(json.dumps(state))
    header = json.loads((last / "config.json").read_text())
    header["files"]["training_state.json"] = record_of((last / "training_state.json").read_bytes())
    header.pop("config_sha256")
    (last / "config.json").write_text(json.dumps(sealed(header)))
    with pytest.raises(CheckpointError, match=(
        rf"^{re.escape(str(last))} holds a training state this run cannot carry on from \(its global_step "
        r"is -5, not a count\); restore last/ from a backup, or start a new run with attn train -o FOLDER$"
    )) as refused:  # fmt: skip
        resume(tmp_path / "run", epochs=2)
    assert refused.value.exit_code == 2


def test_a_run_resumed_from_before_label_conflicts_were_recorded_records_them(tmp_path, monkeypatch):
    """The resume warned of texts with two labels and said `attn info RUN --json` lists them, but a
    run saved before they were recorded kept none (a review)."""
    from attncli.history import TrainingMetrics

    rows = [*make_rows(150, seed=5), {"text": "refund please", "label": "food"}]
    rows.append({"text": "Refund  please", "label": "tech"})
    data = write_csv(tmp_path / "d.csv", rows)
    settings = [
        *TINY_MODEL,
        f"data.source={data}",
        "train.epochs=3",
        "train.patience=0",
        "tokenizer.kind=word",
    ]
    real = TrainingMetrics.to_json

    def as_before(metrics):
        values = real(metrics)
        values.pop("label_conflicts", None)
        return values

    monkeypatch.setattr(TrainingMetrics, "to_json", as_before)
    _interrupted(load_config(None, settings), tmp_path / "run", monkeypatch)
    monkeypatch.setattr(TrainingMetrics, "to_json", real)
    assert "label_conflicts" not in json.loads((tmp_path / "run" / "last" / "metrics.json").read_text())
    resume(tmp_path / "run")
    conflicts = json.loads((tmp_path / "run" / "best" / "metrics.json").read_text())["label_conflicts"]
    listed = [{"text": "refund please", "labels": {"food": 1, "tech": 1}, "where": ["line 152", "line 153"]}]
    assert conflicts == {"count": 1, "listed": listed}


def test_a_validation_split_with_no_rows_of_a_label_is_refused_for_a_new_run_and_resumed_as_before(
    tmp_path, monkeypatch
):
    """A trial's spam filter, its validation file all ham: every epoch that flagged a row scored
    49.8% macro-F1 against epoch 1's 100%, so the run kept epoch 1, which found none of 70 spam
    messages in test. A run started before attn refused such data resumes, with the warning."""
    import attncli.data

    rows = make_rows(150, seed=5)
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(folder / "train.csv", rows)
    write_csv(folder / "validation.csv", [row for row in make_rows(40, seed=6) if row["label"] != "sport"])
    config = load_config(
        None,
        [*TINY_MODEL, f"data.source={folder}", "train.epochs=2", "train.patience=0", "tokenizer.kind=word"],
    )
    with pytest.raises(DataError) as refused:
        train(config, output=tmp_path / "run")
    sport_rows = sum(row["label"] == "sport" for row in rows)
    assert str(refused.value) == (
        f"the validation split (validation.csv) has no rows of 'sport' ({sport_rows} training rows), so the "
        "best epoch would be chosen on the other labels alone, which favours a model that never predicts it; "
        f"add rows of it to the validation split, or train on {folder / 'train.csv'} alone, of which attn "
        "holds out a stratified share of each label for validation (data.validation_fraction)"
    )
    assert not (tmp_path / "run").exists()  # nothing written
    # A label under ten training rows (none held out by a carve at 10%) is warned of, not refused.
    sport = [row for row in rows if row["label"] == "sport"]
    write_csv(folder / "train.csv", [row for row in rows if row["label"] != "sport"] + sport[:9])
    nine = load_splits(config.data)
    assert nine.unvalidated is None and "'sport' has 9 in train and 0 in validation" in " ".join(nine.notes)
    # A save_to_disk dataset has no file to train on alone: warned of, with the first remedy only.
    from datasets import Dataset, DatasetDict

    saved = tmp_path / "saved"
    DatasetDict({
        "train": Dataset.from_list(rows),
        "validation": Dataset.from_list([row for row in make_rows(40, seed=6) if row["label"] != "sport"]),
    }).save_to_disk(saved)  # fmt: skip
    warned = load_splits(dataclasses.replace(config.data, source=str(saved)))
    assert warned.unvalidated is None
    assert (
        f"warning: the validation split (split 'validation') has no rows of 'sport' ({sport_rows} training "
        in (" ".join(warned.notes))
        and " ".join(warned.notes).count("'sport'") == 1
    )
    # The same data under a run started before: resumed as it was trained.
    write_csv(folder / "train.csv", rows)
    monkeypatch.setattr(attncli.data, "unvalidated_labels_error", lambda *args, **kwargs: None)
    train(
        dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=1)),
        output=tmp_path / "old",
    )
    monkeypatch.undo()
    stages = StageRecorder()
    resumed = resume(tmp_path / "old", epochs=2, reporter=stages)
    assert [record.epoch for record in resumed.history] == [1, 2]
    assert f"warning: {str(refused.value)}" in stages.lines


@pytest.mark.parametrize("native", [True, False])
def test_a_run_auto_trained_in_bf16_on_the_cpu_resumes_in_it_where_the_cpu_multiplies_it(
    tmp_path, monkeypatch, native
):
    """What auto picks on a CPU changed (bf16 on AMX for every model until 2026-12-05): a trial's
    older run of bf16 epochs resumed in fp32 without a word, and info then called the run fp32."""
    import attncli.prepare
    from attncli.checkpoint_saving import replace_metrics

    config = _resumable_config(tmp_path)
    first = dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=1, precision="auto"))
    train(first, output=tmp_path / "run")
    saved = tmp_path / "run" / "last" / "metrics.json"
    record = json.loads(saved.read_text())
    assert (record["precision"], record["device"], first.train.precision) == ("fp32", "cpu", "auto")
    replace_metrics(
        tmp_path / "run" / "last", {**record, "precision": "bf16"}
    )  # as an older attn recorded it
    monkeypatch.setattr(attncli.prepare, "cpu_has_native_bf16", lambda: native)
    stages = StageRecorder()
    resumed = resume(tmp_path / "run", epochs=2, reporter=stages)
    notes = [line for line in stages.lines if line.startswith("note: the run trained in bf16")]
    if native:
        assert resumed.metrics.precision == "bf16"
        assert notes == [
            "note: the run trained in bf16 (precision auto, as attn chose it where it trained) and carries "
            "on in it; a new run of its settings would train in fp32"
        ]
    else:
        assert resumed.metrics.precision == "fp32"
        assert notes and notes[0].endswith(
            "it carries on in fp32, so it ends close to, not the same as, the run left alone"
        )


def test_ctrl_c_in_a_first_train_calls_imports_leaves_no_module_half_made(tmp_path):
    """A notebook interrupted in its first `train` call's first seconds (torch, numpy and datasets
    loading inside it) failed in every later cell, `partially initialized module 'torch'`, until its
    kernel restarted (a trial). The signal is held until the imports are whole: the call stops, and
    the next one trains. Here the signal comes as numpy starts loading under torch's import."""
    import subprocess
    import sys

    data = write_csv(tmp_path / "rows.csv", make_rows(60))
    script = f"""
import os, signal, sys
from attncli.config_loading import load_config
from attncli.train import train

class InterruptAtNumpy:
    sent = False
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" and not self.sent:
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, InterruptAtNumpy())
settings = ["data.source={data}", "train.epochs=1", *{TINY_MODEL!r}]
try:
    train(load_config(None, settings), output="{tmp_path / "first"}")
    print("first: trained")
except KeyboardInterrupt:
    print("first: KeyboardInterrupt")
result = train(load_config(None, settings), output="{tmp_path / "second"}")
print("second:", result.best_epoch)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines() == ["first: KeyboardInterrupt", "second: 1"], run.stdout


def test_a_reporter_without_reporters_methods_is_refused_before_the_run(tmp_path):
    """One with `epoch_end` alone failed minutes in, with "'OnlyEpochs' object has no attribute
    'stage'" (a notebook user's trial)."""
    from attncli.errors import ArgumentError

    class OnlyEpochs:
        def epoch_end(self, record) -> None: ...

    config = load_config(None, [f"data.source={tmp_path / 'none.csv'}"])
    for call in (lambda: train(config, output=tmp_path / "run", reporter=OnlyEpochs()),  # type: ignore[arg-type]
                 lambda: resume(tmp_path / "run", reporter=OnlyEpochs())):  # type: ignore[arg-type]  # fmt: skip
        with pytest.raises(
            ArgumentError, match="^reporter OnlyEpochs has no stage, start, epoch_start, step: a "
        ):
            call()
    assert not (tmp_path / "run").exists()


def test_class_label_names_a_repositorys_readme_declares_are_read_and_older_runs_go_on(tmp_path, monkeypatch):
    """Parquet written without datasets' schema (plain pyarrow) in a repository whose README.md names
    the labels trained labels 0, 1, 2, where datasets names them (a researcher's trial). Runs trained
    so before keep their numbers: evaluated and resumed on the same data."""
    import pyarrow as arrow
    import pyarrow.parquet as parquet

    import attncli.data_folders

    names = list(KEYWORDS)
    repository = tmp_path / "repo"
    (repository / "data").mkdir(parents=True)
    for split, count in (("train", 60), ("test", 12)):
        rows = make_rows(count, seed=len(split))
        table = {"text": [row["text"] for row in rows], "label": [names.index(row["label"]) for row in rows]}
        parquet.write_table(arrow.table(table), repository / "data" / f"{split}-00000-of-00001.parquet")
    declared = "".join(f"          '{number}': {name}\n" for number, name in enumerate(names))
    (repository / "README.md").write_text(
        "---\ndataset_info:\n  features:\n  - name: text\n    dtype: string\n  - name: label\n    dtype:\n"
        f"      class_label:\n        names:\n{declared}---\n# A dataset\n"
    )
    settings = [*TINY_MODEL, f"data.source={repository}", "train.epochs=1", "train.patience=0"]
    assert train(load_config(None, settings), output=tmp_path / "now").info.label_names == names
    # One of its files, named by its path, is given the names too (they were labels the model never saw).
    test_shard = repository / "data" / "test-00000-of-00001.parquet"
    assert evaluate(load_checkpoint(tmp_path / "now" / "best"), str(test_shard)).n == 12
    with monkeypatch.context() as before:  # as an earlier attn read it: the numbers
        before.setattr(attncli.data_folders, "_with_class_labels", lambda raw, declared: raw)
        older = train(load_config(None, settings), output=tmp_path / "older")
    assert older.info.label_names == ["0", "1", "2"]
    assert evaluate(load_checkpoint(tmp_path / "older" / "best")).n == 12
    # Its resume is refused, saying so: the data's labels are names now.
    with pytest.raises(ConfigError, match=r"are not the run's \(food, sport, tech now, 0, 1, 2 then\)"):
        resume(tmp_path / "older", epochs=2)
    # ... but --auto-resume leaves it finished, its rows the same under the run's numbers (a review:
    # a nightly job's finished run was refused as trained on other labels).
    from attncli.train import require_unchanged_data

    require_unchanged_data(tmp_path / "older", None)
    # Another dataset's class labels are not read by their numbers (a review): refused as unknown.
    from datasets import ClassLabel, Dataset

    other = Dataset.from_dict({"text": ["soup"], "label": [0]}).cast_column(
        "label", ClassLabel(names=["tech"])
    )
    with pytest.raises(DataError, match="labels the model never saw"):
        evaluate(load_checkpoint(tmp_path / "older" / "best"), other)
    # Nor a README-named column's numbers for a model whose labels are other numbers (stars 1-5 beside
    # names `1 star`...: each class was scored as the next, a review).
    from attncli.labels import README_CLASS_LABEL, known_label_key

    stars = ClassLabel(names=["1 star", "2 star", "3 stars"], id=README_CLASS_LABEL)
    assert [known_label_key(stars, value, {"1", "2", "3"}) for value in range(3)] == [
        "1 star",
        "2 star",
        "3 stars",
    ]
    assert [known_label_key(stars, value, {"0", "1", "2"}) for value in range(3)] == ["0", "1", "2"]
    # Names with a gap in their numbers, or a number past them: the column stays numbers.
    for declared_names, past in ((declared.replace("'1'", "'5'"), 0), (declared, 3)):
        (repository / "README.md").write_text(
            "---\ndataset_info:\n  features:\n  - name: label\n    dtype:\n      class_label:\n"
            f"        names:\n{declared_names}---\n"
        )
        if past:
            table = {"text": ["extra row"], "label": [past]}
            parquet.write_table(arrow.table(table), repository / "data" / "validation-00000-of-00001.parquet")
        from attncli.sources import load_raw

        assert load_raw(str(repository)).splits["train"].features["label"].dtype == "int64"
