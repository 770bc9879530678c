"""Loss classes: a loss function plus its arguments, a reduction and a name.

Each class declares its function, Keras' default name and the function's arguments
as data (see :class:`~cnnkit.losses.wrapper.FixedFunction`); only the classes whose
function takes arguments write an ``__init__``, to keep Keras' signature.

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

from typing import Any, ClassVar

from cnnkit.losses.crossentropy import (
    binary_crossentropy,
    categorical_crossentropy,
    crossentropy_arguments,
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


class MeanSquaredError(FixedFunctionLoss):
    """Mean of squared errors (:func:`mean_squared_error`), reduced over the batch."""

    loss_fn, default_name = mean_squared_error, "mean_squared_error"


class MeanAbsoluteError(FixedFunctionLoss):
    """Mean of absolute errors (:func:`mean_absolute_error`)."""

    loss_fn, default_name = mean_absolute_error, "mean_absolute_error"


class MeanAbsolutePercentageError(FixedFunctionLoss):
    """Mean absolute percentage error (:func:`mean_absolute_percentage_error`)."""

    loss_fn = mean_absolute_percentage_error
    default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(FixedFunctionLoss):
    """Mean squared logarithmic error (:func:`mean_squared_logarithmic_error`)."""

    loss_fn = mean_squared_logarithmic_error
    default_name = "mean_squared_logarithmic_error"


class LogCosh(FixedFunctionLoss):
    """Logarithm of the hyperbolic cosine of the error (:func:`log_cosh`)."""

    loss_fn, default_name = log_cosh, "log_cosh"


class Hinge(FixedFunctionLoss):
    """Hinge loss for -1/+1 (or 0/1) labels (:func:`hinge`)."""

    loss_fn, default_name = hinge, "hinge"


class SquaredHinge(FixedFunctionLoss):
    """Squared hinge loss (:func:`squared_hinge`)."""

    loss_fn, default_name = squared_hinge, "squared_hinge"


class CategoricalHinge(FixedFunctionLoss):
    """Categorical hinge loss for one-hot labels (:func:`categorical_hinge`)."""

    loss_fn, default_name = categorical_hinge, "categorical_hinge"


class KLDivergence(FixedFunctionLoss):
    """Kullback-Leibler divergence (:func:`kl_divergence`)."""

    loss_fn, default_name = kl_divergence, "kl_divergence"


class Poisson(FixedFunctionLoss):
    """Poisson loss (:func:`poisson`)."""

    loss_fn, default_name = poisson, "poisson"


class CosineSimilarity(FixedFunctionLoss):
    """Negated cosine similarity along ``axis`` (:func:`cosine_similarity`).

    Keras leaves ``axis`` out of the config; cnnkit writes it when not -1.
    """

    loss_fn, default_name = cosine_similarity, "cosine_similarity"
    fn_defaults: ClassVar[dict[str, Any]] = {"axis": -1}
    axis: int

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(reduction, name, dtype, axis=axis)


class Huber(FixedFunctionLoss):
    """Huber loss with threshold ``delta`` (:func:`huber`).

    Keras leaves ``delta`` out of the config; cnnkit writes it when not 1.0.
    """

    loss_fn, default_name = huber, "huber_loss"
    fn_defaults: ClassVar[dict[str, Any]] = {"delta": 1.0}
    delta: float

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(reduction, name, dtype, delta=delta)


class _SmoothedCrossentropy(FixedFunctionLoss):
    """The arguments categorical and binary cross-entropy share, in Keras' order."""

    fn_defaults: ClassVar[dict[str, Any]] = {
        "from_logits": False,
        "label_smoothing": 0.0,
        "axis": -1,
    }
    keras_config_keys = ("from_logits", "label_smoothing", "axis")
    from_logits: bool
    label_smoothing: float
    axis: int

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        arguments = crossentropy_arguments(
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
        )
        super().__init__(reduction, name, dtype, **arguments)


class CategoricalCrossentropy(_SmoothedCrossentropy):
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
        InvalidTypeError: ``axis`` is not an int.
    """

    loss_fn, default_name = categorical_crossentropy, "categorical_crossentropy"


class SparseCategoricalCrossentropy(FixedFunctionLoss):
    """Cross-entropy for integer labels (:func:`sparse_categorical_crossentropy`).

    Keras leaves ``axis`` out of the config; cnnkit writes it when not -1.

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: A label value excluded from the loss and from its average.
        reduction: See :class:`Loss`.
        axis: The class axis.
        name: Name of the loss.
        dtype: See :class:`Loss`.

    Raises:
        InvalidTypeError: ``ignore_class`` is not an int or None, or ``axis`` is not
            an int.

    Example:
        >>> import torch
        >>> loss = SparseCategoricalCrossentropy(ignore_class=-1)
        >>> round(float(loss(torch.tensor([1, -1]),
        ...                  torch.tensor([[0.5, 0.5], [0.9, 0.1]]))), 4)
        0.6931
    """

    loss_fn = sparse_categorical_crossentropy
    default_name = "sparse_categorical_crossentropy"
    fn_defaults: ClassVar[dict[str, Any]] = {
        "from_logits": False,
        "ignore_class": None,
        "axis": -1,
    }
    keras_config_keys = ("from_logits", "ignore_class")
    from_logits: bool
    ignore_class: int | None
    axis: int

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        arguments = crossentropy_arguments(
            from_logits=from_logits, ignore_class=ignore_class, axis=axis
        )
        super().__init__(reduction, name, dtype, **arguments)


class BinaryCrossentropy(_SmoothedCrossentropy):
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
        InvalidTypeError: ``axis`` is not an int.
    """

    loss_fn, default_name = binary_crossentropy, "binary_crossentropy"
