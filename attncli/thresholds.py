"""Decision thresholds (`--threshold LABEL=P`): a label given one is predicted wherever its
probability reaches it, as a spam filter flags a message at P(spam) 0.2 where the most probable
label would need 0.5; predict and eval decide alike, so a threshold chosen on eval's report is the
one predict applies."""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from attncli.errors import ConfigError, DataError
from attncli.streams import one_line

if TYPE_CHECKING:
    import torch


def parse_thresholds(given: Sequence[str], label_names: Sequence[str]) -> dict[int, float]:
    """Each `LABEL=P` given, as {label index: P}; a label is matched as written, else ignoring case.
    Refused: a label the model does not know, a P not between 0 and 1, a label given twice, and a
    threshold on every label (where none reaches its own there would be no label to give)."""
    thresholds: dict[int, float] = {}
    for value in given:
        name, equals, number = value.rpartition("=")  # a label may hold "=", the number cannot
        if not equals or not name:
            raise ConfigError(f"--threshold takes LABEL=PROBABILITY (spam=0.2), not {value!r}")
        index = _label_index(name, label_names)
        try:
            threshold = float(number)
        except ValueError:
            threshold = math.nan
        if not 0.0 <= threshold <= 1.0:  # NaN too
            raise ConfigError(
                f"--threshold {value}: the threshold must be a probability, 0 to 1, not {number!r}"
            )
        if index in thresholds:
            raise ConfigError(f"--threshold is given twice for label {label_names[index]!r}; give it once")
        thresholds[index] = threshold
    if thresholds and len(thresholds) == len(label_names):
        raise ConfigError(
            "--threshold is given for every label; leave at least one without, which is predicted where no "
            "label reaches its threshold (--min-score gives no label below a probability)"
        )
    return thresholds


def _label_index(name: str, label_names: Sequence[str]) -> int:
    if name in label_names:
        return list(label_names).index(name)
    folded = [index for index, label in enumerate(label_names) if label.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    close = difflib.get_close_matches(name, label_names, n=3)
    if close:
        said = ", ".join(map(one_line, close))
        raise DataError(
            f"--threshold names label {name!r}, which the model does not know; did you mean {said}?"
        )
    known = ", ".join(one_line(label) for label in label_names[:20])
    more = f" and {len(label_names) - 20} more" if len(label_names) > 20 else ""
    raise DataError(
        f"--threshold names label {name!r}, which the model does not know; its labels are {known}{more}"
    )


def decide(probabilities: torch.Tensor, thresholds: dict[int, float]) -> torch.Tensor:
    """The label of each row: of the labels with a threshold, the most probable one that reaches
    it; where none does, the most probable label without a threshold. No thresholds: the most
    probable label."""
    import torch

    if not thresholds:
        return probabilities.argmax(-1)
    columns = torch.tensor(list(thresholds), dtype=torch.long)
    limits = torch.tensor(list(thresholds.values()), dtype=probabilities.dtype)
    reached = torch.zeros_like(probabilities, dtype=torch.bool)
    reached[:, columns] = probabilities[:, columns] >= limits
    unthresholded = torch.ones(probabilities.shape[-1], dtype=torch.bool)
    unthresholded[columns] = False
    allowed = torch.where(reached.any(-1, keepdim=True), reached, unthresholded.expand_as(reached))
    return probabilities.masked_fill(~allowed, -1.0).argmax(-1)
