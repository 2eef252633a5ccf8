import pytest

from attncli.checkpoint import load_checkpoint
from attncli.inspection import inspect_text
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
    # UTF-8 bytes are their text, as predict reads them (inspect refused what predict labelled).
    written = "football café"
    assert inspect_text(loaded, written.encode()).tokens == inspect_text(loaded, written).tokens
    not_utf8 = r"^text 0 \(counting from 0\) is bytes that are not UTF-8; decode them first$"
    with pytest.raises(TypeError, match=not_utf8):
        inspect_text(loaded, b"\xff football")
    with pytest.raises(TypeError, match="a list of texts, not one text"):
        inspect_texts(loaded, "football")
    # Any iterable in order, as predict takes (a generator was `object of type 'generator' has no
    # len()`); not a set, whose order is not the caller's.
    from_generator = inspect_texts(loaded, (text for text in ["football", "pasta"]))
    assert [item.text for item in from_generator] == ["football", "pasta"]
    with pytest.raises(
        TypeError,
        match="^inspect_texts takes a list of texts in the order of its results, not a set, which has no",
    ):
        inspect_texts(loaded, {"football"})
    # inspect_text takes one text: a list or None given to it is said of it (a service engineer's trial
    # was told of inspect_texts and of a "text 0").
    for given, kind in ((["football"], "list"), (None, "NoneType")):
        with pytest.raises(
            TypeError, match=f"^inspect_text takes one text, a str, not {kind}; inspect_texts"
        ):
            inspect_text(loaded, given)  # type: ignore[arg-type]


def test_layer_and_head_are_whole_numbers_as_top_k_is(tmp_path):
    """layer=1.0 was "list indices must be integers or slices, not float", head="2" a comparison of
    int and str, and layer=True was read as layer 1."""
    import numpy
    from conftest import save_untrained_checkpoint

    loaded = load_checkpoint(save_untrained_checkpoint(tmp_path / "ck", num_layers=2))
    for given, said in (
        ({"layer": 1.0}, r"^layer \(--layer\) takes a whole number, not 1\.0$"),
        ({"layer": True}, r"^layer \(--layer\) takes a whole number, not True$"),
        ({"layer": 1, "head": "2"}, r"^head \(--head\) takes a whole number, not '2'$"),
    ):
        with pytest.raises(TypeError, match=said):
            inspect_text(loaded, "football", **given)
    by_numpy = inspect_text(loaded, "football", layer=numpy.int64(2), head=numpy.int64(1))
    assert by_numpy.tokens == inspect_text(loaded, "football", layer=2, head=1).tokens


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
    # One character NFKC made four words of ("ﷺ"), all on its span: one entry, not four.
    expanded = Encoded(
        ids=[1, 2, 3, 4, 5], offsets=[(0, 4), (5, 6), (5, 6), (5, 6), (5, 6)], word_ids=[0, 1, 2, 3, 4],
        untruncated_length=5,
    )  # fmt: skip
    unknown = [UNK_TOKEN] * 4
    merged = merge_words(expanded, [0.2, 0.2, 0.2, 0.2, 0.2], "رائع ﷺ", ["رائع", *unknown])
    assert [(t.token, t.start, t.end, t.pieces, t.unknown_pieces) for t in merged] == [
        ("رائع", 0, 4, 1, 0),
        (UNK_TOKEN, 5, 6, 4, 4),
    ]
    assert merged[1].weight == pytest.approx(0.8)
