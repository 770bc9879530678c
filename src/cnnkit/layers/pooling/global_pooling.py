"""Global pooling: one max or mean per channel over every spatial position.

``GlobalAveragePooling2D`` is the usual replacement for ``Flatten`` before the
classifier of a CNN: it gives ``(batch, channels)`` whatever the image size.

Example:
    >>> import torch
    >>> GlobalAveragePooling2D()(torch.ones(2, 7, 7, 64)).shape
    torch.Size([2, 64])
    >>> GlobalMaxPooling2D(keepdims=True)(torch.ones(2, 7, 7, 64)).shape
    torch.Size([2, 1, 1, 64])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit._layout import Layout
from cnnkit.config import normalize_data_format
from cnnkit.errors import InvalidTypeError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.pooling.base_pooling import DataFormat

Shape = tuple[int | None, ...]


class BaseGlobalPooling(Layer):
    """Reduces every spatial axis of a ``rank``-D input with ``max`` or ``mean``.

    Args:
        rank: Number of spatial axes (1, 2 or 3).
        pool_mode: ``"max"`` or ``"average"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        keepdims: Keep the spatial axes with size 1 (``(batch, 1, 1, channels)``).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, *spatial, channels)``
        - channels_first: ``(batch, channels, *spatial)``

    Output shape:
        - ``keepdims=False``: ``(batch, channels)``
        - ``keepdims=True``: the input shape with every spatial size set to 1.
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    def __init__(
        self,
        rank: int,
        pool_mode: str,
        data_format: DataFormat = None,
        keepdims: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(keepdims, bool):
            raise InvalidTypeError(
                f"`keepdims` must be True or False; received keepdims={keepdims!r}."
            )
        self.rank = rank
        self.pool_mode = pool_mode
        self.data_format = normalize_data_format(data_format)
        self.keepdims = keepdims
        self._layout = Layout(self.data_format, rank)
        self._axes = self._layout.spatial_axes
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.pool_mode == "max":
            return torch.amax(inputs, dim=self._axes, keepdim=self.keepdims)
        return torch.mean(inputs, dim=self._axes, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        batch, _, channels = self._layout.split(input_shape)
        if not self.keepdims:
            return (batch, channels)
        return self._layout.join(batch, (1,) * self.rank, channels)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "data_format": self.data_format,
            "keepdims": self.keepdims,
        }

    def get_build_config(self) -> None:
        """No weights: Keras writes no ``build_config`` for global pooling layers."""
        return


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Largest value of each feature over all steps.

    Args:
        data_format: ``"channels_last"`` (``(batch, steps, features)``) or
            ``"channels_first"`` (``(batch, features, steps)``).
        keepdims: Keep the steps axis with size 1.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, steps, features)``
        - channels_first: ``(batch, features, steps)``

    Output shape:
        ``(batch, features)``, or with ``keepdims=True`` ``(batch, 1, features)``
        (channels_last) / ``(batch, features, 1)`` (channels_first).

    Example:
        >>> import torch
        >>> GlobalMaxPooling1D()(torch.tensor([[[1.0], [3.0], [2.0]]]))
        tensor([[3.]])
    """

    def __init__(
        self, data_format: DataFormat = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(1, "max", data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Largest value of each channel over all pixels.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``.
        keepdims: Keep height and width with size 1.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, height, width, channels)``
        - channels_first: ``(batch, channels, height, width)``

    Output shape:
        ``(batch, channels)``, or with ``keepdims=True`` ``(batch, 1, 1, channels)``
        (channels_last) / ``(batch, channels, 1, 1)`` (channels_first).

    Example:
        >>> import torch
        >>> GlobalMaxPooling2D(data_format="channels_first")(torch.zeros(2, 5, 4, 4)).shape
        torch.Size([2, 5])
    """

    def __init__(
        self, data_format: DataFormat = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(2, "max", data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Largest value of each channel over all voxels.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``.
        keepdims: Keep depth, height and width with size 1.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, depth, height, width, channels)``
        - channels_first: ``(batch, channels, depth, height, width)``

    Output shape:
        ``(batch, channels)``, or with ``keepdims=True`` ``(batch, 1, 1, 1, channels)``
        (channels_last) / ``(batch, channels, 1, 1, 1)`` (channels_first).

    Example:
        >>> import torch
        >>> GlobalMaxPooling3D()(torch.zeros(2, 3, 4, 5, 6)).shape
        torch.Size([2, 6])
    """

    def __init__(
        self, data_format: DataFormat = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(3, "max", data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean of each feature over all steps; an optional mask skips padded steps.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``.
        keepdims: Keep the steps axis with size 1.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Call arguments:
        inputs: The sequence batch.
        mask: Optional ``(batch, steps)`` booleans; ``False`` steps are left out of
            the mean (as in Keras).

    Input shape:
        - channels_last: ``(batch, steps, features)``
        - channels_first: ``(batch, features, steps)``

    Output shape:
        ``(batch, features)``, or with ``keepdims=True`` ``(batch, 1, features)``
        (channels_last) / ``(batch, features, 1)`` (channels_first).

    Example:
        >>> import torch
        >>> x = torch.tensor([[[1.0], [3.0], [8.0]]])
        >>> GlobalAveragePooling1D()(x, mask=torch.tensor([[True, True, False]]))
        tensor([[2.]])
    """

    def __init__(
        self, data_format: DataFormat = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(1, "average", data_format, keepdims, **kwargs)

    def call(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        if mask is None:
            return super().call(inputs)
        # The (B, steps) mask gets a size-1 feature axis where the inputs have theirs.
        feature_axis = self._layout.channel_axis
        weights = torch.as_tensor(mask, device=inputs.device).unsqueeze(feature_axis)
        weights = weights.to(inputs.dtype)  # (B, steps, 1) or (B, 1, steps)
        total = (inputs * weights).sum(dim=self._axes, keepdim=self.keepdims)
        return total / weights.sum(dim=self._axes, keepdim=self.keepdims)


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean of each channel over all pixels (the usual head of a modern CNN).

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``.
        keepdims: Keep height and width with size 1.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, height, width, channels)``
        - channels_first: ``(batch, channels, height, width)``

    Output shape:
        ``(batch, channels)``, or with ``keepdims=True`` ``(batch, 1, 1, channels)``
        (channels_last) / ``(batch, channels, 1, 1)`` (channels_first).

    Example:
        >>> import torch
        >>> GlobalAveragePooling2D()(torch.ones(2, 3, 3, 8)).shape
        torch.Size([2, 8])
    """

    def __init__(
        self, data_format: DataFormat = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(2, "average", data_format, keepdims, **kwargs)


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean of each channel over all voxels.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``.
        keepdims: Keep depth, height and width with size 1.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, depth, height, width, channels)``
        - channels_first: ``(batch, channels, depth, height, width)``

    Output shape:
        ``(batch, channels)``, or with ``keepdims=True`` ``(batch, 1, 1, 1, channels)``
        (channels_last) / ``(batch, channels, 1, 1, 1)`` (channels_first).

    Example:
        >>> import torch
        >>> GlobalAveragePooling3D(keepdims=True)(torch.ones(1, 2, 2, 2, 4)).shape
        torch.Size([1, 1, 1, 1, 4])
    """

    def __init__(
        self, data_format: DataFormat = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(3, "average", data_format, keepdims, **kwargs)
