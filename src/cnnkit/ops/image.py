"""``keras.ops.image.resize`` on torch tensors, in the Keras layout.

Example:
    >>> import torch
    >>> from cnnkit.ops import image
    >>> image.resize(torch.zeros(2, 28, 28, 1), (14, 14)).shape
    torch.Size([2, 14, 14, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from cnnkit import config
from cnnkit._layout import layout_of
from cnnkit.errors import InvalidArgumentError
from cnnkit.ops.core import convert_to_tensor, float_or_keep

__all__ = ["resize"]

# Keras resizes with half-pixel centres; for nearest that is torch's "nearest-exact".
_MODES = {"nearest": "nearest-exact", "bilinear": "bilinear", "bicubic": "bicubic"}


def resize(
    images: Any,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    data_format: str | None = None,
) -> torch.Tensor:
    """Resize ``(H, W, C)`` or ``(N, H, W, C)`` images (channels_first with
    ``data_format``) to ``size=(height, width)``, half-pixel centres as Keras."""
    if interpolation not in _MODES:
        raise InvalidArgumentError(
            f"resize: `interpolation` must be one of {sorted(_MODES)}; received "
            f"interpolation={interpolation!r}."
        )
    if len(tuple(size)) != 2:
        raise InvalidArgumentError(
            f"resize: `size` must be (height, width); received size={size!r}."
        )
    layout = layout_of(config.normalize_data_format(data_format), 2)
    x = float_or_keep(convert_to_tensor(images))
    if x.dim() not in (3, 4):
        raise InvalidArgumentError(
            "resize: `images` must be 3-D (height, width, channels) or 4-D (batch, "
            f"height, width, channels); received shape {tuple(x.shape)}."
        )
    single = x.dim() == 3
    if single:
        x = x.unsqueeze(0)
    x = layout.to_channels_first(x)  # (N, C, H, W)
    height, width = int(size[0]), int(size[1])
    if crop_to_aspect_ratio:
        x = _crop_to_aspect(x, height / width)
    mode = _MODES[interpolation]
    kwargs: dict[str, Any] = {} if mode == "nearest-exact" else {"align_corners": False}
    if antialias and mode != "nearest-exact":
        kwargs["antialias"] = True
    y = F.interpolate(x, size=(height, width), mode=mode, **kwargs)
    y = layout.from_channels_first(y)  # back to `data_format`
    return y[0] if single else y


def _crop_to_aspect(x: torch.Tensor, ratio: float) -> torch.Tensor:
    """Centre crop of ``(N, C, H, W)`` to height / width == ``ratio``."""
    h, w = x.shape[-2:]
    crop_h = min(h, round(w * ratio))
    crop_w = min(w, round(h / ratio))
    top, left = (h - crop_h) // 2, (w - crop_w) // 2
    return x[..., top : top + crop_h, left : left + crop_w]
