"""Random draws for the noise layers: a layer's own generator, or torch's global one.

A layer built with ``seed=`` draws from its own ``torch.Generator`` (one per device,
created on the device of the data), so its masks repeat exactly from run to run. A
layer without a seed draws from torch's global RNG, which ``torch.manual_seed`` (and
cnnkit's seed helpers) make reproducible for the whole program.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from cnnkit.errors import InvalidArgumentError


def check_seed(seed: Any) -> int | None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidArgumentError(
            f"`seed` must be an integer or None; received seed={seed!r}."
        )
    return seed


class SeedStream:
    """Hands out the generator to draw from on a device (``None``: global RNG)."""

    def __init__(self, seed: int | None) -> None:
        self.seed = check_seed(seed)
        self._generators: dict[torch.device, torch.Generator] = {}

    def generator(self, device: torch.device) -> torch.Generator | None:
        if self.seed is None:
            return None
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device)
            generator.manual_seed(self.seed)
            self._generators[device] = generator
        return generator


def dropout(
    inputs: torch.Tensor,
    rate: float,
    noise_shape: Sequence[int] | None,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Inverted dropout: drop with probability ``rate``, scale the rest by 1/(1-rate).

    ``noise_shape`` (broadcastable to ``inputs``) lets one draw cover several
    elements, e.g. ``(B, 1, 1, C)`` drops whole feature maps.
    """
    if rate >= 1.0:
        # Exact zeros (even for inf/nan inputs) that stay connected to the graph.
        return torch.where(
            torch.zeros((), dtype=torch.bool, device=inputs.device), inputs, 0.0
        )
    if noise_shape is None and generator is None:
        return F.dropout(inputs, rate, training=True)  # torch's fused kernel
    keep = 1.0 - rate
    shape = tuple(inputs.shape) if noise_shape is None else tuple(noise_shape)
    mask = torch.empty(shape, dtype=inputs.dtype, device=inputs.device)
    mask.bernoulli_(keep, generator=generator)
    return inputs * mask.div_(keep)
