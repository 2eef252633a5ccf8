#!/usr/bin/env bash
# The test suite against the oldest release of each runtime dependency pyproject.toml allows (every
# `>=` bound installed exactly: scripts/oldest_pins.py), in a virtual environment of its own, so that
# the bounds it states are releases attn is tested with. Not part of scripts/test.sh: torch's oldest
# allowed release comes from PyPI as a CUDA build, about 3 GB with its NVIDIA libraries.
# Usage: scripts/test_oldest.sh [VENV] [PYTEST ARGS...]   (VENV defaults to .venv-oldest)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${1:-.venv-oldest}"
shift || true
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
VENV="$(cd "$VENV" && pwd)"
constraints="$VENV/oldest-constraints.txt"
"$PYTHON" scripts/oldest_pins.py >"$constraints"
# The pins are constraints on the whole install, attn's own requirements and the test tools' alike.
# PIP_CONSTRAINT is replaced, not added to: a machine's own cap on torch would refuse the pin.
PIP_CONSTRAINT="" "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  -c "$constraints" $(cut -d'=' -f1 "$constraints" | cut -d'<' -f1) -e ".[dev]"
"$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null |
  grep -i -E "^($(cut -d'=' -f1 "$constraints" | cut -d'<' -f1 | paste -sd'|')) "
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PATH="$VENV/bin:$PATH"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
