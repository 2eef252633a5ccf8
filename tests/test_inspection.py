import pytest

from attncli.checkpoint import load_checkpoint
from attncli.inspection import inspect_text


@pytest.fixture(scope="module")
def loaded(trained):
    return load_checkpoint(trained.output)


def test_weights_sum_to_one_and_offsets_point_at_the_tokens(loaded):
    text = "Today the COACH said: football!"
    inspection = inspect_text(loaded, text)
    assert inspection.label == "sport"
    assert sum(item.weight for item in inspection.tokens) == pytest.approx(1.0, abs=1e-5)
    for item in inspection.tokens:
        if item.token != "[UNK]":  # ":" and "!" never occur in training, so they are unknown
            assert text[item.start : item.end].lower() == item.token.removeprefix("##")
    assert [text[t.start : t.end] for t in inspection.tokens if t.token == "[UNK]"] == [":", "!"]
    assert [text[t.start : t.end] for t in inspection.tokens][:3] == ["Today", "the", "COACH"]


def test_the_model_looks_at_the_keywords(loaded):
    inspection = inspect_text(loaded, "the people said it was very pasta and the soup today")
    top_two = sorted(inspection.tokens, key=lambda item: item.weight, reverse=True)[:2]
    assert {item.token for item in top_two} == {"pasta", "soup"}


def test_truncation_is_reported(loaded):
    inspection = inspect_text(loaded, " ".join(["robot"] * 40))  # max_length is 32
    assert len(inspection.tokens) == 32 and inspection.truncated_tokens == 8
