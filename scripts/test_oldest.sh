#!/usr/bin/env bash
# The test suite against the oldest release of each runtime dependency pyproject.toml allows (every
# `>=` bound installed exactly: scripts/oldest_pins.py), in a virtual environment of its own, so that
# the bounds it states are releases attn is tested with. Not part of scripts/test.sh: torch's oldest
# allowed release comes from PyPI as a CUDA build, about 3 GB with its NVIDIA libraries, for Python
# 3.10 to 3.12 (torch 2.3 has no build for 3.13).
# Usage: [OLDEST_VENV=FOLDER] [PYTHON=python3.10] scripts/test_oldest.sh [PYTEST ARGS...]
# OLDEST_VENV defaults to .venv-oldest in the repository; a relative one is taken from there too.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${OLDEST_VENV:-.venv-oldest}"
# The Python the tests will run on: an existing venv's own, else the one it is to be made with.
runs_on="$PYTHON"
[ -x "$VENV/bin/python" ] && runs_on="$VENV/bin/python"
if ! "$runs_on" -c 'import sys; sys.exit(sys.version_info >= (3, 13))'; then
  echo "error: $runs_on is Python 3.13 or later, for which torch 2.3 has no build; pass PYTHON=python3.12 (or 3.10, 3.11) and a new OLDEST_VENV" >&2
  exit 2
fi
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
VENV="$(cd "$VENV" && pwd)"
constraints="$VENV/oldest-constraints.txt"
"$VENV/bin/python" scripts/oldest_pins.py >"$constraints"
names=$(cut -d'=' -f1 "$constraints" | cut -d'<' -f1)
# The pins constrain the whole install, attn's own requirements and the test tools' alike. A blank
# PIP_CONSTRAINT replaces a constraint file pip's configuration names (an empty one is ignored),
# which could cap a pin away; the pins are the only constraints here.
# shellcheck disable=SC2086 # the names are plain package names, one word each
PIP_CONSTRAINT=" " "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  -c "$constraints" $names -e ".[dev]"
"$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null |
  grep -i -E "^($(echo $names | tr ' ' '|')|pandas) " || true
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PATH="$VENV/bin:$PATH"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
