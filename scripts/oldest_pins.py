"""Print pip constraints that install the oldest release of each runtime dependency pyproject.toml
allows (each `>=` bound exactly), with the releases of their own time that those need beside today's
(scripts/test_oldest.sh installs them and runs the tests). Usage: python scripts/oldest_pins.py"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

# What the oldest releases need that pip would otherwise take from today's: torch 2.3 was built
# against NumPy 1 (NumPy 2 cannot run its extension), and pyarrow from 22 on needs NumPy 2, where
# the oldest `datasets` allowed takes pyarrow 21 and later.
OF_THEIR_TIME = ["numpy<2", "pyarrow==21.0.0"]


def _dependencies(pyproject: Path) -> list[Any]:
    """[project] dependencies of `pyproject`: by tomllib where Python has it (3.11), else from the
    array's text, a list of plain strings and so a Python literal too."""
    text = pyproject.read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        listed = re.search(r"^dependencies = (\[.*?\n\])", text, re.M | re.S)
        if listed is None:
            raise ValueError(f"{pyproject} lists no dependencies") from None
        return list(ast.literal_eval(listed[1]))
    return list(tomllib.loads(text)["project"]["dependencies"])


def oldest_pins(pyproject: Path = PYPROJECT) -> list[str]:
    """`name==bound` for each runtime dependency of `pyproject` with a `>=` bound, then OF_THEIR_TIME.
    A dependency without one, or with extras or an environment marker (which a pin would drop), is
    refused: its oldest release is not stated, or not for every machine."""
    pins = []
    for requirement in _dependencies(pyproject):
        match = re.fullmatch(r"\s*([A-Za-z0-9._-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(?:,[^;\[]*)?", requirement)
        if match is None:
            raise ValueError(f"{requirement!r} in {pyproject} has no plain '>=' bound to test")
        pins.append(f"{match[1]}=={match[2]}")
    return pins + OF_THEIR_TIME


if __name__ == "__main__":
    sys.stdout.write("".join(f"{pin}\n" for pin in oldest_pins()))
