"""Multi-head self-attention with padding masked out, scored by any scoring kind and reached into
by an attention-level positional encoding. Two paths compute the same function: torch's fused
`scaled_dot_product_attention` (for dot and scaled-dot scoring, biases passed as a float mask) and
the explicit softmax(scores + bias) V, which also returns the weights."""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from attncli.model.positional import AttentionPosition
from attncli.model.scoring import Scoring


def shape_free_kernels(device: torch.device) -> contextlib.AbstractContextManager:
    """On a CUDA device, scaled_dot_product_attention without cuDNN's kernel. For bf16 and fp16
    torch may take it, and it builds an execution plan for each new shape of its inputs; attn pads
    each batch to its longest text, so nearly every batch of a first epoch is a new shape. On an
    H200, configs/bbc.yaml then trained for 16.7-24.0 s in bf16 against 3.1-3.3 s in fp32, and 4.3 s
    in bf16 without it (docs/gpu.md). The flash and memory-efficient kernels need no plan. Scoped to
    attn's own attention, so that a program loading a checkpoint keeps its own choice elsewhere."""
    if device.type != "cuda":
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def attention_mask(key_mask: torch.Tensor, bias: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor:
    """key_mask: (B, 1, 1, T) True for real keys; bias: (H, T, T), (B, H, T, T) or None ->
    the boolean mask itself, or the bias with -inf at padded keys (B, H, T, T). A bias the same for
    every text (ALiBi's) stays (1, H, T, T) in a batch without padding (long texts all cut at
    max_length, in prediction and validation; training batches hold outlier texts, padded): a
    (B, H, T, T) copy of it took 537 MB at 8 x 2,048 tokens, and a fifth more time in a forward and
    backward."""
    if bias is None:
        return key_mask
    if bias.dim() == 3 and bool(key_mask.all()):
        return bias.to(dtype)[None]
    if bias.dim() == 4:  # the batch's own, made for this call (relative positions'): masked in place
        return bias.to(dtype).masked_fill_(~key_mask, float("-inf"))
    return bias.to(dtype).masked_fill(~key_mask, float("-inf"))


class MultiHeadSelfAttention(nn.Module):
    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        *,
        scoring: Scoring,
        position: AttentionPosition | None = None,
        dropout: float = 0.0,
        impl: str = "fused",
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.dropout = dropout
        self.scoring = scoring
        self.position = position
        # Fused wherever the scoring allows, unless the explicit path was asked for.
        self.fused = impl == "fused" and scoring.fused_scale is not None
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.out = nn.Linear(embed_dim, embed_dim)

    def forward(
        self, x: torch.Tensor, padding_mask: torch.Tensor, *, need_weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x: (B, T, D), padding_mask: (B, T) True for real tokens -> (B, T, D), and with
        need_weights the attention weights (B, H, T, T) (rows: queries, columns: keys)."""
        batch, length, width = x.shape
        head_dim = width // self.num_heads
        qkv = self.qkv(x).view(batch, length, 3, self.num_heads, head_dim)  # (B, T, 3, H, hd)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, H, T, hd)
        bias = None
        if self.position is not None:
            q, k = self.position.rotate(q, k)
            bias = self.position.bias(q)
        key_mask = padding_mask[:, None, None, :]  # (B, 1, 1, T)
        dropout_p = self.dropout if self.training else 0.0
        weights = None
        if self.fused and not need_weights:
            mask = attention_mask(key_mask, bias, q.dtype)
            with shape_free_kernels(q.device):
                attended = F.scaled_dot_product_attention(
                    q, k, v, attn_mask=mask, dropout_p=dropout_p, scale=self.scoring.fused_scale
                )  # (B, H, T, hd)
        else:
            scores = self.scoring(q, k).float()  # (B, H, T, T); softmax in fp32 under autocast
            if bias is not None:
                scores = scores + bias.float()
            weights = torch.softmax(scores.masked_fill(~key_mask, float("-inf")), dim=-1)
            attended = F.dropout(weights, p=dropout_p, training=dropout_p > 0).to(v.dtype) @ v
        attended = attended.transpose(1, 2).reshape(batch, length, width)  # (B, T, D)
        return self.out(attended), weights
