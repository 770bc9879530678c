"""``keras.random`` for cnnkit: random draws on torch generators, with Keras' seeds.

Keras' rules kept here:

- ``seed=<int>`` is stateless: the same call with the same seed gives the same
  values every time (``normal((2,), seed=1)`` twice is one draw, twice).
- ``seed=SeedGenerator(...)`` gives a new, repeatable draw on each call: the
  generator holds a seed and a counter that every draw moves on.
- ``seed=None`` draws from torch's global generator, the one
  ``keras.utils.set_random_seed`` seeds (Keras uses its own global generator,
  seeded by the same call).

Draws are made on the CPU, so a seed gives the same values on every device.

Example:
    >>> a = normal((2, 3), seed=7)
    >>> bool((normal((2, 3), seed=7) == a).all())
    True
    >>> gen = SeedGenerator(seed=42)
    >>> bool((uniform((3,), seed=gen) == uniform((3,), seed=gen)).all())
    False
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import config
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.ops.core import convert_to_tensor

__all__ = [
    "SeedGenerator",
    "categorical",
    "dropout",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

# Mixes (seed, counter) into one 63-bit torch seed; any odd constant would do.
_MIX = 0x9E3779B97F4A7C15
_SEED_RANGE = 2**63


class SeedGenerator:
    """A seed that moves on with every draw: repeatable, but new each call.

    Args:
        seed: The starting seed (a non-negative int); None picks one from torch's
            global generator, so ``keras.utils.set_random_seed`` fixes it too.
        name: A name, kept for ``get_config``.

    Raises:
        InvalidArgumentError: ``seed`` is not an int.
    """

    def __init__(self, seed: int | None = None, name: str | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise InvalidArgumentError(
                f"SeedGenerator: `seed` must be an int or None; received seed={seed!r}."
            )
        self._initial_seed = seed
        self.name = name or "seed_generator"
        self._seed = int(torch.randint(1, 10**9, (1,)).item()) if seed is None else seed
        self._counter = 0

    def next(self) -> int:
        """The torch seed for one draw; moves the counter on."""
        value = ((self._seed * _MIX) + self._counter + 1) % _SEED_RANGE
        self._counter += 1
        return value

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)


def _generator(seed: Any) -> torch.Generator | None:
    """The generator for one draw (None: torch's global one)."""
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        value = seed.next()
    elif isinstance(seed, int) and not isinstance(seed, bool):
        value = (seed * _MIX) % _SEED_RANGE
    else:
        raise InvalidTypeError(
            "keras.random: `seed` must be an int, a keras.random.SeedGenerator or "
            f"None; received seed={seed!r} of type {type(seed).__name__}."
        )
    gen = torch.Generator()
    gen.manual_seed(value)
    return gen


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


def _float_dtype(dtype: Any) -> torch.dtype:
    name = str(dtype or config.floatx()).removeprefix("torch.")
    target = getattr(torch, name, None)
    if not isinstance(target, torch.dtype) or not target.is_floating_point:
        raise InvalidArgumentError(
            f"keras.random: `dtype` must be a float dtype such as 'float32'; "
            f"received dtype={dtype!r}."
        )
    return target


def normal(
    shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
    seed: Any = None,
) -> torch.Tensor:  # fmt: skip
    """Draws from a normal distribution of ``mean`` and ``stddev``."""
    target = _float_dtype(dtype)
    draw = torch.randn(_shape(shape), generator=_generator(seed), dtype=target)
    return draw * stddev + mean


def uniform(
    shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None,
    seed: Any = None,
) -> torch.Tensor:  # fmt: skip
    """Draws spread evenly over ``[minval, maxval)``."""
    target = _float_dtype(dtype)
    draw = torch.rand(_shape(shape), generator=_generator(seed), dtype=target)
    return draw * (maxval - minval) + minval


def randint(
    shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None
) -> torch.Tensor:
    """Integers drawn evenly from ``[minval, maxval)``.

    Raises:
        InvalidArgumentError: ``maxval`` is not above ``minval``.
    """
    if int(maxval) <= int(minval):
        raise InvalidArgumentError(
            f"keras.random.randint: `maxval` must be above `minval`; received "
            f"minval={minval!r}, maxval={maxval!r}."
        )
    target = getattr(torch, str(dtype).removeprefix("torch."))
    return torch.randint(
        int(minval), int(maxval), _shape(shape), generator=_generator(seed)
    ).to(target)


def truncated_normal(
    shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
    seed: Any = None,
) -> torch.Tensor:  # fmt: skip
    """Normal draws, each redrawn until it lies within two standard deviations."""
    target = _float_dtype(dtype)
    gen = _generator(seed)
    draw = torch.randn(_shape(shape), generator=gen, dtype=target)
    outside = draw.abs() > 2
    while bool(outside.any()):
        draw[outside] = torch.randn(int(outside.sum()), generator=gen, dtype=target)
        outside = draw.abs() > 2
    return draw * stddev + mean


def dropout(
    inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None
) -> torch.Tensor:
    """``inputs`` with a ``rate`` share of entries zeroed, the rest scaled up.

    Raises:
        InvalidArgumentError: ``rate`` is not in ``[0, 1)``.
    """
    if not 0 <= rate < 1:
        raise InvalidArgumentError(
            f"keras.random.dropout: `rate` must be in [0, 1); received rate={rate!r}."
        )
    x = convert_to_tensor(inputs)
    shape = tuple(x.shape) if noise_shape is None else _shape(noise_shape)
    keep = torch.rand(shape, generator=_generator(seed)) >= rate
    return x * keep.to(x.device, x.dtype) / (1 - rate)


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> torch.Tensor:
    """``x`` with its slices along ``axis`` in a random order."""
    t = convert_to_tensor(x)
    order = torch.randperm(t.shape[axis], generator=_generator(seed)).to(t.device)
    return t.index_select(axis, order)


def categorical(
    logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None
) -> torch.Tensor:
    """``num_samples`` class ids per row of ``logits`` (unnormalised log-probs)."""
    t = convert_to_tensor(logits).float()
    probs = torch.softmax(t.cpu(), dim=-1)
    draw = torch.multinomial(
        probs, int(num_samples), replacement=True, generator=_generator(seed)
    )
    return draw.to(getattr(torch, str(dtype).removeprefix("torch.")))
