"""What `resume` checks and restores beside loading last/: that the run has epochs left, that the
data is the run's (relabelled where its labels' names or classes moved), each process's random state."""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any

from attncli.checkpoint import HISTORY_REMEDY, RESUME_REMEDY
from attncli.checkpoint_folder import BEST, METRICS_FILE, STATE_FILE, WEIGHTS_FILE, read_header
from attncli.checksums import read_checked_json, recorded_files
from attncli.distributed import Distributed
from attncli.errors import AttnError, ConfigError
from attncli.history import refit_due, split_sizes_change
from attncli.labels import label_positions
from attncli.prepare import Prepared
from attncli.sized_settings import UNSIZED_VALUES


def restore_rank_random_state(
    saved: tuple[dict[str, Any], dict[str, Any]], distributed: Distributed, prepared: Prepared, *, seed: int
) -> None:
    """The dropout random state this process (rank > 0) had when last/ was saved, so the resumed run
    matches one left alone. A last/ saved by another number of processes, or before these states
    were kept, has none for it: the process then draws from a seed of its own."""
    import torch

    tensors, values = saved
    own = f"rng.torch.rank{distributed.rank}"
    if values.get("world_size") == distributed.world_size and own in tensors:
        torch.set_rng_state(tensors[own])
        cuda = f"rng.cuda.rank{distributed.rank}"
        if prepared.device.type == "cuda" and cuda in tensors:
            torch.cuda.set_rng_state(tensors[cuda], prepared.device)
    else:
        torch.manual_seed(seed + 1000 * distributed.rank)


def _among_in_order(names: list[str], saved: list[str]) -> bool:
    """Whether `names` are some of `saved`, in the same order: what a run saved before labels
    written only on rows data.drop_invalid leaves out stopped being classes reads as today."""
    kept = set(names)
    return len(names) < len(saved) and [name for name in saved if name in kept] == names


def _relabel(prepared: Prepared, saved: list[str], position: list[int]) -> None:
    """Index `prepared`'s labels by the `saved` run's names, `position[i]` the saved index of label
    i: the saved names may hold classes with no training rows (labels only on rows left out), for
    each of which its model has an output, or sort in another order (written with a mark before)."""
    import torch

    from attncli.prepare import class_weights_of

    prepared.train_targets = torch.tensor(position, dtype=torch.int64)[prepared.train_targets]
    prepared.validation_labels = array("q", (position[label] for label in prepared.validation_labels))
    prepared.label_names = list(saved)
    setting = prepared.config.train.class_weights
    if setting == "auto" or isinstance(setting, dict):  # by label: a list is in the saved run's order
        labels = array("q", prepared.train_targets.tolist())
        prepared.class_weights = class_weights_of(setting, labels, saved)


def require_same_data(
    prepared: Prepared,
    label_names: list[str],
    state: dict[str, Any],
    metrics: dict[str, Any],
    *,
    run_source: str | None = None,
) -> None:
    """Refuse to resume on data other than the run's: new labels would not fit the model, and other
    rows would move the validation carve and the batches. last/ written before the digest was kept
    is checked by its labels and split sizes. `run_source`: where the run's data was, where DATA
    named another place (its refusal says the data is not the run's, not that it changed)."""
    source = prepared.config.data.source
    if prepared.config.data.validation_file is not None:  # its rows are the run's data too
        source = f"{source} (with the validation file {prepared.config.data.validation_file})"
    remedy = "put back the data the run started on, or train a new run on this data with another --output"
    if run_source is not None:
        remedy = (
            f"pass the run's data (it trained on {run_source}), or train a new run on this data with another "
            "--output"
        )
    positions = label_positions(prepared.label_names, label_names)
    if positions == list(range(len(label_names))):
        # A run saved before labels such as 1.0 were read as 1 (or decomposed accents composed):
        # the same labels, in the same order, go on under the names it saved.
        prepared.label_names = list(label_names)
    elif positions is not None and not prepared.validation_digest:
        # The same labels, saved in another order (a mark began one). Only with a validation split
        # of the data's own: a carve walks the labels in order, so another order carves other rows.
        _relabel(prepared, label_names, positions)
    elif prepared.config.data.drop_invalid and _among_in_order(prepared.label_names, label_names):
        _relabel(prepared, label_names, [label_names.index(name) for name in prepared.label_names])
    if prepared.label_names != label_names:
        raise ConfigError(
            f"the labels of {source} are not the run's ({', '.join(prepared.label_names)} now, "
            f"{', '.join(label_names)} then); {remedy}"
        )
    digest = state.get("data_digest")
    sizes_changed = split_sizes_change(metrics, len(prepared.train_ids), len(prepared.validation_ids))
    if sizes_changed is not None:
        what = sizes_changed
    elif digest is not None and digest != prepared.data_digest:
        what = "the same number of texts, but other texts or labels"
    else:
        return
    if run_source is not None:
        raise ConfigError(f"{source} is not the run's data ({what}); {remedy}")
    # Or attn reads the same file otherwise now (since 2026-12-06: texts of invisible characters
    # alone are blank, JSON's true beside "true" is one label): the remedy says so.
    raise ConfigError(
        f"{source} has changed since the run was saved ({what}); {remedy} (if the data is as it was, "
        "this attn reads it otherwise than the one that saved the run: train a new run)"
    )


def refuse_finished(last: Path, header: dict[str, Any], epochs: int | None) -> bool:
    """Refuse, before any data loads, to resume a run that has nothing left to do. `header` is
    last/'s config.json, already read. Returns whether its epochs are all trained, so that only its
    refit is left."""
    reason = finished_reason(last, header, epochs)
    if reason is not None:
        raise ConfigError(reason)
    return epochs_done_reason(last, header, epochs) is not None


def work_left(last: Path, epochs: int | None = None) -> bool | None:
    """Whether the run whose last/ this is has epochs or a refit left (a --resume does them), with
    `epochs` as its ceiling; None where last/ does not read (resuming then says what is wrong)."""
    try:
        return finished_reason(last, read_header(last, complete=False), epochs) is None
    except (AttnError, OSError, KeyError, ValueError, TypeError):
        return None


def finished_reason(last: Path, header: dict[str, Any], epochs: int | None) -> str | None:
    """Why the run whose last/ this is has nothing left to do, with `epochs` as its ceiling (None:
    the one it was saved with), or None where it has epochs left to train, or a refit still to do."""
    reason = epochs_done_reason(last, header, epochs)
    if reason is None:
        return None
    # The refit is left to do where the run ended by its own ceiling or early stopping (a lower
    # --epochs does not end a run that had epochs left).
    if refit_left(last, header) and epochs_done_reason(last, header, None) is not None:
        return None
    return reason


def epochs_done_reason(last: Path, header: dict[str, Any], epochs: int | None) -> str | None:
    """Why the run whose last/ this is has no epoch left to train (stopped early, or at its ceiling,
    `epochs` or the one saved), or None where it has."""
    state_path, metrics_path = last / STATE_FILE, last / METRICS_FILE
    if not header or not state_path.is_file():
        return None  # open_run_folder says what is missing
    files = recorded_files(header, last)
    state = read_checked_json(state_path, files, remedy=RESUME_REMEDY)
    stop_reason = (
        read_checked_json(metrics_path, files, required=False, remedy=HISTORY_REMEDY).get("stop_reason", "")
        if metrics_path.is_file()
        else ""
    )
    saved_ceiling = header["config"]["train"].get("epochs") or UNSIZED_VALUES["train.epochs"]
    done, ceiling = int(state["epoch"]) - 1, epochs or saved_ceiling
    if stop_reason == "patience":
        return (
            f"the run in {last.parent} stopped early after epoch {done} (validation stopped improving); "
            "there is nothing to resume: train a new run to change its settings"
        )
    if done >= ceiling:
        return (
            f"{last.parent} already trained {done} epoch{'s' * (done != 1)}; pass a higher --epochs to go on"
        )
    return None


def refit_left(last: Path, header: dict[str, Any]) -> bool:
    """Whether the run whose last/ this is (`header` its config.json, read) was due a refit that
    best/ does not hold (Ctrl-C or a kill in it, or just before it): a --resume does it."""
    if not header or not (last / METRICS_FILE).is_file():
        return False
    files = recorded_files(header, last)
    metrics = read_checked_json(last / METRICS_FILE, files, required=False, remedy=HISTORY_REMEDY)
    due = refit_due(header["config"]["train"].get("refit_epochs"), metrics.get("validation_digest"))
    best = last.parent / BEST
    # Only a best/ that reads whole and says it is not refitted (nor diverged in its refit): a damaged
    # one might be refitted already, and a refit from it would train the held-out rows twice as long.
    return due and (best / WEIGHTS_FILE).is_file() and refit_state(best) == {}


def without_refit(best: Path, epoch: int | str) -> str:
    """What best/ holds where the refit did not finish."""
    return f"{best} holds epoch {epoch} as training chose it, without the refit"


def refit_state(best: Path) -> dict[str, Any] | None:
    """What best/'s metrics.json says of its refit ("refit", "refit_diverged", "refit_skipped"; empty
    where none), or None where it does not read whole (checked against the checksums config.json
    records)."""
    try:
        files = recorded_files(read_header(best, complete=False), best)
        values = read_checked_json(best / METRICS_FILE, files, required=True)
    except (AttnError, OSError):
        return None
    return {key: values[key] for key in ("refit", "refit_diverged", "refit_skipped") if values.get(key)}


def refit_record(best: Path) -> dict[str, Any] | None:
    """The refit record of the checkpoint in `best` (its metrics.json, checked against the checksums
    its config.json records), or None: not refitted, or nothing readable there."""
    record = (refit_state(best) or {}).get("refit")
    return record if isinstance(record, dict) else None
