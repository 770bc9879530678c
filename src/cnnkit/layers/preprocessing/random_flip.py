"""``RandomFlip``: flip each image left-right and/or up-down with probability 0.5.

Example:
    >>> import torch
    >>> x = torch.arange(4.0).reshape(1, 2, 2, 1)
    >>> layer = RandomFlip("horizontal", seed=0)
    >>> layer(x, training=False)[0, :, :, 0]               # inference: unchanged
    tensor([[0., 1.],
            [2., 3.]])
    >>> layer(x).shape                                      # training (default)
    torch.Size([1, 2, 2, 1])
"""

from __future__ import annotations

from typing import Any, Literal

import torch

from cnnkit.layers.preprocessing._image import BaseRandomLayer
from cnnkit.utils.validation import check_choice

_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(BaseRandomLayer):
    """Randomly flips images while training.

    Each image draws one coin (probability 0.5). In ``"horizontal_and_vertical"``
    mode that single coin flips **both** axes together, so an image is either
    unchanged or rotated by 180° (Keras 3; tf.keras 2 drew two independent coins).

    The layer augments when called with ``training=True``, which is the default of a
    direct call and of ``model(x)``; ``predict``/``evaluate``/validation pass
    ``training=False`` and get the images unchanged (cast to float32).

    Args:
        mode: ``"horizontal"`` (left-right), ``"vertical"`` (up-down) or
            ``"horizontal_and_vertical"``.
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
        mode: Literal[
            "horizontal", "vertical", "horizontal_and_vertical"
        ] = "horizontal_and_vertical",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = check_choice(mode, _MODES, "mode")

    def call(self, inputs: torch.Tensor, training: bool | None = True) -> torch.Tensor:
        images = self._float(inputs)
        if not self._augmenting(training):
            return images
        rank = images.dim()
        h_axis, w_axis = self._hw_axes(rank)
        axes = {
            "horizontal": (w_axis,),
            "vertical": (h_axis,),
            "horizontal_and_vertical": (h_axis, w_axis),
        }[self.mode]
        # One coin per image (one for a single image), broadcast over its pixels.
        coin_shape = (images.shape[0], 1, 1, 1) if rank == 4 else (1, 1, 1)
        flip = self._uniform(coin_shape, 0.0, 1.0, images) <= 0.5
        return torch.where(flip, images.flip(axes), images)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}
