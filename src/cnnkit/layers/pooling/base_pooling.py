"""``BasePooling``: the N-D max/average pooling layer; rank subclasses only fix the rank.

Example:
    >>> import torch
    >>> from cnnkit.layers import MaxPooling2D
    >>> layer = MaxPooling2D(pool_size=3, strides=2, padding="same")
    >>> layer(torch.zeros(1, 7, 8, 16)).shape      # ceil(7 / 2), ceil(8 / 2)
    torch.Size([1, 4, 4, 16])
    >>> layer.get_config()["strides"]
    (2, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch

from cnnkit._kernels import pooling
from cnnkit._kernels.shapes import pool_output_shape
from cnnkit._layout import Layout
from cnnkit.config import normalize_data_format
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import normalize_padding, shape_error, to_tuple

Shape = tuple[int | None, ...]
Padding = Literal["valid", "same"]
DataFormat = Literal["channels_last", "channels_first"] | None


class BasePooling(Layer):
    """Max or average pooling over ``rank`` spatial axes (Keras' ``BasePooling``).

    Args:
        pool_size: Window size, an int or a tuple of ``rank`` ints.
        strides: Step between windows; ``None`` means ``pool_size``.
        rank: Number of spatial axes (1, 2 or 3).
        pool_mode: ``"max"`` or ``"average"``.
        padding: ``"valid"`` (windows stay inside the input) or ``"same"`` (output
            size ``ceil(n / stride)``; padded cells never win a max and are left out
            of an average, as in TensorFlow).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    def __init__(
        self,
        pool_size: int | Sequence[int],
        strides: int | Sequence[int] | None,
        rank: int,
        pool_mode: Literal["max", "average"] = "max",
        padding: Padding = "valid",
        data_format: DataFormat = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rank = rank
        self.pool_mode = pool_mode
        self.pool_size = to_tuple(pool_size, rank, "pool_size")
        self.strides = to_tuple(
            self.pool_size if strides is None else strides, rank, "strides"
        )
        self.padding = normalize_padding(padding, ("valid", "same"))
        self.data_format = normalize_data_format(data_format)
        self._layout = Layout(self.data_format, rank)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _too_small(self, input_shape: Sequence[int | None], output: Shape) -> Exception:
        return shape_error(
            self,
            tuple(input_shape),
            f"the output's spatial size would be {tuple(output)} — with padding="
            "'valid' every pooling window must fit inside the input",
            "Use padding='same', a smaller pool_size, or remove an earlier pooling "
            "or strided layer.",
            {
                "pool_size": self.pool_size,
                "strides": self.strides,
                "padding": self.padding,
            },
        )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        batch, spatial, channels = self._layout.split(input_shape)
        out = pool_output_shape(spatial, self.pool_size, self.strides, self.padding)
        if any(n is not None and n <= 0 for n in out):
            raise self._too_small(input_shape, out)
        return self._layout.join(batch, out, channels)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.padding == "valid":
            # The shape is checked at build time, but later calls may bring smaller
            # inputs (unknown sizes); catch them before torch's own error.
            _, spatial, _ = self._layout.split(inputs.shape)
            if any(n < k for n, k in zip(spatial, self.pool_size)):
                self.compute_output_shape(tuple(inputs.shape))
        return pooling.pool_in_layout(
            inputs, self.pool_mode, self.pool_size, self.strides, self.padding,
            self._layout,
        )  # fmt: skip

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }

    def get_build_config(self) -> None:
        """Pooling layers have no weights; Keras writes no ``build_config`` for them."""
        return
