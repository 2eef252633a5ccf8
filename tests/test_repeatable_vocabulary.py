import json
import random

import pytest

from attncli.config import TokenizerConfig
from attncli.tokenizer import SPECIAL_TOKENS, special_ids_of, train_tokenizer


def tied_texts() -> list[str]:
    """Random words over 16 letters, each about as frequent as the next: merges tie at every step.
    Trained by `tokenizers`' own WordPiece trainer, 8 runs in one process gave 8 vocabularies."""
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghijklmnop") for _ in range(rng.randint(3, 7))) for _ in range(300)]
    return [" ".join(rng.choice(words) for _ in range(8)) for _ in range(200)]


@pytest.mark.parametrize("kind", ["wordpiece", "unigram", "bpe", "word"])
def test_every_kind_learns_the_same_vocabulary_under_the_same_ids_in_every_run(kind):
    texts, config = tied_texts(), TokenizerConfig(kind=kind, vocab_size=200, min_frequency=1)
    trained = {train_tokenizer(texts, config).to_str() for _ in range(6)}
    assert len(trained) == 1


def test_wordpiece_keeps_its_continuing_pieces_as_pieces_not_as_special_tokens():
    tokenizer = train_tokenizer(
        tied_texts(), TokenizerConfig(kind="wordpiece", vocab_size=200, min_frequency=1)
    )
    vocabulary = tokenizer.get_vocab()
    # Every letter continues some word, and its piece comes right after the special tokens, in order.
    continuing = [f"##{letter}" for letter in "abcdefghijklmnop"]
    assert [vocabulary[piece] for piece in continuing] == list(range(3, 3 + 16))
    assert special_ids_of(tokenizer) == {vocabulary[token] for token in SPECIAL_TOKENS}
    # They split words as any piece does, and text that spells one is read as text, not matched whole
    # as an added token would be (`#` is punctuation, unknown here).
    assert tokenizer.encode("ponmlkji").tokens == ["p", "##o", "##nm", "##l", "##k", "##j", "##i"]
    assert tokenizer.encode("##b pab").tokens == ["[UNK]", "[UNK]", "b", "p", "##a", "##b"]


def syllable_texts() -> list[str]:
    """Made-up words of a few syllables: at 200 pieces the Unigram trainer drops characters and adds
    them back in hash-set order (6 runs in one process gave 6 tokenizers before they were re-scored)."""
    rng = random.Random(0)
    syllables = "ka ri to ne mu sa lo pe chi va ru zen qua bel tor ing ed er un re pre".split()
    common = "the a of and to in is on for with very new big goal data bread bank".split()
    words = ["".join(rng.sample(syllables, rng.randint(2, 4))) for _ in range(400)]
    return [" ".join(rng.sample(words, 4) + rng.sample(common, 3)) for _ in range(400)]


def test_unigram_characters_the_trainer_adds_back_get_their_scores_in_order_of_spelling():
    config = TokenizerConfig(kind="unigram", vocab_size=200)
    trained = {train_tokenizer(syllable_texts(), config).to_str() for _ in range(6)}
    assert len(trained) == 1
    vocab = json.loads(trained.pop())["model"]["vocab"]
    lowest = min(score for _, score in vocab[3:])
    added = [(piece, score) for piece, score in vocab[3:] if len(piece) == 1 and score < lowest + 0.01]
    # Scored from the lowest up, 1e-4 apart, in the order of their spelling.
    assert len(added) >= 2
    pieces = sorted(piece for piece, _ in added)
    assert sorted(added, key=lambda entry: entry[1]) == [
        (piece, round(lowest + index * 1e-4, 6)) for index, piece in enumerate(pieces)
    ]


def test_unigram_characters_added_back_beside_one_the_model_scored_lowest_repeat_too():
    """A rare character the model keeps at its lowest score shares that score with the first character
    added back, whichever the hash set gives first (a review's corpus: 8 tokenizers in 10 runs)."""
    rng = random.Random(8)
    syllables = "ka ri to ne mu sa lo pe chi va ru zen qua bel tor ing ed er un re pre".split()
    words = ["".join(rng.sample(syllables, rng.randint(1, 4))) for _ in range(rng.randint(50, 400))]
    texts = [" ".join(rng.sample(words, 4)) for _ in range(rng.randint(100, 400))]
    for _ in range(rng.randint(0, 6)):
        row = rng.randrange(len(texts))
        texts[row] += " " + rng.choice(["x", "jx", "xq", "wy", "y", "éa", "ß", "w"])
    config = TokenizerConfig(kind="unigram", vocab_size=rng.choice([60, 100, 150, 200, 300]))
    assert len({train_tokenizer(texts, config).to_str() for _ in range(8)}) == 1


def test_unigram_pieces_are_numbered_by_score_then_spelling_with_rounded_scores():
    tokenizer = train_tokenizer(tied_texts(), TokenizerConfig(kind="unigram", vocab_size=200))
    vocab = json.loads(tokenizer.to_str())["model"]["vocab"]
    assert [piece for piece, _ in vocab[:3]] == SPECIAL_TOKENS
    keys = [(-score, piece) for piece, score in vocab[3:]]
    assert keys == sorted(keys)
    assert all(round(score, 6) == score for _, score in vocab)
    assert tokenizer.token_to_id("[UNK]") == 1 and json.loads(tokenizer.to_str())["model"]["unk_id"] == 1
