"""TensorFlow's eager ``tensor.numpy()``, for scripts that ``import tensorflow``.

In TensorFlow ``loss.numpy()`` always works; torch refuses it for a tensor that
requires grad or lives on a GPU. While a script run by ``cnnkit run`` has imported
``tensorflow``, ``torch.Tensor.numpy`` detaches and copies to the host first
(torch's own ``force=True``). ``disable`` puts torch's method back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

_original: Any = None
_was_own = "numpy" in vars(torch.Tensor)  # torch defines it on its C base class


def _eager_numpy(self: torch.Tensor, *, force: bool = True) -> np.ndarray:
    return _original(self, force=True)


def enable() -> None:
    global _original
    if _original is None:
        _original = torch.Tensor.numpy
        torch.Tensor.numpy = _eager_numpy  # type: ignore[assignment,method-assign]


def disable() -> None:
    global _original
    if _original is not None:
        if _was_own:
            torch.Tensor.numpy = _original  # type: ignore[method-assign]
        else:
            del torch.Tensor.numpy  # back to the C base class's method
        _original = None


def is_enabled() -> bool:
    return _original is not None
