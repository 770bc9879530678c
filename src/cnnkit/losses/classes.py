"""Loss classes: a loss function plus its arguments, a reduction and a name.

Example:
    >>> import torch
    >>> loss = CategoricalCrossentropy(label_smoothing=0.1)
    >>> loss.get_config()["label_smoothing"], loss.reduction
    (0.1, 'sum_over_batch_size')
    >>> y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> round(float(loss(y_true, torch.tensor([[0.1, 0.9], [0.8, 0.2]]))), 4)
    0.2538
"""

from __future__ import annotations

from typing import Any

from cnnkit.errors import InvalidArgumentError
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
from cnnkit.losses.regression import (
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from cnnkit.losses.wrapper import FixedFunctionLoss

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
]


def _check_label_smoothing(value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= 1
    ):
        raise InvalidArgumentError(
            "`label_smoothing` must be a float in [0, 1] (0.1 is typical); received "
            f"label_smoothing={value!r}."
        )
    return float(value)


class MeanSquaredError(FixedFunctionLoss):
    """Mean of squared errors (:func:`mean_squared_error`), reduced over the batch."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_squared_error, reduction=reduction, name=name, dtype=dtype
        )


class MeanAbsoluteError(FixedFunctionLoss):
    """Mean of absolute errors (:func:`mean_absolute_error`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_absolute_error, reduction=reduction, name=name, dtype=dtype
        )


class MeanAbsolutePercentageError(FixedFunctionLoss):
    """Mean absolute percentage error (:func:`mean_absolute_percentage_error`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_percentage_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype
        )


class MeanSquaredLogarithmicError(FixedFunctionLoss):
    """Mean squared logarithmic error (:func:`mean_squared_logarithmic_error`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_logarithmic_error",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype
        )


class CosineSimilarity(FixedFunctionLoss):
    """Negated cosine similarity along ``axis`` (:func:`cosine_similarity`)."""

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis
        )
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        # Keras leaves `axis` out of the config; it is kept here when not the default.
        config = super().get_config()
        return config if self.axis == -1 else {**config, "axis": self.axis}


class Huber(FixedFunctionLoss):
    """Huber loss with threshold ``delta`` (:func:`huber`)."""

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            huber, reduction=reduction, name=name, dtype=dtype, delta=delta
        )
        self.delta = delta

    def get_config(self) -> dict[str, Any]:
        # Keras leaves `delta` out of the config; it is kept here when not the default.
        config = super().get_config()
        return config if self.delta == 1.0 else {**config, "delta": self.delta}


class LogCosh(FixedFunctionLoss):
    """Logarithm of the hyperbolic cosine of the error (:func:`log_cosh`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "log_cosh",
        dtype: str | None = None,
    ) -> None:
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class Hinge(FixedFunctionLoss):
    """Hinge loss for -1/+1 (or 0/1) labels (:func:`hinge`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "hinge",
        dtype: str | None = None,
    ) -> None:
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(FixedFunctionLoss):
    """Squared hinge loss (:func:`squared_hinge`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "squared_hinge",
        dtype: str | None = None,
    ) -> None:
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(FixedFunctionLoss):
    """Categorical hinge loss for one-hot labels (:func:`categorical_hinge`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_hinge",
        dtype: str | None = None,
    ) -> None:
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)


class KLDivergence(FixedFunctionLoss):
    """Kullback-Leibler divergence (:func:`kl_divergence`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "kl_divergence",
        dtype: str | None = None,
    ) -> None:
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(FixedFunctionLoss):
    """Poisson loss (:func:`poisson`)."""

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "poisson",
        dtype: str | None = None,
    ) -> None:
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


class CategoricalCrossentropy(FixedFunctionLoss):
    """Cross-entropy for one-hot labels (:func:`categorical_crossentropy`).

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: In [0, 1]; targets become ``y * (1 - ls) + ls / classes``.
        axis: The class axis.
        reduction: See :class:`Loss`.
        name: Name of the loss.
        dtype: See :class:`Loss`.

    Raises:
        InvalidArgumentError: ``label_smoothing`` is outside [0, 1].
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype: str | None = None,
    ) -> None:
        label_smoothing = _check_label_smoothing(label_smoothing)
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
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


class SparseCategoricalCrossentropy(FixedFunctionLoss):
    """Cross-entropy for integer labels (:func:`sparse_categorical_crossentropy`).

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: A label value excluded from the loss and from its average.
        reduction: See :class:`Loss`.
        axis: The class axis.
        name: Name of the loss.
        dtype: See :class:`Loss`.

    Example:
        >>> import torch
        >>> loss = SparseCategoricalCrossentropy(ignore_class=-1)
        >>> round(float(loss(torch.tensor([1, -1]),
        ...                  torch.tensor([[0.5, 0.5], [0.9, 0.1]]))), 4)
        0.6931
    """

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str = "sparse_categorical_crossentropy",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
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
        config = {
            **super().get_config(),
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
        }
        # Keras leaves `axis` out of the config; it is kept here when not the default.
        return config if self.axis == -1 else {**config, "axis": self.axis}


class BinaryCrossentropy(FixedFunctionLoss):
    """Binary cross-entropy, averaged over the last axis (:func:`binary_crossentropy`).

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: In [0, 1]; targets become ``y * (1 - ls) + 0.5 * ls``.
        axis: The axis the mean is taken over.
        reduction: See :class:`Loss`.
        name: Name of the loss.
        dtype: See :class:`Loss`.

    Raises:
        InvalidArgumentError: ``label_smoothing`` is outside [0, 1].
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype: str | None = None,
    ) -> None:
        label_smoothing = _check_label_smoothing(label_smoothing)
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
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
