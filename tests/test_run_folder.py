import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from attncli.checkpoint_folder import LOCK_FILE, resolve_checkpoint
from attncli.errors import CheckpointError
from attncli.run_folder import open_run_folder


def test_a_new_folder_is_created_locked_and_removed_if_left_empty(tmp_path):
    run = open_run_folder(tmp_path / "a" / "b", overwrite=False)
    lock = json.loads((tmp_path / "a" / "b" / LOCK_FILE).read_text())
    assert lock["pid"] == os.getpid()
    run.release()
    assert not (tmp_path / "a" / "b").exists()


def test_unwritable_outputs_fail_at_once(tmp_path, monkeypatch):
    (tmp_path / "texts.txt").write_text("x")
    with pytest.raises(CheckpointError, match="texts.txt is a file"):
        open_run_folder(tmp_path / "texts.txt", overwrite=False)
    with pytest.raises(CheckpointError, match="a part of the path is a file"):
        open_run_folder(tmp_path / "texts.txt" / "model", overwrite=False)
    with pytest.raises(CheckpointError, match="cannot create --output /proc/attn-x"):
        open_run_folder(Path("/proc/attn-x"), overwrite=False)
    # A relative path says where it leads: a scheduled job starts in a folder of the scheduler's choosing.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        CheckpointError, match=f"cannot create --output texts.txt/model in {tmp_path} \\(a part"
    ):
        open_run_folder(Path("texts.txt/model"), overwrite=False)


def test_overwrite_replaces_only_an_attn_run(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "d.tsv").write_text("text\tlabel\n")
    (victim / "notes.txt").write_text("mine")
    # Without --overwrite too: "not empty; pass --overwrite" led to this same refusal.
    for overwrite in (False, True):
        with pytest.raises(CheckpointError, match=r"holds files attn did not write \(d.tsv, notes.txt\)"):
            open_run_folder(victim, overwrite=overwrite)
    assert sorted(path.name for path in victim.iterdir()) == ["d.tsv", "notes.txt"]
    run = tmp_path / "run"
    (run / "best").mkdir(parents=True)
    (run / "metrics.jsonl").write_text("")
    with pytest.raises(CheckpointError, match="not empty; pass --overwrite to replace the attn run in it"):
        open_run_folder(run, overwrite=False)
    open_run_folder(run, overwrite=True).release()
    (run / "best" / "config.json").write_text("{}")
    with pytest.raises(CheckpointError) as nested:  # the run would replace a checkpoint with a run
        open_run_folder(run / "best", overwrite=True)
    assert str(nested.value) == (
        f"--output {run / 'best'} is the best/ checkpoint of the run in {run}; pass the run folder "
        "itself, or another folder"
    )
    assert (run / "best" / "config.json").read_text() == "{}"
    with pytest.raises(CheckpointError) as resumed:  # it spoke of --output, which was not given
        open_run_folder(run / "best", overwrite=False, resume=True)
    assert str(resumed.value) == (
        f"--resume {run / 'best'} is the best/ checkpoint of the run in {run}; pass the run folder itself"
    )
    # Below a checkpoint, a run was accepted, and deleted by the outer run's next save or resume.
    for inside in (run / "best" / "nested", run / "best" / "a" / "b"):
        with pytest.raises(CheckpointError) as below:
            open_run_folder(inside, overwrite=False)
        assert str(below.value) == (
            f"--output {inside} is inside the best/ checkpoint of the run in {run}, which each save "
            "replaces whole (with everything in it); pass a folder outside it"
        )
        assert not inside.exists()
    open_run_folder(run / "notes", overwrite=False).release()  # beside the checkpoints: nothing replaces it
    # A link to a checkpoint is the checkpoint: --overwrite trained a run into it, in place of it.
    link = tmp_path / "link"
    link.symlink_to(run / "best")
    for overwrite in (False, True):
        with pytest.raises(CheckpointError) as linked:
            open_run_folder(link, overwrite=overwrite)
        assert str(linked.value) == (
            f"--output {link} is the best/ checkpoint of the run in {run.resolve()}; pass the run folder "
            "itself, or another folder"
        )
    with pytest.raises(CheckpointError, match=f"--output {link / 'x'} is inside the best/ checkpoint"):
        open_run_folder(link / "x", overwrite=False)
    assert (run / "best" / "config.json").read_text() == "{}"


def test_a_second_run_is_refused_and_a_stale_lock_cleared(tmp_path):
    first = open_run_folder(tmp_path / "run", overwrite=False)
    with pytest.raises(CheckpointError, match=f"in use by another attn train \\(pid {os.getpid()} on "):
        open_run_folder(tmp_path / "run", overwrite=True)
    with pytest.raises(
        CheckpointError, match=f"^--resume {tmp_path / 'run'} is in use by another attn train"
    ):
        open_run_folder(tmp_path / "run", overwrite=False, resume=True)  # named the --output not given
    first.release()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (tmp_path / "stale").mkdir()
    (tmp_path / "stale" / LOCK_FILE).write_text(
        json.dumps({"pid": int(gone.stdout), "host": os.uname().nodename})
    )
    run = open_run_folder(tmp_path / "stale", overwrite=False)  # the dead process's lock is cleared
    assert json.loads(run.lock.read_text())["pid"] == os.getpid()
    run.release()


def test_a_run_that_died_before_its_first_epoch_leaves_a_folder_a_new_run_takes(tmp_path):
    """An abort under `ulimit -v 1000000` (no chance to clean up) left the lock and an empty
    metrics.jsonl, and `kill -9` in the first epoch its step lines; the same command again said
    `--output is not empty; pass --overwrite`."""
    died = tmp_path / "died"
    died.mkdir()
    (died / LOCK_FILE).write_text(json.dumps({"pid": 2**22 + 7, "host": os.uname().nodename}))
    (died / "metrics.jsonl").write_text("")
    run = open_run_folder(died, overwrite=False)
    assert sorted(child.name for child in died.iterdir()) == [LOCK_FILE]
    run.release()
    # SIGKILL in the first epoch left its step lines (the last one cut): nothing to keep either.
    step = json.dumps({"step": 10, "epoch": 1, "loss": 1.6, "lr": 3e-4, "tokens_per_second": 3298.0})
    (died / "metrics.jsonl").write_text(step + "\n" + step[:20])
    open_run_folder(died, overwrite=False).release()
    assert not (died / "metrics.jsonl").exists()
    epoch = {"step": 51, "epoch": 1, "train_loss": 1.5, "validation_loss": 1.4}
    later = {"step": 900, "epoch": 5, "loss": 0.2, "lr": 1e-4, "tokens_per_second": 3000.0}
    kept_logs = [  # a run to keep, or something that is no log of a dead first epoch: kept
        *(
            step + "\n" + json.dumps(kept) + "\n"
            for kept in (epoch, later, {"step": 60, "refit_epoch": 1, "loss": 0.9})
        ),
        step + "\n" + '{"epoch": 1}' + "\n",
        '{\n "step": 400,\n "epoch": 7,\n "validation_loss": 0.3\n}\n',  # pretty-printed (jq .)
        "step,epoch,loss\n10,1,1.6\n",  # a csv
        step + "\nnot json\n" + step + "\n",  # a line that is no record, not the last
    ]
    for content in kept_logs:
        (died / "metrics.jsonl").write_text(content)
        with pytest.raises(CheckpointError, match="is not empty"):
            open_run_folder(died, overwrite=False)
        assert (died / "metrics.jsonl").read_text() == content


def test_resume_needs_a_last_checkpoint(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError) as caught:
        open_run_folder(tmp_path / "empty", overwrite=False, resume=True)
    empty = tmp_path / "empty"
    assert str(caught.value) == (
        f"{empty} has no last/ checkpoint to resume from; train a run there with attn train DATA -o {empty}"
    )
    (tmp_path / "empty" / "best").mkdir()  # a run whose last/ was removed: -o alone would refuse it
    with pytest.raises(
        CheckpointError, match=rf"train a run there with attn train DATA -o {empty} --overwrite$"
    ):
        open_run_folder(tmp_path / "empty", overwrite=False, resume=True)
    # The command to paste is quoted for the shell (a user's trial: runs/nolast A's failed pasted).
    awkward = tmp_path / "run A's $x"
    awkward.mkdir()
    with pytest.raises(CheckpointError) as caught:
        open_run_folder(awkward, overwrite=False, resume=True)
    assert str(caught.value).endswith(f"""attn train DATA -o '{tmp_path}/run A'"'"'s $x'""")
    # A folder that is not there is said to be missing (it was 'has no last/ checkpoint').
    with pytest.raises(
        CheckpointError, match=r"--resume .*absent does not exist; pass the folder an attn train"
    ):
        open_run_folder(tmp_path / "absent", overwrite=False, resume=True)
    assert not (tmp_path / "absent").exists()
    # A data folder (found in a user's trial: the advice, -o DATA --overwrite, was then refused).
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("{}\n")
    with pytest.raises(CheckpointError) as caught:
        open_run_folder(tmp_path / "data", overwrite=False, resume=True)
    assert str(caught.value) == (
        f"{tmp_path / 'data'} is no run folder: it holds files attn did not write (train.jsonl); --resume "
        "takes the --output folder of an earlier attn train"
    )
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == ["train.jsonl"]  # no lock left


def test_overwrite_clears_the_earlier_run_only_when_training_starts(tmp_path):
    run_path = tmp_path / "run"
    for name in ("best", "last", "tensorboard"):
        (run_path / name).mkdir(parents=True)
    (run_path / "metrics.jsonl").write_text("old")
    run = open_run_folder(run_path, overwrite=True)
    assert sorted(path.name for path in run_path.iterdir() if path.name != LOCK_FILE) == [
        "best", "last", "metrics.jsonl", "tensorboard",
    ]  # fmt: skip
    (run_path / "best" / "config.json").write_text("{}")
    run.clear_previous_run()  # moved aside until the new run finishes
    assert sorted(path.name for path in run_path.iterdir()) == [".attn-replaced", LOCK_FILE]
    assert resolve_checkpoint(run_path) == run_path / ".attn-replaced" / "best"  # eval meanwhile
    (run_path / "metrics.jsonl").write_text("new")
    run.release()  # as if killed before its first checkpoint: the next run on the folder restores
    with pytest.raises(CheckpointError, match="not empty [(]it holds the earlier run again: an --overwrite"):
        open_run_folder(run_path, overwrite=False)  # and says so
    assert sorted(path.name for path in run_path.iterdir()) == [
        "best",
        "last",
        "metrics.jsonl",
        "tensorboard",
    ]
    assert (run_path / "metrics.jsonl").read_text() == "old"
    run = open_run_folder(run_path, overwrite=True)
    assert not run.put_back  # put back already, by the refused run
    run.clear_previous_run()
    run.release()
    again = open_run_folder(run_path, overwrite=True)  # killed again: this time a run takes it over
    assert again.put_back and (run_path / "best").is_dir()  # train and --resume say so (a note)
    run = again
    run.clear_previous_run()
    (run_path / "best").mkdir()  # the new run's first checkpoint
    run.drop_replaced_run()
    assert sorted(path.name for path in run_path.iterdir()) == [LOCK_FILE, "best"]
    run.release()


@pytest.mark.parametrize("stopped", ["moving aside", "putting back", "dropping"])
def test_a_process_killed_among_the_overwrite_moves_leaves_a_whole_run(tmp_path, stopped):
    """Each move is one rename, and the next run on the folder finishes what was begun: the earlier
    run comes back whole unless the new one had finished, and nothing is half-removed."""
    run_path = tmp_path / "run"
    for name in ("best", "last"):
        (run_path / name).mkdir(parents=True)
        (run_path / name / "config.json").write_text(f"old {name}")
    (run_path / "metrics.jsonl").write_text("old")
    if stopped == "moving aside":  # killed after best/ went aside, before last/ and the log did
        (run_path / ".attn-replaced-moving").mkdir()
        (run_path / "best").rename(run_path / ".attn-replaced-moving" / "best")
    elif stopped == "putting back":  # the new run's log written; last/ put back, best/ and log not yet
        (run_path / ".attn-replaced").mkdir()
        for name in ("best", "metrics.jsonl"):
            (run_path / name).rename(run_path / ".attn-replaced" / name)
        (run_path / "metrics.jsonl").write_text("new")
    else:  # the new run had finished: the earlier run was on its way out
        (run_path / ".attn-replaced-dropping").mkdir()
        (run_path / ".attn-replaced-dropping" / "old").write_text("old")
    open_run_folder(run_path, overwrite=True).release()
    names = sorted(path.name for path in run_path.iterdir())
    if stopped == "dropping":
        assert (
            names == ["best", "last", "metrics.jsonl"] and (run_path / "metrics.jsonl").read_text() == "old"
        )
    else:
        assert names == ["best", "last", "metrics.jsonl"]
        assert [(run_path / name / "config.json").read_text() for name in ("best", "last")] == [
            "old best",
            "old last",
        ]
        assert (run_path / "metrics.jsonl").read_text() == "old"


def test_an_overwrite_with_a_best_of_its_own_keeps_the_earlier_run_aside_until_it_finishes(
    tmp_path, monkeypatch
):
    """The run --overwrite replaces stays aside, and is what eval and predict read, until the new run
    finishes: a kill after its first epoch lost it (a nightly retrain killed halfway)."""
    run_path = tmp_path / "run"
    aside = run_path / ".attn-replaced"

    def make_pending() -> None:
        for folder, tag in ((aside, "old"), (run_path, "new")):
            for name in ("best", "last"):
                (folder / name).mkdir(parents=True, exist_ok=True)
                (folder / name / "config.json").write_text(f"{tag} {name}")
            (folder / "metrics.jsonl").write_text(tag)

    def held() -> list[tuple[str, str]]:
        return sorted(
            (str(path.relative_to(run_path)), path.read_text())
            for path in run_path.rglob("*")
            if path.is_file() and path.name != LOCK_FILE
        )

    make_pending()
    pending = held()
    assert resolve_checkpoint(run_path) == aside / "best"
    monkeypatch.setattr("attncli.resuming.work_left", lambda last, epochs=None: True)
    open_run_folder(run_path, overwrite=False, resume=True).release()  # --resume carries the new run on
    assert held() == pending
    run = open_run_folder(run_path, overwrite=True)  # another --overwrite replaces the unfinished run ...
    assert held() == pending
    run.clear_previous_run()
    assert sorted(path.name for path in run_path.iterdir()) == [".attn-replaced", LOCK_FILE]
    run.release()  # ... and, killed before a best/ of its own, gives back the finished one
    back = open_run_folder(run_path, overwrite=False, resume=True)
    back.release()
    assert back.put_back
    assert held() == [
        ("best/config.json", "old best"),
        ("last/config.json", "old last"),
        ("metrics.jsonl", "old"),
    ]
    make_pending()  # killed between the new run's end and the removal of the run aside: removed next
    monkeypatch.setattr("attncli.resuming.work_left", lambda last, epochs=None: False)
    open_run_folder(run_path, overwrite=True).release()
    assert held() == [
        ("best/config.json", "new best"),
        ("last/config.json", "new last"),
        ("metrics.jsonl", "new"),
    ]
    assert resolve_checkpoint(run_path) == run_path / "best"


def test_an_overwrite_into_an_empty_folder_keeps_nothing_aside_and_an_empty_aside_is_no_run(tmp_path):
    """An empty .attn-replaced/ (a first --overwrite into a new folder; a kill before a put-back's
    rmdir) was taken for a run aside: a later --overwrite then threw the unfinished run away, saying
    the folder held the earlier run again (a review)."""
    run_path = tmp_path / "run"
    run = open_run_folder(run_path, overwrite=True)
    run.clear_previous_run()
    assert not run.replaces_a_run() and sorted(path.name for path in run_path.iterdir()) == [LOCK_FILE]
    (run_path / "best").mkdir()
    (run_path / "best" / "config.json").write_text("new best")
    (run_path / ".attn-replaced").mkdir()
    run.release()
    again = open_run_folder(run_path, overwrite=True)
    assert not again.put_back and not again.replaces_a_run()
    assert sorted(path.name for path in run_path.iterdir()) == [LOCK_FILE, "best"]
    again.release()
    # Readers take the earlier run's best/ while it is on its way aside, too (a kill among the moves).
    (run_path / ".attn-replaced-moving" / "best").mkdir(parents=True)
    (run_path / ".attn-replaced-moving" / "best" / "config.json").write_text("old best")
    (run_path / "best").rename(run_path / "last")
    assert resolve_checkpoint(run_path) == run_path / ".attn-replaced-moving" / "best"


def test_a_lock_that_cannot_be_removed_does_not_hide_why_the_run_ended(tmp_path, monkeypatch):
    folder = open_run_folder(tmp_path / "run", overwrite=False)
    real_unlink = Path.unlink

    def read_only(path, missing_ok=False):  # the folder was made read-only while the run trained
        if path.name == LOCK_FILE:
            raise PermissionError(13, "Permission denied", str(path))
        real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only)
    folder.release()  # it raised PermissionError, which replaced the run's own error
    assert folder.lock_descriptor is None and (tmp_path / "run" / LOCK_FILE).exists()
    monkeypatch.setattr(Path, "unlink", real_unlink)
    open_run_folder(tmp_path / "run", overwrite=False).release()  # the next run takes the stale lock over


def test_a_file_size_limit_is_not_called_a_full_disk():
    import errno

    from attncli.errors import why_unwritten

    assert why_unwritten(OSError(errno.EFBIG, "File too large"), Path("/runs")) == (
        "the file size limit was reached",
        "raise the limit (ulimit -f) or write elsewhere",
    )
    assert why_unwritten(OSError(errno.ENOSPC, "No space"), Path("/runs"))[0] == "the disk is full"


def test_an_output_folder_too_long_or_a_link_loop_is_refused_in_words(tmp_path):
    with pytest.raises(CheckpointError, match=r"cannot create --output .* \(File name too long\)"):
        open_run_folder(tmp_path / ("b" * 300), overwrite=False)  # an OSError, exit 1
    (tmp_path / "loop_a").symlink_to("loop_b")
    (tmp_path / "loop_b").symlink_to("loop_a")
    with pytest.raises(CheckpointError, match="a link that leads to itself"):  # it said "File exists"
        open_run_folder(tmp_path / "loop_a", overwrite=False)
    (tmp_path / "dangling").symlink_to("no-such-folder")
    with pytest.raises(CheckpointError, match="is a link to no-such-folder, which does not exist"):
        open_run_folder(tmp_path / "dangling", overwrite=False)


@pytest.mark.parametrize(
    "entry", [LOCK_FILE, "metrics.jsonl", "tensorboard", "last", ".attn-replaced", ".best.x"]
)
def test_a_run_folder_whose_own_entry_is_a_link_is_refused_and_its_target_kept(tmp_path, entry):
    """A security trial: a run folder received from someone else, its metrics.jsonl (or its lock
    file) a link to a file of the user's, had that file written over by `attn train --resume`, with
    exit 0; an otherwise empty folder holding only such a lock file did the same under -o."""
    victim = tmp_path / "notes.txt"
    victim.write_text("the user's own notes\n")
    if entry.startswith("."):  # a run moved aside, a save's staging: folders attn empties into the run
        (tmp_path / "thesis").mkdir()
        victim = tmp_path / "thesis" / "notes.txt"
        victim.write_text("the user's own notes\n")
    run = tmp_path / "received"
    run.mkdir()
    (run / entry).symlink_to(victim.parent if entry.startswith(".") else victim)
    for resume, overwrite in ((False, False), (False, True), (True, False)):
        target = victim.parent if entry.startswith(".") else victim
        with pytest.raises(CheckpointError, match=f"^{run / entry} is a symbolic link \\(to {target}\\)"):
            open_run_folder(run, overwrite=overwrite, resume=resume)
    assert victim.read_text() == "the user's own notes\n" and (run / entry).is_symlink()
    assert not (run / LOCK_FILE).exists() or entry == LOCK_FILE  # no lock left behind


def test_a_link_inside_a_run_moved_aside_is_refused_before_it_is_put_back(tmp_path):
    """A review: the run --overwrite moves aside is put back entry by entry, links too, so a
    metrics.jsonl link inside `.attn-replaced/` was put in place and then written through."""
    victim = tmp_path / "notes.txt"
    victim.write_text("the user's own notes\n")
    run = tmp_path / "received"
    (run / ".attn-replaced" / "best").mkdir(parents=True)
    (run / ".attn-replaced" / "metrics.jsonl").symlink_to(victim)
    linked = run / ".attn-replaced" / "metrics.jsonl"
    with pytest.raises(CheckpointError, match=f"^{linked} is a symbolic link \\(to {victim}\\)"):
        open_run_folder(run, overwrite=False, resume=True)
    assert victim.read_text() == "the user's own notes\n" and linked.is_symlink()
    assert not (run / "metrics.jsonl").exists()  # nothing was put back
