"""``tf.nn``: activations and the cross-entropies that take logits.

TensorFlow's rules kept here:

- The ``*_with_logits`` losses take ``labels=`` and ``logits=`` by keyword (TF 2
  refuses positional arguments for the sigmoid one; both forms work here) and return
  the **per-example** loss, unreduced: wrap them in ``tf.reduce_mean``.
- ``sparse_softmax_cross_entropy_with_logits`` takes integer class ids of shape
  ``logits.shape[:-1]``; ``softmax_cross_entropy_with_logits`` takes a distribution
  of ``logits``' shape.
- ``tf.nn.gelu`` is exact by default (``approximate=False``), unlike
  ``keras.ops.gelu``; ``tf.nn.leaky_relu``'s slope defaults to 0.2.

Example:
    >>> loss = sparse_softmax_cross_entropy_with_logits(labels=[0], logits=[[0.0, 0.0]])
    >>> round(loss.item(), 4)
    0.6931
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cnnkit.compat.tf import math as tf_math
from cnnkit.compat.tf import random as tf_random
from cnnkit.compat.tf._common import module_getattr, shape_of, to_tensor
from cnnkit.compat.tf.nn_conv import avg_pool2d, conv2d, max_pool2d
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError

__all__ = ["avg_pool2d", "conv2d", "dropout", "elu", "gelu", "l2_normalize", "leaky_relu", "log_softmax", "max_pool2d", "moments", "relu", "relu6", "selu", "sigmoid", "sigmoid_cross_entropy_with_logits", "silu", "softmax", "softmax_cross_entropy_with_logits", "softplus", "sparse_softmax_cross_entropy_with_logits", "swish", "tanh", "top_k"]  # fmt: skip

l2_normalize = tf_math.l2_normalize
sigmoid = tf_math.sigmoid
tanh = tf_math.tanh
softplus = tf_math.softplus
softmax = tf_math.softmax
top_k = tf_math.top_k  # TF has it in both tf.math and tf.nn


def _float(x: Any) -> torch.Tensor:
    t = to_tensor(x)
    return t if t.is_floating_point() else t.to(torch.float32)


def relu(features: Any, name: str | None = None) -> torch.Tensor:
    return torch.relu(to_tensor(features, name="features"))


def relu6(features: Any, name: str | None = None) -> torch.Tensor:
    return torch.clamp(to_tensor(features, name="features"), 0, 6)


def elu(features: Any, name: str | None = None) -> torch.Tensor:
    return F.elu(_float(features))


def selu(features: Any, name: str | None = None) -> torch.Tensor:
    return F.selu(_float(features))


def leaky_relu(
    features: Any, alpha: float = 0.2, name: str | None = None
) -> torch.Tensor:
    return F.leaky_relu(_float(features), negative_slope=alpha)


def gelu(
    features: Any, approximate: bool = False, name: str | None = None
) -> torch.Tensor:
    return F.gelu(_float(features), approximate="tanh" if approximate else "none")


def silu(features: Any, beta: float = 1.0, name: str | None = None) -> torch.Tensor:
    x = _float(features)
    return x * torch.sigmoid(beta * x)


swish = silu


def log_softmax(
    logits: Any, axis: int | None = None, name: str | None = None
) -> torch.Tensor:
    return torch.log_softmax(_float(logits), dim=-1 if axis is None else axis)


def _labels_and_logits(
    labels: Any, logits: Any, who: str
) -> tuple[torch.Tensor, torch.Tensor]:
    if labels is None or logits is None:
        raise InvalidArgumentError(
            f"tf.nn.{who}: give both `labels` and `logits`, e.g. "
            f"tf.nn.{who}(labels=y, logits=model(x))."
        )
    return to_tensor(labels, name="labels"), _float(logits)


def sigmoid_cross_entropy_with_logits(
    labels: Any = None, logits: Any = None, name: str | None = None
) -> torch.Tensor:
    """Elementwise binary cross-entropy of ``labels`` in [0, 1] and raw ``logits``.

    Raises:
        IncompatibleShapeError: ``labels`` and ``logits`` differ in shape.
    """
    y, z = _labels_and_logits(labels, logits, "sigmoid_cross_entropy_with_logits")
    if y.shape != z.shape:
        raise IncompatibleShapeError(
            "tf.nn.sigmoid_cross_entropy_with_logits: `labels` and `logits` must have "
            f"the same shape; received {tuple(y.shape)} and {tuple(z.shape)}."
        )
    # max(z, 0) - z*y + log(1 + exp(-|z|)): the stable form, no overflow for big |z|.
    return F.binary_cross_entropy_with_logits(
        z, y.to(z.device, z.dtype), reduction="none"
    )


def softmax_cross_entropy_with_logits(
    labels: Any = None, logits: Any = None, axis: int = -1, name: str | None = None
) -> torch.Tensor:
    """Per-example cross-entropy of a class distribution ``labels`` and ``logits``.

    Raises:
        IncompatibleShapeError: ``labels`` and ``logits`` differ in shape.
    """
    y, z = _labels_and_logits(labels, logits, "softmax_cross_entropy_with_logits")
    if y.shape != z.shape:
        raise IncompatibleShapeError(
            "tf.nn.softmax_cross_entropy_with_logits: `labels` must be a distribution "
            f"of `logits`' shape {tuple(z.shape)}; received {tuple(y.shape)}. Integer "
            "class ids go to sparse_softmax_cross_entropy_with_logits."
        )
    return -(y.to(z.device, z.dtype) * torch.log_softmax(z, dim=axis)).sum(dim=axis)


def sparse_softmax_cross_entropy_with_logits(
    labels: Any = None, logits: Any = None, name: str | None = None
) -> torch.Tensor:
    """Per-example cross-entropy of integer class ids and ``logits`` (last axis).

    Raises:
        IncompatibleShapeError: ``labels`` is not of shape ``logits.shape[:-1]``.
        InvalidArgumentError: A label is outside ``[0, num_classes)``.
    """
    y, z = _labels_and_logits(
        labels, logits, "sparse_softmax_cross_entropy_with_logits"
    )
    if tuple(y.shape) != tuple(z.shape[:-1]):
        raise IncompatibleShapeError(
            "tf.nn.sparse_softmax_cross_entropy_with_logits: `labels` must have shape "
            f"{tuple(z.shape[:-1])} (logits' shape {tuple(z.shape)} without its last "
            f"axis); received {tuple(y.shape)}. One-hot labels go to "
            "softmax_cross_entropy_with_logits."
        )
    classes = z.shape[-1]
    ids = y.long().to(z.device)
    if ids.numel() and (bool((ids < 0).any()) or bool((ids >= classes).any())):
        raise InvalidArgumentError(
            f"tf.nn.sparse_softmax_cross_entropy_with_logits: labels must be class ids "
            f"in [0, {classes}); received values from {int(ids.min())} to "
            f"{int(ids.max())}."
        )
    log_p = torch.log_softmax(z, dim=-1)
    return -torch.gather(log_p, -1, ids.unsqueeze(-1)).squeeze(-1)


def dropout(
    x: Any, rate: float, noise_shape: Any = None, seed: int | None = None,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Zero each element with probability ``rate`` and scale the rest by
    ``1 / (1 - rate)`` (always: ``tf.nn.dropout`` has no training flag).

    Raises:
        InvalidArgumentError: ``rate`` is outside [0, 1).
    """
    if not 0 <= rate < 1:
        raise InvalidArgumentError(
            f"tf.nn.dropout: `rate` must be in [0, 1) (the fraction to drop); "
            f"received rate={rate!r}."
        )
    t = _float(x)
    shape = (
        tuple(t.shape) if noise_shape is None else shape_of(noise_shape, "noise_shape")
    )
    keep = tf_random.uniform(shape, seed=seed).to(t.device) >= rate
    return t * keep.to(t.dtype) / (1 - rate)


def moments(
    x: Any,
    axes: Any,
    shift: Any = None,
    keepdims: bool = False,
    name: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean, variance)`` over ``axes`` (population variance, as TF)."""
    mean = tf_math.reduce_mean(_float(x), axis=axes, keepdims=keepdims)
    return mean, tf_math.reduce_variance(_float(x), axis=axes, keepdims=keepdims)


__getattr__ = module_getattr("tensorflow.nn")
