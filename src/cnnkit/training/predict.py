"""``model.predict`` (KERAS_SPEC §4.3): batched, no autograd, numpy out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cnnkit.callbacks import CallbackList
from cnnkit.training import checks, prepare
from cnnkit.training._step_lock import step_lock
from cnnkit.training.data_adapter import (
    DEFAULT_BATCH_SIZE,
    is_array_structure,
    make_adapter,
    to_tensor,
)
from cnnkit.training.steps import autocast, overrides
from cnnkit.utils import tree

if TYPE_CHECKING:
    from cnnkit.training.trainer import Trainer


def predict(
    model: Trainer,
    x: Any,
    batch_size: int | None = None,
    verbose: Any = "auto",
    steps: int | None = None,
    callbacks: Any = None,
) -> Any:
    """Outputs for every sample of ``x``, concatenated along axis 0, as numpy."""
    verbose = prepare.resolve_verbose(verbose)
    prepare.check_batch_size(batch_size, x)
    if _one_silent_batch(x, batch_size, verbose, steps, callbacks):
        return _predict_one_batch(model, x)
    device = prepare.training_device(model)
    if is_array_structure(x):
        x = tree.map_structure(to_tensor, x)
        checks.check_inputs_against_model(model, x)
    adapter = make_adapter(x, None, None, batch_size, False, steps, device)
    callback_list = CallbackList(
        callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
        epochs=1, steps=adapter.steps_per_epoch,
    )  # fmt: skip
    callback_list.on_predict_begin()
    collected: list[Any] = []
    prepared = False
    with torch.no_grad(), autocast(device):
        for step, (bx, _, _) in enumerate(adapter.epoch()):
            if not prepared:
                prepare.prepare_model(model, device, bx)
                prepared = True
            callback_list.on_predict_batch_begin(step)
            # Shared with other inference, exclusive of a training step: each
            # batch sees the weights between two steps of a concurrent fit.
            with step_lock(model).reading():
                outputs = (
                    model.predict_step((bx,))
                    if overrides(model, "predict_step")
                    else model._inference_call(bx)
                )
            collected.append(tree.map_structure(_to_host, outputs))
            # Lazy logs: built only for a callback that reads them.
            callback_list.on_predict_batch_end(step, _outputs_logs(outputs))
    callback_list.on_predict_end()
    if not collected:
        return np.zeros((0,), dtype="float32")
    return _concatenate(collected)


def _one_silent_batch(
    x: Any, batch_size: int | None, verbose: int, steps: int | None, callbacks: Any
) -> bool:
    """Whether ``predict`` is one batch of one array with nothing to report: no
    callback, no progress bar (``predict(image, verbose=0)``, the web page's and
    a serving loop's call), which needs no adapter, callback list or batch loop."""
    return (
        verbose == 0
        and not callbacks
        and steps is None
        and isinstance(x, np.ndarray | torch.Tensor)
        and x.ndim > 0
        and 0 < len(x) <= (batch_size or DEFAULT_BATCH_SIZE)
    )


def _predict_one_batch(model: Trainer, x: np.ndarray | torch.Tensor) -> Any:
    """The loop below for a single batch: the same checks, steps and output."""
    tensor = to_tensor(x)
    checks.check_inputs_against_model(model, tensor)
    device = prepare.training_device(model)
    tensor = tensor.to(device, non_blocking=True)
    prepare.prepare_model(model, device, tensor)
    with torch.no_grad(), autocast(device), step_lock(model).reading():
        outputs = (
            model.predict_step((tensor,))
            if overrides(model, "predict_step")
            else model._inference_call(tensor)
        )
    return _concatenate([tree.map_structure(_to_host, outputs)])


def _to_host(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.detach().float().cpu()


def _outputs_logs(outputs: Any) -> Callable[[], dict[str, Any]]:
    return lambda: {"outputs": outputs}


def _concatenate(batches: list[Any]) -> Any:
    first = batches[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(batches).numpy()
    if isinstance(first, dict):
        return {k: _concatenate([b[k] for b in batches]) for k in first}
    return type(first)(_concatenate([b[i] for b in batches]) for i in range(len(first)))
