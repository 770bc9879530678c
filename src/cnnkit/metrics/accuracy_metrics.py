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

from cnnkit.metrics.functions import (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
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
