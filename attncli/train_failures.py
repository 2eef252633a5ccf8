"""What a failed run keeps and says: its folder as the last saved state left it, or put back as it was,
and whether a failure is another training process gone rather than this one's own."""

from __future__ import annotations

import re

from attncli.prepare import Prepared
from attncli.run_folder import RunFolder, replaced_kept
from attncli.run_writer import RunWriter


def keep_what_was_saved(prepared: Prepared, folder: RunFolder, run: RunWriter, *, resumed: bool) -> str:
    """After a run failed (a non-finite loss, memory run out, a bug): what its folder keeps, said in
    words, from what `run` saved whole (a save that failed midway left the one before). A run that
    saved nothing of its own leaves the folder as it was, its earlier run put back after
    --overwrite, so the same command can be run again once its cause is fixed."""
    # A run that replaces an earlier one (--overwrite) and saved a best/ keeps the earlier run aside.
    aside = replaced_kept(folder.path) if prepared.distributed.is_main else ""
    if run.saved_last_epoch is not None:
        epoch, best = run.saved_last_epoch, folder.best
        return f"{folder.last} holds the state at the end of epoch {epoch}, {best} the best epoch{aside}"
    if resumed:
        return f"{folder.last} holds the state the run resumed from{aside}"
    if run.saved_best_epoch is not None:
        return (
            f"{folder.best} holds epoch {run.saved_best_epoch}, the best so far, but without last/ the run "
            f"cannot be resumed{aside}"
        )
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

    if isinstance(error, torch.cuda.OutOfMemoryError):  # torch.OutOfMemoryError from torch 2.5 on
        return False
    distributed_error = getattr(torch.distributed, "DistNetworkError", ())
    return isinstance(error, distributed_error) or any(words in str(error).lower() for words in PEER_LOST)


def peer_error_text(error: RuntimeError) -> str:
    """gloo's or NCCL's words for a lost process, without its source file and its general advice."""
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return re.sub(r"^\[[^\]]*\]\s*", "", first_line).split(". This is typically")[0][:200]
