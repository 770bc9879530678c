"""The element side of ``tf.data``: how values become dataset elements, how
elements are stacked into batches, and the structure helpers the datasets share.

Elements are tensors, Python ``str`` for text (cnnkit has no ``tf.string``), or
tuples/dicts of those.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from cnnkit.compat.tf._common import as_torch_dtype, to_tensor
from cnnkit.errors import IncompatibleShapeError, InvalidTypeError

__all__ = ["TensorSpec"]


class TensorSpec:
    """``tf.TensorSpec(shape, dtype, name)``: what ``from_generator`` yields."""

    def __init__(
        self, shape: Any = None, dtype: Any = torch.float32, name: str | None = None
    ) -> None:
        self.shape = (
            None
            if shape is None
            else tuple(None if d is None else int(d) for d in shape)
        )
        self.dtype = as_torch_dtype(dtype)
        self.name = name

    def is_compatible_with(self, value: Any) -> bool:
        shape = tuple(to_tensor(value).shape)
        if self.shape is None:
            return True
        return len(shape) == len(self.shape) and all(
            s is None or s == d for s, d in zip(self.shape, shape)
        )

    def __repr__(self) -> str:
        dtype = str(self.dtype).removeprefix("torch.")
        return f"TensorSpec(shape={self.shape}, dtype=tf.{dtype}, name={self.name!r})"


def element(value: Any) -> Any:
    """A leaf as TF gives it: a tensor, or Python ``str`` for text (no tf.string)."""
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "US":
        return value.tolist() if value.ndim else value.item()
    return to_tensor(value)


def leaf_array(value: Any) -> Any:
    """A ``from_tensor_slices`` leaf: a tensor, or a numpy array of strings."""
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "US":
        return array
    return to_tensor(value)


def stack_batch(items: list[Any]) -> Any:
    first = items[0]
    if isinstance(first, str | bytes):
        return np.asarray(items)
    try:
        return torch.stack([to_tensor(i) for i in items])
    except RuntimeError:
        shapes = sorted({tuple(to_tensor(i).shape) for i in items})
        raise IncompatibleShapeError(
            f"Dataset.batch: the elements of a batch must have one shape; received "
            f"shapes {shapes}. Resize them in `map` first (e.g. tf.image.resize)."
        ) from None


def zip_structures(elements: list[Any], combine: Callable[[list[Any]], Any]) -> Any:
    """Combine same-structured elements leaf by leaf."""
    first = elements[0]
    if isinstance(first, dict):
        return {k: zip_structures([e[k] for e in elements], combine) for k in first}
    if isinstance(first, tuple | list):
        parts = [
            zip_structures([e[i] for e in elements], combine)
            for i in builtins.range(len(first))
        ]
        return tuple(parts)
    return combine(elements)


def call_with(fn: Callable[..., Any], element: Any) -> Any:
    return fn(*element) if isinstance(element, tuple) else fn(element)


def count_arg(value: Any, name: str) -> int:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidTypeError(f"`{name}` must be an int; received {name}={value!r}.")
    return int(value)


def slice_structure(value: Any) -> Any:
    """Tuples and dicts are structure; anything else (a list too) is one array.

    TF reads a Python list as a tensor here, so ``from_tensor_slices((paths,
    labels))`` with two lists gives (path, label) pairs.
    """
    if isinstance(value, dict):
        return {k: slice_structure(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(slice_structure(v) for v in value)
    if isinstance(value, list) and any(isinstance(v, torch.Tensor) for v in value):
        return torch.stack([to_tensor(v) for v in value])
    return leaf_array(value)


def zip_pair(spec: Any, value: Any, fn: Callable[[Any, Any], Any]) -> Any:
    if isinstance(spec, dict):
        return {k: zip_pair(spec[k], value[k], fn) for k in spec}
    if isinstance(spec, tuple | list):
        return tuple(zip_pair(s, v, fn) for s, v in zip(spec, value))
    return fn(spec, value)


def row(index: int, leaf: Any) -> Any:
    return element(leaf[index])


def pack_like(structure: Any, leaves: Iterator[Any]) -> Any:
    if isinstance(structure, dict):
        packed = {k: pack_like(structure[k], leaves) for k in sorted(structure)}
        return {k: packed[k] for k in structure}
    if isinstance(structure, list | tuple):
        return tuple(pack_like(s, leaves) for s in structure)
    return next(leaves)
