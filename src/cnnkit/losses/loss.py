"""The ``Loss`` base class, Keras' reductions and the shared tensor helpers.

A loss object is called as ``loss(y_true, y_pred, sample_weight=None)``. It computes
one value per sample (``call``), multiplies by the sample weights, then reduces:

- ``"sum_over_batch_size"`` (default) and ``"mean"``: sum divided by the number of
  *elements* of the per-sample losses, not by the sum of the weights;
- ``"mean_with_sample_weight"``: sum divided by the sum of the weights;
- ``"sum"``: the plain sum; ``"none"`` / ``None``: no reduction.

Example:
    >>> import torch
    >>> class Squared(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ((y_true - y_pred) ** 2).mean(dim=-1)
    >>> loss = Squared(name="squared")
    >>> loss(torch.tensor([[0.0], [1.0]]), torch.tensor([[1.0], [1.0]]))
    tensor(0.5000)
    >>> loss(torch.tensor([[0.0], [1.0]]), torch.tensor([[1.0], [1.0]]),
    ...      sample_weight=torch.tensor([2.0, 1.0]))
    tensor(1.)
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch

from cnnkit import config
from cnnkit.errors import InvalidArgumentError, TrainingInputError
from cnnkit.naming import auto_name

__all__ = [
    "REDUCTIONS",
    "ArrayLike",
    "Loss",
    "Reduction",
    "divide_no_nan",
    "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "standardize_reduction",
    "to_float_tensor",
    "to_tensor",
]

ArrayLike = torch.Tensor | np.ndarray | Sequence[Any] | float | int
Reduction = Literal[
    "sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"
]
REDUCTIONS: tuple[str | None, ...] = (
    "sum_over_batch_size",
    "sum",
    "mean",
    "mean_with_sample_weight",
    "none",
    None,
)


def to_tensor(x: ArrayLike, device: torch.device | None = None) -> torch.Tensor:
    """Turn ``x`` into a tensor on ``device`` without changing its dtype.

    Tensors already on ``device`` are returned as they are (no copy, no sync).
    """
    if isinstance(x, torch.Tensor):
        return x if device is None or x.device == device else x.to(device)
    return torch.as_tensor(np.asarray(x), device=device)


def to_float_tensor(
    x: ArrayLike,
    dtype: str | torch.dtype | None = None,
    device: torch.device | None = None,
) -> torch.Tensor:
    """A float tensor: ``dtype`` if given, else its own float dtype, else floatx."""
    tensor = to_tensor(x, device)
    if dtype is not None:
        target = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    elif tensor.is_floating_point():
        return tensor
    else:
        target = getattr(torch, config.floatx())
    return tensor if tensor.dtype == target else tensor.to(target)


def divide_no_nan(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """``numerator / denominator``, and 0 where the denominator is 0.

    The safe denominator keeps the unused branch finite, so gradients stay finite too.

    Example:
        >>> divide_no_nan(torch.tensor([1.0, 1.0]), torch.tensor([2.0, 0.0]))
        tensor([0.5000, 0.0000])
    """
    zero = denominator == 0
    safe = torch.where(zero, torch.ones_like(denominator), denominator)
    return torch.where(zero, torch.zeros_like(numerator / safe), numerator / safe)


def standardize_reduction(reduction: str | None) -> str | None:
    """Check ``reduction`` against Keras' options and return it."""
    if reduction not in REDUCTIONS:
        raise InvalidArgumentError(
            f"`reduction` must be one of {list(REDUCTIONS)}; received "
            f"reduction={reduction!r}. Use 'sum_over_batch_size' (the default) to "
            "average the per-sample losses."
        )
    return reduction


def squeeze_or_expand_to_same_rank(
    x1: torch.Tensor, x2: torch.Tensor, expand_rank_1: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Make two ranks agree when they differ by one and the extra axis has size 1.

    This is what keeps ``mse(y:(N,), pred:(N, 1))`` per-sample instead of broadcasting
    to an ``(N, N)`` matrix. A rank-1 partner is expanded to ``(N, 1)``; otherwise the
    size-1 axis of the other one is squeezed.

    Example:
        >>> a, b = squeeze_or_expand_to_same_rank(torch.zeros(4), torch.zeros(4, 1))
        >>> tuple(a.shape), tuple(b.shape)
        ((4, 1), (4, 1))
    """
    rank1, rank2 = x1.dim(), x2.dim()
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def apply_mask(
    sample_weight: torch.Tensor | None,
    mask: torch.Tensor | None,
    reduction: str | None,
) -> torch.Tensor | None:
    """Fold a validity mask (e.g. from ``ignore_class``) into the sample weights.

    For the averaging reductions, valid entries get weight ``total / valid`` so that
    dividing by the element count afterwards averages over the valid entries only.
    """
    if mask is None:
        return sample_weight
    dtype = sample_weight.dtype if sample_weight is not None else torch.float32
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.sum().to(dtype)
        # A device-side fill, not torch.tensor(...): no host-to-device copy per batch.
        total = torch.full_like(valid, float(mask.numel()))
        float_mask = torch.where(mask, divide_no_nan(total, valid), 0.0).to(dtype)
    else:
        float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(
        float_mask, sample_weight
    )
    return sample_weight * float_mask


def _align_weight(
    values: torch.Tensor, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Line ``weight`` up with ``values`` so that it weighs whole samples.

    Keras' squeeze/expand rule first; then (an extension: Keras 3 raises here) an
    ``(N,)`` weight against ``(N, H, W)`` losses gets trailing axes so it broadcasts
    per sample, as tf.keras did for segmentation maps.
    """
    values, weight = squeeze_or_expand_to_same_rank(values, weight)
    if 0 < weight.dim() < values.dim() and weight.shape == values.shape[: weight.dim()]:
        weight = weight.reshape(*weight.shape, *([1] * (values.dim() - weight.dim())))
    try:
        torch.broadcast_shapes(values.shape, weight.shape)
    except RuntimeError as exc:
        raise TrainingInputError(
            f"`sample_weight` of shape {tuple(weight.shape)} cannot weigh per-sample "
            f"losses of shape {tuple(values.shape)}. Pass one weight per sample, "
            f"shaped ({values.shape[0] if values.dim() else 1},), or one per loss "
            "element."
        ) from exc
    return values, weight


def reduce_weighted_values(
    values: torch.Tensor,
    sample_weight: ArrayLike | None = None,
    mask: torch.Tensor | None = None,
    reduction: str | None = "sum_over_batch_size",
) -> torch.Tensor:
    """Weight per-sample ``values`` and reduce them as ``reduction`` says.

    Example:
        >>> v = torch.tensor([1.0, 3.0])
        >>> reduce_weighted_values(v, torch.tensor([1.0, 0.0]))
        tensor(0.5000)
        >>> reduce_weighted_values(v, torch.tensor([1.0, 0.0]),
        ...                        reduction="mean_with_sample_weight")
        tensor(1.)
    """
    reduction = standardize_reduction(reduction)
    weight = None
    if sample_weight is not None:
        weight = to_float_tensor(sample_weight, values.dtype, values.device)
    weight = apply_mask(weight, mask, reduction)
    if weight is not None:
        values, weight = _align_weight(values, weight.to(values.dtype))
        values = values * weight
    if reduction in (None, "none") or values.dim() == 0 or tuple(values.shape) == (0,):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weight is not None:
        return divide_no_nan(total, weight.sum())
    count = values.numel()
    # The element count is a Python int: dividing by it never waits for the device.
    return total / count if count else total * 0.0


class Loss(abc.ABC):
    """Base class of every loss: subclasses implement ``call(y_true, y_pred)``.

    Args:
        name: Name of the loss; defaults to the snake_case class name.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        dtype: Dtype the inputs are cast to; defaults to ``config.floatx()``.

    Returns:
        Calling the loss returns a 0-d tensor (or per-sample values with
        ``reduction="none"``).

    Raises:
        InvalidArgumentError: ``reduction`` is not one of the options above.

    Example:
        >>> from cnnkit.losses import MeanSquaredError
        >>> MeanSquaredError(reduction="average")
        Traceback (most recent call last):
        ...
        cnnkit.errors.InvalidArgumentError: `reduction` must be one of ...
    """

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: str | None = None,
    ) -> None:
        self.reduction = standardize_reduction(reduction)
        self.name = name or auto_name(type(self).__name__)
        self._dtype = dtype or config.floatx()

    @property
    def dtype(self) -> str:
        """The dtype name ``y_pred`` is cast to before the loss is computed."""
        return self._dtype

    def __call__(
        self,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        sample_weight: ArrayLike | None = None,
    ) -> torch.Tensor:
        y_pred_t = to_float_tensor(y_pred, self.dtype)
        # Labels keep their dtype (int class ids stay exact); each function casts.
        y_true_t = to_tensor(y_true, y_pred_t.device)
        values, mask = self.call_with_mask(y_true_t, y_pred_t)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction)

    # Abstract: a subclass without `call` cannot be instantiated, so the mistake shows
    # when the loss is created, not in the middle of `fit`.
    @abc.abstractmethod
    def call(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        """Per-sample losses: one value per sample of ``y_pred``."""

    def call_with_mask(
        self, y_true: torch.Tensor, y_pred: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Per-sample losses and a boolean mask of the entries that count (or None)."""
        return self.call(y_true, y_pred), None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serialisable."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """Rebuild a loss from :meth:`get_config`'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
