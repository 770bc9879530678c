"""``tf.image.extract_patches`` (ViT-style patch embedding) and ``tf.image.psnr``.

``extract_patches`` works on ``(batch, height, width, channels)`` and flattens each
patch in TF's order, row by row then channel: output ``(batch, rows, cols,
size_rows * size_cols * channels)``. ``padding="SAME"`` pads like TF's convolutions
(more after than before when the total is odd).

Example:
    >>> import torch
    >>> images = torch.arange(16.0).reshape(1, 4, 4, 1)
    >>> patches = extract_patches(images, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    >>> tuple(patches.shape), patches[0, 0, 1].tolist()
    ((1, 2, 2, 4), [2.0, 3.0, 6.0, 7.0])
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from cnnkit.compat.tf._common import shape_of, to_tensor
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError

__all__ = ["extract_patches", "psnr"]


def _window(value: Any, name: str) -> tuple[int, int]:
    dims = shape_of(value, name)
    if len(dims) != 4 or dims[0] != 1 or dims[3] != 1:
        raise InvalidArgumentError(
            f"tf.image.extract_patches: `{name}` must be [1, rows, cols, 1]; received "
            f"{name}={list(dims)}."
        )
    return dims[1], dims[2]


def _same_padding(size: int, kernel: int, stride: int, rate: int) -> tuple[int, int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * rate + 1 - size, 0)
    return total // 2, total - total // 2


def extract_patches(
    images: Any, sizes: Any, strides: Any, rates: Any, padding: str,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Patches of ``sizes`` every ``strides`` pixels (dilated by ``rates``).

    Raises:
        IncompatibleShapeError: ``images`` is not 4-D.
        InvalidArgumentError: ``padding`` is not "VALID" or "SAME", or a window
            argument is not ``[1, rows, cols, 1]``.
    """
    x = to_tensor(images, name="images")
    if x.dim() != 4:
        raise IncompatibleShapeError(
            "tf.image.extract_patches: `images` must be 4-D (batch, height, width, "
            f"channels); received shape {tuple(x.shape)}."
        )
    kernel, stride, rate = (
        _window(v, n)
        for v, n in ((sizes, "sizes"), (strides, "strides"), (rates, "rates"))
    )
    if padding not in ("VALID", "SAME"):
        raise InvalidArgumentError(
            f"tf.image.extract_patches: `padding` must be 'VALID' or 'SAME'; received "
            f"padding={padding!r}."
        )
    batch, height, width, channels = x.shape
    nchw = x.permute(0, 3, 1, 2)  # (B, C, H, W) for unfold
    if padding == "SAME":
        top, bottom = _same_padding(height, kernel[0], stride[0], rate[0])
        left, right = _same_padding(width, kernel[1], stride[1], rate[1])
        nchw = F.pad(nchw, [left, right, top, bottom])
    rows = (nchw.shape[2] - (kernel[0] - 1) * rate[0] - 1) // stride[0] + 1
    cols = (nchw.shape[3] - (kernel[1] - 1) * rate[1] - 1) // stride[1] + 1
    columns = F.unfold(
        nchw.float() if not nchw.is_floating_point() else nchw,
        kernel,
        dilation=rate,
        stride=stride,
    )
    # (B, C*kr*kc, L) is channel-major; TF flattens (kr, kc, C).
    columns = columns.reshape(batch, channels, kernel[0], kernel[1], rows * cols)
    patches = columns.permute(0, 4, 2, 3, 1).reshape(batch, rows, cols, -1)
    return patches.to(x.dtype)


def psnr(a: Any, b: Any, max_val: float, name: str | None = None) -> torch.Tensor:
    """Peak signal-to-noise ratio per image, in dB: ``10 log10(max_val² / MSE)``
    over the last three axes (height, width, channels)."""
    x = to_tensor(a, name="a").float()
    y = to_tensor(b, name="b").float().to(x.device)
    mse = torch.mean(torch.square(x - y), dim=(-3, -2, -1))
    return 10 * torch.log10(float(max_val) ** 2 / mse)
