"""More top-level ``tf`` tensor functions: padding, splitting, sorting, tiling,
``einsum`` and ``gather_nd``.

TensorFlow's rules kept here:

- ``tf.pad(t, paddings)`` lists ``[before, after]`` per axis from the *first* axis
  (torch's ``F.pad`` counts from the last).
- ``tf.split(x, 3)`` makes 3 equal parts; ``tf.split(x, [2, 1])`` parts of those
  sizes (one may be -1).
- ``tf.sort``/``tf.argsort`` sort along the last axis, ascending unless
  ``direction="DESCENDING"``; ``argsort`` gives ``int32``.
- ``tf.meshgrid`` indexes ``"xy"`` by default (as NumPy), not ``"ij"``.
- ``tf.gather_nd(params, indices)``: the last axis of ``indices`` indexes the first
  axes of ``params``.

Example:
    >>> import torch
    >>> pad(torch.ones(1, 2), [[1, 0], [0, 1]]).tolist()
    [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    >>> [p.tolist() for p in split(torch.arange(5), [2, -1])]
    [[0, 1], [2, 3, 4]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from cnnkit.compat.tf._common import (
    as_torch_dtype,
    module_getattr,
    one_axis,
    shape_of,
    to_tensor,
)
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError

__all__ = ["argsort", "einsum", "gather_nd", "meshgrid", "numpy_function", "pad", "py_function", "repeat", "roll", "scatter_nd", "sequence_mask", "sort", "split", "tensor_scatter_nd_add", "tensor_scatter_nd_update", "unique"]  # fmt: skip

_PAD_MODES = {"CONSTANT": "constant", "REFLECT": "reflect", "SYMMETRIC": "symmetric"}


def pad(
    tensor: Any, paddings: Any, mode: str = "CONSTANT", constant_values: Any = 0,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Pad each axis by ``paddings[axis] = [before, after]``.

    Raises:
        InvalidArgumentError: ``mode`` is unknown or ``paddings`` is not one pair per
            axis.
    """
    t = to_tensor(tensor, name="tensor")
    upper = str(mode).upper()
    if upper not in _PAD_MODES:
        raise InvalidArgumentError(
            f"tf.pad: `mode` must be one of {sorted(_PAD_MODES)}; received mode={mode!r}."
        )
    pairs = np.asarray(to_tensor(paddings).tolist(), dtype=np.int64).reshape(-1, 2)
    if pairs.shape[0] != t.dim():
        raise InvalidArgumentError(
            f"tf.pad: `paddings` needs one [before, after] pair per axis of the "
            f"{t.dim()}-D tensor; received {pairs.shape[0]} pairs."
        )
    if upper == "CONSTANT":
        flat = [int(v) for pair in pairs[::-1] for v in pair]  # torch: last axis first
        return F.pad(t, flat, value=float(to_tensor(constant_values)))
    out = t
    for axis, (before, after) in enumerate(pairs):
        out = _mirror(
            out, axis, int(before), int(after), symmetric=upper == "SYMMETRIC"
        )
    return out


def _mirror(
    t: torch.Tensor, axis: int, before: int, after: int, symmetric: bool
) -> torch.Tensor:
    # REFLECT leaves the edge out ([1,2,3] → 2,1,2,3,2); SYMMETRIC repeats it.
    skip = 0 if symmetric else 1
    size = t.shape[axis]
    head = t.narrow(axis, skip, before).flip(axis) if before else None
    tail = t.narrow(axis, size - after - skip, after).flip(axis) if after else None
    parts = [p for p in (head, t, tail) if p is not None]
    return torch.cat(parts, dim=axis)


def split(
    value: Any, num_or_size_splits: Any, axis: Any = 0, num: int | None = None,
    name: str = "split",
) -> list[torch.Tensor]:  # fmt: skip
    """Equal parts (an int) or parts of the given sizes (a list, one -1 allowed).

    Raises:
        IncompatibleShapeError: The axis does not divide evenly, or the sizes do not
            add up to it.
    """
    t = to_tensor(value, name="value")
    dim = one_axis(axis)
    length = t.shape[dim]
    if isinstance(num_or_size_splits, int | np.integer):
        parts = int(num_or_size_splits)
        if parts <= 0 or length % parts:
            raise IncompatibleShapeError(
                f"tf.split: axis {dim} of size {length} cannot be split into "
                f"{num_or_size_splits} equal parts."
            )
        return list(torch.split(t, length // parts, dim=dim))
    sizes = list(shape_of(num_or_size_splits, "num_or_size_splits"))
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = length - (sum(sizes) + 1)
    if sum(sizes) != length or min(sizes) < 0:
        raise IncompatibleShapeError(
            f"tf.split: sizes {list(shape_of(num_or_size_splits))} do not add up to "
            f"axis {dim} of size {length}."
        )
    return list(torch.split(t, sizes, dim=dim))


def sort(
    values: Any, axis: int = -1, direction: str = "ASCENDING", name: str | None = None
) -> torch.Tensor:
    return torch.sort(to_tensor(values), dim=axis, descending=_descending(direction))[0]


def argsort(
    values: Any, axis: int = -1, direction: str = "ASCENDING", stable: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    order = torch.sort(
        to_tensor(values), dim=axis, descending=_descending(direction), stable=True
    )[1]
    return order.to(torch.int32)


def _descending(direction: str) -> bool:
    if direction not in ("ASCENDING", "DESCENDING"):
        raise InvalidArgumentError(
            f"tf.sort: `direction` must be 'ASCENDING' or 'DESCENDING'; received "
            f"direction={direction!r}."
        )
    return direction == "DESCENDING"


def repeat(
    input: Any, repeats: Any, axis: int | None = None, name: str | None = None
) -> torch.Tensor:
    """Each element repeated (along ``axis``; of the flattened tensor when None)."""
    t = to_tensor(input, name="input")
    counts = to_tensor(repeats).long()
    if axis is None:
        t, axis = t.reshape(-1), 0
    return torch.repeat_interleave(t, counts if counts.dim() else int(counts), dim=axis)


def roll(input: Any, shift: Any, axis: Any, name: str | None = None) -> torch.Tensor:
    shifts = shape_of(shift, "shift")
    dims = shape_of(axis, "axis")
    return torch.roll(to_tensor(input, name="input"), shifts=shifts, dims=dims)


def meshgrid(
    *args: Any, indexing: str = "xy", name: str | None = None
) -> list[torch.Tensor]:
    """Coordinate grids; ``indexing="xy"`` (TF's default) or ``"ij"``.

    Raises:
        InvalidArgumentError: ``indexing`` is neither.
    """
    if indexing not in ("xy", "ij"):
        raise InvalidArgumentError(
            f"tf.meshgrid: `indexing` must be 'xy' or 'ij'; received indexing={indexing!r}."
        )
    return list(torch.meshgrid(*[to_tensor(a) for a in args], indexing=indexing))


def gather_nd(
    params: Any, indices: Any, batch_dims: int = 0, name: str | None = None
) -> torch.Tensor:
    """Slices of ``params`` picked by the index vectors in ``indices``' last axis.

    Raises:
        InvalidArgumentError: ``batch_dims`` is not 0, or an index vector is longer
            than ``params`` has axes.
    """
    if batch_dims != 0:
        raise InvalidArgumentError(
            f"tf.gather_nd: cnnkit supports batch_dims=0 only; received "
            f"batch_dims={batch_dims!r}."
        )
    p = to_tensor(params, name="params")
    idx = to_tensor(indices, name="indices").long().to(p.device)
    depth = idx.shape[-1]
    if depth > p.dim():
        raise InvalidArgumentError(
            f"tf.gather_nd: index vectors of length {depth} cannot index a "
            f"{p.dim()}-D `params` of shape {tuple(p.shape)}."
        )
    flat = idx.reshape(-1, depth)
    picked = p[tuple(flat[:, k] for k in range(depth))]
    return picked.reshape(*idx.shape[:-1], *p.shape[depth:])


def sequence_mask(
    lengths: Any, maxlen: Any = None, dtype: Any = torch.bool, name: str | None = None
) -> torch.Tensor:
    """``mask[..., j] = j < lengths[...]``, ``maxlen`` columns (the longest when None)."""
    sizes = to_tensor(lengths, name="lengths").long()
    width = int(sizes.max()) if maxlen is None else int(to_tensor(maxlen))
    mask = torch.arange(width, device=sizes.device) < sizes.unsqueeze(-1)
    return mask.to(as_torch_dtype(dtype))


def unique(x: Any, out_idx: Any = torch.int32, name: str | None = None) -> Any:
    """``(y, idx)``: the distinct values of 1-D ``x`` in order of first appearance,
    and for each element of ``x`` its position in ``y`` (TF's order, not sorted).

    Raises:
        IncompatibleShapeError: ``x`` is not 1-D.
    """
    t = to_tensor(x, name="x")
    if t.dim() != 1:
        raise IncompatibleShapeError(
            f"tf.unique: `x` must be 1-D; received shape {tuple(t.shape)}."
        )
    values, inverse = torch.unique(t, sorted=True, return_inverse=True)
    # Reorder the sorted values by where each first occurs in x.
    first = torch.full((values.numel(),), t.numel(), dtype=torch.long, device=t.device)
    first.scatter_reduce_(0, inverse, torch.arange(t.numel(), device=t.device), "amin")
    order = torch.argsort(first)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=t.device)
    return UniqueResult(values[order], rank[inverse].to(as_torch_dtype(out_idx)))


class UniqueResult(NamedTuple):
    """What ``tf.unique`` returns."""

    y: torch.Tensor
    idx: torch.Tensor


def scatter_nd(
    indices: Any, updates: Any, shape: Any, name: str | None = None
) -> torch.Tensor:
    """A zero tensor of ``shape`` with ``updates`` added at ``indices`` (duplicates sum)."""
    values = to_tensor(updates, name="updates")
    out = torch.zeros(shape_of(shape), dtype=values.dtype, device=values.device)
    return tensor_scatter_nd_add(out, indices, values)


def tensor_scatter_nd_update(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> torch.Tensor:
    """A copy of ``tensor`` with the slices at ``indices`` replaced by ``updates``."""
    out = to_tensor(tensor, name="tensor").clone()
    out[_index_tuple(indices, out)] = to_tensor(updates).to(out.device, out.dtype)
    return out


def tensor_scatter_nd_add(
    tensor: Any, indices: Any, updates: Any, name: str | None = None
) -> torch.Tensor:
    """A copy of ``tensor`` with ``updates`` added at ``indices`` (duplicates sum)."""
    out = to_tensor(tensor, name="tensor").clone()
    where = _index_tuple(indices, out)
    out.index_put_(where, to_tensor(updates).to(out.device, out.dtype), accumulate=True)
    return out


def _index_tuple(indices: Any, target: torch.Tensor) -> tuple[torch.Tensor, ...]:
    idx = to_tensor(indices, name="indices").long().to(target.device)
    flat = idx.reshape(-1, idx.shape[-1])
    return tuple(flat[:, k] for k in range(flat.shape[1]))


def einsum(equation: str, *inputs: Any, **kwargs: Any) -> torch.Tensor:
    """``tf.einsum`` (the same notation as NumPy and torch)."""
    return torch.einsum(equation, *[to_tensor(x) for x in inputs])


def py_function(
    func: Callable[..., Any], inp: Any, Tout: Any = None, name: str | None = None
) -> Any:
    """Call ``func(*inp)`` now: everything already runs eagerly here, so a Python
    function needs no wrapping (``Tout`` casts the results when given)."""
    result = func(*inp)
    if Tout is None:
        return result
    if isinstance(Tout, list | tuple):
        return [to_tensor(r, dtype=t) for r, t in zip(result, Tout)]
    return to_tensor(result, dtype=Tout)


def numpy_function(
    func: Callable[..., Any], inp: Any, Tout: Any, stateful: bool = True,
    name: str | None = None,
) -> Any:  # fmt: skip
    """``func`` called with NumPy arrays; its results come back as tensors of ``Tout``."""
    arrays = [
        x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
        for x in inp
    ]
    return py_function(func, arrays, Tout)


__getattr__ = module_getattr("tensorflow")
