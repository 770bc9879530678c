"""Cross-entropy loss functions with Keras' numerics, and a label checker.

From probabilities (``from_logits=False``) categorical and sparse cross-entropy first
renormalise ``y_pred`` to sum to 1 along the class axis, then clip it to
``[eps, 1 - eps]`` (``eps = config.epsilon() = 1e-7``) before the log, so a
probability of exactly 0 costs ``-log(1e-7) ≈ 16.12`` instead of infinity. From
logits they use ``log_softmax``; binary cross-entropy uses the stable sigmoid form.

Example:
    >>> import torch
    >>> y_true = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> y_pred = torch.tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> categorical_crossentropy(y_true, y_pred)
    tensor([0.0513, 2.3026])
    >>> sparse_categorical_crossentropy(torch.tensor([1, 2]), y_pred)
    tensor([0.0513, 2.3026])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from cnnkit import config
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, TrainingInputError
from cnnkit.losses.loss import ArrayLike, to_float_tensor, to_tensor

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "check_sparse_labels",
    "crossentropy_arguments",
    "sparse_categorical_crossentropy",
]


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def _check_axis(axis: object) -> int:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise InvalidTypeError(
            f"`axis` must be an int (the class axis, usually -1); received "
            f"axis={axis!r} of type {type(axis).__name__}."
        )
    return axis


def _check_label_smoothing(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= 1
    ):
        raise InvalidArgumentError(
            "`label_smoothing` must be a float in [0, 1] (0.1 is typical); received "
            f"label_smoothing={value!r}."
        )
    return value  # unchanged, so that the config shows it as given (as in Keras)


def _check_ignore_class(value: object) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidTypeError(
            "`ignore_class` must be an int (a label value to leave out) or None; "
            f"received ignore_class={value!r} of type {type(value).__name__}."
        )
    return value


_ARGUMENT_CHECKS: dict[str, Callable[[Any], Any]] = {
    "from_logits": lambda value: value,  # any truth value, as in Keras
    "label_smoothing": _check_label_smoothing,
    "ignore_class": _check_ignore_class,
    "axis": _check_axis,
}


def crossentropy_arguments(**arguments: Any) -> dict[str, Any]:
    """Check the cross-entropy arguments a loss or metric class was given.

    The loss classes and the metric classes of the same name take the same
    arguments; both validate them here, when the object is created, rather than on
    the first batch.

    Raises:
        InvalidArgumentError: ``label_smoothing`` is outside [0, 1].
        InvalidTypeError: ``axis`` is not an int, or ``ignore_class`` is neither an
            int nor None.

    Example:
        >>> crossentropy_arguments(from_logits=True, label_smoothing=0, axis=-1)
        {'from_logits': True, 'label_smoothing': 0, 'axis': -1}
        >>> crossentropy_arguments(label_smoothing=1.5)
        Traceback (most recent call last):
        ...
        cnnkit.errors.InvalidArgumentError: `label_smoothing` must be a float in [0, 1]...
    """
    return {name: _ARGUMENT_CHECKS[name](value) for name, value in arguments.items()}


def categorical_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Cross-entropy between one-hot labels and predicted class probabilities.

    Args:
        y_true: One-hot (or soft) labels, same shape as ``y_pred``.
        y_pred: Probabilities (renormalised, then clipped) or logits.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: ``y = y * (1 - ls) + ls / num_classes``.
        axis: The class axis.

    Returns:
        One loss per sample: ``y_pred.shape`` without ``axis``.

    Raises:
        TrainingInputError: the shapes differ (for integer labels the message says to
            use ``sparse_categorical_crossentropy``).
        InvalidTypeError: ``axis`` is not an int.

    Example:
        >>> import torch
        >>> categorical_crossentropy(torch.tensor([[0.0, 1.0]]),
        ...                          torch.tensor([[0.0, 2.0]]), from_logits=True)
        tensor([0.1269])
    """
    axis = _check_axis(axis)
    pred = to_float_tensor(y_pred)
    true = to_tensor(y_true, pred.device).to(pred.dtype)
    if pred.dim() >= 1 and pred.shape[-1] == 1:
        warnings.warn(
            f"categorical_crossentropy expects y_pred of shape (batch_size, "
            f"num_classes) with num_classes > 1; received y_pred.shape={_shape(pred)}, "
            "so the loss is always 0. Use 'binary_crossentropy' for two classes.",
            UserWarning,
            stacklevel=2,
        )
    if _shape(true) != _shape(pred) or pred.dim() < 1:
        raise _categorical_shape_error(true, pred)
    if label_smoothing:
        num_classes = pred.shape[axis]
        true = true * (1.0 - label_smoothing) + label_smoothing / num_classes
    if from_logits:
        log_prob = torch.log_softmax(pred, dim=axis)
    else:
        eps = config.epsilon()
        prob = pred / pred.sum(dim=axis, keepdim=True)
        log_prob = torch.log(prob.clamp(eps, 1.0 - eps))
    return -(true * log_prob).sum(dim=axis)


def _categorical_shape_error(
    true: torch.Tensor, pred: torch.Tensor
) -> TrainingInputError:
    received = f"received y_true.shape={_shape(true)}, y_pred.shape={_shape(pred)}"
    looks_sparse = pred.dim() >= 1 and (
        _shape(true) == _shape(pred)[:-1]
        or (true.dim() == pred.dim() and true.shape[-1] == 1 and pred.shape[-1] > 1)
    )
    if looks_sparse:
        return TrainingInputError(
            "categorical_crossentropy needs one-hot labels of the same shape as "
            f"y_pred, but y_true holds one integer class id per sample ({received}). "
            "Use loss='sparse_categorical_crossentropy' (SparseCategoricalCrossentropy)"
            " for integer labels, or one-hot encode them with "
            f"to_categorical(y, num_classes={pred.shape[-1]})."
        )
    return TrainingInputError(
        "categorical_crossentropy needs `y_true` and `y_pred` of the same shape "
        f"(one column per class); {received}. Check that the last layer has as many "
        "units as there are classes in the labels."
    )


def sparse_categorical_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> torch.Tensor:
    """Cross-entropy between integer class ids and predicted class probabilities.

    Args:
        y_true: Integer class ids shaped like ``y_pred`` without ``axis`` (``(N,)``),
            or with a size-1 axis there (``(N, 1)``, as CIFAR-10 ships them).
        y_pred: Probabilities (renormalised, then clipped) or logits.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label value whose entries get loss 0 (e.g. a "void" class).
        axis: The class axis.

    Returns:
        One loss per sample (0 where ``y_true == ignore_class``).

    Raises:
        TrainingInputError: the shapes do not fit (for one-hot labels the message says
            to use ``categorical_crossentropy``), or, on CPU, a label is out of range.

    Example:
        >>> import torch
        >>> logits = torch.tensor([[0.0, 2.0]])
        >>> sparse_categorical_crossentropy(torch.tensor([1]), logits, from_logits=True)
        tensor([0.1269])
    """
    values, _ = sparse_crossentropy_with_mask(
        y_true, y_pred, from_logits, ignore_class, axis
    )
    return values


def sparse_crossentropy_with_mask(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """:func:`sparse_categorical_crossentropy` plus the mask of non-ignored entries."""
    axis = _check_axis(axis)
    pred = to_float_tensor(y_pred)
    labels = to_tensor(y_true, pred.device)
    if pred.dim() < 1:
        raise TrainingInputError(
            "sparse_categorical_crossentropy needs y_pred with a class axis; received "
            f"y_pred.shape={_shape(pred)}."
        )
    class_axis = axis % pred.dim()
    if labels.dim() == pred.dim() and labels.shape[class_axis] == 1:
        labels = labels.squeeze(class_axis)
    expected = _shape(pred)[:class_axis] + _shape(pred)[class_axis + 1 :]
    if _shape(labels) != expected:
        raise _sparse_shape_error(to_tensor(y_true), pred, expected)
    mask = None
    if ignore_class is not None:
        mask = labels != ignore_class
        labels = torch.where(mask, labels, torch.zeros_like(labels))
        pred = torch.where(mask.unsqueeze(class_axis), pred, 0.0)
    labels = labels.long()
    # torch's NLL kernels want the classes on axis 1 (and a batch axis).
    if pred.dim() == 1:
        pred, labels = pred.unsqueeze(0), labels.unsqueeze(0)
    elif class_axis != 1:
        pred = pred.movedim(class_axis, 1)
    try:
        if from_logits:
            values = F.cross_entropy(pred, labels, reduction="none")
        else:
            eps = config.epsilon()
            prob = (pred / pred.sum(dim=1, keepdim=True)).clamp(eps, 1.0 - eps)
            values = F.nll_loss(torch.log(prob), labels, reduction="none")
    except (IndexError, RuntimeError):
        # Only reached on CPU (CUDA asserts instead): explain which label is wrong.
        check_sparse_labels(labels, pred.shape[1])
        raise
    if _shape(values) != expected:
        values = values.reshape(expected)
    if mask is not None:
        values = torch.where(mask, values, 0.0)
    return values, mask


def _sparse_shape_error(
    true: torch.Tensor, pred: torch.Tensor, expected: tuple[int, ...]
) -> TrainingInputError:
    received = f"received y_true.shape={_shape(true)}, y_pred.shape={_shape(pred)}"
    if _shape(true) == _shape(pred) and pred.shape[-1] > 1:
        return TrainingInputError(
            "sparse_categorical_crossentropy needs one integer class id per sample, "
            f"shaped {expected} or {(*expected, 1)}, but y_true has one column per "
            f"class, like one-hot labels ({received}). Use "
            "loss='categorical_crossentropy' (CategoricalCrossentropy) for one-hot "
            "labels, or turn them into class ids with y.argmax(-1)."
        )
    return TrainingInputError(
        "sparse_categorical_crossentropy needs integer labels shaped like y_pred "
        f"without its class axis, {expected} or {(*expected, 1)}; {received}. Check "
        "that the labels and the model's outputs belong to the same samples."
    )


def check_sparse_labels(
    y_true: ArrayLike, num_classes: int, ignore_class: int | None = None
) -> None:
    """Check that every integer label lies in ``[0, num_classes)``.

    The check reads the labels back to the host, so call it once on a whole dataset
    before training rather than per batch (the losses never call it on the hot path;
    on CUDA an out-of-range label otherwise ends in a device-side assert).

    Args:
        y_true: All the integer labels (any shape).
        num_classes: The number of model outputs, ``y_pred.shape[-1]``.
        ignore_class: A label value that is allowed anyway (see ``ignore_class``).

    Raises:
        TrainingInputError: a label is negative, too large, or not a whole number.
        InvalidArgumentError: ``num_classes`` is not a positive int.

    Example:
        >>> check_sparse_labels([0, 2, 1], num_classes=3)
        >>> check_sparse_labels([1, 2, 3], num_classes=3)
        Traceback (most recent call last):
        ...
        cnnkit.errors.TrainingInputError: `y_true` contains the label 3 ...
    """
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, int)
        or num_classes < 1
    ):
        raise InvalidArgumentError(
            "`num_classes` must be a positive int (the model's number of outputs, "
            f"y_pred.shape[-1]); received num_classes={num_classes!r}."
        )
    labels = to_tensor(y_true).reshape(-1)
    if labels.numel() == 0:
        return
    if labels.is_floating_point():
        bad_type = labels != labels.floor()
        if ignore_class is not None:
            bad_type &= labels != ignore_class
        if bool(bad_type.any()):
            index = int(bad_type.nonzero()[0, 0])
            raise TrainingInputError(
                f"`y_true` contains the value {labels[index].item()!r} (at flat index "
                f"{index}), but sparse labels must be whole class ids in "
                f"[0, {num_classes - 1}]. Round or map the labels to integers, or use "
                "categorical_crossentropy for soft (probability) labels."
            )
    bad = (labels < 0) | (labels >= num_classes)
    if ignore_class is not None:
        bad &= labels != ignore_class
    if not bool(bad.any()):
        return
    index = int(bad.nonzero()[0, 0])
    value = labels[index].item()
    low, high = labels.min().item(), labels.max().item()
    count = int(bad.sum())
    hint = (
        f"If there really are {int(high) + 1} classes, give the last layer "
        f"units={int(high) + 1}; otherwise remap the labels to 0..{num_classes - 1}."
    )
    if low == 1 and high == num_classes:
        hint = "The labels look 1-based (1..N): subtract 1 from them."
    raise TrainingInputError(
        f"`y_true` contains the label {_plain(value)} (at flat index {index}), but the "
        f"model outputs num_classes={num_classes} classes, so labels must lie in "
        f"[0, {num_classes - 1}]; {count} of {labels.numel()} labels are out of range "
        f"(labels span {_plain(low)}..{_plain(high)}). {hint}"
    )


def _plain(value: float | int | bool) -> str:
    """Print ``3.0`` as ``3`` so a float label reads like the class id it stands for."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def binary_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> torch.Tensor:
    """Binary cross-entropy per output, averaged over ``axis``.

    Args:
        y_true: 0/1 (or soft) targets, same shape as ``y_pred``.
        y_pred: Probabilities (clipped to ``[eps, 1 - eps]``) or logits.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: ``y = y * (1 - ls) + 0.5 * ls``.
        axis: The axis the mean is taken over.

    Raises:
        TrainingInputError: the shapes differ.

    Example:
        >>> import torch
        >>> binary_crossentropy(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.4, 0.6]]))
        tensor([0.5108])
    """
    pred = to_float_tensor(y_pred)
    true = to_tensor(y_true, pred.device).to(pred.dtype)
    if label_smoothing:
        true = true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if _shape(true) != _shape(pred):
        fix = "Make the labels the same shape as the model's output."
        if pred.dim() >= 1 and pred.shape[-1] > 1 and true.dim() < pred.dim():
            fix = (
                "For one class id per sample with several outputs use "
                "loss='sparse_categorical_crossentropy'."
            )
        raise TrainingInputError(
            "binary_crossentropy compares each output with a 0/1 target of the same "
            f"shape; received y_true.shape={_shape(true)}, "
            f"y_pred.shape={_shape(pred)}. {fix}"
        )
    if from_logits:
        values = F.binary_cross_entropy_with_logits(pred, true, reduction="none")
    else:
        eps = config.epsilon()
        prob = pred.clamp(eps, 1.0 - eps)
        # Written out rather than F.binary_cross_entropy, which refuses to run under
        # autocast; -100 is the same floor torch puts on the logs.
        values = -(
            true * torch.log(prob).clamp_min(-100.0)
            + (1.0 - true) * torch.log1p(-prob).clamp_min(-100.0)
        )
    return values.mean(dim=axis)
