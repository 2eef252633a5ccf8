"""TMPDIR and HF_DATASETS_CACHE pointed at folders attn cannot write in are said, not passed over."""

import os

from typer.testing import CliRunner

from attncli.cli import app
from attncli.scratch import scratch_warnings


def test_unusable_scratch_folders_are_warned_of_and_usable_ones_are_not(tmp_path):
    """A cluster job points them at scratch because the node's /tmp is small: one not made yet, or
    a file, was passed over without a word (Python's tempfile falls back to /tmp; an HPC trial)."""
    (tmp_path / "file.txt").write_text("x")
    warned = scratch_warnings(
        {"TMPDIR": str(tmp_path / "missing"), "HF_DATASETS_CACHE": str(tmp_path / "file.txt" / "hf")}
    )
    assert warned[0].startswith(f"warning: TMPDIR={tmp_path / 'missing'} does not exist, so temporary files")
    assert warned[1] == (
        f"warning: HF_DATASETS_CACHE={tmp_path / 'file.txt' / 'hf'} does not exist and cannot be made in "
        f"{tmp_path / 'file.txt'}, so datasets cannot keep its copies of the data there; point it at a "
        "folder you can write to, or unset it"
    )
    assert scratch_warnings({"TMPDIR": str(tmp_path / "file.txt")})[0].startswith(
        f"warning: TMPDIR={tmp_path / 'file.txt'} is a file, not a folder"
    )
    # A cache folder datasets will make, a writable TMPDIR, and neither set: nothing to say.
    usable = {"TMPDIR": str(tmp_path), "HF_DATASETS_CACHE": str(tmp_path / "new" / "hf")}
    assert scratch_warnings(usable) == [] and scratch_warnings({}) == []
    if os.geteuid() != 0:  # root writes anywhere
        (tmp_path / "locked").mkdir(mode=0o500)
        assert "is a folder you cannot write to" in scratch_warnings({"TMPDIR": str(tmp_path / "locked")})[0]


def test_train_says_an_unusable_tmpdir_before_it_reads_any_data(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "scratch" / "tmp"))
    result = CliRunner().invoke(app, ["train", str(tmp_path / "none.csv"), "-o", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert f"warning: TMPDIR={tmp_path / 'scratch' / 'tmp'} does not exist" in result.stderr
