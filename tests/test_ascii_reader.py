import pytest

from attncli.config import TokenizerConfig
from attncli.tokenization import encode, token_ids
from attncli.tokenizer import fallback_id_of, pad_id_of, readable_text, train_tokenizer

TEXTS = ["The quick brown fox jumps over the lazy dog.", "Café prices rose, the ﬁnance report said."] * 20


def _plain(tokenizer, texts):
    """ids, offsets and words of `texts` by the whole pipeline, as tokenizers gives them."""
    return [
        (encoding.ids, encoding.offsets, encoding.word_ids)
        for encoding in tokenizer.encode_batch(texts, add_special_tokens=False)
    ]


ASCII_TEXTS = [
    "The QUICK brown fox, 42 times!",
    "tab\there\x00nul\x7fdel\x1cseparator\r\nline \x0bvertical\x0cform feed  end",
    "Written [PAD] in a text, and [UNK] too.",
    "   ",
    "",
    "ALL CAPS: A.B.C. e-mail @ 3.14 #tag (brackets) {braces} \"quotes\" 'single'",
]


def _normaliser_steps(tokenizer) -> list[str]:
    """The kinds of `tokenizer`'s normaliser steps, from its JSON (iterating the normaliser itself
    never ends in tokenizers 0.20)."""
    import json

    normalizer = json.loads(tokenizer.to_str())["normalizer"]
    return [step["type"] for step in normalizer["normalizers"]]


def _ascii_texts(seed: int, count: int) -> list[str]:
    import random

    generator = random.Random(seed)
    return [
        "".join(chr(generator.randrange(128)) for _ in range(generator.randrange(40))) for _ in range(count)
    ]


@pytest.mark.parametrize("kind", ["wordpiece", "bpe", "unigram", "word"])
def test_ascii_texts_read_without_the_steps_that_leave_them_alone_encode_the_same(kind):
    from attncli.ascii_reader import ascii_reader

    tokenizer = train_tokenizer(
        TEXTS * 2 + ASCII_TEXTS, TokenizerConfig(kind=kind, vocab_size=150, min_frequency=1)
    )
    reader = ascii_reader(tokenizer)
    assert reader is not None
    assert _normaliser_steps(reader) == ["Replace", "Lowercase"]
    texts = ASCII_TEXTS + _ascii_texts(seed=0, count=300)
    assert _plain(reader, texts) == _plain(tokenizer, texts)
    # And through attn's own encoding, in order, with texts that are not ASCII among them.
    mixed = [
        text
        for pair in zip(texts, [*TEXTS, "ΣΊΣΥΦΟΣ straße İstanbul", "中文 text"] * 80, strict=False)
        for text in pair
    ]
    expected = _plain(tokenizer, [readable_text(text) for text in mixed])
    got = encode(tokenizer, mixed, max_length=1000)
    unknown, pad = fallback_id_of(tokenizer), pad_id_of(tokenizer)
    for (ids, offsets, _), item in zip(expected, got, strict=True):
        if ids:  # an empty text stands in as one unknown token, and "[PAD]" in a text is unknown
            assert (item.ids, item.offsets) == ([unknown if i == pad else i for i in ids], offsets)
    assert [ids for ids, _ in token_ids(tokenizer, mixed, max_length=1000)] == [item.ids for item in got]


def test_a_normaliser_with_nothing_to_leave_out_for_ascii_has_no_reader():
    from tokenizers import normalizers

    from attncli.ascii_reader import ascii_reader

    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=150, min_frequency=1))
    assert ascii_reader(tokenizer) is not None
    # Changed since, it is read as it now stands.
    tokenizer.normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.Strip()])
    assert ascii_reader(tokenizer) is None
    tokenizer.normalizer = None
    assert ascii_reader(tokenizer) is None


def _user_tokenizer(normalizer, added=()):
    """A word-level tokenizer.json of someone else's making, with `normalizer` and added tokens."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = ["so", "naive", "naïve", "hello", "...", "…", "a", "b", "file", "abc", "é", "▁a", "▁b"]
    tokenizer = Tokenizer(models.WordLevel({word: i for i, word in enumerate(["[UNK]", *words])}, "[UNK]"))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.add_tokens(list(added))  # normalized=True, as tokenizers adds them by default
    return tokenizer


def test_ascii_reader_of_someone_elses_tokenizer_reads_as_the_whole_pipeline():
    """Found in review: an added token matched on its normalised form, and steps after one that writes
    non-ASCII (a "▁", an ellipsis), read otherwise without the steps left out."""
    from tokenizers import normalizers

    from attncli.ascii_reader import ascii_reader

    texts = ["so naive hello", "hello...", "a  b", "a b", "file ABC", "Naive so"]
    cases = [
        (normalizers.Sequence([normalizers.NFC(), normalizers.BertNormalizer(clean_text=False)]), ["Naïve"]),
        (normalizers.Sequence([normalizers.NFKC()]), ["ﬁle"]),
        (normalizers.Sequence([normalizers.Replace("...", "…"), normalizers.NFKC()]), []),
        (normalizers.Sequence([normalizers.Replace(" ", "▁"), normalizers.Replace("▁▁", "▁")]), []),
        (normalizers.Sequence([normalizers.Prepend("▁"), normalizers.NFKC()]), []),
        (normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase()]), []),
        (normalizers.BertNormalizer(clean_text=False, lowercase=True), []),
    ]
    for normalizer, added in cases:
        tokenizer = _user_tokenizer(normalizer, added)
        reader = ascii_reader(tokenizer)
        if reader is not None:
            assert _plain(reader, texts) == _plain(tokenizer, texts), normalizer.__getstate__()
        assert [ids for ids, _ in token_ids(tokenizer, texts, max_length=50)] == [
            ids or [0] for ids, _, _ in _plain(tokenizer, texts)
        ]
    # Where the steps left out could change nothing that follows, there is a reader.
    assert ascii_reader(_user_tokenizer(cases[5][0])) is not None
    assert ascii_reader(_user_tokenizer(cases[6][0])) is not None
    assert ascii_reader(_user_tokenizer(*cases[0])) is None  # "Naïve" is matched as "naive"
