"""attn on a system without the POSIX-only parts of Python's standard library, as Windows is: no
`fcntl` or `resource` module, no SIGHUP, SIGPIPE or SIGQUIT, no `os.O_NOFOLLOW` or `os.geteuid`
(attn failed there at its first import: a trial). A shim takes them out of this Linux
Python and stands in for `msvcrt`'s byte locks with POSIX record locks, which behave alike between
processes; it cannot make this Linux a Windows, so paths, consoles and torch's Windows build are
not what this tests."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="imitates Windows on a POSIX system")

SHIM = textwrap.dedent(
    """
    import fcntl as posix_locks
    import getpass  # noqa: F401 (these take a module named msvcrt for Windows: loaded before it is)
    import multiprocessing.spawn  # noqa: F401
    import os
    import signal
    import subprocess  # noqa: F401
    import sys
    import types

    for name in ("fcntl", "resource"):
        sys.modules[name] = None  # `import fcntl` raises ImportError, as on Windows
    for name in ("SIGHUP", "SIGPIPE", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
        delattr(signal, name)
    for name in ("O_NOFOLLOW", "geteuid"):  # statvfs stays: shutil's disk_usage, which Windows has, uses it
        delattr(os, name)

    def locking(descriptor, mode, count):
        position = os.lseek(descriptor, 0, os.SEEK_CUR)
        if mode == msvcrt.LK_UNLCK:
            posix_locks.lockf(descriptor, posix_locks.LOCK_UN, count, position)
            return
        # A POSIX write lock needs a descriptor open for writing; Windows locks any handle.
        writable = posix_locks.fcntl(descriptor, posix_locks.F_GETFL) & os.O_ACCMODE != os.O_RDONLY
        kind = posix_locks.LOCK_EX if writable else posix_locks.LOCK_SH
        try:
            posix_locks.lockf(descriptor, kind | posix_locks.LOCK_NB, count, position)
        except BlockingIOError:
            raise PermissionError(13, "Permission denied") from None

    msvcrt = types.ModuleType("msvcrt")
    msvcrt.LK_UNLCK, msvcrt.LK_LOCK, msvcrt.LK_NBLCK = 0, 1, 2
    msvcrt.locking = locking
    sys.modules["msvcrt"] = msvcrt
    """
)


def _run(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "imitated.py"
    script.write_text(SHIM + textwrap.dedent(code))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=240
    )


def test_the_commands_run_without_posix_only_modules(tmp_path):
    rows = ["text,label"]
    for index in range(40):
        sport = index % 2
        rows.append(f"goal match striker {index},sport" if sport else f"shares profit bank {index},business")
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    code = """
        import json
        from typer.testing import CliRunner
        from attncli.cli.group import app

        outcomes = {}
        for name, arguments in [
            ("help", ["--help"]),
            ("train", ["train", "data.csv", "-o", "run", "--epochs", "2", "-q"]),
            ("predict", ["predict", "run", "goal match striker", "--json"]),
            ("eval", ["eval", "run", "data.csv", "--json"]),
            ("info", ["info", "run"]),
            ("again", ["train", "data.csv", "-o", "run", "--epochs", "1", "-q"]),
        ]:
            result = CliRunner().invoke(app, arguments)
            outcomes[name] = [result.exit_code, result.stdout, result.output]
        print(json.dumps(outcomes))
    """
    done = _run(tmp_path, code)
    assert done.returncode == 0, done.stderr
    outcomes = json.loads(done.stdout.splitlines()[-1])
    for name in ("help", "train", "predict", "eval", "info"):
        assert outcomes[name][0] == 0, (name, outcomes[name])
    assert json.loads(outcomes["predict"][1].splitlines()[-1])["label"] == "sport"
    assert json.loads(outcomes["eval"][1])["accuracy"] >= 0.5
    assert "labels business, sport (2)" in outcomes["info"][1]
    # A finished run's folder is refused as on Linux, the lock taken and given back on the way.
    again = outcomes["again"]
    assert again[0] == 2 and "is not empty; pass --overwrite" in again[2], again
    assert not (tmp_path / "run" / ".attn-train.lock").exists()


def test_a_run_folder_in_use_is_refused_through_windows_byte_locks(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", SHIM + "from attncli.run_folder import open_run_folder\n"
         "run = open_run_folder(__import__('pathlib').Path('run'), overwrite=False)\n"
         "print('held', flush=True)\nsys.stdin.read()\nrun.release()\n"],
        cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code = """
            from pathlib import Path
            from attncli.errors import CheckpointError
            from attncli.run_folder import open_run_folder, training_now
            print(training_now(Path("run")))
            try:
                open_run_folder(Path("run"), overwrite=False)
            except CheckpointError as error:
                print(error)
        """
        done = _run(tmp_path, code)
        assert done.returncode == 0, done.stderr
        in_use, refusal = done.stdout.splitlines()
        assert in_use == "True"
        assert "is in use by another attn train" in refusal
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0
    released = _run(tmp_path, "from pathlib import Path\nfrom attncli.run_folder import training_now\n"
                    "print(training_now(Path('run')))\n")  # fmt: skip
    assert released.stdout.strip() == "False", released.stderr


def test_no_process_is_probed_with_a_signal_on_windows(monkeypatch):
    # os.kill(pid, 0) is how POSIX asks whether a process is alive; on Windows it ends the process.
    from attncli import atomic_files

    def kill(pid: int, number: int) -> None:
        raise AssertionError("os.kill called")

    monkeypatch.setattr(atomic_files.os, "kill", kill)
    monkeypatch.setattr(atomic_files.sys, "platform", "win32")
    assert atomic_files._alive(123456789)
