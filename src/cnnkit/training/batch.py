"""``train_on_batch``, ``test_on_batch`` and ``predict_on_batch``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.training import checks, prepare
from cnnkit.training._step_lock import step_lock
from cnnkit.training.data_adapter import (
    class_weight_to_sample_weight,
    to_tensor,
    to_weights,
)
from cnnkit.training.evaluate import format_results
from cnnkit.training.steps import StepRunner, autocast, runner_for
from cnnkit.utils import tree

if TYPE_CHECKING:
    from cnnkit.training.trainer import Trainer


def _runner(model: Trainer, x: Any, y: Any) -> tuple[StepRunner, Any, Any]:
    device = prepare.training_device(model)
    checks.check_not_a_list_of_numbers(y, "y")
    x = tree.map_structure(lambda v: to_tensor(v), x)
    y = None if y is None else tree.map_structure(lambda v: to_tensor(v), y)
    checks.check_inputs_against_model(model, x)
    checks.check_arrays(x, y, None)
    prepare.prepare_model(model, device, x)
    prepare.build_compile_state(model, x, y)
    runner = runner_for(model, device)
    move = lambda v: v.to(device)  # noqa: E731
    return (
        runner,
        tree.map_structure(move, x),
        None if y is None else tree.map_structure(move, y),
    )


def train_on_batch(
    model: Trainer, x: Any, y: Any = None, sample_weight: Any = None,
    class_weight: dict[int, float] | None = None, return_dict: bool = False,
) -> Any:  # fmt: skip
    """One gradient update on one batch; returns the loss (and metrics)."""
    prepare.require_compiled(model, "train_on_batch")
    if class_weight is not None and sample_weight is not None:
        raise InvalidArgumentError(
            "Pass either `class_weight` or `sample_weight`, not both."
        )
    runner, x, y = _runner(model, x, y)
    if class_weight is not None:
        sample_weight = class_weight_to_sample_weight(y, class_weight)
    runner.reset()
    read_logs = runner.run_train_step(x, y, to_weights(sample_weight, runner.device))
    return format_results(runner, read_logs(), return_dict)


def test_on_batch(
    model: Trainer,
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    return_dict: bool = False,
) -> Any:
    """Loss and metrics on one batch, without updating the weights."""
    prepare.require_compiled(model, "test_on_batch")
    runner, x, y = _runner(model, x, y)
    runner.reset()
    read_logs = runner.run_test_step(x, y, to_weights(sample_weight, runner.device))
    return format_results(runner, read_logs(), return_dict)


def predict_on_batch(model: Trainer, x: Any) -> Any:
    """Outputs for one batch, as numpy."""
    device = prepare.training_device(model)
    x = tree.map_structure(lambda v: to_tensor(v), x)
    prepare.prepare_model(model, device, x)
    with step_lock(model).reading(), torch.no_grad(), autocast(device):
        outputs = model._inference_call(tree.map_structure(lambda v: v.to(device), x))
    return tree.map_structure(lambda t: t.detach().float().cpu().numpy(), outputs)
