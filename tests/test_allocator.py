import os
import subprocess
import sys

import pytest

from attncli.allocator import HUGE_PAGES_VARIABLE, prefer_huge_pages


def test_huge_pages_are_asked_for_unless_the_environment_already_says(monkeypatch):
    monkeypatch.setenv(HUGE_PAGES_VARIABLE, "")  # so that the variable is restored, set or not
    monkeypatch.delenv(HUGE_PAGES_VARIABLE)
    prefer_huge_pages()
    assert os.environ[HUGE_PAGES_VARIABLE] == "1"
    monkeypatch.setenv(HUGE_PAGES_VARIABLE, "0")  # the user turned them off
    prefer_huge_pages()
    assert os.environ[HUGE_PAGES_VARIABLE] == "0"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="torch asks for huge pages on Linux only")
def test_the_attn_command_sets_huge_pages_before_torch_allocates(tmp_path):
    """torch reads the setting once, at its first allocation: set later, it changes nothing. With it,
    torch page-aligns each tensor of 2 MB or more (to advise huge pages on it); without, glibc gives
    such a tensor 64-byte alignment, 64 bytes into its mapping."""
    script = (
        "import sys\nfrom attncli import cli\nsys.argv = ['attn', '--version']\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules\n"
        "import torch\n"
        "tensors = [torch.empty(4 << 20, dtype=torch.uint8) for _ in range(3)]\n"
        "print([tensor.data_ptr() % 4096 for tensor in tensors])\n"
    )

    def offsets(environment: dict[str, str]) -> str:
        env = {key: value for key, value in os.environ.items() if key != HUGE_PAGES_VARIABLE} | environment
        command = [sys.executable, "-c", script]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()[-1]

    assert offsets({}) == "[0, 0, 0]"
    assert offsets({HUGE_PAGES_VARIABLE: "0"}) != "[0, 0, 0]"  # the user's word stands
