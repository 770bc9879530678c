"""``Flatten``: ``(batch, ...)`` → ``(batch, prod(...))``, always in H, W, C order.

Example:
    >>> import torch
    >>> Flatten()(torch.zeros(2, 4, 4, 64)).shape
    torch.Size([2, 1024])
"""

from __future__ import annotations

import math
from typing import Any

import torch

from cnnkit._layout import Layout
from cnnkit.config import normalize_data_format
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer


class Flatten(Layer):
    """Flattens every axis but the batch.

    With ``data_format='channels_first'`` the channels are moved last first, so a
    following Dense sees the same (H, W, C) order as in a channels_last model (Keras).
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        # Only the channel axis moves, so one layout serves inputs of any rank.
        self._layout = Layout(self.data_format, 2)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        # Keras flattens in (H, W, C) order whatever the data_format; channels_last
        # inputs skip even the rank check (this runs on every batch).
        if not self._layout.channels_last and inputs.dim() > 2:
            inputs = self._layout.to_channels_last(inputs)  # (B, C, *S) -> (B, *S, C)
        # reshape, not view: channels_first data may be non-contiguous here.
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)  # type: ignore[arg-type]
        return (input_shape[0], size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "data_format": self.data_format}
