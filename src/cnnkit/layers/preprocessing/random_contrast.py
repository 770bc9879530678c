"""``RandomContrast``: scale each image's deviation from its mean by a random factor.

Example:
    >>> import torch
    >>> x = torch.tensor([[[[10.0], [30.0]]]])               # one 1x2 image, mean 20
    >>> layer = RandomContrast(0.5, seed=1)
    >>> layer.factor                                         # Keras 3.15.1's rule
    (0, 0.5)
    >>> y = layer(x)[0, 0, :, 0]                             # factor c in [1, 1.5]
    >>> bool(y[1] - y[0] >= 20.0), float(y.mean())
    (True, 20.0)
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.preprocessing._image import (
    BaseRandomLayer,
    check_value_range,
    factor_range,
)


class RandomContrast(BaseRandomLayer):
    """Randomly adjusts the contrast of each image while training.

    For each image a contrast factor ``c`` is drawn from
    ``[1 - lower, 1 + upper]``; every pixel becomes
    ``(x - mean) * c + mean``, with ``mean`` taken per channel over the height and
    width, and the result is clipped to ``value_range``.

    As in Keras 3.15.1, a single number ``f`` gives ``(lower, upper) = (0, f)``, so
    ``RandomContrast(0.5)`` only *raises* the contrast (``c`` in ``[1, 1.5]``); pass
    a pair, e.g. ``(0.5, 0.5)``, for ``c`` in ``[0.5, 1.5]``.

    It augments when called with ``training=True``, the default of a direct call and
    of ``model(x)``; ``predict``/``evaluate`` get the images unchanged (as float32).

    Args:
        factor: A number in ``[0, 1]`` or a pair ``(lower, upper)`` of numbers in
            ``[0, 1]``, as above.
        value_range: The ``(low, high)`` range of the pixel values; outputs are
            clipped to it.
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
            (0, 1),
            "The contrast factor is drawn from [1 - lower, 1 + upper].",
        )
        low, high = check_value_range(value_range)
        if not low < high:
            raise InvalidArgumentError(
                "`value_range` must be (low, high) with low < high; received "
                f"value_range={value_range!r}. Use e.g. (0, 255) or (0, 1)."
            )
        self.value_range = value_range

    def call(self, inputs: torch.Tensor, training: bool | None = True) -> torch.Tensor:
        images = self._float(inputs)
        if not self._augmenting(training):
            return images
        h_axis, w_axis = self._hw_axes(images.dim())
        shape = (images.shape[0], 1, 1, 1) if images.dim() == 4 else (1, 1, 1)
        lower, upper = self.factor
        contrast = self._uniform(shape, 1 - lower, 1 + upper, images)
        mean = images.mean(dim=(h_axis, w_axis), keepdim=True)  # per image, channel
        out = (images - mean) * contrast + mean
        return out.clamp(self.value_range[0], self.value_range[1])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
