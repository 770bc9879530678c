"""Regression metrics: running means of the regression losses, RMSE, cosine similarity.

Example:
    >>> import torch
    >>> m = RootMeanSquaredError()
    >>> m.update_state(torch.tensor([1.0, 2.0]), torch.tensor([[1.0], [4.0]]))
    >>> m.result()
    tensor(1.4142)
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from cnnkit.losses.loss import (
    ArrayLike,
    squeeze_or_expand_to_same_rank,
)
from cnnkit.losses.regression import (
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from cnnkit.losses.wrapper import FixedFunction
from cnnkit.metrics.functions import cosine_similarity
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


class _LossMean(FixedFunction, MeanMetricWrapper):
    """The running mean of a fixed loss function, declared as data like the losses.

    The config is the name, the dtype and the function's arguments.
    """

    _direction = "down"

    def __init__(
        self, name: str | None = None, dtype: str | None = None, **fn_kwargs: Any
    ) -> None:
        super().__init__(
            type(self).loss_fn,
            name=name or self.default_name,
            dtype=dtype,
            **self._fn_arguments(fn_kwargs),
        )

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, **self._fn_config()}


class MeanSquaredError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.mean_squared_error`."""

    loss_fn, default_name = mean_squared_error, "mean_squared_error"


class MeanAbsoluteError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.mean_absolute_error`."""

    loss_fn, default_name = mean_absolute_error, "mean_absolute_error"


class MeanAbsolutePercentageError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.mean_absolute_percentage_error`."""

    loss_fn = mean_absolute_percentage_error
    default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.mean_squared_logarithmic_error`."""

    loss_fn = mean_squared_logarithmic_error
    default_name = "mean_squared_logarithmic_error"


class LogCoshError(_LossMean):
    """Running mean of :func:`~cnnkit.losses.log_cosh` (Keras names it ``logcosh``)."""

    loss_fn, default_name = log_cosh, "logcosh"


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


class CosineSimilarity(_LossMean):
    """Running mean of the cosine similarity between labels and predictions.

    Keras leaves ``axis`` out of the config; cnnkit writes it when not -1.
    """

    _direction = "up"
    loss_fn, default_name = cosine_similarity, "cosine_similarity"
    fn_defaults: ClassVar[dict[str, Any]] = {"axis": -1}
    axis: int

    def __init__(
        self, name: str | None = None, dtype: str | None = None, axis: int = -1
    ) -> None:
        super().__init__(name, dtype, axis=axis)
