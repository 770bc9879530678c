"""Receptive-field arithmetic: how each kind of layer maps the field of its input.

A ``Field`` describes one tensor of the network in *input pixels*, per spatial axis
of the model's input:

- ``rf``: the receptive field of one unit of the tensor, i.e. how many input pixels
  along that axis can change it (kept as a float: after an upsampling the step
  between units is a fraction of a pixel, and so is the growth a window adds);
- ``jump``: the distance, in input pixels, between two neighbouring units (the
  cumulative stride); ``None`` once the tensor has no spatial positions left
  (after ``Flatten`` or global pooling);
- ``sizes``: the tensor's own spatial sizes (needed when a layer sees the whole map).

The recurrences are the classic ones (Araujo, Norris & Sim, *Computing receptive
fields of convolutional neural networks*, Distill 2019), written here from them:
a window of ``k`` taps, dilation ``d`` and stride ``s`` gives
``rf + (d * (k - 1)) * jump`` and ``jump * s``. Padding moves the field but does
not change its size, so ``'valid'``, ``'same'`` and ``'causal'`` share the rule.
The field is not clipped to the input: near a border part of it lies on padding.

Example:
    >>> f = Field.of_input((28, 28))
    >>> f = window(f, kernel=(5, 5), strides=(1, 1), dilation=(1, 1), sizes=(24, 24))
    >>> f = window(f, kernel=(2, 2), strides=(2, 2), dilation=(1, 1), sizes=(12, 12))
    >>> f.rf, f.jump
    ((6.0, 6.0), (2.0, 2.0))
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Field",
    "collapse",
    "merge",
    "resample",
    "transpose_window",
    "window",
]


@dataclass(frozen=True)
class Field:
    """Receptive field, cumulative stride and spatial sizes of one tensor."""

    rf: tuple[float, ...]
    jump: tuple[float, ...] | None
    sizes: tuple[int, ...]
    #: spatial sizes of the model's input: a whole-map field never exceeds them
    extent: tuple[int, ...]

    @classmethod
    def of_input(cls, sizes: Sequence[int]) -> Field:
        """The field of the model's input: each pixel sees itself."""
        sizes = tuple(int(s) for s in sizes)
        return cls((1.0,) * len(sizes), (1.0,) * len(sizes), sizes, sizes)

    @property
    def receptive_field(self) -> tuple[int, ...]:
        """Whole pixels: a fractional field (after upsampling) is rounded up, the
        largest number of input pixels one unit can depend on."""
        return tuple(math.ceil(r - 1e-9) for r in self.rf)

    def with_sizes(self, sizes: Sequence[int]) -> Field:
        """The same field on a tensor of other spatial sizes (padding, cropping)."""
        if self.jump is None:
            return self
        return Field(self.rf, self.jump, tuple(sizes), self.extent)


def window(
    field: Field,
    kernel: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    sizes: Sequence[int],
) -> Field:
    """A sliding window (convolution, pooling): each output sees ``kernel`` taps."""
    if field.jump is None:
        return field  # one position left: a window cannot see further
    rf = tuple(
        r + d * (k - 1) * j
        for r, k, d, j in zip(field.rf, kernel, dilation, field.jump)
    )
    jump = tuple(j * s for j, s in zip(field.jump, strides))
    return Field(rf, jump, tuple(sizes), field.extent)


def transpose_window(
    field: Field,
    kernel: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    sizes: Sequence[int],
) -> Field:
    """A transposed convolution: upsamples by ``strides``, then each output unit
    sums the taps of the input units that scatter onto it.

    Output ``o`` receives tap ``t`` (a multiple of the dilation below
    ``d * (k - 1) + 1``) from input ``i`` when ``o = i * s + t - padding``. The
    inputs reaching one output are then at most ``span`` apart, where ``span`` is
    the largest ``(max t - min t) / s`` over the taps that share a residue
    modulo ``s``. The convention here: the field of a transposed convolution is
    that of its *widest* output unit (outputs of other parities see fewer inputs).
    """
    if field.jump is None:
        return field
    rf, jump = [], []
    for r, j, k, s, d in zip(field.rf, field.jump, kernel, strides, dilation):
        span = 0
        for residue in range(s):
            taps = [t for t in range(0, d * (k - 1) + 1, d) if t % s == residue]
            if taps:
                span = max(span, (max(taps) - min(taps)) // s)
        rf.append(r + span * j)
        jump.append(j / s)
    return Field(tuple(rf), tuple(jump), tuple(sizes), field.extent)


def resample(
    field: Field, factors: Sequence[float], taps: int, sizes: Sequence[int]
) -> Field:
    """Resampling by ``factors`` (output size / input size) with an interpolation
    that reads ``taps`` neighbouring input units (nearest 1, bilinear 2, bicubic 4).
    """
    if field.jump is None:
        return field
    rf = tuple(r + (taps - 1) * j for r, j in zip(field.rf, field.jump))
    jump = tuple(j / f for j, f in zip(field.jump, factors))
    return Field(rf, jump, tuple(sizes), field.extent)


def collapse(field: Field) -> Field:
    """The whole map at once (Flatten, global pooling, a Dense over positions).

    The result is the field of the map as a whole: the union of its units' fields,
    ``rf + (n - 1) * jump``, which here is clipped to the input's size (the union
    is what the next layer sees, and no layer sees beyond the input).
    """
    if field.jump is None:
        return field
    rf = tuple(
        float(min(r + (n - 1) * j, e))
        for r, n, j, e in zip(field.rf, field.sizes, field.jump, field.extent)
    )
    return Field(rf, None, (), field.extent)


def merge(fields: Sequence[Field], sizes: Sequence[int]) -> Field:
    """Several branches joined (Add, Concatenate, ...): the widest field wins, per
    axis; so does the largest jump (branches normally agree on it)."""
    rf = tuple(max(values) for values in zip(*(f.rf for f in fields)))
    jumps = [f.jump for f in fields if f.jump is not None]
    if len(jumps) < len(fields):
        return Field(rf, None, (), fields[0].extent)
    jump = tuple(max(values) for values in zip(*jumps))
    return Field(rf, jump, tuple(sizes), fields[0].extent)
