"""F-beta and F1 scores over one-hot / multi-label ``(N, C)`` outputs.

Example:
    >>> import torch
    >>> f1 = F1Score(average="macro", threshold=0.5)
    >>> f1.update_state(torch.tensor([[1, 0], [0, 1], [1, 0]]),
    ...                 torch.tensor([[0.9, 0.2], [0.6, 0.7], [0.3, 0.1]]))
    >>> round(float(f1.result()), 4)
    0.75
"""

from __future__ import annotations

from typing import Any, Literal

import torch

from cnnkit import config
from cnnkit.errors import InvalidArgumentError, TrainingInputError
from cnnkit.losses.loss import ArrayLike
from cnnkit.metrics.metric import Metric

__all__ = ["F1Score", "FBetaScore"]

Average = Literal["micro", "macro", "weighted"] | None
_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """``(1 + b²) * precision * recall / (b² * precision + recall)`` per class.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (pool every class),
            ``"macro"`` (plain mean of the class scores) or ``"weighted"`` (mean
            weighted by each class's number of true labels).
        beta: Weight of recall relative to precision, > 0.
        threshold: Outputs above it count as positive; ``None`` marks each row's
            maximum (so it suits softmax outputs).
        name: Name of the metric.
        dtype: Dtype of the state.

    Raises:
        InvalidArgumentError: an unknown ``average``, ``beta <= 0``, or a
            ``threshold`` outside (0, 1].
    """

    _direction = "up"
    true_positives: torch.Tensor
    false_positives: torch.Tensor
    false_negatives: torch.Tensor
    intermediate_weights: torch.Tensor

    def __init__(
        self,
        average: Average = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise InvalidArgumentError(
                f"`average` must be one of {list(_AVERAGES)}; received "
                f"average={average!r}."
            )
        if isinstance(beta, bool) or not isinstance(beta, int | float) or beta <= 0:
            raise InvalidArgumentError(
                "`beta` must be a float > 0 (1.0 weighs precision and recall "
                f"equally); received beta={beta!r}."
            )
        if threshold is not None and (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not 0 < threshold <= 1
        ):
            raise InvalidArgumentError(
                "`threshold` must be a float with 0 < threshold <= 1, or None to mark "
                f"each row's highest output; received threshold={threshold!r}."
            )
        self.average = average
        self.beta = float(beta)
        self.threshold = threshold
        # "micro" pools the classes into scalar counters; the others keep one per class.
        self.axis: int | None = None if average == "micro" else 0
        self._built = False

    def _build(self, true_shape: tuple[int, ...], pred_shape: tuple[int, ...]) -> None:
        if len(pred_shape) != 2 or len(true_shape) != 2:
            raise TrainingInputError(
                f"{type(self).__name__} expects 2-D inputs of shape (batch_size, "
                f"num_classes); received y_true.shape={true_shape}, "
                f"y_pred.shape={pred_shape}. For integer labels, one-hot encode them "
                "first."
            )
        shape = () if self.average == "micro" else (pred_shape[-1],)
        for counter in (
            "true_positives",
            "false_positives",
            "false_negatives",
            "intermediate_weights",
        ):
            self.add_variable(shape, name=counter)
        self._built = True

    def update_state(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> None:
        true, pred, weight = self._inputs(y_true, y_pred, sample_weight)
        dtype = self._torch_dtype
        true, pred = true.to(dtype), pred.to(dtype)
        if not self._built:
            self._build(tuple(true.shape), tuple(pred.shape))
        if self.threshold is None:
            # Mark each row's maximum, but keep an all-zero row all zero.
            row_max = pred.amax(dim=-1, keepdim=True)
            positive = (pred >= row_max) & (pred.abs() > 1e-9)
        else:
            positive = pred > self.threshold
        pred = positive.to(dtype)
        if weight is not None:
            weight = weight.to(dtype).unsqueeze(1)

        def weighted_sum(value: torch.Tensor) -> torch.Tensor:
            if weight is not None:
                value = value * weight
            return value.sum() if self.axis is None else value.sum(dim=self.axis)

        self.true_positives.add_(weighted_sum(pred * true))
        self.false_positives.add_(weighted_sum(pred * (1.0 - true)))
        self.false_negatives.add_(weighted_sum((1.0 - pred) * true))
        self.intermediate_weights.add_(weighted_sum(true))

    def result(self) -> torch.Tensor:
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype, device=self.device)
        eps = config.epsilon()
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        beta_sq = self.beta**2
        score = (
            precision * recall / (beta_sq * precision + recall + eps) * (1 + beta_sq)
        )
        if self.average == "weighted":
            weights = self.intermediate_weights / (
                self.intermediate_weights.sum() + eps
            )
            return (score * weights).sum()
        if self.average is not None:
            return score.mean()
        return score

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """F-beta score with ``beta=1``: the harmonic mean of precision and recall.

    Args:
        average: See :class:`FBetaScore`.
        threshold: See :class:`FBetaScore`.
        name: Name of the metric.
        dtype: Dtype of the state.
    """

    def __init__(
        self,
        average: Average = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: str | None = None,
    ) -> None:
        super().__init__(
            average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config
