"""``MaxPooling1D/2D/3D``: the largest value of each window.

Example:
    >>> import torch
    >>> x = torch.arange(16.0).reshape(1, 4, 4, 1)          # (B, H, W, C)
    >>> MaxPooling2D()(x)[0, :, :, 0]
    tensor([[ 5.,  7.],
            [13., 15.]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnnkit.layers.pooling.base_pooling import BasePooling, DataFormat, Padding


class MaxPooling1D(BasePooling):
    """Max pooling over the steps of a sequence.

    Args:
        pool_size: Window length.
        strides: Step between windows; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (TensorFlow rule: output ``ceil(n / s)``,
            the extra padded cell at the end, padded cells never win).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, steps, features)``
        - channels_first: ``(batch, features, steps)``

    Output shape:
        - channels_last: ``(batch, pooled_steps, features)``
        - channels_first: ``(batch, features, pooled_steps)``

    Example:
        >>> import torch
        >>> MaxPooling1D(pool_size=2, padding="same")(torch.zeros(2, 5, 3)).shape
        torch.Size([2, 3, 3])
    """

    def __init__(
        self,
        pool_size: int | Sequence[int] = 2,
        strides: int | Sequence[int] | None = None,
        padding: Padding = "valid",
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, 1, "max", padding, data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """Max pooling over the height and width of images.

    Args:
        pool_size: Window size, an int or ``(height, width)``.
        strides: Step between windows; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (TensorFlow rule: output ``ceil(n / s)``,
            the extra padded row/column at the bottom/right, padded cells never win).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, height, width, channels)``
        - channels_first: ``(batch, channels, height, width)``

    Output shape:
        - channels_last: ``(batch, pooled_height, pooled_width, channels)``
        - channels_first: ``(batch, channels, pooled_height, pooled_width)``

    Example:
        >>> import torch
        >>> MaxPooling2D(pool_size=(2, 2))(torch.zeros(8, 28, 28, 32)).shape
        torch.Size([8, 14, 14, 32])
    """

    def __init__(
        self,
        pool_size: int | Sequence[int] = (2, 2),
        strides: int | Sequence[int] | None = None,
        padding: Padding = "valid",
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, 2, "max", padding, data_format, **kwargs)


class MaxPooling3D(BasePooling):
    """Max pooling over the depth, height and width of volumes.

    Args:
        pool_size: Window size, an int or ``(depth, height, width)``.
        strides: Step between windows; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (TensorFlow rule, see ``MaxPooling2D``).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, depth, height, width, channels)``
        - channels_first: ``(batch, channels, depth, height, width)``

    Output shape:
        - channels_last: ``(batch, pooled_depth, pooled_height, pooled_width, channels)``
        - channels_first: ``(batch, channels, pooled_depth, pooled_height, pooled_width)``

    Example:
        >>> import torch
        >>> MaxPooling3D()(torch.zeros(1, 4, 6, 8, 2)).shape
        torch.Size([1, 2, 3, 4, 2])
    """

    def __init__(
        self,
        pool_size: int | Sequence[int] = (2, 2, 2),
        strides: int | Sequence[int] | None = None,
        padding: Padding = "valid",
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, 3, "max", padding, data_format, **kwargs)
