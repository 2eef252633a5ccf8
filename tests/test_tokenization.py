import pytest
import torch

from attncli.config import TokenizerConfig
from attncli.errors import AttnError
from attncli.tokenization import _normaliser_splits_ideographs, encode, kept_ends, pack_ids, token_ids
from attncli.tokenizer import pad_id_of, readable_text, train_tokenizer

TEXTS = ["The quick brown fox jumps over the lazy dog.", "Café prices rose, the ﬁnance report said."] * 20


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


@pytest.mark.parametrize("kind", ["wordpiece", "bpe", "unigram", "word"])
@pytest.mark.parametrize("truncation", ["head", "tail", "head+tail"])
def test_a_long_text_is_encoded_in_pieces_to_the_same_ids_spans_and_length(kind, truncation, monkeypatch):
    """A 21 MB line took 1.6 GB to encode whole for its first tokens; pieces give the same result,
    from its start, its end or both (model.truncation). Pieces of 100 characters here, so that a
    text of a few thousand makes dozens of them."""
    import attncli.tokenization

    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(kind=kind, vocab_size=120, min_frequency=1))
    monkeypatch.setattr(attncli.tokenization, "LONG_TEXT", 100)
    words = "The quick brown fox, naïve Café\tprices\n rose! 中文 ".split(" ")
    long = " ".join(words[position % len(words)] for position in range(3000))
    # Characters the normaliser drops fill the first piece: the whole text is encoded instead.
    hidden = "\u200e" * 700 + " " + long
    # Words, then a run without whitespace at the head's end: the head ends at the last space before
    # it, too few tokens there, so the whole text (the run's one token kept its whole span).
    blob = "fox " * 7 + "x" * 2000
    # Chinese without spaces: each ideograph is a word of its own, so a piece may end before any of
    # them (20 MB of it was encoded whole: 52 s and 7.5 GB for the model's first 32 tokens).
    chinese = "中文日本語，好的。" * 1500
    encoded_lengths = []
    encodings = attncli.tokenization._encodings

    def measured(tokenizer, reader, texts, *, offsets):
        encoded_lengths.extend(len(text) for text in texts)
        return encodings(tokenizer, reader, texts, offsets=offsets)

    monkeypatch.setattr(attncli.tokenization, "_encodings", measured)
    for text, max_length in ((long, 4), (hidden, 4), ("fox " * 10, 4), (blob, 8), (chinese, 4)):
        whole = tokenizer.encode(readable_text(text), add_special_tokens=False)
        head, tail = kept_ends(max_length, truncation) if len(whole.ids) > max_length else (max_length, 0)
        kept = [*range(head), *range(len(whole.ids) - tail, len(whole.ids))]
        expected = [whole.ids[position] for position in kept]
        cut = {"truncation": truncation, "max_length": max_length}
        assert list(token_ids(tokenizer, [text], **cut)) == [(expected, len(whole.ids))]
        (encoded,) = encode(tokenizer, [text], **cut)
        assert (encoded.ids, encoded.untruncated_length) == (expected, len(whole.ids))
        assert encoded.offsets == [tuple(whole.offsets[position]) for position in kept]
        # Word indices tell words apart across the cut, and the characters between are the cut.
        assert encoded.word_ids == sorted(encoded.word_ids)
        if len(whole.ids) > max_length:
            assert not (head and tail) or encoded.word_ids[head - 1] < encoded.word_ids[head]
            before = encoded.offsets[head - 1][1] if head else 0
            assert encoded.cut == (before, encoded.offsets[head][0] if tail else len(readable_text(text)))
        packed = pack_ids(tokenizer, [text], **cut)
        assert packed[0].tolist() == expected and packed.truncated == (len(whole.ids) > max_length)
        if text is long or text is chinese:  # encoded in pieces, never whole
            assert len(text) > 10_000 and max(encoded_lengths) <= 512 + 1024
        encoded_lengths.clear()
    # Ideographs without a mark or space, which BPE and unigram read as one run: still cut in pieces
    # (before an ideograph), the head's ids the same, the count within a token a cut; exact where the
    # tokenizer splits them. A run ending in a mark kept its tail from that mark, too short, and was
    # encoded whole.
    config = TokenizerConfig(kind=kind, vocab_size=120, min_frequency=1)
    tokenizer = train_tokenizer([*TEXTS, "中文 日本語 好的"], config)
    for run in ("中文日本語好的" * 1500, "中文日本語好的" * 1500 + "。"):
        encoded_lengths.clear()
        whole = tokenizer.encode(run, add_special_tokens=False)
        assert len(whole.ids) > len(run) // 7  # pieces it knows, not one unknown token
        (encoded,) = encode(tokenizer, [run], max_length=4, truncation=truncation)
        head, tail = kept_ends(4, truncation)
        assert encoded.ids[:head] == whole.ids[:head]
        if _normaliser_splits_ideographs(tokenizer):
            assert encoded.ids == whole.ids[:head] + (whole.ids[-tail:] if tail else [])
            assert encoded.untruncated_length == len(whole.ids)
        assert abs(encoded.untruncated_length - len(whole.ids)) <= len(run) // 100
        assert max(encoded_lengths) <= 512 + 1024


def test_head_and_tail_keep_a_quarter_from_the_start_and_at_least_one_token_of_each_end():
    assert [kept_ends(length, "head+tail") for length in (1, 2, 3, 8, 512)] == [
        (0, 1), (1, 1), (1, 2), (2, 6), (128, 384),
    ]  # fmt: skip
    assert kept_ends(8, "head") == (8, 0) and kept_ends(8, "tail") == (0, 8)


def test_the_cut_is_never_backwards_where_one_character_is_tokens_on_both_sides_of_it():
    """NFKC writes "…" as three dots: with two of them before the cut and one after, the characters
    between the tokens read ran backwards, (5, 4), and inspect showed "…" on both sides of the cut."""
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(kind="word", vocab_size=120, min_frequency=1))
    (encoded,) = encode(tokenizer, ["fox … dog dog dog dog dog"], max_length=8, truncation="head+tail")
    assert encoded.offsets[:3] == [(0, 3), (4, 5), (4, 5)] and encoded.cut == (5, 5)


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
    import attncli.tokenization
    from attncli.packing import SpilledArray

    monkeypatch.setattr(attncli.tokenization, "SPILL_TOKENS", 5)  # a write every few texts
    written = []  # the size of each chunk of ids written to the file
    extend = SpilledArray.extend

    def recording_extend(self, values):
        if values.typecode == "i":
            written.append(len(values))
        extend(self, values)

    monkeypatch.setattr(SpilledArray, "extend", recording_extend)
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=120, min_frequency=1))
    texts = [f"{text} {index}" for index, text in enumerate(TEXTS * 7)]
    packed = pack_ids(tokenizer, texts, max_length=6)
    # Written as each chunk reaches 5 tokens (a text adds at most 6), the rest at the end.
    assert len(written) > 2 and all(5 <= size < 5 + 6 for size in written[:-1]) and written[-1] < 5 + 6
    assert sum(written) == packed.ids.numel()
    expected = [encoded.ids for encoded in encode(tokenizer, texts, max_length=6)]
    assert [packed[row].tolist() for row in range(len(texts))] == expected
    assert packed.starts.tolist()[-1] == sum(len(ids) for ids in expected) == packed.ids.numel()
    empty = pack_ids(tokenizer, [], max_length=6)
    assert len(empty) == 0 and empty.ids.numel() == 0


def test_an_unwritable_temporary_folder_is_explained(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "absent"))
    tokenizer = train_tokenizer(TEXTS, TokenizerConfig(vocab_size=120, min_frequency=1))
    with pytest.raises(
        AttnError, match=r"temporary file in .*absent .*point TMPDIR at a writable folder"
    ) as refused:
        pack_ids(tokenizer, TEXTS, max_length=6)
    assert refused.value.exit_code == 2  # a write that failed, as every other (it was 1)
    # Under a low `ulimit -n` the folder is not to blame: the advice was to move TMPDIR.
    import errno

    def too_many(*args, **kwargs):
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(tempfile, "TemporaryFile", too_many)
    with pytest.raises(AttnError) as limited:
        pack_ids(tokenizer, TEXTS, max_length=6)
    assert str(limited.value).endswith(
        "(too many files are open); raise the limit on open files (ulimit -n 4096)"
    ), str(limited.value)


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
