"""Inputs in, numpy out: conversion, batching and inference-mode calls.

Every explainer runs the model the same way: on a float tensor on the model's
device, in inference mode (``training=False`` for a cnnkit model, ``eval()`` for a
plain torch module, restored afterwards), with forward hooks that exist only for the
duration of the call. Nothing here assigns to a layer during a forward pass.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.explain._target import is_keras_model
from cnnkit.utils.validation import format_shape, non_numeric_message


def _parameter(model: torch.nn.Module) -> torch.Tensor | None:
    for tensor in model.parameters():
        if tensor.is_floating_point():
            return tensor
    return None


def as_input(
    model: torch.nn.Module, x: Any, *, min_ndim: int = 2, argument: str = "x"
) -> torch.Tensor:
    """``x`` (numpy or tensor) as a detached float tensor on the model's device.

    ``min_ndim`` is the least rank that makes sense: a batch axis plus features, or
    batch, spatial axes and channels for the spatial explainers.
    """
    if isinstance(x, torch.Tensor):
        tensor = x.detach()
    elif isinstance(x, np.ndarray | list | tuple | float | int):
        array = np.asarray(x)
        message = non_numeric_message(array)
        if message is not None:
            raise InvalidTypeError(f"`{argument}`: {message}")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    else:
        raise InvalidTypeError(
            f"`{argument}` must be a numpy array or a torch tensor holding a batch "
            f"of inputs; received {argument} of type {type(x).__name__}. Convert it "
            f"with `np.asarray({argument})`."
        )
    if tensor.dim() < min_ndim:
        raise InvalidArgumentError(
            f"`{argument}` must be a batch with at least {min_ndim} axes (batch "
            f"first{', then the spatial axes and channels' if min_ndim > 2 else ''}); "
            f"received shape {format_shape(tuple(tensor.shape))}. For one sample, add "
            f"the batch axis: `{argument}[None]`."
        )
    if tensor.shape[0] == 0:
        raise InvalidArgumentError(
            f"`{argument}` is an empty batch (shape {format_shape(tuple(tensor.shape))}); "
            "pass at least one sample."
        )
    reference = _parameter(model)
    dtype = reference.dtype if reference is not None else torch.float32
    device = reference.device if reference is not None else torch.device("cpu")
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.float32)
    return tensor.to(device=device, dtype=dtype)


def numpy(tensor: torch.Tensor) -> np.ndarray:
    """A float32 numpy copy of ``tensor`` (float16/bfloat16 widened)."""
    return tensor.detach().to("cpu", torch.float32).numpy().copy()


def chunks(count: int, size: int) -> Iterator[slice]:
    """Slices ``[0:size], [size:2*size], ...`` covering ``range(count)``."""
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))


@contextlib.contextmanager
def _eval_mode(module: torch.nn.Module) -> Iterator[None]:
    """``module.eval()`` inside the block, each submodule's own flag restored after.

    Only for plain torch modules, which read ``self.training``; cnnkit models get
    ``training=False`` through the call instead.
    """
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, flag in flags:
            m.training = flag


def call(model: torch.nn.Module, x: torch.Tensor) -> Any:
    """The model's output on ``x`` in inference mode."""
    if is_keras_model(model):
        return model(x, training=False)
    with _eval_mode(model):
        return model(x)


class Capture:
    """The last output of each watched module during one call (forward hooks)."""

    def __init__(self) -> None:
        self.outputs: dict[int, Any] = {}
        self.order: list[int] = []

    def record(self, module: torch.nn.Module, output: Any) -> None:
        key = id(module)
        # A layer called twice (shared in a graph) keeps its last output.
        if key in self.outputs:
            self.order.remove(key)
        self.outputs[key] = output
        self.order.append(key)


@contextlib.contextmanager
def capturing(modules: Sequence[torch.nn.Module]) -> Iterator[Capture]:
    """Record the outputs of ``modules`` for the calls made inside the block.

    The hooks are removed in ``finally``, so an error in the model leaves none
    behind; while they exist, cnnkit's exact rewrites (ReLU after pooling, fused
    softmax) step aside, so the recorded outputs are the layers' true outputs.
    """
    capture = Capture()
    handles = []
    try:
        for module in modules:
            handles.append(
                module.register_forward_hook(
                    lambda m, _inputs, output: capture.record(m, output)
                )
            )
        yield capture
    finally:
        for handle in handles:
            handle.remove()
