"""TensorFlow's eager conversions, for scripts that ``import tensorflow``.

In TensorFlow ``loss.numpy()`` and ``float(loss)`` always work; torch refuses
``numpy()`` for a tensor that requires grad or lives on a GPU, and warns on
``float()``/``item()`` of one that requires grad. While a script run by ``cnnkit
run`` has imported ``tensorflow``, these detach first (``numpy`` also copies to the
host, torch's own ``force=True``). ``disable`` puts torch's methods back.

Python operators between a tensor and a NumPy array stay torch operations, as in
TensorFlow (``x - np.ones(3)``, ``np_target * x``, ``x > np_array``): torch would
hand such a pair to NumPy, which reads the tensor through ``numpy()`` and wraps
the result back *detached*, so a ``GradientTape`` would silently get ``None``. The
array is converted to the tensor's dtype first, as TF's operators do
(``float32 - float64 array`` is ``float32``); where TF refuses that conversion
(a float array with an integer tensor, anything but bools with a bool tensor) NumPy
computes the result, a NumPy array, which is TF's fallback too.

Example:
    >>> import numpy as np
    >>> enable()
    >>> x = torch.ones(2, requires_grad=True)
    >>> y = np.full(2, 3.0) * x - np.ones(2)
    >>> y.dtype, y.requires_grad
    (torch.float32, True)
    >>> disable()
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

_NAMES = ("numpy", "item", "__float__", "__int__")
# Binary operators whose other operand may be a NumPy array (both sides: NumPy
# defers `array * tensor` to `tensor.__rmul__` because of torch's
# `__array_priority__`).
_ARITHMETIC = (
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
    "and", "or", "xor",
)  # fmt: skip
_OPERATORS = (
    *(f"__{prefix}{op}__" for op in _ARITHMETIC for prefix in ("", "r")),
    *("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"),
)
_originals: dict[str, Any] = {}
# torch defines some of these on its C base class, not on torch.Tensor itself.
_own = {name: name in vars(torch.Tensor) for name in _NAMES + _OPERATORS}


def _eager_numpy(self: torch.Tensor, *, force: bool = True) -> np.ndarray:
    return _originals["numpy"](self, force=True)


def _eager_item(self: torch.Tensor) -> Any:
    return _originals["item"](self.detach())


def _eager_float(self: torch.Tensor) -> float:
    return float(_originals["__float__"](self.detach()))


def _eager_int(self: torch.Tensor) -> int:
    return int(_originals["__int__"](self.detach()))


_EAGER: dict[str, Any] = {
    "numpy": _eager_numpy,
    "item": _eager_item,
    "__float__": _eager_float,
    "__int__": _eager_int,
}


def _convertible(array_kind: str, dtype: torch.dtype) -> bool:
    """Whether TF converts an array of this NumPy kind to a tensor of ``dtype``."""
    if dtype.is_complex:
        return array_kind in "biufc"
    if dtype.is_floating_point:
        return array_kind in "iuf"
    if dtype == torch.bool:
        return array_kind == "b"
    return array_kind in "iu"


def _as_operand(tensor: torch.Tensor, other: np.ndarray | np.generic) -> Any:
    """``other`` as a tensor of ``tensor``'s dtype and device, or None if TF would not."""
    array = np.asarray(other)
    if not _convertible(array.dtype.kind, tensor.dtype):
        return None
    return torch.as_tensor(array).to(device=tensor.device, dtype=tensor.dtype)


def _operator(name: str) -> Any:
    original = _originals[name]

    def operator(self: torch.Tensor, other: Any) -> Any:
        if isinstance(other, np.ndarray | np.generic):
            converted = _as_operand(self, other)
            if converted is None:
                # TF's own fallback: NumPy computes it, and the result is an array.
                return getattr(_eager_numpy(self), name)(other)
            other = converted
        return original(self, other)

    operator.__name__ = name
    return operator


def enable() -> None:
    if _originals:
        return
    for name in _NAMES:
        _originals[name] = getattr(torch.Tensor, name)
        setattr(torch.Tensor, name, _EAGER[name])
    for name in _OPERATORS:
        _originals[name] = getattr(torch.Tensor, name)
        setattr(torch.Tensor, name, _operator(name))


def disable() -> None:
    for name, original in _originals.items():
        if _own[name]:
            setattr(torch.Tensor, name, original)
        else:
            delattr(torch.Tensor, name)  # back to the C base class's method
    _originals.clear()


def is_enabled() -> bool:
    return bool(_originals)
