"""`attn info`: what a checkpoint is, read from its JSON files alone (no torch)."""

from __future__ import annotations

import shlex

from attncli.cli.edge import missing_best, print_json, replacement_note, run_command, say, stdout_console
from attncli.cli.options import CheckpointArg, DebugOption, JsonReportOption
from attncli.errors import CheckpointError


def info(checkpoint: CheckpointArg, as_json: JsonReportOption = False, debug: DebugOption = False) -> None:
    """Show what a checkpoint is: labels, model, training, versions and whether its files are intact."""

    def action() -> None:
        from attncli.checkpoint_folder import LAST
        from attncli.info import describe_checkpoint

        described = describe_checkpoint(checkpoint)
        if (replacing := replacement_note(checkpoint, described.path)) is not None:
            say(replacing)
        if as_json:
            print_json([described.to_json()])
        else:
            from attncli.render import render_info
            from attncli.render.consoles import print_unpadded

            console = stdout_console(unwrapped_when_piped=True)
            if console.is_terminal:
                console.print(render_info(described))
            else:  # each line as long as what it says
                print_unpadded(console, render_info(described, boxed=False))
        if described.damaged:  # shown in full above; the exit code lets a script tell too
            raise CheckpointError(
                f"{described.path} is not as it was saved ({', '.join(described.damaged)}, as the checksums "
                "in config.json tell); restore those files from a backup, or train again"
            )
        if described.path != checkpoint and described.path.name == LAST:
            # A run folder with no best/: described from last/, which predict and eval refuse to use
            # (a gate `attn info "$RUN" && deploy "$RUN"` passed it, an ops trial found).
            why, finished = missing_best(described.path)
            then = (
                f"pass {shlex.quote(str(described.path))} to use it"
                if finished
                else f"attn train --resume {shlex.quote(str(checkpoint))} goes on with it"
            )
            raise CheckpointError(
                f"{checkpoint} has no best/ ({why}), so predict and eval refuse it; shown above is its last/ "
                f"({then})"
            )

    run_command(action, debug=debug)
