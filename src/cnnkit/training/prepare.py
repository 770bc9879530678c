"""Shared preparation for fit / evaluate / predict: device, build, compile state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from cnnkit import config
from cnnkit.errors import InvalidArgumentError, NotBuiltError
from cnnkit.layers.base import context
from cnnkit.training import checks, doctor
from cnnkit.training.data_adapter import ArrayAdapter, IterableAdapter
from cnnkit.utils import tree

if TYPE_CHECKING:
    from cnnkit.training.trainer import Trainer


def require_compiled(model: Trainer, what: str) -> Any:
    """The model's compile state; a teaching error if ``compile()`` was not called."""
    state = getattr(model, "_compile_state", None)
    if not getattr(model, "compiled", False) or state is None:
        raise NotBuiltError(
            f"You must call `compile()` before `{what}()`, e.g. "
            "`model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
            "metrics=['accuracy'])`."
        )
    return state


def resolve_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    # Booleans are accepted as Keras does (True == 1): old tutorials pass them.
    if not isinstance(verbose, int) or verbose not in (0, 1, 2):
        raise InvalidArgumentError(
            f"`verbose` must be 'auto', 0, 1 or 2; received verbose={verbose!r}."
        )
    return int(verbose)


def check_batch_size(batch_size: Any, x: Any) -> None:
    from cnnkit.training.data_adapter import is_array_structure

    if batch_size is None:
        return
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or batch_size < 1
    ):
        raise InvalidArgumentError(
            f"`batch_size` must be a positive int; received batch_size={batch_size!r}."
        )
    if (
        x is not None
        and not is_array_structure(x)
        and not isinstance(x, torch.utils.data.Dataset)
    ):
        raise InvalidArgumentError(
            "Do not pass `batch_size` when `x` is a dataset, generator or DataLoader: "
            "it already yields batches of its own size."
        )


def _tensor_devices(model: Trainer, buffers: bool = True) -> set[torch.device]:
    """The devices of the model's parameters (and buffers), in one walk.

    ``parameters()`` and ``buffers()`` each walk the module tree through
    generators and a memo (``named_modules``), and this runs before every
    ``predict`` call, where those walks cost as much as the seed CNN's forward
    pass on one image; a plain stack over ``_modules`` visits the same modules.
    """
    found: set[torch.device] = set()
    tensor: torch.Tensor | None
    seen: set[int] = set()
    stack: list[torch.nn.Module] = [model]
    while stack:
        module = stack.pop()
        if id(module) in seen:  # a module shared by two parents
            continue
        seen.add(id(module))
        for tensor in module._parameters.values():
            if tensor is not None:
                found.add(tensor.device)
        if buffers:
            for tensor in module._buffers.values():
                if tensor is not None:
                    found.add(tensor.device)
        stack.extend(child for child in module._modules.values() if child is not None)
    return found


def _host_only() -> bool:
    """Whether this process has no device but the CPU (no CUDA, MPS, XPU or
    out-of-tree backend), so that every tensor of a model is on the CPU.

    Asked on each call (a backend may be imported later); it costs a few
    attribute reads, where a walk of the model's tensors costs tens of
    microseconds before every ``predict`` of one image.
    """
    mps = getattr(torch.backends, "mps", None)
    xpu = getattr(torch, "xpu", None)
    return not (
        torch.cuda.is_available()
        or (mps is not None and mps.is_available())
        or (xpu is not None and xpu.is_available())
        or torch._C._get_privateuse1_backend_name() != "privateuseone"
    )


def training_device(model: Trainer) -> torch.device:
    """The configured device, unless the model already lives on another one."""
    chosen = config.get_device()
    if chosen.type == "cpu" and _host_only():
        return chosen  # nowhere else a model could live
    for device in _tensor_devices(model, buffers=False):
        if device.type != "cpu":
            return device
    return chosen


def ensure_built(model: Trainer, sample_x: Any) -> None:
    """Build an unbuilt model by calling it on a couple of samples (on the CPU)."""
    if model.built and all(getattr(layer, "built", True) for layer in model.layers):
        return
    cpu_sample = tree.map_structure(
        lambda t: t[:2].cpu() if isinstance(t, torch.Tensor) else t, sample_x
    )
    with torch.no_grad():
        model(cpu_sample, training=False)


def first_batch(adapter: ArrayAdapter | IterableAdapter) -> tuple[Any, Any, Any] | None:
    """A first batch to build with. For one-shot generators it is kept for replay."""
    if isinstance(adapter, ArrayAdapter):
        if adapter.size == 0:
            return None
        end = min(adapter.batch_size, adapter.size)
        take = lambda s: None if s is None else tree.map_structure(lambda t: t[:end], s)  # noqa: E731
        return take(adapter.x), take(adapter.y), take(adapter.sample_weight)
    return None


def build_compile_state(
    model: Trainer, x: Any, y: Any, full_y: Any = None, weighted: bool = False
) -> None:
    """Resolve shape-dependent losses/metrics from one forward pass, and check labels.

    ``full_y`` (all the labels of an array dataset) is checked even when the state
    is already built: the test labels given to ``evaluate`` after ``fit`` may be out
    of range too, and would otherwise end in a raw torch error. The first time,
    the doctor examines the set-up too (``weighted``: sample or class weights were
    given, so an imbalance is taken care of).
    """
    state = require_compiled(model, "fit")
    if y is None or (state.built and full_y is None):
        return
    with torch.no_grad(), context.probe():
        outputs = model(tree.map_structure(lambda t: t[:2], x), training=False)
    first_time = not state.built
    if first_time:
        state.build(y, outputs)
    # The checks below stand in for errors Keras would raise in its own steps. A
    # model with its own `train_step`/`test_step` decides what the metrics see (a
    # distiller feeds them its student's outputs), and one with its own
    # `compute_loss` may never use the compiled loss: checking what Keras never
    # runs would refuse scripts Keras accepts.
    own_step = model._overrides("train_step") or model._overrides("test_step")
    own_loss = own_step or model._overrides("compute_loss")
    if not own_loss:
        checks.check_labels_against_outputs(
            state, full_y if full_y is not None else y, outputs
        )
    if first_time and not own_step:
        checks.check_loss_and_metrics_run(state, y, outputs, losses=not own_loss)
        if not own_loss:
            doctor.examine_first_batch(model, outputs, full_y, weighted)


def prepare_model(model: Trainer, device: torch.device, sample_x: Any) -> None:
    """Build on the first batch, move to ``device``, and check the pixel scale once."""
    ensure_built(model, sample_x)
    checks.warn_if_unscaled_images(model, sample_x)
    if device.type == "cpu" and _host_only():
        return  # every tensor is on the CPU already
    if any(found != device for found in _tensor_devices(model)):
        model.to(device)
