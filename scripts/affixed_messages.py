#!/usr/bin/env python3
"""Generate support messages in a language that attaches particles to its words, with a "hard"
test set whose keywords carry particles training never put on them (docs/short_texts.md, "Subword
dropout"); with --compare, train and evaluate attn on them with and without train.subword_dropout.

    python scripts/affixed_messages.py OUT [--seed N] [--compare] [--runs 3]

OUT gets train.jsonl (480 messages over 4 intents), test.jsonl (160, the particles of training) and
hard.jsonl (160, the keywords with other particles). Korean nouns and particles, put together without
regard to grammar: what matters is that the hard set's forms of each keyword are new to the model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

KEYWORDS = {
    "billing": ["결제", "요금", "청구서", "카드", "영수증", "할부"],
    "delivery": ["배송", "택배", "주소", "도착", "송장", "출고"],
    "account": ["계정", "비밀번호", "로그인", "아이디", "인증", "회원"],
    "refund": ["환불", "반품", "취소", "교환", "반송", "돈"],
}
NOUNS = "문의 고객 상품 주문 시간 오늘 어제 내일 문제 확인 처리 답변 센터 직원 방법 이번".split()
ENDINGS = (
    "해주세요 언제 되나요 안돼요 했는데 어떻게 빨리 부탁드립니다 왜 아직 좀 알려주세요 감사합니다 급해요"
).split()
TRAINING_PARTICLES = ["을", "이", "은", "에", "도", "의"]
NEW_PARTICLES = ["를", "가", "는", "에서", "으로", "까지", "만", "부터"]
SPLITS = {"train": (480, TRAINING_PARTICLES), "test": (160, TRAINING_PARTICLES), "hard": (160, NEW_PARTICLES)}


def message(rng: random.Random, intent: str, particles: list[str]) -> str:
    """One to three other nouns (with any particle), one to three endings, and one or two of the
    intent's keywords with one of `particles`."""
    words = [
        rng.choice(NOUNS) + rng.choice([*TRAINING_PARTICLES, *NEW_PARTICLES, ""])
        for _ in range(rng.randint(1, 3))
    ]
    words += [rng.choice(ENDINGS) for _ in range(rng.randint(1, 3))]
    rng.shuffle(words)
    for _ in range(rng.choice([1, 1, 2])):
        words.insert(rng.randrange(len(words) + 1), rng.choice(KEYWORDS[intent]) + rng.choice(particles))
    return " ".join(words)


def generate(folder: Path, seed: int) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (count, particles) in SPLITS.items():
        rows = [
            {"text": message(rng, intent, particles), "label": intent}
            for intent in KEYWORDS
            for _ in range(count // len(KEYWORDS))
        ]
        rng.shuffle(rows)
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (folder / f"{name}.jsonl").write_text(lines, encoding="utf-8")


def _accuracy(run: Path, data: Path, environment: dict[str, str]) -> float:
    command = [sys.executable, "-m", "attncli", "eval", str(run / "best"), str(data), "--json"]
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
    return float(json.loads(result.stdout)["accuracy"])


def compare(folder: Path, runs: int) -> None:
    """Train with the sized defaults and with train.subword_dropout=0, seeds 0 to runs - 1."""
    root = Path(__file__).resolve().parents[1]
    environment = {**os.environ, "PYTHONPATH": str(root), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    for label, settings in (
        ("sized (subword dropout 0.1)", []),
        ("subword dropout 0", ["--set", "train.subword_dropout=0"]),
    ):
        for seed in range(runs):
            run = folder / "runs" / f"{'sized' if not settings else 'off'}-{seed}"
            command = [
                sys.executable, "-m", "attncli", "train", str(folder / "train.jsonl"), "-o", str(run),
                "--overwrite", "--set", f"train.seed={seed}", *settings,
            ]  # fmt: skip
            subprocess.run(command, capture_output=True, check=True, env=environment)
            test = _accuracy(run, folder / "test.jsonl", environment)
            hard = _accuracy(run, folder / "hard.jsonl", environment)
            print(f"{label}, seed {seed}: test {test:.1%}, hard {hard:.1%}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write train.jsonl, test.jsonl and hard.jsonl to")
    parser.add_argument("--seed", type=int, default=0, help="the generator's seed (default 0)")
    parser.add_argument(
        "--compare", action="store_true", help="train and evaluate attn with and without subword dropout"
    )
    parser.add_argument("--runs", type=int, default=3, help="seeds per setting with --compare (default 3)")
    arguments = parser.parse_args()
    generate(arguments.out, arguments.seed)
    if arguments.compare:
        compare(arguments.out, arguments.runs)


if __name__ == "__main__":
    main()
