"""Max and average pooling with Keras/TensorFlow semantics on torch kernels.

Keras' ``padding="same"`` pads ``total = max(0, (out - 1) * s + k - n)`` cells per
axis with the extra one at the *end*; max pooling never lets a padded cell win and
average pooling leaves padded cells out of the divisor. torch only pads symmetrically,
so each axis is mapped onto what torch can express, without copying the input:

* symmetric padding ``(p, p)``: torch ``padding=p``;
* ``(p, p + 1)`` with stride ``s >= 2``: torch ``padding=p`` with ``ceil_mode=True``,
  which adds the last, partial window (torch clips it to the input, so it holds no
  padded cell and its divisor counts only real cells);
* ``(p, p + 1)`` with stride 1 (even pool sizes): torch ``padding=p + 1`` on both sides,
  then the first output along that axis is dropped (a view), because the windows
  start one cell earlier than TensorFlow's.

``ceil_mode`` is harmless on the other axes: there the padded length minus the pool
size is a multiple of the stride, or torch drops a last window that would start past
the input. torch's ``count_include_pad=False`` then gives exactly TF's divisor.

Tensors stay in the Keras layout: channels_last input is viewed as channels-first (a
contiguous NHWC tensor viewed as NCHW *is* torch's channels_last memory format, which
the 1-D/2-D kernels and 3-D max pooling keep), so no activation is copied. 1-D pooling
runs as 2-D pooling over a ``(1, length)`` image so it gets the same treatment.

Example:
    >>> import torch
    >>> x = torch.arange(5.0).reshape(1, 5, 1)          # (B, L, C)
    >>> pool(x, "max", (2,), (2,), "same", "channels_last").flatten().tolist()
    [1.0, 3.0, 4.0]
    >>> pool(x, "average", (2,), (2,), "same", "channels_last").flatten().tolist()
    [0.5, 2.5, 4.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F

from cnnkit._kernels.shapes import same_padding
from cnnkit._layout import Layout, layout_of

PoolMode = Literal["max", "average"]


def torch_pool_arguments(
    spatial: Sequence[int],
    pool_size: Sequence[int],
    strides: Sequence[int],
    padding: str,
) -> tuple[tuple[int, ...], bool, tuple[int, ...]]:
    """Translate Keras padding to torch ``(padding, ceil_mode, trimmed_axes)``.

    ``trimmed_axes`` are the spatial axes (0-based) whose first output must be
    dropped (asymmetric 'same' padding with stride 1).

    Example:
        >>> torch_pool_arguments((28, 28), (2, 2), (2, 2), "valid")
        ((0, 0), False, ())
        >>> torch_pool_arguments((5, 6), (3, 3), (2, 2), "same")
        ((1, 0), True, ())
        >>> torch_pool_arguments((5,), (2,), (1,), "same")
        ((1,), False, (0,))
    """
    if padding != "same":
        return (0,) * len(spatial), False, ()
    pads: list[int] = []
    trimmed: list[int] = []
    ceil_mode = False
    for axis, (n, k, s) in enumerate(zip(spatial, pool_size, strides)):
        before, after = same_padding(n, k, s)
        if before == after:
            pads.append(before)
        elif s > 1:
            pads.append(before)
            ceil_mode = True
        else:
            pads.append(after)
            trimmed.append(axis)
    # In 'same' mode ceil_mode never adds a window on the other axes, so it is safe
    # to turn on globally (torch has one flag for all axes).
    return tuple(pads), ceil_mode, tuple(trimmed)


def pool(
    inputs: torch.Tensor,
    mode: PoolMode,
    pool_size: Sequence[int],
    strides: Sequence[int],
    padding: str,
    data_format: str,
) -> torch.Tensor:
    """Pool ``inputs`` (Keras layout) with Keras/TF 'valid'/'same' semantics.

    Args:
        inputs: ``(B, *spatial, C)`` for channels_last, ``(B, C, *spatial)`` otherwise.
        mode: ``"max"`` or ``"average"``.
        pool_size: Window size per spatial axis.
        strides: Step per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The pooled tensor, in the same layout as ``inputs``.
    """
    layout = layout_of(data_format, len(pool_size))
    return pool_in_layout(inputs, mode, pool_size, strides, padding, layout)


def pool_in_layout(
    inputs: torch.Tensor,
    mode: PoolMode,
    pool_size: Sequence[int],
    strides: Sequence[int],
    padding: str,
    layout: Layout,
) -> torch.Tensor:
    """:func:`pool` for a caller that holds the :class:`Layout` already (a layer).

    Example:
        >>> x = torch.arange(4.0).reshape(1, 1, 4)       # (B, C, L)
        >>> pool_in_layout(x, "max", (2,), (2,), "valid", Layout("channels_first", 1))
        tensor([[[1., 3.]]])
    """
    rank = layout.rank
    if rank == 1:
        # (B, L, C) -> (B, 1, L, C) or (B, C, L) -> (B, C, 1, L): both views.
        (steps_axis,) = layout.spatial_axes
        lifted = inputs.unsqueeze(steps_axis)
        image = layout_of(layout.data_format, 2)
        out = pool_in_layout(
            lifted, mode, (1, *pool_size), (1, *strides), padding, image
        )
        return out.squeeze(steps_axis)  # (B, L', C) or (B, C, L')
    x = layout.to_channels_first(inputs)  # (B, C, *spatial)
    pads, ceil_mode, trimmed = torch_pool_arguments(
        tuple(x.shape[2:]), pool_size, strides, padding
    )
    y = pool_channels_first(
        x, mode, tuple(pool_size), tuple(strides), pads, ceil_mode, trimmed
    )
    return layout.from_channels_first(y)  # back to the layout of `inputs`


def pool_channels_first(
    x: torch.Tensor,
    mode: PoolMode,
    pool_size: tuple[int, ...],
    strides: tuple[int, ...],
    pads: tuple[int, ...],
    ceil_mode: bool,
    trimmed: tuple[int, ...],
) -> torch.Tensor:
    """The torch pool of a 2-D/3-D channels-first ``x``, given the arguments of
    :func:`torch_pool_arguments` (computed once per input shape by a caller that
    pools many batches of one shape, such as ``predict``'s inference plan)."""
    if mode == "max":
        max_pool = torch.max_pool2d if len(pool_size) == 2 else torch.max_pool3d
        y = max_pool(x, pool_size, strides, pads, (1,) * len(pool_size), ceil_mode)
    else:
        avg_pool = F.avg_pool2d if len(pool_size) == 2 else F.avg_pool3d
        y = avg_pool(
            x, pool_size, strides, pads, ceil_mode=ceil_mode, count_include_pad=False
        )
    for axis in trimmed:
        y = y.narrow(axis + 2, 1, y.shape[axis + 2] - 1)
    return y
