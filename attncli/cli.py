"""The `attn` command line: parse options, call one plain function, render, exit.
The only module that imports typer; heavy modules are imported inside commands so --help is instant."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shlex
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from attncli import __version__
from attncli.allocator import prefer_huge_pages
from attncli.errors import AttnError, CheckpointError, ConfigError, DataError, TrainingInterrupted
from attncli.streams import (
    one_line,
    reopen_closed_streams,
    replacement_note,
    tolerate_narrow_encodings,
    usable_terminal_size,
    writes_unicode,
)


def _click_style_help() -> None:
    """typer 0.29's plain help writes required arguments as {NAME} and value types as <path>,
    <list[str]>, <int range>; write them as people do (NAME, [NAME]..., --file PATH)."""
    from typer.core import TyperArgument, TyperOption

    def usage_name(self: TyperArgument) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")

    def value_name(self: TyperOption, ctx: Any) -> str:
        kind = self.display_type(ctx).strip("<>").removesuffix(" range")
        return self.metavar or {"str": "TEXT", "int": "INTEGER", "float": "NUMBER"}.get(kind, kind.upper())

    TyperArgument._usage_display_name = usage_name  # type: ignore[method-assign]
    TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
    TyperOption.display_type_rich = value_name  # type: ignore[method-assign]


_click_style_help()


def _default(key: str) -> str:
    """The default of a config setting, for train's --help (its options default to the config)."""
    import dataclasses

    from attncli.config import Config

    # Read from the dataclass fields: building a ModelConfig would import torch (its registry).
    section, name = key.split(".")
    section_class = {item.name: item.default_factory for item in dataclasses.fields(Config)}[section]
    default = {item.name: item.default for item in dataclasses.fields(section_class)}[name]  # type: ignore[arg-type]
    return "sized to the data" if default is None else str(default)


app = typer.Typer(
    name="attn",
    help="Train, evaluate and inspect attention-based text classifiers.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
T = TypeVar("T")

if TYPE_CHECKING:
    from attncli.checkpoint import LoadedCheckpoint
    from attncli.records import RecordSource

CheckpointArg = Annotated[
    Path,
    typer.Argument(
        help="Checkpoint folder written by `attn train`.", metavar="CHECKPOINT", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object per line instead of tables.")]
# eval and info print one report: one object, however many lines it takes.
JsonReportOption = Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")]
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def _complete_from(values: tuple[str, ...]) -> Callable[[str], list[str]]:
    """Shell completion of an option's usual values (others, such as cuda:1, are still accepted)."""
    return lambda incomplete: [value for value in values if value.startswith(incomplete)]


DeviceOption = Annotated[
    str, typer.Option("--device", help="auto, cpu, cuda or mps.", autocompletion=_complete_from(DEVICES))
]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, help="Texts per forward pass.")]
TextColumnOption = Annotated[
    str | None,
    typer.Option(
        help="Column holding the text (detected if not given); a dotted path (data.text) reaches nested JSON."
    ),
]
LabelColumnOption = Annotated[
    str | None,
    typer.Option(
        help="Column of the label (detected if not given); a dotted path (data.label) reaches nested JSON."
    ),
]
EncodingOption = Annotated[
    str,
    typer.Option("--encoding", help="Encoding of --file or standard input (e.g. cp1252, latin-1, utf-16)."),
]
DataEncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding", help="Encoding of local csv/tsv/json/jsonl files (default utf-8; e.g. cp1252, utf-16)."
    ),
]
DelimiterOption = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        help="Column separator of csv/tsv files, e.g. ';' or '\\t' (default: ',' or tab, or what the "
        "header line shows).",
        show_default=False,
    ),
]
DebugOption = Annotated[
    bool, typer.Option("--debug", help="Show the full traceback of an error (or set ATTN_DEBUG=1).")
]


def _interrupted_before_training(output: Path | None, resume: Path | None, again: str | None) -> str:
    """What Ctrl-C says before the training loop starts (inside it, the loop saves last/ and says
    how to resume): nothing of this run was saved, and the folder is as it was; `again` is the
    command that resumes as the interrupted one would have (given wherever `resume` is)."""
    if resume is not None:
        return f"interrupted before training resumed; {resume} is as it was ({again})"
    if output is None:
        return "interrupted"
    return f"interrupted before training began; nothing was written, and {output} is as it was"


def _run(action: Callable[[], T], *, debug: bool, interrupted: str | Callable[[], str] = "interrupted") -> T:
    """Run a command body; turn attn's errors into one line on stderr and an exit code. `interrupted`
    is what Ctrl-C outside a training loop says."""
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
            typer.echo(one_line(f"error: {error}"), err=True)
        raise typer.Exit(error.exit_code) from None
    except BrokenPipeError:
        # The reader went away (`attn predict ... | head`): stop quietly, as cat does, with the
        # status of a process ended by SIGPIPE. Output still buffered must not fail again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(128 + signal.SIGPIPE) from None
    except KeyboardInterrupt:
        if speaks:
            typer.echo(interrupted() if callable(interrupted) else interrupted, err=True)
        raise typer.Exit(130) from None
    except Exception as error:  # a bug or an environment failure: still one line, unless debugging
        if debug:
            traceback.print_exc()
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        typer.echo(
            one_line(f"error: {type(error).__name__}: {message} (rerun with --debug for the traceback)"),
            err=True,
        )
        raise typer.Exit(1) from None


# Lines printed into a pipe or a file are not wrapped at rich's 80 columns: grep finds a score or a
# token's weight on the line it belongs to. Tables keep their natural width.
PIPED_WIDTH = 10_000


def _console(*, unwrapped_when_piped: bool = False, **options: Any):
    """The console commands print to. A reader that goes away (`| head`) ends the command as
    `_run` ends any: rich's own handling would exit with status 1."""
    from rich.console import Console

    from attncli.render import ATTN_THEME

    console = Console(theme=ATTN_THEME, highlight=False, **options)
    console.on_broken_pipe = _reader_gone  # type: ignore[method-assign]
    if unwrapped_when_piped and not console.is_terminal and "width" not in options:
        console.width = PIPED_WIDTH
    return console


def _reader_gone() -> None:
    raise BrokenPipeError


def _names_a_checkpoint(path: Path) -> bool:
    """Whether `path` is a checkpoint or a run's output folder; a text given as a path (too long
    for one, or holding a NUL) is not."""
    from attncli.checkpoint import CONFIG_FILE, resolve_checkpoint

    try:
        return (resolve_checkpoint(path) / CONFIG_FILE).is_file()
    except (OSError, ValueError):
        return False


def _load_checkpoint(
    path: Path, device: str, *, command: str, others: Sequence[str] = ()
) -> LoadedCheckpoint:
    """The one loading path of eval, predict and inspect; `others` are the command's other
    arguments, one of which may be the checkpoint given second (`attn predict "text" runs/news`)."""
    from attncli.checkpoint import (
        CONFIG_FILE,
        LAST,
        load_checkpoint,
        read_header,
        read_steadily,
        resolve_checkpoint,
    )
    from attncli.device import resolve_device

    try:
        resolved: Path | None = resolve_checkpoint(path)
    except (OSError, ValueError) as error:  # too long for a path, or holding a NUL: a text, surely
        resolved, unusable = None, error
    if resolved is None or not (resolved / CONFIG_FILE).is_file():
        swapped = next((other for other in others if _names_a_checkpoint(Path(other))), None)
        if swapped is not None:
            arguments = shlex.join([swapped, str(path), *(other for other in others if other != swapped)])
            raise CheckpointError(
                f"{path} is not a checkpoint, but {swapped} is; the checkpoint comes first: "
                f"attn {command} {arguments}"
            )
        if resolved is None:
            start = str(path)[:40] + ("..." if len(str(path)) > 40 else "")
            reason = getattr(unusable, "strerror", None) or unusable
            raise CheckpointError(
                f"the checkpoint argument ({start!r}) cannot be a folder ({reason}); "
                f"give the checkpoint first: attn {command} CHECKPOINT ..."
            ) from unusable
        read_steadily(path, read_header)  # what is wrong with it, said before torch loads (seconds)
    if resolved == path / LAST:  # a run stopped before its first epoch ended: say what is used
        typer.echo(
            f"note: {path} has no best/ (no epoch finished, or it was removed); using {resolved}", err=True
        )
    # The path as given: a run folder is resolved again if a training run replaces its best/ meanwhile.
    loaded = load_checkpoint(path, device=str(resolve_device(device)), history_optional=True)
    for warning in loaded.warnings:
        typer.echo(f"warning: {warning}", err=True)
    return loaded


def _print_json(rows: list[dict[str, Any]]) -> None:
    """Each row as one line of JSON; what JSON cannot spell (NaN, a lone surrogate from a data file's
    escapes) as null and U+FFFD, as predict writes them."""
    from attncli.output import json_safe

    for row in rows:
        line = json.dumps(json_safe(row), ensure_ascii=not writes_unicode(sys.stdout), allow_nan=False)
        sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _version(value: bool) -> None:
    """attn's version, then what a bug report or a CI log needs beside it, read from the installed
    packages' metadata: importing torch would take seconds."""
    if value:
        import platform
        from importlib import metadata

        def installed(name: str) -> str:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                return "not installed"

        packages = ", ".join(f"{name} {installed(name)}" for name in ("torch", "tokenizers", "datasets"))
        typer.echo(f"attn {__version__} ({packages}, Python {platform.python_version()})")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Train, evaluate and inspect attention-based text classifiers."""


def _has_gpu() -> bool:
    import torch

    return bool(torch.cuda.is_available())


# How long torchrun's launcher lets the processes finish their step and write last/ after Ctrl-C or
# SIGTERM before it kills them (its own default, 30 s, is less than a large model's save may take).
SHUTDOWN_SECONDS = 600
LAUNCHER_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT")


def launcher_environment(nproc: int) -> dict[str, str]:
    """What torchrun's launcher is told through its environment (a value already set is kept): the
    threads of each process, how long to wait for the processes to save, and which signals to pass
    on, which leaves out those this process was started with ignored (a script's background job
    ignores SIGINT, nohup SIGHUP): ignored, they stay ignored in every process, as with one."""
    passed_on = [
        name for name in LAUNCHER_SIGNALS if signal.getsignal(getattr(signal, name)) != signal.SIG_IGN
    ]
    return {
        # torchrun sets one thread a process, with a warning, when it is not set: share the cores.
        "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // nproc)),
        "TORCH_ELASTIC_SHUTDOWN_TIMEOUT": str(SHUTDOWN_SECONDS),
        "TORCHELASTIC_SIGNALS_TO_HANDLE": ",".join(passed_on),
    }


def _launch_processes(
    nproc: int, arguments: list[str], *, debug: bool, run_folder: Path | None = None
) -> int:
    """Run `attn <arguments>` on `nproc` processes through torchrun's launcher, in this process, and
    return the exit code: the processes' own (rank 0 prints the one line), 130 when Ctrl-C or SIGTERM
    stopped them (they keep last/ and say how to resume). torchrun's log and traceback of a failed
    process are shown only with --debug."""
    import logging

    if not debug:  # torch.distributed.elastic gives each logger its level from LOGLEVEL when made
        os.environ.setdefault("LOGLEVEL", "CRITICAL")
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    from attncli.checkpoint import CONFIG_FILE, LAST
    from attncli.run_folder import resume_command

    if not debug:  # and those made before (an earlier import) keep theirs: quieten them too
        for name, logger in list(logging.root.manager.loggerDict.items()):
            if name.startswith("torch.distributed") and isinstance(logger, logging.Logger):
                logger.setLevel(logging.CRITICAL)
    for name, value in launcher_environment(nproc).items():
        os.environ.setdefault(name, value)
    # torchrun starts each process in a session of its own: Ctrl-C reaches this launcher alone, and it
    # passes the signal on once to every process, which stops after its step and keeps last/.
    launch = ["--standalone", f"--nproc_per_node={nproc}"]
    try:
        run(parse_args([*launch, "-m", "attncli", *arguments]))
    except SignalException:
        return 130
    except ChildFailedError as failed:
        codes = {rank: failure.exitcode for rank, failure in sorted(failed.failures.items())}
        # The process killed first, by something other than the launcher's own SIGTERM to the rest.
        killed = sorted(
            ((rank, -code) for rank, code in codes.items() if code < 0),
            key=lambda killed_rank: killed_rank[1] == signal.SIGTERM,
        )
        if killed:  # the OOM killer, say: the process could not say it, so the launcher does
            rank, number = killed[0]
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = "unknown"
            kept = (
                f"; {run_folder / LAST} keeps the newest state saved: resume with "
                f"{resume_command(run_folder, nproc)}"
                if run_folder is not None and (run_folder / LAST / CONFIG_FILE).is_file()
                else ""
            )
            typer.echo(
                f"error: training process {rank} was killed by signal {number} ({name}){kept}; rerun with "
                "--debug for torchrun's log",
                err=True,
            )
        if codes.get(0, 0) > 0:
            return codes[0]  # rank 0 printed why
        exited = [code for code in codes.values() if code > 0]
        return max(exited) if exited else 1  # attn's own exit codes (the others stopped when one ended)
    except Exception as error:  # the launcher itself: a port taken, a rendezvous that failed
        if debug:
            traceback.print_exc()
        typer.echo(f"error: could not start {nproc} processes: {error}", err=True)
        return 1
    return 0


@app.command(short_help="Train a classifier on labelled texts.")
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
    config_files: Annotated[
        list[Path] | None, typer.Option("--config", "-c", metavar="PATH", help="YAML config file (one).")
    ] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Override a setting: key=value (repeatable)."),
    ] = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    encoding: DataEncodingOption = None,
    delimiter: DelimiterOption = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            help="Most passes over the training data (fewer when validation stops improving).",
            show_default=_default("train.epochs"),
        ),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Texts per step.", show_default=_default("train.batch_size"))
    ] = None,
    lr: Annotated[
        float | None, typer.Option(help="Peak learning rate.", show_default=_default("train.lr"))
    ] = None,
    max_length: Annotated[
        int | None, typer.Option(help="Longest input in tokens.", show_default=_default("model.max_length"))
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            help="auto, cpu, cuda or mps.",
            show_default=_default("train.device"),
            autocompletion=_complete_from(DEVICES),
        ),
    ] = None,
    precision: Annotated[
        str | None,
        typer.Option(
            help="auto, fp32, bf16 or fp16.",
            show_default=_default("train.precision"),
            autocompletion=_complete_from(PRECISIONS),
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Seed for initialisation and shuffling.", show_default=_default("train.seed")),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the earlier attn run in --output.")
    ] = False,
    nproc: Annotated[
        int | None,
        typer.Option(
            "--nproc",
            min=1,
            help="Train on N processes through torchrun, on this machine: one per GPU (on the CPU they "
            "share its cores).",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the summary as one JSON object (metrics.json's record and the paths)."
        ),
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Train a tokenizer and an attention classifier; the best epoch goes to OUTPUT/best."""
    config = _run(lambda: _one_config_file(config_files), debug=debug)
    if nproc is not None and nproc > 1:
        options: dict[str, Any] = {
            "--output": output, "--resume": resume, "--config": config, "--text-column": text_column,
            "--label-column": label_column, "--encoding": encoding, "--delimiter": delimiter,
            "--epochs": epochs, "--batch-size": batch_size, "--lr": lr,
            "--max-length": max_length, "--device": device, "--precision": precision, "--seed": seed,
        }  # fmt: skip
        arguments = ["train", *([data] if data else [])]
        arguments += [
            str(item) for flag, value in options.items() if value is not None for item in (flag, value)
        ]
        arguments += [item for value in set_values or [] for item in ("--set", value)]
        arguments += ["--overwrite"] * overwrite + ["--json"] * as_json + ["--debug"] * debug
        cores = os.cpu_count() or 1
        if nproc > cores and device in (None, "auto", "cpu") and not _has_gpu():
            typer.echo(
                f"warning: {nproc} processes on {cores} CPU cores: each gets less than a core, so expect the "
                "run to be slower than with fewer processes",
                err=True,
            )
        raise typer.Exit(_launch_processes(nproc, arguments, debug=debug, run_folder=output or resume))

    reporters: list[Any] = []  # the run's progress reporter, once made: it knows whether training began

    def again() -> str | None:
        """The command that resumes as this one would, before its training loop began."""
        if resume is None:
            return None
        from attncli.run_folder import resume_command

        command = resume_command(resume, int(os.environ.get("WORLD_SIZE", "1")))
        command += f" --epochs {epochs}" if epochs is not None else ""
        return command + (f" {shlex.quote(data)}" if data else "")

    def interrupted() -> str:
        # Inside the training loop Ctrl-C saves last/ and says so; this is before it, or after it.
        if reporters and reporters[-1].epochs:
            folder = output or resume
            return f"interrupted; {folder} holds what the run had saved by then (attn info {folder} shows it)"
        return _interrupted_before_training(output, resume, again())

    def action() -> None:
        from attncli.config import load_config
        from attncli.progress import ProgressReporter
        from attncli.sources import require_data_source
        from attncli.train import resume as resume_training
        from attncli.train import train as run_training

        if resume is not None:
            others: dict[str, Any] = {
                "--output": output, "--config": config, "--set": set_values, "--text-column": text_column,
                "--label-column": label_column, "--encoding": encoding, "--delimiter": delimiter,
                "--batch-size": batch_size, "--lr": lr, "--max-length": max_length, "--device": device,
                "--precision": precision, "--seed": seed, "--overwrite": overwrite or None,
            }  # fmt: skip
            given = [name for name, value in others.items() if value is not None and value != []]
            if given:
                raise ConfigError(
                    f"--resume takes the data and settings saved in OUTPUT/last, so {', '.join(given)} "
                    "cannot change them; pass only --epochs (to raise the ceiling), and DATA where the run's "
                    "data has moved, with it"
                )
            reporters.append(ProgressReporter())
            result = resume_training(resume, epochs=epochs, data=data, reporter=reporters[-1])
            _print_train_summary(result, as_json=as_json)
            return
        if output is None:
            named = (
                data is not None
                or config is not None
                or any(value.replace(" ", "").startswith("data.source=") for value in set_values or [])
            )
            data_too = "" if named else " and DATA (a file, folder or Hub dataset to train on)"
            raise ConfigError(
                f"pass --output FOLDER (where the run is written){data_too}, or --resume OUTPUT"
            )
        require_data_source(data)  # at once: the config's checks import torch (seconds)

        options = {
            "data.source": data,
            "data.text_column": text_column,
            "data.label_column": label_column,
            "data.encoding": encoding,
            "data.delimiter": delimiter,
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
        reporters.append(reporter)
        result = run_training(resolved, output=output, overwrite=overwrite, reporter=reporter)
        _print_train_summary(result, as_json=as_json)

    def reported() -> None:
        # From the first moment (loading the config imports torch: a second and more) to the end.
        with _interruption_as_json(as_json, resume or output, interrupted, again):
            action()

    with _termination_interrupts():
        _run(reported, debug=debug, interrupted=interrupted)


@contextlib.contextmanager
def _interruption_as_json(
    as_json: bool, output: Path | None, interrupted: Callable[[], str], again: Callable[[], str | None]
) -> Iterator[None]:
    """With --json, an interrupted run prints its one JSON object too (a script read nothing): where
    it stopped and the command that resumes it (null where there is nothing to resume: Ctrl-C
    before the training loop, which printed nothing at all); the message still goes to stderr."""
    speaks = as_json and int(os.environ.get("RANK", "0")) == 0
    record: dict[str, Any] = {"output": str(output) if output else None, "stop_reason": "interrupted"}
    try:
        yield
    except TrainingInterrupted as stopped:
        if speaks:
            _print_json([{**record, "message": str(stopped), "resume": stopped.resume}])
        raise
    except KeyboardInterrupt:
        if speaks:
            _print_json([{**record, "message": interrupted(), "resume": again()}])
        raise


def _print_train_summary(result: Any, *, as_json: bool) -> None:
    """The summary of a finished run on stdout (by the first process alone under torchrun): a table,
    or one JSON object for scripts, metrics.json's record with the run's folders."""
    if not result.is_main:
        return
    if as_json:
        folders = {"output": str(result.output), "best": str(result.output / "best")}
        _print_json([{**folders, "last": str(result.output / "last"), **result.metrics.to_json()}])
        return
    from attncli.render import render_train_summary

    _console().print(render_train_summary(result))


def _termination_interrupts() -> contextlib.AbstractContextManager[None]:
    """SIGTERM (`timeout`, systemd, Kubernetes) stops `attn train` as Ctrl-C does in every phase,
    not only in the training loop, which installs its own handler to finish the step and save last/
    first: while data, tokenizer and model are prepared, nothing is left behind (without it the
    process died at once, leaving a lock file in a new folder). Once is enough: a second SIGTERM
    during that cleanup is ignored. A SIGTERM the user ignored stays ignored."""
    from attncli.signals import handled

    def interrupt(number: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    return handled((signal.SIGTERM,), interrupt)


@app.command("eval", short_help="Score a checkpoint on labelled data.")
def evaluate(
    checkpoint: CheckpointArg,
    data: Annotated[
        str | None,
        typer.Argument(
            help="Data to evaluate on (default: the training data's test split, else its validation split). "
            "A single file is evaluated whole.",
            metavar="DATA",
            show_default=False,
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            help="Split of a folder or Hub dataset to evaluate: train, validation (or dev, valid, val), test "
            "(default: test, else validation). Where training carved its validation rows out of train, "
            "train and validation mean those two parts."
        ),
    ] = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    errors: Annotated[
        int, typer.Option("--errors", min=0, metavar="N", help="List the N most confident mistakes.")
    ] = 0,
    encoding: DataEncodingOption = None,
    delimiter: DelimiterOption = None,
    ignore_unknown_labels: Annotated[
        bool,
        typer.Option(
            "--ignore-unknown-labels",
            help="Drop rows whose label the model never saw (and say how many) instead of stopping.",
        ),
    ] = False,
    drop_invalid: Annotated[
        bool,
        typer.Option(
            "--drop-invalid",
            help="Leave out rows with no text or no label (and say how many) instead of stopping "
            "(default: as the run was trained, data.drop_invalid).",
        ),
    ] = False,
    as_json: JsonReportOption = False,
    batch_size: BatchOption = 64,
    device: DeviceOption = "auto",
    debug: DebugOption = False,
) -> None:
    """Report accuracy, macro- and weighted-F1, per-class scores, the confusion matrix and calibration."""

    def action() -> None:
        from attncli.config import DataConfig
        from attncli.evaluation import evaluate as run_evaluation
        from attncli.progress import rows_progress
        from attncli.sources import require_data_source

        if data == "-":
            raise DataError(
                "attn eval reads DATA from a file, a folder or a Hub dataset, not standard input; save the "
                "labelled rows to a file (csv, jsonl, ...) and pass it"
            )
        require_data_source(data)  # a mistyped DATA is said at once, not after loading the model
        if encoding is not None:
            DataConfig(encoding=encoding)  # refused as training refuses it, before the model loads
        loaded = _load_checkpoint(checkpoint, device, command="eval", others=[data] if data else [])
        with rows_progress() as on_batch:
            result = run_evaluation(
                loaded,
                data,
                split=split,
                text_column=text_column,
                label_column=label_column,
                batch_size=batch_size,
                errors=errors,
                ignore_unknown_labels=ignore_unknown_labels,
                encoding=encoding,
                delimiter=_delimiter(delimiter),
                drop_invalid=drop_invalid,
                on_batch=on_batch,
            )
        if as_json:
            for note in result.notes:  # the table shows them; beside JSON they go to stderr
                typer.echo(note, err=True)
            _print_json([result.to_json()])
        else:
            from attncli.render import render_eval

            console = _console(unwrapped_when_piped=True)
            console.print(render_eval(result, width=console.width, piped=not console.is_terminal))

    _run(action, debug=debug)


def _check_inputs(
    texts: list[str],
    file: Path | None,
    text_column: str | None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
) -> None:
    """Refuse contradictory inputs before the model loads."""
    from attncli.records import STDIN, codec_name, require_input_file
    from attncli.textfiles import is_utf8

    if texts and STDIN not in texts and not is_utf8(codec_name(encoding)):
        raise ConfigError(
            f"--encoding {encoding} reads --file and standard input; TEXT arguments are already text, so "
            "drop --encoding"
        )

    if texts and file is not None:
        raise ConfigError("pass texts as TEXT arguments or with --file, not both")
    if STDIN in texts and len(texts) > 1:
        raise ConfigError("'-' reads standard input; pass it alone, without other TEXT arguments")
    if text_column is not None and (file is None or str(file) == STDIN):
        raise ConfigError(
            "--text-column names a column of --file; TEXT arguments and standard input have none"
        )
    if delimiter is not None and (file is None or file.suffix.lower() not in (".csv", ".tsv")):
        raise ConfigError("--delimiter splits the columns of a csv/tsv --file; pass one, or drop --delimiter")
    if file is not None and str(file) != STDIN:
        require_input_file(file)


def _record_source(
    texts: list[str],
    file: Path | None,
    *,
    encoding: str,
    text_column: str | None,
    trained_column: str | None,
    delimiter: str | None = None,
) -> RecordSource:
    """Where the records come from: TEXT arguments, --file, or standard input ('-' or nothing).
    The inputs were checked by `_check_inputs` before the model loaded."""
    from attncli import records

    if texts and texts != [records.STDIN]:
        return records.from_arguments(texts)
    if file is not None and str(file) != records.STDIN:
        source = records.from_file(
            file, encoding=encoding, text_column=text_column, trained_column=trained_column,
            delimiter=delimiter,
        )  # fmt: skip
        for note in source.notes:
            typer.echo(f"note: {note}", err=True)
        if source.columns or file.suffix.lower() in records.FILE_BUILDERS:
            return source
        # Plain text: a pipe (--file <(cat rows.csv)), or a data file under another suffix.
        remedy = (
            SAVE_AS_DATA_FILE
            if records.is_pipe(file)
            else "give the file its format's suffix (.jsonl, .csv) and pass that"
        )
        chunks = _noting_record_shaped(source.chunks, trained_column, name=str(file), remedy=remedy)
        return dataclasses.replace(source, chunks=chunks)
    if sys.stdin.isatty():
        typer.echo("reading texts from standard input, one per line (Ctrl-D to end)", err=True)
    source = records.from_stdin(encoding=encoding)
    chunks = _noting_record_shaped(
        source.chunks, trained_column, name="standard input", remedy=SAVE_AS_DATA_FILE
    )
    return dataclasses.replace(source, chunks=chunks)


# What reads records that came as plain text (standard input, a pipe) by their text column.
SAVE_AS_DATA_FILE = "save them to a file and pass --file FILE.jsonl (or .csv)"
# Records inspect runs through the model together and shows before reading on: a few batches.
INSPECT_SHOWN_RECORDS = 128


def _noting_record_shaped(
    chunks: Iterator[list[Any]], text_column: str | None, *, name: str, remedy: str
) -> Iterator[list[Any]]:
    """The chunks, with a note when the first line of plain text input looks like a data file's
    (each line would be classified whole, braces, ids and gold labels included)."""
    from attncli import records

    first = True
    for chunk in chunks:
        if first and chunk:
            first = False
            shape = records.record_shaped(chunk[0].text or "", text_column=text_column)
            if shape is not None:
                typer.echo(
                    f"note: {name} is read as one text per line, and its first line looks like {shape}; "
                    f"to read the records' text column, {remedy}",
                    err=True,
                )
        yield chunk


def _delimiter(value: str | None) -> str | None:
    """--delimiter checked as data.delimiter is: one character, \\t or tab meaning a tab."""
    from attncli.config import DataConfig

    return DataConfig(delimiter=value).delimiter if value is not None else None


FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file",
        "-f",
        help=(
            "Texts to read: one per line, or a csv/tsv/json/jsonl/parquet file ('-': standard input, "
            "one text per line)."
        ),
        show_default=False,
    ),
]


@app.command(short_help="Label texts, one result per input record.")
def predict(
    checkpoint: CheckpointArg,
    texts: Annotated[
        list[str] | None,
        typer.Argument(
            help="Texts to label; '-' or none reads lines from standard input.",
            metavar="TEXT",
            show_default=False,
        ),
    ] = None,
    file: FileOption = None,
    text_column: Annotated[
        str | None, typer.Option(help="Column of --file holding the text (default: as in training).")
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="table, jsonl, json (one array), csv or tsv (default: from --output's suffix, else table).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write results to this file (it appears once complete); - is standard output.",
            show_default=False,
        ),
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="How many labels to list per text.")] = 3,
    encoding: EncodingOption = "utf-8",
    delimiter: DelimiterOption = None,
    as_json: JsonOption = False,
    batch_size: BatchOption = 64,
    device: DeviceOption = "auto",
    debug: DebugOption = False,
) -> None:
    """Label texts: one result per input line or row, in order, numbered from 0."""
    output = None if _is_standard_output(output) else output  # `-o -`: standard output, as --file -

    def action() -> None:
        from attncli.output import (
            CsvWriter,
            JsonArrayWriter,
            JsonLinesWriter,
            atomic_output,
            check_output_file,
            choose_format,
        )
        from attncli.prediction import PredictionStats, predict_stream
        from attncli.progress import counted_chunks

        check_output_file(output)
        chosen = choose_format(output_format, as_json=as_json, output=output)
        _check_inputs(texts or [], file, text_column, delimiter, encoding)
        _refuse_writing_over_input(output, "--output", texts or [], file)
        loaded = _load_checkpoint(checkpoint, device, command="predict", others=texts or [])
        source = _record_source(
            texts or [], file, encoding=encoding, text_column=text_column,
            trained_column=loaded.config.data.text_column, delimiter=_delimiter(delimiter),
        )  # fmt: skip
        stats = PredictionStats()
        counted = counted_chunks(source.chunks, streaming=source.streaming, count=source.count)
        chunks = predict_stream(loaded, counted, top_k=top_k, batch_size=batch_size, stats=stats)
        with atomic_output(output) as stream:
            if chosen == "jsonl":
                json_writer = JsonLinesWriter(stream, text_column=source.text_column)
                for predictions in chunks:
                    json_writer.write(predictions)
            elif chosen == "json":
                array_writer = JsonArrayWriter(stream, text_column=source.text_column)
                try:
                    for predictions in chunks:
                        array_writer.write(predictions)
                except (AttnError, KeyboardInterrupt):
                    # An input that fails halfway, or Ctrl-C, still leaves standard output one array
                    # (a file is not written at all).
                    if output is None:
                        array_writer.close()
                    raise
                array_writer.close()
            elif chosen in ("csv", "tsv"):
                # A csv file keeps the delimiter of the csv it came from (`;` in many Excel locales);
                # standard output, read by scripts, stays comma-separated.
                kept = source.delimiter if output is not None else None
                separator = "\t" if chosen == "tsv" else (kept or ",")
                csv_writer = CsvWriter(
                    stream, input_columns=source.columns, label_names=loaded.label_names, delimiter=separator,
                    byte_order_mark=source.byte_order_mark and output is not None,  # a file, as it came in
                )  # fmt: skip
                for predictions in chunks:
                    csv_writer.write(predictions)
            else:
                _print_prediction_table(chunks, loaded.label_names, top_k=top_k, stream=stream)
            _require_some_text(source, records=stats.records, without_text=stats.without_label)
        _report_prediction_stats(stats, max_length=loaded.config.model.length)
        if output is not None:
            typer.echo(f"wrote {stats.records:,} result{'s' * (stats.records != 1)} to {output}", err=True)

    _run(action, debug=debug)


def _require_some_text(source: RecordSource, *, records: int, without_text: int) -> None:
    """Refuse a data file none of whose records has a text in the column read: a wrong
    --text-column (numbers, or nothing) gave a row of "no text" for each record, and exit 0, which a
    pipeline took for success. Raised inside the output's block, so an --output file is not written.
    A plain text file of blank lines is not refused: each line still gets its result."""
    if records and without_text == records and source.text_column is not None:
        raise DataError(
            f"no record of {source.name} has a text in column {source.text_column!r} ({records:,} read); "
            "if another column holds the texts, pass --text-column with its name"
        )


def _refuse_writing_over_input(output: Path | None, option: str, texts: list[str], file: Path | None) -> None:
    """Refuse an output file that is the input being read: --file, or the file on standard input."""
    from attncli.records import STDIN

    if output is None:
        return
    if file is not None and _same_file(output, file):
        raise DataError(f"{option} {output} is the --file being read; write the results to another file")
    if file is None and texts in ([], [STDIN]) and _is_standard_input(output):
        raise DataError(f"{option} {output} is the file on standard input; write the results to another file")


def _is_standard_input(path: Path) -> bool:
    """Whether standard input is the file `path` names (`< texts.txt -o texts.txt`)."""
    try:
        return path.exists() and os.path.samestat(os.fstat(sys.stdin.fileno()), os.stat(path))
    except (OSError, ValueError, AttributeError):  # no descriptor (a test's, an embedding host's)
        return False


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one existing file (through links, or spelled differently)."""
    try:
        return first.exists() and second.exists() and os.path.samefile(first, second)
    except OSError:
        return False


def _print_prediction_table(chunks, label_names: list[str], *, top_k: int, stream) -> None:
    from attncli.render import prediction_layout, render_prediction_header, render_prediction_row

    console = _console(file=stream, soft_wrap=True)
    # Texts are cut to the terminal's width; piped into a file or a pager, they are kept whole.
    width = console.width if console.is_terminal else 1 << 20
    layout = prediction_layout(label_names, top_k=top_k, width=width)
    console.print(render_prediction_header(layout))
    for predictions in chunks:
        for prediction in predictions:
            console.print(render_prediction_row(prediction, layout))
        stream.flush()


def _report_prediction_stats(stats, *, max_length: int) -> None:
    """A closing note on standard error (standard output stays results only)."""
    if (note := stats.truncation_note(max_length)) is not None:
        typer.echo(note, err=True)
    if stats.without_label:
        typer.echo(
            f"note: {stats.without_label} of {stats.records} records had no text and got no label", err=True
        )


@app.command(short_help="Show which tokens the model attends to.")
def inspect(
    checkpoint: CheckpointArg,
    texts: Annotated[
        list[str] | None,
        typer.Argument(
            help="Texts to classify and show; '-' or none reads lines from standard input.",
            metavar="TEXT",
            show_default=False,
        ),
    ] = None,
    file: FileOption = None,
    text_column: Annotated[
        str | None, typer.Option(help="Column of --file holding the text (default: as in training).")
    ] = None,
    layer: Annotated[
        int | None,
        typer.Option(help="Show the attention each token receives in this self-attention layer (1 = first)."),
    ] = None,
    head: Annotated[
        int | None,
        typer.Option(
            help="Only this head (1 = first) of the --layer shown, or of the attention pooling; "
            "default: heads averaged."
        ),
    ] = None,
    rollout: Annotated[
        bool,
        typer.Option(
            "--rollout",
            help="Attention rollout through every layer (Abnar and Zuidema); the default with layers.",
        ),
    ] = False,
    pooling: Annotated[
        bool,
        typer.Option("--pooling", help="The pooling's own attention weights (the default without layers)."),
    ] = False,
    words: Annotated[
        bool, typer.Option("--words", help="Merge subword pieces into whole words (their weights summed).")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="Also save the heatmaps as an HTML page (-: to standard output, in place of the view).",
            show_default=False,
        ),
    ] = None,
    svg: Annotated[
        Path | None,
        typer.Option(
            "--svg",
            help="Also save the heatmaps as an SVG picture (-: to standard output, in place of the view).",
            show_default=False,
        ),
    ] = None,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="Print each token's weight as a number instead of colours.")
    ] = False,
    encoding: EncodingOption = "utf-8",
    delimiter: DelimiterOption = None,
    as_json: JsonOption = False,
    device: DeviceOption = "auto",
    debug: DebugOption = False,
) -> None:
    """Show each text with its tokens coloured by how much the model attends to them."""

    def action() -> None:
        from attncli.inspection import check_view, default_layer, default_view, inspect_texts, record_json
        from attncli.output import check_output_file
        from attncli.prediction import no_label_reason

        _check_inputs(texts or [], file, text_column, delimiter, encoding)
        if as_json and (html or svg):
            raise ConfigError("--html and --svg save the heatmaps, which --json does not draw; drop one")
        if _is_standard_output(html) and _is_standard_output(svg):
            raise ConfigError("--html - and --svg - both ask for standard output; send one of them to a file")
        if html is not None and svg is not None and html.resolve() == svg.resolve():
            raise ConfigError(f"--html and --svg both name {html}; give each its own file")
        for written, option, suffixes in ((html, "--html", (".html", ".htm")), (svg, "--svg", (".svg",))):
            if not _is_standard_output(written):
                _refuse_writing_over_input(written, option, texts or [], file)
                check_output_file(written, option, replaces=suffixes)
        loaded = _load_checkpoint(checkpoint, device, command="inspect", others=texts or [])
        config = loaded.config.model
        shown_rollout = rollout or default_view(config, layer=layer, pooling=pooling)
        shown_layer = default_layer(config, layer=layer, rollout=shown_rollout, pooling=pooling)
        check_view(config, layer=shown_layer, head=head, rollout=shown_rollout, pooling=pooling)
        source = _record_source(
            texts or [], file, encoding=encoding, text_column=text_column,
            trained_column=loaded.config.data.text_column, delimiter=_delimiter(delimiter),
        )  # fmt: skip
        # `--html -` or `--svg -` sends the page to standard output, in place of the terminal's view.
        page_only = _is_standard_output(html) or _is_standard_output(svg)
        console = None if page_only else _console(unwrapped_when_piped=True)
        # NO_COLOR keeps color_system: it is read as plain.
        plain = console is None or no_color or console.no_color or not console.is_terminal
        color_system = None if plain or console is None else console.color_system
        recorder = _recording_console() if html or svg else None
        numbered = source.name != "arguments" or len(texts or []) > 1
        read = with_text = 0
        # Records in pieces of a few batches: each piece's texts go through the model together, as
        # predict's do, and are shown before the next piece (a chunk of a file is 2,048 records, which
        # held every text's weights and showed nothing for seconds).
        pieces = (chunk[start : start + INSPECT_SHOWN_RECORDS] for chunk in source.chunks
                  for start in range(0, len(chunk), INSPECT_SHOWN_RECORDS))  # fmt: skip
        for chunk in pieces:
            usable = [record for record in chunk if record.text is not None and record.text.strip()]
            read, with_text = read + len(chunk), with_text + len(usable)
            found = []
            if usable:
                found = inspect_texts(
                    loaded, [record.text or "" for record in usable], layer=shown_layer, head=head,
                    rollout=shown_rollout, pooling=pooling, words=words,
                )  # fmt: skip
            inspections = {record.index: inspection for record, inspection in zip(usable, found, strict=True)}
            for record in chunk:
                inspection = inspections.get(record.index)
                if inspection is None:
                    if as_json:
                        _print_json([record_json(record, None, text_column=source.text_column)])
                    else:
                        reason = no_label_reason(record)
                        if console is not None:
                            console.print(f"#{record.index}  ({reason})", style="attn.muted")
                        if recorder is not None:  # the saved picture keeps it too: no gaps in numbering
                            recorder.print(f"#{record.index}  ({reason})", style="attn.muted")
                    continue
                if as_json:
                    _print_json([record_json(record, inspection, text_column=source.text_column)])
                    continue
                _show_inspection(
                    console, recorder, inspection, color_system, record.index if numbered else None
                )
        _require_some_text(source, records=read, without_text=read - with_text)
        if recorder is not None:
            _save_recording(recorder, html=html, svg=svg)

    _run(action, debug=debug)


def _recording_console():
    """A console that renders in full colour into memory, for --html and --svg."""
    import io

    from rich.console import Console

    from attncli.render import ATTN_THEME

    return Console(
        file=io.StringIO(), record=True, theme=ATTN_THEME, highlight=False, color_system="truecolor",
        force_terminal=True, width=100,
    )  # fmt: skip


def _show_inspection(console, recorder, inspection, color_system, index) -> None:
    from attncli.render import render_inspection

    if console is not None:  # None: --html - or --svg -, the page alone
        console.print(render_inspection(inspection, color_system=color_system, index=index))
    if recorder is not None:
        recorder.print(render_inspection(inspection, color_system="truecolor", index=index))


def _save_recording(recorder, *, html: Path | None, svg: Path | None) -> None:
    from attncli.output import atomic_output

    pages = (
        (html, "--html", lambda: recorder.export_html(clear=False, inline_styles=True)),
        (svg, "--svg", lambda: recorder.export_svg(clear=False, title="attn inspect")),
    )
    for path, option, page in pages:
        if path is None:
            continue
        if _is_standard_output(path):
            sys.stdout.write(page())
            sys.stdout.flush()
            continue
        with atomic_output(path, option) as stream:
            stream.write(page())
        typer.echo(f"saved {path}", err=True)


def _is_standard_output(path: Path | None) -> bool:
    """Whether an output option was given `-`: standard output, as `--file -` is standard input."""
    return path is not None and str(path) == "-"


@app.command(short_help="Describe a checkpoint (no torch needed).")
def info(checkpoint: CheckpointArg, as_json: JsonReportOption = False, debug: DebugOption = False) -> None:
    """Show what a checkpoint is: labels, model, training, versions and whether its files are intact."""

    def action() -> None:
        from attncli.info import describe_checkpoint

        described = describe_checkpoint(checkpoint)
        if as_json:
            _print_json([described.to_json()])
        else:
            from attncli.render import render_info

            _console().print(render_info(described))
        if described.damaged:  # shown in full above; the exit code lets a script tell too
            raise CheckpointError(
                f"{described.path} is not as it was saved ({', '.join(described.damaged)}, as the checksums "
                "in config.json tell); restore those files from a backup, or train again"
            )

    _run(action, debug=debug)


def _one_config_file(files: list[Path] | None) -> Path | None:
    """The one --config file: a second is refused, where it silently replaced the first."""
    if files and len(files) > 1:
        raise ConfigError(
            f"--config is given {len(files)} times ({', '.join(map(str, files))}); pass one file (a YAML "
            "file may hold every setting, and --set overrides any of them)"
        )
    return files[0] if files else None


# Options whose values are names read in any case (--format CSV is csv), so given twice in two
# cases they say one thing.
CASELESS_OPTIONS = ("--format", "--split")


def _repeated_option(group: Any, args: list[str]) -> str | None:
    """The refusal of an option that takes one value given twice with different ones: click keeps
    the last alone, so `-f a.txt -f b.txt` read b.txt and said nothing of a.txt (--config, which is
    read as a list to say this, is checked where it is read)."""
    name = next((arg for arg in args if not arg.startswith("-")), None)
    command = getattr(group, "commands", {}).get(name)
    if command is None:
        return None
    single = {}  # each spelling of an option that takes one value -> its long name
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and not (
            param.multiple or param.is_flag or param.count
        ):
            for spelling in (*param.opts, *param.secondary_opts):
                single[spelling] = max(param.opts, key=len)
    given: dict[str, list[str]] = {}
    index = 0
    while index < len(args) and args[index] != "--":
        spelling, equals, inline = args[index].partition("=")
        attached = args[index][:2] if not args[index].startswith("--") else ""
        if attached in single and len(args[index]) > 2:  # -fa.txt, as click reads it
            given.setdefault(single[attached], []).append(args[index][2:])
        elif spelling in single and index + (not equals) < len(args):
            if not equals:
                index += 1
            given.setdefault(single[spelling], []).append(inline if equals else args[index])
        index += 1
    for option, values in given.items():
        if len({value.lower() if option in CASELESS_OPTIONS else value for value in values}) > 1:
            return f"{option} is given {len(values)} times ({', '.join(values)}); pass it once"
    return None


def _command_path(context: Any, group: Any) -> str:
    """`attn predict`, for a usage error click raised before it entered the subcommand (an option
    at the end that lacks its value: `attn predict R -o`), or in it."""
    if context is not None and context.command is not group:
        return str(context.command_path)
    name = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    return f"attn {name}" if name in getattr(group, "commands", {}) else "attn"


def _dash_text_hint(error: Any, path: str) -> str | None:
    """For `attn predict RUN "-5% shares"`: click took the text for an unknown option. Said where the
    command takes texts and the word given is no near miss of an option."""
    if type(error).__name__ != "NoSuchOption" or getattr(error, "possibilities", None):
        return None
    if path not in ("attn predict", "attn inspect"):
        return None
    given = next((arg for arg in sys.argv[1:] if arg.startswith(str(error.option_name))), error.option_name)
    return f"a text that starts with '-' goes after '--': {path} RUN -- {shlex.quote(given)}"


def _option_of_another_command(error: Any, path: str, group: Any) -> str | None:
    """For `attn inspect RUN text --top-k 2`: an option that other commands have, which this one
    has not (it was taken for a text starting with '-')."""
    # click's near misses, but --help: every command has it, and it is near any short option.
    near_misses = set(getattr(error, "possibilities", None) or ()) - {"--help"}
    if type(error).__name__ != "NoSuchOption" or near_misses:
        return None
    option = str(error.option_name)
    having = [
        name
        for name, other in getattr(group, "commands", {}).items()
        if f"attn {name}" != path
        and any(option in [*param.opts, *param.secondary_opts] for param in other.params)
    ]
    if not having:
        return None
    named = having[0] if len(having) == 1 else f"{', '.join(having[:-1])} and {having[-1]}"
    return (
        f"{path} has no {option} (attn {named} {'has' if len(having) == 1 else 'have'} it); see {path} --help"
    )


def _run_app() -> int:
    """The command's exit status; a usage error (an unknown option, a value out of range, a missing
    argument) is one `error:` line as every other refusal, where click printed four."""
    # click's exceptions, as the typer installed has them: its own copy of click (typer 0.2x) or
    # click itself (earlier typer), found from the one class typer exports.
    usage_error, click_exception = (
        cast("type[Exception]", next(kind for kind in typer.BadParameter.__mro__ if kind.__name__ == name))
        for name in ("UsageError", "ClickException")
    )
    command: Any = typer.main.get_command(app)  # built once (16 ms): what app() would build
    repeated = _repeated_option(command, sys.argv[1:])
    if repeated is not None:
        sys.stderr.write(f"error: {repeated}\n")
        return 2
    try:
        status = command(prog_name="attn", standalone_mode=False)
    except usage_error as caught:
        error: Any = caught
        if type(error).__name__ == "NoArgsIsHelpError":  # `attn` alone: the help, as before
            error.show()
        else:
            message = " ".join(error.format_message().split()).rstrip(".")
            path = _command_path(error.ctx, command)
            hint = _option_of_another_command(error, path, command)
            if hint is not None:  # click's near miss, if any, was --help: no help here
                message = f"No such option: {error.option_name}"
            hint = hint or _dash_text_hint(error, path)
            sys.stderr.write(f"error: {message}; {hint or f'see {path} --help'}\n")
        return int(error.exit_code)
    except click_exception as caught:
        other: Any = caught
        other.show()
        return int(other.exit_code)
    except typer.Abort:
        sys.stderr.write("Aborted!\n")
        return 1
    return status if isinstance(status, int) else 0


def main() -> None:
    prefer_huge_pages()  # before anything imports torch
    usable_terminal_size()
    if reopen_closed_streams():
        sys.stderr.write("error: standard output is closed (>&-); redirect it to a file or /dev/null\n")
        raise SystemExit(2)
    try:
        os.getcwd()
    except FileNotFoundError:
        sys.stderr.write("error: the current folder no longer exists; cd into one that does\n")
        raise SystemExit(2) from None
    tolerate_narrow_encodings()
    try:
        raise SystemExit(_run_app())
    finally:
        note = replacement_note()
        if note is not None:
            sys.stderr.write(note + "\n")
        # The command is over and its exit status chosen; a SIGTERM while the interpreter shuts down
        # (torch's teardown takes a moment) would report a finished run as killed (143).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
