import json
import subprocess
import sys

import pytest
import torch

from attncli.fresh_state import _fused_optimizer
from attncli.optimizer import AdamW, WarmupDecaySchedule, learning_rate_factor
from attncli.train_state import _flatten_optimizer, _unflatten_optimizer

# torch before 2.4 has no fused AdamW kernel on the CPU (attn takes the loop there).
CPU_FUSED = _fused_optimizer(torch.device("cpu"))
FUSED = pytest.param(True, marks=pytest.mark.skipif(not CPU_FUSED, reason="no fused AdamW on the CPU"))
FACTOR = lambda step: learning_rate_factor(step, total_steps=12, warmup_steps=3)  # noqa: E731


def _model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Embedding(20, 8), torch.nn.Linear(8, 3))


def _groups(model: torch.nn.Module) -> list[dict]:
    embedding, linear = model[0], model[1]
    return [
        {"params": [linear.weight], "weight_decay": 0.05},
        {"params": [embedding.weight, linear.bias], "weight_decay": 0.0},
    ]


def _train(model, optimizer, schedule, steps, *, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        ids = torch.randint(0, 20, (4, 5), generator=generator)
        targets = torch.randint(0, 3, (4,), generator=generator)
        loss = torch.nn.functional.cross_entropy(model(ids).mean(1), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()


def _torch_pair(model, *, fused: bool):
    optimizer = torch.optim.AdamW(_groups(model), lr=0.01, fused=fused)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, FACTOR)


def _own_pair(model, *, fused: bool):
    optimizer = AdamW(_groups(model), lr=0.01, fused=fused)
    return optimizer, WarmupDecaySchedule(optimizer, FACTOR)


@pytest.mark.parametrize("fused", [False, FUSED])
def test_the_same_steps_as_torchs_adamw_and_lambda_schedule(fused):
    theirs, ours = _model(), _model()
    _train(theirs, *_torch_pair(theirs, fused=fused), 12, seed=1)
    optimizer, schedule = _own_pair(ours, fused=fused)
    _train(ours, optimizer, schedule, 12, seed=1)
    for (name, expected), got in zip(theirs.state_dict().items(), ours.state_dict().values(), strict=True):
        assert torch.equal(expected, got), name
    assert schedule.get_last_lr() == [0.0, 0.0]  # decayed to zero at the last of 12 steps


def _through_json(optimizer_state: dict, schedule_state: dict) -> tuple[dict, dict]:
    """What a last/ checkpoint keeps: tensors apart (safetensors), the rest as JSON."""
    tensors, values = _flatten_optimizer(optimizer_state)
    tensors = {name: tensor.clone() for name, tensor in tensors.items()}  # as read back from a file
    values, schedule_state = json.loads(json.dumps(values)), json.loads(json.dumps(schedule_state))
    return _unflatten_optimizer(tensors, values), schedule_state


@pytest.mark.parametrize("fused", [False, FUSED])
def test_a_run_saved_with_torchs_adamw_resumes_where_it_would_have_gone(fused):
    """last/ of runs from attn versions that used torch.optim.AdamW and LambdaLR."""
    left_alone = _model()
    optimizer, schedule = _torch_pair(left_alone, fused=fused)
    _train(left_alone, optimizer, schedule, 5, seed=2)
    weights = {name: tensor.clone() for name, tensor in left_alone.state_dict().items()}
    saved = _through_json(optimizer.state_dict(), schedule.state_dict())
    _train(left_alone, optimizer, schedule, 7, seed=3)

    resumed = _model(seed=9)
    resumed.load_state_dict(weights)
    own_optimizer, own_schedule = _own_pair(resumed, fused=fused)
    own_optimizer.load_state_dict(saved[0])
    own_schedule.load_state_dict(saved[1])
    assert own_schedule.last_epoch == 5
    _train(resumed, own_optimizer, own_schedule, 7, seed=3)
    for expected, got in zip(left_alone.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(expected, got)


def test_its_state_loads_into_torchs_adamw_and_back():
    model = _model()
    optimizer, schedule = _own_pair(model, fused=CPU_FUSED)
    _train(model, optimizer, schedule, 4, seed=4)
    optimizer_state, schedule_state = _through_json(optimizer.state_dict(), schedule.state_dict())
    theirs, their_schedule = _torch_pair(model, fused=CPU_FUSED)
    theirs.load_state_dict(optimizer_state)
    their_schedule.load_state_dict(schedule_state)
    assert [group["lr"] for group in theirs.param_groups] == schedule.get_last_lr()
    assert their_schedule.last_epoch == 4
    again, _ = _own_pair(model, fused=CPU_FUSED)
    again.load_state_dict(theirs.state_dict())
    for param in optimizer.parameters:
        for name, tensor in optimizer.state[param].items():
            assert torch.equal(again.state[param][name], tensor), name


def test_a_run_keeps_the_kernel_it_started_with_where_this_torch_has_it():
    """Changing kernel halfway moves the weights whose gradients are rounding noise; a fused state
    resumed where torch has no fused kernel (torch before 2.4 on the CPU) takes the loop."""
    model = _model()
    unfused, _ = _own_pair(model, fused=False)
    _train(model, unfused, WarmupDecaySchedule(unfused, FACTOR), 2, seed=5)
    resumed, _ = _own_pair(model, fused=True)
    resumed.load_state_dict(unfused.state_dict())
    assert not resumed.fused and not any(group["fused"] for group in resumed.state_dict()["param_groups"])

    if not CPU_FUSED:
        pytest.skip("no fused AdamW on the CPU to train the fused state with")
    fused, _ = _own_pair(model, fused=True)
    _train(model, fused, WarmupDecaySchedule(fused, FACTOR), 2, seed=5)
    without_kernel, _ = _own_pair(model, fused=False)
    without_kernel.load_state_dict(fused.state_dict())
    assert not without_kernel.fused
    assert all(state["step"].device.type == "cpu" for state in without_kernel.state.values())


def test_a_saved_state_of_other_parameter_groups_is_refused():
    model = _model()
    optimizer, _ = _own_pair(model, fused=False)
    state = optimizer.state_dict()
    state["param_groups"] = state["param_groups"][:1]
    with pytest.raises(ValueError, match="other parameter groups"):
        optimizer.load_state_dict(state)


def _moment(**values):
    return lambda state: state["state"][0].update(values)


@pytest.mark.parametrize(
    ("damage", "refused"),
    [
        # The fused kernel wrote a (3, 8) update into a (10, 10) moment: a segfault on resume.
        (_moment(exp_avg=torch.zeros(10, 10)), r"exp_avg of parameter 0 has shape \(10, 10\), where the"),
        (_moment(exp_avg_sq=torch.zeros(3, 8, dtype=torch.int8)), "exp_avg_sq of parameter 0 is torch.int8"),
        (lambda state: state["state"][0].pop("exp_avg"), "parameter 0 holds exp_avg_sq, step where AdamW"),
        (_moment(step=torch.tensor(-5.0)), "optimizer step of parameter 0 is -5.0, not a count"),
        (lambda state: state["state"].update({7: state["state"][0]}), "names parameter 7, and the model"),
        (lambda state: state["param_groups"][0].update(lr="abc"), "optimizer's lr is 'abc', not a rate"),
        (lambda state: state["param_groups"][0].update(betas=[0.9, float("nan")]), "optimizer's betas is"),
    ],
)  # fmt: skip
def test_a_saved_state_that_does_not_fit_the_parameters_is_refused_before_any_step(damage, refused):
    model = _model()
    optimizer, schedule = _own_pair(model, fused=CPU_FUSED)
    _train(model, optimizer, schedule, 2, seed=0)
    state = optimizer.state_dict()
    state["state"] = {index: dict(values) for index, values in state["state"].items()}
    damage(state)
    fresh, _ = _own_pair(_model(), fused=CPU_FUSED)
    with pytest.raises(ValueError, match=refused):
        fresh.load_state_dict(state)


def test_building_and_stepping_it_does_not_import_dynamo():
    """torch.optim.Optimizer imports torch._dynamo when it is built: about 2 s of every training run."""
    script = (
        "import sys, torch\n"
        "from attncli.optimizer import AdamW, WarmupDecaySchedule\n"
        "model = torch.nn.Linear(4, 2)\n"
        f"optimizer = AdamW([{{'params': list(model.parameters())}}], lr=0.1, fused={CPU_FUSED})\n"
        "schedule = WarmupDecaySchedule(optimizer, lambda step: 1.0)\n"
        "model(torch.randn(3, 4)).sum().backward()\n"
        "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\n"
        "optimizer.step(); schedule.step(); optimizer.state_dict()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
