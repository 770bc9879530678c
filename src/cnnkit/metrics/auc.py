"""AUC: the area under the ROC or precision-recall curve, from confusion counts.

The counts are accumulated at fixed thresholds on the device (a bucketed histogram
for evenly spaced thresholds), so updates never read values back; the area is
computed in ``result()`` with Keras' summation rules.

Example:
    >>> import torch
    >>> auc = AUC(curve="PR", num_thresholds=50)
    >>> auc.update_state(torch.tensor([0, 1, 1]), torch.tensor([0.1, 0.8, 0.6]))
    >>> round(float(auc.result()), 4)
    1.0
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError, TrainingInputError
from cnnkit.losses.loss import ArrayLike, divide_no_nan
from cnnkit.metrics._confusion_utils import (
    auc_thresholds,
    confusion_counts,
    is_evenly_distributed,
    parse_thresholds,
)
from cnnkit.metrics.metric import Metric

__all__ = ["AUC"]

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at fixed thresholds.

    Args:
        num_thresholds: Number of thresholds (> 1), evenly spaced over [0, 1].
        curve: ``"ROC"``, ``"PR"`` or ``"PRGAIN"``.
        summation_method: ``"interpolation"`` (trapezoids; for PR the Davis & Goadrich
            interpolation), ``"minoring"`` or ``"majoring"``.
        name: Name of the metric.
        dtype: Dtype of the state.
        thresholds: Explicit thresholds in [0, 1] (overrides ``num_thresholds``).
        multi_label: Treat each column of an ``(N, L)`` prediction as its own label
            and average the per-label AUCs; otherwise every output is pooled.
        num_labels: Number of labels for ``multi_label`` (else found on first update).
        label_weights: Per-label weights (pooled counts, or the average's weights).
        from_logits: Apply a sigmoid to ``y_pred`` first.

    Raises:
        InvalidArgumentError: an unknown ``curve``/``summation_method``,
            ``num_thresholds <= 1``, or ``num_labels`` without ``multi_label``.

    Example:
        >>> import torch
        >>> auc = AUC(num_thresholds=3)
        >>> scores = torch.tensor([0.0, 0.5, 0.3, 0.9])
        >>> auc.update_state(torch.tensor([0, 0, 1, 1]), scores)
        >>> auc.result()
        tensor(0.7500)
    """

    _direction = "up"
    true_positives: torch.Tensor
    false_positives: torch.Tensor
    true_negatives: torch.Tensor
    false_negatives: torch.Tensor

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: str | None = None,
        thresholds: list[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: list[float] | None = None,
        from_logits: bool = False,
    ) -> None:
        if not isinstance(curve, str) or curve.lower() not in _CURVES:
            raise InvalidArgumentError(
                "`curve` must be one of ['ROC', 'PR', 'PRGAIN']; received "
                f"curve={curve!r}."
            )
        if (
            not isinstance(summation_method, str)
            or summation_method.lower() not in _SUMMATIONS
        ):
            raise InvalidArgumentError(
                f"`summation_method` must be one of {list(_SUMMATIONS)}; received "
                f"summation_method={summation_method!r}."
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            parse_thresholds(thresholds, 0.5)
            self.num_thresholds = len(thresholds) + 2
            self._evenly = is_evenly_distributed([0.0, *sorted(thresholds), 1.0])
        else:
            if (
                isinstance(num_thresholds, bool)
                or not isinstance(num_thresholds, int)
                or num_thresholds <= 1
            ):
                raise InvalidArgumentError(
                    "`num_thresholds` must be an int > 1 (200 is the default); "
                    f"received num_thresholds={num_thresholds!r}."
                )
            self.num_thresholds = num_thresholds
            self._evenly = True
        if num_labels and not multi_label:
            raise InvalidArgumentError(
                f"`num_labels` is only used with multi_label=True; received "
                f"num_labels={num_labels!r} with multi_label=False. Drop num_labels or "
                "set multi_label=True."
            )
        self._thresholds = auc_thresholds(self.num_thresholds, thresholds)
        self.curve = _CURVES[curve.lower()]
        self.summation_method = summation_method.lower()
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None if label_weights is None else [float(w) for w in label_weights]
        )
        self._from_logits = from_logits
        self._built = False
        if not multi_label or num_labels:
            self._build(num_labels if multi_label else None)

    @property
    def thresholds(self) -> list[float]:
        """All thresholds, including the two endpoints just outside [0, 1]."""
        return list(self._thresholds)

    def _build(self, num_labels: int | None) -> None:
        shape = (
            (self.num_thresholds,)
            if num_labels is None
            else (self.num_thresholds, num_labels)
        )
        for counter in (
            "true_positives",
            "false_positives",
            "true_negatives",
            "false_negatives",
        ):
            self.add_variable(shape, name=counter)
        self._num_labels = num_labels
        self._built = True

    def update_state(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> None:
        true, pred, weight = self._inputs(y_true, y_pred, sample_weight)
        if self.multi_label and pred.dim() != 2:
            raise TrainingInputError(
                "AUC(multi_label=True) needs y_pred of shape (num_samples, "
                f"num_labels); received y_pred.shape={tuple(pred.shape)}."
            )
        if not self._built:
            self._build(pred.shape[1])
        if self._from_logits:
            pred = torch.sigmoid(pred)
        label_weights = None
        if self.label_weights is not None and not self.multi_label:
            label_weights = self._constant("label_weights", self.label_weights)
        counts = confusion_counts(
            true,
            pred,
            self._constant("thresholds", self._thresholds),
            evenly=self._evenly,
            with_epsilon=True,
            sample_weight=weight,
            multi_label=self.multi_label,
            label_weights=label_weights,
        )
        self.true_positives.add_(counts["tp"])
        self.false_positives.add_(counts["fp"])
        self.true_negatives.add_(counts["tn"])
        self.false_negatives.add_(counts["fn"])

    def _average(self, by_threshold: torch.Tensor) -> torch.Tensor:
        """Sum the areas over thresholds; average labels (weighted) if multi_label."""
        if not self.multi_label:
            return by_threshold.sum()
        by_label = by_threshold.sum(dim=0)
        if self.label_weights is None:
            return by_label.mean()
        weights = self._constant("label_weights", self.label_weights)
        return divide_no_nan((by_label * weights).sum(), weights.sum())

    def _interpolate_pr_auc(self) -> torch.Tensor:
        """Davis & Goadrich (2006): precision interpolated between thresholds."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, dp.clamp_min(0.0))
        intercept = tp[1:] - slope * p[1:]
        both_positive = (p[:-1] > 0) & (p[1:] > 0)
        ratio = torch.where(
            both_positive,
            divide_no_nan(p[:-1], p[1:].clamp_min(0.0)),
            torch.ones_like(p[1:]),
        )
        increments = divide_no_nan(
            slope * (dtp + intercept * torch.log(ratio)),
            (tp[1:] + fn[1:]).clamp_min(0.0),
        )
        return self._average(increments)

    def result(self) -> torch.Tensor:
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype, device=self.device)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            x, y = _precision_recall_gain(tp, fp, tn, fn)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _precision_recall_gain(
    tp: torch.Tensor, fp: torch.Tensor, tn: torch.Tensor, fn: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Recall gain and precision gain (Flach & Kull 2015), with Keras' guards."""
    scale = divide_no_nan(tp + fn, tn + fp)
    recall_gain = 1.0 - scale * divide_no_nan(fn, tp)
    precision_gain = 1.0 - scale * divide_no_nan(fp, tp)
    no_tp = tp == 0
    recall_gain = torch.where(no_tp, 0.0, recall_gain).clamp_min(0.0)
    precision_gain = torch.where(no_tp, 1.0, precision_gain)
    return recall_gain, precision_gain
