"""What `attn predict` computes: label probabilities for texts, and the top-k labels of each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from attncli.checkpoint import LoadedCheckpoint
from attncli.errors import DataError
from attncli.inference import batched_forward
from attncli.tokenizer import pack_ids

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Prediction:
    text: str
    label: str
    score: float
    top_k: list[tuple[str, float]]

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "label": self.label,
            "score": self.score,
            "top_k": [{"label": label, "score": score} for label, score in self.top_k],
        }


def check_texts(texts: Sequence[str]) -> None:
    if not texts:
        raise DataError("no text to predict; pass TEXT arguments, --file, or lines on standard input")
    for position, text in enumerate(texts, start=1):
        if not text.strip():
            raise DataError(f"text {position} is empty; give every text at least one word")


def predict_probabilities(
    checkpoint: LoadedCheckpoint, texts: Sequence[str], *, batch_size: int = 64
) -> torch.Tensor:
    """Softmax probabilities, shape (len(texts), num_labels), in the order of `texts`."""
    sequences = pack_ids(checkpoint.tokenizer, texts, max_length=checkpoint.config.model.max_length)
    logits = batched_forward(
        checkpoint.model,
        sequences,
        pad_id=checkpoint.pad_id,
        batch_size=batch_size,
        device=checkpoint.device,
    )
    return logits.softmax(-1)


def predict(
    checkpoint: LoadedCheckpoint, texts: Sequence[str], *, top_k: int = 3, batch_size: int = 64
) -> list[Prediction]:
    check_texts(texts)
    if top_k < 1:
        raise DataError(f"--top-k must be at least 1, not {top_k}")
    probabilities = predict_probabilities(checkpoint, texts, batch_size=batch_size)
    k = min(top_k, len(checkpoint.label_names))
    scores, indices = probabilities.topk(k, dim=-1)
    predictions = []
    for text, row_scores, row_indices in zip(texts, scores.tolist(), indices.tolist(), strict=True):
        ranked = [
            (checkpoint.label_names[index], score)
            for index, score in zip(row_indices, row_scores, strict=True)
        ]
        predictions.append(Prediction(text=text, label=ranked[0][0], score=ranked[0][1], top_k=ranked))
    return predictions
