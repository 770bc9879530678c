"""TensorFlow's buffer shuffle for ``Dataset.shuffle``, on indices or on elements.

With a buffer at least as large as the data it is a uniform permutation (drawn at
once); a smaller buffer lets an element move only about ``buffer_size`` places, as
in TF. Orders are drawn from a generator of their own: seeded by ``seed`` (and the
pass number when reshuffling), or from torch's global generator otherwise.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any

import torch

from cnnkit.compat.tf import random as tf_random

__all__ = ["ShuffleOrder"]


class ShuffleOrder:
    """TF's buffer shuffle, run on element indices (or on elements)."""

    def __init__(self, buffer_size: int, seed: int | None, reshuffle: bool) -> None:
        self.buffer_size = buffer_size
        self.seed = seed
        self.reshuffle = reshuffle
        self._fixed_seed: int | None = None
        self._passes = 0

    def _generator(self) -> torch.Generator:
        stream = torch.Generator()
        if self.seed is not None:
            passes = self._passes if self.reshuffle else 0
            stream.manual_seed(self.seed * 7919 + passes)
        else:
            if self._fixed_seed is None or self.reshuffle:
                self._fixed_seed = int(
                    torch.randint(0, 2**62, (1,), generator=tf_random.generator(None))
                )
            stream.manual_seed(self._fixed_seed)
        self._passes += 1
        return stream

    def indices(self, order: torch.Tensor) -> torch.Tensor:
        stream = self._generator()
        n = int(order.shape[0])
        if self.buffer_size >= n:
            return order[torch.randperm(n, generator=stream)]
        picks = self._buffer_picks(n, stream)
        return order[torch.tensor(picks, dtype=torch.long)]

    def elements(self, source: Iterator[Any]) -> Iterator[Any]:
        stream = self._generator()
        buffer: list[Any] = []
        for item in source:
            if len(buffer) < self.buffer_size:
                buffer.append(item)
                continue
            j = int(torch.randint(0, len(buffer), (1,), generator=stream))
            yield buffer[j]
            buffer[j] = item
        for j in torch.randperm(len(buffer), generator=stream).tolist():
            yield buffer[j]

    def _buffer_picks(self, n: int, stream: torch.Generator) -> list[int]:
        # Positions, not elements: cheap Python ints even for 60 000 rows.
        slots = torch.randint(0, 1 << 30, (n,), generator=stream).tolist()
        buffer = list(builtins.range(min(self.buffer_size, n)))
        out: list[int] = []
        for position in builtins.range(len(buffer), n):
            j = slots[position] % len(buffer)
            out.append(buffer[j])
            buffer[j] = position
        tail = torch.randperm(len(buffer), generator=stream).tolist()
        out.extend(buffer[j] for j in tail)
        return out
