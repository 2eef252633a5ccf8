import torch
from conftest import make_rows

from attncli.config import TokenizerConfig
from attncli.outliers import alphabet_of, gibberish, outlier_batch, outlier_pool
from attncli.tokenizer import pad_id_of, special_ids_of, train_tokenizer


def _tokenizer():
    texts = [row["text"] for row in make_rows(200)]
    return train_tokenizer(texts, TokenizerConfig(vocab_size=300, min_frequency=1))


def test_gibberish_is_spelt_with_the_tokenizers_own_letters():
    tokenizer = _tokenizer()
    alphabet = alphabet_of(tokenizer)
    assert "a" in alphabet and "z" not in alphabet  # the easy rows never use a z
    texts = gibberish(alphabet, count=50, seed=3)
    assert texts == gibberish(alphabet, count=50, seed=3) and texts != gibberish(alphabet, count=50, seed=4)
    for text in texts:
        words = text.split()
        assert 1 <= len(words) <= 6 and all(2 <= len(word) <= 9 for word in words)
        assert set("".join(words)) <= set(alphabet)


def test_outlier_batches_are_padded_seeded_by_the_step_and_free_of_special_tokens():
    tokenizer = _tokenizer()
    pad_id = pad_id_of(tokenizer)
    pool = outlier_pool(tokenizer, seed=0, max_length=32)
    assert pool is not None and len(pool) == 4096
    batch = outlier_batch(pool, count=4, step=7, seed=0, length=40, pad_id=pad_id)
    assert batch.shape == (4, 40)
    assert torch.equal(batch, outlier_batch(pool, count=4, step=7, seed=0, length=40, pad_id=pad_id))
    assert not torch.equal(batch, outlier_batch(pool, count=4, step=8, seed=0, length=40, pad_id=pad_id))
    real = batch != pad_id
    lengths = real.sum(1)
    assert (lengths >= 1).all()
    assert all(bool(row[: int(n)].all()) for row, n in zip(real, lengths, strict=True))  # right-padded
    assert not set(batch[real].tolist()) & (special_ids_of(tokenizer) - {tokenizer.token_to_id("[UNK]")})
    short = outlier_batch(pool, count=4, step=7, seed=0, length=3, pad_id=pad_id)
    assert short.shape == (4, 3)  # cut to the batch it joins
    # Any seed train.seed takes (up to 2**62 either way): past about 9e12 the step's seed left 64 bits.
    for seed in (-(2**62) + 1, -(10**13), 2 * 10**13, 2**62 - 1):
        drawn = outlier_batch(pool, count=4, step=7, seed=seed, length=40, pad_id=pad_id)
        assert torch.equal(drawn, outlier_batch(pool, count=4, step=7, seed=seed, length=40, pad_id=pad_id))


def test_scripts_without_one_letter_words_and_with_one_character_words_still_get_unknown_outliers():
    """A word tokenizer of Arabic (no word is one letter long) made no outliers at all, and one of
    Chinese (every character a word) only texts of known words: text in another script ("hello
    world") then got 98% and 74% for one label."""
    arabic = [f"{word} اليوم جدا" for word in ("الحاسوب", "الأسهم", "المباراة", "الهاتف")] * 20
    chinese = ["今天的比赛很好看", "股票市场上涨了", "新的电脑很快", "球队赢了比赛"] * 20
    for texts in (arabic, chinese):
        tokenizer = train_tokenizer(texts, TokenizerConfig(kind="word", vocab_size=300, min_frequency=1))
        pool = outlier_pool(tokenizer, seed=0, max_length=16)
        assert pool is not None and len(pool) == 4096
        unknown = tokenizer.token_to_id("[UNK]")
        texts_with_unknown = sum(unknown in pool[index].tolist() for index in range(len(pool)))
        assert texts_with_unknown >= 2000, texts_with_unknown
        assert not set("PADUNKCLS") & set(alphabet_of(tokenizer))  # special tokens spell no outliers
    assert set(alphabet_of(tokenizer)) == set("今天的比赛很好看股票市场上涨了新电脑快球队赢")


def test_a_bpe_tokenizer_gets_outliers_it_reads_as_unknown():
    """BPE reads every made-up word of its own letters, so its unknown token was never trained: a
    Korean model of 4 labels gave "hello world" 75% (a trial). Half its outliers are now spelt with
    letters it never saw, each run of them one unknown token."""
    korean = [f"{word}을 확인해 주세요 {word}이 늦어요" for word in ("환불", "배송", "결제", "계정")] * 20
    bpe = train_tokenizer(korean, TokenizerConfig(kind="bpe", vocab_size=300, min_frequency=1))
    pool = outlier_pool(bpe, seed=0, max_length=16)
    assert pool is not None and len(pool) == 4096
    unknown = bpe.token_to_id("[UNK]")
    rows = [pool[index].tolist() for index in range(len(pool))]
    assert sum(unknown in row for row in rows) == 2048  # the second half
    assert bpe.encode("hello iPhone 환불").tokens == ["[UNK]", "[UNK]", "환불"]  # a run is one unknown


def test_outliers_of_someone_elses_word_tokenizer_follow_its_own_unknown_token():
    """A tokenizer.path WordLevel whose unknown token is `<unk>` had every outlier seen as known (the
    lookup was of "[UNK]" alone), so half were respelt; one that cannot read an unknown word at all
    crashed training, where it had no outliers."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers

    from attncli.tokenization import pack_ids

    words = [
        "<pad>",
        "<unk>",
        *"the a an soup bread tennis match goal chip laptop great day i o u x y".split(),
    ]
    theirs = Tokenizer(models.WordLevel({word: index for index, word in enumerate(words)}, unk_token="<unk>"))
    theirs.pre_tokenizer = pre_tokenizers.Whitespace()
    pool = outlier_pool(theirs, seed=0, max_length=16)
    expected = pack_ids(theirs, gibberish(alphabet_of(theirs), count=4096, seed=0), max_length=16)
    assert pool is not None and torch.equal(pool.ids, expected.ids)
    unreadable = Tokenizer(models.WordLevel({"[PAD]": 0, "hello": 1, "world": 2}, unk_token="[UNK]"))
    unreadable.pre_tokenizer = pre_tokenizers.Whitespace()
    assert outlier_pool(unreadable, seed=0, max_length=16) is None
