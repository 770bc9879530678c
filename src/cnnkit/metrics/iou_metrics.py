"""Intersection-over-Union metrics (segmentation): ``IoU``, ``MeanIoU`` and friends.

Every one accumulates a ``(num_classes, num_classes)`` confusion matrix on the
inputs' device (rows: true class, columns: predicted class), as Keras does; the
IoU of a class is ``tp / (tp + fp + fn)`` and ``result()`` averages it over the
target classes that appeared at all. Labels outside ``[0, num_classes)`` and
``ignore_class`` are left out.

Example:
    >>> import torch
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
    >>> m.result()
    tensor(0.3333)
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import torch

from cnnkit import config
from cnnkit.errors import InvalidArgumentError
from cnnkit.losses.loss import ArrayLike
from cnnkit.metrics.metric import Metric

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


def _check_num_classes(num_classes: Any) -> int:
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, numbers.Integral)
        or num_classes < 1
    ):
        raise InvalidArgumentError(
            f"`num_classes` must be a positive int (the number of labels, e.g. 3 for "
            f"background/object/border); received num_classes={num_classes!r}."
        )
    return int(num_classes)


class IoU(Metric):
    """The IoU of ``target_class_ids``, averaged over those that occurred.

    Args:
        num_classes: The number of labels (the confusion matrix is this square).
        target_class_ids: The classes whose IoU is averaged (``[0]`` for one class).
        name: Name in logs; defaults to ``io_u`` (Keras' snake_case of the class).
        dtype: Dtype of the confusion matrix; ``int32`` as Keras (float
            ``sample_weight`` values are then truncated: pass ``dtype="float32"``).
        ignore_class: A label left out of the matrix (e.g. ``255`` or ``-1``).
        sparse_y_true: Whether ``y_true`` holds labels (else one-hot, argmax-ed).
        sparse_y_pred: Whether ``y_pred`` holds labels; ``False`` for a softmax
            output, which is then argmax-ed along ``axis``.
        axis: The class axis of one-hot inputs.

    Raises:
        InvalidArgumentError: If ``num_classes`` is not a positive int or a target
            class id is outside ``[0, num_classes)``.
    """

    _direction = "up"
    total_confusion_matrix: torch.Tensor

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(name=name, dtype=dtype or "int32")
        self.num_classes = _check_num_classes(num_classes)
        ids = list(target_class_ids)
        bad = [i for i in ids if not 0 <= i < self.num_classes]
        if not ids or bad:
            raise InvalidArgumentError(
                f"`target_class_ids` must be class ids in [0, {self.num_classes}) "
                f"(num_classes={self.num_classes}); received "
                f"target_class_ids={ids!r}. Use ids below num_classes, or raise "
                "num_classes."
            )
        self.target_class_ids = ids
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        # Keras' variable name; `to(device)` replaces the attribute of that name.
        self.add_variable(
            (self.num_classes, self.num_classes), name="total_confusion_matrix"
        )

    @property
    def total_cm(self) -> torch.Tensor:
        """The confusion matrix so far (rows: true class, columns: predicted)."""
        return self.total_confusion_matrix

    def _labels(self, values: torch.Tensor, sparse: bool) -> torch.Tensor:
        if not sparse:
            values = values.argmax(dim=self.axis)
        # As Keras: cast (float labels truncate), then flatten.
        return values.to(torch.int64).reshape(-1)

    def update_state(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> None:
        true, pred, weight = self._inputs(y_true, y_pred, sample_weight)
        true = self._labels(true, self.sparse_y_true)
        pred = self._labels(pred, self.sparse_y_pred)
        n = self.num_classes
        keep = (true >= 0) & (true < n) & (pred >= 0) & (pred < n)
        if self.ignore_class is not None:
            keep = keep & (true != self.ignore_class)
        dtype = self.total_cm.dtype
        if weight is None:
            weight = keep.to(dtype)
        else:
            if weight.is_floating_point() and not dtype.is_floating_point:
                warnings.warn(
                    f"{type(self).__name__} '{self.name}': `sample_weight` is float "
                    f"but the confusion matrix is {self.dtype}, so the weights are "
                    "truncated to integers (as in Keras). Pass integer weights, or "
                    f"`dtype='float32'` when creating the metric.",
                    UserWarning,
                    stacklevel=2,
                )
            weight = torch.broadcast_to(weight.to(dtype).reshape(-1), true.shape)
            weight = torch.where(keep, weight, torch.zeros_like(weight))
        cell = torch.where(keep, true * n + pred, torch.zeros_like(true))
        self.total_cm.view(-1).index_add_(0, cell, weight)  # on the device, no sync

    def result(self) -> torch.Tensor:
        cm = self.total_cm.to(torch.float32)
        predicted, actual = cm.sum(dim=0), cm.sum(dim=1)
        tp = cm.diagonal()
        ids = self._constant_ids()
        denominator = (predicted + actual - tp)[ids]
        tp = tp[ids]
        valid = denominator > 1e-9
        iou = torch.where(valid, tp / (denominator + config.epsilon()), 0.0)
        return iou.sum() / (valid.sum() + config.epsilon())

    def _constant_ids(self) -> torch.Tensor:
        key = ("target_class_ids", self.device)
        if key not in self._constants:
            self._constants[key] = torch.tensor(
                self.target_class_ids, dtype=torch.int64, device=self.device
            )
        return self._constants[key]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of a binary (sigmoid) output: ``y_pred >= threshold`` is class 1.

    Args:
        target_class_ids: ``(0, 1)`` averages both classes; ``[1]`` only the
            foreground.
        threshold: Scores at or above it are predicted as class 1.
        name: Name in logs (``binary_io_u``).
        dtype: Dtype of the confusion matrix (``int32``).
    """

    def __init__(
        self,
        target_class_ids: Sequence[int] = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype
        )
        self.threshold = threshold

    def update_state(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> None:
        true, pred, weight = self._inputs(y_true, y_pred, sample_weight)
        super().update_state(true, (pred >= self.threshold).to(torch.int64), weight)

    def get_config(self) -> dict[str, Any]:
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """The IoU averaged over all ``num_classes`` classes (those that occurred).

    With a softmax output of shape ``(batch, height, width, num_classes)`` pass
    ``sparse_y_pred=False``, as in Keras: the default expects predicted labels.

    Args:
        num_classes: The number of labels.
        name: Name in logs (``mean_io_u``, as Keras logs it).
        dtype: Dtype of the confusion matrix (``int32``).
        ignore_class: A label left out of the matrix.
        sparse_y_true: Whether ``y_true`` holds labels (else one-hot).
        sparse_y_pred: Whether ``y_pred`` holds labels (else scores, argmax-ed).
        axis: The class axis of one-hot inputs.
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        num_classes = _check_num_classes(num_classes)
        super().__init__(
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """``IoU`` for one-hot ``y_true`` (and, by default, softmax ``y_pred``)."""

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot ``y_true`` (and, by default, softmax ``y_pred``)."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: str | None = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config
