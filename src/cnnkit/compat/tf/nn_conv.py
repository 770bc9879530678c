"""``tf.nn.conv2d``, ``tf.nn.max_pool2d`` and ``tf.nn.avg_pool2d`` on NHWC tensors.

TensorFlow's rules kept here: inputs are ``(batch, height, width, channels)`` and
filters ``(height, width, in_channels, out_channels)``; ``padding="SAME"`` pads
so that the output has ``ceil(size / stride)`` positions, the odd pixel going
after; ``avg_pool2d`` with ``"SAME"`` averages only the pixels inside the image.

Example:
    >>> import torch
    >>> x = torch.ones(1, 4, 4, 1)
    >>> tuple(conv2d(x, torch.ones(3, 3, 1, 2), strides=2, padding="SAME").shape)
    (1, 2, 2, 2)
    >>> avg_pool2d(x, 3, 1, "SAME")[0, 0, 0, 0].item()  # corners: 4 pixels, not 9
    1.0
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from cnnkit.compat.tf._common import to_tensor
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError

__all__ = ["avg_pool2d", "conv2d", "max_pool2d"]


def _pair(value: Any, name: str) -> tuple[int, int]:
    """``2``, ``[2, 2]`` or TF's four-entry ``[1, 2, 2, 1]`` → ``(2, 2)``.

    Raises:
        InvalidArgumentError: Any other form.
    """
    values = [int(v) for v in ([value] if isinstance(value, int) else value)]
    if len(values) == 1:
        return values[0], values[0]
    if len(values) == 2:
        return values[0], values[1]
    if len(values) == 4:
        return values[1], values[2]
    raise InvalidArgumentError(
        f"tf.nn: `{name}` must be an int, [rows, cols] or [1, rows, cols, 1]; "
        f"received {name}={value!r}."
    )


def _same(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    total = max(
        (math.ceil(size / stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0
    )
    return total // 2, total - total // 2


def _nchw(input: Any, padding: Any, kernel: tuple[int, int], stride: tuple[int, int],
          dilation: tuple[int, int], who: str, fill: float = 0.0) -> torch.Tensor:  # fmt: skip
    x = to_tensor(input, name="input")
    if x.dim() != 4:
        raise IncompatibleShapeError(
            f"tf.nn.{who}: `input` must be 4-D (batch, height, width, channels); "
            f"received shape {tuple(x.shape)}."
        )
    x = x if x.is_floating_point() else x.float()
    nchw = x.permute(0, 3, 1, 2)  # (B, C, H, W) for torch
    if padding == "VALID":
        return nchw
    if padding != "SAME":
        raise InvalidArgumentError(
            f"tf.nn.{who}: `padding` must be 'SAME' or 'VALID'; received "
            f"padding={padding!r}."
        )
    top, bottom = _same(nchw.shape[2], kernel[0], stride[0], dilation[0])
    left, right = _same(nchw.shape[3], kernel[1], stride[1], dilation[1])
    return F.pad(nchw, [left, right, top, bottom], value=fill)


def conv2d(
    input: Any, filters: Any, strides: Any, padding: Any, data_format: str = "NHWC",
    dilations: Any = None, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """2-D convolution (cross-correlation, as TF) of NHWC ``input`` with HWIO ``filters``.

    Raises:
        InvalidArgumentError: ``data_format`` is not "NHWC".
        IncompatibleShapeError: The filters' input channels differ from the input's.
    """
    if data_format != "NHWC":
        raise InvalidArgumentError(
            f"tf.nn.conv2d: cnnkit supports data_format='NHWC' only; received "
            f"data_format={data_format!r}."
        )
    w = to_tensor(filters, name="filters")
    stride, dilation = _pair(strides, "strides"), _pair(dilations or 1, "dilations")
    kernel = (int(w.shape[0]), int(w.shape[1]))
    x = _nchw(input, padding, kernel, stride, dilation, "conv2d")
    if w.dim() != 4 or w.shape[2] != x.shape[1]:
        raise IncompatibleShapeError(
            f"tf.nn.conv2d: `filters` must be (height, width, {x.shape[1]}, out) for "
            f"input with {x.shape[1]} channels; received shape {tuple(w.shape)}."
        )
    weight = w.permute(3, 2, 0, 1).to(x.device, x.dtype)  # (out, in, kh, kw)
    y = F.conv2d(x, weight, stride=stride, dilation=dilation)
    return y.permute(0, 2, 3, 1)  # back to NHWC


def max_pool2d(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    kernel, stride = _pair(ksize, "ksize"), _pair(strides, "strides")
    x = _nchw(input, padding, kernel, stride, (1, 1), "max_pool2d", fill=-math.inf)
    return F.max_pool2d(x, kernel, stride).permute(0, 2, 3, 1)


def avg_pool2d(
    input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    kernel, stride = _pair(ksize, "ksize"), _pair(strides, "strides")
    x = _nchw(input, padding, kernel, stride, (1, 1), "avg_pool2d")
    ones = _nchw(torch.ones(1, *to_tensor(input).shape[1:3], 1), padding, kernel, stride,
                 (1, 1), "avg_pool2d")  # fmt: skip
    # Sum over the window, divided by how many real (unpadded) pixels it covers.
    total = F.avg_pool2d(x, kernel, stride) * (kernel[0] * kernel[1])
    count = F.avg_pool2d(ones.to(x.device, x.dtype), kernel, stride) * (
        kernel[0] * kernel[1]
    )
    return (total / count).permute(0, 2, 3, 1)
