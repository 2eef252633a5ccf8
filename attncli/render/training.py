"""The summary `attn train` prints when a run ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from attncli.calibration import calibration_state
from attncli.data_warnings import SMALL_VALIDATION
from attncli.history import at_chance, learnt_nothing
from attncli.labels import label_list
from attncli.render.text import WrappingTable, as_percent, refit_description
from attncli.streams import one_line

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


def render_train_summary(result: TrainResult, *, boxed: bool = True) -> RenderableType:
    """The table of epochs and the lines under it, in a panel (`boxed`), or under a line that names
    them (for a pipe or a file)."""
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
        style = "attn.figure" if record.epoch == result.best_epoch else ""
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
        "patience": f"stopped early: no clear improvement for {patience} epochs after warmup; ",
        "epochs": f"reached the epoch limit ({info.epochs}); ",
    }.get(metrics.stop_reason, "")
    footer = Text.assemble(
        (f"best epoch {result.best_epoch}: validation macro-F1 ", ""),
        (as_percent(result.best.validation_macro_f1), "attn.figure"),
        (", accuracy ", ""),
        (as_percent(result.best.validation_accuracy), "attn.figure"),
        (
            f"\n{stopped}{info.parameters_text} on {info.hardware_text}; ",
            "attn.muted",
        ),
        (
            # The loading, the tokenizer and start-up before the first epoch are not counted.
            f"{result.train_seconds:.1f} s in the epochs{', the refit included' if metrics.refit else ''}"
            + (f"; peak memory {metrics.peak_memory_mb:,.0f} MB" if metrics.peak_memory_mb else ""),
            "attn.muted",
        ),
        (f"\nrefit: {refit_description(metrics.refit)}" if metrics.refit else "", "attn.muted"),
        (
            f"\nsaved to {one_line(str(result.output / 'best'))} "
            f"(best epoch{', refitted' if metrics.refit else ''}) "
            f"and {one_line(str(result.output / 'last'))}",
            "attn.muted",
        ),
    )
    for warning in summary_warnings(result):
        footer.append_text(Text(f"\n{warning}", "attn.bad" if warning.startswith("warning:") else ""))
    if not boxed:  # for a pipe or a file: under a line that names it, as attn info prints there
        return Group(Text("training summary"), table, footer)
    return Panel(Group(table, footer), title="training summary", expand=False)


def summary_warnings(result: TrainResult) -> list[str]:
    """What the person should know of a finished run's best epoch, beside its scores."""
    warnings = (
        no_learning_warning(result),
        missed_labels_warning(result),
        long_refit_warning(result),
        more_epochs_note(result),
        unfitted_temperature_note(result),
    )
    return [warning for warning in warnings if warning]


def unfitted_temperature_note(result: TrainResult) -> str | None:
    """The note where calibration was asked for and the best epoch made no validation mistake to fit
    a temperature on: its scores are the model's own, often near 100% on any text (an SRE's model
    gave a pangram 99.9%, and `attn info` alone said the temperature was not fitted)."""
    best = result.metrics.best
    if best is None:
        return None
    state = calibration_state(
        calibrate=result.config.train.calibrate,
        temperature=best.temperature,
        validation_accuracy=best.validation_accuracy,
    )
    if state != "no_mistakes":
        return None
    return (
        "note: the temperature was not fitted, as the best epoch made no mistake on the validation split: "
        "scores are the model's own and may be near 100% for texts unlike the training data, so a "
        "--min-score threshold catches few; a validation split with harder or more varied rows "
        "calibrates them"
    )


def more_epochs_note(result: TrainResult) -> str | None:
    """More epochs for many labels of few rows each, where the best epoch came late (`many_labels_note`)."""
    from attncli.sizing import many_labels_note

    metrics = result.metrics
    sized = result.config.train.epochs if metrics.sized and "train.epochs" in metrics.sized else None
    counts = list((metrics.label_counts or {}).values())
    return many_labels_note(sized, counts, result.best_epoch) if counts else None


def long_refit_warning(result: TrainResult) -> str | None:
    """The warning where the refit trained for more epochs than the model it started from had: its
    validation scores and temperature, measured before it, then describe another model (a headline
    run of one epoch refitted for four: 0.057 of expected calibration error on test became 0.137)."""
    refit = result.metrics.refit
    if not refit or not isinstance(refit.get("epochs"), int) or refit["epochs"] <= result.best_epoch:
        return None
    epochs, best = refit["epochs"], result.best_epoch
    fitted = calibration_state(
        calibrate=result.config.train.calibrate,
        temperature=result.best.temperature,
        validation_accuracy=result.best.validation_accuracy,
    )
    measured = (
        f"validation scores and temperature ({result.best.temperature:.3g})"
        if fitted == "fitted"
        else "validation scores"
    )
    return (
        f"warning: the refit trained {epochs} epochs on a model of {best} epoch{'s' * (best != 1)}, so the "
        f"{measured}, measured before it, may not describe the refitted weights; evaluate them on held-out "
        "data (attn eval), or train with --set train.refit_epochs=0 to keep the model they describe"
    )


def no_learning_warning(result: TrainResult) -> str | None:
    """The warning where the best epoch scored no more than a validation row above always answering
    the commonest training label, in accuracy and in macro-F1, or no more than chance's noise above
    it at a loss no better than the label shares' (`learnt_nothing`): the model learnt nothing it
    could show. Where the model has no self-attention layer and trained adversarially, word order may be
    what it could not learn: on a task where it decides the label, that held such a model at chance
    (48.8% against 99% without)."""
    counts, best = result.info.label_counts, result.best
    if not counts or not learnt_nothing(counts, result.info.validation_size, best):
        return None
    commonest = max(counts) / sum(counts)
    model, train = result.config.model, result.config.train
    remedy = "more epochs may help, unless the texts do not tell the labels apart"
    # Only where the labels are unbalanced (2 to 1 or more): on 697 rows against 653 the model at
    # chance was told to weigh the others up, and the next warning that weights would not help.
    unbalanced = commonest >= 0.5 and max(counts) >= 2 * min(count for count in counts if count)
    if getattr(best, "missed_labels", None) and unbalanced and train.class_weights is None:
        # One label holding most rows: the model answers it alone, and word order is the lesser cause.
        remedy = (
            "with one label holding most rows the model answers it alone, and --set "
            "train.class_weights=auto weighs the others up (the next warning names those it missed)"
        )
    elif model.num_layers == 0 and train.adversarial:
        remedy = (
            "if word order decides the labels, add a self-attention layer (--set model.num_layers=1) or "
            "turn adversarial training off (--set train.adversarial=0), which keeps a model without one "
            f"from learning order; else {remedy}"
        )
    within = (
        "within a row of"
        if at_chance(counts, best, margin=1 / result.info.validation_size)
        else "at a validation loss no better than answering the label shares, and within chance's noise of"
    )
    return (
        f"warning: the best epoch scored {best.validation_accuracy:.1%} on validation, {within} the "
        f"commonest training label's share ({commonest:.1%} of the training rows, about what always "
        f"answering it scores): the model learnt nothing it could show; {remedy}"
    )


def missed_labels_warning(result: TrainResult) -> str | None:
    """The warning where the best epoch recognised none of some labels' validation rows (a rare label
    the model learnt to ignore, which accuracy alone hides), or None."""
    missed = result.best.missed_labels
    if not missed:
        return None
    remedy = _missed_remedy(missed, result.config.train.class_weights is not None, result.info)
    labels = label_list(missed, limit=10)
    epochs = result.metrics.newest_epoch
    if result.metrics.stop_reason == "epochs" and result.best_epoch == epochs > 1:
        # Stopped by the epoch limit at its best: a trial's run, its validation loss still falling,
        # was told only that more rows of a label of 49 would help.
        first = f"it was still improving at its last epoch: --epochs {2 * epochs} may help first"
        remedy = f"{first}; else {remedy}"
    return f"warning: the best epoch recognised none of the validation rows of {labels}; {remedy}"


def _not_weighted_up(
    missed: Sequence[str], counts: dict[str, int], weights: list[float] | None
) -> str | None:
    """Where the class weights given leave missed labels no heavier than the training rows' mean
    weight (a list in another order than the labels': [1, 4, 1] weighed up the commonest), say so."""
    if weights is None or len(weights) != len(counts):
        return None
    weight = dict(zip(counts, weights, strict=True))
    mean = sum(counts[name] * weight[name] for name in counts) / max(sum(counts.values()), 1)
    light = [name for name in missed if weight[name] <= mean]
    if not light:
        return None
    shown = ", ".join(f"{one_line(name)} {weight[name]:.3g}" for name in light[:10])
    return (
        f"the class weights given do not weigh them up ({shown}, against a mean of {mean:.3g} over the "
        "training rows); --set train.class_weights=auto does"
    )


def _missed_remedy(missed: Sequence[str], weighted: bool, info: RunInfo) -> str:
    """What may help a model that recognised none of some labels' validation rows: class weights
    only where those labels are rare in training (under half an even share); where they are not,
    the cause is elsewhere (too little training, texts that do not tell the labels apart)."""
    if not info.label_counts:  # not told the counts
        return "more rows of them, or more epochs, may help"
    counts = dict(zip(info.label_names, info.label_counts, strict=True))
    even_share = info.train_size / max(len(info.label_names), 1)
    rare = [name for name in missed if counts[name] < even_share / 2]
    rows = info.validation_size
    held = f" (and only {rows} validation rows)" if rows < SMALL_VALIDATION else ""
    advice = "more epochs or rows may, unless the texts do not tell them apart"
    if rare and weighted:
        return _not_weighted_up(rare, counts, info.class_weights) or "more rows of them would help"
    if rare:
        weigh = "--set train.class_weights=auto weighs rare labels up"
        if len(rare) == len(missed):
            return weigh
        # Some rare, some not: two common ones among 40 rare ones (a trial) said "class weights would
        # not help" of them all, where weights took macro-F1 from 66 to 72%.
        named = ", ".join(one_line(name) for name in rare[:5]) + (
            f" and {len(rare) - 5} more" if len(rare) > 5 else ""
        )
        return (
            f"{named} {'is' if len(rare) == 1 else 'are'} rare in training: {weigh}; for the others, {advice}"
        )
    weights = "" if weighted else ", so class weights would not help"
    return f"they are not rare in training{held}{weights}; {advice}"
