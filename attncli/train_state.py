"""Everything a training run needs to continue, as one object: model, optimizer, schedule, grad
scaler, every random generator, and where the run stands. `state_dict()` splits it into tensors
(for safetensors) and plain values (for JSON), so resuming never unpickles anything."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from attncli.history import EpochRecord

if TYPE_CHECKING:
    import torch

    from attncli.model import AttentionClassifier
    from attncli.optimizer import AdamW, WarmupDecaySchedule


@dataclass
class TrainState:
    model: AttentionClassifier
    optimizer: AdamW
    scheduler: WarmupDecaySchedule
    scaler: torch.amp.GradScaler
    generator: torch.Generator
    """Draws each epoch's batch plan."""
    epoch: int = 1
    """The epoch in progress (1-based)."""
    step: int = 0
    """Batches of `epoch` already trained."""
    global_step: int = 0
    epoch_generator_state: torch.Tensor | None = None
    """`generator`'s state before it planned `epoch`, so a resumed run plans the same batches."""
    loss_sum: torch.Tensor | None = None
    """Sum of the per-text training loss over the batches of `epoch` so far."""
    tokens_seen: int = 0
    padded_tokens: int = 0
    """Positions in this epoch's padded batches, padding included."""
    epoch_seconds: float = 0.0
    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0
    best_key: tuple[float, float] | None = None
    """(validation macro-F1, -validation loss) of the best epoch: higher is better."""
    epochs_without_improvement: int = 0
    """Epochs since the one that last restarted the patience (`fit.record_score`)."""
    progress_key: tuple[float, float] | None = None
    """(validation macro-F1, -validation loss) of the epoch that last restarted the patience."""
    wrapped: torch.nn.Module | None = None
    """The model wrapped in DistributedDataParallel under torchrun (not saved: rebuilt on resume)."""

    @property
    def forward_model(self) -> torch.nn.Module:
        """What training steps call: the DDP wrapper, which averages gradients, or the model."""
        return self.wrapped if self.wrapped is not None else self.model

    def state_dict(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """(tensors, plain values) that `load_state_dict` turns back into this state. The model's
        weights are saved apart, as the checkpoint's model.safetensors."""
        import torch

        tensors, optimizer_values = _flatten_optimizer(self.optimizer.state_dict())
        tensors["rng.torch"] = torch.get_rng_state()
        device = next(self.model.parameters()).device
        if device.type == "cuda":  # only the device this process trains on
            tensors["rng.cuda"] = torch.cuda.get_rng_state(device)
        tensors["rng.batches"] = self.generator.get_state()
        if self.epoch_generator_state is not None:
            tensors["rng.epoch_batches"] = self.epoch_generator_state
        if self.loss_sum is not None:
            tensors["epoch.loss_sum"] = self.loss_sum.detach().cpu()
        values = {
            "epoch": self.epoch,
            "step": self.step,
            "global_step": self.global_step,
            "tokens_seen": self.tokens_seen,
            "padded_tokens": self.padded_tokens,
            "epoch_seconds": self.epoch_seconds,
            "history": [asdict(record) for record in self.history],
            "best_epoch": self.best_epoch,
            "best_key": list(self.best_key) if self.best_key is not None else None,
            "epochs_without_improvement": self.epochs_without_improvement,
            "progress_key": list(self.progress_key) if self.progress_key is not None else None,
            "optimizer": optimizer_values,
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
        }
        return tensors, values

    def load_state_dict(self, tensors: dict[str, torch.Tensor], values: dict[str, Any]) -> None:
        import torch

        self.optimizer.load_state_dict(_unflatten_optimizer(tensors, values["optimizer"]))
        self.scheduler.load_state_dict(values["scheduler"])
        if values["scaler"]:
            self.scaler.load_state_dict(values["scaler"])
        torch.set_rng_state(tensors["rng.torch"])
        device = next(self.model.parameters()).device
        if "rng.cuda" in tensors and device.type == "cuda":
            torch.cuda.set_rng_state(tensors["rng.cuda"], device)
        self.generator.set_state(tensors["rng.batches"])
        self.epoch_generator_state = tensors.get("rng.epoch_batches")
        self.loss_sum = tensors["epoch.loss_sum"].to(device) if "epoch.loss_sum" in tensors else None
        self.epoch, self.step = _count(values, "epoch"), _count(values, "step")
        self.global_step, self.tokens_seen = _count(values, "global_step"), _count(values, "tokens_seen")
        self.epoch_seconds = float(values["epoch_seconds"])
        self.padded_tokens = int(values.get("padded_tokens", 0))
        self.history = [EpochRecord.from_json(record) for record in values["history"]]
        self.best_epoch = _count(values, "best_epoch")
        key = values["best_key"]
        self.best_key = (float(key[0]), float(key[1])) if key is not None else None
        self.epochs_without_improvement = _count(values, "epochs_without_improvement")
        # A run saved before the patience looked past falls of the loss too small to count (attn
        # 0.2.0 and earlier) had counted from its best epoch.
        mark = values.get("progress_key", key)
        self.progress_key = (float(mark[0]), float(mark[1])) if mark is not None else None


def _count(values: dict[str, Any], name: str) -> int:
    """A saved count: a whole number of at least 0 (a step of -5 trained on as if nothing were amiss)."""
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"its {name} is {value!r}, not a count")
    return value


def _flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """torch's optimizer state_dict as tensors named `optimizer.<param>.<name>` plus JSON values."""
    import torch

    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, values in state["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{name}"] = value.detach().cpu()
            else:
                scalars.setdefault(str(index), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], values: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, tensor in tensors.items():
        if key.startswith("optimizer."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = tensor
    for index, scalars in values["scalars"].items():
        state.setdefault(int(index), {}).update(scalars)
    groups = [
        {**group, **({"betas": tuple(group["betas"])} if "betas" in group else {})}
        for group in values["param_groups"]
    ]
    return {"state": state, "param_groups": groups}
