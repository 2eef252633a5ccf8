"""AdamW and its learning-rate schedule, as a training run steps and saves them.

torch.optim.AdamW's update is used as it is (torch's functional `adamw`: its fused kernel where the
run asks for it, its loop over tensors otherwise), without the `torch.optim.Optimizer` around it:
that class imports `torch._dynamo` when it is built and on its first step, which takes about 2 s on
the machines this project runs on, a sixth of a whole `attn train` on a few thousand headlines. The
state dicts keep torch's layout (AdamW's and LambdaLR's), so runs saved by earlier versions of attn,
which used torch's classes, resume here, and the other way round.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

BETAS = (0.9, 0.999)
EPS = 1e-8
HYPERPARAMETERS = ("lr", "initial_lr", "betas", "eps", "weight_decay")
"""What a saved parameter group sets on resume."""


def learning_rate_factor(step: int, *, total_steps: int, warmup_steps: int) -> float:
    """Multiplier of the peak rate at `step` (0-based): linear warmup to 1, then linear decay to 0."""
    if warmup_steps and step < warmup_steps:
        return (step + 1) / warmup_steps
    remaining = total_steps - warmup_steps
    return max(0.0, (total_steps - step) / remaining) if remaining > 0 else 1.0


class AdamW:
    """AdamW over parameter groups (`{"params": [...], "weight_decay": w}`), as torch.optim.AdamW
    with amsgrad, maximize, capturable and differentiable off. `fused` takes torch's fused kernel
    (CUDA, and the CPU from torch 2.4)."""

    def __init__(self, groups: Iterable[dict[str, Any]], *, lr: float, fused: bool) -> None:
        self.fused = fused
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            params = list(group["params"])
            self.param_groups.append(
                {
                    "lr": lr,
                    "betas": BETAS,
                    "eps": EPS,
                    "weight_decay": group.get("weight_decay", 1e-2),
                    "amsgrad": False,
                    "maximize": False,
                    "foreach": None,
                    "capturable": False,
                    "differentiable": False,
                    "fused": fused,
                    "decoupled_weight_decay": True,
                    "params": params,
                }
            )
        self.state: dict[torch.Tensor, dict[str, torch.Tensor]] = {}

    @property
    def parameters(self) -> list[torch.Tensor]:
        return [param for group in self.param_groups for param in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters:
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.detach_().zero_()

    def step(self) -> None:
        import torch
        from torch.optim.adamw import adamw

        with torch.no_grad():
            for group in self.param_groups:
                params = [param for param in group["params"] if param.grad is not None]
                if not params:
                    continue
                states = [self._state_of(param) for param in params]
                beta1, beta2 = group["betas"]
                adamw(
                    params,
                    [param.grad for param in params],
                    [state["exp_avg"] for state in states],
                    [state["exp_avg_sq"] for state in states],
                    [],
                    [state["step"] for state in states],
                    foreach=None,
                    fused=self.fused,
                    amsgrad=False,
                    beta1=beta1,
                    beta2=beta2,
                    lr=group["lr"],
                    weight_decay=group["weight_decay"],
                    eps=group["eps"],
                    maximize=False,
                )

    def _state_of(self, param: torch.Tensor) -> dict[str, torch.Tensor]:
        """The parameter's moments and step count, made at its first update as torch makes them:
        the count on the parameter's device for the fused kernel, on the CPU for the loop."""
        import torch

        state = self.state.get(param)
        if state is None:
            step_device = param.device if self.fused else torch.device("cpu")
            state = {
                "step": torch.zeros((), dtype=torch.float32, device=step_device),
                "exp_avg": torch.zeros_like(param, memory_format=torch.preserve_format),
                "exp_avg_sq": torch.zeros_like(param, memory_format=torch.preserve_format),
            }
            self.state[param] = state
        return state

    def state_dict(self) -> dict[str, Any]:
        """torch.optim.AdamW's layout: state by parameter index, groups with indices for params."""
        indices = {id(param): index for index, param in enumerate(self.parameters)}
        return {
            "state": {indices[id(param)]: dict(state) for param, state in self.state.items()},
            "param_groups": [
                {**group, "params": [indices[id(param)] for param in group["params"]]}
                for group in self.param_groups
            ],
        }

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """A state from `state_dict`, or from torch.optim.AdamW's (attn before this class): the
        moments and counts go to each parameter's device and dtype, the groups' rates and decay
        come from the saved run, and so does the kernel where this torch has it: the fused kernel
        and the loop round differently, and a parameter whose gradient is only rounding noise (the
        pooling keys' bias, to which the softmax is blind) gets Adam's full step in the noise's
        direction, so a run that changed kernel halfway would end measurably elsewhere."""
        import torch

        groups = saved["param_groups"]
        sizes = [len(group["params"]) for group in groups]
        if sizes != [len(group["params"]) for group in self.param_groups]:
            raise ValueError("the saved optimizer state has other parameter groups than this model")
        self.fused = self.fused and all(group.get("fused") for group in groups)
        for group, own in zip(groups, self.param_groups, strict=True):
            own.update({key: _rate(key, group[key]) for key in HYPERPARAMETERS if key in group})
            own["betas"], own["fused"] = tuple(own["betas"]), self.fused
        parameters = self.parameters
        self.state = {}
        for index, values in saved["state"].items():
            param = parameters[_parameter_index(index, len(parameters))]
            state: dict[str, torch.Tensor] = {}
            _require_moments(index, values, param)
            for name, value in values.items():
                if name == "step":
                    value = torch.as_tensor(value, dtype=torch.float32)
                    state[name] = value.to(param.device) if self.fused else value.cpu()
                else:
                    state[name] = value.to(dtype=param.dtype, device=param.device)
            self.state[param] = state


# What AdamW keeps for each parameter: its step count and the two moments, each of the parameter's
# shape. The fused kernel writes a moment in place without checking its size: one of another shape,
# from a damaged or doctored file, overran its buffer and crashed the process (a segfault).
MOMENTS = ("exp_avg", "exp_avg_sq")


def _is_amount(number: Any) -> bool:
    """Whether `number` is a finite number of at least 0 (not true or false)."""
    return not isinstance(number, bool) and isinstance(number, (int, float)) and 0 <= number < math.inf


def _rate(name: str, value: Any) -> Any:
    """A saved hyperparameter: a finite number of at least 0 (betas: a pair of them)."""
    numbers = value if name == "betas" and isinstance(value, (list, tuple)) and len(value) == 2 else [value]
    if not all(map(_is_amount, numbers)):
        raise ValueError(f"the saved optimizer's {name} is {value!r}, not a rate")
    return value


def _parameter_index(index: Any, count: int) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, str)) or not str(index).isdigit():
        raise ValueError(f"the saved optimizer state names parameter {index!r}")
    if int(index) >= count:
        raise ValueError(f"the saved optimizer state names parameter {index}, and the model has {count}")
    return int(index)


def _require_moments(index: Any, values: dict[str, Any], param: torch.Tensor) -> None:
    """A parameter's saved state: a finite step count of at least 0 and both moments, floating-point
    tensors of the parameter's shape, and nothing else."""
    import torch

    if set(values) != {"step", *MOMENTS}:
        raise ValueError(
            f"the saved optimizer state of parameter {index} holds {', '.join(sorted(values)) or 'nothing'} "
            f"where AdamW keeps step, {', '.join(MOMENTS)}"
        )
    step = values["step"]
    count = step.item() if isinstance(step, torch.Tensor) and step.numel() == 1 else step
    if not _is_amount(count):
        raise ValueError(f"the saved optimizer step of parameter {index} is {count!r}, not a count")
    for name in MOMENTS:
        moment = values[name]
        if not isinstance(moment, torch.Tensor) or not moment.is_floating_point():
            kind = moment.dtype if isinstance(moment, torch.Tensor) else type(moment).__name__
            raise ValueError(f"the saved optimizer {name} of parameter {index} is {kind}, not floating point")
        if moment.shape != param.shape:
            raise ValueError(
                f"the saved optimizer {name} of parameter {index} has shape {tuple(moment.shape)}, where the "
                f"parameter's is {tuple(param.shape)}"
            )


class WarmupDecaySchedule:
    """Sets each group's rate to its peak (`initial_lr`) times `factor(step)`, as torch's LambdaLR
    does, and saves and loads LambdaLR's state dict."""

    def __init__(self, optimizer: AdamW, factor: Callable[[int], float]) -> None:
        self.optimizer, self.factor = optimizer, factor
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0  # LambdaLR's name: the steps taken
        self._last_lr: list[float] = []
        self._set_rates()

    def step(self) -> None:
        self.last_epoch += 1
        self._set_rates()

    def _set_rates(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = base * self.factor(self.last_epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {
            "base_lrs": list(self.base_lrs),
            "last_epoch": self.last_epoch,
            "_step_count": self.last_epoch + 1,
            "_is_initial": False,
            "_get_lr_called_within_step": False,
            "_last_lr": list(self._last_lr),
            "lr_lambdas": [None] * len(self.base_lrs),
        }

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """The rates themselves come back with the optimizer's groups, as with LambdaLR."""
        self.base_lrs = [float(rate) for rate in saved["base_lrs"]]
        self.last_epoch = int(saved["last_epoch"])
        self._last_lr = [float(rate) for rate in saved["_last_lr"]]
