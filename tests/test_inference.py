import torch

from attncli.config import ModelConfig
from attncli.inference import batched_forward
from attncli.model import build_model


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
