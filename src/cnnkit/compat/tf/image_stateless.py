"""``tf.image.stateless_random_*``: augmentations that depend on ``seed`` only
(flips and crops here; the colour ones, built on ``tf.image``'s adjust_*
functions, live in ``image`` and draw with ``stateless_value``).

The ``seed`` is a shape ``[2]`` integer tensor (``rng.make_seeds(1)[:, 0]`` or
``tf.random.split(seed)[0]``): the same seed gives the same flip, crop or
adjustment in every call and every run, as in TF (with cnnkit's own random
numbers: not TF's, see ``random_stateless``). Flips decide per image of a batch;
brightness, contrast, hue and saturation draw one value for the whole call, as TF.

Example:
    >>> import torch
    >>> images = torch.rand(4, 8, 8, 3)
    >>> a = stateless_random_flip_left_right(images, seed=[1, 2])
    >>> bool((a == stateless_random_flip_left_right(images, seed=[1, 2])).all())
    True
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.compat.tf._common import shape_of, to_tensor
from cnnkit.compat.tf.random_stateless import stateless_generator
from cnnkit.errors import IncompatibleShapeError

__all__ = [
    "stateless_random_crop", "stateless_random_flip_left_right",
    "stateless_random_flip_up_down", "stateless_value",
]  # fmt: skip


def stateless_value(seed: Any, who: str, low: float, high: float) -> float:
    """One value in ``[low, high)`` that depends on ``seed`` only (``who`` names
    the caller in a seed error)."""
    unit = torch.rand((), generator=stateless_generator(seed, f"tf.image.{who}"))
    return low + float(unit) * (high - low)


def _flip(image: Any, axis: int, seed: Any, who: str) -> torch.Tensor:
    t = to_tensor(image, name="image")
    if t.dim() not in (3, 4):
        raise IncompatibleShapeError(
            f"tf.image.{who}: `image` must be 3-D (height, width, channels) or 4-D "
            f"(batch, height, width, channels); received shape {tuple(t.shape)}."
        )
    batch = t.unsqueeze(0) if t.dim() == 3 else t
    draws = torch.rand(
        batch.shape[0], generator=stateless_generator(seed, f"tf.image.{who}")
    )
    flip = (draws < 0.5).to(batch.device).reshape(-1, 1, 1, 1)
    out = torch.where(flip, batch.flip(axis), batch)
    return out[0] if t.dim() == 3 else out


def stateless_random_flip_left_right(image: Any, seed: Any) -> torch.Tensor:
    """Each image mirrored left-right with probability 1/2, decided by ``seed``."""
    return _flip(image, 2, seed, "stateless_random_flip_left_right")


def stateless_random_flip_up_down(image: Any, seed: Any) -> torch.Tensor:
    """Each image flipped upside down with probability 1/2, decided by ``seed``."""
    return _flip(image, 1, seed, "stateless_random_flip_up_down")


def stateless_random_crop(
    value: Any, size: Any, seed: Any, name: str | None = None
) -> torch.Tensor:
    """A window of shape ``size`` (one entry per axis) at offsets from ``seed``.

    Raises:
        IncompatibleShapeError: ``size`` has the wrong length or exceeds ``value``.
    """
    t = to_tensor(value, name="value")
    target = shape_of(size, "size")
    if len(target) != t.dim() or any(s > d for s, d in zip(target, t.shape)):
        raise IncompatibleShapeError(
            "tf.image.stateless_random_crop: `size` must give one size per axis of "
            f"`value`, each at most that axis; received size={list(target)} for "
            f"shape {tuple(t.shape)}."
        )
    stream = stateless_generator(seed, "tf.image.stateless_random_crop")
    index = []
    for s, d in zip(target, t.shape):
        start = int(torch.randint(0, d - s + 1, (), generator=stream))
        index.append(slice(start, start + s))
    return t[tuple(index)]
