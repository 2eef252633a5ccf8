import pytest
import torch
from conftest import make_rows

from attncli.config import TokenizerConfig
from attncli.subword_dropout import piece_splits, split_pieces
from attncli.tokenizer import pad_id_of, train_tokenizer

TEXTS = [row["text"] for row in make_rows(120)] + ["searching searched searches research"] * 3


def _tokenizer(kind: str):
    return train_tokenizer(TEXTS, TokenizerConfig(kind=kind, vocab_size=200, min_frequency=1))


def _spelling(tokenizer, ids) -> str:
    """The pieces joined, WordPiece's continuation marks dropped: what a split must not change."""
    return "".join(tokenizer.id_to_token(i).removeprefix("##").removeprefix("▁") for i in ids)


@pytest.mark.parametrize("kind", ["bpe", "wordpiece", "unigram"])
def test_every_piece_splits_into_two_pieces_that_spell_it_and_special_tokens_stay_whole(kind):
    tokenizer = _tokenizer(kind)
    splits = piece_splits(tokenizer)
    assert splits is not None
    splittable = (splits[:, 0] >= 0).nonzero().flatten().tolist()
    assert len(splittable) > 20
    for piece in splittable:
        left, right = splits[piece].tolist()
        assert _spelling(tokenizer, [left, right]) == _spelling(tokenizer, [piece])
    for special in tokenizer.get_added_tokens_decoder():
        assert splits[special].tolist() == [-1, -1]


def test_bpe_pieces_split_as_their_merges_made_them():
    tokenizer = _tokenizer("bpe")
    splits = piece_splits(tokenizer)
    vocab = tokenizer.get_vocab()
    whole = vocab["searching"]
    left, right = (tokenizer.id_to_token(i) for i in splits[whole].tolist())
    assert left + right == "searching" and (left, right) in {("search", "ing"), ("searchin", "g")}


def test_a_word_tokenizer_has_no_pieces_to_split():
    assert piece_splits(_tokenizer("word")) is None


def test_split_pieces_keeps_each_texts_spelling_and_padding_and_cuts_at_max_length():
    tokenizer = _tokenizer("bpe")
    pad = pad_id_of(tokenizer)
    splits = piece_splits(tokenizer)
    texts = ["searching for the research", "searched"]
    encoded = [tokenizer.encode(text).ids for text in texts]
    width = max(map(len, encoded))
    input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids in encoded])
    torch.manual_seed(0)
    split = split_pieces(input_ids, splits, rate=0.5, pad_id=pad, max_length=64)
    assert split.size(1) > width  # pieces were split
    for row, ids in zip(split.tolist(), encoded, strict=True):
        real = [i for i in row if i != pad]
        assert row[: len(real)] == real  # padding stays at the end
        assert _spelling(tokenizer, real) == _spelling(tokenizer, ids)
        assert len(real) > len(ids) or ids == real
    # Split to their letters at a rate near 1, and cut to max_length: the start of each text kept.
    letters = split_pieces(input_ids, splits, rate=0.999, pad_id=pad, max_length=6)
    assert letters.size(1) == 6
    assert _spelling(tokenizer, letters[0].tolist()) == "search"
    assert _spelling(tokenizer, [i for i in letters[1].tolist() if i != pad]) == "search"
    # A text the model reads from its end (model.truncation) keeps its end: "searched" grown to its
    # 8 letters is cut to its last 6, or to its first 1 and last 5; its end was lost.
    for truncation, kept in (("tail", "arched"), ("head+tail", "srched")):
        letters = split_pieces(input_ids, splits, rate=0.999, pad_id=pad, max_length=6, truncation=truncation)
        assert _spelling(tokenizer, [i for i in letters[1].tolist() if i != pad]) == kept
    # Drawn from torch's generator: a seed repeats the split.
    torch.manual_seed(1)
    first = split_pieces(input_ids, splits, rate=0.3, pad_id=pad, max_length=64)
    torch.manual_seed(1)
    assert torch.equal(first, split_pieces(input_ids, splits, rate=0.3, pad_id=pad, max_length=64))


def test_training_with_subword_dropout_trains_the_pieces_no_training_text_was_cut_into(tmp_path):
    """Without it, a piece that is only ever part of a larger one keeps its random initial embedding,
    whatever the run learnt; with it, those pieces are trained too."""
    from conftest import TINY_MODEL, write_csv

    from attncli.checkpoint import load_checkpoint
    from attncli.config_loading import load_config
    from attncli.tokenization import pack_ids
    from attncli.train import train

    rows = make_rows(120)
    path = write_csv(tmp_path / "d.csv", rows)
    embeddings = {}
    for rate, epochs in ((0.0, 1), (0.0, 2), (0.2, 2)):
        settings = [*TINY_MODEL, f"data.source={path}", f"train.epochs={epochs}", "tokenizer.kind=bpe",
                    f"train.subword_dropout={rate}", "train.outlier_rows=0"]  # fmt: skip
        output = tmp_path / f"{rate}-{epochs}"
        train(load_config(None, settings), output=output)
        checkpoint = load_checkpoint(output / "last")
        embeddings[rate, epochs] = checkpoint.model.token_embedding.weight.detach()
    used = torch.zeros(len(embeddings[0.0, 1]), dtype=torch.bool)
    used[pack_ids(checkpoint.tokenizer, [row["text"] for row in rows], max_length=32).ids.long()] = True
    used[list(checkpoint.tokenizer.get_added_tokens_decoder())] = True
    unused = ~used
    assert int(unused.sum()) >= 10  # pieces of the keywords and fillers
    # Without subword dropout a second epoch moves the pieces the texts were cut into, and not one
    # of the others: they stay as initialised.
    assert torch.equal(embeddings[0.0, 1][unused], embeddings[0.0, 2][unused])
    assert not torch.equal(embeddings[0.0, 1][used], embeddings[0.0, 2][used])
    # With it, (nearly) every one of them was trained away from its initial value.
    moved = (embeddings[0.2, 2][unused] - embeddings[0.0, 2][unused]).norm(dim=1)
    assert (moved > 1e-3).float().mean() > 0.9


def test_a_run_with_subword_dropout_interrupted_and_resumed_ends_as_one_left_alone(tmp_path, monkeypatch):
    """The splits are drawn from torch's generator, whose state last/ keeps: the resumed steps split
    as the run left alone split them."""
    from conftest import TINY_MODEL, write_csv
    from safetensors.torch import load_file

    from attncli.config_loading import load_config
    from attncli.errors import TrainingInterrupted
    from attncli.fit import INTERRUPT_VARIABLE
    from attncli.train import resume, train

    path = write_csv(tmp_path / "d.csv", make_rows(100, seed=5))
    settings = [*TINY_MODEL, f"data.source={path}", "train.epochs=2", "train.patience=0",
                "tokenizer.kind=bpe", "train.subword_dropout=0.3"]  # fmt: skip
    config = load_config(None, settings)
    train(config, output=tmp_path / "alone")
    monkeypatch.setenv(INTERRUPT_VARIABLE, "8")  # epoch 2 of 6-step epochs, mid-way
    with pytest.raises(TrainingInterrupted):
        train(config, output=tmp_path / "resumed")
    monkeypatch.delenv(INTERRUPT_VARIABLE)
    resume(tmp_path / "resumed")
    alone = load_file(str(tmp_path / "alone" / "last" / "model.safetensors"))
    resumed = load_file(str(tmp_path / "resumed" / "last" / "model.safetensors"))
    assert alone.keys() == resumed.keys() and all(torch.equal(alone[name], resumed[name]) for name in alone)
