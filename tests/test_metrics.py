import pytest

from attncli.metrics import accuracy, confusion_matrix, macro_f1, per_class_scores

TRUTH = [0, 0, 1, 1, 2]
PREDICTED = [0, 1, 1, 1, 0]


def test_confusion_matrix_rows_are_truth():
    assert confusion_matrix(TRUTH, PREDICTED, 4) == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]


def test_scores_computed_by_hand():
    matrix = confusion_matrix(TRUTH, PREDICTED, 4)
    scores = per_class_scores(matrix)
    # class 0: TP 1, predicted 2, support 2 -> P 1/2, R 1/2, F1 1/2
    assert (scores[0].precision, scores[0].recall, scores[0].f1, scores[0].support) == (0.5, 0.5, 0.5, 2)
    # class 1: TP 2, predicted 3, support 2 -> P 2/3, R 1, F1 0.8
    assert scores[1].precision == pytest.approx(2 / 3) and scores[1].recall == 1.0
    assert scores[1].f1 == pytest.approx(0.8)
    # class 2: never predicted -> precision 0 (not a division error), recall 0
    assert (scores[2].precision, scores[2].recall, scores[2].f1) == (0.0, 0.0, 0.0)
    # class 3 never appears anywhere: support 0 and left out of the macro mean
    assert scores[3].support == 0
    assert macro_f1(matrix) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert accuracy(TRUTH, PREDICTED) == pytest.approx(3 / 5)


def test_perfect_and_empty():
    matrix = confusion_matrix([0, 1], [0, 1], 2)
    assert macro_f1(matrix) == 1.0 and accuracy([0, 1], [0, 1]) == 1.0
    assert accuracy([], []) == 0.0 and macro_f1(confusion_matrix([], [], 2)) == 0.0
    with pytest.raises(ValueError):
        confusion_matrix([0], [0, 1], 2)
