"""`attn train DATA -o RUN --auto-resume`: one command a scheduler may run again and again (Slurm's
requeue after preemption, torchrun's restarts, a spot instance's next start), as litgpt's `--resume
auto` is. It starts the run where RUN holds none, resumes one stopped before its end, and leaves a
finished one as it is; a stopped run whose settings differ from the command's is refused, naming them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from attncli.checkpoint_folder import BEST, CONFIG_FILE, LAST, METRICS_FILE, resolve_checkpoint
from attncli.config import Config
from attncli.errors import ConfigError
from attncli.settings import as_typed, changed_settings, flatten

# Settings a resume may be given anew: the data and validation file where they have moved (the run
# checks that they hold its rows), and the ceiling of epochs.
MOVABLE_ON_RESUME = ("data.source", "data.validation_file", "train.epochs")


@dataclass(frozen=True)
class AutoResume:
    """What --auto-resume does with the run folder: "start" a run, "resume" the one there, or leave
    the "finished" one as it is (`finished`: why it has nothing left to do)."""

    action: str
    finished: str | None = None


def auto_resume_action(output: Path, epochs: int | None) -> AutoResume:
    """What --auto-resume does with `output`, decided from what is on disk alone (every process of a
    run decides before any writes: torchrun's processes agree). `epochs`: the command's --epochs,
    a ceiling a finished run may be resumed to."""
    from attncli.resuming import finished_reason, read_header, work_left

    last = resolve_checkpoint(output / LAST) if output.is_dir() else output / LAST
    if not (last / CONFIG_FILE).is_file():
        return AutoResume("start")  # a folder holding anything else is refused as -o refuses it
    if work_left(last, epochs) is not False:  # work left, or a last/ that resuming says is damaged
        return AutoResume("resume")
    return AutoResume("finished", finished_reason(last, read_header(last, complete=False), epochs))


def require_same_settings(output: Path, asked: Config) -> None:
    """Refuse to resume the run in `output` where the command asks for settings it was not trained
    with (a script edited between a job's starts): the run would go on with its own."""
    from attncli.config_loading import load_config

    saved = flatten(load_config(resolve_checkpoint(output / LAST) / CONFIG_FILE).to_dict())
    differ = [
        f"{key}={as_typed(value)} (the run has {as_typed(saved[key])})"
        for key, value in changed_settings(asked).items()
        if key not in MOVABLE_ON_RESUME and saved[key] != value
    ]
    if differ:
        raise ConfigError(
            f"--auto-resume found a run stopped before its end in {output}, trained with other settings "
            f"than this command's: {', '.join(differ)}; resume it as it was with attn train --resume "
            f"{output}, or train the new settings with --overwrite (or into another folder)"
        )


def finished_note(why: str | None) -> str:
    """Said where --auto-resume finds the run finished: nothing is trained."""
    return f"note: --auto-resume trains nothing: {why or 'the run has nothing left to train'}"


def finished_record(output: Path) -> dict[str, object]:
    """What `attn train --json` printed when the finished run in `output` ended: its folders,
    metrics.json's record and its settings, as its best/ keeps them, marked as found finished."""
    import json

    record: dict[str, object] = {"output": str(output), "best": str(output / BEST)}
    record["last"] = str(output / LAST)
    try:
        metrics = json.loads((output / BEST / METRICS_FILE).read_text(encoding="utf-8"))
        header = json.loads((output / BEST / CONFIG_FILE).read_text(encoding="utf-8"))
        record |= {**metrics, "config": header["config"]}
    except (OSError, ValueError, KeyError, TypeError):
        pass  # the folders alone: attn info says what is wrong with the files
    return {**record, "auto_resume": "finished"}
