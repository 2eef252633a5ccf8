"""Processes that fail or meet: a disk that fills while a checkpoint is written, predictions from
several processes and threads at once, two runs aimed at one folder. docs/robustness.md lists the
promises; a process killed while it saves is in tests/test_checkpoint.py."""

import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import TINY_MODEL, make_rows, write_csv
from typer.testing import CliRunner

from attncli import checkpoint_saving
from attncli.checkpoint import load_checkpoint
from attncli.cli import app
from attncli.prediction import predict
from attncli.run_folder import LOCK_FILE, open_run_folder

RUNNER = CliRunner()
TINY = [arg for setting in TINY_MODEL for arg in ("--set", setting)]


def invoke(*args):
    return RUNNER.invoke(app, [str(arg) for arg in args])


def contents(run: Path, folder: str) -> dict[str, bytes]:
    """Every file of run/folder by its path in the run (best/config.json apart from last/config.json)."""
    return {
        str(path.relative_to(run)): path.read_bytes() for path in (run / folder).rglob("*") if path.is_file()
    }


def test_a_full_disk_while_saving_is_one_line_and_loses_nothing(tmp_path, monkeypatch):
    """The disk fills at the first write of epoch 2's checkpoints: one line that says so, exit 2,
    best/ and last/ exactly as epoch 1 left them, no staging folder, no lock; resuming goes on."""
    data = write_csv(tmp_path / "d.csv", make_rows(60))
    run = tmp_path / "run"
    real_write, before_full = checkpoint_saving.write_file_durably, {}

    def disk_full_after_epoch_1(path, data):
        if (run / "last" / "config.json").exists():
            before_full.update(contents(run, "best") | contents(run, "last"))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(path, data)

    monkeypatch.setattr(checkpoint_saving, "write_file_durably", disk_full_after_epoch_1)
    arguments = ["train", data, "-o", run, "--epochs", 2, "--set", "train.patience=0", *TINY]
    result = invoke(*arguments)
    assert result.exit_code == 2
    *progress, last_line = result.stderr.splitlines()
    assert not any(line.startswith("error") for line in progress)
    folder = "best" if f"checkpoint {run}/best" in last_line else "last"
    assert last_line == (
        f"error: could not write the checkpoint {run / folder} (the disk is full); {run / folder} keeps "
        f"the checkpoint it had; free some space, then run again (attn train --resume {run} goes on "
        "from the last saved epoch)"
    )
    assert sorted(entry.name for entry in run.iterdir()) == ["best", "last", "metrics.jsonl"]
    assert before_full and contents(run, "best") | contents(run, "last") == before_full
    assert load_checkpoint(run / "last").metrics["history"][-1]["epoch"] == 1
    monkeypatch.setattr(checkpoint_saving, "write_file_durably", real_write)
    assert invoke("train", "--resume", run).exit_code == 0
    assert [record["epoch"] for record in load_checkpoint(run).metrics["history"]] == [1, 2]


@pytest.mark.parametrize("failing", ["best", "last"])
def test_a_full_disk_at_the_first_checkpoint_leaves_the_folder_as_it_was(tmp_path, monkeypatch, failing):
    """Neither best/ nor last/ of epoch 1 can be written, or best/ alone was: a folder holding a log
    or a best/ without last/ could be neither resumed nor trained into again, and the message said
    "run again". With nothing saved the folder is put back as it was (the earlier run after
    --overwrite), so the same command works; a best/ saved is kept, and the message says to train
    again with --overwrite."""
    data = write_csv(tmp_path / "d.csv", make_rows(60))
    run, earlier = tmp_path / "run", tmp_path / "earlier"
    real_write = checkpoint_saving.write_file_durably

    def disk_full(path, data):
        if failing in path.parent.name:  # the staging folder .best.partial-... or .last.partial-...
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(path, data)

    arguments = ["train", data, "-o", run, "--epochs", 2, "--set", "train.patience=0", *TINY]
    assert invoke(*arguments[:4], "--epochs", 1, *TINY).exit_code == 0  # an earlier run to replace
    earlier_files = contents(run, "best")
    monkeypatch.setattr(checkpoint_saving, "write_file_durably", disk_full)
    replacing = invoke(*arguments, "--overwrite")
    assert replacing.exit_code == 2
    error = f"error: could not write the checkpoint {run / failing} (the disk is full); "
    fresh = invoke(*arguments[:3], earlier, *arguments[4:])
    assert fresh.exit_code == 2
    monkeypatch.setattr(checkpoint_saving, "write_file_durably", real_write)
    if failing == "best":  # nothing of the run saved: put back as it was
        assert replacing.stderr.splitlines()[-1] == error + (
            f"nothing of this run was kept, and {run} holds the earlier run again; free some space, "
            "then run the same command again"
        )
        assert contents(run, "best") == earlier_files
        assert not any(path.name.startswith(".") for path in run.iterdir())
        assert f"kept, and {earlier} is as it was" in fresh.stderr
        assert not earlier.exists()  # the run made the folder, and leaves none
        assert invoke(*arguments[:3], earlier, *arguments[4:]).exit_code == 0  # the same command works
    else:  # its best epoch saved and kept, though it cannot be resumed; the earlier run still in use
        assert replacing.stderr.splitlines()[-1] == error + (
            f"{run / 'best'} holds epoch 1, the best so far, but without last/ the run cannot be resumed; "
            f"the run it replaces stays in use ({run / '.attn-replaced'}) until a run in {run} finishes; "
            "free some space, then run the same command with --overwrite"
        )
        assert (
            load_checkpoint(run / "best").metrics["history"][-1]["epoch"] == 1 and not (run / "last").exists()
        )
        assert contents(run / ".attn-replaced", "best") == earlier_files
        assert invoke(*arguments, "--overwrite").exit_code == 0
        assert not (run / ".attn-replaced").exists() and contents(run, "best") != earlier_files


def _log_filling_up(monkeypatch, *, lines):
    """The training log's disk full after `lines` lines: its write fails, and so does its close,
    as a real file's does with the failed line still in its buffer."""
    from attncli import run_writer

    class FullAfter:
        def __init__(self, stream):
            self.stream, self.written, self.failed = stream, 0, False

        def write(self, text):
            if self.written == lines:
                self.failed = True
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.written += 1
            return self.stream.write(text)

        def close(self):
            self.stream.close()
            if self.failed:  # the message said must not be lost to this
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.stream, name)

    real_init = run_writer.RunWriter.__init__

    def filling_up(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.log = FullAfter(self.log)

    monkeypatch.setattr(run_writer.RunWriter, "__init__", filling_up)
    return real_init


def test_a_full_disk_while_writing_the_training_log_is_one_line_and_resumable(tmp_path, monkeypatch):
    from attncli import run_writer

    real_init = _log_filling_up(monkeypatch, lines=1)
    data, run = write_csv(tmp_path / "d.csv", make_rows(60)), tmp_path / "run"
    result = invoke("train", data, "-o", run, "--epochs", 2, "--set", "train.patience=0", *TINY)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: could not write {run / 'metrics.jsonl'} (the disk is full); {run / 'last'} keeps "
        f"the last finished epoch; free some space, then attn train --resume {run}"
    )
    assert load_checkpoint(run / "last").metrics["history"][-1]["epoch"] == 1
    monkeypatch.setattr(run_writer.RunWriter, "__init__", real_init)
    assert invoke("train", "--resume", run).exit_code == 0


def test_a_full_disk_at_the_training_logs_first_line_puts_the_earlier_run_back(tmp_path, monkeypatch):
    data, run = write_csv(tmp_path / "d.csv", make_rows(60)), tmp_path / "run"
    assert invoke("train", data, "-o", run, "--epochs", 1, *TINY).exit_code == 0
    earlier = (run / "best" / "model.safetensors").read_bytes()
    _log_filling_up(monkeypatch, lines=0)
    result = invoke("train", data, "-o", run, "--epochs", 2, "--overwrite", *TINY)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"error: could not write the training log {run / 'metrics.jsonl'} (the disk is full); nothing of "
        f"this run was kept, and {run} holds the earlier run again; free some space, then run the same "
        "command again"
    )  # it said last/ kept the last finished epoch, with none, and left the earlier run aside
    assert (run / "best" / "model.safetensors").read_bytes() == earlier


def test_a_full_disk_while_writing_predictions_keeps_the_old_file(trained, tmp_path, monkeypatch):
    from attncli import atomic_files

    target = tmp_path / "out.jsonl"
    target.write_text("earlier results\n")

    def disk_full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic_files.os, "fsync", disk_full)
    result = invoke("predict", trained.output, "soup and bread", "--output", target)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: could not write {target} (the disk is full); {target} is left as it was; free some "
        "space, or pass another --output\n"
    )
    assert target.read_text() == "earlier results\n" and sorted(tmp_path.iterdir()) == [target]


def test_two_predict_processes_at_once_match_one_alone(trained, tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(row["text"] + "\n" for row in make_rows(400, seed=7)))
    alone = invoke("predict", trained.output, "--file", texts, "--format", "jsonl")
    assert alone.exit_code == 0 and len(alone.stdout.splitlines()) == 400
    command = [sys.executable, "-m", "attncli", "predict", str(trained.output), "--file", str(texts)]
    processes = [
        subprocess.Popen([*command, "--format", "jsonl"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [err for _, err in outputs]
    assert [out.decode() for out, _ in outputs] == [alone.stdout, alone.stdout]


def test_eight_threads_predicting_at_once_match_one_at_a_time(trained):
    loaded = load_checkpoint(trained.output)
    batches = [[row["text"] for row in make_rows(40 + 7 * index, seed=index)] for index in range(8)]
    expected = [predict(loaded, texts) for texts in batches]
    start, results, failures = threading.Barrier(8), {}, []

    def predict_three_times(index):
        try:
            start.wait()
            results[index] = [predict(loaded, batches[index]) for _ in range(3)]
        except Exception as error:  # reported below: an exception in a thread would be lost
            failures.append(error)

    threads = [threading.Thread(target=predict_three_times, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert [results[index] for index in range(8)] == [[predictions] * 3 for predictions in expected]


HOLDER = """
import sys, time
from pathlib import Path
from attncli.run_folder import open_run_folder
open_run_folder(Path(sys.argv[1]), overwrite=False)
print("locked", flush=True)
time.sleep(120)
"""


def test_a_folder_in_use_is_refused_and_the_lock_of_a_killed_run_taken_over(tmp_path):
    """A process that holds the run folder's lock, then is killed (SIGKILL leaves its lock file
    behind). tests/test_run_folder.py::test_a_second_run_is_refused_and_a_stale_lock_cleared checks
    the same in one process."""
    run = tmp_path / "run"
    data = write_csv(tmp_path / "d.csv", make_rows(30))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        refused = invoke("train", data, "-o", run, *TINY)
        assert refused.exit_code == 2
        assert refused.stderr == (
            f"error: --output {run} is in use by another attn train (pid {holder.pid} on "
            f"{socket.gethostname()}); wait for it to finish or pass another folder\n"
        )
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert [entry.name for entry in run.iterdir()] == [LOCK_FILE]  # stale: its holder is gone
    taken = open_run_folder(run, overwrite=False)
    assert taken.lock_descriptor is not None
    taken.release()


def test_an_overwrite_retrain_killed_after_its_first_epoch_leaves_the_earlier_run_in_use(tmp_path):
    """A nightly `attn train --overwrite` killed by the OOM killer (SIGKILL) after its first epoch:
    the earlier run was removed when that epoch was saved, and predict served the new run's first
    epoch. It is kept aside now, read in the run's place, until a run in the folder finishes."""
    data = write_csv(tmp_path / "d.csv", make_rows(300, seed=9))
    run, aside = tmp_path / "run", tmp_path / "run" / ".attn-replaced"
    assert invoke("train", data, "-o", run, "--epochs", 1, *TINY).exit_code == 0
    earlier = contents(run, "best")
    command = [sys.executable, "-m", "attncli", "train", str(data), "-o", str(run), "--overwrite"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    retrain = subprocess.Popen(
        [*command, "--epochs", "40", "--set", "train.patience=0", *TINY], env=env, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        # The earlier run moved aside, then the new run's first epoch saved (best/, then last/).
        while (
            not (aside.is_dir() and (run / "last" / "config.json").is_file()) and time.monotonic() < deadline
        ):
            time.sleep(0.02)
    finally:
        retrain.send_signal(signal.SIGKILL)
        retrain.wait()
    assert (run / "last" / "config.json").is_file() and contents(aside, "best") == earlier
    predicted = invoke("predict", run, "pasta and pizza", "--json")
    in_place = invoke("predict", aside, "pasta and pizza", "--json")
    assert predicted.exit_code == 0 and predicted.stdout == in_place.stdout
    assert predicted.stderr.startswith(f"note: an attn train --overwrite into {run} has not finished")
    assert invoke("train", data, "-o", run, "--overwrite", "--epochs", 1, *TINY).exit_code == 0
    assert not aside.exists() and contents(run, "best") != earlier
