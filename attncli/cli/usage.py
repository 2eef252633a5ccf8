"""Usage errors (an unknown option, a value out of range, an option given twice with two values) as
one `error:` line with a hint, where click printed four."""

from __future__ import annotations

import difflib
import re
import shlex
import sys
from typing import Any, cast

import typer

# Options whose values are names read in any case (--format CSV is csv), so given twice in two
# cases they say one thing.
CASELESS_OPTIONS = ("--format", "--split")


def repeated_option(group: Any, args: list[str]) -> str | None:
    """The refusal of an option that takes one value given twice with different ones: click keeps
    the last alone, so `-f a.txt -f b.txt` read b.txt and said nothing of a.txt (--config, which is
    read as a list to say this, is checked where it is read)."""
    name = next((arg for arg in args if not arg.startswith("-")), None)
    command = getattr(group, "commands", {}).get(name)
    if command is None:
        return None
    single = {}  # each spelling of an option that takes one value -> its long name
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and not (
            param.multiple or param.is_flag or param.count
        ):
            for spelling in (*param.opts, *param.secondary_opts):
                single[spelling] = max(param.opts, key=len)
    given: dict[str, list[str]] = {}
    index = 0
    while index < len(args) and args[index] != "--":
        spelling, equals, inline = args[index].partition("=")
        attached = args[index][:2] if not args[index].startswith("--") else ""
        if attached in single and len(args[index]) > 2:  # -fa.txt, as click reads it
            given.setdefault(single[attached], []).append(args[index][2:])
        elif spelling in single and index + (not equals) < len(args):
            if not equals:
                index += 1
            given.setdefault(single[spelling], []).append(inline if equals else args[index])
        index += 1
    for option, values in given.items():
        if len({value.lower() if option in CASELESS_OPTIONS else value for value in values}) > 1:
            return f"{option} is given {len(values)} times ({', '.join(values)}); pass it once"
    return None


def _command_path(context: Any, group: Any) -> str:
    """`attn predict`, for a usage error click raised before it entered the subcommand (an option
    at the end that lacks its value: `attn predict R -o`), or in it."""
    if context is not None and context.command is not group:
        return str(context.command_path)
    name = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    return f"attn {name}" if name in getattr(group, "commands", {}) else "attn"


# Options whose value is a list written with commas (title,body), which PowerShell splits into two
# arguments where it is not quoted.
COMMA_LISTS = ("--text-column", "--label-column")


def comma_split_hint(option: str, value: str, extra: str) -> str:
    """What to do where `option value extra` came as `option value,extra` unquoted from PowerShell."""
    return (
        f"if {option} {value},{extra} was meant, quote it ('{value},{extra}'): PowerShell passes an "
        "unquoted a,b to a program as two arguments"
    )


def _comma_split(error: Any, arguments: list[str]) -> str | None:
    """For `--text-column title,body` from PowerShell, which arrives as `--text-column title body`:
    click's "Got unexpected extra argument (body)" named no cause (a trial)."""
    if not str(error.format_message()).startswith("Got unexpected extra argument"):
        return None
    for position, argument in enumerate(arguments[:-2]):
        value, extra = arguments[position + 1 : position + 3]
        if argument in COMMA_LISTS and not value.startswith("-") and not extra.startswith("-"):
            return comma_split_hint(argument, value, extra)
    return None


# Options whose value is a number, which PowerShell splits at a decimal comma (`0,6` as `0` and `6`).
DECIMAL_OPTIONS = ("--min-score", "--threshold")


def decimal_comma_hint(arguments: list[str], texts: list[str]) -> str | None:
    """What to say of a TEXT argument of digits right after a number option's value where the two
    make a probability: `--min-score 0,6` from PowerShell arrives as `--min-score 0 6`, a minimum of
    0 and a text "6", labelled with exit 0 (a trial; `--threshold tech=0,2` made every text tech).
    Not after `--min-score 1 2024`, whose 1.2024 no option takes (a review)."""
    for position, argument in enumerate(arguments):
        option, equals, value = argument.partition("=")  # --min-score=0 or --min-score 0
        if option not in DECIMAL_OPTIONS:
            continue
        if not equals:
            value = arguments[position + 1] if position + 1 < len(arguments) else ""
        after = position + (1 if equals else 2)
        following = arguments[after] if after < len(arguments) else ""
        # A whole number given (0, or tech=0), then digits: the two halves of one decimal.
        whole = re.search(r"(?:^|=)([0-9]+)$", value)
        if re.fullmatch(r"[0-9]+", following) and following in texts and whole is not None:
            if float(f"{whole.group(1)}.{following}") > 1:
                continue
            return (
                f"TEXT {following!r} follows {option} {value}: if {value},{following} was meant, write "
                f"{value}.{following}; PowerShell passes an unquoted {value},{following} to a program as two "
                "arguments"
            )
    return None


def _dash_text_hint(error: Any, path: str) -> str | None:
    """For `attn predict RUN "-5% shares"`: click took the text for an unknown option. Said where the
    command takes texts and the word given is no near miss of an option."""
    if type(error).__name__ != "NoSuchOption" or getattr(error, "possibilities", None):
        return None
    if path not in ("attn predict", "attn inspect"):
        return None
    given = next((arg for arg in sys.argv[1:] if arg.startswith(str(error.option_name))), error.option_name)
    return f"a text that starts with '-' goes after '--': {path} RUN -- {shlex.quote(given)}"


def _value_given(error: Any, arguments: list[str]) -> str:
    """For a value an option refused (`--seed abc`): the value as given, which click's message leaves
    out, and where it is the next option (`--seed $SEED --auto-resume` with SEED unset), that the
    value is missing. Nothing where the option is not found as typed."""
    if type(error).__name__ != "BadParameter" or getattr(error, "param", None) is None:
        return ""
    names = [name for name in error.param.opts if name.startswith("-")]
    for position, argument in enumerate(arguments):
        name, equals, value = argument.partition("=")
        if name in names and equals:
            return f" (given {value!r})"
        if argument in names and position + 1 < len(arguments):
            value = arguments[position + 1]
            if value.startswith("-") and not value.lstrip("-").replace(".", "", 1).isdigit():
                missing = f"is {argument}'s value missing, an unset shell variable?"
                return f" (given {value!r}, the next option: {missing})"
            return f" (given {value!r})"
    return ""


# fastText's commands, for its users' first tries: what attn calls them.
FASTTEXT_COMMANDS = {
    "supervised": "attn train DATA --output RUN",
    "test": "attn eval RUN FILE",
    "test-label": "attn eval RUN FILE (per-label precision, recall and F1)",
    "predict-prob": "attn predict RUN --top-k K (with --json for the probabilities)",
}


# fastText's options that attn has under another name, or has not, for `attn train DATA -dim 100`
# (click's "No such option: -d" named a letter the user never typed; a trial).
FASTTEXT_OPTIONS = {
    "-dim": "--set model.embed_dim=N (sized to the data when not given)",
    "-minCount": "--set tokenizer.min_frequency=N",
    "-pretrainedVectors": "--set model.embeddings_init=FILE.vec",
    "-wordNgrams": "not needed in attn: its attention reads each word with its position",
    "-minn": "not in attn: --set tokenizer.kind=wordpiece splits rare words into known pieces",
    "-maxn": "not in attn: --set tokenizer.kind=wordpiece splits rare words into known pieces",
    "-loss": "not needed in attn: it trains with softmax cross-entropy, fastText's -loss softmax",
    "-thread": "--threads N in attn",
    "-label": "not in attn: it reads fastText's labels by their __label__ prefix",
    "-lr": "--lr in attn, the learning rate of AdamW (0.003 by default, where fastText's is 0.1 to 1)",
    "-k": "--top-k K in attn",
}


def _fasttext_command_hint(error: Any) -> str | None:
    """For `attn supervised ...` or `attn test ...`: fastText's name for an attn command."""
    if type(error).__name__ != "UsageError" or not str(error.format_message()).startswith("No such command"):
        return None
    given = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), "")
    return f"fastText's {given} is {FASTTEXT_COMMANDS[given]}" if given in FASTTEXT_COMMANDS else None


def _long_option_with_one_dash(group: Any, arguments: list[str]) -> str | None:
    """For `attn train cooking.train -output model` (fastText's way): click reads `-o utput`, and
    said "unexpected extra argument (model)". A word that is an option of the command with one dash
    fewer, or fastText's -input, is named before click reads it."""
    name = next((arg for arg in arguments if not arg.startswith("-")), None)
    command = getattr(group, "commands", {}).get(name)
    if command is None:
        return None
    options = _long_options(command)
    for argument in arguments:
        if argument == "--":  # texts from here on
            break
        word = argument.split("=", 1)[0]
        if not re.fullmatch(r"-[a-z][\w-]+", word):
            continue
        if word in FASTTEXT_OPTIONS:  # -lr: the option, on another scale
            return f"fastText's {word} is {FASTTEXT_OPTIONS[word]}; see attn {name} --help"
        if f"-{word}" in options:
            return f"options take two dashes: -{word} (not {word}); see attn {name} --help"
        if word == "-input" and name == "train":
            return (
                "attn train reads DATA, its first argument, where fastText reads -input; "
                "see attn train --help"
            )
    return None


def _long_options(command: Any) -> list[str]:
    """A command's options with two dashes (--epochs, --no-color)."""
    return [
        opt
        for param in command.params
        for opt in (*param.opts, *param.secondary_opts)
        if opt.startswith("--")
    ]


def _single_dash_hint(error: Any, path: str, group: Any) -> str | None:
    """For `attn train DATA -epoch 5` (fastText's way): click read `-e`, an unknown short option.
    Named where the word with two dashes is, or is near, an option of the command."""
    if type(error).__name__ != "NoSuchOption":
        return None
    command = group.commands.get(path.removeprefix("attn ")) if hasattr(group, "commands") else None
    if command is None:
        return None
    options = _long_options(command)
    for arg in sys.argv[1:]:
        word = arg.split("=", 1)[0]
        if word in FASTTEXT_OPTIONS and word.startswith(str(error.option_name)):
            return f"fastText's {word} is {FASTTEXT_OPTIONS[word]}; see {path} --help"
        if re.fullmatch(r"-[A-Za-z][\w-]+", word) and word.startswith(str(error.option_name)):
            near = difflib.get_close_matches(f"-{word}", options, n=1, cutoff=0.75)
            if near:
                return f"options take two dashes: {near[0]} (not {word}); see {path} --help"
    return None


def _option_of_another_command(error: Any, path: str, group: Any) -> str | None:
    """For `attn inspect RUN text --top-k 2`: an option that other commands have, which this one
    has not (it was taken for a text starting with '-')."""
    # click's near misses, but --help: every command has it, and it is near any short option.
    near_misses = set(getattr(error, "possibilities", None) or ()) - {"--help"}
    if type(error).__name__ != "NoSuchOption":
        return None
    option = str(error.option_name)
    context = getattr(error, "ctx", None)
    named = getattr(group, "commands", {}).get(path.removeprefix("attn "))
    if context is not None and context.command is group and named is not None:
        # `attn --debug info RUN`: an option before the command word, where the group has none; it
        # was said to be another command's only (and `attn --json info RUN` a near miss of --version).
        if any(option in [*param.opts, *param.secondary_opts] for param in named.params):
            return f"options go after the command: {path} {option} ..."
    if near_misses:
        return None
    having = [
        name
        for name, other in getattr(group, "commands", {}).items()
        if f"attn {name}" != path
        and any(option in [*param.opts, *param.secondary_opts] for param in other.params)
    ]
    if not having:
        return None
    named = having[0] if len(having) == 1 else f"{', '.join(having[:-1])} and {having[-1]}"
    return (
        f"{path} has no {option} (attn {named} {'has' if len(having) == 1 else 'have'} it); see {path} --help"
    )


def run_app(app: typer.Typer) -> int:
    """The command's exit status; a usage error (an unknown option, a value out of range, a missing
    argument) is one `error:` line as every other refusal, where click printed four."""
    # click's exceptions, as the typer installed has them: its own copy of click (typer 0.2x) or
    # click itself (earlier typer), found from the one class typer exports.
    usage_error, click_exception = (
        cast("type[Exception]", next(kind for kind in typer.BadParameter.__mro__ if kind.__name__ == name))
        for name in ("UsageError", "ClickException")
    )
    command: Any = typer.main.get_command(app)  # built once (16 ms): what app() would build
    repeated = repeated_option(command, sys.argv[1:]) or _long_option_with_one_dash(command, sys.argv[1:])
    if repeated is not None:
        sys.stderr.write(f"error: {repeated}\n")
        return 2
    try:
        status = command(prog_name="attn", standalone_mode=False)
    except usage_error as caught:
        error: Any = caught
        if type(error).__name__ == "NoArgsIsHelpError":  # `attn` alone: the help, as before
            error.show()
        else:
            message = " ".join(error.format_message().split()).rstrip(".")
            path = _command_path(error.ctx, command)
            hint = _option_of_another_command(error, path, command)
            if hint is not None:  # click's near miss, if any, was --help: no help here
                message = f"No such option: {error.option_name}"
            fasttext_name = _fasttext_command_hint(error)
            if fasttext_name is not None:  # click's "Did you mean" is said better by the hint
                message = message.split(". Did you mean")[0].split("; Did you mean")[0]
            message += _value_given(error, sys.argv[1:])
            single_dash = None if hint or fasttext_name else _single_dash_hint(error, path, command)
            hint = hint or fasttext_name or single_dash or _dash_text_hint(error, path)
            hint = hint or _comma_split(error, sys.argv[1:])
            # `-epoch 5`: click's "No such option: -e" named a letter the user never typed alone.
            said = f"{hint}" if single_dash else f"{message}; {hint or f'see {path} --help'}"
            sys.stderr.write(f"error: {said}\n")
        return int(error.exit_code)
    except click_exception as caught:
        other: Any = caught
        other.show()
        return int(other.exit_code)
    except typer.Abort:
        sys.stderr.write("Aborted!\n")
        return 1
    return status if isinstance(status, int) else 0
