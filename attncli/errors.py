"""The errors attn raises for problems a user can fix; only the CLI turns them into messages."""


class AttnError(Exception):
    """A problem attn can explain in one line. `exit_code` is what the CLI exits with."""

    exit_code = 1


class ConfigError(AttnError):
    """A setting is unknown, malformed or contradicts another one."""

    exit_code = 2


class DataError(AttnError):
    """The data cannot be found, read or used for classification."""

    exit_code = 2


class CheckpointError(AttnError):
    """A checkpoint folder is missing, incomplete, or would overwrite existing work."""

    exit_code = 2


class TrainingError(AttnError):
    """Training failed while running (for example the loss became NaN)."""

    exit_code = 1


class TrainingInterrupted(AttnError):
    """Training stopped on Ctrl-C or SIGTERM after saving its state; the message says how to resume."""

    exit_code = 130
