"""Decision thresholds: a label given one is predicted wherever its probability reaches it."""

import pytest
import torch

from attncli.errors import ConfigError, DataError
from attncli.thresholds import decide, parse_threshold_options, resolve_thresholds

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


def test_thresholds_given_on_the_command_line_are_checked_before_the_model_loads():
    assert parse_threshold_options(["spam=0.2", "a=b=1"]) == {"spam": 0.2, "a=b": 1.0}  # a label with "="
    refusals = [
        (["spam"], "--threshold takes LABEL=PROBABILITY (spam=0.2), not 'spam'"),
        (["=0.2"], "not '=0.2'"),
        (["spam=high"], "the threshold must be a probability, 0 to 1, not 'high'"),
        (["spam=1.5"], "not '1.5'"),
        (["spam=nan"], "not 'nan'"),
        (["spam=0.2", "spam=0.3"], "--threshold is given twice for label 'spam'; give it once"),
    ]
    for given, message in refusals:
        with pytest.raises(ConfigError) as refused:
            parse_threshold_options(given)
        assert message in str(refused.value)


def test_thresholds_name_the_model_s_labels_as_eval_matches_them_and_are_refused_in_one_line_where_wrong():
    assert resolve_thresholds({"spam": 0.2}, NAMES) == {1: 0.2}
    assert resolve_thresholds({"Spam": 1, "urgent": 0}, NAMES) == {1: 1.0, 2: 0.0}  # case: one label only
    assert resolve_thresholds({"cafe\u0301": 0.3}, ["caf\u00e9", "x"]) == {0: 0.3}  # é decomposed
    assert resolve_thresholds({"2.0": 0.3}, ["1", "2", "3"]) == {1: 0.3}  # a number as training reads it
    assert resolve_thresholds(None, NAMES) == {}
    refusals = [
        ({"spma": 0.2}, DataError, "names label 'spma', which the model does not know; did you mean spam?"),
        ({"fraud": 0.2}, DataError, "which the model does not know; its labels are ham, spam, urgent"),
        ({"spam": 0.2, "SPAM": 0.3}, ConfigError, "--threshold is given twice for label 'spam'"),
        ({"ham": 0.5, "spam": 0.2, "urgent": 0.1}, ConfigError, "given for every label; leave at least one"),
        ({"spam": 20}, ConfigError, "the threshold must be a probability, 0 to 1, not 20"),
        ({"spam": "0.2"}, TypeError, "the threshold takes a probability, not '0.2'"),
        ({"spam": True}, TypeError, "not True"),
    ]  # fmt: skip
    for given, kind, message in refusals:
        with pytest.raises(kind) as refused:
            resolve_thresholds(given, NAMES)
        assert message in str(refused.value)
    with pytest.raises(DataError, match="names label 'TECH', which is 'Tech' and 'tech' ignoring case"):
        resolve_thresholds({"TECH": 0.3}, ["Tech", "tech", "sport"])
    with pytest.raises(TypeError, match="takes a mapping of labels to probabilities"):
        resolve_thresholds([("spam", 0.2)], NAMES)  # type: ignore[arg-type]
