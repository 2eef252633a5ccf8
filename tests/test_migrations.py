"""Checkpoints written before the model restructure (format 1) load and predict exactly as before.
The fixtures were trained and their predictions recorded by the code of that time."""

import json
import shutil
from pathlib import Path

import pytest
import torch

from attncli.checkpoint import load_checkpoint
from attncli.checkpoint_folder import FORMAT_VERSION
from attncli.errors import CheckpointError
from attncli.prediction import predict_probabilities

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "v1_expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED["probabilities"]))
def test_format_1_checkpoints_predict_the_same_as_before(name):
    header = json.loads((FIXTURES / name / "config.json").read_text())
    assert header["format_version"] == 1 and header["config"]["model"]["pooling"] in (
        "additive",
        "scaled_dot",
    )
    loaded = load_checkpoint(FIXTURES / name)
    model = loaded.config.model
    assert (model.pooling, model.attention, model.pooling_heads) == ("attention", "scaled_dot", 1)
    assert model.pooling_attention == header["config"]["model"]["pooling"]
    expected = torch.tensor(EXPECTED["probabilities"][name])
    assert torch.allclose(predict_probabilities(loaded, EXPECTED["texts"]), expected, atol=1e-6)


def test_a_format_from_the_future_says_to_upgrade(tmp_path):
    folder = tmp_path / "future"
    shutil.copytree(FIXTURES / "v1_additive_learned", folder)
    header = json.loads((folder / "config.json").read_text())
    header["format_version"] = FORMAT_VERSION + 1
    (folder / "config.json").write_text(json.dumps(header))
    with pytest.raises(CheckpointError, match=f"format {FORMAT_VERSION + 1}; this attn reads formats 1 to"):
        load_checkpoint(folder)


def test_a_config_json_that_attn_did_not_write_is_not_said_to_need_a_newer_attn(tmp_path):
    """Valid JSON written over config.json said `format None; ... upgrade attn`, which cannot help."""
    folder = tmp_path / "other"
    shutil.copytree(FIXTURES / "v1_additive_learned", folder)
    for written in ({"name": "not attn's"}, {"format_version": "2"}, {"format_version": True}):
        (folder / "config.json").write_text(json.dumps(written))
        with pytest.raises(CheckpointError) as refused:
            load_checkpoint(folder)
        # In JSON's words, as the file has it ("{}" was said as "its format_version is None").
        said = (
            f"its format_version is {json.dumps(written['format_version'])}"
            if written.get("format_version")
            else "it has no format_version"
        )
        assert str(refused.value) == (
            f"{folder / 'config.json'} is not the config.json attn wrote ({said}); restore the file from a "
            "backup of the checkpoint, or train it again"
        )


def test_runs_saved_before_outlier_exposure_carry_on_without_it():
    import json

    from attncli.config import Config
    from attncli.migrations import migrate_header

    for name in ("v1_additive_learned", "v1_scaled_dot_sinusoidal"):
        header = json.loads((FIXTURES / name / "config.json").read_text())
        assert "outlier_rows" not in header["config"]["train"]
        migrated = migrate_header(header, 2)
        assert Config.from_dict(migrated["config"]).train.outlier_rows == 0
        # and subword dropout came later still
        assert "subword_dropout" not in header["config"]["train"]
        assert Config.from_dict(migrated["config"]).train.subword_dropout == 0.0
        # and rare-word dropout later again: a run resumed, or one trained with its config, is as it was
        assert "rare_word_dropout" not in header["config"]["train"]
        assert Config.from_dict(migrated["config"]).train.rare_word_dropout == 0.0
    assert Config().train.rare_word_dropout is None and Config().train.rare_word_alpha == 0.0  # sized


@pytest.mark.parametrize(
    ("setting", "as_read"), [("adversarial", "adversarial_epsilon"), ("refit_epochs", "refit_epoch_count")]
)
def test_runs_saved_before_a_sized_training_setting_carry_on_without_it(setting, as_read):
    """Adversarial training and the refit came after runs were saved without them: such a run
    loads, and resumes, as it was trained, with the setting off (not sized to its data)."""
    import json

    from attncli.checkpoint import load_checkpoint
    from attncli.config import Config
    from attncli.migrations import migrate_header

    for name in ("v1_additive_learned", "v1_scaled_dot_sinusoidal"):
        header = json.loads((FIXTURES / name / "config.json").read_text())
        assert setting not in header["config"]["train"]
        train = Config.from_dict(migrate_header(header, 2)["config"]).train
        assert (getattr(train, setting), getattr(train, as_read)) == (0, 0)
        assert getattr(load_checkpoint(FIXTURES / name).config.train, setting) == 0
    # Saved empty (by a library call that never sized the run) it meant what it did then: off; and
    # a header without it at all carries on without it too.
    empty = migrate_header(_format_2_header(train={setting: None}), FORMAT_VERSION)
    absent = migrate_header(_format_2_header(train={"epochs": 4}), FORMAT_VERSION)
    assert empty["config"]["train"][setting] == absent["config"]["train"][setting] == 0


def _format_2_header(model=None, tokenizer=None, train=None):
    return {
        "format_version": 2,
        "config": {"model": {"num_heads": 4, "pooling": "attention", **(model or {})},
                   "tokenizer": {**(tokenizer or {})}, "train": {**(train or {})}},
    }  # fmt: skip


def test_settings_saved_empty_before_sizing_mean_the_defaults_of_their_day():
    from attncli.migrations import migrate_header
    from attncli.sized_settings import UNSIZED_VALUES

    empty = {key.split(".")[1]: None for key in UNSIZED_VALUES}
    header = migrate_header(_format_2_header(model=empty, tokenizer=empty, train=empty), FORMAT_VERSION)
    config = header["config"]
    assert (config["tokenizer"]["kind"], config["tokenizer"]["min_frequency"]) == ("wordpiece", 2)
    model = config["model"]
    assert (model["embed_dim"], model["num_layers"], model["dropout"], model["max_length"]) == (
        128,
        1,
        0.1,
        256,
    )
    assert model["pooling_heads"] == 4 and config["train"]["epochs"] == 10  # one per attention head
    # patience became sized after runs saved it as 3, the fixed default of their day; saved without it
    # at all (the setting absent), a run carries on as it was trained.
    assert config["train"]["patience"] == 3
    absent = migrate_header(_format_2_header(train={"epochs": 4}), FORMAT_VERSION)
    assert absent["config"]["train"]["patience"] == 3
    # Pooling without heads keeps none; a tokenizer given as a file has no kind to fill in.
    mean = migrate_header(_format_2_header(model={"pooling": "mean"}, tokenizer={"path": "t.json"}), 2)
    assert mean["config"]["model"]["pooling_heads"] is None and "kind" not in mean["config"]["tokenizer"]


def test_settings_of_a_removed_experiment_are_dropped_at_their_defaults_and_refused_otherwise():
    from attncli.migrations import migrate_header

    unused = {"char_ngrams": 0, "char_ngram_min": 3, "char_ngram_max": 5, "word_bigrams": 0}
    header = migrate_header(_format_2_header(model=unused), FORMAT_VERSION)
    assert not set(unused) & set(header["config"]["model"])
    with pytest.raises(CheckpointError, match="trained with model.char_ngrams, which attn no longer has"):
        migrate_header(_format_2_header(model={**unused, "char_ngrams": 100_000}), FORMAT_VERSION)


def test_runs_saved_before_ceilings_and_stop_reasons_were_recorded_read_as_not_recorded():
    """metrics.json gained `ceilings` (a --resume's changes of the epoch ceiling) on 2026-12-06; a
    run saved before reads as none changed, and one saved before stop reasons as not recorded
    (eval --json's training_ended null, not false)."""
    from attncli.history import TrainingMetrics, training_ended
    from attncli.info import describe_checkpoint

    for name in ("v1_additive_learned", "v1_scaled_dot_sinusoidal"):
        metrics = json.loads((FIXTURES / name / "metrics.json").read_text())
        assert "ceilings" not in metrics and TrainingMetrics.from_json(metrics).ceilings is None
        assert training_ended(metrics) is None
        training = describe_checkpoint(FIXTURES / name).to_json()["training"]
        assert training["ceilings"] is None and training["epochs_trained"] == len(metrics["history"])


def test_runs_saved_before_truncation_was_a_setting_read_the_head_of_a_long_text():
    """model.truncation (head, tail, head+tail) came on 2026-12-06; a checkpoint without it reads a
    long text's first max_length tokens, as every run did before, and says so."""
    from attncli.prediction import PredictionStats
    from attncli.tokenization import token_ids

    for name in ("v1_additive_learned", "v1_scaled_dot_sinusoidal"):
        assert (
            "truncation" not in json.loads((FIXTURES / name / "config.json").read_text())["config"]["model"]
        )
        loaded = load_checkpoint(FIXTURES / name)
        model = loaded.config.model
        assert model.truncation == "head"
        long = " ".join(EXPECTED["texts"] * 40)
        ((ids, length),) = token_ids(
            loaded.tokenizer, [long], max_length=model.length, truncation=model.truncation
        )
        assert length > model.length and ids == loaded.tokenizer.encode(long).ids[: model.length]
        stats = PredictionStats()
        predict_probabilities(loaded, [long], stats=stats)
        assert f"only their first {model.length} tokens were read" in stats.truncation_note(
            model.length, model.truncation
        )


def test_runs_saved_before_split_ideographs_read_text_with_the_tokenizer_they_saved():
    """tokenizer.split_ideographs came on 2026-12-08, with BPE and unigram reading runs of CJK
    ideographs whole from then on. A checkpoint saved before has no such setting: it reads as empty,
    and the checkpoint reads text with the tokenizer.json it saved, not one rebuilt from settings. A
    BPE tokenizer trained by attn the day before (a fixture) still reads each ideograph as a word, and
    a long text of them is cut in pieces exactly where it splits them."""
    from tokenizers import Tokenizer

    import attncli.tokenization
    from attncli.tokenization import _normaliser_splits_ideographs, encode
    from attncli.tokenizer import load_tokenizer

    for name in ("v1_additive_learned", "v1_scaled_dot_sinusoidal"):
        saved = json.loads((FIXTURES / name / "config.json").read_text())["config"]["tokenizer"]
        assert "split_ideographs" not in saved
        loaded = load_checkpoint(FIXTURES / name)
        assert loaded.config.tokenizer.split_ideographs is None
        as_saved = Tokenizer.from_file(str(FIXTURES / name / "tokenizer.json"))
        text = "我喜欢 football 中文"
        (encoded,) = encode(loaded.tokenizer, [text], max_length=loaded.config.model.length)
        assert encoded.ids == as_saved.encode(text, add_special_tokens=False).ids
    bpe = load_tokenizer(FIXTURES / "bpe_tokenizer_2026-12-07.json")
    assert _normaliser_splits_ideographs(bpe)
    run = "我喜欢电影演员很好" * 10_000  # no space or mark: cut before an ideograph, exactly
    whole = bpe.encode(run, add_special_tokens=False)
    assert whole.tokens[:3] == ["我", "喜", "欢"]
    for truncation in ("head", "tail"):
        (encoded,) = encode(bpe, [run], max_length=8, truncation=truncation)
        kept = whole.ids[:8] if truncation == "head" else whole.ids[-8:]
        assert (encoded.ids, encoded.untruncated_length) == (kept, len(whole.ids))
    assert attncli.tokenization.LONG_TEXT < len(run)
