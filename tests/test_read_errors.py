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
