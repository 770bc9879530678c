"""Slow, obviously correct float64 NumPy references for the image preprocessing layers.

Images are channels_last ``(H, W, C)``. Pixel centres sit at integer coordinates for
the affine transform (Keras/TF convention) and at half-integers for resizing
(``half_pixel_centers``). Fill modes follow Keras' definitions, tap by tap:

- reflect: ``d c b a | a b c d | d c b a``
- wrap:    ``a b c d | a b c d | a b c d``
- nearest: ``a a a a | a b c d | d d d d``
- constant: ``k k k k | a b c d | k k k k``
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _fix_index(i: int, n: int, fill_mode: str) -> int | None:
    """Map a tap index onto the image, or None for a constant-filled tap."""
    if 0 <= i < n:
        return i
    if fill_mode == "constant":
        return None
    if fill_mode == "nearest":
        return min(max(i, 0), n - 1)
    if fill_mode == "wrap":
        return i % n
    # reflect: period 2n, the second half mirrored (edge pixel repeated).
    j = i % (2 * n)
    return j if j < n else 2 * n - 1 - j


def affine_transform(
    image: np.ndarray,
    params: Sequence[float],
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
) -> np.ndarray:
    """Output pixel (x, y) samples the input at (a0x+a1y+a2, b0x+b1y+b2)."""
    a0, a1, a2, b0, b1, b2 = params
    height, width, channels = image.shape
    image = image.astype(np.float64)
    out = np.zeros((height, width, channels))

    def tap(row: int, col: int) -> np.ndarray:
        r = _fix_index(row, height, fill_mode)
        c = _fix_index(col, width, fill_mode)
        if r is None or c is None:
            return np.full(channels, float(fill_value))
        return image[r, c]

    for y in range(height):
        for x in range(width):
            xs = a0 * x + a1 * y + a2
            ys = b0 * x + b1 * y + b2
            if interpolation == "nearest":
                out[y, x] = tap(int(np.round(ys)), int(np.round(xs)))
                continue
            x0, y0 = math.floor(xs), math.floor(ys)
            fx, fy = xs - x0, ys - y0
            out[y, x] = (
                (1 - fy) * (1 - fx) * tap(y0, x0)
                + (1 - fy) * fx * tap(y0, x0 + 1)
                + fy * (1 - fx) * tap(y0 + 1, x0)
                + fy * fx * tap(y0 + 1, x0 + 1)
            )
    return out


def rotation_params(angle: float, height: int, width: int) -> tuple[float, ...]:
    """Counter-clockwise rotation by ``angle`` radians about the image centre."""
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    return (cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)


def zoom_params(
    zoom_y: float, zoom_x: float, height: int, width: int
) -> tuple[float, ...]:
    cx, cy = (width - 1) / 2, (height - 1) / 2
    return (zoom_x, 0.0, cx * (1 - zoom_x), 0.0, zoom_y, cy * (1 - zoom_y))


def translation_params(dy: float, dx: float) -> tuple[float, ...]:
    return (1.0, 0.0, -dx, 0.0, 1.0, -dy)


def resize_bilinear(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """TF's ``resize_bilinear(half_pixel_centers=True)``, no antialiasing."""
    height, width, channels = image.shape
    image = image.astype(np.float64)
    out = np.zeros((out_h, out_w, channels))

    def source(i: int, n_in: int, n_out: int) -> tuple[int, int, float]:
        s = (i + 0.5) * n_in / n_out - 0.5
        lo = math.floor(s)
        frac = s - lo
        return min(max(lo, 0), n_in - 1), min(max(lo + 1, 0), n_in - 1), frac

    for y in range(out_h):
        y0, y1, fy = source(y, height, out_h)
        for x in range(out_w):
            x0, x1, fx = source(x, width, out_w)
            top = (1 - fx) * image[y0, x0] + fx * image[y0, x1]
            bottom = (1 - fx) * image[y1, x0] + fx * image[y1, x1]
            out[y, x] = (1 - fy) * top + fy * bottom
    return out


def resize_nearest(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Half-pixel nearest neighbour: source ``floor((i + 0.5) * n_in / n_out)``."""
    height, width, _ = image.shape
    rows = [
        min(math.floor((y + 0.5) * height / out_h), height - 1) for y in range(out_h)
    ]
    cols = [min(math.floor((x + 0.5) * width / out_w), width - 1) for x in range(out_w)]
    return image.astype(np.float64)[np.ix_(rows, cols)]


def contrast(
    image: np.ndarray, factor: float, value_range: Sequence[float]
) -> np.ndarray:
    """``(x - mean) * factor + mean`` per channel, clipped to ``value_range``."""
    image = image.astype(np.float64)
    mean = image.mean(axis=(0, 1), keepdims=True)
    return np.clip((image - mean) * factor + mean, value_range[0], value_range[1])
