"""``ELU``: ``x`` for ``x >= 0``, ``alpha * (exp(x) - 1)`` below.

Example:
    >>> import torch
    >>> ELU(alpha=2.0)(torch.tensor([-1.0, 0.0, 3.0]))
    tensor([-1.2642,  0.0000,  3.0000])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import activations
from cnnkit.layers.base.layer import Layer


class ELU(Layer):
    """Exponential linear unit.

    Args:
        alpha: Scale of the negative part (it saturates at ``-alpha``).

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}
