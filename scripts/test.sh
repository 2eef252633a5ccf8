#!/usr/bin/env bash
# Install the package with its dev tools, then run ruff, mypy and the test suite (slow/gpu/network deselected).
# Extra arguments go to pytest, e.g. scripts/test.sh -m slow
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
scripts/install.sh dev,tensorboard
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
"$PYTHON" -m ruff check attncli tests scripts
"$PYTHON" -m ruff format --check attncli tests scripts
"$PYTHON" -m mypy
# As many workers as cores (pytest-xdist), each test file whole on one of them (its module
# fixtures built once), each worker's torch on one thread: torch's threads of two workers fought
# over 2 cores (6 min in all), where one thread each takes half the serial suite's time. Tests that need more threads set them for their own processes.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
"$PYTHON" -m pytest -q --numprocesses auto --dist loadfile "$@"
