"""What a failed run keeps and says: its folder as the last saved state left it, or put back as it was,
and whether a failure is another training process gone rather than this one's own."""

from __future__ import annotations

import re

from attncli.prepare import Prepared
from attncli.run_folder import RunFolder
from attncli.train_state import TrainState


def keep_what_was_saved(
    state: TrainState, prepared: Prepared, folder: RunFolder, *, resumed: bool, epochs_before: int
) -> str:
    """After a run failed (a non-finite loss): what its folder keeps, said in words. A run that saved
    nothing of its own leaves the folder as it was, its earlier run put back after --overwrite, so
    the same command can be run again once its cause is fixed. `epochs_before`: the epochs the run
    had ended before this process took it up (a resumed run's)."""
    if len(state.history) > epochs_before:  # last/ was saved when this process ended an epoch
        epoch = state.history[-1].epoch
        return f"{folder.last} holds the state at the end of epoch {epoch}, {folder.best} the best epoch"
    if resumed:
        return f"{folder.last} holds the state the run resumed from"
    return nothing_kept(folder, prepared)


def nothing_kept(folder: RunFolder, prepared: Prepared) -> str:
    """Put the folder back as it was before this run (its earlier run too, after --overwrite), so
    that the same command can be run again, and say so."""
    replaced = folder.replaces_a_run()
    if prepared.distributed.is_main:
        folder.discard_this_run()
    if replaced:
        return f"nothing of this run was kept, and {folder.path} holds the earlier run again"
    return f"nothing of this run was kept, and {folder.path} is as it was"


# What gloo and NCCL say when a collective's other process is gone: they raise a plain RuntimeError.
PEER_LOST = ("connection closed by peer", "connection reset by peer", "remote process exited", "broken pipe")


def peer_lost(error: RuntimeError) -> bool:
    """Whether `error` is a collective failing because another process is gone, rather than this
    process's own failure (an out-of-memory error, a bug), which must be reported as it is."""
    import torch

    if isinstance(error, torch.OutOfMemoryError):
        return False
    distributed_error = getattr(torch.distributed, "DistNetworkError", ())
    return isinstance(error, distributed_error) or any(words in str(error).lower() for words in PEER_LOST)


def peer_error_text(error: RuntimeError) -> str:
    """gloo's or NCCL's words for a lost process, without its source file and its general advice."""
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return re.sub(r"^\[[^\]]*\]\s*", "", first_line).split(". This is typically")[0][:200]
