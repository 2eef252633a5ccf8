"""What every command does at the edge: attn's errors turned into one line and an exit code, the
console it prints to, JSON lines, and the one loading path of eval, predict and inspect."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from attncli.errors import DISK_FULL, AttnError, CheckpointError, TrainingInterrupted, why_unwritten
from attncli.signals import TERMINATION_SIGNALS
from attncli.streams import flush_quietly, one_line, writes_unicode
from attncli.verbosity import logged_notes_unshown, quietened, said_under_quiet

if TYPE_CHECKING:
    from attncli.checkpoint import LoadedCheckpoint


T = TypeVar("T")


def say(message: str, *, always: bool = False) -> None:
    """A note, warning or error on standard error, on one line, each character a terminal would act
    on escaped: a file named with an escape sequence retitled a trial's window through `wrote N
    results to NAME`, and one named with a line break printed a line of its own (`error: ...`).
    Under --quiet, only warnings and errors are said, and what is `always` said: how a command was
    stopped, and what resumes it (a scheduled job's SIGTERM left no word in its log)."""
    if always or said_under_quiet(message):
        typer.echo(one_line(message), err=True)


def say_note(note: str) -> None:
    """A note of how the input was read, or a warning where it says it is one (which --quiet keeps)."""
    say(note if note.startswith(("note: ", "warning: ")) else f"note: {note}")


def run_command(
    action: Callable[[], T],
    *,
    debug: bool,
    interrupted: str | Callable[[], str] = "interrupted",
    terminable: bool = True,
    threads: int | None = None,
    quiet: bool = False,
) -> T:
    """Run a command body; turn attn's errors into one line on stderr and an exit code. `interrupted`
    is what Ctrl-C outside a training loop says. SIGTERM and SIGHUP end the command with 128 + the
    signal after its cleanups ran (a `timeout` around eval left its temporary Arrow copies behind),
    unless `terminable` is False: `attn train` stops on them as on Ctrl-C, with handlers of its own.
    `threads`: --threads, the CPU threads the body may take (None: as the environment says);
    `quiet`: --quiet, under which only warnings and errors are said on standard error."""
    with quietened(quiet), logged_notes_unshown():
        return _run_command(
            action, debug=debug, interrupted=interrupted, terminable=terminable, threads=threads
        )


def _run_command(
    action: Callable[[], T],
    *,
    debug: bool,
    interrupted: str | Callable[[], str],
    terminable: bool,
    threads: int | None,
) -> T:
    from attncli.signals import termination_raises
    from attncli.threads import limited_threads, too_many_threads_note

    debug = debug or os.environ.get("ATTN_DEBUG", "") not in ("", "0")
    # Under torchrun every process meets the same error; rank 0 alone says it, unless the error is
    # one only its own process met (memory run out on its GPU), which that process says.
    rank = int(os.environ.get("RANK", "0") or 0)
    speaks = rank == 0
    note = too_many_threads_note(threads) if threads is not None else None
    # Under --nproc the launching command said it of every process, once.
    if note is not None and speaks and int(os.environ.get("WORLD_SIZE", "1") or 1) == 1:
        say(note)
    try:
        with limited_threads(threads):
            if not terminable:
                return action()
            with termination_raises():
                try:
                    return action()
                except SystemExit as stopped:  # SIGTERM or SIGHUP: a scheduler's log showed no line
                    if stopped.code in STOPPED_BY and speaks:
                        name = STOPPED_BY[stopped.code]
                        say(
                            f"stopped by {name}; the files it was writing were left as they were", always=True
                        )
                    raise
    except TrainingInterrupted as stopped:
        if speaks:
            say(str(stopped), always=True)
        raise typer.Exit(stopped.exit_code) from None
    except AttnError as error:
        flush_quietly()  # results before the error go out; a failure to write them is this error's
        if debug:
            traceback.print_exc()
        if speaks or error.rank_local:
            say(one_line(f"error: {error}"))
        raise typer.Exit(error.exit_code) from None
    except BrokenPipeError:
        # The reader went away (`attn predict ... | head`): stop quietly, as cat does, with the
        # status of a process ended by SIGPIPE. Output still buffered must not fail again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(PIPE_CLOSED) from None
    except KeyboardInterrupt:
        if speaks:
            say(interrupted() if callable(interrupted) else interrupted, always=True)
        raise typer.Exit(130) from None
    except PermissionError as error:
        if not error.filename:
            raise _unexpected(error, debug=debug) from None
        # A data file, a folder or a checkpoint this user may not read (chmod 000, another owner):
        # it was Python's PermissionError and exit 1 in train and eval, where predict said it.
        if debug:
            traceback.print_exc()
        if speaks:
            say(
                one_line(
                    f"error: {error.filename} cannot be opened (permission denied); give yourself "
                    "access to it (chmod, chown), or pass another path"
                )
            )
        raise typer.Exit(2) from None
    except FileNotFoundError as error:
        if NO_TEMPORARY_FOLDER not in str(error):
            raise _unexpected(error, debug=debug) from None
        # Python's tempfile found no folder it can write (a read-only root file system): importing
        # torch needs one (dill asks for it), so every command ended in exit 1 on this message.
        say(
            "error: no writable temporary folder (TMPDIR, /tmp and /var/tmp are missing or read-only); "
            "point TMPDIR at a folder you can write, for example TMPDIR=$HOME/tmp"
        )
        raise typer.Exit(2) from None
    except OSError as error:
        if error.errno not in DISK_FULL:
            raise _unexpected(error, debug=debug) from None
        # A write attn does not wrap itself (a library's cache, a temporary file): said as the
        # writes it wraps say it, with their exit status, not as an unexpected failure (exit 1).
        if debug:
            traceback.print_exc()
        where = Path(error.filename) if isinstance(error.filename, str) and error.filename else None
        reason, remedy = why_unwritten(error, where.parent if where is not None else Path.cwd())
        written = f"could not write {where}" if where is not None else "a write failed"
        if speaks:
            say(one_line(f"error: {written} ({reason}); {remedy}, then run again"))
        raise typer.Exit(2) from None
    except Exception as error:  # a bug or an environment failure: still one line, unless debugging
        raise _unexpected(error, debug=debug) from None
    except BaseException as error:
        # A Rust library's panic (pyo3's PanicException, a BaseException): tokenizers' thread pool
        # failing to start under `ulimit -v` printed Rust's panic and a Python traceback.
        if type(error).__name__ != "PanicException":
            raise
        if REGEX_GAVE_UP in str(error):
            # A tokenizer.json with a pattern of its own (a stranger's checkpoint, a hand edit) that
            # backtracks past Oniguruma's limit on a text: no pattern attn writes does.
            if debug:
                traceback.print_exc()
            say(
                "error: a regular expression in the tokenizer gave up on a text (Oniguruma's retry limit): "
                "attn's own tokenizers hold none that does, so this tokenizer.json was written elsewhere or "
                "edited; use a checkpoint you trust, or train one"
            )
            raise typer.Exit(2) from None
        raise _unexpected(error, debug=debug) from None


# What tokenizers' panic says where a regular expression of its normaliser or pre-tokenizer
# backtracked past Oniguruma's limit.
REGEX_GAVE_UP = "retry-limit-in-match"

# What Python's tempfile says where no folder it tries is writable.
NO_TEMPORARY_FOLDER = "No usable temporary directory found"


def _unexpected(error: BaseException, *, debug: bool) -> typer.Exit:
    """Exit 1, having said `error` in one line (or shown its traceback with --debug), with what to do
    where the failure is the environment's: a limit on memory or threads."""
    if debug:
        traceback.print_exc()
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    # A bare MemoryError (Python could not allocate, under `ulimit -v` or a container's limit) says
    # nothing: it printed "error: MemoryError:  (rerun with --debug ...)" (an ops trial). numpy's
    # ImportError says the cause a few lines below a banner, which was all the line showed (a trial).
    signed = [line for line in str(error).splitlines() if any(sign in line for sign in LIMIT_SIGNS)]
    limited = isinstance(error, MemoryError) or bool(signed)
    message = signed[0].strip() if signed else message
    if isinstance(error, MemoryError) and not message:
        message = "out of memory"
    advice = LIMIT_ADVICE if limited else None if debug else "rerun with --debug for the traceback"
    said = f"error: {type(error).__name__}: {message}" + (f" ({advice})" if advice else "")
    say(one_line(said))
    return typer.Exit(1)


# The exit statuses termination_raises gives, by the signal's name.
STOPPED_BY = {128 + number: number.name for number in TERMINATION_SIGNALS}
# The status of a process ended by SIGPIPE (13 where the system has none: Windows).
PIPE_CLOSED = 128 + getattr(signal, "SIGPIPE", 13)


# How a library says that the process hit a limit on its address space or threads (`ulimit -v`,
# `ulimit -u`, a container's): loading a shared library, or starting tokenizers' threads.
LIMIT_SIGNS = ("failed to map segment", "ThreadPoolBuildError", "can't start new thread")
LIMIT_ADVICE = (
    "the process is short of memory or threads: raise its limits (ulimit -v, ulimit -u, the "
    "container's), or set TOKENIZERS_PARALLELISM=false"
)


def stdout_console(*, unwrapped_when_piped: bool = False, **options: Any):
    """The console commands print to. A reader that goes away (`| head`) ends the command as
    `run_command` ends any."""
    from attncli.render.consoles import output_console

    return output_console(on_broken_pipe=_reader_gone, unwrapped_when_piped=unwrapped_when_piped, **options)


def _reader_gone() -> None:
    raise BrokenPipeError


def _names_a_checkpoint(path: Path) -> bool:
    """Whether `path` is a checkpoint or a run's output folder; a text given as a path (too long
    for one, or holding a NUL) is not."""
    from attncli.checkpoint_folder import CONFIG_FILE, resolve_checkpoint

    try:
        return (resolve_checkpoint(path) / CONFIG_FILE).is_file()
    except (OSError, ValueError):
        return False


def refuse_swapped_file(path: Path, file: Path | None, *, command: str) -> None:
    """Refuse `attn predict data.csv --file RUN`, the checkpoint and the file given in each other's
    place: it was told that --file RUN "holds folders of files (best, last)", as eval is told the
    checkpoint comes first (a trial)."""
    if file is None or _names_a_checkpoint(path) or not _names_a_checkpoint(file):
        return
    raise _checkpoint_comes_first(path, f"--file {file}", command, [str(file), "--file", str(path)])


def _checkpoint_comes_first(path: Path, given: str, command: str, arguments: list[str]) -> CheckpointError:
    """The refusal of a checkpoint `given` in another argument's place (`--file RUN`, or a TEXT)."""
    return CheckpointError(
        f"{path} is not a checkpoint, but {given} is; the checkpoint comes first: "
        f"attn {command} {shlex.join(arguments)}"
    )


def load_for_command(
    path: Path, device: str, *, command: str, others: Sequence[str] = ()
) -> LoadedCheckpoint:
    """The one loading path of eval, predict and inspect; `others` are the command's other
    arguments, one of which may be the checkpoint given second (`attn predict "text" runs/news`)."""
    from attncli.checkpoint_folder import CONFIG_FILE, LAST, read_header, read_steadily, resolve_checkpoint
    from attncli.signals import import_whole

    try:
        resolved: Path | None = resolve_checkpoint(path)
    except (OSError, ValueError) as error:  # too long for a path, or holding a NUL: a text, surely
        resolved, unusable = None, error
    if resolved is None or not (resolved / CONFIG_FILE).is_file():
        swapped = next((other for other in others if _names_a_checkpoint(Path(other))), None)
        if swapped is not None:
            arguments = [swapped, str(path), *(other for other in others if other != swapped)]
            raise _checkpoint_comes_first(path, swapped, command, arguments)
        if resolved is None and isinstance(unusable, PermissionError):  # a run this user may not read
            raise CheckpointError(
                f"{unusable.filename or path} cannot be read (permission denied); give yourself access to it "
                "(chmod, chown)"
            ) from unusable
        if resolved is None:
            start = str(path)[:40] + ("..." if len(str(path)) > 40 else "")
            reason = getattr(unusable, "strerror", None) or unusable
            raise CheckpointError(
                f"the checkpoint argument ({start!r}) cannot be a folder ({reason}); "
                f"give the checkpoint first: attn {command} CHECKPOINT ..."
            ) from unusable
        read_steadily(path, read_header)  # what is wrong with it, said before torch loads (seconds)
    if resolved != path and (resolved.name == LAST or resolved.name.startswith(f".{LAST}.old-")):
        # A run stopped (or still) in its first epoch: last/ (or the copy a swap or an --overwrite
        # kept) is a model no epoch has validated, at chance accuracy early on. Used with a note, it
        # gave a cron job's predictions with exit 0.
        why, finished = missing_best(resolved)
        if finished:
            raise CheckpointError(
                f"{path} has no best/ ({why}), so no validated model; pass {shlex.quote(str(resolved))} to "
                "use the last epoch's model, or train the run again"
            )
        raise CheckpointError(
            f"{path} has no best/ ({why}), so no validated model; "
            f"resume the run (attn train --resume {shlex.quote(str(path))}), or pass "
            f"{shlex.quote(str(resolved))} to use the model as the run left it"
        )
    # Torch only now, once the checkpoint is one (its import takes seconds; a mistyped path is told
    # at once), with a Ctrl-C in the middle of it held until it has loaded.
    import_whole("torch")
    from attncli.checkpoint import load_checkpoint
    from attncli.device import resolve_device

    # The path as given: a run folder is resolved again if a training run replaces its best/ meanwhile.
    loaded = load_checkpoint(path, device=str(resolve_device(device)), history_optional=True)
    for warning in loaded.warnings:
        say(f"warning: {warning}")
    if (replacing := replacement_note(path, loaded.path)) is not None:
        say(replacing)
    elif (unfinished := unfinished_note(path, loaded.metrics, last=loaded.path.name == LAST)) is not None:
        say(unfinished)
    elif loaded.path.name != LAST and (unrefitted := unrefitted_note(path, loaded)) is not None:
        say(unrefitted)
    return loaded


def missing_best(last: Path) -> tuple[str, bool]:
    """Why the run folder of `last` has no best/, and whether its run has finished: a finished run's
    --resume is refused (nothing left to train), so it cannot write best/ again."""
    from attncli.checkpoint_folder import LAST
    from attncli.resuming import work_left

    if last.name == LAST and work_left(last) is False:
        return "it was removed, and the run has finished: a --resume would not write it again", True
    return "no epoch has finished, or it was removed", False


def unrefitted_note(path: Path, loaded: LoadedCheckpoint) -> str | None:
    """Where a run's training ended and the refit it asked for (train.refit_epochs) did not, stopped
    or killed: the note that these weights are the best epoch's, not refitted, as `attn info` says.
    An ops trial's predict of such a run said nothing."""
    from attncli.checkpoint_folder import BEST
    from attncli.history import refit_due

    metrics = loaded.metrics
    if not isinstance(metrics, dict):
        return None
    if not refit_due(loaded.config.train.refit_epoch_count, metrics.get("validation_digest")):
        return None  # none asked for, or a validation split of the data's own, never trained on
    if metrics.get("stop_reason") not in ("epochs", "patience") or metrics.get("refit"):
        return None  # not ended (its own note), or refitted
    if metrics.get("refit_diverged") or metrics.get("refit_skipped"):
        return None  # tried, or left out, and said so as it ended

    # --resume takes the run folder, not its best/ (the command given for `predict RUN/best` was
    # refused), and the refit may still be under way.
    run = loaded.path.parent if loaded.path.name == BEST else loaded.path
    return (
        f"note: the refit of {run} has not finished (it was stopped, or is still running): these "
        f"weights are epoch {metrics.get('best_epoch')}'s, not trained on the held-out rows; attn train "
        f"--resume {shlex.quote(str(run))} refits a stopped one"
    )


def file_encoding(loaded: LoadedCheckpoint, file: Path | None, given: str | None) -> str:
    """The encoding predict and inspect read `file` in: the one given, else the run's own where the
    file is its training data (split_choice.training_file_encoding), else UTF-8. split_choice and the
    data-folder modules it imports are loaded only where a file is read: a prediction of a sentence
    given as an argument is timed from a fresh process."""
    if given:
        return given
    if file is None:
        return "utf-8"
    from attncli.split_choice import training_file_encoding

    return training_file_encoding(loaded, file) or "utf-8"


def replacement_note(path: Path, resolved: Path) -> str | None:
    """Where `path` is a run folder that an attn train --overwrite has not finished replacing, and
    the run it replaces was read in its place (`resolve_checkpoint`): the note that says so, and
    where the new run's best epoch so far is."""
    from attncli.checkpoint_folder import BEST, CONFIG_FILE, REPLACED

    if resolved.parent.name != REPLACED or resolved.parent.parent.resolve() != path.resolve():
        return None
    new = path / BEST
    done = (
        f"finished (it is still training, or was stopped; {new} holds its best epoch so far)"
        if (new / CONFIG_FILE).is_file()
        else "ended an epoch (it is still training, or was stopped)"
    )
    return (
        f"note: an attn train --overwrite into {path} has not {done}: these are the weights of the run "
        "it replaces, in use until it finishes"
    )


def unfinished_note(path: Path, metrics: Any, *, last: bool = False) -> str | None:
    """Where the weights are a run's whose training has not ended (still training, interrupted, or
    killed; its metrics.json records no reason it ended): the note that they are the best of the
    epochs so far, or for a `last/` (`last`), as the run left them. An ops trial's eval of a run
    killed at epoch 2 scored 53% against the finished run's 85%, exit 0 and no word, as did a
    nightly --overwrite retrain killed halfway."""
    from attncli.history import training_ended

    if training_ended(metrics) is not False:
        return None  # ended, or saved before runs recorded why they ended
    history = metrics.get("history") or []
    epochs = [record.get("epoch") for record in history if isinstance(record, dict)]
    trained = max((epoch for epoch in epochs if isinstance(epoch, int)), default=0)
    interrupted = metrics.get("stop_reason") == "interrupted"
    how = "was interrupted" if interrupted else "is still training, or was stopped"
    weights = (
        "as the run left them (last/)" if last else f"epoch {metrics.get('best_epoch')}'s, the best so far"
    )
    # Stopped inside its first epoch, a run has no epoch to be after ("after epoch 0", a trial).
    when = f"after epoch {trained}" if trained else "before its first epoch ended"
    return (
        f"note: the training of {path} has not ended (it {how} {when}): these weights are "
        f"{weights} (attn info {shlex.quote(str(path))} says more)"
    )


def print_json(rows: list[dict[str, Any]]) -> None:
    """Each row as one line of JSON; what JSON cannot spell (NaN, a lone surrogate from a data file's
    escapes) as null and U+FFFD, as predict writes them."""
    from attncli.prediction_writers import as_text, c1_escaped, json_safe

    for row in rows:
        # A carried-through value JSON has no type for (a date, bytes) as predict writes it.
        ascii_only = not writes_unicode(sys.stdout)
        line = json.dumps(json_safe(row), ensure_ascii=ascii_only, allow_nan=False, default=as_text)
        sys.stdout.write(c1_escaped(line) + "\n")
    sys.stdout.flush()


# Names of standard output itself: written to as `-` is, in place of the view (`--html /dev/stdout >
# page.html` was refused as an existing file that is no .html file, and into a pipe was mixed with it).
STANDARD_OUTPUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


def is_standard_output(path: Path | None) -> bool:
    """Whether an output option was given `-` (standard output, as `--file -` is standard input) or a
    name of standard output."""
    return path is not None and str(path) in STANDARD_OUTPUT_NAMES
