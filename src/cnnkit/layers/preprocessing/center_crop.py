"""``CenterCrop``: keep the central ``(height, width)`` window of each image.

Example:
    >>> import torch
    >>> x = torch.arange(16.0).reshape(1, 4, 4, 1)
    >>> CenterCrop(2, 2)(x)[0, :, :, 0]
    tensor([[ 5.,  6.],
            [ 9., 10.]])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.layers.preprocessing._image import BaseImageLayer, Shape, check_size
from cnnkit.layers.preprocessing._warp import smart_resize


class CenterCrop(BaseImageLayer):
    """Crops the centre of each image to ``(height, width)``.

    When the image is smaller than the target on either axis, it is instead cropped
    to the target aspect ratio and resized (bilinear), as Keras does. Outputs are in
    the compute dtype (float32).

    Args:
        height: Output height in pixels.
        width: Output width in pixels.
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
        self, height: int, width: int, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = check_size(height, "height")
        self.width = check_size(width, "width")

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        images, single = self._to_nchw(self._float(inputs))
        height, width = images.shape[-2], images.shape[-1]
        if height >= self.height and width >= self.width:
            top = (height - self.height) // 2
            left = (width - self.width) // 2
            out = images[..., top : top + self.height, left : left + self.width]
        else:
            out = smart_resize(images, self.height, self.width)
        return self._from_nchw(out, single)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}
