"""``Cropping1D/2D/3D``: remove cells at the start and end of the spatial axes.

The result is a view of the input (no copy).

Example:
    >>> import torch
    >>> Cropping2D(((1, 0), (0, 2)))(torch.zeros(1, 5, 5, 3)).shape
    torch.Size([1, 4, 3, 3])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit._layout import Layout
from cnnkit.config import normalize_data_format
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.pooling.base_pooling import DataFormat
from cnnkit.layers.reshaping._amounts import Pairs, normalize_amounts, normalize_pair
from cnnkit.utils.validation import shape_error

Shape = tuple[int | None, ...]


class BaseCropping(Layer):
    """Crops ``rank`` spatial axes by ``(before, after)`` amounts.

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
        self._axes = Layout(self.data_format, len(pairs)).spatial_axes
        self.input_spec = InputSpec(ndim=len(pairs) + 2)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        out = list(input_shape)
        for axis, (before, after) in zip(self._axes, self._pairs):
            size = out[axis]
            if size is None:
                continue
            if before + after >= size:
                raise shape_error(
                    self,
                    tuple(input_shape),
                    f"cropping {before} + {after} cells from axis {axis} (size {size}) "
                    "would leave nothing — crops must total less than the size",
                    "Crop less, or crop earlier in the network where the input is "
                    "larger.",
                    {"cropping": self._config_value()},
                )
            out[axis] = size - before - after
        return tuple(out)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        # Shapes can change between calls; an over-crop would silently give an
        # empty tensor, so check (shapes only, no values).
        self.compute_output_shape(tuple(inputs.shape))
        for axis, (before, after) in zip(self._axes, self._pairs):
            inputs = inputs.narrow(axis, before, inputs.shape[axis] - before - after)
        return inputs

    def _config_value(self) -> Any:
        return self._pairs[0] if len(self._pairs) == 1 else self._pairs

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "cropping": self._config_value(),
            "data_format": self.data_format,
        }


class Cropping1D(BaseCropping):
    """Removes steps at the start and end of sequences.

    Args:
        cropping: An int (the same at both ends) or a pair ``(before, after)``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        ``(batch, steps, features)`` (Keras' Cropping1D has no ``data_format``).

    Output shape:
        ``(batch, steps - before - after, features)``.

    Example:
        >>> import torch
        >>> Cropping1D(cropping=(2, 1))(torch.zeros(2, 10, 3)).shape
        torch.Size([2, 7, 3])
    """

    def __init__(self, cropping: int | tuple[int, int] = (1, 1), **kwargs: Any) -> None:
        pair = normalize_pair(cropping, "cropping")
        super().__init__((pair,), "channels_last", **kwargs)
        self.cropping = pair

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["data_format"]
        return config


class Cropping2D(BaseCropping):
    """Removes rows and columns at the borders of images.

    Args:
        cropping: An int (the same on all four sides), a pair ``(h, w)`` (``h`` rows
            at top and bottom, ``w`` columns left and right), or two pairs
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, height, width, channels)``
        - channels_first: ``(batch, channels, height, width)``

    Output shape:
        The same, with ``height - top - bottom`` rows and ``width - left - right``
        columns.

    Example:
        >>> import torch
        >>> Cropping2D(cropping=2)(torch.zeros(1, 28, 28, 1)).shape
        torch.Size([1, 24, 24, 1])
    """

    def __init__(
        self,
        cropping: int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]] = (
            (0, 0),
            (0, 0),
        ),
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        pairs = normalize_amounts(cropping, 2, "cropping")
        super().__init__(pairs, data_format, **kwargs)
        self.cropping = pairs


class Cropping3D(BaseCropping):
    """Removes cells at the borders of volumes.

    Args:
        cropping: An int, a tuple of 3 ints (symmetric per axis), or 3 pairs
            ``((before_d, after_d), (before_h, after_h), (before_w, after_w))``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        - channels_last: ``(batch, depth, height, width, channels)``
        - channels_first: ``(batch, channels, depth, height, width)``

    Output shape:
        The same, with each spatial size reduced by its ``before + after``.

    Example:
        >>> import torch
        >>> Cropping3D(1)(torch.zeros(1, 4, 5, 6, 2)).shape
        torch.Size([1, 2, 3, 4, 2])
    """

    def __init__(
        self,
        cropping: Any = ((1, 1), (1, 1), (1, 1)),
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        pairs = normalize_amounts(cropping, 3, "cropping")
        super().__init__(pairs, data_format, **kwargs)
        self.cropping = pairs
