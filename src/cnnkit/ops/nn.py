"""The neural-network functions of ``keras.ops`` (``keras.ops.nn``) on torch tensors.

Example:
    >>> from cnnkit import ops
    >>> ops.one_hot([0, 2], 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    >>> [round(v, 4) for v in ops.softmax([0.0, 0.0]).tolist()]
    [0.5, 0.5]
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cnnkit import config
from cnnkit.errors import InvalidArgumentError
from cnnkit.ops.core import _torch_dtype, convert_to_tensor, float_or_keep

__all__ = [
    "categorical_crossentropy", "elu", "gelu", "leaky_relu", "log_softmax", "one_hot",
    "relu", "sigmoid", "silu", "softmax", "softplus", "sparse_categorical_crossentropy",
    "swish", "tanh",
]  # fmt: skip


def relu(x: Any) -> torch.Tensor:
    return torch.relu(convert_to_tensor(x))


def sigmoid(x: Any) -> torch.Tensor:
    return torch.sigmoid(float_or_keep(convert_to_tensor(x)))


def tanh(x: Any) -> torch.Tensor:
    return torch.tanh(float_or_keep(convert_to_tensor(x)))


def softplus(x: Any) -> torch.Tensor:
    return F.softplus(float_or_keep(convert_to_tensor(x)))


def silu(x: Any) -> torch.Tensor:
    return F.silu(float_or_keep(convert_to_tensor(x)))


swish = silu


def elu(x: Any, alpha: float = 1.0) -> torch.Tensor:
    return F.elu(float_or_keep(convert_to_tensor(x)), alpha=alpha)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> torch.Tensor:
    return F.leaky_relu(float_or_keep(convert_to_tensor(x)), negative_slope)


def gelu(x: Any, approximate: bool = True) -> torch.Tensor:
    mode = "tanh" if approximate else "none"
    return F.gelu(float_or_keep(convert_to_tensor(x)), approximate=mode)


def softmax(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.softmax(float_or_keep(convert_to_tensor(x)), dim=axis)


def log_softmax(x: Any, axis: int = -1) -> torch.Tensor:
    return torch.log_softmax(float_or_keep(convert_to_tensor(x)), dim=axis)


def one_hot(
    x: Any, num_classes: int, axis: int = -1, dtype: Any = None
) -> torch.Tensor:
    """Integer labels as one-hot rows (``float32`` unless ``dtype``), Keras' rule:
    a label outside ``[0, num_classes)`` gives a row of zeros."""
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, int)
        or num_classes < 1
    ):
        raise InvalidArgumentError(
            f"one_hot: `num_classes` must be a positive int (the number of classes); "
            f"received num_classes={num_classes!r}."
        )
    labels = convert_to_tensor(x).long()
    valid = (labels >= 0) & (labels < num_classes)
    encoded = F.one_hot(labels.clamp(0, num_classes - 1), num_classes)
    encoded = encoded * valid.unsqueeze(-1)
    if axis != -1:
        encoded = torch.movedim(encoded, -1, axis)
    return encoded.to(_torch_dtype(dtype or config.floatx()))


def _probabilities(output: torch.Tensor, from_logits: bool, axis: int) -> torch.Tensor:
    if from_logits:
        return torch.log_softmax(output, dim=axis)
    output = output / output.sum(dim=axis, keepdim=True)
    eps = config.epsilon()
    return torch.log(output.clamp(eps, 1.0 - eps))


def categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """Per-sample cross-entropy of one-hot ``target`` and ``output`` (Keras' clipping)."""
    t = float_or_keep(convert_to_tensor(target))
    o = float_or_keep(convert_to_tensor(output))
    if t.shape != o.shape:
        raise InvalidArgumentError(
            "categorical_crossentropy: `target` and `output` must have the same shape; "
            f"received {tuple(t.shape)} and {tuple(o.shape)}. Sparse integer labels go "
            "to `sparse_categorical_crossentropy`."
        )
    return -(t * _probabilities(o, from_logits, axis)).sum(dim=axis)


def sparse_categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> torch.Tensor:
    """Per-sample cross-entropy of integer labels ``target`` and ``output``."""
    o = float_or_keep(convert_to_tensor(output))
    labels = convert_to_tensor(target).long()
    if labels.dim() == o.dim():
        labels = labels.squeeze(axis)
    log_p = _probabilities(o, from_logits, axis)
    return -torch.gather(
        torch.movedim(log_p, axis, -1), -1, labels.unsqueeze(-1)
    ).squeeze(-1)
