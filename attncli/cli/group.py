"""The `attn` command group: its commands in the order --help lists them, --version, and `main`,
the console script."""

from __future__ import annotations

import os
import signal
import sys
from typing import Annotated, Any

import typer

from attncli import __version__
from attncli.allocator import prefer_huge_pages
from attncli.cli.eval_command import evaluate
from attncli.cli.info_command import info
from attncli.cli.inspect_command import inspect
from attncli.cli.predict_command import predict
from attncli.cli.train_command import train
from attncli.cli.usage import run_app
from attncli.errors import AttnError
from attncli.signals import STOP_SIGNALS
from attncli.streams import (
    CLOSED_OUTPUT,
    flush_quietly,
    guard_standard_streams,
    reopen_closed_streams,
    replacement_note,
    tolerate_narrow_encodings,
    usable_terminal_size,
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


def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Train, evaluate and inspect attention-based text classifiers."""


_click_style_help()
app = typer.Typer(
    name="attn",
    help="Train, evaluate and inspect attention-based text classifiers.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.callback()(_main)
app.command(short_help="Train a classifier on labelled texts.")(train)
app.command("eval", short_help="Score a checkpoint on labelled data.")(evaluate)
app.command(short_help="Label texts, one result per input record.")(predict)
app.command(short_help="Show which tokens the model attends to.")(inspect)
app.command(short_help="Describe a checkpoint (no torch needed).")(info)


def _results_to_a_file(arguments: list[str]) -> bool:
    """Whether the command line is `predict ... -o FILE` (not `-o -`), whose results need no standard
    output: with it closed (`>&-`) predict runs, and only a write to it would be an error."""
    if not arguments or arguments[0] != "predict":
        return False
    for position, argument in enumerate(arguments):
        if argument == "--":  # TEXT arguments from here on, whatever they look like
            break
        if argument in ("-o", "--output") and position + 1 < len(arguments):
            value = arguments[position + 1]
        elif argument.startswith("--output="):
            value = argument.removeprefix("--output=")
        elif argument.startswith("-o") and len(argument) > 2 and not argument.startswith("--"):
            value = argument[2:]
        else:
            continue
        return value not in ("-", "/dev/stdout")
    return False


def main() -> None:
    prefer_huge_pages()  # before anything imports torch
    usable_terminal_size()
    if reopen_closed_streams() and not _results_to_a_file(sys.argv[1:]):
        # Refused before any work: a training or an eval would run to the end, then fail on its summary.
        sys.stderr.write(f"error: {CLOSED_OUTPUT}\n")
        raise SystemExit(2)
    try:
        os.getcwd()
    except FileNotFoundError:
        sys.stderr.write("error: the current folder no longer exists; cd into one that does\n")
        raise SystemExit(2) from None
    tolerate_narrow_encodings()
    guard_standard_streams()
    try:
        try:
            status = run_app(app)
            sys.stdout.flush()
        except AttnError as error:  # --help or --version into standard output that cannot take them
            sys.stderr.write(f"error: {error}\n")
            status = error.exit_code
        raise SystemExit(status)
    finally:
        flush_quietly()  # what a failed or stopped command left buffered; its error was said
        note = replacement_note()
        if note is not None:
            sys.stderr.write(note + "\n")
        # The command is over and its exit status chosen; a SIGTERM, SIGHUP or Ctrl-C while the
        # interpreter shuts down (torch's teardown takes a moment: 0.7 s after a training's summary)
        # would report a finished run as killed (143, 130) beside its summary.
        for stopping in STOP_SIGNALS:
            signal.signal(stopping, signal.SIG_IGN)
