import torch

from attncli.packing import PackedSequences, pad_batch


def test_pad_batch_right_pads_lists_and_tensors():
    batch = pad_batch([[5, 6, 7], torch.tensor([8], dtype=torch.int32)], pad_id=0)
    assert batch.tolist() == [[5, 6, 7], [8, 0, 0]] and batch.dtype == torch.long


def test_packed_rows_pad_to_what_pad_batch_gives_in_any_order():
    """Training and prediction pad batches of packed sequences in one go; each must be the batch
    pad_batch makes of the same rows one by one (an empty sequence and an empty batch included)."""
    lengths = [3, 0, 5, 1, 4]
    ids = torch.arange(1, sum(lengths) + 1, dtype=torch.int32)
    starts = torch.tensor([0, *torch.tensor(lengths).cumsum(0).tolist()], dtype=torch.int64)
    packed = PackedSequences(ids=ids, starts=starts)
    for rows in ([4, 0, 2], [1], [1, 3], [2, 2, 0, 1, 4, 3]):
        batch = packed.padded(torch.tensor(rows), pad_id=-7)
        expected = pad_batch([packed[row] for row in rows], pad_id=-7)
        assert batch.dtype == torch.long and torch.equal(batch, expected), rows
    assert packed.padded(torch.tensor([4, 0, 2]), pad_id=0)[1].tolist() == [1, 2, 3, 0, 0]
    assert packed.padded(torch.empty(0, dtype=torch.int64), pad_id=0).shape == (0, 0)
    # Sequences in memory (a chunk to predict) pack to the same tensors.
    lists = [packed[row].tolist() for row in range(len(lengths))]
    packed_lists = PackedSequences.of_lists(lists)
    assert torch.equal(packed_lists.ids, ids) and torch.equal(packed_lists.starts, starts)
    assert len(PackedSequences.of_lists([[]])) == 1 and PackedSequences.of_lists([]).ids.numel() == 0
