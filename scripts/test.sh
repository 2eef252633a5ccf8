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
"$PYTHON" -m pytest -q "$@"
