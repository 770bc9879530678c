"""The array functions of ``keras.ops`` (its NumPy-like half), on torch tensors.

Example:
    >>> from cnnkit import ops
    >>> probs = [[0.1, 0.7, 0.2], [0.8, 0.1, 0.1]]
    >>> ops.argmax(probs, axis=-1).tolist(), str(ops.argmax(probs, axis=-1).dtype)
    ([1, 0], 'torch.int32')
    >>> float(ops.mean(ops.convert_to_tensor([1, 2])))
    1.5
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.ops.core import _torch_dtype, convert_to_tensor, float_or_keep, promote

__all__ = [
    "abs", "add", "all", "any", "arange", "argmax", "argmin", "clip", "concatenate",
    "divide", "einsum", "equal", "exp", "expand_dims", "greater", "greater_equal", "less",
    "less_equal", "log", "matmul", "max", "maximum", "mean", "min", "minimum",
    "multiply", "negative", "not_equal", "ones", "ones_like", "power", "prod",
    "reshape", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum",
    "transpose", "var", "where", "zeros", "zeros_like",
]  # fmt: skip

Axis = int | Sequence[int] | None


def _dims(axis: Axis) -> Any:
    if axis is None:
        return None
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _reduce(fn: Any, x: torch.Tensor, axis: Axis, keepdims: bool) -> torch.Tensor:
    dims = _dims(axis)
    if dims is None:
        out = fn(x.reshape(-1), dim=0)
        return out.reshape([1] * x.dim()) if keepdims else out
    return fn(x, dim=dims, keepdim=keepdims)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    t = convert_to_tensor(x)
    if t.dtype == torch.bool or t.dtype in (torch.int8, torch.int16, torch.uint8):
        t = t.to(torch.int32)
    out = _reduce(torch.sum, t, axis, keepdims)
    return out.to(t.dtype)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return _reduce(torch.mean, float_or_keep(convert_to_tensor(x)), axis, keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    t = convert_to_tensor(x)
    dims = _dims(axis)
    if dims is None:
        out = torch.prod(t)
        return out.reshape([1] * t.dim()) if keepdims else out.to(t.dtype)
    for d in sorted((d % t.dim() for d in dims), reverse=True):
        t = torch.prod(t, dim=d, keepdim=keepdims)
    return t


def _var(x: torch.Tensor, axis: Axis, keepdims: bool) -> torch.Tensor:
    dims = _dims(axis)
    return torch.var(x, dim=dims, correction=0, keepdim=keepdims)


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return _var(float_or_keep(convert_to_tensor(x)), axis, keepdims)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return torch.sqrt(var(x, axis, keepdims))


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return _reduce(torch.amax, convert_to_tensor(x), axis, keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return _reduce(torch.amin, convert_to_tensor(x), axis, keepdims)


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return _reduce(torch.any, convert_to_tensor(x).bool(), axis, keepdims)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    return _reduce(torch.all, convert_to_tensor(x).bool(), axis, keepdims)


def _arg(fn: Any, x: Any, axis: int | None, keepdims: bool) -> torch.Tensor:
    t = convert_to_tensor(x)
    if axis is None:
        out = fn(t.reshape(-1))
        out = out.reshape([1] * t.dim()) if keepdims else out
    else:
        out = fn(t, dim=axis, keepdim=keepdims)
    return out.to(torch.int32)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the largest value (``int32``, as Keras)."""
    return _arg(torch.argmax, x, axis, keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    return _arg(torch.argmin, x, axis, keepdims)


def abs(x: Any) -> torch.Tensor:
    return torch.abs(convert_to_tensor(x))


def negative(x: Any) -> torch.Tensor:
    return torch.neg(convert_to_tensor(x))


def sqrt(x: Any) -> torch.Tensor:
    return torch.sqrt(float_or_keep(convert_to_tensor(x)))


def square(x: Any) -> torch.Tensor:
    t = convert_to_tensor(x)
    return torch.square(t.to(torch.int32) if t.dtype == torch.bool else t)


def exp(x: Any) -> torch.Tensor:
    return torch.exp(float_or_keep(convert_to_tensor(x)))


def log(x: Any) -> torch.Tensor:
    return torch.log(float_or_keep(convert_to_tensor(x)))


def clip(x: Any, x_min: Any, x_max: Any) -> torch.Tensor:
    t = convert_to_tensor(x)
    if t.dtype == torch.bool:
        t = t.to(torch.int32)
    return torch.clamp(t, min=x_min, max=x_max)


def add(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return a + b


def subtract(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return a - b


def multiply(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return a * b


def divide(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return float_or_keep(a) / float_or_keep(b)


def power(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.pow(a, b)


def maximum(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.maximum(a, b)


def minimum(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.minimum(a, b)


def equal(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.eq(a, b)


def not_equal(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.ne(a, b)


def greater(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.gt(a, b)


def greater_equal(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.ge(a, b)


def less(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.lt(a, b)


def less_equal(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.le(a, b)


def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """Elements of ``x1`` where ``condition`` holds, else of ``x2``; with only the
    condition, the indices where it holds (one int32 tensor per axis)."""
    cond = convert_to_tensor(condition).bool()
    if x1 is None and x2 is None:
        return tuple(i.to(torch.int32) for i in torch.nonzero(cond, as_tuple=True))
    a, b = promote(x1, x2)
    return torch.where(cond.to(a.device), a, b)


def matmul(x1: Any, x2: Any) -> torch.Tensor:
    a, b = promote(x1, x2)
    return torch.matmul(a, b)


def einsum(subscripts: str, *operands: Any) -> torch.Tensor:
    """``numpy.einsum`` (``"bij,bjk->bik"``); the operands share one result dtype."""
    if not isinstance(subscripts, str):
        raise InvalidArgumentError(
            "einsum: the first argument must be the subscripts string, e.g. "
            f"'ij,jk->ik'; received {subscripts!r}. Call einsum(subscripts, *operands)."
        )
    if not operands:
        raise InvalidArgumentError(
            f"einsum: subscripts={subscripts!r} came with no operands; pass the "
            "tensors after the string: einsum('ij,jk->ik', a, b)."
        )
    return torch.einsum(subscripts, *promote(*operands))


def reshape(x: Any, newshape: Sequence[int] | int) -> torch.Tensor:
    shape = (newshape,) if isinstance(newshape, int) else tuple(newshape)
    return convert_to_tensor(x).reshape(shape)


def transpose(x: Any, axes: Sequence[int] | None = None) -> torch.Tensor:
    t = convert_to_tensor(x)
    order = tuple(axes) if axes is not None else tuple(reversed(range(t.dim())))
    return t.permute(order)


def expand_dims(x: Any, axis: int | Sequence[int]) -> torch.Tensor:
    t = convert_to_tensor(x)
    axes = [axis] if isinstance(axis, int) else list(axis)
    rank = t.dim() + len(axes)
    for a in sorted(a % rank for a in axes):
        t = t.unsqueeze(a)
    return t


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> torch.Tensor:
    t = convert_to_tensor(x)
    if axis is None:
        return t.squeeze()
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if t.shape[a] != 1:
            raise InvalidArgumentError(
                f"squeeze: axis {a} has size {t.shape[a]} in shape {tuple(t.shape)}; only "
                "axes of size 1 can be removed."
            )
    return t.squeeze(axes)


def concatenate(xs: Sequence[Any], axis: int = 0) -> torch.Tensor:
    return torch.cat(promote(*xs), dim=axis)


def stack(x: Sequence[Any], axis: int = 0) -> torch.Tensor:
    return torch.stack(promote(*x), dim=axis)


def _new(shape: Sequence[int] | int, dtype: Any, fill: float) -> torch.Tensor:
    from cnnkit import config

    size = (shape,) if isinstance(shape, int) else tuple(shape)
    return torch.full(size, fill, dtype=_torch_dtype(dtype or config.floatx()))


def zeros(shape: Sequence[int] | int, dtype: Any = None) -> torch.Tensor:
    return _new(shape, dtype, 0)


def ones(shape: Sequence[int] | int, dtype: Any = None) -> torch.Tensor:
    return _new(shape, dtype, 1)


def zeros_like(x: Any, dtype: Any = None) -> torch.Tensor:
    t = convert_to_tensor(x)
    return torch.zeros_like(t, dtype=_torch_dtype(dtype) if dtype else t.dtype)


def ones_like(x: Any, dtype: Any = None) -> torch.Tensor:
    t = convert_to_tensor(x)
    return torch.ones_like(t, dtype=_torch_dtype(dtype) if dtype else t.dtype)


def arange(
    start: Any, stop: Any = None, step: Any = 1, dtype: Any = None
) -> torch.Tensor:
    if stop is None:
        start, stop = 0, start
    values = (start, stop, step)
    floating = builtins.any(isinstance(v, float) for v in values)
    default = "float32" if floating else "int32"
    return torch.arange(start, stop, step, dtype=_torch_dtype(dtype or default))
