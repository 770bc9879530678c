"""The tensors ``add_weight`` returns: torch tensors with Keras' variable methods.

Keras code treats ``layer.kernel`` or ``self.total = self.add_weight(...)`` as a
variable: ``self.total.assign_add(ops.sum(x, axis=0))`` in ``call``,
``layer.bias.assign(...)``, ``layer.kernel.numpy()``. cnnkit's weights stay plain
torch Parameters and buffers for every torch operation (their ``__torch_function__``
is disabled, so arithmetic returns ordinary tensors at no extra cost) and add those
methods on top.

Example:
    >>> import torch
    >>> total = as_weight_tensor(torch.zeros(2), trainable=False)
    >>> total.assign_add(torch.tensor([1.0, 2.0])).tolist()
    [1.0, 2.0]
    >>> type(total + 1).__name__
    'Tensor'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cnnkit.errors import IncompatibleShapeError


class _VariableMethods:
    """``assign``/``assign_add``/``assign_sub``/``numpy``, in place and without autograd."""

    def _value_like(self, value: Any) -> torch.Tensor:
        target: torch.Tensor = self  # type: ignore[assignment]
        new = (
            value
            if isinstance(value, torch.Tensor)
            else torch.as_tensor(np.asarray(value))
        )
        if new.dim() and tuple(new.shape) != tuple(target.shape):
            raise IncompatibleShapeError(
                f"Cannot assign a value of shape {tuple(new.shape)} to a weight of shape "
                f"{tuple(target.shape)}; give a value of the weight's shape (or a scalar)."
            )
        return new.detach().to(dtype=target.dtype, device=target.device)

    def assign(self, value: Any) -> Any:
        with torch.no_grad():
            self.copy_(self._value_like(value))  # type: ignore[attr-defined]
        return self

    def assign_add(self, value: Any) -> Any:
        with torch.no_grad():
            self.add_(self._value_like(value))  # type: ignore[attr-defined]
        return self

    def assign_sub(self, value: Any) -> Any:
        with torch.no_grad():
            self.sub_(self._value_like(value))  # type: ignore[attr-defined]
        return self

    def numpy(self, *args: Any, **kwargs: Any) -> np.ndarray:
        """A numpy copy, even of a weight that requires grad (as a Keras variable)."""
        return self.detach().cpu().numpy().copy()  # type: ignore[attr-defined]


class WeightParameter(_VariableMethods, torch.nn.Parameter):
    """A trainable weight."""

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        return "Parameter containing:\n" + repr(self.data)


class WeightBuffer(_VariableMethods, torch.Tensor):
    """A non-trainable weight (a module buffer)."""

    __torch_function__ = torch._C._disabled_torch_function_impl  # type: ignore[assignment]

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        return repr(self.detach())


def as_weight_tensor(
    value: torch.Tensor, trainable: bool, requires_grad: bool = True
) -> Any:
    """``value`` as the weight tensor of its kind (no copy of the data)."""
    if trainable:
        return WeightParameter(value, requires_grad=requires_grad)
    return torch.Tensor._make_subclass(WeightBuffer, value, False)


def is_weight_tensor(value: Any) -> bool:
    return isinstance(value, _VariableMethods)
