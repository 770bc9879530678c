"""Weight constraints applied after each optimizer step (``kernel_constraint=...``).

Example:
    >>> import torch
    >>> NonNeg()(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import serialization
from cnnkit.errors import InvalidArgumentError

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]

_EPSILON = 1e-7


def _axes(axis: int | list[int] | tuple[int, ...]) -> list[int]:
    return [axis] if isinstance(axis, int) else list(axis)


class Constraint:
    """Base class: ``new_weight = constraint(weight)``."""

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Caps the L2 norm of each slice along ``axis`` (0: one norm per output unit...)."""

    def __init__(self, max_value: float = 2, axis: int | list[int] = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = w.square().sum(dim=_axes(self.axis), keepdim=True).sqrt()
        desired = norms.clamp(0, self.max_value)
        return w * (desired / (_EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w.clamp_min(0.0)


class UnitNorm(Constraint):
    def __init__(self, axis: int | list[int] = 0) -> None:
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = w.square().sum(dim=_axes(self.axis), keepdim=True).sqrt()
        return w / (_EPSILON + norms)

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    def __init__(
        self,
        min_value: float = 0.0,
        max_value: float = 1.0,
        rate: float = 1.0,
        axis: int | list[int] = 0,
    ) -> None:
        self.min_value, self.max_value, self.rate, self.axis = (
            min_value,
            max_value,
            rate,
            axis,
        )

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = w.square().sum(dim=_axes(self.axis), keepdim=True).sqrt()
        clipped = norms.clamp(self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_ALIASES = {
    "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
    "min_max_norm": MinMaxNorm,
}  # fmt: skip
_REGISTRY = serialization.Registry(
    "constraint",
    {cls.__name__: cls for cls in (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)},
    aliases=_ALIASES,
    base=Constraint,
    module="keras.constraints",
    accepts="'max_norm', 'non_neg', 'unit_norm', a config dict, a `Constraint` "
    "instance or a callable(weight) -> weight",
    type_error=InvalidArgumentError,
)


def get(identifier: Any) -> Constraint | None:
    """Resolve None, a string id, a config dict, an instance or a callable.

    Example:
        >>> get("max_norm")
        MaxNorm(max_value=2, axis=0)
    """
    return _REGISTRY.get(identifier)


def serialize(constraint: Constraint | None) -> dict[str, Any] | None:
    """Keras' ``{module, class_name, config, registered_name}`` form (None stays None).

    Example:
        >>> serialize(UnitNorm(axis=1))["config"]
        {'axis': 1}
    """
    return _REGISTRY.serialize(constraint)


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Constraint:
    """Rebuild a constraint from :func:`serialize`'s output (or a string id)."""
    return _REGISTRY.deserialize(config, custom_objects)
