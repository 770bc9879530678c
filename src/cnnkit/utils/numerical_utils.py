"""Label and vector helpers: ``to_categorical`` and ``normalize`` (as ``keras.utils``).

Example:
    >>> to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    >>> normalize(np.array([[3.0, 4.0]]))
    array([[0.6, 0.8]])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError

__all__ = ["normalize", "to_categorical"]


def _first_bad(mask: np.ndarray, values: np.ndarray) -> str:
    """Describe the first offending label: its value and its index."""
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    where = index[0] if len(index) == 1 else index
    return f"{values[index].item()!r} at index {where}"


def _class_indices(x: Any) -> np.ndarray:
    """Labels as an int64 array, refusing values that are not class indices."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    values = np.asarray(x)
    kind = values.dtype.kind
    if kind not in "biuf":
        raise InvalidTypeError(
            "to_categorical expects integer class indices; received an array of "
            f"dtype {values.dtype}. For string labels, map them to integers first: "
            "`classes, y = np.unique(labels, return_inverse=True)`."
        )
    if kind == "f":
        fractional = ~np.isfinite(values) | (values != np.round(values))
        if fractional.any():
            raise InvalidArgumentError(
                "to_categorical expects integer class indices; found "
                f"{_first_bad(fractional, values)}. If these are probabilities or "
                "scores, they are already encoded: pass them to the loss directly, or "
                "take `y.argmax(axis=-1)` to get class indices."
            )
    return values.astype(np.int64)


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """Convert class indices to a one-hot (binary class) matrix.

    Args:
        x: Array-like of integer class indices from ``0`` to ``num_classes - 1``
            (whole-number floats such as ``3.0`` are accepted). A trailing axis of
            size 1, as in CIFAR's ``(N, 1)`` labels, is dropped.
        num_classes: Total number of classes; ``None`` infers ``max(x) + 1``.

    Returns:
        A float64 numpy array of shape ``x.shape + (num_classes,)`` (without the
        dropped trailing 1), with the class axis last.

    Raises:
        InvalidTypeError: ``x`` is not numeric (e.g. strings).
        InvalidArgumentError: A label is fractional, negative, or ``>= num_classes``;
            ``num_classes`` is not a positive integer; or ``x`` is empty and
            ``num_classes`` is ``None``.

    Example:
        >>> to_categorical(np.array([[1], [0]])).shape
        (2, 2)
        >>> to_categorical(3, num_classes=4)
        array([0., 0., 0., 1.])
    """
    labels = _class_indices(x)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    negative = labels < 0
    if negative.any():
        smallest, first = (
            _first_bad(labels == labels.min(), labels),
            _first_bad(negative, labels),
        )
        also = "" if first == smallest else f" (the first negative is {first})"
        count = int(negative.sum())
        are = "1 label is" if count == 1 else f"{count} labels are"
        raise InvalidArgumentError(
            f"to_categorical: class indices must be >= 0, but {are} negative; the "
            f"smallest is {smallest}{also}. If -1 marks "
            "'unlabelled', drop those samples first (`keep = y >= 0`, then "
            "`x, y = x[keep], y[keep]`); if the labels were shifted (e.g. `y - 1` on "
            "labels that already start at 0), undo the shift."
        )
    if num_classes is None:
        if flat.size == 0:
            raise InvalidArgumentError(
                "to_categorical cannot infer `num_classes` from an empty array; "
                "pass num_classes=<number of classes>."
            )
        num_classes = int(flat.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(
        num_classes, (int, np.integer)
    ):
        raise InvalidTypeError(
            f"`num_classes` must be a positive integer or None; received "
            f"num_classes={num_classes!r}."
        )
    elif num_classes <= 0:
        raise InvalidArgumentError(
            f"`num_classes` must be a positive integer or None; received "
            f"num_classes={num_classes!r}."
        )
    too_big = labels >= num_classes
    if too_big.any():
        raise InvalidArgumentError(
            f"to_categorical: class index {_first_bad(too_big, labels)} is >= "
            f"num_classes={num_classes}; indices must run from 0 to "
            f"{num_classes - 1}. Pass num_classes={int(flat.max()) + 1} or check the "
            "labels."
        )
    one_hot = np.zeros((flat.size, int(num_classes)), dtype=np.float64)
    one_hot[np.arange(flat.size), flat] = 1.0
    return one_hot.reshape((*shape, int(num_classes)))


def normalize(x: Any, axis: int = -1, order: float = 2) -> Any:
    """Scale ``x`` to unit L_p norm along ``axis`` (zero norms are left as zeros).

    This is ``x / ||x||_p``, not a min-max rescaling to [0, 1].

    Args:
        x: Numpy array (or array-like) or torch tensor.
        axis: Axis along which the norm is taken.
        order: ``p`` of the norm (``2`` Euclidean, ``1``, ``np.inf``, ...).

    Returns:
        A normalised copy: a numpy array (float64 for integer input), or a torch
        tensor when ``x`` is one.

    Raises:
        InvalidArgumentError: ``x`` is a scalar or ``axis`` is out of range.

    Example:
        >>> normalize(np.array([[1.0, 1.0], [0.0, 0.0]]), order=1)
        array([[0.5, 0.5],
               [0. , 0. ]])
    """
    is_tensor = isinstance(x, torch.Tensor)
    ndim = x.dim() if is_tensor else np.ndim(x)
    shape = tuple(x.shape) if is_tensor else np.shape(x)
    if ndim == 0:
        raise InvalidArgumentError(
            "normalize needs an array with at least one axis; received a scalar. "
            "Wrap it, e.g. normalize(np.array([value]))."
        )
    if (
        isinstance(axis, bool)
        or not isinstance(axis, (int, np.integer))
        or not -ndim <= axis < ndim
    ):
        raise InvalidArgumentError(
            f"`axis` must be an integer in [{-ndim}, {ndim - 1}] for an input of "
            f"shape {shape}; received axis={axis!r}."
        )
    if is_tensor:
        values = x if x.is_floating_point() else x.double()
        norm = torch.linalg.vector_norm(values, ord=order, dim=axis, keepdim=True)
        return values / torch.where(norm == 0, torch.ones_like(norm), norm)
    values = np.asarray(x)
    norm = np.linalg.norm(values, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return values / norm
