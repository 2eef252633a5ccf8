#!/usr/bin/env bash
# Install attn (and the given extras) into the current Python, editable.
# torch comes first as the CPU build when absent: a bare `torch` requirement would pull a
# multi-GB CUDA build. Usage: scripts/install.sh [EXTRAS]   e.g. scripts/install.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c "import torch" >/dev/null 2>&1; then
  # From PyTorch's CPU index (PyPI's torch is the CUDA build), with pip's configured find-links and
  # extra indexes beside it; where that fails (no way to it), from pip's configured sources alone.
  "$PYTHON" -m pip install --quiet --retries 0 --index-url https://download.pytorch.org/whl/cpu \
    "torch==2.13.0" 2>/dev/null || "$PYTHON" -m pip install --quiet "torch==2.13.0"
fi
target="."
if [ -n "${1:-}" ]; then target=".[$1]"; fi
"$PYTHON" -m pip install --quiet --disable-pip-version-check -e "$target"
