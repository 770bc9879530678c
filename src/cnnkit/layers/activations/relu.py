"""``ReLU``: ``max(x, 0)`` with Keras' optional cap, slope and threshold.

Example:
    >>> import torch
    >>> layer = ReLU(max_value=10, negative_slope=0.5)
    >>> layer(torch.tensor([-10.0, -5.0, 0.0, 5.0, 10.0]))
    tensor([-5.0000, -2.5000,  0.0000,  5.0000, 10.0000])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import activations
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer


def check_non_negative(
    value: Any, name: str, layer: str, *, allow_none: bool = False
) -> Any:
    """Keras' activation layers reject negative (and, mostly, None) parameters."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        allowed = "a float >= 0" + (" or None" if allow_none else "")
        raise InvalidArgumentError(
            f"{layer}: `{name}` must be {allowed}; received {name}={value!r}."
        )
    return value


class ReLU(Layer):
    """Rectified linear unit.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for
    ``threshold < x < max_value``, and ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: Float >= 0, the largest output; ``None`` means no cap.
        negative_slope: Float >= 0, the slope below the threshold.
        threshold: Float >= 0; inputs below it are damped (or zeroed).

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_value = check_non_negative(
            max_value, "max_value", "ReLU", allow_none=True
        )
        self.negative_slope = check_non_negative(
            negative_slope, "negative_slope", "ReLU"
        )
        self.threshold = check_non_negative(threshold, "threshold", "ReLU")

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }
