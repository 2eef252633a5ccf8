import gzip
import math
import os
from pathlib import Path

import pytest
import torch

from attncli.errors import ConfigError
from attncli.tokenizer import require_tokenizer_file
from attncli.vectors import initialise_embeddings, load_vectors, require_vectors_file

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


@pytest.mark.parametrize("order", ["cased first", "lowercase first"])
def test_a_cased_files_words_serve_a_lowercased_vocabulary_behind_its_own_lowercase_ones(tmp_path, order):
    """word2vec's GoogleNews and fastText's .vec files are cased: "London" and "BLAIR" found nothing
    for the lowercased vocabulary's "london" and "blair" (2.4% coverage on a file of capitals)."""
    lines = ["London 1 2 3", "BLAIR 4 5 6", "blair 7 8 9"]
    path = tmp_path / "cased.vec"
    path.write_text("\n".join(lines if order == "cased first" else lines[::-1]) + "\n")
    vectors = load_vectors(path, {"[PAD]": 0, "london": 1, "blair": 2, "zzz": 3})
    assert vectors.found.tolist() == [False, True, True, False]
    assert vectors.matrix[1].tolist() == [1, 2, 3]
    assert vectors.matrix[2].tolist() == [7, 8, 9]  # the file's own "blair" before "BLAIR" lowercased


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


def test_real_world_layouts_load(tmp_path):
    """A byte-order mark, tabs, a word holding a space (GloVe 840B has some), gzip under a .txt name."""
    path = tmp_path / "odd.txt"
    path.write_bytes(("\ufeffparis 1 2 3\nnew york 4 5 6\nrome\t7\t8\t9\n").encode())
    vectors = load_vectors(path, {**VOCAB, "new york": 7})
    assert vectors.found.tolist() == [False, False, True, True, False, False, False, True]
    assert vectors.matrix[7].tolist() == [4, 5, 6] and vectors.matrix[3].tolist() == [7, 8, 9]
    hidden = tmp_path / "packed.txt"
    hidden.write_bytes(gzip.compress(b"paris 1 2 3\n"))
    assert load_vectors(hidden, VOCAB).found[2]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"paris 1 2 3\nrome nan 5 6\n", "line 2 of .* holds nan, not a finite 32-bit number"),
        (b"paris 1 2 3\nrome 1e39 5 6\n", "line 2 of .* holds 1e[+]39, not a finite 32-bit number"),
        (b"paris inf 2 3\n", "line 1 of .* holds inf, not a finite"),
        (b"2 300\nparis 1 2 3\n", "line 1 of .* announces 300 values a word but line 2 has 3"),
        (b"1 3\nparis \x00\x80\x3f\x00\x00\x00\x40\x00\n", "is a binary file; attn reads vectors as text"),
        # fastText's model: its .vec, written beside it, is the file to pass (a fastText user's trial)
        (b"\xba\x16\x4f\x2f\x0c\x00\x00\x00", "is a fastText model [(].bin[)]; .* pass the .vec file"),
        # [PAD] and [UNK] are not entries a vector could be for: counted as the coverage line counts
        (b"other 1 2\nzebra 3 4\n", "none of the 5 vocabulary entries has a vector in"),
        # A short first line fixed the width, and every other line was skipped as not a word
        (
            b"zzfoo 1.0 2.0\nparis 1 2 3 4\nrome 1 2 3 4\nrun 1 2 3 4\n",
            "the first vector of .* has 2 values but most lines have another number [(]4 on line 2[)]; "
            "the vectors file is damaged: remove its odd first line",
        ),
        # A vocabulary word's line with more values than the first line's: its vector was dropped
        # as a word holding spaces ("rome 1"), while a line with fewer values was refused
        (
            b"paris 0.1 0.2\nrome 0.1 0.2 0.3\nzzz 0.1 0.2\n",
            "line 2 of .* has 3 values where earlier lines had 2; the vectors file is damaged",
        ),
        (b"paris 1 2\nrun 1e-05 2.5 3.5\nzzz 1 2\n", "line 2 of .* has 3 values where earlier lines had 2"),
        # ... also where that first line's word is one of the vocabulary's
        (b"paris 1.0 2.0\nrome 1 2 3 4\nrun 1 2 3 4\nzzz 1 2 3 4\n", "remove its odd first line"),
        # No spread to rescale to the model's: one value (NaN embeddings), or one value throughout
        # (every vector blown up by 1e12); a lower learning rate was the advice before either
        (b"paris 0.5\n", "the 1 vector found in .* hold the same value [(]0.5[)] throughout"),
        (b"paris 1 1 1\nrome 1 1 1\n", "the 2 vectors found in .* hold the same value [(]1[)] throughout"),
    ],
)
def test_unusable_vectors_are_refused_in_one_line(tmp_path, content, expected):
    path = tmp_path / "vectors.txt"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=expected):
        load_vectors(path, VOCAB, special_ids={0, 1})


def test_damaged_compression_and_folders_are_named(tmp_path):
    misnamed = tmp_path / "plain.txt.gz"
    misnamed.write_text("paris 1 2 3\n")
    with pytest.raises(ConfigError, match="is named .gz but is not gzip-compressed; rename it"):
        load_vectors(misnamed, VOCAB)
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(
        gzip.compress("".join(f"w{i} 1 2 3\n" for i in range(20000)).encode() + b"paris 1 2 3\n")[:-40]
    )
    with pytest.raises(
        ConfigError, match="cut.txt.gz is cut short or damaged .*; download or unpack it again"
    ):
        load_vectors(cut, VOCAB)
    corrupted = tmp_path / "corrupted.txt.gz"  # damaged inside, not cut short: zlib's own error
    packed = bytearray(gzip.compress("".join(f"w{i} 1 2 3\n" for i in range(20000)).encode()))
    packed[30:36] = b"\xff" * 6
    corrupted.write_bytes(bytes(packed))
    with pytest.raises(ConfigError, match="corrupted.txt.gz is cut short or damaged .*; download or unpack"):
        load_vectors(corrupted, VOCAB)
    with pytest.raises(ConfigError, match="is a folder; pass a GloVe or word2vec .txt/.vec file in it"):
        load_vectors(tmp_path, VOCAB)
    # Stanford ships GloVe as a zip: each archive attn does not open is named, with what to do.
    import bz2
    import lzma
    import zipfile

    with zipfile.ZipFile(tmp_path / "glove.6B.zip", "w") as archive:
        archive.writestr("glove.6B.50d.txt", "paris 1 2 3\n")
    (tmp_path / "glove.txt.bz2").write_bytes(bz2.compress(b"paris 1 2 3\n"))
    (tmp_path / "glove.txt.xz").write_bytes(lzma.compress(b"paris 1 2 3\n"))
    for name, said in (
        (
            "glove.6B.zip",
            "is a zip archive, and attn reads vectors as text, plain or gzip-compressed; unzip it",
        ),
        ("glove.txt.bz2", "is bzip2-compressed, and attn reads vectors as text, plain or gzip-compressed"),
        ("glove.txt.xz", "is xz-compressed, and attn reads vectors as text, plain or gzip-compressed"),
    ):
        with pytest.raises(ConfigError, match=said):
            load_vectors(tmp_path / name, VOCAB)
    (tmp_path / "bz.txt").write_text("BZh91AY 1 2 3\nparis 4 5 6\n")  # a word that only starts so
    assert load_vectors(tmp_path / "bz.txt", VOCAB).found[2]


def test_a_missing_vectors_file_is_refused_before_any_data_loads(tmp_path):
    from attncli.config_loading import load_config
    from attncli.train import train

    # The data does not exist either: the vectors file is what is named, so it was checked first.
    settings = [f"data.source={tmp_path / 'absent.csv'}", f"model.embeddings_init={tmp_path / 'nope.vec'}"]
    with pytest.raises(ConfigError, match="model.embeddings_init .*nope.vec does not exist"):
        train(load_config(None, settings), output=tmp_path / "run")
    assert not (tmp_path / "run" / "best").exists()
    # /dev/zero or a FIFO is there, but no file to read (it was said not to exist).
    os.mkfifo(tmp_path / "fifo.vec")
    for odd in (tmp_path / "fifo.vec", Path("/dev/zero")):
        with pytest.raises(
            ConfigError, match=f"model.embeddings_init {odd} is not a regular file; pass a GloVe"
        ):
            require_vectors_file(str(odd))
        with pytest.raises(ConfigError, match=f"tokenizer.path {odd} is not a regular file; pass the path"):
            require_tokenizer_file(str(odd))


def test_phrases_ending_in_a_number_and_tabs_at_line_ends_load(tmp_path):
    """A phrase of a vocabulary word and a number ("rome 10", "run nan") is a word holding spaces,
    not a line of more values; a tab ending a line is no empty last value."""
    path = tmp_path / "phrases.txt"
    path.write_text("paris 0.1 0.2\nrome 10 0.3 0.4\nrun nan 0.5 0.6\nrun 0.7 0.8\t\n")
    vectors = load_vectors(path, {**VOCAB, "rome 10": 7})
    assert vectors.matrix[7].tolist() == pytest.approx([0.3, 0.4])
    assert vectors.matrix[6].tolist() == pytest.approx([0.7, 0.8])


def test_a_word_listed_twice_keeps_its_first_vector(tmp_path):
    path = tmp_path / "twice.txt"
    path.write_text("paris 1 2 3\nrome 7 8 9\nparis 4 5 6\n")
    assert load_vectors(path, VOCAB).matrix[2].tolist() == [1, 2, 3]


def test_one_vector_far_longer_than_the_rest_is_refused_as_damage_naming_its_line(tmp_path):
    """One value of 1e6 (a digit too many) shrank every other vector to about 1e-5 once all were
    rescaled by one factor: frozen, the model scored 24.5% macro-F1 against 62.4%, without a word."""
    path = tmp_path / "outlier.txt"
    path.write_text("paris 0.1 0.2 -0.3\nrome 0.3 1e6 0.1\nrun -0.2 0.1 0.4\nzzz 0.2 0.2 0.1\n")
    with pytest.raises(
        ConfigError, match=r"line 2 of .* \('rome'\) holds a vector [\d,]+ times as long as the"
    ):
        load_vectors(path, VOCAB)
    # Lengths that vary as trained vectors' do (a frequent word's and a rare one's) load, and so does
    # one vector 150 times the typical length among 2,000, which moves the spread 3.5 times only.
    path.write_text("paris 0.1 0.2 -0.3\nrome 3 4 -2\nrun -0.2 0.1 0.4\nzzz 0.02 0.01 0.01\n")
    assert load_vectors(path, VOCAB).found.sum() == 4
    many = {f"w{n}": n for n in range(2000)}
    path.write_text("w0 150 -150\n" + "".join(f"w{n} 1 -1\n" for n in range(1, 2000)))
    assert load_vectors(path, many).found.sum() == 2000


def test_lines_that_are_not_utf8_are_said_and_utf16_is_refused_with_what_to_do(tmp_path):
    """A cp1252 file was read with replacement characters: its accented words matched nothing, and
    the error blamed the language; UTF-16 (PowerShell's >) was called a binary word2vec file."""
    vocabulary = {"[PAD]": 0, "café": 1, "naïve": 2, "paris": 3}
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café 1 2\nnaïve 3 4\n".encode("cp1252"))
    refusal = (
        r"none of the 3 vocabulary entries .* and 2 lines of .* are not UTF-8 text \(the first: line 1\)"
    )
    with pytest.raises(ConfigError, match=refusal + r"; convert the file to UTF-8 \(iconv"):
        load_vectors(latin, vocabulary, special_ids={0})
    latin.write_bytes(b"paris 1 2\n" + "café 1 2\n".encode("cp1252") + "naïve 3 5\n".encode())
    vectors = load_vectors(latin, vocabulary, special_ids={0})
    assert vectors.found.tolist() == [False, False, True, True]
    assert vectors.notes == (
        f"warning: 1 line of {latin} is not UTF-8 text (line 2), so its word can match no vocabulary "
        "entry; convert the file to UTF-8 (iconv -f latin1 -t utf-8, with its encoding after -f)",
    )
    for name, data in [
        ("marked.txt", "paris 1 2\nnaïve 3 4\n".encode("utf-16")),
        ("unmarked.txt", ("paris 1 2\n" * 20).encode("utf-16-le")),
    ]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ConfigError, match="is UTF-16 text .* convert it \\(iconv -f UTF-16 -t UTF-8\\)"):
            load_vectors(tmp_path / name, vocabulary)


def test_a_small_binary_word2vec_file_is_named_as_one(tmp_path):
    """Its floats held no zero byte in the head read: `line 2 of vec.bin is not 'word value value ...'
    (could not convert string to float: '��:>��…')`, garbage quoted (a trial)."""
    import struct

    path = tmp_path / "vec.bin"
    vectors = {"paris": (0.1234567, -0.7654321), "win": (0.3141593, 2.7182817)}  # no zero byte, no 0x0A
    path.write_bytes(
        b"2 2\n" + b"".join(f"{w} ".encode() + struct.pack("<2f", *v) for w, v in vectors.items())
    )
    assert b"\x00" not in path.read_bytes()
    with pytest.raises(
        ConfigError, match="^line 2 of .*vec.bin holds bytes that are no text after its word, as a binary"
    ):
        load_vectors(path, {"[PAD]": 0, "paris": 1}, special_ids={0})
    path.write_text("2 2\nparis 1.5 x\n")  # text, only wrong: told as before
    with pytest.raises(
        ConfigError, match="is not 'word value value ...' \\(could not convert string to float"
    ):
        load_vectors(path, {"[PAD]": 0, "paris": 1}, special_ids={0})


def test_words_written_decomposed_find_the_vocabularys_composed_entries(tmp_path):
    """Texts are read in NFKC, so the vocabulary holds "café" composed; a file writing it as "e" and a
    combining accent found 1 of 1,560 entries."""
    import unicodedata

    path = tmp_path / "nfd.txt"
    words = ["the", "café", "naïve"]
    path.write_text("".join(f"{unicodedata.normalize('NFD', w)} {n} 1\n" for n, w in enumerate(words)))
    vectors = load_vectors(path, {"[PAD]": 0, "café": 1, "naïve": 2, "the": 3}, special_ids={0})
    assert vectors.found.tolist() == [False, True, True, True]
    assert vectors.matrix[1].tolist() == [1, 1]
    # A vocabulary read without accents (tokenizer.strip_accents) finds them too, behind a bare
    # word of the file's own (a review: 10 of 19 entries found, against 19 without the setting).
    path.write_text("naive 9 9\nnaïve 2 2\ncafé 1 1\n")
    bare = load_vectors(path, {"[PAD]": 0, "cafe": 1, "naive": 2}, special_ids={0})
    assert bare.found.tolist() == [False, True, True] and bare.matrix[1:].tolist() == [[1, 1], [9, 9]]


def test_a_files_words_find_a_vocabulary_written_with_the_tokenizers_letter_folds(tmp_path):
    """attn's normaliser writes Arabic's kaf and yeh as Persian's, Greek without its tonos, and with
    strip_accents đ and ł bare: an Arabic vector file's words with ك or ي found none of theirs (a
    review), nor `προϊόν` its `προϊον`, nor `đi` its `di`."""
    path = tmp_path / "folds.vec"
    path.write_text("\u0643تاب 1 1\nفي 2 2\nπροϊόν 3 3\nđi 4 4\n", encoding="utf-8")
    vocabulary = {"[PAD]": 0, "\u06a9تاب": 1, "ف\u06cc": 2, "προϊον": 3, "di": 4}
    vectors = load_vectors(path, vocabulary, special_ids={0})
    assert vectors.found.tolist() == [False, True, True, True, True]
    assert vectors.matrix[1:].tolist() == [[1, 1], [2, 2], [3, 3], [4, 4]]


def test_a_header_announcing_more_words_than_the_file_holds_is_said(tmp_path):
    """A plain-text download cut at a line end loaded without a word, where a cut .gz is refused."""
    path = tmp_path / "cut.vec"
    path.write_text("5 2\nparis 1 2\nrome 3 4\nrun 5 7\n")
    vectors = load_vectors(path, VOCAB)
    assert vectors.notes == (
        f"warning: line 1 of {path} announces 5 words but the file holds 3; it may be cut short: download "
        "or unpack it again, unless it was shortened on purpose",
    )
    path.write_text("3 2\nparis 1 2\nrome 3 4\nrun 5 7\n")
    assert load_vectors(path, VOCAB).notes == ()


def test_exact_words_beat_their_nfkc_forms_and_a_vocabulary_not_in_nfkc_is_found_as_it_is(tmp_path):
    """Full-width "ｐａｒｉｓ" (frequent in CJK fastText files) came first and took "paris"'s vector, and a
    tokenizer's own entry written decomposed was found no more once every file word was normalised."""
    import unicodedata

    path = tmp_path / "forms.txt"
    decomposed = unicodedata.normalize("NFD", "café")
    path.write_text(f"ｐａｒｉｓ 9 9\nparis 1 2\nﬁne 7 7\n{decomposed} 5 5\n")
    vectors = load_vectors(
        path, {"[PAD]": 0, "paris": 1, "fine": 2, decomposed: 3, "café": 4}, special_ids={0}
    )
    assert vectors.matrix[1:].tolist() == [[1, 2], [7, 7], [5, 5], [5, 5]]


def test_carriage_returns_alone_and_utf32_are_refused_with_how_to_convert(tmp_path):
    """Lines ended by a carriage return alone read as one: `could not convert string to float: '2\\rrome'`."""
    mac = tmp_path / "mac.txt"
    mac.write_bytes(b"paris 1 2\rrome 3 4\r")
    with pytest.raises(ConfigError, match="ends its lines with a carriage return alone; convert them \\(tr"):
        load_vectors(mac, VOCAB)
    wide = tmp_path / "wide.txt"
    wide.write_bytes("paris 1 2\n".encode("utf-32"))
    with pytest.raises(ConfigError, match="is UTF-32 text, .* convert it \\(iconv -f UTF-32 -t UTF-8\\)"):
        load_vectors(wide, VOCAB)
