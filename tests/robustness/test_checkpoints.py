"""Damaged, mixed-up and hostile checkpoints through the real commands: each case one line on stderr
that names the file and what to do, and exit code 2; no file of a checkpoint is ever unpickled.
docs/robustness.md lists the promises; tests/test_checkpoint.py checks the same loader from Python."""

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import save_untrained_checkpoint, write_csv
from typer.testing import CliRunner

from attncli.checkpoint_folder import FORMAT_VERSION
from attncli.cli import app

RUNNER = CliRunner()
TEXT = "pasta and cheese today"


def invoke(*args):
    return RUNNER.invoke(app, [str(arg) for arg in args])


def forget_checksums(folder: Path) -> None:
    """Make `folder` look written by an attn from before checksums: no "files" in config.json, and
    no digest of config.json itself."""
    edit_header(
        folder,
        lambda header: (
            header.pop("files"),
            header.pop("config_sha256"),
            header.update(attn_version="0.1.0"),
        ),
    )


def edit_header(folder: Path, change) -> None:
    """Change config.json's values as a save would have written them (its digest kept true), to
    test what attn does with those values rather than with an edited file."""
    from attncli.checksums import sealed

    header = json.loads((folder / "config.json").read_text())
    change(header)
    (folder / "config.json").write_text(json.dumps(sealed(header) if "config_sha256" in header else header))


def edit_by_hand(folder: Path, change) -> None:
    """Change config.json's values as a person would, in an editor: its digest is left as saved."""
    header = json.loads((folder / "config.json").read_text())
    change(header)
    (folder / "config.json").write_text(json.dumps(header, indent=4))


def flip_bytes(path: Path, count: int = 100) -> None:
    """Overwrite `count` bytes in the middle of the file (inside the tensors, past the header)."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + count] = bytes(byte ^ 0xFF for byte in data[middle : middle + count])
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


class Planted:
    """A pickle that, once unpickled, creates `marker`: proof that something loaded it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def planted_pickle(marker: Path) -> bytes:
    return pickle.dumps(Planted(marker))


def planted_torch_file(path: Path, marker: Path) -> None:
    """The same payload in torch.save's zip format, as `.pt`/`.bin` files usually are."""
    torch.save({"state_dict": Planted(marker)}, path)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An untrained checkpoint (labels food, sport, tech), copied before each damage."""
    return save_untrained_checkpoint(tmp_path_factory.mktemp("checkpoints") / "ckpt")


@pytest.fixture(scope="module")
def other_tokenizer(trained):
    """tokenizer.json of another checkpoint: the session's trained one (another vocabulary)."""
    return trained.output / "best" / "tokenizer.json"


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("eval") / "d.csv", [{"text": TEXT, "label": "food"}])


def _pickle_instead_of_weights(folder: Path) -> None:
    (folder / "model.safetensors").write_bytes(planted_pickle(folder.parent / "never"))


def _torch_file_instead_of_weights(folder: Path) -> None:
    (folder / "model.safetensors").unlink()
    planted_torch_file(folder / "pytorch_model.bin", folder.parent / "never")


def _future_format(header) -> None:
    header["format_version"] = FORMAT_VERSION + 1


def _wider_feed_forward(header) -> None:
    header["config"]["model"]["ff_dim"] *= 2


def _one_more_label(header) -> None:
    header["label_names"].append("music")


# (id, damage(folder, context), stderr after "error: " + the folder, as a regular expression)
CASES = [
    (
        "truncated weights",
        lambda folder, _: truncate(folder / "model.safetensors"),
        r"/model\.safetensors is damaged: [\d,]+ bytes where [\d,]+ were saved; restore the file from a "
        r"backup of the checkpoint, or train it again with `attn train`",
    ),
    (
        "truncated weights, no checksums",
        lambda folder, _: (forget_checksums(folder), truncate(folder / "model.safetensors")),
        r"/model\.safetensors is not a safetensors file \(Error while deserializing: .*\); restore the "
        r"file from a backup",
    ),
    (
        "bytes flipped inside the weights",
        lambda folder, _: flip_bytes(folder / "model.safetensors"),
        r"/model\.safetensors is damaged: its contents differ from the SHA-256 recorded when it was saved; ",
    ),
    (
        "a tokenizer from another checkpoint",
        lambda folder, context: shutil.copy(context["other_tokenizer"], folder / "tokenizer.json"),
        r"/tokenizer\.json is damaged: (?:[\d,]+ bytes where [\d,]+ were saved|its contents differ from "
        r"the SHA-256 recorded when it was saved); restore the file",
    ),
    (
        "a tokenizer from another checkpoint, no checksums",
        lambda folder, context: (
            forget_checksums(folder),
            shutil.copy(context["other_tokenizer"], folder / "tokenizer.json"),
        ),
        r"/tokenizer\.json belongs to another checkpoint: it has \d+ tokens and padding id 0 where the "
        r"model in config\.json has \d+ and 0; copy back the tokenizer\.json saved with this model",
    ),
    (
        "config.json that is not JSON",
        lambda folder, _: (folder / "config.json").write_text('{"format_version": 2,'),
        r"/config\.json is not valid JSON \(Expecting property name .*\); train the checkpoint again",
    ),
    (
        "config.json that is JSON but not a checkpoint's",
        lambda folder, _: edit_header(folder, lambda header: header.update(config="bbc")),
        r"/config\.json is damaged \(.*\); train the checkpoint again",
    ),
    (
        "a config whose shapes do not match the weights",
        lambda folder, _: edit_header(folder, _wider_feed_forward),
        r"/model\.safetensors does not fit the model in config\.json \(\S+ is 32x16 there but 64x16 in "
        r"that model\); the checkpoint is damaged or mixed from two runs",
    ),
    (
        "a config with a label the weights lack",
        lambda folder, _: edit_header(folder, _one_more_label),
        r"/model\.safetensors does not fit the model in config\.json \(\S+ is 3x16 there but 4x16 in "
        r"that model\)",
    ),
    (
        "a label list reordered by hand",
        lambda folder, _: edit_by_hand(folder, lambda header: header["label_names"].reverse()),
        r"/config\.json has been changed since attn saved it \(its values no longer match the "
        r"config_sha256 saved in it, or that was removed\), and a changed label list or setting would "
        r"change every prediction silently; restore the file from a backup of the checkpoint, or train it "
        r"again",
    ),
    (
        "a temperature set to 0 by hand, no checksums",
        lambda folder, _: (forget_checksums(folder), edit_header(folder, lambda h: h.update(temperature=0))),
        r"/config\.json is damaged \(temperature 0 is not a positive number\); train the checkpoint again",
    ),
    (
        "a label list holding null, no checksums",
        lambda folder, _: (
            forget_checksums(folder),
            edit_header(folder, lambda h: h["label_names"].append(None)),
        ),
        r"/config\.json is damaged \(label_names holds None, which is not a label name\); train the "
        r"checkpoint again",
    ),
    (
        "a label named twice, no checksums",
        lambda folder, _: (
            forget_checksums(folder),
            edit_header(folder, lambda h: h.update(label_names=["food", "food", "tech"])),
        ),
        r"/config\.json is damaged \(label_names names 'food' twice\); train the checkpoint again",
    ),
    (
        "a format_version from the future",
        lambda folder, _: edit_header(folder, _future_format),
        rf" has format {FORMAT_VERSION + 1}; this attn reads formats 1 to {FORMAT_VERSION}, so upgrade "
        r"attn \(pip install -U attncli\) or retrain it with this version",
    ),
    (
        "a pickle named model.safetensors",
        lambda folder, _: _pickle_instead_of_weights(folder),
        r"/model\.safetensors is damaged: \d+ bytes where [\d,]+ were saved",
    ),
    (
        "a pickle named model.safetensors, no checksums",
        lambda folder, _: (forget_checksums(folder), _pickle_instead_of_weights(folder)),
        r"/model\.safetensors is not a safetensors file \(it looks like a pickle, as torch\.save writes, "
        r"which attn never loads: unpickling can run any code\)",
    ),
    (
        "pytorch_model.bin instead of model.safetensors",
        lambda folder, _: _torch_file_instead_of_weights(folder),
        r" is incomplete \(missing model\.safetensors; attn never loads pytorch_model\.bin: a pickle can "
        r"run any code when loaded\); train it again with `attn train`",
    ),
]


def refusal_pattern(folder: Path, expected: str) -> str:
    """The whole of stderr: one line, `error: ` and the folder (or `checkpoint` and the folder),
    then `expected`."""
    return rf"error: (checkpoint )?{re.escape(str(folder))}{expected}.*\n"


@pytest.mark.parametrize("command", ["predict", "inspect", "eval"])
@pytest.mark.parametrize(
    ("damage", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_a_damaged_checkpoint_is_one_line_and_exit_2(
    checkpoint, other_tokenizer, data_file, tmp_path, command, damage, expected
):
    """Missing tokenizer.json: test_cli.py::test_incomplete_checkpoint_and_debug_traceback (a real
    process, with --debug)."""
    folder = tmp_path / "ckpt"
    shutil.copytree(checkpoint, folder)
    damage(folder, {"other_tokenizer": other_tokenizer})
    result = invoke(command, folder, data_file if command == "eval" else TEXT, "--device", "cpu")
    assert (result.exit_code, result.stdout) == (2, "")
    assert re.fullmatch(refusal_pattern(folder, expected), result.stderr), result.stderr


@pytest.mark.parametrize("forgotten", [False, True], ids=["checksums", "no checksums"])
def test_a_damaged_training_history_is_set_aside_by_eval_predict_and_inspect(
    checkpoint, data_file, tmp_path, forgotten
):
    """metrics.json holds the training history alone: one edited by hand (its checksum differs) or
    not JSON blocked eval, predict and inspect, which do not need it, and was told to train again."""
    folder = tmp_path / "ckpt"
    shutil.copytree(checkpoint, folder)
    if forgotten:
        forget_checksums(folder)
        (folder / "metrics.json").write_text("{")
        problem = r"is not valid JSON \(Expecting property name .*\)"
    else:
        (folder / "metrics.json").write_text((folder / "metrics.json").read_text().replace("{", "{ ", 1))
        problem = "is damaged: [\\d,]+ bytes where [\\d,]+ were saved"
    warning = (
        rf"warning: {re.escape(str(folder))}/metrics\.json {problem}; restore it from a backup of the "
        r"checkpoint, or delete it \(it holds the training history, which predictions do not need\); until "
        r"then it is left out\n"
    )
    for command in ("predict", "inspect", "eval"):
        result = invoke(command, folder, data_file if command == "eval" else TEXT, "--device", "cpu")
        assert result.exit_code == 0, result.stderr
        assert re.match(warning, result.stderr), result.stderr
    (folder / "metrics.json").unlink()  # as the warning says: then nothing to warn of
    assert invoke("predict", folder, TEXT, "--device", "cpu").stderr == ""


def test_eval_of_a_carved_validation_split_needs_the_history_that_records_the_carve(trained, tmp_path):
    """metrics.json records the sizes and digest of the rows training held out: set aside (damaged)
    or missing, eval of the carve checked nothing, and scored rows of a changed file that the model
    had partly trained on, exit 0."""
    run = tmp_path / "run"
    shutil.copytree(trained.output, run)
    assert invoke("eval", run, "--split", "validation", "--device", "cpu").exit_code == 0
    (run / "best" / "metrics.json").write_text("{}")
    for state in ("damaged", "missing"):
        result = invoke("eval", run, "--split", "validation", "--device", "cpu")
        assert result.exit_code == 2 and result.stderr.strip().splitlines()[-1].endswith(
            f"which {run / 'best' / 'metrics.json'} records, and it is {state}; restore it, or evaluate on "
            "a file of its own"
        ), result.stderr
        (run / "best" / "metrics.json").unlink(missing_ok=True)
    assert invoke("eval", run, "--device", "cpu").exit_code == 0  # its test split needs no carve


def test_the_planted_pickles_do_write_their_marker_when_loaded(tmp_path):
    """The payload the next tests plant works: unpickling it, as torch.load would, runs its code."""
    pickle.loads(planted_pickle(tmp_path / "by-pickle"))
    planted_torch_file(tmp_path / "model.pt", tmp_path / "by-torch-load")
    torch.load(tmp_path / "model.pt", weights_only=False)
    assert (tmp_path / "by-pickle").exists() and (tmp_path / "by-torch-load").exists()


# Where other tools keep weights and training state, planted beside attn's own files: torch.save's
# zip format for .pt, .pth and .bin, a bare pickle for the others.
PICKLE_NAMES = [
    "pytorch_model.bin", "model.pt", "model.pth", "model.ckpt", "model.pkl", "training_state.pt",
    "optimizer.pt", "scheduler.pt", "rng_state.pth", "training_args.bin",
]  # fmt: skip
# attn's own files, each replaced by a pickle in best/ and last/; the first four are what eval,
# predict and inspect read, all six what train --resume reads.
OWN_FILES = [
    "config.json", "model.safetensors", "tokenizer.json", "metrics.json",
    "training_state.safetensors", "training_state.json",
]  # fmt: skip
PLANTINGS = [
    ("beside", None, False),
    *((f"as {name}", name, False) for name in OWN_FILES),
    *((f"as {name}, no checksums", name, True) for name in OWN_FILES[1:]),
]


@pytest.mark.parametrize(
    ("where", "checksums_forgotten"), [p[1:] for p in PLANTINGS], ids=[p[0] for p in PLANTINGS]
)
def test_no_command_unpickles_a_planted_pickle(trained, tmp_path, monkeypatch, where, checksums_forgotten):
    """eval, predict, inspect, info and train --resume on a run whose files are pickles that create a
    marker when loaded: the marker never appears; each command either works (the pickle is not one of
    the files it reads) or refuses in one line with exit 2."""
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: pytest.fail("torch.load was called"))
    run, marker = tmp_path / "run", tmp_path / "marker"
    shutil.copytree(trained.output, run)
    for folder in (run, run / "best", run / "last"):
        if checksums_forgotten and folder != run:
            forget_checksums(folder)
        if where is None:
            for name in PICKLE_NAMES:
                if name.endswith((".pt", ".pth", ".bin")):
                    planted_torch_file(folder / name, marker)
                else:
                    (folder / name).write_bytes(planted_pickle(marker))
        elif folder != run:
            (folder / where).write_bytes(planted_pickle(marker))
    commands = {
        "eval": ["eval", run],
        "predict": ["predict", run, TEXT],
        "predict last/": ["predict", run / "last", TEXT],
        "inspect": ["inspect", run, TEXT],
        "info": ["info", run],
        "train --resume": ["train", "--resume", run, "--epochs", len(trained.history) + 1],
    }
    read_by = {
        "train --resume": OWN_FILES,
        # metrics.json, the training history, is set aside with a warning where it is damaged.
        **dict.fromkeys(("eval", "predict", "predict last/", "inspect"), OWN_FILES[:3]),
        # info reads config.json alone; another of best/'s files replaced no longer matches its
        # checksum, which info reports and then exits 2 for (unless the checksums were forgotten),
        # all but metrics.json, which the others set aside.
        "info": ["config.json"] if checksums_forgotten else OWN_FILES[:3],
    }
    for name, arguments in commands.items():
        result = invoke(*arguments)
        refused = where in read_by.get(name, OWN_FILES[:4])
        assert result.exit_code == (2 if refused else 0), (name, result.stderr)
        if refused:
            assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert not marker.exists(), name


def test_the_real_command_refuses_a_pickle_named_like_the_model(checkpoint, tmp_path):
    """The same refusal from `python -m attncli predict` in a process of its own."""
    folder, marker = tmp_path / "ckpt", tmp_path / "marker"
    shutil.copytree(checkpoint, folder)
    forget_checksums(folder)
    (folder / "model.safetensors").write_bytes(planted_pickle(marker))
    result = subprocess.run(
        [sys.executable, "-m", "attncli", "predict", str(folder), TEXT],
        capture_output=True,
        text=True,
        env={**os.environ, "ATTN_DEBUG": ""},
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert re.fullmatch(
        refusal_pattern(folder, r"/model\.safetensors is not a safetensors file \(it looks like a pickle"),
        result.stderr,
    )
    assert not marker.exists()


def test_config_json_edited_by_hand_is_refused_by_info_too_but_its_layout_is_free(checkpoint, tmp_path):
    """The digest covers config.json's values, not its layout: re-indented with CRLF line ends it
    still loads; a label list reordered is refused by every command, info included (exit 2)."""
    folder = tmp_path / "ckpt"
    shutil.copytree(checkpoint, folder)
    header = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_bytes(json.dumps(header, indent=1).replace("\n", "\r\n").encode())
    assert invoke("predict", folder, TEXT, "--device", "cpu").exit_code == 0
    assert invoke("info", folder).exit_code == 0
    edit_by_hand(folder, lambda header: header.update(label_names=["tech", "sport", "food"]))
    # info describes what is there, marks config.json changed, and exits 2, as for any changed file.
    result = invoke("info", folder)
    assert result.exit_code == 2 and "tech, sport, food" in result.stdout
    assert re.search(r"config\.json +[\d,]+ +\w+… +changed", result.stdout), result.stdout
    assert result.stderr == (
        f"error: {folder} is not as it was saved (config.json changed, as the checksums in config.json "
        "tell); restore those files from a backup, or train again\n"
    )
    report = json.loads(invoke("info", folder, "--json").stdout)
    assert report["files"]["config.json"]["status"] == "changed"
    assert report["files"]["model.safetensors"]["status"] == "ok"
    refused = invoke("predict", folder, TEXT, "--device", "cpu")
    assert refused.exit_code == 2 and "config.json has been changed since attn saved it" in refused.stderr
    # Removing the digest does not pass for a checkpoint from before it: its attn version says so.
    edit_by_hand(folder, lambda header: header.pop("config_sha256"))
    refused = invoke("predict", folder, TEXT, "--device", "cpu")
    assert refused.exit_code == 2 and "config_sha256 saved in it, or that was removed" in refused.stderr
    # ... nor with the files' checksums removed as well: info said "no checksums recorded (saved by an
    # attn before they were)" and exit 0 where predict refused.
    edit_by_hand(folder, lambda header: header.pop("files"))
    described = invoke("info", folder)
    assert described.exit_code == 2 and "no checksums recorded" not in described.stdout
    assert "(config.json changed, as the checksums" in described.stderr
    assert invoke("predict", folder, TEXT, "--device", "cpu").exit_code == 2
    # Whatever the edit left, info still describes it (a temperature of 0 is refused on loading).
    edit_by_hand(folder, lambda header: header.update(temperature=0, config_sha256="0" * 64))
    described = invoke("info", folder)
    assert described.exit_code == 2 and "tech, sport, food" in described.stdout
    # A JSON tool that writes 1.0 as 1 (jq) changes no value.
    shutil.rmtree(folder)
    shutil.copytree(checkpoint, folder)
    text = (folder / "config.json").read_text()
    assert '"grad_clip": 1.0' in text
    (folder / "config.json").write_text(text.replace('"grad_clip": 1.0', '"grad_clip": 1'))
    assert invoke("predict", folder, TEXT, "--device", "cpu").exit_code == 0
