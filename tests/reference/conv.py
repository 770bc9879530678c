"""Slow, obviously correct float64 NumPy references for convolution layers.

Everything works on channels_last arrays ``(B, *spatial, C)``; ``data_format``
transposes channels_first data in and out. Kernels are in Keras layouts.

- ``conv``: pad (TF 'same': ``total = max(0, (out - 1) * s + k_eff - n)``, the extra
  cell at the end; 'causal': ``d * (k - 1)`` at the start), then one output position
  at a time: ``y[o] = sum_j x[o * s + j * d] @ kernel[j]``, per group.
- ``conv_transpose``: TensorFlow's definition, written independently of cnnkit's crop
  rule: the adjoint (scatter) of a forward conv whose input has the TF output length
  ``deconv_output_length`` and whose leading padding is TF's forward padding for it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np


def _to_last(x: np.ndarray, data_format: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def _from_last(x: np.ndarray, data_format: str) -> np.ndarray:
    return np.moveaxis(x, -1, 1) if data_format == "channels_first" else x


def _pads(n: int, k: int, s: int, d: int, padding: str) -> tuple[int, int]:
    k_eff = d * (k - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return k_eff - 1, 0
    out = math.ceil(n / s)
    total = max(0, (out - 1) * s + k_eff - n)
    return total // 2, total - total // 2


def conv(
    x: np.ndarray,
    kernel: np.ndarray,
    strides: Sequence[int],
    padding: str,
    dilation_rate: Sequence[int],
    data_format: str = "channels_last",
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """Grouped N-D cross-correlation; ``kernel`` is ``(*k, C // groups, filters)``."""
    x = _to_last(x, data_format)
    kernel = np.asarray(kernel, dtype=np.float64)
    rank = kernel.ndim - 2
    ksize = kernel.shape[:rank]
    pads = [_pads(n, k, s, d, padding) for n, k, s, d in
            zip(x.shape[1:-1], ksize, strides, dilation_rate)]  # fmt: skip
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    outs = [
        (n + a + b - (d * (k - 1) + 1)) // s + 1
        for n, (a, b), k, s, d in zip(
            x.shape[1:-1], pads, ksize, strides, dilation_rate
        )
    ]
    cin_g, filters = kernel.shape[-2], kernel.shape[-1]
    groups = x.shape[-1] // cin_g
    fout_g = filters // groups
    y = np.zeros((x.shape[0], *outs, filters))
    for o in itertools.product(*[range(n) for n in outs]):
        for j in itertools.product(*[range(k) for k in ksize]):
            pos = tuple(
                oi * s + ji * d for oi, ji, s, d in zip(o, j, strides, dilation_rate)
            )
            pixel = xp[(slice(None), *pos)]  # (B, C)
            for g in range(groups):
                xs = pixel[:, g * cin_g : (g + 1) * cin_g]
                ws = kernel[(*j, slice(None), slice(g * fout_g, (g + 1) * fout_g))]
                y[(slice(None), *o, slice(g * fout_g, (g + 1) * fout_g))] += xs @ ws
    if bias is not None:
        y = y + bias
    return _from_last(y, data_format)


def depthwise_conv(
    x: np.ndarray,
    kernel: np.ndarray,
    strides: Sequence[int],
    padding: str,
    dilation_rate: Sequence[int],
    data_format: str = "channels_last",
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """``y[..., c * m + j] = conv(x[..., c], kernel[..., c, j])``; kernel ``(*k, C, m)``."""
    x = _to_last(x, data_format)
    kernel = np.asarray(kernel, dtype=np.float64)
    channels, mult = kernel.shape[-2:]
    outputs = []
    for c in range(channels):
        for j in range(mult):
            single = kernel[..., c : c + 1, j : j + 1]  # (*k, 1, 1)
            outputs.append(
                conv(x[..., c : c + 1], single, strides, padding, dilation_rate)
            )
    y = np.concatenate(outputs, axis=-1)
    if bias is not None:
        y = y + bias
    return _from_last(y, data_format)


def separable_conv(
    x: np.ndarray,
    depthwise_kernel: np.ndarray,
    pointwise_kernel: np.ndarray,
    strides: Sequence[int],
    padding: str,
    dilation_rate: Sequence[int],
    data_format: str = "channels_last",
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """Depthwise conv, then the 1x1 pointwise conv, then the bias."""
    hidden = depthwise_conv(_to_last(x, data_format), depthwise_kernel, strides, padding,
                            dilation_rate)  # fmt: skip
    rank = hidden.ndim - 2
    y = conv(hidden, pointwise_kernel, (1,) * rank, "valid", (1,) * rank)
    if bias is not None:
        y = y + bias
    return _from_last(y, data_format)


def deconv_output_length(
    n: int, k: int, padding: str, output_padding: int | None, s: int, d: int
) -> int:
    """TensorFlow's ``conv_utils.deconv_output_length``."""
    k_eff = d * (k - 1) + 1
    if output_padding is None:
        return n * s + max(k_eff - s, 0) if padding == "valid" else n * s
    pad = k_eff // 2 if padding == "same" else 0
    return (n - 1) * s + k_eff - 2 * pad + output_padding


def conv_transpose(
    x: np.ndarray,
    kernel: np.ndarray,
    strides: Sequence[int],
    padding: str,
    output_padding: Sequence[int] | None,
    dilation_rate: Sequence[int],
    data_format: str = "channels_last",
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """Transposed conv; ``kernel`` is ``(*k, filters, C)``.

    Each input pixel ``i`` adds ``kernel[j] @ x[i]`` at output position
    ``i * s + j * d - pad_before`` (dropped outside the output), where ``pad_before``
    is the leading padding of the forward conv this op is the gradient of.
    """
    x = _to_last(x, data_format)
    kernel = np.asarray(kernel, dtype=np.float64)
    rank = kernel.ndim - 2
    ksize = kernel.shape[:rank]
    extras = output_padding if output_padding is not None else (None,) * rank
    lengths, befores = [], []
    for n, k, s, d, op in zip(x.shape[1:-1], ksize, strides, dilation_rate, extras):
        length = deconv_output_length(n, k, padding, op, s, d)
        k_eff = d * (k - 1) + 1
        total = max(0, (n - 1) * s + k_eff - length) if padding == "same" else 0
        lengths.append(length)
        befores.append(total // 2)
    y = np.zeros((x.shape[0], *lengths, kernel.shape[-2]))
    for i in itertools.product(*[range(n) for n in x.shape[1:-1]]):
        pixel = x[(slice(None), *i)]  # (B, C)
        for j in itertools.product(*[range(k) for k in ksize]):
            pos = tuple(ii * s + jj * d - b for ii, jj, s, d, b in
                        zip(i, j, strides, dilation_rate, befores))  # fmt: skip
            if all(0 <= p < n for p, n in zip(pos, lengths)):
                y[(slice(None), *pos)] += pixel @ kernel[j].T  # (B, C) @ (C, filters)
    if bias is not None:
        y = y + bias
    return _from_last(y, data_format)
