"""``tf.math``: elementwise arithmetic, comparisons and reductions.

TensorFlow's rules kept here:

- ``reduce_*`` with ``axis=None`` reduce over every axis; ``keepdims`` keeps them
  as size 1.
- ``reduce_mean`` of integers is an integer (the sum divided by the count,
  truncated): ``tf.reduce_mean([1, 2])`` is ``1``. Cast to float first for 1.5.
- ``reduce_sum`` keeps the input's dtype (torch would widen ``int32`` to ``int64``).
- ``argmax``/``argmin`` reduce axis **0** when ``axis`` is None, and return
  ``int64`` unless ``output_type`` says otherwise.
- ``divide``/``truediv`` of integers gives ``float64`` (as TF; ``int32 / int32`` in
  TF is ``float64``); ``floordiv`` rounds toward minus infinity.
- Binary functions promote mixed dtypes (TensorFlow would refuse ``int32 + float32``);
  a Python number takes the tensor's dtype, as in TF.

Example:
    >>> import torch
    >>> x = torch.tensor([[1, 9], [5, 2]], dtype=torch.int32)
    >>> argmax(x).tolist(), reduce_mean(x).item(), divide(x, 2).dtype
    ([1, 0], 4, torch.float64)
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from cnnkit.compat.tf._common import (
    Axis,
    as_torch_dtype,
    axes,
    module_getattr,
    one_axis,
    to_tensor,
)
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.ops.core import promote

__all__ = [
    "abs", "add", "add_n", "argmax", "argmin", "atan2", "ceil", "confusion_matrix",
    "cos", "count_nonzero", "cumprod",
    "cumsum", "divide", "divide_no_nan", "equal", "erf", "exp", "floor", "floordiv",
    "floormod", "greater", "greater_equal", "is_finite", "is_inf", "is_nan",
    "l2_normalize", "less", "less_equal", "log", "log1p", "log_sigmoid",
    "logical_and", "logical_not", "logical_or", "logical_xor", "maximum", "minimum",
    "mod", "multiply", "negative", "not_equal", "pow", "reciprocal", "reduce_all",
    "reduce_any", "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min",
    "reduce_prod", "reduce_std", "reduce_sum", "reduce_variance", "round", "rsqrt",
    "sigmoid", "sign", "sin", "softmax", "softplus", "sqrt", "square",
    "squared_difference", "subtract", "tanh", "top_k", "truediv",
]  # fmt: skip


def _pair(x: Any, y: Any) -> list[torch.Tensor]:
    return promote(_tensor_or_number(x), _tensor_or_number(y))


def _tensor_or_number(v: Any) -> Any:
    # Python numbers stay numbers so that `promote` lets the tensor's dtype win.
    return v if isinstance(v, int | float) and not isinstance(v, bool) else to_tensor(v)


def _float(x: Any) -> torch.Tensor:
    t = to_tensor(x)
    return t if t.is_floating_point() else t.to(torch.float32)


def add(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    a, b = _pair(x, y)
    return a + b


def subtract(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    a, b = _pair(x, y)
    return a - b


def multiply(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    a, b = _pair(x, y)
    return a * b


def divide(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    """True division; integers are divided in ``float64``, as TensorFlow does."""
    a, b = _pair(x, y)
    if not a.is_floating_point():
        a, b = a.to(torch.float64), b.to(torch.float64)
    return a / b


truediv = divide


def divide_no_nan(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    """``x / y``, and 0 where ``y`` is 0."""
    a, b = _pair(x, y)
    quotient = a / torch.where(b == 0, torch.ones_like(b), b)
    return torch.where(b == 0, torch.zeros_like(quotient), quotient)


def floordiv(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    a, b = _pair(x, y)
    return torch.div(a, b, rounding_mode="floor")


def floormod(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    """The remainder with the divisor's sign (Python's ``%``), as TF's ``floormod``."""
    a, b = _pair(x, y)
    return torch.remainder(a, b)


mod = floormod


def pow(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    a, b = _pair(x, y)
    return torch.pow(a, b)


def maximum(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    a, b = _pair(x, y)
    return torch.maximum(a, b)


def minimum(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    a, b = _pair(x, y)
    return torch.minimum(a, b)


def squared_difference(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
    a, b = _pair(x, y)
    return torch.square(a - b)


def add_n(inputs: list[Any], name: str | None = None) -> torch.Tensor:
    """The elementwise sum of same-shaped tensors."""
    tensors = [to_tensor(v) for v in inputs]
    if not tensors:
        raise InvalidArgumentError("tf.math.add_n: `inputs` must not be empty.")
    return torch.stack(promote(*tensors)).sum(dim=0)


def _compare(op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Any:
    def compare(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
        a, b = _pair(x, y)
        return op(a, b)

    return compare


equal = _compare(torch.eq)
not_equal = _compare(torch.ne)
greater = _compare(torch.gt)
greater_equal = _compare(torch.ge)
less = _compare(torch.lt)
less_equal = _compare(torch.le)


def _logical(op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Any:
    def logical(x: Any, y: Any, name: str | None = None) -> torch.Tensor:
        return op(to_tensor(x).bool(), to_tensor(y).bool())

    return logical


logical_and = _logical(torch.logical_and)
logical_or = _logical(torch.logical_or)
logical_xor = _logical(torch.logical_xor)


def logical_not(x: Any, name: str | None = None) -> torch.Tensor:
    return torch.logical_not(to_tensor(x).bool())


def _unary(op: Callable[[torch.Tensor], torch.Tensor], floating: bool) -> Any:
    def unary(x: Any, name: str | None = None) -> torch.Tensor:
        return op(_float(x) if floating else to_tensor(x))

    return unary


# `floating`: TF needs a float input for these; an int tensor is computed in float32
# here rather than refused.
abs = _unary(torch.abs, floating=False)
negative = _unary(torch.neg, floating=False)
sign = _unary(torch.sign, floating=False)
square = _unary(torch.square, floating=False)
exp = _unary(torch.exp, floating=True)
log = _unary(torch.log, floating=True)
log1p = _unary(torch.log1p, floating=True)
sqrt = _unary(torch.sqrt, floating=True)
rsqrt = _unary(torch.rsqrt, floating=True)
reciprocal = _unary(torch.reciprocal, floating=True)
sin = _unary(torch.sin, floating=True)
cos = _unary(torch.cos, floating=True)
tanh = _unary(torch.tanh, floating=True)
sigmoid = _unary(torch.sigmoid, floating=True)
softplus = _unary(F.softplus, floating=True)
log_sigmoid = _unary(F.logsigmoid, floating=True)
floor = _unary(torch.floor, floating=True)
ceil = _unary(torch.ceil, floating=True)
# TF rounds half to even, as torch.round does.
round = _unary(torch.round, floating=False)
is_nan = _unary(torch.isnan, floating=False)
is_inf = _unary(torch.isinf, floating=False)
is_finite = _unary(torch.isfinite, floating=False)


def softmax(
    logits: Any, axis: int | None = None, name: str | None = None
) -> torch.Tensor:
    """Softmax along ``axis`` (the last one when None)."""
    return torch.softmax(_float(logits), dim=-1 if axis is None else axis)


def cumsum(
    x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    t = to_tensor(x)
    dim = one_axis(axis)
    if reverse:
        t = t.flip(dim)
    out = torch.cumsum(t, dim=dim).to(t.dtype)
    if exclusive:
        out = out - t
    return out.flip(dim) if reverse else out


def cumprod(
    x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Running products along ``axis``; ``exclusive`` starts from 1 (the product
    of the elements *before* each), ``reverse`` runs from the end."""
    t = to_tensor(x)
    dim = one_axis(axis)
    if reverse:
        t = t.flip(dim)
    if exclusive and t.shape[dim]:
        # Shift right by one, a 1 in front: no division, so zeros are fine.
        ones = torch.ones_like(t.narrow(dim, 0, 1))
        t = torch.cat([ones, t.narrow(dim, 0, t.shape[dim] - 1)], dim=dim)
    out = torch.cumprod(t, dim=dim).to(t.dtype)
    return out.flip(dim) if reverse else out


def erf(x: Any, name: str | None = None) -> torch.Tensor:
    """The Gauss error function, elementwise."""
    return torch.special.erf(_float(x))


def atan2(y: Any, x: Any, name: str | None = None) -> torch.Tensor:
    """The angle of ``(x, y)`` in radians, ``(-pi, pi]``; note TF's order: y first."""
    a, b = _pair(y, x)
    return torch.atan2(a, b)


# ------------------------------------------------------------------ reductions


def _reduce(
    fn: Callable[..., torch.Tensor], t: torch.Tensor, axis: Axis, keepdims: bool
) -> torch.Tensor:
    dims = axes(axis)
    if dims is None:
        dims = tuple(builtins.range(t.dim()))
    if not dims:  # axis=[] reduces nothing, as in TF
        return t
    return fn(t, dim=dims, keepdim=keepdims)


def reduce_sum(
    input_tensor: Any, axis: Axis = None, keepdims: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    t = _numeric(input_tensor, "reduce_sum")
    return _reduce(torch.sum, t, axis, keepdims).to(t.dtype)


def _numeric(value: Any, who: str) -> torch.Tensor:
    """Booleans refused, as TF refuses them: the sum of a mask needs a cast first."""
    t = to_tensor(value, name="input_tensor")
    if t.dtype == torch.bool:
        raise InvalidTypeError(
            f"tf.{who} does not take booleans (TensorFlow refuses them too); cast "
            f"first, e.g. tf.{who}(tf.cast(mask, tf.float32))."
        )
    return t


def reduce_mean(
    input_tensor: Any, axis: Axis = None, keepdims: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """The mean; of integers, the truncated integer mean (TensorFlow's rule)."""
    t = _numeric(input_tensor, "reduce_mean")
    if t.is_floating_point():
        return _reduce(torch.mean, t, axis, keepdims)
    total = _reduce(torch.sum, t.to(torch.int64), axis, keepdims)
    count = builtins.max(t.numel() // builtins.max(total.numel(), 1), 1)
    return torch.div(total, count, rounding_mode="trunc").to(t.dtype)


def reduce_prod(
    input_tensor: Any, axis: Axis = None, keepdims: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    t = to_tensor(input_tensor, name="input_tensor")
    dims = axes(axis)
    dims = tuple(builtins.range(t.dim())) if dims is None else dims
    for d in sorted((d % builtins.max(t.dim(), 1) for d in dims), reverse=True):
        t = torch.prod(t, dim=d, keepdim=keepdims)
    return t


def reduce_max(
    input_tensor: Any, axis: Axis = None, keepdims: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    return _reduce(torch.amax, to_tensor(input_tensor), axis, keepdims)


def reduce_min(
    input_tensor: Any, axis: Axis = None, keepdims: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    return _reduce(torch.amin, to_tensor(input_tensor), axis, keepdims)


def _all_or_any(fn: Callable[..., torch.Tensor]) -> Any:
    def reduce(
        input_tensor: Any, axis: Axis = None, keepdims: bool = False,
        name: str | None = None,
    ) -> torch.Tensor:  # fmt: skip
        t = to_tensor(input_tensor).bool()
        dims = axes(axis)
        dims = tuple(builtins.range(t.dim())) if dims is None else dims
        for d in sorted((d % builtins.max(t.dim(), 1) for d in dims), reverse=True):
            t = fn(t, dim=d, keepdim=keepdims)
        return t

    return reduce


reduce_all = _all_or_any(torch.all)
reduce_any = _all_or_any(torch.any)


def reduce_logsumexp(
    input_tensor: Any, axis: Axis = None, keepdims: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    return _reduce(torch.logsumexp, _float(input_tensor), axis, keepdims)


def reduce_variance(
    input_tensor: Any, axis: Axis = None, keepdims: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """The population variance (divided by N, as TF)."""
    t = _float(input_tensor)
    dims = axes(axis)
    return torch.var(t, dim=dims, correction=0, keepdim=keepdims)


def reduce_std(
    input_tensor: Any, axis: Axis = None, keepdims: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    return torch.sqrt(reduce_variance(input_tensor, axis, keepdims))


def count_nonzero(
    input: Any, axis: Axis = None, keepdims: bool = False, dtype: Any = torch.int64,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    nonzero = (to_tensor(input) != 0).to(torch.int64)
    return _reduce(torch.sum, nonzero, axis, keepdims).to(as_torch_dtype(dtype))


def _arg(fn: Callable[..., torch.Tensor]) -> Any:
    def arg(
        input: Any, axis: Any = None, output_type: Any = torch.int64,
        name: str | None = None,
    ) -> torch.Tensor:  # fmt: skip
        t = to_tensor(input, name="input")
        dim = 0 if axis is None else one_axis(axis)  # TF's default is axis 0
        return fn(t, dim=dim).to(as_torch_dtype(output_type))

    return arg


argmax = _arg(torch.argmax)
argmin = _arg(torch.argmin)


class TopKV2(NamedTuple):
    """What ``tf.math.top_k`` returns: ``values`` and their ``indices`` (int32)."""

    values: torch.Tensor
    indices: torch.Tensor


def top_k(
    input: Any, k: int = 1, sorted: bool = True, index_type: Any = torch.int32,
    name: str | None = None,
) -> TopKV2:  # fmt: skip
    """The ``k`` largest entries along the last axis, largest first.

    Raises:
        InvalidArgumentError: ``k`` is negative or larger than the last axis.
    """
    t = to_tensor(input, name="input")
    k = one_axis(k, "k")
    last = t.shape[-1] if t.dim() else 0
    if not 0 <= k <= last:
        raise InvalidArgumentError(
            f"tf.math.top_k: `k` must be between 0 and the size of the last axis "
            f"({last}) of input shape {tuple(t.shape)}; received k={k}."
        )
    values, indices = torch.topk(t, k, dim=-1, largest=True, sorted=True)
    return TopKV2(values, indices.to(as_torch_dtype(index_type)))


def confusion_matrix(
    labels: Any, predictions: Any, num_classes: int | None = None, weights: Any = None,
    dtype: Any = torch.int32, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Counts of (label, prediction) pairs: row = true class, column = predicted.

    Raises:
        InvalidArgumentError: A class id is negative or not below ``num_classes``.
    """
    y = to_tensor(labels, name="labels").long().reshape(-1)
    p = to_tensor(predictions, name="predictions").long().reshape(-1).to(y.device)
    n = int(num_classes) if num_classes is not None else int(max(y.max(), p.max())) + 1
    if y.numel() and (
        int(min(y.min(), p.min())) < 0 or int(max(y.max(), p.max())) >= n
    ):
        raise InvalidArgumentError(
            f"tf.math.confusion_matrix: class ids must be in [0, {n}); received labels "
            f"from {int(y.min())} to {int(y.max())} and predictions from "
            f"{int(p.min())} to {int(p.max())}."
        )
    w = None if weights is None else to_tensor(weights).reshape(-1).to(y.device)
    counts = torch.bincount(y * n + p, weights=w, minlength=n * n)
    return counts.reshape(n, n).to(as_torch_dtype(dtype))


def l2_normalize(
    x: Any, axis: Axis = None, epsilon: float = 1e-12, name: str | None = None,
    dim: Axis = None,
) -> torch.Tensor:  # fmt: skip
    """``x / sqrt(max(sum(x**2, axis), epsilon))``; every axis when ``axis`` is None."""
    t = _float(x)
    dims = axes(axis if axis is not None else dim)
    dims = tuple(builtins.range(t.dim())) if dims is None else dims
    squares = torch.sum(torch.square(t), dim=dims, keepdim=True)
    return t * torch.rsqrt(torch.clamp(squares, min=epsilon))


__getattr__ = module_getattr("tensorflow.math")
