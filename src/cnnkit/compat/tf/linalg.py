"""``tf.linalg`` basics (and ``tf.norm``): matrix products, norms, inverses.

TensorFlow's rules kept here: ``tf.norm`` with ``axis=None`` is the Euclidean norm of
*all* entries (a vector norm of the flattened tensor, not a matrix 2-norm);
``tf.linalg.matmul``'s ``transpose_a``/``transpose_b`` swap the last two axes.
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.compat.tf import math as tf_math
from cnnkit.compat.tf._common import Axis, axes, module_getattr, to_tensor
from cnnkit.compat.tf.tensor import eye as make_eye
from cnnkit.errors import InvalidArgumentError
from cnnkit.ops.core import promote

__all__ = [
    "det", "diag", "diag_part", "eye", "inv", "l2_normalize", "matmul", "matrix_transpose",
    "norm", "trace",
]  # fmt: skip

l2_normalize = tf_math.l2_normalize


def matmul(
    a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
    adjoint_a: bool = False, adjoint_b: bool = False, name: str | None = None,
    **kwargs: Any,
) -> torch.Tensor:  # fmt: skip
    """``a @ b`` over the last two axes (leading axes broadcast as batches)."""
    del kwargs  # a_is_sparse, b_is_sparse, output_type: hints only
    x, y = promote(to_tensor(a, name="a"), to_tensor(b, name="b"))
    if transpose_a or adjoint_a:
        x = x.transpose(-1, -2)
    if transpose_b or adjoint_b:
        y = y.transpose(-1, -2)
    return torch.matmul(x, y)


def matrix_transpose(a: Any, name: str = "matrix_transpose") -> torch.Tensor:
    return to_tensor(a).transpose(-1, -2)


_NORM_ORDS = ("euclidean", "fro", 1, 2, float("inf"))


def norm(
    tensor: Any, ord: Any = "euclidean", axis: Axis = None, keepdims: bool = False,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """``tf.norm``: ``euclidean``/``fro`` (default), 1, 2 or ``np.inf``.

    Raises:
        InvalidArgumentError: ``ord`` is not one of those.
    """
    if ord not in _NORM_ORDS:
        raise InvalidArgumentError(
            f"tf.norm: `ord` must be one of 'euclidean', 'fro', 1, 2 or np.inf; "
            f"received ord={ord!r}."
        )
    t = to_tensor(tensor, name="tensor")
    t = t if t.is_floating_point() else t.to(torch.float32)
    dims = axes(axis)
    if ord in ("euclidean", "fro"):
        # All entries when axis is None (TensorFlow's rule), as one vector.
        return torch.sqrt(torch.sum(t * t, dim=dims, keepdim=keepdims))
    if dims is None:
        t, dims = t.reshape(-1), (0,)
    if len(dims) == 2:
        return torch.linalg.matrix_norm(t, ord=ord, dim=dims, keepdim=keepdims)
    return torch.linalg.vector_norm(t, ord=ord, dim=dims, keepdim=keepdims)


def inv(input: Any, adjoint: bool = False, name: str | None = None) -> torch.Tensor:
    out = torch.linalg.inv(tf_math._float(input))
    return out.transpose(-1, -2) if adjoint else out


def det(input: Any, name: str | None = None) -> torch.Tensor:
    return torch.linalg.det(tf_math._float(input))


def trace(x: Any, name: str | None = None) -> torch.Tensor:
    return torch.diagonal(to_tensor(x), dim1=-2, dim2=-1).sum(-1)


def diag(diagonal: Any, name: str = "diag", **kwargs: Any) -> torch.Tensor:
    return torch.diag_embed(to_tensor(diagonal))


def diag_part(input: Any, name: str = "diag_part", **kwargs: Any) -> torch.Tensor:
    return torch.diagonal(to_tensor(input), dim1=-2, dim2=-1)


def eye(
    num_rows: int, num_columns: int | None = None, batch_shape: Any = None,
    dtype: Any = torch.float32, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    return make_eye(num_rows, num_columns, batch_shape, dtype)


__getattr__ = module_getattr("tensorflow.linalg")
