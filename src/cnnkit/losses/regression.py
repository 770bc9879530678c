"""Regression loss functions: one value per sample, a mean over the last axis.

Each function first lines up ``y_true`` and ``y_pred`` when their ranks differ by one
and the extra axis has size 1, so ``(N,)`` labels against an ``(N, 1)`` output compare
per sample instead of broadcasting to ``(N, N)``.

Example:
    >>> import torch
    >>> mean_squared_error(torch.tensor([1.0, 2.0]), torch.tensor([[1.5], [2.0]]))
    tensor([0.2500, 0.0000])
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from cnnkit import config
from cnnkit.losses.loss import (
    ArrayLike,
    squeeze_or_expand_to_same_rank,
    to_float_tensor,
    to_tensor,
)

__all__ = [
    "cosine_similarity",
    "huber",
    "l2_normalize",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
]


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Float tensors of one dtype and device, ranks lined up."""
    pred = to_float_tensor(y_pred)
    true = to_tensor(y_true, pred.device).to(pred.dtype)
    return squeeze_or_expand_to_same_rank(true, pred)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """``mean((y_true - y_pred) ** 2, axis=-1)``.

    Example:
        >>> import torch
        >>> mean_squared_error(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
        tensor([0.5000])
    """
    true, pred = _pair(y_true, y_pred)
    return (true - pred).square().mean(dim=-1)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """``mean(abs(y_true - y_pred), axis=-1)``.

    Example:
        >>> import torch
        >>> mean_absolute_error(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 3.0]]))
        tensor([1.5000])
    """
    true, pred = _pair(y_true, y_pred)
    return (true - pred).abs().mean(dim=-1)


def mean_absolute_percentage_error(
    y_true: ArrayLike, y_pred: ArrayLike
) -> torch.Tensor:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)``.

    Example:
        >>> import torch
        >>> mean_absolute_percentage_error(torch.tensor([[2.0]]), torch.tensor([[1.0]]))
        tensor([50.])
    """
    true, pred = _pair(y_true, y_pred)
    diff = ((true - pred) / true.abs().clamp_min(config.epsilon())).abs()
    return 100.0 * diff.mean(dim=-1)


def mean_squared_logarithmic_error(
    y_true: ArrayLike, y_pred: ArrayLike
) -> torch.Tensor:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)) ** 2, axis=-1)``.

    Example:
        >>> import torch
        >>> msle = mean_squared_logarithmic_error(torch.tensor([[0.0]]),
        ...                                       torch.tensor([[math.e - 1]]))
        >>> round(float(msle), 5)
        1.0
    """
    true, pred = _pair(y_true, y_pred)
    eps = config.epsilon()
    first = torch.log(pred.clamp_min(eps) + 1.0)
    second = torch.log(true.clamp_min(eps) + 1.0)
    return (first - second).square().mean(dim=-1)


def l2_normalize(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """``x * min(rsqrt(sum(x ** 2)), 1 / eps)``: Keras' L2 normalisation.

    A zero vector stays zero instead of becoming NaN.
    """
    inv_norm = torch.rsqrt(x.square().sum(dim=axis, keepdim=True))
    return x * inv_norm.clamp_max(1.0 / config.epsilon())


def cosine_similarity(
    y_true: ArrayLike, y_pred: ArrayLike, axis: int = -1
) -> torch.Tensor:
    """The *negated* cosine similarity, ``-sum(l2n(y_true) * l2n(y_pred), axis)``.

    It lies in [-1, 1]; -1 means the vectors point the same way (the loss to minimise).

    Example:
        >>> import torch
        >>> cosine_similarity(torch.tensor([[0.0, 1.0], [1.0, 1.0]]),
        ...                   torch.tensor([[0.0, 2.0], [-1.0, -1.0]]))
        tensor([-1.0000,  1.0000])
    """
    true, pred = _pair(y_true, y_pred)
    return -(l2_normalize(true, axis) * l2_normalize(pred, axis)).sum(dim=axis)


def huber(y_true: ArrayLike, y_pred: ArrayLike, delta: float = 1.0) -> torch.Tensor:
    """Quadratic for errors up to ``delta``, linear beyond; mean over the last axis.

    Example:
        >>> import torch
        >>> huber(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.5, 3.0]]))
        tensor([1.3125])
    """
    true, pred = _pair(y_true, y_pred)
    error = pred - true
    abs_error = error.abs()
    quadratic = 0.5 * error.square()
    linear = delta * abs_error - 0.5 * delta**2
    return torch.where(abs_error <= delta, quadratic, linear).mean(dim=-1)


def log_cosh(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow.

    Example:
        >>> import torch
        >>> log_cosh(torch.tensor([[0.0]]), torch.tensor([[1.0]]))
        tensor([0.4338])
    """
    true, pred = _pair(y_true, y_pred)
    x = pred - true
    # log(cosh(x)) = x + softplus(-2x) - log(2) stays finite for large |x|.
    return (x + F.softplus(-2.0 * x) - math.log(2.0)).mean(dim=-1)
