"""Which encodings a file's bytes read as text in, for the advice an undecodable line gets."""

import pytest
from conftest import make_rows, save_untrained_checkpoint, write_csv
from typer.testing import CliRunner

from attncli.cli import app
from attncli.encoding_guess import likely_encodings

TEXTS = {
    "gbk": "很好满意，太差失望。这个手机我买了东西的。质量不错，物流很快，下次还会再来购买。",
    "big5": "這個手機很好，我很滿意。品質不錯，物流很快，下次還會再來購買。",
    "cp932": "この商品はとても良いです。配送も早くて満足しています。また買いたいと思います。①",
    "euc-jp": "この商品はとても良いです。配送も早くて満足しています。また買いたいと思います。",
    "cp949": "이 제품은 정말 좋아요. 배송도 빠르고 만족합니다. 다시 구매할게요.",
    "cp1251": "Отличный телефон, очень доволен покупкой. Доставка быстрая.",
    "cp1252": "Le café était très bon, mais la crème brûlée était trop sucrée. Où est la gare?",
    "cp1250": "Příliš žluťoučký kůň úpěl ďábelské ódy. Zażółć gęślą jaźń.",
    "cp1256": "هذا المنتج رائع جدا، التوصيل سريع وأنا سعيد جدا بالشراء.",
    "cp1253": "Αυτό το προϊόν είναι πολύ καλό, είμαι ευχαριστημένος.",
    "cp1255": "המוצר הזה מצוין, המשלוח היה מהיר מאוד.",
    "cp874": "สินค้านี้ดีมาก จัดส่งเร็ว พอใจมาก",
    "koi8-r": "Отличный телефон, очень доволен покупкой.",
    # Excel for Mac's "CSV (Macintosh)": advised cp1252, it trained on `spŠt` and `canÕt` (a trial).
    "mac_roman": "Die Lieferung war schön, aber zu spät. Größe passt. It wasn’t “great” — really…",
}


# The name a file written in a codec is advised by: GBK's superset, which reads it alike.
SUGGESTED = {"gbk": "gb18030"}


@pytest.mark.parametrize(
    ("codec", "text", "first"),
    [
        ("cp1252", "Total: 5 €", "cp1252"),  # a symbol alone beyond ASCII: it named cp1251 alone
        ("cp932", "ｺﾝﾋﾟｭｰﾀ 商品 ﾃｽﾄです", "cp932"),  # half-width katakana
        ("cp932", "日本語", "gb18030"),  # Chinese characters alone: Chinese first, Japanese named too
        ("cp949", "이 제품은 정말 좋아요.", "cp949"),
        ("gbk", "很好满意", "gb18030"),  # GBK's superset, which reads it alike
        ("gb18030", "订单退货了👍", "gb18030"),  # an emoji only GB18030 holds: it was cp1255, Hebrew
        # A Japanese word quoted in Chinese (GBK holds kana): it was advised cp1252, which garbled it.
        ("gbk", TEXTS["gbk"] + "外观很カワイイ，" + TEXTS["gbk"], "gb18030"),
    ],
)
def test_short_texts_name_their_encoding(codec, text, first):
    named = [name for name, _ in likely_encodings(text.encode(codec), besides="utf-8")]
    assert named[0] == first and SUGGESTED.get(codec, codec) in named, named


@pytest.mark.parametrize("codec", TEXTS)
def test_the_encoding_text_was_written_in_is_among_those_named_and_garbling_ones_are_not(codec):
    named = [name for name, _ in likely_encodings(TEXTS[codec].encode(codec), besides="utf-8")]
    # First where its letters tell: Hebrew also reads as Cyrillic and Greek letters, Thai as Chinese.
    suggested = SUGGESTED.get(codec, codec)
    assert (named[0] if codec not in ("cp1255", "cp874") else suggested) == suggested and len(named) <= 5, (
        named
    )
    # Latin-1 reads any bytes, as garbage: never named. Chinese bytes read as Western are garbled.
    assert "latin-1" not in named
    if codec in ("gbk", "big5", "cp932", "euc-jp", "cp949"):
        assert "cp1252" not in named and "cp1250" not in named


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("cp1252", "—¿Vienes mañana?—preguntó Juan. —¡Claro…"),  # dashes against ¿ and ¡
        ("cp1252", "Laut §§ 823 ff. BGB haftet der Schädiger…"),  # a mark twice
        ("cp1252", "Hmm…ok, that’s fine. Wait…what? Très bien"),  # an ellipsis between letters
        ("cp1252", "Preis: 5 € – 10 € (±2 °C) × 3 « très » „gut“ ‹ok›"),
        ("cp1252", "Il fait 20°–25°, très beau. "),  # a dash against a symbol
        ("cp1251", "Цена: 100 руб. № 5, №№ 6–8; «Война и мир»"),
        ("cp1251", "Открыто Пн–Пт, рейс Москва–Казань в мае–июне. "),  # dashes between letters
        ("cp1253", "Ανοιχτά Δευτέρα–Παρασκευή, όλη την ημέρα. "),
        ("cp1255", "כל־הארץ שמחה היום, ואנחנו יחד. "),  # Hebrew's maqaf
        ("gb18030", "他说——我不去了，明天再说吧。"),  # a double dash
        ("cp932", "とても良い商品でした。★★★★☆"),  # stars
        ("cp932", "記号 ○□△ を使う。 "),  # shapes side by side
    ],
)
def test_punctuation_text_writes_is_not_taken_for_garbling(tmp_path, codec, text):
    """Marks that Mac Roman read as cp1252 (`Grš§e`) or Japanese read as Mac Roman (`§≥§`) are told
    by are also in text read right: each was taken for garbled, so that the encoding a file was in
    was not advised, or a file read right was warned of (a review)."""
    from attncli.encoding_guess import garbled_reading_warning

    data = (text * 3).encode(codec)
    assert codec in [name for name, _ in likely_encodings(data, besides="utf-8")]
    path = tmp_path / "rows.csv"
    path.write_bytes(("text,label\n" + "".join(f"{text} {n},a\n" for n in range(20))).encode(codec))
    assert garbled_reading_warning(path, codec) is None


def test_utf8_cyrillic_read_as_mac_roman_is_warned_of(tmp_path):
    """Its lead bytes are Mac Roman's dashes (`–°—ä–µ—à—å`): with dashes allowed against each other it
    went unwarned (a review)."""
    from attncli.encoding_guess import garbled_reading_warning

    path = tmp_path / "ru.csv"
    path.write_text("text,label\n" + "".join(f"Съешь же ещё этих мягких булок {n},a\n" for n in range(20)))
    assert "looks garbled" in (garbled_reading_warning(path, "mac_roman") or "")


def test_a_single_byte_codec_is_not_advised_for_a_last_byte_it_does_not_define():
    """cp1252 was advised for a file ending in 0x81, which it does not define: taken for a character
    cut at the end of the sample, as a multi-byte one may be (a trial); a cut one still is."""
    named = [name for name, _ in likely_encodings(b"meeting caf\xe9 junk \x81", besides="utf-8")]
    assert "cp1252" not in named and "cp1250" not in named
    cut = "很好满意，物流很快".encode("gbk")[:-1]
    assert "gb18030" in [name for name, _ in likely_encodings(cut, besides="utf-8")]


def test_a_file_in_the_encoding_given_is_not_advised_again_and_ascii_gives_no_guess():
    japanese = TEXTS["cp932"].encode("cp932")
    assert "cp932" not in [name for name, _ in likely_encodings(japanese, besides="cp932")]
    assert likely_encodings(b"plain ascii text", besides="utf-8") == []


def test_train_and_predict_name_gbk_for_a_gbk_file(tmp_path):
    """They advised cp1252 or latin-1, with which the file read as garbled texts, exit 0."""
    rows = [{"text": f"{row['text']} 很好满意", "label": row["label"]} for row in make_rows(30)]
    data = write_csv(tmp_path / "gbk.csv", rows)
    data.write_bytes(data.read_text(encoding="utf-8").encode("gbk"))
    result = CliRunner().invoke(app, ["train", str(data), "-o", str(tmp_path / "run")])
    assert result.exit_code == 2
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(
        f"error: line 2 of {data} is not valid utf-8; pass --encoding "
        "(data.encoding in a config file) with the file's "
        "encoding: its bytes read as text in gb18030 (Chinese), "
    ), error
    assert "latin-1" not in error and "cp1252" not in error
    lines = tmp_path / "gbk.txt"
    lines.write_bytes(TEXTS["gbk"].encode("gbk") + b"\n")
    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    predicted = CliRunner().invoke(app, ["predict", str(checkpoint), "-f", str(lines)])
    assert predicted.exit_code == 2 and predicted.stderr.strip().endswith(
        "pass --encoding with the file's encoding: its bytes read as text in gb18030 (Chinese)"
    ), predicted.stderr


def test_a_file_that_decodes_to_garbage_in_the_encoding_given_is_warned_of(tmp_path):
    """Arabic exported as cp1256 and read as cp1252 decoded without an error: training took 'ÇáãäÊÌ'
    for its words without a word, and the model scored 19% on Arabic (a trial). Text each codec
    reads as itself is not warned of."""
    from attncli.config import DataConfig
    from attncli.data import load_splits
    from attncli.encoding_guess import garbled_reading_warning

    rows = ["text,label"] + [
        f"طلبي رقم {n} أريد استرداد المبلغ,refund" if n % 2 else f"تأخر الشحن {n},shipping" for n in range(40)
    ]
    data = tmp_path / "arabic.csv"
    data.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1256"))
    warning = garbled_reading_warning(data, "cp1252")
    assert warning is not None and warning.startswith(f"warning: {data} read as cp1252 looks garbled (")
    advice = "its bytes read as text in cp1256 (Arabic): pass --encoding cp1256 (a run trained on it so goes"
    assert advice in warning and warning.endswith("train it again with the right --encoding)")
    assert garbled_reading_warning(data, "cp1256") is None and garbled_reading_warning(data, "utf-8") is None
    notes = load_splits(DataConfig(source=str(data), encoding="cp1252")).notes
    assert any(note.startswith(f"warning: {data} read as cp1252 looks garbled") for note in notes), notes
    checkpoint = save_untrained_checkpoint(tmp_path / "ck")
    predicted = CliRunner().invoke(app, ["predict", str(checkpoint), "-f", str(data), "--encoding", "cp1252"])
    assert predicted.exit_code == 0 and "looks garbled" in predicted.stderr, predicted.output
    for codec, text in TEXTS.items():  # each language in its own codec reads as itself
        own = tmp_path / f"{codec}.txt"
        own.write_bytes(((text + "\n") * 3).encode(codec))
        assert garbled_reading_warning(own, codec) is None, codec
    # Mac Roman read as the cp1252 an error advised before: garbled, and Mac Roman named.
    mac = tmp_path / "mac.csv"
    mac.write_bytes(("text,label\r" + TEXTS["mac_roman"] + ",a\r").encode("mac_roman"))
    assert "its bytes read as text in mac_roman (Western European, from a Mac)" in (
        garbled_reading_warning(mac, "cp1252") or ""
    )


def test_korean_read_in_a_chinese_encoding_is_warned_of(tmp_path):
    """EUC-KR's Hangul is GB2312's first level of Chinese characters: Korean read as gbk decoded
    without an error or an odd word, and a run trained on '前龙捞' for '품질이' without a word (a
    trial's Korean export). Chinese read so, and Korean read as Korean, are not warned of."""
    from attncli.encoding_guess import garbled_reading_warning

    korean = tmp_path / "korean.csv"
    korean.write_bytes(("text,label\n" + f"{TEXTS['cp949']},a\n" * 3).encode("cp949"))
    for codec in ("gbk", "gb18030", "euc-jp"):
        warning = garbled_reading_warning(korean, codec)
        assert warning == (
            f"warning: {korean} read as {codec} is Chinese characters (such as "
            f"{'이'.encode('cp949').decode(codec)!r}) whose bytes read as Korean in cp949 (such as '이'): "
            "if it is Korean, pass --encoding cp949 (a run trained on it so goes on reading it so: train it "
            "again with the right --encoding)"
        ), codec
    assert (
        garbled_reading_warning(korean, "cp949") is None and garbled_reading_warning(korean, "euc-kr") is None
    )
    for name, text in [("plain", TEXTS["gbk"]), ("segmented", "我们 非常 喜欢 这个 产品 ， 质量 很 好 。")]:
        chinese = tmp_path / f"{name}.csv"  # about 70% of it reads as Hangul in cp949, the rest Hanja
        chinese.write_bytes(("text,label\n" + f"{text},a\n" * 3).encode("gbk"))
        assert (
            garbled_reading_warning(chinese, "gbk") is None
            and garbled_reading_warning(chinese, "gb18030") is None
        )
