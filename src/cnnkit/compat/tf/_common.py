"""What every ``tf.*`` stand-in module shares: input conversion, axis and shape
arguments, and the teaching error for a name cnnkit does not provide.

TensorFlow's conversion rules, as ``tf.constant`` applies them: a Python float is
``float32``, a Python int ``int32``, a numpy array keeps its dtype (``float64``
stays ``float64``). ``keras.ops.convert_to_tensor`` already follows them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from cnnkit import ops
from cnnkit.compat.hook import tf_unsupported_message
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.ops.core import _torch_dtype

Axis = int | Sequence[int] | torch.Tensor | None


def to_tensor(value: Any, dtype: Any = None, name: str = "x") -> torch.Tensor:
    """``value`` as a tensor by TensorFlow's rules; a Keras variable gives its value.

    Raises:
        InvalidTypeError: ``value`` is text or bytes (cnnkit has no ``tf.string``).
    """
    if isinstance(value, str | bytes):
        raise InvalidTypeError(
            f"`{name}` is a {type(value).__name__}: cnnkit's tf tensors hold numbers "
            "only (there is no tf.string). Keep text in Python, or map it to numbers "
            "before it becomes a tensor."
        )
    if not isinstance(value, torch.Tensor) and isinstance(
        getattr(value, "value", None), torch.Tensor
    ):
        value = value.value  # model.trainable_variables holds cnnkit Variables
    if isinstance(value, list | tuple) and any(
        isinstance(v, torch.Tensor) for v in value
    ):
        # [tensor, tensor] (tf.constant packs them): stack instead of going through
        # numpy, which would drop autograd and the device.
        return torch.stack([to_tensor(v, dtype, name) for v in value])
    if dtype is not None and not isinstance(
        value, torch.Tensor | np.ndarray | np.generic
    ):
        # Python numbers go to the asked dtype directly: through Keras' float32
        # default first, tf.constant(0.1, dtype=tf.float64) would lose digits.
        array = np.asarray(value)
        if array.dtype.kind in "biuf":
            return torch.from_numpy(array).to(as_torch_dtype(dtype))
    tensor = ops.convert_to_tensor(value)
    return tensor if dtype is None else tensor.to(as_torch_dtype(dtype))


def as_torch_dtype(dtype: Any) -> torch.dtype:
    """``tf.float32``, ``"float32"``, ``np.float32`` → ``torch.float32``."""
    return _torch_dtype(dtype)


def axes(axis: Axis) -> tuple[int, ...] | None:
    """An ``axis`` argument (int, list, or a tensor of them) as a tuple, or None."""
    if axis is None:
        return None
    if isinstance(axis, torch.Tensor):
        return tuple(int(a) for a in axis.reshape(-1).tolist())
    if isinstance(axis, int | np.integer):
        return (int(axis),)
    return tuple(int(a) for a in axis)


def one_axis(axis: Any, name: str = "axis") -> int:
    """A single axis (an int or a scalar tensor).

    Raises:
        InvalidArgumentError: ``axis`` is not one integer.
    """
    if isinstance(axis, torch.Tensor) and axis.numel() == 1:
        return int(axis)
    if isinstance(axis, int | np.integer) and not isinstance(axis, bool):
        return int(axis)
    raise InvalidArgumentError(
        f"`{name}` must be one integer axis; received {name}={axis!r}."
    )


def shape_of(shape: Any, name: str = "shape") -> tuple[int, ...]:
    """A shape argument (list of ints, a ``tf.shape`` tensor, a torch.Size).

    Raises:
        InvalidArgumentError: ``shape`` is not a list of integers.
    """
    if isinstance(shape, torch.Tensor):
        return tuple(int(d) for d in shape.reshape(-1).tolist())
    if isinstance(shape, int | np.integer):
        return (int(shape),)
    try:
        return tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"`{name}` must be a list of integers such as [2, 3] (or a tensor from "
            f"tf.shape); received {name}={shape!r}."
        ) from None


def module_getattr(dotted: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``tensorflow.X``: unknown names teach."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(tf_unsupported_message(f"{dotted}.{name}"), name=name)

    return __getattr__
