"""Losses as metrics: running means of cross-entropy, KL divergence, Poisson, hinges.

Unlike the loss classes these take no reduction: they average per-sample values over
every batch seen (weighted by ``sample_weight``), and they never enter the gradient.

Example:
    >>> import torch
    >>> m = SparseCategoricalCrossentropy()
    >>> y_pred = torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> m.update_state(torch.tensor([1, 2]), y_pred)
    >>> round(float(m.result()), 4)
    1.1769
"""

from __future__ import annotations

from typing import Any

from cnnkit.losses.crossentropy import (
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from cnnkit.losses.probabilistic import (
    categorical_hinge,
    hinge,
    kl_divergence,
    poisson,
    squared_hinge,
)
from cnnkit.metrics.regression import _LossMean

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "Hinge",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
]


class KLDivergence(_LossMean):
    """Running mean of :func:`~cnnkit.losses.kl_divergence`."""

    def __init__(self, name: str = "kl_divergence", dtype: str | None = None) -> None:
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(_LossMean):
    """Running mean of :func:`~cnnkit.losses.poisson`."""

    def __init__(self, name: str = "poisson", dtype: str | None = None) -> None:
        super().__init__(poisson, name=name, dtype=dtype)


class Hinge(_LossMean):
    """Running mean of :func:`~cnnkit.losses.hinge`."""

    def __init__(self, name: str = "hinge", dtype: str | None = None) -> None:
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(_LossMean):
    """Running mean of :func:`~cnnkit.losses.squared_hinge`."""

    def __init__(self, name: str = "squared_hinge", dtype: str | None = None) -> None:
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(_LossMean):
    """Running mean of :func:`~cnnkit.losses.categorical_hinge`."""

    def __init__(
        self, name: str = "categorical_hinge", dtype: str | None = None
    ) -> None:
        super().__init__(categorical_hinge, name=name, dtype=dtype)


class BinaryCrossentropy(_LossMean):
    """Running mean of :func:`~cnnkit.losses.binary_crossentropy`.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; targets become ``y * (1 - ls) + 0.5 * ls``.
    """

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: str | None = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
    ) -> None:
        super().__init__(
            binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class CategoricalCrossentropy(_LossMean):
    """Running mean of :func:`~cnnkit.losses.categorical_crossentropy`.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; targets become ``y * (1 - ls) + ls / classes``.
        axis: The class axis.
    """

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: str | None = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
        axis: int = -1,
    ) -> None:
        super().__init__(
            categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class SparseCategoricalCrossentropy(_LossMean):
    """Running mean of :func:`~cnnkit.losses.sparse_categorical_crossentropy`.

    Entries whose label is ``ignore_class`` leave the mean.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label value excluded from the mean.
        axis: The class axis.
    """

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: str | None = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "axis": self.axis,
        }
