"""``Activation``: applies an activation function (``Activation('relu')``).

Example:
    >>> import torch
    >>> Activation("relu")(torch.tensor([-1.0, 1.0]))
    tensor([0., 1.])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import activations
from cnnkit.layers.base.layer import Layer


class Activation(Layer):
    """Applies ``activation`` elementwise (or along the last axis for softmax)."""

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return self._activate(inputs)  # the fused softmax + cross-entropy may defer it

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "activation": activations.serialize(self.activation),
        }
