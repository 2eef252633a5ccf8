"""`attn train DATA -o RUN --auto-resume`: one command a scheduler may run again and again (Slurm's
requeue after preemption, torchrun's restarts, a spot instance's next start), as litgpt's `--resume
auto` is. It starts the run where RUN holds none, resumes one with work left, and leaves a finished one
as it is; a run trained with other settings than the command sets is refused, naming them."""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from attncli.checkpoint_folder import BEST, CONFIG_FILE, LAST, METRICS_FILE, resolve_checkpoint
from attncli.config import Config
from attncli.errors import AttnError, ConfigError
from attncli.settings import as_typed

# Settings not compared with the run's: where its data and validation file are now (a resume checks
# that they hold its rows), the columns named in them (matched loosely, saved as the data spells them),
# the files it started from (their vectors or vocabulary are in the run now), and the ceiling of epochs,
# which a resume may move.
NOT_COMPARED = (
    "data.source", "data.validation_file", "data.text_column", "data.label_column",
    "model.embeddings_init", "tokenizer.path", "train.epochs",
)  # fmt: skip


@dataclass(frozen=True)
class AutoResume:
    """What --auto-resume does with the run folder: "start" a run, "restart" the one there, which
    stopped before it saved a last/ to resume from, "resume" the one there, or leave the "finished"
    one as it is (`finished`: why it has nothing left to do)."""

    action: Literal["start", "restart", "resume", "finished"]
    finished: str | None = None


def auto_resume_action(output: Path, epochs: int | None) -> AutoResume:
    """What --auto-resume does with `output`, decided from what is on disk alone (every process of a
    run decides before any writes: torchrun's processes agree). `epochs`: the command's ceiling, to
    which a run that reached its own is resumed where it is higher; a lower one is left to the resume,
    which refuses it as --resume does."""
    from attncli.checkpoint_folder import read_header
    from attncli.resuming import finished_reason

    last = resolve_checkpoint(output / LAST) if output.is_dir() else output / LAST
    if not (last / CONFIG_FILE).is_file():
        return AutoResume("restart" if _stopped_before_last(output) else "start")
    try:
        header = read_header(last, complete=False)
        done = finished_reason(last, header, None)
        if done is not None and epochs is not None:  # a higher ceiling than the run reached
            done = finished_reason(last, header, epochs) and done
    except (AttnError, OSError, KeyError, ValueError, TypeError):
        return AutoResume("resume")  # the resume says what is wrong with last/
    return AutoResume("resume") if done is None else AutoResume("finished", done)


def _stopped_before_last(output: Path) -> bool:
    """Whether `output` holds a run that stopped before it saved a last/ to resume from (a kill in
    its first epoch's saving left best/, or metrics.jsonl with that epoch's record, and the requeued
    command was refused as a folder not empty, whose --overwrite --auto-resume refuses): one to train
    again from its start. A run whose best/ records its end, or an interruption (its last/ since
    gone), is not one; nor is a folder holding files attn did not write, which -o refuses. An earlier
    run set aside by such a restart (itself killed so) is kept aside as --overwrite keeps it."""
    from attncli.run_folder import ASIDE, METRICS_LOG, no_epoch_in, run_entries_and_others

    if not output.is_dir():
        return False
    entries, others = run_entries_and_others(output)
    if not entries or set(others) - set(ASIDE):
        return False
    if entries == [METRICS_LOG]:  # killed in its first epoch (which -o clears), or in saving its end
        return not no_epoch_in(output / METRICS_LOG)
    try:
        metrics = json.loads((output / BEST / METRICS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return True  # no best/ either: killed in its first save of best/
    except (OSError, ValueError):
        return False
    # Saved in its first epoch and stopped by no signal: a Ctrl-C's "interrupted" run is one to keep.
    if not isinstance(metrics, dict):
        return False
    return metrics.get("stop_reason") == "" and len(metrics.get("history") or []) <= 1


def require_same_source(output: Path, source: str | None) -> None:
    """Refuse to call the finished run in `output` this command's where the command names other data
    than the run was trained on: a job array's typo in -o, or two experiments given one folder,
    exited 0 with another dataset's results. Only the path is compared, with no data read: data
    moved since is refused too, and the message says how to go on."""
    from attncli.checkpoint_folder import read_header
    from attncli.sources import same_source

    if source is None:
        return
    header = read_header(resolve_checkpoint(output / LAST), complete=False)
    typed = (header.get("config") or {}).get("data", {}).get("source")
    recorded = header.get("data_path") or typed
    # Where the data is gone since, the path as the run recorded it, absolute, or as it was typed.
    if recorded is None or same_source(source, recorded) or os.path.abspath(source) == recorded:
        return
    if source == typed:
        return
    raise ConfigError(
        f"--auto-resume found the run in {output} finished, trained on {recorded}, not on {source}; train "
        f"{source} into another --output (were it the run's data moved, the run has nothing left to train)"
    )


def require_same_settings(output: Path, asked: Config, typed: Collection[str]) -> None:
    """Refuse to go on with the run in `output` where the command sets (`typed`: the dotted settings it
    gives) other values than the run was trained with: a script edited between a job's starts, whose
    run would go on, or stay, with its own."""
    from attncli.checkpoint_folder import FORMAT_VERSION, read_header
    from attncli.config_loading import setting_value
    from attncli.migrations import migrate_header

    header = migrate_header(read_header(resolve_checkpoint(output / LAST), complete=False), FORMAT_VERSION)
    saved = header.get("config") or {}
    differ = []
    for key in sorted(set(typed) - set(NOT_COMPARED)):
        section, name = key.split(".", 1)
        if name not in saved.get(section, {}):
            continue  # a setting newer than the run: migrations give it the value the run had
        value, had = getattr(getattr(asked, section), name), setting_value(key, saved[section][name])
        if value is None and had is not None:
            continue  # `auto` (or a sized setting left to the rule): the run's sized value is its answer
        if value != had:
            differ.append(f"{key}={as_typed(value)} (the run has {as_typed(had)})")
    if differ:
        raise ConfigError(
            f"--auto-resume found a run in {output} trained with other settings than this command's: "
            f"{', '.join(differ)}; go on with it as it was with attn train --resume {output}, or train "
            "the new settings with --overwrite (or into another folder)"
        )


def typed_settings(
    config_file: Path | None, set_values: list[str], options: dict[str, Any], sized: Collection[str]
) -> set[str]:
    """The dotted settings a command sets: its options and --set's, and its config file's but those
    sized to the data (`sized`: a run's config.json given as --config holds them sized to its own)."""
    from attncli.config_loading import config_file_keys, given_settings

    typed = given_settings(set_values, options)
    if config_file is not None:
        typed |= config_file_keys(config_file) - set(sized)
    return typed


def finished_note(why: str | None) -> str:
    """Said where --auto-resume finds the run finished: nothing is trained."""
    return f"note: --auto-resume trains nothing: {why or 'the run has nothing left to train'}"


def finished_record(output: Path) -> dict[str, object]:
    """What `attn train --json` printed when the finished run in `output` ended: its folders,
    metrics.json's record and its settings, as its best/ keeps them, marked as found finished."""
    record: dict[str, object] = {"output": str(output), "best": str(output / BEST)}
    record["last"] = str(output / LAST)
    try:
        metrics = json.loads((output / BEST / METRICS_FILE).read_text(encoding="utf-8"))
        header = json.loads((output / BEST / CONFIG_FILE).read_text(encoding="utf-8"))
        record |= {**metrics, "config": header["config"]}
    except (OSError, ValueError, KeyError, TypeError):
        pass  # the folders alone: attn info says what is wrong with the files
    return {**record, "auto_resume": "finished"}
