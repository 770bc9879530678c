"""``RandomCrop``: crop a random ``(height, width)`` window while training.

Example:
    >>> import torch
    >>> layer = RandomCrop(24, 24, seed=0)
    >>> layer(torch.rand(8, 32, 32, 3)).shape               # training: random window
    torch.Size([8, 24, 24, 3])
    >>> layer(torch.rand(8, 32, 32, 3), training=False).shape  # inference: centre
    torch.Size([8, 24, 24, 3])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.layers.preprocessing._image import BaseRandomLayer, Shape, check_size
from cnnkit.layers.preprocessing._warp import smart_resize


class RandomCrop(BaseRandomLayer):
    """Randomly crops images to ``(height, width)`` while training.

    Training (the default of a direct call and of ``model(x)``), on images larger
    than the target on both axes: one random window per call, shared by the whole
    batch (as in Keras). Otherwise (inference, or an image not larger on both axes):
    the largest centred window with the target aspect ratio, resized bilinearly to
    ``(height, width)``. The output always has the target size.

    Args:
        height: Output height in pixels.
        width: Output width in pixels.
        seed: An int for a layer-owned generator (reproducible), or ``None`` for
            torch's global CPU generator (seeded by ``torch.manual_seed``).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses the
            global ``image_data_format()``.

    Input shape:
        - ``channels_last``: ``(batch, height, width, channels)`` or
          ``(height, width, channels)``.
        - ``channels_first``: ``(batch, channels, height, width)`` or
          ``(channels, height, width)``.

    Output shape:
        The input shape with height and width replaced by ``height`` and ``width``.
    """

    def __init__(
        self,
        height: int,
        width: int,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height = check_size(height, "height")
        self.width = check_size(width, "width")

    def _offset(self, room: int) -> int:
        # Drawn on the CPU: slicing needs a Python int, and a CPU draw costs no
        # device synchronisation.
        cpu = torch.device("cpu")
        return int(torch.randint(room, (), generator=self._generator(cpu)))

    def call(self, inputs: torch.Tensor, training: bool | None = True) -> torch.Tensor:
        images, single = self._to_nchw(self._float(inputs))
        height, width = images.shape[-2], images.shape[-1]
        if self._augmenting(training) and height > self.height and width > self.width:
            top = self._offset(height - self.height + 1)
            left = self._offset(width - self.width + 1)
            out = images[..., top : top + self.height, left : left + self.width]
        else:
            out = smart_resize(images, self.height, self.width)
        return self._from_nchw(out, single)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "seed": self.seed,
        }
