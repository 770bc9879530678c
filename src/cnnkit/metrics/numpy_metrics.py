"""Metrics computed once on a whole evaluation set, in NumPy (for reports and plots).

Example:
    >>> confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2])
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 0, 2]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnkit.errors import InvalidArgumentError

__all__ = ["confusion_matrix"]


def _class_ids(values: Any, name: str) -> np.ndarray:
    """Integer ids from ids ``(N,)``/``(N, 1)``, or from one-hot/scores ``(N, C)``."""
    array = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values)
    if array.ndim == 2 and array.shape[1] > 1:
        return np.asarray(array.argmax(axis=1))
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise InvalidArgumentError(
            f"`{name}` must hold class ids of shape (N,) or (N, 1), or one row of "
            f"scores per sample (N, num_classes); received {name}.shape={array.shape}."
        )
    if array.size and (
        not np.all(np.isfinite(array)) or not np.all(np.equal(np.mod(array, 1), 0))
    ):
        raise InvalidArgumentError(
            f"`{name}` must hold whole class ids; received values such as "
            f"{array[np.flatnonzero(np.mod(array, 1) != 0)[:3]].tolist()}. Pass "
            "argmax'ed predictions or the (N, num_classes) scores."
        )
    return array.astype(np.int64)


def confusion_matrix(
    labels: Any,
    predictions: Any,
    num_classes: int | None = None,
    weights: Any = None,
) -> np.ndarray:
    """Count how often each true class (row) was predicted as each class (column).

    Args:
        labels: True class ids ``(N,)``/``(N, 1)`` or one-hot ``(N, C)`` (numpy, list
            or tensor).
        predictions: Predicted class ids ``(N,)``/``(N, 1)`` or scores ``(N, C)``
            (argmax'ed here).
        num_classes: Matrix size; defaults to ``max(labels, predictions) + 1``.
        weights: Optional per-sample weights; the result is then float64.

    Returns:
        A ``(num_classes, num_classes)`` int64 (or float64) array.

    Raises:
        InvalidArgumentError: mismatched lengths, negative or too-large ids, or
            ``num_classes`` not a positive int.

    Example:
        >>> confusion_matrix([1, 0], [[0.2, 0.8], [0.6, 0.4]], num_classes=3)
        array([[1, 0, 0],
               [0, 1, 0],
               [0, 0, 0]])
    """
    true = _class_ids(labels, "labels")
    pred = _class_ids(predictions, "predictions")
    if true.shape != pred.shape:
        raise InvalidArgumentError(
            f"`labels` and `predictions` must describe the same samples; received "
            f"{true.shape[0]} labels and {pred.shape[0]} predictions."
        )
    largest = int(max(true.max(initial=-1), pred.max(initial=-1)))
    if num_classes is None:
        num_classes = largest + 1 if largest >= 0 else 1
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, int)
        or num_classes < 1
    ):
        raise InvalidArgumentError(
            "`num_classes` must be a positive int; received "
            f"num_classes={num_classes!r}."
        )
    smallest = int(min(true.min(initial=0), pred.min(initial=0)))
    if smallest < 0 or largest >= num_classes:
        bad = smallest if smallest < 0 else largest
        raise InvalidArgumentError(
            f"Class ids must lie in [0, {num_classes - 1}] for "
            f"num_classes={num_classes}; received the id {bad}. Pass a larger "
            "`num_classes` or check the labels."
        )
    flat = true * num_classes + pred
    if weights is None:
        counts = np.bincount(flat, minlength=num_classes * num_classes)
        return counts.reshape(num_classes, num_classes).astype(np.int64)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape[0] != true.shape[0]:
        raise InvalidArgumentError(
            f"`weights` needs one value per sample ({true.shape[0]}); received "
            f"{w.shape[0]}."
        )
    counts = np.bincount(flat, weights=w, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)
