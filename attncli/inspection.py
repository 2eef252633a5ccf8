"""What `attn inspect` computes: the prediction for one text and the pooling weight of each token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from attncli.checkpoint import LoadedCheckpoint
from attncli.inference import batched_forward
from attncli.prediction import check_texts
from attncli.tokenizer import encode, pad_id_of


@dataclass(frozen=True)
class TokenWeight:
    token: str
    start: int
    end: int
    weight: float


@dataclass(frozen=True)
class Inspection:
    text: str
    label: str
    score: float
    tokens: list[TokenWeight]
    truncated_tokens: int
    """Tokens past the model's max_length, which it never saw."""

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "score": self.score,
            "tokens": [
                {"token": item.token, "start": item.start, "end": item.end, "weight": item.weight}
                for item in self.tokens
            ],
        }


def inspect_text(checkpoint: LoadedCheckpoint, text: str) -> Inspection:
    """Predict `text` and return the weight the attention pooling gave each of its tokens."""
    check_texts([text])
    tokenizer = checkpoint.tokenizer
    (encoded,) = encode(tokenizer, [text], max_length=checkpoint.config.model.max_length)
    logits, weights = batched_forward(
        checkpoint.model,
        [encoded.ids],
        pad_id=pad_id_of(tokenizer),
        batch_size=1,
        device=checkpoint.device,
        return_attention=True,
    )
    probabilities = logits[0].softmax(-1)
    best = int(probabilities.argmax())
    tokens = [
        TokenWeight(token=tokenizer.id_to_token(token_id) or "", start=start, end=end, weight=weight)
        for token_id, (start, end), weight in zip(
            encoded.ids, encoded.offsets, weights[0].tolist(), strict=True
        )
    ]
    return Inspection(
        text=text,
        label=checkpoint.label_names[best],
        score=float(probabilities[best]),
        tokens=tokens,
        truncated_tokens=max(0, encoded.untruncated_length - len(encoded.ids)),
    )
