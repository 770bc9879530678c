"""Hinge, Kullback-Leibler and Poisson loss functions.

Example:
    >>> import torch
    >>> hinge(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.3, -0.2]]))
    tensor([0.7500])
"""

from __future__ import annotations

import torch

from cnnkit import config
from cnnkit.losses.loss import ArrayLike, to_float_tensor, to_tensor

__all__ = [
    "categorical_hinge",
    "hinge",
    "kl_divergence",
    "poisson",
    "squared_hinge",
]


def _floats(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[torch.Tensor, torch.Tensor]:
    pred = to_float_tensor(y_pred)
    return to_tensor(y_true, pred.device).to(pred.dtype), pred


def _to_signed_labels(y_true: torch.Tensor) -> torch.Tensor:
    """Map 0/1 labels to -1/+1, leaving any other labelling unchanged.

    The decision covers the whole batch, as in Keras, and is made on the device with
    ``torch.where`` so no value is read back to the host.
    """
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)`` with labels in {-1, 1} (or 0/1).

    Example:
        >>> import torch
        >>> hinge(torch.tensor([[-1.0, 1.0]]), torch.tensor([[-2.0, 0.5]]))
        tensor([0.2500])
    """
    true, pred = _floats(y_true, y_pred)
    true = _to_signed_labels(true)
    return (1.0 - true * pred).clamp_min(0.0).mean(dim=-1)


def squared_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """``mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)``.

    Example:
        >>> import torch
        >>> squared_hinge(torch.tensor([[-1.0, 1.0]]), torch.tensor([[-2.0, 0.5]]))
        tensor([0.1250])
    """
    true, pred = _floats(y_true, y_pred)
    true = _to_signed_labels(true)
    return (1.0 - true * pred).clamp_min(0.0).square().mean(dim=-1)


def categorical_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """``max(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)`` and
    ``neg = max((1 - y_true) * y_pred)``.

    Example:
        >>> import torch
        >>> categorical_hinge(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.6, 0.4]]))
        tensor([1.2000])
    """
    true, pred = _floats(y_true, y_pred)
    pos = (true * pred).sum(dim=-1)
    neg = ((1.0 - true) * pred).amax(dim=-1)
    return (neg - pos + 1.0).clamp_min(0.0)


def kl_divergence(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to ``[eps, 1]``.

    Example:
        >>> import torch
        >>> kl_divergence(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.5, 0.5]]))
        tensor([0.])
    """
    true, pred = _floats(y_true, y_pred)
    eps = config.epsilon()
    true = true.clamp(eps, 1.0)
    pred = pred.clamp(eps, 1.0)
    return (true * torch.log(true / pred)).sum(dim=-1)


def poisson(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``.

    Example:
        >>> import torch
        >>> poisson(torch.tensor([[0.0]]), torch.tensor([[2.0]]))
        tensor([2.])
    """
    true, pred = _floats(y_true, y_pred)
    return (pred - true * torch.log(pred + config.epsilon())).mean(dim=-1)
