"""`attn info`: what a checkpoint is, read from its JSON and the header of its weights alone."""

import dataclasses
import io
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import save_untrained_checkpoint
from rich.console import Console
from typer.testing import CliRunner

from attncli.checkpoint import load_checkpoint
from attncli.cli import app
from attncli.errors import CheckpointError
from attncli.info import describe_checkpoint
from attncli.parameter_count import count_parameters
from attncli.render import ATTN_THEME, render_info

FIXTURES = Path(__file__).parent / "fixtures"
HEAVY = ("torch", "datasets", "tokenizers", "safetensors")


def _rendered(renderable) -> str:
    console = Console(file=io.StringIO(), width=100, theme=ATTN_THEME)
    console.print(renderable)
    return console.file.getvalue()


def test_the_values_of_a_trained_run(trained):
    started = time.perf_counter()
    info = describe_checkpoint(trained.output)  # a run folder means its best/
    seconds = time.perf_counter() - started
    loaded = load_checkpoint(trained.output)
    header = json.loads((trained.output / "best" / "config.json").read_text())
    assert info.path == trained.output / "best" and seconds < 1.0
    assert info.label_names == ["food", "sport", "tech"]
    assert info.num_parameters == sum(parameter.numel() for parameter in loaded.model.parameters())
    assert info.vocab_size == loaded.tokenizer.get_vocab_size(with_added_tokens=True)
    assert info.tokenizer_kind == loaded.config.tokenizer.kind
    assert info.model == header["config"]["model"]
    assert info.train == header["config"]["train"] and info.train["lr"] == loaded.config.train.lr
    # Everything a rerun needs: the data and tokenizer settings too, not the model's and train's alone
    assert info.data == header["config"]["data"] and info.tokenizer == header["config"]["tokenizer"]
    text = _rendered(render_info(info))
    assert f"lr={loaded.config.train.lr}" in text and "calibrate=true" in text  # as --set takes them
    assert f"split_seed={loaded.config.data.split_seed}" in text
    assert f"min_frequency={loaded.config.tokenizer.min_frequency}" in text
    assert info.model["pooling_attention"] is None  # empty means "as model.attention", not "none"
    assert f"as attention ({info.model['attention']})" in text
    training = info.training
    assert training.best_epoch == trained.best_epoch and training.epochs_trained == len(trained.history)
    assert training.validation == {
        "loss": trained.best.validation_loss,
        "accuracy": trained.best.validation_accuracy,
        "macro_f1": trained.best.validation_macro_f1,
    }
    assert training.stop_reason == trained.metrics.stop_reason
    assert training.train_seconds == trained.metrics.train_seconds
    assert training.data_path == header["data_path"] and training.temperature == loaded.temperature
    assert training.processes == 1 and training.validation_digest == (
        trained.metrics.validation_digest or None
    )
    assert "processes" not in text  # said only where several trained the run
    # Every label's training rows, as the epochs trained on them: the easy folder's 300 rows less
    # the 30 carved for validation, 90 a label.
    assert training.label_counts == dict.fromkeys(trained.info.label_names, 90)
    # How many texts, and where and in what precision it trained (auto resolves by machine: a
    # trial's two runs of one config differed there, which info did not show)
    assert (training.train_size, training.validation_size) == (270, 30)
    assert (training.device, training.precision) == ("cpu", trained.metrics.precision)
    assert training.threads == trained.metrics.threads and training.threads
    carved = ", carved out of the training data" if training.validation_digest else ""
    assert carved  # the easy folder has no validation split: 30 rows were carved
    assert "270 to train on (food: 90, sport: 90, tech: 90); 30 for validation" in text
    threads = f"{training.threads} torch thread{'s' * (training.threads != 1)}"
    assert f"on cpu in {trained.metrics.precision}, {threads}" in text
    # Counts of 20 labels at most: a checkpoint may have a million (a review of the change)
    from attncli.render.info import _texts_text

    many = dataclasses.replace(training, label_counts={f"l{index}": 1 for index in range(25)})
    assert (
        _texts_text(training) == f"270 to train on (food: 90, sport: 90, tech: 90); 30 for validation{carved}"
    )
    assert (_texts_text(many) or "").endswith(f"l19: 1 and 5 labels more); 30 for validation{carved}")
    given = dataclasses.replace(training, validation_digest=None)  # the data's own split, or a file
    assert (_texts_text(given) or "").endswith("; 30 for validation")
    shown = info.to_json()["training"]
    assert (shown["train_size"], shown["device"], shown["precision"]) == (
        270,
        "cpu",
        trained.metrics.precision,
    )
    assert (info.format_version, info.attn_version) == (2, header["attn_version"])
    assert [(item.name, item.status) for item in info.files or []] == [
        ("config.json", "ok"),  # against the digest of its own values
        ("model.safetensors", "ok"),
        ("tokenizer.json", "ok"),
        ("metrics.json", "ok"),
    ]
    last = describe_checkpoint(trained.output / "last")
    assert {item.name for item in last.files or []} >= {"training_state.safetensors", "training_state.json"}


def torch_version() -> str:
    import torch

    return torch.__version__


def test_json_keys_and_a_changed_or_missing_file(tmp_path):
    path = save_untrained_checkpoint(tmp_path / "model")
    weights = bytearray((path / "model.safetensors").read_bytes())
    weights[-5] ^= 0xFF  # inside the last tensor: the header, and so the count, still reads
    (path / "model.safetensors").write_bytes(bytes(weights))
    (path / "metrics.json").unlink()
    result = CliRunner().invoke(app, ["info", str(path), "--json"])
    assert result.exit_code == 2, result.output  # the whole report, then a failing status for scripts
    # metrics.json, which eval and predict do without, is reported missing but is no damage.
    assert "(model.safetensors changed, as the checksums" in result.stderr.strip().splitlines()[-1]
    output = json.loads(result.stdout)
    assert set(output) == {
        "path", "labels", "model", "train", "data", "tokenizer_settings", "num_parameters", "vocab_size",
        "tokenizer", "training", "versions", "unused_settings", "unused_tokenizer_settings", "files",
    }  # fmt: skip
    assert set(output["training"]) == {
        "data_source", "data_path", "epochs_trained", "best_epoch", "validation", "stop_reason",
        "train_seconds", "train_size", "validation_size", "device", "precision", "threads", "holds",
        "temperature", "calibration", "embeddings_init", "class_weights",
        "missed_labels", "label_counts", "label_conflicts", "left_out", "sized", "processes",
        "epoch_processes", "validation_digest", "refit", "no_refit", "resume_command",
        "history_set_aside", "ceilings",
    }  # fmt: skip
    assert output["versions"]["format"] == 2 and output["tokenizer"] == "word"
    # The libraries beside torch that shaped it, for whoever must say how a model was made (a trial).
    import platform
    from importlib.metadata import version

    assert output["versions"] == {
        "attn": output["versions"]["attn"], "torch": torch_version(),
        "python": platform.python_version(), "tokenizers": version("tokenizers"),
        "datasets": version("datasets"), "safetensors": version("safetensors"), "format": 2,
    }  # fmt: skip
    shown = " ".join(CliRunner().invoke(app, ["info", str(path)]).stdout.split())
    assert f"tokenizers {version('tokenizers')}, datasets {version('datasets')}" in shown
    old = json.loads(
        CliRunner().invoke(app, ["info", str(FIXTURES / "v1_additive_learned"), "--json"]).stdout
    )
    assert set(old["versions"]) == {"attn", "torch", "format"}  # saved before they were recorded
    assert output["training"]["epochs_trained"] is None and output["training"]["temperature"] == 1.0
    assert output["training"]["calibration"] in {"fitted", "no_mistakes"}
    assert {name: (file["status"], file["required"]) for name, file in output["files"].items()} == {
        "config.json": ("ok", True),
        "model.safetensors": ("changed", True),
        "tokenizer.json": ("ok", True),
        "metrics.json": ("missing", False),
    }
    assert output["num_parameters"] == count_parameters(path / "model.safetensors", format_version=2) > 0
    saved = {name: (file["bytes"], file["bytes_on_disk"]) for name, file in output["files"].items()}
    size = (path / "model.safetensors").stat().st_size
    assert saved["model.safetensors"] == (size, size) and saved["metrics.json"][1] is None
    text = _rendered(render_info(describe_checkpoint(path)))
    missing = rf"metrics\.json +none .*missing \({saved['metrics.json'][0]:,} bytes when saved; optional: the"
    assert "changed" in text and re.search(missing, text), text
    # A file cut short shows its size on disk, and the size it was saved at: its saved size alone,
    # beside "changed", hid that it was cut (a trial's truncated tokenizer.json).
    tokenizer = path / "tokenizer.json"
    whole = tokenizer.read_bytes()
    tokenizer.write_bytes(whole[:100])
    cut = json.loads(CliRunner().invoke(app, ["info", str(path), "--json"]).stdout)["files"]["tokenizer.json"]
    assert (cut["bytes"], cut["bytes_on_disk"], cut["status"]) == (len(whole), 100, "changed")
    row = next(
        line
        for line in _rendered(render_info(describe_checkpoint(path))).splitlines()
        if "tokenizer.json" in line
    )
    assert re.search(rf"tokenizer\.json +100 .*changed \({len(whole):,} bytes when saved\)", row), row
    tokenizer.write_bytes(whole)
    assert "food, sport, tech" in text
    (path / "model.safetensors").write_bytes(
        bytes(weights[:-5] + bytearray([weights[-5] ^ 0xFF]) + weights[-4:])
    )
    alone = CliRunner().invoke(app, ["info", str(path)])  # metrics.json missing, the rest as saved
    assert alone.exit_code == 0, alone.output
    assert CliRunner().invoke(app, ["predict", str(path), "some text", "--device", "cpu"]).exit_code == 0
    # Changed, as predict, inspect and eval find it too (a warning; they set it aside): no damage.
    # Its figures are left out as they are there (found in a user's trial: the edited best epoch and
    # its scores were shown beside the file table's "changed").
    (path / "metrics.json").write_text(
        '{"best_epoch": 7, "history": [{"epoch": 7, "train_loss": 0.1, "validation_loss": 0.2, '
        '"validation_accuracy": 0.99, "validation_macro_f1": 0.99, "seconds": 1.0, '
        '"tokens_per_second": 1.0}]}'
    )
    changed = CliRunner().invoke(app, ["info", str(path), "--json"])
    reported = json.loads(changed.stdout)
    assert changed.exit_code == 0 and reported["files"]["metrics.json"]["status"] == "changed"
    assert reported["training"]["best_epoch"] is None and reported["training"]["validation"] is None
    assert reported["training"]["history_set_aside"] is True
    shown = _rendered(render_info(describe_checkpoint(path)))
    assert re.search(r"changed \([0-9,]+ bytes when saved; optional: the", shown)
    assert "set aside: metrics.json changed since it was saved" in shown and "99.0%" not in shown
    predicted = CliRunner().invoke(app, ["predict", str(path), "some text", "--device", "cpu"])
    assert predicted.exit_code == 0 and predicted.stderr.startswith(
        f"warning: {path}/metrics.json is damaged"
    )
    (path / "metrics.json").unlink()
    (path / "model.safetensors").write_bytes(bytes(weights))
    assert f"{output['num_parameters']:,}" in text
    # A required file gone (which eval and predict refuse): info still reports, and names it missing.
    (path / "tokenizer.json").unlink()
    (path / "model.safetensors").unlink()
    result = CliRunner().invoke(app, ["info", str(path), "--json"])
    assert result.exit_code == 2 and "model.safetensors missing, tokenizer.json missing" in result.stderr
    output = json.loads(result.stdout)
    assert (output["num_parameters"], output["tokenizer"], output["labels"]) == (
        None,
        None,
        ["food", "sport", "tech"],
    )
    (path / "config.json").unlink()
    with pytest.raises(CheckpointError, match="is not an attn checkpoint"):
        describe_checkpoint(path)


def test_a_checkpoint_from_before_checksums(tmp_path):
    info = describe_checkpoint(FIXTURES / "v1_additive_learned")
    assert info.files is None and info.format_version == 1
    assert info.model["pooling_attention"] == "additive"  # as loading upgrades it
    assert "no checksums recorded" in _rendered(render_info(info))
    assert CliRunner().invoke(app, ["info", str(tmp_path / "absent")]).exit_code == 2


SCRIPT = """
import json, sys
from attncli.cli import app
from attncli.errors import CheckpointError
try:
    app(["info", sys.argv[1], "--json"], prog_name="attn")
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "heavy": [name for name in sys.argv[2:] if name in sys.modules]}))
"""


def test_info_imports_no_torch_safetensors_tokenizers_or_datasets(tmp_path):
    path = save_untrained_checkpoint(tmp_path / "model")
    shutil.copytree(path, tmp_path / "run" / "best")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "run"), *HEAVY],
        capture_output=True,
        text=True,
        check=True,
    )
    described, imports = map(json.loads, result.stdout.splitlines())
    assert described["path"] == str(tmp_path / "run" / "best")
    assert imports == {"code": 0, "heavy": []}


def test_info_shows_unused_settings_and_the_vectors_coverage(trained, tmp_path):
    import dataclasses

    info = describe_checkpoint(trained.output)
    vectors = {"path": "glove.txt", "dim": 50, "found": 30, "of": 40, "absolute_path": "/v/glove.txt"}
    vectors["sha256"] = "0123456789abcdef" * 4
    model = {**info.model, "positional": "sinusoidal", "freeze_embeddings": True}
    shown = dataclasses.replace(
        info, model=model, training=dataclasses.replace(info.training, embeddings_init=vectors)
    )
    text = _rendered(render_info(shown))
    assert "segment_length" in text and "(unused: positional is sinusoidal)" in text
    assert "30 of 40 vocabulary entries (75.0%) from glove.txt (/v/glove.txt), 50" in text
    assert "frozen, sha256 0123456789abcdef…" in text  # the file's, since only its path was shown
    # Vectors of another width than the model's shrink or grow its token table (a trial's comparison).
    flat = " ".join(text.replace("│", " ").split())
    width = info.model["embed_dim"]
    assert f"50 dimensions (the token table is that wide, projected to embed_dim {width})" in flat
    # A model that ignores labels, and the weights applied (auto's depend on the validation carve)
    weighted = dataclasses.replace(
        info.training, class_weights={"food": 0.5, "tech": 4.25}, missed_labels=["tech"]
    )
    text = _rendered(render_info(dataclasses.replace(info, training=weighted)))
    assert "recognised" in text and "none of the validation rows of tech" in text
    assert "class weights" in text and "food 0.5, tech 4.25" in text
    # Which settings were sized to the data, not given: a run's config.json alone does not say.
    sized = {"model.max_length": 91, "train.epochs": 91, "train.patience": 316}  # one kept by a --config run
    text = _rendered(
        render_info(dataclasses.replace(info, training=dataclasses.replace(info.training, sized=sized)))
    )
    shown = " ".join(text.replace("│", " ").split())
    assert "model.max_length, train.epochs (to 91 training texts); train.patience (to 316" in shown
    assert describe_checkpoint(trained.output).to_json()["training"]["embeddings_init"] is None


def test_info_marks_the_tokenizer_settings_that_did_not_shape_the_tokenizer(trained):
    import dataclasses

    info = describe_checkpoint(trained.output)
    tokenizer = {"kind": "unigram", "vocab_size": 8000, "min_frequency": 3, "lowercase": True, "path": None}
    text = _rendered(render_info(dataclasses.replace(info, tokenizer=tokenizer)))
    assert (
        "kind=unigram vocab_size=8000 lowercase=true path=null; unused (the unigram trainer takes no "
        "minimum frequency): min_frequency=3"
    ) in " ".join(text.replace("│", " ").split())  # the panel's lines, rejoined
    given = {**tokenizer, "kind": "word", "path": "tok.json", "split_ideographs": False}
    described = dataclasses.replace(info, tokenizer=given)
    assert (
        "path=tok.json; unused (the tokenizer in tokenizer.path is used as it is): kind=word "
        "vocab_size=8000 min_frequency=3 lowercase=true split_ideographs=false"
    ) in " ".join(_rendered(render_info(described)).replace("│", " ").split())
    assert described.to_json()["unused_tokenizer_settings"] == dict.fromkeys(
        ("kind", "vocab_size", "min_frequency", "lowercase", "split_ideographs"),
        "the tokenizer in tokenizer.path is used as it is",
    )
    assert info.to_json()["unused_tokenizer_settings"] == {}


@pytest.mark.parametrize("name", ["v1_additive_learned", "v1_scaled_dot_sinusoidal"])
def test_parameters_of_an_earlier_format_are_counted_as_the_migrated_model_has_them(name):
    """A format-1 checkpoint's pooling gains a key projection on load: info counts the model that
    eval and predict run, not the tensors in the file."""
    from attncli.checkpoint import load_checkpoint

    path = Path(__file__).parent / "fixtures" / name
    loaded = sum(parameter.numel() for parameter in load_checkpoint(path).model.parameters())
    assert describe_checkpoint(path).num_parameters == loaded
    assert count_parameters(path / "model.safetensors", format_version=2) != loaded  # what the file holds


def test_a_last_checkpoint_says_which_state_it_holds(tmp_path):
    import json

    from attncli.info import _holds

    assert _holds(tmp_path) is None  # best/: no training state
    (tmp_path / "training_state.json").write_text(json.dumps({"epoch": 3, "step": 31}))
    assert _holds(tmp_path) == (
        "epoch 3 after its step 31: stopped inside the epoch, so the validation scores and temperature "
        "here are those of epoch 2"
    )  # info showed epoch 2's scores and temperature as if they were these weights'
    (tmp_path / "training_state.json").write_text(json.dumps({"epoch": 5, "step": 0}))
    assert _holds(tmp_path) == "the end of epoch 4"
    (tmp_path / "training_state.json").write_text(json.dumps({"epoch": 1, "step": 4}))
    assert str(_holds(tmp_path)).endswith("so there are no validation scores or temperature here yet")


def test_a_best_checkpoint_saved_before_a_resume_raised_the_ceiling_says_so(trained):
    """best/ keeps the config it was saved with: after `--resume --epochs 4` on a 2-epoch run whose
    best epoch was 2, info showed `4 trained` beside `settings epochs=2`, without a word."""
    import dataclasses

    info = describe_checkpoint(trained.output)
    assert "a resume raised it" not in _rendered(render_info(info))
    raised = dataclasses.replace(info, train={**info.train, "epochs": 2})
    wide = Console(file=io.StringIO(), width=240, theme=ATTN_THEME)  # the row on one line
    wide.print(render_info(raised))
    assert (
        f"{len(trained.history)} trained, best {trained.best_epoch} (epochs=2 below: the ceiling when this "
        "epoch was saved; a resume raised it)"
    ) in wide.file.getvalue()


def test_a_strangers_checkpoint_cannot_drive_the_terminal_or_stall_info(tmp_path):
    """A security trial: strings from config.json and metrics.json reached the terminal as they were
    (`\\x1b[2J` cleared it) or as rich markup (`[link=...]` made a hyperlink); a header of 4,000-digit
    dimensions took 46 s to count; a million labels printed 123,461 lines."""
    import dataclasses
    import struct

    path = save_untrained_checkpoint(tmp_path / "model")
    info = describe_checkpoint(path)
    training = dataclasses.replace(
        info.training,
        data_source="[link=http://evil.example]/data/train.jsonl[/link] \x1b[2J",
        data_path="/tmp/\x1b]0;TITLE\x07p",
        stop_reason="\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
    )
    files = [dataclasses.replace(item, sha256="\x1b[2J[blink]PWN") for item in info.files or []]
    crafted = dataclasses.replace(
        info,
        training=training,
        attn_version="9\x1b[31m",
        label_names=[f"l{index}" for index in range(1000)],
        files=files,
    )
    console = Console(file=io.StringIO(), width=100, theme=ATTN_THEME, force_terminal=True)
    console.print(render_info(crafted))
    shown = console.file.getvalue()
    assert "\x1b]" not in shown and "\x1b[2J" not in shown and "\x1b[31m" not in shown
    assert "\x1b[5m" not in shown and "\\x1b[2J[blink]P" in shown  # a digest is not markup either
    assert "[link=http://evil.example]/data/train.jsonl[/link] \\x1b[2J" in shown  # as written, escaped
    plain = " ".join(_rendered(render_info(crafted)).replace("│", " ").split())
    assert "l199 and 800 more (1,000; --json lists them all)" in plain
    # Long labels are listed as far as about 1,500 characters go (a shop's 396 categories took 95
    # lines before the model's settings).
    paths = [f"Home & Kitchen > Storage & Organisation > Boxes {index:03d}" for index in range(396)]
    listed = " ".join(
        _rendered(render_info(dataclasses.replace(info, label_names=paths))).replace("│", " ").split()
    )
    assert "Boxes 027 and 368 more (396; --json lists them all)" in listed and "Boxes 028" not in listed
    header = json.dumps({"w": {"dtype": "F32", "shape": [int("9" * 400)] * 2, "data_offsets": [0, 0]}})
    (path / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header.encode())
    assert count_parameters(path / "model.safetensors", format_version=2) is None  # unreadable, at once
    deep = json.dumps({"w": {"dtype": "F32", "shape": [1] * 9, "data_offsets": [0, 4]}})
    (path / "model.safetensors").write_bytes(struct.pack("<Q", len(deep)) + deep.encode())
    assert count_parameters(path / "model.safetensors", format_version=2) is None


def test_a_run_folder_without_best_is_shown_from_last_and_exits_2(trained, tmp_path):
    """An ops trial: `attn info "$RUN" && deploy "$RUN"` passed a run with no best/, which predict
    and eval refuse."""
    run = tmp_path / "run"
    shutil.copytree(trained.output, run)
    shutil.rmtree(run / "best")
    shown = CliRunner().invoke(app, ["info", str(run)])
    assert shown.exit_code == 2 and "holds" in shown.stdout  # last/ says which state it holds
    assert shown.stderr.strip() == (
        f"error: {run} has no best/ (it was removed, and the run has finished: a --resume would not write it "
        f"again), so predict and eval refuse it; shown above is its last/ (pass {run / 'last'} to use it)"
    )  # it said --resume goes on with it, which a finished run refuses (a trial)
    (tmp_path / "d.csv").write_text("text,label\nsoup,food\n", encoding="utf-8")
    for command in (["predict", str(run), "soup"], ["eval", str(run), str(tmp_path / "d.csv")]):
        refused = CliRunner().invoke(app, command)
        assert refused.exit_code == 2 and refused.stderr.strip() == (
            f"error: {run} has no best/ (it was removed, and the run has finished: a --resume would not "
            f"write it again), so no validated model; pass {run / 'last'} to use the last epoch's model, or "
            "train the run again"
        )
    assert CliRunner().invoke(app, ["info", str(run / "last")]).exit_code == 0  # named: what it is
    assert CliRunner().invoke(app, ["info", str(trained.output)]).exit_code == 0


def test_the_texts_given_more_than_one_label_are_listed_in_the_json(tmp_path):
    """Training warned of 63 such texts with one example, and nothing listed the rest (a trial)."""
    from conftest import TINY_MODEL, make_rows, write_csv

    from attncli.config_loading import load_config
    from attncli.train import train

    rows = make_rows(60)
    rows += [{"text": "Refund please", "label": "food"}] * 2 + [{"text": "refund  please", "label": "tech"}]
    data = write_csv(tmp_path / "d.csv", rows)
    train(load_config(None, [*TINY_MODEL, f"data.source={data}", "train.epochs=1"]), output=tmp_path / "run")
    described = CliRunner().invoke(app, ["info", str(tmp_path / "run"), "--json"])
    assert json.loads(described.stdout)["training"]["label_conflicts"] == {
        "count": 1,
        "listed": [
            {
                "text": "Refund please",
                "labels": {"food": 2, "tech": 1},
                "where": ["line 62", "line 63", "line 64"],
            }
        ],
    }


def test_an_interrupted_run_says_how_to_resume_it(trained, tmp_path):
    """A run stopped by Ctrl-C said `resume with: attn train --resume RUN` once, as it stopped;
    `attn info` on it later said only "interrupted"."""
    info = describe_checkpoint(trained.output)
    assert info.resume_command is None  # finished: nothing to resume
    interrupted = dataclasses.replace(info.training, stop_reason="interrupted")
    stopped = dataclasses.replace(info, training=interrupted)
    assert stopped.resume_command == f"attn train --resume {trained.output}"
    wide = Console(file=io.StringIO(), width=240, theme=ATTN_THEME)  # the row on one line
    wide.print(render_info(stopped))
    rows = [line.strip("│ ") for line in wide.file.getvalue().splitlines()]
    assert f"stop                interrupted; resume with: attn train --resume {trained.output}" in rows
    assert stopped.to_json()["training"]["resume_command"] == stopped.resume_command
    on_two = dataclasses.replace(stopped, training=dataclasses.replace(interrupted, epoch_processes=[2, 2]))
    assert on_two.resume_command == f"attn train --resume {trained.output} --nproc 2"
    # best/ alone, its last/ deleted or never copied: nothing to resume from, so no command.
    shutil.copytree(trained.output / "best", tmp_path / "copy" / "best")
    copied = describe_checkpoint(tmp_path / "copy")
    assert dataclasses.replace(copied, training=stopped.training).resume_command is None


def _killed_run(tmp_path, *, epochs):
    """The run folder of a training of `epochs` epochs that a patched validation ends with SystemExit."""
    from conftest import TINY_MODEL, make_rows, write_csv

    from attncli.config_loading import load_config
    from attncli.train import train

    data = write_csv(tmp_path / "d.csv", make_rows(60))
    config = load_config(
        None, [*TINY_MODEL, f"data.source={data}", f"train.epochs={epochs}", "train.patience=0"]
    )
    run = tmp_path / "run"
    with pytest.raises(SystemExit):
        train(config, output=run)
    return run


def test_a_killed_run_with_epochs_left_says_how_to_resume_it_unless_it_is_training_now(tmp_path, monkeypatch):
    """kill -9 (or a machine that stopped) records no stop: info showed such a run as a finished
    short one, with neither a stop reason nor a resume command (a trial)."""
    import fcntl
    import os

    import attncli.fit
    from attncli.run_folder import LOCK_FILE

    validate, calls = attncli.fit.validate, []

    def dies_in_epoch_two(*args, **kwargs):  # as a kill leaves it: last/ of epoch 1, nothing said
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit(137)
        return validate(*args, **kwargs)

    monkeypatch.setattr(attncli.fit, "validate", dies_in_epoch_two)
    run = _killed_run(tmp_path, epochs=3)
    info = describe_checkpoint(run)
    assert info.training.stop_reason is None and info.resume_command == f"attn train --resume {run}"
    shown = CliRunner().invoke(app, ["info", str(run)])
    assert (
        "not recorded: the run was killed (or its machine stopped) with epochs left; resume with: attn train "
        f"--resume {run}"
    ) in " ".join(shown.stdout.split())
    assert (
        json.loads(CliRunner().invoke(app, ["info", str(run), "--json"]).stdout)["training"]["resume_command"]
        == f"attn train --resume {run}"
    )
    # While an attn train holds the folder, it is training, not killed.
    descriptor = os.open(run / LOCK_FILE, os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        assert describe_checkpoint(run).resume_command is None
    finally:
        os.close(descriptor)
    assert describe_checkpoint(run).resume_command is not None


def test_a_killed_run_counts_the_epochs_its_last_holds_past_its_best(tmp_path, monkeypatch):
    """best/ is written at the best epoch and last/ at every epoch: a killed run's info said "13
    trained" from best/ where last/ held 15, and its --resume then said 15 (a README audit)."""

    import attncli.fit

    validate, calls = attncli.fit.validate, []

    def worse_after_epoch_one_and_killed_in_epoch_three(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise SystemExit(137)
        loss, accuracy, macro_f1, temperature, missed = validate(*args, **kwargs)
        return (
            (loss, accuracy, macro_f1, temperature, missed)
            if len(calls) == 1
            else (9.0, 0.0, 0.0, 1.0, missed)
        )

    monkeypatch.setattr(attncli.fit, "validate", worse_after_epoch_one_and_killed_in_epoch_three)
    run = _killed_run(tmp_path, epochs=4)
    assert len(json.loads((run / "best" / "metrics.json").read_text())["history"]) == 1
    for path in (run, run / "best", run / "last"):
        info = describe_checkpoint(path)
        assert (info.training.epochs_trained, info.training.best_epoch) == (2, 1), path
    assert "2 trained, best 1" in CliRunner().invoke(app, ["info", str(run)]).stdout


def test_a_finished_run_resumed_for_more_epochs_and_killed_counts_its_last_and_is_resumable(
    tmp_path, monkeypatch
):
    """best/ of a finished run records its stop ("reached the epoch limit"); resumed with more epochs
    and killed, its last/ went on: info said "2 trained" and offered no resume (a review)."""
    from conftest import TINY_MODEL, make_rows, write_csv

    import attncli.fit
    from attncli.config_loading import load_config
    from attncli.train import resume, train

    data = write_csv(tmp_path / "d.csv", make_rows(60))
    run = tmp_path / "run"
    train(
        load_config(None, [*TINY_MODEL, f"data.source={data}", "train.epochs=2", "train.patience=0"]),
        output=run,
    )
    assert describe_checkpoint(run).training.stop_reason == "epochs"
    validate, calls = attncli.fit.validate, []

    def worse_then_killed(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit(137)
        missed = validate(*args, **kwargs)[-1]
        return 9.0, 0.0, 0.0, 1.0, missed

    monkeypatch.setattr(attncli.fit, "validate", worse_then_killed)
    with pytest.raises(SystemExit):
        resume(run, epochs=5)
    info = describe_checkpoint(run)
    assert (info.training.epochs_trained, info.training.best_epoch, info.training.stop_reason) == (3, 2, None)
    assert info.resume_command == f"attn train --resume {run}"


def test_labels_with_a_comma_or_a_colon_are_quoted_in_the_lists_of_counts():
    """A cataloguer's `Economics, Finance: 21, Economics, Labour: 21` could not be read apart."""
    from types import SimpleNamespace

    from attncli.render.info import _texts_text

    training = SimpleNamespace(
        train_size=63,
        validation_size=7,
        label_counts={"Economics, Finance": 21, "History: Europe": 21, "Law": 21},
    )
    assert _texts_text(training) == (  # type: ignore[arg-type]
        "63 to train on ('Economics, Finance': 21, 'History: Europe': 21, Law: 21); 7 for validation"
    )
