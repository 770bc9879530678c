"""``SpatialDropout1D/2D/3D``: drop whole feature maps instead of single elements.

Neighbouring pixels of a feature map are strongly correlated, so ordinary dropout
barely regularises early conv layers; dropping entire channels does (Tompson et
al., 2014). Like ``Dropout``, active only with ``training=True``.

Example:
    >>> import torch
    >>> layer = SpatialDropout2D(0.5, seed=0)
    >>> y = layer(torch.ones(1, 3, 3, 8), training=True)   # (B, H, W, C)
    >>> [sorted(y[0, ..., c].unique().tolist()) in ([0.0], [2.0]) for c in range(8)]
    [True, True, True, True, True, True, True, True]
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit._layout import Layout
from cnnkit.config import normalize_data_format
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.regularization.dropout import Dropout


class _SpatialDropout(Dropout):
    """Shared N-D implementation; subclasses fix the spatial rank."""

    _rank: int = 0

    def __init__(
        self, rate: float, data_format: str | None = None, seed: int | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = normalize_data_format(data_format)
        self._layout = Layout(self.data_format, self._rank)
        self._ones = (1,) * self._rank
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _noise_shape(self, inputs: torch.Tensor) -> tuple[int, ...]:
        # One draw per (sample, channel), broadcast over the spatial axes:
        # (B, 1, ..., 1, C) or (B, C, 1, ..., 1).
        shape = inputs.shape
        return self._layout.join(shape[0], self._ones, shape[self._layout.channel_axis])

    def get_config(self) -> dict[str, Any]:
        # Keras writes exactly these keys for spatial dropout (dtype as a plain name).
        return {
            "rate": self.rate,
            "seed": self.seed,
            "name": self.name,
            "dtype": self.dtype,
            "data_format": self.data_format,
        }


class SpatialDropout1D(_SpatialDropout):
    """Drops whole 1-D feature maps (channels) with probability ``rate``.

    Args:
        rate: Float in [0, 1], the fraction of channels to drop.
        seed: Integer seed of the layer's own random stream; ``None`` uses torch's
            global RNG.

    Input shape:
        3-D ``(batch, steps, channels)``.

    Output shape:
        Same as the input.
    """

    _rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        # Keras' SpatialDropout1D has no data_format: always (batch, steps, channels).
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["data_format"]
        return config


class SpatialDropout2D(_SpatialDropout):
    """Drops whole 2-D feature maps (channels) with probability ``rate``.

    Args:
        rate: Float in [0, 1], the fraction of channels to drop.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses the
            global ``image_data_format()``.
        seed: Integer seed of the layer's own random stream; ``None`` uses torch's
            global RNG.

    Input shape:
        - channels_last: ``(batch, height, width, channels)``.
        - channels_first: ``(batch, channels, height, width)``.

    Output shape:
        Same as the input.
    """

    _rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole 3-D feature maps (channels) with probability ``rate``.

    Args:
        rate: Float in [0, 1], the fraction of channels to drop.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses the
            global ``image_data_format()``.
        seed: Integer seed of the layer's own random stream; ``None`` uses torch's
            global RNG.

    Input shape:
        - channels_last: ``(batch, dim1, dim2, dim3, channels)``.
        - channels_first: ``(batch, channels, dim1, dim2, dim3)``.

    Output shape:
        Same as the input.
    """

    _rank = 3
