"""tokenizer.strip_html: scraped HTML read as what it shows, and the note for texts that hold it."""

import pytest

from attncli.config import TokenizerConfig
from attncli.errors import ConfigError
from attncli.markup import markup_alone_warning, markup_note, whole_references
from attncli.tokenizer import build_untrained_tokenizer


def _normalised(text: str, *, strip_html: bool = True) -> str:
    tokenizer, _ = build_untrained_tokenizer(TokenizerConfig(strip_html=strip_html))
    return tokenizer.normalizer.normalize_str(text)


def test_tags_read_as_spaces_and_references_as_their_characters():
    assert _normalised("Great <i>film</i>!<br /><br />It&#39;s &amp; &quot;fun&quot;&nbsp;&rsquo;") == (
        'great  film !  it\'s & "fun" ’'
    )
    # Attributes, quoted values holding '>', comments; tags whose name is not a letter are text.
    assert _normalised("<a href=\"x>y\" class='z'>link</a><!-- a -- b -->ok") == " link  ok"
    assert _normalised("i <3 it, a < b and c > d, x<-y, 1<2") == "i <3 it, a < b and c > d, x<-y, 1<2"
    # A page saved whole: its declaration, its scripts and styles (code, not text) go, in any case.
    page = '<!DOCTYPE html><head><style>p{x:y}</style><SCRIPT type="t">if (a<b) f();</script></head>Good'
    assert _normalised(page).split() == ["good"]
    assert _normalised('<?xml version="1.0"?><r>ok</r>').split() == ["ok"]
    assert _normalised("<script>never closed, so a tag").split() == ["never", "closed,", "so", "a", "tag"]
    # References read after the other steps are read as those steps read the character typed
    # (NFKC's three dots, lowercase, accents where stripped); `&amp;` is read once, last.
    assert _normalised("caf&eacute; &hellip; &trade; &rsquo;") == "café ... tm ’"
    assert _normalised("&amp;lt; &amp;nbsp; &amp;eacute; &amp;amp; &amp;#38;") == (
        "&lt; &nbsp; &eacute; &amp; &#38;"
    )
    stripped, _ = build_untrained_tokenizer(TokenizerConfig(strip_html=True, strip_accents=True))
    assert stripped.normalizer.normalize_str("&eacute;cole caf&eacute;") == "ecole cafe"
    # Off (the default), markup is read as written.
    assert _normalised("<br />&amp;", strip_html=False) == "<br />&amp;"


def test_the_tokenizer_of_another_is_not_stripped():
    with pytest.raises(ConfigError, match="tokenizer.strip_html shapes a tokenizer attn trains"):
        TokenizerConfig(strip_html=True, path="tokenizer.json")


def test_texts_holding_markup_get_a_note_naming_its_commonest_forms():
    texts = ["good film<br /><br />really", "bad &amp; boring", "fine", "ok <i>x</i>"] + ["plain"] * 16
    assert markup_note(texts) == (
        "note: 3 of the 20 training texts hold HTML markup (<br />, &amp;, <i>), which is read as words; "
        "--set tokenizer.strip_html=true reads each tag as a space and each character reference (&amp;, "
        "&#39;, &nbsp;, &#233;) as its character, where the markup does not tell the labels apart"
    )
    # References by number are counted (the setting reads them); a name outside its list may be text.
    assert (markup_note(["caf&#233; au lait"] * 10) or "").startswith("note: 10 of the 10 training texts")
    assert markup_note(["R&Dept; costs"] * 10) is None
    # Under 5% of the texts: a stray reference is not worth a setting; nor is text that only looks so.
    assert markup_note(["a &amp; b"] + ["plain"] * 20) is None
    assert markup_note(["i <3 you", "a < b > c", "R&D; costs"] * 5) is None
    assert markup_note([]) is None
    # Many texts: evenly spaced ones are read, and the share is said as such.
    many = ["x<br>y", "plain"] * 5000
    assert (markup_note(many) or "").startswith(
        "note: about 50% of the 10,000 training texts hold HTML markup (<br>)"
    )


def test_a_references_token_spans_the_whole_reference_unless_markup_is_read_as_words():
    text = "a &amp; b"
    # Stripped: `&` is the token, its span the reference's last character as the normaliser gives it.
    assert whole_references(text, [(0, 1), (6, 7), (8, 9)]) == [(0, 1), (2, 7), (8, 9)]
    # Read as words: `&`, `amp` and `;` are tokens of their own, each keeping its span.
    as_words = [(0, 1), (2, 3), (3, 6), (6, 7), (8, 9)]
    assert whole_references(text, as_words) == as_words
    assert whole_references("x; y", [(0, 1), (1, 2), (3, 4)]) == [(0, 1), (1, 2), (3, 4)]
    # A word that starts with one (`&eacute;cole` is one token, école), and tokens that share one
    # character (NFKC's three dots of &hellip;'s).
    assert whole_references("&eacute;cole", [(7, 12)]) == [(0, 12)]
    # A reference the setting leaves is read as words: its `;` keeps its span, also where truncation
    # cut the tokens before it (`&`, `#`, `233`), and the same in capitals where it is read.
    assert whole_references("&#233; word", [(5, 6), (7, 11)]) == [(5, 6), (7, 11)]
    assert whole_references("&AMP; b", [(4, 5), (6, 7)]) == [(0, 5), (6, 7)]
    assert whole_references("wait&hellip;", [(0, 4), (11, 12), (11, 12), (11, 12)]) == [
        (0, 4), (4, 12), (4, 12), (4, 12),
    ]  # fmt: skip


def test_every_reference_a_browser_reads_is_read_as_its_character_and_its_token_spans_it_whole():
    """A scraped French page's `l&#233;gislatives` was `l`, `&`, `#`, `233`, `;`, `gislatives`: only
    the references of a fixed list were read (a trial). Now every one a browser reads is, by number
    in either base or by any of HTML's names, read in Python before the tokenizer with the offsets
    kept; the tokens a reference is read into span it whole in the heatmap."""
    from attncli.markup import read_references, reads_references
    from attncli.tokenization import encode, token_ids
    from attncli.tokenizer import train_tokenizer, unknown_id_of

    def ids(texts: list[str]) -> list[list[int]]:
        return [read for read, _ in token_ids(tokenizer, texts, max_length=16)]

    texts = ["<p>Les élections législatives</p>", "caf\u00e9 naïve", "l’économie"] * 3
    tokenizer = train_tokenizer(texts, TokenizerConfig(kind="word", min_frequency=1, strip_html=True))
    assert reads_references(tokenizer)
    spellings = [
        "<p>Les élections législatives</p>",
        "<p>Les &eacute;lections l&eacute;gislatives</p>",
        "<p>Les &#233;lections l&#233;gislatives</p>",
        "<p>Les &#xE9;lections l&#XE9;gislatives</p>",
        "<p>Les &#x00e9;lections l&#0233;gislatives</p>",
    ]
    (known,) = ids(spellings[:1])
    assert ids(spellings) == [known] * len(spellings)
    unknown = unknown_id_of(tokenizer)
    assert unknown not in known  # every word is in the vocabulary
    assert ids(["caf&#233; na&iuml;ve l&#x2019;&eacute;conomie"]) == ids(["café naïve l’économie"])
    (shown,) = encode(tokenizer, ["caf&#233; na&iuml;ve"], max_length=16, truncation="head")
    assert list(shown.offsets) == [(0, 9), (10, 20)]  # `caf&#233;`, not `caf&`
    # As a browser shows them: `&#38;` and `&amp;` are `&` for what follows them to stay as written,
    # `&#60;b&#62;` is text, not a tag, and a number past Unicode is the replacement character.
    read = tokenizer.normalizer.normalize_str(
        read_references("&#38;eacute; &amp;lt; &#60;b&#62; &#99999999;")
    )
    assert read == "&eacute; &lt; <b> \ufffd"
    assert read_references("&amplt;b&ampgt;") == "&amplt;b&ampgt;"  # HTML's legacy `&amp` prefix: an `&` read
    # Read the same length as written, so every offset still points into the text as written.
    assert len(read_references("caf&#233; &iuml;")) == len("caf&#233; &iuml;")
    # A tokenizer trained before attn read them (its normaliser lacks the filler's step) is given
    # the text as written, and reads it as it was trained to.
    import json

    from tokenizers import Tokenizer

    data = json.loads(tokenizer.to_str())
    data["normalizer"]["normalizers"] = [
        step
        for step in data["normalizer"]["normalizers"]
        if "\ufdd0" not in json.dumps(step, ensure_ascii=False)
    ]
    earlier = Tokenizer.from_str(json.dumps(data))
    assert not reads_references(earlier)
    ((read_earlier, _),) = token_ids(earlier, ["l&#233;gislatives"], max_length=16)
    assert unknown in read_earlier


def test_the_fast_reader_of_ascii_text_reads_markup_as_the_whole_tokenizer_does():
    from attncli.ascii_reader import ascii_reader
    from attncli.markup import strips_markup
    from attncli.tokenizer import train_tokenizer

    texts = [
        "Great <i>film</i>!<br /><br />It&#39;s &amp; more&hellip; &rsquo;ok&rsquo; caf&eacute; &amp;lt;",
        "&eacute;cole &nbsp;&trade; <a href='x>y'>link</a> a < b &#233; x<br/>y",
        "<!DOCTYPE html><style>p{x:y}</style><script>var a=1;</script><p>Good &amp;lt; film</p>",
    ]
    for kind in ("word", "wordpiece"):
        tokenizer = train_tokenizer(texts * 3, TokenizerConfig(kind=kind, min_frequency=1, strip_html=True))
        reader = ascii_reader(tokenizer)
        assert reader is not None and strips_markup(tokenizer)
        for text in texts:
            whole, fast = tokenizer.encode(text), reader.encode(text)
            assert (fast.ids, fast.offsets) == (whole.ids, whole.offsets)
    plain = train_tokenizer(texts, TokenizerConfig(kind="word", min_frequency=1))
    assert not strips_markup(plain)


def test_training_texts_of_markup_alone_are_warned_of_with_the_setting():
    """A trial's scraped reviews held `<br /><br />` labelled positive and `&nbsp;` negative: read
    as no text, each trains as the unknown token, where predict gives such a text no label."""
    texts = ["<br /><br />", "good film", " &nbsp; ", "<i></i>", "a &amp; b", "<3", "x <br> y"]
    assert markup_alone_warning(texts) == (
        "warning: 3 of the 7 training texts hold nothing but HTML markup (such as '<br /><br />'), which "
        "tokenizer.strip_html reads as no text: each trains as the unknown token with its label, where "
        "predict gives such a text no label; remove them from the data (--drop-invalid leaves them in: it "
        "reads the texts as written, before the tokenizer)"
    )
    assert markup_alone_warning(["good film", "a &amp; b"]) is None
