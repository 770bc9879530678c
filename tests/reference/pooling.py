"""Slow, obviously correct float64 NumPy references for pooling and resampling layers.

Everything works on channels_last arrays ``(B, *spatial, C)``; the ``data_format``
argument transposes channels_first data in and out. Padding follows TensorFlow's
'same' rule (KERAS_SPEC §1.3): ``total = max(0, (out - 1) * s + k - n)``, the extra
cell at the end. Padded cells never take part: a window's max is over the real cells
it covers, and its average divides by the number of real cells.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np


def _to_last(x: np.ndarray, data_format: str) -> np.ndarray:
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def _from_last(x: np.ndarray, data_format: str) -> np.ndarray:
    return np.moveaxis(x, -1, 1) if data_format == "channels_first" else x


def same_pad_before(n: int, k: int, s: int) -> int:
    out = math.ceil(n / s)
    total = max(0, (out - 1) * s + k - n)
    return total // 2


def output_length(n: int, k: int, s: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(n / s)
    return (n - k) // s + 1


def pool(
    x: np.ndarray,
    mode: str,
    pool_size: Sequence[int],
    strides: Sequence[int],
    padding: str,
    data_format: str = "channels_last",
) -> np.ndarray:
    """Max or average pooling, one window at a time, in float64."""
    x = _to_last(np.asarray(x, dtype=np.float64), data_format)
    spatial = x.shape[1:-1]
    outs = [
        output_length(n, k, s, padding) for n, k, s in zip(spatial, pool_size, strides)
    ]
    befores = [
        same_pad_before(n, k, s) if padding == "same" else 0
        for n, k, s in zip(spatial, pool_size, strides)
    ]
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for index in itertools.product(*[range(o) for o in outs]):
        window = []
        for o, k, s, before, n in zip(index, pool_size, strides, befores, spatial):
            start = o * s - before
            window.append(slice(max(start, 0), min(start + k, n)))
        cells = x[(slice(None), *window, slice(None))]
        cells = cells.reshape(x.shape[0], -1, x.shape[-1])  # (B, cells, C)
        reduced = cells.max(axis=1) if mode == "max" else cells.mean(axis=1)
        y[(slice(None), *index, slice(None))] = reduced
    return _from_last(y, data_format)


def global_pool(
    x: np.ndarray, mode: str, data_format: str = "channels_last", keepdims: bool = False
) -> np.ndarray:
    x = _to_last(np.asarray(x, dtype=np.float64), data_format)
    axes = tuple(range(1, x.ndim - 1))
    y = (
        x.max(axis=axes, keepdims=True)
        if mode == "max"
        else x.mean(axis=axes, keepdims=True)
    )
    if not keepdims:
        return y.reshape(x.shape[0], x.shape[-1])
    return _from_last(y, data_format)


def upsample_nearest(
    x: np.ndarray, size: Sequence[int], data_format: str = "channels_last"
) -> np.ndarray:
    y = _to_last(np.asarray(x, dtype=np.float64), data_format)
    for axis, factor in enumerate(size, start=1):
        y = np.repeat(y, factor, axis=axis)
    return _from_last(y, data_format)


def resize_bilinear(
    x: np.ndarray, size: Sequence[int], data_format: str = "channels_last"
) -> np.ndarray:
    """Bilinear upsampling by integer factors with half-pixel centres (TF2 / Keras).

    Output pixel ``i`` samples input coordinate ``(i + 0.5) / factor - 0.5``, clamped
    to the edge pixels.
    """
    x = _to_last(np.asarray(x, dtype=np.float64), data_format)
    batch, height, width, channels = x.shape
    out_h, out_w = height * size[0], width * size[1]
    y = np.zeros((batch, out_h, out_w, channels))

    def taps(i: int, n: int, factor: int) -> tuple[int, int, float]:
        coord = min(max((i + 0.5) / factor - 0.5, 0.0), n - 1.0)
        low = math.floor(coord)
        high = min(low + 1, n - 1)
        return low, high, coord - low

    for i in range(out_h):
        h0, h1, fh = taps(i, height, size[0])
        for j in range(out_w):
            w0, w1, fw = taps(j, width, size[1])
            top = (1 - fw) * x[:, h0, w0] + fw * x[:, h0, w1]
            bottom = (1 - fw) * x[:, h1, w0] + fw * x[:, h1, w1]
            y[:, i, j] = (1 - fh) * top + fh * bottom
    return _from_last(y, data_format)
