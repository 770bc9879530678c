"""``keras.ops.image.resize`` on torch tensors, in the Keras layout.

Example:
    >>> import torch
    >>> from cnnkit.ops import image
    >>> image.resize(torch.zeros(2, 28, 28, 1), (14, 14)).shape
    torch.Size([2, 14, 14, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from cnnkit import config
from cnnkit._layout import layout_of
from cnnkit.errors import InvalidArgumentError
from cnnkit.ops.core import convert_to_tensor, float_or_keep

__all__ = ["extract_patches", "resize"]

# Keras resizes with half-pixel centres; for nearest that is torch's "nearest-exact".
_MODES = {"nearest": "nearest-exact", "bilinear": "bilinear", "bicubic": "bicubic"}


def resize(
    images: Any,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    data_format: str | None = None,
) -> torch.Tensor:
    """Resize ``(H, W, C)`` or ``(N, H, W, C)`` images (channels_first with
    ``data_format``) to ``size=(height, width)``, half-pixel centres as Keras."""
    if interpolation not in _MODES:
        raise InvalidArgumentError(
            f"resize: `interpolation` must be one of {sorted(_MODES)}; received "
            f"interpolation={interpolation!r}."
        )
    if len(tuple(size)) != 2:
        raise InvalidArgumentError(
            f"resize: `size` must be (height, width); received size={size!r}."
        )
    layout = layout_of(config.normalize_data_format(data_format), 2)
    x = float_or_keep(convert_to_tensor(images))
    if x.dim() not in (3, 4):
        raise InvalidArgumentError(
            "resize: `images` must be 3-D (height, width, channels) or 4-D (batch, "
            f"height, width, channels); received shape {tuple(x.shape)}."
        )
    single = x.dim() == 3
    if single:
        x = x.unsqueeze(0)
    x = layout.to_channels_first(x)  # (N, C, H, W)
    height, width = int(size[0]), int(size[1])
    if crop_to_aspect_ratio:
        x = _crop_to_aspect(x, height / width)
    mode = _MODES[interpolation]
    kwargs: dict[str, Any] = {} if mode == "nearest-exact" else {"align_corners": False}
    if antialias and mode != "nearest-exact":
        kwargs["antialias"] = True
    y = F.interpolate(x, size=(height, width), mode=mode, **kwargs)
    y = layout.from_channels_first(y)  # back to `data_format`
    return y[0] if single else y


def _crop_to_aspect(x: torch.Tensor, ratio: float) -> torch.Tensor:
    """Centre crop of ``(N, C, H, W)`` to height / width == ``ratio``."""
    h, w = x.shape[-2:]
    crop_h = min(h, round(w * ratio))
    crop_w = min(w, round(h / ratio))
    top, left = (h - crop_h) // 2, (w - crop_w) // 2
    return x[..., top : top + crop_h, left : left + crop_w]


def extract_patches(
    images: Any,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> torch.Tensor:
    """Cut images ``(N, H, W, C)`` (or volumes ``(N, D, H, W, C)``; unbatched too)
    into patches of ``size``, one patch per output position.

    Each patch is flattened in Keras' order, ``(row, column, channel)``, so the
    output is ``(N, rows, cols, ph * pw * C)`` (``(N, ph * pw * C, rows, cols)``
    for channels_first). ``strides`` default to ``size`` (patches that tile the
    image); ``padding="same"`` pads as Keras' convolutions (the extra pixel
    bottom/right).
    """
    rank = 3 if not isinstance(size, int) and len(tuple(size)) == 3 else 2
    sizes = _spatial_tuple(size, rank, "size")
    steps = sizes if not strides else _spatial_tuple(strides, rank, "strides")
    dilations = _spatial_tuple(dilation_rate, rank, "dilation_rate")
    if padding not in ("valid", "same"):
        raise InvalidArgumentError(
            "extract_patches: `padding` must be 'valid' or 'same'; received "
            f"padding={padding!r}."
        )
    layout = layout_of(config.normalize_data_format(data_format), rank)
    x = convert_to_tensor(images)
    if x.dim() not in (rank + 1, rank + 2):
        what = "(height, width, channels)" if rank == 2 else "(depth, height, width, C)"
        raise InvalidArgumentError(
            f"extract_patches: size={size!r} asks for {rank}-D patches, so `images` "
            f"must be {rank + 1}-D {what} or {rank + 2}-D with a batch axis first; "
            f"received shape {tuple(x.shape)}."
        )
    single = x.dim() == rank + 1
    if single:
        x = x.unsqueeze(0)
    x = layout.to_channels_first(x)  # (N, C, *spatial)
    if padding == "same":
        x = F.pad(x, _same_pads(tuple(x.shape[2:]), sizes, steps, dilations))
    for axis, (k, s, d) in enumerate(zip(sizes, steps, dilations)):
        # A window of the dilated extent, then every d-th element of it.
        x = x.unfold(2 + axis, (k - 1) * d + 1, s)[..., ::d]
    # x: (N, C, *out, *patch) -> (N, *out, *patch, C): Keras' element order.
    n = x.shape[0]
    out = tuple(x.shape[2 : 2 + rank])
    order = (0, *range(2, 2 + 2 * rank), 1)
    patches = x.permute(order).reshape(n, *out, -1)  # (N, *out, features)
    if not layout.channels_last:
        patches = patches.movedim(-1, 1)  # (N, features, *out)
    return patches[0] if single else patches


def _spatial_tuple(value: Any, rank: int, name: str) -> tuple[int, ...]:
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values
    ):
        raise InvalidArgumentError(
            f"extract_patches: `{name}` must be a positive int or a tuple of {rank} "
            f"positive ints; received {name}={value!r}."
        )
    return values


def _same_pads(
    spatial: tuple[int, ...],
    sizes: tuple[int, ...],
    steps: tuple[int, ...],
    dilations: tuple[int, ...],
) -> list[int]:
    """``F.pad`` amounts (last axis first) for Keras' 'same': out = ceil(in / s)."""
    pads: list[int] = []
    for n, k, s, d in zip(spatial, sizes, steps, dilations):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        pads = [total // 2, total - total // 2, *pads]
    return pads
