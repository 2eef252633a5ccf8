"""What `attn inspect` computes: the prediction for each text and a weight for each of its tokens,
from one of several views of the model's attention, each summing to 1 over the text's real tokens."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from attncli.attention_views import view_of_row
from attncli.checkpoint import LoadedCheckpoint, require_loaded
from attncli.decimals import float32_list
from attncli.errors import ArgumentError
from attncli.inference import MAX_BATCH_TOKENS, forward_batches
from attncli.prediction import (
    calibrated_probabilities,
    check_texts,
    no_label_reason,
    require_min_score,
    texts_in_order,
    whole_number,
)
from attncli.records import Record, carried_fields, text_of
from attncli.tokenization import Encoded, encode, ideographs_only
from attncli.tokenizer import UNK_TOKEN, readable_text
from attncli.view_choice import WORDS_VIEW, check_view, default_layer, default_view

if TYPE_CHECKING:
    import torch

# Texts a batch may hold: short texts go many at a time; long ones are held to a budget of padded
# positions, a smaller one where every layer's weights (B, H, T, T) are kept: 100 BBC articles with
# rollout took 0.63 s at 2,048 positions a batch, 0.81 at 1,024 and 0.92 at 4,096 (alone: 0.83 s;
# medians of 5, one process, AMD EPYC), and 200 headlines 0.014 s against 0.098 s alone.
INSPECT_BATCH_SIZE = 64
ATTENTION_BATCH_TOKENS = 2048


@dataclass(frozen=True)
class TokenWeight:
    """One token the model read (or, with `words`, one word of its pieces) and its attention weight."""

    token: str
    """The token as the vocabulary has it (`##ing`, `[UNK]`); a merged word's text as written."""
    start: int
    """Where it begins in the inspected text (a character index into `Inspection.text`)."""
    end: int
    """Where it ends (exclusive): `text[start:end]` is what it covers, nothing for a stand-in token."""
    weight: float
    """Its share of the view's weights, which sum to 1 over a text's tokens."""
    pieces: int = 1
    """How many of the model's tokens this entry is (more than 1 for a word merged from pieces)."""
    unknown_pieces: int = 0
    """How many of those the model read as the unknown token."""

    @property
    def unknown(self) -> bool:
        """Whether the model read this token, or any piece of this word, as the unknown token."""
        return self.token == UNK_TOKEN or self.unknown_pieces > 0


@dataclass(frozen=True)
class Inspection:
    """One text's prediction and the attention weights of its tokens, as `attn inspect` shows them."""

    text: str
    """The text as given (a lone surrogate, which no output can hold, as U+FFFD), which spans index."""
    label: str
    """The predicted label."""
    score: float
    """Its calibrated probability."""
    view: str
    """What the weights are, in words (for example "attention pooling weights")."""
    tokens: list[TokenWeight]
    truncated_tokens: int
    """Tokens beyond the model's max_length (those model.truncation leaves out), which it never saw."""
    probabilities: dict[str, float] = field(default_factory=dict)
    """Every label's calibrated probability, in the model's label order (the heatmap's weights say
    where the model looked, not for which label: these say how the labels stood)."""
    cut: tuple[int, int] | None = None
    """The characters of `text` the model never saw, between the tokens it read before the cut and
    those after (model.truncation: the text's end for head, its start for tail, its middle for
    head+tail); None where it read every token."""

    @property
    def reads_nothing(self) -> bool:
        """Whether the tokenizer read no token in the text (tokenizer.strip_html's `<br /><br />`), so
        that the model read the stand-in unknown token alone, which covers no characters."""
        return len(self.tokens) == 1 and self.tokens[0].end <= self.tokens[0].start

    def __repr__(self) -> str:
        # An article's every token made 31,500 characters in a notebook.
        text = self.text if len(self.text) <= 60 else f"{self.text[:59]}…"
        return (
            f"Inspection(text={text!r}, label={self.label!r}, score={self.score:.4f}, view={self.view!r}, "
            f"tokens={len(self.tokens)})"
        )

    @staticmethod
    def empty_json(reason: str) -> dict[str, Any]:
        """What --json prints for a record with no text: every key of `to_json`, empty, and why."""
        return {
            "text": None,
            "view": None,
            "label": None,
            "score": None,
            "probabilities": None,
            "truncated_tokens": 0,
            "cut": None,
            "tokens": [],
            "reason": reason,
        }

    def to_json(self) -> dict[str, Any]:
        # The score and weights as the shortest decimals of their float32 values (a word's weight, a
        # sum of its pieces', rounded to float32 first), not a double's 17 digits of them.
        score, *weights = float32_list([self.score, *(item.weight for item in self.tokens)])
        labels, chances = list(self.probabilities), float32_list(list(self.probabilities.values()))
        probabilities = dict(zip(labels, chances, strict=True))
        return {
            "text": self.text,
            "view": self.view,
            "label": self.label,
            "score": score,
            "probabilities": probabilities,
            "truncated_tokens": self.truncated_tokens,
            "cut": list(self.cut) if self.cut is not None else None,
            "tokens": [
                {
                    "token": item.token,
                    "start": item.start,
                    "end": item.end,
                    "weight": weight,
                    "unknown": item.unknown,
                    "pieces": item.pieces,
                    "unknown_pieces": item.unknown_pieces,
                }  # fmt: skip
                for item, weight in zip(self.tokens, weights, strict=True)
            ],
        }


def record_json(record: Record, inspection: Inspection | None, *, text_column: str | None) -> dict[str, Any]:
    """One input record's line of `inspect --json`, as predict's: its index, its text (which the tokens'
    offsets index), the inspection (or why there is none), and the row's other columns, so the line
    joins back to its row."""
    body = inspection.to_json() if inspection is not None else Inspection.empty_json(no_label_reason(record))
    row = {"index": record.index, **body}
    if inspection is None:
        row["text"] = record.text
    if record.fields:
        row["fields"] = carried_fields(record.fields, record.text, text_column)
    return row


def merge_words(encoded: Encoded, weights: list[float], text: str, tokens: list[str]) -> list[TokenWeight]:
    """Subword pieces of the same word merged into one entry whose weight is their sum. A word the
    model read as the unknown token alone stays that token, so the heatmap still marks it unknown;
    a word with the unknown token among other pieces (`café` as `c`, `af`, `[UNK]`) is shown as
    written, with how many of its pieces were unknown. Tokens that share a character with the entry
    before are part of it too: NFKC made several words of one character ("ﷺ" is four, all unknown),
    which were listed as four entries of the same character. A piece of ideographs alone stays an
    entry of its own: a tokenizer that reads a run of them whole (BPE, unigram) learnt its pieces above
    the characters, which are the words a reader sees, where the run is a whole clause."""
    merged: list[TokenWeight] = []
    previous_word = None
    for word, (start, end), weight, token in zip(
        encoded.word_ids, encoded.offsets, weights, tokens, strict=True
    ):
        unknown = int(token == UNK_TOKEN)
        same_word = word == previous_word and not ideographs_only(text[start:end])
        if merged and (same_word or start < merged[-1].end):
            piece = TokenWeight(token, start, end, weight, unknown_pieces=unknown)
            merged[-1] = _joined(merged[-1], piece, text)
        else:
            merged.append(
                TokenWeight(
                    token if end == start or unknown else text[start:end],
                    start,
                    end,
                    weight,
                    unknown_pieces=unknown,
                )  # fmt: skip
            )
        previous_word = word
    return merged


def merge_shared_characters(tokens: list[TokenWeight], text: str) -> list[TokenWeight]:
    """Tokens that share a character of `text` with the entry before joined into one entry, for a
    heatmap, which colours each character once: NFKC writes some characters as several (Thai's
    SARA AM, in ทำ and น้ำ, as NIKHAHIT and SARA AA; "½" as three), and the pieces after the first
    showed a weight with no text of their own, as often as the character occurs. So is a token that
    begins with a combining mark, right after the entry before: a subword tokenizer may make a
    Devanagari or Tamil vowel sign a piece of its own (`डिल` `ी`), which drawn alone sat on no
    letter (a trial's Hindi heatmap led its top tokens with a bare `ं`)."""
    merged: list[TokenWeight] = []
    for item in tokens:
        if merged and (item.start < merged[-1].end or _continues_entry(item, merged[-1], text)):
            merged[-1] = _joined(merged[-1], item, text)
        else:
            merged.append(item)
    return merged


def _continues_entry(item: TokenWeight, before: TokenWeight, text: str) -> bool:
    """Whether `item` starts with a combining mark right where the entry `before` ends."""
    return (
        item.start == before.end > before.start
        and item.start < len(text)
        and unicodedata.category(text[item.start]).startswith("M")
    )


def _joined(first: TokenWeight, then: TokenWeight, text: str) -> TokenWeight:
    """One entry of two: their weights summed, their span the text they cover together, written
    as the text has it (the unknown token where every piece of both was unknown)."""
    pieces, unknown_pieces = first.pieces + then.pieces, _unknown_pieces(first) + _unknown_pieces(then)
    end = max(first.end, then.end)
    shown = UNK_TOKEN if unknown_pieces == pieces else text[first.start : end]
    return TokenWeight(shown, first.start, end, first.weight + then.weight, pieces, unknown_pieces)


def _unknown_pieces(item: TokenWeight) -> int:
    """How many of an entry's pieces the model read as the unknown token (a token view's entry
    counts none: its token says it)."""
    return item.pieces if item.token == UNK_TOKEN else item.unknown_pieces


def inspect_text(
    checkpoint: LoadedCheckpoint,
    text: str,
    *,
    layer: int | None = None,
    head: int | None = None,
    rollout: bool | None = None,
    pooling: bool = False,
    words: bool = False,
    thresholds: Mapping[str, float] | None = None,
    min_score: float | None = None,
    fallback: str | None = None,
) -> Inspection:
    """Predict `text` and weigh each of its tokens by one view of the model's attention (see
    `inspect_texts`)."""
    require_loaded(checkpoint, "inspect_text")
    if not isinstance(text, (str, bytes, bytearray)):  # UTF-8 bytes are their text, as predict reads them
        # A list given here was told "inspect_texts takes a list of texts, and each item given is a
        # list", and None "text 0 (counting from 0) is NoneType": of a function it was not given to,
        # and of a text 0 it does not number (a service engineer's trial).
        raise ArgumentError(
            f"inspect_text takes one text, a str, not {type(text).__name__}; inspect_texts takes a list "
            "of texts"
        )
    (inspection,) = inspect_texts(
        checkpoint, [text], layer=layer, head=head, rollout=rollout, pooling=pooling, words=words,
        thresholds=thresholds, min_score=min_score, fallback=fallback,
    )  # fmt: skip
    return inspection


def inspect_texts(
    checkpoint: LoadedCheckpoint,
    texts: Iterable[str],
    *,
    layer: int | None = None,
    head: int | None = None,
    rollout: bool | None = None,
    pooling: bool = False,
    words: bool = False,
    max_tokens: int | None = None,
    thresholds: Mapping[str, float] | None = None,
    min_score: float | None = None,
    fallback: str | None = None,
) -> list[Inspection]:
    """Predict each text and weigh each of its tokens by one view of the model's attention: by
    default attention rollout from the pooling through every layer (the pooling weights themselves
    for a model without self-attention layers); `pooling` the pooling weights (for cls pooling, the
    classification token's attention in the last layer); `layer`/`head` (1-based) the attention
    each token receives there (by default the last layer's, for a model that pools by max). With
    `words`, subword pieces are merged into words. The texts run through the model in padded
    batches of similar length (about `max_tokens` positions each, by default fewer for views that
    keep every layer's weights), as predict's do: a text's weights are those it gets alone, since
    padding is masked out of every softmax. `thresholds` ({label: probability}) decide the label
    shown as predict's do (thresholds.decide), and so do `min_score` with `fallback` (the label shown
    where the best label's probability is below `min_score`: both or neither, since inspect shows a
    label for every text)."""
    from attncli.thresholds import require_paired_fallback, resolve_fallback, resolve_thresholds

    require_loaded(checkpoint, "inspect_texts")
    by_index = resolve_thresholds(thresholds, checkpoint.label_names)
    min_score = require_min_score(min_score)
    require_paired_fallback(min_score, fallback, by_index, command="inspect", verb="shown")
    otherwise = resolve_fallback(fallback, checkpoint.label_names)
    # UTF-8 bytes are their text, as predict reads them (inspect refused what predict labelled).
    texts = [
        read if isinstance(text, (bytes, bytearray)) and (read := text_of(text)) is not None else text
        for text in texts_in_order(texts, "inspect_texts")
    ]
    check_texts(texts)
    readable = [readable_text(text) for text in texts]  # what the tokenizer reads, so spans quote it
    config = checkpoint.config.model
    # Whole numbers, as top_k's are: layer=1.0 was "list indices must be integers", head="2" a
    # comparison of int and str, and layer=True was taken for layer 1.
    layer = None if layer is None else whole_number("layer", layer)
    head = None if head is None else whole_number("head", head)
    if rollout is None:
        rollout = default_view(config, layer=layer, pooling=pooling)
    layer = default_layer(config, layer=layer, rollout=rollout, pooling=pooling)
    check_view(config, layer=layer, head=head, rollout=rollout, pooling=pooling)
    cls_view = config.pooling == "cls" and layer is None and not rollout
    need_attentions = layer is not None or rollout or cls_view
    if max_tokens is None:
        max_tokens = ATTENTION_BATCH_TOKENS if need_attentions else MAX_BATCH_TOKENS
    offset = int(checkpoint.model.has_cls_token)  # the classification token's position, when present
    tokenizer = checkpoint.tokenizer
    encoded = encode(tokenizer, readable, max_length=config.length, truncation=config.truncation)
    inspections: list[Inspection | None] = [None] * len(texts)
    batches = forward_batches(
        checkpoint.model, [item.ids for item in encoded], pad_id=checkpoint.pad_id,
        batch_size=INSPECT_BATCH_SIZE, device=checkpoint.device, max_tokens=max_tokens,
        return_attentions=need_attentions,
    )  # fmt: skip
    for rows, output in batches:
        for position, row in enumerate(rows.tolist()):
            logits, weights, view = view_of_row(
                config, output, position, offset + len(encoded[row].ids), offset=offset, layer=layer,
                head=head, rollout=rollout,
            )  # fmt: skip
            inspections[row] = _inspection(
                checkpoint, readable[row], encoded[row], logits, weights, view, words=words,
                thresholds=by_index, min_score=min_score, fallback=otherwise,
            )  # fmt: skip
    assert all(inspection is not None for inspection in inspections)  # every row is in one batch
    return inspections  # type: ignore[return-value]


def _inspection(
    checkpoint: LoadedCheckpoint,
    text: str,
    encoded: Encoded,
    logits: torch.Tensor,
    weights: torch.Tensor,
    view: str,
    *,
    words: bool,
    thresholds: dict[int, float],
    min_score: float | None = None,
    fallback: int | None = None,
) -> Inspection:
    """One text's prediction and token weights, as inspect shows them."""
    from attncli.thresholds import decide, decided_with_fallback

    probabilities = calibrated_probabilities(checkpoint, logits)
    batch = probabilities[None]  # decide takes rows
    best = int(decided_with_fallback(decide(batch, thresholds), batch, min_score, fallback)[0])
    token_texts = [checkpoint.tokenizer.id_to_token(token_id) or "" for token_id in encoded.ids]
    weight_list = weights.tolist()
    if words:
        tokens = merge_words(encoded, weight_list, text, token_texts)
        view += WORDS_VIEW
    else:
        tokens = [
            TokenWeight(
                token=token, start=start, end=end, weight=weight, unknown_pieces=int(token == UNK_TOKEN)
            )
            for token, (start, end), weight in zip(token_texts, encoded.offsets, weight_list, strict=True)
        ]
    return Inspection(
        text=text,
        label=checkpoint.label_names[best],
        score=float(probabilities[best]),
        view=view,
        tokens=tokens,
        truncated_tokens=max(0, encoded.untruncated_length - len(encoded.ids)),
        probabilities=dict(zip(checkpoint.label_names, probabilities.tolist(), strict=True)),
        cut=encoded.cut,
    )
