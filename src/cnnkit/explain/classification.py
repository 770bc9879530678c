"""How a classifier errs, in plain numpy: confusion matrix, per-class scores, mistakes.

These are the numbers behind ``plot_confusion_matrix`` and ``plot_worst_errors``
and the report; they need no plotting library, so a web page can serve them as
JSON. Labels may be class indices ``(N,)`` / ``(N, 1)`` or one-hot ``(N, K)``;
predictions may be class indices or per-class scores ``(N, K)``.

Example:
    >>> import numpy as np
    >>> y_true = np.array([0, 0, 1, 2, 2, 2])
    >>> y_pred = np.array([0, 1, 1, 2, 2, 0])
    >>> confusion_matrix(y_true, y_pred)
    array([[1, 1, 0],
           [0, 1, 0],
           [1, 0, 2]])
    >>> scores = class_scores(y_true, y_pred)
    >>> scores["precision"].round(2).tolist(), scores["recall"].round(2).tolist()
    ([0.5, 0.5, 1.0], [0.5, 1.0, 0.67])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.explain import _target, _tensors
from cnnkit.utils.validation import check_positive_int, format_shape

__all__ = [
    "Mistakes",
    "as_probabilities",
    "class_probabilities",
    "class_scores",
    "confusion_matrix",
    "labels_of",
    "worst_errors",
]


def labels_of(y: Any, argument: str) -> np.ndarray:
    """Class indices ``(N,)`` from indices, ``(N, 1)`` indices, or ``(N, K)`` scores.

    Raises:
        InvalidArgumentError: ``y`` is not one of these shapes, or holds negative or
            non-integer class indices.
    """
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 2:
        return np.asarray(array.argmax(axis=1), dtype=np.int64)
    if array.ndim != 1:
        raise InvalidArgumentError(
            f"`{argument}` must hold one label per sample: class indices of shape "
            "(N,) or (N, 1), or one-hot / per-class scores of shape (N, K); received "
            f"shape {format_shape(array.shape)}."
        )
    if array.size and (
        not np.issubdtype(array.dtype, np.number)
        or np.any(array < 0)
        or np.any(array != np.round(array))
    ):
        raise InvalidArgumentError(
            f"`{argument}` must hold class indices 0, 1, 2, ...; received values such "
            f"as {array[:5].tolist()}. Pass integer labels (e.g. `y_test`), or "
            "one-hot rows of shape (N, K)."
        )
    return array.astype(np.int64)


def _pair(y_true: Any, y_pred: Any, num_classes: int | None) -> tuple[Any, Any, int]:
    true, pred = labels_of(y_true, "y_true"), labels_of(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise InvalidArgumentError(
            f"`y_true` and `y_pred` must have one label per sample each; received "
            f"{true.shape[0]} true labels and {pred.shape[0]} predictions."
        )
    widths = [np.asarray(y).shape[1] for y in (y_true, y_pred) if np.ndim(y) == 2]
    found = max([int(true.max(initial=-1)) + 1, int(pred.max(initial=-1)) + 1, *widths])
    if num_classes is None:
        return true, pred, max(found, 1)
    check_positive_int(num_classes, "num_classes")
    if found > num_classes:
        raise InvalidArgumentError(
            f"`num_classes`={num_classes} is too small: the labels reach class "
            f"{found - 1}. Pass num_classes={found} or more, or leave it None."
        )
    return true, pred, num_classes


def confusion_matrix(
    y_true: Any, y_pred: Any, num_classes: int | None = None
) -> np.ndarray:
    """Counts of (true class, predicted class) pairs: row = truth, column = guess.

    Args:
        y_true: The true labels (indices or one-hot).
        y_pred: The predictions (indices, or per-class scores / probabilities).
        num_classes: The matrix size; ``None`` counts the classes seen.

    Returns:
        An int64 array ``(K, K)``; ``matrix[i, j]`` samples of class ``i`` were
        predicted as class ``j``, so the diagonal holds the correct ones.

    Raises:
        InvalidArgumentError: Labels of different lengths or shapes that are not
            labels, or ``num_classes`` smaller than the labels need.
    """
    true, pred, k = _pair(y_true, y_pred, num_classes)
    return np.bincount(true * k + pred, minlength=k * k).reshape(k, k)


def class_scores(
    y_true: Any, y_pred: Any, num_classes: int | None = None
) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support of each class.

    Returns:
        A dict of ``(K,)`` arrays: ``"precision"`` (of the samples predicted as the
        class, the share that are), ``"recall"`` (of the samples of the class, the
        share found), ``"f1"`` and ``"support"`` (samples of the class). A class
        never predicted has precision 0, as scikit-learn reports it.

    Raises:
        InvalidArgumentError: As :func:`confusion_matrix`.
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    hits = np.diag(matrix).astype(np.float64)
    predicted, support = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    both = precision + recall
    f1 = np.divide(
        2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0
    )
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def as_probabilities(scores: np.ndarray) -> np.ndarray:
    """Rows of class probabilities from a model's outputs, shape (N, classes).

    One sigmoid unit becomes two classes (0: ``1 - p``, 1: ``p``); scores that are
    not probabilities (a model without a final softmax) go through a softmax.

    Example:
        >>> as_probabilities(np.array([[0.8]])).round(2).tolist()
        [[0.2, 0.8]]
        >>> as_probabilities(np.array([[0.0, 0.0]])).tolist()
        [[0.5, 0.5]]
    """
    scores = scores.reshape(len(scores), -1).astype("float64")
    if scores.shape[1] == 1:
        p = scores[:, 0]
        if not np.all((p >= 0) & (p <= 1)):
            p = 1 / (1 + np.exp(-p))
        return np.stack([1 - p, p], axis=1)
    if np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1, atol=1e-3):
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def class_probabilities(
    model: torch.nn.Module, x: Any, *, batch_size: int = 256
) -> np.ndarray:
    """The model's per-class probabilities ``(N, K)`` on ``x``, in inference mode.

    A model that ends in a softmax gives its output as it is; one that outputs
    logits (rows that are not probability distributions) gets a softmax on top.

    Raises:
        InvalidArgumentError: The model's output is not one score per class
            ``(N, K)``.
    """
    model = _target.check_model(model, "class_probabilities")
    batch_size = check_positive_int(batch_size, "batch_size")
    inputs = _tensors.as_input(model, x)
    parts = []
    with torch.no_grad():
        for rows in _tensors.chunks(inputs.shape[0], batch_size):
            output = _tensors.call(model, inputs[rows])
            if not isinstance(output, torch.Tensor) or output.dim() != 2:
                shape = getattr(output, "shape", type(output).__name__)
                raise InvalidArgumentError(
                    "Explaining mistakes needs a classifier with one output of shape "
                    f"(batch, classes); this model outputs {shape}. Pass a model "
                    "whose last layer is e.g. `Dense(num_classes, "
                    'activation="softmax")`.'
                )
            parts.append(output.float())
    scores = torch.cat(parts)
    rows_sum = scores.sum(dim=1)
    if scores.min() < 0 or not torch.allclose(
        rows_sum, torch.ones_like(rows_sum), atol=1e-3
    ):
        scores = torch.softmax(scores, dim=1)  # logits
    return _tensors.numpy(scores)


@dataclass(frozen=True)
class Mistakes:
    """The most confident wrong predictions, most confident first.

    Attributes:
        indices: Positions in ``x`` of the misclassified samples.
        true: Their true classes.
        predicted: The classes the model chose.
        confidence: The probability the model gave its (wrong) choice.
        true_probability: The probability it gave the true class.
        error_count: How many samples of ``x`` are misclassified in all.
    """

    indices: np.ndarray
    true: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    true_probability: np.ndarray
    error_count: int

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, ready for ``json.dumps``."""
        return {
            "indices": self.indices.tolist(),
            "true": self.true.tolist(),
            "predicted": self.predicted.tolist(),
            "confidence": self.confidence.tolist(),
            "true_probability": self.true_probability.tolist(),
            "error_count": self.error_count,
        }


def worst_errors(
    model: torch.nn.Module | None,
    x: Any,
    y: Any,
    n: int = 9,
    *,
    probabilities: Any = None,
) -> Mistakes:
    """The ``n`` misclassified samples the model was most sure about.

    Args:
        model: The classifier (unused when ``probabilities`` is given).
        x: The inputs, in the model's layout.
        y: Their true labels (indices or one-hot).
        n: How many mistakes to return (fewer if the model makes fewer).
        probabilities: The model's ``(N, K)`` outputs on ``x`` if already computed
            (saves a pass over the data).

    Returns:
        A :class:`Mistakes`, sorted by decreasing confidence.

    Raises:
        InvalidArgumentError: ``n`` is not a positive int, or ``y`` and the
            predictions do not have one row per sample.

    Example:
        >>> import numpy as np
        >>> probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
        >>> worst = worst_errors(None, None, [1, 1, 1, 0], n=2, probabilities=probs)
        >>> worst.indices.tolist(), worst.confidence.round(2).tolist()
        ([0, 3], [0.9, 0.7])
    """
    n = check_positive_int(n, "n")
    if probabilities is None:
        if model is None:
            raise InvalidArgumentError(
                "`worst_errors` needs a `model` to predict with, or the model's "
                "outputs as `probabilities=`; received neither."
            )
        probabilities = class_probabilities(model, x)
    probs = np.asarray(probabilities, dtype=np.float64)
    true = labels_of(y, "y")
    if probs.ndim != 2 or probs.shape[0] != true.shape[0]:
        raise InvalidArgumentError(
            f"`y` has {true.shape[0]} labels but the predictions have shape "
            f"{format_shape(probs.shape)}; they need one row per sample."
        )
    if true.size and true.max() >= probs.shape[1]:
        raise InvalidArgumentError(
            f"`y` holds class {int(true.max())} but the model scores only "
            f"{probs.shape[1]} classes (0 to {probs.shape[1] - 1}). Check that `y` "
            "belongs to this model's dataset."
        )
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != true)
    confidence = probs[wrong, predicted[wrong]]
    # Stable sort: among equal confidences the earlier sample comes first.
    chosen = wrong[np.argsort(-confidence, kind="stable")[:n]]
    return Mistakes(
        indices=chosen,
        true=true[chosen],
        predicted=predicted[chosen],
        confidence=probs[chosen, predicted[chosen]],
        true_probability=probs[chosen, true[chosen]],
        error_count=int(wrong.size),
    )
