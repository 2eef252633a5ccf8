import dataclasses
import json

import pytest

from attncli.config import TokenizerConfig
from attncli.errors import ConfigError
from attncli.tokenization import encode, ideographs_only
from attncli.tokenizer import (
    IDEOGRAPH_CHARACTERS,
    PAD_TOKEN,
    load_tokenizer,
    pad_id_of,
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


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_subword_tokenizers_given_whole_runs_of_ideographs_learn_pieces_above_the_characters(kind):
    """With tokenizer.split_ideographs false (what the sizing rule gives Chinese and Japanese data), a
    subword tokenizer learns the words the characters make, 喜欢 (like) and 电影 (film) among them, with
    their true offsets; the characters stay in the vocabulary, for runs it never saw."""
    config = TokenizerConfig(kind=kind, vocab_size=120, min_frequency=2, split_ideographs=False)
    tokenizer = train_tokenizer(CHINESE, config)
    text = "我喜欢 Movie 电影！"
    (encoded,) = encode(tokenizer, [text], max_length=50)
    pieces = [text[start:end] for start, end in encoded.offsets]
    assert "".join(pieces) == text.replace(" ", "")
    assert {"我喜欢", "喜欢"} & set(pieces)  # 喜欢 a piece, or with 我 before it (BPE)
    vocabulary = set(tokenizer.get_vocab())
    assert {"喜欢", "电影"} <= {token[-2:] for token in vocabulary} and "我" in vocabulary
    # Left empty, BPE and unigram read the runs whole and WordPiece splits them, as BERT's does;
    # given true, BPE and unigram split them too.
    empty = train_tokenizer(CHINESE, TokenizerConfig(kind=kind, vocab_size=120, min_frequency=2))
    split = train_tokenizer(CHINESE, dataclasses.replace(config, split_ideographs=True))
    wordpiece = train_tokenizer(CHINESE, TokenizerConfig(kind="wordpiece", vocab_size=120, min_frequency=2))
    for tokenizer, splits in ((empty, False), (split, True), (wordpiece, True)):
        read = [text[a:b] for a, b in encode(tokenizer, [text], max_length=50)[0].offsets]
        assert (read[:3] == ["我", "喜", "欢"]) is splits
    # A run is a word apart from the Latin letters and digits written against it: no piece holds both.
    mixed = "我喜欢Movie2电影"
    read = [mixed[a:b] for a, b in encode(tokenizer, [mixed], max_length=50)[0].offsets]
    assert "".join(read) == mixed and read[0] in ("我喜欢", "我")
    assert all(ideographs_only(piece) or not IDEOGRAPH_CHARACTERS.search(piece) for piece in read)
    (long,) = encode(tokenizer, ["我喜欢这部电影" * 20], max_length=200)  # a clause of 140: pieces
    assert len(long.ids) > 20 and tokenizer.token_to_id("[UNK]") not in long.ids
    # That split only where the training texts hold ideographs (it took a fifth more time on English).
    english = train_tokenizer(["The film was fine, 10/10"] * 5, dataclasses.replace(config, vocab_size=60))
    assert json.loads(english.to_str())["pre_tokenizer"]["type"] == "BertPreTokenizer"


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        # Thai and Hiragana: each character with its marks; Katakana: each run (a loanword).
        ("ฉันดูฟุตบอล", ["ฉั", "น", "ดู", "ฟุ", "ต", "บ", "อ", "ล"]),
        ("今日はサッカーを見た", ["今", "日", "は", "サッカー", "を", "見", "た"]),
        # Emoji written against a word, with a skin tone, joined into a family, and a flag.
        ("lol👍🏽 so👩‍👩‍👧 go🇫🇷", ["lol", "👍🏽", "so", "👩‍👩‍👧", "go", "🇫🇷"]),
        # Scotland's flag (tag characters), keycaps (the emoji selector between dropped): the tags or
        # the enclosing mark made the next word one unknown token with them.
        (
            "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007flol 😡",
            ["🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", "lol", "😡"],
        ),
        (
            "1\ufe0f\u20e3lol #\ufe0f\u20e3lol 1\u20e32\u20e3",
            ["1\ufe0f\u20e3", "lol", "#\ufe0f", "\u20e3", "lol", "1\u20e3", "2\u20e3"],
        ),
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


def test_a_joiner_hidden_inside_a_latin_word_leaves_it_the_same_word():
    """A moderator's trial: `stu\u200dpid idi\u200cot` (a zero-width joiner and non-joiner hidden in
    words to pass filters) was two unknown tokens, where a word joiner (U+2060) is dropped. Joiners
    that write a word (Persian's non-joiner) or join an emoji sequence stay."""
    texts = ["you are a stupid idiot", "می\u200cخواهم", "👩\u200d👩\u200d👧 family"]
    tokenizer = train_tokenizer(texts * 3, TokenizerConfig(kind="word", vocab_size=200, min_frequency=1))
    hidden = "you are a stu\u200dpid idi\u200c\u200dot"
    (plain, written) = encode(tokenizer, [texts[0], hidden], max_length=10)
    assert written.ids == plain.ids
    assert [hidden[start:end] for start, end in written.offsets][3:] == ["stu\u200dpid", "idi\u200c\u200dot"]
    kept = encode(tokenizer, texts[1:], max_length=10)
    assert [texts[1][start:end] for start, end in kept[0].offsets] == [texts[1]]
    assert [texts[2][start:end] for start, end in kept[1].offsets] == ["👩\u200d👩\u200d👧", "family"]
    assert tokenizer.token_to_id("[UNK]") not in [*kept[0].ids, *kept[1].ids]


def test_a_skin_tone_leaves_an_emoji_the_same_word_in_new_tokenizers_only():
    """A user's trial: "👍🏽" was an unknown word where training held "👍", while "❤️" read as "❤".
    A checkpoint keeps its tokenizer.json, whose normaliser holds the pattern it was trained with:
    one trained before keeps reading the skin tone as written."""
    from attncli.ascii_reader import ascii_reader
    from attncli.tokenizer import MARKS, MARKS_KEEPING_SKIN_TONES, tokenizer_from_json

    tokenizer = train_tokenizer(
        ["👍 lol", "so 😡"] * 3, TokenizerConfig(kind="word", vocab_size=200, min_frequency=1)
    )
    toned = ["👍🏽 lol", "so 😡\U0001f3fb", "👍\U0001f3fb\U0001f3ff lol"]
    plain = encode(tokenizer, ["👍 lol", "so 😡"], max_length=10)
    written = encode(tokenizer, toned, max_length=10)
    assert [item.ids for item in written] == [plain[0].ids, plain[1].ids, plain[0].ids]
    # Each token's span still covers the emoji as written, its skin tone included.
    assert [toned[0][start:end] for start, end in written[0].offsets] == ["👍🏽", "lol"]
    before = tokenizer_from_json(
        tokenizer.to_str().replace(json_string(MARKS), json_string(MARKS_KEEPING_SKIN_TONES)), origin="test"
    )
    assert tokenizer.token_to_id("[UNK]") in encode(before, toned, max_length=10)[0].ids
    # Its ASCII texts still skip the steps that leave them alone, that one among them.
    reader = ascii_reader(before)
    assert reader is not None and json_string(MARKS_KEEPING_SKIN_TONES) not in reader.to_str()


def json_string(text: str) -> str:
    """`text` as a JSON file writes it, without its quotes."""
    import json

    return json.dumps(text)[1:-1]


def test_strip_accents_reads_latin_and_greek_letters_without_them_and_no_other_script_s_marks():
    """A support team's tickets typed on phones without accents (`devolucion del articulo`) were
    unknown words beside the trained `devolución del artículo` (a user's trial): with
    tokenizer.strip_accents they are the same words. Off by default: Vietnamese tells words apart by
    them. A Devanagari vowel sign and Cyrillic й are letters, not accents, and stay."""
    trained = ["devolución del artículo", "τρόπος việt", "йогурт हिन्दी"]
    config = TokenizerConfig(kind="word", min_frequency=1, strip_accents=True)
    tokenizer = train_tokenizer(trained * 3, config)
    typed = ["Devolucion del ARTICULO", "τροπος viet", "йогурт हिन्दी"]
    assert [item.ids for item in encode(tokenizer, typed, max_length=10)] == [
        item.ids for item in encode(tokenizer, trained, max_length=10)
    ]
    assert tokenizer.token_to_id("[UNK]") not in encode(tokenizer, typed, max_length=10)[0].ids
    assert "иогурт" not in tokenizer.get_vocab() and "йогурт" in tokenizer.get_vocab()
    (written,) = encode(tokenizer, ["Devolución del artículo"], max_length=10)
    assert [trained[0].capitalize()[start:end] for start, end in written.offsets] == [
        "Devolución", "del", "artículo",
    ]  # fmt: skip  # each token's span is the word as written, accents included
    plain = train_tokenizer(trained * 3, TokenizerConfig(kind="word", min_frequency=1))  # the default
    assert plain.token_to_id("[UNK]") in encode(plain, ["devolucion"], max_length=10)[0].ids
    # Letters no decomposition strips, as typed without them: Vietnamese đ (`dang nhap` read `dang`
    # as unknown), Polish ł, Norwegian ø, Maltese ħ, Turkish dotless ı (ILIK lowercases to ilik).
    barred = ["đăng nhập", "łódź", "ørsted", "ħobż", "ılık"]
    bare = train_tokenizer(barred * 3, config)
    typed_bare = ["dang nhap", "LODZ", "orsted", "hobz", "ILIK"]
    assert [item.ids for item in encode(bare, typed_bare, max_length=10)] == [
        item.ids for item in encode(bare, barred, max_length=10)
    ]
    assert bare.token_to_id("[UNK]") not in [
        i for item in encode(bare, typed_bare, max_length=10) for i in item.ids
    ]


def test_lowercasing_folds_what_letter_by_letter_lowercasing_leaves_apart():
    """ΟΔΟΣ is οδος, ŞEHİRLİ is şehirli and STRAßE is strasse, as Python's casefold has it; and
    ΚΩΔΙΚΟΣ, written in capitals without its tonos, is κωδικός (a trial's Greek in capitals was 2 of
    12 right), while the dialytika, which capitals keep, stays."""
    words = "οδος şehirli strasse κωδικός Ελλάδα προϊόν"
    tokenizer = train_tokenizer([words] * 3, TokenizerConfig(kind="word", min_frequency=1))
    written, capitals = encode(tokenizer, [words, "ΟΔΟΣ ŞEHİRLİ STRAßE ΚΩΔΙΚΟΣ ΕΛΛΑΔΑ ΠΡΟΪΟΝ"], max_length=10)
    assert written.ids == capitals.ids and tokenizer.token_to_id("[UNK]") not in capitals.ids
    assert "προϊον" in tokenizer.get_vocab() and "προιον" not in tokenizer.get_vocab()


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


def test_a_texts_words_far_past_what_the_model_reads_train_no_vocabulary():
    """A user's trial: one line of 200,000 distinct words grew a word vocabulary 13 times, with
    vectors training never reaches (the model reads max_length tokens of it). Words up to 16 times
    max_length still count, for subword statistics; the BBC articles lose none."""
    from attncli.config import TokenizerConfig
    from attncli.tokenizer import (
        TOKENIZER_WORDS_PER_TOKEN_READ,
        train_tokenizer,
        words_from_end,
        words_read,
        words_up_to,
    )

    config = TokenizerConfig(kind="word", vocab_size=1_000_000, min_frequency=1)
    ordinary = [f"match report number {index % 50} today" for index in range(200)]
    log = " ".join(f"w{index}" for index in range(200_000))  # a log pasted into one cell
    whole = train_tokenizer([*ordinary, log], config).get_vocab_size()
    cut = train_tokenizer([*ordinary, log], config, max_length=16).get_vocab_size()
    assert whole > 200_000 and cut <= 60 + 16 * TOKENIZER_WORDS_PER_TOKEN_READ
    assert (
        train_tokenizer(ordinary, config, max_length=16).get_vocab()
        == train_tokenizer(ordinary, config).get_vocab()
    )
    assert words_up_to("a b  c d", 2) == "a b  " and words_up_to("a b", 2) == "a b"
    assert words_up_to("超" * 1000, 2) == "超" * 128  # no spaces: characters, 64 a word
    # A model that reads a text's end (model.truncation) has a tokenizer that knows its words: the
    # deciding word at the end of a long text was the unknown token to a tail model.
    assert words_from_end("a b  c d", 2) == "  c d" and words_from_end("超" * 1000, 2) == "超" * 128
    assert (
        words_read("a b c d e f", 2, "head+tail").split() == ["a", "b", "e", "f"]
        and words_read("a b c d", 2, "head+tail") == "a b c d"
    )
    verdicts = [" ".join(["filler"] * 400 + [f"verdict{index % 2}"]) for index in range(20)]
    for truncation, known in (("head", False), ("tail", True), ("head+tail", True)):
        vocabulary = train_tokenizer(verdicts, config, max_length=8, truncation=truncation).get_vocab()
        assert ("verdict0" in vocabulary) == known, truncation


def test_persian_typed_with_the_arabic_kaf_and_yeh_reads_as_persian():
    """Persian typed on an Arabic keyboard: كنسل (Arabic kaf) was an unknown word beside the trained
    کنسل (a trial: 0 of 4 right). Alef maksura stays a letter of its own."""
    trained = ["کنسل سفارش", "یک بسته", "على"]
    tokenizer = train_tokenizer(trained * 3, TokenizerConfig(kind="word", min_frequency=1))
    arabic_forms = ["\u0643نسل سفارش", "\u064aک بسته", "على"]
    assert [item.ids for item in encode(tokenizer, arabic_forms, max_length=10)] == [
        item.ids for item in encode(tokenizer, trained, max_length=10)
    ]
    assert tokenizer.token_to_id("[UNK]") not in encode(tokenizer, arabic_forms, max_length=10)[0].ids
    assert tokenizer.normalizer.normalize_str("على") != tokenizer.normalizer.normalize_str("علی")


def test_the_greek_and_arabic_letter_folds_are_kept_only_for_data_in_those_scripts():
    """Their steps take a fifth more normaliser time on texts beyond ASCII, for nothing where the data
    holds neither script (a review)."""
    import json

    def replaced(texts):
        tokenizer = train_tokenizer(texts, TokenizerConfig(kind="word", min_frequency=1))
        steps = json.loads(tokenizer.to_str())["normalizer"]["normalizers"]
        return {
            step["pattern"]["String"]
            for step in steps
            if step["type"] == "Replace" and "String" in step["pattern"]
        }

    assert not {"ά", "\u0643"} & replaced(["café crème", "naïve"] * 3)
    assert {"ά", "\u0643"} <= replaced(["κωδικός", "café"] * 3)
    assert "\u0643" in replaced(["کنسل سفارش"] * 3)  # Persian, whose users may type the Arabic kaf


def test_a_terminals_colour_codes_leave_the_words_they_colour_the_same_words():
    """An SRE's trial: `grep --color=always ... | attn predict` read `\\x1b[31mOOMKilled` as `[` and
    the unknown `31mOOMKilled` (ESC alone was parted as a control character), and an OOM alert was
    routed as noise. A CSI sequence, an OSC one (a link) and a two-character escape are left out."""
    texts = ["pod OOMKilled on node", "disk full on node", "ERROR disk quota"]
    tokenizer = train_tokenizer(texts * 3, TokenizerConfig(kind="word", vocab_size=200, min_frequency=1))
    coloured = [
        "pod \x1b[31mOOMKilled\x1b[0m on node",
        "\x1b[01;31m\x1b[KERROR\x1b[m\x1b[K disk quota",
        "\x1b]8;;http://wiki\x1b\\disk\x1b]8;;\x1b\\ full\x1bM on \x1b7node\x1b(B\x1b[m",  # tput's sgr0 too
    ]
    plain = ["pod OOMKilled on node", "ERROR disk quota", "disk full on node"]
    read = encode(tokenizer, coloured, max_length=10)
    assert [written.ids for written in read] == [
        expected.ids for expected in encode(tokenizer, plain, max_length=10)
    ]
    (first,) = encode(tokenizer, coloured[:1], max_length=10)
    assert [coloured[0][start:end] for start, end in first.offsets] == ["pod", "OOMKilled", "on", "node"]
    # A text of escape sequences alone reads as nothing, and is blank to training and predict alike.
    from attncli.records import is_blank

    alone = "\x1b[2J\x1b(B\x1b[m \x1b]0;title\x07"
    assert tokenizer.encode(alone, add_special_tokens=False).ids == [] and is_blank(alone)
