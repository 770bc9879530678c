"""``Resizing``: resize images to ``(height, width)``, optionally keeping the aspect.

Example:
    >>> import torch
    >>> Resizing(14, 14)(torch.rand(2, 28, 28, 1)).shape
    torch.Size([2, 14, 14, 1])
    >>> Resizing(4, 8, crop_to_aspect_ratio=True)(torch.rand(8, 8, 3)).shape
    torch.Size([4, 8, 3])
"""

from __future__ import annotations

from typing import Any, Literal

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.preprocessing._image import (
    BaseImageLayer,
    Shape,
    check_fill_value,
    check_size,
)
from cnnkit.layers.preprocessing._warp import aspect_crop_box, pad_to_aspect, resize
from cnnkit.utils.validation import check_choice

_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area")


class Resizing(BaseImageLayer):
    """Resizes a batch of images (or one image) to ``(height, width)``.

    Pixel centres sit at half-integers (``align_corners=False``), as in Keras/TF.
    Integer inputs (``uint8``) come back rounded in their own dtype, as in Keras;
    float inputs come back in the compute dtype.

    Args:
        height: Output height in pixels.
        width: Output width in pixels.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"`` or ``"area"``.
        crop_to_aspect_ratio: Crop the largest centred window of the target aspect
            ratio first, so the image is not distorted.
        pad_to_aspect_ratio: Pad the image with ``fill_value`` (centred) to the target
            aspect ratio first, so the image is not distorted.
        fill_mode: How the padding is filled; only ``"constant"`` is supported.
        fill_value: The padding value when ``pad_to_aspect_ratio=True``.
        antialias: Low-pass filter when downsampling (bilinear and bicubic only).
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
        interpolation: Literal["bilinear", "nearest", "bicubic", "area"] = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: Literal["constant"] = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = check_size(height, "height")
        self.width = check_size(width, "width")
        self.interpolation = check_choice(
            interpolation, _INTERPOLATIONS, "interpolation"
        )
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise InvalidArgumentError(
                "Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be "
                "True; received crop_to_aspect_ratio=True, pad_to_aspect_ratio=True. "
                "Crop to keep only image content, or pad to keep the whole image."
            )
        self.fill_mode = check_choice(fill_mode, ("constant",), "fill_mode")
        self.fill_value = check_fill_value(fill_value)
        self.antialias = bool(antialias)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        images, single = self._to_nchw(inputs)
        integer = not images.is_floating_point() and images.dtype != torch.bool
        if not images.is_floating_point():
            images = self._float(images)
        if self.crop_to_aspect_ratio:
            top, left, crop_h, crop_w = aspect_crop_box(
                images.shape[-2], images.shape[-1], self.height, self.width
            )
            images = images[..., top : top + crop_h, left : left + crop_w]
        elif self.pad_to_aspect_ratio:
            images = pad_to_aspect(images, self.height, self.width, self.fill_value)
        out = resize(
            images, self.height, self.width, self.interpolation, self.antialias
        )
        if integer:
            # Keras gives integer images back in their dtype: round, then saturate.
            info = torch.iinfo(inputs.dtype)
            out = out.round().clamp(info.min, info.max).to(inputs.dtype)
        return self._from_nchw(out, single)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }
