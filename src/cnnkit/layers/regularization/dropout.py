"""``Dropout``: zero a random fraction ``rate`` of the inputs during training.

Inverted dropout, as in Keras: kept values are scaled by ``1 / (1 - rate)`` so the
expected sum is unchanged, and nothing happens at inference. The call default is
``training=False``: ``layer(x)`` is the identity; ``fit()``, ``model(x,
training=True)`` or ``layer(x, training=True)`` turn it on.

Example:
    >>> import torch
    >>> layer = Dropout(0.5, seed=1)
    >>> x = torch.ones(2, 4)
    >>> torch.equal(layer(x), x)                    # inference: identity
    True
    >>> sorted(layer(x, training=True).unique().tolist())
    [0.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.regularization._random import SeedStream, dropout
from cnnkit.utils.validation import check_rate, format_shape, shape_error

Shape = tuple[int | None, ...]


def _check_noise_shape(noise_shape: Any) -> tuple[int | None, ...] | None:
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str) or not isinstance(noise_shape, Iterable):
        raise InvalidArgumentError(
            "`noise_shape` must be a tuple of ints or None (None = the input's size "
            f"on that axis), e.g. (None, 1, 64); received noise_shape={noise_shape!r}."
        )
    shape = tuple(noise_shape)
    for dim in shape:
        if dim is not None and (
            isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0
        ):
            raise InvalidArgumentError(
                "`noise_shape` entries must be positive ints or None; received "
                f"noise_shape={noise_shape!r}."
            )
    return shape


class Dropout(Layer):
    """Randomly sets inputs to 0 with frequency ``rate`` (training only).

    Args:
        rate: Float in [0, 1], the fraction of inputs to drop. ``rate=1`` gives
            zeros.
        noise_shape: Shape of the binary mask, broadcast over the inputs; ``None``
            entries take the input's size. E.g. ``(None, 1, features)`` keeps the
            same mask for every timestep of ``(batch, timesteps, features)`` data.
        seed: Integer seed of the layer's own random stream (deterministic across
            runs); ``None`` uses torch's global RNG.

    Call arguments:
        inputs: A tensor of any rank.
        training: Whether to drop (``True``) or pass through (``False``, default).

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(
        self,
        rate: float,
        noise_shape: Iterable[int | None] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(rate, "rate")
        self.noise_shape = _check_noise_shape(noise_shape)
        self._random = SeedStream(seed)
        self.seed = seed

    def call(self, inputs: torch.Tensor, training: bool = False) -> torch.Tensor:
        if not training or self.rate == 0.0:
            return inputs
        return dropout(
            inputs,
            self.rate,
            self._noise_shape(inputs),
            self._random.generator(inputs.device),
        )

    def _noise_shape(self, inputs: torch.Tensor) -> tuple[int, ...] | None:
        if self.noise_shape is None:
            return None
        shape = tuple(inputs.shape)
        resolved = tuple(s if n is None else n for n, s in zip(self.noise_shape, shape))
        if len(self.noise_shape) != len(shape) or any(
            n not in (1, s) for n, s in zip(resolved, shape)
        ):
            raise shape_error(
                self, shape,
                f"the dropout mask of shape {format_shape(self.noise_shape)} must "
                "broadcast to the input (same rank; each entry None, 1 or the input's "
                "size)",
                "Use None for axes that follow the input and 1 for axes that share "
                "one draw.",
                {"noise_shape": self.noise_shape},
            )  # fmt: skip
        return resolved

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }
