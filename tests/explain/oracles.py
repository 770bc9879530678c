"""Independent oracles for ``analyze``: measured FLOPs and measured receptive fields.

FLOPs: ``torch.utils.flop_counter.FlopCounterMode`` around a forward pass of one
sample. Receptive field: the gradient of one output unit with respect to the
input; the input pixels with a non-zero gradient are the field. Weights and
inputs are made positive so no path cancels out by accident; max-pooling routes
the gradient through one winner per window, so fields through it are the union
over several random inputs.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode


def measured_flops(model: Any, shape: tuple[int, ...], **kwargs: Any) -> int:
    x = torch.rand(shape)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x, **kwargs)
    return int(counter.get_total_flops())


def make_weights_positive(model: torch.nn.Module) -> None:
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=generator) * 0.9 + 0.1)


def _extent(mask: torch.Tensor, spatial: list[int]) -> tuple[int, ...]:
    extents = []
    for axis in spatial:
        others = [d for d in range(mask.dim()) if d != axis]
        hit = mask.any(dim=others) if others else mask
        where = torch.nonzero(hit).flatten()
        extents.append(int(where.max() - where.min() + 1) if len(where) else 0)
    return tuple(extents)


def measured_field(
    model: Any,
    shape: tuple[int, ...],
    channels_last: bool = True,
    draws: int = 1,
    units: int = 1,
    **kwargs: Any,
) -> tuple[int, ...]:
    """Receptive field of the output units at the centre of ``model``'s output.

    ``units`` > 1 measures each of the ``units`` consecutive units from the centre
    (along every axis at once) and keeps the widest (transposed convolutions:
    outputs of different parities see different numbers of inputs).
    """
    rank = len(shape) - 2
    spatial = list(range(1, rank + 1)) if channels_last else list(range(2, rank + 2))
    union: torch.Tensor | None = None
    widest: tuple[int, ...] = (0,) * rank
    for offset in range(units):
        union = None
        for draw in range(draws):
            generator = torch.Generator().manual_seed(draw)
            x = (torch.rand(shape, generator=generator) + 0.5).requires_grad_(True)
            out = model(x, **kwargs)
            sizes = out.shape[1:-1] if channels_last else out.shape[2:]
            centre = [s // 2 + offset if s // 2 + offset < s else s // 2 for s in sizes]
            index = (0, *centre, 0) if channels_last else (0, 0, *centre)
            (grad,) = torch.autograd.grad(out[index], x)
            mask = grad[0:1] != 0
            union = mask if union is None else union | mask
        assert union is not None
        widest = tuple(max(a, b) for a, b in zip(widest, _extent(union, spatial)))
    return widest
