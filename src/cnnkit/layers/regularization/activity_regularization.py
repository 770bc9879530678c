"""``ActivityRegularization``: pass inputs through, add an L1/L2 penalty on them.

Example:
    >>> import torch
    >>> layer = ActivityRegularization(l1=0.1)
    >>> y = layer(torch.tensor([[1.0, -2.0], [3.0, 0.0]]))
    >>> [round(float(p), 4) for p in layer.losses]   # 0.1 * 6 / batch of 2
    [0.3]
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.layers.base.layer import Layer
from cnnkit.regularizers import L1L2


class ActivityRegularization(Layer):
    """Identity layer whose outputs add ``l1 * sum|x| + l2 * sum(x**2)`` to the loss.

    As in Keras the penalty is divided by the batch size, so its strength does not
    depend on it. The penalty of the last call is in ``layer.losses``.

    Args:
        l1: Non-negative L1 factor.
        l2: Non-negative L2 factor.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
