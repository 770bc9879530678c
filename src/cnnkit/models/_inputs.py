"""What every model does with its inputs before running its layers: refuse a mask,
and fit each array to its ``Input`` (dtype, a missing or extra trailing 1 axis).
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.input_layer import InputLayer
from cnnkit.utils.validation import format_shape, missing_batch_axis_hint

__all__ = ["refuse_mask", "standardize_model_input"]


def refuse_mask(model: Layer, mask: Any) -> None:
    """Models take Keras' ``mask=`` argument; only ``None`` has a meaning here."""
    if mask is not None:
        raise InvalidArgumentError(
            f"{type(model).__name__} '{model.name}' was called with a mask, but "
            "cnnkit models make their masks inside (an `Embedding(mask_zero=True)` "
            "layer marks padded steps of sequences). Call the model without `mask=`."
        )


def standardize_model_input(value: Any, spec: InputLayer) -> Any:
    """Fit data to an ``Input``: its dtype, and a missing/extra trailing 1 axis."""
    if not isinstance(value, torch.Tensor):
        return value
    expected = spec.batch_shape
    one_sample = missing_batch_axis_hint(tuple(value.shape), expected)
    if one_sample is not None:
        raise InvalidArgumentError(
            f"Invalid input shape for input '{spec.name}': expected shape "
            f"{format_shape(expected)} (rank {len(expected)}), received "
            f"{format_shape(tuple(value.shape))} (rank {value.dim()}). {one_sample}"
        )
    if value.dim() == len(expected) - 1 and expected[-1] == 1:
        value = value.unsqueeze(-1)  # (N, 28, 28) for Input((28, 28, 1))
    elif value.dim() == len(expected) + 1 and value.shape[-1] == 1:
        value = value.squeeze(-1)
    elif value.dim() != len(expected):
        raise InvalidArgumentError(
            f"Invalid input shape for input '{spec.name}': expected shape "
            f"{format_shape(expected)} (rank {len(expected)}), received "
            f"{format_shape(tuple(value.shape))} (rank {value.dim()}). Reshape the data "
            "to the model's input shape."
        )
    target = getattr(torch, spec.dtype)
    if value.dtype != target:
        value = value.to(target)
    return value
