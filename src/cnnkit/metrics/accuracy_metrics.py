"""Accuracy metrics: exact match, thresholded binary, argmax and top-k.

Each function returns one 0/1 value per sample; each class is their running mean.
Which one ``metrics=["accuracy"]`` means is decided by :func:`cnnkit.metrics.resolve`.

Example:
    >>> import torch
    >>> y_pred = torch.tensor([[0.1, 0.9, 0.0], [0.6, 0.3, 0.1]])
    >>> sparse_categorical_accuracy(torch.tensor([1, 2]), y_pred)
    tensor([1., 0.])
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state(torch.tensor([[1], [2]]), y_pred)
    >>> m.result()
    tensor(0.5000)
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import config
from cnnkit.losses.loss import ArrayLike, squeeze_or_expand_to_same_rank, to_tensor
from cnnkit.metrics.reduction import MeanMetricWrapper

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


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


class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` exactly (:func:`accuracy`)."""

    _direction = "up"

    def __init__(self, name: str = "accuracy", dtype: str | None = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 label (:func:`binary_accuracy`).

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        threshold: Decision threshold (0.5 suits probabilities; use 0.0 for logits).
    """

    _direction = "up"

    def __init__(
        self,
        name: str = "binary_accuracy",
        dtype: str | None = None,
        threshold: float = 0.5,
    ) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax matches a one-hot label (:func:`categorical_accuracy`)."""

    _direction = "up"

    def __init__(
        self, name: str = "categorical_accuracy", dtype: str | None = None
    ) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax equals the integer label.

    See :func:`sparse_categorical_accuracy`.
    """

    _direction = "up"

    def __init__(
        self, name: str = "sparse_categorical_accuracy", dtype: str | None = None
    ) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is in the top ``k`` scores."""

    _direction = "up"

    def __init__(
        self,
        k: int = 5,
        name: str = "top_k_categorical_accuracy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is in the top ``k`` scores."""

    _direction = "up"

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: str | None = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(
            sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
