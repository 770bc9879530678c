"""Activation functions, addressed by Keras' string ids.

Example:
    >>> import torch
    >>> get("relu")(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    >>> serialize(get(None))
    'linear'
    >>> import numpy as np
    >>> relu(np.array([-1.0, 2.0]))  # arrays too, as in Keras
    tensor([0., 2.], dtype=torch.float64)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from cnnkit import serialization
from cnnkit.errors import InvalidArgumentError
from cnnkit.ops import convert_to_tensor

__all__ = [
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "tanh",
    "tanh_shrink",
    "threshold",
]

Activation = Callable[[torch.Tensor], torch.Tensor]


def _takes_arrays(function: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """Let ``function`` take what Keras' activations take: numpy arrays, lists and
    scalars become tensors (``relu(model.predict(x))`` works as in Keras). A
    tensor goes straight through: layers call these on every forward pass."""

    @functools.wraps(function)
    def activation(x: Any, *args: Any, **kwargs: Any) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            x = convert_to_tensor(x)
        return function(x, *args, **kwargs)

    return activation


@_takes_arrays
def relu(
    x: torch.Tensor,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> torch.Tensor:
    """``max(x, 0)``, with Keras' optional slope, cap and threshold."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    below = negative_slope * (x - threshold) if negative_slope else torch.zeros_like(x)
    out = torch.where(x > threshold, x, below)
    if max_value is not None:
        out = out.clamp(max=max_value)
    return out


@_takes_arrays
def leaky_relu(x: torch.Tensor, negative_slope: float = 0.2) -> torch.Tensor:
    """Leaky ReLU; the *function* defaults to 0.2 (the layer defaults to 0.3)."""
    return F.leaky_relu(x, negative_slope)


@_takes_arrays
def relu6(x: torch.Tensor) -> torch.Tensor:
    return F.relu6(x)


@_takes_arrays
def softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    return torch.softmax(x, dim=axis)


@_takes_arrays
def log_softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    return torch.log_softmax(x, dim=axis)


@_takes_arrays
def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    return F.elu(x, alpha)


@_takes_arrays
def selu(x: torch.Tensor) -> torch.Tensor:
    return F.selu(x)


@_takes_arrays
def celu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    return F.celu(x, alpha)


@_takes_arrays
def softplus(x: torch.Tensor) -> torch.Tensor:
    return F.softplus(x)


@_takes_arrays
def softsign(x: torch.Tensor) -> torch.Tensor:
    return F.softsign(x)


@_takes_arrays
def silu(x: torch.Tensor) -> torch.Tensor:
    return F.silu(x)


@_takes_arrays
def gelu(x: torch.Tensor, approximate: bool = False) -> torch.Tensor:
    return F.gelu(x, approximate="tanh" if approximate else "none")


@_takes_arrays
def glu(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    return F.glu(x, dim=axis)


@_takes_arrays
def tanh(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x)


@_takes_arrays
def tanh_shrink(x: torch.Tensor) -> torch.Tensor:
    return x - torch.tanh(x)


@_takes_arrays
def hard_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.hardtanh(x)


@_takes_arrays
def hard_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    return F.hardshrink(x, threshold)


@_takes_arrays
def soft_shrink(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    return F.softshrink(x, threshold)


@_takes_arrays
def threshold(x: torch.Tensor, threshold: float, default_value: float) -> torch.Tensor:
    return torch.where(x > threshold, x, torch.full_like(x, default_value))


@_takes_arrays
def sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(x)


@_takes_arrays
def log_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return F.logsigmoid(x)


@_takes_arrays
def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Keras 3's ``clip(x/6 + 0.5, 0, 1)`` (Keras 2 used ``0.2x + 0.5``)."""
    return F.relu6(x + 3.0) / 6.0


@_takes_arrays
def hard_silu(x: torch.Tensor) -> torch.Tensor:
    return x * hard_sigmoid(x)


@_takes_arrays
def sparse_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return ((x + 1.0) * 0.5).clamp(0.0, 1.0)


@_takes_arrays
def sparse_plus(x: torch.Tensor) -> torch.Tensor:
    middle = (x + 1.0) ** 2 / 4.0
    return torch.where(x <= -1.0, torch.zeros_like(x), torch.where(x >= 1.0, x, middle))


@_takes_arrays
def squareplus(x: torch.Tensor, b: float = 4.0) -> torch.Tensor:
    return (x + torch.sqrt(x * x + b)) / 2.0


@_takes_arrays
def exponential(x: torch.Tensor) -> torch.Tensor:
    return torch.exp(x)


@_takes_arrays
def mish(x: torch.Tensor) -> torch.Tensor:
    return F.mish(x)


@_takes_arrays
def linear(x: torch.Tensor) -> torch.Tensor:
    return x


@_takes_arrays
def sparsemax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Euclidean projection onto the probability simplex (Martins & Astudillo)."""
    moved = x.movedim(axis, -1)
    z_sorted, _ = torch.sort(moved, dim=-1, descending=True)
    ks = torch.arange(1, moved.shape[-1] + 1, device=x.device, dtype=x.dtype)
    cumsum = z_sorted.cumsum(-1)
    support = (1 + ks * z_sorted) > cumsum
    k = support.sum(dim=-1, keepdim=True)
    tau = (cumsum.gather(-1, k - 1) - 1) / k.to(x.dtype)
    return torch.clamp(moved - tau, min=0).movedim(-1, axis)


_REGISTRY = serialization.Registry(
    "activation",
    {
        fn.__name__: fn
        for fn in (
            relu, leaky_relu, relu6, softmax, log_softmax, elu, selu, celu, softplus,
            softsign, silu, gelu, glu, tanh, tanh_shrink, hard_tanh, hard_shrink,
            soft_shrink, sigmoid, log_sigmoid, hard_sigmoid, hard_silu, sparse_sigmoid,
            sparse_plus, squareplus, exponential, mish, linear, sparsemax, threshold,
        )
    },
    aliases={"swish": silu, "hard_swish": hard_silu},
    known_label="Known activations",
    unknown_fix=". A custom callable can be passed directly.",
    accepts="a string id, a callable or None",
    type_error=InvalidArgumentError,
)  # fmt: skip


def get(identifier: str | Activation | None) -> Activation:
    """Resolve ``None`` (linear), a string id, Keras' dict form or a callable.

    Raises:
        InvalidArgumentError: an unknown id (with close matches and the valid ids),
            or something that is neither a string, a dict nor a callable.

    Example:
        >>> get("swish") is silu, get(None) is linear
        (True, True)
    """
    if identifier is None:
        return linear
    return _REGISTRY.get(identifier)


def serialize(activation: Activation) -> str:
    """The string Keras writes in a layer config (``'relu'``, ``'linear'``)."""
    return _REGISTRY.name_of(activation)


def deserialize(config: str | dict) -> Activation:
    """Inverse of :func:`serialize` (also accepts Keras' dict form)."""
    return _REGISTRY.deserialize(config)
