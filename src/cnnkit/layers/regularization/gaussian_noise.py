"""``GaussianNoise``: add zero-mean Gaussian noise during training.

Example:
    >>> import torch
    >>> layer = GaussianNoise(0.1, seed=0)
    >>> x = torch.zeros(1000)
    >>> torch.equal(layer(x), x)                    # inference: identity
    True
    >>> round(layer(x, training=True).std().item(), 1)
    0.1
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.layers.base.layer import Layer
from cnnkit.layers.regularization._random import SeedStream
from cnnkit.utils.validation import check_rate


class GaussianNoise(Layer):
    """Adds ``N(0, stddev**2)`` noise to every input element (training only).

    A simple form of data augmentation for real-valued inputs.

    Args:
        stddev: Float in [0, 1] (Keras' bound), the standard deviation of the noise.
        seed: Integer seed of the layer's own random stream; ``None`` uses torch's
            global RNG.

    Call arguments:
        inputs: A tensor of any rank.
        training: Whether to add noise (``True``) or pass through (``False``,
            default).

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = check_rate(stddev, "stddev")
        self._random = SeedStream(seed)
        self.seed = seed

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if not training or self.stddev == 0.0:
            return inputs
        noise = torch.randn(
            inputs.shape, generator=self._random.generator(inputs.device),
            dtype=inputs.dtype, device=inputs.device,
        )  # fmt: skip
        return inputs + noise.mul_(self.stddev)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
