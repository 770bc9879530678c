"""Tensor conversion and the dtype rules ``keras.ops`` follows on its torch backend.

Example:
    >>> import numpy as np
    >>> convert_to_tensor([1.5, 2.0]).dtype, convert_to_tensor(np.arange(3)).dtype
    (torch.float32, torch.int64)
    >>> convert_to_numpy(convert_to_tensor(3)).dtype
    dtype('int32')
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cnnkit import config
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

__all__ = [
    "cast",
    "convert_to_numpy",
    "convert_to_tensor",
    "dtype_of",
    "is_tensor",
    "ndim",
    "shape",
    "size",
    "stop_gradient",
]


def _torch_dtype(dtype: Any) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        return dtype
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    value = getattr(torch, name, None)
    if not isinstance(value, torch.dtype):
        raise InvalidArgumentError(
            f"`dtype` must name a numeric dtype such as 'float32' or 'int32'; received "
            f"dtype={dtype!r}."
        )
    return value


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None) -> torch.Tensor:
    """``x`` (array, list, Python number or tensor) as a torch tensor.

    Python floats become ``floatx()`` and Python ints ``int32``, as in Keras; numpy
    arrays and tensors keep their dtype unless ``dtype`` is given.
    """
    del sparse  # no sparse tensors here
    if isinstance(x, torch.Tensor):
        tensor = x
    elif isinstance(x, np.ndarray | np.generic):
        if x.dtype.kind in "OUSV":
            raise InvalidTypeError(
                f"convert_to_tensor needs numeric data; received an array of dtype "
                f"{x.dtype}. Convert it first, e.g. `x.astype('float32')`."
            )
        # ascontiguousarray turns a 0-d array (np.float32(1.0)) into shape (1,):
        # keep the scalar's shape.
        tensor = torch.from_numpy(np.ascontiguousarray(x).reshape(np.shape(x)))
    else:
        array = np.asarray(x)
        if array.dtype.kind in "OUSV":
            raise InvalidTypeError(
                f"convert_to_tensor needs numbers; received {type(x).__name__} "
                f"{x!r:.60}. Pass a number, a list of numbers or a numeric array."
            )
        if array.dtype.kind == "f":
            array = array.astype(config.floatx())
        elif array.dtype.kind in "iu":
            array = array.astype("int32")
        tensor = torch.from_numpy(array)
    if dtype is not None:
        tensor = tensor.to(_torch_dtype(dtype))
    return tensor


def convert_to_numpy(x: Any) -> np.ndarray:
    """A numpy copy of ``x`` (detached from autograd, on the host)."""
    if isinstance(x, torch.Tensor):
        return np.asarray(x.detach().cpu().numpy())
    return np.asarray(x)


def cast(x: Any, dtype: Any) -> torch.Tensor:
    return convert_to_tensor(x).to(_torch_dtype(dtype))


def is_tensor(x: Any) -> bool:
    return isinstance(x, torch.Tensor)


def shape(x: Any) -> tuple[int, ...]:
    """The shape as a tuple of ints."""
    return tuple(int(d) for d in convert_to_tensor(x).shape)


def ndim(x: Any) -> int:
    return convert_to_tensor(x).dim()


def size(x: Any) -> int:
    return int(convert_to_tensor(x).numel())


def dtype_of(x: Any) -> str:
    return str(convert_to_tensor(x).dtype).removeprefix("torch.")


def stop_gradient(x: Any) -> torch.Tensor:
    return convert_to_tensor(x).detach()


def float_or_keep(x: torch.Tensor) -> torch.Tensor:
    """Integers and booleans become ``floatx()`` (Keras' rule for sqrt, exp, mean…)."""
    if x.is_floating_point():
        return x
    return x.to(_torch_dtype(config.floatx()))


def promote(*values: Any) -> list[torch.Tensor]:
    """Tensors of one result dtype; a Python number takes the tensors' dtype."""
    tensors = [v for v in values if isinstance(v, torch.Tensor | np.ndarray)]
    converted = [convert_to_tensor(v) for v in tensors]
    if converted:
        result = converted[0].dtype
        for t in converted[1:]:
            result = torch.promote_types(result, t.dtype)
        if any(isinstance(v, float) for v in values) and not result.is_floating_point:
            result = _torch_dtype(config.floatx())
    else:
        result = convert_to_tensor(values[0]).dtype
        for v in values[1:]:
            result = torch.promote_types(result, convert_to_tensor(v).dtype)
    device = next((t.device for t in converted), torch.device("cpu"))
    return [convert_to_tensor(v).to(device=device, dtype=result) for v in values]
