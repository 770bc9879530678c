"""Counting true/false positives/negatives at a list of thresholds, on the device.

Two algorithms, as in Keras, chosen from the (Python) threshold list:

- evenly spaced thresholds (AUC's default): each prediction falls in one bucket,
  ``ceil(p * (T - 1)) - 1``; a scatter-add per bucket and a reversed cumulative sum
  give the counts at every threshold in O(N + T);
- any other thresholds: compare every prediction with every threshold, O(N * T).
"""

from __future__ import annotations

import numpy as np
import torch

from cnnkit import config
from cnnkit.errors import InvalidArgumentError, TrainingInputError
from cnnkit.losses.loss import squeeze_or_expand_to_same_rank

NEG_INF = -1e10
COUNTS = ("tp", "fp", "tn", "fn")


def parse_thresholds(
    thresholds: float | list[float] | tuple[float, ...] | None, default: float
) -> list[float]:
    """The threshold list; explicit values must lie in [0, 1]."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, list | tuple) else [thresholds]
    invalid = [t for t in values if t is None or not 0 <= t <= 1]
    if invalid:
        raise InvalidArgumentError(
            f"`thresholds` must lie in [0, 1]; received thresholds={thresholds!r} "
            f"(invalid: {invalid}). Predictions above a threshold count as positive."
        )
    return [float(t) for t in values]


def is_evenly_distributed(thresholds: list[float] | np.ndarray) -> bool:
    """True for at least 3 thresholds equal to ``i / (T - 1)`` (within epsilon)."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x: torch.Tensor, k: int) -> torch.Tensor:
    """Keep each row's ``k`` largest values; push the rest to ``NEG_INF``."""
    top = x.topk(k, dim=-1).indices
    mask = torch.zeros_like(x).scatter_(-1, top, 1.0)
    return x * mask + NEG_INF * (1.0 - mask)


def _prepare(
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    sample_weight: torch.Tensor | None,
    top_k: int | None,
    class_id: int | None,
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    y_true, y_pred = y_true.to(dtype), y_pred.to(dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = sample_weight.to(dtype).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False
        )
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.dim() == 1 or not -y_pred.shape[-1] <= class_id < y_pred.shape[-1]:
            raise TrainingInputError(
                f"With class_id={class_id}, y_pred must have shape (num_samples, "
                f"num_classes) with more than {class_id} classes; received "
                f"y_pred.shape={tuple(y_pred.shape)}. Pick a class_id below the "
                "number of outputs, or leave class_id=None."
            )
        # Keep a size-1 class axis so the weights still line up.
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    return y_true, y_pred, sample_weight


def _weights(
    y_pred: torch.Tensor,
    sample_weight: torch.Tensor | None,
    label_weights: torch.Tensor | None,
    multi_label: bool,
) -> torch.Tensor | None:
    """Per-prediction weights, shaped like ``y_pred`` (flattened unless multi_label)."""
    weights = None
    if sample_weight is not None:
        weights = sample_weight.broadcast_to(y_pred.shape)
    if label_weights is not None and not multi_label:
        spread = label_weights.unsqueeze(0).broadcast_to(y_pred.shape)
        weights = spread if weights is None else weights * spread
    if weights is not None and not multi_label:
        weights = weights.reshape(-1)
    return weights


def confusion_counts(
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    thresholds: torch.Tensor,
    *,
    evenly: bool,
    with_epsilon: bool = False,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: torch.Tensor | None = None,
    multi_label: bool = False,
    label_weights: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """Weighted tp/fp/tn/fn at each threshold: shape ``(T,)``, or ``(T, L)`` when
    ``multi_label`` (one column per label of an ``(N, L)`` prediction).

    ``with_epsilon`` says the first and last thresholds sit just outside [0, 1] (AUC),
    so every prediction in [0, 1] lies above the first one.
    """
    dtype = thresholds.dtype
    y_true, y_pred, sample_weight = _prepare(
        y_true, y_pred, sample_weight, top_k, class_id, dtype
    )
    weights = _weights(y_pred, sample_weight, label_weights, multi_label)
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
    if evenly:
        return _bucketed_counts(
            y_true, y_pred, weights, thresholds.shape[0], with_epsilon
        )
    return _compared_counts(y_true, y_pred, weights, thresholds)


def _bucketed_counts(
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    weights: torch.Tensor | None,
    num_thresholds: int,
    with_epsilon: bool,
) -> dict[str, torch.Tensor]:
    is_true = (y_true != 0).to(y_pred.dtype)
    true_labels = is_true if weights is None else is_true * weights
    false_labels = (1.0 - is_true) if weights is None else (1.0 - is_true) * weights
    # "Strictly above a threshold": a prediction of exactly i / (T-1) is in bucket i-1.
    bucket = torch.ceil(y_pred.clamp(0.0, 1.0) * (num_thresholds - 1)) - 1.0
    if with_epsilon:
        bucket = bucket.clamp_min(0.0)
    bucket = bucket.long()
    # Out-of-range buckets go to an extra slot that is dropped afterwards.
    bucket = torch.where(bucket < 0, num_thresholds, bucket)
    if y_pred.dim() == 2:  # multi_label: one histogram per label, (L, N) layout
        bucket, true_labels, false_labels = bucket.T, true_labels.T, false_labels.T

    def histogram(data: torch.Tensor) -> torch.Tensor:
        shape = (*data.shape[:-1], num_thresholds + 1)
        bins = torch.zeros(shape, dtype=data.dtype, device=data.device)
        bins = bins.scatter_add(-1, bucket, data)[..., :num_thresholds]
        # Count at threshold i = everything in buckets >= i: a reversed cumsum.
        return bins.flip(-1).cumsum(-1).flip(-1)

    tp, fp = histogram(true_labels), histogram(false_labels)
    total_true = true_labels.sum(dim=-1, keepdim=True)
    total_false = false_labels.sum(dim=-1, keepdim=True)
    counts = {"tp": tp, "fp": fp, "tn": total_false - fp, "fn": total_true - tp}
    if y_pred.dim() == 2:
        counts = {key: value.T for key, value in counts.items()}  # (T, L)
    return counts


def _compared_counts(
    y_true: torch.Tensor,
    y_pred: torch.Tensor,
    weights: torch.Tensor | None,
    thresholds: torch.Tensor,
) -> dict[str, torch.Tensor]:
    # (T, 1) against (1, P), or (T, 1, 1) against (1, N, L) for multi_label.
    thresholds = thresholds.reshape(-1, *([1] * y_pred.dim()))
    pred_pos = y_pred.unsqueeze(0) > thresholds
    label_pos = (y_true != 0).unsqueeze(0)
    pairs = {
        "tp": (label_pos, pred_pos),
        "fp": (~label_pos, pred_pos),
        "tn": (~label_pos, ~pred_pos),
        "fn": (label_pos, ~pred_pos),
    }
    counts = {}
    for key, (label, pred) in pairs.items():
        both = label & pred
        if weights is None:
            value = both.to(y_pred.dtype)
        else:
            value = torch.where(both, weights.unsqueeze(0), 0.0)
        counts[key] = value.sum(dim=1)
    return counts


def auc_thresholds(num_thresholds: int, thresholds: list[float] | None) -> list[float]:
    """AUC's thresholds, with endpoints just below 0 and just above 1."""
    if thresholds is None:
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    else:
        inner = sorted(float(t) for t in thresholds)
    eps = config.epsilon()
    return [0.0 - eps, *inner, 1.0 + eps]
