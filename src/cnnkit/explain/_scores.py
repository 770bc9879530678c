"""The class scores that gradients are taken of: logits, not probabilities.

Grad-CAM and the saliency methods differentiate one class score. Through a softmax
that score depends on every other class (a pixel can raise a class' probability by
lowering the others), so — as Grad-CAM's paper and pytorch-grad-cam's users do — the
score is the model's output *before* a final softmax. A cnnkit model whose output
layer has ``activation="softmax"`` (a ``Dense``, a conv, an ``Activation``) runs
with that activation deferred in this thread's call context, the same pure mechanism
the trainer uses for its fused cross-entropy; a final ``Softmax`` layer's output is
replaced by its input through a forward hook that lives for the call. Nothing is
assigned to a layer. A plain torch module's output is taken as it is: give it one
that returns logits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

from cnnkit import activations
from cnnkit.errors import InvalidArgumentError
from cnnkit.explain import _tensors
from cnnkit.explain._target import is_keras_model
from cnnkit.layers import Softmax
from cnnkit.layers.base import context
from cnnkit.training.compile import output_layers
from cnnkit.utils.validation import format_shape


def _output_layer(model: torch.nn.Module) -> Any | None:
    """The layer producing a cnnkit model's single output, inside nested models too."""
    layer: Any = model
    while getattr(layer, "layers", None) is not None:
        found = output_layers(layer)
        if len(found) != 1:
            return None
        layer = found[0]
    return None if layer is model else layer


@contextlib.contextmanager
def _logits(model: torch.nn.Module) -> Iterator[None]:
    layer = _output_layer(model) if is_keras_model(model) else None
    if layer is not None and getattr(layer, "activation", None) is activations.softmax:
        with context.defer_activation(layer):
            yield
    elif isinstance(layer, Softmax):
        handle = layer.register_forward_hook(lambda _m, inputs, _output: inputs[0])
        try:
            yield
        finally:
            handle.remove()
    else:
        yield


def logits(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's pre-softmax output on ``x``, ``(batch, classes)``, in inference mode."""
    with _logits(model):
        output = _tensors.call(model, x)
    if not isinstance(output, torch.Tensor):
        raise InvalidArgumentError(
            "cnnkit.explain explains models with one output, a tensor of class "
            f"scores (batch, classes); this model returned a {type(output).__name__}. "
            "Build a model that outputs the scores to explain, e.g. "
            "`cnnkit.Model(model.input, model.outputs[0])`."
        )
    if output.dim() == 1:
        output = output[:, None]  # one score per sample (a regression or a logit)
    if output.dim() != 2:
        raise InvalidArgumentError(
            "cnnkit.explain needs class scores of shape (batch, classes); the model "
            f"returned shape {format_shape(tuple(output.shape))}. Explain a model "
            "that ends in a Dense layer (or flatten the output first)."
        )
    return output
