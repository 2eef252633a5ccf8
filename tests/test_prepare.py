import pytest

from attncli.errors import ConfigError
from attncli.optimizer import learning_rate_factor
from attncli.prepare import class_weights_of


def test_learning_rate_warms_up_then_decays_linearly():
    factors = [learning_rate_factor(step, total_steps=10, warmup_steps=2) for step in range(10)]
    assert factors[:2] == [0.5, 1.0]
    assert factors[2:] == pytest.approx([1.0, 7 / 8, 6 / 8, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 1 / 8])
    assert learning_rate_factor(0, total_steps=5, warmup_steps=0) == 1.0


def test_class_weights_auto_is_inverse_frequency_and_lists_are_checked():
    from array import array

    names = ["neg", "pos"]
    assert class_weights_of("auto", array("q", [0, 0, 0, 1]), names) == [4 / (2 * 3), 4 / (2 * 1)]
    assert class_weights_of([1.0, 3.0], array("q", [0, 1]), names) == [1.0, 3.0]
    assert class_weights_of(None, array("q", [0, 1]), names) is None
    with pytest.raises(ConfigError) as refused:
        class_weights_of([1.0, 2.0, 3.0], array("q", [0, 1]), names)
    assert str(refused.value) == (
        "train.class_weights has 3 weights but the data has 2 labels; give one per label, in this order: "
        "neg, pos"
    )


def test_class_weights_by_label_name_leave_the_others_at_one_and_name_what_is_no_label():
    """A list in label order (sorted) gave the README's [1, 4, 1] to the commonest label, unseen."""
    from array import array

    names = ["business", "sports", "tech"]
    assert class_weights_of({"tech": 10.0}, array("q", [0, 1, 2]), names) == [1.0, 1.0, 10.0]
    # matched as a row's label is: YAML's {1.0: 4} names the label 1, and spaces are no part of a name
    assert class_weights_of({"1.0": 4.0}, array("q", [0, 1]), ["1", "2"]) == [4.0, 1.0]
    assert class_weights_of({" tech ": 3.0}, array("q", [0, 1, 2]), names) == [1.0, 1.0, 3.0]
    with pytest.raises(ConfigError) as refused:
        class_weights_of({"Tech": 10.0, "tehc": 2.0}, array("q", [0, 1, 2]), names)
    assert str(refused.value) == (
        "train.class_weights names 'Tech', 'tehc', which are no labels of the data (business, sports, tech) "
        "('Tech' is 'tech' in another case, 'tehc' may be 'tech'); give weights by the labels' names"
    )


def test_class_weights_keys_yaml_read_as_numbers_are_warned_of_where_labels_spell_them_otherwise():
    """A user's trial: `{01: 3}` gave the weight to the label 1 beside a label 01, without a word,
    and `{010: 5}` was refused as naming '8'."""
    from array import array

    from attncli.config_loading import load_config
    from attncli.prepare import number_keys_warning

    def weights(setting: str):
        return load_config(None, [f"train.class_weights={setting}"]).train.class_weights

    names = ["01", "1", "2", "010"]
    assert weights("{01: 3}") == {"1": 3.0}  # what YAML gave: the label as typed is gone
    assert number_keys_warning(weights("{01: 3}"), names) == (
        "train.class_weights key '1' weighs the label '1', but is also what YAML makes of the label '01' "
        "written without quotes; if it is meant for '01', quote it ({'01': ...})"
    )
    # Quoted as the warning says, or a key no other label becomes (star ratings), or not a mapping.
    assert number_keys_warning(weights("{'01': 3}"), names) is None
    assert number_keys_warning(weights("{1: 4}"), ["1", "2", "3", "4", "5"]) is None
    assert number_keys_warning("auto", names) is None
    # The octal 010 is 8 to YAML, not 10; each key is said.
    assert number_keys_warning(weights("{010: 5, 01: 2}"), ["010", "8", "01", "1"]) == (
        "train.class_weights key '8' weighs the label '8', but is also what YAML makes of the label '010' "
        "written without quotes; if it is meant for '010', quote it ({'010': ...}); key '1' weighs the label "
        "'1', but is also what YAML makes of the label '01' written without quotes; if it is meant for '01', "
        "quote it ({'01': ...})"
    )
    with pytest.raises(ConfigError) as refused:
        class_weights_of(weights("{010: 5}"), array("q", [0, 1]), names)
    assert str(refused.value) == (
        "train.class_weights names '8', which is no label of the data (01, 1, 2, 010); YAML reads a key "
        "that is not in quotes as a number, and '8' is what it makes of the label '010': quote it "
        "({'010': ...}); give weights by the labels' names"
    )
    with pytest.raises(ConfigError) as refused:  # a number no label becomes: no word of YAML
        class_weights_of(weights("{6: 2}"), array("q", [0, 1]), ["1", "2"])
    assert "YAML" not in str(refused.value)
    assert class_weights_of(weights("{'010': 5}"), array("q", [0, 1]), names) == [1.0, 1.0, 1.0, 5.0]


def test_a_tokenizer_given_by_path_is_said_to_be_used_not_trained(tmp_path):
    from conftest import TINY_MODEL, make_rows, write_csv

    from attncli.config import TokenizerConfig
    from attncli.config_loading import load_config
    from attncli.prepare import prepare
    from attncli.reporter import SilentReporter
    from attncli.tokenizer import train_tokenizer

    rows = make_rows(40)
    train_tokenizer([row["text"] for row in rows], TokenizerConfig(vocab_size=100)).save(
        str(tmp_path / "t.json")
    )
    data = write_csv(tmp_path / "d.csv", rows)
    stages: list[str] = []

    class Stages(SilentReporter):
        def stage(self, message: str) -> None:
            stages.append(message)

    config = load_config(None, [*TINY_MODEL, f"data.source={data}", f"tokenizer.path={tmp_path / 't.json'}"])
    prepare(config, reporter=Stages())
    assert f"using the tokenizer in {tmp_path / 't.json'}" in stages
    said = [stage for stage in stages if "validation rows" not in stage]  # 4: too few to choose by
    unused = [stage for stage in said if stage.startswith("warning: settings given that this run does not")]
    assert len(unused) == 1 and "tokenizer.kind=wordpiece (the tokenizer in tokenizer.path" in unused[0]
    said.remove(unused[0])
    assert not any(stage.startswith("training the") or "warning" in stage for stage in said)
    # A setting the chosen pooling does not use is said to be ignored.
    stages.clear()
    prepare(load_config(None, [*TINY_MODEL, f"data.source={data}", "model.pooling=mean",
                               "model.pooling_attention=additive"]), reporter=Stages())  # fmt: skip
    warning = "warning: model.pooling_attention=additive scores attention pooling only; model.pooling=mean"
    assert f"{warning} does not use it" in stages


def test_a_learned_position_table_far_longer_than_the_texts_is_noted(tmp_path):
    from conftest import TINY_MODEL, StageRecorder, make_rows, write_csv

    from attncli.config_loading import load_config
    from attncli.prepare import prepare

    data = write_csv(tmp_path / "d.csv", make_rows(40))  # texts of at most 16 tokens
    settings = [*TINY_MODEL, f"data.source={data}", "tokenizer.kind=word", "model.num_layers=1"]
    for length, positional, noted in [(1000, "learned", True), (64, "learned", False), (1000, "rope", False)]:
        reporter = StageRecorder()
        config = load_config(
            None, [*settings, f"model.max_length={length}", f"model.positional={positional}"]
        )
        prepare(config, reporter=reporter)
        said = [line for line in reporter.lines if line.startswith("note: model.max_length=")]
        assert bool(said) == noted, (length, positional, reporter.lines)
        assert not said or "far above the longest training text (" in said[0]


def test_relative_distances_beyond_max_length_are_noted(tmp_path):
    """max_relative_distance=64 at max_length 16 trained 96 distance vectors no key could ever reach,
    without a word, where a learned table that long gets a note (a trial of the model family)."""
    from conftest import TINY_MODEL, StageRecorder, make_rows, write_csv

    from attncli.config_loading import load_config
    from attncli.prepare import prepare

    data = write_csv(tmp_path / "d.csv", make_rows(40))
    settings = [*TINY_MODEL, f"data.source={data}", "model.max_length=16", "model.positional=relative"]
    for distance, noted in [(64, True), (15, False), (8, False)]:
        reporter = StageRecorder()
        prepare(load_config(None, [*settings, f"model.max_relative_distance={distance}"]), reporter=reporter)
        said = [line for line in reporter.lines if line.startswith("note: model.max_relative_distance=")]
        assert said == (
            [
                "note: model.max_relative_distance=64 is beyond the 15 tokens a key can be from a query at "
                "model.max_length=16: 98 of its 129 distance vectors are never trained; 15 or less trains "
                "fewer parameters"
            ]
            if noted
            else []
        ), reporter.lines


def test_training_texts_cut_at_max_length_are_counted_in_a_note(tmp_path):
    from conftest import TINY_MODEL, StageRecorder, make_rows, write_csv

    from attncli.config_loading import load_config
    from attncli.prepare import prepare

    rows = make_rows(60)
    for row in rows[:30]:
        row["text"] = " ".join([row["text"]] * 10)  # past max_length 32
    config = load_config(None, [*TINY_MODEL, f"data.source={write_csv(tmp_path / 'd.csv', rows)}"])
    recorder = StageRecorder()
    prepared = prepare(config, reporter=recorder)  # type: ignore[arg-type]
    cut, longest = prepared.train_ids.truncated, prepared.train_ids.longest
    assert 20 <= cut <= 30  # of the 54 rows left in train after the validation carve
    # How long the texts are, which a long-document trial's note did not say: ten times a row's words.
    words = max(len(row["text"].split()) for row in rows)
    assert words < longest <= 2 * words  # words and their punctuation
    assert (
        f"note: {cut} of 54 training texts are longer than model.max_length (32 tokens; the longest has "
        f"{longest}); training reads only their first 32 tokens; --set model.truncation=head+tail reads "
        "each one's end as well"
    ) in recorder.lines
    # Given, the note says which tokens it reads, and no more advice.
    given = load_config(None, [*TINY_MODEL, "model.truncation=tail", f"data.source={tmp_path / 'd.csv'}"])
    recorder = StageRecorder()
    prepare(given, reporter=recorder)  # type: ignore[arg-type]
    assert any(line.endswith("training reads only their last 32 tokens") for line in recorder.lines)
    # Where the rule sized it to its most, 512, the note says how to read more (a teacher's essays:
    # 170 of 193 cut, and nothing said what to do).
    for row in rows:
        row["text"] = " ".join([row["text"]] * 200)  # about 1,000 words
    sized = [setting for setting in TINY_MODEL if not setting.startswith("model.max_length")]
    config = load_config(None, [*sized, f"data.source={write_csv(tmp_path / 'long.csv', rows)}"])
    recorder = StageRecorder()
    prepared = prepare(config, reporter=recorder)  # type: ignore[arg-type]
    assert prepared.config.model.max_length == 512 and prepared.train_ids.truncated == 54
    assert (
        f"note: 54 of 54 training texts are longer than model.max_length (512 tokens; the longest has "
        f"{prepared.train_ids.longest:,}); training reads only their first 512 tokens; --max-length 1024 "
        "reads up to twice as much of each, and takes at least twice the time a text; --set "
        "model.truncation=head+tail reads each one's end as well"
    ) in recorder.lines


def test_a_max_length_the_words_gave_is_sized_again_where_the_tokenizer_reads_more_pieces(tmp_path):
    """A moderator's trial: a unigram tokenizer read Thai, Arabic and Hindi posts in pieces of about a
    letter, and the max_length their words gave (32) cut 34 of 293 posts, where the rule gives room
    for 99% of them."""
    import random

    from conftest import TINY_MODEL, StageRecorder, write_jsonl

    from attncli.config_loading import load_config
    from attncli.prepare import prepare

    phrases = ["ฉันชอบดูฟุตบอลมากที่สุดในโลก", "วันนี้อากาศร้อนมากจริงๆ", "नमस्ते दुनिया बहुत अच्छा"]
    phrases += ["اربح جائزة مجانية الآن"]
    pick = random.Random(0)
    rows = [
        {"text": " ".join(pick.choice(phrases) for _ in range(pick.randint(2, 6))), "label": "abc"[i % 3]}
        for i in range(300)
    ]
    sized = [setting for setting in TINY_MODEL if not setting.startswith("model.max_length")]
    source = write_jsonl(tmp_path / "posts.jsonl", rows)
    config = load_config(
        None, [*sized, f"data.source={source}", "tokenizer.kind=unigram", "tokenizer.vocab_size=80"]
    )
    recorder = StageRecorder()
    prepared = prepare(config, reporter=recorder)  # type: ignore[arg-type]
    (said,) = [line for line in recorder.lines if "sized again" in line]
    assert said.startswith(f"note: model.max_length={prepared.config.model.max_length}, sized again from the")
    lengths = prepared.train_ids.lengths()
    assert prepared.train_ids.truncated <= 0.01 * len(lengths) and not any(
        "longer than" in line for line in recorder.lines
    )
    # Given, it is the user's: cut as asked, and said so.
    given = load_config(
        None, [*TINY_MODEL, f"data.source={source}", "tokenizer.kind=unigram", "tokenizer.vocab_size=80"]
    )
    recorder = StageRecorder()
    assert prepare(given, reporter=recorder).config.model.max_length == 32  # type: ignore[arg-type]
    assert not any("sized again" in line for line in recorder.lines)


def test_settings_given_that_the_run_does_not_use_are_warned_of(tmp_path):
    from conftest import StageRecorder, make_rows, write_jsonl

    from attncli.config import TokenizerConfig
    from attncli.config_loading import load_config
    from attncli.prepare import prepare
    from attncli.tokenizer import train_tokenizer

    rows = make_rows(60)
    tokenizer_file = tmp_path / "t.json"
    train_tokenizer([row["text"] for row in rows], TokenizerConfig(vocab_size=100)).save(str(tokenizer_file))
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    settings = [f"data.source={data}", f"tokenizer.path={tokenizer_file}", "tokenizer.kind=bpe",
                "tokenizer.vocab_size=50", "model.ff_dim=999", "data.delimiter=;", "data.config=foo",
                "train.outlier_rows=0", "train.outlier_weight=0.5", "train.epochs=1"]  # fmt: skip
    recorder = StageRecorder()
    prepared = prepare(load_config(None, settings), reporter=recorder)  # type: ignore[arg-type]
    assert prepared.config.model.num_layers == 0  # sized: so ff_dim has no layer to size
    warned = [line for line in recorder.lines if line.startswith("warning: settings given")]
    assert warned == [
        "warning: settings given that this run does not use: data.config=foo (it names a configuration "
        'of a Hub dataset, and the data is a local path); data.delimiter=";" (d.jsonl is not a csv/tsv '
        "file); tokenizer.kind=bpe (the tokenizer in tokenizer.path is used as it is); "
        "tokenizer.vocab_size=50 (the tokenizer in tokenizer.path is used as it is); model.ff_dim=999 "
        "(no self-attention layers); train.outlier_weight=0.5 (train.outlier_rows is 0)"
    ]  # each was accepted, saved and silently ignored
    recorder = StageRecorder()
    # num_heads with no layer to read it: said, and the sized width left alone (it was rounded up to
    # 72, a multiple of 6 heads no layer had, and nothing was said).
    settings = [f"data.source={data}", "train.epochs=1", "model.num_heads=6"]
    prepared = prepare(load_config(None, settings), reporter=recorder)  # type: ignore[arg-type]
    assert prepared.config.model.embed_dim == 64
    assert [line for line in recorder.lines if line.startswith("warning: settings given")] == [
        "warning: settings given that this run does not use: model.num_heads=6 (no self-attention layers)"
    ]
    folder = tmp_path / "split"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", rows)
    write_jsonl(folder / "validation.jsonl", rows[:20])
    recorder = StageRecorder()
    settings = [f"data.source={folder}", "train.epochs=1", "data.validation_fraction=0.2"]
    prepare(load_config(None, settings), reporter=recorder)  # type: ignore[arg-type]
    assert (
        "warning: settings given that this run does not use: data.validation_fraction=0.2 (the data has a "
        "validation split)"
    ) in recorder.lines


def test_a_batch_smaller_than_the_processes_sharing_it_is_refused_before_any_data_loads(tmp_path):
    """Every process takes its share of each batch: train.batch_size 1 on 2 processes would skip
    every batch, train nothing and exit 0."""
    from attncli.config_loading import load_config
    from attncli.distributed import Distributed
    from attncli.prepare import prepare
    from attncli.reporter import SilentReporter

    config = load_config(overrides=[f"data.source={tmp_path / 'not-read.csv'}", "train.batch_size=1"])
    with pytest.raises(ConfigError) as refused:
        prepare(config, reporter=SilentReporter(), distributed=Distributed(rank=0, world_size=2))
    assert str(refused.value) == (
        "train.batch_size 1 is smaller than the 2 processes that share each batch; set --batch-size 2 "
        "or more, or train on fewer processes"
    )


def test_a_vocabulary_that_reads_most_training_words_as_unknown_is_warned_of(tmp_path):
    from conftest import TINY_MODEL, StageRecorder, make_rows, write_csv

    from attncli.config import load_config
    from attncli.prepare import prepare

    data = write_csv(tmp_path / "d.csv", make_rows(60))
    said = {}
    for vocab_size in (12, 1000):  # the 5 special tokens and 7 words; then every word
        recorder = StageRecorder()
        settings = [
            *TINY_MODEL,
            f"data.source={data}",
            "tokenizer.kind=word",
            f"tokenizer.vocab_size={vocab_size}",
        ]
        prepared = prepare(load_config(None, settings), reporter=recorder)  # type: ignore[arg-type]
        ids, unknown = prepared.train_ids.ids, prepared.tokenizer.token_to_id("[UNK]")
        share = float((ids == unknown).sum()) / ids.numel()
        said[vocab_size] = [line for line in recorder.lines if "of the training tokens are [UNK]" in line]
        assert (share > 0.1) == bool(said[vocab_size]), (vocab_size, share)
    assert said[12] and not said[1000]
    assert said[12][0].startswith("warning: ") and "raise tokenizer.vocab_size" in said[12][0]
    assert "set tokenizer.kind=wordpiece" in said[12][0]
    # A tokenizer of the run's own (a --resume's) is not warned of again: nothing can change it now.
    recorder = StageRecorder()
    settings = [*TINY_MODEL, f"data.source={data}", "tokenizer.kind=word", "tokenizer.vocab_size=12"]
    prepare(load_config(None, settings), reporter=recorder, tokenizer=prepared.tokenizer)  # type: ignore[arg-type]
    assert not [line for line in recorder.lines if "of the training tokens are" in line]


def test_auto_precision_on_a_cpu_with_amx_follows_the_sized_model(tmp_path, monkeypatch):
    """A trial on a CPU with AMX: `auto` picked bf16 for the sized short-text defaults, whose epochs
    then took 40% longer on 23% more memory than in fp32; bf16 gains only for wide self-attention
    layers, which are known once the model is sized."""
    from conftest import StageRecorder, make_rows, write_csv

    from attncli import device
    from attncli.config_loading import load_config
    from attncli.prepare import prepare

    monkeypatch.setattr(device, "cpu_has_amx", lambda: True)
    data = write_csv(tmp_path / "d.csv", make_rows(60))
    sized = prepare(load_config(None, [f"data.source={data}"]), reporter=StageRecorder())  # type: ignore[arg-type]
    assert (sized.config.model.num_layers, sized.config.model.embed_dim, sized.precision) == (0, 64, "fp32")
    wide = load_config(None, [f"data.source={data}", "model.embed_dim=256", "model.num_layers=1"])
    assert prepare(wide, reporter=StageRecorder()).precision == "bf16"  # type: ignore[arg-type]
    given = load_config(None, [f"data.source={data}", "train.precision=bf16"])
    assert prepare(given, reporter=StageRecorder()).precision == "bf16"  # type: ignore[arg-type]


def test_a_run_whose_attention_scores_would_not_fit_is_warned_of_before_it_trains(tmp_path, monkeypatch):
    """The warning comes with the run's resolved model and batch (run_warnings.score_memory_warning)."""
    from conftest import TINY_MODEL, StageRecorder, make_rows, write_csv

    import attncli.prepare
    from attncli.config_loading import load_config
    from attncli.prepare import prepare

    data = write_csv(tmp_path / "d.csv", make_rows(40))
    config = load_config(None, [*TINY_MODEL, f"data.source={data}", "model.positional=relative"])
    monkeypatch.setattr(attncli.prepare, "available_memory", lambda: 1000)
    recorder = StageRecorder()
    prepare(config, reporter=recorder)  # type: ignore[arg-type]
    (warning,) = [line for line in recorder.lines if "keeps every score of a text in memory" in line]
    assert warning.startswith("warning: model.positional=relative keeps every score")
    assert "where 1000 bytes is available" in warning
    monkeypatch.setattr(attncli.prepare, "available_memory", lambda: 2**40)
    recorder = StageRecorder()
    prepare(config, reporter=recorder)  # type: ignore[arg-type]
    assert not [line for line in recorder.lines if "keeps every score" in line]


def test_preparing_many_labels_of_few_rows_each_leaves_the_epochs_note_to_the_summary(tmp_path):
    """The note that more epochs helped an intent trial is said with the summary, where the best
    epoch shows whether the run was still improving (render.training.more_epochs_note): said before
    training, it told a taxonomy trial that stopped at epoch 11 of 20 to train for 40."""
    from conftest import TINY_MODEL, StageRecorder, write_csv

    from attncli.config_loading import load_config
    from attncli.prepare import prepare

    rows = [
        {"text": f"please help with thing{label} now {index}", "label": f"intent{label}"}
        for label in range(60)
        for index in range(25)
    ]
    config = load_config(None, [*TINY_MODEL, f"data.source={write_csv(tmp_path / 'd.csv', rows)}"])
    recorder = StageRecorder()
    prepared = prepare(config, reporter=recorder)  # type: ignore[arg-type]
    assert prepared.config.train.epochs == 20 and "train.epochs" in prepared.sized  # what the note reads
    assert not any("labels of about" in line for line in recorder.lines)
