"""Decision thresholds (`--threshold LABEL=P`; `thresholds={label: P}` in the Python API): a label
given one is predicted wherever its probability reaches it, as a spam filter flags a message at
P(spam) 0.2 where the most probable label would need 0.5; predict and eval decide alike, so a
threshold chosen on eval's report is the one predict applies."""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from attncli.errors import ArgumentError, ConfigError, DataError
from attncli.labels import known_label_key
from attncli.streams import one_line

if TYPE_CHECKING:
    import torch


def parse_threshold_options(given: Sequence[str]) -> dict[str, float]:
    """Each `LABEL=P` of the command line as {label: P}, checked before the model loads: the form,
    and P a probability. A label may hold "=": the number after the last one is P."""
    thresholds: dict[str, float] = {}
    for value in given:
        name, equals, number = value.rpartition("=")
        if not equals or not name:
            raise ConfigError(f"--threshold takes LABEL=PROBABILITY (spam=0.2), not {value!r}")
        try:
            threshold = float(number)
        except ValueError:
            threshold = math.nan
        if not 0.0 <= threshold <= 1.0:  # NaN too
            raise ConfigError(
                f"--threshold {value}: the threshold must be a probability, 0 to 1, not {number!r}"
            )
        if name in thresholds:
            raise ConfigError(f"--threshold is given twice for label {name!r}; give it once")
        thresholds[name] = threshold
    return thresholds


def resolve_thresholds(thresholds: Mapping[str, Any] | None, label_names: Sequence[str]) -> dict[int, float]:
    """`thresholds` ({label: P}) as {label index: P}, each label matched as eval matches a true
    label (2.0 is 2; a decomposed é is é), else ignoring case where that names one label. Refused in
    one line: a label the model does not know, one named twice, a P that is no probability, and a
    threshold on every label (where none reaches its own there would be no label to give)."""
    if not thresholds:
        return {}
    if not isinstance(thresholds, Mapping):
        raise ArgumentError(f"thresholds takes a mapping of labels to probabilities, not {thresholds!r}")
    known = set(label_names)
    positions = {name: index for index, name in enumerate(label_names)}
    resolved: dict[int, float] = {}
    for name, value in thresholds.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ArgumentError(f"--threshold {name}: the threshold takes a probability, not {value!r}")
        if not 0.0 <= float(value) <= 1.0:
            raise ConfigError(f"--threshold {name}: the threshold must be a probability, 0 to 1, not {value}")
        index = positions.get(known_label_key(None, name, known))
        if index is None:
            index = _folded_match(str(name), label_names)
        if index in resolved:
            raise ConfigError(f"--threshold is given twice for label {label_names[index]!r}; give it once")
        resolved[index] = float(value)
    if len(resolved) == len(label_names):
        raise ConfigError(
            "--threshold is given for every label; leave at least one without, which is predicted where no "
            "label reaches its threshold (--min-score gives no label below a probability)"
        )
    return resolved


def resolve_fallback(fallback: Any, label_names: Sequence[str]) -> int | None:
    """The index of the `--fallback` label, given to records that get no label of their own (an
    intent model's `oos` for what it is unsure of, a competition's most common class for an empty
    row), matched as a --threshold label is; None for none. Refused for a label the model does not
    know."""
    if fallback is None:
        return None
    require_fallback_label(fallback)
    index = {name: index for index, name in enumerate(label_names)}.get(
        known_label_key(None, fallback, set(label_names))
    )
    return index if index is not None else _folded_match(str(fallback), label_names, option="--fallback")


def refuse_two_decisions(thresholds: Any, min_score: float | None) -> None:
    """--threshold and --min-score each decide the labels; given together they are refused."""
    if thresholds and min_score is not None:
        raise ConfigError("--min-score and --threshold decide labels two ways; give one")


def require_fallback_label(fallback: Any) -> None:
    """Refuse a fallback that cannot name a label (a label of 2 is named by the number 2)."""
    if isinstance(fallback, bool) or not isinstance(fallback, str | numbers.Real):
        raise ArgumentError(f"fallback takes a label of the model, not {fallback!r}")


def require_paired_fallback(
    min_score: float | None, fallback: Any, thresholds: Any, *, command: str, verb: str
) -> None:
    """inspect shows every text with a label: --min-score and --fallback come together there, or
    neither (predict gives no label below --min-score alone, which eval scores: `require_scored_fallback`);
    and neither with --threshold."""
    if (min_score is None) != (fallback is None):
        raise ConfigError(
            f"--min-score and --fallback LABEL go together in {command}: the fallback label is {verb} where "
            "the best label's probability is below --min-score"
        )
    refuse_two_decisions(thresholds, min_score)


def require_scored_fallback(min_score: float | None, fallback: Any, thresholds: Any) -> None:
    """eval scores --min-score alone as predict applies it (the rows below it get no label there: how
    many, and how often the label of the rest is right: a teacher's trial had no other way to measure
    auto-accepting confident grades), and with --fallback LABEL that label below it; --fallback alone
    labels only records with no text, which eval leaves out, so it has nothing to score."""
    if fallback is not None and min_score is None:
        raise ConfigError(
            "--fallback LABEL goes with --min-score in eval: the fallback label is scored where the best "
            "label's probability is below --min-score"
        )
    refuse_two_decisions(thresholds, min_score)


def decided_with_fallback(
    decided: torch.Tensor, probabilities: torch.Tensor, min_score: float | None, fallback: int | None
) -> torch.Tensor:
    """`decided` (each row's label index), with the `fallback` label wherever the best label's
    probability is below `min_score`."""
    if fallback is None or min_score is None:
        return decided
    # In the probabilities' float32, as predict compares them.
    return decided.masked_fill(probabilities.max(-1).values < min_score, fallback)


def _folded_match(name: str, label_names: Sequence[str], *, option: str = "--threshold") -> int:
    """The one label `name` is, ignoring case; refused where it is none or several."""
    folded = [index for index, label in enumerate(label_names) if label.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    if folded:
        both = " and ".join(repr(label_names[index]) for index in folded)
        raise DataError(f"{option} names label {name!r}, which is {both} ignoring case; write it as one is")
    close = difflib.get_close_matches(name, label_names, n=3)
    if close:
        said = ", ".join(map(one_line, close))
        raise DataError(f"{option} names label {name!r}, which the model does not know; did you mean {said}?")
    known = ", ".join(one_line(label) for label in label_names[:20])
    more = f" and {len(label_names) - 20} more" if len(label_names) > 20 else ""
    raise DataError(
        f"{option} names label {name!r}, which the model does not know; its labels are {known}{more}"
    )


def decide(probabilities: torch.Tensor, thresholds: dict[int, float]) -> torch.Tensor:
    """The label of each row: of the labels with a threshold ({label index: P}, resolve_thresholds),
    the most probable one that reaches it; where none does, the most probable label without a
    threshold. No thresholds: the most probable label."""
    import torch

    if not thresholds:
        return probabilities.argmax(-1)
    assert len(thresholds) < probabilities.shape[-1], "resolve_thresholds leaves a label without one"
    columns = torch.tensor(list(thresholds), dtype=torch.long)
    limits = torch.tensor(list(thresholds.values()), dtype=probabilities.dtype)
    reached = torch.zeros_like(probabilities, dtype=torch.bool)
    reached[:, columns] = probabilities[:, columns] >= limits
    unthresholded = torch.ones(probabilities.shape[-1], dtype=torch.bool)
    unthresholded[columns] = False
    allowed = torch.where(reached.any(-1, keepdim=True), reached, unthresholded.expand_as(reached))
    return probabilities.masked_fill(~allowed, -1.0).argmax(-1)
