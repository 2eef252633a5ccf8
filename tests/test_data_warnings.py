"""How texts and labels are folded to be compared for repeats and look-alikes."""

import random
import unicodedata

from attncli.data_warnings import folded
from attncli.tokenizer import INVISIBLE_CHARACTERS


def _folded_character_by_character(text):
    """The rule as first written, a Python call a character: NFKC, invisible marks and presentation
    selectors dropped, every script's digits as ASCII, spacing and case ignored."""

    def one(character):
        if character in INVISIBLE_CHARACTERS or "\ufe00" <= character <= "\ufe0f":
            return ""
        digit = unicodedata.decimal(character, None)
        return str(digit) if digit is not None else character

    normal = unicodedata.normalize("NFKC", text)
    return " ".join("".join(map(one, normal)).split()).casefold()


def test_folding_by_table_is_the_rule_character_by_character():
    assert folded("  Café\u200f  ١٢ ❤️ ") == "café 12 ❤"
    assert folded("STRASSE\tnews") == "strasse news" and folded("Straße") == "strasse"
    generator = random.Random(0)
    pools = [(0, 0x80), (0x80, 0x3000), (0xFF00, 0xFFF0), (0x1D7CE, 0x1D800), (0x1F300, 0x1FBFF)]
    for _ in range(3000):
        text = "".join(
            chr(generator.randrange(*generator.choice(pools)))
            if generator.random() < 0.9
            else generator.choice("\u200d\ufe0f\u200b\u00ad\u0661\uff11 \n")
            for _ in range(generator.randrange(0, 40))
        )
        assert folded(text) == _folded_character_by_character(text), repr(text)


def test_every_decimal_digit_but_asciis_lies_where_the_folding_table_looks():
    import sys

    beyond = [
        code
        for code in range(0x20000, sys.maxunicode + 1)
        if unicodedata.decimal(chr(code), None) is not None
    ]
    assert beyond == [], f"data_warnings._folding_table must reach {hex(max(beyond))}"


def test_training_data_past_the_check_limit_is_checked_on_its_first_rows_and_said_so(monkeypatch):
    """Past CONFLICT_CHECK_ROWS training rows, neither texts with two labels nor validation rows that
    repeat one were looked for at all, without a word: the first rows are checked, and the warning
    says it looked at those."""
    from array import array

    import attncli.data_warnings
    from attncli.data_warnings import (
        conflicting_labels_warning,
        label_conflicts,
        repeated_in_training_warning,
    )
    from attncli.splits import Split

    monkeypatch.setattr(attncli.data_warnings, "CONFLICT_CHECK_ROWS", 4)
    texts = ["a b", "A  b", "c", "d", "e", "e"]  # a conflict among the first 4 rows, one past them
    train = Split(texts=texts, labels=array("q", [0, 1, 0, 0, 0, 1]))
    (warning,) = conflicting_labels_warning(label_conflicts(train, ["x", "y"]))
    monkeypatch.setattr(attncli.data_warnings, "LISTED_CONFLICTS", 1)  # more than are listed: said
    two = Split(texts=["a", "a", "b", "b"], labels=array("q", [0, 1, 0, 1]))
    (cut,) = conflicting_labels_warning(label_conflicts(two, ["x", "y"]))
    assert cut.endswith("(attn info RUN --json lists the 1 with the most rows: label_conflicts)")
    assert warning.startswith(
        "warning: 1 text of the training data (among its first 4 rows, of 6) occurs with more than one label"
    )
    validation = Split(texts=["c", "E"], labels=array("q", [0, 0]))
    (repeated,) = repeated_in_training_warning(train, validation, carved=False)
    assert repeated.startswith(
        "warning: 1 of the 2 validation rows has the same text (ignoring case and spacing) as a training "
        "row (among its first 4 rows, of 6), so"
    )
    small = Split(texts=texts[:4], labels=array("q", [0, 1, 0, 0]))
    assert "(among" not in conflicting_labels_warning(label_conflicts(small, ["x", "y"]))[0]


def test_the_rarest_classes_are_named_first_where_many_have_too_few_examples():
    """A trial's 95 such classes: the 10 named were the first in label order, and the one-row
    classes were among the "85 more"."""
    from attncli.data_warnings import few_examples_warning
    from attncli.splits import Split

    names = [f"intent_{index:02d}" for index in range(15)]
    labels = [index for index in range(15) for _ in range(9 - index // 2)]  # 9, 9, 8, 8, ... 2 rows
    said = few_examples_warning(
        Split(texts=["t"] * len(labels), labels=labels), names, validation=None, fraction=0.1
    )
    assert said is not None and said.startswith(
        "warning: too few examples to learn or validate reliably: class 'intent_14' has 2 (1 held out for "
        "validation), class 'intent_12' has 3"
    )
    assert said.endswith(
        "class 'intent_04' has 7 (1 held out for validation) and 5 more; add examples if you can"
    )


def test_a_label_with_few_validation_rows_among_labels_with_many_is_warned_of():
    """An imbalanced-data trial: 4 tech rows among 150 validation rows chose the best epoch."""
    from attncli.data_warnings import rare_in_validation_warning
    from attncli.splits import Split

    def split(*counts: int) -> Split:
        labels = [index for index, count in enumerate(counts) for _ in range(count)]
        return Split(texts=["t"] * len(labels), labels=labels)

    said = rare_in_validation_warning(
        split(1460, 40), split(146, 4), ["other", "tech"], carved=True, fraction=0.1
    )
    assert said == [
        "warning: validation holds few rows of 'tech' 4, against a median of 146 for the other labels: the "
        "best epoch is chosen on them with the rest, and one row moves such a label's recall by 25 points; "
        "--set data.validation_fraction=0.2 holds out more of each label; for a rare label, a --threshold "
        "chosen on rows the model never trained on may find more of it (README: Decision thresholds)"
    ]
    names = list("abcdefg")
    given = rare_in_validation_warning(
        split(*[90] * 4), split(40, 2, 38, 3), names[:4], carved=False, fraction=0.1
    )
    assert given[0].startswith("warning: validation holds few rows of 'b' 2, 'd' 3, against a median of 39 ")
    assert "more rows of them in the validation split make it reliable" in given[0]
    # Half the labels rare or more: still against the others (100 each), not the median of them all.
    many = rare_in_validation_warning(
        split(*[900] * 7), split(100, 100, 100, 4, 4, 4, 4), names, carved=True, fraction=0.1
    )
    assert many and "'d' 4, 'e' 4, 'f' 4, 'g' 4, against a median of 100" in many[0]
    # A label that holds out one row only because it has under ten is said elsewhere (few_examples_warning).
    rare = rare_in_validation_warning(
        split(300, 300, 40, 9), split(30, 30, 2, 1), list("abcd"), carved=True, fraction=0.1
    )
    assert rare and "few rows of 'c' 2, against a median of 30" in rare[0] and "'d'" not in rare[0]
    # At a fraction of 0.5 no larger one is offered.
    half = rare_in_validation_warning(
        split(60, 60, 4), split(60, 60, 4), list("abc"), carved=True, fraction=0.5
    )
    assert half and "validation_fraction" not in half[0]
    # Not: labels equally few (150 intents of 3 rows each, or 161 of 1-2 beside a large out-of-scope
    # class), a few rows among few, a small split.
    beside_one = rare_in_validation_warning(
        split(400, *[15] * 161), split(40, *[1, 2] * 80, 2), [str(i) for i in range(162)], carved=False,
        fraction=0.1,
    )  # fmt: skip
    assert beside_one == []
    # ... while a few rare labels beside one common label still are (an imbalanced task's).
    imbalanced = rare_in_validation_warning(
        split(1460, 40, 40, 40, 40), split(146, 4, 4, 4, 4), list("abcde"), carved=False, fraction=0.1
    )
    assert imbalanced and "'b' 4, 'c' 4, 'd' 4, 'e' 4, against a median of 146" in imbalanced[0]
    equal = split(*[3] * 150)
    # Every label few, and fewer labels than MANY_LABELS_HELD (8 survey themes of 4 validation rows each:
    # training failed with "no median for empty data", an HR analyst's trial).
    assert (
        rare_in_validation_warning(
            split(*[36] * 8), split(*[4] * 8), names + ["h"], carved=True, fraction=0.1
        )
        == []
    )
    assert (
        rare_in_validation_warning(equal, equal, [str(i) for i in range(150)], carved=True, fraction=0.1)
        == []
    )
    assert (
        rare_in_validation_warning(split(300, 80), split(30, 8), ["a", "b"], carved=True, fraction=0.1) == []
    )
    assert (
        rare_in_validation_warning(split(200, 20), split(20, 2), ["a", "b"], carved=True, fraction=0.1) == []
    )


def test_letters_an_ascii_export_lost_are_warned_of_and_questions_and_addresses_are_not():
    from array import array

    from attncli.data_warnings import lost_letters_warning
    from attncli.splits import Split

    lost = ["R?sum? of Jos? M?ller", "caf? na?ve", "the se?or won"] + ["plain words here"] * 97
    warning = lost_letters_warning(Split(texts=lost, labels=array("q", [0] * 100)))
    assert len(warning) == 1 and warning[0].startswith(
        "warning: 3 of the training texts hold a ? between letters ('R?sum?', 'M?ller', 'na?ve'), as a file "
        "saved in ASCII writes each letter it cannot hold (Windows PowerShell 5.1 does by default)"
    )
    # Questions, web addresses, and a typo in a few texts of many are no lost letters.
    fine = ["Is it over? yes", "see example.com/page?id=3", "what?now", "why?so", "how?come"] + ["x"] * 995
    assert lost_letters_warning(Split(texts=fine, labels=array("q", [0] * 1000))) == []
    # Text that holds letters beyond ASCII and Windows-1252 was not written by such an export (Chinese
    # writes ? so); an ANSI export's ASCII texts are looked at, its texts that keep é are not (a
    # review: French chat, `Quoi?Non` beside `Très bien`, was said to have lost letters).
    chinese = ["你好吗?我很好", "caf\u00e9 r?sum?"] * 100
    assert lost_letters_warning(Split(texts=chinese, labels=array("q", [0] * 200))) == []
    ansi = ["Wroc?aw", "Bia?ystok", "Gda?sk now", "Très bien"] + ["plain"] * 96
    assert lost_letters_warning(Split(texts=ansi, labels=array("q", [0] * 100)))
    french = ["Quoi?Non, très bien", "ok?merci à demain", "Très?bien"] + ["Très bien"] * 97
    assert lost_letters_warning(Split(texts=french, labels=array("q", [0] * 100))) == []
    # ... nor were ASCII texts beside such texts (a moderator's chat, `wait?what` among Arabic posts).
    mixed = ["wait?what", "u ok?lol", "srsly?no"] * 10 + ["مرحبا بك"] + ["x"] * 69
    assert lost_letters_warning(Split(texts=mixed, labels=array("q", [0] * 100))) == []


def test_base64_blocks_of_raw_email_are_warned_of_and_long_words_are_not():
    """A spam analyst's raw messages trained a vocabulary two thirds of whose pieces came only from
    their attachments' base64 (a trial)."""
    import base64
    import os
    from array import array
    from email.message import EmailMessage

    from attncli.data_warnings import encoded_blocks_warning
    from attncli.splits import Split

    message = EmailMessage()
    message["Subject"] = "invoice"
    message.set_content("please find the invoice attached")
    message.add_attachment(os.urandom(3000), maintype="application", subtype="pdf", filename="a.pdf")
    raw = message.as_bytes().decode("ascii")
    warning = encoded_blocks_warning(Split(texts=[raw, "lunch at noon"], labels=array("q", [0, 1])))
    assert len(warning) == 1 and warning[0].startswith(
        "warning: 1 of the training texts hold blocks of base64 (such as '"
    )
    assert (
        "which train as words; decode each message's text parts and leave out its attachments first"
        in warning[0]
    )
    # One long token alone (a hash, a web address) is no block.
    token = base64.b64encode(os.urandom(60)).decode()
    fine = [f"see {token} for details", f"https://example.com/{'a' * 80}\nthanks"]
    # Nor lines of one case, or of hex: a DNA or protein sequence, digests (a review).
    fine += ["ACGT" * 16 + "\n" + "TTGA" * 15, "MKVLAAGIVGLLLAQ" * 5 + "\n" + "QWERTYKLMNPSTVW" * 4]
    fine += ["0123456789abcdef" * 4 + "\n" + "fedcba9876543210" * 4]
    assert encoded_blocks_warning(Split(texts=fine, labels=array("q", [0] * len(fine)))) == []
