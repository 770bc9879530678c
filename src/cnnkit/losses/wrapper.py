"""``LossFunctionWrapper``: a per-sample loss function turned into a :class:`Loss`.

Example:
    >>> import torch
    >>> from cnnkit.losses.regression import mean_absolute_error
    >>> mae = LossFunctionWrapper(mean_absolute_error, name="mae", reduction="sum")
    >>> mae(torch.tensor([[1.0], [2.0]]), torch.tensor([[0.0], [0.0]]))
    tensor(3.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from cnnkit.errors import InvalidTypeError
from cnnkit.losses.crossentropy import (
    sparse_categorical_crossentropy,
    sparse_crossentropy_with_mask,
)
from cnnkit.losses.loss import Loss, squeeze_or_expand_to_same_rank

__all__ = ["FixedFunctionLoss", "LossFn", "LossFunctionWrapper"]

LossFn = Callable[..., torch.Tensor]


class LossFunctionWrapper(Loss):
    """Turn a per-sample loss function into a :class:`Loss` with a reduction.

    Before calling ``fn`` it lines up ranks that differ by one size-1 axis
    (``(N,)`` labels against an ``(N, 1)`` output), as Keras does.

    Args:
        fn: ``fn(y_true, y_pred, **kwargs)`` returning one value per sample.
        reduction: See :class:`Loss`.
        name: Name of the loss.
        dtype: See :class:`Loss`.
        **kwargs: Extra arguments passed to ``fn`` on every call.

    Raises:
        InvalidTypeError: ``fn`` is not callable.

    Example:
        >>> import torch
        >>> from cnnkit.losses.regression import mean_squared_error
        >>> mse = LossFunctionWrapper(mean_squared_error, name="mse")
        >>> mse(torch.tensor([1.0, 2.0]), torch.tensor([[1.0], [4.0]]))
        tensor(2.)
    """

    def __init__(
        self,
        fn: LossFn,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not callable(fn):
            raise InvalidTypeError(
                f"LossFunctionWrapper needs a function fn(y_true, y_pred); received "
                f"fn={fn!r} of type {type(fn).__name__}. For a string id use "
                "cnnkit.losses.resolve(...)."
            )
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        return self.call_with_mask(y_true, y_pred)[0]

    def call_with_mask(
        self, y_true: torch.Tensor, y_pred: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if self.fn is sparse_categorical_crossentropy:
            # The mask makes `ignore_class` entries leave the average, not just add 0.
            return sparse_crossentropy_with_mask(y_true, y_pred, **self._fn_kwargs)
        return self.fn(y_true, y_pred, **self._fn_kwargs), None

    def get_config(self) -> dict[str, Any]:
        from cnnkit.losses.registry import serialize

        return {
            **super().get_config(),
            "fn": serialize(self.fn),
            **self._fn_kwargs,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        from cnnkit.losses.registry import deserialize

        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)


class FixedFunctionLoss(LossFunctionWrapper):
    """A wrapper whose function is fixed by the class; the config omits ``fn``."""

    def get_config(self) -> dict[str, Any]:
        return Loss.get_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)
