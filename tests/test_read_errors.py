import os
from pathlib import Path

from conftest import make_rows, write_csv


def test_arrow_copies_of_local_files_stay_out_of_the_users_cache(tmp_path, monkeypatch):
    from attncli import read_errors as data
    from attncli.sources import load_raw

    monkeypatch.delenv("HF_DATASETS_CACHE")
    monkeypatch.setattr(data, "_RUN_CACHE", None)
    path = write_csv(tmp_path / "d.csv", make_rows(20))
    raw = load_raw(str(path))
    cache = data.local_cache_dir()
    train = raw.splits["train"]
    assert cache is not None and all(item["filename"].startswith(cache) for item in train.cache_files)
    data._RUN_CACHE.cleanup()  # what happens when the process exits
    assert not Path(cache).exists()
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "mine"))
    assert data.local_cache_dir() is None  # the user's own choice is kept
    # Removed as the process exits, not by the garbage collector at shutdown with a ResourceWarning
    # (a traceback under PYTHONWARNINGS=error).
    import subprocess
    import sys

    script = "import attncli.read_errors as s, pathlib; print(s.local_cache_dir())"
    exited = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "HF_DATASETS_CACHE"},
    )  # fmt: skip
    assert exited.returncode == 0 and exited.stderr == "", exited.stderr
    assert not Path(exited.stdout.strip()).exists()


def test_a_killed_runs_arrow_copies_are_removed_by_the_next_run_and_a_live_runs_are_kept(tmp_path):
    """A run killed outright (SIGKILL, the OOM killer, `timeout -s KILL`) cannot remove its folder of
    Arrow copies: each left one in TMPDIR, and nothing ever removed them."""
    import fcntl
    import socket
    import subprocess
    import sys
    import time

    from attncli.read_errors import RUN_CACHE_PREFIX, RUN_LOCK

    abandoned, alive, older = (tmp_path / f"{RUN_CACHE_PREFIX}{name}" for name in ("dead", "live", "old"))
    for folder in (abandoned, alive, older):
        folder.mkdir()
        (folder / "cache.arrow").write_bytes(b"x" * 100)
    # Its run was killed a while ago: nothing holds the lock. A young one may be a run starting, and
    # one of another host a run there (over NFS, whose locks may be per host): both are left.
    (abandoned / RUN_LOCK).write_text(socket.gethostname())
    young, elsewhere = tmp_path / f"{RUN_CACHE_PREFIX}young", tmp_path / f"{RUN_CACHE_PREFIX}elsewhere"
    young.mkdir()
    (young / RUN_LOCK).write_text(socket.gethostname())
    elsewhere.mkdir()
    (elsewhere / RUN_LOCK).write_text("another-host")
    for lock in (abandoned / RUN_LOCK, elsewhere / RUN_LOCK):
        os.utime(lock, (time.time() - 3600, time.time() - 3600))
    with (alive / RUN_LOCK).open("w") as lock:
        lock.write(socket.gethostname())
        lock.flush()
        os.utime(lock.name, (time.time() - 3600, time.time() - 3600))
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # a run still going, in another process
        script = "import attncli.read_errors as s; print(s.local_cache_dir())"
        environment = {k: v for k, v in os.environ.items() if k != "HF_DATASETS_CACHE"}
        ran = subprocess.run(
            [sys.executable, "-W", "error", "-c", script],
            capture_output=True, text=True, env={**environment, "TMPDIR": str(tmp_path)},
        )  # fmt: skip
    assert ran.returncode == 0 and ran.stderr == "", ran.stderr
    # The dead run's folder is gone; the live run's and an older attn's (no lock file) stay, and the
    # new run removed its own at exit.
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [alive.name, older.name, young.name, elsewhere.name]
    )


def test_an_abandoned_folder_keeps_its_lock_until_the_rest_is_removed(tmp_path, monkeypatch):
    """A removal that failed halfway (too many open files, in an ops trial) took the lock file first:
    the folder, unlocked, was skipped by every later run, for good."""
    import shutil

    import attncli.read_errors as read_errors

    cache = tmp_path / f"{read_errors.RUN_CACHE_PREFIX}dead"
    (cache / "json" / "deep").mkdir(parents=True)
    (cache / "json" / "deep" / "part.arrow").write_bytes(b"x")
    (cache / read_errors.RUN_LOCK).write_text("host")
    removing = shutil.rmtree
    monkeypatch.setattr(read_errors.shutil, "rmtree", lambda *args, **kwargs: None)  # fails, silently
    read_errors._remove_lock_last(cache)
    assert (cache / read_errors.RUN_LOCK).is_file() and (cache / "json").is_dir()
    monkeypatch.setattr(read_errors.shutil, "rmtree", removing)
    read_errors._remove_lock_last(cache)  # the next run's sweep
    assert not cache.exists()
    # A run's own folder as it exits: the same order; left whole, locked, where it fails, and no
    # finalizer warns of it at shutdown.
    import tempfile
    import warnings

    own = tempfile.TemporaryDirectory(prefix=read_errors.RUN_CACHE_PREFIX, dir=tmp_path)
    (Path(own.name) / "json").mkdir()
    (Path(own.name) / read_errors.RUN_LOCK).write_text("host")
    monkeypatch.setattr(read_errors.shutil, "rmtree", lambda *args, **kwargs: None)
    read_errors._remove_run_cache(own)
    assert (Path(own.name) / read_errors.RUN_LOCK).is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        del own  # its finalizer was detached: no ResourceWarning
    monkeypatch.setattr(read_errors.shutil, "rmtree", removing)
    again = tempfile.TemporaryDirectory(prefix=read_errors.RUN_CACHE_PREFIX, dir=tmp_path)
    (Path(again.name) / read_errors.RUN_LOCK).write_text("host")
    read_errors._remove_run_cache(again)
    assert not Path(again.name).exists()
