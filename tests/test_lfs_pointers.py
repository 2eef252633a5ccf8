"""A dataset repository cloned without git-lfs: its data files are pointers, told as such."""

import pytest
from conftest import make_rows, write_csv

from attncli.errors import DataError
from attncli.record_sources import from_file
from attncli.sources import load_raw

POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 12345\n"


def test_pointers_in_a_cloned_repository_are_named_with_the_command_that_fetches_them(tmp_path):
    """They gave "Parquet magic bytes not found in footer", or a csv of one column named `version
    https://git-lfs.github.com/spec/v1` with advice to add a header line (a researcher's trial)."""
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    (repository / "data").mkdir()
    for split in ("train", "test"):
        (repository / "data" / f"{split}-00000-of-00001.parquet").write_text(POINTER)
    with pytest.raises(DataError) as refused:
        load_raw(str(repository))
    said = str(refused.value)
    assert (
        " is a git-lfs pointer, not the data it stands for (the repository was cloned without git-lfs); "
        in said
    )
    assert (
        f"run git lfs pull in {repository} (git lfs install first, if git-lfs is new there; git lfs pull "
        in said
    )
    assert "--include data/t" in said and said.endswith("fetches this file alone), or download the file")
    for name in ("rows.csv", "rows.jsonl", "rows.parquet", "rows.txt"):
        pointer = tmp_path / name
        pointer.write_text(POINTER)
        with pytest.raises(
            DataError, match=f"^{pointer} is a git-lfs pointer, .*run git lfs pull in the repository"
        ):
            from_file(pointer)  # predict's --file
        with pytest.raises(DataError, match=f"^{pointer} is a git-lfs pointer"):
            load_raw(str(pointer))  # train's and eval's
    # A save_to_disk folder whose .arrow files are pointers.
    from datasets import Dataset

    saved = tmp_path / "saved"
    Dataset.from_list(make_rows(6)).save_to_disk(str(saved))
    next(saved.glob("*.arrow")).write_text(POINTER)
    with pytest.raises(DataError, match=r"data-00000-of-00001\.arrow is a git-lfs pointer"):
        load_raw(str(saved))
    # A text that mentions git-lfs is a text.
    write_csv(tmp_path / "fine.csv", [{"text": POINTER.replace("\n", " "), "label": "a"}])
    assert len(load_raw(str(tmp_path / "fine.csv")).splits["train"]) == 1
