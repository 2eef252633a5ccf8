"""Dotted settings (`model.embed_dim`): which exist, a `Config` with some of them replaced, each
checked and typed as `--set` types it, and values written back as `--set` takes them."""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import types
import typing
from typing import Any

import yaml

from attncli.config import Config
from attncli.errors import ConfigError
from attncli.migrations import is_removed_setting, removed_settings_used
from attncli.sized_settings import DETECTED_KEYS, SIZED_KEYS
from attncli.streams import acts_on_terminal


def section_names() -> frozenset[str]:
    """The sections settings belong to: data, tokenizer, model, train."""
    return frozenset(item.name for item in dataclasses.fields(Config))


def valid_keys() -> list[str]:
    """Every settable dotted key, such as `model.embed_dim`."""
    return [
        f"{section.name}.{key.name}"
        for section in dataclasses.fields(Config)
        for key in dataclasses.fields(section.default_factory())  # type: ignore[misc, operator]
    ]


def as_typed(value: Any) -> str:
    """A setting's value as `--set` takes it (YAML): true, not Python's True. Letters and emoji are
    written as they are (`café`, not `"caf\\xE9"`), unless the value holds a character a terminal
    would act on (a bidi control, a line separator), which YAML's escapes then keep visible."""
    text = _flow_yaml(value, allow_unicode=True)
    # A space YAML does not count as one (U+00A0, U+3000) at either end of the text is written
    # plainly and would be lost to the reader's strip: escaped, as a terminal control is.
    if any(map(acts_on_terminal, text)) or text != text.strip():
        return _flow_yaml(value, allow_unicode=False)
    return text


def _flow_yaml(value: Any, *, allow_unicode: bool) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 20, allow_unicode=allow_unicode)
    return text.removesuffix("\n").removesuffix("\n...").removesuffix("\n")


def settings_text(settings: dict[str, Any]) -> str:
    """Dotted settings as one line of `key=value`, each value as --set takes it."""
    return " ".join(f"{key}={as_typed(value)}" for key, value in settings.items())


def changed_settings(config: Config) -> dict[str, Any]:
    """The dotted settings whose values differ from the defaults, in config order."""
    defaults = flatten(Config().to_dict())
    return {key: value for key, value in flatten(config.to_dict()).items() if defaults[key] != value}


def flatten(values: dict[str, Any]) -> dict[str, Any]:
    """A config file's sections as dotted settings (a dotted key at the top, `model.positional:
    rope`, is one already); a setting given both ways is refused, as is a section that is no mapping."""
    flat: dict[str, Any] = {}
    for section, entries in values.items():
        if isinstance(entries, dict):
            pairs = [(f"{section}.{key}", value) for key, value in entries.items()]
        elif str(section) in section_names():
            raise ConfigError(
                f"section {section!r} must be a mapping of settings (indented `name: value` lines "
                f"under `{section}:`), not {as_typed(entries)}"
            )
        else:
            pairs = [(str(section), entries)]
        for key, value in pairs:
            if key in flat:
                raise ConfigError(f"{key} is given twice in the config file; keep one of them")
            flat[key] = value
    return flat


def with_settings(config: Config, values: dict[str, Any]) -> Config:
    """`config` with each dotted setting in `values` replaced, checked and typed as for --set."""
    known = valid_keys()
    by_section: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if key not in known and is_removed_setting(key):
            # An old config file's: refused where it asks for what attn no longer builds, and
            # ignored at the value that built the model attn builds today, as checkpoints' are.
            if removed_settings_used({key.partition(".")[2]: value}):
                raise ConfigError(
                    f"{key} is a setting attn no longer has (character n-gram and word-pair vectors, "
                    "removed since they did not help: docs/short_texts.md); delete it to train without them"
                )
            continue
        if key not in known:
            raise ConfigError(f"unknown setting {key!r}; {_unknown_hint(key, known)}")
        section, name = key.split(".", 1)
        by_section.setdefault(section, {})[name] = value
    # Each section checks and types its values as it is built (config_checks.typed_fields).
    sections = {name: dataclasses.replace(getattr(config, name), **new) for name, new in by_section.items()}
    return dataclasses.replace(config, **sections)


# What other trainers call attn's settings (Hugging Face, PyTorch, fastText, Keras): spelling is
# not what stands between `train.learning_rate` and `train.lr`, which closeness of letters missed
# (it offered train.calibrate, train.warmup_ratio, train.adversarial: a trial).
OTHER_NAMES = {
    "train.lr": ("learning_rate", "learningrate", "lr_rate", "eta"),
    "train.epochs": ("num_epochs", "n_epochs", "max_epochs", "num_train_epochs", "epoch"),
    "train.batch_size": ("bs", "batch", "train_batch_size", "per_device_train_batch_size"),
    "train.patience": ("early_stopping", "early_stopping_patience"),
    "train.weight_decay": ("wd", "decay", "l2"),
    "train.grad_clip": ("clip", "max_grad_norm", "gradient_clipping", "clip_grad_norm"),
    "train.warmup_ratio": ("warmup", "warmup_steps", "warmup_proportion"),
    "train.precision": ("fp16", "bf16", "amp", "mixed_precision"),
    "train.seed": ("random_seed", "random_state"),
    "model.embed_dim": (
        "hidden_size", "hidden_dim", "d_model", "dim", "embedding_dim", "emb_dim", "embedding_size", "width",
    ),
    "model.num_heads": ("n_heads", "heads", "nhead", "num_attention_heads", "attention_heads"),
    "model.num_layers": ("n_layers", "layers", "nlayers", "num_hidden_layers", "depth"),
    "model.ff_dim": ("ffn_dim", "intermediate_size", "dim_feedforward", "feedforward_dim"),
    "model.embeddings_init": (
        "vectors", "pretrained", "pretrained_vectors", "pretrained_embeddings", "embeddings", "word_vectors",
        "glove", "word2vec", "fasttext",
    ),
    "model.positional": (
        "rope", "alibi", "position", "positions", "positional_encoding", "pos_encoding",
        "position_embeddings",
    ),
    "model.max_length": ("max_len", "max_seq_length", "max_seq_len", "seq_len", "sequence_length"),
    "tokenizer.min_frequency": ("min_count", "min_freq"),
    "data.validation_fraction": ("val_fraction", "validation_split", "val_split", "dev_fraction"),
}  # fmt: skip


def _unknown_hint(key: str, known: list[str]) -> str:
    """What `key`, a setting attn does not have, may have meant."""
    name = key.rpartition(".")[2]
    if key in section_names():  # `--set model=rope`
        return f"{key} is a section, not a setting; give {key}.NAME=VALUE (configs/default.yaml lists them)"
    # A setting's own name without its section (`lr`, `epochs`) finds it too, as do other tools' names.
    named = [valid for valid in known if valid.rpartition(".")[2] == name]
    # camelCase as snake_case too: fastText's pretrainedVectors and minCount (a trial).
    spellings = {name.lower().replace("-", "_"), re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()}
    named += [
        valid for valid, others in OTHER_NAMES.items() if spellings & set(others) and valid not in named
    ]
    close = named or difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    return f"did you mean {', '.join(close)}?" if close else "see configs/default.yaml"


def typed_setting(key: str, value: Any, annotation: Any) -> Any:
    """`value` of the setting `key` (whose type is `annotation`), checked and typed as --set types it."""
    # `--set model.embed_dim=auto`: the empty value, which sizes the setting to the data (or, for a
    # column, finds it in the data); a sized one's AUTO too, which was "must be a whole number" (a
    # column may be named Auto).
    if isinstance(value, str) and (
        (value == "auto" and key in DETECTED_KEYS) or (value.strip().lower() == "auto" and key in SIZED_KEYS)
    ):
        return None
    try:
        return _coerce(key, value, annotation)
    except ConfigError as error:
        if (
            key in SIZED_KEYS
            and isinstance(value, str)
            and value.strip().lower() in ("none", "null", "default")
        ):
            raise ConfigError(f"{error}; {key}=auto sizes it to the data") from None
        raise


def field_types(section: type) -> dict[str, Any]:
    """The types of a settings section's fields, as `typing` resolves their annotations (once)."""
    if section not in _FIELD_TYPES:
        _FIELD_TYPES[section] = typing.get_type_hints(section)
    return _FIELD_TYPES[section]


_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def _coerce(key: str, value: Any, annotation: Any) -> Any:
    """Check `value` against the field's type, converting only where nothing is lost (int -> float).
    A union tries its types in order."""
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    named = " or ".join(_type_name(option) for option in options if option is not type(None))
    names = KINDS_NAMED.get(key, named)
    if isinstance(value, os.PathLike):  # a Path from Python, as the path it names
        value = os.fspath(value)
    if type(value).__module__ == "numpy" and hasattr(value, "item"):  # np.int64(2), from a sweep's grid
        value = value.item()
    if isinstance(value, tuple):  # a list, from Python
        value = list(value)
    # Rows in memory, from Python (a list of file names, from a config file, is only the wrong type).
    rows = key == "data.source" and (
        isinstance(value, dict)
        or (isinstance(value, list) and not all(isinstance(item, str) for item in value))
    )
    if isinstance(value, dict) and None in value:  # `{null: 4}`, `{~: 4}` or `{: 4}`, as YAML reads them
        weight = value[None] if isinstance(value[None], (int, float, str)) else 4
        raise ConfigError(
            f"{key} has a name that is no text (null: YAML reads null, ~ and an empty name so); quote a "
            f"label named null: {{'null': {weight}}}"
        )
    if rows or not _is_plain(value):
        # A DataFrame or a Dataset given to the Python API: it was pandas' "truth value is
        # ambiguous" or YAML's "cannot represent an object".
        hint = IN_MEMORY_DATA_HINT if key == "data.source" else ""
        kind = type(value).__name__
        raise ConfigError(
            f"{key} must be {names}, not {'an' if kind[0] in 'aeiouAEIOU' else 'a'} {kind}{hint}"
        )
    if value is None:
        if type(None) in options:
            return None
        raise ConfigError(f"{key} needs a value")
    for option in options:
        if option is type(None):
            continue
        try:
            return _coerce_one(key, value, option)
        except ConfigError:
            continue
    if value == "auto":  # what sized settings take
        raise ConfigError(f"{key} must be {names}; auto sizes only {', '.join(SIZED_KEYS)}")
    shown = repr(value) if isinstance(value, str) else as_typed(value)  # true, as YAML writes it
    # `positional: no` in a config file is YAML's false, not the word: say why a word became a
    # boolean (which values the setting takes, the message's start says).
    quoting = (
        " (YAML reads an unquoted yes, no, on or off as true or false)"
        if isinstance(value, bool) and str in options
        else ""
    )
    raise ConfigError(
        f"{key} must be {names}, not {_shortened(shown)}{_wrong_item(key, value, options)}{quoting}"
    )


def _wrong_item(key: str, value: Any, options: tuple[Any, ...]) -> str:
    """Which item of a list is what a list setting cannot hold ("'abc' is not a finite number"),
    where a list was given for one: the whole list quoted back did not say. And a mapping's name
    with a colon and no value: `{tech:4}`, no space after the colon, is YAML's {"tech:4": null}."""
    if isinstance(value, dict) and any(":" in str(name) and item is None for name, item in value.items()):
        return "; put a space after each colon ({tech: 4})"
    if isinstance(value, dict) and any(item is None for item in value.values()):
        # `{Economics, Finance: 4}`: a label with a comma, unquoted, is two names to YAML (a cataloguer's).
        return """; give each name a weight, and quote a name that holds a comma: {"Economics, Finance": 4}"""
    if isinstance(value, dict) and any(isinstance(name, bool) for name in value):
        return "; quote a name that YAML reads as true or false (yes, no, on, off): {'yes': 4}"
    items = [typing.get_args(option)[0] for option in options if typing.get_origin(option) is list]
    if not isinstance(value, list) or not items:
        return ""
    for element in value:
        try:
            _coerce_one(key, element, items[0])
        except ConfigError:
            return f" ({_shortened(repr(element))} is not {_type_name(items[0])})"
    return ""


# What a setting takes, in words, where its type says it less well ("text" for the one text, auto).
KINDS_NAMED = {"train.class_weights": "auto, a list of numbers or a mapping of labels to numbers"}
# The data of a training run is read from where it is kept, so that the checkpoint can record it.
IN_MEMORY_DATA_HINT = (
    "; pass a path or a Hub dataset name: save a Dataset with .save_to_disk(FOLDER), or a pandas "
    "DataFrame with .to_csv(FILE, index=False), and pass that"
)
# How much of a value an error quotes: a list of 10,000 rows given as a setting was a message of
# 100,000 characters.
SHOWN_CHARACTERS = 80


def _shortened(text: str) -> str:
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


def _is_plain(value: Any) -> bool:
    """Whether `value` is what a YAML file or --set can hold: text, a number, true/false, null, or
    lists and mappings of them."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, list):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(name, (str, int, float)) and _is_plain(item) for name, item in value.items())
    return False


_TYPE_NAMES = {float: "a finite number", int: "a whole number", bool: "true or false", str: "text"}


def _type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is dict:
        return "a mapping of names to numbers"
    if typing.get_origin(annotation) is list:
        item = typing.get_args(annotation)[0]
        return f"a list of {'numbers' if item in (int, float) else _TYPE_NAMES.get(item, item.__name__)}"
    return _TYPE_NAMES.get(annotation, annotation.__name__)


def _coerce_one(key: str, value: Any, base: Any) -> Any:
    if typing.get_origin(base) is list:
        if isinstance(value, list):
            (item,) = typing.get_args(base)
            return [_coerce_one(key, element, item) for element in value]
    elif typing.get_origin(base) is dict:
        if isinstance(value, dict):  # names as text: YAML reads the label 1 in {1: 4} as a number
            _, item = typing.get_args(base)
            if not any(isinstance(name, bool) for name in value):  # YAML's yes, no: see _wrong_item
                return {str(name): _coerce_one(key, element, item) for name, element in value.items()}
    elif base is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):  # quoted in YAML
            return value.strip().lower() == "true"
    elif base is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():  # `epochs: 2.0`
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):  # `epochs: "3"`
            return int(value)
    elif base is float:
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):  # YAML reads 1e-3 (no dot) as a string
            try:
                number = float(value)
            except ValueError:
                pass
        if number is not None and math.isfinite(number):  # inf and nan end in a nan loss
            return number
    elif base is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    raise ConfigError(f"{key} must be {_type_name(base)}, not {_shortened(repr(value))}")
