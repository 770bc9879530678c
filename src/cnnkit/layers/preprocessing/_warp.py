"""Batched image warps and resizes on ``(B, C, H, W)`` tensors, Keras semantics.

``affine_warp`` takes Keras' (and TF's) transform convention: each *output* pixel
``(x, y)`` (column, row; pixel centres at integer coordinates) samples the *input*
at ``(a0*x + a1*y + a2, b0*x + b1*y + b2)``. It runs as one ``affine_grid`` +
``grid_sample`` for the whole batch, with per-sample matrices.

Keras' ``fill_mode`` values on top of ``grid_sample``'s padding modes:

- ``reflect`` (``d c b a | a b c d | d c b a``, reflection about the pixel *edges*) is
  ``padding_mode="reflection"`` with ``align_corners=False``.
- ``nearest`` (``a a a a | a b c d | d d d d``) is ``padding_mode="border"``.
- ``constant`` (``k k k k | a b c d | k k k k``): out-of-image taps contribute
  ``fill_value``. ``padding_mode="zeros"`` gives them 0; adding ``fill_value`` times
  the weight that fell outside (sampled from a ones plane) makes it ``fill_value``.
- ``wrap`` (``a b c d | a b c d | a b c d``) has no torch mode: coordinates are taken
  modulo the size, and the image gets one circular column/row so the tap past the
  last pixel reads the first one.

Example:
    >>> import torch
    >>> x = torch.arange(4.0).reshape(1, 1, 1, 4)          # a b c d = 0 1 2 3
    >>> one, zero = torch.ones(1), torch.zeros(1)
    >>> shift = (one, zero, -2 * one, zero, one, zero)       # x' = x - 2: right by 2
    >>> affine_warp(x, shift, "nearest", "reflect", 0.0).flatten().tolist()
    [1.0, 0.0, 0.0, 1.0]
    >>> affine_warp(x, shift, "nearest", "wrap", 0.0).flatten().tolist()
    [2.0, 3.0, 0.0, 1.0]
    >>> affine_warp(x, shift, "nearest", "constant", 9.0).flatten().tolist()
    [9.0, 9.0, 0.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

_PADDING = {"reflect": "reflection", "nearest": "border", "constant": "zeros"}
_RESIZE_MODES = {
    "bilinear": "bilinear",
    "nearest": "nearest-exact",  # TF's half-pixel nearest, as Keras' torch backend
    "bicubic": "bicubic",
    "area": "area",
}


def _normalized_theta(
    params: Sequence[torch.Tensor], height: int, width: int
) -> torch.Tensor:
    """Pixel-space matrices → ``affine_grid``'s normalised ``(B, 2, 3)`` thetas.

    With ``align_corners=False`` a pixel coordinate is ``x = sx*u + ox`` with
    ``sx = W/2``, ``ox = (W-1)/2`` (the same for rows), so the normalised map is
    ``u' = (x' - ox)/sx`` with ``x'`` the pixel map applied to ``(sx*u+ox, sy*v+oy)``.
    """
    a0, a1, a2, b0, b1, b2 = params
    sx, ox = width / 2, (width - 1) / 2
    sy, oy = height / 2, (height - 1) / 2
    row_u = [a0, a1 * (sy / sx), (a0 * ox + a1 * oy + a2 - ox) / sx]
    row_v = [b0 * (sx / sy), b1, (b0 * ox + b1 * oy + b2 - oy) / sy]
    return torch.stack([torch.stack(row_u, -1), torch.stack(row_v, -1)], 1)  # (B, 2, 3)


def affine_warp(
    images: torch.Tensor,
    params: Sequence[torch.Tensor],
    interpolation: str,
    fill_mode: str,
    fill_value: float,
) -> torch.Tensor:
    """Warp ``(B, C, H, W)`` images by per-sample ``params = (a0, a1, a2, b0, b1, b2)``
    (each of shape ``(B,)``); see the module docstring for the convention."""
    batch, channels, height, width = images.shape
    theta = _normalized_theta(params, height, width).to(images.dtype)
    grid = F.affine_grid(theta, [batch, channels, height, width], align_corners=False)
    padding = _PADDING.get(fill_mode, "border")
    if fill_mode == "wrap":
        u, v = grid.unbind(-1)  # (B, H, W) each: normalised x and y
        x = torch.remainder(((u + 1) * width - 1) / 2, width)  # pixels in [0, W)
        y = torch.remainder(((v + 1) * height - 1) / 2, height)
        images = F.pad(images, (0, 1, 0, 1), mode="circular")  # (B, C, H+1, W+1)
        grid = torch.stack(
            ((2 * x + 1) / (width + 1) - 1, (2 * y + 1) / (height + 1) - 1), -1
        )  # (B, H, W, 2), normalised to the padded size
    out = F.grid_sample(
        images, grid, mode=interpolation, padding_mode=padding, align_corners=False
    )
    if fill_mode == "constant" and fill_value != 0:
        ones = images.new_ones(batch, 1, height, width)
        inside = F.grid_sample(
            ones, grid, mode=interpolation, padding_mode="zeros", align_corners=False
        )
        out = out + fill_value * (1 - inside)
    return out


def resize(
    images: torch.Tensor,
    height: int,
    width: int,
    interpolation: str = "bilinear",
    antialias: bool = False,
) -> torch.Tensor:
    """Resize ``(B, C, H, W)`` float images with half-pixel centres (TF/Keras)."""
    mode = _RESIZE_MODES[interpolation]
    smooth = mode in ("bilinear", "bicubic")
    return F.interpolate(
        images,
        size=(height, width),
        mode=mode,
        align_corners=False if smooth else None,
        antialias=antialias and smooth,
    )


def aspect_crop_box(
    height: int, width: int, target_height: int, target_width: int
) -> tuple[int, int, int, int]:
    """``(top, left, crop_height, crop_width)``: the largest centred window of the
    target aspect ratio (Keras' ``smart_resize`` arithmetic, int truncations kept)."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return top, left, crop_height, crop_width


def smart_resize(
    images: torch.Tensor, target_height: int, target_width: int
) -> torch.Tensor:
    """Crop ``(B, C, H, W)`` images to the target aspect ratio, then resize."""
    top, left, crop_height, crop_width = aspect_crop_box(
        images.shape[-2], images.shape[-1], target_height, target_width
    )
    images = images[..., top : top + crop_height, left : left + crop_width]
    if (crop_height, crop_width) == (target_height, target_width):
        return images  # the window already has the target size
    return resize(images, target_height, target_width)


def pad_to_aspect(
    images: torch.Tensor, target_height: int, target_width: int, fill_value: float
) -> torch.Tensor:
    """Pad ``(B, C, H, W)`` images with ``fill_value`` towards the target aspect ratio.

    As Keras does, both sides get ``int(missing / 2)`` rows (columns), so an odd
    shortfall leaves the result one row (column) short of the exact ratio.
    """
    height, width = images.shape[-2], images.shape[-1]
    padded_height = max(height, int(float(width * target_height) / target_width))
    padded_width = max(width, int(float(height * target_width) / target_height))
    top = int(float(padded_height - height) / 2)
    left = int(float(padded_width - width) / 2)
    if top == 0 and left == 0:
        return images
    return F.pad(images, (left, left, top, top), value=float(fill_value))
