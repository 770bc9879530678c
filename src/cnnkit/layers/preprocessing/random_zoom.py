"""``RandomZoom``: zoom each image in or out by a random amount about its centre.

Example:
    >>> import torch
    >>> layer = RandomZoom((-0.5, -0.5), interpolation="nearest")  # zoom in 2x
    >>> x = torch.arange(16.0).reshape(1, 4, 4, 1)
    >>> layer(x)[0, :, :, 0]
    tensor([[ 5.,  5.,  6.,  6.],
            [ 5.,  5.,  6.,  6.],
            [ 9.,  9., 10., 10.],
            [ 9.,  9., 10., 10.]])
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
    "A positive factor zooms out and a negative one zooms in: height_factor=0.2 "
    "scales the height by a random amount in [-20%, +20%]."
)


class RandomZoom(BaseAffineLayer):
    """Randomly zooms images while training.

    Each image gets its own zoom, about its centre. A **positive** factor zooms
    **out** (the content shrinks, ``fill_mode`` fills the border) and a negative
    one zooms in. It augments when called with ``training=True``, the default of a
    direct call and of ``model(x)``; ``predict``/``evaluate`` get the images
    unchanged (cast to float32).

    Args:
        height_factor: A number ``f`` for a vertical zoom drawn from ``[-f, f]``, or a
            pair ``(lower, upper)``; values lie in ``(-1, 1]``.
        width_factor: The same for the horizontal zoom; ``None`` reuses the vertical
            zoom, which keeps the aspect ratio.
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
        width_factor: float | tuple[float, float] | None = None,
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
            height_factor, "height_factor", (-1, 1), _MEANING, open_low=True
        )
        self._width_range = (
            None
            if width_factor is None
            else factor_range(
                width_factor, "width_factor", (-1, 1), _MEANING, open_low=True
            )
        )

    def _is_identity(self) -> bool:
        ranges = [self._height_range, self._width_range or (0, 0)]
        return all(bound == 0 for pair in ranges for bound in pair)

    def _matrix(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        batch, _, height, width = images.shape
        # Input-to-output scale per axis: > 1 samples a wider window, i.e. zooms out.
        zoom_y = 1 + self._uniform((batch,), *self._height_range, images)
        zoom_x = zoom_y
        if self._width_range is not None:
            zoom_x = 1 + self._uniform((batch,), *self._width_range, images)
        zero = torch.zeros_like(zoom_y)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        return (zoom_x, zero, cx * (1 - zoom_x), zero, zoom_y, cy * (1 - zoom_y))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
