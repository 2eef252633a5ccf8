"""Every kind of positional encoding, attention scoring and pooling, by the name a config uses.
The config's choices are read from here, so a kind exists once it has its class and its entry."""

from __future__ import annotations

from attncli.model.alibi import ALiBiPositionalEncoding
from attncli.model.pooling import AttentionPooling, ClsPooling, MaxPooling, MeanPooling, Pooling
from attncli.model.positional import (
    AttentionPosition,
    EmbeddingPosition,
    LearnedPositionalEncoding,
    NoPositionalEncoding,
    SegmentPositionalEncoding,
    SinusoidalPositionalEncoding,
)
from attncli.model.relative import RelativePositionalEncoding
from attncli.model.rope import RotaryPositionalEncoding
from attncli.model.scoring import SCORING

POSITIONAL: dict[str, type[EmbeddingPosition] | type[AttentionPosition]] = {
    "none": NoPositionalEncoding,
    "sinusoidal": SinusoidalPositionalEncoding,
    "learned": LearnedPositionalEncoding,
    "segment": SegmentPositionalEncoding,
    "relative": RelativePositionalEncoding,
    "rope": RotaryPositionalEncoding,
    "alibi": ALiBiPositionalEncoding,
}
POOLING: dict[str, type[Pooling]] = {
    "attention": AttentionPooling,
    "cls": ClsPooling,
    "mean": MeanPooling,
    "max": MaxPooling,
}

__all__ = ["POOLING", "POSITIONAL", "SCORING"]
