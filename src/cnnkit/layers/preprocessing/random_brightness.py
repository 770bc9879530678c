"""``RandomBrightness``: add a random offset to each image.

Example:
    >>> import torch
    >>> x = torch.full((1, 2, 2, 3), 100.0)
    >>> RandomBrightness((0.2, 0.2))(x)[0, 0, 0]             # + 0.2 * 255
    tensor([151., 151., 151.])
    >>> RandomBrightness(0.2).get_config()["factor"]
    (-0.2, 0.2)
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.layers.preprocessing._image import (
    BaseRandomLayer,
    check_value_range,
    factor_range,
)


class RandomBrightness(BaseRandomLayer):
    """Randomly brightens or darkens each image while training.

    For each image a delta is drawn from ``[lower, upper]`` (fractions of the value
    range), scaled by ``high - low`` of ``value_range``, added to every pixel, and
    the result clipped to ``value_range``. It augments when called with
    ``training=True``, the default of a direct call and of ``model(x)``;
    ``predict``/``evaluate`` get the images unchanged (as float32).

    Args:
        factor: A number ``f`` in ``[-1, 1]`` for deltas in ``[-f, f]``, or a pair
            ``(lower, upper)``.
        value_range: The ``(low, high)`` range of the pixel values (any order; it is
            stored sorted, as in Keras).
        seed: An int for a layer-owned generator (reproducible), or ``None`` for
            torch's global one.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses the
            global ``image_data_format()``.

    Input shape:
        - ``channels_last``: ``(batch, height, width, channels)`` or
          ``(height, width, channels)``.
        - ``channels_first``: ``(batch, channels, height, width)`` or
          ``(channels, height, width)``.

    Output shape:
        The input shape.
    """

    def __init__(
        self,
        factor: float | tuple[float, float],
        value_range: tuple[float, float] = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(
            factor,
            "factor",
            (-1, 1),
            "It is a fraction of the value range: factor=0.2 adds up to ±20% of it.",
        )
        self.value_range = sorted(check_value_range(value_range))

    def call(self, inputs: torch.Tensor, training: bool | None = True) -> torch.Tensor:
        images = self._float(inputs)
        if not self._augmenting(training):
            return images
        low, high = self.value_range
        shape = (images.shape[0], 1, 1, 1) if images.dim() == 4 else (1, 1, 1)
        delta = self._uniform(shape, *self.factor, images) * (high - low)
        return (images + delta).clamp(low, high)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
