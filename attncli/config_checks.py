"""The checks each settings section's `__post_init__` runs on its values: a ConfigError that names
the setting and what it must be."""

from __future__ import annotations

import dataclasses
from typing import Any

from attncli.errors import ConfigError


def typed_fields(section: Any, name: str) -> None:
    """Each field of the settings section `section` (named `name`: `train`) checked and typed as a
    config file's or --set's value is (2.0 epochs as 2, a Path as its text, True refused as a seed),
    so that one built in Python is refused where it is built: `TrainConfig(epochs=2.5)` trained, and
    its checkpoint was then refused as damaged; a Path as data.source ended in YAML's error."""
    from attncli.settings import field_types, typed_setting

    types = field_types(type(section))
    for item in dataclasses.fields(section):
        value = typed_setting(f"{name}.{item.name}", getattr(section, item.name), types[item.name])
        object.__setattr__(section, item.name, value)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


# The literature's other names for choices attn spells its own way: `rotary`, as the README calls
# it, was refused with the list alone (a trial).
OTHER_NAMES = {
    "rotary": "rope", "roformer": "rope", "sinusoid": "sinusoidal", "sine": "sinusoidal",
    "absolute": "learned", "bahdanau": "additive", "luong": "dot", "scaled": "scaled_dot",
    "scaled_dot_product": "scaled_dot", "dot_product": "dot",
    "mean_pooling": "mean", "average": "mean", "avg": "mean", "wordlevel": "word", "sentencepiece": "unigram",
    "nope": "none", "no_position": "none", "max_pooling": "max", "cls_pooling": "cls",
    "attention_pooling": "attention", "relative_position": "relative", "relative_positions": "relative",
    "head_tail": "head+tail", "headtail": "head+tail", "head_and_tail": "head+tail", "both": "head+tail",
    "start": "head", "first": "head", "end": "tail", "last": "tail",
}  # fmt: skip


def require_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value in choices:
        return
    import difflib

    folded = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    meant = OTHER_NAMES.get(folded) or OTHER_NAMES.get(folded.replace("_", ""))
    if meant not in choices:
        close = difflib.get_close_matches(folded, choices, n=1, cutoff=0.75)
        meant = close[0] if close else (folded if folded in choices else None)
    hint = f" (did you mean {meant}?)" if meant else ""
    raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}{hint}")


def require_path_or_none(key: str, path: str | None, what: str) -> None:
    """An empty path (`""` in a YAML file) named the working folder: "is a folder", or "does not
    exist", about a name the error could not show."""
    require(path is None or path.strip() != "", f"{key} is empty; give the path of {what}, or leave it out")
