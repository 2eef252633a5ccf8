"""Which encodings bytes that are not in the one they were read as read as text in, with their
languages, for the advice an undecodable line gets: the user knows the language. Plain Python,
no detector library: each encoding must decode the bytes into letters of its own script, with few
of the odd words and symbols that garbled text is made of."""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

# (codec, its language, the script most of its letters beyond ASCII are in). Latin-1 is not among
# them: it reads any bytes, as garbage. Where two read a text equally well, the first named wins.
# Chinese as gb18030, which reads every GBK file as gbk does, and the emoji and rarer characters
# that only it holds (a trial's GB18030 export got cp1255, Hebrew, as its advice).
LIKELY_ENCODINGS = (
    ("cp1252", "Western European", "LATIN"), ("cp1250", "Central European", "LATIN"),
    # What Excel for Mac's "CSV (Macintosh)" and classic Mac OS wrote: a researcher's trial, advised
    # cp1252, trained on `cafŽ` and `canÕt` without a word. After cp1252, which wins a tie.
    ("mac_roman", "Western European, from a Mac", "LATIN"),
    ("cp949", "Korean", "HANGUL"), ("cp932", "Japanese", "KANA"), ("euc-jp", "Japanese", "KANA"),
    ("gb18030", "Chinese", "HAN"), ("big5", "traditional Chinese", "HAN"), ("cp1251", "Cyrillic", "CYRILLIC"),
    ("koi8-r", "Russian", "CYRILLIC"), ("cp1253", "Greek", "GREEK"), ("cp1255", "Hebrew", "HEBREW"),
    ("cp1256", "Arabic", "ARABIC"), ("cp874", "Thai", "THAI"),
)  # fmt: skip
SCRIPTS = {"LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "THAI", "HANGUL", "CJK", "HIRAGANA", "KATAKANA"}
LETTERS = re.compile(r"[^\W\d_]+")
# A lower-case letter followed by a capital inside a word ("єЬєГВъТв", GBK read as cp1251; "spŠt",
# Mac Roman's "spät" read as cp1252, whose capitals Š Œ Ž Ÿ are among its bytes 0x80-0x9F).
CASE_CHAOS = re.compile(
    r"[a-z\u00df-\u00ff\u03ac-\u03ce\u0430-\u045f]"
    r"[A-Z\u00c0-\u00de\u0152\u0160\u0178\u017d\u0386-\u03ab\u0400-\u042f]"
)
# Punctuation beyond ASCII that no word holds between two Latin letters ("Grš§e", Mac Roman's "Größe"
# read as cp1252; "d‡", its "dá"), where an apostrophe (’, a quote mark) and a middle dot (l·l) may be.
INSIDE_A_WORD = "\u00b7\u2026"  # and an ellipsis: `wait…what`
# Garbled text is mostly odd; 15% leaves room for a pangram's Polish ("Zażółć gęślą jaźń").
MOST_ODD = 0.15
# As many as may read one text: Hebrew's bytes read as Cyrillic, Greek and Thai letters too.
NAMED_AT_MOST = 5
# Bytes read to guess by, from just before the first byte beyond ASCII: enough text to tell, in a
# tenth of a second (64 KB took a quarter).
GUESS_BYTES = 1 << 14
ASCII_BEFORE = 64


def likely_encodings_text(sample: bytes, *, besides: str) -> str:
    """': its bytes read as text in gb18030 (Chinese) or big5 (traditional Chinese)', for the encodings
    `sample` reads as plausible text in (other than `besides`), or where none does, an example."""
    found = likely_encodings(sample, besides=besides)
    if not found:
        same = codecs.lookup(besides).name == codecs.lookup("cp1252").name
        return "" if same else " (for example cp1252, from Windows)"
    named = [f"{codec} ({language})" for codec, language in found]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]
    return f": its bytes read as text in {listed}"


def likely_encodings(sample: bytes, *, besides: str = "ascii") -> list[tuple[str, str]]:
    """(codec, language) of up to NAMED_AT_MOST encodings other than `besides` in which `sample`
    (bytes of a file, a character maybe cut at its end) reads as text, the least garbled first, and
    among equals those whose script shows its own letters (kana for Japanese) first."""
    beyond = next((index for index, byte in enumerate(sample) if byte > 0x7F), None)
    if beyond is None:
        return []  # ASCII reads the same in every one of them
    start = max(0, beyond - ASCII_BEFORE)
    sample = sample[start : start + GUESS_BYTES]
    found = []
    for order, (codec, language, script) in enumerate(LIKELY_ENCODINGS):
        if codecs.lookup(codec).name == codecs.lookup(besides).name:
            continue
        text = _decoded(sample, codec)
        if text is None:
            continue
        odd, fit = _odd_share(text), _fit(text, script)
        if odd is not None and odd <= MOST_ODD and fit:
            found.append((odd, -fit, order, codec, language))
    return [(codec, language) for *_, codec, language in sorted(found)[:NAMED_AT_MOST]]


def _decoded(sample: bytes, codec: str) -> str | None:
    """`sample` (bytes of a file, a character maybe cut at its end) as text in `codec`, or None where
    it holds bytes `codec` does not read."""
    try:
        return sample.decode(codec)
    except UnicodeDecodeError as error:
        # Only a character of several bytes can be cut at the end: a single-byte codec's byte it
        # does not define is one there too (cp1252 was advised for a file ending in 0x81, a trial).
        if error.end < len(sample) or not error.reason.startswith("incomplete"):
            return None
        return sample[: error.start].decode(codec)


def _script(character: str) -> str:
    if character.isascii():
        return "LATIN"
    name = unicodedata.name(character, "?")
    if name.startswith(("HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA")):
        return "CJK"
    first = name.split(" ")[0]
    return first if first in SCRIPTS else "OTHER"


def _odd_share(text: str) -> float | None:
    """The share of `text`'s words and other characters beyond ASCII that are odd: words of mixed
    scripts, with runs of accented letters or capitals inside; symbols, controls and private-use
    characters against a letter (a euro sign after a space is text, `£¬Ì«` is not). None where it
    has nothing beyond ASCII."""
    units = odd = 0
    for word in LETTERS.findall(text):
        if not word.isascii():
            units += 1
            scripts = {_script(character) for character in word if unicodedata.category(character)[0] == "L"}
            accented_run = scripts == {"LATIN"} and re.search(r"[^\x00-\x7f]{4}", word) is not None
            odd += len(scripts) > 1 or "OTHER" in scripts or accented_run or bool(CASE_CHAOS.search(word))
    for index, character in enumerate(text):
        category = unicodedata.category(character)
        if not character.isascii() and category[0] not in "LM":
            units += 1
            # A symbol beyond the BMP (an emoji: 退货了👍) is none that a wrong legacy codec
            # makes, all of whose characters are in it; only gb18030 and the UTFs reach it.
            astral = ord(character) > 0xFFFF
            if category[0] == "C" or (category[0] == "S" and not astral and _against_a_letter(text, index)):
                odd += 1
            elif category == "Po" and character not in INSIDE_A_WORD and _between_latin_letters(text, index):
                odd += 1
            elif category == "Pd" and _dash_inside_other_script(text, index):
                odd += 1
            elif _stray_mark(character) and any(
                _stray_pair(character, text[neighbour])
                for neighbour in (index - 1, index + 1)
                if 0 <= neighbour < len(text)
            ):  # `§≥§Œæ¶…`: Japanese read as Mac Roman, symbols against symbols
                odd += 1
    return odd / units if units else None


def _against_a_letter(text: str, index: int) -> bool:
    return any(
        0 <= neighbour < len(text) and unicodedata.category(text[neighbour])[0] == "L"
        for neighbour in (index - 1, index + 1)
    )


def _stray_mark(character: str) -> bool:
    """A symbol, dash, bracket or other punctuation beyond ASCII, which text seldom writes beside
    another but itself (`≥§`, `«∆⁄`, `–°—`: UTF-8 Cyrillic read as Mac Roman), where a text may write
    quote marks (`”’`), `¿` and `¡` after a dash (`—¿`), an ellipsis, the same mark again (`——`, `§§`,
    `№№`), stars and hearts (`★★★★☆`) and the marks of East Asian scripts (`！？`) so (a review found
    each in text read right, taken for garbled)."""
    category = unicodedata.category(character)
    return (
        not character.isascii()
        and ord(character) < 0x3000
        and character not in "\u2026\u00bf\u00a1"
        and not 0x25A0 <= ord(character) <= 0x27BF  # shapes, stars, hearts: ○×, ★★★★☆
        and (category[0] == "S" or category in ("Po", "Ps", "Pe", "Pd"))
    )


def _dash_inside_other_script(text: str, index: int) -> bool:
    """Whether a dash beyond ASCII stands between two Latin letters or symbols beyond ASCII (`–°—ä–µ—à`,
    UTF-8 Cyrillic read as Mac Roman, whose lead bytes are its dashes); where Latin text writes one,
    a space, a digit or an ASCII letter is beside it (`20°–25°`), and other scripts' letters join
    with dashes as they like (`Пн–Пт`, Hebrew's maqaf: a review)."""
    if index == 0 or index == len(text) - 1 or text[index].isascii():
        return False
    return all(
        not neighbour.isascii() and not neighbour.isspace() and unicodedata.category(neighbour) != "Pd"
        and (ord(neighbour) < 0x250 or unicodedata.category(neighbour)[0] in "SP")
        and ord(neighbour) < 0x3000
        for neighbour in (text[index - 1], text[index + 1])
    )  # fmt: skip


def _stray_pair(character: str, neighbour: str) -> bool:
    """Whether two marks side by side are garbling's: different, and a dash only against another
    dash (`–—`, UTF-8 Cyrillic read as Mac Roman), not against a symbol (`20°–25°`, a review)."""
    if neighbour == character or not _stray_mark(neighbour):
        return False
    dashes = (unicodedata.category(character) == "Pd") + (unicodedata.category(neighbour) == "Pd")
    return dashes != 1


def _between_latin_letters(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and all(
        neighbour.isalpha() and ord(neighbour) < 0x250 for neighbour in (text[index - 1], text[index + 1])
    )


def _fit(text: str, script: str) -> int:
    """How well `text`'s letters beyond ASCII fit `script`: 0 where most are of another; 1 where
    they do; 2 for Hangul, and for Chinese characters without kana (HAN) or with kana (KANA), since
    Japanese shows kana: Chinese characters alone are more likely Chinese, and Korean read as Chinese
    is Chinese characters alone too. KANA takes half-width kana, but not
    mostly them without other kana, as GBK read as cp932 gives."""
    names = _letters_beyond_ascii(text)
    han = sum(name.startswith("CJK") for name in names)
    half_width = sum(name.startswith("HALFWIDTH KATAKANA") for name in names)
    kana = sum(name.startswith(("HIRAGANA", "KATAKANA")) for name in names)
    most = len(names) / 2
    if script == "HAN":
        if han <= most:
            return 0
        # A Chinese text may quote a Japanese word (カワイイ, which GBK holds): with one in a GBK
        # file the gb18030 reading fitted nothing, cp1252 was advised, and a run trained on its
        # garbling without a warning (a trial). Kana at most a tenth of the characters still fit.
        return 2 if kana + half_width == 0 else int(kana + half_width <= han / QUOTED_KANA)
    if script == "KANA":
        if han + kana + half_width <= most or (half_width > (han + kana + half_width) / 2 and not kana):
            return 0
        return 2 if kana else 1
    if script == "LATIN" and not names:
        return 1  # symbols alone beyond ASCII, such as a euro sign
    fits = sum(name.split(" ")[0] == script for name in names) > most
    return (2 if script == "HANGUL" else 1) * fits


# Chinese characters to a kana, at least, in Chinese that quotes Japanese words.
QUOTED_KANA = 10

# Bytes read from a file's start to find where it leaves ASCII.
HEAD_BYTES = 1 << 20


def garbled_reading_warning(path: Path, encoding: str) -> str | None:
    """A warning for a file read in an 8-bit or East Asian `encoding` that decodes, but to text most
    of whose words beyond ASCII are garbled, where another encoding reads it as text: Arabic
    exported as cp1256 and read as cp1252 trained on 'ÇáãäÊÌ' without a word, and the model scored
    19% on Arabic (a trial). None for UTF-8/16/32, ASCII, and text that reads plausibly."""
    name = codecs.lookup(encoding).name
    if name.startswith(("utf-8", "utf-16", "utf-32")) or name == "ascii":
        return None
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    beyond = re.search(rb"[\x80-\xff]", head)
    if beyond is None:
        return None
    sample = head[max(0, beyond.start() - ASCII_BEFORE) : beyond.start() + GUESS_BYTES]
    text = sample.decode(encoding, errors="replace")
    odd = _odd_share(text)
    if odd is not None and odd <= MOST_ODD and name != codecs.lookup("cp949").name:
        return _korean_read_as_chinese_warning(path, encoding, sample, text)
    if odd is None or odd <= MOST_ODD:
        return None
    found = likely_encodings(sample, besides=encoding)
    if not found:
        return None
    codec, language = found[0]
    example = next((word for word in LETTERS.findall(text) if not word.isascii()), "")
    return (
        f"warning: {path} read as {encoding} looks garbled ({odd:.0%} of its words and symbols beyond "
        f"ASCII are odd, such as {example!r}); its bytes read as text in {codec} ({language}): pass "
        f"--encoding {codec} (a run trained on it so goes on reading it so: train it again with the "
        "right --encoding)"
    )


# Korean's share of Hangul among its letters beyond ASCII (Hanja are rare in it); Chinese read as
# cp949 reads about 70% Hangul, and the rest Hanja, so a few Chinese names might read as Hangul.
HANGUL_AT_LEAST = 0.9
HANGUL_TO_TELL = 20


def _korean_read_as_chinese_warning(path: Path, encoding: str, sample: bytes, text: str) -> str | None:
    """A warning for Korean in cp949 (EUC-KR) read in a Chinese encoding: each syllable's two bytes
    are a common Chinese character there (EUC-KR's Hangul, B0A1-C8FE, is GB2312's first level), so
    no word is odd, and a run trains on Chinese characters nobody wrote (a trial's Korean, read as
    gbk, as '前龙捞'). It is Korean where the text as read is Chinese characters alone and cp949 reads
    the same bytes as Hangul, nine letters in ten."""
    as_read = _letters_beyond_ascii(text)
    if not as_read or sum(name.startswith("CJK") for name in as_read) < HANGUL_AT_LEAST * len(as_read):
        return None
    korean = _decoded(sample, "cp949")
    if korean is None:
        return None
    hangul = _letters_beyond_ascii(korean)
    if len(hangul) < HANGUL_TO_TELL or sum(
        name.startswith("HANGUL") for name in hangul
    ) < HANGUL_AT_LEAST * len(hangul):
        return None
    read = next((word for word in LETTERS.findall(text) if not word.isascii()), "")
    written = next((word for word in LETTERS.findall(korean) if not word.isascii()), "")
    return (
        f"warning: {path} read as {encoding} is Chinese characters (such as {read!r}) whose bytes read "
        f"as Korean in cp949 (such as {written!r}): if it is Korean, pass --encoding cp949 (a run trained "
        "on it so goes on reading it so: train it again with the right --encoding)"
    )


def _letters_beyond_ascii(text: str) -> list[str]:
    """The Unicode names of `text`'s letters beyond ASCII."""
    return [
        unicodedata.name(character, "?")
        for character in text
        if not character.isascii() and unicodedata.category(character)[0] == "L"
    ]
