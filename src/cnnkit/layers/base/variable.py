"""``Variable``: the Keras-facing handle of one layer weight.

The tensor itself is a ``torch.nn.Parameter`` (trainable) or a registered buffer
(non-trainable, e.g. BatchNormalization's moving statistics) on the layer, so torch
sees a normal module. The handle adds what Keras exposes: ``name``, ``path``, Keras
``shape``, ``trainable``, ``numpy()``, ``assign()``, and the regularizer/constraint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cnnkit.errors import IncompatibleShapeError
from cnnkit.layers.base import context

if TYPE_CHECKING:
    from cnnkit.layers.base.layer import Layer


class Variable:
    """A weight of ``layer`` stored under the torch attribute ``attr``."""

    def __init__(
        self,
        layer: Layer,
        name: str,
        attr: str,
        trainable: bool,
        regularizer: Any = None,
        constraint: Any = None,
    ) -> None:
        self._layer_ref = layer
        self.name = name
        # Keras fixes a variable's path when it is created, from the name scopes
        # open then (`sequential/dense/kernel` for a layer built inside a model).
        self._scope = context.current_name_scope() or layer.name
        self.attr = attr
        self.declared_trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint

    @property
    def layer(self) -> Layer:
        return self._layer_ref

    @property
    def value(self) -> torch.Tensor:
        """The live tensor (a Parameter or buffer)."""
        return getattr(self._layer_ref, self.attr)

    @property
    def path(self) -> str:
        """``"conv2d/kernel"``: the name scopes at creation (the layer's name, after
        the model's when it was built inside one) and the weight name."""
        return f"{self._scope}/{self.name}"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)

    @property
    def dtype(self) -> str:
        return str(self.value.dtype).removeprefix("torch.")

    @property
    def trainable(self) -> bool:
        return self.declared_trainable and self._layer_ref.trainable

    def numpy(self) -> np.ndarray:
        return self.value.detach().cpu().numpy().copy()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def assign(self, value: Any) -> None:
        """Copy ``value`` (numpy or tensor, same shape) into the weight in place."""
        target = self.value
        new = torch.as_tensor(
            np.asarray(value) if not torch.is_tensor(value) else value
        )
        if tuple(new.shape) != tuple(target.shape):
            raise IncompatibleShapeError(
                f"Cannot assign a value of shape {tuple(new.shape)} to weight "
                f"'{self.path}' of shape {tuple(target.shape)}. Weights use Keras "
                "layouts: (kh, kw, in, out) for conv kernels, (in, out) for Dense."
            )
        with torch.no_grad():
            target.copy_(new.to(dtype=target.dtype, device=target.device))

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"
