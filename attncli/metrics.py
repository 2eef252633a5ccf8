"""Classification and calibration metrics as pure functions over label indices and confidences;
no torch, no numpy. A score that would divide by zero is None (undefined), never a made-up 0."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

# Equal-width confidence bins of the expected calibration error, as in Guo et al. (2017).
CALIBRATION_BINS = 15


@dataclass(frozen=True)
class ClassScores:
    precision: float | None
    """None when the class was never predicted."""
    recall: float | None
    """None when the class has no examples (support 0)."""
    f1: float | None
    """None when the class is in neither the truth nor the predictions."""
    support: int


@dataclass(frozen=True)
class ReliabilityBin:
    """One confidence bin (lower, upper] of a reliability diagram."""

    lower: float
    upper: float
    count: int
    confidence: float
    """Mean confidence (highest probability) of the predictions in the bin."""
    accuracy: float
    """Share of those predictions that were right."""


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int], num_labels: int) -> list[list[int]]:
    """Counts with rows = true label, columns = predicted label."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predictions")
    matrix = [[0] * num_labels for _ in range(num_labels)]
    for true_label, predicted_label in zip(truth, predicted, strict=True):
        matrix[true_label][predicted_label] += 1
    return matrix


def accuracy(truth: Sequence[int], predicted: Sequence[int]) -> float:
    if not truth:
        return 0.0
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def log_loss(true_label_probabilities: Sequence[float]) -> float | None:
    """Mean negative log of the probability given to each row's true label (the cross-entropy that
    training minimises), natural log; a probability of 0 counts as 1e-12, as a float32 softmax that
    underflowed would. None for no rows."""
    if not true_label_probabilities:
        return None
    return -sum(math.log(max(p, 1e-12)) for p in true_label_probabilities) / len(true_label_probabilities)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def per_class_scores(matrix: list[list[int]]) -> list[ClassScores]:
    """Precision, recall, F1 and support of each label, from a confusion matrix."""
    scores = []
    for label in range(len(matrix)):
        true_positives = matrix[label][label]
        support = sum(matrix[label])
        predicted_count = sum(row[label] for row in matrix)
        # F1 = 2TP / (2TP + FP + FN): defined whenever the label occurs in truth or predictions,
        # even where precision or recall is not (never predicted: F1 0, not undefined).
        f1 = _ratio(2 * true_positives, support + predicted_count)
        scores.append(
            ClassScores(
                precision=_ratio(true_positives, predicted_count),
                recall=_ratio(true_positives, support),
                f1=f1,
                support=support,
            )
        )
    return scores


def macro_f1(matrix: list[list[int]]) -> float:
    """Mean F1 over the labels that occur in the truth or the predictions; a label absent from
    both says nothing about this data, so it does not drag the mean to 0."""
    present = [score.f1 for score in per_class_scores(matrix) if score.f1 is not None]
    return sum(present) / len(present) if present else 0.0


def weighted_f1(matrix: list[list[int]]) -> float:
    """Mean F1 weighted by support (the number of true examples of each label)."""
    scores = per_class_scores(matrix)
    total = sum(score.support for score in scores)
    weighted = sum(score.support * (score.f1 or 0.0) for score in scores)
    return weighted / total if total else 0.0


def _exact(values: Sequence[float | Decimal]) -> list[Decimal]:
    """Label values as exact decimals: a float as its shortest repr (2.2 - 1.2 is 1, not
    1.0000000000000002), a Decimal as it is (labels past 2**53, group ids of 18 digits, were equal
    as floats, and every prediction of them off by one was 'within one': a trial)."""
    return [value if isinstance(value, Decimal) else Decimal(repr(float(value))) for value in values]


def mean_absolute_error(matrix: list[list[int]], values: Sequence[float | Decimal]) -> float | None:
    """Mean distance |predicted - true| over the rows of a confusion matrix whose labels are the
    numbers `values` (grades, star ratings), in the labels' own units; None for no rows."""
    total = sum(map(sum, matrix))
    if not total:
        return None
    exact = _exact(values)
    distance = sum(
        (
            count * abs(exact[predicted] - exact[true])
            for true, row in enumerate(matrix)
            for predicted, count in enumerate(row)
        ),
        Decimal(0),
    )
    return float(distance / total)


def share_within(
    matrix: list[list[int]], values: Sequence[float | Decimal], distance: float = 1.0
) -> float | None:
    """Share of the rows of a confusion matrix whose predicted value is at most `distance` from the
    true one, the labels being the numbers `values`; None for no rows."""
    total = sum(map(sum, matrix))
    if not total:
        return None
    exact, within = _exact(values), _exact([distance])[0]
    near = sum(
        count
        for true, row in enumerate(matrix)
        for predicted, count in enumerate(row)
        if abs(exact[predicted] - exact[true]) <= within
    )
    return near / total


def reliability_bins(
    confidences: Sequence[float], correct: Sequence[bool], *, num_bins: int = CALIBRATION_BINS
) -> list[ReliabilityBin]:
    """The non-empty bins of `num_bins` equal-width confidence bins ((m-1)/M, m/M]; a confidence of
    exactly 0 falls in the first."""
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences but {len(correct)} outcomes")
    uppers = [m / num_bins for m in range(1, num_bins + 1)]
    counts = [0] * num_bins
    confidence_sums = [0.0] * num_bins
    right = [0] * num_bins
    for confidence, is_correct in zip(confidences, correct, strict=True):
        # Comparing with the edges m/M (not ceil(c * M)) keeps a confidence of exactly 0.2 in (0.13, 0.2].
        index = min(bisect_left(uppers, confidence), num_bins - 1)
        counts[index] += 1
        confidence_sums[index] += confidence
        right[index] += bool(is_correct)
    return [
        ReliabilityBin(
            lower=index / num_bins,
            upper=uppers[index],
            count=counts[index],
            confidence=confidence_sums[index] / counts[index],
            accuracy=right[index] / counts[index],
        )
        for index in range(num_bins)
        if counts[index]
    ]


def expected_calibration_error(bins: Sequence[ReliabilityBin]) -> float:
    """ECE = sum over bins of |bin| / n * |accuracy(bin) - mean confidence(bin)|, from `reliability_bins`."""
    total = sum(item.count for item in bins)
    if not total:
        return 0.0
    return sum(item.count / total * abs(item.accuracy - item.confidence) for item in bins)
