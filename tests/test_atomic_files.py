from pathlib import Path

import pytest

from attncli.atomic_files import atomic_output, check_output_file
from attncli.errors import DataError


def test_a_compressed_output_name_is_refused_rather_than_given_plain_text():
    for option, name in [("--output", "out.csv.gz"), ("--html", "page.html.xz")]:
        with pytest.raises(DataError) as refused:
            check_output_file(Path(name), option)
        plain = name.rsplit(".", 1)[0]
        assert str(refused.value) == (
            f"{option} {name}: attn writes files uncompressed; pass {plain} and compress it once written"
        )


def test_an_output_path_that_is_a_folder_or_in_no_folder_is_refused_before_any_work(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path} is a folder; pass --html the name of a file"):
        check_output_file(tmp_path, "--html")
    with pytest.raises(DataError, match="folder .*absent does not exist; create it or pass another --output"):
        check_output_file(tmp_path / "absent" / "out.csv")
    check_output_file(tmp_path / "out.csv")  # a new file in a folder that exists
    check_output_file(None)


def test_an_output_in_a_folder_this_user_may_not_write_is_refused_before_any_work(tmp_path, monkeypatch):
    """inspect --html into a folder of root's computed 500 heatmaps, then failed to save them (a
    container trial, as another user); root passes any permission check, so the check is faked."""
    import os

    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: real(path, mode) and Path(path) != tmp_path)
    with pytest.raises(DataError) as refused:
        check_output_file(tmp_path / "page.html", "--html")
    assert str(refused.value) == (
        f"cannot write --html {tmp_path / 'page.html'}: this user may not add files to {tmp_path} "
        "(read-only, or another user's); pass another --html"
    )
    check_output_file(Path("/dev/stdout"), "--html")  # standard output is written, not made


def test_no_output_goes_into_a_checkpoint_or_over_a_file_of_another_kind(tmp_path):
    """`inspect --html run/best/config.json` replaced the checkpoint's config (it loaded no more), and
    `--html notes.txt` the notes."""
    checkpoint = tmp_path / "best"
    checkpoint.mkdir()
    for name in ("config.json", "model.safetensors"):
        (checkpoint / name).write_text("{}")
    for name in ("config.json", "predictions.csv"):
        with pytest.raises(DataError) as refused:
            check_output_file(checkpoint / name, "--html")
        assert str(refused.value) == (
            f"--html {checkpoint / name} is inside the checkpoint {checkpoint}; write it to another folder"
        )
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(DataError) as refused:
        check_output_file(notes, "--html", replaces=(".html", ".htm"))
    assert str(refused.value) == (
        f"--html {notes} exists and is not a .html or .htm file; pass a new file name, or an existing .html "
        "file to replace"
    )
    (tmp_path / "old.HTML").write_text("<p>")
    check_output_file(tmp_path / "old.HTML", "--html", replaces=(".html", ".htm"))  # replaced, as asked
    check_output_file(tmp_path / "new.txt", "--html", replaces=(".html", ".htm"))  # a new file: any name


def test_an_output_path_too_long_looping_or_under_a_file_is_refused_in_words(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(DataError, match=r"afile is a file, not a folder; pass another --output"):
        check_output_file(tmp_path / "afile" / "out.csv")  # it said "folder afile does not exist"
    with pytest.raises(DataError, match=r"\(File name too long\); pass another --html"):
        check_output_file(tmp_path / ("b" * 300 + ".html"), "--html")  # an OSError, exit 1
    (tmp_path / "loop_a").symlink_to("loop_b")
    (tmp_path / "loop_b").symlink_to("loop_a")
    with pytest.raises(DataError, match="a link that leads to itself"):
        check_output_file(tmp_path / "loop_a")
    (tmp_path / "later.jsonl").symlink_to("made-by-the-write.jsonl")
    check_output_file(tmp_path / "later.jsonl")  # a link to a file not made yet: writing makes it


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path):
    import os

    private = tmp_path / "private.jsonl"
    private.write_text("secret\n")
    private.chmod(0o600)
    with atomic_output(private) as stream:
        stream.write("results\n")
    assert private.read_text() == "results\n" and private.stat().st_mode & 0o777 == 0o600  # it became 644
    mask = os.umask(0o027)
    try:
        with atomic_output(tmp_path / "new.jsonl") as stream:
            stream.write("x\n")
    finally:
        os.umask(mask)
    assert (tmp_path / "new.jsonl").stat().st_mode & 0o777 == 0o640


def test_a_read_only_output_file_is_refused_as_the_shell_refuses_it(tmp_path, monkeypatch):
    """A file made read-only (chmod a-w) to keep it was replaced by the rename, mode and all."""
    import os
    import stat

    kept = tmp_path / "kept.csv"
    kept.write_text("keep\n")
    kept.chmod(0o444)
    if os.geteuid() == 0:  # root may write any file: answer as its owner would be answered

        def access(path, mode):
            return not (mode & os.W_OK) or bool(os.stat(path).st_mode & stat.S_IWUSR)

        monkeypatch.setattr(os, "access", access)
    with pytest.raises(
        DataError,
        match=r"kept.csv is read-only; make it writable \(chmod u\+w\) to replace it, or pass another -o",
    ):
        check_output_file(kept, "-o")
    # A file of attn's own (a run's metrics.jsonl, on --resume): no option moves it elsewhere.
    with pytest.raises(DataError) as refused:
        check_output_file(kept, "--output", own=True)
    assert str(refused.value) == f"{kept} is read-only; make it writable (chmod u+w) to replace it"
    assert kept.read_text() == "keep\n"
    kept.chmod(0o644)
    check_output_file(kept, "-o")  # writable again: replaced as before


def test_a_partial_file_a_killed_write_left_is_removed_by_the_next_write(tmp_path):
    import os
    import subprocess
    import sys
    import time

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    orphan = tmp_path / f".out.jsonl.{gone.stdout.strip()}.k3j2.partial"  # its writer was killed (SIGKILL)
    orphan.write_text("half")
    ongoing = tmp_path / f".out.jsonl.{os.getppid()}.x9q1.partial"  # a writer still running keeps its own
    ongoing.write_text("half")
    # A killed write of another name goes too (an ops trial: a cron job's dated names, out-01.csv,
    # out-02.csv, never wrote one twice, and their partial files piled up); a file of the user's
    # that is no such partial file, and another name's write still going on, stay.
    # Another name's only once it has not been written to for an hour: its writer may be alive
    # where this process cannot see it (a container writing into the same folder, a review found).
    other = tmp_path / f".other.jsonl.{gone.stdout.strip()}.a1b2c_d4.partial"
    other.write_text("half")
    os.utime(other, (time.time() - 7200, time.time() - 7200))
    recent = tmp_path / f".recent.jsonl.{gone.stdout.strip()}.a1b2c_d4.partial"
    recent.write_text("half")
    running = tmp_path / f".other.jsonl.{os.getppid()}.a1b2c_d4.partial"
    running.write_text("half")
    users = tmp_path / ".notes.partial"
    users.write_text("mine")
    no_pid = tmp_path / ".x.99999999999999999999.abcdefgh.partial"  # os.kill's OverflowError
    no_pid.write_text("mine")
    os.utime(no_pid, (time.time() - 7200, time.time() - 7200))
    with atomic_output(tmp_path / "out.jsonl") as stream:
        stream.write("new\n")
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted(["out.jsonl", ongoing.name, recent.name, running.name, users.name, no_pid.name])


def test_an_output_name_near_the_file_systems_limit_is_written(tmp_path):
    target = tmp_path / ("b" * 240 + ".jsonl")  # its temporary name passed 255 bytes: "File name too long"
    with atomic_output(target) as stream:
        stream.write("x\n")
    assert target.read_text() == "x\n" and [path.name for path in tmp_path.iterdir()] == [target.name]


def test_output_file_appears_only_when_complete(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("earlier results\n")
    with pytest.raises(RuntimeError), atomic_output(target) as stream:
        stream.write("half")
        raise RuntimeError("killed halfway")
    assert target.read_text() == "earlier results\n"
    assert [path.name for path in tmp_path.iterdir()] == ["out.jsonl"]  # no partial file left
    with atomic_output(target) as stream:
        stream.write("new\n")
    assert target.read_text() == "new\n"


def test_a_link_is_followed_and_a_pipe_is_written_into_not_replaced(tmp_path):
    import os
    import threading

    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old\n")
    link.symlink_to(real.name)
    with atomic_output(link) as stream:
        stream.write("new\n")
    assert link.is_symlink() and real.read_text() == "new\n"  # the link kept, its target replaced
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link.csv", "real.csv"]
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()))
    reader.start()
    with atomic_output(pipe) as stream:
        stream.write("through the pipe\n")
    reader.join(timeout=10)
    assert received == ["through the pipe\n"] and pipe.is_fifo()  # still a pipe, not a file


def test_another_user_s_link_in_a_shared_folder_is_not_written_through(tmp_path):
    """Linux's protected_symlinks does not follow, in a sticky folder anyone may write to (/tmp),
    a link owned neither by the user nor by the folder's owner; attn resolved links itself and
    renamed its file over the target, so such a link redirected an --html onto the user's file (a
    trial). Refused as the system would refuse it; one's own link there is followed."""
    import os

    if os.geteuid() != 0:
        pytest.skip("making a link of another user's takes root")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    planted = shared / "report.html"
    planted.symlink_to(victim)
    os.lchown(planted, 54321, 54321)
    with pytest.raises(DataError, match=r"--html .*report\.html is a symbolic link of another user's"):
        with atomic_output(planted, "--html") as stream:
            stream.write("<html>")
    assert victim.read_text() == "mine\n"
    os.lchown(planted, os.geteuid(), os.getegid())  # one's own link: followed, as before
    with atomic_output(planted, "--html") as stream:
        stream.write("<html>")
    assert victim.read_text() == "<html>"


def test_sigterm_while_writing_leaves_the_old_file_and_no_partial_file(tmp_path):
    import os
    import signal

    target = tmp_path / "out.jsonl"
    target.write_text("earlier results\n")
    with pytest.raises(SystemExit) as stopped, atomic_output(target) as stream:
        stream.write("half")
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert target.read_text() == "earlier results\n" and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back as it was


def test_dev_stdout_redirected_to_a_file_is_written_into_not_replaced(tmp_path):
    import subprocess
    import sys

    log = tmp_path / "log.txt"
    log.write_text("earlier line\n")
    script = "from pathlib import Path\nfrom attncli.atomic_files import atomic_output\n"
    script += "with atomic_output(Path('/dev/stdout')) as stream:\n    stream.write('results\\n')\n"
    with log.open("a") as appended:
        subprocess.run([sys.executable, "-c", script], stdout=appended, check=True)
    assert log.read_text() == "earlier line\nresults\n" and not log.is_symlink()


def test_dev_stderr_as_the_output_is_written_in_order_with_the_messages(tmp_path):
    """`-o /dev/stderr 2> err.log`: opened again, the file was written at two offsets, and the
    command's "wrote 2 results" line overwrote the start of the first result."""
    import subprocess
    import sys

    log = tmp_path / "err.log"
    script = "import sys\nfrom pathlib import Path\nfrom attncli.atomic_files import atomic_output\n"
    script += "with atomic_output(Path('/dev/stderr')) as stream:\n    stream.write('results\\n')\n"
    script += "sys.stderr.write('wrote 1 result to /dev/stderr\\n')\n"
    with log.open("w") as truncated:
        subprocess.run([sys.executable, "-c", script], stderr=truncated, check=True)
    assert log.read_text() == "results\nwrote 1 result to /dev/stderr\n"


def test_a_device_is_never_refused_for_its_suffix():
    """`--html /dev/stderr` was refused as an existing file that is not a .html file."""
    check_output_file(Path("/dev/stderr"), "--html", replaces=(".html", ".htm"))
    check_output_file(Path("/dev/null"), "--svg", replaces=(".svg",))


def test_a_signal_the_user_ignored_stays_ignored_while_writing(tmp_path, monkeypatch):
    import signal

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with atomic_output(tmp_path / "out.txt") as stream:
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
            stream.write("done\n")
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_failed_write_offers_the_option_that_named_the_file():
    import errno

    from attncli.atomic_files import _write_failed

    full = OSError(errno.ENOSPC, "No space left on device")
    assert str(_write_failed(Path("/tmp/x/heat.html"), full, "--html")).endswith("or pass another --html")
    assert "pass another" not in str(_write_failed(Path("/tmp/x/metrics.jsonl"), full, None))


def test_a_file_name_typed_in_another_locale_is_written_atomically(tmp_path):
    """Under LC_ALL=C with PYTHONUTF8=0, `-o sortie_é.csv` reaches Python as surrogates for its
    bytes, which str.encode refused: `UnicodeEncodeError ... surrogates not allowed`, exit 1."""
    from attncli.atomic_files import _partial_stem

    name = "sortie_\udcc3\udca9.csv"  # é's UTF-8 bytes, as a C locale decodes them
    assert _partial_stem(name) == name
    assert _partial_stem("\udcc3\udca9" * 150).endswith(tuple("0123456789abcdef"))  # cut, with a digest


def test_an_output_named_in_another_locale_or_with_long_characters_is_written(tmp_path):
    """The temporary name beside it must be a name the file system takes: one of 60 emoji was cut to
    100 characters (400 bytes), and `-o` failed with `File name too long`."""
    from attncli.atomic_files import atomic_output

    for name in ("sortie_\udcc3\udca9.csv", "😀" * 60 + ".csv"):
        with atomic_output(tmp_path / name) as stream:
            stream.write("written\n")
        assert (tmp_path / name).read_text() == "written\n"
