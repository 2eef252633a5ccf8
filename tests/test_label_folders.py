import codecs
from pathlib import Path

import pytest
from conftest import deny_listing

from attncli.data_folders import load_folder, whole_kind
from attncli.errors import DataError
from attncli.label_folders import label_folders


def _write(folder: Path, texts: dict[str, list[str]]) -> None:
    """`texts`: label -> its texts, each written to a file of the label's folder."""
    for label, items in texts.items():
        (folder / label).mkdir(parents=True)
        for index, text in enumerate(items):
            (folder / label / f"{index:03}.txt").write_text(text, encoding="utf-8")


def test_split_folders_of_label_folders_are_read_as_aclimdb_is_laid_out(tmp_path):
    """IMDB's aclImdb: train/ and test/ each hold pos/ and neg/, a file a review; train/unsup holds
    reviews without labels, and each split folder and the top hold files that are no reviews."""
    _write(tmp_path / "train", {"pos": ["a fine film", "great"], "neg": ["dull\n"]})
    _write(tmp_path / "test", {"pos": ["lovely"], "neg": ["awful", "bad"]})
    _write(tmp_path / "train", {"unsup": ["no label here"]})
    (tmp_path / "train" / "urls_pos.txt").write_text("http://example.com\n")
    (tmp_path / "train" / ".DS_Store").write_bytes(b"\x00\x01")
    # Word's lock file (a legal analyst's trial: refused as a Word document) and an editor's backup.
    (tmp_path / "train" / "pos" / "~$review.docx").write_bytes(b"\x06owner\x00\x00")
    (tmp_path / "train" / "neg" / "000.txt~").write_text("dull\n")
    (tmp_path / "README").write_text("read me")
    (tmp_path / "notes").mkdir()
    raw = load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert list(raw.splits) == ["train", "test"]
    train = raw.splits["train"]
    assert train.column_names == ["file", "text", "label"]
    assert sorted(zip(train["file"], train["text"], train["label"], strict=True)) == [
        (
            "neg/000.txt",
            "dull",
            "neg",
        ),  # read whole, as predict reads a folder's file: its last line end dropped
        ("pos/000.txt", "a fine film", "pos"),
        ("pos/001.txt", "great", "pos"),
    ]
    assert sorted(raw.splits["test"]["text"]) == ["awful", "bad", "lovely"]
    assert raw.notes[0] == (
        "read a folder of label folders: each file one text, its folder's name its label (train 3 files "
        "in 2; test 3 files in 2 label folders)"
    )
    assert f"left out unsup in {tmp_path / 'train'}: texts without labels" in raw.notes
    assert f"left out urls_pos.txt in {tmp_path / 'train'}: a text is a file of a label's folder" in raw.notes
    assert any(note.startswith(f"left out notes, README in {tmp_path}: the splits are") for note in raw.notes)
    # A row is named by its file in messages, as a csv row by its line.
    row = train["file"].index("pos/001.txt")
    assert raw.origins["train"].locate(row) == str(tmp_path / "train" / "pos" / "001.txt")
    assert whole_kind(tmp_path) is None  # its splits are chosen from, not evaluated whole


def test_folders_inside_a_labels_folder_are_left_out_with_a_warning_counting_their_files(
    tmp_path, monkeypatch
):
    """Contracts filed by year (NDA/2023/) were 8 of 15 of a label's files, left out in a note that -q
    hid and that gave no count (a legal analyst's trial)."""
    _write(tmp_path, {"NDA": ["one nda", "two nda"], "Lease": ["a lease", "another lease"]})
    _write(tmp_path / "NDA", {"2023": ["old nda", "older nda", "oldest nda"]})
    (tmp_path / "NDA" / "2023" / "scans").mkdir()
    (tmp_path / "NDA" / "2023" / "scans" / "p1.txt").write_text("scanned", encoding="utf-8")
    (tmp_path / "NDA" / "2023" / ".DS_Store").write_bytes(b"\x00")
    (tmp_path / "Lease" / "drafts").mkdir()
    raw = load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert sorted(raw.splits["train"]["text"]) == ["a lease", "another lease", "one nda", "two nda"]
    assert (
        f"warning: left out Lease/drafts, NDA/2023 in {tmp_path}, holding 4 files: only the files directly "
        "in a label's folder are read; move them up into it to train on them"
    ) in raw.notes
    (tmp_path / "NDA" / "2023" / "scans" / "p1.txt").unlink()
    for name in ("000.txt", "001.txt", "002.txt"):
        (tmp_path / "NDA" / "2023" / name).unlink()
    empty = load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert f"left out Lease/drafts, NDA/2023 in {tmp_path}: folders with no files" in empty.notes
    # One it cannot list (`chmod 000`, which does not stop root, who runs these tests) is no empty one.
    import attncli.label_folders as label_folders_module

    def unlistable(top, onerror=None):
        onerror(PermissionError(13, "Permission denied", str(top)))
        return iter(())

    monkeypatch.setattr(label_folders_module.os, "walk", unlistable)
    unread = load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert any("holding 0 files (drafts, 2023 could not be listed): only" in note for note in unread.notes), (
        unread.notes
    )


def test_label_folders_of_folders_alone_are_left_out_with_a_warning(tmp_path):
    """A cataloguer's labels with a slash (Science/Geology) made folders within folders: five labels of
    61 were left out in a note, "folders with no files", that -q hid."""
    _write(tmp_path, {"History": ["a war", "a treaty"], "Law": ["a court", "a statute"]})
    _write(tmp_path / "Science", {"Geology": ["rocks", "faults"], "Physics": ["atoms"]})
    (tmp_path / "Empty" / "inner").mkdir(parents=True)
    raw = load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert sorted(set(raw.splits["train"]["label"])) == ["History", "Law"]
    assert (
        f"warning: left out Science in {tmp_path}, holding folders alone (Science/Geology, Science/Physics, "
        "with 3 files): a label is one folder of files, and a label's name holds no /; to train on them, "
        "make each a label's folder at this level (Science-Geology)"
    ) in raw.notes
    assert f"left out Empty in {tmp_path}: folders with no files" in raw.notes


def test_one_set_of_label_folders_is_a_train_split_evaluated_whole(tmp_path):
    """The BBC's articles as published: business/001.txt, sport/001.txt, ..., beside a README."""
    _write(tmp_path, {"business": ["Shares rose."], "sport": ["A win.", "A draw."]})
    (tmp_path / "README.TXT").write_text("BBC articles")
    (tmp_path / "empty").mkdir()
    # Beside them, a folder of data files and a run's output are no labels.
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "rows.csv").write_text("text,label\nShares fell.,business\n")
    (tmp_path / "run" / "best").mkdir(parents=True)
    (tmp_path / "run" / "best" / "config.json").write_text("{}")
    (tmp_path / "run" / "train_log.txt").write_text("epoch 1")
    raw = load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert list(raw.splits) == ["train"] and sorted(raw.splits["train"]["label"]) == [
        "business",
        "sport",
        "sport",
    ]
    assert raw.notes[0].endswith("its folder's name its label (3 files in 2 label folders)")
    assert f"left out empty in {tmp_path}: folders with no files" in raw.notes
    assert f"left out exports, run in {tmp_path}: data files or a checkpoint, not texts" in raw.notes
    assert whole_kind(tmp_path) == "one folder of label folders"


@pytest.mark.parametrize(
    "layout",
    [
        {"pos": ["one"]},  # one label folder: no classification, and likely something else
        {"train/a": [], "test/b": []},  # split folders whose folders hold no files
    ],
)
def test_folders_that_are_no_folder_of_label_folders_are_not_read_as_one(tmp_path, layout):
    for name, texts in layout.items():
        (tmp_path / name).mkdir(parents=True)
        for index, text in enumerate(texts):
            (tmp_path / name / f"{index}.txt").write_text(text)
    assert label_folders(tmp_path) is None
    with pytest.raises(DataError, match="holds no split files"):
        load_folder(tmp_path, encoding="utf-8", delimiter=None)


def test_flat_split_folders_are_not_taken_for_labels_named_train_and_test(tmp_path):
    _write(tmp_path, {"train": ["a text"], "test": ["another"]})
    assert label_folders(tmp_path) is None


def test_a_file_valid_as_utf8_is_read_as_utf8_where_an_8_bit_encoding_is_asked_for(tmp_path):
    """The BBC's articles: 646 in UTF-8 beyond ASCII, one in cp1252. UTF-8, the default, refuses the
    one, naming it; --encoding cp1252, which it needs, garbled the 646 ('â€™' for '’')."""
    (tmp_path / "tech").mkdir()
    (tmp_path / "sport").mkdir()
    (tmp_path / "tech" / "001.txt").write_bytes("It’s a phone.".encode())
    (tmp_path / "sport" / "001.txt").write_bytes("A 2–1 win, 5° below.".encode("cp1252"))
    with pytest.raises(DataError, match=r"sport/001.txt is not valid utf-8 .*pass --encoding"):
        load_folder(tmp_path, encoding="utf-8", delimiter=None)
    raw = load_folder(tmp_path, encoding="cp1252", delimiter=None)
    texts = dict(zip(raw.splits["train"]["file"], raw.splits["train"]["text"], strict=True))
    assert texts == {"sport/001.txt": "A 2–1 win, 5° below.", "tech/001.txt": "It’s a phone."}
    assert raw.notes[0].endswith("; 1 file valid UTF-8 read as UTF-8, not as cp1252")


def test_a_data_file_among_a_labels_texts_is_refused(tmp_path):
    _write(tmp_path, {"pos": ["good"], "neg": ["bad"]})
    (tmp_path / "pos" / "more.csv").write_text("text,label\nfine,pos\n")
    with pytest.raises(DataError, match=r"holds data files \(more.csv\) among the texts of label 'pos'"):
        load_folder(tmp_path, encoding="utf-8", delimiter=None)


def test_split_folders_named_by_a_word_among_others_are_read_as_20_newsgroups_publishes_them(tmp_path):
    _write(tmp_path / "20news-bydate-train", {"sci.space": ["orbit"], "rec.autos": ["engine"]})
    _write(tmp_path / "20news-bydate-test", {"sci.space": ["moon"], "rec.autos": ["brakes"]})
    (tmp_path / "20news-bydate-test" / "notes.txt").write_text("stray")
    (tmp_path / "20news-bydate-train" / "notes.txt").write_text("stray")
    raw = load_folder(tmp_path, encoding="latin-1", delimiter=None)
    assert list(raw.splits) == ["train", "test"] and sorted(raw.splits["test"]["text"]) == ["brakes", "moon"]
    left_out = [note for note in raw.notes if note.startswith("left out notes.txt")]
    assert [note.split(" in ")[1] for note in left_out] == [  # said in the splits' order
        f"{tmp_path / '20news-bydate-train'}: a text is a file of a label's folder",
        f"{tmp_path / '20news-bydate-test'}: a text is a file of a label's folder",
    ]


def test_labels_whose_names_hold_a_split_word_are_labels_beside_others(tmp_path):
    """A support team's folders: training/ (requests for training) beside sales/ and billing/."""
    _write(tmp_path, {"training": ["a course"], "sales": ["a quote"], "billing": ["an invoice"]})
    raw = load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert sorted(raw.splits["train"]["label"]) == ["billing", "sales", "training"]


@pytest.mark.parametrize(
    ("layout", "said"),
    [
        (
            {"train/1.txt": "a", "test/1.txt": "b"},
            "; or train/ holds its texts directly: to read texts from files, put",
        ),
        ({"pos/1.txt": "good", "README/x.txt": ""}, ""),  # two folders of texts: read, no refusal
        (
            {"pos/1.txt": "good"},
            "; or to read texts from files, each label needs a folder of its own, and only pos/",
        ),
        (
            {"aclImdb/train/pos/1.txt": "good", "aclImdb/train/neg/1.txt": "bad"},
            "aclImdb is a folder of label folders",
        ),
    ],
)
def test_a_folder_almost_of_label_folders_is_refused_saying_what_keeps_it_from_being_one(
    tmp_path, layout, said
):
    """20 Newsgroups' folders one level down, train/ and test/ holding their texts, one label's
    folder: each was told to name csv split files, and no more."""
    for name, text in layout.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    if not said:
        assert load_folder(tmp_path, encoding="utf-8", delimiter=None).splits["train"].num_rows == 2
        return
    with pytest.raises(DataError, match="holds no split files") as refused:
        load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert said in str(refused.value)


def test_a_label_folder_that_cannot_be_read_or_a_file_that_is_no_text_is_refused_by_name(
    tmp_path, monkeypatch
):
    import attncli.label_folders as label_folders_module

    _write(tmp_path, {"pos": ["good"], "neg": ["bad"]})
    (tmp_path / "neg" / "scan.docx").write_bytes(b"PK\x03\x04" + b"x" * 26 + b"[Content_Types].xml")
    with pytest.raises(
        DataError,
        match=r"scan.docx is a Word document.*; each file of a label's folder is read as one plain text",
    ):
        load_folder(tmp_path, encoding="utf-8", delimiter=None)
    (tmp_path / "neg" / "scan.docx").unlink()
    deny_listing(monkeypatch, label_folders_module, "neg")
    with pytest.raises(
        DataError, match=rf"^{tmp_path / 'neg'} cannot be read \(permission denied\); give yourself"
    ):
        load_folder(tmp_path, encoding="utf-8", delimiter=None)


def test_gbk_text_is_not_taken_for_utf8_where_gbk_is_asked_for(tmp_path):
    """Two-byte GBK characters are valid UTF-8 often enough ('同学' reads as UTF-8 'ͬѧ') that the
    rule for 8-bit encodings would garble a short text: it is for encodings of one byte a character."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "1.txt").write_bytes("同学们好，今天我们学习中文。".encode("gbk"))
    (tmp_path / "b" / "1.txt").write_bytes("这本小说的故事非常有意思。".encode("gbk"))
    raw = load_folder(tmp_path, encoding="gbk", delimiter=None)
    assert sorted(raw.splits["train"]["text"]) == sorted(
        ["同学们好，今天我们学习中文。", "这本小说的故事非常有意思。"]
    )
    assert "read as UTF-8" not in raw.notes[0]
    # A text so short that its GBK bytes are valid UTF-8 is refused as a data file's would be, not garbled.
    (tmp_path / "b" / "2.txt").write_bytes("同学".encode("gbk"))
    with pytest.raises(DataError, match=r"b/2.txt is UTF-8 .*, not gbk"):
        load_folder(tmp_path, encoding="gbk", delimiter=None)


def test_a_split_named_by_two_folders_is_refused_as_two_files_are(tmp_path):
    _write(tmp_path / "train", {"pos": ["good"], "neg": ["bad"]})
    _write(tmp_path / "dev", {"pos": ["fine"], "neg": ["poor"]})
    _write(tmp_path / "validation", {"pos": ["nice"], "neg": ["awful"]})
    with pytest.raises(
        DataError, match="holds two folders for split 'validation': dev and validation; move one"
    ):
        load_folder(tmp_path, encoding="utf-8", delimiter=None)


def test_what_is_neither_a_file_nor_a_folder_is_said_to_be_left_out(tmp_path):
    _write(tmp_path, {"pos": ["good"], "neg": ["bad"]})
    (tmp_path / "pos" / "gone.txt").symlink_to(tmp_path / "nowhere.txt")  # a link to nothing
    raw = load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert raw.splits["train"].num_rows == 2
    assert (
        f"left out pos/gone.txt in {tmp_path}: neither a file nor a folder (a link to nothing, a pipe)"
        in raw.notes
    )


def test_a_split_folder_that_cannot_be_read_is_refused_not_left_out(tmp_path, monkeypatch):
    import attncli.label_folders as label_folders_module

    _write(tmp_path / "train", {"pos": ["good"], "neg": ["bad"]})
    _write(tmp_path / "test", {"pos": ["fine"], "neg": ["poor"]})
    deny_listing(monkeypatch, label_folders_module, "test")
    with pytest.raises(DataError, match=rf"^{tmp_path / 'test'} cannot be read \(permission denied\)"):
        load_folder(tmp_path, encoding="utf-8", delimiter=None)


@pytest.mark.parametrize(
    ("layout", "said"),
    [
        # train/ with one label's folder beside a test/ of two: train/ is what to mend.
        (
            {"train/pos/1.txt": "good", "test/pos/1.txt": "fine", "test/neg/1.txt": "bad"},
            "each label needs a folder of its own, and only pos/ in {tmp_path}/train holds texts",
        ),
        # A folder of datasets: each its own, said before a label's folder beside it.
        (
            {"bbc/train.csv": "text,label\na,b\n", "bbc/README.md": "x", "notes/a.txt": "x"},
            "{tmp_path}/bbc is a folder of split files: pass it",
        ),
        # dev/ and validation/ each holding split files: no split named twice, and no label folders.
        (
            {"dev/train.csv": "text,label\na,b\n", "validation/train.csv": "text,label\na,b\n"},
            "{tmp_path}/dev is a folder of split files: pass it",
        ),
    ],
)
def test_near_misses_name_the_folder_to_mend_or_pass(tmp_path, layout, said):
    for name, text in layout.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    with pytest.raises(DataError, match="holds no split files") as refused:
        load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert said.format(tmp_path=tmp_path) in str(refused.value)


def test_validation_given_as_a_folder_of_label_folders_is_told_where_such_rows_go(tmp_path):
    from attncli.sources import with_validation_file

    _write(tmp_path / "train", {"pos": ["good"], "neg": ["bad"]})
    _write(tmp_path / "held", {"pos": ["fine"], "neg": ["poor"]})
    raw = load_folder(tmp_path / "train", encoding="utf-8", delimiter=None)
    with pytest.raises(
        DataError,
        match=r"is not a file; .*; a folder of label folders gives its validation rows as a validation/",
    ):
        with_validation_file(
            raw, str(tmp_path / "train"), str(tmp_path / "held"), encoding="utf-8", delimiter=None
        )


def test_labels_sharing_a_split_word_are_labels_and_a_data_file_among_texts_is_still_refused(tmp_path):
    """An intent set's train_booking and train_schedule were refused as two folders for the train split
    (a review); a label's folder holding test_scores.csv among its texts was left out as a dataset's."""
    _write(
        tmp_path / "intents",
        {"train_booking": ["book"], "train_schedule": ["when"], "flight_booking": ["fly"]},
    )
    raw = load_folder(tmp_path / "intents", encoding="utf-8", delimiter=None)
    assert sorted(raw.splits["train"]["label"]) == ["flight_booking", "train_booking", "train_schedule"]
    _write(tmp_path / "scores", {"food": ["soup", "bread"], "sport": ["goal", "match"]})
    (tmp_path / "scores" / "sport" / "test_scores.csv").write_text("a,b\n1,2\n")
    with pytest.raises(
        DataError, match=r"holds data files \(test_scores.csv\) among the texts of label 'sport'"
    ):
        load_folder(tmp_path / "scores", encoding="utf-8", delimiter=None)


def test_utf8_asked_for_says_nothing_of_utf8_and_its_mark_is_heeded_under_any_encoding(tmp_path):
    _write(tmp_path, {"pos": [], "neg": []})
    (tmp_path / "pos" / "1.txt").write_bytes(codecs.BOM_UTF8 + "Café".encode())
    (tmp_path / "neg" / "1.txt").write_bytes("Thé".encode())
    raw = load_folder(tmp_path, encoding="UTF-8", delimiter=None)
    assert "read as UTF-8" not in raw.notes[0] and sorted(raw.splits["train"]["text"]) == ["Café", "Thé"]
    (tmp_path / "neg" / "1.txt").write_bytes("同学们好，今天我们学习中文。".encode("gbk"))
    raw = load_folder(tmp_path, encoding="gbk", delimiter=None)
    assert sorted(raw.splits["train"]["text"]) == ["Café", "同学们好，今天我们学习中文。"]


def test_a_link_to_nothing_beside_split_folders_is_said_to_be_left_out(tmp_path):
    _write(tmp_path / "train", {"pos": ["good"], "neg": ["bad"]})
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    raw = load_folder(tmp_path, encoding="utf-8", delimiter=None)
    assert (
        f"left out gone in {tmp_path}: neither a file nor a folder (a link to nothing, a pipe)" in raw.notes
    )


def test_a_maildir_is_no_folder_of_label_folders():
    """A Maildir's cur/ and new/ trained as the labels `cur` and `new` (a spam analyst's trial)."""
    import tempfile

    with tempfile.TemporaryDirectory() as name:
        maildir = Path(name) / "Maildir"
        for folder in ("cur", "new", "tmp"):
            (maildir / folder).mkdir(parents=True)
        for number in range(3):
            (maildir / "cur" / f"1700000000.M{number}.host:2,S").write_text("Subject: hi\n\nwin a prize\n")
            (maildir / "new" / f"1700000001.M{number}.host").write_text("Subject: hello\n\nlunch at noon\n")
        with pytest.raises(
            DataError, match=r"Maildir is a Maildir \(cur/ and new/ hold its messages\), not a "
        ):
            label_folders(maildir)
        # With a file in tmp/ (a delivery under way), still one (a review).
        (maildir / "tmp" / "1700000002.M9.host").write_text("Subject: half\n")
        with pytest.raises(DataError, match=r"Maildir is a Maildir"):
            label_folders(maildir)
        # Labels named new and cur beside others are labels (a review).
        (maildir / "old").mkdir()
        (maildir / "old" / "1.txt").write_text("an old ticket\n")
        assert sorted(label_folders(maildir).splits["train"]) == ["cur", "new", "old", "tmp"]
