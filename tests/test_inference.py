import torch

from attncli.inference import batched_forward
from attncli.model import build_model
from attncli.model_config import ModelConfig


def test_batched_forward_keeps_order_and_takes_no_texts():
    torch.manual_seed(0)
    model = build_model(
        ModelConfig(embed_dim=8, num_heads=2, max_length=8), vocab_size=20, num_labels=3, pad_id=0
    )
    sequences = [[5, 6, 7], [8], [9, 10]]
    logits = batched_forward(model, sequences, pad_id=0, batch_size=2, device=torch.device("cpu"))
    with torch.inference_mode():
        one_by_one = torch.cat([model.eval()(torch.tensor([ids])).logits for ids in sequences])
    assert torch.allclose(logits, one_by_one, atol=1e-6)
    assert batched_forward(model, [], pad_id=0, batch_size=2, device=torch.device("cpu")).numel() == 0


def test_batches_keep_to_the_token_budget_and_hold_every_row_once():
    import torch

    from attncli.inference import token_budget_batches

    lengths = torch.tensor([400, 5, 12, 400, 7, 3000, 10, 400])
    batches = token_budget_batches(lengths, batch_size=3, max_tokens=1000)
    rows = [row for batch in batches for row in batch.tolist()]
    assert sorted(rows) == list(range(8))
    assert [lengths[row].item() for row in rows] == sorted(lengths.tolist())  # shortest first
    for batch in batches:
        assert len(batch) <= 3
        assert len(batch) == 1 or len(batch) * lengths[batch].max().item() <= 1000
    assert [len(batch) for batch in batches] == [3, 2, 2, 1]  # 5,7,10 | 12,400 | 400,400 | 3000 alone
