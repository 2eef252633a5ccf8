"""`attn inspect`: each text's tokens coloured by their attention weight, or their weights as JSON,
and the same heatmaps saved as HTML or SVG."""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from attncli.cli.edge import (
    file_encoding,
    is_standard_output,
    load_for_command,
    print_json,
    refuse_swapped_file,
    run_command,
    say,
    stdout_console,
)
from attncli.cli.inputs import (
    blank_lines_hint,
    check_inputs,
    note_when_nothing_read,
    record_source,
    refuse_writing_over_input,
)
from attncli.cli.options import (
    CheckpointArg,
    DebugOption,
    DeviceOption,
    EncodingOption,
    FallbackOption,
    FileOption,
    FileTextColumnOption,
    InputDelimiterOption,
    JsonOption,
    QuietOption,
    ThreadsOption,
    ThresholdOption,
    WholeFileOption,
    checked_delimiter,
    given_path,
)
from attncli.errors import ConfigError

if TYPE_CHECKING:
    from attncli.prediction import PredictionStats

# Records inspect runs through the model together and shows before reading on: a few batches.
INSPECT_SHOWN_RECORDS = 128


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
    text_column: FileTextColumnOption = None,
    whole_file: WholeFileOption = False,
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
            parser=given_path,
        ),
    ] = None,
    svg: Annotated[
        Path | None,
        typer.Option(
            "--svg",
            help="Also save the heatmaps as an SVG picture (-: to standard output, in place of the view).",
            show_default=False,
            parser=given_path,
        ),
    ] = None,
    no_color: Annotated[
        bool,
        typer.Option(
            "--no-color",
            help="Print each token's weight as a number instead of colours (in --html and --svg too).",
        ),
    ] = False,
    thresholds: ThresholdOption = None,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score",
            show_default=False,
            help="With --fallback: show the fallback label where the best label's probability is below "
            "this (0 to 1), as predict gives it.",
        ),
    ] = None,
    fallback: FallbackOption = None,
    encoding: EncodingOption = None,
    delimiter: InputDelimiterOption = None,
    as_json: JsonOption = False,
    device: DeviceOption = "auto",
    threads: ThreadsOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Show each text with its tokens coloured by how much the model attends to them."""

    def action() -> None:
        from attncli.prediction import PredictionStats, require_min_score
        from attncli.record_sources import ARGUMENTS
        from attncli.render.consoles import recording_console
        from attncli.thresholds import (
            parse_threshold_options,
            require_paired_fallback,
            resolve_fallback,
            resolve_thresholds,
        )
        from attncli.view_choice import check_view, default_layer, default_view

        refuse_swapped_file(checkpoint, file, command="inspect")
        check_inputs(texts or [], file, text_column, delimiter, encoding or "utf-8", whole_file)
        _check_pages(html, svg, as_json=as_json, texts=texts or [], file=file)
        decided_by = parse_threshold_options(thresholds or [])  # before the model loads
        require_min_score(min_score)
        require_paired_fallback(min_score, fallback, decided_by, command="inspect", verb="shown")
        loaded = load_for_command(checkpoint, device, command="inspect", others=texts or [])
        resolve_thresholds(decided_by, loaded.label_names)  # before any input is read
        resolve_fallback(fallback, loaded.label_names)
        config = loaded.config.model
        shown_rollout = rollout or default_view(config, layer=layer, pooling=pooling)
        shown_layer = default_layer(config, layer=layer, rollout=shown_rollout, pooling=pooling)
        check_view(config, layer=shown_layer, head=head, rollout=shown_rollout, pooling=pooling)
        source = record_source(
            texts or [], file, encoding=file_encoding(loaded, file, encoding),
            text_column=text_column,
            trained_column=loaded.config.data.text_column, delimiter=checked_delimiter(delimiter),
            trained_encoding=loaded.config.data.encoding, whole_file=whole_file,
        )  # fmt: skip
        # `--html -` or `--svg -` sends the page to standard output, in place of the terminal's view.
        page_only = is_standard_output(html) or is_standard_output(svg)
        console = None if page_only else stdout_console(unwrapped_when_piped=True)
        # NO_COLOR keeps color_system: it is read as plain.
        plain = console is None or no_color or console.no_color or not console.is_terminal
        # Colour refused by the user (not merely a pipe) is refused in --html and --svg too: the page
        # then carries each weight as a number, which a screen reader and a copied text keep.
        refused_by_environment = not no_color and os.environ.get("NO_COLOR", "") != ""
        refused = no_color or refused_by_environment
        shown = _Shown(
            console=console, html_recorder=recording_console("html") if html else None,
            svg_recorder=recording_console("svg") if svg else None, as_json=as_json,
            color_system=None if plain or console is None else console.color_system,
            recorded_color_system=None if refused else "truecolor",
            numbered=source.name != ARGUMENTS or len(texts or []) > 1, text_column=source.text_column,
            label_column=loaded.config.data.label_column, label_names=list(loaded.label_names),
        )  # fmt: skip
        view = {
            "layer": shown_layer,
            "head": head,
            "rollout": shown_rollout,
            "pooling": pooling,
            "words": words,
            "thresholds": decided_by,
            "min_score": min_score,
            "fallback": fallback,
        }
        stats = PredictionStats()
        reader_gone = _inspect_records(loaded, source.chunks, view, shown, stats)
        note_when_nothing_read(source, records=stats.records, verb="inspect")
        # As predict says them, --json included. Texts cut at max_length are said where no heatmap
        # on the terminal says it under each: with --json, or with the page alone (--html -).
        note = stats.truncation_note(loaded.config.model.length, loaded.config.model.truncation)
        if note is not None and (as_json or console is None):
            say(note)
        if stats.without_label:
            hint = blank_lines_hint(source, whole_file=whole_file)
            say(f"note: {stats.without_label:,} of {stats.records:,} records had no text to inspect{hint}")
        if html or svg:
            from_file = f" -f {file}" if file is not None else ""
            _save_recording(
                shown, html=html, svg=svg, title=f"attn inspect {checkpoint}{from_file}",
                numbers_for_no_color=refused_by_environment,
            )  # fmt: skip
        if reader_gone:  # the pages are saved: now end as a closed pipe ends a command (status 141)
            raise BrokenPipeError

    run_command(action, debug=debug, threads=threads, quiet=quiet)


def _check_pages(
    html: Path | None, svg: Path | None, *, as_json: bool, texts: list[str], file: Path | None
) -> None:
    """Refuse --html and --svg files that cannot be written as asked, before the model loads."""
    from attncli.atomic_files import check_output_file

    if as_json and (html or svg):
        raise ConfigError("--html and --svg save the heatmaps, which --json does not draw; drop one")
    if is_standard_output(html) and is_standard_output(svg):
        raise ConfigError("--html and --svg both ask for standard output; send one of them to a file")
    if html is not None and svg is not None and html.resolve() == svg.resolve():
        raise ConfigError(f"--html and --svg both name {html}; give each its own file")
    pages = ((html, "--html", (".html", ".htm"), "an HTML page"), (svg, "--svg", (".svg",), "an SVG image"))
    for (written, option, suffixes, kind), (_, other, others, _) in zip(pages, reversed(pages), strict=True):
        if written is not None and written.suffix.lower() in others:  # as predict refuses --format's
            raise ConfigError(
                f"{option} writes {kind}, which the name {written.name} does not promise; name it "
                f"{written.with_suffix(suffixes[0]).name}, or pass {other} {shlex.quote(str(written))}"
            )
    for written, option, suffixes, _ in pages:
        if not is_standard_output(written):
            refuse_writing_over_input(written, option, texts, file)
            check_output_file(written, option, replaces=suffixes)


@dataclass(frozen=True)
class _Shown:
    """Where and how each record's heatmap goes: the terminal (None for --html - or --svg -), the
    recordings for --html and --svg, or JSON lines."""

    console: Any
    html_recorder: Any
    svg_recorder: Any
    as_json: bool
    color_system: str | None
    recorded_color_system: str | None
    numbered: bool
    text_column: str | None
    label_column: str | None
    """The column the model was trained on the labels of: a file of labelled rows shows each one's."""
    label_names: list[str]

    @property
    def recorders(self) -> list[Any]:
        return [recorder for recorder in (self.html_recorder, self.svg_recorder) if recorder is not None]


def _inspect_records(
    loaded: Any, chunks: Iterable[list[Any]], view: dict[str, Any], shown: _Shown, stats: PredictionStats
) -> bool:
    """Inspect and show every record, in order, counting in `stats` (a PredictionStats) the records
    read, those without a text, and the texts cut at max_length. Records go in pieces of a few
    batches: each piece's texts go through the model together, as predict's do, and are shown before
    the next piece (a chunk of a file is 2,048 records, which held every text's weights and showed
    nothing for seconds). Where the terminal's reader goes away (`| head`) while pages are drawn for
    --html or --svg, the pages are drawn to the end (they were lost, with status 141 and no word: a
    trial), and True is returned."""
    reader_gone = False
    from attncli.inspection import inspect_texts

    pieces = (chunk[start : start + INSPECT_SHOWN_RECORDS] for chunk in chunks
              for start in range(0, len(chunk), INSPECT_SHOWN_RECORDS))  # fmt: skip
    for piece in pieces:
        usable = [record for record in piece if record.has_text]
        found = inspect_texts(loaded, [record.text or "" for record in usable], **view) if usable else []
        if any(inspection.reads_nothing for inspection in found):  # empty to the model, as predict says
            read = [pair for pair in zip(usable, found, strict=True) if not pair[1].reads_nothing]
            usable, found = [record for record, _ in read], [inspection for _, inspection in read]
        stats.records += len(piece)
        stats.without_label += len(piece) - len(usable)
        stats.truncated += sum(inspection.truncated_tokens > 0 for inspection in found)
        inspections = {record.index: inspection for record, inspection in zip(usable, found, strict=True)}
        for record in piece:
            try:
                _show_record(record, inspections.get(record.index), shown)
            except BrokenPipeError:
                if not shown.recorders:
                    raise
                # The terminal's view goes first: the pages have not drawn this record yet.
                reader_gone, shown = True, dataclasses.replace(shown, console=None)
                _show_record(record, inspections.get(record.index), shown)
    return reader_gone


def _show_record(record: Any, inspection: Any, shown: _Shown) -> None:
    """One record's heatmap, its JSON line, or, for a record without a text, why it has none."""
    from attncli.inspection import record_json
    from attncli.prediction import no_label_reason
    from attncli.render import identity_of

    if shown.as_json:
        print_json([record_json(record, inspection, text_column=shown.text_column)])
    elif inspection is None:
        named = f"{identity}  " if (identity := identity_of(record.fields)) is not None else ""
        # Numbered as the heatmaps are: a single TEXT's is not (`inspect R ""` printed `#0`).
        number = f"#{record.index}  " if shown.numbered else ""
        line = f"{number}{named}({no_label_reason(record)})"
        if shown.console is not None:
            shown.console.print(line, style="attn.muted", markup=False)
        for recorder in shown.recorders:  # the saved picture keeps it too: no gaps in numbering
            recorder.print(line, style="attn.muted", markup=False)
    else:
        index = record.index if shown.numbered else None
        labelled = _labelled(record, shown)
        _show_inspection(shown, inspection, index, identity_of(record.fields), labelled)


def _labelled(record: Any, shown: _Shown) -> tuple[str, str] | None:
    """The row's own label, where the input has the column the model was trained on the labels of
    (a trial's report of 400 log lines showed what was predicted, and no way to see which were wrong):
    as written, and as the model's label it is read as, as eval reads it (` food` is `food`, `Sport`
    `sport`)."""
    from attncli.labels import known_label_key
    from attncli.layouts import value_at
    from attncli.records import is_missing
    from attncli.unknown_labels import labels_in_another_case

    if shown.label_column is None or not record.fields:
        return None
    value = value_at(record.fields, shown.label_column)
    if value is None or is_missing(value) or isinstance(value, (dict, list)) or not str(value).strip():
        return None
    key = known_label_key(None, value, set(shown.label_names))
    if key not in shown.label_names:
        key = labels_in_another_case([key], shown.label_names).get(key, key)
    return str(value), key


def _show_inspection(
    shown: _Shown,
    inspection: Any,
    index: int | None,
    identity: str | None,
    labelled: tuple[str, str] | None = None,
) -> None:
    from attncli.render import render_inspection

    if shown.console is not None:  # None: --html - or --svg -, the page alone
        view = render_inspection(
            inspection, color_system=shown.color_system, index=index, identity=identity, labelled=labelled
        )
        shown.console.print(view)
    for recorder in shown.recorders:
        recorder.print(
            render_inspection(
                inspection,
                color_system=shown.recorded_color_system,
                index=index,
                identity=identity,
                weight_titles=True,
                labelled=labelled,
            )
        )


def _save_recording(
    shown: _Shown, *, html: Path | None, svg: Path | None, title: str, numbers_for_no_color: bool = False
) -> None:
    """Write the pages asked for; `numbers_for_no_color`: NO_COLOR in the environment (not
    --no-color) made them carry numbers in place of colours, which is said, since a report job's
    environment may set it for every program (a trial's "heatmap" had no colour)."""
    from attncli.atomic_files import atomic_output
    from attncli.render import html_page, svg_page

    pages = (
        (html, "--html", lambda: html_page(shown.html_recorder, title)),
        (svg, "--svg", lambda: svg_page(shown.svg_recorder, title)),
    )
    for path, option, page in pages:
        if path is None:
            continue
        if is_standard_output(path):
            sys.stdout.write(page())
            sys.stdout.flush()
            written = f"the page on standard output ({option})"
        else:
            with atomic_output(path, option) as stream:
                stream.write(page())
            say(f"saved {path}")
            written = str(path)
        if numbers_for_no_color:
            say(
                f"note: NO_COLOR is set, so {written} shows each token's weight as a number, not as a "
                "colour; run with NO_COLOR unset (env -u NO_COLOR attn inspect ...) for a coloured page"
            )
    if svg is not None and _laid_out_as_written(shown.svg_recorder.export_text(clear=False)):
        say(
            "note: an SVG puts each character in a cell of its own, so right-to-left text, letters "
            "with marks (Arabic, Hebrew, Hindi, decomposed accents) and emoji joined into one (👨‍👩‍👧) "
            "show out of place there; --html shows them as a browser lays them out"
        )


def _laid_out_as_written(text: str) -> bool:
    """Whether `text` holds right-to-left letters, combining marks or emoji joined by a zero-width
    joiner, which need a text layout engine (a browser's), not one character per cell (a family
    emoji was drawn 5 cells wide over the word after it); emoji selectors and the keycap mark are
    marks that an emoji shows whole."""
    return any(
        character == "\u200d"
        or unicodedata.bidirectional(character) in ("R", "AL")
        or (unicodedata.category(character).startswith("M") and character not in EMOJI_MARKS)
        for character in text
    )


# Marks that belong to an emoji: presentation selectors and the enclosing keycap.
EMOJI_MARKS = frozenset([*map(chr, range(0xFE00, 0xFE10)), "\u20e3"])
