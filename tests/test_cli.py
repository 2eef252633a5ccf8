"""End-to-end: the real `attn` command in a subprocess, on small datasets written to tmp folders."""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TINY_MODEL, make_rows, write_csv, write_jsonl

# The console script installed beside this Python, else whatever `attn` is on PATH.
_BESIDE = Path(sys.executable).with_name("attn")
ATTN = str(_BESIDE) if _BESIDE.is_file() else shutil.which("attn")
if ATTN is None:
    pytest.fail("the attn command is not installed; run scripts/install.sh", pytrace=False)
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "ATTN_DEBUG": ""}
TINY = [arg for setting in TINY_MODEL for arg in ("--set", setting)]


def attn(*args, stdin=None, env=None, command=(ATTN,)):
    return subprocess.run(
        [*command, *map(str, args)], input=stdin, capture_output=True, text=True, env={**ENV, **(env or {})}
    )


def ok(*args, **kwargs):
    result = attn(*args, **kwargs)
    assert result.returncode == 0, result.stderr
    return result


def in_process(*args, env=None, stdin=None):
    """The command run by CliRunner in this process, for checks that need no process of their own
    (each real one costs seconds of imports): the same result fields as `attn`."""
    from types import SimpleNamespace

    from typer.testing import CliRunner

    from attncli.cli import app

    result = CliRunner().invoke(app, [str(arg) for arg in args], env=env, input=stdin)
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def json_lines(result):
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def run(easy_folder, tmp_path_factory):
    """A checkpoint trained by the CLI on a folder of split files (train.csv, test.csv); in this
    process, as real ones train in test_a_local_data_file_... and test_sigterm_...."""
    output = tmp_path_factory.mktemp("cli") / "run"
    result = in_process(
        "train",
        easy_folder,
        "--output",
        output,
        "--epochs",
        8,
        "--seed",
        1,
        "--set",
        "train.patience=0",
        *TINY,
    )
    assert result.returncode == 0, result.stderr
    assert "training summary" in result.stdout and "epoch 8/8" in result.stderr
    # Into a pipe, as into a scheduler's log, each line whole and unpadded: a path was cut in two.
    lines = result.stdout.splitlines()
    assert lines[0] == "training summary" and not [line for line in lines if line != line.rstrip()]
    assert f"saved to {output / 'best'} (best epoch) and {output / 'last'}" in lines
    return output


def test_eval_reports_accuracy_and_the_confusion_matrix(run):
    # In this process: a real `attn eval` runs in test_a_local_data_file_trains_and_evaluates_....
    (report,) = json_lines(in_process("eval", run, "--json"))
    assert report["n"] == 90 and report["accuracy"] >= 0.9
    assert report["labels"] == ["food", "sport", "tech"]
    assert sum(map(sum, report["confusion_matrix"])) == 90
    assert report["per_class"]["food"]["support"] == 30
    table = in_process("eval", run).stdout
    assert "accuracy" in table and "confusion matrix" in table and "sport" in table


def same(results, expected):
    """The same records, labels and rankings, with scores equal to 1e-6."""
    keys = [(r["index"], r["text"], r["label"], [k["label"] for k in r["top_k"]]) for r in results]
    if keys != [(r["index"], r["text"], r["label"], [k["label"] for k in r["top_k"]]) for r in expected]:
        return False
    scores = [k["score"] for r in results for k in r["top_k"]]
    return scores == pytest.approx([k["score"] for r in expected for k in r["top_k"]], abs=1e-6)


def test_predict_from_arguments_file_and_stdin(run, tmp_path):
    texts = ["Pasta with cheese and bread", "The coach saw the goal"]
    from_args = json_lines(in_process("predict", run, *texts, "--json"))
    assert [row["label"] for row in from_args] == ["food", "sport"]
    for row in from_args:
        assert sum(item["score"] for item in row["top_k"]) == pytest.approx(1.0, abs=1e-5)
        assert row["top_k"][0] == {"label": row["label"], "score": row["score"]}
    # Standard input through a real pipe; batches padded to other lengths may differ in the last
    # bits of a probability.
    assert same(json_lines(ok("predict", run, "-", "--json", stdin="\n".join(texts))), from_args)
    assert same(json_lines(in_process("predict", run, "--json", stdin="\n".join(texts))), from_args)
    # The rest needs no process of its own.
    lines = tmp_path / "texts.txt"
    lines.write_text("\n".join(texts) + "\n\n")
    from_file = json_lines(in_process("predict", run, "--file", lines, "--json"))
    assert same(from_file[:2], from_args) and from_file[2]["label"] is None  # a blank line keeps its place
    records = write_jsonl(tmp_path / "texts.jsonl", [{"text": text} for text in texts])
    assert same(json_lines(in_process("predict", run, "--file", records, "--json")), from_args)
    top_one = json_lines(in_process("predict", run, "a robot chip", "--top-k", "1", "--json"))
    assert top_one[0]["label"] == "tech" and len(top_one[0]["top_k"]) == 1
    table = in_process("predict", run, *texts).stdout
    assert "food" in table and "sport" in table
    assert all(text in table for text in texts)  # piped, not a terminal: texts are kept whole
    both = in_process("predict", run, "soup", "--file", lines)
    assert both.returncode == 2 and "not both" in both.stderr


def test_inspect_json_weights_and_offsets(run):
    text = "Our coach loves football"
    (result,) = json_lines(in_process("inspect", run, text, "--json"))
    assert result["label"] == "sport" and 0 < result["score"] <= 1
    assert sum(token["weight"] for token in result["tokens"]) == pytest.approx(1.0, abs=1e-5)
    pieces = [text[t["start"] : t["end"]] for t in result["tokens"]]
    assert "".join(pieces) == text.replace(" ", "")  # unseen words split into pieces, all accounted for
    assert "coach" in pieces and "football" in pieces


def test_inspect_for_people_with_and_without_colour(run):
    plain = in_process("inspect", run, "Our coach loves football", env={"NO_COLOR": "1"}).stdout
    assert "\x1b[" not in plain and "football" in plain and "predicted sport" in plain
    heatmap = plain.split("top tokens")[0]
    weights = [float(weight) for weight in re.findall(r"\[(\d\.\d+)(?:, unknown)?\]", heatmap)]
    assert len(weights) >= 4 and sum(weights) == pytest.approx(1.0, abs=1e-2)
    assert "top tokens" in plain
    coloured = ok(
        "inspect", run, "Our coach loves football", env={"FORCE_COLOR": "1", "COLUMNS": "80"}
    ).stdout
    # The legend's baseline: uniform, or the known tokens' mean where unknown words took some weight.
    assert "\x1b[" in coloured and re.search(r"multiple of (uniform|the known tokens' mean)", coloured)


def test_an_output_whose_encoding_cannot_hold_a_text_gets_question_marks_not_a_crash(run, tmp_path):
    page = tmp_path / "heatmap.html"
    result = attn("inspect", run, "足球 pasta", "--html", page, env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr  # it stopped halfway with a UnicodeEncodeError, exit 1
    assert "?[0." in result.stdout and "pasta" in result.stdout and result.stdout.isascii()
    # Files are UTF-8 whatever the terminal (each character may sit in a span of its own weight's colour).
    assert all(char in page.read_text(encoding="utf-8") for char in "足球")
    assert result.stderr.strip().splitlines()[-1] == (
        "note: some characters were written as '?', which the output's encoding (ascii) cannot hold; "
        "set PYTHONIOENCODING=utf-8 to keep them (the files attn writes are always UTF-8)"
    )
    # A csv is data for a program: UTF-8 on standard output too (an ops trial got '?' for every
    # accent, exit 0, where -o FILE wrote them)
    table = subprocess.run(
        [*ATTN.split(), "predict", str(run), "--format", "csv"],
        input="Café 足球 😀\n".encode(),
        capture_output=True,
        env={**ENV, "PYTHONIOENCODING": "ascii"},
    )
    assert table.returncode == 0 and "Café 足球 😀" in table.stdout.decode("utf-8"), table.stderr
    assert b"written as '?'" not in table.stderr


def test_a_closed_standard_output_is_refused_where_results_go_there_and_a_removed_folder_at_once(
    run, tmp_path
):
    """A closed standard output printed nothing and exited 0, or failed on 'NoneType' object has no
    attribute 'flush'; then it was refused even where the results go to a file (predict -o). Train
    and eval are refused before any work, not at their summary."""
    results = tmp_path / "out.jsonl"
    commands = f"{ATTN} info {run} >&-; echo $?; {ATTN} predict {run} 'Our coach' -o {results} >&-; echo $?"
    commands += (
        f"; {ATTN} train nowhere -o {tmp_path / 'r'} >&-; echo $?; {ATTN} predict {run} x -o - >&-; echo $?"
    )
    closed = subprocess.run(["bash", "-c", commands], capture_output=True, text=True, env=ENV)
    assert closed.stdout.split() == ["2", "0", "2", "2"], closed.stderr
    # Closed standard input, where the texts are read from it, is refused too (an ops trial: it read
    # as empty, exit 0, where a script had lost its texts); an empty one is still no texts, exit 0.
    reading = f"{ATTN} predict {run} --json <&-; echo $?; {ATTN} predict {run} --json </dev/null; echo $?"
    reading += f"; {ATTN} predict {run} 'Our coach' --json <&- >/dev/null; echo $?"
    closed_input = subprocess.run(["bash", "-c", reading], capture_output=True, text=True, env=ENV)
    assert closed_input.stdout.split() == ["2", "0", "0"], closed_input.stderr
    assert closed_input.stderr.startswith(
        "error: standard input is closed (<&-); pass the texts as arguments or with --file, or pipe them in\n"
    )
    assert closed.stderr.count("error: standard output is closed (>&-)") == 3  # train: not "nowhere"
    assert closed.stderr.startswith(
        "error: standard output is closed (>&-); redirect it to a file or /dev/null\n"
    )
    assert f"wrote 1 result to {results}\n" in closed.stderr
    assert json.loads(results.read_text())["text"] == "Our coach"
    removed = f"mkdir gone && cd gone && rmdir ../gone && exec {ATTN} info nowhere"
    result = subprocess.run(["bash", "-c", removed], capture_output=True, text=True, env=ENV, cwd=tmp_path)
    assert result.returncode == 2, result.stderr  # torch's import failed on it: "oneMKL FATAL ERROR"
    assert result.stderr.endswith("error: the current folder no longer exists; cd into one that does\n")


def test_a_refused_value_is_shown_and_an_option_taken_for_it_is_said_to_be_one():
    """`attn train D -o R --seed $SEED --auto-resume` with SEED unset: click's `Input should be a valid
    integer` showed no value, where --auto-resume had been taken for the seed (an HPC trial)."""
    from types import SimpleNamespace

    from attncli.cli.usage import _value_given

    class BadParameter(Exception):
        param = SimpleNamespace(opts=["--seed"])

    error = BadParameter()
    assert _value_given(error, ["train", "d.csv", "--seed", "--auto-resume"]) == (
        " (given '--auto-resume', the next option: is --seed's value missing, an unset shell variable?)"
    )
    assert _value_given(error, ["train", "--seed=1.5"]) == " (given '1.5')"
    assert _value_given(error, ["train", "--seed", "abc", "-o", "r"]) == " (given 'abc')"
    assert _value_given(error, ["train", "-o", "r"]) == ""
    assert "the next option: is --seed's value missing" in _value_given(error, ["--seed", "-o", "r"])
    assert _value_given(error, ["--seed", "-1.5"]) == " (given '-1.5')"  # a negative number is a value
    assert _value_given(ValueError(), ["--seed", "x"]) == ""


def test_a_usage_error_or_a_repeated_option_is_one_error_line_and_attn_alone_still_shows_the_help():
    """click printed four lines (Usage, Try, a blank, `Error: ...`) where every other refusal is one
    `error:` line; one shell runs them all, as each process takes a second to start."""
    commands = [
        "predict nowhere soup --top-k 0",
        "frobnicate",
        "predict",
        "eval nowhere data.csv --errors x",
        "predict nowhere -o",  # a value missing at the end: click raises it before entering predict
        "predict nowhere --format CSV --format csv -fa.txt -fb.txt",  # click read b.txt alone
        "predict nowhere -f a.txt --top-k 2 --file=b.txt --top-k 2",
        "",  # attn alone
    ]
    script = "; ".join(f"{ATTN} {command} 2>&1; echo status $?" for command in commands)
    output = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=ENV).stdout
    *errors, alone = output.split("status 2\n")[:-1]
    # The words between come from typer and click, and change with their versions.
    said = [("--top-k", "predict"), ("frobnicate", ""), ("CHECKPOINT", "predict"), ("--errors", "eval")]
    said.append(("-o", "predict"))
    assert errors.pop() == "error: --file is given 2 times (a.txt, b.txt); pass it once\n"
    assert errors.pop() == "error: --file is given 2 times (a.txt, b.txt); pass it once\n"  # not --format
    assert len(errors) == len(said)
    for error, (named, command) in zip(errors, said, strict=True):
        assert error.startswith("error: ") and error.count("\n") == 1 and named in error, error
        assert error.endswith(f"; see attn {command} --help\n".replace("  ", " ")), error
    # The value refused is shown (click leaves it out), and an option taken for it said to be one.
    assert "(given '0'); see attn predict --help" in errors[0] and "(given 'x'); see attn eval" in errors[3]
    assert alone.startswith("Usage: attn [OPTIONS] COMMAND [ARGS]...") and "Commands:" in alone
    # A text that starts with '-' is taken for an unknown option: the error says where texts go.
    dash = subprocess.run(
        [*ATTN.split(), "predict", "nowhere", "-5% shares"], capture_output=True, text=True, env=ENV
    )
    assert (dash.returncode, dash.stderr) == (
        2,
        "error: No such option: -5; a text that starts with '-' goes after '--': "
        "attn predict RUN -- '-5% shares'\n",
    )
    # An option of another command is said to be one (it was taken for a text starting with '-').
    other = subprocess.run(
        [*ATTN.split(), "inspect", "nowhere", "soup", "--top-k", "2"], capture_output=True, text=True, env=ENV
    )
    assert (other.returncode, other.stderr) == (
        2,
        "error: No such option: --top-k; attn inspect has no --top-k (attn eval and predict have it); see "
        "attn inspect --help\n",
    )
    for arguments, said in (  # click's near miss --help hid the hint; several commands are listed
        (
            ["predict", "nowhere", "goal", "--html", "x.html"],
            "attn predict has no --html (attn inspect has it)",
        ),
        (["info", "nowhere", "--encoding", "latin-1"], "(attn train, eval, predict and inspect have it)"),
    ):
        other = subprocess.run([*ATTN.split(), *arguments], capture_output=True, text=True, env=ENV)
        assert other.returncode == 2 and said in other.stderr and "Possible" not in other.stderr, other.stderr
    # An option of the command given before its name: said to go after it (it was said to be other
    # commands' only, although `attn info --debug` works; --json was a near miss of --version)
    for option in ("--debug", "--json"):
        before = subprocess.run(
            [*ATTN.split(), option, "info", "nowhere"], capture_output=True, text=True, env=ENV
        )
        assert (before.returncode, before.stderr) == (
            2,
            f"error: No such option: {option}; options go after the command: attn info {option} ...\n",
        )


def test_predict_and_inspect_refuse_to_write_over_the_file_on_their_standard_input(tmp_path):
    texts = tmp_path / "texts.txt"
    texts.write_text("soup\nbread\n")
    writers = {"predict nowhere --format jsonl --output": "--output", "inspect nowhere - --html": "--html"}
    for arguments, option in writers.items():
        command = f"{ATTN} {arguments} {texts} < {texts}"  # it replaced texts.txt, exit 0
        result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=ENV)
        assert result.returncode == 2 and result.stderr.endswith(
            f"error: {option} {texts} is the file on standard input; write the results to another file\n"
        ), result.stderr
    assert texts.read_text() == "soup\nbread\n"


def test_python_m_attncli_is_the_same_command(run):
    args = ("predict", run, "fresh soup", "--json")
    assert ok(*args, command=(sys.executable, "-m", "attncli")).stdout == in_process(*args).stdout


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP"])
def test_eval_ended_by_sigterm_or_sighup_removes_its_temporary_arrow_copies(
    run, easy_folder, tmp_path, signal_name
):
    """A `timeout` around eval, or a dropped ssh connection, ended it without its cleanups: each run
    left its Arrow copy of the data in TMPDIR (attn-datasets-*), which a cron job piles up."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    script = (
        "import os, signal, sys, time\nimport attncli.evaluation as evaluation\n"
        "def ended(*args, **kwargs):\n"
        f"    assert os.listdir({str(temporary)!r}), 'no temporary copy to remove'\n"
        f"    os.kill(os.getpid(), signal.{signal_name})\n    time.sleep(30)\n"
        "evaluation.predict_probabilities = ended\nfrom attncli import cli\n"
        f"sys.argv = ['attn', 'eval', {str(run)!r}, {str(easy_folder / 'test.csv')!r}]\ncli.main()\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "HF_DATASETS_CACHE"}
    finished = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environment, "TMPDIR": str(temporary)},
    )
    assert finished.returncode == 128 + getattr(signal, signal_name), finished.stderr
    assert list(temporary.iterdir()) == []
    # Said as the last line, which a scheduler shows of its job's log (it said nothing).
    assert finished.stderr.splitlines()[-1] == (
        f"stopped by {signal_name}; the files it was writing were left as they were"
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_under_standard_error_loses_messages_only_and_under_output_is_an_error(run, tmp_path):
    """A full log partition (`2>log`) turned a predict that had written every result into exit status
    1, and stopped a training at its first progress line; a full disk under standard output was an
    unexpected OSError (1), where `-o` on a full disk says so (2)."""
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"fresh soup {n}\n" for n in range(300)), encoding="utf-8")
    written = tmp_path / "out.jsonl"
    with open("/dev/full", "w") as full:
        # -o says "wrote 300 results to ..." on standard error, which cannot take it.
        quiet = subprocess.run(
            [ATTN, "predict", str(run), "-f", str(texts), "-o", str(written)], stderr=full, env=ENV
        )
        assert quiet.returncode == 0 and len(written.read_text().splitlines()) == 300
        lost = subprocess.run(
            [ATTN, "predict", str(run), "-f", str(texts), "--json"],
            stdout=full,
            stderr=subprocess.PIPE,
            env=ENV,
        )
        version = subprocess.run([ATTN, "--version"], stdout=full, stderr=subprocess.PIPE, env=ENV)
        # Results sent to standard error (-o /dev/stderr) fail as results, not as messages.
        into_error = subprocess.run(
            [ATTN, "predict", str(run), "fresh soup", "-o", "/dev/stderr", "--format", "jsonl"],
            stderr=full,
            env=ENV,
        )
    full_disk = (
        "error: could not write standard output (the disk is full); free some space, or send it elsewhere"
    )
    assert (lost.returncode, lost.stderr.decode().splitlines()) == (2, [full_disk])
    assert (version.returncode, version.stderr.decode().splitlines()) == (2, [full_disk])
    assert into_error.returncode == 2


def test_messages_reach_standard_error_as_they_are_written_buffered_or_not():
    """Under PYTHONUNBUFFERED=1 (Docker images set it) the guarded standard error sat in a buffer:
    a training's progress lines (tqdm.write does not flush) appeared only when it ended."""
    import select

    script = (
        "import sys\nfrom attncli.streams import guard_standard_streams\nguard_standard_streams()\n"
        "sys.stderr.write('progress\\n')\nsys.stdin.readline()\n"
    )
    for unbuffered in ("1", ""):
        environment = {**ENV, "PYTHONUNBUFFERED": unbuffered}
        process = subprocess.Popen(
            [sys.executable, "-c", script], stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
        )
        try:
            ready, _, _ = select.select([process.stderr], [], [], 30)
            assert ready and process.stderr.readline() == b"progress\n", unbuffered
        finally:
            process.communicate(b"\n", timeout=30)


def test_text_arguments_under_an_ascii_locale_are_read_as_their_utf8_bytes(run):
    """LC_ALL=C with Python's UTF-8 mode and locale coercion off: `Café 😀` was read as `Caf` and
    six unknown characters, and labelled so, with exit 0."""
    environment = {**ENV, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    environment.pop("PYTHONIOENCODING", None)
    read = ok("predict", run, "Café 😀", "fresh soup", "--json", env=environment)
    assert [json.loads(line)["text"] for line in read.stdout.splitlines()] == ["Café 😀", "fresh soup"]


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_signal_once_the_command_is_over_leaves_its_exit_status_alone(name):
    """`timeout` or a service manager may send SIGTERM, and a person Ctrl-C, as a finished run's
    process shuts down (torch's teardown takes a moment): the status stays the command's own, not
    143 or 130 beside a training's summary."""
    script = (
        "import os, signal, sys\nfrom attncli import cli\nsys.argv = ['attn', '--version']\n"
        "try:\n    cli.main()\nexcept SystemExit as done:\n    status = done.code\n"
        f"os.kill(os.getpid(), signal.{name})\nsys.exit(status)\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0 and finished.stdout.startswith("attn "), finished.stderr


def test_a_local_data_file_trains_and_evaluates_through_the_real_command(tmp_path):
    """The other kinds of local data (parquet, tsv, a save_to_disk folder) run in-process
    (test_cli_inprocess.py); this one goes through real processes."""
    source = write_jsonl(tmp_path / "data.jsonl", make_rows(240, seed=3))
    ok("train", source, "-o", tmp_path / "run", "--epochs", 4, *TINY)
    (report,) = json_lines(ok("eval", tmp_path / "run", source, "--json"))
    assert report["n"] == 240 and report["accuracy"] >= 0.8


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _one_line_error(result, code, fragment):
    assert result.returncode == code, (result.returncode, result.stderr)
    # Progress lines may come first; the error is the one last line.
    errors = [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and result.stderr.strip().endswith(errors[0]) and fragment in errors[0], (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_bad_input_from_a_real_process_is_one_line_and_exit_code_2(tmp_path):
    """The cases themselves run in-process (test_cli_inprocess.py); this one goes through a process."""
    _one_line_error(attn("train", tmp_path / "absent.csv", "-o", tmp_path / "x"), 2, "does not exist")
    assert not (tmp_path / "x").exists()


def test_sigterm_saves_last_and_resume_finishes_the_run(tmp_path):
    data = write_csv(tmp_path / "d.csv", make_rows(300, seed=9))
    output = tmp_path / "run"
    command = [
        ATTN,
        "train",
        str(data),
        "-o",
        str(output),
        "--epochs",
        "40",
        "--set",
        "train.patience=0",
        *TINY,
    ]
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (output / "last").exists() and time.monotonic() < deadline:  # wait for the first epoch
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"resume with: attn train --resume {output}" in stderr.strip().splitlines()[-1]
    state = json.loads((output / "last" / "training_state.json").read_text())
    assert 1 <= state["epoch"] < 40
    finished = in_process("train", "--resume", output, "--epochs", state["epoch"] + 1)  # as the message says
    assert finished.returncode == 0 and "training summary" in finished.stdout
    assert json.loads((output / "last" / "training_state.json").read_text())["epoch"] == state["epoch"] + 2
    refused = in_process("train", "--resume", output, "--lr", "0.1", "--set", "train.patience=2")
    _one_line_error(
        refused, 2, "OUTPUT/last, so --set train.patience, --lr cannot change them; pass only --epochs"
    )
    refused = in_process("train", "--resume", output, "--overwrite")  # "so --overwrite cannot change them"
    _one_line_error(
        refused, 2, "--resume carries the run in OUTPUT on, so --overwrite has nothing to replace"
    )


def test_incomplete_checkpoint_and_debug_traceback(run, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(run / "best", broken)
    (broken / "tokenizer.json").unlink()
    _one_line_error(attn("predict", broken, "soup"), 2, "missing tokenizer.json")
    debug = in_process("predict", broken, "soup", "--debug")
    assert debug.returncode == 2 and "Traceback" in debug.stderr
    assert "Traceback" in in_process("predict", broken, "soup", env={"ATTN_DEBUG": "1"}).stderr


def test_help_and_version():
    listing = ok("--help").stdout
    for command in ("train", "eval", "predict", "inspect"):
        assert command in listing
    import platform
    from importlib import metadata

    version = ok("--version").stdout  # versions as installed (a CUDA wheel's metadata has no "+cu...")
    assert version.startswith("attn ") and f"torch {metadata.version('torch')}" in version
    assert f"Python {platform.python_version()})" in version and "tokenizers " in version
    assert "--max-length" in ok("train", "--help").stdout
    assert attn().returncode in (0, 2)  # no command prints help


IMPORTS_AFTER = """
import sys
from attncli.cli import app
try:
    app(sys.argv[1:], prog_name="attn")
except SystemExit:
    pass
print("HEAVY", sorted(name for name in ("torch", "datasets") if name in sys.modules), file=sys.stderr)
training = ("attncli.prepare", "attncli.resuming", "attncli.sizing", "attncli.split_choice")
print("TRAINING", sorted(name for name in training if name in sys.modules), file=sys.stderr)
"""


def _imports_after(*args):
    """(standard output, the heavy modules imported, the training modules imported, the error lines)."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS_AFTER, *map(str, args)], capture_output=True, text=True, env=ENV
    )
    lines = result.stderr.splitlines()
    heavy = [line for line in lines if line.startswith("HEAVY")][-1].removeprefix("HEAVY ")
    training = [line for line in lines if line.startswith("TRAINING")][-1].removeprefix("TRAINING ")
    return result.stdout, heavy, training, [line for line in lines if line.startswith("error: ")]


def _heavy_imports(*args):
    """(standard output, the heavy modules imported, the error lines)."""
    text, heavy, _, said = _imports_after(*args)
    return text, heavy, said


def test_help_reads_as_people_write_and_imports_neither_torch_nor_datasets():
    for command in ([], ["train"], ["eval"], ["predict"], ["inspect"], ["info"]):
        text, heavy, _ = _heavy_imports(*command, "--help")
        assert heavy == "[]", (command, heavy)
        assert "{" not in text.splitlines()[0] and "<" not in text, text  # no {CHECKPOINT}, no <path>
        assert "LIST[" not in text, text  # --config takes one file, not a list
    text, _, _ = _heavy_imports("predict", "--help")
    assert text.startswith("Usage: attn predict [OPTIONS] CHECKPOINT [TEXT]...")
    assert "-f, --file PATH" in text
    listing, _, _ = _heavy_imports("--help")
    assert "..." not in listing.split("Commands:")[1]  # command descriptions are not cut off
    for command in ([], ["train"], ["predict"]):  # -h was "No such option"
        assert in_process(*command, "-h").stdout == in_process(*command, "--help").stdout
    train_help = _heavy_imports("train", "--help")[0]  # train shows the config's defaults
    assert "[default: (32)]" in train_help and "[default: (sized to the data)]" in " ".join(
        train_help.split()
    )


def test_a_mistyped_data_path_is_refused_before_torch_or_datasets_load(run, tmp_path):
    """Seconds of imports (5-9 s on this machine) before being told of a typo: in a data path, and
    in a checkpoint's (predict, eval and inspect imported torch before looking at it)."""
    data = tmp_path / "rows.csv"
    data.write_text("text,label\nsoup,food\n", encoding="utf-8")
    absent = tmp_path / "runs" / "absent"
    gone = f"error: checkpoint {absent} does not exist; pass a folder written by `attn train`"
    for command, error in (
        (["train", tmp_path / "absent.csv", "-o", tmp_path / "x"], f"{tmp_path / 'absent.csv'}"),
        (["eval", run, tmp_path / "absent.csv"], f"{tmp_path / 'absent.csv'}"),
        (["predict", absent, "soup and bread"], gone),
        (["inspect", absent, "soup and bread"], gone),
        (["eval", absent, data], gone),
    ):
        _, heavy, said = _heavy_imports(*command)
        assert heavy == "[]" and len(said) == 1 and error in said[0], (command, heavy, said)
    assert not (tmp_path / "x").exists()


def test_predicting_texts_given_as_arguments_does_not_import_datasets(run):
    """Nor the training modules: a note's check of the refit imported resuming, and with it prepare,
    sizing and the data modules, into every prediction of a sentence."""
    text, heavy, training, _ = _imports_after("predict", run, "soup and bread", "--json")
    assert json.loads(text)["label"] == "food" and heavy == "['torch']" and training == "[]"


def test_shell_completion_script_is_printed():
    # The flag detects the shell it runs in, so it runs in one: `; exit $?` keeps bash from replacing
    # itself with the command, which would leave the test's own ancestors to be detected instead.
    result = subprocess.run(
        ["bash", "-c", f"{shlex.quote(ATTN)} --show-completion; exit $?"],
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert result.returncode == 0, result.stderr
    assert "complete -o default -F _attn_completion attn" in result.stdout
    # What the script asks attn for: the values an option usually takes.
    for words, offered in [
        ("attn train --precision ", "auto fp32 bf16 fp16"),
        ("attn eval r --device c", "cpu cuda"),
    ]:
        asked = {
            "_ATTN_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (not words.endswith(" "))),
        }
        completed = subprocess.run([ATTN], capture_output=True, text=True, env={**ENV, **asked})
        assert completed.stdout.split() == offered.split(), completed.stderr


def test_a_reader_that_stops_early_ends_predict_quietly(run, tmp_path):
    """`attn predict ... | head -1`: no BrokenPipeError, the status a process ended by SIGPIPE has.
    Both formats at once: each process mostly waits on its imports."""
    texts = tmp_path / "texts.txt"
    texts.write_text("pasta with bread\n" * 20_000)
    pipelines = {}
    for output_format in ("jsonl", "table"):
        predict = f"{ATTN} predict {run} --file {texts} --format {output_format}"
        command = f"{predict} | head -n 2; echo status ${{PIPESTATUS[0]}} >&2"
        pipelines[output_format] = subprocess.Popen(
            ["bash", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
        )
    for output_format, pipeline in pipelines.items():
        stdout, stderr = pipeline.communicate(timeout=120)
        assert len(stdout.splitlines()) == 2 and "food" in stdout.splitlines()[1], output_format
        assert stderr.strip() == "status 141", (output_format, stderr)
