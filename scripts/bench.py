#!/usr/bin/env python3
"""Benchmark attn beside what users would pick instead (TF-IDF + linear models, fastText) in one run.

    scripts/install.sh bench             # scikit-learn and fasttext-wheel, never runtime dependencies
    python scripts/fetch_bbc_news.py     # BBC News into data/bbc_news, its headlines into data/bbc_headlines
    python scripts/bench.py [--quick]    # writes BENCHMARKS.md and bench-results.json

A run on another kind of CPU is kept beside the run of record, and each report links the others:

    python scripts/bench.py --markdown docs/benchmarks-CPU.md --json docs/bench-results-CPU.json
    python scripts/bench.py --report bench-results.json   # BENCHMARKS.md again, now linking it

Every system trains in a fresh child process of this script, so each one's wall time and peak resident
memory (ru_maxrss from wait4) are its own. Short measurements are repeated: the tables give the median
with min and max, since the machine is noisy. --quick (about 10 minutes) cuts repetitions, seeds and
the scaling sizes; the full run (about 22 minutes) adds seeds 1 and 2 and the 1M-row scaling point.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "The striker scored twice as the champions won the derby."
SYNTHETIC_WORDS = {
    "food": "pasta bread cheese soup salad recipe chef".split(),
    "sport": "football tennis goal match coach league striker".split(),
    "tech": "software laptop chip robot internet phone data".split(),
    "money": "bank shares profit market tax price fund".split(),
}
FILLER = "the a of and to in was is it on with for this that today people said very new".split()
# The small model of the scaling runs: short texts, so rows dominate the cost.
# Every sized setting is given, so each size trains the same model (sizing would change it with the rows).
SCALING_MODEL = [
    "model.embed_dim=64",
    "model.num_heads=2",
    "model.ff_dim=128",
    "model.max_length=32",
    "model.num_layers=1",
    "model.dropout=0.1",
    "model.pooling_heads=2",
    "tokenizer.kind=wordpiece",
    "tokenizer.min_frequency=2",
]


# ---------------------------------------------------------------- measuring helpers


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


# Children and timed commands never reach for the Hugging Face Hub.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def run_measured_rss(command: list[str]) -> tuple[str, float, float]:
    """Run `command` and return its stdout, wall seconds and peak RSS (MB) from wait4."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **OFFLINE_ENV}
    )
    # wait4 returns the child's own rusage; reading its pipes first keeps it from blocking on output.
    stdout = process.stdout.read()  # type: ignore[union-attr]
    stderr = process.stderr.read()  # type: ignore[union-attr]
    _, status, rusage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"error: {' '.join(command)} failed:\n{stderr[-3000:]}")
    return stdout, time.perf_counter() - started, rusage.ru_maxrss / 1024


def run_child(name: str, *args: str) -> tuple[dict[str, Any], float, float]:
    """Run `bench.py --child NAME ARGS` and return its JSON result, wall seconds and peak RSS (MB)."""
    stdout, wall, rss = run_measured_rss(
        [sys.executable, str(Path(__file__).resolve()), "--child", name, *args]
    )
    return json.loads(stdout.strip().splitlines()[-1]), wall, rss


def time_command(command: list[str], repeats: int) -> dict[str, float]:
    """Wall seconds of a fresh process running `command`, `repeats` times."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env={**os.environ, **OFFLINE_ENV})
        times.append(time.perf_counter() - started)
    return spread(times)


# A multiply slower than this stops the peak's sizes from growing.
SLOW_MULTIPLY_S = 0.5


def byte_compile_attn() -> bool:
    """Whether attn's modules have bytecode for this Python, compiled here where they had none."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("attncli")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    return bool(folders) and all(compileall.compile_dir(folder, quiet=1) for folder in folders)


def gemm_peak_gflops(dtype_name: str, repeats: int) -> float:
    """Best sustained torch.mm rate on this machine, in GFLOP/s, over a few square sizes."""
    import torch

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    best = 0.0
    for size in (512, 1024, 2048):
        a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
        started = time.perf_counter()
        torch.mm(a, b)  # warm-up
        slow = time.perf_counter() - started > SLOW_MULTIPLY_S
        rates = []
        for _ in range(repeats):
            started = time.perf_counter()
            torch.mm(a, b)
            rates.append(2 * size**3 / (time.perf_counter() - started) / 1e9)
        best = max(best, statistics.median(rates))
        if slow:  # bf16 without hardware support: 2048 would take minutes for the same rate
            break
    return best


def attn_forward_flops(model: dict[str, Any], lengths: Sequence[int], num_labels: int) -> float:
    """Forward FLOPs of the model over texts of these token lengths, padding not counted, matrix
    multiplies only (a backward costs twice as much). Per text of L tokens: in each layer the q, k, v
    and output projections (8 L D^2), the feed-forward (4 L D F), and attention's scores and weighted
    sum over the text's own length (4 L^2 D); attention pooling's key projection (2 L D^2), its
    scores and weighted sum (4 L D); the head (2 D labels). Not counted: the projection of pretrained
    vectors of another width (2 L E D; neither benchmarked model has one). An earlier count took
    attention at the mean length of the training texts and left out the pooling's projection: on BBC
    News 9% fewer FLOPs a training token and 12% fewer a test article."""
    width, ff, layers = model["embed_dim"], model["ff_dim"], model["num_layers"]
    pooling = 2 * width * width + 4 * width if model.get("pooling", "attention") == "attention" else 0
    total = 0.0
    for length in lengths:
        length += model.get("pooling") == "cls"  # the classification token the model prepends
        per_layer = 8 * length * width * width + 4 * length * width * ff + 4 * length * length * width
        total += layers * per_layer + length * pooling + 2 * width * num_labels
    return total


# ---------------------------------------------------------------- children: one system each


def read_jsonl(path: Path) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["text"] for row in rows], [row["label"] for row in rows]


def macro_f1_of(truth: list[str], predicted: list[str]) -> float:
    from attncli.metrics import confusion_matrix, macro_f1

    labels = sorted(set(truth) | set(predicted))
    index = {label: position for position, label in enumerate(labels)}
    return macro_f1(confusion_matrix([index[t] for t in truth], [index[p] for p in predicted], len(labels)))


def bbc_config(data: str, seed: int | str) -> Any:
    """configs/bbc.yaml on `data` with `seed`: what the benchmark trains and profiles."""
    from attncli.config_loading import load_config

    return load_config(ROOT / "configs" / "bbc.yaml", [f"data.source={data}", f"train.seed={seed}"])


def child_attn(data: str, output: str, repeats: str, seed: str) -> dict[str, Any]:
    import datasets  # noqa: F401  (imported first, so the probe's first figure counts every library)
    import torch  # noqa: F401
    from bench_profile import MemoryProbe

    from attncli.checkpoint import load_checkpoint
    from attncli.evaluation import evaluate
    from attncli.prediction import predict
    from attncli.tokenization import token_ids
    from attncli.train import train

    config = bbc_config(data, seed)
    memory = MemoryProbe()
    started = time.perf_counter()
    result = train(config, output=Path(output), overwrite=True, reporter=memory)
    train_s = time.perf_counter() - started
    train_memory = memory.summary()  # before evaluation and prediction add their own
    checkpoint = load_checkpoint(output, device="cpu")
    report = evaluate(checkpoint, data, split="test")
    texts, _ = read_jsonl(Path(data) / "test.jsonl")
    times, peaks = [], []
    for _ in range(int(repeats)):
        # The machine's speed drifts over minutes: each timing is judged against a peak measured just
        # before it, as the profile does.
        peaks.append(gemm_peak_gflops("fp32", 5))
        started = time.perf_counter()
        predict(checkpoint, texts)  # the path `attn predict` takes
        times.append(time.perf_counter() - started)
    train_texts, _ = read_jsonl(Path(data) / "train.jsonl")
    model, num_labels = result.config.model.__dict__, len(result.info.label_names)  # as sized

    def lengths_of(texts: list[str]) -> list[int]:
        encoded = token_ids(
            checkpoint.tokenizer,
            texts,
            max_length=config.model.max_length,
            truncation=config.model.truncation,
        )
        return [len(ids) for ids, _ in encoded]

    lengths, test_lengths = lengths_of(train_texts), lengths_of(texts)
    forward_flops_per_doc = attn_forward_flops(model, test_lengths, num_labels) / len(test_lengths)
    return {
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "train_s": train_s,
        "train_loop_s": sum(record.seconds for record in result.history),
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "tokens_per_s": statistics.median(record.tokens_per_second for record in result.history),
        "mean_tokens_per_text": statistics.mean(lengths),
        # Model FLOPs counted on each text's own length: training's per token, prediction's per test document.
        "train_flops_per_token": 3 * attn_forward_flops(model, lengths, num_labels) / sum(lengths),
        "forward_flops_per_doc": forward_flops_per_doc,
        "predict_docs_per_s": len(texts) / statistics.median(times),
        "predict_peak_gflops": statistics.median(peaks),
        # Each timing's documents/s over the physical limit at the peak measured just before it: the
        # spread of the share the report gives for the medians of both.
        "predict_share_runs": [
            len(texts) / seconds / (peak * 1e9 / forward_flops_per_doc)
            for seconds, peak in zip(times, peaks, strict=True)
        ],
        "model": model,
        "precision": result.info.precision,
        "padding_fraction": statistics.mean(record.padding_fraction for record in result.history),
        "num_labels": num_labels,
        "num_parameters": result.info.num_parameters,
        "train_memory": train_memory,
    }


def child_tfidf(data: str, setting: str, repeats: str, model_path: str) -> dict[str, Any]:
    """Fit the TF-IDF pipeline `repeats` times (a fit is short, so one timing would be noise), then
    predict the test set as often, and save the last fit for the predict-memory child."""
    import joblib  # comes with scikit-learn: its own way to save a fitted pipeline

    train_texts, train_labels = read_jsonl(Path(data) / "train.jsonl")
    test_texts, test_labels = read_jsonl(Path(data) / "test.jsonl")
    fit_times, pipeline = [], None
    for _ in range(int(repeats)):
        pipeline = tfidf_pipeline(setting)
        started = time.perf_counter()
        pipeline.fit(train_texts, train_labels)
        fit_times.append(time.perf_counter() - started)
    predict_times = []
    for _ in range(int(repeats)):
        started = time.perf_counter()
        predicted = list(pipeline.predict(test_texts))
        predict_times.append(time.perf_counter() - started)
    joblib.dump(pipeline, model_path)
    return quality_of(predicted, test_labels, fit_times, predict_times)


def tfidf_pipeline(setting: str) -> Any:
    """`logreg` or `svm` on TF-IDF word 1-2 grams; `chars_logreg`, `chars_svm` add character 2-5
    grams within words (the strongest linear models on short texts)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    model = LogisticRegression(max_iter=1000) if setting.endswith("logreg") else LinearSVC()
    features = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    if setting.startswith("chars"):
        characters = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        return make_pipeline(make_union(features, characters), model)
    return make_pipeline(features, model)


def quality_of(
    predicted: list[str], truth: list[str], fit_times: list[float], predict_times: list[float]
) -> dict[str, Any]:
    return {
        "accuracy": sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth),
        "macro_f1": macro_f1_of(truth, predicted),
        "train_s": statistics.median(fit_times),
        "train_s_spread": spread(fit_times),
        "predict_docs_per_s": len(truth) / statistics.median(predict_times),
    }


FASTTEXT_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "tuned": {"epoch": 50, "wordNgrams": 2, "lr": 0.5},
}


def child_fasttext(data: str, setting: str, repeats: str, model_path: str) -> dict[str, Any]:
    import fasttext

    train_texts, train_labels = read_jsonl(Path(data) / "train.jsonl")
    test_texts, test_labels = read_jsonl(Path(data) / "test.jsonl")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as file:
        for text, label in zip(train_texts, train_labels, strict=True):
            file.write(f"__label__{label} {' '.join(text.split())}\n")
    options = FASTTEXT_SETTINGS[setting]
    fit_times, model = [], None
    for _ in range(int(repeats)):
        started = time.perf_counter()
        model = fasttext.train_supervised(file.name, verbose=0, **options)
        fit_times.append(time.perf_counter() - started)
    os.unlink(file.name)
    model.save_model(model_path)
    flat = [" ".join(text.split()) for text in test_texts]
    predict_times = []
    for _ in range(int(repeats)):
        started = time.perf_counter()
        predicted = fasttext_predict(model, flat)
        predict_times.append(time.perf_counter() - started)
    return {**quality_of(predicted, test_labels, fit_times, predict_times), "options": options or "defaults"}


def fasttext_predict(model: Any, texts: list[str]) -> list[str]:
    # fasttext-wheel fails under numpy 2 when predict gets a single string, so it always gets a list.
    labels, _ = model.predict(texts)
    return [label[0].removeprefix("__label__") for label in labels]


def child_predict(system: str, model_path: str, data: str) -> dict[str, Any]:
    """Load a saved baseline and label the whole test set: run alone so its peak memory is its own."""
    texts, _ = read_jsonl(Path(data) / "test.jsonl")
    if system == "fasttext":
        import fasttext

        predicted = fasttext_predict(fasttext.load_model(model_path), [" ".join(t.split()) for t in texts])
    else:
        import joblib

        predicted = list(joblib.load(model_path).predict(texts))
    return {"documents": len(predicted)}


def synthetic_rows(count: int, seed: int) -> Iterator[tuple[str, str]]:
    """(text, label) rows, generated one at a time so writing a million keeps no list of them."""
    rng = random.Random(seed)
    labels = list(SYNTHETIC_WORDS)
    for index in range(count):
        label = labels[index % len(labels)]
        words = [rng.choice(FILLER) for _ in range(rng.randint(6, 14))]
        words.insert(rng.randrange(len(words) + 1), rng.choice(SYNTHETIC_WORDS[label]))
        yield " ".join(words), label


class AnonymousPeak:
    """The highest anonymous resident memory (RssAnon in /proc/self/status) seen while running,
    sampled every 10 ms. That is the memory the process owns; ru_maxrss also counts pages of
    memory-mapped files (the Arrow dataset, the packed token ids), which the kernel can drop and
    read back. None where /proc is missing."""

    def __init__(self) -> None:
        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> AnonymousPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            current = anonymous_rss_mb()
            if current is None:
                return
            self.peak_mb = max(self.peak_mb or 0.0, current)
            if self._stop.wait(0.01):
                return


def anonymous_rss_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def child_scale(rows: str, folder: str) -> dict[str, Any]:
    """One epoch on `rows` synthetic short texts, with the CSV written before the clock starts."""
    import csv

    from attncli.config_loading import load_config
    from attncli.train import train

    path = Path(folder) / "train.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label"])
        writer.writerows(synthetic_rows(int(rows), seed=0))
    config = load_config(
        None, [*SCALING_MODEL, f"data.source={path}", "train.epochs=1", "train.batch_size=64"]
    )
    started = time.perf_counter()
    with AnonymousPeak() as anonymous:
        result = train(config, output=Path(folder) / "run", overwrite=True)
    return {
        "rows": int(rows),
        "total_s": time.perf_counter() - started,
        "epoch_s": result.history[0].seconds,
        "tokens_per_s": result.history[0].tokens_per_second,
        "peak_anonymous_mb": anonymous.peak_mb,
    }


def child_seqlen(impl: str, length: str, repeats: str) -> dict[str, Any]:
    """Forward+backward of one 1-layer model over a batch of 4 sequences of `length` tokens."""
    import torch

    from attncli.model import build_model
    from attncli.model_config import ModelConfig

    torch.manual_seed(0)
    config = ModelConfig(embed_dim=128, num_heads=4, ff_dim=256, max_length=int(length), attention_impl=impl)
    model = build_model(config, vocab_size=1000, num_labels=4, pad_id=0)
    input_ids = torch.randint(1, 1000, (4, int(length)))
    times = []
    for _ in range(int(repeats) + 1):  # the first run warms up and is not counted
        started = time.perf_counter()
        model(input_ids).logits.sum().backward()
        times.append(time.perf_counter() - started)
    return spread(times[1:])


def child_profile(data: str, checkpoint_path: str, seed: str) -> dict[str, Any]:
    """Where the time goes: configs/bbc.yaml's training steps, and batch prediction of the test set with
    the checkpoint it trained (scripts/bench_profile.py)."""
    from bench_profile import profile_prediction, profile_training

    from attncli.checkpoint import load_checkpoint

    texts, _ = read_jsonl(Path(data) / "test.jsonl")
    checkpoint = load_checkpoint(Path(checkpoint_path), device="cpu")
    # This machine's speed drifts over minutes: the kernels' rates are judged against a peak measured
    # in the same minute, just before.
    return {
        "peak_gflops": {name: gemm_peak_gflops(name, 5) for name in ("fp32", "bf16")},
        "training": profile_training(bbc_config(data, seed)),
        "prediction": profile_prediction(checkpoint, texts),
    }


# The CPU features that decide matrix speed, recorded with every run.
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16")
# (result name, child, its setting, suffix of the saved model) of each baseline.
BASELINES = (
    ("tfidf_logreg", "tfidf", "logreg", "joblib"),
    ("tfidf_svm", "tfidf", "svm", "joblib"),
    ("fasttext", "fasttext", "default", "bin"),
    ("fasttext_tuned", "fasttext", "tuned", "bin"),
)
# The baselines that add character n-grams: judged only in the defaults section.
CHAR_BASELINES = (
    ("tfidf_chars_logreg", "tfidf", "chars_logreg", "joblib"),
    ("tfidf_chars_svm", "tfidf", "chars_svm", "joblib"),
)
DEFAULT_SEEDS = (0, 1, 2)
CHILDREN = {
    "attn": child_attn,
    "tfidf": child_tfidf,
    "fasttext": child_fasttext,
    "predict": child_predict,
    "scale": child_scale,
    "seqlen": child_seqlen,
    "profile": child_profile,
}


# ---------------------------------------------------------------- the run


def machine() -> dict[str, Any]:
    import torch

    model_name, flags = platform.processor(), set()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model_name = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    return {
        "cores": os.cpu_count(),
        "cpu": model_name,
        "flags": [flag for flag in CPU_FLAGS if flag in flags],
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def attn_cli_run(data: str, folder: Path, seed: int, *extra: str) -> dict[str, Any]:
    """`attn train` as a user runs it, timed whole (start-up included), then `attn eval` on test."""
    from attncli.sized_settings import SIZED_KEYS

    attn_command = shutil.which("attn") or "attn"
    command = [attn_command, "train", data, "-o", str(folder), "--seed", str(seed), "--overwrite", *extra]
    _, wall, rss = run_measured_rss(command)
    report, _, _ = run_measured_rss([attn_command, "eval", str(folder), data, "--split", "test", "--json"])
    evaluated = json.loads(report)
    metrics = json.loads((folder / "best" / "metrics.json").read_text(encoding="utf-8"))
    config = json.loads((folder / "best" / "config.json").read_text(encoding="utf-8"))["config"]
    return {
        "seed": seed,
        "accuracy": evaluated["accuracy"],
        "macro_f1": evaluated["macro_f1"],
        "train_s": wall,
        "peak_rss_mb": rss,
        "best_epoch": metrics["best_epoch"],
        "epochs": len(metrics["history"]),
        "num_parameters": metrics["num_parameters"],
        "settings": {key: config[key.split(".")[0]][key.split(".")[1]] for key in SIZED_KEYS},
    }


def run_defaults(
    tasks: dict[str, Path], bbc: dict[str, Any], work: Path, repeats: int, seeds: tuple[int, ...]
) -> dict[str, Any]:
    """Issue #9's judgement: attn with no config file against every baseline, on long and short texts,
    seed by seed; on the articles also configs/bbc.yaml, timed the same way."""
    results: dict[str, Any] = {}
    for task, folder in tasks.items():
        data = str(folder)
        baselines: dict[str, Any] = {}
        for name, system, setting, suffix in BASELINES + CHAR_BASELINES:
            if task == "articles" and name in bbc:
                baselines[name] = bbc[name]  # measured above on the same split
                continue
            log(f"{task}: training {name} ({repeats} fits)")
            model_path = str(work / f"{task}-{name}.{suffix}")
            baselines[name], _, _ = run_child(system, data, setting, str(repeats), model_path)
        runs = []
        for seed in seeds:
            log(f"{task}: attn train with its defaults, seed {seed}")
            runs.append(attn_cli_run(data, work / f"defaults-{task}-{seed}", seed))
        results[task] = {"baselines": baselines, "attn": runs}
        if task == "articles":
            config_runs = []
            for seed in seeds:
                log(f"{task}: attn train --config configs/bbc.yaml, seed {seed}")
                config_file = str(ROOT / "configs" / "bbc.yaml")
                config_runs.append(attn_cli_run(data, work / f"config-{seed}", seed, "--config", config_file))
            results[task]["attn_bbc_yaml"] = config_runs
    return results


def run(args: argparse.Namespace) -> dict[str, Any]:
    data = str(args.data)
    for folder in (args.data, args.headlines):
        if not (folder / "train.jsonl").is_file():
            raise SystemExit(f"error: no BBC News in {folder}; run python scripts/fetch_bbc_news.py first")
    repeats = 3 if args.quick else 5
    work = Path(tempfile.mkdtemp(prefix="attn-bench-"))
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    try:
        log("measuring the torch.mm peak")
        results["gemm_peak_gflops"] = {name: gemm_peak_gflops(name, repeats) for name in ("fp32", "bf16")}
        bbc: dict[str, Any] = {}
        # One run's accuracy moves by a point with the seed, so the full run trains attn with seeds
        # 0, 1 and 2 and reports the run of median accuracy, with the spread.
        runs = []
        for seed in range(1 if args.quick else 3):
            log(f"training attn on BBC News (configs/bbc.yaml), seed {seed}")
            checkpoint = work / f"attn-bbc-{seed}"
            attn, _, rss = run_child("attn", data, str(checkpoint), str(repeats), str(seed))
            runs.append({**attn, "peak_rss_mb": rss, "checkpoint": str(checkpoint), "seed": seed})
        runs.sort(key=lambda run: run["accuracy"])
        attn = runs[len(runs) // 2]
        checkpoint = Path(attn.pop("checkpoint"))
        attn["accuracy_runs"] = [run["accuracy"] for run in runs]
        attn["train_s_runs"] = [run["train_s"] for run in runs]
        # Time is a property of the setting, not of one run: the median over the runs.
        attn["train_s"] = statistics.median(attn["train_s_runs"])
        attn["train_s_spread"] = spread(attn["train_s_runs"])
        flops = attn["train_flops_per_token"]
        attn["train_gflops_per_s"] = flops * attn["tokens_per_s"] / 1e9
        # Judged against the peak of the precision training ran in (bf16 where `auto` picks it:
        # CUDA, or a CPU with AMX for self-attention layers of width 256 or more).
        attn["mfu"] = attn["train_gflops_per_s"] / results["gemm_peak_gflops"][attn["precision"]]
        # Batch prediction runs in fp32; its physical limit is the fp32 peak over the forward FLOPs
        # of an average test document.
        forward_flops_per_doc = attn["forward_flops_per_doc"]
        attn["predict_limit_docs_per_s"] = attn["predict_peak_gflops"] * 1e9 / forward_flops_per_doc
        attn["predict_share_of_limit"] = attn["predict_docs_per_s"] / attn["predict_limit_docs_per_s"]
        bbc["attn"] = attn
        log("profiling configs/bbc.yaml's training steps and batch prediction")
        profile, _, _ = run_child("profile", data, str(checkpoint), str(attn["seed"]))
        # The FLOPs utilisation counts: the model's, for the real tokens of the profiled steps and
        # for the profiled documents (as the full-run figures above count them).
        profile["training"]["model_flops"] = flops * profile["training"]["tokens"]
        profile["prediction"]["model_flops"] = forward_flops_per_doc * profile["prediction"]["documents"]
        results["profile"] = profile
        for name, system, setting, suffix in BASELINES:
            log(f"training {name} ({repeats} fits)")
            model_path = str(work / f"{name}.{suffix}")
            bbc[name], _, rss = run_child(system, data, setting, str(repeats), model_path)
            bbc[name]["peak_rss_mb"] = rss
            bbc[name]["predict_peak_rss_mb"] = run_child("predict", system, model_path, data)[2]
        results["bbc"] = bbc
        tasks = {"articles": args.data, "headlines": args.headlines}
        seeds = DEFAULT_SEEDS[:1] if args.quick else DEFAULT_SEEDS
        results["defaults"] = run_defaults(tasks, bbc, work, repeats, seeds)

        log("predict memory and cold starts")
        texts_file = work / "test.txt"
        texts_file.write_text("\n".join(" ".join(t.split()) for t in read_jsonl(args.data / "test.jsonl")[0]))
        attn_command = shutil.which("attn") or "attn"
        predict_command = [attn_command, "predict", str(checkpoint), "--file", str(texts_file), "--json"]
        _, predict_wall, predict_rss = run_measured_rss(predict_command)
        bbc["attn"]["predict_peak_rss_mb"] = predict_rss
        bbc["attn"]["predict_cli_wall_s"] = predict_wall
        bbc["attn"]["predict_cli_docs_per_s"] = len(read_jsonl(args.data / "test.jsonl")[0]) / predict_wall
        model_file = str(work / "fasttext_tuned.bin")
        fasttext_load = f"import fasttext; fasttext.load_model({model_file!r}).predict([{SENTENCE!r}])"
        # As a wheel's install does (pip byte-compiles it), so that attn is not timed compiling its
        # own modules: an editable install under PYTHONDONTWRITEBYTECODE=1 (set on some machines)
        # compiles about 80 of them at every start, about 0.07 s, where torch's come compiled.
        results["attn_byte_compiled"] = byte_compile_attn()
        cold = {
            "attn_predict": time_command([attn_command, "predict", str(checkpoint), SENTENCE], repeats=5),
            "import_torch": time_command([sys.executable, "-c", "import torch"], repeats=5),
            "fasttext": time_command([sys.executable, "-c", fasttext_load], repeats=5),
        }
        results["cold_start_s"] = {name: value["median"] for name, value in cold.items()}
        results["cold_start_spread"] = cold

        scaling: dict[str, Any] = {"rows": [], "sequence_length": []}
        for rows in (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000):
            log(f"scaling: one epoch on {rows:,} synthetic rows")
            folder = work / f"scale-{rows}"
            folder.mkdir()
            point, _, rss = run_child("scale", str(rows), str(folder))
            point["peak_rss_mb"] = rss
            scaling["rows"].append(point)
            shutil.rmtree(folder, ignore_errors=True)
        for length in (128, 512, 2048, 4096):
            for impl in ("fused", "explicit"):
                log(f"sequence length {length}, {impl} attention")
                reps = "2" if length >= 2048 else str(repeats)
                timing, _, rss = run_child("seqlen", impl, str(length), reps)
                scaling["sequence_length"].append(
                    {"length": length, "impl": impl, **timing, "peak_rss_mb": rss}
                )
        results["scaling"] = scaling
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def other_reports(markdown: Path) -> list[Path]:
    """The reports of runs on other kinds of CPU kept beside this one: BENCHMARKS.md (the run of record)
    and docs/benchmarks-*.md, each with its own JSON."""
    reports = [ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("benchmarks-*.md"))]
    return [report for report in reports if report.is_file() and report.resolve() != markdown.resolve()]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions, seeds and sizes (about 10 minutes)"
    )
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bbc_news")
    parser.add_argument("--headlines", type=Path, default=ROOT / "data" / "bbc_headlines")
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="JSON",
        help="write --markdown again from a saved run's figures, without running anything",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from attncli.allocator import prefer_huge_pages

    prefer_huge_pages()  # as `attn` does, in this process (the torch.mm peak) and every child
    if args.child:
        name, *child_args = args.child
        print(json.dumps(CHILDREN[name](*child_args)))
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_report import write_markdown

    if args.report:
        saved = json.loads(args.report.read_text(encoding="utf-8"))
        write_markdown(
            saved, args.markdown, json_path=args.report.resolve(), others=other_reports(args.markdown)
        )
        log(f"wrote {args.markdown.name} from {args.report.name}")
        return
    started = time.perf_counter()
    results = run(args)
    results["bench_seconds"] = time.perf_counter() - started
    results["command"] = shlex.join(["python", "scripts/bench.py", *sys.argv[1:]])
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results, args.markdown, json_path=args.json.resolve(), others=other_reports(args.markdown))
    log(f"done in {results['bench_seconds']:.0f} s: wrote {args.json.name} and {args.markdown.name}")


if __name__ == "__main__":
    main()
