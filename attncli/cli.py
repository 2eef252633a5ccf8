"""The `attn` command line: parse options, call one plain function, render, exit.
The only module that imports typer; heavy modules are imported inside commands so --help is instant."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from attncli import __version__
from attncli.errors import AttnError, ConfigError, DataError, TrainingInterrupted

app = typer.Typer(
    name="attn",
    help="Train, evaluate and inspect attention-based text classifiers.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
T = TypeVar("T")

CheckpointArg = Annotated[
    Path,
    typer.Argument(
        help="Checkpoint folder written by `attn train`.", metavar="CHECKPOINT", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object per line instead of tables.")]
DeviceOption = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or mps.")]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, help="Texts per forward pass.")]
TextColumnOption = Annotated[
    str | None, typer.Option(help="Column holding the text (detected if not given).")
]
LabelColumnOption = Annotated[
    str | None, typer.Option(help="Column holding the label (detected if not given).")
]
DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show the full traceback of an error (or set ATTN_DEBUG=1).")
]


def _run(action: Callable[[], T], *, debug: bool) -> T:
    """Run a command body; turn attn's errors into one line on stderr and an exit code."""
    debug = debug or os.environ.get("ATTN_DEBUG", "") not in ("", "0")
    # Under torchrun every process meets the same error; rank 0 alone says it.
    speaks = int(os.environ.get("RANK", "0")) == 0
    try:
        return action()
    except TrainingInterrupted as stopped:
        if speaks:
            typer.echo(str(stopped), err=True)
        raise typer.Exit(stopped.exit_code) from None
    except AttnError as error:
        if debug:
            traceback.print_exc()
        if speaks:
            typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo(
            "interrupted; a training run keeps its last finished epoch in OUTPUT/last "
            "(attn train --resume OUTPUT continues it)",
            err=True,
        )
        raise typer.Exit(130) from None
    except Exception as error:  # a bug or an environment failure: still one line, unless debugging
        if debug:
            traceback.print_exc()
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        typer.echo(
            f"error: {type(error).__name__}: {message} (rerun with --debug for the traceback)",
            err=True,
        )
        raise typer.Exit(1) from None


def _console():
    from rich.console import Console

    from attncli.render import ATTN_THEME

    return Console(theme=ATTN_THEME, highlight=False)


def _load_checkpoint(path: Path, device: str):
    """The one loading path of eval, predict and inspect."""
    from attncli.checkpoint import load_checkpoint
    from attncli.device import resolve_device

    return load_checkpoint(path, device=str(resolve_device(device)))


def _print_json(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"attn {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Train, evaluate and inspect attention-based text classifiers."""


@app.command()
def train(
    data: Annotated[
        str | None,
        typer.Argument(
            help="Hub dataset name, csv/tsv/json/jsonl/parquet file, or folder.",
            metavar="DATA",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Run folder to write (best/, last/, metrics.jsonl).", show_default=False
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            metavar="OUTPUT",
            help="Continue the run in OUTPUT from its last/ checkpoint.",
            show_default=False,
        ),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file.")] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Override a setting: key=value (repeatable)."),
    ] = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    epochs: Annotated[int | None, typer.Option(help="Passes over the training data.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Texts per step.")] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate.")] = None,
    max_length: Annotated[int | None, typer.Option(help="Longest input in tokens.")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu, cuda or mps.")] = None,
    precision: Annotated[str | None, typer.Option(help="auto, fp32, bf16 or fp16.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for initialisation and shuffling.")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the earlier attn run in --output.")
    ] = False,
    nproc: Annotated[
        int | None,
        typer.Option(
            "--nproc", min=1, help="Train on N processes (one per GPU) through torchrun, on this machine."
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Train a tokenizer and an attention classifier; the best epoch goes to OUTPUT/best."""
    if nproc is not None and nproc > 1:
        options: dict[str, Any] = {
            "--output": output, "--resume": resume, "--config": config, "--text-column": text_column,
            "--label-column": label_column, "--epochs": epochs, "--batch-size": batch_size, "--lr": lr,
            "--max-length": max_length, "--device": device, "--precision": precision, "--seed": seed,
        }  # fmt: skip
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
        command += ["-m", "attncli", "train", *([data] if data else [])]
        command += [
            str(item) for flag, value in options.items() if value is not None for item in (flag, value)
        ]
        command += [item for value in set_values or [] for item in ("--set", value)]
        command += ["--overwrite"] * overwrite + ["--debug"] * debug
        # torchrun takes this process's place, so Ctrl-C and SIGTERM reach it (and it the workers).
        os.execv(sys.executable, command)

    def action() -> None:
        from attncli.config import load_config
        from attncli.progress import ProgressReporter
        from attncli.render import render_train_summary
        from attncli.train import resume as resume_training
        from attncli.train import train as run_training

        if resume is not None:
            others = [data, output, config, set_values, text_column, label_column, batch_size, lr]
            others += [max_length, device, precision, seed]
            if any(value is not None and value != [] for value in others) or overwrite:
                raise ConfigError(
                    "--resume takes the data and settings saved in OUTPUT/last; pass only --epochs "
                    "(to raise the ceiling) with it"
                )
            result = resume_training(resume, epochs=epochs, reporter=ProgressReporter())
            if result.is_main:
                _console().print(render_train_summary(result))
            return
        if output is None:
            raise ConfigError("pass --output FOLDER (where the run is written), or --resume OUTPUT")

        options = {
            "data.source": data,
            "data.text_column": text_column,
            "data.label_column": label_column,
            "train.epochs": epochs,
            "train.batch_size": batch_size,
            "train.lr": lr,
            "model.max_length": max_length,
            "train.device": device,
            "train.precision": precision,
            "train.seed": seed,
        }
        resolved = load_config(config, set_values or [], options)
        reporter = ProgressReporter()
        result = run_training(resolved, output=output, overwrite=overwrite, reporter=reporter)
        if result.is_main:
            _console().print(render_train_summary(result))

    _run(action, debug=debug)


@app.command("eval")
def evaluate(
    checkpoint: CheckpointArg,
    data: Annotated[
        str | None,
        typer.Argument(
            help="Data to evaluate on (default: the training data's test split, else its validation split).",
            metavar="DATA",
            show_default=False,
        ),
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="Split to evaluate (default: test, else validation).")
    ] = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    as_json: JsonOption = False,
    batch_size: BatchOption = 64,
    device: DeviceOption = "auto",
    debug: DebugOption = False,
) -> None:
    """Report accuracy, macro-F1, per-class scores and the confusion matrix."""

    def action() -> None:
        from attncli.evaluation import evaluate as run_evaluation

        loaded = _load_checkpoint(checkpoint, device)
        result = run_evaluation(
            loaded,
            data,
            split=split,
            text_column=text_column,
            label_column=label_column,
            batch_size=batch_size,
        )
        if as_json:
            _print_json([result.to_json()])
        else:
            from attncli.render import render_eval

            _console().print(render_eval(result))

    _run(action, debug=debug)


def _read_texts(texts: list[str], file: Path | None) -> list[str]:
    """Texts from arguments, else from --file (lines, or jsonl with a text field), else stdin lines."""
    if texts and texts != ["-"]:
        return texts
    if file is not None and str(file) != "-":
        if not file.is_file():
            raise DataError(f"--file {file} does not exist; pass a text file with one text per line")
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        if file.suffix.lower() == ".jsonl":
            return [
                _text_of_json_line(line, file, number) for number, line in enumerate(lines, 1) if line.strip()
            ]
    else:
        if sys.stdin.isatty():
            typer.echo("reading texts from standard input, one per line (Ctrl-D to end)", err=True)
        lines = sys.stdin.read().splitlines()
    return [line for line in lines if line.strip()]


def _text_of_json_line(line: str, file: Path, number: int) -> str:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataError(
            f"line {number} of {file} is not JSON ({error.msg}); use one JSON object per line"
        ) from None
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return value["text"]
    raise DataError(f'line {number} of {file} has no "text" string; write {{"text": "..."}} per line')


@app.command()
def predict(
    checkpoint: CheckpointArg,
    texts: Annotated[
        list[str] | None,
        typer.Argument(
            help="Texts to label; '-' or none reads lines from stdin.", metavar="TEXT", show_default=False
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="File of texts, one per line (or .jsonl).")
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="How many labels to list per text.")] = 3,
    as_json: JsonOption = False,
    batch_size: BatchOption = 64,
    device: DeviceOption = "auto",
    debug: DebugOption = False,
) -> None:
    """Label texts with the checkpoint's classifier."""

    def action() -> None:
        from attncli.prediction import check_texts
        from attncli.prediction import predict as run_prediction

        inputs = _read_texts(texts or [], file)
        check_texts(inputs)
        loaded = _load_checkpoint(checkpoint, device)
        predictions = run_prediction(loaded, inputs, top_k=top_k, batch_size=batch_size)
        if as_json:
            _print_json([prediction.to_json() for prediction in predictions])
        else:
            from attncli.render import render_predictions

            _console().print(render_predictions(predictions))

    _run(action, debug=debug)


@app.command()
def inspect(
    checkpoint: CheckpointArg,
    text: Annotated[
        str, typer.Argument(help="The text to classify and show.", metavar="TEXT", show_default=False)
    ],
    layer: Annotated[
        int | None,
        typer.Option(help="Show the attention each token receives in this self-attention layer (1 = first)."),
    ] = None,
    head: Annotated[
        int | None, typer.Option(help="With --layer: only this head (1 = first); default: heads averaged.")
    ] = None,
    rollout: Annotated[
        bool,
        typer.Option("--rollout", help="Show attention rollout through every layer (Abnar and Zuidema)."),
    ] = False,
    words: Annotated[
        bool, typer.Option("--words", help="Merge subword pieces into whole words (their weights summed).")
    ] = False,
    as_json: JsonOption = False,
    device: DeviceOption = "auto",
    debug: DebugOption = False,
) -> None:
    """Show the text with each token coloured by its attention weight (by default, the pooling weights)."""

    def action() -> None:
        from attncli.inspection import inspect_text
        from attncli.prediction import check_texts

        check_texts([text])
        loaded = _load_checkpoint(checkpoint, device)
        inspection = inspect_text(loaded, text, layer=layer, head=head, rollout=rollout, words=words)
        if as_json:
            _print_json([inspection.to_json()])
            return
        from attncli.render import render_inspection

        console = _console()
        color = console.is_terminal and not console.no_color and console.color_system is not None
        console.print(render_inspection(inspection, color=color))

    _run(action, debug=debug)


def main() -> None:
    app(prog_name="attn")
