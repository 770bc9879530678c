"""``RandomTranslation``: shift each image by a random fraction of its size.

Example:
    >>> import torch
    >>> layer = RandomTranslation(0.0, (0.5, 0.5), fill_mode="constant")  # right 50%
    >>> layer(torch.arange(1.0, 5.0).reshape(1, 1, 4, 1))[0, 0, :, 0]
    tensor([0., 0., 1., 2.])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.layers.preprocessing._image import (
    BaseAffineLayer,
    FillMode,
    Interpolation,
    factor_range,
)

_MEANING = (
    "It is a fraction of the image size; negative values shift up (left): "
    "height_factor=0.1 shifts by up to 10% of the height either way."
)


class RandomTranslation(BaseAffineLayer):
    """Randomly translates images while training.

    Each image gets its own shift, a fraction of its height and width; positive
    shifts move the content down and right. It augments when called with
    ``training=True``, the default of a direct call and of ``model(x)``;
    ``predict``/``evaluate`` get the images unchanged (cast to float32).

    Args:
        height_factor: A number ``f`` for vertical shifts in ``[-f, f] * height``, or
            a pair ``(lower, upper)``; values lie in ``[-1, 1]``.
        width_factor: The same for horizontal shifts (fractions of the width).
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
        height_factor: float | tuple[float, float],
        width_factor: float | tuple[float, float],
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
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = factor_range(
            height_factor, "height_factor", (-1, 1), _MEANING
        )
        self._width_range = factor_range(
            width_factor, "width_factor", (-1, 1), _MEANING
        )

    def _is_identity(self) -> bool:
        ranges = [self._height_range, self._width_range]
        return all(bound == 0 for pair in ranges for bound in pair)

    def _matrix(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        batch, _, height, width = images.shape
        shift_y = self._uniform((batch,), *self._height_range, images) * height
        shift_x = self._uniform((batch,), *self._width_range, images) * width
        one, zero = torch.ones_like(shift_y), torch.zeros_like(shift_y)
        # Output pixel (x, y) reads input (x - dx, y - dy): content moves by (dx, dy).
        return (one, zero, -shift_x, zero, one, -shift_y)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
