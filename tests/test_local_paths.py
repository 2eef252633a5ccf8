"""Paths as typed: a leading ~ is the home folder only where nothing here has that name."""

from pathlib import Path

from attncli.local_paths import local_path


def test_a_leading_tilde_is_home_unless_a_file_here_has_that_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert local_path("~/data.csv") == Path.home() / "data.csv"
    assert local_path("~") == Path.home()
    # No such user: a name that begins with ~ (it failed with "Could not determine home directory").
    assert local_path("~tilde.jsonl") == Path("~tilde.jsonl")
    assert local_path("./~tilde.jsonl") == Path("~tilde.jsonl")
    (tmp_path / "~root").mkdir()  # a folder of that name here, not /root
    assert local_path("~root") == Path("~root") and local_path("~root").resolve() == tmp_path / "~root"
    assert local_path("data/~x.csv") == Path("data/~x.csv")  # only a leading ~ is the shell's
