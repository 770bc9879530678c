"""Metrics built on confusion counts: TP/FP/TN/FN, Precision and Recall (AUC: auc.py).

Predictions count as positive when *strictly* above a threshold (0.5 by default),
applied elementwise to every output: on a softmax output, ``Precision()`` averages
over classes. ``top_k`` keeps only each row's k highest scores; ``class_id`` looks at
one output column.

Example:
    >>> import torch
    >>> p = Precision()
    >>> p.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1.0, 1.0, 1.0, 0.0]))
    >>> p.result()
    tensor(0.6667)
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.losses.loss import ArrayLike, divide_no_nan
from cnnkit.metrics._confusion_utils import (
    NEG_INF,
    confusion_counts,
    is_evenly_distributed,
    parse_thresholds,
)
from cnnkit.metrics.metric import Metric

__all__ = [
    "FalseNegatives",
    "FalsePositives",
    "Precision",
    "Recall",
    "TrueNegatives",
    "TruePositives",
]

Thresholds = float | list[float] | tuple[float, ...] | None
_SHORT = {
    "true_positives": "tp",
    "false_positives": "fp",
    "true_negatives": "tn",
    "false_negatives": "fn",
}


class _ThresholdMetric(Metric):
    """Shared machinery: a threshold list and counters of shape ``(T,)``."""

    _counters: tuple[str, ...] = ()

    def __init__(
        self,
        thresholds: Thresholds,
        top_k: int | None,
        class_id: int | None,
        name: str | None,
        dtype: str | None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        # With top_k, anything kept counts as positive unless thresholds say otherwise.
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_thresholds(thresholds, default)
        self._evenly = is_evenly_distributed(self.thresholds)
        for counter in self._counters:
            self.add_variable((len(self.thresholds),), name=counter)

    def update_state(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> None:
        true, pred, weight = self._inputs(y_true, y_pred, sample_weight)
        counts = confusion_counts(
            true,
            pred,
            self._constant("thresholds", self.thresholds),
            evenly=self._evenly,
            with_epsilon=self.thresholds[0] < 0.0 or self.thresholds[-1] > 1.0,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=weight,
        )
        for counter in self._counters:
            getattr(self, counter).add_(counts[_SHORT[counter]])

    def _pick(self, value: torch.Tensor) -> torch.Tensor:
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class _ConditionCount(_ThresholdMetric):
    """Weighted count of one confusion-matrix cell, per threshold."""

    _cell = ""
    _counters = ("accumulator",)
    accumulator: torch.Tensor

    def __init__(
        self,
        thresholds: Thresholds = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(thresholds, None, None, name, dtype)

    def update_state(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> None:
        true, pred, weight = self._inputs(y_true, y_pred, sample_weight)
        counts = confusion_counts(
            true,
            pred,
            self._constant("thresholds", self.thresholds),
            evenly=self._evenly,
            with_epsilon=self.thresholds[0] < 0.0 or self.thresholds[-1] > 1.0,
            sample_weight=weight,
        )
        self.accumulator.add_(counts[self._cell])

    def result(self) -> torch.Tensor:
        return self._pick(self.accumulator).clone()

    def get_config(self) -> dict[str, Any]:
        return {**Metric.get_config(self), "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """Weighted number of true positives at each threshold."""

    _cell = "tp"


class FalsePositives(_ConditionCount):
    """Weighted number of false positives at each threshold."""

    _cell = "fp"


class TrueNegatives(_ConditionCount):
    """Weighted number of true negatives at each threshold."""

    _cell = "tn"


class FalseNegatives(_ConditionCount):
    """Weighted number of false negatives at each threshold."""

    _cell = "fn"


class Precision(_ThresholdMetric):
    """``tp / (tp + fp)``: how many predicted positives are real.

    Args:
        thresholds: A float or list in [0, 1]; defaults to 0.5 (or to "every kept
            score" with ``top_k``). A list gives one result per threshold.
        top_k: Only each row's k highest scores can be positive.
        class_id: Only this output column is evaluated.
        name: Name of the metric.
        dtype: Dtype of the state.

    Raises:
        InvalidArgumentError: a threshold outside [0, 1].
    """

    _direction = "up"
    _counters = ("true_positives", "false_positives")
    true_positives: torch.Tensor
    false_positives: torch.Tensor

    def __init__(
        self,
        thresholds: Thresholds = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self) -> torch.Tensor:
        tp, fp = self.true_positives, self.false_positives
        return self._pick(divide_no_nan(tp, tp + fp))


class Recall(_ThresholdMetric):
    """``tp / (tp + fn)``: how many real positives are found. Arguments as Precision."""

    _direction = "up"
    _counters = ("true_positives", "false_negatives")
    true_positives: torch.Tensor
    false_negatives: torch.Tensor

    def __init__(
        self,
        thresholds: Thresholds = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: str | None = None,
    ) -> None:
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self) -> torch.Tensor:
        tp, fn = self.true_positives, self.false_negatives
        return self._pick(divide_no_nan(tp, tp + fn))
