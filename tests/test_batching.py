import random

import torch

from attncli.batching import plan_batches


def test_plan_batches_covers_every_row_once_and_groups_lengths():
    lengths = torch.tensor([random.Random(0).randint(1, 100) for _ in range(1000)])
    plan = plan_batches(lengths, batch_size=10, generator=torch.Generator().manual_seed(1))
    batches = list(plan)
    assert len(plan) == len(batches) == 100
    assert sorted(torch.cat(batches).tolist()) == list(range(1000))
    assert all(len(batch) == 10 for batch in batches)
    spread = sum(int(lengths[b].max() - lengths[b].min()) for b in batches) / len(batches)
    assert spread < 10  # random batches would spread about 80
    again = list(plan_batches(lengths, batch_size=10, generator=torch.Generator().manual_seed(1)))
    other = list(plan_batches(lengths, batch_size=10, generator=torch.Generator().manual_seed(2)))
    assert all(torch.equal(a, b) for a, b in zip(batches, again, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(batches, other, strict=True))


def test_plan_batches_keeps_a_short_last_batch():
    lengths = torch.arange(1, 1206)  # 1,205 rows: 24 pools of 50 batches would need 1,200
    plan = plan_batches(lengths, batch_size=5, generator=torch.Generator().manual_seed(0))
    sizes = sorted(len(batch) for batch in plan)
    assert len(plan) == 241 and sizes[0] == 5 and sum(sizes) == 1205
    lengths = torch.arange(1, 1203)
    sizes = sorted(len(batch) for batch in plan_batches(lengths, batch_size=5, generator=torch.Generator()))
    assert sizes[0] == 2 and sizes[1] == 5 and sum(sizes) == 1202
