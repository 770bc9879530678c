"""Occlusion: the drop of a class score when a window of the input is blanked.

The window slides over the spatial axes (all channels at once) from the origin in
steps of ``stride``, as many times as it takes to reach the end; a window that would
overhang the input is cut at its edge. Each input value gets the mean score drop of
the windows that covered it.
"""

from __future__ import annotations

import itertools
from typing import Any

import torch

from cnnkit._layout import layout_of
from cnnkit.explain import _classes, _options, _scores, _target, _tensors


def _positions(
    spatial: tuple[int, ...], window: tuple[int, ...], stride: tuple[int, ...]
) -> list[tuple[slice, ...]]:
    """The spatial slices of every window position."""
    # ceil((size - w) / stride) + 1 starts per axis: the last window reaches the end.
    starts = [
        range(0, size - w + step, step)
        for size, w, step in zip(spatial, window, stride)
    ]
    return [
        tuple(slice(s, min(s + w, size)) for s, w, size in zip(corner, window, spatial))
        for corner in itertools.product(*starts)
    ]


def occlusion(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    classes: torch.Tensor,
    options: dict[str, Any],
) -> torch.Tensor:
    rank = inputs.dim() - 2
    layout = layout_of(_target.input_format(model), rank)
    spatial = tuple(int(s) for s in layout.split(tuple(inputs.shape))[1])
    window, stride = _options.window_and_stride(options, spatial)
    positions = _positions(spatial, window, stride)
    batch, value = options["internal_batch_size"], float(options["baseline"])
    # Work channels first so a window is `[:, :, *slices]` whatever the layout.
    x = layout.to_channels_first(inputs)
    total = torch.zeros_like(x)
    covered = torch.zeros(spatial, dtype=x.dtype, device=x.device)
    for where in positions:
        covered[where] += 1
    with torch.no_grad():
        for sample in range(x.shape[0]):
            reference = _classes.selected(
                _scores.logits(model, inputs[sample : sample + 1]),
                classes[sample : sample + 1],
            )
            for rows in _tensors.chunks(len(positions), batch):
                chunk = positions[rows]
                copies = x[sample].expand(len(chunk), *x.shape[1:]).clone()
                for copy, where in zip(copies, chunk):
                    copy[(slice(None), *where)] = value
                scores = _scores.logits(model, layout.from_channels_first(copies))
                drops = reference - _classes.selected(
                    scores, classes[sample].expand(len(chunk))
                )
                for drop, where in zip(drops, chunk):
                    total[sample][(slice(None), *where)] += drop
    return layout.from_channels_first(total / covered)
