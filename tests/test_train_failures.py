"""What a failed run keeps and says, and which failures are another process gone."""


def test_only_a_lost_peer_is_blamed_on_another_process():
    """Under torchrun a collective whose other process is gone raises a plain RuntimeError from gloo;
    this process's own failures (out of memory, a bug) must be reported as they are."""
    import torch

    from attncli.train_failures import peer_lost

    assert peer_lost(
        RuntimeError("[../gloo/transport/tcp/pair.cc:553] Connection closed by peer [127.0.0.1]:1")
    )
    assert peer_lost(RuntimeError("Read error [127.0.0.1]:1190: Connection reset by peer"))
    assert not peer_lost(
        torch.cuda.OutOfMemoryError("CUDA out of memory")
    )  # torch 2.3 has no torch.OutOfMemoryError
    assert not peer_lost(RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 5x6)"))
