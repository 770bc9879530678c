"""``tf.float32`` and friends: TensorFlow's dtype names are torch's dtypes here.

So ``x.dtype == tf.float32`` holds for a tensor made by torch, cnnkit or ``tf.*``,
and ``tf.cast(x, tf.uint8)`` and ``tf.cast(x, "uint8")`` are the same call.

Example:
    >>> import torch
    >>> float32 is torch.float32, as_dtype("int64")
    (True, torch.int64)
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.compat.tf._common import as_torch_dtype, module_getattr, to_tensor

__all__ = [
    "DType",
    "as_dtype",
    "bfloat16",
    "bool",
    "cast",
    "complex64",
    "double",
    "float16",
    "float32",
    "float64",
    "half",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
]  # fmt: skip

DType = torch.dtype
float16 = half = torch.float16
bfloat16 = torch.bfloat16
float32 = torch.float32
float64 = double = torch.float64
int8 = torch.int8
int16 = torch.int16
int32 = torch.int32
int64 = torch.int64
uint8 = torch.uint8
bool = torch.bool  # TensorFlow's name, shadowing the builtin on purpose
complex64 = torch.complex64


def as_dtype(type_value: Any) -> torch.dtype:
    """``tf.as_dtype``: a dtype from its name, a numpy dtype or a dtype."""
    return as_torch_dtype(type_value)


def cast(x: Any, dtype: Any, name: str | None = None) -> torch.Tensor:
    """``tf.cast``: float → int truncates toward zero, nonzero → True (as TF)."""
    del name
    tensor = to_tensor(x)
    target = as_torch_dtype(dtype)
    if (
        tensor.is_floating_point()
        and not target.is_floating_point
        and target != (torch.bool)
    ):
        # torch's .to(int) also truncates, but NaN/inf give undefined values there;
        # TensorFlow's are platform-defined too. Truncate explicitly for clarity.
        tensor = torch.trunc(tensor)
    return tensor.to(target)


__getattr__ = module_getattr("tensorflow.dtypes")
