"""``tf.random``'s stateless draws and ``tf.random.Generator``.

A stateless op (``tf.random.stateless_uniform(shape, seed=[1, 2])``) gives the
same values for the same seed, every call and every run: the seed, a shape ``[2]``
integer tensor, picks a fresh torch generator. ``tf.random.split`` /
``fold_in`` derive new seeds from one. A ``Generator`` holds a torch generator
whose state advances with each draw (``from_seed`` makes it repeatable).

The values are *not* TensorFlow's (TF uses Philox/ThreeFry counters, cnnkit
torch's Mersenne Twister): a seed gives the same numbers every time under cnnkit,
but other numbers than under TensorFlow. ``alg`` is accepted and changes nothing.

Example:
    >>> a = stateless_uniform([3], seed=[1, 2])
    >>> bool((a == stateless_uniform([3], seed=[1, 2])).all())
    True
    >>> rng = Generator.from_seed(7)
    >>> tuple(rng.make_seeds(4).shape), tuple(rng.normal([2, 3]).shape)
    ((2, 4), (2, 3))
"""

from __future__ import annotations

import os
from typing import Any

import torch

from cnnkit.compat.tf._common import as_torch_dtype, shape_of, to_tensor
from cnnkit.errors import InvalidArgumentError

__all__ = [
    "Generator", "fold_in", "get_global_generator", "set_global_generator", "split",
    "stateless_categorical", "stateless_normal", "stateless_truncated_normal",
    "stateless_uniform",
]  # fmt: skip

_MASK64 = (1 << 64) - 1


def _mix(value: int) -> int:
    """SplitMix64's finaliser: nearby seeds ([1, 2], [1, 3]) give unrelated streams."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def seed_pair(seed: Any, who: str) -> tuple[int, int]:
    """A stateless ``seed`` as its two ints.

    Raises:
        InvalidArgumentError: ``seed`` is not a shape ``[2]`` integer tensor.
    """
    t = to_tensor(seed, name="seed")
    if tuple(t.shape) != (2,) or t.is_floating_point() or t.dtype == torch.bool:
        raise InvalidArgumentError(
            f"{who}: `seed` must be a shape [2] integer tensor, e.g. seed=[1, 2] or "
            "rng.make_seeds(1)[:, 0]; received shape "
            f"{list(t.shape)} of {str(t.dtype).removeprefix('torch.')}."
        )
    first, second = (int(v) for v in t.tolist())
    return first, second


def stateless_generator(seed: Any, who: str) -> torch.Generator:
    """A torch generator that depends on ``seed`` (shape [2]) only."""
    first, second = seed_pair(seed, who)
    stream = torch.Generator()
    stream.manual_seed(_mix(_mix(first & _MASK64) ^ (second & _MASK64)) >> 1)
    return stream


def uniform_from(
    stream: torch.Generator | None,
    shape: Any,
    minval: Any,
    maxval: Any,
    dtype: Any,
    who: str,
) -> torch.Tensor:
    """``[minval, maxval)`` draws (integers need ``maxval``)."""
    size = shape_of(shape)
    target = as_torch_dtype(dtype)
    if not target.is_floating_point:
        if maxval is None:
            raise InvalidArgumentError(
                f"{who}: `maxval` is required for an integer dtype "
                f"({str(target).removeprefix('torch.')}); e.g. minval=0, maxval=10."
            )
        return torch.randint(
            int(minval), int(maxval), size, generator=stream, dtype=target
        )
    low = to_tensor(minval).to(target)
    high = to_tensor(1.0 if maxval is None else maxval).to(target)
    return low + torch.rand(size, generator=stream, dtype=target) * (high - low)


def normal_from(
    stream: torch.Generator | None, shape: Any, mean: Any, stddev: Any, dtype: Any
) -> torch.Tensor:
    target = as_torch_dtype(dtype)
    draw = torch.randn(shape_of(shape), generator=stream, dtype=target)
    return to_tensor(mean).to(target) + draw * to_tensor(stddev).to(target)


def truncated_from(
    stream: torch.Generator | None, shape: Any, mean: Any, stddev: Any, dtype: Any
) -> torch.Tensor:
    """Normal draws, each redrawn until it lies within two standard deviations."""
    target = as_torch_dtype(dtype)
    draw = torch.randn(shape_of(shape), generator=stream, dtype=target)
    outside = draw.abs() > 2
    while bool(outside.any()):
        draw[outside] = torch.randn(int(outside.sum()), generator=stream, dtype=target)
        outside = draw.abs() > 2
    return to_tensor(mean).to(target) + draw * to_tensor(stddev).to(target)


def stateless_uniform(
    shape: Any, seed: Any, minval: Any = 0, maxval: Any = None,
    dtype: Any = torch.float32, name: str | None = None, alg: Any = "auto_select",
) -> torch.Tensor:  # fmt: skip
    """``[minval, maxval)`` draws that depend on ``seed`` (shape [2]) only.

    Raises:
        InvalidArgumentError: A bad ``seed``, or an integer dtype without ``maxval``.
    """
    who = "tf.random.stateless_uniform"
    stream = stateless_generator(seed, who)
    return uniform_from(stream, shape, minval, maxval, dtype, who)


def stateless_normal(
    shape: Any, seed: Any, mean: Any = 0.0, stddev: Any = 1.0,
    dtype: Any = torch.float32, name: str | None = None, alg: Any = "auto_select",
) -> torch.Tensor:  # fmt: skip
    """Normal draws that depend on ``seed`` (shape [2]) only."""
    stream = stateless_generator(seed, "tf.random.stateless_normal")
    return normal_from(stream, shape, mean, stddev, dtype)


def stateless_truncated_normal(
    shape: Any, seed: Any, mean: Any = 0.0, stddev: Any = 1.0,
    dtype: Any = torch.float32, name: str | None = None, alg: Any = "auto_select",
) -> torch.Tensor:  # fmt: skip
    """Truncated normal draws (within two stddevs) that depend on ``seed`` only."""
    stream = stateless_generator(seed, "tf.random.stateless_truncated_normal")
    return truncated_from(stream, shape, mean, stddev, dtype)


def stateless_categorical(
    logits: Any, num_samples: int, seed: Any, dtype: Any = torch.int64,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Class ids drawn from ``(batch, classes)`` logits; depends on ``seed`` only."""
    stream = stateless_generator(seed, "tf.random.stateless_categorical")
    probs = torch.softmax(to_tensor(logits, name="logits").float(), dim=-1)
    picks = torch.multinomial(probs, num_samples, replacement=True, generator=stream)
    return picks.to(as_torch_dtype(dtype))


def _seed_dtype(seed: Any) -> torch.dtype:
    t = to_tensor(seed, name="seed")
    return t.dtype if t.dtype in (torch.int32, torch.int64) else torch.int32


def split(seed: Any, num: Any = 2, alg: Any = "auto_select") -> torch.Tensor:
    """``num`` new seeds from ``seed``: a ``(num, 2)`` tensor of its dtype.

    Raises:
        InvalidArgumentError: A bad ``seed``, or ``num`` below 1.
    """
    count = int(num)
    if count < 1:
        raise InvalidArgumentError(
            f"tf.random.split: `num` must be a positive int; received num={num!r}."
        )
    stream = stateless_generator(seed, "tf.random.split")
    return _new_seeds(stream, (count, 2), _seed_dtype(seed))


def fold_in(seed: Any, data: Any, alg: Any = "auto_select") -> torch.Tensor:
    """A new seed from ``seed`` and an integer ``data`` (e.g. a step number)."""
    first, second = seed_pair(seed, "tf.random.fold_in")
    folded = [first, _mix((second & _MASK64) ^ _mix(int(data) & _MASK64)) >> 33]
    return torch.tensor(folded, dtype=_seed_dtype(seed))


def _new_seeds(
    stream: torch.Generator, shape: tuple[int, ...], dtype: torch.dtype
) -> torch.Tensor:
    low, high = (-(2**31), 2**31) if dtype == torch.int32 else (-(2**63), 2**63 - 1)
    return torch.randint(low, high, shape, generator=stream, dtype=torch.int64).to(
        dtype
    )


class Generator:
    """``tf.random.Generator``: a random stream with its own state.

    Make one with ``Generator.from_seed(seed)`` (repeatable) or
    ``Generator.from_non_deterministic_state()``; each draw advances its state.
    """

    def __init__(self, copy_from: Generator | None = None, alg: Any = None) -> None:
        self._torch = torch.Generator()
        if copy_from is not None:  # TF: a copy continues from the same state
            self._torch.set_state(copy_from._torch.get_state())
        else:
            self.reset_from_seed(int.from_bytes(os.urandom(8), "little"))

    @classmethod
    def from_seed(cls, seed: Any, alg: Any = None) -> Generator:
        """A generator whose draws are the same in every run for this ``seed``."""
        rng = cls()
        rng.reset_from_seed(seed)
        return rng

    @classmethod
    def from_non_deterministic_state(cls, alg: Any = None) -> Generator:
        """A generator seeded from the operating system's entropy."""
        return cls()

    def uniform(
        self, shape: Any, minval: Any = 0, maxval: Any = None,
        dtype: Any = torch.float32, name: str | None = None,
    ) -> torch.Tensor:  # fmt: skip
        """``[minval, maxval)`` draws (integers need ``maxval``).

        Raises:
            InvalidArgumentError: An integer dtype without ``maxval``.
        """
        return uniform_from(
            self._torch, shape, minval, maxval, dtype, "Generator.uniform"
        )

    def normal(
        self, shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
        dtype: Any = torch.float32, name: str | None = None,
    ) -> torch.Tensor:  # fmt: skip
        return normal_from(self._torch, shape, mean, stddev, dtype)

    def truncated_normal(
        self, shape: Any, mean: Any = 0.0, stddev: Any = 1.0,
        dtype: Any = torch.float32, name: str | None = None,
    ) -> torch.Tensor:  # fmt: skip
        return truncated_from(self._torch, shape, mean, stddev, dtype)

    def make_seeds(self, count: int = 1) -> torch.Tensor:
        """``count`` seeds for the stateless ops, as the columns of a ``(2, count)``
        int64 tensor (``rng.make_seeds(1)[:, 0]`` is one seed)."""
        return _new_seeds(self._torch, (2, int(count)), torch.int64)

    def split(self, count: int = 1) -> list[Generator]:
        """``count`` new generators, seeded from this one (which advances)."""
        seeds = torch.randint(0, 2**62, (int(count),), generator=self._torch)
        return [Generator.from_seed(int(seed)) for seed in seeds]

    def reset_from_seed(self, seed: Any) -> None:
        """Restart this generator's stream as ``Generator.from_seed(seed)``."""
        self._torch.manual_seed(_mix(int(seed) & _MASK64) >> 1)

    def __repr__(self) -> str:
        return "<tf.random.Generator (cnnkit: a torch generator)>"


_global: list[Generator] = []


def get_global_generator() -> Generator:
    """The generator ``tf.random`` users share (made on first use)."""
    if not _global:
        _global.append(Generator())
    return _global[0]


def set_global_generator(generator: Generator) -> None:
    """Replace the shared generator (e.g. by ``Generator.from_seed(1)``)."""
    _global[:] = [generator]
