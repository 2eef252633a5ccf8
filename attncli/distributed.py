"""Training on several processes with PyTorch distributed (torchrun, DistributedDataParallel):
which process this is, and the few collective operations the run needs. With one process every
operation is a no-op, so the training code reads the same either way."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from attncli.config import ONE_GPU
from attncli.errors import ConfigError

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0 trains the tokenizer, writes checkpoints and logs, and prints."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """`tensor` summed over every process, in place."""
        if self.active:
            import torch.distributed as dist

            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def all_reduce_max(self, tensor: torch.Tensor) -> torch.Tensor:
        if self.active:
            import torch.distributed as dist

            dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return tensor

    def broadcast_text(self, text: str | None, *, device: torch.device) -> str:
        """Rank 0's `text` on every process, sent as bytes in a tensor (nothing is pickled)."""
        if not self.active:
            assert text is not None
            return text
        import torch
        import torch.distributed as dist

        data = (text or "").encode("utf-8")
        size = torch.tensor([len(data)], dtype=torch.long, device=device)
        dist.broadcast(size, src=0)
        buffer = torch.zeros(int(size.item()), dtype=torch.uint8, device=device)
        if self.is_main:
            buffer.copy_(torch.frombuffer(bytearray(data), dtype=torch.uint8))
        dist.broadcast(buffer, src=0)
        return bytes(buffer.cpu().tolist()).decode("utf-8")

    def broadcast_tensors(self, tensors: Iterable[torch.Tensor]) -> None:
        """Rank 0's values of `tensors` (the same shapes on every process) copied into each, in place."""
        if not self.active:
            return
        import torch.distributed as dist

        for tensor in tensors:
            dist.broadcast(tensor, src=0)

    def gather(self, tensor: torch.Tensor, *, device: torch.device) -> list[torch.Tensor]:
        """Every process's `tensor` (the same shape and type on each), on the CPU, by rank."""
        if not self.active:
            return [tensor.cpu()]
        import torch.distributed as dist

        local = tensor.to(device)  # nccl gathers GPU tensors only
        gathered = [local.new_empty(local.shape) for _ in range(self.world_size)]
        dist.all_gather(gathered, local)
        return [item.cpu() for item in gathered]

    def agree(self, ok: bool, *, device: torch.device) -> bool:
        """True only when every process says ok (for example, that its step went well)."""
        if not self.active:
            return ok
        import torch

        flag = torch.tensor([0 if ok else 1], device=device)
        return int(self.all_reduce_max(flag).item()) == 0

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()


SINGLE_PROCESS = Distributed()


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def require_no_gpu_number(device: str, named_by: str, remedy: str) -> None:
    """Each process of a distributed run takes the GPU of its local rank: a device that names one
    GPU (cuda:1) cannot be every process's, and was silently replaced by the local rank's."""
    if ONE_GPU.fullmatch(device):
        raise ConfigError(
            f"{named_by} is {device}, one GPU, but each training process takes a GPU of its own "
            f"(process N takes cuda:N); {remedy}"
        )


def require_a_gpu_each(processes: int, remedy: Callable[[int], str]) -> None:
    """nccl takes one GPU a process: more processes than this machine's GPUs is an error, which
    ends with `remedy(gpus)`, what to do in the words of the command that started them."""
    import torch

    gpus = torch.cuda.device_count()
    if processes > gpus:
        raise ConfigError(
            f"{processes} training processes on CUDA need a GPU each, and this machine has {gpus}: "
            f"{remedy(gpus)}"
        )


def init_distributed(device_type: str) -> Distributed:
    """Join the process group torchrun set up (nccl on GPUs, gloo on the CPU); one process alone
    gets the no-op default."""
    if not launched_by_torchrun():
        return SINGLE_PROCESS
    import torch
    import torch.distributed as dist

    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device_type == "cuda":
        # Checked before any process joins the group, where a process given a GPU number past the last
        # failed in CUDA's words and the others waited for it. `attn train --nproc` checks it before it
        # starts them; under torchrun itself whichever process fails first may be the one that speaks.
        require_a_gpu_each(
            int(os.environ.get("LOCAL_WORLD_SIZE", world_size)),
            lambda gpus: f"start {gpus} or fewer on each machine (torchrun --nproc-per-node {gpus})",
        )
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return Distributed(rank=rank, world_size=world_size, local_rank=local_rank)


def shutdown(distributed: Distributed) -> None:
    if distributed.active:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
