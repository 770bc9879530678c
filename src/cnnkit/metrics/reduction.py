"""``Sum``, ``Mean`` and ``MeanMetricWrapper`` (the running mean of any function).

Example:
    >>> import torch
    >>> m = Mean()
    >>> m.update_state(torch.tensor([1.0, 3.0]))
    >>> m.update_state(torch.tensor([5.0]), sample_weight=torch.tensor([2.0]))
    >>> m.result()
    tensor(3.5000)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from cnnkit.errors import InvalidTypeError, TrainingInputError
from cnnkit.losses.crossentropy import (
    sparse_categorical_crossentropy,
    sparse_crossentropy_with_mask,
)
from cnnkit.losses.loss import (
    ArrayLike,
    apply_mask,
    divide_no_nan,
    squeeze_or_expand_to_same_rank,
)
from cnnkit.metrics.functions import (
    deserialize_function,
    is_builtin_loss,
    serialize_function,
)
from cnnkit.metrics.metric import Metric

__all__ = ["Mean", "MeanMetricWrapper", "Sum", "reduce_to_samplewise_values"]

Reducer = Callable[..., torch.Tensor]


def reduce_to_samplewise_values(
    values: torch.Tensor,
    sample_weight: torch.Tensor | None,
    reduce_fn: Reducer,
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Weight ``values`` and reduce them to one value per sample (Keras' rule).

    Axes the weights do not cover are reduced first (so an ``(N,)`` weight applies to
    whole samples); the returned weights are reduced the same way so that
    ``sum(values) / sum(weights)`` is the weighted mean.
    """
    values = values.to(dtype)
    if sample_weight is not None:
        sample_weight = sample_weight.to(dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_rank, value_rank = sample_weight.dim(), values.dim()
        if value_rank > weight_rank:
            values = reduce_fn(values, dim=list(range(weight_rank, value_rank)))
        try:
            sample_weight = sample_weight.broadcast_to(values.shape)
        except RuntimeError as exc:
            raise TrainingInputError(
                f"`sample_weight` of shape {tuple(sample_weight.shape)} cannot weigh "
                f"metric values of shape {tuple(values.shape)}. Pass one weight per "
                "sample, shaped (batch_size,)."
            ) from exc
        values = values * sample_weight
        if weight_rank > 1:
            sample_weight = reduce_fn(sample_weight, dim=list(range(1, weight_rank)))
    if values.dim() > 1:
        values = reduce_fn(values, dim=list(range(1, values.dim())))
    return values, sample_weight


class Sum(Metric):
    """Running (weighted) sum of the values passed.

    Example:
        >>> import torch
        >>> s = Sum()
        >>> s.update_state(torch.tensor([1.0, 2.0])); s.update_state(torch.tensor(4.0))
        >>> s.result()
        tensor(7.)
    """

    def __init__(self, name: str = "sum", dtype: str | None = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(
        self, values: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        values_t, weight = self._inputs(values, sample_weight)
        values_t, _ = reduce_to_samplewise_values(
            values_t, weight, torch.sum, self._torch_dtype
        )
        self.total.add_(values_t.sum())

    def result(self) -> torch.Tensor:
        return self.total.clone()


class Mean(Metric):
    """Running (weighted) mean: ``sum(values * w) / sum(w)`` over every update.

    Without weights each sample counts once (a sample is a row of the first axis).
    """

    def __init__(self, name: str = "mean", dtype: str | None = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(
        self, values: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        values_t, weight = self._inputs(values, sample_weight)
        self._accumulate(values_t, weight)

    def _accumulate(self, values: torch.Tensor, weight: torch.Tensor | None) -> None:
        values, weight = reduce_to_samplewise_values(
            values, weight, torch.mean, self._torch_dtype
        )
        self.total.add_(values.sum())
        if weight is not None:
            self.count.add_(weight.sum())
        else:
            # A shape, not a value: adding a Python int never waits for the device.
            self.count.add_(values.shape[0] if values.dim() >= 1 else 1)

    def result(self) -> torch.Tensor:
        return divide_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)`` over every sample seen.

    Args:
        fn: A function returning one value per sample (a loss or accuracy function),
            or a :class:`~cnnkit.losses.Loss`.
        name: Name of the metric.
        dtype: Dtype of the state.
        **kwargs: Extra arguments for ``fn``.

    Raises:
        InvalidTypeError: ``fn`` is not callable.

    Example:
        >>> import torch
        >>> from cnnkit.losses import mean_absolute_error
        >>> m = MeanMetricWrapper(mean_absolute_error, name="mae")
        >>> m.update_state(torch.tensor([[1.0], [2.0]]), torch.tensor([[1.5], [2.0]]))
        >>> m.result(), m._direction
        (tensor(0.2500), 'down')
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        dtype: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not callable(fn):
            raise InvalidTypeError(
                f"MeanMetricWrapper needs a function fn(y_true, y_pred); received "
                f"fn={fn!r} of type {type(fn).__name__}."
            )
        super().__init__(name=name, dtype=dtype)  # type: ignore[arg-type]
        self._fn = fn
        self._fn_kwargs = kwargs
        if is_builtin_loss(fn):
            # A loss is minimised: callbacks with mode="auto" need to know.
            self._direction = "down"

    def update_state(  # type: ignore[override]
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> None:
        true, pred, weight = self._inputs(y_true, y_pred, sample_weight)
        values, mask = self._values(true, pred)
        # Masked entries (ignore_class) leave the mean instead of counting as 0.
        weight = apply_mask(weight, mask, reduction="sum")
        self._accumulate(values, weight)

    def _values(
        self, y_true: torch.Tensor, y_pred: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self._fn is sparse_categorical_crossentropy:
            return sparse_crossentropy_with_mask(y_true, y_pred, **self._fn_kwargs)
        return self._fn(y_true, y_pred, **self._fn_kwargs), None

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fn": serialize_function(self._fn),
            **self._fn_kwargs,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)
