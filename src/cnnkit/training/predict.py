"""``model.predict`` (KERAS_SPEC §4.3): batched, no autograd, numpy out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cnnkit.callbacks import CallbackList
from cnnkit.training import checks, prepare
from cnnkit.training._step_lock import step_lock
from cnnkit.training.data_adapter import is_array_structure, make_adapter, to_tensor
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
                    else model(bx, training=False)
                )
            collected.append(
                tree.map_structure(lambda t: t.detach().float().cpu(), outputs)
            )
            # Lazy logs: built only for a callback that reads them.
            callback_list.on_predict_batch_end(step, _outputs_logs(outputs))
    callback_list.on_predict_end()
    if not collected:
        return np.zeros((0,), dtype="float32")
    return _concatenate(collected)


def _outputs_logs(outputs: Any) -> Callable[[], dict[str, Any]]:
    return lambda: {"outputs": outputs}


def _concatenate(batches: list[Any]) -> Any:
    first = batches[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(batches).numpy()
    if isinstance(first, dict):
        return {k: _concatenate([b[k] for b in batches]) for k in first}
    return type(first)(_concatenate([b[i] for b in batches]) for i in range(len(first)))
