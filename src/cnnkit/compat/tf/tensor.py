"""The top-level ``tf`` tensor functions: creation, shapes and indexing.

TensorFlow's rules kept here, where torch (or NumPy) would do otherwise:

- ``tf.shape(x)`` is an ``int32`` *tensor*, not a tuple (``x.shape`` is the static
  one); every shape argument here also takes such a tensor.
- ``tf.gather(params, indices)`` takes whole slices along ``axis`` (default 0):
  the result's shape is ``params.shape[:axis] + indices.shape +
  params.shape[axis+1:]``, unlike ``torch.gather``.
- ``tf.where(condition)`` with one argument returns an ``int64`` matrix of
  coordinates ``(num_true, rank)``, not a tuple of index arrays.
- ``tf.range`` counts from ``start`` to ``limit`` (exclusive) by ``delta``, and is
  ``int32`` for ints, ``float32`` for floats.
- ``tf.one_hot`` puts ``off_value`` everywhere for an index outside ``[0, depth)``.
- New tensors (``tf.constant``, ``tf.zeros``, ``tf.random.*``) are made on the CPU,
  where TF would pick the GPU. A model that ``fit`` moved to a GPU returns GPU
  tensors; the ``tf.*`` functions move their operands to the first tensor's device,
  but Python operators (``gpu_tensor + tf.zeros(...)``) do not: combine them with
  ``tf.add``/``tf.multiply``..., or call ``.cpu()``.
- ``tf.Variable`` is a torch Parameter (``requires_grad`` when it is trainable and
  floating point), so ``tf.matmul(x, w)`` and torch autograd see it directly.

Example:
    >>> x = constant([[1, 2, 3], [4, 5, 6]])
    >>> shape(x).tolist(), gather(x, [2, 0], axis=1).tolist()
    ([2, 3], [[3, 1], [6, 4]])
    >>> where(x > 4).tolist()
    [[1, 1], [1, 2]]
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from cnnkit import ops
from cnnkit.compat.tf._common import (
    as_torch_dtype,
    module_getattr,
    one_axis,
    shape_of,
    to_tensor,
)
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError
from cnnkit.layers.base.free_variable import FreeVariable

__all__ = [
    "Tensor", "Variable", "boolean_mask", "broadcast_to", "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value", "concat", "constant",
    "convert_to_tensor", "ensure_shape", "expand_dims", "eye", "fill", "gather", "identity",
    "is_tensor", "newaxis", "one_hot", "ones", "ones_like", "range", "rank",
    "reshape", "reverse", "shape", "size", "squeeze", "stack", "tile", "transpose", "unstack",
    "where", "zeros", "zeros_like",
]  # fmt: skip

Tensor = torch.Tensor
newaxis = None


def constant(
    value: Any, dtype: Any = None, shape: Any = None, name: str | None = None
) -> torch.Tensor:
    """``tf.constant``: a new tensor (a copy: later changes to ``value`` don't show).

    With ``shape``, a scalar is broadcast to it and a list of the right size is
    reshaped to it.

    Raises:
        IncompatibleShapeError: ``value`` has neither one element nor ``shape``'s size.
    """
    del name
    tensor = to_tensor(value, dtype, name="value").detach().clone()
    if shape is None:
        return tensor
    target = shape_of(shape)
    if tensor.numel() == 1:
        return tensor.reshape(()).expand(target).clone()
    if tensor.numel() != int(np.prod(target)):
        raise IncompatibleShapeError(
            f"tf.constant: `value` has {tensor.numel()} elements, which cannot fill "
            f"shape={list(target)}; give a scalar or exactly {int(np.prod(target))} "
            "values."
        )
    return tensor.reshape(target)


def convert_to_tensor(
    value: Any, dtype: Any = None, dtype_hint: Any = None, name: str | None = None
) -> torch.Tensor:
    """``tf.convert_to_tensor``: a tensor stays itself (no copy), the rest converts.

    ``dtype_hint`` applies only to Python values that carry no dtype of their own.
    """
    del name
    if (
        dtype is None
        and dtype_hint is not None
        and not isinstance(value, torch.Tensor | np.ndarray | np.generic)
    ):
        dtype = dtype_hint
    return to_tensor(value, dtype, name="value")


def is_tensor(x: Any) -> builtins.bool:
    return isinstance(x, torch.Tensor)


class Variable(FreeVariable):
    """``tf.Variable``: a tensor with a name that ``assign``/``assign_add`` change in place.

    It is a torch Parameter, so optimizers, ``tf.GradientTape`` and every tensor
    function take it as it is; arithmetic on it returns plain tensors.
    """

    _tf_name: str

    def __new__(
        cls,
        initial_value: Any = None,
        trainable: builtins.bool = True,
        name: str | None = None,
        dtype: Any = None,
        shape: Any = None,
        **kwargs: Any,
    ) -> Variable:
        del kwargs  # validate_shape, caching_device, synchronization...: graph-mode
        if initial_value is None:
            raise InvalidArgumentError(
                "tf.Variable: `initial_value` is required, e.g. "
                "tf.Variable(tf.zeros([3]))."
            )
        if callable(initial_value):
            initial_value = initial_value()  # TF accepts an initializer thunk
        data = to_tensor(initial_value, dtype, name="initial_value").detach().clone()
        if shape is not None and tuple(data.shape) != shape_of(shape):
            raise IncompatibleShapeError(
                f"tf.Variable: `initial_value` has shape {tuple(data.shape)} but "
                f"shape={list(shape_of(shape))} was given."
            )
        # Only floating point variables can have gradients (TF gives None for the
        # rest). As a FreeVariable, a layer it is assigned to tracks it as a weight.
        variable: Variable = cls._wrap(
            data, builtins.bool(trainable), name or "Variable"
        )
        variable._tf_name = f"{name or 'Variable'}:0"
        return variable

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """All the work is done in ``__new__`` (Parameters are built there)."""

    @property
    def name(self) -> str:
        return self._tf_name

    @property
    def trainable(self) -> builtins.bool:
        return self._free_trainable

    def read_value(self) -> torch.Tensor:
        """The current value as a tensor (still differentiable, as in TF)."""
        return self * 1

    def value(self) -> torch.Tensor:
        return self.read_value()

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        values = np.array2string(self.detach().cpu().numpy(), separator=", ")
        return (
            f"<tf.Variable '{self.name}' shape={tuple(self.shape)} "
            f"dtype={str(self.dtype).removeprefix('torch.')}, numpy={values}>"
        )


def shape(input: Any, out_type: Any = torch.int32, name: str | None = None) -> Any:
    """``tf.shape``: the dynamic shape as an ``int32`` tensor (TF's, not a tuple)."""
    del name
    dims = list(to_tensor(input, name="input").shape)
    return torch.tensor(dims, dtype=as_torch_dtype(out_type))


def size(input: Any, out_type: Any = torch.int32, name: str | None = None) -> Any:
    del name
    return torch.tensor(to_tensor(input).numel(), dtype=as_torch_dtype(out_type))


def rank(input: Any, name: str | None = None) -> torch.Tensor:
    del name
    return torch.tensor(to_tensor(input).dim(), dtype=torch.int32)


def reshape(tensor: Any, shape: Any, name: str | None = None) -> torch.Tensor:
    """``tf.reshape``: one ``-1`` is inferred.

    Raises:
        IncompatibleShapeError: The sizes do not match.
    """
    del name
    t = to_tensor(tensor, name="tensor")
    target = shape_of(shape)
    known = int(np.prod([d for d in target if d != -1]))
    fits = t.numel() == known if -1 not in target else known and t.numel() % known == 0
    if not fits:
        raise IncompatibleShapeError(
            f"tf.reshape: cannot reshape a tensor of shape {tuple(t.shape)} "
            f"({t.numel()} values) to shape={list(target)}; the sizes must multiply "
            "to the same number (one -1 may stand for the rest)."
        )
    return t.reshape(target)


def concat(values: Sequence[Any], axis: Any, name: str | None = None) -> torch.Tensor:
    """``tf.concat(values, axis)``: ``axis`` is required, as in TensorFlow."""
    del name
    return ops.concatenate([to_tensor(v) for v in values], axis=one_axis(axis))


def stack(
    values: Sequence[Any], axis: int = 0, name: str | None = None
) -> torch.Tensor:
    del name
    return ops.stack([to_tensor(v) for v in values], axis=one_axis(axis))


def unstack(
    value: Any, num: int | None = None, axis: int = 0, name: str | None = None
) -> list[torch.Tensor]:
    del name, num
    return list(torch.unbind(to_tensor(value), dim=one_axis(axis)))


def expand_dims(input: Any, axis: Any, name: str | None = None) -> torch.Tensor:
    del name
    t = to_tensor(input, name="input")
    return t.unsqueeze(one_axis(axis))


def squeeze(input: Any, axis: Any = None, name: str | None = None) -> torch.Tensor:
    """``tf.squeeze``: every size-1 axis, or those in ``axis`` (which must be 1)."""
    del name
    t = to_tensor(input, name="input")
    if axis is None:
        return t.squeeze()
    return ops.squeeze(t, axis=axis if isinstance(axis, int) else tuple(axis))


def transpose(
    a: Any, perm: Sequence[int] | None = None, conjugate: builtins.bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """``tf.transpose``: without ``perm`` the axes are reversed (not just the last two)."""
    del name, conjugate
    t = to_tensor(a, name="a")
    order = (
        tuple(perm) if perm is not None else tuple(reversed(builtins.range(t.dim())))
    )
    return t.permute([int(p) for p in order])


def gather(
    params: Any, indices: Any, validate_indices: Any = None, axis: Any = None,
    batch_dims: int = 0, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """``tf.gather``: whole slices of ``params`` along ``axis`` (default 0).

    With ``batch_dims=k`` the first ``k`` axes of ``params`` and ``indices`` are a
    shared batch: example ``b`` gathers from ``params[b]`` with ``indices[b]``
    (``tf.gather(logits, labels, batch_dims=1)`` picks one logit per row).

    Raises:
        InvalidArgumentError: ``batch_dims`` or ``axis`` is out of range, the batch
            axes differ, or an index is out of range.
    """
    del validate_indices, name
    p = to_tensor(params, name="params")
    idx = to_tensor(indices, name="indices").long().to(p.device)
    k = batch_dims + idx.dim() if batch_dims < 0 else batch_dims
    dim = k if axis is None else one_axis(axis) % p.dim()
    if not 0 <= k <= min(idx.dim(), dim) or tuple(p.shape[:k]) != tuple(idx.shape[:k]):
        raise InvalidArgumentError(
            f"tf.gather: `batch_dims` must count leading axes that params "
            f"{tuple(p.shape)} and indices {tuple(idx.shape)} share, with axis >= "
            f"batch_dims; received batch_dims={batch_dims!r}, axis={axis!r}."
        )
    size = p.shape[dim]
    if idx.numel() and (
        builtins.bool((idx < 0).any()) or builtins.bool((idx >= size).any())
    ):
        bad = idx[(idx < 0) | (idx >= size)][0]
        raise InvalidArgumentError(
            f"tf.gather: index {int(bad)} is out of range for axis {dim} of size "
            f"{size} (params shape {tuple(p.shape)}); indices must be in [0, {size})."
        )
    if k == 0:
        picked = torch.index_select(p, dim, idx.reshape(-1))
        return picked.reshape(*p.shape[:dim], *idx.shape, *p.shape[dim + 1 :])
    return _batched_gather(p, idx, k, dim)


def _batched_gather(
    p: torch.Tensor, idx: torch.Tensor, k: int, dim: int
) -> torch.Tensor:
    """``gather`` with ``k`` batch axes, by one advanced index over the batch."""
    batch = p.shape[:k]
    n = int(np.prod(batch))
    flat = p.reshape(n, *p.shape[k:]).movedim(1 + dim - k, 1)  # (N, size, ...)
    before, after = p.shape[k:dim], p.shape[dim + 1 :]
    chosen = idx.reshape(n, -1)
    rows = torch.arange(n, device=p.device).unsqueeze(1)
    picked = flat[rows, chosen]  # (N, M, *before, *after)
    inner = idx.shape[k:]
    picked = picked.reshape(n, *inner, *before, *after)
    # (N, *inner, *before, *after) → (N, *before, *inner, *after)
    order = [0, *range(1 + len(inner), 1 + len(inner) + len(before))]
    order += [
        *range(1, 1 + len(inner)),
        *range(1 + len(inner) + len(before), picked.dim()),
    ]
    return picked.permute(order).reshape(*batch, *before, *inner, *after)


def where(
    condition: Any, x: Any = None, y: Any = None, name: str | None = None
) -> torch.Tensor:
    """``tf.where``: with ``x`` and ``y``, pick elementwise (broadcasting); with the
    condition alone, the ``int64`` coordinates of its true elements, one row each.

    Raises:
        InvalidArgumentError: Only one of ``x`` and ``y`` is given.
    """
    del name
    cond = to_tensor(condition, name="condition").bool()
    if x is None and y is None:
        return torch.nonzero(cond).to(torch.int64)
    if x is None or y is None:
        raise InvalidArgumentError(
            "tf.where: give both `x` and `y` (to choose between them) or neither (to "
            "get the coordinates where `condition` is true)."
        )
    return ops.where(cond, to_tensor(x), to_tensor(y))


def boolean_mask(
    tensor: Any, mask: Any, axis: Any = None, name: str | None = None
) -> torch.Tensor:
    """``tf.boolean_mask``: the elements (or rows) where ``mask`` is true."""
    del name
    t = to_tensor(tensor, name="tensor")
    m = to_tensor(mask, name="mask").bool().to(t.device)
    start = 0 if axis is None else one_axis(axis)
    if start:
        t = torch.movedim(
            t,
            list(builtins.range(start, start + m.dim())),
            list(builtins.range(m.dim())),
        )
        return torch.movedim(t[m], 0, start)
    return t[m]


def one_hot(
    indices: Any, depth: Any, on_value: Any = None, off_value: Any = None,
    axis: int | None = None, dtype: Any = None, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """``tf.one_hot``: ``float32`` 1/0 unless told; out-of-range indices give ``off_value``."""
    del name
    depth = one_axis(depth, "depth")
    if depth < 0:
        raise InvalidArgumentError(
            f"tf.one_hot: `depth` must be >= 0 (the number of classes); received "
            f"depth={depth}."
        )
    labels = to_tensor(indices, name="indices").long()
    valid = (labels >= 0) & (labels < depth)
    hot = F.one_hot(labels.clamp(0, builtins.max(depth - 1, 0)), depth).bool()
    hot &= valid.unsqueeze(-1)
    if dtype is None:
        given = on_value if on_value is not None else off_value
        dtype = to_tensor(given).dtype if given is not None else torch.float32
    target = as_torch_dtype(dtype)
    on = torch.tensor(1 if on_value is None else on_value).to(target)
    off = torch.tensor(0 if off_value is None else off_value).to(target)
    out = torch.where(hot, on, off)
    if axis is not None and axis != -1:
        out = torch.movedim(out, -1, axis)
    return out


def range(
    start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,
    name: str = "range",
) -> torch.Tensor:  # fmt: skip
    """``tf.range(limit)`` or ``tf.range(start, limit, delta)``."""
    del name
    if limit is None:
        start, limit = 0, start
    values = [
        v.item() if isinstance(v, torch.Tensor) else v for v in (start, limit, delta)
    ]
    floating = builtins.any(isinstance(v, float) for v in values)
    target = as_torch_dtype(dtype or ("float32" if floating else "int32"))
    return torch.arange(values[0], values[1], values[2], dtype=target)


def _filled(shape: Any, dtype: Any, value: Any) -> torch.Tensor:
    return torch.full(shape_of(shape), value, dtype=as_torch_dtype(dtype))


def zeros(
    shape: Any, dtype: Any = torch.float32, name: str | None = None
) -> torch.Tensor:
    del name
    return _filled(shape, dtype, 0)


def ones(
    shape: Any, dtype: Any = torch.float32, name: str | None = None
) -> torch.Tensor:
    del name
    return _filled(shape, dtype, 1)


def zeros_like(input: Any, dtype: Any = None, name: str | None = None) -> torch.Tensor:
    del name
    t = to_tensor(input, name="input")
    return torch.zeros_like(t, dtype=as_torch_dtype(dtype) if dtype else t.dtype)


def ones_like(input: Any, dtype: Any = None, name: str | None = None) -> torch.Tensor:
    del name
    t = to_tensor(input, name="input")
    return torch.ones_like(t, dtype=as_torch_dtype(dtype) if dtype else t.dtype)


def fill(dims: Any, value: Any, name: str | None = None) -> torch.Tensor:
    """``tf.fill``: the dtype is ``value``'s (``tf.fill([2], 3)`` is ``int32``)."""
    del name
    v = to_tensor(value, name="value")
    return torch.full(shape_of(dims, "dims"), v.item(), dtype=v.dtype)


def eye(
    num_rows: int, num_columns: int | None = None, batch_shape: Any = None,
    dtype: Any = torch.float32, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    del name
    out = torch.eye(num_rows, num_columns or num_rows, dtype=as_torch_dtype(dtype))
    if batch_shape is not None:
        out = out.expand(*shape_of(batch_shape), *out.shape).clone()
    return out


def identity(input: Any, name: str | None = None) -> torch.Tensor:
    del name
    return to_tensor(input, name="input").clone()  # clone keeps autograd


def reverse(tensor: Any, axis: Any, name: str | None = None) -> torch.Tensor:
    """``tensor`` flipped along each axis in ``axis`` (a list, as TF requires)."""
    t = to_tensor(tensor, name="tensor")
    dims = [one_axis(a) % t.dim() for a in to_tensor(axis).reshape(-1).tolist()]
    return t.flip(dims) if dims else t


def ensure_shape(x: Any, shape: Any, name: str | None = None) -> torch.Tensor:
    """``x`` itself, after checking its shape against ``shape`` (None: any size).

    Raises:
        IncompatibleShapeError: The rank or a known size differs.
    """
    t = to_tensor(x, name="x")
    if shape is None:
        return t
    expected = [None if d is None or int(d) < 0 else int(d) for d in list(shape)]
    if len(expected) != t.dim() or any(
        e is not None and e != d for e, d in zip(expected, t.shape)
    ):
        raise IncompatibleShapeError(
            f"tf.ensure_shape: the tensor has shape {tuple(t.shape)}, not the expected "
            f"{expected} (None matches any size)."
        )
    return t


def broadcast_to(input: Any, shape: Any, name: str | None = None) -> torch.Tensor:
    """``input`` repeated along size-1 (or missing leading) axes to ``shape``.

    Raises:
        IncompatibleShapeError: ``input`` cannot be broadcast to ``shape``.
    """
    t = to_tensor(input, name="input")
    target = shape_of(shape)
    try:
        return t.expand(*target).clone()  # a tensor of its own, as TF's
    except RuntimeError:
        raise IncompatibleShapeError(
            f"tf.broadcast_to: shape {tuple(t.shape)} cannot be broadcast to "
            f"{list(target)}; each axis must be 1 or equal to the target's."
        ) from None


def tile(input: Any, multiples: Any, name: str | None = None) -> torch.Tensor:
    del name
    return to_tensor(input, name="input").repeat(*shape_of(multiples, "multiples"))


def clip_by_value(
    t: Any, clip_value_min: Any, clip_value_max: Any, name: str | None = None
) -> torch.Tensor:
    """``tf.clip_by_value``: bounds may be numbers or tensors (broadcast)."""
    del name
    x = to_tensor(t, name="t")
    low = to_tensor(clip_value_min).to(x.device, x.dtype)
    high = to_tensor(clip_value_max).to(x.device, x.dtype)
    return torch.minimum(torch.maximum(x, low), high)


def clip_by_norm(
    t: Any, clip_norm: Any, axes: Any = None, name: str | None = None
) -> torch.Tensor:
    """``t`` scaled down so that its L2 norm (over ``axes``, else all) is at most
    ``clip_norm``; unchanged when it already is."""
    del name
    x = to_tensor(t, name="t")
    dims = None if axes is None else tuple(int(a) for a in np.atleast_1d(axes))
    norm = torch.sqrt(torch.sum(x * x, dim=dims, keepdim=True))
    limit = to_tensor(clip_norm).to(x.device, x.dtype)
    return x * limit / torch.maximum(norm, limit)


def clip_by_global_norm(
    t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None, name: str | None = None
) -> tuple[list[torch.Tensor | None], torch.Tensor]:
    """Scale every tensor of ``t_list`` by ``clip_norm / max(global_norm, clip_norm)``,
    the global norm taken over all of them; ``None`` entries stay None (as TF).

    Returns:
        ``(clipped_list, global_norm)``.
    """
    del name
    tensors = [None if v is None else to_tensor(v) for v in t_list]
    present = [v for v in tensors if v is not None]
    if use_norm is not None:
        total = to_tensor(use_norm).float()
    elif present:
        total = torch.sqrt(
            sum(
                (torch.sum(v.float() ** 2) for v in present),
                torch.tensor(0.0).to(present[0].device),
            )
        )
    else:
        total = torch.tensor(0.0)
    limit = float(to_tensor(clip_norm))
    scale = limit / torch.clamp(total, min=limit)
    clipped = [None if v is None else v * scale.to(v.device, v.dtype) for v in tensors]
    return clipped, total


__getattr__ = module_getattr("tensorflow")
