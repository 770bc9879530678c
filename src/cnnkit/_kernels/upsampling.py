"""Nearest-neighbour upsampling by integer factors (``UpSampling1D/2D/3D``).

Keras repeats each cell ``factor`` times per spatial axis. The obvious torch spelling,
a broadcast view reshaped into one copy (:func:`repeat_spatial`), is exact but slow to
train through: its backward is a ``sum`` over two strided broadcast axes. torch's
``upsample_nearest`` kernels compute the same values, keep the channels_last memory
format, and have a dedicated backward. Measured side by side (1 thread, interleaved,
medians, forward + backward, channels_last, factor 2): (128, 7, 7, 32) 6.5× faster,
(128, 14, 14, 32) 6.9×, 3-D (8, 8, 8, 8, 32) 5.9×, 1-D (64, 256, 64) 1.1×.

Exactness: torch's ``"nearest"`` reads source ``floor(dst * (1 / f))`` with ``1 / f``
in floating point, exact when ``f`` is a power of two (the usual 2). Other factors use
``"nearest-exact"``, ``floor((dst + 0.5) / f)``: the half-cell offset keeps any
rounding of ``1 / f`` far from an integer, so both give exactly ``dst // f``.
Integer tensors (which those kernels do not take) keep the repeat.

Example:
    >>> import torch
    >>> from cnnkit._layout import Layout
    >>> x = torch.tensor([[[1.0], [2.0]]])                       # (B, L, C)
    >>> upsample_nearest(x, Layout("channels_last", 1), (3,)).flatten().tolist()
    [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from cnnkit._layout import Layout, layout_of


def repeat_spatial(
    inputs: torch.Tensor, axes: Sequence[int], factors: Sequence[int]
) -> torch.Tensor:
    """Repeat each cell ``factor`` times along ``axes`` with one copy (any dtype).

    Example:
        >>> repeat_spatial(torch.tensor([[1, 2]]), (1,), (3,))
        tensor([[1, 1, 1, 2, 2, 2]])
    """
    factor_of = dict(zip(axes, factors))
    view_shape: list[int] = []
    expanded: list[int] = []
    final: list[int] = []
    for axis, size in enumerate(inputs.shape):
        view_shape.append(size)
        expanded.append(size)
        if axis in factor_of:
            view_shape.append(1)  # a new axis right after each spatial axis...
            expanded.append(factor_of[axis])  # ...broadcast to the factor (a view)
            final.append(size * factor_of[axis])
        else:
            final.append(size)
    # (B, H, W, C) -> (B, H, 1, W, 1, C) -> (B, H, f0, W, f1, C) -> (B, H*f0, W*f1, C)
    return inputs.reshape(view_shape).expand(expanded).reshape(final)


def _power_of_two(factor: int) -> bool:
    return factor & (factor - 1) == 0


def upsample_nearest(
    inputs: torch.Tensor, layout: Layout, factors: Sequence[int]
) -> torch.Tensor:
    """Repeat each cell of ``inputs`` (in ``layout``) ``factors[i]`` times per axis."""
    if not inputs.is_floating_point():
        return repeat_spatial(inputs, layout.spatial_axes, factors)
    if layout.rank == 1:
        # (B, L, C) -> (B, 1, L, C) or (B, C, L) -> (B, C, 1, L): views, so the 2-D
        # kernel reads the channels_last memory as it is.
        (steps_axis,) = layout.spatial_axes
        lifted = upsample_nearest(
            inputs.unsqueeze(steps_axis), layout_of(layout.data_format, 2),
            (1, *factors),
        )  # fmt: skip
        return lifted.squeeze(steps_axis)
    mode = "nearest" if all(map(_power_of_two, factors)) else "nearest-exact"
    x = layout.to_channels_first(inputs)  # (B, C, *spatial), channels_last memory
    y = F.interpolate(x, scale_factor=tuple(float(f) for f in factors), mode=mode)
    return layout.from_channels_first(y)
