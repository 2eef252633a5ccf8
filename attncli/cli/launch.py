"""`attn train --nproc N`: the processes started through torchrun's launcher, in this process."""

from __future__ import annotations

import os
import signal
import tempfile
import traceback
from pathlib import Path

from attncli.cli.edge import say
from attncli.threads import usable_cores


def has_gpu() -> bool:
    import torch

    return bool(torch.cuda.is_available())


# How long torchrun's launcher lets the processes finish their step and write last/ after Ctrl-C or
# SIGTERM before it kills them (its own default, 30 s, is less than a large model's save may take).
SHUTDOWN_SECONDS = 600
LAUNCHER_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT")


def launcher_environment(nproc: int) -> dict[str, str]:
    """What torchrun's launcher is told through its environment (a value already set is kept): the
    threads of each process, how long to wait for the processes to save, and which signals to pass
    on, which leaves out those this process was started with ignored (a script's background job
    ignores SIGINT, nohup SIGHUP): ignored, they stay ignored in every process, as with one."""
    passed_on = [
        name
        for name in LAUNCHER_SIGNALS
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) != signal.SIG_IGN
    ]
    return {
        # torchrun sets one thread a process, with a warning, when it is not set: share the cores.
        "OMP_NUM_THREADS": str(max(1, usable_cores() // nproc)),
        "TORCH_ELASTIC_SHUTDOWN_TIMEOUT": str(SHUTDOWN_SECONDS),
        # torchrun's own option (--signals-to-handle, read from PET_SIGNALS_TO_HANDLE) sets the
        # variable its launcher reads, TORCHELASTIC_SIGNALS_TO_HANDLE, to every signal unless told:
        # setting only the latter left nohup's SIGHUP handled, and passed on to the processes.
        "PET_SIGNALS_TO_HANDLE": ",".join(passed_on),
    }


def launch_processes(
    nproc: int,
    arguments: list[str],
    *,
    debug: bool,
    run_folder: Path | None = None,
    resume_epochs: int | None = None,
) -> int:
    """Run `attn <arguments>` on `nproc` processes through torchrun's launcher, in this process, and
    return the exit code: the processes' own (rank 0 prints the one line), 130 when Ctrl-C or SIGTERM
    stopped them (they keep last/ and say how to resume). torchrun's log and traceback of a failed
    process are shown only with --debug. `resume_epochs`: the --epochs of a --resume, which raises
    the ceiling last/ was saved with."""
    import logging

    if not debug:  # torch.distributed.elastic gives each logger its level from LOGLEVEL when made
        os.environ.setdefault("LOGLEVEL", "CRITICAL")
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    from attncli.checkpoint_folder import CONFIG_FILE, LAST
    from attncli.run_folder import resume_command

    if not debug:  # and those made before (an earlier import) keep theirs: quieten them too
        for name, logger in list(logging.root.manager.loggerDict.items()):
            if name.startswith("torch.distributed") and isinstance(logger, logging.Logger):
                logger.setLevel(logging.CRITICAL)
    for name, value in launcher_environment(nproc).items():
        os.environ.setdefault(name, value)
    # torchrun starts each process in a session of its own: Ctrl-C reaches this launcher alone, and it
    # passes the signal on once to every process, which stops after its step and keeps last/.
    launch = ["--standalone", f"--nproc_per_node={nproc}"]
    # torchrun's launcher makes a log folder in TMPDIR for every run and leaves it there (empty unless
    # told to redirect output): give it one that goes when the run ends, unless PET_LOG_DIR names one.
    log_folder = None
    if "PET_LOG_DIR" not in os.environ:
        log_folder = tempfile.TemporaryDirectory(prefix="attn-torchrun-", ignore_cleanup_errors=True)
        launch.append(f"--log-dir={log_folder.name}")
    try:
        run(parse_args([*launch, "-m", "attncli", *arguments]))
    except SignalException:
        return 130
    except ChildFailedError as failed:
        codes = {rank: failure.exitcode for rank, failure in sorted(failed.failures.items())}
        # The process killed first, by something other than the launcher's own SIGTERM to the rest.
        killed = sorted(
            ((rank, -code) for rank, code in codes.items() if code < 0),
            key=lambda killed_rank: killed_rank[1] == signal.SIGTERM,
        )
        if killed:  # the OOM killer, say: the process could not say it, so the launcher does
            rank, number = killed[0]
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = "unknown"
            kept = ""
            if run_folder is not None and (run_folder / LAST / CONFIG_FILE).is_file():
                from attncli.refit import killed_after_training

                # Killed once the run had done all it had to: last/ has nothing to resume.
                finished = killed_after_training(run_folder, epochs=resume_epochs)
                if finished is not None and 0 not in codes and all(code < 0 for code in codes.values()):
                    # Rank 0 saved the whole run and ended well; another process died as it shut
                    # down (gloo's threads torn down at exit abort it, SIGABRT, in about 1 run in 7
                    # of the test suite): the run is complete, and said to be with exit 0.
                    say(
                        f"note: training process {rank} ended by signal {number} ({name}) as it shut "
                        f"down, after the run had finished: {finished}"
                    )
                    return 0
                kept = (
                    f"; {finished}"
                    if finished is not None
                    else f"; {run_folder / LAST} keeps the newest state saved: resume with "
                    f"{resume_command(run_folder, nproc, epochs=resume_epochs)}"
                )
            say(
                f"error: training process {rank} was killed by signal {number} ({name}){kept}; rerun with "
                "--debug for torchrun's log"
            )
        if codes.get(0, 0) > 0:
            return codes[0]  # rank 0 printed why
        exited = [code for code in codes.values() if code > 0]
        return max(exited) if exited else 1  # attn's own exit codes (the others stopped when one ended)
    except Exception as error:  # the launcher itself: a port taken, a rendezvous that failed
        if debug:
            traceback.print_exc()
        say(f"error: could not start {nproc} processes: {error}")
        return 1
    finally:
        if log_folder is not None:
            log_folder.cleanup()
    return 0
