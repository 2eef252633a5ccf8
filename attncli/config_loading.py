"""load_config: a run's settings from the defaults, a YAML file (or a checkpoint's config.json),
`--set key=value` overrides and command-line options, in that order."""

from __future__ import annotations

import dataclasses
import difflib
import json
import shlex
import types
import typing
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from attncli.config import Config
from attncli.errors import ArgumentError, ConfigError
from attncli.joined_columns import parts_of
from attncli.settings import as_typed, flatten, settings_text, valid_keys, with_settings
from attncli.sized_settings import DETECTED_KEYS, SIZED_KEYS


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
) -> Config:
    """Defaults, then the YAML file at `path`, then `key=value` overrides, then `options`."""
    if isinstance(overrides, str):  # read letter by letter, it was refused as the setting 't'
        raise ArgumentError(f"overrides is a list of 'key=value' settings; pass [{overrides!r}]")
    values: dict[str, Any] = {}
    if path is not None:
        values.update(flatten(_read_yaml(Path(path))))
    overridden: dict[str, Any] = {}
    typed: dict[str, str] = {}  # each --set as the user typed it
    for override in overrides:
        key, value = _parse_override(override)  # a later --set of a key wins, as in a layered list
        values[key] = overridden[key] = value
        typed[key] = override
    for key, value in (options or {}).items():
        if value is None:
            continue
        if key in overridden and setting_value(key, overridden[key]) != setting_value(key, value):
            # Neither can be taken silently: the user typed both and meant one of them.
            # attn train's options are named after their setting's last part (--lr, --max-length).
            given = "DATA" if key == "data.source" else "--" + key.rsplit(".", 1)[-1].replace("_", "-")
            shown = value if isinstance(value, str) else as_typed(value)
            raise ConfigError(
                f"{key} is given twice, as --set {shlex.quote(typed[key])} and as {given} "
                f"{shlex.quote(shown)}; give it once"
            )
        values[key] = value
    return with_settings(Config(), values)


def setting_value(key: str, value: Any) -> Any:
    """`value` as setting `key` holds it (--set train.lr=1e-3 and --lr 0.001 are one value)."""
    section, name = key.split(".", 1)
    return getattr(getattr(with_settings(Config(), {key: value}), section), name)


def given_settings(overrides: list[str] | tuple[str, ...], options: dict[str, Any]) -> set[str]:
    """The dotted settings a command gives on its command line: its options' (those given) and its
    --set's."""
    given = {key for key, value in options.items() if value is not None}
    return given | {override.partition("=")[0].strip() for override in overrides}


def config_file_keys(path: str | Path) -> set[str]:
    """The dotted settings a config file sets (a checkpoint's config.json sets them all)."""
    return set(flatten(_read_yaml(Path(path))))


def _checkpoint_settings(header: dict[str, Any], path: Path) -> dict[str, Any]:
    """The settings a checkpoint's config.json saved (every sized one resolved), brought up to
    today's names, so that `--config RUN/best/config.json` trains with a run's settings."""
    from attncli.checkpoint_folder import FORMAT_VERSION
    from attncli.migrations import migrate_header, removed_settings_used

    version = header["format_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(
            f"config file {path} is a checkpoint's config.json with format_version {version!r}, which no "
            "attn wrote; restore the file from a backup of the checkpoint"
        )
    if version > FORMAT_VERSION:
        raise ConfigError(
            f"config file {path} is the config.json of a checkpoint in format {version}, newer than this "
            f"attn reads ({FORMAT_VERSION}); upgrade attn"
        )
    saved = header.get("config")
    model = saved.get("model") if isinstance(saved, dict) else None
    model = model if isinstance(model, dict) else {}
    used = removed_settings_used(model)
    if used:
        raise ConfigError(
            f"config file {path} sets model.{used[0]}={model[used[0]]!r}, which attn no longer has "
            "(character n-gram and word-pair vectors); copy the file without it to train with the rest"
        )
    settings: dict[str, Any] = migrate_header(header, FORMAT_VERSION)["config"]
    # Where the run's data is, as eval finds it: the absolute path it recorded while that is there, so
    # `attn train --config RUN/best/config.json` from another folder trains on the same data, not on
    # a Hub dataset named after its relative path.
    recorded = header.get("data_path")
    if (
        isinstance(recorded, str)
        and recorded
        and Path(recorded).exists()
        and isinstance(settings.get("data"), dict)
    ):
        settings["data"]["source"] = recorded
    model = settings.get("model")
    vectors = _recorded_vectors_path(_metrics_beside(path))
    if isinstance(model, dict) and model.get("embeddings_init") and vectors is not None:
        model["embeddings_init"] = vectors  # likewise the pretrained vectors it started from
    return settings


def _metrics_beside(config_path: Path) -> dict[str, Any]:
    """The metrics.json beside a checkpoint's config.json, as read; empty where there is none, or
    none that reads as a mapping."""
    try:
        metrics = json.loads(config_path.with_name("metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return metrics if isinstance(metrics, dict) else {}


def _checkpoint_header(config_path: Path) -> dict[str, Any] | None:
    """The file at `config_path` as a checkpoint's config.json (its format_version and settings);
    None where it is another config file, or does not read."""
    try:
        header = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    is_checkpoint = isinstance(header, dict) and "format_version" in header
    return header if is_checkpoint and isinstance(header.get("config"), dict) else None


def _recorded_vectors_path(metrics: dict[str, Any]) -> str | None:
    """The absolute path of the pretrained vectors a checkpoint's run read, as its `metrics` record
    it, where the file there is still the one it read (its size and SHA-256); None where it is not,
    or where nothing is recorded (saved before attn recorded it)."""
    from attncli.checksums import digest_file_once

    record = metrics.get("embeddings_init")
    if not isinstance(record, dict):
        return None
    recorded, size, sha256 = record.get("absolute_path"), record.get("bytes"), record.get("sha256")
    if not (isinstance(recorded, str) and recorded and isinstance(sha256, str)):
        return None
    try:
        unchanged = Path(recorded).stat().st_size == size and digest_file_once(Path(recorded))[0] == sha256
    except OSError:  # gone, or not readable
        return None
    return recorded if unchanged else None


def _read_yaml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ConfigError(f"config file {path} is a folder; pass a YAML file, such as one in it")
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; pass an existing YAML file")
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (safe)
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"config file {path} is not UTF-8 text (byte {error.start + 1}); pass a YAML file, saved as UTF-8"
        ) from None
    except _DuplicateKey as duplicate:
        raise ConfigError(f"config file {path} {duplicate}; keep one of them") from None
    except RecursionError:
        raise ConfigError(
            f"config file {path} nests its values too deeply to read (hundreds of levels); "
            "pass a YAML file of attn's settings"
        ) from None
    except yaml.YAMLError as error:
        # A MarkedYAMLError knows where: "while parsing a flow sequence" alone does not say.
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        if "'\\t'" in problem:  # an editor's tab, which YAML refuses outside quotes
            problem += "; YAML takes no tabs outside quotes: replace them with spaces"
        raise ConfigError(f"config file {path} is not valid YAML{where}: {problem}") from error
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"config file {path} must hold a mapping of sections, not a {type(loaded).__name__}"
        )
    try:
        expanded = _expanded_values(loaded, {})
    except _HoldsItself:
        raise ConfigError(
            f"config file {path} holds a value inside itself (a YAML alias within its own anchor, "
            "`&a [*a]`); pass a file of attn's settings"
        ) from None
    if expanded > MAX_EXPANDED_VALUES:
        raise ConfigError(
            f"config file {path} uses YAML aliases that expand to over {MAX_EXPANDED_VALUES:,} values; "
            "attn's settings are a few dozen: pass a file of them"
        )
    if "format_version" in loaded and isinstance(loaded.get("config"), dict):
        # attn wrote it as JSON, escaping every character past ASCII: YAML reads an escaped emoji
        # (a surrogate pair) as two lone surrogates, JSON as the emoji.
        return _checkpoint_settings(json.loads(path.read_text(encoding="utf-8")), path)
    _require_settings(loaded, path)
    return loaded


# Values a config file may expand to through its aliases: `&a [lol x9]` nested 9 deep is 9^9 values
# in a few lines, which reading the settings walked at 100% of a core for minutes.
MAX_EXPANDED_VALUES = 100_000


class _HoldsItself(Exception):
    """A value of a YAML file holds itself, through an alias inside its own anchor."""


def _expanded_values(value: Any, counted: dict[int, int]) -> int:
    """How many values `value` holds once each alias is written out: each shared list or mapping is
    counted once (`counted`, by identity) and its count reused, so this takes as long as the file's
    own values, not their expansion."""
    if not isinstance(value, (list, dict)):
        return 1
    if counted.get(id(value)) == 0:  # still being counted: it holds itself
        raise _HoldsItself
    if id(value) not in counted:
        counted[id(value)] = 0
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        counted[id(value)] = 1 + sum(_expanded_values(item, counted) for item in items)
    return counted[id(value)]


def _require_settings(loaded: dict[Any, Any], path: Path) -> None:
    """Refuse a mapping that is not attn's settings (a checkpoint's metrics.json, another tool's
    config) in one line, rather than as an unknown setting named after its first key. Most of its
    keys must look like neither a section ("training" for train) nor a setting ("epochs"), so that a
    misnamed section or a flat file of settings still gets the closest setting."""
    sections = [section.name for section in dataclasses.fields(Config)]
    names = {key.rsplit(".", 1)[-1] for key in valid_keys()}

    def looks_like_settings(key: Any) -> bool:
        key = str(key).lower()
        return "." in key or key in names or bool(difflib.get_close_matches(key, sections, n=1, cutoff=0.6))

    if not loaded or 2 * sum(map(looks_like_settings, loaded)) >= len(loaded):
        return
    keys = ", ".join(map(str, list(loaded)[:4])) + (", ..." if len(loaded) > 4 else "")
    raise ConfigError(
        f"config file {path} holds no attn settings (its keys: {keys}); pass a YAML file of "
        f"{', '.join(sections[:-1])} and {sections[-1]} sections, or a checkpoint's config.json"
    )


def kept_sized_settings(path: Path, config: Config, given: Collection[str] = ()) -> dict[str, int]:
    """Where the config file is a checkpoint's config.json: the settings its run sized to its data
    (or kept as an earlier run sized them) that `config` keeps at those values, each with the
    number of training texts it was sized to; not those `given` again on the command line. A
    labelling loop's next round took the epochs and patience sized for 91 texts to 316."""
    header, sized = _checkpoint_header(path), _metrics_beside(path).get("sized")
    if header is None or not isinstance(sized, dict):
        return {}
    values, saved = flatten(config.to_dict()), flatten(header["config"])
    return {
        key: texts
        for key, texts in sized.items()
        if isinstance(key, str) and type(texts) is int and key not in given
        and values.get(key) is not None and values.get(key) == saved.get(key)
    }  # fmt: skip


# The settings the sizing rule chooses from another (README, "Defaults sized to the data"): the
# tokenizer's minimum frequency from its kind; the pooling heads from the width; the dropout from
# adversarial training, and that and rare-word dropout from the layers.
SIZED_WITH = {
    "tokenizer.kind": ("tokenizer.min_frequency", "train.subword_dropout"),
    "model.embed_dim": ("model.pooling_heads",),
    "model.num_layers": ("train.adversarial", "train.rare_word_dropout"),
    "train.adversarial": ("model.dropout",),
}


def sized_along(path: Path, config: Config, given: Collection[str] = ()) -> tuple[Config, str | None]:
    """Where the config file is a checkpoint's config.json and `--set KEY=auto` sizes one of its
    sized settings to the new data: `config` with the settings its rule sizes with it (SIZED_WITH)
    sized again too, where that run sized them and the command line leaves them be, and the note
    that says so. `--set tokenizer.kind=auto` kept the articles' minimum frequency of 2 beside whole
    words for 300 headlines, so that 47% of their training tokens were unknown (a README check)."""
    header, sized = _checkpoint_header(path), _metrics_beside(path).get("sized")
    if header is None or not isinstance(sized, dict):
        return config, None
    values, saved = flatten(config.to_dict()), flatten(header["config"])
    along: dict[str, list[str]] = {}  # each key asked for, with the keys sized along with it
    for asked in sorted(key for key in given if key in SIZED_WITH and values.get(key) is None):
        pending = [asked]
        while pending:
            for key in SIZED_WITH.get(pending.pop(), ()):  # pooling_heads and dropout size no other
                taken = any(key in keys for keys in along.values())
                if key in given or taken or key not in sized or values.get(key) is None:
                    continue
                if values.get(key) == saved.get(key):
                    along.setdefault(asked, []).append(key)
                    pending.append(key)
    if not along:
        return config, None
    said = "; ".join(
        f"{asked}=auto sizes {', '.join(keys[:-1]) + ' and ' if len(keys) > 1 else ''}{keys[-1]} to this "
        "data too"
        for asked, keys in along.items()
    )
    note = f"{said}, as one rule sizes them together; --set one to keep the run's value"
    return with_settings(config, dict.fromkeys(key for keys in along.values() for key in keys)), note


def sized_settings_note(path: Path, kept: dict[str, int], config: Config) -> str | None:
    """The note naming the `kept` settings (`kept_sized_settings`) and how to size them again."""
    if not kept:
        return None
    values = flatten(config.to_dict())
    counts = sorted(set(kept.values()))
    texts = (
        f"{counts[0]:,} training texts"
        if len(counts) == 1
        else f"{counts[0]:,} to {counts[-1]:,} training texts"
    )
    return (
        f"{path} sized {len(kept)} setting{'s' * (len(kept) != 1)} to its run's {texts}, kept here as they "
        f"were ({settings_text({key: values[key] for key in kept})}); --set KEY=auto sizes one to this data"
    )


def moved_data_note(path: Path, config: Config, given: Collection[str] = ()) -> str | None:
    """Where the config file is a checkpoint's config.json whose recorded training data (its absolute
    data_path) is gone, and DATA is not given again: the note that this run reads the path as typed,
    from here, which may be other data or none."""
    header = _checkpoint_header(path)
    recorded = header.get("data_path") if header is not None else None
    if "data.source" in given or not isinstance(recorded, str) or not recorded or Path(recorded).exists():
        return None
    typed = config.data.source
    if not isinstance(typed, str) or Path(typed).is_absolute() or Path(typed).resolve() == Path(recorded):
        return None  # the same path as recorded: training's own "not found" says the rest
    return (
        f"{path.parent} was trained on {recorded}, which is not there now, so this run reads its data as "
        f"it was typed, {config.data.source}, from here; pass DATA if that is not the data to train on"
    )


def carried_columns_hint(path: Path, config: Config, given: Collection[str], refusal: str) -> str | None:
    """Where training refused a text or label column that came from the config file, not from the
    command line (a checkpoint's config.json keeps the columns its data had; other data has others):
    the hint that says where the name came from and how to find the data's own."""
    carried = [
        (option, name)
        for key, option in (("data.text_column", "--text-column"), ("data.label_column", "--label-column"))
        if key not in given
        and isinstance(name := getattr(config.data, key.partition(".")[2]), str)
        and any(f"column {part!r} not found" in refusal for part in {name, *parts_of(name)})
    ]
    if not carried:
        return None
    names = " and ".join(repr(name) for _, name in carried)
    options = " ".join(f"{option} auto" for option, _ in carried)
    verb = "is" if len(carried) == 1 else "are"
    return f"{names} {verb} named by {path}; pass {options} to find this data's own"


def carried_encoding_refusal(path: Path, config: Config, given: Collection[str], refusal: str) -> str | None:
    """Where training refused the data in an encoding that came from the config file, not from the
    command line, and advised leaving --encoding out (a checkpoint's config.json keeps the encoding
    of the export it trained on, cp1252, and today's export is UTF-8): the refusal with the advice
    that works, and where the encoding came from. Leaving --encoding out kept the config's."""
    from attncli.encodings import is_utf8, utf8_advice_instead

    encoding = config.data.encoding
    if "data.encoding" in given or is_utf8(encoding):
        return None
    return utf8_advice_instead(refusal, f"data.encoding {encoding} is named by {path}")


def changed_vectors_note(path: Path, config: Config, given: Collection[str] = ()) -> str | None:
    """Where the config file is a checkpoint's config.json whose run started from pretrained vectors
    it recorded (size and SHA-256), and the file this run reads is not that file as it was: the note
    that this run starts from other vectors. It trained on them without a word (a user's trial). The
    recorded file is read while it is unchanged (`load_config`), so this is where it was edited or
    removed since, and the path as typed reads another file."""
    from attncli.checksums import digest_file_once
    from attncli.local_paths import local_path

    record = _metrics_beside(path).get("embeddings_init") if _checkpoint_header(path) is not None else None
    vectors = config.model.embeddings_init
    if "model.embeddings_init" in given or not isinstance(record, dict) or not vectors:
        return None
    size, sha256 = record.get("bytes"), record.get("sha256")
    if not isinstance(sha256, str):
        return None  # saved before attn recorded it
    try:
        read = local_path(vectors)  # as training reads it: ~ expanded
        same = read.stat().st_size == size and digest_file_once(read)[0] == sha256
    except OSError:
        return None  # not there: the setting's own check says so
    if same:
        return None
    return (
        f"{path.parent} started from the vectors {record.get('absolute_path') or vectors} as they were then "
        f"(SHA-256 {sha256[:12]}...); {vectors} is not that file now, so this run starts from other "
        "vectors; pass --set model.embeddings_init=PATH if these are not the ones to train with"
    )


def saved_processes_note(path: Path, world_size: int) -> str | None:
    """Where the config file is a checkpoint's config.json and its metrics.json says the run was
    trained on another number of processes: the --nproc that trains it the same way."""
    saved = _metrics_beside(path).get("processes")
    if _checkpoint_header(path) is None or type(saved) is not int or saved == world_size:
        return None
    processes = f"{saved} process{'es' * (saved != 1)}"
    return (
        f"{path.parent} was trained on {processes} and this run has {world_size}: each process draws its "
        f"own dropout masks, so pass --nproc {saved} to train it the same way"
    )


def raised_ceiling_note(path: Path, config: Config) -> str | None:
    """Where the config file is a checkpoint's config.json whose run a `--resume --epochs N` carried
    past the ceiling it started with, and this run keeps N: the schedule follows the ceiling, so
    this run, with N from its start, trains another model (a model-selection trial's rerun of an
    extended run's config gave 81.1% where the run had 73.0%)."""
    changes = _metrics_beside(path).get("ceilings")
    if _checkpoint_header(path) is None or not isinstance(changes, list) or not changes:
        return None
    # Any ceiling the run took, not only the last: best/ saved under the second of three keeps it.
    if not all(isinstance(change, dict) for change in changes) or config.train.epochs not in {
        change.get("to") for change in changes
    }:
        return None
    steps = ", ".join(
        f"to {change.get('to')} by a --resume after epoch {change.get('after_epoch')}" for change in changes
    )
    return (
        f"{path.parent} was trained with train.epochs={changes[0].get('from')}, changed {steps}; the "
        f"learning rate's schedule follows the ceiling, so this run, with {config.train.epochs} from its "
        "start, trains another model"
    )


class _DuplicateKey(Exception):
    """A mapping of a YAML file names one key twice."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping: it keeps the last silently,
    so a config naming `model:` twice would lose the first section's settings without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` brings keys the mapping's own may override, as YAML says
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            line = key_node.start_mark.line + 1
            if isinstance(key, str) and key in seen:
                raise _DuplicateKey(f"names {key!r} twice (lines {seen[key]} and {line})")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _parse_override(override: str) -> tuple[str, Any]:
    key, sep, raw = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set takes key=value (for example model.embed_dim=64), not {override!r}")
    if not raw.strip():  # `--set model.num_layers=$LAYERS` with LAYERS unset: it sized the setting
        name = key.strip()
        if name in SIZED_KEYS:
            empty = f", or {name}=auto to size it to the data"
        elif name in DETECTED_KEYS:
            empty = f", or {name}=auto to detect it"
        else:
            empty = f", or {name}=null to leave it out" if _takes_null(name) else ""
        raise ConfigError(
            f"--set {override.strip()} gives no value (an unset shell variable?); pass one{empty}"
        )
    if raw.strip() in ("|", ">"):  # YAML block markers; alone, they are meant as the character
        return key.strip(), raw.strip()
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    except RecursionError:
        raise ConfigError(
            f"--set {key.strip()} nests its value too deeply to read; pass a plain value"
        ) from None
    try:
        plain = _expanded_values(value, {}) <= MAX_EXPANDED_VALUES
    except _HoldsItself:
        plain = False
    if not plain:  # YAML aliases in one line: `[&a [x, x], &b [*a, *a], ...]`
        raise ConfigError(
            f"--set {key.strip()} uses YAML aliases that expand without end; pass a plain value"
        )
    return key.strip(), value


def _takes_null(key: str) -> bool:
    """Whether the dotted setting `key` may be left empty (null)."""
    section_name, _, name = key.partition(".")
    for section in dataclasses.fields(Config):
        if section.name == section_name:
            hints = typing.get_type_hints(type(section.default_factory()))  # type: ignore[misc, operator]
            annotation = hints.get(name)
            return isinstance(annotation, types.UnionType) and type(None) in typing.get_args(annotation)
    return False
