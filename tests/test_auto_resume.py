"""What --auto-resume makes of a run folder, from what is on disk alone (the commands' start,
resume and finished cases: tests/test_cli_inprocess.py)."""

from attncli.auto_resume import AutoResume, auto_resume_action, finished_note, finished_record


def test_a_folder_with_no_run_in_it_is_started(tmp_path):
    assert auto_resume_action(tmp_path / "new", None) == AutoResume("start")
    (tmp_path / "died").mkdir()  # a run killed before its first epoch ended left its log alone
    (tmp_path / "died" / "metrics.jsonl").write_text('{"step": 1, "epoch": 1, "loss": 1.2}\n')
    assert auto_resume_action(tmp_path / "died", None) == AutoResume("start")
    (tmp_path / "data").mkdir()  # files attn did not write: -o refuses them, as without --auto-resume
    (tmp_path / "data" / "train.csv").write_text("text,label\n")
    assert auto_resume_action(tmp_path / "data", 3) == AutoResume("start")


def test_a_run_stopped_before_its_first_last_checkpoint_is_trained_again(tmp_path):
    """A kill while the first epoch's last/ was saved left best/ alone, and one while its best/ was
    saved left the log with that epoch's record: each requeue was refused as a folder not empty, and
    --overwrite is refused beside --auto-resume (an HPC user's trial)."""
    import json

    run = tmp_path / "run"
    (run / "best").mkdir(parents=True)
    (run / "metrics.jsonl").write_text('{"epoch": 1, "train_loss": 1.2}\n')
    (run / "best" / "metrics.json").write_text(json.dumps({"stop_reason": ""}))
    assert auto_resume_action(run, None) == AutoResume("restart")
    (run / "best" / "metrics.json").unlink()  # a best/ cut short: no record that it ended
    assert auto_resume_action(run, None) == AutoResume("restart")
    (run / "best").rmdir()
    assert auto_resume_action(run, None) == AutoResume("restart")  # the log's epoch record alone
    (run / "best").mkdir()
    (run / "best" / "metrics.json").write_text(json.dumps({"stop_reason": "epochs"}))
    assert auto_resume_action(run, None) == AutoResume("start")  # a finished best/ is not replaced
    # A run Ctrl-C stopped, or one of several epochs, whose last/ is gone since, is a run to keep (a review).
    (run / "best" / "metrics.json").write_text(json.dumps({"stop_reason": "interrupted"}))
    assert auto_resume_action(run, None) == AutoResume("start")
    (run / "best" / "metrics.json").write_text(json.dumps({"stop_reason": "", "history": [{}, {}]}))
    assert auto_resume_action(run, None) == AutoResume("start")
    # A restart killed the same way keeps the run it set aside, and is restarted again (a review).
    (run / "best" / "metrics.json").write_text(json.dumps({"stop_reason": "", "history": [{}]}))
    (run / ".attn-replaced").mkdir()
    assert auto_resume_action(run, None) == AutoResume("restart")
    (run / "notes.txt").write_text("mine")  # a file attn did not write: -o refuses the folder
    assert auto_resume_action(run, None) == AutoResume("start")


def test_a_finished_run_whose_files_do_not_read_is_named_by_its_folders_alone(tmp_path):
    (tmp_path / "run" / "best").mkdir(parents=True)
    (tmp_path / "run" / "best" / "metrics.json").write_text("{not json")
    assert finished_record(tmp_path / "run") == {
        "output": str(tmp_path / "run"),
        "best": str(tmp_path / "run" / "best"),
        "last": str(tmp_path / "run" / "last"),
        "auto_resume": "finished",
    }
    assert finished_note(None) == "note: --auto-resume trains nothing: the run has nothing left to train"


def test_only_settings_the_command_sets_away_from_the_run_are_refused(tmp_path):
    """A setting given as `auto` (or a path, or a column matched loosely) is the run's sized answer,
    not another setting: an identical rerun was refused for them (a review)."""
    import json

    import pytest

    from attncli.auto_resume import require_same_settings
    from attncli.checkpoint_folder import FORMAT_VERSION
    from attncli.config_loading import load_config
    from attncli.errors import ConfigError

    last = tmp_path / "run" / "last"
    last.mkdir(parents=True)
    saved = load_config(None, ["model.num_layers=0", "data.text_column=Text", "train.seed=3"]).to_dict()
    (last / "config.json").write_text(json.dumps({"format_version": FORMAT_VERSION, "config": saved}))
    given = ["model.num_layers=auto", "data.text_column=text", "train.seed=3", "model.embeddings_init=v.vec"]
    keys = {setting.partition("=")[0] for setting in given}
    require_same_settings(tmp_path / "run", load_config(None, given), keys)
    with pytest.raises(ConfigError, match=r"train.seed=4 \(the run has 3\)"):
        require_same_settings(tmp_path / "run", load_config(None, ["train.seed=4"]), {"train.seed"})


def test_a_finished_run_is_matched_to_its_data_as_typed_or_recorded_even_once_that_is_gone(
    tmp_path, monkeypatch
):
    """A finished run given other data exited 0 with the other data's results (an HPC trial); the
    same command, its relative DATA deleted since, was then refused (a review)."""
    import json

    import pytest

    from attncli.auto_resume import require_same_source
    from attncli.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    last = tmp_path / "run" / "last"
    last.mkdir(parents=True)
    from attncli.checkpoint_folder import FORMAT_VERSION

    header = {"format_version": FORMAT_VERSION, "data_path": str(tmp_path / "gone" / "bbc")}
    header["config"] = {"data": {"source": "gone/bbc"}}
    (last / "config.json").write_text(json.dumps(header))
    for same in ("gone/bbc", str(tmp_path / "gone" / "bbc"), "./gone/bbc", None):
        require_same_source(tmp_path / "run", same)
    (tmp_path / "other.csv").write_text("text,label\n")
    with pytest.raises(ConfigError, match=f"trained on {tmp_path / 'gone' / 'bbc'}, not on other.csv; train"):
        require_same_source(tmp_path / "run", "other.csv")
