import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import save_untrained_checkpoint

from attncli import checkpoint as checkpoint_module
from attncli import checkpoint_folder, checkpoint_saving, checksums
from attncli.checkpoint import load_checkpoint
from attncli.checkpoint_folder import resolve_checkpoint
from attncli.checkpoint_saving import save_checkpoint
from attncli.checksums import sealed
from attncli.errors import CheckpointError
from attncli.prediction import predict_probabilities

TEXTS = ["pasta and cheese today", "the coach said the match was very good"]
BEST_FILES = ["config.json", "metrics.json", "model.safetensors", "tokenizer.json"]


def _save_again(loaded, path, *, metrics):
    """Write a loaded checkpoint's parts to `path` through save_checkpoint."""
    save_checkpoint(
        path, model=loaded.model, tokenizer=loaded.tokenizer, config=loaded.config,
        label_names=loaded.label_names, metrics=metrics, temperature=loaded.temperature,
    )  # fmt: skip


def test_run_folder_holds_exactly_best_last_and_the_log(trained):
    output = trained.output
    assert sorted(path.name for path in output.iterdir()) == ["best", "last", "metrics.jsonl"]
    assert sorted(path.name for path in (output / "best").iterdir()) == BEST_FILES
    assert sorted(path.name for path in (output / "last").iterdir()) == sorted(
        [*BEST_FILES, "training_state.json", "training_state.safetensors"]
    )
    header = json.loads((output / "best" / "config.json").read_text())
    assert header["label_names"] == ["food", "sport", "tech"]
    assert header["config"]["data"]["text_column"] == "text"  # detected columns are recorded
    assert header["torch_version"] == torch.__version__ and header["attn_version"]
    assert Path(header["data_path"]).is_absolute() and Path(header["data_path"]).exists()
    metrics = json.loads((output / "best" / "metrics.json").read_text())
    assert metrics["best_epoch"] == trained.best_epoch and len(metrics["history"]) == len(trained.history)
    log = [json.loads(line) for line in (output / "metrics.jsonl").read_text().splitlines()]
    epochs = [line for line in log if "validation_macro_f1" in line]
    assert [line["epoch"] for line in epochs] == [record.epoch for record in trained.history]
    assert all(
        {"step", "loss", "lr", "tokens_per_second"} <= line.keys() for line in log if line not in epochs
    )


def test_weights_and_training_state_are_safetensors_not_pickle(trained):
    from safetensors import safe_open

    for path in (
        trained.output / "best" / "model.safetensors",
        trained.output / "last" / "training_state.safetensors",
    ):
        assert not path.read_bytes().startswith(b"\x80")  # pickle protocol marker
        with safe_open(str(path), framework="pt") as tensors:
            assert len(list(tensors.keys())) > 0
    state = json.loads((trained.output / "last" / "training_state.json").read_text())
    assert state["epoch"] == len(trained.history) + 1 and state["step"] == 0


def test_output_folder_best_and_last_all_load(trained):
    assert resolve_checkpoint(trained.output) == trained.output / "best"
    best = predict_probabilities(load_checkpoint(trained.output), TEXTS)
    assert torch.equal(predict_probabilities(load_checkpoint(trained.output / "best"), TEXTS), best)
    assert load_checkpoint(trained.output / "last").path == trained.output / "last"


def test_save_and_load_round_trip_predicts_the_same_and_metrics_are_optional(trained, tmp_path):
    loaded = load_checkpoint(trained.output)
    copy = tmp_path / "copy"
    _save_again(loaded, copy, metrics=loaded.metrics)
    assert torch.equal(
        predict_probabilities(load_checkpoint(copy), TEXTS), predict_probabilities(loaded, TEXTS)
    )
    (copy / "metrics.json").unlink()
    assert load_checkpoint(copy).metrics == {}


def test_files_follow_the_umask(trained, tmp_path):
    loaded = load_checkpoint(trained.output)
    previous = os.umask(0o022)
    try:
        _save_again(loaded, tmp_path / "shared", metrics={})
    finally:
        os.umask(previous)
    assert (tmp_path / "shared").stat().st_mode & 0o777 == 0o755
    assert {(path.stat().st_mode & 0o777) for path in (tmp_path / "shared").iterdir()} == {0o644}


def test_incomplete_or_missing_checkpoints(trained, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "absent")
    (tmp_path / "data.csv").write_text("text,label\n")
    with pytest.raises(CheckpointError, match="data.csv is a file, not a checkpoint; pass the folder"):
        load_checkpoint(tmp_path / "data.csv")
    (tmp_path / "model.bin").write_bytes(b"\xba\x16\x4f\x2f\x0c\x00\x00\x00")  # fastText's magic number
    with pytest.raises(CheckpointError, match="model.bin is a fastText model, which attn cannot load; train"):
        load_checkpoint(tmp_path / "model.bin")
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json", "metrics.json"):
        (broken / name).write_bytes((trained.output / "best" / name).read_bytes())
    with pytest.raises(CheckpointError, match="missing model.safetensors"):
        load_checkpoint(broken)
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="model.safetensors is damaged"):
        load_checkpoint(broken)
    _forget_checksums(broken)  # as an earlier attn wrote it: the weights file fails to load instead
    with pytest.raises(CheckpointError, match=r"model\.safetensors is not a safetensors file \(Error while"):
        load_checkpoint(broken)


def test_a_failed_save_leaves_the_old_checkpoint_and_no_debris(trained, tmp_path, monkeypatch):
    """A full disk at the write of metrics.json: a CheckpointError that says so, and nothing else changes.
    (tests/robustness/test_processes.py runs the same through `attn train`.)"""
    loaded = load_checkpoint(trained.output)
    output = tmp_path / "run"
    _save_again(loaded, output, metrics={"old": True})
    real_write = checkpoint_saving.write_file_durably

    def disk_full_on_metrics(path, data):
        if path.name == "metrics.json":
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(checkpoint_saving, "write_file_durably", disk_full_on_metrics)
    with pytest.raises(
        CheckpointError,
        match=rf"could not write the checkpoint {output} \(the disk is full\); "
        rf"{output} keeps the checkpoint it had; free some space, then run again$",
    ):
        _save_again(loaded, output, metrics={"new": True})
    assert [path.name for path in tmp_path.iterdir()] == ["run"]
    assert load_checkpoint(output).metrics == {"old": True}


SAVER = """
import sys
from pathlib import Path
from attncli.checkpoint import load_checkpoint
from attncli.checkpoint_saving import save_checkpoint
loaded = load_checkpoint(sys.argv[1])
print("saving", flush=True)
save_checkpoint(Path(sys.argv[2]), model=loaded.model, tokenizer=loaded.tokenizer, config=loaded.config,
                label_names=loaded.label_names, metrics={"generation": "new"}, temperature=loaded.temperature)
"""


KILL_MOMENTS = (0.05, 0.25, 0.55, 0.85, 1.15, 1.45)


def test_sigkill_while_a_checkpoint_is_replaced_leaves_one_whole_checkpoint(trained, tmp_path):
    """Each step of a save sleeps 0.2 s (test-only variable), so kills at these moments after the
    save began land between different steps: writing each file, moving the old folder aside, moving
    the new one in, removing the old. The savers run at once (their steps are sleeps, not work),
    each killed at its own moment, each into a folder of its own."""
    import threading

    loaded = load_checkpoint(trained.output)
    env = {**os.environ, checkpoint_saving.SLOW_SAVE_VARIABLE: "0.2"}
    folders, savers = [], []
    for number in range(len(KILL_MOMENTS)):
        folder = tmp_path / f"run{number}"
        _save_again(loaded, folder / "best", metrics={"generation": "old"})
        folders.append(folder)
        savers.append(
            subprocess.Popen(
                [sys.executable, "-c", SAVER, str(trained.output), str(folder / "best")],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
        )
    said: dict[int, str] = {}

    def kill_when_saving(number: int) -> None:
        said[number] = savers[number].stdout.readline().strip()
        time.sleep(KILL_MOMENTS[number])
        savers[number].send_signal(signal.SIGKILL)
        savers[number].wait()

    killers = [threading.Thread(target=kill_when_saving, args=(number,)) for number in range(len(savers))]
    for killer in killers:
        killer.start()
    for killer in killers:
        killer.join()
    assert set(said.values()) == {"saving"}
    generations = []
    for folder in folders:
        survivor = load_checkpoint(folder)  # a folder whose best/ is being replaced
        generations.append(survivor.metrics["generation"])
        assert torch.equal(predict_probabilities(survivor, TEXTS), predict_probabilities(loaded, TEXTS))
    assert set(generations) <= {"old", "new"} and generations[0] == "old"  # killed early, the old one stays


def test_a_run_stopped_before_its_first_epoch_ended_resolves_to_last(trained, tmp_path):
    import shutil

    shutil.copytree(trained.output / "last", tmp_path / "run" / "last")
    assert resolve_checkpoint(tmp_path / "run") == tmp_path / "run" / "last"


def test_a_damaged_best_is_refused_not_replaced_by_last(trained, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained.output, run)
    (run / "best" / "config.json").unlink()
    assert resolve_checkpoint(run) == run / "best"
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(run)
    assert str(refused.value) == (
        f"checkpoint {run / 'best'} is incomplete (missing config.json); "
        f"pass {run / 'last'} to use the newest epoch, or train again"
    )
    assert load_checkpoint(run / "last").path == run / "last"


def test_a_folder_of_other_files_is_not_a_checkpoint(tmp_path):
    (tmp_path / "w2v.bin").write_bytes(b"\x80\x04binary")
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path)
    assert str(refused.value) == (
        f"{tmp_path} is not an attn checkpoint (no config.json, model.safetensors, tokenizer.json); "
        "pass a folder written by `attn train`"
    )


def test_a_run_folder_before_its_first_epoch_is_said_to_hold_no_checkpoint_yet(tmp_path):
    """predict on a run still in its first epoch was told the folder is not an attn checkpoint; on a
    run killed in it, that it was still to be written."""
    from attncli.run_folder import open_run_folder

    run = open_run_folder(tmp_path / "run", overwrite=False)
    try:
        with pytest.raises(CheckpointError) as refused:
            load_checkpoint(tmp_path / "run")
    finally:
        run.release()
    assert str(refused.value) == (
        f"{tmp_path / 'run'} holds no checkpoint yet: the attn train running there has not saved its first "
        "epoch; pass it again once its best/ is written"
    )
    # Killed in its first epoch (SIGKILL from the out-of-memory killer leaves the lock file and an
    # empty log): it was told the same, as if still running.
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".attn-train.lock").write_text('{"pid": 1, "host": "h"}')
    (tmp_path / "run" / "metrics.jsonl").write_text("")
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path / "run")
    assert str(refused.value) == (
        f"{tmp_path / 'run'} holds no checkpoint: the attn train started there stopped before its first "
        f"epoch ended, saving nothing (killed, for memory or by a signal); train it again with attn train "
        f"DATA -o {tmp_path / 'run'}"
    )
    open_run_folder(tmp_path / "run", overwrite=False).release()  # as that advice does: no --overwrite
    # Killed while it saved its first epoch (an HPC trial): its log holds the epoch, which -o alone
    # refuses to train over, and "stopped before its first epoch ended" was not so.
    (tmp_path / "run" / ".attn-train.lock").write_text('{"pid": 1, "host": "h"}')
    (tmp_path / "run" / "metrics.jsonl").write_text(
        '{"epoch": 1, "train_loss": 1.2, "validation_loss": 1.1}\n'
    )
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path / "run")
    assert str(refused.value) == (
        f"{tmp_path / 'run'} holds no checkpoint: the attn train started there stopped while it saved its "
        f"first epoch, saving nothing (killed, for memory or by a signal); train it again with attn train "
        f"DATA -o {tmp_path / 'run'} --overwrite"
    )


def test_a_folder_of_runs_passed_for_a_run_names_them_newest_first(tmp_path):
    import os

    for age, name in enumerate(["newest", "older", "oldest", "first"]):
        folder = tmp_path / name / "best" if name != "older" else tmp_path / name  # an output, a checkpoint
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        os.utime(tmp_path / name, (1_000_000 - age, 1_000_000 - age))
    (tmp_path / "notes").mkdir()  # no run
    with pytest.raises(CheckpointError) as refused:
        load_checkpoint(tmp_path)
    assert str(refused.value).endswith(
        f"it holds the runs {tmp_path / 'newest'}, {tmp_path / 'older'}, {tmp_path / 'oldest'} and 1 more: "
        "pass one of them"
    )


def _forget_checksums(folder):
    """Make `folder` look written by an attn from before checksums: no "files" in config.json."""
    header = json.loads((folder / "config.json").read_text())
    del header["files"], header["config_sha256"]
    header["attn_version"] = "0.1.0"  # as such an attn wrote it
    (folder / "config.json").write_text(json.dumps(header))


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_config_records_the_checksum_of_every_other_file(trained):
    """best/ included, whose metrics.json is rewritten when the run ends."""
    for folder in (trained.output / "best", trained.output / "last"):
        files = json.loads((folder / "config.json").read_text())["files"]
        on_disk = {path.name for path in folder.iterdir()} - {"config.json"}
        assert set(files) == on_disk
        for name, record in files.items():
            data = (folder / name).read_bytes()
            assert record == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def test_changed_or_truncated_weights_are_named(tmp_path):
    path = save_untrained_checkpoint(tmp_path / "model")
    weights = path / "model.safetensors"
    whole = weights.read_bytes()
    _flip_a_byte(weights)  # inside the tensors: safetensors alone would load it without a word
    with pytest.raises(
        CheckpointError, match=r"model\.safetensors is damaged: its contents differ.*train it again"
    ):
        load_checkpoint(path)
    weights.write_bytes(whole[:-100])
    with pytest.raises(
        CheckpointError, match=rf"model\.safetensors is damaged: {len(whole) - 100:,} bytes where"
    ):
        load_checkpoint(path)
    weights.write_bytes(whole)
    assert load_checkpoint(path).label_names == ["food", "sport", "tech"]
    # A record that names the other files but not the weights does not switch their check off.
    header = json.loads((path / "config.json").read_text())
    del header["files"]["model.safetensors"]
    (path / "config.json").write_text(json.dumps(sealed(header)))  # as if saved so
    with pytest.raises(CheckpointError, match=r"records no checksum for model\.safetensors"):
        load_checkpoint(path)


def test_a_tokenizer_from_another_checkpoint_is_named(trained, tmp_path):
    path = save_untrained_checkpoint(tmp_path / "model")
    (path / "tokenizer.json").write_bytes((trained.output / "best" / "tokenizer.json").read_bytes())
    with pytest.raises(CheckpointError, match=r"tokenizer\.json is damaged"):
        load_checkpoint(path)
    _forget_checksums(path)  # no checksum to catch it: the vocabulary does
    with pytest.raises(
        CheckpointError, match=r"tokenizer\.json belongs to another checkpoint: it has \d+ tokens"
    ):
        load_checkpoint(path)


def test_a_tokenizer_of_the_model_s_size_that_cannot_feed_it_is_damaged(tmp_path):
    """A trial's crafted tokenizer.json, resealed, as many entries as the model has rows: a token
    id past the rows was IndexError at prediction, and a vocabulary without its unknown token the
    library's "Missing [UNK] token", both exit 1."""
    path = save_untrained_checkpoint(tmp_path / "model")
    _forget_checksums(path)  # as resealed: checksums vouch for nothing made on purpose
    original = json.loads((path / "tokenizer.json").read_text())

    def unknown_renamed(crafted: dict) -> None:  # its id given to another word, as added token too
        crafted["model"]["vocab"]["zz"] = crafted["model"]["vocab"].pop("[UNK]")
        crafted["added_tokens"] = [token for token in crafted["added_tokens"] if token["content"] != "[UNK]"]

    for change, problem in (
        (
            lambda crafted: crafted["model"]["vocab"].update(soup=10_000),
            "its token id 10,000 is past the model's",
        ),
        (unknown_renamed, "its unknown token '\\[UNK\\]' is not in its vocabulary"),
    ):
        crafted = json.loads(json.dumps(original))
        change(crafted)
        (path / "tokenizer.json").write_text(json.dumps(crafted))
        with pytest.raises(CheckpointError, match=rf"tokenizer\.json is damaged: {problem}"):
            load_checkpoint(path)


def test_a_checkpoint_without_checksums_loads_unchecked(tmp_path):
    path = save_untrained_checkpoint(tmp_path / "model")
    expected = predict_probabilities(load_checkpoint(path), TEXTS)
    _forget_checksums(path)
    (path / "metrics.json").write_text('{"written": "by hand"}')
    loaded = load_checkpoint(path)
    assert loaded.metrics == {"written": "by hand"}
    assert torch.equal(predict_probabilities(loaded, TEXTS), expected)


def test_metrics_are_checked_when_present_and_may_be_missing(tmp_path):
    path = save_untrained_checkpoint(tmp_path / "model")
    (path / "metrics.json").write_text('{"best_epoch": 7}')
    with pytest.raises(CheckpointError, match=r"metrics\.json is damaged.*or delete it \(it holds the"):
        load_checkpoint(path)  # as train --resume loads it: the history it carries on must be whole
    set_aside = load_checkpoint(path, history_optional=True)  # as eval, predict and inspect load it
    assert set_aside.metrics == {} and len(set_aside.warnings) == 1
    assert "metrics.json is damaged" in set_aside.warnings[0]
    (path / "metrics.json").unlink()
    assert load_checkpoint(path).metrics == {}


def test_a_damaged_training_state_is_named(trained, tmp_path):
    import shutil

    from attncli.checkpoint import load_training_state

    last = tmp_path / "last"
    shutil.copytree(trained.output / "last", last)
    tensors, state = load_training_state(last)
    assert tensors and state["epoch"] == len(trained.history) + 1
    _flip_a_byte(last / "training_state.safetensors")
    with pytest.raises(CheckpointError, match=r"training_state\.safetensors is damaged.*attn train -o"):
        load_training_state(last)


def test_replacing_the_metrics_updates_their_checksum(tmp_path):
    path = save_untrained_checkpoint(tmp_path / "model")
    checkpoint_saving.replace_metrics(path, {"best_epoch": 3})
    assert load_checkpoint(path).metrics == {"best_epoch": 3}
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["model"]  # no staging debris


def test_a_checkpoint_replaced_while_it_is_read_is_read_again_never_called_damaged(trained, tmp_path):
    """A training run (--overwrite, --resume) replaces best/ and last/ while eval, predict and info
    read them: every read gets one whole checkpoint, the old or the new, not files of both."""
    import threading

    from attncli.info import describe_checkpoint

    loaded = load_checkpoint(trained.output)
    run = tmp_path / "run"
    run.mkdir()
    _save_again(loaded, run / "best", metrics={"generation": 0})
    stop, saved = threading.Event(), [0]

    def keep_saving() -> None:
        while not stop.wait(0.05):  # an epoch's saves, far more often than any real run
            saved[0] += 1
            _save_again(loaded, run / "best", metrics={"generation": saved[0]})

    writer = threading.Thread(target=keep_saving)
    writer.start()
    failures, reads = [], 0
    try:
        # At least 1.5 s, 20 reads and 6 saves, however slowly a busy machine saves (at most 30 s).
        deadline, last = time.monotonic() + 1.5, time.monotonic() + 30
        while time.monotonic() < deadline or (reads < 20 or saved[0] <= 5) and time.monotonic() < last:
            try:
                load_checkpoint(run)
                info = describe_checkpoint(run)
                assert info.files is not None and {item.status for item in info.files} == {"ok"}
            except (CheckpointError, AssertionError) as error:
                failures.append(str(error))
            reads += 1
    finally:
        stop.set()
        writer.join()
    assert saved[0] > 5 and failures == []


def test_a_damaged_checkpoint_that_stays_in_place_is_refused_at_once(trained, tmp_path, monkeypatch):
    loaded = load_checkpoint(trained.output)
    _save_again(loaded, tmp_path / "best", metrics={})
    with (tmp_path / "best" / "model.safetensors").open("r+b") as file:
        file.seek(-4, os.SEEK_END)
        file.write(b"\0\0\0\0")
    sleeps: list[float] = []
    notes = tmp_path / "best" / "notes.log"  # a user's file beside the checkpoint's, written meanwhile
    notes.write_text("")

    def pause(seconds: float) -> None:
        sleeps.append(seconds)
        with notes.open("a") as file:
            file.write("x" * len(sleeps))

    monkeypatch.setattr(checkpoint_folder.time, "sleep", pause)
    with pytest.raises(CheckpointError, match="model.safetensors is damaged"):
        load_checkpoint(tmp_path)
    # Not read again: nothing replaced it in one look and one more a moment later.
    assert sleeps == [checkpoint_folder.READ_RETRY_SECONDS]


def test_a_checkpoint_copied_over_in_place_while_it_is_read_is_read_again(trained, tmp_path, monkeypatch):
    """A deployment that copies a new checkpoint over the old one (`cp -r new/. prod/`) rewrites
    each file in place, so the folder itself stays: the files' sizes and times tell the reader."""
    import threading

    reads = [0]
    read_folder = checkpoint_module._load_checkpoint_from

    def counted_read(*args, **kwargs):
        reads[0] += 1
        return read_folder(*args, **kwargs)

    monkeypatch.setattr(checkpoint_module, "_load_checkpoint_from", counted_read)
    loaded = load_checkpoint(trained.output)
    versions = [tmp_path / "v0", tmp_path / "v1"]
    for generation, folder in enumerate(versions):
        _save_again(loaded, folder, metrics={"generation": generation, "padding": "x" * 1000 * generation})
    production = tmp_path / "prod"
    shutil.copytree(versions[0], production)
    stop, copies = threading.Event(), [0]

    # A copy every 0.2 s: deployments copy seconds apart, and a pause shorter than one read (about
    # 0.1 s on a busy 2-core machine, sharing the GIL with the copy) would leave no moment to read in.
    def keep_copying() -> None:
        while not stop.wait(0.2):
            copies[0] += 1
            shutil.copytree(versions[copies[0] % 2], production, dirs_exist_ok=True)

    writer = threading.Thread(target=keep_copying)
    writer.start()
    failures, generations, loads = [], set(), 0
    try:
        # At least 2 s, until both versions were read, 6 copies made and a read met a copy (at
        # most 30 s, however slowly a busy machine copies).
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline or len(generations) < 2 or copies[0] <= 5 or reads[0] == loads:
            try:
                generations.add(load_checkpoint(production).metrics["generation"])
                loads += 1
            except CheckpointError as error:
                failures.append(str(error))
            if time.monotonic() > deadline + 28:
                break
    finally:
        stop.set()
        writer.join()
    assert copies[0] > 5 and failures == [] and generations == {0, 1}
    assert reads[0] > loads  # some reads met a copy and were done again


def test_a_data_path_that_is_not_utf8_is_recorded_and_sealed(tmp_path):
    """Bytes of a path that are not UTF-8 reach Python as lone surrogates: the digest of config.json
    takes them (it crashed the first save of such a run, after its first epoch)."""
    from attncli.checksums import header_digest

    header = {"data_path": "/data/caf\udce9", "config": {"train": {"grad_clip": 1.0}}}
    digest = header_digest(header)
    assert digest == header_digest({**header, "config": {"train": {"grad_clip": 1}}})  # 1.0 says 1
    assert digest != header_digest({**header, "data_path": "/data/cafe"})


def test_a_checkpoint_that_keeps_changing_while_read_is_not_called_damaged(tmp_path, monkeypatch):
    """A copy writing it the whole time: after the retries, say that, not that a file is damaged."""
    path = save_untrained_checkpoint(tmp_path / "model")
    monkeypatch.setattr(checkpoint_folder, "READ_ATTEMPTS", 3)
    monkeypatch.setattr(checkpoint_folder.time, "sleep", lambda seconds: None)

    def read_while_copied(folder):
        with (folder / "model.safetensors").open("ab") as file:  # the copy goes on
            file.write(b"x")
        raise CheckpointError(f"{folder}/model.safetensors is damaged")

    with pytest.raises(CheckpointError) as refused:
        checkpoint_folder.read_steadily(path, read_while_copied)
    assert str(refused.value).startswith(
        f"{path} kept changing while attn read it, for about 0 s (is a copy or a"
    )


def test_the_attn_version_a_checkpoint_was_saved_by_is_read_as_far_as_it_goes():
    from attncli.checksums import saved_by_at_least

    versions = {"0.1.0": False, "0.2.0": True, "0.2.0+local": True, "0.3.0rc1": True, "1.0": True, "": False}
    for version, later in versions.items():
        assert saved_by_at_least({"attn_version": version}, (0, 2, 0)) is later, version
    assert saved_by_at_least({}, (0, 2, 0)) is False


def test_loading_resolves_the_device_as_the_commands_do_and_leaves_the_callers_random_numbers(tmp_path):
    from attncli.errors import ConfigError

    path = save_untrained_checkpoint(tmp_path / "ckpt")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    loaded = load_checkpoint(path, device="auto")  # it was torch's "Expected one of cpu, cuda..."
    assert torch.equal(torch.rand(3), expected)  # building the model drew from a generator of its own
    if not torch.cuda.is_available():
        assert loaded.device.type == "cpu"
        with pytest.raises(ConfigError, match="no CUDA device is available; use --device cpu or auto"):
            load_checkpoint(path, device="cuda:0")  # it was an AssertionError
    refused = "--device must be one of auto, cpu, cuda, mps or cuda:N, not 'gpu'"
    with pytest.raises(ConfigError, match=f"^{re.escape(refused)}$"):
        load_checkpoint(path, device="gpu")


def _resealed(folder: Path, edit=lambda header: None) -> Path:
    """The checkpoint at `folder` with its config.json edited by `edit`, every file's checksum
    recorded again and the digest recomputed: what anyone can do to a checkpoint they hand on."""
    from attncli.checksums import record_of

    header = json.loads((folder / "config.json").read_text())
    edit(header)
    for name in ("model.safetensors", "tokenizer.json", "metrics.json"):
        if name in header.get("files", {}) and (folder / name).is_file():
            header["files"][name] = record_of((folder / name).read_bytes())
    header.pop("config_sha256", None)
    (folder / "config.json").write_text(json.dumps(sealed(header)))
    return folder


def test_a_resealed_checkpoint_of_weights_no_training_saves_is_refused(tmp_path):
    """From a trial of checkpoints from strangers: NaN weights predicted `"score": null`, integer
    ones meaningless probabilities, and a temperature of 1e-40 NaN, each with exit 0."""
    from safetensors.torch import load_file, save_file

    for name, value in [("nan", float("nan")), ("int8", None)]:
        folder = save_untrained_checkpoint(tmp_path / name)
        weights = load_file(str(folder / "model.safetensors"))
        if value is None:
            weights["head.weight"] = weights["head.weight"].to(torch.int8)
        else:
            weights["head.weight"][0, 0] = value
        save_file(weights, str(folder / "model.safetensors"))
        _resealed(folder)
        expected = "holds values that are not numbers" if value is not None else "is int8, not floating point"
        with pytest.raises(
            CheckpointError, match=f"model.safetensors is damaged: its head.weight {expected}"
        ):
            load_checkpoint(folder)
    for temperature in (1e-40, 0.1, 50.0):
        folder = save_untrained_checkpoint(tmp_path / f"t{temperature}")
        _resealed(folder, lambda header, t=temperature: header.update(temperature=t))
        with pytest.raises(CheckpointError, match=f"temperature {temperature!r} is outside the 0.25 to 20 "):
            load_checkpoint(folder)
    for edge in (0.25, 20.000000000000004):  # the grid's ends, as logspace computes them
        folder = save_untrained_checkpoint(tmp_path / f"t{edge}")
        _resealed(folder, lambda header, t=edge: header.update(temperature=t))
        assert load_checkpoint(folder).temperature == edge


def test_files_are_read_only_where_they_are_the_checkpoints_own_regular_files(tmp_path, monkeypatch):
    """A `files` record naming a path outside the folder had it hashed (an oracle, and a hang on
    /proc/self/pagemap); a FIFO in a file's place hung `attn info`; a file grown to gigabytes was read
    whole before its size was compared; JSON nested 200,000 deep was a RecursionError, exit 1."""
    from attncli.info import describe_checkpoint

    folder = save_untrained_checkpoint(tmp_path / "outside")
    _resealed(
        folder, lambda header: header["files"].update({"../../etc/passwd": {"sha256": "0", "bytes": 1}})
    )
    for call in (load_checkpoint, describe_checkpoint):
        with pytest.raises(
            CheckpointError, match="names '../../etc/passwd', which is no file of the checkpoint"
        ):
            call(folder)
    # A name attn does not write, even of a link inside the folder: hashing it was an oracle too.
    linked = save_untrained_checkpoint(tmp_path / "linked")
    (linked / "secret").symlink_to("/etc/hostname")
    _resealed(linked, lambda header: header["files"].update({"secret": {"sha256": "0", "bytes": 1}}))
    with pytest.raises(CheckpointError, match="names 'secret', which is no file of the checkpoint"):
        describe_checkpoint(linked)
    # A file of attn's linked to one of /proc that never ends: another size is changed, unread.
    endless = save_untrained_checkpoint(tmp_path / "endless")
    (endless / "metrics.json").unlink()
    (endless / "metrics.json").symlink_to("/proc/self/pagemap")
    digest_file = checksums.digest_file

    def unread_metrics(path: Path) -> tuple[str, int]:
        assert path.name != "metrics.json", f"{path} was read"
        return digest_file(path)

    monkeypatch.setattr(checksums, "digest_file", unread_metrics)
    statuses = {check.name: check.status for check in describe_checkpoint(endless).files}
    assert statuses["metrics.json"] == "changed"
    monkeypatch.undo()
    fifo = save_untrained_checkpoint(tmp_path / "fifo")
    (fifo / "tokenizer.json").unlink()
    os.mkfifo(fifo / "tokenizer.json")
    described = describe_checkpoint(fifo)  # at once: it waited for a writer forever
    assert described.tokenizer_kind is None
    assert [check.status for check in described.files if check.name == "tokenizer.json"] == ["missing"]
    grown = save_untrained_checkpoint(tmp_path / "grown")
    with (grown / "model.safetensors").open("ab") as weights:
        weights.truncate(8 << 30)  # sparse: 8 GiB that reading would have held in memory
    read_bytes = Path.read_bytes

    def refused_unread(path: Path) -> bytes:
        assert path.stat().st_size < 1 << 30, f"{path} was read whole"
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refused_unread)
    with pytest.raises(CheckpointError, match="model.safetensors is damaged: 8,589,934,592 bytes where"):
        load_checkpoint(grown)
    monkeypatch.undo()
    nested = save_untrained_checkpoint(tmp_path / "nested")
    (nested / "config.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(
        CheckpointError, match="is not config.json as attn writes it \\(JSON nested too deeply"
    ):
        load_checkpoint(nested)
    # A config.json far larger than attn writes is refused unread (a trial's 1 GB one took 3.2 GB and
    # 16 s to read, and was then refused by its checksum); sparse, so the test writes nothing.
    with (nested / "config.json").open("r+b") as file:
        file.truncate(1 << 30)
    monkeypatch.setattr(Path, "read_text", lambda *args, **kwargs: pytest.fail("read a 1 GB config.json"))
    with pytest.raises(CheckpointError, match="1,073,741,824 bytes, over the 64 MB attn reads"):
        load_checkpoint(nested)


def test_a_resealed_config_json_that_makes_no_model_is_damage_not_a_failure(tmp_path):
    """A negative token_dim, or a padding id past the vocabulary, was torch's RuntimeError, exit 1."""
    for name, edit in [
        ("token_dim", lambda header: header.update(token_dim=-5)),
        ("pad_id", lambda header: header.update(pad_id=10**6)),
    ]:
        folder = _resealed(save_untrained_checkpoint(tmp_path / name), edit)
        with pytest.raises(
            CheckpointError, match=r"config.json is damaged \(vocab_size 37, pad_id .* make no model"
        ):
            load_checkpoint(folder)


def test_config_json_saved_again_with_a_byte_order_mark_still_loads(tmp_path):
    folder = save_untrained_checkpoint(tmp_path / "ckpt")
    expected = predict_probabilities(load_checkpoint(folder), ["soup and bread"])
    config = folder / "config.json"
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())  # as Notepad saves it
    assert torch.equal(predict_probabilities(load_checkpoint(folder), ["soup and bread"]), expected)


@pytest.mark.skipif(sys.platform == "win32", reason="no fork")
def test_a_worker_forked_after_loading_predicts_rather_than_hangs(tmp_path):
    """A service that loads once and forks its workers (gunicorn --preload): GNU OpenMP's threads
    do not survive a fork, and the child's first prediction waited forever for them."""
    import torch

    if not torch.backends.openmp.is_available() or (os.cpu_count() or 1) < 2:
        pytest.skip("torch runs on one core or not on OpenMP here: nothing to hang")
    checkpoint = save_untrained_checkpoint(tmp_path / "ckpt")
    script = f"""
import os, torch
from attncli.checkpoint import load_checkpoint
from attncli.prediction import predict
loaded = load_checkpoint({str(checkpoint)!r})
torch.ones(4_000_000).mul_(2)  # torch's threads at work in the parent, as loading a large model's are
child = os.fork()
if child == 0:
    print(torch.get_num_threads(), predict(loaded, ["alpha beta"])[0].label is not None, flush=True)
    os._exit(0)
os.waitpid(child, 0)
"""
    # A session of its own, so that a hung child (the regression) goes with it at the timeout.
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env={**os.environ, "OMP_NUM_THREADS": "2"},  # the suite runs on one
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the forked worker hung at its first prediction")
    assert process.returncode == 0, stderr
    assert stdout.split() == ["1", "True"]


@pytest.mark.parametrize(
    "setting, value, refused",
    [
        ("max_length", 10**7, "config.json is damaged \\(model.max_length=10000000 and model.embed_dim=16 "
         "with sinusoidal positions build tables of 160,000,000 numbers, over the 100,000,000 attn allows"),
        ("embed_dim", 16384, "does not fit the model in config.json \\(its sizes ask for about "),
        ("num_layers", 20_000, "does not fit the model in config.json \\(its sizes ask for about "),
    ],
)  # fmt: skip
def test_a_config_asking_for_a_model_far_larger_than_its_weights_is_refused_before_it_is_built(
    tmp_path, monkeypatch, setting, value, refused
):
    """A security trial: a resealed config.json of max_length 10^7 made `attn predict` build a 10 GB
    position table, and exit 0; embed_dim 16384 took 1.4 GB before its shapes were found not to fit."""
    import attncli.model

    folder = _resealed(
        save_untrained_checkpoint(tmp_path / setting),
        lambda header: header["config"]["model"].update({setting: value}),
    )
    built = []
    monkeypatch.setattr(attncli.model, "build_model", lambda *args, **kwargs: built.append(1))
    with pytest.raises(CheckpointError, match=refused):
        load_checkpoint(folder)
    assert not built  # refused before any memory was taken


def test_a_config_naming_far_more_labels_than_the_head_holds_is_refused_before_it_is_built(
    tmp_path, monkeypatch
):
    """A review: the bound left out the head, so 50,000 label names at width 4,096 built an 820 MB
    head before its shape was found not to fit (a million would take 16 GB)."""
    import attncli.model

    def doctored(header):
        header["label_names"] = [f"label {index}" for index in range(5000)]
        header["config"]["model"]["embed_dim"] = 4096

    folder = _resealed(save_untrained_checkpoint(tmp_path / "labels", num_layers=0, pooling="mean"), doctored)
    built = []
    monkeypatch.setattr(attncli.model, "build_model", lambda *args, **kwargs: built.append(1))
    with pytest.raises(
        CheckpointError, match="does not fit the model in config.json \\(its sizes ask for about "
    ):
        load_checkpoint(folder)
    assert not built


def test_a_wide_model_without_the_parameters_the_bound_once_counted_still_loads(tmp_path):
    """A review: the bound counted a pretrained vectors' projection where there is none, and the
    attention pooling's key projection for mean pooling, and refused a mean-pooled width of 3,072."""
    # At 4,096 each of the two terms (16.8M numbers) is over what the bound allows such weights alone.
    folder = save_untrained_checkpoint(tmp_path / "wide", embed_dim=4096, num_layers=0, pooling="mean")
    assert load_checkpoint(folder).config.model.embed_dim == 4096


@pytest.mark.parametrize(
    "positional", ["alibi", "none", "relative", "rope", "learned", "segment", "sinusoidal"]
)
def test_a_small_model_with_a_long_max_length_still_loads(tmp_path, positional):
    """A review: the first bound counted a position table for every kind, so an ALiBi model of
    max_length 100,000 that attn had trained was refused as not fitting its own weights."""
    layers = 0 if positional in ("none", "learned", "segment", "sinusoidal") else 1
    length = 100_000 if positional in ("alibi", "none", "relative") else 20_000
    folder = save_untrained_checkpoint(
        tmp_path / positional, positional=positional, max_length=length, num_layers=layers
    )
    assert load_checkpoint(folder).config.model.max_length == length


def test_a_tokenizer_regex_that_gives_up_on_a_text_is_one_line_and_exit_2(tmp_path):
    """A security trial: a stranger's tokenizer.json whose normaliser backtracks past Oniguruma's
    limit (`^(\\w+\\s?)*$`) ended predict in a Rust panic read as an unexpected failure, exit 1."""
    from typer.testing import CliRunner

    from attncli.cli import app

    folder = save_untrained_checkpoint(tmp_path / "regex")
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    tokenizer["normalizer"] = {"type": "Replace", "pattern": {"Regex": "^(\\w+\\s?)*$"}, "content": ""}
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer))
    _resealed(folder)
    result = CliRunner().invoke(app, ["predict", str(folder), "a" * 40 + "!"], env={"RUST_BACKTRACE": "0"})
    assert result.exit_code == 2, result.output
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "error: a regular expression in the tokenizer gave up on a text (Oniguruma's retry limit)"
        )
    )


def test_loads_in_several_threads_at_once_leave_the_callers_random_numbers(tmp_path, monkeypatch):
    """A user's trial: two or more loads in threads at once each put back the random state the
    other's build had half drawn, so the caller's torch state changed (9 runs of 10 with two)."""
    import threading
    import time

    import attncli.model

    folder = save_untrained_checkpoint(tmp_path / "model")
    build = attncli.model.build_model

    def slow_build(*args, **kwargs):  # the overlap a large model's build gives, made certain
        torch.rand(1000)
        time.sleep(0.05)
        return build(*args, **kwargs)

    monkeypatch.setattr(attncli.model, "build_model", slow_build)
    torch.manual_seed(42)
    expected = torch.rand(3)
    torch.manual_seed(42)
    threads = [threading.Thread(target=load_checkpoint, args=(folder,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert torch.equal(torch.rand(3), expected)


def test_a_run_folder_that_cannot_be_looked_into_is_named_as_such(tmp_path, monkeypatch):
    """A retrain under umask 077 left runs/x at 0700, and a service's user was told
    `runs/x/.attn-replaced/best/config.json cannot be opened`, a folder the run never had (an ops
    trial). The root of these tests can read anything: a denied look inside is simulated."""
    run = tmp_path / "run"
    save_untrained_checkpoint(run / "best")
    real_stat = Path.stat

    def denied(self, *args, **kwargs):
        if str(self).startswith(f"{run}/"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", denied)
    said = f"{run} cannot be read (permission denied); give yourself access to it (chmod, chown)"
    with pytest.raises(CheckpointError) as refused:
        resolve_checkpoint(run)
    assert str(refused.value) == said
    with pytest.raises(CheckpointError) as loading:
        load_checkpoint(run)
    assert str(loading.value) == said
    # A run folder we may look into, whose best/ we may not (a review).
    monkeypatch.setattr(Path, "stat", real_stat)
    best = run / "best"

    def denied_best(self, *args, **kwargs):
        if str(self).startswith(f"{best}/"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", denied_best)
    with pytest.raises(
        CheckpointError, match=f"^{re.escape(str(best))} cannot be read \\(permission denied\\)"
    ):
        resolve_checkpoint(run)
