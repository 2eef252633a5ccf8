"""Which model settings a model never reads."""


def test_settings_the_model_never_reads_are_marked_unused():
    from attncli.unused_settings import unused_model_settings

    mean = {"pooling": "mean", "positional": "rope", "num_layers": 2, "pooling_heads": None}
    assert unused_model_settings(mean) == {
        "pooling_heads": "pooling is mean", "pooling_attention": "pooling is mean",
        "max_relative_distance": "positional is rope", "segment_length": "positional is rope",
    }  # fmt: skip
    flat = {"pooling": "attention", "positional": "relative", "num_layers": 0, "pooling_heads": None}
    assert set(unused_model_settings(flat)) == {
        "segment_length",
        "ff_dim",
        "attention_dropout",
        "attention_impl",
    }
    # num_heads and attention still shape the pooling while it follows them
    sized = {**flat, "pooling_heads": 16, "pooling_attention": "additive"}
    assert {"num_heads", "attention"} <= set(unused_model_settings(sized))
    additive = {**mean, "attention": "additive"}
    assert unused_model_settings(additive)["attention_impl"] == "additive scoring has no fused kernel"


def test_tokenizer_settings_the_tokenizer_never_read_are_marked_unused():
    from attncli.unused_settings import unused_tokenizer_settings

    assert unused_tokenizer_settings({"kind": "wordpiece", "min_frequency": 2, "path": None}) == {}
    assert unused_tokenizer_settings({"kind": "unigram", "min_frequency": 2, "path": None}) == {
        "min_frequency": "the unigram trainer takes no minimum frequency"
    }
    given = {
        "kind": "unigram", "vocab_size": 8000, "min_frequency": 2, "lowercase": True, "strip_html": False,
        "path": "t.json",
    }  # fmt: skip
    assert set(unused_tokenizer_settings(given)) == set(given) - {"path"}
    # Only what the section holds: a config saved by an earlier attn may lack a setting.
    assert unused_tokenizer_settings({"kind": "unigram", "vocab_size": 100}) == {}
    assert set(unused_tokenizer_settings({"kind": "bpe", "path": "t.json"})) == {"kind"}
