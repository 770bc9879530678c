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

    loss_fn, default_name = kl_divergence, "kl_divergence"


class Poisson(_LossMean):
    """Running mean of :func:`~cnnkit.losses.poisson`."""

    loss_fn, default_name = poisson, "poisson"


class Hinge(_LossMean):
    """Running mean of :func:`~cnnkit.losses.hinge`."""

    loss_fn, default_name = hinge, "hinge"


class SquaredHinge(_LossMean):
    """Running mean of :func:`~cnnkit.losses.squared_hinge`."""

    loss_fn, default_name = squared_hinge, "squared_hinge"


class CategoricalHinge(_LossMean):
    """Running mean of :func:`~cnnkit.losses.categorical_hinge`."""

    loss_fn, default_name = categorical_hinge, "categorical_hinge"


class BinaryCrossentropy(_LossMean):
    """Running mean of :func:`~cnnkit.losses.binary_crossentropy`.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; targets become ``y * (1 - ls) + 0.5 * ls``.

    Raises:
        InvalidArgumentError: ``label_smoothing`` is outside [0, 1].
    """

    loss_fn, default_name = binary_crossentropy, "binary_crossentropy"
    fn_defaults: ClassVar[dict[str, Any]] = {"from_logits": False, "label_smoothing": 0}
    keras_config_keys = ("from_logits", "label_smoothing")
    from_logits: bool
    label_smoothing: float

    def __init__(
        self,
        name: str | None = None,
        dtype: str | None = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
    ) -> None:
        arguments = crossentropy_arguments(
            from_logits=from_logits, label_smoothing=label_smoothing
        )
        super().__init__(name, dtype, **arguments)


class CategoricalCrossentropy(_LossMean):
    """Running mean of :func:`~cnnkit.losses.categorical_crossentropy`.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; targets become ``y * (1 - ls) + ls / classes``.
        axis: The class axis.

    Raises:
        InvalidArgumentError: ``label_smoothing`` is outside [0, 1].
        InvalidTypeError: ``axis`` is not an int.
    """

    loss_fn, default_name = categorical_crossentropy, "categorical_crossentropy"
    fn_defaults: ClassVar[dict[str, Any]] = {
        "from_logits": False,
        "label_smoothing": 0,
        "axis": -1,
    }
    keras_config_keys = ("from_logits", "label_smoothing", "axis")
    from_logits: bool
    label_smoothing: float
    axis: int

    def __init__(
        self,
        name: str | None = None,
        dtype: str | None = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
        axis: int = -1,
    ) -> None:
        arguments = crossentropy_arguments(
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis
        )
        super().__init__(name, dtype, **arguments)


class SparseCategoricalCrossentropy(_LossMean):
    """Running mean of :func:`~cnnkit.losses.sparse_categorical_crossentropy`.

    Entries whose label is ``ignore_class`` leave the mean.

    Args:
        name: Name of the metric.
        dtype: Dtype of the state.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label value excluded from the mean.
        axis: The class axis.

    Raises:
        InvalidTypeError: ``ignore_class`` is not an int or None, or ``axis`` is not
            an int.
    """

    loss_fn = sparse_categorical_crossentropy
    default_name = "sparse_categorical_crossentropy"
    fn_defaults: ClassVar[dict[str, Any]] = {
        "from_logits": False,
        "ignore_class": None,
        "axis": -1,
    }
    keras_config_keys = ("from_logits", "ignore_class", "axis")
    from_logits: bool
    ignore_class: int | None
    axis: int

    def __init__(
        self,
        name: str | None = None,
        dtype: str | None = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ) -> None:
        arguments = crossentropy_arguments(
            from_logits=from_logits, ignore_class=ignore_class, axis=axis
        )
        super().__init__(name, dtype, **arguments)
