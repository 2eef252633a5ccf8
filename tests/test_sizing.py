import dataclasses
import json
import math
import random

import pytest

from attncli.config import Config
from attncli.config_loading import load_config
from attncli.errors import ConfigError
from attncli.model_config import ModelConfig
from attncli.sizing import (
    DataProfile,
    counted_words,
    profile_texts,
    size_to_data,
    sized_settings,
    unsized_keys,
)


def _profile(words, *, distinct=1000, cap=15997, longest=12, texts=1000):
    return DataProfile(
        texts=texts, words=words, distinct_words=distinct, distinct_cap=cap, longest_words=longest
    )


def test_profile_counts_words_as_the_pre_tokenizer_splits_them():
    texts = ["Hello, world!", "hello again", "我喜欢这部电影", "   "]
    profile = profile_texts(texts, lowercase=True, distinct_cap=100)
    # hello , world ! / hello again / 7 ideographs, one word each / nothing
    assert (profile.texts, profile.words) == (4, 4 + 2 + 7 + 0)
    assert profile.distinct_words == 5 + 7  # hello , world ! again + the ideographs
    assert profile.all_words_fit
    assert profile_texts(texts, lowercase=False, distinct_cap=100).distinct_words == 13  # Hello != hello
    # Words as tokenizer.strip_accents reads them: devolución and devolucion are one (a review)
    accented = ["devolución devolucion", "artículo"]
    assert profile_texts(accented, lowercase=True, distinct_cap=100).distinct_words == 3
    assert profile_texts(accented, lowercase=True, strip_accents=True, distinct_cap=100).distinct_words == 2


def test_profile_splits_like_the_tokenizer_on_underscores_marks_and_symbols():
    from attncli.config import TokenizerConfig
    from attncli.tokenizer import build_untrained_tokenizer

    tokenizer, _ = build_untrained_tokenizer(TokenizerConfig())
    for text in ["snake_case_name and foo_bar", "नमस्ते दुनिया, आप कैसे हैं", "a+b = 3.5% 👍🏽", "ไม่ใช่"]:
        normalised = tokenizer.normalizer.normalize_str(text)
        expected = len(tokenizer.pre_tokenizer.pre_tokenize_str(normalised))
        assert profile_texts([text], lowercase=True, distinct_cap=100).words == expected, text


def test_long_data_is_profiled_from_an_evenly_spaced_sample(monkeypatch):
    import attncli.sizing as sizing

    monkeypatch.setattr(sizing, "PROFILE_CHARACTERS", 20_000)
    texts = ["one two three"] * 5_000 + ["one two three four five six seven"] * 5_000  # sorted data
    profile = profile_texts(texts, lowercase=True, distinct_cap=100)
    assert profile.texts == 10_000 and profile.words == pytest.approx(50_000, rel=0.02)
    assert profile.longest_words == 7 and profile.distinct_words == 7
    # Every tenth text is long: the 1,000 texts read are every tenth one, so the profile sees only
    # long texts (all 10,000 would make 34,000 words, not 70,000).
    texts = [
        "one two three four five six seven" if index % 10 == 0 else "one two three" for index in range(10_000)
    ]
    profile = profile_texts(texts, lowercase=True, distinct_cap=100)
    assert (profile.words, profile.longest_words, profile.word_lengths) == (70_000, 7, ((7, 1_000),))


def test_profile_stops_counting_distinct_words_past_the_cap_and_takes_the_99th_percentile():
    texts = [" ".join(f"w{i}x{j}" for j in range(5)) for i in range(100)] + ["a " * 40]
    profile = profile_texts(texts, lowercase=True, distinct_cap=10)
    assert not profile.all_words_fit and profile.distinct_words <= 10 + 5
    assert profile.longest_words == 5  # 100 of 101 texts have 5 words: the 40-word one is the last 1%
    assert profile_texts([], lowercase=True, distinct_cap=10).longest_words == 0
    spread = profile_texts(["w " * words for words in range(1, 101)], lowercase=True, distinct_cap=10)
    assert spread.longest_words == 99  # 99 of the 100 texts have at most 99 words


def test_small_data_gets_whole_words_a_narrow_model_and_many_epochs():
    chosen = sized_settings(Config(), _profile(9_425, distinct=3_139, longest=12, texts=1_603))
    assert chosen == {
        "tokenizer.kind": "word",
        "tokenizer.min_frequency": 1,
        "model.embed_dim": 64,
        "model.num_layers": 0,
        "model.dropout": 0.3,  # adversarial training regularises too
        "model.pooling_heads": 16,
        "model.max_length": 16,
        "train.epochs": 20,
        "train.patience": 3,
        "train.adversarial": 1.0,
        "train.refit_epochs": 4,  # the 178 held-out rows: +0.7 points of mean on the headlines
        "train.subword_dropout": 0.0,  # whole words have no pieces to split
        "train.rare_word_dropout": 0.25,  # no blocks: an unseen word among known ones is no evidence
    }


def test_korean_arabic_hebrew_and_indian_scripts_get_bpe_pieces_whatever_their_size():
    """Their words carry particles and prefixes attached (환불을, والشحن): a trial's keywords with a
    particle training lacked were at chance with whole words (20%) and WordPiece (23-59%), and read
    by BPE (88-96%); so with Hebrew's prefixes and Hindi's, Bengali's and Tamil's endings (31-52%
    whole, 41-100% BPE). Text that only holds a few such words keeps the rule's choice."""
    korean = [f"주문 {n}번 환불을 요청합니다 배송이 늦어요" for n in range(300)]
    arabic = [f"أريد استرداد المبلغ والشحن متأخر {n}" for n in range(300)]
    hebrew = [f"והמשלוח שלי עדיין לא הגיע {n}" for n in range(300)]  # ו "and", ה "the" on the word
    hindi = [f"मेरी डिलीवरी में देरी हो गई {n}" for n in range(300)]  # its vowel signs are no letters
    english = [f"please refund order {n}, the parcel is late 환불" for n in range(300)]
    # Gulf customers write Arabic between English words: a trial's such messages were read by whole
    # words at 23-29% where their Arabic keywords took prefixes training lacked, by BPE at 100%.
    gulf = [f"hi الطرد {n} very bad" for n in range(300)]
    cases = [(korean, "bpe", 1.0), (arabic, "bpe", 1.0), (hebrew, "bpe", 1.0), (hindi, "bpe", 1.0)]
    cases.append((gulf, "bpe", 5 / 14))
    for texts, kind, share in (*cases, (english, "word", 2 / 34)):
        profile = profile_texts(texts, lowercase=True, distinct_cap=15997)
        assert math.isclose(profile.affixed_share, share, abs_tol=0.01), profile.affixed_share
        chosen = sized_settings(Config(), profile)
        assert (chosen["tokenizer.kind"], chosen["tokenizer.min_frequency"]) == (
            kind,
            2 if kind == "bpe" else 1,
        )
        # Their pieces are split while training, so that the pieces of forms training lacked are trained.
        assert chosen["train.subword_dropout"] == (0.1 if kind == "bpe" else 0.0)
    # A kind given is kept; whole words have no pieces to split.
    given = sized_settings(
        load_config(None, ["tokenizer.kind=word"]), profile_texts(korean, lowercase=True, distinct_cap=15997)
    )
    assert "tokenizer.kind" not in given and given["train.subword_dropout"] == 0.0
    pieces = load_config(None, ["tokenizer.kind=wordpiece", "train.subword_dropout=0.2"])
    korean_profile = profile_texts(korean, lowercase=True, distinct_cap=9)
    assert "train.subword_dropout" not in sized_settings(pieces, korean_profile)


def test_small_data_gets_enough_steps_and_patience_counted_in_steps():
    """20 passes over 90 texts are 60 steps: the keyword task of 100 rows reached 80.5% on test, and
    a validation row of 10 flipping stopped it; with 1,000 steps and 150 steps of patience, 100%."""
    rows = [f"{random.Random(n).choice(['superb', 'awful'])} word{n % 7} day" for n in range(90)]
    profile = profile_texts(rows, lowercase=True, distinct_cap=15997)
    chosen = sized_settings(Config(), profile)
    assert profile.texts == 90 and (chosen["train.epochs"], chosen["train.patience"]) == (
        300,
        50,
    )  # 3 steps a pass
    fewer = sized_settings(Config(), _profile(3_000, texts=400))  # 13 steps a pass: 77 passes make 1,000
    assert (fewer["train.epochs"], fewer["train.patience"]) == (77, 12)
    headlines = sized_settings(Config(), _profile(9_425, texts=1_603))  # 51 steps: as before
    assert (headlines["train.epochs"], headlines["train.patience"]) == (20, 3)
    bigger_batches = sized_settings(load_config(None, ["train.batch_size=128"]), _profile(9_425, texts=1_603))
    assert (bigger_batches["train.epochs"], bigger_batches["train.patience"]) == (77, 12)
    # Few long texts: 193 essays (7 steps a pass, 97,703 words) got the 31 passes that see 3M words,
    # 217 steps, and never told two grades apart; small data takes 1,000 steps however long its texts.
    essays = sized_settings(Config(), _profile(97_703, texts=193))
    assert (essays["train.epochs"], essays["train.patience"]) == (143, 22)
    medium = sized_settings(Config(), _profile(75_000, texts=500))  # 16 steps a pass: 47 passes see 3M words
    assert medium["train.epochs"] == 63
    articles = sized_settings(Config(), _profile(750_000, texts=1_603))  # not small: the words decide
    assert articles["train.epochs"] == 4  # 51 steps a pass: 204 steps
    # Few long texts of larger data: 300 contracts read at 8,192 tokens (1.3M words, 10 steps a pass)
    # got the 4 passes that see 3M words, 40 steps, and 38% on test; they take the 20 passes that make
    # 200 steps now (100%), as do 300 texts of 120k words (which took the 25 passes that see 3M).
    contracts = sized_settings(Config(), _profile(1_295_749, texts=300))
    assert (contracts["train.epochs"], contracts["train.patience"]) == (20, 15)
    assert sized_settings(Config(), _profile(120_000, texts=300))["train.epochs"] == 20
    assert sized_settings(Config(), _profile(1_200_000, texts=1_000))["train.epochs"] == 7  # 32 steps a pass
    given = sized_settings(load_config(None, ["train.epochs=5", "train.patience=0"]), _profile(900, texts=90))
    assert "train.epochs" not in given and "train.patience" not in given


def test_epochs_given_far_below_the_rules_are_said_with_the_steps_each_makes():
    """A student's --epochs 3 on the headlines (153 steps, where the rule's 20 make 1,000) trained a
    model near chance, and nothing said the rule would have given 20."""
    from attncli.sizing import few_epochs_note

    headlines = _profile(9_425, texts=1_603)  # 51 steps a pass
    assert few_epochs_note(load_config(None, ["train.epochs=3"]), headlines) == (
        "note: train.epochs=3 makes 153 optimisation steps, where the rule sizes 20 epochs (1,020 steps) "
        "for this data: a run this short may learn little, so compare settings at the sized epochs (leave "
        "--epochs out)"
    )
    assert few_epochs_note(load_config(None, ["train.epochs=7"]), headlines) is None  # a third of it, or more
    # Large data whose passes see the words and make the steps the rule wants: one is enough.
    assert few_epochs_note(load_config(None, ["train.epochs=1"]), _profile(30_000_000, texts=40_000)) is None
    assert few_epochs_note(Config(), headlines) is None  # sized


def test_positions_that_need_a_layer_say_which_sized_settings_came_with_it():
    """A model-selection trial compared positional encodings: rope, alibi and relative came with a
    layer, a dropout and no adversarial training of their own, listed among a dozen settings."""
    from attncli.sizing import layer_note

    headlines = _profile(9_425, texts=1_603)
    config = load_config(None, ["model.positional=rope"])
    assert layer_note(config, headlines, sized_settings(config, headlines)) == (
        "note: model.positional=rope needs a self-attention layer, so this run has one (model.num_layers=1) "
        "where the data alone sizes none, and with it model.dropout=0.5 (0.3 without), train.adversarial=0.0 "
        "(1.0 without), train.rare_word_dropout=0.0 (0.25 without); give the runs you compare it with the "
        "same settings"
    )
    cls = load_config(None, ["model.pooling=cls", "train.adversarial=0", "train.rare_word_dropout=0"])
    assert layer_note(cls, headlines, sized_settings(cls, headlines)) == (
        "note: model.pooling=cls needs a self-attention layer, so this run has one (model.num_layers=1) "
        "where the data alone sizes none; give the runs you compare it with the same settings"
    )  # what came with the layer is given: the layer alone differs
    for settings, profile in (
        (["model.positional=sinusoidal"], headlines),  # no layer
        (["model.positional=rope", "model.num_layers=2"], headlines),  # the layers are given
        (["model.positional=rope"], _profile(3_000_000, texts=100_000)),  # the data sizes a layer anyway
    ):
        config = load_config(None, settings)
        assert layer_note(config, profile, sized_settings(config, profile)) is None, settings


def test_large_data_gets_subwords_a_wider_deeper_model_and_few_epochs():
    articles = sized_settings(Config(), _profile(750_000, distinct=16_000, longest=1_100, texts=1_603))
    assert articles == {
        "tokenizer.kind": "wordpiece",
        "tokenizer.min_frequency": 2,
        "model.embed_dim": 128,
        "model.num_layers": 0,
        "model.dropout": 0.3,
        "model.pooling_heads": 32,
        "model.max_length": 512,
        "train.epochs": 4,  # 3M words to see / 750k a pass
        "train.patience": 3,
        "train.adversarial": 1.0,  # +0.4 points of mean on the articles, at 2.2 times the time
        "train.refit_epochs": 0,  # not measured there, and four epochs cost more than on headlines
        "train.subword_dropout": 0.0,  # English: few word forms are new at prediction
        "train.rare_word_dropout": 0.25,
    }
    medium = sized_settings(Config(), _profile(300_000, distinct=9_000, longest=30))
    assert medium["tokenizer.kind"] == "wordpiece"  # every word fits, but whole words won on small data only
    huge = sized_settings(Config(), _profile(20_000_000, distinct=16_000, longest=40, texts=600_000))
    assert (huge["model.embed_dim"], huge["model.num_layers"], huge["model.pooling_heads"]) == (256, 1, 64)
    assert huge["train.rare_word_dropout"] == 0.0  # a self-attention block: not measured with it
    assert huge["model.max_length"] == 64  # 40 words x 1.3 pieces a word, up to a multiple of 16
    assert huge["train.epochs"] == 4
    assert huge["train.adversarial"] == 0.0  # large data, and a self-attention block
    middle = sized_settings(Config(), _profile(300_000, distinct=16_000, longest=30))
    assert (middle["train.epochs"], middle["model.num_layers"], middle["train.adversarial"]) == (10, 0, 1.0)


@pytest.mark.parametrize(
    ("words", "width", "layers", "adversarial"),
    [
        (99_999, 64, 0, 1.0),  # small data: narrow, no self-attention block
        (100_000, 128, 0, 1.0),
        (1_999_999, 128, 0, 1.0),
        (2_000_000, 128, 1, 0.0),  # a self-attention block from 2M words, and no adversarial moves
        (9_999_999, 128, 1, 0.0),
        (10_000_000, 256, 1, 0.0),  # wider from 10M
    ],
)
def test_each_threshold_of_the_rule_takes_effect_at_its_word_count(words, width, layers, adversarial):
    chosen = sized_settings(Config(), _profile(words, distinct=16_000, longest=30, texts=100_000))
    assert (chosen["model.embed_dim"], chosen["model.num_layers"], chosen["train.adversarial"]) == (
        width,
        layers,
        adversarial,
    )
    assert chosen["train.refit_epochs"] == (4 if words < 100_000 else 0)


def test_words_past_what_max_length_reads_do_not_size_the_model():
    """A user's trial: 20 texts of a megabyte among 27,000 short ones counted 2.6M words, and the
    rule gave them a self-attention block without adversarial training, for texts it cuts to 48
    tokens."""
    short = [f"word{index % 50} other{index % 7} " * 5 for index in range(3_000)]  # 10 words each
    huge = ["lorem ipsum " * 5_000] * 10  # 10,000 words each: 130,000 words in all, over 100k
    profile = profile_texts(short + huge, lowercase=True, distinct_cap=15997)
    assert profile.words == 130_000 and profile.longest_words == 10
    assert profile.words_read(16) == 30_000 + 10 * 16
    sized = sized_settings(Config(), profile)
    assert sized["model.max_length"] == 16  # the 99th percentile: the huge texts are cut
    assert (sized["tokenizer.kind"], sized["model.embed_dim"], sized["train.refit_epochs"]) == ("word", 64, 4)
    alone = sized_settings(Config(), profile_texts(short, lowercase=True, distinct_cap=15997))
    assert sized == alone  # as if the huge texts were as long as the model reads
    # A max_length given reads more of each: its words count, up to it.
    assert profile.words_read(512) == 30_000 + 10 * 512
    assert counted_words(Config(), profile) == 30_160
    assert counted_words(load_config(None, ["model.max_length=512"]), profile) == 35_120
    # The count is the same whichever tokenizer is given or chosen (subwords size max_length 1.3x).
    assert counted_words(load_config(None, ["tokenizer.kind=wordpiece"]), profile) == 30_160


def test_the_refit_is_sized_only_for_small_data_whose_validation_rows_were_held_out():
    headlines = _profile(9_425, texts=1_603)
    assert sized_settings(Config(), headlines)["train.refit_epochs"] == 4
    # The data's own validation split is not for training on.
    assert sized_settings(Config(), headlines, held_out=False)["train.refit_epochs"] == 0
    assert sized_settings(Config(), _profile(150_000))["train.refit_epochs"] == 0
    given = load_config(None, ["train.refit_epochs=2"])
    assert "train.refit_epochs" not in sized_settings(given, headlines) and given.train.refit_epoch_count == 2
    assert Config().train.refit_epoch_count == 0  # empty, as in runs saved before the refit existed


def test_settings_given_are_kept_and_the_rest_fit_around_them():
    config = load_config(
        None, ["model.num_heads=3", "model.dropout=0.2", "tokenizer.kind=bpe", "train.epochs=7"]
    )
    sized, chosen = size_to_data(config, _profile(5_000))
    assert "model.dropout" not in chosen and sized.model.dropout == 0.2
    assert sized.train.epochs == 7 and sized.tokenizer.kind == "bpe"
    assert chosen["tokenizer.min_frequency"] == 2  # bpe is no word tokenizer
    # No self-attention layers on small data: nothing reads the 3 heads, which left the width alone
    # (it was rounded up to 72, for heads no layer has).
    assert (sized.model.num_layers, sized.model.embed_dim, sized.model.pooling_heads) == (0, 64, 16)
    assert unsized_keys(sized) == []
    layered = size_to_data(load_config(None, ["model.num_heads=3", "model.num_layers=1"]), _profile(5_000))[0]
    assert layered.model.embed_dim == 72  # 64 rounded up to a multiple of the 3 heads and of width 4
    assert layered.model.pooling_heads == 18  # pooling heads of width 4, as the rule says
    # The width fits every head count the user set that the model uses: 3 heads and 8 pooling heads
    # (with a layer); 5 rope heads.
    pooled = load_config(None, ["model.num_heads=3", "model.pooling_heads=8", "model.num_layers=1"])
    assert size_to_data(pooled, _profile(5_000))[0].model.embed_dim == 72
    # ... and not those it does not use: pooling heads beside max or cls pooling (warned of as unused,
    # they made the width 70 and 84).
    for pooling, layers in (("max", 0), ("cls", 1)):
        unread = load_config(
            None, [f"model.pooling={pooling}", "model.pooling_heads=7", f"model.num_layers={layers}"]
        )
        assert size_to_data(unread, _profile(5_000))[0].model.embed_dim == 64
    rotary = load_config(None, ["model.num_heads=5", "model.positional=rope"])
    assert size_to_data(rotary, _profile(5_000))[0].model.embed_dim == 80  # heads of width 16, 20 pooling
    # A width given that 4 does not divide: the most pooling heads of width 4 or more that divide it.
    given_width = load_config(None, ["model.num_heads=3", "model.embed_dim=66"])
    assert size_to_data(given_width, _profile(5_000))[0].model.pooling_heads == 11  # width 6
    # ... with the default 4 heads, which only self-attention layers use: none on small data (GloVe's 50).
    glove_width = size_to_data(load_config(None, ["model.embed_dim=50"]), _profile(5_000))[0].model
    assert (glove_width.num_layers, glove_width.pooling_heads) == (0, 10)
    # A tokenizer given as a file is used as it is: nothing to choose about it.
    given = sized_settings(load_config(None, ["tokenizer.path=tok.json"]), _profile(5_000))
    assert "tokenizer.kind" not in given and "tokenizer.min_frequency" not in given
    assert given["model.max_length"] == 16  # 12 words x 1.3 pieces a word, up to 16
    # Positions that act inside self-attention, and cls pooling, need a block even on small data.
    for setting in ("model.positional=rope", "model.pooling=cls"):
        assert sized_settings(load_config(None, [setting]), _profile(5_000))["model.num_layers"] == 1
    assert "model.pooling_heads" not in sized_settings(load_config(None, ["model.pooling=mean"]), _profile(5))
    # Adversarial training follows the layers, given or sized, unless it is given itself.
    assert layered.train.adversarial == 0.0 and sized.train.adversarial == 1.0
    given_off = size_to_data(load_config(None, ["train.adversarial=0"]), _profile(5_000))[0]
    assert given_off.train.adversarial == 0.0 and given_off.model.num_layers == 0
    assert given_off.model.dropout == 0.5  # small data without adversarial training: more dropout
    assert layered.model.dropout == 0.5  # ... as with a self-attention block, where it is off
    given_on = size_to_data(
        load_config(None, ["model.num_layers=1", "train.adversarial=0.5"]), _profile(5_000)
    )
    assert given_on[0].train.adversarial == 0.5 and "train.adversarial" not in given_on[1]


def test_auto_on_the_command_line_means_sized():
    from attncli.sized_settings import SIZED_KEYS

    given = ["tokenizer.kind=bpe", "tokenizer.min_frequency=3", "model.embed_dim=32",
             "model.num_layers=2", "model.dropout=0.2", "model.pooling_heads=2", "model.max_length=64",
             "train.epochs=3", "train.patience=5", "train.adversarial=0.5",
             "train.refit_epochs=2", "train.subword_dropout=0.2", "train.rare_word_dropout=0.5"]  # fmt: skip
    assert [key.split("=")[0] for key in given] == list(SIZED_KEYS)
    assert unsized_keys(load_config(None, given)) == []
    config = load_config(None, [*given, *(f"{key}=auto" for key in SIZED_KEYS)])
    assert unsized_keys(config) == list(SIZED_KEYS) and config == Config()
    with pytest.raises(ConfigError, match="model.positional must be one of"):
        load_config(None, ["model.positional=auto"])  # a setting that is never empty takes no auto


def test_a_model_built_without_data_uses_fixed_values():
    config = ModelConfig()
    assert (config.width, config.layers, config.dropout_rate, config.length) == (128, 1, 0.1, 256)
    assert ModelConfig(num_layers=0, dropout=0.0).layers == 0 and ModelConfig(dropout=0.0).dropout_rate == 0.0


def _keyword_task(folder, rows):
    rng = random.Random(0)
    topics = {"sport": "goal", "money": "bank", "tech": "chip"}
    fillers = "the a of and to in was is it on with for this that".split()
    lines = []
    for index in range(rows):
        label = list(topics)[index % 3]
        words = [rng.choice(fillers) for _ in range(rng.randint(3, 7))]
        words.insert(rng.randrange(len(words) + 1), topics[label])
        lines.append(json.dumps({"text": " ".join(words), "label": label}))
    path = folder / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_training_sizes_the_run_says_so_and_saves_the_sizes(tmp_path):
    from conftest import StageRecorder

    from attncli.checkpoint import load_checkpoint
    from attncli.train import train

    path = _keyword_task(tmp_path, 90)
    config = load_config(None, [f"data.source={path}", "train.epochs=2", "model.embed_dim=16"])
    reporter = StageRecorder()
    result = train(config, output=tmp_path / "run", reporter=reporter)  # type: ignore[arg-type]
    line = next(line for line in reporter.lines if line.startswith("sized to the data"))
    assert "tokenizer.kind=word" in line and "model.num_layers=0" in line and "model.pooling_heads=4" in line
    assert "model.embed_dim" not in line and "train.epochs" not in line  # given, so not sized
    assert line.endswith(
        "model.dropout=0.3 model.pooling_heads=4 model.max_length=16 train.patience=50 train.adversarial=1.0 "
        "train.refit_epochs=4 train.subword_dropout=0.0 train.rare_word_dropout=0.25"
    )
    saved = load_checkpoint(tmp_path / "run").config
    assert saved == result.config and unsized_keys(saved) == []
    assert (saved.model.embed_dim, saved.model.num_layers, saved.model.max_length) == (16, 0, 16)
    assert (saved.tokenizer.kind, saved.tokenizer.min_frequency, saved.model.dropout) == ("word", 1, 0.3)
    assert saved.train.adversarial == 1.0


def test_a_checkpoint_that_saved_empty_pooling_heads_loads_and_resumes_one_per_attention_head(tmp_path):
    """Before sizing, an empty model.pooling_heads meant model.num_heads; checkpoints saved so load so."""
    from attncli.checkpoint import load_checkpoint
    from attncli.checkpoint_folder import CONFIG_FILE
    from attncli.train import train

    path = _keyword_task(tmp_path, 60)
    # Width 32: heads of width 4 would be 8 pooling heads, one per attention head is 2.
    settings = [f"data.source={path}", "train.epochs=1", "model.embed_dim=32", "model.num_heads=2"]
    train(load_config(None, [*settings, "model.pooling_heads=2"]), output=tmp_path / "run")
    header_path = tmp_path / "run" / "best" / CONFIG_FILE
    header = json.loads(header_path.read_text())
    header["config"]["model"]["pooling_heads"] = None
    del header["config_sha256"]  # as an attn before the digest saved it
    header["attn_version"] = "0.1.0"
    header_path.write_text(json.dumps(header))
    loaded = load_checkpoint(tmp_path / "run")
    assert loaded.config.model.pooling_heads == 2 and loaded.model.pooling.num_heads == 2
    # Resuming it keeps the model it has, rather than sizing a new pooling: here, as trained.
    from attncli.train import resume

    for folder in ("best", "last"):
        path = tmp_path / "run" / folder / CONFIG_FILE
        header = json.loads(path.read_text())
        header["config"]["model"]["pooling_heads"] = None
        header.pop("config_sha256", None)  # as an attn before the digest saved it (best/: done above)
        header["attn_version"] = "0.1.0"
        path.write_text(json.dumps(header))
    resumed = resume(tmp_path / "run", epochs=2)
    assert resumed.config.model.pooling_heads == 2 and len(resumed.history) == 2


def test_a_given_tokenizer_counts_the_tokens_max_length_is_sized_to(tmp_path):
    """With tokenizer.path, max_length was sized at 1.3 tokens a word, whatever the tokenizer made
    of them: a byte-level BPE of 600 pieces left 11% of the training texts cut (a trial)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from attncli.prepare import _sized
    from attncli.reporter import SilentReporter

    texts = [" ".join(f"word{n}x{m}" for m in range(10)) for n in range(200)]  # 10 words a text
    letters = Tokenizer(models.BPE(unk_token="[UNK]"))
    letters.pre_tokenizer = pre_tokenizers.Whitespace()
    letters.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=30, special_tokens=["[PAD]", "[UNK]"]))
    letters.save(str(tmp_path / "letters.json"))
    counts = sorted(len(letters.encode(text, add_special_tokens=False).ids) for text in texts)
    pieces = counts[math.ceil(0.99 * len(counts)) - 1]  # room for 99% of the texts
    assert pieces > 20  # far more than 1.3 a word
    config = load_config(None, [f"tokenizer.path={tmp_path / 'letters.json'}"])
    sized, _ = _sized(config, texts, held_out=True, supplied=letters, reporter=SilentReporter())
    assert sized.model.max_length == math.ceil(pieces / 16) * 16  # it was 16
    words = profile_texts(texts, lowercase=True, distinct_cap=100)
    assert (
        words.longest_tokens is None
        and sized_settings(load_config(None, []), words)["model.max_length"] == 16
    )


def test_text_mostly_of_cjk_ideographs_gets_bpe_pieces_above_them_or_a_self_attention_layer():
    """On small data each ideograph is a word of its own: without a layer the model reads a bag of
    characters, where 手感 (feel) is 手 of 手机壳 and 感. On a trial's Chinese reviews by topic,
    95.5-95.9% without one, 98.6-98.9% with it (TF-IDF character n-grams with a linear SVM: 97.2%).
    Past small data, BPE learns pieces above the characters and needs no layer to join them: on
    13,890 real Chinese reviews 83.8% of test against 81.9% (docs/short_texts.md). A few ideographs
    among English words keep the rule's choice."""
    chinese = [f"收到货了。手感感觉没得说。发货一般 {n}" for n in range(300)]
    japanese = [f"この商品の手触りは最高です 配送 {n}" for n in range(300)]  # kanji and kana
    english = [f"please refund order {n}, the parcel is late 退货" for n in range(300)]
    for texts, share, layers in ((chinese, 1.0, 1), (japanese, 8 / 15, 1), (english, 2 / 33, 0)):
        profile = profile_texts(texts, lowercase=True, distinct_cap=15997)
        assert math.isclose(profile.ideograph_share, share, abs_tol=0.01), profile.ideograph_share
        chosen = sized_settings(Config(), profile)
        assert chosen["model.num_layers"] == layers
        assert chosen["train.adversarial"] == (0.0 if layers else 1.0)  # as for any model with a layer
        assert chosen["tokenizer.kind"] == "word"  # small data: whole words, each ideograph one
    # 895,211 words as the rule counts them, each ideograph one: BPE, and no layer for the ideographs.
    reviews = DataProfile(
        texts=12_501, words=895_211, distinct_words=6_024, distinct_cap=15_995, longest_words=348,
        ideograph_share=0.97,
    )  # fmt: skip
    chosen = sized_settings(Config(), reviews)
    assert (chosen["tokenizer.kind"], chosen["model.num_layers"], chosen["train.adversarial"]) == (
        "bpe",
        0,
        1.0,
    )
    # Ideographs read one by one get their layer: split given, a kind that splits them, or a tokenizer
    # given whole (which may split them).
    for settings in (
        ["tokenizer.split_ideographs=true"],
        ["tokenizer.kind=wordpiece"],
        ["tokenizer.kind=bpe", "tokenizer.split_ideographs=true"],
        ["tokenizer.path=tokenizer.json"],
    ):
        assert sized_settings(load_config(None, settings), reviews)["model.num_layers"] == 1, settings
    for settings in (
        ["tokenizer.kind=unigram"],
        ["tokenizer.kind=bpe", "tokenizer.split_ideographs=false"],
    ):
        assert sized_settings(load_config(None, settings), reviews)["model.num_layers"] == 0, settings
    # Japanese (its kana read one by one; not measured) keeps the rule for ideographs read one by one.
    japanese_reviews = dataclasses.replace(reviews, ideograph_share=0.4, kana_share=0.5)
    chosen = sized_settings(Config(), japanese_reviews)
    assert (chosen["tokenizer.kind"], chosen["model.num_layers"]) == ("wordpiece", 1)
    # Ideographs read whole, given, want pieces whatever the size (a word tokenizer would keep clauses
    # whole, and is refused with it).
    read_whole = load_config(None, ["tokenizer.split_ideographs=false"])
    small = sized_settings(read_whole, profile_texts(chinese, lowercase=True, distinct_cap=15997))
    assert (small["tokenizer.kind"], small["model.num_layers"]) == ("bpe", 0)
    for kind in ("word", "wordpiece"):
        with pytest.raises(ConfigError, match=f"which tokenizer.kind={kind} would read whole or as one"):
            load_config(None, [f"tokenizer.kind={kind}", "tokenizer.split_ideographs=false"])
    # A number of layers given is kept.
    zero = sized_settings(
        load_config(None, ["model.num_layers=0"]), profile_texts(chinese, lowercase=True, distinct_cap=15997)
    )
    assert "model.num_layers" not in zero


def test_many_labels_of_few_rows_each_are_told_that_more_epochs_helped_a_trial():
    """An intent trial (161 intents of 10-20 utterances): the sized 20 epochs read 92.9% of test on
    average, --epochs 40 94.1%; the note says so, after training, where the data looks like it and
    the best epoch came late. A taxonomy trial (396 categories) stopped at epochs 10-12 of 20 and
    gained nothing from 40: told before training, it had been told to."""
    from attncli.sizing import many_labels_note

    intents = [15] * 162  # training rows of each label
    said = many_labels_note(20, intents, 18)
    assert said == (
        "note: 162 labels of about 15 training rows each (the median), and the best epoch 18 of the sized "
        "20: train.epochs=20 may stop short for so many labels of so few rows; in a trial of 161 intents "
        "of 10-20 utterances, --epochs 40 read 94.1% of test on average (seeds 0-2) where 20 read 92.9%"
    )
    assert many_labels_note(20, intents, 16) is not None  # the last quarter: 16 of 20 and later
    assert many_labels_note(20, intents, 15) is None  # stopped before it
    assert many_labels_note(None, intents, 20) is None  # epochs given
    assert many_labels_note(40, intents, 40) is None  # more than the rule's 20 already
    assert many_labels_note(20, [320] * 5, 20) is None  # the headlines
    assert many_labels_note(20, [40] * 60, 20) is None  # 40 rows each
    # The median of an even count is between its middle two: 25 labels of 10 rows and 25 of 40 make 25.
    halves = [10] * 25 + [40] * 25
    assert (said := many_labels_note(20, halves, 20)) is not None and "about 25 training rows" in said
