"""``AveragePooling1D/2D/3D``: the mean of each window.

With ``padding="same"`` the mean is over the real cells a window covers (padded cells
are not counted), as in TensorFlow/Keras.

Example:
    >>> import torch
    >>> x = torch.arange(5.0).reshape(1, 5, 1)                # (B, L, C)
    >>> AveragePooling1D(2, padding="same")(x).flatten()      # last window: [4] alone
    tensor([0.5000, 2.5000, 4.0000])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnnkit.layers.pooling.base_pooling import BasePooling, DataFormat, Padding


class AveragePooling1D(BasePooling):
    """Average pooling over the steps of a sequence.

    Args:
        pool_size: Window length (required: Keras 3 has no default).
        strides: Step between windows; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (padded cells are left out of the mean).
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
        >>> AveragePooling1D(pool_size=3, strides=1)(torch.zeros(2, 5, 4)).shape
        torch.Size([2, 3, 4])
    """

    def __init__(
        self,
        pool_size: int | Sequence[int],
        strides: int | Sequence[int] | None = None,
        padding: Padding = "valid",
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 1, "average", padding, data_format, **kwargs
        )


class AveragePooling2D(BasePooling):
    """Average pooling over the height and width of images.

    Args:
        pool_size: Window size, an int or ``(height, width)`` (required).
        strides: Step between windows; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (padded cells are left out of the mean;
            the extra padded row/column goes at the bottom/right).
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
        >>> AveragePooling2D(pool_size=2)(torch.ones(1, 4, 4, 1)).flatten().tolist()
        [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(
        self,
        pool_size: int | Sequence[int],
        strides: int | Sequence[int] | None = None,
        padding: Padding = "valid",
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 2, "average", padding, data_format, **kwargs
        )


class AveragePooling3D(BasePooling):
    """Average pooling over the depth, height and width of volumes.

    Args:
        pool_size: Window size, an int or ``(depth, height, width)`` (required).
        strides: Step between windows; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (padded cells are left out of the mean).
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
        >>> AveragePooling3D(pool_size=2)(torch.zeros(1, 4, 4, 4, 3)).shape
        torch.Size([1, 2, 2, 2, 3])
    """

    def __init__(
        self,
        pool_size: int | Sequence[int],
        strides: int | Sequence[int] | None = None,
        padding: Padding = "valid",
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            pool_size, strides, 3, "average", padding, data_format, **kwargs
        )
