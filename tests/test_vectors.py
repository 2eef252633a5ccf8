import gzip
import math

import pytest
import torch

from attncli.errors import ConfigError
from attncli.vectors import initialise_embeddings, load_vectors

VOCAB = {"[PAD]": 0, "[UNK]": 1, "paris": 2, "Rome": 3, "##ing": 4, "zzz": 5, "run": 6}
LINES = ["Paris 1 2 3", "rome 4 5 6", "ing 7 8 9", "run 0 0 1", "paris 9 9 9", "other 5 5 5"]


@pytest.mark.parametrize("form", ["glove.txt", "word2vec.vec", "glove.txt.gz"])
def test_vectors_found_by_exact_lowercase_and_continuation_keys(tmp_path, form):
    path = tmp_path / form
    text = ("6 3\n" if form.endswith(".vec") else "") + "\n".join(LINES) + "\n"
    if form.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    vectors = load_vectors(path, VOCAB)
    assert vectors.dim == 3
    assert vectors.found.tolist() == [False, False, True, True, True, False, True]
    assert vectors.matrix[2].tolist() == [9, 9, 9]  # the exact "paris" beats the lowercased "Paris"
    assert vectors.matrix[3].tolist() == [4, 5, 6]  # Rome found as rome
    assert vectors.matrix[4].tolist() == [7, 8, 9]  # ##ing found as ing
    assert vectors.coverage({0, 1}) == (4, 5)


def test_initialise_copies_found_rows_rescaled_and_keeps_padding_zero():
    vectors_matrix = torch.tensor([[5.0, 5.0], [1.0, -1.0], [0.0, 0.0], [3.0, 1.0]])
    from attncli.vectors import PretrainedVectors

    vectors = PretrainedVectors(vectors_matrix, torch.tensor([True, True, False, True]), "v.txt")
    embedding = torch.full((4, 2), 7.0)
    initialise_embeddings(embedding, vectors, pad_id=0)
    found = vectors_matrix[[1, 3]]
    scale = (1 / math.sqrt(2)) / found.std().item()
    assert torch.allclose(embedding[[1, 3]], found * scale)
    assert embedding[0].tolist() == [7.0, 7.0] and embedding[2].tolist() == [7.0, 7.0]


def test_damaged_or_missing_files_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_vectors(tmp_path / "absent.txt", VOCAB)
    ragged = tmp_path / "ragged.txt"
    ragged.write_text("paris 1 2 3\nrome 1 2\n")
    with pytest.raises(ConfigError, match="line 2 of .* has 2 values where earlier lines had 3"):
        load_vectors(ragged, VOCAB)
    words = tmp_path / "words.txt"
    words.write_text("paris one two\n")
    with pytest.raises(ConfigError, match="line 1 of .* is not 'word value value"):
        load_vectors(words, VOCAB)


def test_a_missing_vectors_file_is_refused_before_any_data_loads(tmp_path):
    from attncli.config import load_config
    from attncli.train import train

    # The data does not exist either: the vectors file is what is named, so it was checked first.
    settings = [f"data.source={tmp_path / 'absent.csv'}", f"model.embeddings_init={tmp_path / 'nope.vec'}"]
    with pytest.raises(ConfigError, match="model.embeddings_init .*nope.vec does not exist"):
        train(load_config(None, settings), output=tmp_path / "run")
    assert not (tmp_path / "run" / "best").exists()
