"""--threads: the CPU threads a command computes with, and what it puts back."""

import os
import subprocess
import sys

import pytest
import torch

from attncli import threads
from attncli.threads import limited_threads, too_many_threads_note


def test_the_threads_are_torchs_and_the_pools_within_and_put_back_after(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("RAYON_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    with limited_threads(before + 2):
        assert torch.get_num_threads() == before + 2
        assert os.environ["OMP_NUM_THREADS"] == os.environ["RAYON_NUM_THREADS"] == str(before + 2)
    assert torch.get_num_threads() == before
    assert os.environ["OMP_NUM_THREADS"] == "1" and "RAYON_NUM_THREADS" not in os.environ


def test_none_leaves_the_threads_as_the_environment_says(monkeypatch):
    monkeypatch.delenv("RAYON_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    with limited_threads(None):
        assert torch.get_num_threads() == before and "RAYON_NUM_THREADS" not in os.environ


def test_the_count_is_put_back_when_the_block_fails():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), limited_threads(before + 1):
        raise RuntimeError("the command failed")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("more_than_cores", [False, True])
def test_torch_imported_within_the_block_takes_the_count(more_than_cores):
    """A command imports torch after --threads is read: torch sizes its pool from the variable, which
    OpenMP caps at the cores, so a count above them is told to torch directly."""
    count = threads.usable_cores() + 1 if more_than_cores else 1
    code = (
        "import sys\n"
        "from attncli.threads import limited_threads\n"
        f"with limited_threads({count}):\n"
        "    import torch\n"
        "    print(torch.get_num_threads())\n"
    )
    environment = {name: value for name, value in os.environ.items() if name != "OMP_NUM_THREADS"}
    shown = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == [str(count)]


def test_more_threads_than_cores_get_a_note(monkeypatch):
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    assert too_many_threads_note(2) is None and too_many_threads_note(1) is None
    assert too_many_threads_note(8) == (
        "note: --threads 8 is more than the 2 CPU cores this process may use: threads beyond them take turns "
        "and slow each other; --threads 2 or fewer is faster"
    )
    monkeypatch.setattr(threads, "usable_cores", lambda: 1)
    assert "than the 1 CPU core this" in (too_many_threads_note(2) or "")
    assert too_many_threads_note(1, processes=2) == (
        "note: --nproc 2 --threads 1 puts 2 threads on the 1 CPU core they may use: threads beyond "
        "them take turns and slow each other; --nproc 1 or fewer with --threads 1 is faster"
    )


def test_a_process_of_nproc_leaves_the_note_to_the_command_that_launched_it(monkeypatch, capsys):
    """`--nproc 2 --threads 3`: the launching command says it of every process; rank 0 said the
    one-process note after it, which contradicted it."""
    from attncli.cli.edge import run_command

    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setenv("WORLD_SIZE", "2")
    run_command(lambda: None, debug=False, threads=3)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("WORLD_SIZE", "1")
    run_command(lambda: None, debug=False, threads=3)
    assert capsys.readouterr().err.startswith("note: --threads 3 is more than the 2 CPU cores")
