"""What a run warns of before it trains: settings that train but not as named, unknown tokens."""


def test_settings_that_train_but_not_as_named_are_warned_of():
    """Warned, not refused: checkpoints saved with them must still load."""
    from attncli.model_config import ModelConfig
    from attncli.run_warnings import model_warnings

    assert model_warnings(ModelConfig(positional="alibi", num_heads=4, embed_dim=16)) == []
    # One head: the paper's gentlest slope, too gentle to order a short text's words.
    (one,) = model_warnings(ModelConfig(positional="alibi", num_heads=1, embed_dim=16, max_length=16))
    assert one == (
        "model.positional=alibi with model.num_heads=1: its one head gets the paper's slope for one head, "
        "1/256 a token (two heads get 1/16), and penalises only keys on its left, so the model hardly sees "
        "word order; use an even number of heads (2 or more)"
    )
    from attncli.model.alibi import alibi_slopes

    assert alibi_slopes(1).tolist() == [1 / 256] and alibi_slopes(2).tolist()[0] == 1 / 16  # as it says
    (three,) = model_warnings(ModelConfig(positional="alibi", num_heads=3, embed_dim=12))
    assert three.endswith("distance only to keys on its left; use an even number of heads")
    (rope,) = model_warnings(ModelConfig(positional="rope", attention="additive", num_heads=2, embed_dim=16))
    assert "use dot or scaled_dot attention with rope" in rope
    assert model_warnings(ModelConfig(positional="rope", attention="dot", num_heads=2, embed_dim=16)) == []
    # Segments as long as the texts (64 against headlines sized to 16 tokens): one segment a text.
    from attncli.run_warnings import one_segment_warning

    one_segment = ModelConfig(positional="segment", segment_length=64, max_length=16, embed_dim=16)
    assert one_segment_warning(one_segment) == (
        "model.positional=segment with model.segment_length=64 and model.max_length=16: every text is one "
        "segment, so segments add nothing to sinusoidal positions; set model.segment_length below 16"
    )
    assert one_segment_warning(ModelConfig(positional="segment", segment_length=4, max_length=16)) is None
    assert one_segment_warning(ModelConfig(positional="learned", segment_length=64, max_length=16)) is None


def test_a_tokenizer_path_whose_unknown_token_is_spelt_unk_is_warned_of_too(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    from attncli.config import TokenizerConfig
    from attncli.packing import PackedSequences
    from attncli.run_warnings import unknown_tokens_warning

    tokenizer = Tokenizer(models.WordLevel({"<pad>": 0, "<unk>": 1, "goal": 2}, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    ids = PackedSequences.of_lists([tokenizer.encode("goal for the team").ids])  # 3 of 4 unknown
    warning = unknown_tokens_warning(tokenizer, ids, TokenizerConfig(path="other.json"))
    assert warning == (
        "75% of the training tokens are <unk> to the vocabulary of 3, so the model cannot tell those words "
        "apart; the tokenizer in other.json was not made for these texts: leave tokenizer.path out to train "
        "one on them"
    )


def test_an_adversarial_move_as_long_as_a_word_is_warned_of():
    from attncli.run_warnings import adversarial_warning

    assert (
        adversarial_warning(None) is None
        and adversarial_warning(1.0) is None
        and adversarial_warning(1.2) is None
    )
    warning = adversarial_warning(1.5)
    assert warning is not None and warning.startswith("train.adversarial=1.5 moves each text's embeddings")
    assert warning.endswith("; keep it at 1.2 or less")


def test_an_encoding_for_a_parquet_or_arrow_file_is_warned_of_as_unused():
    """Found in a user's trial: predict refused --delimiter for a parquet file and took --encoding
    without a word; a parquet's or Arrow file's texts are UTF-8 whatever is set."""
    from attncli.config_loading import load_config
    from attncli.run_warnings import given_but_unused

    for source, kind in (("d.parquet", "parquet"), ("d.arrow", "arrow")):
        config = load_config(None, [f"data.source={source}", "data.encoding=latin-1"])
        assert given_but_unused(config, {"data.encoding": "latin-1"}) == [
            f"data.encoding=latin-1 ({source} is a {kind} file, whose texts are UTF-8)"
        ]
    config = load_config(None, ["data.source=d.csv", "data.encoding=latin-1"])
    assert given_but_unused(config, {"data.encoding": "latin-1"}) == []


def test_a_minimum_frequency_for_a_unigram_tokenizer_is_warned_of_as_unused():
    """The unigram trainer takes none: `tokenizer.min_frequency=50` gave the same vocabulary as 2,
    without a word (a trial of the model family)."""
    from attncli.config_loading import load_config
    from attncli.run_warnings import given_but_unused

    given = {"tokenizer.min_frequency": 50}
    unigram = load_config(None, ["data.source=d.csv", "tokenizer.kind=unigram", "tokenizer.min_frequency=50"])
    assert given_but_unused(unigram, given) == [
        "tokenizer.min_frequency=50 (the unigram trainer takes no minimum frequency)"
    ]
    bpe = load_config(None, ["data.source=d.csv", "tokenizer.kind=bpe", "tokenizer.min_frequency=50"])
    assert given_but_unused(bpe, given) == []


def test_an_out_of_scope_class_is_warned_of_while_made_up_texts_train_towards_no_label():
    """A trial of 149 intents and `oos`: 0 of 200 unfamiliar questions were labelled `oos`, every one
    a low-confidence intent; 200 of 200 with train.outlier_rows=0."""
    from attncli.run_warnings import out_of_scope_warning

    said = out_of_scope_warning(["card_arrival", "OUT_OF_SCOPE", "top_up"], 4)
    assert said == (
        "label 'OUT_OF_SCOPE' looks like an out-of-scope class, and train.outlier_rows trains made-up texts "
        "towards no label at all, so a text unlike every other label may get one of them at low confidence "
        "rather than 'OUT_OF_SCOPE'; --set train.outlier_rows=0 took a trial's unfamiliar questions from 0 "
        "to 200 of 200 into 'OUT_OF_SCOPE', and left another's at 45%, where keeping the made-up texts kept "
        "their scores low enough for predict's --min-score to catch more: try both on unfamiliar texts of "
        "your own"
    )
    assert out_of_scope_warning(["oos", "a"], 0) is None  # no made-up texts: nothing to warn of
    assert out_of_scope_warning(["other", "sport"], 4) is None  # a class of its own in topic data


def test_training_says_the_out_of_scope_warning_on_a_fresh_run_only(tmp_path):
    from conftest import TINY_MODEL, StageRecorder, write_csv

    from attncli.config_loading import load_config
    from attncli.run_warnings import out_of_scope_warning
    from attncli.train import train

    labels = ["oos", "top_up"]
    rows = [
        {"text": f"{labels[index % 2]} word{index % 7}", "label": labels[index % 2]} for index in range(60)
    ]
    path = write_csv(tmp_path / "intents.csv", rows)
    recorder = StageRecorder()
    train(
        load_config(None, [*TINY_MODEL, f"data.source={path}", "train.epochs=1"]),
        output=tmp_path / "run",
        reporter=recorder,
    )
    assert [line for line in recorder.lines if "out-of-scope" in line] == [
        "warning: " + out_of_scope_warning(["oos", "top_up"], 4)
    ]
    quiet = StageRecorder()
    settings = [*TINY_MODEL, f"data.source={path}", "train.epochs=1", "train.outlier_rows=0"]
    train(load_config(None, settings), output=tmp_path / "quiet", reporter=quiet)
    assert not [line for line in quiet.lines if "out-of-scope" in line]


def test_subword_dropout_for_a_word_tokenizer_is_warned_of_as_unused():
    from attncli.config_loading import load_config
    from attncli.run_warnings import given_but_unused

    given = {"train.subword_dropout": 0.1}
    word = load_config(None, ["data.source=d.csv", "tokenizer.kind=word", "train.subword_dropout=0.1"])
    assert given_but_unused(word, given) == [
        "train.subword_dropout=0.1 (a word tokenizer's tokens are whole words, made of no pieces)"
    ]
    bpe = load_config(None, ["data.source=d.csv", "tokenizer.kind=bpe", "train.subword_dropout=0.1"])
    assert given_but_unused(bpe, given) == []
    # 0, as the rule sizes it for words and a run's config.json then gives it again: what the run does.
    off = load_config(None, ["data.source=d.csv", "tokenizer.kind=word", "train.subword_dropout=0"])
    assert given_but_unused(off, {"train.subword_dropout": 0.0}) == []


def test_attention_scores_larger_than_the_memory_available_are_warned_of_before_training():
    """A long-document trial's relative positions at 4,096 tokens were killed by the system at
    24.4 GB, printing nothing; rope, whose scores the fused kernel keeps blockwise, is not warned of."""
    from attncli.config_loading import load_config
    from attncli.out_of_memory import available_memory
    from attncli.run_warnings import score_memory_warning

    def model(*settings):
        base = ["model.num_layers=1", "model.max_length=4096", "model.embed_dim=128"]
        return load_config(None, [*base, *settings]).model

    relative = model("model.positional=relative")
    assert score_memory_warning(relative, 32, 20 * 2**30) == (
        "model.positional=relative keeps every score of a text in memory: a training step's attention "
        "holds about 24.0 GiB (3 tables of 32 texts x 4 heads x 4,096² scores in its layer), where 20.0 GiB "
        "is available, so the system may end the run without a word; lower --batch-size or --max-length, "
        "or use positions the fused kernel takes (rope)"
    )
    assert score_memory_warning(relative, 32, 25 * 2**30) is None  # it fits
    assert score_memory_warning(relative, 8, 20 * 2**30) is None  # 6 GiB
    assert score_memory_warning(relative, 32, None) is None  # not known on this system
    assert score_memory_warning(model("model.positional=rope"), 32, 2**30) is None
    assert score_memory_warning(model("model.positional=sinusoidal", "model.num_layers=0"), 32, 1) is None
    additive = score_memory_warning(model("model.attention=additive", "model.num_layers=2"), 32, 20 * 2**30)
    assert additive is not None and additive.startswith("model.attention=additive keeps every score")
    assert "about 1536.0 GiB" in additive and "in each of its 2 layers" in additive  # x32, the head width
    assert "4,096² scores x 32 (additive scores a head's whole width)" in additive  # the figures multiply
    assert additive.endswith("or use scaled_dot attention")
    # Each cause named with its remedy (the explicit path of relative positions: fused would not help).
    both = score_memory_warning(model("model.positional=alibi", "model.attention_impl=explicit"), 32, 1)
    assert both is not None and both.startswith(
        "model.positional=alibi and model.attention_impl=explicit keep"
    )
    assert both.endswith("or use positions the fused kernel takes (rope) and model.attention_impl=fused")
    # What the machine has: the system's available memory and free swap, within a container's limit.
    available = available_memory()
    assert available is None or available > 0
