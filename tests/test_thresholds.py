"""Decision thresholds: a label given one is predicted wherever its probability reaches it."""

import pytest
import torch

from attncli.errors import ConfigError, DataError
from attncli.thresholds import decide, parse_thresholds

NAMES = ["ham", "spam", "urgent"]


def test_a_thresholded_label_is_given_where_it_reaches_its_threshold_else_the_most_probable_of_the_rest():
    probabilities = torch.tensor([
        [0.70, 0.25, 0.05],  # spam reaches 0.2: spam, though ham is more probable
        [0.85, 0.10, 0.05],  # spam does not: the most probable label without a threshold, ham
        [0.40, 0.15, 0.45],  # spam does not: urgent, the most probable of ham and urgent
        [0.10, 0.30, 0.60],  # both thresholded labels reach theirs: the more probable, urgent
        [0.30, 0.45, 0.25],  # urgent misses its 0.5: spam
    ])  # fmt: skip
    assert decide(probabilities, {}).tolist() == [0, 0, 2, 2, 1]
    assert decide(probabilities, {1: 0.2}).tolist() == [1, 0, 2, 1, 1]
    assert decide(probabilities, {1: 0.2, 2: 0.5}).tolist() == [1, 0, 0, 2, 1]


def test_thresholds_are_read_as_label_and_probability_and_refused_in_one_line_where_wrong():
    assert parse_thresholds(["spam=0.2"], NAMES) == {1: 0.2}
    assert parse_thresholds(["Spam=1", "urgent=0"], NAMES) == {1: 1.0, 2: 0.0}  # case: one label only
    assert parse_thresholds(["a=b=0.5"], ["a=b", "c"]) == {0: 0.5}  # a label holding "="
    refusals = [
        (["spam"], ConfigError, "--threshold takes LABEL=PROBABILITY (spam=0.2), not 'spam'"),
        (["spam=high"], ConfigError, "the threshold must be a probability, 0 to 1, not 'high'"),
        (["spam=1.5"], ConfigError, "not '1.5'"),
        (["spam=nan"], ConfigError, "not 'nan'"),
        (["spam=0.2", "spam=0.3"], ConfigError, "--threshold is given twice for label 'spam'; give it once"),
        (["spma=0.2"], DataError, "names label 'spma', which the model does not know; did you mean spam?"),
        (["fraud=0.2"], DataError, "which the model does not know; its labels are ham, spam, urgent"),
        (["ham=0.5", "spam=0.2", "urgent=0.1"], ConfigError, "given for every label; leave at least one"),
    ]  # fmt: skip
    for given, kind, message in refusals:
        with pytest.raises(kind) as refused:
            parse_thresholds(given, NAMES)
        assert message in str(refused.value)
