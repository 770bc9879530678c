"""Metric functions (one value per sample) and the table a ``MeanMetricWrapper``
config names them by.

The accuracy family and the (not negated) cosine similarity live here, below the
metric classes that average them, so that a wrapper can write and read its ``fn``
without reaching up into the metric registry.

Example:
    >>> import torch
    >>> y_pred = torch.tensor([[0.1, 0.9, 0.0], [0.6, 0.3, 0.1]])
    >>> sparse_categorical_accuracy(torch.tensor([1, 2]), y_pred)
    tensor([1., 0.])
    >>> serialize_function(sparse_categorical_accuracy)["config"]
    'sparse_categorical_accuracy'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

from cnnkit import config
from cnnkit.losses.functions import FUNCTIONS as LOSS_FUNCTIONS
from cnnkit.losses.loss import (
    ArrayLike,
    Loss,
    squeeze_or_expand_to_same_rank,
    to_float_tensor,
    to_tensor,
)
from cnnkit.losses.registry import deserialize as deserialize_loss
from cnnkit.losses.registry import serialize as serialize_loss
from cnnkit.losses.regression import l2_normalize
from cnnkit.serialization import Registry

__all__ = [
    "FUNCTIONS",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "cosine_similarity",
    "deserialize_function",
    "is_builtin_loss",
    "serialize_function",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]

MetricFn = Callable[..., Any]


def _floatx() -> torch.dtype:
    return getattr(torch, config.floatx())


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """1 where ``y_true == y_pred`` exactly, else 0.

    Example:
        >>> import torch
        >>> accuracy(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 4]))
        tensor([1., 1., 0.])
    """
    pred = to_tensor(y_pred)
    true = to_tensor(y_true, pred.device).to(pred.dtype)
    true, pred = squeeze_or_expand_to_same_rank(true, pred)
    return (true == pred).to(_floatx())


def binary_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, threshold: float = 0.5
) -> torch.Tensor:
    """1 where ``(y_pred > threshold) == y_true``.

    Note that, as in Keras, the threshold also applies to logits: use
    ``threshold=0.0`` for a model without a final sigmoid.

    Example:
        >>> import torch
        >>> binary_accuracy(torch.tensor([1, 0]), torch.tensor([[0.7], [0.6]]))
        tensor([[1.],
                [0.]])
    """
    pred = to_tensor(y_pred)
    true = to_tensor(y_true, pred.device)
    true, pred = squeeze_or_expand_to_same_rank(true, pred)
    return (true == (pred > threshold).to(true.dtype)).to(_floatx())


def categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """1 where ``argmax(y_true) == argmax(y_pred)`` (one-hot labels).

    Example:
        >>> import torch
        >>> categorical_accuracy(torch.tensor([[0, 1], [1, 0]]),
        ...                      torch.tensor([[0.2, 0.8], [0.3, 0.7]]))
        tensor([1., 0.])
    """
    pred = to_tensor(y_pred)
    true = to_tensor(y_true, pred.device).argmax(dim=-1).to(pred.dtype)
    original_shape = true.shape
    # Only when y_true had one more axis than y_pred: compare per row, keep the shape.
    reshape = true.dim() == pred.dim()
    if reshape:
        true = true.squeeze(-1)
    matches = (true == pred.argmax(dim=-1).to(true.dtype)).to(_floatx())
    return matches.reshape(original_shape) if reshape else matches


def sparse_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> torch.Tensor:
    """1 where the integer label (``(N,)`` or ``(N, 1)``) equals ``argmax(y_pred)``.

    Example:
        >>> import torch
        >>> sparse_categorical_accuracy(torch.tensor([[1], [0]]),
        ...                             torch.tensor([[0.2, 0.8], [0.3, 0.7]]))
        tensor([1., 0.])
    """
    pred = to_tensor(y_pred)
    true = to_tensor(y_true, pred.device).to(pred.dtype)
    original_shape = true.shape
    reshape = true.dim() == pred.dim() and true.shape[-1] == 1
    if reshape:
        true = true.squeeze(-1)
    matches = (true == pred.argmax(dim=-1).to(true.dtype)).to(_floatx())
    if reshape:
        matches = matches.reshape(original_shape)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def _in_top_k(targets: torch.Tensor, predictions: torch.Tensor, k: int) -> torch.Tensor:
    """Whether each target's score is among the ``k`` largest of its row (ties count).

    ``k`` larger than the number of classes means every target is in the top k (as in
    TensorFlow; torch's ``topk`` would fail).
    """
    k = min(k, predictions.shape[-1])
    kth_largest = predictions.topk(k, dim=-1).values[..., -1:]
    target_scores = predictions.gather(-1, targets.long().unsqueeze(-1))
    return (target_scores >= kth_largest).squeeze(-1)


def top_k_categorical_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, k: int = 5
) -> torch.Tensor:
    """1 where the one-hot label's class is among the ``k`` highest scores.

    Example:
        >>> import torch
        >>> scores = torch.tensor([[0.1, 0.5, 0.4], [0.5, 0.1, 0.4]])
        >>> one_hot = torch.tensor([[0, 0, 1], [0, 1, 0]])
        >>> top_k_categorical_accuracy(one_hot, scores, k=2)
        tensor([1., 0.])
    """
    pred = to_tensor(y_pred)
    true = to_tensor(y_true, pred.device).to(pred.dtype).argmax(dim=-1)
    return _top_k_matches(true, pred, k)


def sparse_top_k_categorical_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, k: int = 5, from_sorted_ids: bool = False
) -> torch.Tensor:
    """1 where the integer label is among the ``k`` highest scores.

    With ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted by score and the
    first ``k`` columns are searched.

    Example:
        >>> import torch
        >>> sparse_top_k_categorical_accuracy(torch.tensor([2, 1]),
        ...     torch.tensor([[0.1, 0.5, 0.4], [0.5, 0.1, 0.4]]), k=2)
        tensor([1., 0.])
    """
    pred = to_tensor(y_pred)
    true = to_tensor(y_true, pred.device)
    if from_sorted_ids:
        true = true.to(pred.dtype)
    return _top_k_matches(true, pred, k, from_sorted_ids)


def _top_k_matches(
    true: torch.Tensor, pred: torch.Tensor, k: int, from_sorted_ids: bool = False
) -> torch.Tensor:
    original_shape = true.shape
    if pred.dim() > 2:
        pred = pred.reshape(-1, pred.shape[-1])  # (samples, classes)
    if true.dim() > 1:
        true = true.reshape(-1)
    if from_sorted_ids:
        # `any` counts a label listed twice in the first k only once.
        matches = (true.unsqueeze(1) == pred[:, :k]).any(dim=1)
    else:
        matches = _in_top_k(true, pred, k)
    return matches.to(_floatx()).reshape(original_shape)


def cosine_similarity(
    y_true: ArrayLike, y_pred: ArrayLike, axis: int = -1
) -> torch.Tensor:
    """Cosine similarity along ``axis`` (1 = same direction), one value per sample.

    Unlike the loss of the same name, this is not negated.

    Example:
        >>> import torch
        >>> cosine_similarity(torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]))
        tensor([1.])
    """
    pred = to_float_tensor(y_pred)
    true = to_tensor(y_true, pred.device).to(pred.dtype)
    true, pred = squeeze_or_expand_to_same_rank(true, pred)
    return (l2_normalize(true, axis) * l2_normalize(pred, axis)).sum(dim=axis)


# Functions a MeanMetricWrapper config may name: the losses and the accuracy family.
FUNCTIONS: dict[str, MetricFn] = {
    **LOSS_FUNCTIONS,
    **{
        fn.__name__: fn
        for fn in (
            accuracy,
            binary_accuracy,
            categorical_accuracy,
            sparse_categorical_accuracy,
            top_k_categorical_accuracy,
            sparse_top_k_categorical_accuracy,
        )
    },
    "cosine_similarity_metric": cosine_similarity,
}
FUNCTION_REGISTRY = Registry(
    "metric function",
    FUNCTIONS,
    known_label="Known functions",
    unknown_fix=". Register a custom one with @register_keras_serializable or pass "
    "it in `custom_objects`.",
)


def is_builtin_loss(fn: Any) -> bool:
    """Whether ``fn`` is a loss (minimised), which callbacks' ``mode="auto"`` reads."""
    return isinstance(fn, Loss) or any(fn is f for f in LOSS_FUNCTIONS.values())


def serialize_function(fn: MetricFn | Loss) -> dict[str, Any]:
    """Keras' record for a function (or loss) inside a ``MeanMetricWrapper`` config."""
    if isinstance(fn, Loss):
        return serialize_loss(fn)  # type: ignore[return-value]
    record: dict[str, Any] = FUNCTION_REGISTRY.serialize(fn)
    return record


def deserialize_function(
    config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> MetricFn:
    """Inverse of :func:`serialize_function`."""
    if isinstance(config, Mapping) and config.get("class_name") != "function":
        return deserialize_loss(dict(config), dict(custom_objects or {}))
    if isinstance(config, Mapping):
        config = str(config["config"])
    fn: MetricFn = FUNCTION_REGISTRY.deserialize(config, custom_objects)
    return fn
