"""The classifier: token embeddings + positions -> self-attention blocks -> pooling -> logits."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from attncli.errors import ConfigError
from attncli.model.attention import MultiHeadSelfAttention
from attncli.model.dropout import Dropout
from attncli.model.encoder import EncoderBlock
from attncli.model.positional import NoPositionalEncoding
from attncli.model.registry import POOLING, POSITIONAL, SCORING
from attncli.model_config import ModelConfig


@dataclass
class ModelOutput:
    logits: torch.Tensor
    """(B, num_labels)."""
    pooling_weights: torch.Tensor | None
    """(B, T): the weight attention pooling gave each input token (0 on padding), averaged over its
    heads; None for other poolings."""
    pooling_head_weights: torch.Tensor | None = None
    """(B, H, T): each pooling head's own weights, which it sums its slice of the states with."""
    attentions: list[torch.Tensor] | None = None
    """Per layer (B, H, T', T'), only when asked for; T' = T + 1 when the model prepends a
    classification token (at position 0)."""


class AttentionClassifier(nn.Module):
    def __init__(
        self,
        config: ModelConfig,
        *,
        vocab_size: int,
        num_labels: int,
        pad_id: int,
        token_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.pad_id = pad_id
        width = config.width
        token_dim = token_dim or width
        self.token_embedding = nn.Embedding(vocab_size, token_dim, padding_idx=pad_id)
        # Pretrained vectors of another width are projected to the model's.
        self.embedding_projection = nn.Linear(token_dim, width, bias=False) if token_dim != width else None
        pooling_kind = POOLING[config.pooling]
        self.has_cls_token = pooling_kind.uses_cls_token
        self.cls_embedding = (
            nn.Parameter(torch.randn(width) / math.sqrt(width)) if self.has_cls_token else None
        )
        positions = config.length + int(self.has_cls_token)
        position_kind = POSITIONAL[config.positional]
        in_attention = position_kind.acts_in_attention
        self.positional = (
            NoPositionalEncoding(config, max_length=positions)
            if in_attention
            else position_kind(config, max_length=positions)
        )
        self.embedding_dropout = Dropout(config.dropout_rate)
        head_dim = width // config.num_heads
        self.blocks = nn.ModuleList(
            EncoderBlock(
                MultiHeadSelfAttention(
                    width,
                    config.num_heads,
                    scoring=SCORING[config.attention](config.num_heads, head_dim),
                    position=position_kind(config, max_length=positions) if in_attention else None,  # type: ignore[arg-type]
                    dropout=config.attention_dropout,
                    impl=config.attention_impl,
                ),
                embed_dim=width,
                ff_dim=config.ff_dim,
                dropout=config.dropout_rate,
            )
            for _ in range(config.layers)
        )
        self.norm = nn.LayerNorm(width)
        self.pooling = pooling_kind(config)
        self.head_dropout = Dropout(config.dropout_rate)
        self.head = nn.Linear(width, num_labels)

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        """input_ids: (B, T) -> token embeddings (B, T, D), before positions."""
        # Scaling by sqrt of the width puts embeddings (std 1/sqrt(width) at init) on the scale of
        # the positions.
        x = self.token_embedding(input_ids) * math.sqrt(self.token_embedding.embedding_dim)
        return self.embedding_projection(x) if self.embedding_projection is not None else x

    def forward(
        self,
        input_ids: torch.Tensor,
        *,
        return_attentions: bool = False,
        embedding_shift: torch.Tensor | None = None,
    ) -> ModelOutput:
        """input_ids: (B, T) -> logits (B, num_labels), the pooling weights, and with
        return_attentions every layer's attention weights (computed by the explicit path).
        embedding_shift (B, T, D) is added to the token embeddings: adversarial training's move."""
        if input_ids.size(1) > self.config.length:
            raise ValueError(f"input has {input_ids.size(1)} tokens; the model takes {self.config.length}")
        padding_mask = input_ids != self.pad_id  # (B, T) True for real tokens
        x = self.embed(input_ids)  # (B, T, D)
        if embedding_shift is not None:
            x = x + embedding_shift.to(x.dtype)
        if self.cls_embedding is not None:
            cls = self.cls_embedding.to(x.dtype).expand(x.size(0), 1, -1)  # (B, 1, D)
            x = torch.cat([cls, x], dim=1)  # (B, T + 1, D)
            padding_mask = torch.cat([padding_mask.new_ones(x.size(0), 1), padding_mask], dim=1)
        x = self.embedding_dropout(self.positional(x))
        attentions = []
        for block in self.blocks:
            x, weights = block(x, padding_mask, need_weights=return_attentions)
            attentions.append(weights)
        pooled, head_weights = self.pooling(self.norm(x), padding_mask)  # (B, D), (B, H, T) or None
        logits = self.head(self.head_dropout(pooled))
        return ModelOutput(
            logits=logits,
            pooling_weights=head_weights.mean(dim=1) if head_weights is not None else None,
            pooling_head_weights=head_weights,
            attentions=attentions if return_attentions else None,  # type: ignore[arg-type]
        )


def require_heads_divide_width(config: ModelConfig) -> None:
    """Refuse heads that do not divide the width, counting only those the model uses: the config
    leaves num_heads unchecked where the layers are still to be sized, or are none."""
    uses = [("num_heads", config.num_heads)] if config.layers > 0 else []
    if config.pooling == "attention":
        named = "pooling_heads" if config.pooling_heads is not None else "num_heads"
        uses.append((named, config.pooling_head_count))
    for name, heads in uses:
        if config.width % heads:
            raise ConfigError(f"model.embed_dim ({config.width}) must be divisible by model.{name} ({heads})")


def build_model(
    config: ModelConfig,
    *,
    vocab_size: int,
    num_labels: int,
    pad_id: int,
    token_dim: int | None = None,
) -> AttentionClassifier:
    """The model of `config`, freshly initialised. `token_dim` is the width of pretrained vectors
    when they differ from `model.embed_dim`."""
    require_heads_divide_width(config)
    model = AttentionClassifier(
        config,
        vocab_size=vocab_size,
        num_labels=num_labels,
        pad_id=pad_id,
        token_dim=token_dim,
    )
    width = model.token_embedding.embedding_dim
    nn.init.normal_(model.token_embedding.weight, std=1.0 / math.sqrt(width))
    with torch.no_grad():
        model.token_embedding.weight[pad_id].zero_()
    return model
