"""``RandomRotation``: rotate each image by a random angle about its centre.

Example:
    >>> import torch
    >>> x = torch.arange(9.0).reshape(1, 3, 3, 1)
    >>> quarter = RandomRotation((0.25, 0.25))             # exactly +90°
    >>> quarter(x)[0, :, :, 0].round()                      # counter-clockwise
    tensor([[2., 5., 8.],
            [1., 4., 7.],
            [0., 3., 6.]])
    >>> RandomRotation(0.1).get_config()["factor"]
    (-0.1, 0.1)
"""

from __future__ import annotations

import math
from typing import Any

import torch

from cnnkit.layers.preprocessing._image import (
    BaseAffineLayer,
    FillMode,
    Interpolation,
    factor_range,
)


class RandomRotation(BaseAffineLayer):
    """Randomly rotates images while training.

    Each image gets its own angle, drawn uniformly from ``factor`` (fractions of a
    full turn) and applied about the image centre; positive angles turn the image
    counter-clockwise. It augments when called with ``training=True``, the default of
    a direct call and of ``model(x)``; ``predict``/``evaluate`` get the images
    unchanged (cast to float32).

    Args:
        factor: A number ``f`` for angles in ``[-f * 360°, f * 360°]``, or a pair
            ``(lower, upper)``; e.g. ``0.1`` rotates by up to ±36°.
        fill_mode: How points outside the image are filled: ``"reflect"``
            (``d c b a | a b c d | d c b a``), ``"wrap"`` (``a b c d | a b c d``),
            ``"constant"`` (``fill_value``) or ``"nearest"`` (``a a | a b c d | d d``).
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: An int for a layer-owned generator (reproducible), or ``None`` for
            torch's global one.
        fill_value: The value outside the image with ``fill_mode="constant"``.
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
        fill_mode: FillMode = "reflect",
        interpolation: Interpolation = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            fill_mode=fill_mode,
            interpolation=interpolation,
            seed=seed,
            fill_value=fill_value,
            data_format=data_format,
            **kwargs,
        )
        self.factor = factor_range(
            factor,
            "factor",
            (-1, 1),
            "It is a fraction of a full turn: factor=0.1 rotates by up to ±36°.",
        )

    def _is_identity(self) -> bool:
        return self.factor[0] == 0 and self.factor[1] == 0

    def _matrix(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        batch, _, height, width = images.shape
        lower, upper = self.factor
        angle = self._uniform((batch,), lower, upper, images) * (2 * math.pi)
        cos, sin = torch.cos(angle), torch.sin(angle)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        # Rotation about the centre (cx, cy), from output to input coordinates.
        return (cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}
