import os
import re

import pytest

from attncli.config_loading import load_config
from attncli.errors import ConfigError


def test_file_then_overrides_then_options(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  embed_dim: 64\n  num_heads: 2\ntrain:\n  epochs: 3\n  lr: 0.01\n")
    config = load_config(path, ["train.epochs=5", "train.lr=0.5"], {"train.lr": 0.5, "train.batch_size": 8})
    assert config.model.embed_dim == 64 and config.model.num_heads == 2
    assert config.train.epochs == 5  # --set beats the file
    assert config.train.lr == 0.5 and config.train.batch_size == 8  # options beat the file too
    assert config.train.seed == 0  # None options leave the setting alone


def test_a_setting_given_by_set_and_by_an_option_must_agree():
    options = {"data.source": "train.csv", "train.seed": None}
    with pytest.raises(ConfigError) as caught:
        load_config(None, ["data.source=other.csv"], options)
    assert str(caught.value) == (
        "data.source is given twice, as --set data.source=other.csv and as DATA train.csv; give it once"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(None, ["model.max_length=64"], {"model.max_length": 128})
    assert str(caught.value) == (
        "model.max_length is given twice, as --set model.max_length=64 and as --max-length 128; give it once"
    )
    with pytest.raises(ConfigError) as caught:  # each quoted as the shell needs it
        load_config(None, ["data.delimiter=;"], {"data.delimiter": ","})
    assert str(caught.value) == (
        "data.delimiter is given twice, as --set 'data.delimiter=;' and as --delimiter ,; give it once"
    )
    assert load_config(None, ["data.source=train.csv", "train.seed=3"], options).train.seed == 3
    # The same value spelled two ways is one value.
    assert load_config(None, ["train.lr=1e-3"], {"train.lr": 0.001}).train.lr == 0.001
    assert load_config(None, ["data.text_column=1"], {"data.text_column": "1"}).data.text_column == "1"
    assert load_config(None, ["train.epochs=5"], {"train.epochs": 5}).train.epochs == 5


def test_override_values_are_parsed_as_yaml():
    config = load_config(None, ["tokenizer.lowercase=false", "data.config=sst2", "train.warmup_ratio=0"])
    assert config.tokenizer.lowercase is False
    assert config.data.config == "sst2"
    assert config.train.warmup_ratio == 0.0 and isinstance(config.train.warmup_ratio, float)


def test_a_checkpoints_config_json_as_config_gives_its_settings(tmp_path):
    """`attn train new.csv --config runs/x/best/config.json` said "unknown setting 'format_version'"."""
    import json

    from conftest import save_untrained_checkpoint

    from attncli.checkpoint import load_checkpoint

    checkpoint = save_untrained_checkpoint(tmp_path / "ckpt", embed_dim=24, pooling_heads=3)
    assert load_config(checkpoint / "config.json") == load_checkpoint(checkpoint).config
    assert load_config(checkpoint / "config.json", ["model.dropout=0.2"]).model.dropout == 0.2
    header = json.loads((checkpoint / "config.json").read_text())
    (tmp_path / "future.json").write_text(json.dumps({**header, "format_version": 99}))
    with pytest.raises(ConfigError, match=r"format 99, newer than this attn reads \(2\); upgrade attn"):
        load_config(tmp_path / "future.json")
    (tmp_path / "damaged.json").write_text(json.dumps({**header, "format_version": True}))
    with pytest.raises(ConfigError, match=r"with format_version True, which no attn wrote"):
        load_config(tmp_path / "damaged.json")
    # attn writes it with ASCII escapes, which YAML read as two lone surrogates for one emoji.
    header["config"]["data"]["source"] = "reviews 😀.csv"
    (tmp_path / "emoji.json").write_text(json.dumps(header))
    assert load_config(tmp_path / "emoji.json").data.source == "reviews 😀.csv"


def test_a_checkpoints_config_json_trains_on_the_data_that_run_read_from_any_folder(tmp_path, monkeypatch):
    """From another folder, the typed relative source ("data/bbc_news") was read as a Hub name."""
    import json

    from conftest import save_untrained_checkpoint

    from attncli.config_loading import moved_data_note

    data = tmp_path / "project" / "data"
    data.mkdir(parents=True)
    header = json.loads((save_untrained_checkpoint(tmp_path / "ckpt") / "config.json").read_text())
    header["config"]["data"]["source"], header["data_path"] = "data", str(data)
    (tmp_path / "run.json").write_text(json.dumps(header))
    monkeypatch.chdir(tmp_path)
    assert load_config(tmp_path / "run.json").data.source == str(data)
    assert load_config(tmp_path / "run.json", ["data.source=other.csv"]).data.source == "other.csv"
    assert moved_data_note(tmp_path / "run.json", load_config(tmp_path / "run.json")) is None
    data.rmdir()  # moved away since: the source as typed, read from here, and said
    config = load_config(tmp_path / "run.json")
    assert config.data.source == "data"
    assert moved_data_note(tmp_path / "run.json", config) == (
        f"{tmp_path} was trained on {data}, which is not there now, so this run reads its data as it was "
        "typed, data, from here; pass DATA if that is not the data to train on"
    )
    assert moved_data_note(tmp_path / "run.json", config, given={"data.source"}) is None  # DATA given
    # Typed as the absolute path recorded: nothing else is read "from here", and training says it is gone.
    absolute = json.loads(json.dumps(header))
    absolute["config"]["data"]["source"] = str(data)
    (tmp_path / "absolute.json").write_text(json.dumps(absolute))
    assert moved_data_note(tmp_path / "absolute.json", load_config(tmp_path / "absolute.json")) is None
    header["data_path"] = None  # saved before attn recorded it
    (tmp_path / "run.json").write_text(json.dumps(header))
    assert load_config(tmp_path / "run.json").data.source == "data"
    assert moved_data_note(tmp_path / "run.json", config) is None


def test_a_checkpoints_config_json_finds_its_pretrained_vectors_from_any_folder(tmp_path, monkeypatch):
    """`model.embeddings_init vec/good.vec does not exist` from another folder: only the typed path
    was kept. Its metrics.json now records the absolute path beside it, and the file's digest."""
    import hashlib
    import json

    from conftest import save_untrained_checkpoint

    checkpoint = save_untrained_checkpoint(tmp_path / "ckpt")
    vectors = tmp_path / "project" / "vec" / "good.vec"
    vectors.parent.mkdir(parents=True)
    vectors.write_text("word 1 2\n")
    header = json.loads((checkpoint / "config.json").read_text())
    header["config"]["model"]["embeddings_init"] = "vec/good.vec"
    (checkpoint / "config.json").write_text(json.dumps(header))
    metrics = json.loads((checkpoint / "metrics.json").read_text())
    record = {"path": "vec/good.vec", "dim": 2, "found": 1, "of": 1, "absolute_path": str(vectors)}
    record |= {"sha256": hashlib.sha256(b"word 1 2\n").hexdigest(), "bytes": 9}
    (checkpoint / "metrics.json").write_text(json.dumps({**metrics, "embeddings_init": record}))
    monkeypatch.chdir(tmp_path)
    assert load_config(checkpoint / "config.json").model.embeddings_init == str(vectors)
    # A run saved before attn kept the digest: the path as typed, as then.
    (checkpoint / "metrics.json").write_text(
        json.dumps({**metrics, "embeddings_init": {"path": "vec/good.vec"}})
    )
    assert load_config(checkpoint / "config.json").model.embeddings_init == "vec/good.vec"
    (checkpoint / "metrics.json").write_text(json.dumps({**metrics, "embeddings_init": record}))
    # Another file there now (its values rewritten, or a newer download): not taken as the run's.
    from attncli.config_loading import changed_vectors_note

    config_file = checkpoint / "config.json"
    assert changed_vectors_note(config_file, load_config(config_file)) is None  # the very file
    vectors.write_text("word 3 4\n")
    assert load_config(config_file).model.embeddings_init == "vec/good.vec"
    vectors.unlink()  # gone from there: the path as typed, which training then refuses in one line
    assert load_config(config_file).model.embeddings_init == "vec/good.vec"
    assert changed_vectors_note(config_file, load_config(config_file)) is None
    # A file at the path as typed that is not the one the run read: trained on, and said (it was not).
    (tmp_path / "vec").mkdir()
    (tmp_path / "vec" / "good.vec").write_text("word 5 6\n")
    assert changed_vectors_note(config_file, load_config(config_file)) == (
        f"{checkpoint} started from the vectors {vectors} as they were then (SHA-256 "
        f"{record['sha256'][:12]}...); vec/good.vec is not that file now, so this run starts from other "
        "vectors; pass --set model.embeddings_init=PATH if these are not the ones to train with"
    )
    given = {"model.embeddings_init"}
    assert changed_vectors_note(config_file, load_config(config_file), given) is None
    (tmp_path / "vec" / "good.vec").write_text("word 1 2\n")  # a copy of it: the same vectors
    os.utime(tmp_path / "vec" / "good.vec", ns=(1, 1))  # changed, should the clock not have moved
    assert changed_vectors_note(config_file, load_config(config_file)) is None
    # A path that is no regular file, named by a stranger's metrics.json: /dev/zero (size 0, as
    # recorded) was hashed without end, and a FIFO waited forever for a writer (a trial).
    import signal

    def hung(*_: object) -> None:
        raise AssertionError("reading the recorded vectors' path did not return")

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    previous = signal.signal(signal.SIGALRM, hung)  # a failure, not a hang, should it read them again
    try:
        for named in ("/dev/zero", str(fifo)):
            empty = {**record, "absolute_path": named, "bytes": 0}
            (checkpoint / "metrics.json").write_text(json.dumps({**metrics, "embeddings_init": empty}))
            signal.alarm(20)
            assert load_config(config_file).model.embeddings_init == "vec/good.vec"
            signal.alarm(0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  embed_dim: 64\n  things: [1, 2\ntrain:\n  lr: 3\n")
    with pytest.raises(ConfigError, match="not valid YAML at line 4, column 6: expected ',' or ']'"):
        load_config(bad)
    tabbed = tmp_path / "tabbed.yaml"  # an editor's tab as indentation
    tabbed.write_text("train:\n\tepochs: 3\n")
    with pytest.raises(ConfigError) as refused:
        load_config(tabbed)
    assert str(refused.value) == (
        f"config file {tabbed} is not valid YAML at line 2, column 1: found character '\\t' that cannot "
        "start any token; YAML takes no tabs outside quotes: replace them with spaces"
    )
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(listing)


def test_values_nested_past_what_python_can_read_are_a_config_error(tmp_path):
    # Python's recursion limit, not attn's: the error named neither the file nor the setting.
    nested = tmp_path / "nested.yaml"
    nested.write_text("model: " + "[" * 5000 + "]" * 5000 + "\n")
    too_deep = f"config file {re.escape(str(nested))} nests its values too deeply"
    with pytest.raises(ConfigError, match=too_deep):
        load_config(nested)
    with pytest.raises(ConfigError, match="--set model.embed_dim nests its value too deeply"):
        load_config(None, ["model.embed_dim=" + "[" * 5000 + "]" * 5000])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # YAML keeps the last of two keys silently: the first section's settings would be lost.
        (
            "model:\n  positional: rope\nmodel:\n  positional: alibi\n",
            r"names 'model' twice \(lines 1 and 3\)",
        ),
        ("model:\n  num_layers: 1\n  num_layers: 2\n", r"names 'num_layers' twice \(lines 2 and 3\)"),
        ("model:\n  positional: rope\nmodel.positional: alibi\n", "model.positional is given twice"),
        ("model: null\n", "section 'model' must be a mapping of settings .* not null"),
        ("model: rope\n", "section 'model' must be a mapping of settings .* not rope"),
    ],
)
def test_a_config_file_that_says_a_thing_twice_or_gives_a_section_no_settings_is_refused(
    tmp_path, text, message
):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)
    (tmp_path / "merged.yaml").write_text(
        "base: &base\n  positional: rope\n  num_layers: 2\nmodel:\n  <<: *base\n  num_layers: 1\n"
    )  # a YAML merge brings keys a section may then override: not a key given twice
    with pytest.raises(ConfigError, match="unknown setting 'base.positional'"):
        load_config(tmp_path / "merged.yaml")
    (tmp_path / "dotted.yaml").write_text("model.positional: rope\nmodel:\n  num_layers: 1\n")
    assert load_config(tmp_path / "dotted.yaml").model.positional == "rope"  # dotted keys at the top


def test_a_config_file_that_is_a_folder_or_not_utf8_is_refused_in_one_line(tmp_path):
    with pytest.raises(ConfigError, match=f"config file {tmp_path} is a folder; pass a YAML file"):
        load_config(tmp_path)  # it said the folder "does not exist"
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x00\x01binary\xff")
    with pytest.raises(ConfigError, match=r"binary.yaml is not UTF-8 text \(byte 9\)"):
        load_config(binary)  # a UnicodeDecodeError, exit 1


def test_a_file_of_no_settings_is_named_so_and_a_misspelt_section_still_gets_a_suggestion(tmp_path):
    """`--config RUN/best/metrics.json` said "unknown setting 'best_epoch'; did you mean train.epochs?"."""
    metrics = tmp_path / "metrics.json"
    metrics.write_text(
        '{"best_epoch": 3, "validation": {"loss": 0.5}, "train_seconds": 1.0, "train_size": 9}'
    )
    with pytest.raises(ConfigError) as refused:
        load_config(metrics)
    assert str(refused.value) == (
        f"config file {metrics} holds no attn settings (its keys: best_epoch, validation, train_seconds, "
        "train_size); pass a YAML file of data, tokenizer, model and train sections, or a checkpoint's "
        "config.json"
    )
    # A misnamed section, or settings without their sections, still get the closest setting.
    for written, meant in [
        ("modle:\n  dropout: 0.2\n", "unknown setting 'modle.dropout'; did you mean model.dropout"),
        ("training:\n  epochs: 3\n", "unknown setting 'training.epochs'; did you mean train.epochs"),
        ("MODEL:\n  dropout: 0.3\n", "unknown setting 'MODEL.dropout'; did you mean model.dropout"),
        ("epochs: 3\n", "unknown setting 'epochs'; did you mean train.epochs"),
    ]:
        misspelt = tmp_path / "c.yaml"
        misspelt.write_text(written)
        with pytest.raises(ConfigError, match=meant):
            load_config(misspelt)


def test_a_checkpoint_trained_on_other_processes_says_how_to_train_it_the_same_way(tmp_path):
    import json

    from conftest import save_untrained_checkpoint

    from attncli.config_loading import saved_processes_note

    checkpoint = save_untrained_checkpoint(tmp_path / "ckpt")
    config = checkpoint / "config.json"
    metrics = (
        json.loads((checkpoint / "metrics.json").read_text())
        if (checkpoint / "metrics.json").exists()
        else {}
    )
    assert saved_processes_note(config, 1) is None  # no processes recorded: an earlier run
    (checkpoint / "metrics.json").write_text(json.dumps({**metrics, "processes": 2}))
    assert saved_processes_note(config, 2) is None
    assert saved_processes_note(config, 1) == (
        f"{checkpoint} was trained on 2 processes and this run has 1: each process draws its own dropout "
        "masks, so pass --nproc 2 to train it the same way"
    )
    assert saved_processes_note(tmp_path / "other.yaml", 1) is None  # not a checkpoint's config


def test_python_values_no_yaml_file_could_hold_are_refused_in_a_short_line():
    """From the Python API: a DataFrame was pandas' "truth value is ambiguous", a Dataset YAML's
    "cannot represent an object", and 3,000 rows a message of 100,000 characters."""
    from pathlib import Path

    from datasets import Dataset

    from attncli.errors import ConfigError

    hint = "; pass a path or a Hub dataset name: save a Dataset with .save_to_disk(FOLDER)"
    for value, kind in [
        (Dataset.from_dict({"text": ["a"], "label": ["b"]}), "a Dataset"),
        ([{"text": "a b", "label": "x"}] * 3000, "a list"),
        ({"text": ["a"]}, "a dict"),
        (object(), "an object"),
    ]:
        expected = rf"^data.source must be text, not {kind}{re.escape(hint)}"
        with pytest.raises(ConfigError, match=expected) as refused:
            load_config(None, options={"data.source": value})
        assert len(str(refused.value)) < 200
    assert load_config(None, options={"data.source": Path("data/x")}).data.source == "data/x"
    with pytest.raises(ConfigError, match="^model.embed_dim must be a whole number, not 'x{78}…$"):
        load_config(None, options={"model.embed_dim": "x" * 300})
    with pytest.raises(ConfigError, match="^model.embed_dim must be a whole number, not a Dataset$"):
        load_config(None, options={"model.embed_dim": Dataset.from_dict({"a": [1]})})
    assert load_config(None, ["data.source=d"], options={"train.lr": 0.01}).train.lr == 0.01


def test_settings_of_an_older_attn_in_a_config_file_or_set_say_what_to_do(tmp_path):
    """From a trial of config files of earlier commits: attn 0.1's model.pooling named the pooling's
    scoring, and the character n-gram settings were removed (\"unknown setting; did you mean
    model.max_length\")."""
    import json

    from attncli.errors import ConfigError

    for scoring in ("additive", "scaled_dot", "dot"):
        with pytest.raises(ConfigError, match=(
            rf"^model.pooling={scoring} is how attn 0.1 named the scoring of attention pooling, which is "
            r"model.pooling_attention now: set model.pooling=attention and "
            rf"model.pooling_attention={scoring}$"
        )):  # fmt: skip
            load_config(None, [f"model.pooling={scoring}"])
    old = tmp_path / "old.yaml"
    old.write_text("model:\n  char_ngrams: 0\n  char_ngram_min: 3\n  word_bigrams: 0\n  embed_dim: 32\n")
    assert load_config(old).model.embed_dim == 32  # at the values that built today's model: ignored
    with pytest.raises(ConfigError, match=(
        r"^model.char_ngrams is a setting attn no longer has \(character n-gram and word-pair vectors, "
        r"removed since they did not help: docs/short_texts.md\); delete it to train without them$"
    )):  # fmt: skip
        load_config(old, ["model.char_ngrams=1000"])
    header = {"format_version": 2, "config": {"model": {"pooling": "attention", "word_bigrams": 500}}}
    saved = tmp_path / "config.json"
    saved.write_text(json.dumps(header))
    with pytest.raises(ConfigError, match=(
        rf"^config file {re.escape(str(saved))} sets model.word_bigrams=500, which attn no longer has "
        r"\(character n-gram and word-pair vectors\); copy the file without it to train with the rest$"
    )):  # fmt: skip
        load_config(saved)


def test_sized_settings_of_a_damaged_metrics_json_are_left_unsaid_not_a_failure(tmp_path):
    """`"sized": {"x": ["y"]}` or a count of 1e999 in a hand-edited metrics.json stopped the run with
    `TypeError: unhashable type` (exit 1) before any training."""
    import json

    from conftest import save_untrained_checkpoint

    from attncli.config_loading import kept_sized_settings

    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    config = load_config(checkpoint / "config.json")
    metrics = json.loads((checkpoint / "metrics.json").read_text())
    for sized in ({"model.max_length": [54]}, {"model.max_length": 1e999}, ["model.max_length"], "x"):
        (checkpoint / "metrics.json").write_text(json.dumps({**metrics, "sized": sized}))
        assert kept_sized_settings(checkpoint / "config.json", config) == {}
    (checkpoint / "metrics.json").write_text(json.dumps({**metrics, "sized": {"model.max_length": 54}}))
    assert kept_sized_settings(checkpoint / "config.json", config) == {"model.max_length": 54}
    assert kept_sized_settings(checkpoint / "config.json", config, given={"model.max_length"}) == {}


def test_yaml_aliases_that_expand_without_end_are_refused_and_ordinary_anchors_kept(tmp_path):
    """A security trial: 9 aliases of 9, nested 9 deep, is 9^9 values in three lines, which reading
    the settings walked at 100% of a core until killed; an alias inside its own anchor recursed."""
    parts, previous = ['&a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'], "a"
    for name in "bcdefghi":
        parts.append(f"&{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text("data:\n  text_column: [" + ", ".join(parts) + "]\n")
    with pytest.raises(ConfigError, match="uses YAML aliases that expand to over 100,000 values"):
        load_config(bomb, [])
    loop = tmp_path / "loop.yaml"
    loop.write_text("data:\n  text_column: &a [*a]\n")
    with pytest.raises(ConfigError, match="holds a value inside itself"):
        load_config(loop, [])
    one_line = "[" + ", ".join(parts) + "]"
    with pytest.raises(ConfigError, match="--set data.text_column uses YAML aliases that expand without end"):
        load_config(None, [f"data.text_column={one_line}"])
    shared = tmp_path / "shared.yaml"  # an anchor a section reuses, as the README allows
    shared.write_text("model:\n  embed_dim: &width 32\n  pooling_heads: 8\ntrain:\n  batch_size: *width\n")
    config = load_config(shared, [])
    assert (config.model.embed_dim, config.train.batch_size) == (32, 32)


def test_a_max_length_whose_position_tables_would_not_fit_is_refused_as_training_and_loading_refuse_it():
    """A config.json doctored to max_length 10^7 built a 10 GB sinusoidal table; the same bound holds
    for training, so no run trains what loading would refuse. ALiBi keeps no table."""
    refused = "build tables of 640,000,000 numbers, over the 100,000,000 attn allows"
    with pytest.raises(
        ConfigError,
        match=f"model.max_length=10000000 and model.embed_dim=64 with sinusoidal positions {refused}",
    ):
        load_config(None, ["model.max_length=10000000", "model.embed_dim=64"])
    # The width is named with the length: an embed_dim of ten million was blamed on a max_length of 16.
    with pytest.raises(
        ConfigError, match="max_length=16 and model.embed_dim=10,000,000 .*a smaller embed_dim"
    ):
        load_config(None, ["model.max_length=16", "model.embed_dim=10000000"])
    # A cosine and a sine table a head wide in each of 5 layers: 2 x 5 x 10^6 x 32.
    with pytest.raises(ConfigError, match="with rope positions build tables of 320,000,000 numbers"):
        load_config(None, ["model.max_length=1000000", "model.embed_dim=64", "model.positional=rope",
                           "model.num_heads=2", "model.num_layers=5"])  # fmt: skip
    # Segments: a table inside a segment and a vector for each segment (a review: a segment_length of
    # 10^7 took 20 GB before the weights were found not to fit).
    for length, segment in ((512, 10**7), (2 * 10**8, 64)):
        with pytest.raises(
            ConfigError, match=f", model.segment_length={segment} and model.embed_dim=64 with segment"
        ):
            load_config(None, [f"model.max_length={length}", f"model.segment_length={segment}",
                               "model.positional=segment", "model.embed_dim=64"])  # fmt: skip
    assert (
        load_config(None, ["model.max_length=10000000", "model.positional=alibi"]).model.max_length == 10**7
    )
    assert load_config(None, ["model.max_length=65536", "model.embed_dim=1024"]).model.max_length == 65536


def test_an_encoding_a_config_file_gives_is_named_where_leaving_encoding_out_would_keep_it(tmp_path):
    from attncli.config_loading import carried_encoding_refusal

    config = load_config(None, ["data.encoding=cp1252"])
    path = tmp_path / "run" / "best" / "config.json"
    for refusal in (
        "F is UTF-8 (bytes above 0x7F among its first form UTF-8 characters, such as 'é'), not cp1252; leave "
        "--encoding out (utf-8 is the default), and where a line is then said not to be UTF-8, retype the "
        "character named",
        "F is not cp1252 (it has line ends but no zero bytes); leave --encoding out for utf-8, or pass the "
        "encoding it is in (such as cp1252)",
    ):
        told = carried_encoding_refusal(path, config, (), refusal)
        assert told is not None and "leave --encoding out" not in told
        assert f"pass --encoding utf-8 (data.encoding cp1252 is named by {path})" in told
        # Typed on the command line, the advice stands; so does any refusal about something else
        assert carried_encoding_refusal(path, config, {"data.encoding"}, refusal) is None
    assert carried_encoding_refusal(path, config, (), "line 3 of F has no label") is None
    assert carried_encoding_refusal(path, load_config(None, []), (), "leave --encoding out") is None


def test_columns_a_config_file_names_are_said_to_come_from_it_when_joined_too(tmp_path):
    """A checkpoint's config.json reused on other data: the refusal of one of the text columns it
    joins says where the names came from, as for one column."""
    from attncli.config_loading import carried_columns_hint

    config = load_config(None, ["data.text_column=title,body"])
    refusal = "text column 'title' not found; D has columns 'text', 'label'"
    hint = carried_columns_hint(tmp_path / "config.json", config, set(), refusal)
    named = tmp_path / "config.json"
    assert hint == f"'title,body' is named by {named}; pass --text-column auto to find this data's own"
    assert carried_columns_hint(tmp_path / "config.json", config, {"data.text_column"}, refusal) is None
