import pytest

from attncli.checkpoint import load_checkpoint
from attncli.inspection import inspect_text
from attncli.tokenization import encode
from attncli.tokenizer import UNK_TOKEN


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
    """One keyword can be enough for the model, so the second may get little weight of its own (seeds
    vary): the top token is a keyword, and the two together get over twice their uniform share."""
    inspection = inspect_text(loaded, "the people said it was very pasta and the soup today")
    top = max(inspection.tokens, key=lambda item: item.weight)
    keywords = sum(item.weight for item in inspection.tokens if item.token in {"pasta", "soup"})
    assert top.token in {"pasta", "soup"}
    assert keywords > 2 * 2 / len(inspection.tokens)


def test_truncation_is_reported(loaded):
    inspection = inspect_text(loaded, " ".join(["robot"] * 40))  # max_length is 32
    assert len(inspection.tokens) == 32 and inspection.truncated_tokens == 8


def test_received_attention_averages_real_queries_and_drops_the_classification_token():
    import torch

    from attncli.inspection import received_attention

    attention = torch.tensor(
        [
            [[0.5, 0.25, 0.25], [0.0, 0.5, 0.5], [0.0, 1.0, 0.0]],
            [[1.0, 0.0, 0.0], [0.2, 0.4, 0.4], [0.2, 0.0, 0.8]],
        ]
    )  # (H=2, T'=3, T'=3), position 0 a classification token
    assert received_attention(attention, head=0, offset=1).tolist() == [0.75, 0.25]  # (0.5+1)/2, (0.5+0)/2
    both = received_attention(attention, head=None, offset=0)
    # heads averaged: [[.75, .125, .125], [.1, .45, .45], [.1, .5, .4]]; then the mean of the rows
    assert torch.allclose(both, torch.tensor([0.95, 1.075, 0.975]) / 3)


def test_rollout_mixes_each_layer_with_the_residual_and_chains_layers():
    import torch

    from attncli.inspection import attention_rollout

    layer = torch.tensor([[[0.0, 1.0], [0.0, 1.0]]])  # every query reads token 1 only
    start = torch.tensor([1.0, 0.0])
    one = attention_rollout([layer], start)
    assert torch.allclose(one, torch.tensor([0.5, 0.5]))  # half residual, half attention
    two = attention_rollout([layer, layer], start)
    assert torch.allclose(two, torch.tensor([0.25, 0.75]))
    assert torch.allclose(two.sum(), torch.tensor(1.0))


@pytest.mark.parametrize("pooling", ["attention", "cls", "mean"])
def test_every_view_sums_to_one_over_the_real_tokens(tmp_path, pooling):
    from conftest import save_untrained_checkpoint

    path = save_untrained_checkpoint(tmp_path / pooling, num_layers=2, pooling=pooling, positional="rope")
    loaded = load_checkpoint(path)
    text = "the coach said football today"
    views = [{"layer": 1}, {"layer": 2, "head": 2}, {"rollout": True}]
    if pooling != "mean":
        views.append({"pooling": True})
    views.append({})  # the default: rollout, for a model with self-attention layers
    for view in views:
        inspection = inspect_text(loaded, text, **view)
        assert len(inspection.tokens) == 5, view
        assert sum(item.weight for item in inspection.tokens) == pytest.approx(1.0, abs=1e-5), view
        assert all(item.weight >= 0 for item in inspection.tokens)
    assert inspect_text(loaded, text).view.startswith("attention rollout through 2 layers")
    if pooling == "cls":
        assert "classification token" in inspect_text(loaded, text, pooling=True).view
        # One head of it, as --pooling --head shows one head of attention pooling (it was refused,
        # with advice that led to another refusal).
        import torch

        one = inspect_text(loaded, text, pooling=True, head=2)
        assert one.view == "attention from the classification token in the last layer (head 2 of 2)"
        with torch.inference_mode():
            (encoded,) = encode(loaded.tokenizer, [text], max_length=loaded.config.model.length)
            ids = torch.tensor([encoded.ids])
            last = loaded.model(ids, return_attentions=True).attentions[-1][0, 1, 0, 1:]
        expected = (last / last.sum()).tolist()
        assert [item.weight for item in one.tokens] == pytest.approx(expected, abs=1e-6)
        with pytest.raises(Exception, match="--head 3: the last layer has 2 heads"):
            inspect_text(loaded, text, pooling=True, head=3)
        with pytest.raises(Exception, match=r"or of the classification token's attention \(pass --pooling\)"):
            inspect_text(loaded, text, head=1)


@pytest.mark.parametrize(
    ("pooling", "positional"), [("attention", "rope"), ("cls", "alibi"), ("mean", "learned")]
)
def test_texts_inspected_together_get_the_weights_each_gets_alone(tmp_path, pooling, positional):
    """inspect runs a file's texts through the model in padded batches of similar length; padding
    must change nothing a text shows, in any view (the layers' weights are cut to the text's own
    positions, and rollout runs over those alone)."""
    from conftest import save_untrained_checkpoint

    from attncli.inspection import inspect_texts

    path = save_untrained_checkpoint(tmp_path / pooling, num_layers=2, pooling=pooling, positional=positional)
    loaded = load_checkpoint(path)
    texts = [
        "the coach said football today",
        "shares",
        "the minister said the election is today and the coach said football",
        "football today",
        "the election",
        "the coach said football today " * 20,  # cut at max_length
    ]
    views = [{"layer": 1}, {"layer": 2, "head": 2}, {"rollout": True}, {}, {"words": True}]
    if pooling != "mean":
        views += [{"pooling": True}, {"pooling": True, "head": 1}]
    for view in views:
        alone = [inspect_text(loaded, text, **view) for text in texts]
        # A budget of 24 positions: several batches, each padded to its longest text.
        together = inspect_texts(loaded, texts, max_tokens=24, **view)
        assert [item.text for item in together] == texts, view
        for one, batched in zip(alone, together, strict=True):
            assert (batched.label, batched.view) == (one.label, one.view), view
            assert batched.score == pytest.approx(one.score, abs=1e-5), view
            assert [(t.token, t.start, t.end) for t in batched.tokens] == [
                (t.token, t.start, t.end) for t in one.tokens
            ], view
            assert [t.weight for t in batched.tokens] == pytest.approx(
                [t.weight for t in one.tokens], abs=1e-5
            ), view
            assert batched.truncated_tokens == one.truncated_tokens, view
    assert together[-1].truncated_tokens > 0  # the long text was cut, and batched with short ones
    with pytest.raises(Exception, match=r"^text 1 \(counting from 0\) is empty"):
        inspect_texts(loaded, ["football", "  "])
    with pytest.raises(TypeError, match=r"^text 0 \(counting from 0\) is NoneType, not a str$"):
        inspect_text(loaded, None)
    with pytest.raises(TypeError, match="a list of texts, not one text"):
        inspect_texts(loaded, "football")


def test_views_a_model_lacks_are_refused_with_what_to_do(tmp_path):
    from conftest import save_untrained_checkpoint

    from attncli.inspection import InspectError

    mean = load_checkpoint(save_untrained_checkpoint(tmp_path / "mean", num_layers=1, pooling="mean"))
    with pytest.raises(InspectError, match="pools by mean, which has no pooling weights"):
        inspect_text(mean, "football", pooling=True)
    assert inspect_text(mean, "football").view.startswith("attention rollout")
    # Max pooling has no weights to roll out from: its last layer's attention is shown.
    maximum = load_checkpoint(save_untrained_checkpoint(tmp_path / "max", num_layers=2, pooling="max"))
    assert inspect_text(maximum, "football").view == inspect_text(maximum, "football", layer=2).view
    assert inspect_text(maximum, "football").view.startswith("attention received in layer 2")
    with pytest.raises(InspectError, match="max pooling reads each dimension from one token.*; use --layer"):
        inspect_text(maximum, "football", rollout=True)
    flat = load_checkpoint(save_untrained_checkpoint(tmp_path / "flat", num_layers=0, pooling="max"))
    with pytest.raises(
        InspectError,
        match="pools by max and has no self-attention layers, so no weights say what it looked at; "
        "train with model.pooling=attention",
    ):
        inspect_text(flat, "football")
    with pytest.raises(InspectError, match="no self-attention layers"):
        inspect_text(flat, "football", layer=1)
    for view, message in [
        ({"layer": 2}, "--layer 2: the model has 1 layer, numbered from 1"),
        ({"layer": 1, "head": 3}, "--head 3: each layer has 2 heads, numbered from 1"),
        ({"head": 1}, r"pass --layer too\)$"),
        ({"layer": 1, "rollout": True}, "either --layer or --rollout"),
    ]:
        with pytest.raises(InspectError, match=message):
            inspect_text(mean, "football", **view)


def test_words_merge_pieces_and_sum_their_weights(loaded):
    text = "footballs and robots"  # unseen plurals split into pieces by WordPiece
    pieces = inspect_text(loaded, text)
    words = inspect_text(loaded, text, words=True)
    assert [t.token for t in words.tokens] == ["footballs", "and", "robots"]
    assert len(pieces.tokens) > 3 and words.view.endswith("merged into words")
    assert sum(t.weight for t in words.tokens) == pytest.approx(1.0, abs=1e-5)
    football = [t.weight for t in pieces.tokens if t.end <= len("footballs")]
    assert words.tokens[0].weight == pytest.approx(sum(football), abs=1e-6)
    assert [t.pieces for t in words.tokens] == [len(football), 1, len(pieces.tokens) - len(football) - 1]


def test_words_keep_an_unknown_word_marked_unknown(loaded):
    text = "football zzqxv robots"
    for words in (False, True):
        tokens = inspect_text(loaded, text, words=words).tokens
        unknown = [t for t in tokens if t.token == UNK_TOKEN]
        assert [text[t.start : t.end] for t in unknown] == ["zzqxv"], (words, tokens)


def test_a_word_with_an_unknown_piece_keeps_its_spelling_and_counts_the_piece():
    from attncli.inspection import merge_words
    from attncli.tokenization import Encoded

    text = "café zzz ok"
    encoded = Encoded(
        ids=[1, 2, 3, 4, 5], offsets=[(0, 1), (1, 3), (3, 4), (5, 8), (9, 11)], word_ids=[0, 0, 0, 1, 2],
        untruncated_length=5,
    )  # fmt: skip
    merged = merge_words(encoded, [0.1, 0.2, 0.3, 0.25, 0.15], text, ["c", "af", UNK_TOKEN, UNK_TOKEN, "ok"])
    assert [(t.token, t.start, t.end, t.pieces, t.unknown_pieces, t.unknown) for t in merged] == [
        ("café", 0, 4, 3, 1, True),  # it was [UNK], as if the model had read none of it
        (UNK_TOKEN, 5, 8, 1, 1, True),
        ("ok", 9, 11, 1, 0, False),
    ]
    assert merged[0].weight == pytest.approx(0.6)
    # Every piece unknown: the word is the unknown token, as before.
    whole = Encoded(ids=[1, 2], offsets=[(0, 2), (2, 3)], word_ids=[0, 0], untruncated_length=2)
    (word,) = merge_words(whole, [0.5, 0.5], "zzz", [UNK_TOKEN, UNK_TOKEN])
    assert (word.token, word.pieces, word.unknown_pieces) == (UNK_TOKEN, 2, 2)


def test_pooling_heads_are_shown_averaged_and_said_so_or_one_at_a_time(tmp_path):
    """Each pooling head pools its own slice of the states with its own weights: the default view
    is their mean and says so; --head shows the weights one head really used."""
    import torch
    from conftest import save_untrained_checkpoint

    from attncli.inspection import InspectError
    from attncli.packing import pad_batch
    from attncli.tokenization import encode

    path = save_untrained_checkpoint(tmp_path / "heads", num_layers=0, pooling="attention", pooling_heads=4)
    loaded = load_checkpoint(path)
    text = "the coach said football today"
    averaged = inspect_text(loaded, text)
    assert averaged.view == "attention pooling weights (4 heads averaged)"
    ids = pad_batch([encode(loaded.tokenizer, [text], max_length=32)[0].ids], pad_id=loaded.pad_id)
    with torch.inference_mode():
        per_head = loaded.model(ids).pooling_head_weights[0]  # (4, T)
    for head in range(1, 5):
        shown = inspect_text(loaded, text, head=head)
        assert shown.view == f"attention pooling weights of head {head} of 4"
        assert [item.weight for item in shown.tokens] == pytest.approx(per_head[head - 1].tolist(), abs=1e-6)
    assert [item.weight for item in averaged.tokens] == pytest.approx(per_head.mean(0).tolist(), abs=1e-6)
    assert not torch.allclose(per_head[0], per_head[1])  # the heads differ: a mean is not any one of them
    with pytest.raises(InspectError, match="--head 5: the attention pooling has 4 heads, numbered from 1"):
        inspect_text(loaded, text, head=5)
    with pytest.raises(InspectError, match=r"or of the attention pooling \(pass --pooling\)"):
        inspect_text(
            load_checkpoint(save_untrained_checkpoint(tmp_path / "layered", num_layers=1)), text, head=1
        )
