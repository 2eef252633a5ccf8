"""The classifier: embeddings + positions -> self-attention blocks -> attention pooling -> logits."""

from __future__ import annotations

import math

import torch
from torch import nn

from attncli.config import ModelConfig
from attncli.model.dropout import Dropout
from attncli.model.encoder import EncoderBlock
from attncli.model.pooling import AttentionPooling
from attncli.model.positional import build_positional_encoding


class AttentionClassifier(nn.Module):
    def __init__(self, config: ModelConfig, *, vocab_size: int, num_labels: int, pad_id: int) -> None:
        super().__init__()
        self.config = config
        self.pad_id = pad_id
        self.token_embedding = nn.Embedding(vocab_size, config.embed_dim, padding_idx=pad_id)
        self.positional = build_positional_encoding(
            config.positional, embed_dim=config.embed_dim, max_length=config.max_length
        )
        self.embedding_dropout = Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            EncoderBlock(
                config.embed_dim,
                config.num_heads,
                config.ff_dim,
                dropout=config.dropout,
                attention_dropout=config.attention_dropout,
                attention_impl=config.attention_impl,
            )
            for _ in range(config.num_layers)
        )
        self.norm = nn.LayerNorm(config.embed_dim)
        self.pooling = AttentionPooling(config.embed_dim, scoring=config.pooling)
        self.head_dropout = Dropout(config.dropout)
        self.head = nn.Linear(config.embed_dim, num_labels)

    def forward(
        self, input_ids: torch.Tensor, *, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """input_ids: (B, T) -> logits (B, num_labels); with return_attention also the pooling
        weights (B, T), which sum to 1 over each row's real tokens and are 0 on padding."""
        if input_ids.size(1) > self.config.max_length:
            raise ValueError(
                f"input has {input_ids.size(1)} tokens; the model takes {self.config.max_length}"
            )
        padding_mask = input_ids != self.pad_id  # (B, T) True for real tokens
        # Scaling by sqrt(D) puts embeddings (std 1/sqrt(D) at init) on the scale of the positions.
        x = self.token_embedding(input_ids) * math.sqrt(self.config.embed_dim)  # (B, T, D)
        x = self.embedding_dropout(self.positional(x))
        for block in self.blocks:
            x = block(x, padding_mask)
        pooled, weights = self.pooling(self.norm(x), padding_mask)  # (B, D), (B, T)
        logits = self.head(self.head_dropout(pooled))
        return (logits, weights) if return_attention else logits


def build_model(config: ModelConfig, *, vocab_size: int, num_labels: int, pad_id: int) -> AttentionClassifier:
    model = AttentionClassifier(config, vocab_size=vocab_size, num_labels=num_labels, pad_id=pad_id)
    nn.init.normal_(model.token_embedding.weight, std=1.0 / math.sqrt(config.embed_dim))
    with torch.no_grad():
        model.token_embedding.weight[pad_id].zero_()
    return model
