"""Classification metrics as pure functions over label indices; no torch, no numpy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


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


def _ratio(numerator: int, denominator: int) -> float:
    # A ratio with nothing to count (no predictions of a class, say) is 0, as in scikit-learn.
    return numerator / denominator if denominator else 0.0


def per_class_scores(matrix: list[list[int]]) -> list[ClassScores]:
    """Precision, recall, F1 and support of each label, from a confusion matrix."""
    scores = []
    for label in range(len(matrix)):
        true_positives = matrix[label][label]
        support = sum(matrix[label])
        predicted_count = sum(row[label] for row in matrix)
        precision = _ratio(true_positives, predicted_count)
        recall = _ratio(true_positives, support)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(ClassScores(precision=precision, recall=recall, f1=f1, support=support))
    return scores


def macro_f1(matrix: list[list[int]]) -> float:
    """Mean F1 over the labels that occur in the truth or the predictions; a label absent from
    both says nothing about this data, so it does not drag the mean to 0."""
    present = [
        score.f1
        for label, score in enumerate(per_class_scores(matrix))
        if score.support or any(row[label] for row in matrix)
    ]
    return sum(present) / len(present) if present else 0.0
