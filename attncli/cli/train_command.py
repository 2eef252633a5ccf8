"""`attn train`: a new run, a resumed one, or one on several processes; Ctrl-C and SIGTERM in every phase."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from attncli.cli.edge import print_json, run_command, say, stdout_console
from attncli.cli.launch import has_gpu, launch_processes
from attncli.cli.options import (
    DataEncodingOption,
    DebugOption,
    DelimiterOption,
    LabelColumnOption,
    QuietOption,
    TextColumnOption,
    complete_from,
    not_empty,
    setting_default,
)
from attncli.config import DEVICES, PRECISIONS
from attncli.errors import ConfigError, DataError, TrainingInterrupted
from attncli.threads import too_many_threads_note, usable_cores
from attncli.verbosity import quietened


def _run_folder(value: str) -> Path:
    """--output or --resume as given: an empty one (`-o "$OUT"` with OUT unset) was the current
    folder, where a run was trained without a word."""
    return Path(not_empty(value, "pass the run's folder"))


def train(
    data: Annotated[
        str | None,
        typer.Argument(
            help="Hub dataset name, csv/tsv/json/jsonl/parquet/arrow/feather file, fastText file, or folder "
            "(of split files, save_to_disk, or one folder per label of text files).",
            metavar="DATA",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            parser=_run_folder,
            help="Run folder to write (best/, last/, metrics.jsonl).",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            metavar="OUTPUT",
            parser=_run_folder,
            help="Continue the run in OUTPUT from its last/ checkpoint.",
            show_default=False,
        ),
    ] = None,
    config_files: Annotated[
        list[Path] | None, typer.Option("--config", "-c", metavar="PATH", help="YAML config file (one).")
    ] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", metavar="KEY=VALUE", help="Override a setting: key=value (repeatable)."),
    ] = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    encoding: DataEncodingOption = None,
    delimiter: DelimiterOption = None,
    validation: Annotated[
        str | None,
        typer.Option(
            "--validation",
            metavar="FILE",
            help="File of validation rows (data.validation_file), read as DATA is, for data without a "
            "validation split: the best epoch is chosen on it rather than on a share of train held out.",
            show_default=False,
        ),
    ] = None,
    drop_invalid: Annotated[
        bool,
        typer.Option(
            "--drop-invalid",
            help="Leave out rows with no text or no label (and say how many) instead of stopping "
            "(data.drop_invalid).",
        ),
    ] = False,
    epochs: Annotated[
        int | None,
        typer.Option(
            help="Most passes over the training data (fewer when validation stops improving).",
            show_default=setting_default("train.epochs"),
        ),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Texts per step.", show_default=setting_default("train.batch_size"))
    ] = None,
    lr: Annotated[
        float | None, typer.Option(help="Peak learning rate.", show_default=setting_default("train.lr"))
    ] = None,
    max_length: Annotated[
        int | None,
        typer.Option(help="Longest input in tokens.", show_default=setting_default("model.max_length")),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            help="auto, cpu, cuda (cuda:N for one GPU) or mps.",
            show_default=setting_default("train.device"),
            autocompletion=complete_from(DEVICES),
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            min=1,
            metavar="N",
            help="CPU threads to compute with (fastText's -thread); with --nproc, each process's.",
            show_default="OMP_NUM_THREADS, else one per core",
        ),
    ] = None,
    precision: Annotated[
        str | None,
        typer.Option(
            help="auto, fp32, bf16 or fp16.",
            show_default=setting_default("train.precision"),
            autocompletion=complete_from(PRECISIONS),
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed for initialisation and shuffling.", show_default=setting_default("train.seed")
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the earlier attn run in --output.")
    ] = False,
    auto_resume: Annotated[
        bool,
        typer.Option(
            "--auto-resume",
            help="With --output: resume the run there where one stopped before its end, start it where "
            "there is none, and leave a finished one as it is: one command a scheduler may run again "
            "(Slurm's requeue, torchrun's restarts).",
        ),
    ] = False,
    nproc: Annotated[
        int | None,
        typer.Option(
            "--nproc",
            min=1,
            help="Train on N processes through torchrun, on this machine: one per GPU (on the CPU they "
            "share its cores).",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the summary as one JSON object (metrics.json's record, paths, settings used).",
        ),
    ] = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Train a tokenizer and an attention classifier; the best epoch goes to OUTPUT/best."""
    config = run_command(lambda: _one_config_file(config_files), debug=debug, quiet=quiet)
    # The run's settings as given on the command line (None: not given), each under its option.
    settings: dict[str, Any] = {
        "--output": output, "--config": config, "--set": set_values, "--text-column": text_column,
        "--label-column": label_column, "--encoding": encoding, "--delimiter": delimiter,
        "--validation": validation, "--drop-invalid": drop_invalid or None, "--batch-size": batch_size,
        "--lr": lr, "--max-length": max_length, "--device": device, "--precision": precision, "--seed": seed,
        "--overwrite": overwrite or None,
    }  # fmt: skip
    # The settings of the command-line options, over the config file's and --set's.
    options = {
        "data.source": data,
        "data.text_column": text_column,
        "data.label_column": label_column,
        "data.encoding": encoding,
        "data.delimiter": delimiter,
        "data.validation_file": validation,
        "data.drop_invalid": drop_invalid or None,
        "train.epochs": epochs,
        "train.batch_size": batch_size,
        "train.lr": lr,
        "model.max_length": max_length,
        "train.device": device,
        "train.precision": precision,
        "train.seed": seed,
    }
    decided: str | None = None  # what --auto-resume made of the command, for its --json record
    if auto_resume:
        decided, ceiling = run_command(
            lambda: _auto_resumed(output, resume, overwrite, config, set_values or [], options, as_json),
            debug=debug,
            quiet=quiet,
        )
        if decided == "finished":
            raise typer.Exit(0)
        if decided == "restart":  # the run there has no last/ to resume: replaced as --overwrite does
            overwrite = True
            settings["--overwrite"] = True
        if decided == "resume":
            # Carried on as `attn train [DATA] --resume OUTPUT [--epochs N]` would: the settings given
            # are the run's own (checked above), which --resume refuses to be given again.
            resume, output, config, set_values, epochs = output, None, None, None, ceiling
            settings = {**dict.fromkeys(settings), "--validation": validation}
    if nproc is not None and nproc > 1:
        run_command(
            lambda: _check_processes_fit(nproc, config, set_values, options, resume), debug=debug, quiet=quiet
        )
        given = {
            **settings, "--resume": resume, "--epochs": epochs, "--json": as_json or None,
            "--threads": threads, "--quiet": quiet or None,
        }  # fmt: skip
        arguments = ["train", *([data] if data else []), *_as_arguments({**given, "--debug": debug or None})]
        with quietened(quiet):  # the launching command's own notes, as the processes' are
            if threads is not None and (note := too_many_threads_note(threads, nproc)) is not None:
                say(note)  # each process is told its --threads
            launched = _launch(
                nproc,
                arguments,
                device=device,
                debug=debug,
                run_folder=output or resume,
                resume_epochs=epochs if resume is not None else None,
            )
        raise typer.Exit(launched)

    reporters: list[Any] = []  # the run's progress reporter, once made: it knows whether training began

    def again() -> str | None:
        """The command that resumes as this one would, before its training loop began."""
        if resume is None:
            return None
        from attncli.run_folder import resume_command

        command = resume_command(resume, int(os.environ.get("WORLD_SIZE", "1")))
        command += f" --epochs {epochs}" if epochs is not None else ""
        command += f" --validation {shlex.quote(validation)}" if validation is not None else ""
        return command + (f" {shlex.quote(data)}" if data else "")

    def interrupted() -> str:
        # Inside the training loop Ctrl-C saves last/ and says so; this is before it, or after it
        # (the summary, or a second Ctrl-C that cut the first one's saving short).
        folder = output or resume
        if reporters and reporters[-1].epochs and folder is not None:
            from attncli.run_folder import resume_command

            world_size = int(os.environ.get("WORLD_SIZE", "1"))
            command = again() or resume_command(folder, world_size)
            return _interrupted_in_training(folder, command, epochs=epochs if resume is not None else None)
        return _interrupted_before_training(output, resume, again())

    def action() -> None:
        from attncli.config_loading import (
            carried_columns_hint,
            carried_encoding_refusal,
            changed_vectors_note,
            given_settings,
            kept_sized_settings,
            load_config,
            moved_data_note,
            raised_ceiling_note,
            saved_processes_note,
            sized_along,
            sized_settings_note,
        )
        from attncli.progress import ProgressReporter
        from attncli.scratch import scratch_warnings
        from attncli.signals import import_whole
        from attncli.sources import NO_DATASET, require_data_source
        from attncli.train import resume as resume_training
        from attncli.train import train as run_training

        if os.environ.get("RANK", "0") == "0":  # before any data is read, which they hold copies of
            for warning in scratch_warnings():
                say(warning)
        if resume is not None:
            given = [
                # each --set by its key: "so --set cannot change them" did not say which was refused
                ", ".join(f"--set {value.partition('=')[0].strip()}" for value in values)
                if name == "--set"
                else name
                for name, values in settings.items()
                if values is not None and values != [] and name not in ("--overwrite", "--validation")
            ]
            if overwrite:
                raise ConfigError(
                    "--resume carries the run in OUTPUT on, so --overwrite has nothing to replace; drop it"
                )
            if given:
                raise ConfigError(
                    f"--resume takes the data and settings saved in OUTPUT/last, so {', '.join(given)} "
                    "cannot change them; pass only --epochs (to move the ceiling), and DATA or --validation "
                    "where the run's data or validation file has moved, with it"
                )
            reporters.append(ProgressReporter())
            import_whole("torch")  # a stop signal in the middle of it is held until it has loaded
            result = resume_training(
                resume, epochs=epochs, data=data, validation=validation, reporter=reporters[-1]
            )
            _print_train_summary(result, as_json=as_json, auto_resumed=decided)
            return
        if output is None:
            named = (
                data is not None
                or config is not None
                or any(value.replace(" ", "").startswith("data.source=") for value in set_values or [])
            )
            data_too = "" if named else " and DATA (a file, folder or Hub dataset to train on)"
            raise ConfigError(
                f"pass --output FOLDER (where the run is written){data_too}, or --resume OUTPUT"
            )
        require_data_source(data)  # at once: the config's checks import torch (seconds)

        import_whole("torch")  # a stop signal in the middle of it is held until it has loaded
        resolved = load_config(config, set_values or [], options)
        if not resolved.data.source:  # before the settings line, which named none ("none")
            raise DataError(NO_DATASET)
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        typed = given_settings(set_values or [], options)
        resolved, along = sized_along(config, resolved, typed) if config else (resolved, None)
        kept = kept_sized_settings(config, resolved, typed) if config else {}
        notes = (
            [
                along,
                moved_data_note(config, resolved, typed),
                changed_vectors_note(config, resolved, typed),
                saved_processes_note(config, world_size),
                raised_ceiling_note(config, resolved),
                sized_settings_note(config, kept, resolved),
            ]
            if config
            else []
        )
        for note in notes:
            if note is not None and os.environ.get("RANK", "0") == "0":
                say(f"note: {note}")
        reporter = ProgressReporter()
        reporters.append(reporter)
        try:
            result = run_training(
                resolved, output=output, overwrite=overwrite, reporter=reporter, sized_before=kept
            )
        except DataError as error:
            told = carried_encoding_refusal(config, resolved, typed, str(error)) if config else None
            hint = carried_columns_hint(config, resolved, typed, str(error)) if config else None
            if told is None and hint is None:
                raise
            raise DataError("; ".join(filter(None, [told or str(error), hint]))) from error
        _print_train_summary(result, as_json=as_json, auto_resumed=decided)

    def reported() -> None:
        # From the first moment (loading the config imports torch: a second and more) to the end.
        with _interruption_as_json(as_json, resume or output, interrupted, again):
            action()

    with _termination_interrupts():
        run_command(
            reported, debug=debug, interrupted=interrupted, terminable=False, threads=threads, quiet=quiet
        )


def _interrupted_in_training(folder: Path, command: str, *, epochs: int | None) -> str:
    """What Ctrl-C says once training has begun, outside the loop's own saving: what the folder
    holds, and the command that carries the run on where it has anything left (a second Ctrl-C
    gave neither)."""
    from attncli.checkpoint_folder import BEST, CONFIG_FILE, LAST
    from attncli.refit import killed_after_training
    from attncli.run_folder import finish_replacing, replaced_kept

    shown = shlex.quote(str(folder))
    kept = f"interrupted; {folder} holds what the run had saved by then (attn info {shown} shows it)"
    if aside := replaced_kept(folder):  # `attn info R` shows that run, in use until this one finishes
        best = folder / BEST
        kept = (
            f"interrupted; {best} and {folder / LAST} hold what the run had saved by then (attn info "
            f"{shlex.quote(str(best))} shows it){aside}"
        )
    if not (folder / LAST / CONFIG_FILE).is_file():
        if not (folder / BEST / CONFIG_FILE).is_file():
            # A second Ctrl-C stopped the save of the first epoch's step: `attn info` had nothing to
            # show, and --resume nothing to resume. An earlier run this one was replacing (--overwrite)
            # is put back, as the first Ctrl-C's save would have.
            if finish_replacing(folder):
                return (
                    f"interrupted before the run's first save; {folder} holds the earlier run again, as "
                    "it was before --overwrite"
                )
            return (
                f"interrupted before the run's first save; {folder} holds no checkpoint (at most its "
                "log), so run the same attn train again to start over"
            )
        return kept
    finished = killed_after_training(folder, epochs=epochs)
    return f"interrupted; {finished}" if finished is not None else f"{kept}; to carry it on: {command}"


def _interrupted_before_training(output: Path | None, resume: Path | None, again: str | None) -> str:
    """What Ctrl-C says before the training loop starts (inside it, the loop saves last/ and says
    how to resume): nothing of this run was saved, and the folder is as it was; `again` is the
    command that resumes as the interrupted one would have (given wherever `resume` is)."""
    if resume is not None:
        return f"interrupted before training resumed; {resume} is as it was ({again})"
    if output is None:
        return "interrupted"
    # A folder this command would have made is not there to be "as it was".
    kept = "is as it was" if output.exists() else "was not made"
    return f"interrupted before training began; nothing was written, and {output} {kept}"


def _as_arguments(options: dict[str, Any]) -> list[str]:
    """Command-line arguments that give `options` again: a flag for True, the option once for each
    value of a list (--set), nothing for None."""
    arguments: list[str] = []
    for flag, value in options.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is True:
                arguments.append(flag)
            elif item is not None:
                arguments += [flag, str(item)]
    return arguments


def _check_processes_fit(
    nproc: int,
    config: Path | None,
    set_values: list[str] | None,
    options: dict[str, Any],
    resume: Path | None,
) -> None:
    """Before any process starts: on CUDA, `nproc` must not be more than the GPUs. The device is the
    one the processes will take: --device, --set or the config file's, or the resumed run's."""
    from attncli.checkpoint_folder import LAST, read_header, resolve_checkpoint, saved_device
    from attncli.config_loading import load_config
    from attncli.device import device_to_resume_on, resolve_device
    from attncli.distributed import require_a_gpu_each, require_no_gpu_number
    from attncli.errors import AttnError

    if resume is not None:
        try:  # as train.resume reads it
            name = saved_device(read_header(resolve_checkpoint(resume / LAST), complete=False))
        except (AttnError, OSError, AttributeError):
            return  # each process says what is wrong with the run folder
        require_no_gpu_number(
            name, f"the device {resume} was trained on", "resume it on one process (leave out --nproc)"
        )
    else:
        name = load_config(config, set_values or [], options).train.device
        require_no_gpu_number(
            name,
            "--device",
            "pass --device cuda, and choose the GPUs with CUDA_VISIBLE_DEVICES (for example "
            f"CUDA_VISIBLE_DEVICES=2,3 attn train ... --nproc {nproc})",
        )
    if resume is not None:
        name = device_to_resume_on(name)[0]  # a run of a GPU this machine lacks is refused in its words
    if resolve_device(name).type == "cuda":
        # --resume takes its device from the run, so only a new run can move to the CPU.
        cpu = "" if resume is not None else ", or --device cpu to train on CPU processes"
        require_a_gpu_each(
            nproc,
            lambda gpus: f"pass --nproc {gpus} or fewer{' (or leave it out)' if gpus == 1 else ''}{cpu}",
        )


def _launch(
    nproc: int,
    arguments: list[str],
    *,
    device: str | None,
    debug: bool,
    run_folder: Path | None,
    resume_epochs: int | None = None,
) -> int:
    """`attn train` on `nproc` processes, with a warning where they are more than the CPU's cores, and
    a note on the CPU that one process is likely faster."""
    cores = usable_cores()  # the cores this process may use (a container's or taskset's share)
    on_cpu = device in (None, "auto", "cpu") and not has_gpu()
    if on_cpu and nproc > cores:
        say(
            f"warning: {nproc} processes on {cores} CPU cores: each gets less than a core, so expect the "
            "run to be slower than with fewer processes"
        )
    elif on_cpu and nproc > 1:
        # Measured in a user's trial (300,000 short texts, an AMD EPYC of 2 cores): 26,400 tokens/s
        # with --nproc 2 against 41,500 for one process, at 2.3 times the memory.
        say(
            f"note: --nproc {nproc} on the CPU shares its {cores} cores among {nproc} processes, which also "
            "exchange their gradients every step: one process with every core is likely faster; --nproc "
            "pays with a GPU a process"
        )
    return launch_processes(nproc, arguments, debug=debug, run_folder=run_folder, resume_epochs=resume_epochs)


@contextlib.contextmanager
def _interruption_as_json(
    as_json: bool, output: Path | None, interrupted: Callable[[], str], again: Callable[[], str | None]
) -> Iterator[None]:
    """With --json, an interrupted run prints its one JSON object too (a script read nothing): where
    it stopped and the command that resumes it (null where there is nothing to resume: Ctrl-C
    before the training loop, which printed nothing at all); the message still goes to stderr."""
    speaks = as_json and int(os.environ.get("RANK", "0")) == 0
    record: dict[str, Any] = {"output": str(output) if output else None, "stop_reason": "interrupted"}
    try:
        yield
    except TrainingInterrupted as stopped:
        if speaks:
            print_json([{**record, "message": str(stopped), "resume": stopped.resume}])
        raise
    except KeyboardInterrupt:
        if speaks:
            print_json([{**record, "message": interrupted(), "resume": again()}])
        raise


def _auto_resumed(
    output: Path | None,
    resume: Path | None,
    overwrite: bool,
    config: Path | None,
    set_values: list[str],
    options: dict[str, Any],
    as_json: bool,
) -> tuple[str, int | None]:
    """What --auto-resume makes of this command ("start", "restart", "resume" or "finished", which is
    said, and with --json its record printed), and the ceiling of epochs it gives (--epochs, --set or
    --config)."""
    from attncli.auto_resume import (
        auto_resume_action,
        finished_note,
        finished_record,
        require_same_settings,
        require_same_source,
        typed_settings,
    )
    from attncli.config_loading import load_config
    from attncli.sized_settings import SIZED_KEYS
    from attncli.train import require_unchanged_data

    if resume is not None or overwrite:
        given = "--resume" if resume is not None else "--overwrite"
        raise ConfigError(
            f"--auto-resume starts or resumes the run in --output as it finds it, so {given} has no place "
            "beside it; drop one of them"
        )
    if output is None:
        raise ConfigError("--auto-resume needs --output FOLDER, the run to start there or to resume")
    typed = typed_settings(config, set_values, options, SIZED_KEYS)
    asked = load_config(config, set_values, options)
    ceiling = asked.train.epochs if "train.epochs" in typed else None
    action = auto_resume_action(output, ceiling)
    main = os.environ.get("RANK", "0") == "0"
    if action.action == "restart" and main:
        say(
            f"note: --auto-resume trains the run in {output} again from its start: it stopped before it "
            "saved a last/ checkpoint to resume from"
        )
    if action.action in ("start", "restart"):
        return action.action, ceiling
    require_same_settings(output, asked, typed)
    if action.action == "resume":
        if main:
            say(f"note: --auto-resume: resuming the run in {output}, which has epochs (or its refit) left")
        return "resume", ceiling
    require_same_source(output, asked.data.source)
    require_unchanged_data(output, asked.data.source)
    if main:
        say(finished_note(action.finished))
        if as_json:
            print_json([finished_record(output)])
    return "finished", ceiling


def _print_train_summary(result: Any, *, as_json: bool, auto_resumed: str | None = None) -> None:
    """The summary of a finished run on stdout (by the first process alone under torchrun): a table,
    or one JSON object for scripts, metrics.json's record with the run's folders and its settings
    (those sized to the data resolved), so that a sweep can tabulate its runs from this alone."""
    if not result.is_main:
        return
    try:
        _print_summary(result, as_json=as_json, auto_resumed=auto_resumed)
        sys.stdout.flush()  # here, to say what was kept: at the command's end it said only the failure
    except DataError as error:  # standard output full or gone: the run was trained and saved all the same
        shown = shlex.quote(str(result.output))
        raise DataError(f"{error}; the run itself is saved in {result.output} (attn info {shown})") from None


def _print_summary(result: Any, *, as_json: bool, auto_resumed: str | None) -> None:
    from attncli.render import render_train_summary, summary_warnings

    if as_json:
        folders = {"output": str(result.output), "best": str(result.output / "best")}
        record = {**folders, "last": str(result.output / "last"), **result.metrics.to_json()}
        resumed = {"auto_resume": auto_resumed} if auto_resumed is not None else {}  # as "finished" is
        print_json([{**record, "config": result.config.to_dict(), **resumed}])
        for warning in summary_warnings(result):  # for the person, beside the JSON
            say(warning)
        return

    from attncli.render.consoles import print_unpadded

    console = stdout_console(unwrapped_when_piped=True)
    if console.is_terminal:
        console.print(render_train_summary(result))
    else:  # into a log (a scheduler's job output), a line each: `grep saved job.out` found half a path
        print_unpadded(console, render_train_summary(result, boxed=False))


def _termination_interrupts() -> contextlib.AbstractContextManager[None]:
    """SIGTERM (`timeout`, systemd, Kubernetes) and SIGHUP (the terminal closed, an ssh connection
    dropped) stop `attn train` as Ctrl-C does in every phase, not only in the training loop, which
    installs its own handler to finish the step and save last/ first: while data, tokenizer and
    model are prepared, nothing is left behind (without it the process died at once, leaving a lock
    file in a new folder). Once is enough: a second signal during that cleanup is ignored. A signal
    the user ignored (nohup's SIGHUP) stays ignored."""
    from attncli.signals import TERMINATION_SIGNALS, handled

    def interrupt(number: int, frame: Any) -> None:
        for terminating in TERMINATION_SIGNALS:
            signal.signal(terminating, signal.SIG_IGN)
        raise KeyboardInterrupt

    return handled(TERMINATION_SIGNALS, interrupt)


def _one_config_file(files: list[Path] | None) -> Path | None:
    """The one --config file: a second is refused, where it silently replaced the first."""
    if files and len(files) > 1:
        raise ConfigError(
            f"--config is given {len(files)} times ({', '.join(map(str, files))}); pass one file (a YAML "
            "file may hold every setting, and --set overrides any of them)"
        )
    return files[0] if files else None
