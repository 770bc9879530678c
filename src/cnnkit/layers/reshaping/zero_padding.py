"""``ZeroPadding1D/2D/3D``: add rows/columns of zeros around the spatial axes.

Example:
    >>> import torch
    >>> ZeroPadding2D(padding=1)(torch.ones(1, 2, 2, 1))[0, :, :, 0]
    tensor([[0., 0., 0., 0.],
            [0., 1., 1., 0.],
            [0., 1., 1., 0.],
            [0., 0., 0., 0.]])
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cnnkit._layout import Layout
from cnnkit.config import normalize_data_format
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.pooling.base_pooling import DataFormat
from cnnkit.layers.reshaping._amounts import Pairs, normalize_amounts, normalize_pair

Shape = tuple[int | None, ...]


class BaseZeroPadding(Layer):
    """Pads ``rank`` spatial axes with zeros by ``(before, after)`` amounts.

    Args:
        pairs: One ``(before, after)`` pair per spatial axis, already normalised.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).
    """

    def __init__(
        self, pairs: Pairs, data_format: DataFormat = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self._pairs = pairs
        layout = Layout(self.data_format, len(pairs))
        self._axes = layout.spatial_axes
        # F.pad lists amounts from the last axis backwards, down to the first padded
        # one; a channel axis after the spatial ones gets (0, 0).
        amounts = dict(zip(self._axes, pairs))
        flat: list[int] = []
        for axis in range(layout.ndim - 1, self._axes[0] - 1, -1):
            flat += amounts.get(axis, (0, 0))
        self._torch_pad = tuple(flat)
        self.input_spec = InputSpec(ndim=len(pairs) + 2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.pad(inputs, self._torch_pad)  # same layout, larger spatial sizes

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        out = list(input_shape)
        for axis, (before, after) in zip(self._axes, self._pairs):
            if out[axis] is not None:
                out[axis] = out[axis] + before + after  # type: ignore[operator]
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        padding: Any = self._pairs[0] if len(self._pairs) == 1 else self._pairs
        return {
            **super().get_config(),
            "padding": padding,
            "data_format": self.data_format,
        }


class ZeroPadding1D(BaseZeroPadding):
    """Adds zeros at the start and end of the steps axis.

    Args:
        padding: An int (the same at both ends) or a pair ``(before, after)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, steps, features)``
        - channels_first: ``(batch, features, steps)``

    Output shape:
        The same, with ``steps + before + after`` steps.

    Example:
        >>> import torch
        >>> ZeroPadding1D((1, 2))(torch.zeros(2, 5, 3)).shape
        torch.Size([2, 8, 3])
    """

    def __init__(
        self,
        padding: int | tuple[int, int] = 1,
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        pair = normalize_pair(padding, "padding")
        super().__init__((pair,), data_format, **kwargs)
        self.padding = pair


class ZeroPadding2D(BaseZeroPadding):
    """Adds rows and columns of zeros around images.

    Args:
        padding: An int (the same on all four sides), a pair ``(h, w)`` (``h`` rows
            at top and bottom, ``w`` columns left and right), or two pairs
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, height, width, channels)``
        - channels_first: ``(batch, channels, height, width)``

    Output shape:
        The same, with ``height + top + bottom`` rows and ``width + left + right``
        columns.

    Example:
        >>> import torch
        >>> ZeroPadding2D(((0, 1), (2, 3)))(torch.zeros(1, 4, 4, 3)).shape
        torch.Size([1, 5, 9, 3])
    """

    def __init__(
        self,
        padding: int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]] = (
            1,
            1,
        ),
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        pairs = normalize_amounts(padding, 2, "padding")
        super().__init__(pairs, data_format, **kwargs)
        self.padding = pairs


class ZeroPadding3D(BaseZeroPadding):
    """Adds zeros around volumes.

    Args:
        padding: An int, a tuple of 3 ints (symmetric per axis), or 3 pairs
            ``((before_d, after_d), (before_h, after_h), (before_w, after_w))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, depth, height, width, channels)``
        - channels_first: ``(batch, channels, depth, height, width)``

    Output shape:
        The same, with each spatial size grown by its ``before + after``.

    Example:
        >>> import torch
        >>> ZeroPadding3D(1)(torch.zeros(1, 2, 3, 4, 5)).shape
        torch.Size([1, 4, 5, 6, 5])
    """

    def __init__(
        self,
        padding: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        pairs = normalize_amounts(padding, 3, "padding")
        super().__init__(pairs, data_format, **kwargs)
        self.padding = pairs
