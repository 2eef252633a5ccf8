"""Average precision: how well each label's probability ranks its rows first."""

import random

import pytest
import torch

from attncli.ranking import average_precisions


def _reference(scores: list[float], positive: list[bool]) -> float | None:
    """The definition, a threshold at a time: the precision at each distinct score, weighted by the
    positive rows it adds."""
    if not any(positive):
        return None
    area = 0.0
    for threshold in sorted(set(scores), reverse=True):
        taken = [
            is_positive for score, is_positive in zip(scores, positive, strict=True) if score >= threshold
        ]
        added = sum(
            is_positive for score, is_positive in zip(scores, positive, strict=True) if score == threshold
        )
        area += added * sum(taken) / len(taken)
    return area / sum(positive)


def test_average_precision_is_the_precision_at_each_positive_row_averaged_with_ties_one_threshold():
    # each label ranked: +, -, +, - : precision 1 at the first of it, 2/3 at the second
    probabilities = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.1, 0.9]])
    assert average_precisions(probabilities, [0, 1, 0, 1]) == pytest.approx([(1 + 2 / 3) / 2] * 2)
    # a tie of a row of it and one of another at the top is one threshold: precision 1/2 there
    tied = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8]])
    assert average_precisions(tied, [0, 1, 0])[0] == pytest.approx((0.5 + 2 / 3) / 2)
    assert average_precisions(tied, [1, 1, 1])[0] is None  # no row of label 0: undefined
    assert average_precisions(torch.empty(0, 2), []) == [None, None]
    rng = random.Random(0)
    for _ in range(50):
        rows, labels = rng.randint(1, 30), rng.randint(2, 4)
        scores = [[round(rng.random(), 1) for _ in range(labels)] for _ in range(rows)]
        truth = [rng.randrange(labels) for _ in range(rows)]
        expected = [_reference([row[j] for row in scores], [t == j for t in truth]) for j in range(labels)]
        assert average_precisions(torch.tensor(scores), truth) == pytest.approx(expected)


def test_top_k_accuracy_counts_the_rows_whose_label_is_among_the_k_most_probable():
    """fastText's R@k for one label a row (a fastText user's trial: eval had no P@k or R@k)."""
    import random

    import torch

    from attncli.ranking import top_k_accuracy

    probabilities = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.4, 0.4, 0.2], [0.2, 0.3, 0.5]])
    truth = [0, 2, 1, 0]  # first; second; tied for first; third
    assert [top_k_accuracy(probabilities, truth, k) for k in (1, 2, 3)] == [0.5, 0.75, 1.0]
    generator = random.Random(0)
    for _ in range(50):  # against counting each row's rank by hand
        rows, labels = generator.randint(1, 30), generator.randint(2, 6)
        scores = torch.tensor(
            [[generator.choice([0.1, 0.2, 0.3, 0.5]) for _ in range(labels)] for _ in range(rows)]
        )
        truth = [generator.randrange(labels) for _ in range(rows)]
        for k in range(1, labels + 1):
            hits = sum(
                sum(value > row[label] for value in row.tolist()) < k
                for row, label in zip(scores, truth, strict=True)
            )
            assert top_k_accuracy(scores, truth, k) == hits / rows
