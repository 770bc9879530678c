"""TensorFlow's eager conversions, for scripts that ``import tensorflow``.

In TensorFlow ``loss.numpy()`` and ``float(loss)`` always work; torch refuses
``numpy()`` for a tensor that requires grad or lives on a GPU, and warns on
``float()``/``item()`` of one that requires grad. While a script run by ``cnnkit
run`` has imported ``tensorflow``, these detach first (``numpy`` also copies to the
host, torch's own ``force=True``). ``disable`` puts torch's methods back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

_NAMES = ("numpy", "item", "__float__", "__int__")
_originals: dict[str, Any] = {}
# torch defines these on its C base class, not on torch.Tensor itself.
_own = {name: name in vars(torch.Tensor) for name in _NAMES}


def _eager_numpy(self: torch.Tensor, *, force: bool = True) -> np.ndarray:
    return _originals["numpy"](self, force=True)


def _eager_item(self: torch.Tensor) -> Any:
    return _originals["item"](self.detach())


def _eager_float(self: torch.Tensor) -> float:
    return float(_originals["__float__"](self.detach()))


def _eager_int(self: torch.Tensor) -> int:
    return int(_originals["__int__"](self.detach()))


_EAGER = {
    "numpy": _eager_numpy,
    "item": _eager_item,
    "__float__": _eager_float,
    "__int__": _eager_int,
}


def enable() -> None:
    if _originals:
        return
    for name in _NAMES:
        _originals[name] = getattr(torch.Tensor, name)
        setattr(torch.Tensor, name, _EAGER[name])


def disable() -> None:
    for name, original in _originals.items():
        if _own[name]:
            setattr(torch.Tensor, name, original)
        else:
            delattr(torch.Tensor, name)  # back to the C base class's method
    _originals.clear()


def is_enabled() -> bool:
    return bool(_originals)
