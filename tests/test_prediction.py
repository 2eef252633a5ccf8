import pytest

from attncli.checkpoint import load_checkpoint
from attncli.errors import DataError
from attncli.prediction import predict


@pytest.fixture(scope="module")
def loaded(trained):
    return load_checkpoint(trained.output)


def test_predictions_are_right_and_probabilities_sum_to_one(loaded):
    texts = ["we had pasta with cheese", "the coach praised the tennis match", "a new laptop chip"]
    predictions = predict(loaded, texts, top_k=3)
    assert [p.label for p in predictions] == ["food", "sport", "tech"]
    for prediction in predictions:
        scores = [score for _, score in prediction.top_k]
        assert sum(scores) == pytest.approx(1.0, abs=1e-5)
        assert scores == sorted(scores, reverse=True)
        assert prediction.top_k[0] == (prediction.label, prediction.score)
    assert set(predictions[0].to_json()) == {"text", "label", "score", "top_k"}


def test_top_k_is_capped_and_order_is_kept(loaded):
    texts = ["robot internet"] + ["soup"] * 70 + ["goal"]  # more than one batch
    predictions = predict(loaded, texts, top_k=10, batch_size=16)
    assert len(predictions[0].top_k) == 3
    assert [p.text for p in predictions] == texts
    assert (predictions[0].label, predictions[-1].label) == ("tech", "sport")


def test_empty_texts_are_refused(loaded):
    with pytest.raises(DataError, match="text 2 is empty"):
        predict(loaded, ["fine", "  "])
    with pytest.raises(DataError, match="no text"):
        predict(loaded, [])
