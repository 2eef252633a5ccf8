"""The `attn` commands run in-process through typer's CliRunner: options reach the functions and
what the functions return reaches the user."""

import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import time
from pathlib import Path

import pytest
import torch
from conftest import (
    FILLER,
    KEYWORDS,
    TINY_MODEL,
    make_rows,
    save_untrained_checkpoint,
    write_csv,
    write_jsonl,
)
from typer.testing import CliRunner

from attncli.cli import app

RUNNER = CliRunner()
TINY = [arg for setting in TINY_MODEL for arg in ("--set", setting)]


def invoke(*args):
    return RUNNER.invoke(app, [str(arg) for arg in args])


def _refused(result, fragment):
    """Exit code 2 and, as the last line on stderr, the one error line, holding `fragment`."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    errors = [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and result.stderr.strip().endswith(errors[0]) and fragment in errors[0], (
        result.stderr
    )
    assert "Traceback" not in result.output


def _ok(*args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("kind", ["parquet", "tsv", "save_to_disk"])
def test_every_kind_of_local_data_trains_and_evaluates(kind, tmp_path):
    from datasets import Dataset

    dataset = Dataset.from_list(make_rows(240, seed=3))
    source = tmp_path / f"data.{kind}"
    if kind == "parquet":
        dataset.to_parquet(str(source))
    elif kind == "tsv":
        dataset.to_csv(str(source), sep="\t", index=False)
    else:
        dataset.train_test_split(test_size=0.2, seed=0).save_to_disk(str(source))
    _ok("train", source, "-o", tmp_path / "run", "--epochs", 8, *TINY)
    report = json.loads(_ok("eval", tmp_path / "run", source, "--json").stdout)
    assert report["n"] == (48 if kind == "save_to_disk" else 240)
    assert report["accuracy"] >= 0.8
    assert report["checkpoint"] == str(tmp_path / "run" / "best")  # the run folder is its best/, and says so


def test_a_spark_jobs_split_partitions_train_evaluate_and_predict_by_id(tmp_path):
    """A data lake's layout (split=train/part-00000-<uuid>-c000.snappy.parquet beside _SUCCESS and .crc
    files, an empty partition's part file among them) was "holds no split files", and its test
    partition, passed to predict --file, "holds data files ... pass one of them" (a trial)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "lake"
    ids = iter(range(5000, 6000))
    for split, chunks in (
        ("train", [make_rows(120, seed=3), [], make_rows(120, seed=5)]),
        ("test", [make_rows(30, seed=4)] * 2),
    ):
        folder = data / f"split={split}"
        folder.mkdir(parents=True)
        for index, rows in enumerate(chunks):
            table = pa.table(
                {
                    "id": [next(ids) for _ in rows],
                    **{key: [row[key] for row in rows] for key in ("text", "label")},
                }
            )
            name = f"part-{index:05d}-9c1f-c000.snappy.parquet"
            pq.write_table(
                table
                if rows
                else pa.table(
                    {
                        "id": pa.array([], pa.int64()),
                        "text": pa.array([], pa.string()),
                        "label": pa.array([], pa.string()),
                    }
                ),
                folder / name,
            )
            (folder / f".{name}.crc").write_bytes(b"\x00")
        (folder / "_SUCCESS").write_bytes(b"")
    trained = _ok("train", data, "-o", tmp_path / "run", "--epochs", 8, *TINY)
    assert "shards that hold no rows" in trained.stderr
    report = json.loads(_ok("eval", tmp_path / "run", "--json").stdout)
    assert report["split"] == "test" and report["n"] == 60 and report["accuracy"] >= 0.8
    predicted = _ok("predict", tmp_path / "run", "--file", data / "split=test", "--format", "jsonl").stdout
    results = [json.loads(line) for line in predicted.splitlines()]
    assert [result["index"] for result in results] == list(range(60))
    assert [result["fields"]["id"] for result in results] == list(range(5240, 5300))
    # Written as parquet, the ids stay the integers they were, beside the labels and probabilities.
    _ok("predict", tmp_path / "run", "--file", data / "split=test", "-o", tmp_path / "labelled.parquet")
    labelled = pq.read_table(tmp_path / "labelled.parquet")
    assert (
        labelled.column("id").to_pylist() == list(range(5240, 5300))
        and str(labelled.schema.field("id").type) == "int64"
    )
    assert labelled.column("attn_label").to_pylist() == [result["label"] for result in results]
    _refused(invoke("predict", tmp_path / "run", data / "split=test"), "names a folder of data files here")


def test_auto_resume_starts_a_run_resumes_it_once_stopped_and_leaves_it_once_finished(tmp_path, monkeypatch):
    """One command a scheduler may run again (Slurm's requeue, torchrun's restarts): -o alone
    refused the stopped run's folder as not empty at every restart. (That a resumed run ends as one
    left alone: tests/test_train.py.)"""
    from attncli.fit import INTERRUPT_VARIABLE

    data = write_csv(tmp_path / "d.csv", make_rows(100, seed=5))
    run = tmp_path / "run"
    command = ["train", data, "-o", run, "--auto-resume", *TINY, "--set", "train.epochs=2"]
    command += ["--set", "train.patience=0"]
    monkeypatch.setenv(INTERRUPT_VARIABLE, "4")  # SIGINT in epoch 1
    assert invoke(*command).exit_code == 130
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    _refused(
        invoke(*command, "--seed", 7, "--set", "model.dropout=0.2"),
        f"--auto-resume found a run in {run} trained with other settings than this command's: "
        f"model.dropout=0.2 (the run has 0.1), train.seed=7 (the run has 0); go on with it as it was with "
        f"attn train --resume {run}",
    )
    resumed = _ok(*command, "--json")
    said = f"note: --auto-resume: resuming the run in {run}, which has epochs (or its refit) left\n"
    assert said in resumed.stderr
    trained = json.loads(resumed.stdout)
    assert [epoch["epoch"] for epoch in trained["history"]] == [1, 2] and trained["stop_reason"] == "epochs"
    assert trained["auto_resume"] == "resume"  # as a finished run's record says "finished"
    weights = (run / "best" / "model.safetensors").read_bytes()
    finished = _ok(*command, "--json")
    assert finished.stderr == (
        f"note: --auto-resume trains nothing: {run} already trained 2 epochs; pass a higher --epochs to go "
        "on\n"
    )
    record = json.loads(finished.stdout)
    assert record["auto_resume"] == "finished" and record["best"] == str(run / "best")
    assert (
        record["history"] == trained["history"]
        and (run / "best" / "model.safetensors").read_bytes() == weights
    )
    # A finished run the command would train otherwise is refused too: its model would stay without a word.
    _refused(invoke(*command, "--seed", 9), "trained with other settings than this command's: train.seed=9")
    # ... and so is one whose file has changed since (a nightly job's data refreshed in place, which
    # exited 0 with the old rows' model: a data engineer's trial).
    original = data.read_bytes()
    write_csv(data, make_rows(120, seed=5))
    _refused(
        invoke(*command),
        f"--auto-resume found the run in {run} finished, but {data} has changed since the run was saved (108 "
        "training and 12 validation texts now, 91 and 9 then); put back the data",
    )
    data.write_bytes(original)
    # Written again as it was: read, and found the run's; changed, whatever the file's time says (a
    # review: `cp -p` and `tar x` keep an older one).
    assert "--auto-resume trains nothing" in _ok(*command).stderr
    import attncli.train

    loaded = attncli.train.load_checkpoint

    def trained_in_fp16_on_a_gpu(path, **kwargs):  # read on this CPU all the same (it was refused)
        checkpoint = loaded(path, **kwargs)
        on_gpu = dataclasses.replace(checkpoint.config.train, device="cuda", precision="fp16")
        return dataclasses.replace(checkpoint, config=dataclasses.replace(checkpoint.config, train=on_gpu))

    with monkeypatch.context() as gpu:
        gpu.setattr(attncli.train, "load_checkpoint", trained_in_fp16_on_a_gpu)
        assert "--auto-resume trains nothing" in _ok(*command).stderr
    write_csv(data, make_rows(120, seed=5))
    os.utime(data, (1_000_000_000, 1_000_000_000))
    _refused(invoke(*command), f"--auto-resume found the run in {run} finished, but {data} has changed")
    data.write_bytes(original)
    # A higher ceiling, from --set as from --epochs, resumes it to that.
    longer = json.loads(_ok(*command, "--set", "train.epochs=3", "--json").stdout)
    assert [epoch["epoch"] for epoch in longer["history"]] == [1, 2, 3]
    _refused(
        invoke(*command, "--overwrite"), "--auto-resume starts or resumes the run in --output as it finds"
    )
    _refused(invoke("train", data, "--auto-resume"), "--auto-resume needs --output FOLDER")
    # A finished run given other data: exit 0 with the other dataset's results (an HPC user's trial).
    other = write_csv(tmp_path / "other.csv", make_rows(100, seed=6))
    _refused(
        invoke("train", other, *command[2:]),
        f"--auto-resume found the run in {run} finished, trained on {data}, not on {other}; train",
    )
    # A run killed while saving its first epoch's last/ (best/ saved, no last/): each requeue was
    # refused as a folder not empty, whose --overwrite --auto-resume refuses. It trains again.
    shutil.rmtree(run / "last")
    metrics = json.loads((run / "best" / "metrics.json").read_text())
    killed = {**metrics, "stop_reason": "", "history": metrics["history"][:1]}  # as the first save writes it
    (run / "best" / "metrics.json").write_text(json.dumps(killed))
    again = _ok(*command, "--json")
    assert (
        f"note: --auto-resume trains the run in {run} again from its start: it stopped before it saved a "
        "last/ checkpoint to resume from"
    ) in " ".join(again.stderr.split())
    restarted = json.loads(again.stdout)
    assert restarted["stop_reason"] == "epochs" and restarted["auto_resume"] == "restart"
    assert (run / "last" / "config.json").is_file()


def test_a_folder_of_label_folders_trains_and_evaluates_with_its_rows_named_by_file(tmp_path):
    """aclImdb's layout (train/pos/0_9.txt, test/neg/..., train/unsup/ without labels) was refused
    as a folder with no split files."""
    data = tmp_path / "reviews"
    for split, rows in (("train", make_rows(240, seed=3)), ("test", make_rows(60, seed=4))):
        for index, row in enumerate(rows):
            folder = data / split / row["label"]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{index}.txt").write_text(row["text"] + "\n", encoding="utf-8")
    (data / "train" / "unsup").mkdir()
    (data / "train" / "unsup" / "0.txt").write_text("no label")
    # A sport text filed under food: a mistake for eval to name by its file.
    sport = next(row["text"] for row in make_rows(3, seed=9) if row["label"] == "sport")
    (data / "test" / "food" / "misfiled.txt").write_text(sport)
    trained = _ok("train", data, "-o", tmp_path / "run", "--epochs", 8, *TINY)
    assert "read a folder of label folders" in trained.output and "left out unsup" in trained.output
    report = json.loads(_ok("eval", tmp_path / "run", "--json", "--errors", 61).stdout)
    assert (report["split"], report["n"]) == ("test", 61) and report["accuracy"] >= 0.8
    assert "food/misfiled.txt" in [error["fields"]["file"] for error in report["errors"]]
    # One split's folder is evaluated whole, headed by its name, not by the "train" datasets calls it.
    whole = _ok("eval", tmp_path / "run", data / "test")
    assert whole.stdout.splitlines()[0].startswith(f"{tmp_path / 'run' / 'best'} on {data / 'test'}  n=61")
    seen = _ok("eval", tmp_path / "run", data / "train")
    # Those it trained on are counted: all but the 24 it held out for validation (no refit here).
    assert "216 of the 240 rows evaluated have the same text" in seen.stdout


def test_an_output_that_is_a_folder_is_refused_before_the_checkpoint_loads(tmp_path):
    absent = tmp_path / "no-checkpoint-here"  # never reached: the output is checked first
    _refused(invoke("predict", absent, "text", "--output", tmp_path, "--format", "csv"), "is a folder")
    _refused(invoke("inspect", absent, "text", "--html", tmp_path), f"{tmp_path} is a folder; pass --html")
    _refused(invoke("predict", absent, "text", "--output", tmp_path), "is a folder")  # not "its suffix"
    _refused(
        invoke("predict", absent, "text", "-o", "/proc/o.csv"), "/proc/o.csv does not exist, and nothing"
    )
    assert list(tmp_path.iterdir()) == []
    rows = tmp_path / "rows.csv"
    rows.write_text("text\nsoup\n", encoding="utf-8")
    _refused(
        invoke("predict", absent, "-f", rows, "-o", tmp_path / "." / "rows.csv"), "is the --file being read"
    )
    assert rows.read_text(encoding="utf-8") == "text\nsoup\n"


def test_ctrl_c_before_training_says_interrupted_and_that_nothing_was_written(tmp_path, monkeypatch):
    def pressed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("attncli.cli.predict_command.load_for_command", pressed)
    stopped = invoke("predict", tmp_path, "text")
    assert (stopped.exit_code, stopped.stderr) == (130, "interrupted\n")
    monkeypatch.setattr("attncli.config_loading.load_config", pressed)
    training = invoke("train", write_csv(tmp_path / "d.csv", make_rows(6)), "-o", tmp_path / "run")
    assert (training.exit_code, training.stderr) == (
        130,
        f"interrupted before training began; nothing was written, and {tmp_path / 'run'} was not made\n",
    )
    (tmp_path / "empty").mkdir()  # a folder that was there before stays, and is said to
    into_a_folder = invoke("train", tmp_path / "d.csv", "-o", tmp_path / "empty")
    assert into_a_folder.stderr.endswith(f"nothing was written, and {tmp_path / 'empty'} is as it was\n")
    assert (tmp_path / "empty").is_dir()
    monkeypatch.setattr("attncli.train.resume", pressed)
    resuming = invoke("train", "--resume", tmp_path / "run")
    assert resuming.stderr.startswith(f"interrupted before training resumed; {tmp_path / 'run'} is as it was")


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_sigterm_or_sighup_while_training_is_prepared_stops_as_ctrl_c_does(
    tmp_path, monkeypatch, signal_name
):
    """`timeout` and service managers send SIGTERM, a closed terminal or dropped ssh connection
    SIGHUP, before training began as well as during it (SIGHUP while the data loaded ended the process
    with 129, no JSON and its lock file left in a new folder)."""
    import os
    import signal

    import attncli.train

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), getattr(signal, signal_name))
        time.sleep(5)  # the signal interrupts this
        raise AssertionError(f"{signal_name} did not stop the preparation")

    monkeypatch.setattr(attncli.train, "prepare", terminated)
    data = write_csv(tmp_path / "d.csv", make_rows(40))
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    stopped = invoke("train", data, "-o", tmp_path / "run", "--epochs", 1, "--json", *TINY)
    assert (stopped.exit_code, stopped.stderr.splitlines()[-1]) == (
        130,
        f"interrupted before training began; nothing was written, and {tmp_path / 'run'} was not made",
    )
    assert json.loads(stopped.stdout)["stop_reason"] == "interrupted"
    assert not (tmp_path / "run").exists()
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before


def test_quiet_says_only_warnings_and_errors_and_leaves_the_results_as_they_are(easy_run, tmp_path):
    """A nightly job's log should hold what needs a person: --quiet leaves out notes, stages and
    progress, and keeps warnings, errors and everything on standard output."""
    data = write_csv(tmp_path / "d.csv", make_rows(40))
    loud = _ok("train", data, "-o", tmp_path / "loud", "--epochs", 1, *TINY)
    quiet = _ok("train", data, "-o", tmp_path / "quiet", "--epochs", 1, *TINY, "-q")
    warnings = [line for line in loud.stderr.splitlines() if line.startswith("warning:")]
    assert len(loud.stderr.splitlines()) > len(warnings) and warnings  # stages and notes, and a warning
    assert quiet.stderr.splitlines() == warnings and "training summary" in quiet.stdout
    texts = tmp_path / "texts.txt"
    texts.write_text("hot soup\n\na tennis match\n")
    said = _ok("predict", easy_run, "-f", texts, "--json")
    unsaid = _ok("predict", easy_run, "-f", texts, "--json", "--quiet")
    assert said.stderr.startswith("note: 1 of 3 records had no text") and unsaid.stderr == ""
    assert unsaid.stdout == said.stdout
    assert _ok("inspect", easy_run, "-f", texts, "-q").stderr == ""
    _refused(invoke("predict", tmp_path / "none", "soup", "-q"), "does not exist")  # errors are said
    # The next command of the same process says its notes again.
    assert _ok("predict", easy_run, "-f", texts, "--json").stderr == said.stderr


def test_quiet_still_says_how_a_command_was_stopped_and_what_resumes_it(tmp_path, monkeypatch):
    """A review: under -q a training stopped by Ctrl-C (or a scheduler's SIGTERM) left no word, where
    its line names what resumes it."""

    def pressed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("attncli.render.render_train_summary", pressed)  # as the summary is printed
    data = write_csv(tmp_path / "d.csv", make_rows(40))
    stopped = invoke("train", data, "-o", tmp_path / "run", "--epochs", 1, *TINY, "-q")
    assert stopped.exit_code == 130 and stopped.stderr.splitlines()[-1].startswith("interrupted; ")


def test_ctrl_c_after_training_does_not_say_nothing_was_written(tmp_path, monkeypatch):
    def pressed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("attncli.render.render_train_summary", pressed)  # as the summary is printed
    data = write_csv(tmp_path / "d.csv", make_rows(40))
    stopped = invoke("train", data, "-o", tmp_path / "run", "--epochs", 1, *TINY)
    assert (stopped.exit_code, stopped.stderr.splitlines()[-1]) == (
        130,
        "interrupted; the run's epochs are all trained, so there is nothing to resume: "
        f"{tmp_path / 'run' / 'best'} holds the run's model",
    )
    assert (tmp_path / "run" / "best" / "config.json").is_file()


def test_a_second_ctrl_c_while_the_first_saves_says_how_to_carry_the_run_on(tmp_path, monkeypatch):
    """It said only that the folder held what had been saved, with no resume command."""
    from attncli.fit import INTERRUPT_VARIABLE

    def pressed_again(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("attncli.fit._save_interrupted", pressed_again)
    monkeypatch.setenv(INTERRUPT_VARIABLE, "5")  # the first Ctrl-C, in epoch 2 (3 steps an epoch)
    data = write_csv(tmp_path / "d.csv", make_rows(40))
    stopped = invoke("train", data, "-o", tmp_path / "run", "--epochs", 3, *TINY)
    run = tmp_path / "run"
    assert (stopped.exit_code, stopped.stderr.splitlines()[-1]) == (
        130,
        f"interrupted; {run} holds what the run had saved by then (attn info {run} shows it); to carry it "
        f"on: attn train --resume {run}",
    )
    assert (run / "last" / "config.json").is_file()


def test_a_second_ctrl_c_in_the_first_epoch_says_nothing_was_saved_and_to_start_over(tmp_path, monkeypatch):
    """A user's trial: it said the folder held what had been saved (`attn info` shows it), where it held
    only the log, and --resume then asked for --overwrite, which the same command does not need."""
    from attncli.fit import INTERRUPT_VARIABLE

    def pressed_again(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("attncli.fit._save_interrupted", pressed_again)
    monkeypatch.setenv(INTERRUPT_VARIABLE, "1")  # the first Ctrl-C, at the first step
    data = write_csv(tmp_path / "d.csv", make_rows(40))
    run = tmp_path / "run"
    command = ["train", data, "-o", run, "--epochs", 1, *TINY]
    stopped = invoke(*command)
    assert (stopped.exit_code, stopped.stderr.splitlines()[-1]) == (
        130,
        f"interrupted before the run's first save; {run} holds no checkpoint (at most its log), so run the "
        "same attn train again to start over",
    )
    _refused(
        invoke("train", "--resume", run),
        f"{run} has no last/ checkpoint to resume from; train a run there with attn train DATA -o {run}",
    )
    assert not invoke("train", "--resume", run).stderr.strip().endswith("--overwrite")
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    _ok(*command)  # as it said
    # Replacing that run (--overwrite), stopped the same way: the earlier run is put back at once.
    weights = (run / "best" / "model.safetensors").read_bytes()
    monkeypatch.setenv(INTERRUPT_VARIABLE, "1")
    again = invoke(*command, "--overwrite", "--seed", 7)
    assert (again.exit_code, again.stderr.splitlines()[-1]) == (
        130,
        f"interrupted before the run's first save; {run} holds the earlier run again, as it was before "
        "--overwrite",
    )
    assert (run / "best" / "model.safetensors").read_bytes() == weights
    assert sorted(path.name for path in run.iterdir()) == ["best", "last", "metrics.jsonl"]


def test_head_and_tail_truncation_reads_the_end_where_a_long_text_decides(tmp_path, caplog):
    """model.truncation=head+tail: texts whose keyword comes only after 30 filler words, read at 16
    tokens, are learnt from their last 12 (a head-only model reads fillers alone, and cannot); eval,
    predict and inspect read them the same way, and say which tokens they read."""
    import random

    rng = random.Random(0)
    rows = []
    for index in range(150):
        label = list(KEYWORDS)[index % 3]
        words = [rng.choice(FILLER) for _ in range(30)] + [rng.choice(KEYWORDS[label]), "today"]
        rows.append({"text": " ".join(words), "label": label})
    source = write_jsonl(tmp_path / "long.jsonl", rows)
    tiny = [arg for setting in TINY_MODEL if "max_length" not in setting for arg in ("--set", setting)]
    trained = _ok(
        "train", source, "-o", tmp_path / "run", "--epochs", 8, "--max-length", 16,
        "--set", "model.truncation=head+tail", *tiny,
    )  # fmt: skip
    assert "training reads only their first 4 and last 12 tokens" in " ".join(trained.stderr.split())
    report = json.loads(_ok("eval", tmp_path / "run", source, "--json").stdout)
    assert report["truncated"] == 150 and report["accuracy"] >= 0.9  # head alone: 0.48, from memory
    text = rows[0]["text"]
    predicted = invoke("predict", tmp_path / "run", text, "--json")
    assert json.loads(predicted.stdout)["label"] == rows[0]["label"]
    assert "only their first 4 and last 12 tokens were read" in predicted.stderr
    inspected = json.loads(_ok("inspect", tmp_path / "run", text, "--json").stdout)
    spans = [(token["start"], token["end"]) for token in inspected["tokens"]]
    assert len(spans) == 16 and inspected["cut"] == [spans[3][1], spans[4][0]]
    assert text[spans[-2][0] : spans[-2][1]] == text.split()[-2]  # the keyword, read
    heatmap = " ".join(_ok("inspect", tmp_path / "run", text, "--no-color").stdout.split())
    assert f"[… {inspected['truncated_tokens']} tokens not read …]" in heatmap
    # The Python API's note says so too (it said "first 16").
    import logging

    from attncli.checkpoint import load_checkpoint
    from attncli.prediction import predict

    with caplog.at_level(logging.INFO, logger="attncli"):
        (prediction,) = predict(load_checkpoint(tmp_path / "run"), [text])
    assert prediction.label == rows[0]["label"]
    assert "only their first 4 and last 12 tokens were read" in caplog.text


def _title_and_body_rows(count: int, seed: int) -> list[dict[str, str]]:
    """Rows whose label's keyword is in the title for half of them and in the body for the others,
    some bodies empty: only a model that reads both columns can label them all."""
    import random

    rng = random.Random(seed)
    rows = []
    for index in range(count):
        label = list(KEYWORDS)[index % 3]
        title, body = [rng.choice(FILLER) for _ in range(4)], [rng.choice(FILLER) for _ in range(8)]
        (title if index % 2 else body).append(rng.choice(KEYWORDS[label]))
        empty_body = index % 2 and index % 5 == 0
        rows.append(
            {
                "id": f"r{index}",
                "title": " ".join(title),
                "body": "" if empty_body else " ".join(body),
                "label": label,
            }
        )
    return rows


def _write_rows_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_several_text_columns_are_read_as_one_text_by_every_command(tmp_path):
    """--text-column title,body: training joins each row's texts, a line each, and the checkpoint
    keeps the names, so that eval, predict and inspect of a file join the same columns."""
    rows = _title_and_body_rows(180, seed=0)
    source = _write_rows_csv(tmp_path / "train.csv", rows)
    test = _title_and_body_rows(60, seed=1)
    _ok(
        "train", source, "-o", tmp_path / "run", "--text-column", "title, body", "--epochs", 15, "--lr", 0.01,
        "--precision", "fp32",
    )  # fmt: skip
    saved = json.loads((tmp_path / "run" / "best" / "config.json").read_text())
    assert saved["config"]["data"]["text_column"] == "title,body"
    report = json.loads(
        _ok("eval", tmp_path / "run", write_jsonl(tmp_path / "test.jsonl", test), "--json").stdout
    )
    # Half the keywords are in the title, half in the body: either column alone scores far less.
    assert report["accuracy"] >= 0.9, report["accuracy"]
    predicted = [
        json.loads(line)
        for line in _ok(
            "predict", tmp_path / "run", "-f", tmp_path / "test.jsonl", "--json"
        ).stdout.splitlines()
    ]
    assert [row["text"] for row in predicted] == [
        f"{row['title']}\n{row['body']}" if row["body"] else row["title"] for row in test
    ]
    assert predicted[0]["fields"] == test[0]  # the row's columns come through, as they are
    inspected = json.loads(
        _ok(
            "inspect", tmp_path / "run", "-f", _write_rows_csv(tmp_path / "test.csv", test[:1]), "--json"
        ).stdout
    )
    assert inspected["text"] == predicted[0]["text"] and inspected["label"] == predicted[0]["label"]
    # JSON lines piped in whose first record leaves out its empty body are read as a file is.
    lines = [
        {"id": "a", "title": test[0]["title"]},
        {"id": "b", "title": test[1]["title"], "body": test[1]["body"]},
    ]
    piped = RUNNER.invoke(
        app,
        ["predict", str(tmp_path / "run"), "--json"],
        input="".join(json.dumps(line) + "\n" for line in lines),
    )
    assert piped.exit_code == 0, piped.output
    assert [json.loads(line)["text"] for line in piped.stdout.splitlines()] == [
        test[0]["title"],
        predicted[1]["text"],
    ]
    # ... and said so, once: raw tickets piped in, their bodies elsewhere, were read by their subjects
    # alone without a word, where a file of them was warned of (a support lead's trial).
    assert piped.stderr == (
        "warning: the first record of standard input has no 'body', of the columns the model was trained "
        "on joined ('title,body'); each record is read by those of them it has; --text-column chooses "
        "others\n"
    )
    # A table piped in is read as csv rows, its columns joined as a file's are (its header was
    # labelled as a text, then refused).
    table = RUNNER.invoke(
        app, ["predict", str(tmp_path / "run"), "--json"], input="title,body,source\nCup final,They won,web\n"
    )
    assert table.exit_code == 0 and "csv header naming the text columns 'title,body'" in table.stderr
    assert [json.loads(line)["text"] for line in table.stdout.splitlines()] == ["Cup final\nThey won"]
    # Plain lines, and TEXT arguments, are read in place of both columns, and said so (a trial's log
    # lines went to a model of four joined columns without a word).
    lines = RUNNER.invoke(app, ["predict", str(tmp_path / "run"), "--json"], input="Cup final\n")
    assert lines.exit_code == 0 and lines.stderr == (
        "note: the model was trained on the columns title and body joined into one text, a line each; each "
        "line of standard input is read in place of them all: pass a data file with those columns (--file) "
        "to read them as training did\n"
    )
    assert "each text given is read in place" in invoke("predict", tmp_path / "run", "Cup final").stderr
    # A file without one of them reads another column, and says why.
    titles = write_jsonl(
        tmp_path / "titles.jsonl", [{"id": row["id"], "title": row["title"]} for row in test]
    )
    partial = _ok("predict", tmp_path / "run", "-f", titles, "--json")
    assert (
        "using text column 'title', as it has not every one of the columns the model was trained on joined"
        in " ".join(partial.stderr.split())
    )
    # eval says it once, as a warning (the Python API's logging of it printed it a second time, bare).
    titled = write_jsonl(
        tmp_path / "titled.jsonl", [{"title": row["title"], "label": row["label"]} for row in test]
    )
    import logging

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(logging.root, "handlers", [])  # as in a process of its own: pytest's are gone
        evaluated = _ok("eval", tmp_path / "run", titled, "--json")
    assert evaluated.stderr.count("using text column 'title'") == 1
    assert f"warning: {titled.name}: using text column 'title'" in evaluated.stderr


def test_train_validates_on_a_file_given_and_eval_finds_it_again(tmp_path):
    """train --validation FILE chooses the best epoch on that file's rows (none held out of train,
    so no refit on them either), and eval with no data scores them as the validation split."""
    source = write_csv(tmp_path / "trn.csv", make_rows(90, seed=1))
    held = write_csv(tmp_path / "hold.csv", make_rows(24, seed=2))
    trained = _ok("train", source, "-o", tmp_path / "run", "--validation", held, "--epochs", 1, *TINY)
    assert "90 train / 24 validation texts" in trained.stderr
    assert f"validation: the 24 rows of {held} (data.validation_file)" in " ".join(trained.stderr.split())
    report = json.loads(_ok("eval", tmp_path / "run", "--json").stdout)
    assert (report["source"], report["split"], report["n"]) == (str(held), "validation", 24)  # named so
    assert json.loads(_ok("eval", tmp_path / "run", "--split", "train", "--json").stdout)["n"] == 90  # whole
    # Its rows are named by its file, not as the training file's split (a trial searched trn.csv).
    rows = held.read_bytes()
    held.write_bytes(rows + b",sport\n")
    dropped = _ok("eval", tmp_path / "run", "--drop-invalid")
    assert f"left out 1 row of {held} with no text or no label" in " ".join(dropped.stdout.split())
    held.write_bytes(rows)
    # The train file named with --split validation: the validation rows are not in it (it scored them all).
    _refused(
        invoke("eval", tmp_path / "run", source, "--split", "validation"),
        f"the run's validation rows are its validation file, {held} (data.validation_file); evaluate that",
    )
    # Moved: eval says it is gone, resume asks where it is now and goes on from there.
    moved = held.rename(tmp_path / "dev.csv")
    _refused(invoke("eval", tmp_path / "run"), "which is not there now; put it back and evaluate it")
    _refused(invoke("train", "--resume", tmp_path / "run", "--epochs", 2), "pass where it is now")
    resumed = _ok("train", "--resume", tmp_path / "run", "--epochs", 2, "--validation", moved)
    assert "continuing at the start of epoch 2" in resumed.stderr
    # best/ records where it is now too, whichever epoch it holds: eval reads it there.
    assert json.loads(_ok("eval", tmp_path / "run", "--json").stdout)["source"] == str(moved)
    # Another file while the recorded one is still there is no move.
    other = write_csv(tmp_path / "other.csv", make_rows(12, seed=5))
    _refused(
        invoke("train", "--resume", tmp_path / "run", "--epochs", 3, "--validation", other),
        f"it is still where the run recorded it, {moved}; drop --validation",
    )
    # A file of other rows is evaluated whole as before, --split validation or not.
    assert (
        json.loads(_ok("eval", tmp_path / "run", other, "--split", "validation", "--json").stdout)["n"] == 12
    )
    # The data's own test file is no validation file: its rows would choose the epoch, then be scored.
    folder = tmp_path / "competition"
    folder.mkdir()
    write_csv(folder / "train.csv", make_rows(30, seed=3))
    own = write_csv(folder / "test.csv", make_rows(9, seed=4))
    _refused(
        invoke("train", folder, "-o", tmp_path / "own", "--validation", own, *TINY),
        f"--validation {own} is the 'test' split of {folder}",
    )


def test_inspect_layer_head_rollout_and_words_as_json(tmp_path):
    path = save_untrained_checkpoint(tmp_path / "deep", num_layers=2, positional="alibi")
    text = "the coach said football today"
    views = {}
    for flags in (["--layer", 2, "--head", 1], ["--rollout"], ["--words"], ["--pooling"]):
        result = invoke("inspect", path, text, "--json", *flags)
        assert result.exit_code == 0, result.output
        output = json.loads(result.stdout)
        assert [token["token"] for token in output["tokens"]] == text.split()
        assert sum(token["weight"] for token in output["tokens"]) == pytest.approx(1.0, abs=1e-5)
        views[str(flags)] = output["view"]
    assert len(set(views.values())) == 4 and "layer 2 (head 1)" in views["['--layer', 2, '--head', 1]"]
    # pieces and unknown_pieces in the token view too: an unknown token is 1 and 1, as --words has it.
    for flags in ([], ["--words"]):
        unknown = json.loads(_ok("inspect", path, "zzqx football", "--json", *flags).stdout)["tokens"]
        counts = [(token["unknown"], token["pieces"], token["unknown_pieces"]) for token in unknown]
        assert counts == [(True, 1, 1), (False, 1, 0)], flags
    # A text past max_length (32) is said to be cut on standard error, as predict --json says it
    # (inspect --json said nothing: only each line's truncated_tokens told).
    cut = invoke("inspect", path, text, " ".join([text] * 8), "--json")
    assert [json.loads(line)["truncated_tokens"] for line in cut.stdout.splitlines()] == [0, 8]
    assert cut.stderr == (
        "note: 1 of 2 texts were longer than the model's max_length (32 tokens); only their first 32 tokens "
        "were read (where a text's end decides, as a stack trace's cause or a letter's closing request "
        "does, train with --set model.truncation=head+tail to read it too)\n"
    )
    shown = invoke("inspect", path, " ".join([text] * 8))  # the heatmap says it, once
    assert "cut at max_length" in shown.stdout and "max_length" not in shown.stderr
    refused = invoke("inspect", path, text, "--layer", 3)
    assert refused.exit_code == 2 and "--layer 3: the model has 2 layers, numbered from 1" in refused.output


def test_chinese_read_by_bpe_trains_on_pieces_above_the_characters_and_inspect_shows_them(tmp_path):
    """BPE reads a run of ideographs whole and learns the words in it (tokenizer.split_ideographs
    empty: false for BPE), which the heatmap then weighs, by pieces also with --words: 喜欢 (like),
    not 喜 and 欢. WordPiece, as BERT's, reads each ideograph as a word of its own."""
    import random

    rng = random.Random(0)
    fillers = ["这本书", "快递", "包装", "价格", "内容", "孩子"]
    words = {"pos": ["喜欢", "不错", "满意"], "neg": ["失望", "很差", "后悔"]}
    rows = [
        {"text": f"{rng.choice(fillers)}{rng.choice(said)}{rng.choice(fillers)}，还行", "label": label}
        for label, said in words.items()
        for _ in range(120)
    ]
    source = write_jsonl(tmp_path / "reviews.jsonl", rows)
    bpe = [arg for setting in TINY_MODEL if "tokenizer.kind" not in setting for arg in ("--set", setting)]
    _ok("train", source, "-o", tmp_path / "bpe", "--epochs", 6, *bpe, "--set", "tokenizer.kind=bpe")
    text = "快递喜欢内容，还行"

    def spans(run, *flags):
        tokens = json.loads(_ok("inspect", tmp_path / run, text, "--json", *flags).stdout)["tokens"]
        start, end = max((token["weight"], token["start"], token["end"]) for token in tokens)[1:]
        return [text[token["start"] : token["end"]] for token in tokens], text[start:end]

    pieces, heaviest = spans("bpe")
    assert "".join(pieces) == text and "喜欢" in heaviest and "还行" in pieces  # a word, not 还 and 行
    # --words keeps the pieces: the run they come from is a whole clause, not a word.
    assert spans("bpe", "--words") == (pieces, heaviest)
    assert json.loads(_ok("eval", tmp_path / "bpe", source, "--json").stdout)["accuracy"] >= 0.9
    _ok("train", source, "-o", tmp_path / "wordpiece", "--epochs", 1, *TINY)
    assert spans("wordpiece")[0] == list(text)


def test_train_starts_from_pretrained_vectors_and_keeps_them_frozen(tmp_path):
    rows = make_rows(120, seed=3)
    data = write_csv(tmp_path / "train.csv", rows)
    vectors = tmp_path / "vectors.txt"
    words = [word for group in KEYWORDS.values() for word in group]
    # A 4-dimensional vector for every keyword and for "the": the model is 32 wide, so projected.
    vectors.write_text("".join(f"{w} {i} {i % 3} {-i} 1\n" for i, w in enumerate([*words, "the"], 1)))
    output = tmp_path / "run"
    result = invoke(
        "train", data, "-o", output, "--epochs", 1, *TINY, "--set", "tokenizer.kind=word",
        "--set", f"model.embeddings_init={vectors}", "--set", "model.freeze_embeddings=true",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads((output / "best" / "metrics.json").read_text())
    assert metrics["embeddings_init"] == {
        "path": str(vectors),
        "dim": 4,
        "found": 16,
        "of": metrics["embeddings_init"]["of"],
        # which file it was, from any folder: `info` said only the path as typed
        "absolute_path": str(vectors.resolve()),
        "sha256": hashlib.sha256(vectors.read_bytes()).hexdigest(),
        "bytes": vectors.stat().st_size,
    }
    assert "16 of" in result.output and "(4 dimensions, projected to model.embed_dim 32)" in result.output
    # The frozen table is counted apart: the run says how many parameters train.
    table_size = len(json.loads((output / "best" / "tokenizer.json").read_text())["model"]["vocab"]) * 4
    total = metrics["num_parameters"]
    assert f"{total:,} parameters ({total - table_size:,} trainable)" in result.output
    # The filler words have no vector: frozen, they stay random the whole run, and a warning says so.
    uncovered = metrics["embeddings_init"]["of"] - 16
    assert (
        uncovered > 16
        and f"warning: model.freeze_embeddings keeps the {uncovered} vocabulary" in result.output
    )
    from safetensors.torch import load_file

    tokenizer = json.loads((output / "best" / "tokenizer.json").read_text())["model"]["vocab"]
    weights = load_file(str(output / "best" / "model.safetensors"))
    table = torch.tensor([[i, i % 3, -i, 1] for i in range(1, 17)], dtype=torch.float32)
    scale = (1 / 2) / table.std()  # rescaled by one factor to std 1/sqrt(4)
    rows = torch.stack([weights["token_embedding.weight"][tokenizer[w]] for w in [*words, "the"]])
    assert torch.allclose(rows, table * scale, atol=1e-6)  # copied in, and unchanged by training
    assert weights["embedding_projection.weight"].shape == (32, 4)
    # Trainable, the embeddings without a vector learn, and the low coverage is still said.
    # (From a .vec whose header announces more words than it holds: a download cut short is said.)
    cut = tmp_path / "cut.vec"
    cut.write_text("99 4\n" + vectors.read_text())
    trainable = invoke(
        "train", data, "-o", tmp_path / "trainable", "--epochs", 1, *TINY, "--set", "tokenizer.kind=word",
        "--set", f"model.embeddings_init={cut}",
    )  # fmt: skip
    assert trainable.exit_code == 0, trainable.output
    assert "announces 99 words but the file holds 16; it may be cut" in " ".join(trainable.output.split())
    assert "trainable)" not in trainable.output  # every parameter trains: one count
    share = f"{16 / metrics['embeddings_init']['of']:.1%}"
    assert f"warning: only {share} of the vocabulary entries have a pretrained vector" in trainable.output


@pytest.fixture(scope="module")
def easy_run(trained):
    return trained.output


def test_predict_min_score_gives_no_label_below_it_and_says_how_many(easy_run):
    """A support team routing tickets wanted the unsure ones left for a person (a trial)."""
    sure = json.loads(_ok("predict", easy_run, "we had pasta with cheese", "--json").stdout)["score"]
    for top_k in (3, 1):  # with no next-labels column the reason was cut: "(below --min-s…"
        texts = ("we had pasta with cheese", "zzqx wwvk")
        shown = _ok("predict", easy_run, *texts, "--min-score", sure - 1e-3, "--top-k", top_k)
        lines = shown.stdout.splitlines()
        assert " food " in lines[1] and re.search(
            r"\(below --min-score [0-9.]+: \w+ [0-9.]+%\)\s+zzqx wwvk$", lines[2]
        )
    assert shown.stderr.endswith(
        "note: 1 of 2 records scored below --min-score and got no label (their score and probabilities "
        "are kept)\n"
    )
    _refused(
        invoke("predict", easy_run, "x", "--min-score", "1.5"),
        "min_score (--min-score) must be between 0 and 1 (a probability), not 1.5",
    )


def test_a_fallback_label_below_min_score_is_given_by_predict_and_scored_by_eval(
    easy_run, easy_folder, tmp_path
):
    """An intent trial wanted unsure utterances sent to its `oos` intent, and eval to score that
    policy; predict gave no label, and eval had no --min-score."""
    texts = ["we had pasta with cheese", "zzqx wwvk"]
    plain = [json.loads(line) for line in _ok("predict", easy_run, *texts, "--json").stdout.splitlines()]
    sure, other = plain[0]["score"], next(label for label in ("sport", "tech") if label != plain[1]["label"])
    # Named in another case, the label is the model's, in the results and the note.
    given = invoke(
        "predict", easy_run, *texts, "--json", "--min-score", sure - 1e-3, "--fallback", other.upper()
    )
    assert given.exit_code == 0, given.output
    first, second = (json.loads(line) for line in given.stdout.splitlines())
    assert first["label"] == "food" and "reason" not in first
    assert (second["label"], second["reason"]) == (other, f"below --min-score {sure - 1e-3:g}")
    score = {item["label"]: item["score"] for item in plain[1]["top_k"]}[other]
    assert second["score"] == score and second["top_k"] == plain[1]["top_k"]  # the fallback's own score
    assert f"1 of 2 records scored below --min-score and got label {other!r} (--fallback" in given.stderr
    # The table says why the fallback row has its label, with or without a column of next labels.
    for top_k in ("3", "1"):
        table = _ok(
            "predict", easy_run, *texts, "--min-score", sure - 1e-3, "--fallback", other, "--top-k", top_k
        )
        row = table.stdout.splitlines()[2]
        assert (
            f" {other} " in row
            and f"(below --min-score {sure - 1e-3:g})" in row
            and row.endswith("zzqx wwvk")
        )
    # A score predict printed, given back as --min-score, is not below it, in predict as in eval (float32).
    tie = plain[1]["score"]
    same = json.loads(
        _ok("predict", easy_run, texts[1], "--json", "--min-score", tie, "--fallback", other).stdout
    )
    assert same["label"] == plain[1]["label"] and "reason" not in same
    # eval scores the same labels: every row below 1.0 (all of them) is scored as sport.
    test = easy_folder / "test.csv"
    report = json.loads(
        _ok("eval", easy_run, test, "--json", "--min-score", "1", "--fallback", "sport").stdout
    )
    assert (report["min_score"], report["fallback"], report["fallback_rows"]) == (1.0, "sport", 90)
    assert report["accuracy"] == pytest.approx(1 / 3)  # 30 of the 90 rows are sport
    table = _ok("eval", easy_run, test, "--min-score", "0", "--fallback", "sport").stdout
    assert "label sport scored where the best label's probability is below --min-score 0 (0 rows)" in table
    _refused(invoke("eval", easy_run, test, "--fallback", "sport"), "--fallback LABEL goes with --min-score")
    # --min-score alone: how many rows reach it, and how often their label is right.
    report = json.loads(_ok("eval", easy_run, test, "--json", "--min-score", "1").stdout)
    assert (report["below_min_score"], report["accuracy_at_min_score"], report["fallback_rows"]) == (
        90,
        None,
        0,
    )
    reached = _ok("eval", easy_run, test, "--min-score", "0").stdout
    assert "at --min-score 0, 90 of 90 rows (100.0%) get a label, 100.0% of them right; predict gives " in (
        " ".join(reached.split())
    )
    # inspect shows the label predict gives (as it does with --threshold).
    below = ("--json", "--min-score", sure - 1e-3, "--fallback", other)
    shown = json.loads(_ok("inspect", easy_run, texts[1], *below).stdout)
    assert shown["label"] == other and shown["score"] == pytest.approx(score, abs=1e-5)  # another batch
    assert json.loads(_ok("inspect", easy_run, texts[0], *below).stdout)["label"] == "food"
    _refused(
        invoke("inspect", easy_run, "x", "--fallback", other), "--min-score and --fallback LABEL go together"
    )
    # Without --min-score, the fallback labels the records that get none for want of a text (a
    # competition's submission left its blank rows unlabelled, with no way to fill them).
    blanks = tmp_path / "blanks.csv"
    blanks.write_text(f"id,text\n1,{texts[0]}\n2,\n3,   \n")
    filled = _ok("predict", easy_run, "-f", blanks, "--json", "--fallback", "sport")
    rows = [json.loads(line) for line in filled.stdout.splitlines()]
    assert [(row["label"], row["score"], row.get("reason")) for row in rows[1:]] == [
        ("sport", None, "no text in this row"),
        ("sport", None, "empty text"),
    ]
    assert rows[0]["label"] == plain[0]["label"] and "reason" not in rows[0]  # a text keeps its own
    assert "2 of 3 records had no text in column 'text' to read and got label 'sport' (--fallback)" in (
        filled.stderr
    )
    # A record holding the column empty shows the column is right: alone on standard input it gets its
    # result, exit 0, where it was refused as if the column were wrong (a helpdesk's empty ticket,
    # one process a ticket); its columns joined, it is empty as one column's is.
    for ticket in ('{"id": 9, "text": ""}', '{"id": 9, "text": "", "body": ""}'):
        column = ["--text-column", "text,body"] if "body" in ticket else []
        command = ["predict", str(easy_run), "--json", "--fallback", "sport", *column]
        alone = RUNNER.invoke(app, command, input=ticket + "\n")
        assert alone.exit_code == 0, alone.output
        results = [json.loads(line) for line in alone.stdout.splitlines()]
        assert [(row["label"], row["reason"], row["fields"]["id"]) for row in results] == [
            ("sport", "empty text", 9)
        ]
    table = _ok("predict", easy_run, "-f", blanks, "--fallback", "sport").stdout
    assert "sport (no text in this row)" in table and "sport (empty text)" in table  # the label shown
    _refused(
        invoke("predict", easy_run, "x", "--min-score", "0.5", "--fallback", "spor"),
        "--fallback names label 'spor', which the model does not know; did you mean sport?",
    )


def test_a_threshold_decides_labels_alike_in_predict_and_eval(easy_run, tmp_path):
    """Flag a label at a probability below the best label's (a spam filter at P(spam) 0.2), choose
    the threshold on eval's report, and predict with the same decisions."""
    rows = make_rows(30, seed=11)
    path = write_csv(tmp_path / "t.csv", rows)
    before = [
        json.loads(line) for line in _ok("predict", easy_run, "--file", path, "--json").stdout.splitlines()
    ]
    tech = [next(item["score"] for item in result["top_k"] if item["label"] == "tech") for result in before]
    # tech where P(tech) reaches its highest on a row whose best label is another: halfway to the
    # next highest, so that no row's score is the threshold itself, where the float sums of another
    # batch (inspect's) may fall on either side of it
    highest, next_highest = sorted(
        (score for score, result in zip(tech, before, strict=True) if result["label"] != "tech"), reverse=True
    )[:2]
    cut = float(f"{(highest + next_highest) / 2:.6g}")
    assert highest > cut > next_highest
    threshold = f"tech={cut!r}"
    decided = _ok("predict", easy_run, "--file", path, "--json", "--threshold", threshold)
    after = [json.loads(line) for line in decided.stdout.splitlines()]
    expected = [
        "tech" if score >= cut else result["label"] for score, result in zip(tech, before, strict=True)
    ]
    assert [result["label"] for result in after] == expected != [result["label"] for result in before]
    report = json.loads(_ok("eval", easy_run, path, "--json", "--threshold", threshold).stdout)
    truth = [row["label"] for row in rows]
    assert report["accuracy"] == pytest.approx(sum(map(str.__eq__, truth, expected)) / len(rows))
    assert report["thresholds"] == {"tech": cut}
    table = _ok("eval", easy_run, path, "--threshold", threshold).stdout
    assert f"labels decided by --threshold tech={cut:g}, else the most probable label without one" in table
    assert "avg precision" in table
    # Top-K accuracy, fastText's R@K: at K=1 the accuracy of the most probable label; at K=3 (every
    # label) all rows; the number of labels at most.
    ranked = json.loads(_ok("eval", easy_run, path, "--json", "--top-k", 1).stdout)
    assert ranked["top_k_accuracy"] == {"1": ranked["accuracy"]}
    assert json.loads(_ok("eval", easy_run, path, "--json", "--top-k", 3).stdout)["top_k_accuracy"] == {
        "3": 1.0
    }
    assert "top-2 accuracy " in _ok("eval", easy_run, path, "--top-k", 2).stdout.splitlines()[0]
    _refused(
        invoke("eval", easy_run, path, "--top-k", 4), "--top-k 4: the model has 3 labels; give at most that"
    )
    # inspect heads each heatmap with the label predict gives (it showed the most probable label).
    shown = _ok("inspect", easy_run, "--file", path, "--json", "--threshold", threshold).stdout.splitlines()
    assert [json.loads(line)["label"] for line in shown] == expected
    _refused(invoke("eval", easy_run, path, "--threshold", "tehc=0.2"), "did you mean tech?")
    _refused(invoke("inspect", easy_run, "x", "--threshold", "tehc=0.2"), "did you mean tech?")
    _refused(
        invoke("predict", easy_run, "x", "--threshold", "tech=0.2", "--min-score", "0.5"),
        "--min-score and --threshold decide labels two ways; give one",
    )


def test_predict_joins_back_to_csv_rows_and_writes_the_file_whole(easy_run, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text('id,text\n007,"pasta, cheese\nand bread"\n008,\n009,a tennis match\n', encoding="utf-8")
    out = tmp_path / "labelled.csv"
    result = invoke("predict", easy_run, "--file", rows, "--output", out)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == f"wrote 3 results to {out}"
    labelled = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(row["id"], row["label"]) for row in labelled] == [("007", "food"), ("008", ""), ("009", "sport")]
    assert labelled[0]["text"] == "pasta, cheese\nand bread"
    probabilities = [float(labelled[0][f"prob_{label}"]) for label in ("food", "sport", "tech")]
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-5) and max(probabilities) == float(
        labelled[0]["score"]
    )


def test_a_folder_of_text_files_and_a_file_read_whole_are_one_text_each(easy_run, tmp_path):
    """An essay with blank lines between its paragraphs, read a text a line, was 48 records, 22 of
    them empty, and predict gave each a label (a teacher's trial): a folder's files, and a file or
    standard input given --whole-file, are one text each, named by their file."""
    essays = tmp_path / "essays"
    essays.mkdir()
    (essays / "b.txt").write_text("Fresh pasta with cheese.\n\nAnd bread, and soup.\n", encoding="utf-8")
    (essays / "a.md").write_bytes("A tennis match.\r\n\r\nThe team won.\r\n".encode("utf-16"))
    (essays / ".DS_Store").write_bytes(b"\x00\x01binary")
    (essays / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")  # Windows' thumbnails: no text, passed over
    (essays / "drafts").mkdir()
    (essays / "drafts" / "c.txt").write_text("An older draft.\n")
    predicted = _ok("predict", easy_run, "-f", essays, "--json")
    # Its folders' files are no texts of its own, and are said to be left out.
    assert (
        f"note: left out the folders drafts in {essays}: --file reads the files directly in it"
        in predicted.stderr
    )
    lines = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert [(line["index"], line["fields"], line["label"]) for line in lines] == [
        (0, {"file": "a.md"}, "sport"),
        (1, {"file": "b.txt"}, "food"),
    ]
    assert lines[0]["text"] == "A tennis match.\r\n\r\nThe team won."  # a UTF-16 file by its mark
    assert lines[1]["text"] == "Fresh pasta with cheese.\n\nAnd bread, and soup."
    table = _ok("predict", easy_run, "-f", essays).stdout
    assert "file a.md" in table and "file b.txt" in table
    out = tmp_path / "labelled.csv"
    _ok("predict", easy_run, "-f", essays, "-o", out)
    written = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert [(row["file"], row["text"], row["label"]) for row in written] == [
        ("a.md", "A tennis match.\r\n\r\nThe team won.", "sport"),
        ("b.txt", "Fresh pasta with cheese.\n\nAnd bread, and soup.", "food"),
    ]
    # A folder's files saved by different programs: under --encoding cp1252 a UTF-8 one is read as UTF-8
    # (it was refused as UTF-8, not cp1252, which the other file needs).
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "a.txt").write_bytes("Café soup’s hot.".encode())
    (mixed / "b.txt").write_bytes("Café match – won.".encode("cp1252"))
    read = _ok("predict", easy_run, "-f", mixed, "--encoding", "cp1252", "--json").stdout.splitlines()
    assert [json.loads(line)["text"] for line in read] == ["Café soup’s hot.", "Café match – won."]
    # Read a text a line, an essay's blank lines are records with no text, and --whole-file is named.
    lined = _ok("predict", easy_run, "-f", essays / "b.txt")
    assert (
        "1 of 3 records had no text to read and got no label (--fallback LABEL gives them one); plain text "
        "is read a text a line: " in lined.stderr
    )
    # A document's lines without blank ones between them, given to a model of documents (its max_length
    # sized to 256 tokens or more), are said to be read a text a line (a contract got a label a line: a
    # trial); not where the user gave the max_length, which says nothing of the texts.
    sized = {"sized": {"model.max_length": 100}}
    documents = save_untrained_checkpoint(tmp_path / "documents", metrics=sized, max_length=256)
    given = save_untrained_checkpoint(tmp_path / "given", max_length=256)
    contract = tmp_path / "contract.txt"
    contract.write_text("The lessee shall pay\nthe rent monthly\nto the lessor\n", encoding="utf-8")
    noted = _ok("predict", documents, "-f", contract).stderr
    assert noted.startswith("note: each of the 3 lines was read as a text (") and noted.endswith(
        "tokens on average, where the model reads up to 256); plain text is read a text a line: --whole-file "
        "reads a file as one text\n"
    )
    assert "lines was read" not in _ok("predict", easy_run, "-f", contract).stderr  # a model of short texts
    assert "lines was read" not in _ok("predict", documents, "-f", contract, "--whole-file").stderr
    assert "lines was read" not in _ok("predict", given, "-f", contract).stderr
    # One file, or standard input, read whole.
    whole = json.loads(_ok("predict", easy_run, "-f", essays / "b.txt", "--whole-file", "--json").stdout)
    assert (whole["index"], whole["text"], whole["fields"]) == (0, lines[1]["text"], {"file": "b.txt"})
    piped = RUNNER.invoke(app, ["predict", str(easy_run), "--whole-file", "--json"], input="soup\n\nbread\n")
    assert piped.exit_code == 0, piped.output
    assert [json.loads(line)["text"] for line in piped.stdout.splitlines()] == ["soup\n\nbread"]
    inspected = _ok("inspect", easy_run, "-f", essays / "b.txt", "--whole-file", "--json").stdout.splitlines()
    assert len(inspected) == 1 and json.loads(inspected[0])["text"] == lines[1]["text"]
    # Refused before the model loads: a folder of data files, an empty one, a data file read whole,
    # TEXT arguments read whole, a text column of a whole file.
    (tmp_path / "tables").mkdir()
    write_csv(tmp_path / "tables" / "rows.csv", [{"text": "soup", "label": "food"}])
    (tmp_path / "empty").mkdir()
    for label in ("neg", "pos"):
        (tmp_path / "labelled" / label).mkdir(parents=True)
        (tmp_path / "labelled" / label / "0.txt").write_text(label)
    shutil.copytree(tmp_path / "labelled", tmp_path / "with_readme")
    (tmp_path / "with_readme" / "README").write_text("The reviews, one folder a label.")
    # A Word document among essays stopped the run after the results of the files before it, advised to
    # save it as CSV (a review): refused first, with advice for a folder of texts.
    (tmp_path / "office").mkdir()
    (tmp_path / "office" / "a.txt").write_text("soup\n")
    (tmp_path / "office" / "b.docx").write_bytes(b"PK\x03\x04" + b"x" * 26 + b"[Content_Types].xml")
    for args, said in (
        (["-f", tmp_path / "tables"], "holds data files (rows.csv), whose rows are texts of their own"),
        (["-f", tmp_path / "empty"], "is a folder with no files; pass a folder of text files"),
        (["-f", tmp_path / "labelled"], "holds folders (neg, pos) and no files; --file reads the text files"),
        (
            ["-f", tmp_path / "with_readme"],
            "holds folders of files (neg, pos) beside its files (README); --file",
        ),
        (["-f", tmp_path / "tables" / "rows.csv", "--whole-file"], "rows.csv is a csv file, whose rows are"),
        (["soup", "--whole-file"], "--whole-file reads --file or standard input as one text"),
        (["-f", essays, "--text-column", "body"], "a whole text file has none"),
        (["-f", tmp_path / "office"], "is a Word document, not a data file attn reads; each file of --file "),
    ):
        result = invoke("predict", tmp_path / "no-such-run", *args)
        assert result.exit_code == 2 and said in result.stderr, (args, result.output)


def test_a_csv_written_from_one_with_empty_header_cells_heads_them_as_it_did(easy_run, tmp_path):
    """Excel's empty columns past a table (a survey export's trailing commas) came back headed
    `Unnamed: 2,Unnamed: 3`, names the user never gave; each column keeps its own values."""
    rows = tmp_path / "rows.csv"
    rows.write_text("id,text,,\n1,pasta and cheese,a,\n2,a tennis match,,b\n", encoding="utf-8")
    out = tmp_path / "labelled.csv"
    _ok("predict", easy_run, "--file", rows, "--output", out)
    written = list(csv.reader(out.open(encoding="utf-8")))
    assert written[0][:5] == ["id", "text", "", "", "label"]
    assert [row[:5] for row in written[1:]] == [
        ["1", "pasta and cheese", "a", "", "food"],
        ["2", "a tennis match", "", "b", "sport"],
    ]
    # --json keeps them apart by the names pandas gives them, as a dict needs.
    first = json.loads(_ok("predict", easy_run, "--file", rows, "--json").stdout.splitlines()[0])
    assert first["fields"] == {"id": "1", "Unnamed: 2": "a", "Unnamed: 3": ""}


def test_a_parquet_text_column_of_utf8_bytes_is_read_as_its_text_everywhere(easy_run, tmp_path):
    """Found in a user's trial: a binary text column (as Spark writes strings unless told otherwise)
    gave every row "b'...' instead of a text" in predict, and eval and train refused every row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = make_rows(30, seed=5)
    texts, labels = [row["text"] for row in rows], [row["label"] for row in rows]
    as_strings, as_bytes = tmp_path / "strings.parquet", tmp_path / "bytes.parquet"
    pq.write_table(pa.table({"text": texts, "label": labels}), as_strings)
    pq.write_table(pa.table({"text": [text.encode() for text in texts], "label": labels}), as_bytes)
    predicted = [
        [json.loads(line) for line in _ok("predict", easy_run, "-f", path, "--json").stdout.splitlines()]
        for path in (as_strings, as_bytes)
    ]
    assert predicted[1] == predicted[0]  # the text as text, and not carried again under "fields"
    scored = [json.loads(_ok("eval", easy_run, path, "--json").stdout) for path in (as_strings, as_bytes)]
    assert scored[1]["n"] == 30 and scored[1]["accuracy"] == scored[0]["accuracy"]
    _ok("train", as_bytes, "-o", tmp_path / "run", "--epochs", 1, *TINY)
    # Bytes that are not UTF-8: no text for predict (the bytes kept under "fields"), refused by eval.
    damaged = tmp_path / "damaged.parquet"
    pq.write_table(
        pa.table({"text": [b"caf\xe9 soup", *(t.encode() for t in texts[1:])], "label": labels}), damaged
    )
    first = json.loads(_ok("predict", easy_run, "-f", damaged, "--json").stdout.splitlines()[0])
    assert (first["label"], first["reason"]) == (None, "bytes that are not UTF-8 instead of a text")
    assert first["fields"]["text"] == "caf\ufffd soup"
    _refused(
        invoke("eval", easy_run, damaged),
        f"row 1 of {damaged} (counting from 1) has bytes that are not UTF-8 text in column 'text'; fill in "
        "or remove such rows, or pass --drop-invalid",
    )
    left_out = _ok("eval", easy_run, damaged, "--drop-invalid", "--json")
    assert json.loads(left_out.stdout)["n"] == 29
    # Beside JSON the notes go to standard error, each marked as other commands mark theirs.
    notes = left_out.stderr.splitlines()
    assert notes and all(line.startswith(("note: ", "warning: ")) for line in notes), notes
    # A label column of bytes names its labels as text ("b'food'" was a label the model never saw).
    byte_labels = tmp_path / "byte_labels.parquet"
    pq.write_table(pa.table({"text": texts, "label": [label.encode() for label in labels]}), byte_labels)
    assert (
        json.loads(_ok("eval", easy_run, byte_labels, "--json").stdout)["accuracy"] == scored[0]["accuracy"]
    )


def test_records_nested_under_one_key_are_read_by_predict_as_by_train_and_eval(easy_run, tmp_path):
    """Found in a user's trial: train and eval read {"data": {"text": ..., "label": ...}} lines by the
    dotted path data.text, and predict and inspect refused the file as "one JSON object of columns"."""
    rows = make_rows(6, seed=3)
    nested = write_jsonl(tmp_path / "nested.jsonl", [{"data": row} for row in rows])
    one = write_jsonl(tmp_path / "one.jsonl", [{"data": rows[0]}])
    for path, count in ((nested, 6), (one, 1)):
        for command in ("predict", "inspect"):
            result = _ok(command, easy_run, "-f", path, "--json")
            assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == [
                row["text"] for row in rows[:count]
            ]
    assert json.loads(_ok("eval", easy_run, nested, "--json").stdout)["n"] == 6
    # pandas' columns (keyed by the row index) are still no records.
    columns = tmp_path / "columns.json"
    columns.write_text(
        json.dumps({"text": {"0": "hot soup", "1": "a goal"}, "label": {"0": "food", "1": "sport"}})
    )
    _refused(invoke("predict", easy_run, "-f", columns), "holds one JSON object of columns, not records")
    # One row of them too, each column keyed by "0" alone: eval scored it as a row of text "text.0".
    for index in ("0", "5"):  # df.to_json() of one row; of df.iloc[[5]]
        columns.write_text(json.dumps({"text": {index: "hot soup"}, "label": {index: "food"}}))
        for command in (["predict", easy_run, "-f", columns], ["eval", easy_run, columns]):
            _refused(invoke(*command), "holds one JSON object of columns, not records")
    # pandas' orient='index', each record under its row number: "the train split has only one class".
    columns.write_text(json.dumps({str(index): row for index, row in enumerate(rows)}))
    for command in (["predict", easy_run, "-f", columns], ["eval", easy_run, columns]):
        _refused(invoke(*command), "holds one JSON object of records keyed by their row numbers, not records")
    _refused(invoke("train", columns, "-o", tmp_path / "run"), "keyed by their row numbers")


def test_a_csv_predicted_from_nested_json_has_a_column_a_field_and_is_evaluated(tmp_path):
    """A teacher's trial: the csv predicted from {"student": {"id": ...}, "essay": {"body": ...}} held
    each record as JSON ("{""id"": ""S000""}"), so student.id was no column, and eval found no
    essay.body in it (it blamed the label column). The fields are columns as datasets' flatten()
    names them, and eval reads the text from essay.body and the labels from grade."""
    grades = {"food": 1, "sport": 2, "tech": 3}

    def essays(count: int, seed: int) -> list[dict]:
        return [
            {"student": {"id": f"S{index:03}"}, "essay": {"body": row["text"]}, "grade": grades[row["label"]]}
            for index, row in enumerate(make_rows(count, seed=seed))
        ]

    run, tested = tmp_path / "run", essays(30, 2)
    _ok("train", write_jsonl(tmp_path / "essays.jsonl", essays(150, 1)), "-o", run, "--epochs", 4, *TINY)
    nested, out = write_jsonl(tmp_path / "essays_nested.jsonl", tested), tmp_path / "preds.csv"
    _ok("predict", run, "--file", nested, "-o", out)
    with out.open(encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))
    assert header == [
        "student.id", "essay.body", "grade", "attn_label", "score", "prob_1", "prob_2", "prob_3", "reason",
        "truncated_tokens",
    ]  # fmt: skip
    assert [row[:3] for row in rows] == [
        [essay["student"]["id"], essay["essay"]["body"], str(essay["grade"])] for essay in tested
    ]
    right = sum(row[2] == row[3] for row in rows)
    evaluated = _ok("eval", run, out, "--json")
    report = json.loads(evaluated.stdout)
    assert (report["n"], report["accuracy"]) == (30, pytest.approx(right / 30))
    assert "using text column" not in evaluated.stderr  # essay.body, as trained: not found loosely
    direct = json.loads(_ok("eval", run, nested, "--json").stdout)
    assert report["confusion_matrix"] == direct["confusion_matrix"]


def test_a_csv_predicted_from_nested_json_keeps_lists_and_records_of_mixed_rows_whole(tmp_path):
    """Lists stay one cell of JSON; the columns are every field any record holds; a record that is
    another value in some row (mixed), that has no fields (meta), or whose field's dotted name is
    another column's (a.b) stays one column of JSON, so nothing is lost and no two columns share a name."""
    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    records = [
        {
            "id": 1,
            "who": {"name": "Ann", "tags": ["a", "b"]},
            "meta": {},
            "text": "soup",
            "a.b": 1,
            "a": {"b": 2},
        },
        {"id": 2, "who": {"name": "Bo", "school": {"city": "Oslo"}}, "text": "goal", "mixed": {"x": 1}},
        {"id": 3, "text": "robot", "mixed": "plain"},
    ]
    out = tmp_path / "out.csv"
    _ok("predict", checkpoint, "-f", write_jsonl(tmp_path / "rows.jsonl", records), "-o", out)
    with out.open(encoding="utf-8", newline="") as file:
        header, *rows = [row[:9] for row in csv.reader(file)]
    assert header == ["id", "who.name", "who.tags", "who.school.city", "meta", "text", "a.b", "a", "mixed"]
    assert rows == [
        ["1", "Ann", '["a", "b"]', "", "{}", "soup", "1", '{"b": 2}', ""],
        ["2", "Bo", "", "Oslo", "", "goal", "", "", '{"x": 1}'],
        ["3", "", "", "", "", "robot", "", "", "plain"],
    ]


def test_predict_jsonl_carries_the_other_fields_and_numbers_every_record(easy_run, tmp_path):
    rows = write_jsonl(
        tmp_path / "rows.jsonl",
        [
            {"id": 1, "text": "soup"},
            {"id": 2, "text": " "},
            {"id": 3, "text": 12345},
            {"id": 4, "text": True},
        ],
    )
    result = invoke("predict", easy_run, "-f", rows, "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["index"], r["fields"], r["label"]) for r in lines] == [
        (0, {"id": 1}, "food"),
        (1, {"id": 2}, None),
        (2, {"id": 3, "text": 12345}, None),
        (3, {"id": 4, "text": True}, None),
    ]
    # Why each has no label, the value named as training names it.
    assert [r.get("reason") for r in lines] == [
        None,
        "empty text",
        "12345 instead of a text",
        "true instead of a text",
    ]


def test_predict_and_inspect_read_a_utf16_file_as_its_utf8_twin(easy_run, tmp_path):
    """A csv saved as UTF-16 with CRLF line ends (PowerShell's `Export-Csv -Encoding Unicode`) was
    refused by predict and inspect, which train and eval read with --encoding utf-16."""
    content = 'id,text\r\n007,"pasta, cheese\r\nand bread"\r\n008,\r\n009,a tennis match café\r\n'
    utf8, utf16 = tmp_path / "rows.csv", tmp_path / "rows16.csv"
    utf8.write_text(content, encoding="utf-8", newline="")
    utf16.write_text(content, encoding="utf-16", newline="")
    for command in ("predict", "inspect"):
        want = _ok(command, easy_run, "-f", utf8, "--json").stdout
        assert _ok(command, easy_run, "-f", utf16, "--json", "--encoding", "utf-16").stdout == want
        # Its byte-order mark says UTF-16 as surely as UTF-8's says UTF-8: read without --encoding.
        unasked = _ok(command, easy_run, "-f", utf16, "--json")
        assert unasked.stdout == want
        assert (
            "note: rows16.csv opens with a UTF-16 byte-order mark, so it is read as utf-16" in unasked.stderr
        )
    out = tmp_path / "labelled.csv"
    _ok("predict", easy_run, "-f", utf16, "--encoding", "utf-16", "-o", out)
    # Written as utf-8, as every output is, with the byte-order mark Excel needs to read its accents
    # as utf-8 (a UTF-16 csv comes from Windows: Excel's "Unicode Text", PowerShell's Export-Csv).
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,text,")
    labelled = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [(row["id"], row["label"]) for row in labelled] == [("007", "food"), ("008", ""), ("009", "sport")]
    # So does one from other Windows input: PowerShell's UTF-16 text file, Excel's cp1252 "CSV"; a
    # UTF-8 file without a mark (a script's) keeps none.
    texts16, ansi = tmp_path / "texts.txt", tmp_path / "ansi.csv"
    texts16.write_text("pasta and bread\r\ncafé crème\r\n", encoding="utf-16")
    ansi.write_text("id;text\n1;café – crème\n", encoding="cp1252")
    for given, encoding, marked in (
        (texts16, "utf-16", True),
        (ansi, "cp1252", True),
        (utf8, "utf-8", False),
    ):
        _ok("predict", easy_run, "-f", given, "--encoding", encoding, "-o", out)
        assert out.read_bytes().startswith(b"\xef\xbb\xbf") == marked, given
    _ok("predict", easy_run, "-f", ansi, "--encoding", "cp1252", "-o", out)
    assert "café – crème" in out.read_text(encoding="utf-8-sig")  # read in its encoding, written as utf-8
    # --bom asks for the mark where the input had none (Chinese in a script's UTF-8, for a Chinese
    # Excel, which reads a file without one as GBK: a trial), on a file or standard output alike.
    _ok("predict", easy_run, "-f", utf8, "-o", out, "--bom")
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,text,")
    assert _ok("predict", easy_run, "soup", "--format", "tsv", "--bom").stdout.startswith("\ufeffindex\t")
    refused = invoke("predict", easy_run, "soup", "--json", "--bom")
    _refused(refused, "--bom opens csv or tsv output for Excel, and this output is jsonl")


def test_an_input_refused_as_it_is_first_read_leaves_the_table_unprinted(easy_run, tmp_path):
    """The table's header was printed above the error line."""
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    refused = invoke("predict", easy_run, "-f", latin)
    _refused(refused, "line 1 of")
    assert refused.stdout == ""
    assert (
        _ok("predict", easy_run, "-f", tmp_path / "latin.txt", "--encoding", "latin-1")
        .stdout.lstrip()
        .startswith("#")
    )


def test_predict_and_inspect_read_a_saved_dataset_as_its_parquet_twin(easy_run, tmp_path):
    """A save_to_disk folder was 'a folder' to predict; an Excel workbook was advised `unzip -p`."""
    from datasets import Dataset, DatasetDict

    rows = Dataset.from_dict({"id": [7, 8, 9], "text": ["hot soup", None, "a tennis match"]})
    rows.to_parquet(str(tmp_path / "rows.parquet"))
    DatasetDict({"test": rows}).with_format("numpy").save_to_disk(str(tmp_path / "saved"))
    labels = {}
    for command in ("predict", "inspect"):
        want = _ok(command, easy_run, "-f", tmp_path / "rows.parquet", "--json").stdout
        labels[command] = [json.loads(line)["label"] or "" for line in want.splitlines()]
        assert _ok(command, easy_run, "-f", tmp_path / "saved" / "test", "--json").stdout == want
        # --text-column auto finds the column, as --set data.text_column=auto does in training.
        assert (
            _ok(command, easy_run, "-f", tmp_path / "rows.parquet", "--text-column", "auto", "--json").stdout
            == want
        )
    _refused(invoke("predict", easy_run, "-f", tmp_path / "saved"), "saved DatasetDict of one split (test)")
    out = tmp_path / "labelled.csv"
    _ok("predict", easy_run, "-f", tmp_path / "saved" / "test", "-o", out)
    labelled = list(csv.DictReader(out.open(encoding="utf-8")))
    # The parquet twin's labels (the tiny model's own, whatever they are: it has seen few rows).
    expected = list(zip(["7", "8", "9"], labels["predict"], strict=True))
    assert [(row["id"], row["label"]) for row in labelled] == expected
    assert labels["predict"][1] == "" and labels["predict"] == labels["inspect"]
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04" + bytes(100))
    _refused(
        invoke("predict", easy_run, "-f", tmp_path / "book.xlsx"),
        f"{tmp_path / 'book.xlsx'} is an Excel workbook, not a data file attn reads; save it as CSV (UTF-8)",
    )


def test_inspect_json_lines_join_back_to_their_rows_as_predicts_do(easy_run, tmp_path):
    rows = write_jsonl(
        tmp_path / "rows.jsonl",
        [{"id": "a7", "text": "hot soup"}, {"id": "b8", "text": ""}, {"id": "c9", "text": 5}],
    )
    result = invoke("inspect", easy_run, "-f", rows, "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    predicted = [
        json.loads(line) for line in invoke("predict", easy_run, "-f", rows, "--json").stdout.splitlines()
    ]
    for keys in (["index", "text", "fields", "label"], ["reason"]):
        assert [[r.get(k) for k in keys] for r in lines] == [[r.get(k) for k in keys] for r in predicted]
    assert [r["fields"] for r in lines] == [{"id": "a7"}, {"id": "b8"}, {"id": "c9", "text": 5}]
    first = lines[0]
    # Every label's probability, as predict gives its top labels' (the weights say for none of them),
    # to float32's last digits: the self-attention layer's weights are computed one by one to show
    # them, where predict takes the fused kernel (an AMD EPYC's tech 0.0047015687 against 0.004701571).
    expected = {item["label"]: item["score"] for item in predicted[0]["top_k"]}
    assert first["probabilities"] == pytest.approx(expected, rel=1e-5, abs=1e-7)
    assert first["probabilities"][first["label"]] == first["score"]
    assert sum(first["probabilities"].values()) == pytest.approx(1, abs=1e-5)
    assert lines[1]["probabilities"] is None
    assert (
        "".join(first["text"][t["start"] : t["end"]] for t in first["tokens"]) == "hotsoup"
    )  # offsets index it
    # The heatmaps name each record by its id too, in the terminal and in a saved page.
    shown = invoke("inspect", easy_run, "-f", rows, "--no-color", "--html", tmp_path / "rows.html")
    headings = [line for line in shown.stdout.splitlines() if line.startswith("#")]
    assert [heading.split("  ")[:2] for heading in headings] == [
        ["#0", "id a7"],
        ["#1", "id b8"],
        ["#2", "id c9"],
    ]
    assert headings[1] == "#1  id b8  (empty text)" and "id a7" in (tmp_path / "rows.html").read_text()


def test_a_text_column_with_no_text_in_any_record_is_an_error_and_writes_no_file(easy_run, tmp_path):
    """`--text-column id` (numbers) gave a "no text" result for every record and exit 0, which a
    pipeline took for success, and then, refused at the end, still a null result for each record on
    standard output (a nightly job's `... | attn predict RUN --json | jq`): nothing goes out until a
    record has a text. A plain text file of blank lines still gets one result a line."""
    rows = write_jsonl(
        tmp_path / "rows.jsonl", [{"id": 1, "text": "soup"}, {"id": 2, "text": "a tennis match"}]
    )
    out = tmp_path / "labelled.csv"
    piped = rows.read_text()
    commands = (["predict", "-o", out], ["predict", "--json"], ["inspect", "--json"], ["inspect"])
    formats = (["predict", "--format", "csv"], ["predict", "--format", "json"])
    for command in (*commands, *formats):
        for source in ("-f", "-"):
            args = [command[0], str(easy_run), "--text-column", "id", *map(str, command[1:])]
            args += ["-f", str(rows)] if source == "-f" else ["-"]
            result = RUNNER.invoke(app, args, input=piped if source == "-" else None)
            name = rows if source == "-f" else "standard input"
            _refused(
                result,
                f"no record of {name} has a text in column 'id' (2 read); if another column holds the texts",
            )
            assert result.stdout == ""
    assert not out.exists()
    # A stream says that its first records wait; and 10,000 in a row without a text are refused there.
    import attncli.cli.inputs

    piped = RUNNER.invoke(app, ["predict", str(easy_run), "--text-column", "id", "-"], input=piped)
    assert "note: the first records of standard input have no text in column 'id'; their results " in (
        piped.stderr
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(attncli.cli.inputs, "HELD_WITHOUT_TEXT", 2)
        _refused(
            invoke("predict", easy_run, "-f", rows, "--text-column", "id", "--json"),
            f"the first 2 records of {rows} have no text in column 'id'; if another column holds the texts",
        )
    # A line that does not read after held records: they get their results before the error.
    broken = RUNNER.invoke(
        app, ["predict", str(easy_run), "--text-column", "body", "--json", "-"], input='{"id": 1}\nnot json\n'
    )
    assert broken.exit_code == 2 and [json.loads(line)["index"] for line in broken.stdout.splitlines()] == [0]
    # Records without a text before the first with one are held, then go out in order.
    late = write_jsonl(
        tmp_path / "late.jsonl", [{"id": 1}, {"id": 2, "body": " "}, {"id": 3, "body": "soup"}]
    )
    for source in ("-f", "-"):
        args = ["predict", str(easy_run), "--text-column", "body", "--json"]
        args += ["-f", str(late)] if source == "-f" else ["-"]
        result = RUNNER.invoke(app, args, input=late.read_text() if source == "-" else None)
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(line["index"], line.get("reason"), line["label"] is None) for line in lines] == [
            (0, "no text in this row", True),
            (1, "empty text", True),
            (2, None, False),
        ]
    blank = tmp_path / "blank.txt"
    blank.write_text("\n \n")
    result = invoke("predict", easy_run, "-f", blank, "--json")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2
    assert invoke("predict", easy_run, "-f", rows, "-o", out).exit_code == 0  # the right column still works


def test_predict_into_a_json_file_writes_one_array_of_the_jsonl_objects(easy_run, tmp_path):
    rows = write_jsonl(
        tmp_path / "rows.jsonl", [{"id": 1, "text": "soup"}, {"id": 2, "text": "a tennis match"}]
    )
    out = tmp_path / "labelled.json"
    assert invoke("predict", easy_run, "-f", rows, "-o", out).exit_code == 0
    streamed = invoke("predict", easy_run, "-f", rows, "--format", "jsonl")
    assert json.loads(out.read_text(encoding="utf-8")) == [
        json.loads(line) for line in streamed.stdout.splitlines()
    ]
    assert [row["label"] for row in json.loads(out.read_text(encoding="utf-8"))] == ["food", "sport"]


def test_predict_names_the_line_that_is_not_in_the_encoding(easy_run, tmp_path):
    texts = tmp_path / "latin.txt"
    texts.write_bytes("soup\ncaf\xe9 and bread\n".encode("latin-1"))
    refused = invoke("predict", easy_run, "-f", texts)
    assert refused.exit_code == 2 and "line 2" in refused.output and "--encoding" in refused.output
    accepted = invoke("predict", easy_run, "-f", texts, "--encoding", "latin-1", "--json")
    assert [json.loads(line)["text"] for line in accepted.stdout.splitlines()] == ["soup", "café and bread"]


def test_inspect_of_a_long_file_gives_every_record_its_line_in_order(easy_run, tmp_path):
    """inspect runs and shows a file's records a few batches at a time (a 2,048-record chunk held
    every text's weights before anything was shown): none lost or reordered at the seams."""
    from attncli.cli.inspect_command import INSPECT_SHOWN_RECORDS

    count = 2 * INSPECT_SHOWN_RECORDS + 5
    texts = [("" if n % 50 == 7 else f"soup number {n}" if n % 2 else "a tennis match") for n in range(count)]
    file = tmp_path / "texts.txt"
    file.write_text("\n".join(texts) + "\n")
    lines = [json.loads(line) for line in _ok("inspect", easy_run, "-f", file, "--json").stdout.splitlines()]
    assert [line["index"] for line in lines] == list(range(count))
    assert [line["text"] or "" for line in lines] == texts
    assert [line["label"] is None for line in lines] == [not text for text in texts]


def test_inspect_of_labelled_rows_says_each_rows_label_beside_the_prediction(easy_run, tmp_path):
    """A trial's report of 400 labelled log lines showed what was predicted, and no way to tell the
    mistakes: a file with the column the model learnt its labels from gives each row's label."""
    rows = tmp_path / "rows.csv"
    rows.write_text("id,text,label\n1,hot soup with bread, Food\n2,hot soup with bread,sport\n3,hot soup,\n")
    html = tmp_path / "report.html"
    shown = _ok("inspect", easy_run, "-f", rows, "--no-color", "--html", html).stdout
    headers = [line for line in shown.splitlines() if line.startswith("#")]
    assert [re.sub(r"\(\d+\.\d%\)", "(P)", line.split(";")[0]) for line in headers] == [
        "#0  id 1  predicted food (P), labelled  Food",  # as written; read as food, as eval reads it
        "#1  id 2  predicted food (P), labelled sport (wrong)",
        "#2  id 3  predicted food (P)",  # no label in the row: nothing to say
    ]
    page = html.read_text(encoding="utf-8")  # the saved report too, where the mistakes are looked for
    assert page.count(">, labelled </span>") == 2 and page.count("(wrong)") == 1


def test_inspect_reads_several_texts_and_saves_html_and_svg(easy_run, tmp_path):
    from xml.etree import ElementTree

    html, svg = tmp_path / "heat.html", tmp_path / "heat.svg"
    result = RUNNER.invoke(
        app,
        ["inspect", str(easy_run), "-", "--html", str(html), "--svg", str(svg)],
        input="soup today\n\nrobot\n",
    )
    assert result.exit_code == 0, result.output
    assert "#0" in result.stdout and "#1  (empty text)" in result.stdout and "#2" in result.stdout
    assert "note: 1 of 3 records had no text to inspect" in result.stderr
    page = html.read_text(encoding="utf-8")
    assert "soup" in page and "robot" in page and "background-color" in page
    # Each token has its weight as its title, which a browser shows on hover.
    assert re.search(r'<span title="0\.[0-9]+">soup</span>', page) and "attn-weight" not in page
    assert "#1  (empty text)" in page  # the empty line keeps its entry in the saved picture too
    assert f"<title>attn inspect {easy_run}</title>" in page  # a browser's tab said nothing (a trial)
    # Each line takes its direction from its first letter: a Hebrew heatmap reads right to left.
    assert '<pre style="unicode-bidi:plaintext;' in page
    braces = tmp_path / "{a} <b>"  # a title is escaped, and braces are no template's fields
    shutil.copytree(easy_run, braces)
    _ok("inspect", braces, "soup", "--html", html)
    assert f"<title>attn inspect {tmp_path}/{{a}} &lt;b&gt;</title>" in html.read_text(encoding="utf-8")
    picture = svg.read_text(encoding="utf-8")
    assert f"attn inspect {easy_run}".replace(" ", "&#160;") in picture  # the SVG's window bar
    assert picture.lstrip().startswith("<svg") and 'local("FiraCode-Regular")' in picture
    assert 'url("http' not in picture  # no font fetched from a CDN: the page opens offline
    ElementTree.fromstring(picture)  # well-formed XML, as browsers need it
    # U+FFFE and U+FFFF, which XML does not allow, made the whole picture unreadable to a browser.
    odd = RUNNER.invoke(app, ["inspect", str(easy_run), "soup \ufffe robot \uffff", "--svg", str(svg)])
    assert odd.exit_code == 0, odd.output
    ElementTree.fromstring(svg.read_text(encoding="utf-8"))
    from attncli.render.heat import HEAT_COLORS

    assert any(shade in html.read_text(encoding="utf-8") for shade in HEAT_COLORS)
    # Colour refused (--no-color, NO_COLOR) is refused in the saved page too, which then carries each
    # weight as a number a screen reader or a copied text keeps; a pipe alone does not refuse it.
    for refusal, environment in ((["--no-color"], {}), ([], {"NO_COLOR": "1"})):
        plain = RUNNER.invoke(
            app, ["inspect", str(easy_run), "soup today", "--html", str(html), *refusal], env=environment
        )
        assert plain.exit_code == 0, plain.output
        page = html.read_text(encoding="utf-8")
        assert re.search(r"\[0\.\d{3}\]", page) and not any(shade in page for shade in HEAT_COLORS)
        # NO_COLOR, which a report job's environment may set for every program, is said (a trial),
        # of a page on standard output too (a review).
        told = f"note: NO_COLOR is set, so {html} shows each token's weight as a number, not as a colour"
        assert (told in plain.stderr) == bool(environment), plain.stderr
        piped = RUNNER.invoke(
            app, ["inspect", str(easy_run), "soup", "--html", "-", *refusal], env=environment
        )
        assert piped.stdout.lstrip().startswith("<!DOCTYPE html>") and re.search(
            r"\[\d\.\d{3}\]", piped.stdout
        )
        told = "note: NO_COLOR is set, so the page on standard output (--html) shows each token's weight"
        assert (told in piped.stderr) == bool(environment), piped.stderr
    as_json = RUNNER.invoke(app, ["inspect", str(easy_run), "-", "--json"], input="soup today\n\n")
    assert as_json.stderr == (  # as predict --json says it
        "note: 1 of 2 records had no text to inspect; plain text is read a text a line: --whole-file reads "
        "a file as one text\n"
    )
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert set(lines[1]) == set(lines[0]) | {"reason"}  # an empty line has every key, as null or empty
    assert (lines[1]["label"], lines[1]["tokens"], lines[1]["reason"]) == (None, [], "empty text")


def test_an_encoding_for_a_parquet_file_is_refused_as_a_delimiter_is(easy_run, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": ["hot soup"]}), rows)
    _refused(
        invoke("predict", easy_run, "-f", rows, "--encoding", "latin-1"),
        "--encoding latin-1 reads text files; rows.parquet is a parquet file, whose texts are UTF-8: drop "
        "--encoding",
    )
    assert _ok("predict", easy_run, "-f", rows, "--encoding", "utf-8", "--json").stdout.count("\n") == 1
    import datasets

    saved = tmp_path / "saved"
    datasets.Dataset.from_dict({"text": ["hot soup"]}).save_to_disk(str(saved))
    _refused(
        invoke("inspect", easy_run, "-f", saved, "--encoding", "cp1252"),
        "--encoding cp1252 reads text files; saved is a save_to_disk folder, whose texts are UTF-8",
    )


def test_a_page_under_the_other_pages_suffix_is_refused(easy_run, tmp_path):
    """Found in a user's trial: `--svg page.html` saved an SVG image under an .html name (predict
    refuses a --format that its --output's suffix contradicts)."""
    cases = {
        ("--svg", "page.html"): "--svg writes an SVG image, which the name page.html does not promise; name "
        "it page.svg, or pass --html",
        ("--html", "page.svg"): "--html writes an HTML page, which the name page.svg does not promise; name "
        "it page.html, or pass --svg",
    }
    for (option, name), message in cases.items():
        _refused(invoke("inspect", easy_run, "soup today", option, tmp_path / name), message)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_input_says_there_was_nothing_to_predict_or_inspect(easy_run, tmp_path):
    """Found in a user's trial: an empty pipe or file gave no result and no word."""
    for command, verb in (("predict", "predict"), ("inspect", "inspect")):
        result = RUNNER.invoke(app, [command, str(easy_run), "-", "--json"], input="")
        assert (result.exit_code, result.stdout) == (0, ""), result.output
        assert result.stderr == f"note: standard input held no texts, so there was nothing to {verb}\n"
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    from_file = RUNNER.invoke(app, ["predict", str(easy_run), "-f", str(empty), "--format", "jsonl"])
    assert from_file.exit_code == 0 and from_file.stdout == ""
    assert f"note: {empty} held no texts" in from_file.stderr
    # A dataset file of no rows at all too (`jq ... > today.jsonl` that matched none, in a nightly
    # job): predict and inspect refused an empty .jsonl or .csv, which column held the text unknown.
    for name, content in (
        ("none.jsonl", ""),
        ("blank.jsonl", "\n\n"),
        ("none.csv", ""),
        ("hdr.csv", "text\n"),
    ):
        data = tmp_path / name
        data.write_text(content, encoding="utf-8")
        for command in ("predict", "inspect"):
            result = RUNNER.invoke(app, [command, str(easy_run), "-f", str(data), "--json"])
            assert (result.exit_code, result.stdout) == (0, ""), result.output
            assert f"note: {data} held no texts" in result.stderr
    one_line = RUNNER.invoke(app, ["predict", str(easy_run), "-", "--json"], input="\n")  # a record
    assert "held no texts" not in one_line.stderr
    # An empty input replacing a file of results is warned of: a nightly job given cron's /dev/null
    # lost yesterday's results with exit 0 and a note (a container trial). A new file is no loss.
    results = tmp_path / "results.csv"
    new = RUNNER.invoke(app, ["predict", str(easy_run), "-o", str(results)], input="")
    assert new.exit_code == 0 and new.stderr.startswith("note: standard input held no texts")
    _ok("predict", easy_run, "hot soup", "-o", results)
    replaced = RUNNER.invoke(app, ["predict", str(easy_run), "-o", str(results)], input="")
    assert replaced.exit_code == 0 and replaced.stderr.startswith(
        f"warning: standard input held no texts, so {results}, which held results, now holds none\n"
    )
    again = RUNNER.invoke(app, ["predict", str(easy_run), "-o", str(results), "-q"], input="")
    assert again.stderr == ""  # a header alone holds no results to lose (and --quiet says no note)


def test_csv_to_a_terminal_is_shown_safe_and_to_a_file_or_pipe_as_written(easy_run, tmp_path, monkeypatch):
    from attncli.cli import predict_command

    text = "soup\x1b]0;pwned\x07 today"
    piped = _ok("predict", easy_run, text, "--format", "csv")
    assert text in piped.stdout
    _ok("predict", easy_run, text, "--format", "csv", "-o", tmp_path / "out.csv")  # a file: as written
    assert text in (tmp_path / "out.csv").read_text(encoding="utf-8")
    with (tmp_path / "out.csv").open() as written:
        assert not predict_command.writes_to_terminal(written)
    # Whatever stream is a terminal: standard output, or -o /dev/tty.
    monkeypatch.setattr(predict_command, "writes_to_terminal", lambda stream: True)
    shown = _ok("predict", easy_run, text, "--format", "csv")
    assert "\x1b" not in shown.stdout and "soup ]0;pwned  today" in shown.stdout


def test_a_dash_for_an_output_file_is_standard_output(easy_run, tmp_path, monkeypatch):
    """`-o -` and `--html -` wrote a file named '-' ('wrote 1 result to -')."""
    monkeypatch.chdir(tmp_path)
    predicted = _ok("predict", easy_run, "soup today", "-o", "-", "--format", "csv")
    assert predicted.stdout.splitlines()[0].startswith("index,text,label,score,")
    assert "soup today" in predicted.stdout and "wrote" not in predicted.stderr
    assert (
        _ok("predict", easy_run, "soup today", "-o", "/dev/stdout", "--format", "csv").stdout
        == predicted.stdout
    )
    page = _ok("inspect", easy_run, "soup today", "--html", "-")
    # The page alone: the terminal's view would have made it no HTML.
    assert page.stdout.lstrip().startswith("<!DOCTYPE html>") and page.stdout.rstrip().endswith("</html>")
    assert "soup" in page.stdout and "saved" not in page.stderr
    # Standard output by its device name is the same: it was refused as a file, or mixed with the view.
    assert _ok("inspect", easy_run, "soup today", "--html", "/dev/stdout").stdout == page.stdout
    picture = _ok("inspect", easy_run, "soup today", "--svg", "-", "--html", tmp_path / "also.html")
    assert picture.stdout.lstrip().startswith("<svg") and (tmp_path / "also.html").is_file()
    assert "note:" not in picture.stderr
    assert (
        "note:"
        not in _ok(
            "inspect", easy_run, "I \u2764\ufe0f soup #\ufe0f\u20e3", "--svg", tmp_path / "e.svg"
        ).stderr
    )
    # An SVG lays text out a character a cell: right-to-left text and combining marks are said to
    # come out misplaced there (a trial found Arabic words in reverse order, Hindi glyphs overlapping).
    for text in ("soup كرة", "soup क्रिकेट", "soup \U0001f468\u200d\U0001f469\u200d\U0001f467lol"):
        said = _ok("inspect", easy_run, text, "--svg", tmp_path / "p.svg").stderr
        assert "note: an SVG puts each character in a cell of its own" in said and "--html" in said
    _refused(invoke("inspect", easy_run, "soup", "--html", "-", "--svg", "-"), "both ask for standard output")
    assert not (tmp_path / "-").exists()


def test_inspect_defaults_point_at_the_deciding_word(tmp_path):
    """Default model settings, a task where one keyword among filler words decides the label: the
    default view gives that keyword clearly the highest weight."""
    import random
    import statistics

    keywords = {
        "food": ["pasta", "bread", "soup"],
        "sport": ["tennis", "goal", "coach"],
        "tech": ["robot", "chip", "laptop"],
    }
    filler = "the a of and to in was is it on with for this that today people said very we they".split()
    rng = random.Random(0)
    rows = []
    for index in range(450):
        label = list(keywords)[index % 3]
        words = [rng.choice(filler) for _ in range(rng.randint(8, 16))]
        words.insert(rng.randrange(len(words) + 1), rng.choice(keywords[label]))
        rows.append({"text": " ".join(words), "label": label})
    data = write_csv(tmp_path / "train.csv", rows)
    trained = invoke("train", data, "-o", tmp_path / "run", "--precision", "fp32")
    assert trained.exit_code == 0, trained.output
    for text, keyword in [
        ("the a of and soup to in was is it on", "soup"),
        ("the people said tennis today and it was very", "tennis"),
    ]:
        result = invoke("inspect", tmp_path / "run", text, "--json")
        weights = {token["token"]: token["weight"] for token in json.loads(result.stdout)["tokens"]}
        others = [weight for token, weight in weights.items() if token != keyword]
        assert weights[keyword] == max(weights.values())
        assert weights[keyword] >= 3 * statistics.median(weights.values()), weights
        assert weights[keyword] >= 2 * max(others), weights


def test_eval_reads_labels_in_another_case_as_the_models_and_says_so(easy_run, tmp_path):
    """A trial: a model of praise, complaint, ... refused a file of Praise, Complaint, advising to
    retrain (or --ignore-unknown-labels, which dropped every row)."""
    rows = make_rows(12, seed=4)
    for row in rows[:3]:  # sure mistakes
        row["label"] = {"food": "sport", "sport": "tech", "tech": "food"}[row["label"]]
    exact = json.loads(_ok("eval", easy_run, write_csv(tmp_path / "exact.csv", rows), "--json").stdout)
    cased = write_csv(tmp_path / "cased.csv", [{**row, "label": row["label"].title()} for row in rows])
    result = _ok("eval", easy_run, cased, "--json")
    report = json.loads(result.stdout)
    assert (report["n"], report["accuracy"], report["ignored_unknown"]) == (12, pytest.approx(9 / 12), 0)
    assert report["confusion_matrix"] == exact["confusion_matrix"]
    counts = {label: sum(row["label"] == label for row in rows) for label in ("food", "sport", "tech")}
    ranked = sorted(counts, key=lambda label: (-counts[label], label.title()))
    said = [f"{label.title()!r} as {label!r} ({counts[label]} rows)" for label in ranked]
    said[0] = said[0].replace(" as ", " as the model's ", 1)  # the first names whose labels they are
    read = f"cased.csv: read {', '.join(said)}, labels compared ignoring case"
    assert read in " ".join(result.stderr.split())
    shown = _ok("eval", easy_run, cased).stdout
    assert "accuracy 75.0%" in shown.splitlines()[0]


def test_eval_reads_another_encoding_when_told(easy_run, tmp_path):
    rows = tmp_path / "latin.csv"
    rows.write_bytes(
        "text,label\nsoupe \xe0 la cr\xe8me with bread,food\nthe coach and the goal,sport\n".encode("latin-1")
    )
    refused = invoke("eval", easy_run, rows)
    assert refused.exit_code == 2 and "line 2" in refused.output and "--encoding" in refused.output
    accepted = invoke("eval", easy_run, rows, "--encoding", "latin-1", "--json")
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.stdout)["n"] == 2


def test_bad_input_gets_one_line_and_exit_code_2(easy_run, tmp_path):
    _refused(invoke("train", tmp_path / "absent.csv", "-o", tmp_path / "x"), "does not exist")
    data = write_csv(tmp_path / "d.csv", make_rows(30), text_column="words", label_column="label")
    _refused(invoke("train", data, "-o", tmp_path / "x", "--text-column", "word"), "closest: 'words'")
    one_class = write_csv(tmp_path / "one.csv", make_rows(10, labels=("food",)))
    _refused(invoke("train", one_class, "-o", tmp_path / "x"), "only one class")
    _refused(invoke("train", data, "-o", tmp_path / "x", "--set", "model.heads=2"), "model.num_heads")
    _refused(invoke("eval", tmp_path / "no-such-run"), "does not exist")
    unseen = write_jsonl(tmp_path / "unseen.jsonl", [{"text": "guitar", "label": "music"}])
    _refused(invoke("eval", easy_run, unseen), "'music'")
    # An encoding refused as train refuses it (it was LookupError, exit 1), and a file that is not in
    # the encoding it is read as (a utf-8 file given as utf-16: UnicodeError, exit 1).
    _refused(invoke("eval", easy_run, data, "--encoding", "cp-1252"), "'cp-1252' is not a text encoding")
    _refused(invoke("eval", easy_run, "-"), "reads DATA from a file, a folder or a Hub dataset, not standard")
    for command in (["eval", easy_run, data], ["train", data, "-o", tmp_path / "x"]):
        _refused(invoke(*command, "--encoding", "utf-16"), f"{data} is not utf-16 (it has line ends")
    # A file marked as UTF-8 (Excel's "CSV UTF-8") read as cp1252 gave 'ï»¿text' and 'CafÃ©' silently.
    marked = tmp_path / "marked.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + data.read_bytes())
    utf8 = "starts with a UTF-8 byte-order mark, so it is UTF-8, not cp1252; leave --encoding out"
    for command in (
        ["eval", easy_run, marked],
        ["train", marked, "-o", tmp_path / "x"],
        ["predict", easy_run, "--file", marked],
    ):
        _refused(invoke(*command, "--encoding", "cp1252"), f"{marked} {utf8}")
    piped = RUNNER.invoke(
        app, ["predict", str(easy_run), "--encoding", "cp1252"], input=b"\xef\xbb\xbfsoup\n"
    )
    _refused(piped, f"standard input {utf8}")
    _refused(invoke("predict", easy_run, "soup", "--encoding", "latin-1"), "TEXT arguments are already text")
    _ok("predict", easy_run, "soup", "--encoding", "UTF-8-SIG")  # UTF-8 in any spelling
    _refused(invoke("train"), "pass --output FOLDER (where the run is written) and DATA (a file, folder")
    _refused(invoke("train", "--set", f"data.source={data}"), "(where the run is written), or --resume")
    # An output folder and no data: the error alone (it came after "settings not at their defaults: none").
    nothing = invoke("train", "-o", tmp_path / "q")
    _refused(nothing, "no dataset given; pass DATA (a file, folder or Hub name) or set data.source")
    assert "settings" not in nothing.stderr and not (tmp_path / "q").exists()
    blank = invoke("inspect", easy_run, "   ")
    # Unnumbered, as a single TEXT's heatmap is (it was "#0"), and counted as predict counts it.
    assert blank.exit_code == 0 and blank.stdout.strip() == "(empty text)"
    assert blank.stderr == "note: 1 of 1 records had no text to inspect\n"
    _refused(invoke("predict", easy_run, "--file", tmp_path / "absent.txt"), "does not exist")
    # A name that looks like one there is offered, as train offers it (predict offered nothing).
    write_csv(tmp_path / "test.csv", [{"text": "soup", "label": "food"}])
    _refused(
        invoke("inspect", easy_run, "--file", tmp_path / "tst.csv"),
        f"--file {tmp_path / 'tst.csv'} does not exist ({tmp_path} has no tst.csv; did you mean test.csv?); "
        "pass a text file",
    )
    if not torch.cuda.is_available():
        _refused(invoke("train", data, "-o", tmp_path / "x", "--device", "cuda"), "no CUDA device")
        _refused(invoke("predict", easy_run, "soup", "--device", "cuda"), "no CUDA device")
    assert not (tmp_path / "x").exists()


def test_a_checkpoint_given_after_the_texts_or_data_is_named_with_the_command_put_right(easy_run, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", make_rows(6))
    cases = {"predict": ["hot soup", "a goal"], "inspect": ["hot soup"], "eval": [data]}
    for command, arguments in cases.items():
        result = invoke(command, *arguments, easy_run)
        quoted = " ".join(shlex.quote(str(argument)) for argument in arguments)
        _refused(
            result,
            f"{arguments[0]} is not a checkpoint, but {easy_run} is; the checkpoint comes first: "
            f"attn {command} {easy_run} {quoted}",
        )
    # A text too long to be a path is not taken for one.
    _refused(
        invoke("predict", "word " * 2000, "soup"),
        "the checkpoint argument ('word word word word word word word word ...') cannot be a folder "
        "(File name too long); give the checkpoint first: attn predict CHECKPOINT ...",
    )


def test_an_empty_output_or_resume_is_refused_not_taken_for_the_current_folder(tmp_path, monkeypatch):
    """Found in a user's trial: `attn train DATA -o "$OUT"` with OUT unset trained into the current
    folder without a word."""
    monkeypatch.chdir(tmp_path)
    data = write_csv(tmp_path / "d.csv", make_rows(30))
    for option in ("-o", "--output", "--resume"):
        arguments = [option, ""] if option == "--resume" else [data, option, ""]
        result = invoke("train", *arguments, *TINY)
        assert result.exit_code == 2, result.output
        assert "is empty (an unset shell variable?); pass the run's folder" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["d.csv"]
    # A column named by an unset variable was looked for as a column named '' (an SRE's trial).
    for command, option in (
        ("train", "--text-column"),
        ("train", "--label-column"),
        ("predict", "--text-column"),
    ):
        arguments = [data, "-o", tmp_path / "run"] if command == "train" else [tmp_path / "none", "soup"]
        result = invoke(command, *arguments, option, " ")
        assert result.exit_code == 2 and f"Invalid value for '{option}': is empty" in result.stderr, (
            result.output
        )


def test_a_checkpoint_given_as_the_data_is_named_as_one(easy_run, tmp_path):
    """Found in a user's trial: `attn eval R R` said `R holds no split files (metrics.jsonl name no
    split)`."""
    for data in (easy_run, easy_run / "best"):
        _refused(
            invoke("eval", easy_run, data),
            f"{data} is an attn checkpoint (a run's output), not data; pass the data to read",
        )
    _refused(invoke("train", easy_run, "-o", tmp_path / "run"), f"{easy_run} is an attn checkpoint")
    assert not (tmp_path / "run").exists()


def test_a_csv_piped_in_is_read_as_csv_rows_or_said_to_look_like_records(easy_run, tmp_path):
    """`head rows.csv | attn predict R -f -` classified each line, header and gold label included,
    without a word; then with a note, and `type test.csv | attn predict R -o out.csv` (Windows) still
    wrote a csv of 419 results for 400 rows, exit 0 (a trial); then it was refused. A header naming
    the text column over a row of as many cells is now read as a csv file is: each row a record, its
    other columns carried, quoted texts with commas and line breaks whole."""
    piped, out = "label,text\nfood,hot soup\n", tmp_path / "out.csv"
    result = RUNNER.invoke(app, ["predict", str(easy_run), "-f", "-", "-o", str(out)], input=piped)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "note: standard input opens with a csv header naming the text column 'text', so it is read as csv "
        "rows, each with its columns\nnote: the predicted labels are in column 'attn_label', not 'label': "
        f"the input has a column of that name\nwrote 1 result to {out}\n"
    )  # a nightly job read `label`, the input's own column, where nothing said so (a data engineer's trial)
    with out.open(newline="") as written:
        rows = list(csv.DictReader(written))
    assert [(row["label"], row["text"], row["attn_label"]) for row in rows] == [("food", "hot soup", "food")]
    # A row's text with a comma in quotes, or a line break: a social post's.
    for row, text in (
        ('food,"hot soup, with bread"\n', "hot soup, with bread"),
        ('food,"hot soup\nwith bread"\n', "hot soup\nwith bread"),
        ('"food","soup"\n', "soup"),
    ):
        quoted = RUNNER.invoke(
            app, ["predict", str(easy_run), "-f", "-", "--json"], input=f"label,text\n{row}"
        )
        assert quoted.exit_code == 0, row
        assert [
            (line["index"], line["text"], line["fields"])
            for line in map(json.loads, quoted.stdout.splitlines())
        ] == [(0, text, {"label": "food"})]
    # pandas' `to_csv` with its index (an empty first name), a spreadsheet's empty columns past the
    # table: read, and written back headed as they were, as from a file.
    for piped, header in (
        (",text,label\n0,hot soup,food\n", ",text,label"),
        ("text;label;;\nhot soup;food;;\n", "text,label,,"),
        ("text,label,,\nhot soup,food\n", "text,label,,"),  # its rows without the empty cells
    ):
        written = RUNNER.invoke(app, ["predict", str(easy_run), "--format", "csv"], input=piped)
        assert written.exit_code == 0, written.output
        assert written.stdout.splitlines()[0].startswith(f"{header},attn_label,score"), written.stdout
    # Three columns over a row whose text goes on to the next line (two cells on the first), a
    # semicolon's, a tab's; a blank line is no row, and the numbers stay the records'.
    cut = RUNNER.invoke(
        app,
        ["predict", str(easy_run), "--json"],
        input='id;text;label\n1;"hot soup\nbread";food\n\n2;goal;sport\n',
    )
    assert [
        (line["index"], line["text"], line["fields"]["id"])
        for line in map(json.loads, cut.stdout.splitlines())
    ] == [(0, "hot soup\nbread", "1"), (1, "goal", "2")]
    tabbed = RUNNER.invoke(app, ["inspect", str(easy_run), "-", "--json"], input="id\ttext\n7\thot soup\n")
    assert tabbed.exit_code == 0 and json.loads(tabbed.stdout)["text"] == "hot soup"
    # --text-column and --delimiter name another column and separator; a header alone is no row.
    named = RUNNER.invoke(
        app, ["predict", str(easy_run), "--json", "--text-column", "body", "--delimiter", "|"],
        input="id|body\n1|hot soup\n",
    )  # fmt: skip
    assert json.loads(named.stdout)["fields"] == {"id": "1"}
    # A header without the trained column is read by the column a file's header gives: review_body,
    # not review_id (an app-review export piped in was labelled by its ids, exit 0), and two such
    # columns are a header too (they were read as lines, the header a text).
    for piped in ("review_id,rating,review_body\nR1,1,hot soup\n", "review_id,review_body\nR1,hot soup\n"):
        guessed = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input=piped)
        line = json.loads(guessed.stdout)
        assert (line["text"], line["fields"]["review_id"]) == ("hot soup", "R1"), guessed.output
        assert "using text column 'review_body', as it has none named 'text'" in guessed.stderr
    alone = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input="label,text\n")
    assert (alone.exit_code, alone.stdout) == (0, "") and "standard input held no texts" in alone.stderr
    # A row with more cells than the header names its line, after the rows before it got theirs.
    ragged = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input="id,text\n1,soup\n2,a, b\n")
    assert ragged.exit_code == 2 and len(ragged.stdout.splitlines()) == 1
    assert "line 3 of standard input has 3 fields but its header line has 2" in ragged.stderr
    # A header over a line of other cells is text, noted; so is a quote that opens no cell (5'10").
    noted = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input="label,text\nhot soup\n")
    assert noted.exit_code == 0 and len(noted.stdout.splitlines()) == 2
    assert noted.stderr.startswith(
        "note: standard input is read as one text per line, and its first line looks"
    )
    inch = RUNNER.invoke(
        app, ["predict", str(easy_run), "--json"], input="id,text,label\n5'10\" tall, brown hair\n"
    )
    assert inch.exit_code == 0 and len(inch.stdout.splitlines()) == 2
    # A quote opened and never closed swallowed the rows after it, exit 0: refused, as in a file,
    # after the rows before it got their results.
    opened = RUNNER.invoke(
        app, ["predict", str(easy_run), "--json"], input='text,id\nsoup,1\n"goal,2\nrun,3\n'
    )
    assert opened.exit_code == 2 and len(opened.stdout.splitlines()) == 1
    assert "line 3 of standard input opens a double quote that its field does not close" in opened.stderr
    last = RUNNER.invoke(
        app, ["predict", str(easy_run), "--json"], input='text,id\nsoup,1\nrun,"goal\nmore\n'
    )
    assert last.exit_code == 2 and len(last.stdout.splitlines()) == 1
    assert (
        "line 3 of standard input opens a double quote that its field does not close, so every line"
        in last.stderr
    )
    cut_short = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input='text,id\nsoup,1\n"goal,2')
    assert cut_short.exit_code == 2 and len(cut_short.stdout.splitlines()) == 1
    assert "line 3 of standard input opens a double quote that its field does not close, and the" in (
        cut_short.stderr
    )
    # A header in another case past a blank line, a first cell that goes on to the next line, and a
    # text of 200,000 characters (the csv module's limit is 131,072: it crashed the reading).
    cased = RUNNER.invoke(
        app, ["predict", str(easy_run), "--json"], input=f'\nText,Id\n"hot\nsoup",1\n{"soup " * 40000},2\n'
    )
    assert [(line["text"][:8], line["fields"]) for line in map(json.loads, cased.stdout.splitlines())] == [
        ("hot\nsoup", {"Id": "1"}),
        ("soup sou", {"Id": "2"}),
    ]
    assert RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input="soup " * 40000).exit_code == 0
    # Names of any characters are a header's (`is_spam?`, `2023 score`), and a row whose quoted text
    # spans lines may leave its last cells out, as on one line (a review: both were text, refused).
    marked = RUNNER.invoke(
        app, ["predict", str(easy_run), "--json"], input='text,is_spam?,2023 score\n"hot\nsoup"\ngoal,0,1\n'
    )
    assert [line["text"] for line in map(json.loads, marked.stdout.splitlines())] == ["hot\nsoup", "goal"]
    # A sentence that starts with the column's name is no header: two texts, noted.
    sentence = RUNNER.invoke(
        app, ["predict", str(easy_run), "--json"], input="text, images and video are great\nhello, world\n"
    )
    assert sentence.exit_code == 0 and len(sentence.stdout.splitlines()) == 2
    # --delimiter asks for csv rows: refused where the input holds none, as TEXT arguments are.
    for given, piped in (
        (["--delimiter", ";"], '{"text": "soup"}\n'),
        (["--delimiter", ";", "--whole-file"], "soup\n"),
    ):
        assert RUNNER.invoke(app, ["predict", str(easy_run), *given], input=piped).exit_code == 2, given
    lines = RUNNER.invoke(app, ["predict", str(easy_run), "--delimiter", ";"], input="hot soup\n")
    assert lines.exit_code == 2 and lines.stderr.startswith(
        "error: --delimiter ';' splits csv rows, and the first line of standard input is no csv header"
    )
    _refused(invoke("predict", easy_run, "hot soup", "--delimiter", ";"), "--delimiter splits the columns of")


def test_json_written_over_lines_is_read_whole_from_a_pipe_or_a_file(easy_run, tmp_path):
    """Scrapy's JSON feed piped in (`[`, then a record a line), `jq .`'s records over several lines,
    PowerShell's ConvertTo-Json of one object and its -Compress array: each line was labelled as a
    text, `[` and `{` included, exit 0 (two trials). Read whole, a record each, fields carried."""
    rows = [
        {"url": f"https://n.example/{n}", "body": text} for n, text in enumerate(["hot soup", "a late goal"])
    ]
    scrapy = "[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]\n"
    layouts = {
        "scrapy": scrapy,
        "pretty": json.dumps(rows, indent=4).replace("\n", "\r\n"),
        "jq": "".join(json.dumps(row, indent=2) + "\n" for row in rows),
        "compressed": json.dumps(rows),
    }
    for name, piped in layouts.items():
        result = RUNNER.invoke(
            app, ["predict", str(easy_run), "--json", "--text-column", "body"], input=piped
        )
        assert result.exit_code == 0, (name, result.output)
        assert "standard input holds JSON records read whole" in result.stderr
        got = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(row["index"], row["text"], row["fields"]["url"]) for row in got] == [
            (0, "hot soup", "https://n.example/0"),
            (1, "a late goal", "https://n.example/1"),
        ], name
        saved = tmp_path / f"{name}.txt"  # a plain-text name: read as JSON too
        saved.write_text(piped)
        from_file = RUNNER.invoke(
            app, ["predict", str(easy_run), "--json", "-f", str(saved), "--text-column", "body"]
        )
        assert [json.loads(line)["text"] for line in from_file.stdout.splitlines()] == [
            "hot soup",
            "a late goal",
        ]
    alone = json.dumps(rows[0], indent=4).replace("\n", "\r\n")  # ConvertTo-Json of one item
    (tmp_path / "one.json").write_text(alone)
    for arguments, given in ((["-f", tmp_path / "one.json"], None), ([], alone)):
        one = RUNNER.invoke(app, ["predict", str(easy_run), "--json", *map(str, arguments)], input=given)
        assert one.exit_code == 0, one.output
        assert [json.loads(line)["fields"] for line in one.stdout.splitlines()] == [
            {"url": "https://n.example/0"}
        ]
    # Records one after another on a .json file's first line, then a line each: read whole (a review).
    in_a_row = '{"body": "hot soup"} {"body": "a late goal"}\n{"body": "fresh bread"}\n'
    (tmp_path / "row.json").write_text(in_a_row)
    read = RUNNER.invoke(app, ["predict", str(easy_run), "--json", "-f", str(tmp_path / "row.json")])
    assert [json.loads(line)["text"] for line in read.stdout.splitlines()] == [
        "hot soup", "a late goal", "fresh bread"
    ], read.output  # fmt: skip
    # A first line that is no JSON begun, only text starting as JSON may, is a text as before (told
    # from that line alone, so that lines still go out as they arrive); a log line too.
    plain = ['{"quoted"} words', "[12:00] soup", '["Great"] said the critic', "[{citation needed}] a film"]
    plain += ["[1]", '["Great"]']  # a whole array on the first line is records only where it holds them
    for first in plain:
        piped = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input=f"{first}\nsoup\n")
        assert [json.loads(line)["text"] for line in piped.stdout.splitlines()] == [first, "soup"], (
            piped.output
        )
    (tmp_path / "cite.txt").write_text("[{citation needed}] a film\nsoup\n")
    cited = RUNNER.invoke(app, ["predict", str(easy_run), "--json", "-f", str(tmp_path / "cite.txt")])
    assert [json.loads(line)["text"] for line in cited.stdout.splitlines()] == [
        "[{citation needed}] a film",
        "soup",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '[{"text": "soup"},\n{"text": "goal"},\n]',
            "has a comma before the ] on line 3, which JSON does not allow",
        ),
        (
            '[{"text": "soup"},\n{"text": "goal"},\n{"text": "go',
            "ends inside its JSON, after 2 whole records, as",
        ),
        ('{\n  "text": "soup",\n', "ends inside its JSON, as a file does whose writing stopped"),
        ('[{"text": "soup"},\n{"text": "a", "ok": tru', "ends inside its JSON, after 1 whole records, as"),
        (
            '[{"text": "soup"}]\n[{"text": "goal"}]\n',
            "holds more than one JSON value, the second from line 2",
        ),
    ],
)
def test_broken_json_is_refused_saying_how_it_is_broken(easy_run, tmp_path, content, expected):
    """A trailing comma, a crawl killed mid-write, `scrapy crawl -o` run twice: "not valid JSON
    (Expecting value: line 1 column 101868 (char 101867))" said none of it (a trial)."""
    path = tmp_path / "items.json"
    path.write_text(content)
    for arguments in (["predict", easy_run, "-f", path], ["eval", easy_run, path]):
        _refused(invoke(*arguments), f"{path} {expected}")
    piped = RUNNER.invoke(app, ["predict", str(easy_run)], input=content)
    _refused(piped, f"standard input {expected}")
    if "more than one" in expected:
        assert "jq -c '.[]' items.json > rows.jsonl" in invoke("predict", easy_run, "-f", path).stderr
        assert "pipe it through jq -c '.[]'" in piped.stderr


def test_scrapy_json_lines_named_jl_are_read_by_every_command(easy_run, tmp_path):
    """Scrapy names its JSON-lines feed .jl: predict read it, train and eval refused the suffix."""
    path = tmp_path / "items.jl"
    path.write_text("".join(json.dumps({"text": text, "label": label}) + "\n" for text, label in [
        ("hot soup with bread", "food"), ("a late goal", "sport")]))  # fmt: skip
    assert _ok("eval", easy_run, path, "--json").stdout.startswith("{")
    predicted = _ok("predict", easy_run, "-f", path, "--json").stdout.splitlines()
    assert [json.loads(line)["text"] for line in predicted] == ["hot soup with bread", "a late goal"]


def test_a_csv_piped_in_is_read_by_a_usual_text_column_where_it_lacks_the_trained_one(easy_run):
    """`url,body,topic` piped to a model trained on `text` (and pandas' to_csv header, with its empty
    index name first): every line, header included, was labelled whole, where JSON lines and files
    fall back to the usual text column names with a note (a trial)."""
    for header, row in (
        ("url,body,topic", "http://a,hot soup,food"),
        (",url,body,topic", "0,http://a,hot soup,food"),
    ):
        result = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input=f"{header}\n{row}\n")
        assert result.exit_code == 0, result.output
        assert "standard input: using text column 'body', as it has none named 'text'" in result.stderr
        (only,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert only["text"] == "hot soup" and only["fields"]["url"] == "http://a"


def test_json_lines_piped_in_are_read_as_records_with_their_fields(easy_run):
    """`jq -c ... rows.jsonl | attn predict R` classified each line whole, braces, ids and gold label
    included (then said to look like records, and to be saved to a file first)."""
    piped = '{"id": "a1", "body": "hot soup", "label": "food"}\n\n{"id": "a2", "body": "a late goal"}\n'
    result = RUNNER.invoke(app, ["predict", str(easy_run), "--json", "--text-column", "body"], input=piped)
    assert result.exit_code == 0 and result.stderr == "", result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(row["index"], row["text"], row["fields"]) for row in rows] == [
        (0, "hot soup", {"id": "a1", "label": "food"}),  # the blank line skipped, as in a .jsonl file
        (1, "a late goal", {"id": "a2"}),
    ]
    by_file = RUNNER.invoke(
        app, ["predict", str(easy_run), "--json", "-f", "-", "--text-column", "body"], input=piped
    )
    assert by_file.stdout == result.stdout
    # The text column found as in a file (the model's, else the usual names), and a csv keeps the fields.
    csv_out = RUNNER.invoke(
        app, ["predict", str(easy_run), "--format", "csv"], input='{"text": "hot soup", "n": 1}\n'
    )
    assert csv_out.exit_code == 0 and csv_out.stdout.splitlines()[0].startswith("text,n,label,score,prob_")
    assert csv_out.stdout.splitlines()[1].startswith("hot soup,1,")
    inspected = RUNNER.invoke(
        app, ["inspect", str(easy_run), "-", "--json", "--text-column", "body"], input=piped
    )
    assert [json.loads(line)["text"] for line in inspected.stdout.splitlines()] == ["hot soup", "a late goal"]
    # A later line that is not JSON: the lines before it get their results, then one error naming it.
    broken = RUNNER.invoke(
        app, ["predict", str(easy_run), "--json"], input='{"text": "hot soup"}\nnot json\n'
    )
    assert broken.exit_code == 2 and len(broken.stdout.splitlines()) == 1
    assert broken.stderr.startswith(
        "error: line 2 of standard input is not JSON: Expecting value at column 1;"
    )
    # The text column is found among the first record's keys (the same input gives the same column
    # however its lines arrive); one named by --text-column is taken as named where it lacks it.
    late_text = '{"id": 1}\n{"id": 2, "text": "soup"}\n'
    late = RUNNER.invoke(app, ["predict", str(easy_run), "--json", "--text-column", "text"], input=late_text)
    assert [json.loads(line)["text"] for line in late.stdout.splitlines()] == [None, "soup"]
    unnamed = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input=late_text)
    assert unnamed.exit_code == 2 and "no text column found (pass --text-column" in unnamed.stderr
    # ... or each line read whole, JSON a logger wrote given to a model of whole lines (an SRE's trial).
    assert (
        "or, to read each line whole, as a text, pipe the lines through jq --unbuffered -cR '{text: .}' first"
        in " ".join(unnamed.stderr.split())
    )
    nothing = RUNNER.invoke(app, ["predict", str(easy_run), "--text-column", "body"], input="")
    assert nothing.exit_code == 0 and "standard input held no texts" in nothing.stderr
    # it listed "has columns " and nothing
    empty = RUNNER.invoke(app, ["predict", str(easy_run)], input="{}\n")
    assert empty.exit_code == 2 and empty.stderr.endswith(
        "standard input has no columns (its first record is empty)\n"
    )
    # --text-column over plain lines names what it needs.
    plain = RUNNER.invoke(app, ["predict", str(easy_run), "--text-column", "body"], input="hot soup\n")
    assert plain.exit_code == 2 and plain.stderr.startswith(
        "error: --text-column names a column of JSON lines or csv rows, and the first line of standard "
        "input is neither a JSON object nor a csv header naming 'body'"
    )
    _refused(invoke("predict", easy_run, "hot soup", "--text-column", "body"), "TEXT arguments have none")


def test_a_data_file_under_a_plain_text_name_is_said_to_look_like_one(easy_run, tmp_path):
    """As standard input is; a pipe (`--file <(cat rows.csv)`) is plain text too, and told the same."""
    # A header guessed by its names alone is noted, never refused: it may be a text (a review).
    notes = tmp_path / "notes.txt"
    notes.write_text(
        "Order status, delivery message, refund category\nWhere is my order, please help, thanks\n"
    )
    guessed = invoke("predict", easy_run, "-f", notes, "--json")
    assert guessed.exit_code == 0 and len(guessed.stdout.splitlines()) == 2
    assert "looks like a csv/tsv header with a text column ('delivery message')" in guessed.stderr
    rows = tmp_path / "rows.txt"
    rows.write_text("text\nhot soup\n")  # a header of the text column alone may be a text: noted
    for command in ("predict", "inspect"):
        result = invoke(command, easy_run, "-f", rows, "--json")
        assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2
        assert result.stderr == (
            f"note: {rows} is read as one text per line, and its first line looks like a csv/tsv header "
            "naming the text column 'text'; to read the records' text column, give the file its format's "
            "suffix (.jsonl, .csv) and pass that\n"
        )
    # A table's header over its rows, read as lines, labelled the header and each row's ids and gold
    # label with its text, exit 0 (a trial), then was refused: read as the csv file it is, said so.
    rows.write_text("label,text\nfood,hot soup\n")
    for command in ("predict", "inspect"):
        table = invoke(command, easy_run, "-f", rows, "--json")
        assert table.exit_code == 0 and table.stderr == (
            f"note: {rows} opens with a csv header naming the text column 'text', so it is read as csv rows, "
            "each with its columns\n"
        )
        assert json.loads(table.stdout)["text"] == "hot soup"
    # A text that merely starts with the column's name, or a JSON object over lines that are none
    # (text, not JSON lines: its second line was a refusal for a while), is only noted.
    for first in ("text, images and video are all supported", "text;", '{"text": "hot soup"}'):
        rows.write_text(f"{first}\nhot soup\n")
        noted = invoke("predict", easy_run, "-f", rows, "--json")
        assert (
            noted.exit_code == 0 and noted.stderr.startswith("note: ") and len(noted.stdout.splitlines()) == 2
        )
    # Excel's "Unicode Text" saves a table as a .txt of tab-separated lines (UTF-16): its rows, too.
    rows.write_text("id\ttext\tlabel\n1\thot soup\tfood\n", encoding="utf-16")
    tabbed = invoke("predict", easy_run, "-f", rows, "--json")
    assert json.loads(tabbed.stdout)["fields"] == {"id": "1", "label": "food"}


def test_json_lines_under_a_plain_text_name_are_read_as_a_jsonl_file_is(easy_run, tmp_path):
    """A trial's `export.txt` of JSON lines: with one comma a line it was labelled line by line, braces
    and keys included, exit 0; with as many commas on its first two lines it was refused as a table.
    Now read as the same file named .jsonl is: --text-column, columns from every record, a csv."""
    texts = ["hot soup", "a goal, late"]
    for commas in (0, 1):
        rows = tmp_path / f"export{commas}.txt"
        lines = [{"id": n, "text": text} if commas else {"text": text} for n, text in enumerate(texts)]
        rows.write_text("".join(json.dumps(line) + "\n" for line in lines))
        for command in ("predict", "inspect"):
            result = invoke(command, easy_run, "-f", rows, "--json")
            assert result.exit_code == 0, result.output
            assert result.stderr.startswith(
                f"note: the lines of {rows} are JSON objects, so it is read as JSON lines, as a .jsonl "
                "file is"
            )
            assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == texts
        predicted = [
            json.loads(line) for line in invoke("predict", easy_run, "-f", rows, "--json").stdout.splitlines()
        ]
        assert [row.get("fields", {}).get("id") for row in predicted] == ([0, 1] if commas else [None, None])
    # As its .jsonl twin: a text column named, or found in a later record; every record's columns
    # in a csv (a review found the first record's alone, and --text-column refused for plain text).
    body = tmp_path / "body.txt"
    body.write_text('{"id": 1}\n{"id": 2, "body": "hot soup", "gold": "food"}\n')
    twin = tmp_path / "body.jsonl"
    twin.write_text(body.read_text())
    for given in (body, twin):
        table = invoke(
            "predict", easy_run, "-f", given, "--text-column", "body", "--format", "csv", "-o", "-"
        )
        assert table.exit_code == 0, table.output
        assert list(csv.reader(table.stdout.splitlines()))[0][:3] == ["id", "body", "gold"]
        assert [row[:3] for row in list(csv.reader(table.stdout.splitlines()))[1:]] == [
            ["1", "", ""],
            ["2", "hot soup", "food"],
        ]
    # Lines that are JSON but no record: a string is a text (in a csv's text column too), the others
    # said for what they are (they were `no text in this row`, as an object without the text).
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"id": 1, "text": "hot soup"}\n[1, 2]\n"a goal"\n42\nnull\n')
    for given in (["-f", odd], ["-f", "-"]):
        stdin = odd.read_text() if given[1] == "-" else None
        result = CliRunner().invoke(app, ["predict", str(easy_run), *map(str, given), "--json"], input=stdin)
        assert result.exit_code == 0, result.output
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(row["text"], row["reason"] if row["label"] is None else "labelled") for row in rows] == [
            ("hot soup", "labelled"),
            (None, "[1, 2] instead of a text"),
            ("a goal", "labelled"),
            (None, "42 instead of a text"),
            (None, "no text in this row"),
        ]
        arguments = ["predict", str(easy_run), *map(str, given), "--format", "csv", "-o", "-"]
        table = CliRunner().invoke(app, arguments, input=stdin)
        assert [row[1] for row in list(csv.reader(table.stdout.splitlines()))[1:]] == [
            "hot soup", "", "a goal", "", ""
        ]  # fmt: skip


def test_a_text_argument_naming_a_file_is_labelled_as_text_and_said_to_name_one(
    easy_run, tmp_path, monkeypatch
):
    """Found in a user's trial: `attn predict R notes.txt` (without -f) labelled the file's name, in a
    loop over files one confident label each, exit 0 and no word."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("hot soup\na goal\n")
    (tmp_path / "more").mkdir()
    for command in ("predict", "inspect"):
        result = invoke(command, easy_run, "notes.txt", "--json")
        assert result.exit_code == 0, result.output
        assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["notes.txt"]
        assert result.stderr == (
            "note: TEXT 'notes.txt' names a file here, and is labelled as text; to read a "
            "file's lines (or a data file's rows), pass it with --file, and a file whole as one text with "
            "--file FILE --whole-file (a folder's files with --file FOLDER)\n"
        )
    (tmp_path / "also.txt").write_text("soup\n")
    several = invoke("predict", easy_run, "notes.txt", "hot soup", "more", "also.txt", ".", "--json")
    assert several.exit_code == 0 and len(several.stdout.splitlines()) == 5
    # A folder is not what --file reads (unless save_to_disk wrote it): "more" and "." are not named.
    assert several.stderr.startswith("note: TEXT 'notes.txt', 'also.txt' name files here, and are")
    quiet = invoke("predict", easy_run, "hot soup", "a goal", "--json")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    # A data file's name is no text: a CI job's `attn predict RUN rows.parquet` got one label, exit 0.
    write_csv(tmp_path / "my rows.csv", make_rows(3))
    for command in ("predict", "inspect"):
        _refused(
            invoke(command, easy_run, "hot soup", "my rows.csv"),
            "TEXT 'my rows.csv' names a data file here, whose rows are the texts: pass it with --file "
            "'my rows.csv' (to label the name itself as a text, give it on standard input)",
        )


def test_plain_text_with_lines_ended_by_a_carriage_return_alone_is_refused(easy_run, tmp_path):
    """Found in a user's trial: such a file or pipe became one text and one result, exit 0, where a
    csv with the same line ends is refused."""
    classic_mac = tmp_path / "mac.txt"
    classic_mac.write_bytes(b"hot soup\ra goal\rcold soup\r")
    for command in ("predict", "inspect"):
        _refused(
            invoke(command, easy_run, "-f", classic_mac, "--json"),
            f"{classic_mac} ends its lines with a carriage return alone (as classic Mac OS wrote them), so "
            f"it reads as one text; convert them to line feeds first, for example with tr '\\r' '\\n' < "
            f"{classic_mac} > mac-lf.txt",
        )
    piped = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input="hot soup\ra goal")
    _refused(piped, "standard input ends its lines with a carriage return alone")
    assert piped.stdout == ""
    # A pipe (--file <(...)) is told as standard input is; a line ending "\r\r\n" is one line.
    import os
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"a\rb"))
    writer.start()
    piped_file = invoke("predict", easy_run, "-f", fifo, "--json")
    writer.join(timeout=10)
    _refused(piped_file, "convert them to line feeds first, for example by piping it through tr")
    doubled = tmp_path / "doubled.txt"
    doubled.write_bytes(b"hot soup\r\r\n")
    assert len(_ok("predict", easy_run, "-f", doubled, "--json").stdout.splitlines()) == 1
    # One line ended by a line feed, with a stray carriage return inside it (it was refused as Mac
    # OS's line ends), in UTF-8 and UTF-16 alike.
    for name, encoded in (
        ("stray.txt", b"hot\rsoup\n"),
        ("stray16.txt", "\ufeffhot\rsoup\n".encode("utf-16-le")),
    ):
        stray = tmp_path / name
        stray.write_bytes(encoded)
        (result,) = [
            json.loads(line) for line in _ok("predict", easy_run, "-f", stray, "--json").stdout.splitlines()
        ]
        assert result["text"] == "hot\rsoup"
    # ... but two, or a last line ended by \r\n, are Mac OS's line ends (three texts, one result).
    for name, ends in (("two.txt", b"hot\rsoup\rgoal\n"), ("crlf.txt", b"hot\rsoup\r\n")):
        (tmp_path / name).write_bytes(ends)
        _refused(
            invoke("predict", easy_run, "-f", tmp_path / name), "ends its lines with a carriage return alone"
        )
    # The line before one the encoding cannot read still gets its result.
    undecodable = tmp_path / "undecodable.txt"
    undecodable.write_bytes(b"hot\rsoup\n\xff\n")
    stopped = invoke("predict", easy_run, "-f", undecodable, "--format", "jsonl")
    assert stopped.exit_code == 2 and len(stopped.stdout.splitlines()) == 1, stopped.output
    # A carriage return inside one line of many is that text's own: kept, and not refused.
    inside = RUNNER.invoke(app, ["predict", str(easy_run), "--json"], input="hot\rsoup\na goal\n")
    assert inside.exit_code == 0, inside.output
    assert [json.loads(line)["text"] for line in inside.stdout.splitlines()] == ["hot\rsoup", "a goal"]


def test_an_interrupted_run_with_json_prints_where_it_stopped_and_how_to_resume(tmp_path, monkeypatch):
    """A script running `attn train --json` read nothing from an interrupted run."""
    from attncli.fit import INTERRUPT_VARIABLE

    data = write_csv(tmp_path / "d.csv", make_rows(60))
    monkeypatch.setenv(INTERRUPT_VARIABLE, "3")
    stopped = invoke("train", data, "-o", tmp_path / "run", "--epochs", 5, "--json", *TINY)
    assert stopped.exit_code == 130
    (record,) = [json.loads(line) for line in stopped.stdout.splitlines()]
    assert record["output"] == str(tmp_path / "run") and record["stop_reason"] == "interrupted"
    assert record["resume"] == f"attn train --resume {tmp_path / 'run'}"
    assert record["message"].startswith("SIGINT: stopped at epoch 1, step 3;")
    # Before the training loop (loading the data, training the tokenizer) it printed nothing at all.
    import attncli.train

    def interrupted_while_loading(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(attncli.train, "train", interrupted_while_loading)
    early = invoke("train", data, "-o", tmp_path / "new", "--json", *TINY)
    assert early.exit_code == 130 and not (tmp_path / "new").exists()
    message = f"interrupted before training began; nothing was written, and {tmp_path / 'new'} was not made"
    assert [json.loads(line) for line in early.stdout.splitlines()] == [
        {"output": str(tmp_path / "new"), "stop_reason": "interrupted", "message": message, "resume": None}
    ]
    assert early.stderr == message + "\n"
    import attncli.config_loading  # ... and in the second it takes to read the settings (torch is imported)

    monkeypatch.setattr(attncli.config_loading, "load_config", interrupted_while_loading)
    earlier = invoke("train", data, "-o", tmp_path / "new", "--json", *TINY)
    assert earlier.exit_code == 130 and json.loads(earlier.stdout)["message"] == message
    monkeypatch.setattr(attncli.train, "resume", interrupted_while_loading)
    again = invoke("train", "--resume", tmp_path / "run", "--epochs", 9, "--json")
    assert again.exit_code == 130  # the command given back keeps the ceiling it raised
    assert json.loads(again.stdout)["resume"] == f"attn train --resume {tmp_path / 'run'} --epochs 9"


def test_existing_work_is_not_overwritten(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    data = write_csv(victim / "d.csv", make_rows(30))
    (victim / "notes.txt").write_text("mine")
    _refused(invoke("train", data, "-o", victim, "--epochs", 1, *TINY), "--overwrite")
    _refused(
        invoke("train", data, "-o", victim, "--overwrite", *TINY), "attn did not write (d.csv, notes.txt)"
    )
    assert sorted(path.name for path in victim.iterdir()) == ["d.csv", "notes.txt"]
    output = tmp_path / "run"
    _ok("train", data, "-o", output, "--epochs", 1, *TINY)
    _ok("train", data, "-o", output, "--epochs", 1, "--overwrite", *TINY)
    assert sorted(path.name for path in output.iterdir()) == ["best", "last", "metrics.jsonl"]
    (tmp_path / "texts.txt").write_text("x")
    _refused(invoke("train", data, "-o", tmp_path / "texts.txt" / "model"), "is a file")


def test_a_run_with_no_best_yet_is_refused_and_its_last_is_used_when_named(
    easy_run, easy_folder, tmp_path, monkeypatch
):
    """A run stopped in its first epoch has no validated model: predict used last/ with a note and
    exit 0 (chance accuracy, for a cron job that never read the note)."""
    from attncli.fit import INTERRUPT_VARIABLE

    run = tmp_path / "run"
    monkeypatch.setenv(INTERRUPT_VARIABLE, "2")  # stopped before an epoch ended
    assert invoke("train", easy_folder, "-o", run, "--epochs", 2, *TINY).exit_code == 130
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    assert not (run / "best").exists()
    for command in (["predict", run, "soup and bread", "--json"], ["eval", run, easy_folder]):
        _refused(
            invoke(*command),
            f"{run} has no best/ (no epoch has finished, or it was removed), so no validated model; resume "
            f"the run (attn train --resume {run}), or pass {run / 'last'} to use the model as the run "
            "left it",
        )
    result = _ok("predict", run / "last", "soup and bread", "--json")
    assert "has not ended (it was interrupted before its first epoch ended)" in result.stderr
    # A finished run whose best/ was removed: a --resume is refused, and would not write it again.
    finished = tmp_path / "finished"
    shutil.copytree(easy_run / "last", finished / "last")
    _refused(
        invoke("predict", finished, "soup"),
        f"{finished} has no best/ (it was removed, and the run has finished: a --resume would not write it "
        f"again), so no validated model; pass {finished / 'last'} to use the last epoch's model, or train "
        "the run again",
    )
    result = _ok("predict", finished / "last", "soup and bread", "--json")
    assert json.loads(result.stdout)["label"] == "food" and "note:" not in result.stderr


def test_more_processes_than_gpus_on_cuda_is_refused_before_any_starts(monkeypatch, tmp_path, easy_run):
    """Started, each process failed in CUDA's words (or was stopped by the launcher first, and said it
    was interrupted): nccl takes one GPU a process."""
    import shutil

    import torch

    launched = []
    monkeypatch.setattr(
        "attncli.cli.train_command.launch_processes",
        lambda n, args, debug, run_folder, resume_epochs: launched.append(n) or 0,
    )
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    data, run = tmp_path / "d.csv", tmp_path / "run"
    refusal = "2 training processes on CUDA need a GPU each, and this machine has 1: pass --nproc 1 or fewer"
    for device in (["--device", "cuda"], [], ["--set", "train.device=cuda"]):  # auto takes the GPU
        _refused(invoke("train", data, "-o", run, "--nproc", 2, *device), refusal)
    result = invoke("train", data, "-o", run, "--nproc", 2, "--device", "cuda")
    assert result.stderr.strip().endswith("(or leave it out), or --device cpu to train on CPU processes")
    unfinished = tmp_path / "unfinished.yaml"
    unfinished.write_text("train:\n  device: cpu\n  epochs: 0\n")  # 0 epochs: made good by --epochs
    _refused(invoke("train", data, "-o", run, "--nproc", 2, "-c", unfinished), "train.epochs")
    assert invoke("train", data, "-o", run, "--nproc", 2, "-c", unfinished, "--epochs", 3).exit_code == 0
    launched.clear()
    config = tmp_path / "cpu.yaml"
    config.write_text("train:\n  device: cpu\n")
    for device in (["--device", "cpu"], ["--set", "train.device=cpu"], ["-c", config]):
        assert invoke("train", data, "-o", run, "--nproc", 2, *device).exit_code == 0
    assert launched == [2, 2, 2] and not run.exists()
    # A resumed run takes the device it saved (easy_run's: auto).
    resumed = shutil.copytree(easy_run, tmp_path / "resumed")
    result = invoke("train", "--resume", resumed, "--nproc", 2)
    _refused(result, refusal)
    assert "--device" not in result.stderr  # a resumed run keeps its device
    header = json.loads((resumed / "last" / "config.json").read_text())
    header["config"]["train"]["device"] = "cpu"
    (resumed / "last" / "config.json").write_text(json.dumps(header))
    assert invoke("train", "--resume", resumed, "--nproc", 2).exit_code == 0 and launched == [2, 2, 2, 2]


def test_more_processes_than_cores_on_the_cpu_is_warned_of(monkeypatch, tmp_path):
    launched = []
    monkeypatch.setattr(
        "attncli.cli.train_command.launch_processes",
        lambda n, args, debug, run_folder, resume_epochs: launched.append((n, args)) or 0,
    )
    monkeypatch.setattr("attncli.cli.train_command.has_gpu", lambda: False)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)  # --device auto is the CPU
    # The cores this process may use (its affinity), not the machine's.
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1}, raising=False)
    result = invoke("train", tmp_path / "d.csv", "-o", tmp_path / "run", "--nproc", 4)
    assert (result.exit_code, launched) == (
        0,
        [(4, ["train", str(tmp_path / "d.csv"), "--output", str(tmp_path / "run")])],
    )
    assert result.stderr == (
        "warning: 4 processes on 2 CPU cores: each gets less than a core, so expect the run to be slower "
        "than with fewer processes\n"
    )
    # As many as the cores: a note that one process is likely faster (26,400 against 41,500 tokens/s).
    assert invoke("train", tmp_path / "d.csv", "-o", tmp_path / "run", "--nproc", 2).stderr == (
        "note: --nproc 2 on the CPU shares its 2 cores among 2 processes, which also exchange their "
        "gradients every step: one process with every core is likely faster; --nproc pays with a GPU a "
        "process\n"
    )
    # --quiet leaves the launching command's note unsaid, as each process's (it reaches them).
    assert invoke("train", tmp_path / "d.csv", "-o", tmp_path / "run", "--nproc", 2, "-q").stderr == ""
    assert launched[-1][1][-1] == "--quiet"
    # Every option reaches the processes as given: a repeated --set once for each value, flags alone.
    given = ["--set", "train.lr=0.01", "--set", "model.embed_dim=32", "--seed", "3", "--overwrite", "--json"]
    launched.clear()
    assert (
        invoke("train", "data.csv", "-o", "run", "--nproc", 2, "--epochs", 5, "--debug", *given).exit_code
        == 0
    )
    assert launched == [
        (
            2,
            [
                "train",
                "data.csv",
                "--output",
                "run",
                *given[:6],
                "--overwrite",
                "--epochs",
                "5",
                "--json",
                "--debug",
            ],
        )
    ]


def test_train_json_prints_the_runs_record_for_scripts(tmp_path):
    data = write_csv(tmp_path / "d.csv", make_rows(60))
    result = invoke("train", data, "-o", tmp_path / "run", "--epochs", 2, *TINY, "--json")
    assert result.exit_code == 0, result.output
    (summary,) = [json.loads(line) for line in result.stdout.splitlines()]  # stdout: that object alone
    saved = json.loads((tmp_path / "run" / "best" / "metrics.json").read_text())
    settings = json.loads((tmp_path / "run" / "best" / "config.json").read_text())["config"]
    assert summary == {
        "output": str(tmp_path / "run"), "best": str(tmp_path / "run" / "best"),
        "last": str(tmp_path / "run" / "last"), **saved, "config": settings,
    }  # fmt: skip
    assert summary["best_epoch"] in (1, 2) and set(summary["validation"]) >= {"accuracy", "macro_f1"}
    # The settings the run used, for a sweep's table: those given, and those sized to the data.
    assert summary["config"]["train"]["epochs"] == 2 and summary["config"]["model"]["embed_dim"] == 32
    assert summary["config"]["model"]["dropout"] == 0.1 and summary["config"]["data"]["source"] == str(data)


def test_settings_an_earlier_run_sized_are_not_warned_of_as_given_and_unused(tmp_path):
    """The rule sizes a unigram tokenizer's minimum frequency (2), which its trainer never reads:
    unsaid for the run itself, it was warned of as given and unused by every --resume and every
    --config RUN/best/config.json (a review)."""
    first = write_csv(tmp_path / "first.csv", make_rows(60))
    trained = invoke("train", first, "-o", tmp_path / "r0", "--epochs", 1, "--set", "tokenizer.kind=unigram")
    assert trained.exit_code == 0, trained.output
    assert (
        "tokenizer.min_frequency"
        in json.loads((tmp_path / "r0" / "best" / "metrics.json").read_text())["sized"]
    )
    config = tmp_path / "r0" / "best" / "config.json"
    again = invoke("train", first, "-o", tmp_path / "r1", "--config", config, "--epochs", 1)
    resumed = invoke("train", "--resume", tmp_path / "r0", "--epochs", 2)
    for result in (trained, again, resumed):
        assert result.exit_code == 0 and "does not use" not in result.stderr, result.stderr
    # Given by the user, it is still said to go unused.
    given = invoke(
        "train", first, "-o", tmp_path / "r2", "--epochs", 1, "--set", "tokenizer.kind=unigram",
        "--set", "tokenizer.min_frequency=3",
    )  # fmt: skip
    assert "tokenizer.min_frequency=3 (the unigram trainer takes no minimum frequency)" in given.stderr


def test_a_runs_config_given_again_says_which_settings_sized_to_its_data_it_keeps(tmp_path):
    """A labelling loop's next round, `--config runs/r0/best/config.json` on 3.5 times the texts,
    kept the epochs and patience sized for the first 91, listed as if given, with no word."""
    first = write_csv(tmp_path / "first.csv", make_rows(60))
    given = ["--epochs", 2, "--set", "model.embed_dim=16", "--set", "train.refit_epochs=0"]
    assert invoke("train", first, "-o", tmp_path / "r0", *given).exit_code == 0
    sized = json.loads((tmp_path / "r0" / "best" / "metrics.json").read_text())["sized"]
    assert sized["tokenizer.kind"] == sized["model.max_length"] == 54  # each with the texts it was sized to
    assert "model.embed_dim" not in sized and "train.epochs" not in sized  # given
    more = write_csv(tmp_path / "more.csv", make_rows(200, seed=4))
    config = tmp_path / "r0" / "best" / "config.json"
    again = ["--set", "model.max_length=auto", "--set", f"model.dropout={sized_value(config, 'dropout')}"]
    result = invoke("train", more, "-o", tmp_path / "r1", "--config", config, *again)
    assert result.exit_code == 0, result.output
    note = next(line for line in result.stderr.splitlines() if " sized " in line and "note:" in line)
    assert note.startswith(f"note: {config} sized ") and "to its run's 54 training texts, kept here" in note
    assert "tokenizer.kind=" in note and "model.max_length=" not in note  # sized again, as asked
    assert "model.dropout=" not in note  # given again: the user's now, whatever its value
    assert note.endswith("; --set KEY=auto sizes one to this data")
    # The 0 the rule gave a word tokenizer's subword dropout is what such a run does: no warning
    # that a setting the user never typed goes unused (every --resume and --config gave one).
    assert json.loads(config.read_text())["config"]["train"]["subword_dropout"] == 0.0
    assert "does not use" not in result.stderr, result.stderr
    # The next round, from this run's config, still knows what was sized for the first 54 texts.
    carried = json.loads((tmp_path / "r1" / "best" / "metrics.json").read_text())["sized"]
    assert (
        carried["tokenizer.kind"] == 54
        and carried["model.max_length"] == 179
        and "model.dropout" not in carried
    )
    # One rule sizes the tokenizer's kind and minimum frequency: --set tokenizer.kind=auto kept the
    # other as the first run sized it (the articles' 2 beside whole words for 300 headlines: 47% of
    # their tokens unknown), unless it is given.
    kind = invoke("train", more, "-o", tmp_path / "r2", "--config", config, "--set", "tokenizer.kind=auto")
    assert kind.exit_code == 0, kind.output
    assert (
        "note: tokenizer.kind=auto sizes tokenizer.min_frequency and train.subword_dropout to this data too, "
        "as one rule sizes them together; --set one to keep the run's value"
    ) in kind.stderr.splitlines()
    resized = json.loads((tmp_path / "r2" / "best" / "metrics.json").read_text())["sized"]
    assert (
        resized["tokenizer.kind"]
        == resized["tokenizer.min_frequency"]
        == resized["train.subword_dropout"]
        == 179
    )
    both = ["--set", "tokenizer.kind=auto", "--set", "tokenizer.min_frequency=3"]
    kept = invoke("train", more, "-o", tmp_path / "r3", "--config", config, *both, "--epochs", 1)
    assert kept.exit_code == 0 and "sizes tokenizer.min_frequency" not in kept.stderr
    assert (
        json.loads((tmp_path / "r3" / "best" / "config.json").read_text())["config"]["tokenizer"][
            "min_frequency"
        ]
        == 3
    )
    # Each key the rule sizes another from; the others (pooling heads, dropout, minimum frequency)
    # size none along (they were a KeyError, and min_frequency=auto re-sized the kind).
    from attncli.config_loading import load_config, sized_along
    from attncli.settings import flatten

    chains = {
        "tokenizer.kind": ["tokenizer.min_frequency", "train.subword_dropout"],
        "model.embed_dim": ["model.pooling_heads"],
        "model.num_layers": ["train.adversarial", "model.dropout", "train.rare_word_dropout"],
        "train.adversarial": ["model.dropout"],
        "model.pooling_heads": [], "model.dropout": [], "tokenizer.min_frequency": [],
        "train.subword_dropout": [], "train.rare_word_dropout": [],
    }  # fmt: skip
    for key, along in chains.items():
        resolved, note = sized_along(config, load_config(config, [f"{key}=auto"]), {key})
        values = flatten(resolved.to_dict())
        expected = [name for name in along if name in sized]
        assert len(expected) == len(along), (key, sized)  # the first run sized them all
        assert [name for name in chains if name != key and values.get(name) is None] == expected, key
        assert (note is None) == (not expected) and (values["tokenizer.kind"] is None) == (
            key == "tokenizer.kind"
        ), key


def sized_value(config: Path, name: str):
    return json.loads(config.read_text())["config"]["model"][name]


def test_an_error_naming_a_file_with_a_line_break_or_bidi_control_stays_one_visible_line(tmp_path):
    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    result = invoke("predict", checkpoint, "--file", tmp_path / "no\nsuch\u202efile.txt")
    _refused(result, "no\\nsuch\\u202efile.txt does not exist")  # it broke the line and reversed the rest


def test_a_missing_tokenizer_file_or_an_unknown_device_is_refused_before_any_work(tmp_path):
    data = write_csv(tmp_path / "d.csv", make_rows(40))
    result = invoke("train", data, "-o", tmp_path / "run", "--set", f"tokenizer.path={tmp_path / 'no.json'}")
    _refused(result, f"tokenizer.path {tmp_path / 'no.json'} does not exist")
    assert "loading" not in result.stderr and not (tmp_path / "run").exists()
    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    for device in ("gpu", "cuda:abc"):  # eval and predict failed on torch's RuntimeError, exit 1
        _refused(invoke("predict", checkpoint, "text", "--device", device), "--device must be one of")
    _refused(
        invoke("train", data, "-o", tmp_path / "run", "--device", "cuda:abc"),
        "train.device must be one of auto, cpu, cuda, mps or cuda:N (one GPU by its number), not 'cuda:abc'",
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="asks for a GPU where there is none")
def test_train_takes_one_gpu_by_its_number_as_eval_and_predict_do(tmp_path):
    """train refused --device cuda:1 as no device at all, where eval and predict took it."""
    data = write_csv(tmp_path / "d.csv", make_rows(40))
    result = invoke("train", data, "-o", tmp_path / "run", "--device", "cuda:1")
    _refused(result, "device cuda:1 was asked for (--device or train.device), but no CUDA device is")
    assert not (tmp_path / "run").exists()


def test_a_second_config_file_is_refused_rather_than_silently_replacing_the_first(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("train:\n  lr: 0.05\n")
    second.write_text("train:\n  epochs: 7\n")
    result = invoke("train", tmp_path / "d.csv", "-o", tmp_path / "run", "-c", first, "-c", second)
    _refused(result, f"--config is given 2 times ({first}, {second}); pass one file")


def test_lines_read_before_an_undecodable_one_get_their_results_and_json_stays_whole(tmp_path):
    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    lines = tmp_path / "late_bad.txt"
    lines.write_bytes(b"soup\nbread\ngoal\nchip\ncaf\xe9 bad\nmore\n")
    result = invoke("predict", checkpoint, "--file", lines, "--format", "json")
    assert result.exit_code == 2 and "line 5 of" in result.stderr
    rows = json.loads(result.stdout)  # the array was never closed; the four lines before got nothing
    assert [row["text"] for row in rows] == ["soup", "bread", "goal", "chip"]

    # Ctrl-C after the first results: the array is closed too (json.loads failed on it).
    import attncli.prediction

    real = attncli.prediction.predict_stream

    def pressed_after_the_first_chunk(*args, **kwargs):
        yield next(iter(real(*args, **kwargs)))
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(attncli.prediction, "predict_stream", pressed_after_the_first_chunk)
        stopped = invoke("predict", checkpoint, "soup", "bread", "--format", "json")
    assert (stopped.exit_code, stopped.stderr) == (130, "interrupted\n")
    assert [row["text"] for row in json.loads(stopped.stdout)] == ["soup", "bread"]

    # SIGTERM there (`timeout`) closes it as well, and the command ends with 143.
    import os
    import signal

    def terminated_after_the_first_chunk(*args, **kwargs):
        yield next(iter(real(*args, **kwargs)))
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal interrupts this
        raise AssertionError("SIGTERM did not stop predict")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(attncli.prediction, "predict_stream", terminated_after_the_first_chunk)
        stopped = invoke("predict", checkpoint, "soup", "bread", "--format", "json")
    assert stopped.exit_code == 128 + signal.SIGTERM
    assert [row["text"] for row in json.loads(stopped.stdout)] == ["soup", "bread"]


def test_eval_and_inspect_into_a_pipe_keep_each_line_whole(tmp_path, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)  # a width asked for (below)
    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    long_text = " ".join(["soup bread goal chip"] * 8)
    shown = _ok("inspect", checkpoint, long_text).stdout.splitlines()
    assert any(line.count("[0.") == 32 for line in shown)  # every token's weight on the text's one line
    rows = [{"text": f"{words[0]} number " * 30, "label": label} for label, words in KEYWORDS.items()]
    data = write_csv(tmp_path / "a-rather-long-file-name-for-the-test-set.csv", rows)
    first = _ok("eval", checkpoint, data).stdout.splitlines()[0]
    assert re.search(r"\.csv  n=3  accuracy [\d.]+%  macro-F1 [\d.]+%  weighted-F1 [\d.]+%$", first)
    mistakes = _ok("eval", checkpoint, data, "--errors", 3).stdout.splitlines()
    assert "most confident mistakes" in "\n".join(mistakes)
    assert max(map(len, mistakes)) < 300  # the mistakes table filled all 10,000 columns of a pipe
    assert max(map(len, mistakes)) > 100
    # COLUMNS set asks for a width, a pipe's too (`COLUMNS=100 attn eval ... | less`): it was ignored.
    monkeypatch.setenv("COLUMNS", "100")
    asked = _ok("eval", checkpoint, data, "--errors", 3).stdout.splitlines()
    assert max(map(len, asked)) <= 100 and "most confident mistakes" in "\n".join(asked)
    # ... the confusion matrix too: it was drawn for a report's width and wrapped at 32 columns
    # (headings cut in two, the last label's column gone), where a terminal numbers its columns.
    monkeypatch.setenv("COLUMNS", "32")
    narrow = _ok("eval", checkpoint, data).stdout.splitlines()
    assert any(line.startswith("columns: the labels numbered") for line in narrow)
    assert max(map(len, narrow)) <= 32
    assert [line for line in narrow if re.fullmatch(r"│ [123] (food|sport|tech) +(│ \d ){3}│", line)] == [
        line for line in narrow if re.match(r"│ [123] ", line)
    ] and len([line for line in narrow if re.match(r"│ [123] ", line)]) == 3
    monkeypatch.delenv("COLUMNS")
    # info too (an ops trial: its values were wrapped inside the panel at 80 columns, or cut without
    # a mark at COLUMNS=20, so grep missed them)
    described = _ok("info", checkpoint).stdout.splitlines()
    assert any("lr=" in line and "tensorboard=false" in line for line in described), described
    assert max(map(len, described)) < 2_000
    # ... and without the panel, whose border and padding made every line as long as the longest
    assert described[0] == f"checkpoint {checkpoint}" and not any(line.endswith(" ") for line in described)
    assert [len(line) < 40 for line in described if line.startswith(" embed_dim ")] == [True]


def test_inspect_refuses_to_save_its_heatmap_over_the_file_it_reads(tmp_path):
    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    texts = tmp_path / "texts.txt"
    texts.write_text("soup\nbread\n")
    for option in ("--html", "--svg"):  # the page replaced the texts, exit 0
        result = invoke("inspect", checkpoint, "--file", texts, option, texts)
        _refused(result, f"{option} {texts} is the --file being read; write the results to another file")
    assert texts.read_text() == "soup\nbread\n"
    page = tmp_path / "x.svg"
    both = invoke("inspect", checkpoint, "soup", "--html", page, "--svg", tmp_path / "." / "x.svg")
    _refused(both, f"--html and --svg both name {tmp_path / 'x.svg'}; give each its own file")


def test_eval_mistakes_carry_their_rows_columns_as_predict_does(easy_run, tmp_path):
    """`fields` of a mistake: dates and bytes as predict writes them, nested ones too (a list of
    dates made eval --json fail with a TypeError); the table shows the id as written, not as markup."""
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    when = datetime.datetime(2026, 1, 3, 4, 0)
    rows = [
        {"id": "[b]B-1[/b]", "text": "the coach said football and tennis", "label": "food"},  # wrong
        {"id": "[/]-0", "text": "hot soup and fresh bread", "label": "tech"},  # wrong
        {"id": "c", "text": "a robot computer chip", "label": "tech"},
    ]
    table = pa.table({
        **{key: [row[key] for row in rows] for key in ("id", "text", "label")},
        "when": [when] * 3, "blob": [b"(\xff"] * 3, "seen": [[when]] * 3,
    })  # fmt: skip
    pq.write_table(table, tmp_path / "rows.parquet")
    evaluated = json.loads(_ok("eval", easy_run, tmp_path / "rows.parquet", "--errors", 5, "--json").stdout)
    predicted = [
        json.loads(line)
        for line in _ok("predict", easy_run, "-f", tmp_path / "rows.parquet", "--json").stdout.splitlines()
    ]
    by_id = {row["fields"]["id"]: row["fields"] for row in predicted}
    assert {mistake["fields"]["id"] for mistake in evaluated["errors"]} == {"[b]B-1[/b]", "[/]-0"}
    for mistake in evaluated["errors"]:
        # The label column is the mistake's "label" itself; every other column as predict carries it.
        assert mistake["fields"] == {k: v for k, v in by_id[mistake["fields"]["id"]].items() if k != "label"}
        assert mistake["fields"]["when"] == "2026-01-03T04:00:00" and mistake["fields"]["seen"] == [
            "2026-01-03T04:00:00"
        ]
    shown = _ok("eval", easy_run, tmp_path / "rows.parquet", "--errors", 5).stdout
    assert "[b]B-1[/b]" in shown and "[/]-0" in shown  # as written, not bold, and no MarkupError


def test_no_writable_temporary_folder_is_exit_2_with_what_to_do(capsys):
    """A read-only root file system: importing torch asks tempfile for a folder, and every command,
    predict of one argument too, ended in exit 1 on Python's FileNotFoundError."""
    import typer

    from attncli.cli.edge import run_command

    def no_temporary_folder():
        raise FileNotFoundError(2, "No usable temporary directory found in ['/nonexistent', '/tmp']")

    with pytest.raises(typer.Exit) as ended:
        run_command(no_temporary_folder, debug=False)
    assert ended.value.exit_code == 2
    assert capsys.readouterr().err == (
        "error: no writable temporary folder (TMPDIR, /tmp and /var/tmp are missing or read-only); point "
        "TMPDIR at a folder you can write, for example TMPDIR=$HOME/tmp\n"
    )

    def missing_file():
        raise FileNotFoundError(2, "No such file or directory", "x")

    with pytest.raises(typer.Exit) as ended:  # any other: unexpected, as before
        run_command(missing_file, debug=False)
    assert ended.value.exit_code == 1 and "FileNotFoundError" in capsys.readouterr().err


def test_under_torchrun_an_error_only_its_process_met_is_said_by_that_process(capsys, monkeypatch):
    """Every process meets a refused setting, and rank 0 alone says it; memory runs out on one
    process's own GPU, whose message rank 0 never sees (it only meets the lost connection)."""
    import typer

    from attncli.cli.edge import run_command
    from attncli.errors import ConfigError, OutOfMemory

    monkeypatch.setenv("RANK", "1")
    for error, said in (
        (ConfigError("a refused setting"), ""),
        (OutOfMemory("out of memory"), "error: out of memory\n"),
    ):

        def failing(error=error):
            raise error

        with pytest.raises(typer.Exit) as ended:
            run_command(failing, debug=False)
        assert ended.value.exit_code == error.exit_code and capsys.readouterr().err == said


def _ended_by(error, capsys, *, debug=False):
    """The exit code and standard error of a command body that raises `error`."""
    import typer

    from attncli.cli.edge import run_command

    def failing():
        raise error

    with pytest.raises(typer.Exit) as ended:
        run_command(failing, debug=debug)
    return ended.value.exit_code, capsys.readouterr().err


def test_a_file_this_user_may_not_read_is_one_line_and_exit_2(capsys):
    """A data file of mode 000 or another owner's: train and eval ended in Python's PermissionError
    and exit 1 (found in a user's trial; as root, chmod does not stop a read, so it is raised here)."""
    assert _ended_by(PermissionError(13, "Permission denied", "perm/unread.jsonl"), capsys) == (
        2,
        "error: perm/unread.jsonl cannot be opened (permission denied); give yourself access to it "
        "(chmod, chown), or pass another path\n",
    )


def test_a_checkpoint_this_user_may_not_read_is_said_so_not_called_damaged_or_misplaced(
    tmp_path, monkeypatch
):
    """A best/ of mode 000 was "the checkpoint argument ('runs/perm') cannot be a folder (Permission
    denied); give the checkpoint first", and an unreadable model.safetensors was to be restored from
    a backup or trained again (as root, chmod does not stop a read, so the errors are raised here)."""
    import attncli.checkpoint_folder as folder

    checkpoint = save_untrained_checkpoint(tmp_path / "ck")

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    with monkeypatch.context() as patched:
        patched.setattr(folder, "resolve_checkpoint", denied)
        _refused(
            invoke("predict", checkpoint, "text"), f"{checkpoint} cannot be read (permission denied); give"
        )
    real = Path.read_bytes

    def unreadable_weights(path):
        return denied(path) if path.name == "model.safetensors" else real(path)

    monkeypatch.setattr(Path, "read_bytes", unreadable_weights)
    _refused(
        invoke("predict", checkpoint, "text"),
        "model.safetensors (permission denied); give yourself access to it (chmod, chown)",
    )


def test_a_summary_standard_output_cannot_take_says_the_run_is_saved(monkeypatch):
    """`attn train ... >/dev/full` trained and saved the run, then said only `could not write standard
    output (the disk is full)`, exit 2: a CI job saw a failure and no word of the run it had kept."""
    from types import SimpleNamespace

    import attncli.cli.train_command as command
    from attncli.errors import DataError

    def full(result, *, as_json, auto_resumed):
        raise DataError("could not write standard output (the disk is full); free some space")

    monkeypatch.setattr(command, "_print_summary", full)
    with pytest.raises(DataError) as failed:
        command._print_train_summary(SimpleNamespace(is_main=True, output=Path("runs/x")), as_json=False)
    assert str(failed.value) == (
        "could not write standard output (the disk is full); free some space; the run itself is saved in "
        "runs/x (attn info runs/x)"
    )


def test_a_limit_on_memory_or_threads_is_said_as_such_in_one_line(capsys):
    """Under `ulimit -v` tokenizers' thread pool panicked (pyo3's PanicException, a BaseException: a
    Python traceback), and a shared library failed to map, said as a bare ImportError."""

    class PanicException(BaseException):  # as pyo3_runtime names it
        pass

    panic = PanicException("The global thread pool has not been initialized.: ThreadPoolBuildError { .. }")
    unmapped = ImportError("libtokenizers.so: failed to map segment from shared object")
    for error in (panic, unmapped):
        status, said = _ended_by(error, capsys)
        assert status == 1 and said.count("\n") == 1, said
        assert said.endswith(
            "(the process is short of memory or threads: raise its limits (ulimit -v, ulimit -u, the "
            "container's), or set TOKENIZERS_PARALLELISM=false)\n"
        )
    # numpy's ImportError opens with a banner, the cause lines below it (a trial's `ulimit -v`).
    banner = ImportError(
        "\n\nIMPORTANT: PLEASE READ THIS FOR ADVICE ON HOW TO SOLVE THIS ISSUE!\n\nImporting the numpy "
        "C-extensions failed.\nOriginal error was: libopenblas.so: failed to map segment from shared object\n"
    )
    assert _ended_by(banner, capsys)[1].startswith(
        "error: ImportError: Original error was: libopenblas.so: failed to map segment from shared object "
        "(the process is short of memory or threads"
    )
    assert _ended_by(ValueError("a bug"), capsys)[1] == (
        "error: ValueError: a bug (rerun with --debug for the traceback)\n"
    )
    # Python's bare MemoryError says nothing: "error: MemoryError:  (rerun with --debug ...)".
    assert _ended_by(MemoryError(), capsys)[1] == (
        "error: MemoryError: out of memory (the process is short of memory or threads: raise its limits "
        "(ulimit -v, ulimit -u, the container's), or set TOKENIZERS_PARALLELISM=false)\n"
    )
    # With --debug, the traceback, then the same line without the advice to do what was done.
    said = _ended_by(ValueError("a bug"), capsys, debug=True)[1]
    assert said.startswith("Traceback") and said.endswith("\nerror: ValueError: a bug\n")


def test_a_full_disk_met_outside_attns_own_writes_is_said_as_they_say_it(capsys):
    """A write attn does not wrap (a library's cache file) ended in `OSError: [Errno 28] No space
    left on device (rerun with --debug ...)` and exit 1, where attn's own writes say exit 2."""
    import errno

    full = OSError(errno.ENOSPC, "No space left on device", "/cache/datasets/x.arrow")
    assert _ended_by(full, capsys) == (
        2,
        "error: could not write /cache/datasets/x.arrow (the disk is full); "
        "free some space, then run again\n",
    )
    quota = _ended_by(OSError(errno.EDQUOT, "Disk quota exceeded"), capsys)
    assert quota == (2, "error: a write failed (the disk is full); free some space, then run again\n")
    status, said = _ended_by(OSError(errno.EIO, "Input/output error"), capsys)  # not a full disk
    assert status == 1 and said.startswith("error: OSError: [Errno 5] Input/output error (rerun with --debug")


def test_top_k_given_for_csv_output_adds_the_next_best_labels(tmp_path):
    """csv and tsv hold every label's probability: --top-k changed nothing there, with a note; a shop
    of 396 categories wanted its top 5 in its spreadsheet (a trial). With --top-k, the next best labels
    follow the other columns, and eval still knows the table for predict's output."""
    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    given = invoke("predict", checkpoint, "one text", "--format", "csv", "--top-k", 3)
    assert given.exit_code == 0 and given.stderr == ""
    rows = list(csv.DictReader(io.StringIO(given.stdout)))
    assert list(rows[0])[-6:] == [
        "reason",
        "truncated_tokens",
        "top2_label",
        "top2_score",
        "top3_label",
        "top3_score",
    ]
    predicted = json.loads(invoke("predict", checkpoint, "one text", "--json", "--top-k", 3).stdout)["top_k"]
    assert [
        (rows[0]["label"], float(rows[0]["score"])),
        *[(rows[0][f"top{n}_label"], float(rows[0][f"top{n}_score"])) for n in (2, 3)],
    ] == [(entry["label"], pytest.approx(entry["score"], abs=1e-7)) for entry in predicted]
    assert (
        "top2_label" not in invoke("predict", checkpoint, "one text", "--format", "csv").stdout
    )  # as before
    # The labels after the one given: a --threshold that gives another than the most probable (a
    # review: top2_label repeated the label, and the most probable was in no column).
    second = rows[0]["top2_label"]
    moved = invoke(
        "predict", checkpoint, "one text", "--format", "csv", "--top-k", 3, "--threshold", f"{second}=0.01"
    )
    (given,) = csv.DictReader(io.StringIO(moved.stdout))
    assert given["label"] == second and (given["top2_label"], given["top3_label"]) == (
        rows[0]["label"],
        rows[0]["top3_label"],
    )
    from attncli.prediction_writers import predicted_columns

    assert predicted_columns(list(rows[0]), list(KEYWORDS))[-4:] == (
        "top2_label", "top2_score", "top3_label", "top3_score"
    )  # fmt: skip
    table = invoke("predict", checkpoint, "one text", "--top-k", 1)
    assert table.exit_code == 0 and "--top-k" not in table.stderr and "next labels" not in table.stdout


def test_a_top_k_given_where_the_terminal_has_no_room_for_the_next_labels_is_said(monkeypatch, capsys):
    """A cataloguer's --top-k 5 on an 80-column terminal showed no next label, and nothing said why."""
    from rich.console import Console

    import attncli.cli.predict_command as predict_command
    from attncli.prediction import Prediction

    labels = [f"Science > Subject number {n}" for n in range(8)]
    screen = io.StringIO()
    terminal = Console(file=screen, width=60, force_terminal=True)
    monkeypatch.setattr(predict_command, "stdout_console", lambda **options: terminal)
    rows = [[Prediction(0, "atoms", labels[0], 0.9, [(labels[0], 0.9), (labels[1], 0.1)])]]
    for given, said in ((True, True), (False, False)):
        predict_command._print_prediction_table(iter(rows), labels, top_k=5, stream=screen, top_k_given=given)
        noted = "columns leave no room for the next labels (--top-k 5); widen it, or pass --json"
        assert (noted in capsys.readouterr().err) is said and "next labels" not in screen.getvalue()


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            ["supervised", "-input", "x"],
            "No such command 'supervised'; fastText's supervised is attn train DATA --output RUN",
        ),
        (["test", "run", "x"], "No such command 'test'; fastText's test is attn eval RUN FILE"),
        # Not "No such option: -e; ...": a letter the user never typed alone.
        (["train", "x", "-epoch", "5"], "options take two dashes: --epochs (not -epoch); see attn train"),
        # fastText's learning rate is on another scale: 0.5 diverged without a word (a trial).
        (
            ["train", "x", "-lr", "0.5"],
            "fastText's -lr is --lr in attn, the learning rate of AdamW (0.003 by",
        ),
        # Options attn names otherwise, or has no need of: "No such option: -d" (-w, -m, -p, -t).
        (["train", "x", "-dim", "100"], "fastText's -dim is --set model.embed_dim=N (sized to the data when"),
        (
            ["train", "x", "-minCount", "2"],
            "fastText's -minCount is --set tokenizer.min_frequency=N; see attn",
        ),
        (["train", "x", "-pretrainedVectors", "v.vec"], "fastText's -pretrainedVectors is --set model.emb"),
        (["train", "x", "-wordNgrams", "2"], "fastText's -wordNgrams is not needed in attn: its attention"),
        (["train", "x", "-thread", "4"], "fastText's -thread is --threads N in attn; see attn train --help"),
        (["predict", "run", "-k", "2"], "fastText's -k is --top-k K in attn; see attn predict --help"),
        (["quantize", "run"], "No such command 'quantize'; see attn --help"),
        (
            ["train", "x", "-output", "m"],
            "options take two dashes: --output (not -output); see attn train --help",
        ),
        (["train", "-input", "x"], "attn train reads DATA, its first argument, where fastText reads -input"),
        (
            ["predict-prob", "run"],
            "No such command 'predict-prob'; fastText's predict-prob is attn predict RUN",
        ),
    ],
)
def test_a_fasttext_users_first_commands_are_told_attns_names(monkeypatch, capsys, arguments, said):
    """A trial by a fastText user: `attn supervised` and `attn test` were "No such command", and
    `-epoch 5` was "No such option: -e"."""
    import sys

    from attncli.cli.usage import run_app

    monkeypatch.setattr(sys, "argv", ["attn", *arguments])
    assert run_app(app) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {said}") and error.count("\n") == 1, error


def test_a_list_of_columns_powershell_split_at_its_comma_is_named(monkeypatch, capsys, easy_run, tmp_path):
    """PowerShell passes an unquoted `--text-column title,body` as `--text-column title body`: train
    said "Got unexpected extra argument(s) (body)", predict "not both", naming no cause (a trial)."""
    import sys

    from attncli.cli.usage import run_app

    hint = "if --text-column title,body was meant, quote it ('title,body'): PowerShell passes an unquoted"
    monkeypatch.setattr(sys, "argv", ["attn", "train", "data.csv", "--text-column", "title", "body"])
    assert run_app(app) == 2
    assert capsys.readouterr().err.startswith(f"error: Got unexpected extra argument(s) (body); {hint}")
    rows = tmp_path / "rows.csv"
    rows.write_text("title,body\nsoup,hot soup\n")
    _refused(invoke("predict", easy_run, "-f", rows, "--text-column", "title", "body"), f"not both; {hint}")


def test_a_decimal_comma_powershell_split_is_noted_beside_the_text_it_made(monkeypatch, easy_run, tmp_path):
    """`--min-score 0,6` from PowerShell arrives as `--min-score 0 6`: a minimum of 0 and a text "6",
    labelled with exit 0 and no word (a trial; `--threshold tech=0,2` made every text tech)."""
    import sys

    for given in (["--min-score", "0", "6"], ["--threshold", "food=0", "6"], ["--min-score=0", "6"]):
        arguments = ["predict", str(easy_run), "soup", *given]
        monkeypatch.setattr(sys, "argv", ["attn", *arguments])
        result = RUNNER.invoke(app, arguments)
        value = given[0].partition("=")[2] or given[1]
        assert (
            result.exit_code == 0
            and (
                f"note: TEXT '6' follows {given[0].partition('=')[0]} {value}: if {value},6 was meant, write "
                f"{value}.6; PowerShell passes an unquoted {value},6 to a program as two arguments"
            )
            in result.stderr
        ), result.output
    # A text of digits elsewhere, or after a value that is no whole number, is a text like any other.
    for arguments in (
        ["predict", str(easy_run), "6", "--min-score", "0"],
        ["predict", str(easy_run), "--min-score", "0.5", "6"],
        # Nor where the two would make no probability: a year given as a text (a review).
        ["predict", str(easy_run), "--min-score", "1", "2024"],
        ["predict", str(easy_run), "--threshold", "food=1", "42"],
    ):
        monkeypatch.setattr(sys, "argv", ["attn", *arguments])
        assert "PowerShell" not in RUNNER.invoke(app, arguments).stderr
    # With --file, the split's text is refused beside it, and the refusal says why it is there.
    texts = tmp_path / "many.txt"
    texts.write_text("soup\n")
    arguments = ["predict", str(easy_run), "-f", str(texts), "--min-score", "0", "6"]
    monkeypatch.setattr(sys, "argv", ["attn", *arguments])
    refused = RUNNER.invoke(app, arguments)
    assert refused.exit_code == 2 and "not both; TEXT '6' follows --min-score 0: if 0,6 was meant" in (
        refused.stderr
    ), refused.output


def test_a_data_file_and_a_checkpoint_given_in_each_others_place_are_named(easy_run, tmp_path):
    """`attn predict next_term.csv --file RUN`: it was told --file RUN "holds folders of files (best,
    last)", where eval says the checkpoint comes first (a trial)."""
    rows = tmp_path / "next_term.csv"
    rows.write_text("text\nsoup\n")
    for command in ("predict", "inspect"):
        _refused(
            invoke(command, rows, "--file", easy_run),
            f"{rows} is not a checkpoint, but --file {easy_run} is; the checkpoint comes first: "
            f"attn {command} {easy_run} --file {rows}",
        )


def test_inspect_pages_are_drawn_to_the_end_when_the_terminals_reader_goes_away(easy_run):
    """`attn inspect R -f F --html page.html | head -3`: the page was lost, status 141, no word (a
    trial). The terminal's view stops; every record still reaches the page."""
    from attncli.checkpoint import load_checkpoint
    from attncli.cli.inspect_command import _inspect_records, _Shown
    from attncli.prediction import PredictionStats
    from attncli.records import Record
    from attncli.render.consoles import recording_console

    class ClosedPipe:
        printed = 0

        def print(self, *args, **kwargs):
            ClosedPipe.printed += 1
            if ClosedPipe.printed > 2:  # as `head` goes after its lines
                raise BrokenPipeError

    page = recording_console("html")
    shown = _Shown(
        console=ClosedPipe(), html_recorder=page, svg_recorder=None, as_json=False, color_system=None,
        recorded_color_system="truecolor", numbered=True, text_column=None, label_column=None, label_names=[],
    )  # fmt: skip
    records = [[Record(index, f"hot soup number {index}") for index in range(6)]]
    view = {"layer": None, "head": None, "rollout": None, "pooling": None, "words": False,
            "thresholds": None, "min_score": None, "fallback": None}  # fmt: skip
    assert _inspect_records(load_checkpoint(easy_run), iter(records), view, shown, PredictionStats())
    drawn = page.export_text()
    assert all(f"#{index}" in drawn for index in range(6)), drawn
    without_page = dataclasses.replace(shown, console=ClosedPipe(), html_recorder=None)
    with pytest.raises(BrokenPipeError):  # nothing to draw to the end: the pipe's end as before
        _inspect_records(load_checkpoint(easy_run), iter(records), view, without_page, PredictionStats())


def test_columns_a_config_file_names_that_other_data_lacks_are_said_to_come_from_it(tmp_path):
    """`attn train new.tsv --config RUN/best/config.json`: the earlier data's columns (`Subject`,
    `Category `) were refused as not found, with no word that the config file named them."""
    header = json.loads((save_untrained_checkpoint(tmp_path / "ckpt") / "config.json").read_text())
    header["config"]["data"] |= {"text_column": "Subject", "label_column": "Category "}
    config = tmp_path / "earlier.json"
    config.write_text(json.dumps(header))
    data = write_csv(tmp_path / "new.csv", make_rows(30))
    run = tmp_path / "run"
    both = invoke("train", data, "--config", config, "-o", run)
    _refused(
        both,
        f"'Subject' and 'Category ' are named by {config}; pass --text-column auto --label-column auto to "
        "find this data's own",
    )
    one = invoke("train", data, "--config", config, "--text-column", "text", "-o", run)
    _refused(one, f"'Category ' is named by {config}; pass --label-column auto to find this data's own")
    assert not run.exists()


def test_an_encoding_the_run_was_trained_in_is_named_where_a_file_is_not_utf8(tmp_path):
    """A trial's day-1 export was cp1252, day 2's "CSV UTF-8": `--config RUN/best/config.json` was
    refused with "leave --encoding out", which kept the config's cp1252; eval of the training
    folder's test.csv by its path was refused as not UTF-8 where `attn eval RUN` read it; and
    another cp1252 export to eval or predict named no encoding the run knew."""
    header = json.loads((save_untrained_checkpoint(tmp_path / "ckpt") / "config.json").read_text())
    header["config"]["data"] |= {"encoding": "cp1252"}
    config = tmp_path / "earlier.json"
    config.write_text(json.dumps(header))
    rows = [{**row, "text": row["text"] + " café"} for row in make_rows(30)]
    today = write_csv(tmp_path / "today.csv", rows)
    today.write_bytes(b"\xef\xbb\xbf" + today.read_bytes())  # Excel's "CSV UTF-8"
    refused = invoke("train", today, "--config", config, "-o", tmp_path / "run")
    _refused(
        refused,
        f"{today} starts with a UTF-8 byte-order mark, so it is UTF-8, not cp1252; pass --encoding utf-8 "
        f"(data.encoding cp1252 is named by {config})",
    )
    folder = tmp_path / "export"
    folder.mkdir()
    for name in ("train.csv", "test.csv"):
        (folder / name).write_bytes(today.read_bytes()[3:].decode().encode("cp1252"))
    run = tmp_path / "cp1252"
    trained = invoke("train", folder, "-o", run, "--encoding", "cp1252", *TINY, "--epochs", 1)
    assert trained.exit_code == 0, trained.output
    by_path = invoke("eval", run, folder / "test.csv", "--json")
    assert by_path.exit_code == 0 and json.loads(by_path.stdout)["n"] == 30, by_path.output
    # predict and inspect read it so too (they refused it, naming cp1252), and --encoding still rules
    predicted = invoke("predict", run, "-f", folder / "test.csv", "--format", "csv")
    assert predicted.exit_code == 0 and predicted.stdout.count(" café,") == 30, predicted.output
    inspected = invoke("inspect", run, "-f", folder / "test.csv", "--json")
    assert inspected.exit_code == 0 and len(inspected.stdout.splitlines()) == 30, inspected.output
    _refused(invoke("predict", run, "-f", folder / "test.csv", "--encoding", "utf-8"), "is not valid utf-8")
    other = tmp_path / "other.csv"
    shutil.copy(folder / "test.csv", other)
    hint = "; the model's training data was read as cp1252 (--encoding cp1252)"
    for command in (("eval", run, other), ("predict", run, "-f", other), ("inspect", run, "-f", other)):
        result = invoke(*command)
        assert result.exit_code == 2 and result.stderr.strip().endswith(hint), result.output
        assert "config file" not in result.stderr  # eval takes none
    assert invoke("predict", run, "-f", other, "--encoding", "cp1252").exit_code == 0
    # Standard input: the lines before the one not in UTF-8 keep their results, then the hint
    streamed = RUNNER.invoke(app, ["predict", str(run), "--json"], input=b"hot soup\ncaf\xe9 au lait\n")
    assert streamed.exit_code == 2 and len(streamed.stdout.splitlines()) == 1, streamed.output
    assert streamed.stderr.strip().endswith(hint)
    # The folder's test.csv exported again in UTF-8 is read as such, by its path (a review: it was
    # refused as not cp1252); the whole folder, read as the run read it, is told how to read it.
    (folder / "test.csv").write_bytes(today.read_bytes()[3:])
    assert invoke("eval", run, folder / "test.csv").exit_code == 0
    _refused(invoke("eval", run), "pass --encoding utf-8 (the run's data was read as cp1252)")
    # ... and as UTF-16 where its byte-order mark says so (a review: refused as cp1252, naming utf-16)
    (folder / "test.csv").write_bytes(today.read_bytes()[3:].decode().encode("utf-16"))
    wide = invoke("predict", run, "-f", folder / "test.csv", "--format", "csv")
    assert wide.exit_code == 0 and wide.stdout.count(" café,") == 30, wide.output


def test_train_says_when_a_configs_vectors_changed_and_when_a_weights_key_is_what_yaml_made_of_a_label(
    tmp_path, monkeypatch
):
    """Both were silent (a user's trial): `--config RUN/best/config.json` trained from vectors edited
    since the run, and `{01: 3}` weighed the label 1 beside a label 01."""
    monkeypatch.chdir(tmp_path)
    rows = [{**row, "label": {"food": "01", "sport": "1"}.get(row["label"], "2")} for row in make_rows(60)]
    data = write_csv(tmp_path / "d.csv", rows)
    words = sorted({word.strip(".").lower() for row in rows for word in row["text"].split()})
    vectors = tmp_path / "v.txt"
    vectors.write_text("".join(f"{word} {index % 7} 1\n" for index, word in enumerate(words)))
    settings = [*TINY, "--set", "model.embeddings_init=v.txt", "--epochs", 1, "--set", "train.refit_epochs=0"]
    first = invoke("train", data, "-o", "run", *settings, "--set", "train.class_weights={01: 3}")
    assert first.exit_code == 0, first.output
    assert (
        "warning: train.class_weights key '1' weighs the label '1', but is also what YAML makes of the label "
        "'01' written without quotes" in " ".join(first.stderr.split())
    )
    config = Path("run") / "best" / "config.json"
    again = invoke("train", data, "-o", "again", "--config", config)
    assert again.exit_code == 0 and "started from the vectors" not in again.stderr, again.output
    vectors.write_text(vectors.read_text() + "extra 1 1\n")
    changed = invoke("train", data, "-o", "changed", "--config", config)
    assert changed.exit_code == 0, changed.output
    assert f"note: run/best started from the vectors {vectors} as they were then" in changed.stderr
    assert "v.txt is not that file now, so this run starts from other vectors" in changed.stderr


def test_an_empty_path_or_data_argument_is_refused_as_an_unset_variable(easy_run):
    """An ops trial: `attn predict "$RUN" x` with RUN unset predicted with whatever run the working
    folder was (exit 0); `-o ""`, `--file ""`, `--html ""` said `.` was a folder; `eval RUN ""` said
    the run records no data. As `train -o ""` already was, each is refused as empty."""
    for command, name in (
        (("predict", "", "soup"), "'CHECKPOINT'"),
        (("info", ""), "'CHECKPOINT'"),
        (("predict", easy_run, "soup", "-o", ""), "'--output' / '-o'"),
        (("predict", easy_run, "--file", ""), "'--file' / '-f'"),
        (("inspect", easy_run, "soup", "--html", ""), "'--html'"),
        (("inspect", easy_run, "soup", "--svg", " "), "'--svg'"),
        (("eval", easy_run, ""), "'DATA'"),
    ):
        result = invoke(*command)  # click's own layout in-process; one error line from `attn` itself
        assert result.exit_code == 2, result.output
        assert f"Invalid value for {name}: is empty (an unset shell variable?)" in result.output


def test_predict_and_eval_of_a_run_whose_training_has_not_ended_say_so(easy_run, tmp_path, monkeypatch):
    """An ops trial: eval of a run stopped at epoch 2 scored 53% (the finished run 85%), and a
    nightly --overwrite retrain killed halfway served its half-trained best/, exit 0 and no word."""
    from attncli.fit import INTERRUPT_VARIABLE

    monkeypatch.setenv(INTERRUPT_VARIABLE, "7")  # Ctrl-C in epoch 3 (3 steps an epoch)
    data = write_csv(tmp_path / "d.csv", make_rows(40))
    run = tmp_path / "run"
    assert invoke("train", data, "-o", run, "--epochs", 5, *TINY).exit_code == 130
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    told = (
        "note: the training of {} has not ended (it was interrupted after epoch 2): these weights are epoch "
    )
    for command in (("predict", run, "soup"), ("eval", run, data), ("inspect", run, "soup")):
        result = invoke(*command)
        assert result.exit_code == 0 and told.format(run) in result.stderr, result.output
    assert "has not ended" not in invoke("predict", easy_run, "soup").stderr  # a finished run
    # eval --json says it in the JSON too: a sweep's `2>/dev/null | jq` put such runs in its table.
    assert json.loads(invoke("eval", run, data, "--json").stdout)["training_ended"] is False
    assert json.loads(invoke("eval", easy_run, data, "--json").stdout)["training_ended"] is True
    named_last = invoke("predict", run / "last", "soup")  # where the run stopped, not a validated epoch
    assert "has not ended (it was interrupted after epoch 2): these weights are as the run left them" in (
        named_last.stderr
    )
    from attncli.cli.edge import unfinished_note

    assert unfinished_note(run, {"history": [{"epoch": 1}], "best_epoch": 1}) is None  # before runs said why
    killed = unfinished_note(
        run, {"stop_reason": "", "history": [{"epoch": 1}, {"epoch": 2}], "best_epoch": 1}
    )
    assert killed == (
        f"note: the training of {run} has not ended (it is still training, or was stopped after epoch 2): "
        f"these weights are epoch 1's, the best so far (attn info {run} says more)"
    )
    # Stopped inside its first epoch (last/ holds the weights): no "after epoch 0" (a trial).
    first = unfinished_note(run, {"stop_reason": "interrupted", "history": [], "best_epoch": None}, last=True)
    assert first == (
        f"note: the training of {run} has not ended (it was interrupted before its first epoch ended): these "
        f"weights are as the run left them (last/) (attn info {run} says more)"
    )


def test_records_without_text_are_counted_in_a_note_with_thousands_separated(easy_run, tmp_path):
    """An ops trial's 100,000 empty lines were `100000 of 100000 records` where every other count
    attn prints reads 1,603."""
    blank = tmp_path / "blank.txt"
    blank.write_text("soup\n" + "\n" * 1_200)
    result = invoke("predict", easy_run, "-f", blank, "--json")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1_201
    assert "note: 1,200 of 1,201 records had no text to read and got no label" in result.stderr


def test_names_holding_escape_sequences_reach_no_terminal_as_commands(tmp_path):
    """A trial's file and folder names held `ESC ] 0 ; PWNED BEL` (a window title) and `ESC [ 2 J`
    (clear the screen): errors and info escaped them, but `wrote N results to`, `saved`, eval's
    heading and notes, and train's `loading` and `saved to` lines sent them to the terminal raw."""
    odd = "x\x1b]0;PWNED\x07\x1b[2J\nerror: y"
    folder = tmp_path / f"d{odd}"
    folder.mkdir()
    data = write_csv(folder / f"train{odd}.csv", make_rows(60))
    run = tmp_path / f"run{odd}"
    outputs = [
        _ok("train", data, "-o", run, "--epochs", 1, *TINY),
        _ok("eval", run, data),
        _ok("predict", run, "-f", data, "-o", tmp_path / f"p{odd}.csv"),
        _ok("inspect", run, "soup", "--html", tmp_path / f"h{odd}.html"),
        _ok("info", run),
    ]
    for result in outputs:
        for stream in (result.stdout, result.stderr):
            assert "\x1b" not in stream and "\x07" not in stream, stream
        # A line break in a name printed a line of its own, which read as attn's.
        assert not any(line.startswith("error: y") for line in result.output.splitlines())
    assert "\\x1b]0;PWNED\\x07\\x1b[2J\\nerror: y.csv" in outputs[2].stderr  # escaped, as errors show it


def test_threads_are_what_each_command_computes_with_and_the_run_records(
    easy_folder, easy_run, tmp_path, monkeypatch
):
    """fastText's -thread: a machine shared with other work (a trial's training took 140 s beside
    it on two threads, 42 s on one) had only OMP_NUM_THREADS."""
    from attncli import threads
    from attncli.cli import edge

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trained = _ok("train", easy_folder, "-o", tmp_path / "run", "--epochs", 1, "--threads", 2, *TINY)
        assert torch.get_num_threads() == 1  # put back: the command's count was its own
        # Said before the first epoch and in the summary: a run repeats on as many threads.
        assert re.search(r"parameters, cpu fp32, 2 threads\n", trained.stderr)
        assert "on cpu fp32, 2 threads;" in " ".join(trained.stdout.replace("│", " ").split())
        assert json.loads((tmp_path / "run" / "best" / "metrics.json").read_text())["threads"] == 2
        seen = []
        loading = edge.load_for_command

        def load_for_command(*args, **kwargs):
            seen.append(torch.get_num_threads())
            return loading(*args, **kwargs)

        monkeypatch.setattr("attncli.cli.predict_command.load_for_command", load_for_command)
        monkeypatch.setattr("attncli.cli.eval_command.load_for_command", load_for_command)
        monkeypatch.setattr("attncli.cli.inspect_command.load_for_command", load_for_command)
        monkeypatch.setattr(threads, "usable_cores", lambda: 2)
        for command in (["predict", easy_run, "we had pasta"], ["inspect", easy_run, "we had pasta"]):
            assert "note:" not in _ok(*command, "--threads", 2).stderr
        shown = _ok("eval", easy_run, easy_folder / "test.csv", "--threads", 3)
        assert shown.stderr.startswith(
            "note: --threads 3 is more than the 2 CPU cores this process may use: threads beyond them take "
        )
        assert seen == [2, 2, 3] and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_scraped_html_is_read_as_what_it_shows_with_strip_html(tmp_path):
    """A trial's scraped reviews: `<br /><br />` was four tokens and 18% of all, training said
    nothing of it, and a review of markup alone got a confident label."""
    rows = make_rows(240, seed=7)
    for number, row in enumerate(rows):
        if number % 2:
            row["text"] = row["text"].replace(" ", " <br /><br /> ", 1) + " &amp; <i>so</i>"
    data = write_jsonl(tmp_path / "reviews.jsonl", rows)
    plain = _ok("train", data, "-o", tmp_path / "plain", "--epochs", 2, *TINY)
    assert (
        "training texts hold HTML markup (<br />, &amp;, <i>), which is read as words; --set " in plain.stderr
    )
    stripped = _ok(
        "train", data, "-o", tmp_path / "stripped", "--epochs", 2, "--set", "tokenizer.strip_html=true", *TINY
    )
    assert "HTML markup" not in stripped.stderr
    for row in rows[:10]:  # reviews of markup alone: no text to the model
        row["text"] = "<br /><br />"
    alone = _ok(
        "train", write_jsonl(tmp_path / "alone.jsonl", rows), "-o", tmp_path / "alone", "--epochs", 1,
        "--set", "tokenizer.strip_html=true", *TINY,
    )  # fmt: skip
    assert "training texts hold nothing but HTML markup (such as '<br /><br />')" in alone.stderr
    assert json.loads((tmp_path / "stripped" / "best" / "config.json").read_text())["config"]["tokenizer"][
        "strip_html"
    ]
    # Markup alone is no text to the model, as an empty review is; the rest reads as it shows.
    texts = ("<br /><br />", "&nbsp;", "hot soup &amp; bread")
    results = [
        json.loads(line)
        for line in _ok("predict", tmp_path / "stripped", *texts, "--json").stdout.splitlines()
    ]
    assert [(result["label"], result.get("reason")) for result in results[:2]] == [(None, "empty text")] * 2
    assert results[2]["label"] is not None and results[2].get("reason") is None
    # eval scores such a labelled row as training reads it, and says so.
    scored = [{"text": "<br /><br />", "label": rows[1]["label"]}, *rows[100:102]]
    evaluated = _ok("eval", tmp_path / "stripped", write_jsonl(tmp_path / "scored.jsonl", scored))
    said = " ".join(evaluated.output.split())
    assert "1 of the 3 rows evaluated holds no token the model reads (markup alone, with tokenizer." in said
    empty = json.loads(_ok("inspect", tmp_path / "stripped", "<br /><br />", "--json").stdout)
    assert (empty["label"], empty["reason"], empty["tokens"]) == (None, "empty text", [])
    shown = json.loads(_ok("inspect", tmp_path / "stripped", "hot <b>soup</b> &amp; bread", "--json").stdout)
    spans = [shown["text"][token["start"] : token["end"]] for token in shown["tokens"]]
    assert "&amp;" in spans and not any("<" in span or ">" in span for span in spans)
    # Without the setting the same review is read tag by tag.
    shown = json.loads(_ok("inspect", tmp_path / "plain", "hot <b>soup</b>", "--json").stdout)
    assert {"<", ">", "/"} <= {token["token"] for token in shown["tokens"]}


def test_an_eml_file_is_read_whole_as_one_message(easy_run, tmp_path):
    """Read a text a line, its header lines got labels of their own, where its folder is read a file
    a text (a spam analyst's trial)."""
    message = tmp_path / "offer.eml"
    message.write_text("From: a@example.com\nSubject: soup\n\nhot soup and bread\n")
    result = RUNNER.invoke(app, ["predict", str(easy_run), "-f", str(message), "--json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == [
        message.read_text().rstrip("\n")
    ]
    assert f"note: {message} is read whole, as one text: a .eml file holds one message" in result.stderr
    # As --whole-file, it has no column to name (the option was dropped without a word: a review).
    refused = RUNNER.invoke(app, ["predict", str(easy_run), "-f", str(message), "--text-column", "body"])
    assert refused.exit_code == 2 and "--text-column names a column of a data file" in refused.stderr
