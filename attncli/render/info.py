"""`attn info`'s description of a checkpoint: labels, model, training, versions and files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from attncli.labels import label_list
from attncli.render.text import (
    WrappingTable,
    as_percent,
    calibration_note,
    refit_description,
    safe_text,
)
from attncli.settings import as_typed, settings_text
from attncli.streams import one_line
from attncli.unused_settings import unused_model_settings, unused_tokenizer_settings

if TYPE_CHECKING:
    from attncli.info import CheckpointInfo, TrainingInfo

# Labels listed by name; a checkpoint of a million (a stranger's config.json) printed 123,461 lines.
LISTED_LABELS = 200
LISTED_CHARACTERS = 1500

STOP_REASONS = {
    "epochs": "reached the epoch limit",
    "patience": "stopped early (no better validation macro-F1, or loss at equal macro-F1)",
    "interrupted": "interrupted",
}


def _key_values(title: str, rows: list[tuple[str, str | Text]]) -> Table:
    table = WrappingTable(
        title=title, title_style="attn.heading", title_justify="left", show_header=False, box=None
    )
    table.add_column(style="attn.muted")
    table.add_column()
    for name, value in rows:
        table.add_row(name, _shown(value))
    return table


def _shown(value: str | Text) -> Text:
    """A value read from the checkpoint's files as a terminal may show it: never parsed as markup
    (`[link=...]` in a data source made a hyperlink), each character a terminal would act on (an
    escape sequence in a stop reason cleared the screen) escaped, or, inside a styled Text, a space."""
    if isinstance(value, Text) and value.spans:  # styled in parts: each character kept in its place
        return Text(safe_text(value.plain), style=value.style, spans=value.spans)
    if isinstance(value, Text):
        return Text(one_line(value.plain), style=value.style)
    return Text(one_line(value))


def _training_rows(info: CheckpointInfo) -> list[tuple[str, str | Text]]:
    training, unknown = info.training, Text("not recorded", "attn.muted")
    data = training.data_source or "—"
    if training.data_path and training.data_path != training.data_source:
        data += f" ({training.data_path})"
    rows: list[tuple[str, str | Text]] = [("data", data)]
    if training.history_set_aside:
        rows.append(("epochs", Text("set aside: metrics.json changed since it was saved", "attn.bad")))
    elif training.epochs_trained is None:
        rows.append(("epochs", unknown))
    else:
        epochs = f"{training.epochs_trained} trained, best {training.best_epoch or '—'}"
        ceiling = info.train.get("epochs")
        changes = [change for change in training.ceilings or () if isinstance(change, dict)]
        if changes:
            epochs += "; " + "; ".join(
                f"ceiling {change.get('from')}, then {change.get('to')} from a resume after epoch "
                f"{change.get('after_epoch')}"
                for change in changes
            )
        elif isinstance(ceiling, int) and training.epochs_trained > ceiling:
            # best/ keeps the config it was saved with; a resume with a higher --epochs went on after it.
            epochs += f" (epochs={ceiling} below: the ceiling when this epoch was saved; a resume raised it)"
        rows.append(("epochs", epochs))
    if training.holds is not None:
        rows.append(("holds", training.holds))
    if training.validation is not None:
        validation = training.validation
        rows.append((
            "validation (best)",
            Text.assemble(
                ("macro-F1 ", ""), (as_percent(validation["macro_f1"]), "attn.figure"),
                (", accuracy ", ""), (as_percent(validation["accuracy"]), "attn.figure"),
                (f", loss {validation['loss']:.4f}", ""),
            ),
        ))  # fmt: skip
    if (texts := _texts_text(training)) is not None:
        rows.append(("texts", texts))
    if training.left_out:
        rows.append(("left out", _left_out_text(training.left_out)))
    if training.missed_labels:  # a model that ignores a label, which its accuracy hides
        missed = f"none of the validation rows of {label_list(training.missed_labels, limit=10)}"
        rows.append(("recognised", Text(missed, "attn.bad")))
    if training.class_weights:
        pairs = training.class_weights.items()
        rows.append(("class weights", ", ".join(f"{_label(name)} {weight:.3g}" for name, weight in pairs)))
    if training.stop_reason is not None or info.resume_command is not None:
        stop = (
            STOP_REASONS.get(training.stop_reason, training.stop_reason)
            if training.stop_reason is not None
            else "not recorded: the run was killed (or its machine stopped) with epochs left"
        )
        if info.resume_command is not None:
            stop += f"; resume with: {info.resume_command}"
        rows.append(("stop", stop))
    if training.refit:
        rows.append(("refit", refit_description(training.refit)))
    elif info.no_refit is not None:
        rows.append(("refit", Text(info.no_refit, "attn.muted")))
    if training.train_seconds is not None:
        included = " (the refit included)" if training.refit else ""
        rows.append(("training time", f"{training.train_seconds:,.1f} s{included}{_hardware_text(training)}"))
    if (processes := _processes_text(training.epoch_processes)) is not None:
        rows.append(("processes", processes))
    note = calibration_note(training.temperature, training.calibration, refitted=bool(training.refit))
    rows.append(("temperature", f"{training.temperature:.4g}{note}"))
    vectors = training.embeddings_init
    if vectors:
        found, of = int(vectors.get("found", 0)), int(vectors.get("of", 0))
        frozen = ", frozen" if info.model.get("freeze_embeddings") else ""
        path, absolute = vectors.get("path"), vectors.get("absolute_path")
        where = f"{path} ({absolute})" if absolute and absolute != path else str(path)
        sha256 = vectors.get("sha256")
        digest = f", sha256 {sha256[:16]}…" if isinstance(sha256, str) else ""
        # The table is the vectors' width, projected to the model's: 50-dimension vectors under
        # embed_dim 64 make a smaller model than the same run without them (a trial's comparison).
        width = info.model.get("embed_dim")
        projected = (
            f" (the token table is that wide, projected to embed_dim {width})"
            if isinstance(width, int) and vectors.get("dim") not in (None, width)
            else ""
        )
        rows.append((
            "pretrained vectors",
            f"{found:,} of {of:,} vocabulary entries ({found / max(of, 1):.1%}) from {where}, "
            f"{vectors.get('dim')} dimensions{projected}{frozen}{digest}",
        ))  # fmt: skip
    return rows


# Labels whose training texts are counted in the table (the labels row lists up to LISTED_LABELS).
LISTED_COUNTS = 20


def _texts_text(training: TrainingInfo) -> str | None:
    """How many texts the epochs trained on, by label, and how many were held out for validation:
    what changed first between two runs trained from the same, since re-exported, file."""
    if training.train_size is None:
        return None
    counts = list((training.label_counts or {}).items())
    # "5: 10,807", where "5 10,807" ran a numeric label into its count (star ratings: "1 2,143, 2 913").
    shown = ", ".join(f"{_label(name)}: {count:,}" for name, count in counts[:LISTED_COUNTS])
    more = f" and {len(counts) - LISTED_COUNTS:,} labels more" if len(counts) > LISTED_COUNTS else ""
    by_label = f" ({shown}{more})" if counts else ""
    # Carved or the data's own (a researcher could not tell which, to give baselines the same rows).
    carved = ", carved out of the training data" if getattr(training, "validation_digest", None) else ""
    held_out = (
        f"; {training.validation_size:,} for validation{carved}"
        if training.validation_size is not None
        else ""
    )
    return f"{training.train_size:,} to train on{by_label}{held_out}"


def _label(name: str) -> str:
    """A label in a list of labels with numbers: quoted where it holds a comma or a colon, which ran
    into the list's own (`Economics, Finance: 21, Economics, Labour: 21`, a cataloguer's)."""
    return repr(name) if "," in name or ":" in name else one_line(name)


# What metrics.json's left_out counts (data.rows_left_out), as the row says each kind.
LEFT_OUT_KINDS = {
    "no_label": "with a text but no label",
    "no_text": "with no text",
    "empty": "empty",
    "half_filled": "with neither a text nor a label",
}


def _left_out_text(left_out: dict[str, dict[str, int]]) -> str:
    """The rows of each split that were not trained or validated on: "1,389 of 2,000 rows of
    'train' (1,389 with a text but no label)"."""
    lines = []
    for split, counts in left_out.items():
        kinds = [(said, counts[kind]) for kind, said in LEFT_OUT_KINDS.items() if counts.get(kind)]
        total = sum(count for _, count in kinds)
        each = ", ".join(f"{count:,} {kind}" for kind, count in kinds)
        lines.append(f"{total:,} of {counts.get('rows', 0):,} rows of {split!r} ({each})")
    return "; ".join(lines)


def _hardware_text(training: TrainingInfo) -> str:
    """Where the run trained, as `auto` resolved it: the weights depend on the precision."""
    if training.device is None:
        return ""
    threads = f", {training.threads} torch thread{'s' * (training.threads != 1)}" if training.threads else ""
    return f" on {training.device} in {training.precision or 'fp32'}{threads}"


def _sized_text(sized: Any) -> str | None:
    """ "model.max_length, train.epochs (to 91 training texts)": the settings sized to the data, by
    the number of texts each was sized to (an earlier run's, for those a --config run kept)."""
    if not isinstance(sized, dict) or not sized:
        return None
    by_texts: dict[Any, list[str]] = {}
    for key, texts in sized.items():
        by_texts.setdefault(texts, []).append(str(key))
    return "; ".join(
        f"{', '.join(keys)} (to {texts:,} training texts)" if isinstance(texts, int) else ", ".join(keys)
        for texts, keys in by_texts.items()
    )


def _processes_text(counts: list[int] | None) -> str | None:
    """ "2 (rerun with --nproc 2)", or each stretch of epochs with its count where a --resume on
    another --nproc changed it; None for one process throughout (or none recorded). A rerun on
    another number of processes draws other dropout masks than each process drew: another model."""
    if not counts or set(counts) == {1}:
        return None
    if len(set(counts)) == 1:
        return f"{counts[0]} (rerun with --nproc {counts[0]})"
    stretches: list[tuple[int, int, int]] = []  # (first epoch, last epoch, processes)
    for epoch, count in enumerate(counts, start=1):
        if stretches and stretches[-1][2] == count:
            stretches[-1] = (stretches[-1][0], epoch, count)
        else:
            stretches.append((epoch, epoch, count))
    parts = [
        f"{count} for epoch{'s' * (first != last)} {first}{f'-{last}' if first != last else ''}"
        for first, last, count in stretches
    ]
    return f"{', '.join(parts)}: a --resume changed them, so no one rerun repeats it"


def _file_table(info: CheckpointInfo) -> RenderableType:
    if info.files is None:
        return Text("no checksums recorded (saved by an attn before they were)", "attn.muted")
    table = WrappingTable("file", "bytes", "sha256", "on disk", header_style="attn.heading", box=None)
    for item in info.files:
        # The size on disk, with the size saved where they differ: a file cut short (a copy that
        # failed) showed the size it was saved at beside "changed".
        notes = [] if item.bytes_on_disk == item.bytes else [f"{item.bytes:,} bytes when saved"]
        if item.status != "ok" and item.sound:
            notes.append("optional: the training history")
        described = f"{item.status} ({'; '.join(notes)})" if notes else item.status
        if item.status == "ok":
            status = Text("ok", "attn.figure")
        else:
            status = Text(described, "attn.muted" if item.sound else "attn.bad")
        size = "none" if item.bytes_on_disk is None else f"{item.bytes_on_disk:,}"
        # The digest is config.json's, as anyone may write it: shown as text, never as markup.
        table.add_row(_shown(item.name), size, _shown(f"{item.sha256[:16]}…"), status)
    return table


# Model settings whose empty value means "as another setting", not "none".
FOLLOWS = {"pooling_attention": "attention", "pooling_heads": "num_heads"}


def _model_setting(name: str, value: object, model: dict[str, object]) -> str | Text:
    unused = unused_model_settings(model).get(name)
    if unused is not None:
        return Text(f"{as_typed(value)} (unused: {unused})", "attn.muted")
    if value is not None:
        return as_typed(value)
    if name in FOLLOWS:
        return f"as {FOLLOWS[name]} ({as_typed(model.get(FOLLOWS[name]))})"
    return "none"


def _tokenizer_settings(tokenizer: dict[str, object]) -> Text:
    """The tokenizer section as --set takes it, the settings that did not shape the tokenizer
    gathered after the others under why."""
    unused = unused_tokenizer_settings(tokenizer)
    used = {name: value for name, value in tokenizer.items() if name not in unused}
    parts = [settings_text(used)] if used else []
    for reason in dict.fromkeys(unused.values()):
        names = [name for name in tokenizer if unused.get(name) == reason]
        parts.append(f"unused ({reason}): {settings_text({name: tokenizer[name] for name in names})}")
    return Text("; ".join(parts), "attn.muted")


def _listed_labels(names: Sequence[str]) -> int:
    """How many of the labels the description lists: up to LISTED_LABELS, as long as they take at
    most LISTED_CHARACTERS (a shop's 396 categories of about 50 characters took 95 lines before the
    model's settings)."""
    length = 0
    for count, name in enumerate(names[:LISTED_LABELS]):
        length += len(name) + 2
        if length > LISTED_CHARACTERS:
            return max(count, 1)
    return min(len(names), LISTED_LABELS)


def render_info(info: CheckpointInfo, *, boxed: bool = True) -> RenderableType:
    """What a checkpoint is: labels, model settings, how it was trained, versions and its files; in a
    panel titled with its path (`boxed`), or under a line that names it (for a pipe: a panel as wide
    as its longest line padded every line of `attn info R | grep` to 900 characters)."""
    listed = _listed_labels(info.label_names)
    labels = Text.assemble(
        ("labels ", "attn.muted"),
        (label_list(info.label_names, limit=listed), "attn.label"),
        (f" ({len(info.label_names):,}{'; --json lists them all' * (len(info.label_names) > listed)})",
         "attn.muted"),
    )  # fmt: skip
    model_rows: list[tuple[str, str | Text]] = [
        ("parameters", "unreadable" if info.num_parameters is None else f"{info.num_parameters:,}"),
        ("vocabulary", f"{info.vocab_size:,} tokens ({info.tokenizer_kind or 'unknown'} tokenizer)"),
    ]
    model_rows += [(name, _model_setting(name, value, info.model)) for name, value in info.model.items()]
    versions = Text(
        one_line(
            f"attn {info.attn_version}, torch {info.torch_version}, "
            + "".join(f"{name} {version}, " for name, version in info.library_versions.items())
            + f"checkpoint format {info.format_version}"
        ),
        "attn.muted",
    )
    training_rows = [
        *_training_rows(info),
        ("settings", Text(settings_text(info.train), "attn.muted")),
        ("data settings", Text(settings_text(info.data), "attn.muted")),
        ("tokenizer settings", _tokenizer_settings(info.tokenizer)),
    ]
    if (sized := _sized_text(info.training.sized)) is not None:
        training_rows.append(("sized", Text(sized, "attn.muted")))
    parts: list[RenderableType] = [labels, Text(), _key_values("model", model_rows), Text()]
    parts += [_key_values("training", training_rows), Text(), versions, Text(), _file_table(info)]
    title = Text(one_line(f"checkpoint {info.path}"))  # a folder named `[red]x` is not markup
    if not boxed:
        return Group(title, Text(), *parts)
    return Panel(Group(*parts), title=title, title_align="left", expand=False)
