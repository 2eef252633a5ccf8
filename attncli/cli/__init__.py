"""The `attn` command line: parse options, call one plain function, render, exit. The only package
that imports typer; heavy modules are imported inside commands so that --help is instant."""

from attncli.cli.group import app, main

__all__ = ["app", "main"]
