import unicodedata

import datasets
import pytest

from attncli.errors import DataError
from attncli.sources import load_raw, names_a_local_path


def test_hub_names_and_local_paths_are_told_apart(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not names_a_local_path("imdb") and not names_a_local_path("stanfordnlp/imdb")
    assert names_a_local_path("texts.csv") and names_a_local_path("./imdb") and names_a_local_path("a/b/c")
    (tmp_path / "stanfordnlp").mkdir()  # a folder here of that name: the path means it
    assert names_a_local_path("stanfordnlp/imdb")


def test_a_mistyped_local_path_is_named_at_once_with_what_is_there(tmp_path, monkeypatch):
    """`data/headlines` for data/bbc_headlines was asked of the Hub, which took 23 s of retries
    without a network and then blamed the Hub."""

    def asks_the_hub(*args, **kwargs):
        raise AssertionError("a local path was looked up on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", asks_the_hub)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "bbc_headlines").mkdir(parents=True)
    (tmp_path / "data" / "reviews").mkdir()
    with pytest.raises(DataError) as refused:
        load_raw("data/headlines")
    assert str(refused.value) == (
        f"data/headlines does not exist ({tmp_path / 'data'} has no headlines; did you mean bbc_headlines?); "
        "pass an existing file, folder or Hub dataset name"
    )
    # Its accent written as a mark of its own (as macOS names files): the suggestion looked the same.
    (tmp_path / "data" / unicodedata.normalize("NFD", "café.csv")).write_text("text,label\n")
    with pytest.raises(DataError) as refused:
        load_raw(unicodedata.normalize("NFC", "data/café.csv"))
    assert "; it has café.csv, the same name with its accents written as marks of their own (NFD" in (
        unicodedata.normalize("NFC", str(refused.value))
    )
    with pytest.raises(DataError, match=f"^{tmp_path} has no nowhere|\\({tmp_path} has no nowhere\\)"):
        load_raw(str(tmp_path / "nowhere" / "train.csv"))


def test_a_recorded_path_this_locale_cannot_spell_is_not_here_rather_than_a_crash(tmp_path):
    """A run trained on `entraînement_😀.jsonl`, evaluated under a latin-1 locale: resolving the
    recorded path raised UnicodeEncodeError (exit 1), for an eval file of plain ASCII."""
    from attncli.sources import same_source

    given = tmp_path / "test.jsonl"
    given.write_text("{}\n")
    unspellable = str(tmp_path / "data_\ud800.jsonl")  # as a name the file system's encoding refuses
    assert same_source(str(given), unspellable) is False
    assert same_source(str(given), str(given)) is True


def test_a_data_files_mistyped_suffix_is_named_at_once_not_asked_of_the_hub(tmp_path, monkeypatch):
    """`tickets.cvs` for tickets.csv has no data file's suffix, so it was asked of the Hub: half a
    minute of retries without a network, then an error that did not name the file meant."""

    def asks_the_hub(*args, **kwargs):
        raise AssertionError("a mistyped local file was looked up on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", asks_the_hub)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tickets.csv").write_text("text,label\n")
    with pytest.raises(DataError) as refused:
        load_raw("tickets.cvs")
    assert str(refused.value) == (
        f"tickets.cvs does not exist ({tmp_path} has no tickets.cvs; did you mean tickets.csv?); "
        "pass an existing file, folder or Hub dataset name"
    )
    # A Hub name with no file like it here is still asked of the Hub.
    with pytest.raises(
        DataError, match="^could not load 'wmt.v2' as a local path or from the Hugging Face Hub"
    ):
        load_raw("wmt.v2")
