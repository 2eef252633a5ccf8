"""Proof that each positional encoding carries order: the label says whether token A comes before
token B among random filler tokens. Order-aware encodings learn it with one block; `none` cannot."""

import pytest
import torch
import torch.nn.functional as F

from attncli.model import build_model
from attncli.model.registry import POSITIONAL
from attncli.model_config import ModelConfig

A, B, LENGTH = 13, 14, 12


def order_task(count: int, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids (count, LENGTH), labels): filler ids 3-12 with one A and one B; label 1 if A is first."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(3, 13, (count, LENGTH), generator=generator)
    places = torch.stack([torch.randperm(LENGTH, generator=generator)[:2] for _ in range(count)])
    rows = torch.arange(count)
    ids[rows, places[:, 0]] = A
    ids[rows, places[:, 1]] = B
    return ids, (places[:, 0] < places[:, 1]).long()


def accuracy_after_training(positional: str, *, steps: int = 200, batch: int = 64) -> float:
    # 200 steps: at 120, segment positions reached 93.6% on one thread of an AMD EPYC (99.6% on two).
    torch.manual_seed(0)
    config = ModelConfig(
        embed_dim=32, num_heads=4, ff_dim=64, num_layers=1, max_length=16, positional=positional,
        dropout=0.0, segment_length=8,
    )  # fmt: skip
    model = build_model(config, vocab_size=15, num_labels=2, pad_id=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    ids, labels = order_task(steps * batch, seed=1)
    for start in range(0, steps * batch, batch):
        loss = F.cross_entropy(model(ids[start : start + batch]).logits, labels[start : start + batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    test_ids, test_labels = order_task(1000, seed=2)
    with torch.inference_mode():
        predicted = model.eval()(test_ids).logits.argmax(-1)
    return (predicted == test_labels).float().mean().item()


@pytest.mark.parametrize("positional", [name for name in POSITIONAL if name != "none"])
def test_every_position_aware_encoding_learns_the_order_task(positional):
    assert accuracy_after_training(positional) >= 0.95


def test_without_positions_the_order_task_stays_at_chance():
    assert 0.4 <= accuracy_after_training("none") <= 0.6
