"""What `attn inspect` computes: the prediction for each text and a weight for each of its tokens,
from one of several views of the model's attention, each summing to 1 over the text's real tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from attncli.checkpoint import LoadedCheckpoint
from attncli.errors import AttnError
from attncli.inference import MAX_BATCH_TOKENS, forward_batches
from attncli.model_config import ModelConfig
from attncli.prediction import calibrated_probabilities, check_texts, no_label_reason
from attncli.records import Record, carried_fields
from attncli.tokenization import Encoded, encode
from attncli.tokenizer import UNK_TOKEN, readable_text

if TYPE_CHECKING:
    import torch

    from attncli.model.classifier import ModelOutput

# Texts a batch may hold: short texts go many at a time; long ones are held to a budget of padded
# positions, a smaller one where every layer's weights (B, H, T, T) are kept: 100 BBC articles with
# rollout took 0.63 s at 2,048 positions a batch, 0.81 at 1,024 and 0.92 at 4,096 (alone: 0.83 s;
# medians of 5, one process, AMD EPYC), and 200 headlines 0.014 s against 0.098 s alone.
INSPECT_BATCH_SIZE = 64
ATTENTION_BATCH_TOKENS = 2048


class InspectError(AttnError):
    """The view asked for does not exist in this model."""

    exit_code = 2


@dataclass(frozen=True)
class TokenWeight:
    token: str
    start: int
    end: int
    weight: float
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
    text: str
    label: str
    score: float
    view: str
    """What the weights are, in words (for example "attention pooling weights")."""
    tokens: list[TokenWeight]
    truncated_tokens: int
    """Tokens past the model's max_length, which it never saw."""

    @staticmethod
    def empty_json(reason: str) -> dict[str, Any]:
        """What --json prints for a record with no text: every key of `to_json`, empty, and why."""
        return {
            "text": None,
            "view": None,
            "label": None,
            "score": None,
            "truncated_tokens": 0,
            "tokens": [],
            "reason": reason,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "view": self.view,
            "label": self.label,
            "score": self.score,
            "truncated_tokens": self.truncated_tokens,
            "tokens": [
                {
                    "token": item.token,
                    "start": item.start,
                    "end": item.end,
                    "weight": item.weight,
                    "unknown": item.unknown,
                }  # fmt: skip
                for item in self.tokens
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


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _normalised(weights: torch.Tensor) -> torch.Tensor:
    return weights / weights.sum()


def received_attention(attention: torch.Tensor, *, head: int | None, offset: int) -> torch.Tensor:
    """attention: (H, T', T') of one text -> (T,): the attention each real token receives, averaged
    over the real tokens' queries (the classification token, at positions < offset, left out)."""
    matrix = attention.mean(0) if head is None else attention[head]  # (T', T')
    return _normalised(matrix[offset:, offset:].mean(0))


def attention_rollout(attentions: list[torch.Tensor], start: torch.Tensor) -> torch.Tensor:
    """attentions: per layer (H, T', T') of one text; start: (T',) how the output reads the last
    layer's positions -> (T',): that reading traced back to the input tokens through every layer,
    each layer's attention averaged over heads and mixed half and half with the residual path
    (Abnar and Zuidema, 2020)."""
    import torch

    rollout = torch.eye(start.numel())
    for attention in attentions:
        mixed = 0.5 * attention.mean(0) + 0.5 * torch.eye(start.numel())  # (T', T')
        rollout = (mixed / mixed.sum(-1, keepdim=True)) @ rollout
    return start @ rollout


def merge_words(encoded: Encoded, weights: list[float], text: str, tokens: list[str]) -> list[TokenWeight]:
    """Subword pieces of the same word merged into one entry whose weight is their sum. A word the
    model read as the unknown token alone stays that token, so the heatmap still marks it unknown;
    a word with the unknown token among other pieces (`café` as `c`, `af`, `[UNK]`) is shown as
    written, with how many of its pieces were unknown."""
    merged: list[TokenWeight] = []
    previous_word = None
    for word, (start, end), weight, token in zip(
        encoded.word_ids, encoded.offsets, weights, tokens, strict=True
    ):
        unknown = int(token == UNK_TOKEN)
        if merged and word == previous_word:
            last = merged[-1]
            pieces, unknown_pieces = last.pieces + 1, last.unknown_pieces + unknown
            shown = UNK_TOKEN if unknown_pieces == pieces else text[last.start : end]
            merged[-1] = TokenWeight(
                shown, last.start, end, last.weight + weight, pieces=pieces, unknown_pieces=unknown_pieces
            )
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


def default_view(config: ModelConfig, *, layer: int | None, pooling: bool) -> bool:
    """Whether to show attention rollout when no view is asked for: yes for a model with
    self-attention layers (its pooling weights are nearly flat, since every position already
    carries the whole text; rollout traces them back to the tokens), unless it pools by max."""
    return layer is None and not pooling and config.layers > 0 and config.pooling != "max"


def default_layer(config: ModelConfig, *, layer: int | None, rollout: bool, pooling: bool) -> int | None:
    """The layer to show when no view is asked for of a model that pools by max (which has no
    weights to roll out from): its last self-attention layer, if it has one."""
    if layer is None and not rollout and not pooling and config.pooling == "max" and config.layers:
        return config.layers
    return layer


def check_view(
    config: ModelConfig, *, layer: int | None, head: int | None, rollout: bool, pooling: bool = False
) -> None:
    """Refuse, with what to do instead, a view this model does not have."""
    if pooling and (layer is not None or rollout):
        raise InspectError("--pooling shows the pooling's own weights; drop --layer/--rollout")
    if pooling and config.pooling not in ("attention", "cls"):
        raise InspectError(
            f"this model pools by {config.pooling}, which has no pooling weights; drop --pooling"
        )
    pooling_view = layer is None and not rollout and config.pooling == "attention"
    # cls pooling's own view is the classification token's attention in the last layer, by head too.
    cls_view = pooling and config.pooling == "cls"
    if head is not None and layer is None and not (pooling_view or cls_view):
        raise InspectError(
            "--head picks a head of one self-attention layer (pass --layer too)"
            + {
                "attention": " or of the attention pooling (pass --pooling)",
                "cls": " or of the classification token's attention (pass --pooling)",
            }.get(config.pooling, "")
        )
    if head is not None and pooling_view and not 1 <= head <= config.pooling_head_count:
        raise InspectError(
            f"--head {head}: the attention pooling has {_counted(config.pooling_head_count, 'head')}, "
            "numbered from 1"
        )
    if head is not None and cls_view and not 1 <= head <= config.num_heads:
        raise InspectError(
            f"--head {head}: the last layer has {_counted(config.num_heads, 'head')}, numbered from 1"
        )
    if (layer is not None or rollout) and config.layers == 0:
        raise InspectError(
            "this model has no self-attention layers (model.num_layers=0); drop --layer/--rollout"
        )
    if layer is not None and rollout:
        raise InspectError("--rollout traces every layer; pass either --layer or --rollout")
    if layer is not None and not 1 <= layer <= config.layers:
        raise InspectError(
            f"--layer {layer}: the model has {_counted(config.layers, 'layer')}, numbered from 1"
        )
    if head is not None and layer is not None and not 1 <= head <= config.num_heads:
        raise InspectError(
            f"--head {head}: each layer has {_counted(config.num_heads, 'head')}, numbered from 1"
        )
    if layer is None and not rollout and config.pooling in ("mean", "max"):
        if not config.layers:
            raise InspectError(
                f"this model pools by {config.pooling} and has no self-attention layers, so no weights "
                "say what it looked at; train with model.pooling=attention to inspect a model"
            )
        views = "--layer N" if config.pooling == "max" else "--layer N or --rollout"
        raise InspectError(
            f"this model pools by {config.pooling}, so no weights say what it pooled; pass {views} to "
            "see its self-attention"
        )
    if rollout and config.pooling == "max":
        raise InspectError(
            "--rollout traces back how much of each token the pooling read, and max pooling reads each "
            "dimension from one token, not a share of every token; use --layer"
        )


def _pooling_reading(config: ModelConfig, pooling_weights: torch.Tensor | None, length: int) -> torch.Tensor:
    """(T',): how the pooling reads the last layer's positions: its weights, the classification
    token alone (position 0), or all positions equally (mean)."""
    import torch

    if config.pooling == "attention":
        assert pooling_weights is not None
        return pooling_weights
    if config.pooling == "cls":
        return torch.nn.functional.one_hot(torch.tensor(0), length).float()
    return torch.full((length,), 1.0 / length)


def _view(
    config: ModelConfig,
    output: ModelOutput,
    row: int,
    length: int,
    *,
    offset: int,
    layer: int | None,
    head: int | None,
    rollout: bool,
) -> tuple[torch.Tensor, torch.Tensor, str]:
    """(logits (num_labels,), weights (T,), what the weights are) for row `row` of a batch's
    output, whose first `length` positions (the classification token's included) are that text's:
    the rest are padding, which no real position attends to."""
    logits = output.logits[row].float().cpu()
    layers = output.attentions or []

    def attention_of(index: int) -> torch.Tensor:  # (H, length, length): one layer's, this text's
        return layers[index][row, :, :length, :length].float().cpu()

    if layer is not None:
        chosen = None if head is None else head - 1
        weights = received_attention(attention_of(layer - 1), head=chosen, offset=offset)
        heads = "heads averaged" if head is None else f"head {head}"
        return logits, weights, f"attention received in layer {layer} ({heads}), averaged over queries"
    pooling_weights = None
    if output.pooling_weights is not None:
        pooling_weights = output.pooling_weights[row, :length].float().cpu()
    if rollout:
        reading = _pooling_reading(config, pooling_weights, length)
        weights = _normalised(
            attention_rollout([attention_of(i) for i in range(len(layers))], reading)[offset:]
        )
        return (
            logits,
            weights,
            f"attention rollout through {config.layers} layer{'s' * (config.layers > 1)} "
            f"from {config.pooling} pooling"
            + (
                " (heads averaged)" if config.pooling == "attention" and config.pooling_head_count > 1 else ""
            ),
        )
    if config.pooling == "cls":
        last = attention_of(len(layers) - 1)
        if head is not None:
            weights = _normalised(last[head - 1, 0, offset:])
            shown = f"head {head} of {config.num_heads}"
        else:
            weights, shown = _normalised(last.mean(0)[0, offset:]), "heads averaged"
        return logits, weights, f"attention from the classification token in the last layer ({shown})"
    assert pooling_weights is not None and output.pooling_head_weights is not None
    count = config.pooling_head_count
    if head is not None:
        weights = output.pooling_head_weights[row, head - 1, :length].float().cpu()
        return logits, weights, f"attention pooling weights of head {head} of {count}"
    # Each head pools its own slice of the states with its own weights: their mean summarises
    # where the model looked, not the weights of any one head (--head shows those).
    averaged = f" ({count} heads averaged)" if count > 1 else ""
    return logits, pooling_weights, f"attention pooling weights{averaged}"


def inspect_text(
    checkpoint: LoadedCheckpoint,
    text: str,
    *,
    layer: int | None = None,
    head: int | None = None,
    rollout: bool | None = None,
    pooling: bool = False,
    words: bool = False,
) -> Inspection:
    """Predict `text` and weigh each of its tokens by one view of the model's attention (see
    `inspect_texts`)."""
    (inspection,) = inspect_texts(
        checkpoint, [text], layer=layer, head=head, rollout=rollout, pooling=pooling, words=words
    )
    return inspection


def inspect_texts(
    checkpoint: LoadedCheckpoint,
    texts: Sequence[str],
    *,
    layer: int | None = None,
    head: int | None = None,
    rollout: bool | None = None,
    pooling: bool = False,
    words: bool = False,
    max_tokens: int | None = None,
) -> list[Inspection]:
    """Predict each text and weigh each of its tokens by one view of the model's attention: by
    default attention rollout from the pooling through every layer (the pooling weights themselves
    for a model without self-attention layers); `pooling` the pooling weights (for cls pooling, the
    classification token's attention in the last layer); `layer`/`head` (1-based) the attention
    each token receives there (by default the last layer's, for a model that pools by max). With
    `words`, subword pieces are merged into words. The texts run through the model in padded
    batches of similar length (about `max_tokens` positions each, by default fewer for views that
    keep every layer's weights), as predict's do: a text's weights are those it gets alone, since
    padding is masked out of every softmax."""
    if isinstance(texts, str):  # a str is a sequence of one-character texts: never what was meant
        raise TypeError("inspect_texts takes a list of texts, not one text; pass it in a list: [text]")
    check_texts(texts)
    readable = [readable_text(text) for text in texts]  # what the tokenizer reads, so spans quote it
    config = checkpoint.config.model
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
    encoded = encode(tokenizer, readable, max_length=config.length)
    inspections: list[Inspection | None] = [None] * len(texts)
    batches = forward_batches(
        checkpoint.model, [item.ids for item in encoded], pad_id=checkpoint.pad_id,
        batch_size=INSPECT_BATCH_SIZE, device=checkpoint.device, max_tokens=max_tokens,
        return_attentions=need_attentions,
    )  # fmt: skip
    for rows, output in batches:
        for position, row in enumerate(rows.tolist()):
            logits, weights, view = _view(
                config, output, position, offset + len(encoded[row].ids), offset=offset, layer=layer,
                head=head, rollout=rollout,
            )  # fmt: skip
            inspections[row] = _inspection(
                checkpoint, readable[row], encoded[row], logits, weights, view, words=words
            )
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
) -> Inspection:
    """One text's prediction and token weights, as inspect shows them."""
    probabilities = calibrated_probabilities(checkpoint, logits)
    best = int(probabilities.argmax())
    token_texts = [checkpoint.tokenizer.id_to_token(token_id) or "" for token_id in encoded.ids]
    weight_list = weights.tolist()
    if words:
        tokens = merge_words(encoded, weight_list, text, token_texts)
        view += ", pieces merged into words"
    else:
        tokens = [
            TokenWeight(token=token, start=start, end=end, weight=weight)
            for token, (start, end), weight in zip(token_texts, encoded.offsets, weight_list, strict=True)
        ]
    return Inspection(
        text=text,
        label=checkpoint.label_names[best],
        score=float(probabilities[best]),
        view=view,
        tokens=tokens,
        truncated_tokens=max(0, encoded.untruncated_length - len(encoded.ids)),
    )
