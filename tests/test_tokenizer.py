import pytest
import torch

from attncli.config import TokenizerConfig
from attncli.errors import AttnError, ConfigError
from attncli.tokenizer import (
    PAD_TOKEN,
    PackedSequences,
    encode,
    fallback_id_of,
    load_tokenizer,
    pack_ids,
    pad_batch,
    pad_id_of,
    readable_text,
    token_ids,
    train_tokenizer,
)

TEXTS = ["The quick brown fox jumps over the lazy dog.", "Café prices rose, the ﬁnance report said."] * 20


@pytest.mark.parametrize("kind", ["wordpiece", "bpe", "unigram", "word"])
def test_every_kind_trains_with_special_tokens_and_true_offsets(kind):
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(kind=kind, vocab_size=120, min_frequency=1))
    assert pad_id_of(tokenizer) == 0
    text = "The CAFÉ report"
    (encoded,) = encode(tokenizer, [text], max_length=50)
    assert len(encoded.ids) == len(encoded.offsets) >= 3
    pieces = [text[start:end] for start, end in encoded.offsets]
    # Offsets point into the original (un-normalised) text, whatever the tokenizer did to it.
    assert "".join(pieces) == text.replace(" ", "")


def test_normalisation_lowercases_and_folds_compatibility_characters():
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=200, min_frequency=1))
    (upper,) = encode(tokenizer, ["FINANCE"], max_length=10)
    (ligature,) = encode(tokenizer, ["ﬁnance"], max_length=10)
    assert upper.ids == ligature.ids
    cased = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=200, min_frequency=1, lowercase=False))
    assert encode(cased, ["The"], max_length=5)[0].ids != encode(cased, ["the"], max_length=5)[0].ids


def test_truncation_and_empty_texts():
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=120, min_frequency=1))
    texts = [" ".join(["fox"] * 30), "   ", "the lazy dog"]
    long, empty, short = encode(tokenizer, texts, max_length=8)
    assert len(long.ids) == 8 and long.untruncated_length == 30
    assert empty.ids == [tokenizer.token_to_id("[UNK]")]
    packed = pack_ids(tokenizer, texts, max_length=8)
    assert len(packed) == 3 and packed.lengths().tolist() == [8, 1, len(short.ids)]
    assert [packed[row].tolist() for row in range(3)] == [long.ids, empty.ids, short.ids]
    assert packed.ids.dtype == torch.int32


@pytest.mark.parametrize("kind", ["wordpiece", "bpe", "unigram", "word"])
def test_prediction_and_training_ids_skip_offsets_yet_match_inspect(kind):
    """token_ids and pack_ids encode without offsets (faster); the ids must be inspect's."""
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(kind=kind, vocab_size=120, min_frequency=1))
    texts = ["The CAFÉ report", "中文 fox 😀 ﬁnance", " ".join(["lazy dog"] * 40), "", "naïve, [PAD]!"]
    expected = [item.ids for item in encode(tokenizer, texts, max_length=16)]
    lengths = [item.untruncated_length for item in encode(tokenizer, texts, max_length=16)]
    assert list(token_ids(tokenizer, texts, max_length=16)) == list(zip(expected, lengths, strict=True))
    packed = pack_ids(tokenizer, texts, max_length=16)
    assert [packed[row].tolist() for row in range(len(texts))] == expected


def test_padding_written_in_a_text_is_an_unknown_word_and_lone_surrogates_are_read():
    """A text of "[PAD]" once became padding only, which the model cannot attend to (NaN scores)."""
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=120, min_frequency=1))
    unknown, pad = tokenizer.token_to_id("[UNK]"), pad_id_of(tokenizer)
    texts = ["[PAD]", "fox [PAD] dog", "fox \ud800 dog"]
    (alone, _), (inside, _), (surrogate, _) = token_ids(tokenizer, texts, max_length=8)
    assert alone == [unknown] and pad not in inside and unknown in inside
    assert surrogate == encode(tokenizer, ["fox \ufffd dog"], max_length=8)[0].ids
    assert pad not in pack_ids(tokenizer, texts, max_length=8).ids.tolist()
    assert readable_text("a\ud800b\udfff") == "a\ufffdb\ufffd" and readable_text("😀") == "😀"


def test_packing_spills_in_chunks_to_a_mapped_file(monkeypatch):
    import attncli.tokenizer

    monkeypatch.setattr(attncli.tokenizer, "SPILL_TOKENS", 5)  # a write every few texts
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=120, min_frequency=1))
    texts = [f"{text} {index}" for index, text in enumerate(TEXTS * 7)]
    packed = pack_ids(tokenizer, texts, max_length=6)
    expected = [encoded.ids for encoded in encode(tokenizer, texts, max_length=6)]
    assert [packed[row].tolist() for row in range(len(texts))] == expected
    assert packed.starts.tolist()[-1] == sum(len(ids) for ids in expected) == packed.ids.numel()
    empty = pack_ids(tokenizer, [], max_length=6)
    assert len(empty) == 0 and empty.ids.numel() == 0


def test_an_unwritable_temporary_folder_is_explained(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "absent"))
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=120, min_frequency=1))
    with pytest.raises(AttnError, match=r"temporary file in .*absent .*point TMPDIR at a writable folder"):
        pack_ids(tokenizer, TEXTS, max_length=6)


def test_save_load_and_an_existing_tokenizer_path(tmp_path):
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=120, min_frequency=1))
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    reused = train_tokenizer(["unused"], TokenizerConfig(path=str(tmp_path / "tokenizer.json")))
    assert reused.get_vocab() == tokenizer.get_vocab()
    with pytest.raises(ConfigError, match="does not exist"):
        train_tokenizer(TEXTS, TokenizerConfig(path=str(tmp_path / "absent.json")))


def test_a_tokenizer_without_padding_gets_a_pad_token(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    bare = Tokenizer(models.WordLevel({"hello": 0, "world": 1, "<unk>": 2}, unk_token="<unk>"))
    bare.pre_tokenizer = pre_tokenizers.Whitespace()
    bare.save(str(tmp_path / "bare.json"))
    loaded = load_tokenizer(tmp_path / "bare.json")
    assert loaded.token_to_id(PAD_TOKEN) == 3 and pad_id_of(loaded) == 3


def test_pad_batch_right_pads_lists_and_tensors():
    batch = pad_batch([[5, 6, 7], torch.tensor([8], dtype=torch.int32)], pad_id=0)
    assert batch.tolist() == [[5, 6, 7], [8, 0, 0]] and batch.dtype == torch.long


def test_packed_rows_pad_to_what_pad_batch_gives_in_any_order():
    """Training and prediction pad batches of packed sequences in one go; each must be the batch
    pad_batch makes of the same rows one by one (an empty sequence and an empty batch included)."""
    lengths = [3, 0, 5, 1, 4]
    ids = torch.arange(1, sum(lengths) + 1, dtype=torch.int32)
    starts = torch.tensor([0, *torch.tensor(lengths).cumsum(0).tolist()], dtype=torch.int64)
    packed = PackedSequences(ids=ids, starts=starts)
    for rows in ([4, 0, 2], [1], [1, 3], [2, 2, 0, 1, 4, 3]):
        batch = packed.padded(torch.tensor(rows), pad_id=-7)
        expected = pad_batch([packed[row] for row in rows], pad_id=-7)
        assert batch.dtype == torch.long and torch.equal(batch, expected), rows
    assert packed.padded(torch.tensor([4, 0, 2]), pad_id=0)[1].tolist() == [1, 2, 3, 0, 0]
    assert packed.padded(torch.empty(0, dtype=torch.int64), pad_id=0).shape == (0, 0)
    # Sequences in memory (a chunk to predict) pack to the same tensors.
    lists = [packed[row].tolist() for row in range(len(lengths))]
    packed_lists = PackedSequences.of_lists(lists)
    assert torch.equal(packed_lists.ids, ids) and torch.equal(packed_lists.starts, starts)
    assert len(PackedSequences.of_lists([[]])) == 1 and PackedSequences.of_lists([]).ids.numel() == 0


CHINESE = [
    "我喜欢这部电影，演员很好。",
    "这家餐厅的菜太难吃了",
    "服务很好，下次还来！",
    "电影太长了，我不喜欢",
] * 5


@pytest.mark.parametrize("kind", ["wordpiece", "word"])
def test_chinese_is_split_into_characters_as_bert_splits_it(kind):
    """Written without spaces, a Chinese sentence would be one 'word'; each ideograph is one instead,
    with its true offsets, mixed with Latin words and digits as usual."""
    tokenizer = train_tokenizer(CHINESE, TokenizerConfig(kind=kind, vocab_size=200, min_frequency=1))
    text = "我喜欢 Movie 2 电影！"
    (encoded,) = encode(tokenizer, [text], max_length=50)
    pieces = [text[start:end] for start, end in encoded.offsets]
    assert pieces == ["我", "喜", "欢", "Movie", "2", "电", "影", "！"]
    tokens = [tokenizer.id_to_token(token) for token in encoded.ids]
    assert tokens[:3] == ["我", "喜", "欢"] and tokens[5:] == [
        "电",
        "影",
        "!",
    ]  # NFKC folds the full-width mark
    vocabulary = tokenizer.get_vocab()
    assert "我" in vocabulary and not any(
        len(token) > 1 and "\u4e00" <= token[0] <= "\u9fff" for token in vocabulary
    )


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        # Thai and Hiragana: each character with its marks; Katakana: each run (a loanword).
        ("ฉันดูฟุตบอล", ["ฉั", "น", "ดู", "ฟุ", "ต", "บ", "อ", "ล"]),
        ("今日はサッカーを見た", ["今", "日", "は", "サッカー", "を", "見", "た"]),
        # Emoji written against a word, with a skin tone, joined into a family, and a flag.
        ("lol👍🏽 so👩‍👩‍👧 go🇫🇷", ["lol", "👍🏽", "so", "👩‍👩‍👧", "go", "🇫🇷"]),
        # Bidirectional marks belong to no word; a zero-width space separates two.
        ("في هذا \u200fكرة\u200f جدا", ["في", "هذا", "كرة", "جدا"]),
        ("foo\u200bbar", ["foo", "bar"]),
        # Control characters from damaged or exported text part words, as whitespace does.
        ("foo\x00bar\x7fbaz\x1fqux\x0bquux", ["foo", "bar", "baz", "qux", "quux"]),
    ],
)
def test_scripts_without_spaces_and_emoji_are_split_and_invisible_marks_dropped(text, pieces):
    """Without this, a Thai or Japanese sentence was one word (unknown at prediction: chance accuracy),
    an emoji glued to a word made both unknown, a right-to-left mark made a word a new one, and a
    NUL or DEL between two words made them one."""
    tokenizer = train_tokenizer([text] * 3, TokenizerConfig(kind="word", vocab_size=200, min_frequency=1))
    (encoded,) = encode(tokenizer, [text], max_length=50)
    assert [text[start:end].strip("\u200f") for start, end in encoded.offsets] == pieces
    assert tokenizer.token_to_id("[UNK]") not in encoded.ids


def test_vowel_marks_stretching_and_emoji_selectors_leave_a_word_the_same_word():
    """A user's trial: the Arabic word with its short vowels, stretched with tatweel, a Hebrew word
    with its points, and ⚽ followed by the emoji selector U+FE0F (as phones send it) were each
    unknown beside their bare forms, and the label followed the unknown word."""
    bare = ["اليوم الحاسوب جدا", "כדורגל היום", "⚽ lol"]
    marked = ["اليوم الحَاسُوب جدا", "اليوم الحاســـوب جدا", "כַּדּוּרֶגֶל היום", "\u26bd\ufe0f lol"]
    tokenizer = train_tokenizer(bare * 3, TokenizerConfig(kind="word", vocab_size=200, min_frequency=1))
    plain = encode(tokenizer, bare, max_length=10)
    written = encode(tokenizer, marked, max_length=10)
    assert [item.ids for item in written] == [plain[0].ids, plain[0].ids, plain[1].ids, plain[2].ids]
    # Each token's span still covers the word as written, marks included.
    assert [marked[0][start:end] for start, end in written[0].offsets] == ["اليوم", "الحَاسُوب", "جدا"]
    assert [marked[2][start:end] for start, end in written[2].offsets] == ["כַּדּוּרֶגֶל", "היום"]


def test_lowercasing_folds_what_letter_by_letter_lowercasing_leaves_apart():
    """ΟΔΟΣ is οδος, ŞEHİRLİ is şehirli and STRAßE is strasse, as Python's casefold has it."""
    tokenizer = train_tokenizer(["οδος şehirli strasse"] * 3, TokenizerConfig(kind="word", min_frequency=1))
    written, capitals = encode(tokenizer, ["οδος şehirli strasse", "ΟΔΟΣ ŞEHİRLİ STRAßE"], max_length=10)
    assert written.ids == capitals.ids and tokenizer.token_to_id("[UNK]") not in capitals.ids


@pytest.mark.parametrize("kind", ["word", "wordpiece"])
def test_decomposed_text_gives_each_token_its_whole_characters(kind):
    """NFKC composes o and two marks (or three Hangul jamo) into one character, which `tokenizers`
    maps back to its first code point: the marks were left outside every token's span."""
    import unicodedata

    words = "hôm nay phở ngon 나는 오늘 축구를"
    tokenizer = train_tokenizer([words] * 3, TokenizerConfig(kind=kind, vocab_size=100, min_frequency=1))
    text = unicodedata.normalize("NFD", words)
    (encoded,) = encode(tokenizer, [text], max_length=50)
    spans = [text[start:end] for start, end in encoded.offsets]
    assert "".join(spans) == text.replace(" ", "")  # every code point in a token, none twice
    if kind == "word":
        assert [unicodedata.normalize("NFC", span) for span in spans] == words.split()


def test_the_split_for_unspaced_scripts_is_kept_only_for_data_that_needs_it():
    """It costs about a third more time on every text: English training data does without it."""
    import json

    def pre_tokenizer_of(texts):
        tokenizer = train_tokenizer(texts, TokenizerConfig(kind="word", min_frequency=1))
        return json.loads(tokenizer.to_str())["pre_tokenizer"]["type"]

    assert pre_tokenizer_of(["plain english words", "more of them"] * 3) == "BertPreTokenizer"
    assert pre_tokenizer_of(["plain english words", "and one emoji 👍"] * 3) == "Sequence"
    # Large data is read from an evenly spaced sample (the first text among it): a script that only
    # a rare text holds may go unseen, and that text is then read as the pre-tokenizer splits English.
    assert pre_tokenizer_of(["ฉันดูฟุตบอล"] + ["plain english words"] * 50_000) == "Sequence"
    assert pre_tokenizer_of(["plain english words", "a star ⭐"] * 3) == "Sequence"


def test_a_unigram_vocabulary_too_small_for_the_texts_characters_names_the_size_that_fits():
    """tokenizers' unigram trainer keeps every character as a piece and raised a bare
    `Exception: The vocabulary is not large enough to contain all chars` (exit 1)."""
    import random

    from attncli.errors import ConfigError

    pick = random.Random(0).choice
    ideographs = [chr(0x4E00 + offset) for offset in range(400)]
    texts = ["".join(pick(ideographs) for _ in range(10)) + " hello world" for _ in range(300)]
    characters = len(set("".join(texts)) - {" "})
    with pytest.raises(ConfigError) as refused:
        train_tokenizer(texts, TokenizerConfig(kind="unigram", vocab_size=300))
    assert str(refused.value) == (
        f"tokenizer.kind=unigram keeps each character of the training texts as a piece, and they hold "
        f"{characters} distinct characters, more than tokenizer.vocab_size=300; raise tokenizer.vocab_size "
        f"to {characters} or more, or use tokenizer.kind=bpe or wordpiece, whose vocabulary grows to hold "
        "every character"
    )
    tokenizer = train_tokenizer(texts, TokenizerConfig(kind="unigram", vocab_size=characters))
    assert tokenizer.get_vocab_size() >= characters


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


def _ascii_texts(seed: int, count: int) -> list[str]:
    import random

    generator = random.Random(seed)
    return [
        "".join(chr(generator.randrange(128)) for _ in range(generator.randrange(40))) for _ in range(count)
    ]


@pytest.mark.parametrize("kind", ["wordpiece", "bpe", "unigram", "word"])
def test_ascii_texts_read_without_the_steps_that_leave_them_alone_encode_the_same(kind):
    from attncli.tokenizer import ascii_reader

    tokenizer = train_tokenizer(
        TEXTS * 2 + ASCII_TEXTS, TokenizerConfig(kind=kind, vocab_size=150, min_frequency=1)
    )
    reader = ascii_reader(tokenizer)
    assert reader is not None
    assert [step.__class__.__name__ for step in reader.normalizer] == ["Replace", "Lowercase"]
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

    from attncli.tokenizer import ascii_reader

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

    from attncli.tokenizer import ascii_reader

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
