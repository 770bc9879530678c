"""A convolution layer's kernel, in Keras' layout, for plotting its filters."""

from __future__ import annotations

import numpy as np
import torch

from cnnkit._layout import conv_kernel_from_torch
from cnnkit.errors import InvalidArgumentError, NotBuiltError
from cnnkit.explain import _target, _tensors
from cnnkit.layers import Layer

# Keras' names for a convolution's spatial kernel; separable convolutions have a
# depthwise one (spatial) and a pointwise one (1x1), and the spatial one is shown.
_KERNEL_NAMES = ("kernel", "depthwise_kernel")


def filters(
    model: torch.nn.Module, layer: _target.LayerSpec | None = None
) -> np.ndarray:
    """The kernel of a convolution layer, as a numpy array in Keras' layout.

    Args:
        model: A cnnkit model or a plain ``torch.nn.Module``.
        layer: A layer name or object (nested layers as in
            :func:`cnnkit.explain.activations`); ``None`` takes the first
            convolution of the model, nested models included.

    Returns:
        The kernel in Keras' layout whatever the ``data_format``:
        ``(k, in, out)`` for ``Conv1D``, ``(kh, kw, in, out)`` for ``Conv2D``,
        ``(kd, kh, kw, in, out)`` for ``Conv3D`` (``in`` divided by ``groups``);
        ``(*k, out, in)`` for transposed convolutions; ``(*k, in, multiplier)`` for
        depthwise and separable convolutions (their depthwise kernel);
        ``(*k, in, 4 * filters)`` for ``ConvLSTM1D/2D/3D``, the input kernel of
        its cell (Keras' gates in order: input, forget, cell, output). A torch
        convolution's ``weight`` is permuted to the same layout; a ``Dense`` layer
        gives its ``(in, out)`` kernel.

    Raises:
        InvalidArgumentError: The layer has no kernel, or the model no convolution.
        NotBuiltError: The layer has not created its weights yet.

    Example:
        >>> import torch
        >>> from cnnkit import explain, layers, models
        >>> model = models.Sequential([layers.Input((28, 28, 1)),
        ...                            layers.Conv2D(8, 5, name="first"),
        ...                            layers.Conv2D(4, 3)])
        >>> explain.filters(model).shape
        (5, 5, 1, 8)
        >>> explain.filters(torch.nn.Sequential(torch.nn.Conv1d(3, 6, 4))).shape
        (4, 3, 6)
    """
    model = _target.check_model(model, "filters")
    if layer is None:
        entry = _first_convolution(model)
    else:
        entry = _target.find(model, layer, "layer")
    return _tensors.numpy(_kernel(model, entry))


def _kernel(model: torch.nn.Module, entry: _target.Entry) -> torch.Tensor:
    module = entry.module
    if not _target.is_keras_model(model):
        weight = getattr(module, "weight", None)
        if isinstance(weight, torch.Tensor) and weight.dim() >= 3:
            return conv_kernel_from_torch(weight.detach())
        if isinstance(weight, torch.Tensor) and weight.dim() == 2:
            return weight.detach().T  # torch Linear (out, in) -> Keras (in, out)
        raise InvalidArgumentError(
            f"`layer`={entry.key!r} is a {type(module).__name__}, which has no "
            "kernel (`weight`) to show. Pass a convolution, e.g. one of "
            f"{[e.key for e in _convolutions(model)]}."
        )
    # A ConvLSTM keeps its kernels in its cell, as in Keras (`layer.cell.kernel`).
    for owner in (module, getattr(module, "cell", None)):
        for name in _KERNEL_NAMES:
            kernel = getattr(owner, name, None)
            if isinstance(kernel, torch.Tensor):
                return kernel.detach()
    if getattr(module, "built", True) is False and hasattr(module, "filters"):
        raise NotBuiltError(
            f"`layer`={entry.key!r} has not created its kernel yet: a layer builds "
            "its weights on its first call. Build the model first (give it an "
            "`Input`, call `model.build(input_shape)`, or call it on data)."
        )
    raise InvalidArgumentError(
        f"`layer`={entry.key!r} is a {type(module).__name__}, which has no kernel to "
        "show. Pass a convolution, e.g. one of "
        f"{[e.key for e in _convolutions(model)]}."
    )


def _is_convolution(model: torch.nn.Module, module: torch.nn.Module) -> bool:
    names = _KERNEL_NAMES if _target.is_keras_model(model) else ("weight",)
    if _target.is_keras_model(model) and not isinstance(module, Layer):
        return False  # torch internals of a cnnkit layer are not its layers
    for name in names:
        kernel = getattr(module, name, None)
        # A convolution kernel has the spatial axes besides in and out (>= 3 axes).
        if isinstance(kernel, torch.Tensor) and kernel.dim() >= 3:
            return True
    # An unbuilt cnnkit convolution: no kernel yet, but a number of filters.
    return hasattr(module, "kernel_size") and hasattr(module, "filters")


def _convolutions(model: torch.nn.Module) -> list[_target.Entry]:
    return [e for e in _target.entries(model) if _is_convolution(model, e.module)]


def _first_convolution(model: torch.nn.Module) -> _target.Entry:
    found = _convolutions(model)
    if not found:
        raise InvalidArgumentError(
            "explain.filters found no convolution layer in the model (layers: "
            f"{[e.key for e in _target.entries(model)]}). Pass `layer=` the layer "
            "whose kernel to show."
        )
    return found[0]
