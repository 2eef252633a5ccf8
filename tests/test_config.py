import re
from pathlib import Path

import pytest

from attncli.config import Config
from attncli.config_loading import load_config
from attncli.errors import ConfigError
from attncli.settings import changed_settings, valid_keys

CONFIGS = sorted(Path(__file__).resolve().parents[1].joinpath("configs").glob("*.yaml"))


def test_defaults_round_trip_through_dict():
    config = Config()
    assert Config.from_dict(config.to_dict()) == config
    assert "model.embed_dim" in valid_keys() and "train.lr" in valid_keys()
    assert load_config(None, ["train.device=cuda:1"]).train.device == "cuda:1"  # one GPU by its number


def test_unknown_key_suggests_the_closest():
    with pytest.raises(ConfigError, match="did you mean model.embed_dim"):
        load_config(None, ["model.embeddim=3"])
    with pytest.raises(ConfigError, match=r"unknown setting 'lr'; did you mean train.lr\?$"):
        load_config(None, ["lr=0.01"])  # its name without its section
    # Other tools' names for attn's settings, which closeness of letters missed (a trial).
    for given, meant in (
        ("train.learning_rate", "train.lr"),
        ("model.hidden_size", "model.embed_dim"),
        ("model.vectors", "model.embeddings_init"),
        ("model.rope", "model.positional"),
        ("model.Max-Seq-Length", "model.max_length"),
        ("pretrainedVectors", "model.embeddings_init"),  # fastText's, in camelCase
        ("minCount", "tokenizer.min_frequency"),
    ):
        with pytest.raises(ConfigError, match=rf"^unknown setting '{given}'; did you mean {meant}\?$"):
            load_config(None, [f"{given}=1"])
    with pytest.raises(ConfigError, match=r"^unknown setting 'model'; model is a section, not a setting; "):
        load_config(None, ["model=rope"])


def test_a_word_yaml_reads_as_a_boolean_is_told_to_be_quoted(tmp_path):
    """`positional: no` is YAML's false: "must be text, not false" left the user to guess why (the
    choices themselves are checked once it is text: 'no' is none of them)."""
    config = tmp_path / "c.yaml"
    config.write_text("model:\n  positional: no\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(config, [])
    assert str(refused.value) == (
        "model.positional must be text, not false (YAML reads an unquoted yes, no, on or off as true or "
        "false)"
    )
    with pytest.raises(ConfigError, match=r"^train.epochs must be a whole number, not false$"):
        load_config(None, ["train.epochs=no"])  # a number: quoting would not help


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.embed_dim=65 model.num_layers=1", "divisible by model.num_heads"),
        ("train.lr=fast", "train.lr must be a finite number"),
        ("train.lr=inf", "train.lr must be a finite number, not 'inf'"),
        ("train.weight_decay=.nan", "train.weight_decay must be a finite number"),
        ("train.epochs=2.5", "train.epochs must be a whole number"),
        ("train.device=gpu", "train.device must be one of"),
        ("train.device=cuda:x", r"must be one of auto, cpu, cuda, mps or cuda:N \(one GPU by its number\)"),
        ("model.positional=wavy", "model.positional must be one of"),
        # The literature's names for attn's choices, and slips of the hand (`rotary` was the list alone).
        ("model.positional=rotary", r"alibi, not 'rotary' \(did you mean rope\?\)$"),
        ("model.positional=Rope", r"not 'Rope' \(did you mean rope\?\)$"),
        ("model.attention=bahdanau", r"not 'bahdanau' \(did you mean additive\?\)$"),
        ("model.attention=scaled-dot", r"not 'scaled-dot' \(did you mean scaled_dot\?\)$"),
        ("model.positional=sinusodial", r"\(did you mean sinusoidal\?\)$"),
        ("model.positional=wavy", r"not 'wavy'$"),
        ("model.positional=nope", r"\(did you mean none\?\)$"),  # NoPE: no positions, not rope
        ("model.pooling=max_pooling", r"\(did you mean max\?\)$"),
        (
            "model.truncation=head_tail",
            r"one of head, tail, head\+tail, not 'head_tail' \(did you mean head\+tail\?\)$",
        ),
        ("model.truncation=end", r"\(did you mean tail\?\)$"),
        # Past torch's 64 bits it was "ValueError: Overflow when unpacking long long", exit 1.
        (
            "train.seed=18446744073709551616",
            r"^train.seed must be a whole number between -4,611,686,018,427,387,904 and 4,611,686,018,42",
        ),
        ("data.validation_fraction=1.5", "between 0 and 1"),
        # A codec that encodes nothing raised UnicodeError, exit 1.
        ("data.encoding=undefined", r"^--encoding \(data.encoding\) 'undefined' is not a text encoding"),
        ("data.encoding=ANSI", "Python knows; what Windows calls ANSI is cp1252: pass --encoding cp1252$"),
        ("no-equals-sign", "key=value"),
        # An unset shell variable (`--set model.num_layers=$LAYERS`) sized the setting without a word.
        (
            "model.num_layers=",
            r"^--set model.num_layers= gives no value \(an unset shell variable\?\); pass one, or",
        ),
        (
            "data.config= ",
            r"^--set data.config= gives no value \(an unset shell variable\?\); pass one, or data.config=nul",
        ),
        # An empty path named the working folder: "model.embeddings_init  is a folder".
        ('model.embeddings_init=""', r"^model.embeddings_init is empty; give the path of a GloVe"),
        ('tokenizer.path=""', r"^tokenizer.path is empty; give the path of a tokenizer.json, or leave"),
    ],
)
def test_bad_values_are_rejected_with_a_reason(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, override.split(" "))


def test_class_weights_take_a_list_a_mapping_or_auto_and_say_what_a_wrong_one_lacks():
    assert load_config(None, ["train.class_weights=AUTO"]).train.class_weights == "auto"
    # a mapping by label name (YAML reads the label 1 as a number; labels are text)
    assert load_config(None, ["train.class_weights={tech: 4, 1: 2}"]).train.class_weights == {
        "tech": 4.0,
        "1": 2.0,
    }
    refusals = {
        # the brackets left out: read as text, and "must be auto, a list of numbers, or empty" said no more
        "train.class_weights=1,4,1": r"not '1,4,1'; write a list in brackets: --set 'train.class_w",
        "train.class_weights=1 4 1": r"write a list in brackets: --set 'train.class_weights=\[1, 4, 1\]'$",
        "train.class_weights=heavy": r"must be auto, a list of weights in label order .*, not 'heavy'$",
        "train.class_weights={tech: -1}": r"must all be positive, not \{'tech': -1.0\}",
        # which item of a list is no number, where the list alone was quoted back
        "train.class_weights=[1, abc, 1]": r"not \[1, abc, 1\] \('abc' is not a finite number\)$",
        # YAML's readings of a mapping: no space after the colon, and yes/no read as true/false
        "train.class_weights={tech:4}": r"not \{'tech:4': null\}; put a space after each colon",
        "train.class_weights={yes: 4}": r"not \{true: 4\}; quote a name that YAML reads as true or false",
        # a label named null (YAML's null, ~ and an empty name), which had the generic "not a dict"
        "train.class_weights={null: 4}": r"has a name that is no text \(null: YAML reads null, ~ and",
        "train.class_weights={~: 2.5, tech: 1}": r"quote a label named null: \{'null': 2.5\}$",
        "train.class_weights={}": r"^train.class_weights is empty; give weights, or null for all 1$",
        "train.class_weights=tech 4": r"not 'tech 4'$",  # no list of numbers to suggest
        # a label with a colon, unquoted: no mapping YAML reads (a cataloguer's `History: Europe`)
        "train.class_weights={History: Europe: 4}": r"quote each label that holds a colon, a comma or a",
        "train.class_weights={Economics, Finance: 4}": r"quote a name that holds a comma: \{\"Economics, Fin",
    }
    for override, message in refusals.items():
        with pytest.raises(ConfigError, match=message):
            load_config(None, [override])


def test_auto_detects_a_column_as_it_sizes_a_setting(tmp_path):
    """`--set data.text_column=auto` looked for a column named 'auto', where `auto` sizes the others."""
    config = load_config(None, ["data.text_column=auto", "data.label_column=auto", "model.embed_dim=auto"])
    assert (config.data.text_column, config.data.label_column, config.model.embed_dim) == (None, None, None)
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  text_column: auto\n  label_column: topic\n")
    assert (load_config(path).data.text_column, load_config(path).data.label_column) == (None, "topic")
    with pytest.raises(ConfigError, match=r"pass one, or data.label_column=auto to detect it$"):
        load_config(None, ["data.label_column="])
    # A sized setting's AUTO as auto (it was "must be a whole number, not 'AUTO'"); a column's is a name.
    upper = load_config(None, ["model.embed_dim=AUTO", "data.text_column=Auto"])
    assert (upper.model.embed_dim, upper.data.text_column) == (None, "Auto")
    with pytest.raises(
        ConfigError, match=r"^model.embed_dim must be a whole number, not 'None'; model.embed_dim=auto"
    ):
        load_config(None, ["model.embed_dim=None"])


def test_a_value_written_another_way_is_taken_where_nothing_is_lost(tmp_path):
    """`epochs: 2.0` and `calibrate: "false"` in a config file were refused."""
    path = tmp_path / "c.yaml"
    path.write_text('train:\n  epochs: 2.0\n  patience: "3"\n  calibrate: "false"\n  tensorboard: " True"\n')
    config = load_config(path)
    assert (config.train.epochs, config.train.patience) == (2, 3)
    assert type(config.train.epochs) is int and type(config.train.patience) is int
    assert config.train.calibrate is False and config.train.tensorboard is True
    # Names in another case, as --format takes them (`--precision FP32` was refused).
    config = load_config(None, ["train.precision=FP32", "train.device=CUDA:1"])
    assert (config.train.precision, config.train.device) == ("fp32", "cuda:1")
    for override, message in [
        ("train.epochs=2.5", "train.epochs must be a whole number, not 2.5"),
        ('train.epochs="2 epochs"', "train.epochs must be a whole number, not '2 epochs'"),
        ('train.calibrate="no"', "train.calibrate must be true or false, not 'no'"),
    ]:
        with pytest.raises(ConfigError, match=f"^{message}$"):
            load_config(None, [override])


def test_num_heads_no_layer_uses_does_not_have_to_divide_the_width():
    import torch

    from attncli.model.classifier import build_model

    settings = ["model.embed_dim=30", "model.num_layers=0", "model.pooling_heads=5"]
    model_config = load_config(None, settings).model
    model = build_model(model_config, vocab_size=20, num_labels=3, pad_id=0)
    assert model(torch.tensor([[3, 4, 5]])).pooling_head_weights.shape == (1, 5, 3)
    with pytest.raises(ConfigError, match=r"divisible by model.num_heads \(4\)"):
        load_config(None, ["model.embed_dim=30", "model.num_layers=1", "model.pooling_heads=5"])
    # The pooling heads left empty: training sizes them (heads of width 4 or more that divide 30), so
    # the config holds; a model built without sizing would count them by num_heads, and is refused.
    unsized = load_config(None, settings[:2]).model
    with pytest.raises(ConfigError, match=r"divisible by model.num_heads \(4\)"):
        build_model(unsized, vocab_size=20, num_labels=3, pad_id=0)
    # The layers left to sizing: checked once sized (none on small data, where 4 heads go unused),
    # or at once where the positions or the pooling need a layer whatever the data.
    assert load_config(None, ["model.embed_dim=50"]).model.num_layers is None
    for needs_a_layer in ("model.positional=rope", "model.pooling=cls"):
        with pytest.raises(ConfigError, match=r"divisible by model.num_heads \(4\)"):
            load_config(None, ["model.embed_dim=50", needs_a_layer])
    with pytest.raises(ConfigError, match=r"divisible by model.num_heads \(4\)"):
        build_model(load_config(None, ["model.embed_dim=50"]).model, vocab_size=20, num_labels=3, pad_id=0)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_every_shipped_config_loads_and_says_how_to_use_it(path):
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# "), "a config opens with a comment saying what it is for"
    assert any("attn train" in line for line in lines if line.startswith("#")), "and the exact command"
    load_config(path)


def test_default_yaml_lists_every_setting_at_its_default():
    import yaml

    path = CONFIGS[[p.name for p in CONFIGS].index("default.yaml")]
    written = yaml.safe_load(path.read_text())
    assert sorted(f"{section}.{key}" for section, keys in written.items() for key in keys) == sorted(
        valid_keys()
    )
    assert load_config(path) == Config()


def test_changed_settings_lists_only_what_differs_from_the_defaults():
    config = load_config(None, ["model.embed_dim=64", "model.num_heads=2", "train.lr=0.003"])
    assert changed_settings(config) == {"model.embed_dim": 64, "model.num_heads": 2}


@pytest.mark.parametrize(
    ("override", "delimiter"),
    [
        ("data.delimiter=;", ";"),
        ("data.delimiter=|", "|"),
        ("data.delimiter=\\t", "\t"),
        ("data.delimiter=tab", "\t"),
    ],
)
def test_delimiter_is_one_character_and_a_tab_may_be_typed(override, delimiter):
    assert load_config(None, [override]).data.delimiter == delimiter


def test_a_delimiter_of_several_characters_or_a_quote_is_refused():
    for value in ("ab", '"'):
        with pytest.raises(ConfigError, match=r"^--delimiter \(data.delimiter\) must be one character"):
            load_config(None, [f"data.delimiter={value!r}"])
    assert load_config(None, ["data.drop_invalid=true"]).data.drop_invalid is True


def test_settings_are_shown_as_set_takes_them():
    from attncli.config_loading import _parse_override
    from attncli.settings import as_typed

    shown = [as_typed(value) for value in (True, False, 0.003, "data/x.csv", [1.0, 4.0], "\t", None)]
    assert shown == ["true", "false", "0.003", "data/x.csv", "[1.0, 4.0]", '"\\t"', "null"]
    for value in (True, 0.003, "data/x.csv", [1.0, 4.0], "\t"):  # and --set reads each back as it was
        assert _parse_override(f"key={as_typed(value)}")[1] == value


def test_letters_and_emoji_are_shown_as_they_are_and_terminal_controls_escaped():
    """Found in a trial: class weights for an emoji label were shown as `{"\\U0001F600 happy": 2.0}`."""
    from attncli.config_loading import _parse_override
    from attncli.settings import as_typed

    weights = {"😀 happy": 2.0, "café": 1.0, "👩\u200d💻": 3.0}  # a ZWJ sequence is one emoji: kept
    assert as_typed(weights) == "{café: 1.0, 👩\u200d💻: 3.0, 😀 happy: 2.0}"  # YAML sorts the keys
    assert as_typed({"a\u202eb": 1}) == '{"a\\u202Eb": 1}'  # a bidi override would reorder the line
    for value in (weights, {"a\u202eb": 1}, "line\u2028break"):
        assert _parse_override(f"key={as_typed(value)}")[1] == value
        assert "\u2028" not in as_typed(value)


def test_a_count_below_its_least_says_the_value_given_as_every_check_does():
    """Found in a user's trial: `--max-length 0` said `must be at least 1`, without the value."""
    for setting, message in (
        ("model.max_length=0", "model.max_length must be at least 1, not 0"),
        ("model.pooling_heads=0", "model.pooling_heads must be at least 1, not 0"),
        ("model.num_layers=-1", "model.num_layers must be 0 or more, not -1"),
        ("tokenizer.min_frequency=0", "tokenizer.min_frequency must be at least 1, not 0"),
    ):
        with pytest.raises(ConfigError) as refused:
            load_config(None, [setting])
        assert message in str(refused.value)


def test_a_config_built_in_python_is_checked_and_typed_where_it_is_built(tmp_path):
    """`TrainConfig(epochs=2.5)` trained, and its checkpoint was then refused as damaged; a Path as
    data.source ended in YAML's RepresenterError; `seed=True` was taken (a Python API trial)."""
    from attncli.config import DataConfig, TrainConfig
    from attncli.model_config import ModelConfig

    for built, message in [
        (lambda: TrainConfig(epochs=2.5), "train.epochs must be a whole number, not 2.5"),
        (lambda: TrainConfig(seed=True), "train.seed must be a whole number, not true"),
        (lambda: TrainConfig(lr="fast"), "train.lr must be a finite number, not 'fast'"),
        (lambda: ModelConfig(attention_dropout=None), "model.attention_dropout needs a value"),
    ]:
        with pytest.raises(ConfigError, match=f"^{re.escape(message)}"):
            built()
    config = Config(data=DataConfig(source=tmp_path / "d.csv"), train=TrainConfig(epochs=2.0, lr=1))
    assert config.data.source == str(tmp_path / "d.csv") and type(config.train.epochs) is int
    assert type(config.train.lr) is float and Config.from_dict(config.to_dict()) == config
    assert TrainConfig(epochs="auto").epochs is None  # the empty value, as --set takes it
    numpy = pytest.importorskip("numpy")  # a sweep's grid: np.int64(3) was YAML's error at the save
    assert type(TrainConfig(epochs=numpy.int64(3)).epochs) is int
    with pytest.raises(TypeError, match="Config.train takes a TrainConfig, not a dict"):
        Config(train={"epochs": 2})
    with pytest.raises(TypeError, match=r"pass \['train.epochs=2'\]"):  # it was read letter by letter
        load_config(None, "train.epochs=2")


def test_a_config_of_any_class_weights_hashes_as_a_frozen_dataclass_promises():
    """A Config of class weights given as a list or a mapping was `unhashable type: 'dict'`, so it
    could not key a dict of results or be a cached function's argument (a Python API trial)."""
    from attncli.config import TrainConfig

    weighted = [
        Config(train=TrainConfig(class_weights=weights)) for weights in ([1.0, 2.0], {"a": 2.0}, "auto")
    ]
    results = {config: n for n, config in enumerate(weighted)}
    assert [results[config] for config in weighted] == [0, 1, 2]
    assert weighted[1] == Config(train=TrainConfig(class_weights={"a": 2.0}))
    assert weighted[1] != Config(train=TrainConfig(class_weights={"a": 3.0}))
    assert hash(weighted[1]) == hash(Config(train=TrainConfig(class_weights={"a": 2.0})))


def test_several_text_columns_are_one_setting_as_a_list_or_comma_separated(tmp_path):
    """text_column: [title, body] in a config file is --text-column title,body: the names joined
    by commas, which the checkpoint keeps and every command reads the same way."""
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  text_column: [title, ' body']\n")
    assert load_config(path).data.text_column == "title,body"
    assert load_config(None, ["data.text_column=title,body"]).data.text_column == "title,body"
    with pytest.raises(ConfigError, match="text_column"):
        load_config(None, ["data.text_column=[1, 2]"])


@pytest.mark.parametrize("names", ["[]", "['a,b', c]", "[title, '  ']"])
def test_a_list_of_text_columns_names_each_one_once_plainly(tmp_path, names):
    path = tmp_path / "c.yaml"
    path.write_text(f"data:\n  text_column: {names}\n")
    with pytest.raises(ConfigError, match="list the text columns to join by their names"):
        load_config(path)
