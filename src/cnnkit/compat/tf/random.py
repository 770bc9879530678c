"""``tf.random``: draws from torch's generator, seeded the way TensorFlow is.

TensorFlow's rules kept here:

- ``set_seed(s)`` makes every later draw repeatable (it seeds torch's global
  generator; numpy's and Python's are left alone, as in TF).
- An op-level ``seed=`` gives that seed its own stream: calling
  ``tf.random.uniform([2], seed=1)`` twice gives two different draws, but the same
  two in every run, as in TF's eager mode. ``set_seed`` restarts those streams.
- ``uniform`` draws from ``[minval, maxval)``; ``maxval`` defaults to 1 for floats
  and is required for integers.
- ``stateless_*``, ``split``, ``fold_in`` and ``Generator`` are in
  ``random_stateless``: repeatable per seed, but not TF's numbers.

Example:
    >>> set_seed(1)
    >>> a = uniform([2], seed=5)
    >>> set_seed(1)
    >>> bool((uniform([2], seed=5) == a).all())
    True
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.compat.tf import random_experimental as experimental
from cnnkit.compat.tf._common import as_torch_dtype, module_getattr, shape_of, to_tensor
from cnnkit.compat.tf.random_stateless import (
    Generator,
    fold_in,
    get_global_generator,
    normal_from,
    set_global_generator,
    split,
    stateless_categorical,
    stateless_normal,
    stateless_truncated_normal,
    stateless_uniform,
    truncated_from,
)
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

__all__ = [
    "Generator", "categorical", "experimental", "fold_in", "get_global_generator",
    "normal", "set_global_generator", "set_seed", "shuffle", "split",
    "stateless_categorical", "stateless_normal", "stateless_truncated_normal",
    "stateless_uniform", "truncated_normal", "uniform",
]  # fmt: skip

_global_seed: int | None = None
# Op-level seed → its own generator (see the module docstring).
_streams: dict[int, torch.Generator] = {}


def set_seed(seed: int) -> None:
    """``tf.random.set_seed``: seeds torch's global generator.

    TensorFlow seeds only its own generator, never numpy's or Python's; torch is the
    engine here, so its generator is the one (weights, shuffling, dropout draw from it).

    Raises:
        InvalidTypeError: ``seed`` is not an int.
    """
    global _global_seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidTypeError(
            f"tf.random.set_seed: `seed` must be an int; received seed={seed!r} of "
            f"type {type(seed).__name__}."
        )
    # torch refuses negative seeds; TensorFlow takes any int64, so wrap like numpy.
    _global_seed = seed % 2**63
    torch.manual_seed(_global_seed)
    _streams.clear()


def generator(seed: Any) -> torch.Generator | None:
    """The generator for an op-level ``seed`` (None: torch's global one)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidTypeError(
            f"tf.random: `seed` must be an int or None; received seed={seed!r}."
        )
    stream = _streams.get(seed)
    if stream is None:
        stream = torch.Generator()
        stream.manual_seed((seed * 1_000_003 + (_global_seed or 0)) % 2**63)
        _streams[seed] = stream
    return stream


def uniform(
    shape: Any, minval: Any = 0, maxval: Any = None, dtype: Any = torch.float32,
    seed: int | None = None, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Values drawn evenly from ``[minval, maxval)``.

    Raises:
        InvalidArgumentError: An integer ``dtype`` without ``maxval``.
    """
    size = shape_of(shape)
    target = as_torch_dtype(dtype)
    stream = generator(seed)
    if not target.is_floating_point:
        if maxval is None:
            raise InvalidArgumentError(
                f"tf.random.uniform: `maxval` is required for an integer dtype "
                f"({str(target).removeprefix('torch.')}); e.g. "
                "tf.random.uniform([3], minval=0, maxval=10, dtype=tf.int32)."
            )
        low, high = int(minval), int(maxval)
        return torch.randint(low, high, size, generator=stream, dtype=target)
    low_t = to_tensor(minval).to(target)
    high_t = to_tensor(1.0 if maxval is None else maxval).to(target)
    unit = torch.rand(size, generator=stream, dtype=target)
    return low_t + unit * (high_t - low_t)


def normal(
    shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = torch.float32,
    seed: int | None = None, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    return normal_from(generator(seed), shape, mean, stddev, dtype)


def truncated_normal(
    shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = torch.float32,
    seed: int | None = None, name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Normal draws, each redrawn until it lies within two standard deviations."""
    return truncated_from(generator(seed), shape, mean, stddev, dtype)


def shuffle(
    value: Any, seed: int | None = None, name: str | None = None
) -> torch.Tensor:
    """The rows (first axis) of ``value`` in a random order."""
    t = to_tensor(value, name="value")
    order = torch.randperm(t.shape[0], generator=generator(seed)).to(t.device)
    return t[order]


def categorical(
    logits: Any, num_samples: int, dtype: Any = torch.int64, seed: int | None = None,
    name: str | None = None,
) -> torch.Tensor:  # fmt: skip
    """Class ids drawn from ``(batch, classes)`` unnormalised log-probabilities."""
    z = to_tensor(logits, name="logits").float()
    probs = torch.softmax(z, dim=-1)
    picks = torch.multinomial(
        probs, num_samples, replacement=True, generator=generator(seed)
    )
    return picks.to(as_torch_dtype(dtype))


__getattr__ = module_getattr("tensorflow.random")
