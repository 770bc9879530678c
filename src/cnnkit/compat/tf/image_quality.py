"""``tf.image``'s image measures: ``ssim``, ``sobel_edges``, ``total_variation``
and ``image_gradients``, with TensorFlow's formulas.

``ssim`` is TF's: an 11x11 Gaussian window (sigma 1.5) applied without padding to
each channel, ``c1 = (k1 max_val)²``, ``c2 = (k2 max_val)²``; the SSIM map is
averaged over height and width, then over channels. Integer images (and
``max_val``) are first converted to floats in [0, 1], as TF does.

Example:
    >>> import torch
    >>> image = torch.rand(1, 16, 16, 3)
    >>> round(float(ssim(image, image, max_val=1.0)[0]), 6)
    1.0
    >>> float(total_variation(torch.tensor([[[0.0], [1.0]], [[1.0], [1.0]]])))
    2.0
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cnnkit.compat.tf._common import to_tensor
from cnnkit.errors import IncompatibleShapeError

__all__ = ["image_gradients", "sobel_edges", "ssim", "total_variation"]


def _as_float(image: Any, name: str) -> tuple[torch.Tensor, float]:
    """A float image, and the scale TF's convert_image_dtype divides integers by."""
    t = to_tensor(image, name=name)
    if t.is_floating_point():
        return t, 1.0
    scale = float(torch.iinfo(t.dtype).max)
    return t.float() / scale, scale


def _gaussian(size: int, sigma: float, dtype: torch.dtype) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    window = torch.outer(g, g)
    return (window / window.sum()).to(dtype)


def _filtered(x: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Each channel of NHWC ``x`` (batch dims flattened) filtered, VALID."""
    channels = x.shape[-1]
    nchw = x.reshape(-1, *x.shape[-3:]).permute(0, 3, 1, 2)
    kernel = window.expand(channels, 1, *window.shape).to(x.device)
    out = F.conv2d(nchw, kernel, groups=channels)
    return out.permute(0, 2, 3, 1)


def ssim(
    img1: Any, img2: Any, max_val: Any, filter_size: int = 11,
    filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
    return_index_map: bool = False,
) -> torch.Tensor:  # fmt: skip
    """Structural similarity of ``(..., height, width, channels)`` images, one
    value per image (1.0 for identical images).

    With ``return_index_map=True`` the per-pixel SSIM map (averaged over
    channels, VALID-sized) instead.

    Raises:
        IncompatibleShapeError: The images differ in shape, or are smaller than
            ``filter_size`` in height or width.
    """
    x, scale = _as_float(img1, "img1")
    y, _ = _as_float(img2, "img2")
    y = y.to(device=x.device, dtype=x.dtype)
    if x.shape != y.shape or x.dim() < 3:
        raise IncompatibleShapeError(
            "tf.image.ssim: `img1` and `img2` must be images of one shape (..., "
            f"height, width, channels); received {tuple(x.shape)} and {tuple(y.shape)}."
        )
    if min(x.shape[-3], x.shape[-2]) < filter_size:
        raise IncompatibleShapeError(
            f"tf.image.ssim: the images ({x.shape[-3]}x{x.shape[-2]}) must be at least "
            f"filter_size={filter_size} in height and width; upsample them or pass a "
            "smaller filter_size."
        )
    peak = float(max_val) / scale
    c1, c2 = (k1 * peak) ** 2, (k2 * peak) ** 2
    window = _gaussian(filter_size, filter_sigma, x.dtype)
    mean_x, mean_y = _filtered(x, window), _filtered(y, window)
    both = mean_x * mean_y * 2
    squares = mean_x**2 + mean_y**2
    luminance = (both + c1) / (squares + c1)
    cross = _filtered(x * y, window) * 2
    energy = _filtered(x * x + y * y, window)
    contrast_structure = (cross - both + c2) / (energy - squares + c2)
    index_map = (luminance * contrast_structure).reshape(
        *x.shape[:-3], *luminance.shape[-3:]
    )
    if return_index_map:
        return index_map.mean(dim=-1)
    return index_map.mean(dim=(-3, -2)).mean(dim=-1)


def sobel_edges(image: Any) -> torch.Tensor:
    """Sobel responses of a ``(batch, height, width, channels)`` image, with
    reflected borders: ``(batch, height, width, channels, 2)``, ``[..., 0]`` the
    vertical gradient (dy), ``[..., 1]`` the horizontal one (dx), as TF.

    Raises:
        IncompatibleShapeError: ``image`` is not 4-D.
    """
    t, _ = _as_float(image, "image")
    if t.dim() != 4:
        raise IncompatibleShapeError(
            "tf.image.sobel_edges: `image` must be 4-D (batch, height, width, "
            f"channels); received shape {tuple(t.shape)}. Add a batch axis with "
            "tf.expand_dims(image, 0)."
        )
    kernels = torch.tensor(
        [
            [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
            [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        ],
        dtype=t.dtype,
        device=t.device,
    )
    channels = t.shape[-1]
    nchw = F.pad(t.permute(0, 3, 1, 2), (1, 1, 1, 1), mode="reflect")
    # One (dy, dx) pair per channel: output channel 2c + k is kernel k on channel c.
    weight = kernels.repeat(channels, 1, 1).unsqueeze(1)
    out = F.conv2d(nchw, weight, groups=channels)
    batch, _, height, width = out.shape
    return out.reshape(batch, channels, 2, height, width).permute(0, 3, 4, 1, 2)


def total_variation(images: Any, name: str | None = None) -> torch.Tensor:
    """The sum of absolute differences between neighbouring pixels: a scalar for
    one ``(height, width, channels)`` image, one value per image for a batch.

    Raises:
        IncompatibleShapeError: ``images`` is not 3-D or 4-D.
    """
    t = to_tensor(images, name="images")
    if t.dim() not in (3, 4):
        raise IncompatibleShapeError(
            "tf.image.total_variation: `images` must be 3-D or 4-D; received shape "
            f"{tuple(t.shape)}."
        )
    down = (t[..., 1:, :, :] - t[..., :-1, :, :]).abs()
    right = (t[..., :, 1:, :] - t[..., :, :-1, :]).abs()
    return down.sum(dim=(-3, -2, -1)) + right.sum(dim=(-3, -2, -1))


def image_gradients(image: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """``(dy, dx)``: forward differences of a 4-D image, zero in the last row
    (dy) and column (dx), the image's shape each.

    Raises:
        IncompatibleShapeError: ``image`` is not 4-D.
    """
    t = to_tensor(image, name="image")
    if t.dim() != 4:
        raise IncompatibleShapeError(
            "tf.image.image_gradients: `image` must be 4-D (batch, height, width, "
            f"channels); received shape {tuple(t.shape)}."
        )
    # F.pad's pairs run from the last axis: (channels, width, height).
    dy = F.pad(t[:, 1:] - t[:, :-1], (0, 0, 0, 0, 0, 1))
    dx = F.pad(t[:, :, 1:] - t[:, :, :-1], (0, 0, 0, 1))
    return dy, dx
