"""``LossFunctionWrapper``: a per-sample loss function turned into a :class:`Loss`.

Example:
    >>> import torch
    >>> from cnnkit.losses.regression import mean_absolute_error
    >>> mae = LossFunctionWrapper(mean_absolute_error, name="mae", reduction="sum")
    >>> mae(torch.tensor([[1.0], [2.0]]), torch.tensor([[0.0], [0.0]]))
    tensor(3.)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import torch

from cnnkit.errors import InvalidTypeError
from cnnkit.losses.crossentropy import (
    sparse_categorical_crossentropy,
    sparse_crossentropy_with_mask,
)
from cnnkit.losses.functions import deserialize_function, serialize_function
from cnnkit.losses.loss import Loss, squeeze_or_expand_to_same_rank

__all__ = ["FixedFunction", "FixedFunctionLoss", "LossFn", "LossFunctionWrapper"]

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
        return {
            **super().get_config(),
            "fn": serialize_function(self.fn),
            **self._fn_kwargs,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)


class FixedFunction:
    """What a loss or metric class wrapping one fixed function declares, as data.

    A subclass sets ``loss_fn`` and Keras' ``default_name``; if the function takes
    arguments, ``fn_defaults`` lists them with Keras' defaults and
    ``keras_config_keys`` says which of them Keras writes into every config (the
    others are written only when they differ from the default, so that a config
    still rebuilds the same object). Each argument is also kept as an attribute
    (``loss.from_logits``).

    The shared ``__init__`` of :class:`FixedFunctionLoss` and of the metrics takes
    ``name=None`` to mean ``default_name``; the signature that ``inspect`` and
    ``help()`` show has Keras' default name instead.
    """

    loss_fn: ClassVar[LossFn]
    default_name: ClassVar[str]
    fn_defaults: ClassVar[dict[str, Any]] = {}
    keras_config_keys: ClassVar[tuple[str, ...]] = ()
    _fn_kwargs: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        signature = inspect.signature(cls.__init__)
        parameters = [
            p.replace(default=cls.default_name, annotation="str")
            if p.name == "name" and p.default is None and hasattr(cls, "default_name")
            else p
            for p in list(signature.parameters.values())[1:]  # without `self`
            if p.kind is not p.VAR_KEYWORD
        ]
        cls.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]

    def _fn_arguments(self, given: dict[str, Any]) -> dict[str, Any]:
        """Keras' defaults completed with ``given``, each kept as an attribute."""
        unknown = sorted(set(given) - set(self.fn_defaults))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got an unexpected keyword argument "
                f"{unknown[0]!r}"
            )
        arguments = {**self.fn_defaults, **given}
        for key, value in arguments.items():
            setattr(self, key, value)
        return arguments

    def _fn_config(self) -> dict[str, Any]:
        """The function's arguments as the config writes them."""
        return {
            key: self._fn_kwargs[key]
            for key, default in self.fn_defaults.items()
            if key in self.keras_config_keys or self._fn_kwargs[key] != default
        }


class FixedFunctionLoss(FixedFunction, LossFunctionWrapper):
    """A wrapper whose function is fixed by the class; the config omits ``fn``.

    Example:
        >>> from cnnkit.losses.regression import huber
        >>> class Smooth(FixedFunctionLoss):
        ...     loss_fn, default_name = huber, "smooth"
        ...     fn_defaults = {"delta": 1.0}
        >>> Smooth(delta=0.5).get_config()
        {'name': 'smooth', 'reduction': 'sum_over_batch_size', 'delta': 0.5}
        >>> import inspect; inspect.signature(Smooth)
        <Signature (reduction: 'str | None' = 'sum_over_batch_size', \
name: 'str' = 'smooth', dtype: 'str | None' = None) -> 'None'>
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: str | None = None,
        **fn_kwargs: Any,
    ) -> None:
        super().__init__(
            type(self).loss_fn,
            reduction=reduction,
            name=name or self.default_name,
            dtype=dtype,
            **self._fn_arguments(fn_kwargs),
        )

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), **self._fn_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)
