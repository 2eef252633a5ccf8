import time

import pytest
from bench import attn_forward_flops
from bench_report import markdown, reading, targets, write_markdown


def _results(attn_accuracy=0.98, attn_train_s=40.0, cold=1.2):
    def system(accuracy, train_s):
        fits = {"median": train_s, "min": train_s * 0.9, "max": train_s * 1.2, "n": 5}
        return {"accuracy": accuracy, "macro_f1": accuracy, "train_s": train_s, "predict_docs_per_s": 100.0,
                "peak_rss_mb": 300.0, "predict_peak_rss_mb": 200.0, "train_s_spread": fits}  # fmt: skip

    attn = system(attn_accuracy, attn_train_s) | {
        "train_loop_s": 35.0, "epochs": 6, "best_epoch": 4, "tokens_per_s": 1000.0,
        "mean_tokens_per_text": 100.0, "num_parameters": 10, "train_gflops_per_s": 30.0, "mfu": 0.3,
        "predict_cli_wall_s": 2.0, "predict_peak_rss_mb": 500.0, "accuracy_runs": [0.97, 0.98, 0.99],
        "precision": "bf16", "padding_fraction": 0.05,
    }  # fmt: skip
    spread = {"median": cold, "min": cold, "max": cold, "n": 5}
    return {
        "command": "python scripts/bench.py --quick",
        "bench_seconds": 100.0,
        "machine": {
            "cores": 2,
            "cpu": "test cpu",
            "torch": "2.x",
            "torch_threads": 2,
            "python": "3.11",
            "flags": ["avx2", "avx512_bf16"],
        },  # fmt: skip
        "gemm_peak_gflops": {"fp32": 100.0, "bf16": 200.0},
        "bbc": {
            "attn": attn,
            "tfidf_logreg": system(0.96, 5.0),
            "tfidf_svm": system(0.97, 1.0),
            "fasttext": system(0.3, 0.5),
            "fasttext_tuned": system(0.95, 10.0),
        },
        "cold_start_s": {"attn_predict": cold, "import_torch": 1.0, "fasttext": 0.5},
        "cold_start_spread": {"attn_predict": spread, "import_torch": spread, "fasttext": spread},
        "scaling": {
            "rows": [
                {
                    "rows": 10,
                    "epoch_s": 1.0,
                    "tokens_per_s": 5.0,
                    "peak_rss_mb": 100.0,
                    "peak_anonymous_mb": 80.0,
                },
                {
                    "rows": 110,
                    "epoch_s": 11.0,
                    "tokens_per_s": 5.0,
                    "peak_rss_mb": 130.0,
                    "peak_anonymous_mb": 88.0,
                },
            ],
            "sequence_length": [
                {"length": 128, "impl": "fused", "median": 0.01, "peak_rss_mb": 1.0},
                {"length": 128, "impl": "explicit", "median": 0.02, "peak_rss_mb": 2.0},
            ],
        },
    }


def test_targets_are_judged_from_the_figures():
    verdicts = {name: met for name, met, _ in targets(_results())}
    assert verdicts["accuracy at least the best baseline's"] is True
    assert verdicts["training within 10x fastText, defaults"] is False  # 40 s vs 0.5 s = 80x
    assert verdicts["training within 1.5x fastText, 50 epochs, word bigrams, lr 0.5"] is False  # 4x
    assert (
        verdicts["model FLOP utilisation at least 40% of the torch.mm peak of the precision in use"] is False
    )
    assert verdicts["padding under 10% of the positions in training batches"] is True
    assert verdicts["peak memory of BBC training at most 800 MB"] is True
    assert verdicts["cold start at most 1.3x `import torch`"] is True
    worse = {name: met for name, met, _ in targets(_results(attn_accuracy=0.9, cold=1.5))}
    assert not worse["accuracy at least the best baseline's"]
    assert not worse["cold start at most 1.3x `import torch`"]


def test_markdown_has_the_tables_and_says_what_was_missed(tmp_path):
    write_markdown(_results(), tmp_path / "B.md")
    text = (tmp_path / "B.md").read_text()
    assert "python scripts/bench.py --quick" in text and "test cpu" in text
    assert "(CPU flags that matter here: avx2, avx512_bf16; not avx512f, amx_tile, amx_bf16)" in text
    assert "30.0 GFLOP/s of 200.0 (bf16) = 30.0%" in text
    assert "| attn (configs/bbc.yaml) | 98.0% |" in text
    assert (
        "| TF-IDF 1-2 grams + linear SVM | 97.0% | 97.0% | 1.00 (0.90-1.20, n=5) | 100 | 300 | 200 |" in text
    )
    assert "**missed** | 40.0 s vs 0.50 s = 80.0x" in text
    assert "| 128 | 10 | 20 | 2.00x |" in text
    assert "97.0%, 98.0%, 99.0%" in text
    assert "| 110 | 11.0 | 5 | 88 | 130 |" in text
    # 8 MB more own memory for 100 more rows: 83,886 bytes a row, 1.10x, within the flat ratio.
    assert "went from 80 to 88 MB (1.10x, 83886 bytes a row): flat in the number of rows" in text


def test_a_report_kept_in_docs_links_what_it_names_from_its_own_folder():
    """A run on another kind of CPU is written to docs/: its links must work from there, and the run
    of record must link to it (and it back)."""
    from bench_report import ROOT

    page, record = ROOT / "docs" / "benchmarks-test-cpu.md", ROOT / "BENCHMARKS.md"
    in_docs = markdown(
        _results(), page, json_path=ROOT / "docs" / "bench-results-test-cpu.json", others=[record]
    )
    at_top = markdown(_results(), record, json_path=ROOT / "bench-results.json", others=[page])
    assert "Raw figures: `docs/bench-results-test-cpu.json`" in in_docs
    assert "([docs/short_texts.md](short_texts.md) scores" in in_docs
    assert "another kind of CPU: [BENCHMARKS.md](../BENCHMARKS.md)." in in_docs
    assert "Raw figures: `bench-results.json`" in at_top
    assert "([docs/short_texts.md](docs/short_texts.md) scores" in at_top
    assert "another kind of CPU: [docs/benchmarks-test-cpu.md](docs/benchmarks-test-cpu.md)." in at_top


def test_the_reading_says_how_many_seeds_beat_the_best_baseline():
    assert "every run reaches the best baseline's 97.0%" in reading(_results())
    results = _results()
    results["bbc"]["attn"]["accuracy_runs"] = [0.96, 0.98, 0.99]
    assert "2 of the 3 runs reach the best baseline's 97.0%" in reading(results)


def test_memory_that_grows_with_rows_is_called_so():
    results = _results()
    results["scaling"]["rows"][-1]["peak_anonymous_mb"] = 120.0
    assert "(1.50x, 419430 bytes a row): not flat" in reading(results)


def test_forward_flops_count_matrix_work_on_each_texts_own_length():
    model = {"embed_dim": 4, "ff_dim": 8, "num_layers": 2, "pooling": "attention"}

    def one_text(length: int) -> float:
        # projections, feed-forward and attention over the text's own length, per layer
        per_layer = 8 * length * 16 + 4 * length * 4 * 8 + 4 * length * length * 4
        pooling = length * (2 * 16 + 4 * 4)  # key projection, scores and weighted sum
        return 2 * per_layer + pooling + 2 * 4 * 3  # and the head

    assert attn_forward_flops(model, [10], 3) == pytest.approx(one_text(10))
    # Attention is quadratic in each text's length: two texts of 5 and 15 tokens cost more than two of 10.
    assert attn_forward_flops(model, [5, 15], 3) == pytest.approx(one_text(5) + one_text(15))
    assert attn_forward_flops(model, [5, 15], 3) > attn_forward_flops(model, [10, 10], 3)
    # Mean pooling has no projection; a classification token is one more position.
    assert attn_forward_flops(model | {"pooling": "mean"}, [10], 3) == pytest.approx(one_text(10) - 10 * 48)
    cls = attn_forward_flops(model | {"pooling": "cls"}, [10], 3)
    assert cls == pytest.approx(one_text(11) - 11 * 48)


def test_anonymous_peak_sees_memory_the_process_owns():
    import mmap

    from bench import AnonymousPeak, anonymous_rss_mb

    before = anonymous_rss_mb()
    assert before is not None and before > 1
    with AnonymousPeak() as peak:
        # 64 MB of anonymous pages mapped afresh and written, so resident and owned. (A bytes object
        # of 64 MB could reuse heap memory freed by earlier tests in the same worker and still
        # resident, which malloc's settings there allow: CI saw it 43-50 MB over `before`.)
        held = mmap.mmap(-1, 64 * 2**20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        held.write(b"x" * (64 * 2**20))
        time.sleep(0.2)
        held.close()
    assert peak.peak_mb >= before + 50


def test_the_sequence_length_child_runs_the_model():
    from bench import child_seqlen

    timing = child_seqlen("explicit", "16", "1")
    assert timing["n"] == 1 and timing["median"] > 0


def _defaults(articles_seeds, headlines_seeds, headlines_s=6.0, articles_s=20.0, config_s=40.0):
    def baseline(accuracy):
        return {"accuracy": accuracy, "macro_f1": accuracy, "train_s": 0.5}

    def runs(accuracies, seconds):
        settings = {"tokenizer.kind": "word", "model.embed_dim": 64}
        return [
            {"seed": seed, "accuracy": accuracy, "macro_f1": accuracy, "train_s": seconds, "best_epoch": 3,
             "epochs": 6, "num_parameters": 1000, "settings": settings}
            for seed, accuracy in enumerate(accuracies)
        ]  # fmt: skip

    baselines = {"tfidf_svm": baseline(0.97), "tfidf_chars_svm": baseline(0.975)}
    return {
        "articles": {
            "baselines": baselines,
            "attn": runs(articles_seeds, articles_s),
            "attn_bbc_yaml": runs([0.97] * 3, config_s),
        },
        "headlines": {
            "baselines": {"tfidf_chars_svm": baseline(0.85)},
            "attn": runs(headlines_seeds, headlines_s),
        },
    }


def test_defaults_are_judged_seed_by_seed_on_both_tasks(tmp_path):
    verdicts = {name: (met, figures) for name, met, figures in targets(_results())}
    assert not any(name.startswith(("articles", "headlines")) for name in verdicts)  # no defaults run
    results = _results() | {"defaults": _defaults([0.98, 0.975, 0.99], [0.86, 0.84, 0.87])}
    verdicts = {name: (met, figures) for name, met, figures in targets(results)}
    met, figures = verdicts["articles: attn's defaults at least the best baseline on every seed"]
    assert met and figures.startswith("worst seed 97.5%")  # equal to the best baseline counts
    met, figures = verdicts["headlines: attn's defaults at least the best baseline on every seed"]
    assert not met and "worst seed 84.0% (seeds 86.0%, 84.0%, 87.0%)" in figures
    assert verdicts["headlines: the whole `attn train` under 15 s"][0] is True
    assert verdicts["articles: the defaults no slower than configs/bbc.yaml"] == (
        True,
        "median 20.0 s vs 40.0 s (0.50x), whole commands",
    )
    slow = _results() | {"defaults": _defaults([0.98] * 3, [0.9] * 3, headlines_s=15.0, articles_s=41.0)}
    verdicts = {name: met for name, met, _ in targets(slow)}
    assert not verdicts["headlines: the whole `attn train` under 15 s"]
    assert not verdicts["articles: the defaults no slower than configs/bbc.yaml"]
    # The character n-gram baseline (97.5%) beats the BBC section's attn (97.0% here): said so.
    results["bbc"]["attn"]["accuracy"] = 0.97
    verdicts = {name: (met, figures) for name, met, figures in targets(results)}
    met, figures = verdicts["accuracy at least the best baseline's"]
    assert not met and "TF-IDF word 1-2 + character 2-5 grams + linear SVM 97.5%" in figures
    assert "behind TF-IDF word 1-2 + character 2-5 grams + linear SVM" in reading(results)
    write_markdown(results, tmp_path / "B.md")
    text = (tmp_path / "B.md").read_text()
    assert "| attn, defaults, seed 1 | 84.0% | 84.0% | 6.0 | 3 of 6 |" in text
    assert "| attn, configs/bbc.yaml, seed 0 | 97.0% |" in text
    assert "sized themselves to: tokenizer.kind=word model.embed_dim=64 (1,000 parameters)" in text


def _profiled(results):
    """`results` with a profile and a memory probe whose figures make round numbers: peak 100 GFLOP/s."""

    def classes(attention, matmul, other, attention_flops, matmul_flops):
        kinds = dict.fromkeys(("random", "optimizer", "copies", "outside ops"), (0.0, 0.0))
        kinds |= {"attention": (attention, attention_flops), "matmul": (matmul, matmul_flops),
                  "other ops": (other, 0.0)}  # fmt: skip
        return {kind: {"seconds": seconds, "flops": flops} for kind, (seconds, flops) in kinds.items()}

    results["profile"] = {
        "training": {"steps": 20, "wall_s": 4.0, "tokens": 1000, "model_flops": 60e9,
                     "classes": classes(1.0, 1.0, 2.0, 50e9, 80e9)},
        "prediction": {"documents": 400, "tokenize_s": 1.0, "wall_s": 3.0, "model_flops": 80e9,
                       "classes": classes(1.0, 1.0, 1.0, 40e9, 60e9)},
    }  # fmt: skip
    attn = results["bbc"]["attn"]
    attn |= {"predict_share_of_limit": 0.2, "predict_limit_docs_per_s": 500.0, "peak_rss_mb": 1000.0}
    attn["train_memory"] = {"imports_mb": 300.0, "ready_mb": 500.0, "between_steps_mb": 990.0,
                            "allocator_free_mb": 450.0, "peak_mb": 1000.0}  # fmt: skip
    return results


def test_the_profile_says_where_the_time_goes_and_why_targets_are_missed(tmp_path):
    results = _profiled(_results())
    # The profile's ratios are against the peak measured beside it (100 GFLOP/s); the whole run's
    # figures, like its MFU, against the run's (50 GFLOP/s here).
    results["profile"]["peak_gflops"] = {"fp32": 100.0, "bf16": 100.0}
    results["gemm_peak_gflops"]["fp32"] = 50.0
    results["bbc"]["attn"]["precision"] = "fp32"
    write_markdown(results, tmp_path / "B.md")
    text = (tmp_path / "B.md").read_text()
    # Training: attention 1 of 4 s at 50 GFLOP/s; prediction: tokenizing 1 of 4 s.
    assert "| fused attention kernels | 25.0% | 50 (50.0%) | 25.0% | 40 (40.0%) |" in text
    assert "| matrix multiplies | 25.0% | 80 (80.0%) | 25.0% | 60 (60.0%) |" in text
    assert "| tokenization |  |  | 25.0% |  |" in text
    assert "(fp32: 100.0 GFLOP/s, against 50.0 at the start of the run)" in text
    # 60 GFLOP of model work in 4 s = 15%; in the 2 s of counted kernels = 30%. Prediction: 80 GFLOP
    # in 4 s = 20% of the limit; in its 2 s of kernels, 40%.
    assert "the model's FLOPs ran at 15.0% of the peak" in text
    assert "100 documents/s, 20.0% of the physical limit at that peak" in text
    assert "would run at 30.0% of the peak (target 40.0%)" in text
    assert "alone would reach 40.0% of the limit (target 50.0%)" in text
    assert (
        "(30.0% over the run, against the peak measured at its start; 15.0% over the profiled steps" in text
    )
    assert "the kernels themselves bound it at 30.0% at this model's shapes" in text
    assert "(20.0% of the limit over the run; 20.0% as profiled" in text
    assert "alone bound it at 40.0% at this model's shapes" in text
    # 30 GFLOP/s for 35 s of loop = 1.05 TFLOP, at the run's 50 GFLOP/s 21 s; 5 s outside the loop;
    # 1.5 x 10 s leaves 10 s.
    assert "execute 1.1 TFLOP of model arithmetic, 21.0 s at the full peak" in text
    assert "would need 210.0% of the peak through every epoch" in text
    assert "of which glibc's malloc held 450 MB free" in text


def test_no_reason_is_given_for_a_target_that_is_met():
    from bench_report import why_missed

    results = _profiled(_results(attn_train_s=12.0))
    results["bbc"]["attn"] |= {"mfu": 0.45, "predict_share_of_limit": 0.6, "peak_rss_mb": 700.0}
    assert why_missed(results) == []


def test_where_the_kernels_could_reach_the_target_the_rest_of_the_step_is_named():
    from bench_report import why_missed

    results = _profiled(_results())
    results["bbc"]["attn"]["precision"] = "fp32"
    results["profile"]["peak_gflops"] = 100.0  # older runs: one fp32 figure
    results["profile"]["training"]["model_flops"] = 100e9  # in the 2 s of kernels: 50% of the peak
    results["profile"]["prediction"]["model_flops"] = 120e9  # 60%
    reasons = " ".join(why_missed(results))
    assert "the kernels alone would reach 50.0%; the rest of a step" in reasons
    assert "the kernels alone would reach 60.0%; tokenization and the other operations" in reasons
    # Training in bf16 is judged against the bf16 peak measured beside the profile: 100 GFLOP/s of
    # kernels' worth against 400.
    results["bbc"]["attn"]["precision"] = "bf16"
    results["profile"]["peak_gflops"] = {"fp32": 100.0, "bf16": 400.0}
    assert "the kernels themselves bound it at 12.5%" in " ".join(why_missed(results))


def test_attn_is_timed_byte_compiled_and_the_report_says_so(tmp_path, monkeypatch):
    """Cold starts time attn as a wheel's install leaves it: compiled, as torch is, not compiling
    its modules at each start where PYTHONDONTWRITEBYTECODE is set."""
    import importlib.util
    from importlib.machinery import ModuleSpec

    from bench import byte_compile_attn

    package = tmp_path / "attncli"
    package.mkdir()
    (package / "__init__.py").write_text("VALUE = 1\n")
    spec = ModuleSpec("attncli", None, is_package=True)
    spec.submodule_search_locations = [str(package)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec if name == "attncli" else None)
    assert byte_compile_attn() is True
    assert [path.name.split(".")[0] for path in (package / "__pycache__").iterdir()] == ["__init__"]

    compiled = {**_results(), "attn_byte_compiled": True}
    assert "byte-compiled first, as installing its wheel does" in markdown(compiled, tmp_path / "B.md")
    assert "not recorded in this run" in markdown(_results(), tmp_path / "B.md")
