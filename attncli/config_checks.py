"""The checks each settings section's `__post_init__` runs on its values: a ConfigError that names
the setting and what it must be."""

from __future__ import annotations

from attncli.errors import ConfigError


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def require_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    require(value in choices, f"{name} must be one of {', '.join(choices)}, not {value!r}")


def require_path_or_none(key: str, path: str | None, what: str) -> None:
    """An empty path (`""` in a YAML file) named the working folder: "is a folder", or "does not
    exist", about a name the error could not show."""
    require(path is None or path.strip() != "", f"{key} is empty; give the path of {what}, or leave it out")
