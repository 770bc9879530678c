"""Regression metrics: running means of the regression losses, RMSE, cosine similarity.

Example:
    >>> import torch
    >>> m = RootMeanSquaredError()
    >>> m.update_state(torch.tensor([1.0, 2.0]), torch.tensor([[1.0], [4.0]]))
    >>> m.result()
    tensor(1.4142)
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.losses.loss import (
    ArrayLike,
    squeeze_or_expand_to_same_rank,
    to_float_tensor,
    to_tensor,
)
from cnnkit.losses.regression import (
    l2_normalize,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from cnnkit.metrics.reduction import Mean, MeanMetricWrapper

__all__ = [
    "CosineSimilarity",
    "LogCoshError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "cosine_similarity",
]


class _LossMean(MeanMetricWrapper):
    """The running mean of a fixed loss function; the config is just name and dtype."""

    _direction = "down"

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.mean_squared_error`."""

    def __init__(
        self, name: str = "mean_squared_error", dtype: str | None = None
    ) -> None:
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.mean_absolute_error`."""

    def __init__(
        self, name: str = "mean_absolute_error", dtype: str | None = None
    ) -> None:
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.mean_absolute_percentage_error`."""

    def __init__(
        self, name: str = "mean_absolute_percentage_error", dtype: str | None = None
    ) -> None:
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.mean_squared_logarithmic_error`."""

    def __init__(
        self, name: str = "mean_squared_logarithmic_error", dtype: str | None = None
    ) -> None:
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.log_cosh` (Keras names it ``logcosh``)."""

    def __init__(self, name: str = "logcosh", dtype: str | None = None) -> None:
        super().__init__(log_cosh, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the running (weighted) mean of squared errors.

    The square root is taken of the mean over everything seen, not per batch.
    """

    _direction = "down"

    def __init__(
        self, name: str = "root_mean_squared_error", dtype: str | None = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(  # type: ignore[override]
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> None:
        true, pred, weight = self._inputs(y_true, y_pred, sample_weight)
        true, pred = squeeze_or_expand_to_same_rank(
            true.to(self._torch_dtype), pred.to(self._torch_dtype)
        )
        self._accumulate((pred - true).square(), weight)

    def result(self) -> torch.Tensor:
        return torch.sqrt(super().result())


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


class CosineSimilarity(MeanMetricWrapper):
    """Running mean of the cosine similarity between labels and predictions."""

    _direction = "up"

    def __init__(
        self, name: str = "cosine_similarity", dtype: str | None = None, axis: int = -1
    ) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "dtype": self.dtype}
        # Keras leaves `axis` out of the config; it is kept here when not the default.
        return config if self.axis == -1 else {**config, "axis": self.axis}
