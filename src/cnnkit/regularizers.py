"""Weight penalties added to the training loss (``kernel_regularizer=l2(1e-4)``).

Example:
    >>> import torch
    >>> float(L2(0.5)(torch.tensor([1.0, 2.0])))
    2.5
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import serialization
from cnnkit.errors import InvalidArgumentError

__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "serialize",
]


def _check_factor(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidArgumentError(
            f"`{name}` must be a non-negative number; received {name}={value!r}."
        )
    return float(value)


class Regularizer:
    """Base class: ``penalty = regularizer(weight)`` is a 0-d tensor."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} must implement __call__.")

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = _check_factor(l1, "l1"), _check_factor(l2, "l2")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * x.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * x.square().sum()
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _check_factor(l1, "l1")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l1 * x.abs().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _check_factor(l2, "l2")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2 * x.square().sum()

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Encourages the rows (or columns) of a 2-D weight to be orthonormal."""

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        if mode not in ("rows", "columns"):
            raise InvalidArgumentError(
                f"`mode` must be 'rows' or 'columns'; received mode={mode!r}."
            )
        self.factor, self.mode = _check_factor(factor, "factor"), mode

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        rows = x if self.mode == "rows" else x.T
        unit = rows / rows.norm(dim=1, keepdim=True).clamp_min(1e-12)
        product = unit @ unit.T
        size = product.shape[0]
        off_diagonal = product - torch.eye(size, dtype=x.dtype, device=x.device)
        return self.factor * off_diagonal.abs().sum() / (size * (size - 1) or 1)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


def l1(l1: float = 0.01) -> L1:
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    return L1L2(l1, l2)


_ALIASES = {
    "l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer,
}  # fmt: skip
_REGISTRY = serialization.Registry(
    "regularizer",
    {cls.__name__: cls for cls in (L1, L2, L1L2, OrthogonalRegularizer)},
    aliases=_ALIASES,
    base=Regularizer,
    module="keras.regularizers",
    accepts="'l1', 'l2', a config dict, cnnkit.regularizers.l2(1e-4) or a "
    "callable(weight) -> penalty",
    type_error=InvalidArgumentError,
)


def get(identifier: Any) -> Regularizer | None:
    """Resolve None, a string id, a config dict, an instance or a callable.

    Example:
        >>> get("l2")
        L2(l2=0.01)
    """
    return _REGISTRY.get(identifier)


def serialize(regularizer: Regularizer | None) -> dict[str, Any] | None:
    """Keras' ``{module, class_name, config, registered_name}`` form (None stays None).

    Example:
        >>> serialize(L1(0.5))["config"]
        {'l1': 0.5}
    """
    return _REGISTRY.serialize(regularizer)


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Regularizer:
    """Rebuild a regularizer from :func:`serialize`'s output (or a string id)."""
    return _REGISTRY.deserialize(config, custom_objects)
