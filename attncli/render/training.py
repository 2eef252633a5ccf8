"""The summary `attn train` prints when a run ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from attncli.data_warnings import SMALL_VALIDATION
from attncli.render.text import WrappingTable, as_percent, label_list, refit_description

if TYPE_CHECKING:
    from attncli.history import EpochRecord
    from attncli.reporter import RunInfo
    from attncli.train import TrainResult

# A summary of more epochs than this (small data trains up to 300) shows the first and last few and
# the best, not a screenful of rows.
EPOCH_ROWS = 20


def _epochs_shown(history: Sequence[EpochRecord], *, best: int) -> list[EpochRecord | None]:
    """The epochs the summary table shows, None where it leaves some out."""
    if len(history) <= EPOCH_ROWS:
        return list(history)
    kept = {*range(5), *range(len(history) - 5, len(history))}
    kept |= {index for index, record in enumerate(history) if record.epoch == best}
    shown: list[EpochRecord | None] = []
    for index, record in enumerate(history):
        if index in kept:
            shown.append(record)
        elif shown and shown[-1] is not None:
            shown.append(None)
    return shown


def render_train_summary(result: TrainResult) -> RenderableType:
    # Two-line headers and no column rules: the table fits 80 columns, the width of a log file.
    table = WrappingTable(
        "epoch", "train\nloss", "val\nloss", "val\naccuracy", "val\nmacro-F1", "seconds", "tokens/s",
        "padding", header_style="attn.heading", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
    )  # fmt: skip
    for record in _epochs_shown(result.history, best=result.best_epoch):
        if record is None:
            table.add_row("…", style="attn.muted")
            table.caption = f"{len(result.history)} epochs: each is in metrics.jsonl"
            continue
        style = "attn.good" if record.epoch == result.best_epoch else ""
        table.add_row(
            str(record.epoch),
            f"{record.train_loss:.4f}",
            f"{record.validation_loss:.4f}",
            as_percent(record.validation_accuracy),
            as_percent(record.validation_macro_f1),
            f"{record.seconds:.1f}",
            f"{record.tokens_per_second:,.0f}",
            as_percent(record.padding_fraction),
            style=style,
        )
    info, metrics = result.info, result.metrics
    patience = result.config.train.epochs_of_patience
    stopped = {
        "patience": f"stopped early: no better epoch for {patience} epochs after warmup; ",
        "epochs": f"reached the epoch limit ({info.epochs}); ",
    }.get(metrics.stop_reason, "")
    footer = Text.assemble(
        (f"best epoch {result.best_epoch}: validation macro-F1 ", ""),
        (as_percent(result.best.validation_macro_f1), "attn.good"),
        (", accuracy ", ""),
        (as_percent(result.best.validation_accuracy), "attn.good"),
        (
            f"\n{stopped}{info.parameters_text} on {info.hardware_text}; ",
            "attn.muted",
        ),
        (
            # The loading, the tokenizer and start-up before the first epoch are not counted.
            f"{result.train_seconds:.1f} s in the epochs{', the refit included' if metrics.refit else ''}; "
            f"peak memory {metrics.peak_memory_mb:,.0f} MB",
            "attn.muted",
        ),
        (f"\nrefit: {refit_description(metrics.refit)}" if metrics.refit else "", "attn.muted"),
        (
            f"\nsaved to {result.output / 'best'} (best epoch{', refitted' if metrics.refit else ''}) "
            f"and {result.output / 'last'}",
            "attn.muted",
        ),
    )
    if (missed := missed_labels_warning(result)) is not None:
        footer.append_text(Text(f"\n{missed}", "attn.bad"))
    return Panel(Group(table, footer), title="training summary", expand=False)


def missed_labels_warning(result: TrainResult) -> str | None:
    """The warning where the best epoch recognised none of some labels' validation rows (a rare label
    the model learnt to ignore, which accuracy alone hides), or None."""
    missed = result.best.missed_labels
    if not missed:
        return None
    remedy = _missed_remedy(missed, result.config.train.class_weights is not None, result.info)
    labels = label_list(missed, limit=10)
    return f"warning: the best epoch recognised none of the validation rows of {labels}; {remedy}"


def _missed_remedy(missed: Sequence[str], weighted: bool, info: RunInfo) -> str:
    """What may help a model that recognised none of some labels' validation rows: class weights
    only where those labels are rare in training (under half an even share); where they are not,
    the cause is elsewhere (too little training, texts that do not tell the labels apart)."""
    if not info.label_counts:  # not told the counts
        return "more rows of them, or more epochs, may help"
    counts = dict(zip(info.label_names, info.label_counts, strict=True))
    even_share = info.train_size / max(len(info.label_names), 1)
    if all(counts[name] < even_share / 2 for name in missed):
        weigh = "--set train.class_weights=auto weighs rare labels up"
        return "more rows of them would help" if weighted else weigh
    rows = info.validation_size
    held = f" (and only {rows} validation rows)" if rows < SMALL_VALIDATION else ""
    return (
        f"they are not rare in training{held}, so class weights would not help; more epochs or rows may, "
        "unless the texts do not tell them apart"
    )
