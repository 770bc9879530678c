"""``LeakyReLU``: ``x`` for ``x >= 0``, ``negative_slope * x`` below.

Note the layer's default slope is 0.3 while ``activations.leaky_relu`` uses 0.2,
as in Keras.

Example:
    >>> import torch
    >>> LeakyReLU()(torch.tensor([-10.0, 0.0, 5.0]))
    tensor([-3.,  0.,  5.])
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

from cnnkit import activations
from cnnkit.layers.activations.relu import check_non_negative
from cnnkit.layers.base.layer import Layer


class LeakyReLU(Layer):
    """Leaky rectified linear unit: a small gradient where the unit is off.

    Args:
        negative_slope: Float >= 0, the slope for negative inputs. The Keras 2 name
            ``alpha=`` is still accepted (it wins, with a deprecation warning).

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                "Argument `alpha` is deprecated. Use `negative_slope` instead.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.negative_slope = check_non_negative(
            negative_slope, "negative_slope", "LeakyReLU"
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "negative_slope": self.negative_slope}
