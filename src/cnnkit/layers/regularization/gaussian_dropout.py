"""``GaussianDropout``: multiply by 1-centred Gaussian noise during training.

Example:
    >>> import torch
    >>> layer = GaussianDropout(0.2, seed=0)
    >>> x = torch.ones(10000)
    >>> torch.equal(layer(x), x)                    # inference: identity
    True
    >>> round(layer(x, training=True).std().item(), 1)    # sqrt(0.2 / 0.8)
    0.5
"""

from __future__ import annotations

import math
from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.regularization._random import SeedStream
from cnnkit.utils.validation import check_rate


class GaussianDropout(Layer):
    """Multiplies every input by ``N(1, rate / (1 - rate))`` noise (training only).

    The noise has the mean and variance of inverted ``Dropout(rate)``'s mask, without
    zeroing anything.

    Args:
        rate: Float in [0, 1), the equivalent drop probability; the noise has
            standard deviation ``sqrt(rate / (1 - rate))``.
        seed: Integer seed of the layer's own random stream; ``None`` uses torch's
            global RNG.

    Call arguments:
        inputs: A tensor of any rank.
        training: Whether to apply the noise (``True``) or pass through (``False``,
            default).

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(rate, "rate")
        if self.rate == 1.0:
            # Keras accepts it, then divides by zero on the first training step.
            raise InvalidArgumentError(
                "GaussianDropout: `rate` must be in [0, 1): rate=1 would give the "
                "noise an infinite standard deviation sqrt(rate / (1 - rate)). Use "
                "Dropout(1.0) to zero the inputs, or a rate below 1."
            )
        self._random = SeedStream(seed)
        self.seed = seed

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if not training or self.rate == 0.0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = torch.randn(
            inputs.shape, generator=self._random.generator(inputs.device),
            dtype=inputs.dtype, device=inputs.device,
        )  # fmt: skip
        return inputs * noise.mul_(stddev).add_(1.0)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
