from decimal import Decimal

import pytest

from attncli.metrics import (
    ReliabilityBin,
    accuracy,
    confusion_matrix,
    expected_calibration_error,
    log_loss,
    macro_f1,
    mean_absolute_error,
    per_class_scores,
    reliability_bins,
    share_within,
    weighted_f1,
)

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
    # class 2: never predicted -> precision undefined (0/0, not a division error), recall 0/1, F1 0
    assert (scores[2].precision, scores[2].recall, scores[2].f1, scores[2].support) == (None, 0.0, 0.0, 1)
    # class 3 never appears anywhere: nothing is defined, and it is left out of the macro mean
    assert (scores[3].precision, scores[3].recall, scores[3].f1, scores[3].support) == (None, None, None, 0)
    assert macro_f1(matrix) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    # weighted by support 2, 2, 1 (class 3 weighs 0): (2 * 0.5 + 2 * 0.8 + 1 * 0) / 5
    assert weighted_f1(matrix) == pytest.approx(0.52)
    assert accuracy(TRUTH, PREDICTED) == pytest.approx(3 / 5)


def test_a_class_predicted_but_never_true():
    # truth 0, 0; predicted 0, 1: class 1 has no examples but one false positive
    matrix = confusion_matrix([0, 0], [0, 1], 2)
    scores = per_class_scores(matrix)
    assert (scores[1].precision, scores[1].recall, scores[1].f1, scores[1].support) == (0.0, None, 0.0, 0)
    # class 0: P 1/1, R 1/2, F1 2/3; the false class counts in the macro mean, not the weighted one
    assert scores[0].f1 == pytest.approx(2 / 3)
    assert macro_f1(matrix) == pytest.approx((2 / 3 + 0.0) / 2)
    assert weighted_f1(matrix) == pytest.approx(2 / 3)


def test_perfect_and_empty():
    matrix = confusion_matrix([0, 1], [0, 1], 2)
    assert macro_f1(matrix) == 1.0 and weighted_f1(matrix) == 1.0 and accuracy([0, 1], [0, 1]) == 1.0
    empty = confusion_matrix([], [], 2)
    assert accuracy([], []) == 0.0 and macro_f1(empty) == 0.0 and weighted_f1(empty) == 0.0
    with pytest.raises(ValueError):
        confusion_matrix([0], [0, 1], 2)


def test_reliability_and_ece_computed_by_hand():
    confidences = [0.95, 0.97, 0.9, 0.55, 0.5, 0.2]
    correct = [True, False, True, True, False, False]
    bins = reliability_bins(confidences, correct)
    # 15 bins of width 1/15; 0.2 is exactly 3/15, the top of bin (2/15, 3/15]
    assert [(round(b.lower * 15), round(b.upper * 15), b.count) for b in bins] == [
        (2, 3, 1), (7, 8, 1), (8, 9, 1), (13, 14, 1), (14, 15, 2),
    ]  # fmt: skip
    top = bins[-1]
    assert (top.confidence, top.accuracy) == (pytest.approx(0.96), 0.5)
    assert [(b.confidence, b.accuracy) for b in bins[:-1]] == [
        (0.2, 0.0),
        (0.5, 0.0),
        (0.55, 1.0),
        (0.9, 1.0),
    ]
    # ECE = (1 * 0.2 + 1 * 0.5 + 1 * 0.45 + 1 * 0.1 + 2 * 0.46) / 6
    assert expected_calibration_error(bins) == pytest.approx(2.17 / 6)


def test_calibration_edges():
    # Confidence 0 falls in the first bin, 1 in the last; two bins by hand.
    bins = reliability_bins([0.0, 0.5, 1.0, 1.0], [False, True, True, False], num_bins=2)
    assert bins == [ReliabilityBin(0.0, 0.5, 2, 0.25, 0.5), ReliabilityBin(0.5, 1.0, 2, 1.0, 0.5)]
    assert expected_calibration_error(bins) == pytest.approx(0.5 * 0.25 + 0.5 * 0.5)
    # Right as often as it is confident: no calibration error; no predictions: none either.
    calibrated = reliability_bins([0.8] * 5, [True, True, True, True, False])
    assert expected_calibration_error(calibrated) == pytest.approx(0.0)
    assert reliability_bins([], []) == [] and expected_calibration_error([]) == 0.0
    with pytest.raises(ValueError):
        reliability_bins([0.5], [])


def test_log_loss_is_the_mean_negative_log_of_the_true_labels_probability():
    import math

    assert log_loss([0.5, 0.25]) == pytest.approx((math.log(2) + math.log(4)) / 2)
    assert log_loss([1.0]) == 0.0
    assert log_loss([0.0]) == pytest.approx(-math.log(1e-12))  # an underflowed probability stays finite
    assert log_loss([]) is None


def test_distances_of_number_labels_computed_by_hand():
    # Grades 1-5; rows (true, predicted): (5, 1), (5, 4), (3, 3), (1, 2), (2, 4), (4, 4).
    truth, predicted = [4, 4, 2, 0, 1, 3], [0, 3, 2, 1, 3, 3]
    matrix = confusion_matrix(truth, predicted, 5)
    grades = [1.0, 2.0, 3.0, 4.0, 5.0]
    # Distances 4, 1, 0, 1, 2, 0: 8 over 6 rows; within one: 4 of 6 (a 5 as 1 and a 2 as 4 are not).
    assert mean_absolute_error(matrix, grades) == pytest.approx(8 / 6)
    assert share_within(matrix, grades) == pytest.approx(4 / 6)
    assert share_within(matrix, grades, distance=2) == pytest.approx(5 / 6)
    # In the labels' own units: ratings 0, 10, ..., 40 put the same rows 10 times as far apart.
    assert mean_absolute_error(matrix, [0.0, 10.0, 20.0, 30.0, 40.0]) == pytest.approx(80 / 6)
    assert share_within(matrix, [0.0, 10.0, 20.0, 30.0, 40.0]) == pytest.approx(2 / 6)  # the exact ones
    # 2.2 - 1.2 is 1.0000000000000002 in floats: still within one.
    assert share_within(confusion_matrix([1], [2], 3), [0.2, 1.2, 2.2]) == 1.0
    assert mean_absolute_error(confusion_matrix([], [], 3), [1.0, 2.0, 3.0]) is None
    assert share_within(confusion_matrix([], [], 3), [1.0, 2.0, 3.0]) is None
    # Labels past 2**53 (group ids of 18 digits), exactly: equal as floats, each prediction of a
    # neighbour was 'within one' at an error of 0 (a trial).
    ids = [Decimal(10**17), Decimal(10**17 + 1), Decimal(10**17 + 3)]
    off = confusion_matrix([0, 1, 2], [1, 2, 0], 3)  # off by 1, 2 and 3
    assert mean_absolute_error(off, ids) == 2.0 and share_within(off, ids) == pytest.approx(1 / 3)
