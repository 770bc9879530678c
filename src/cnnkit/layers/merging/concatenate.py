"""``Concatenate``: join a list of tensors along one axis (``concatenate([a, b])``).

Every axis except the concatenation axis must match; a mismatch is reported while the
model is being defined, naming the axis, every input shape and a fix.

Example:
    >>> import torch
    >>> Concatenate()([torch.zeros(2, 4, 4, 3), torch.zeros(2, 4, 4, 5)]).shape
    torch.Size([2, 4, 4, 8])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.merging.base_merge import Merge, Shape, channel_axis
from cnnkit.utils.validation import shape_error

_RESIZE_BY_RANK = {
    3: "Cropping1D, ZeroPadding1D or MaxPooling1D",
    4: "Cropping2D, ZeroPadding2D or MaxPooling2D",
    5: "Cropping3D, ZeroPadding3D or MaxPooling3D",
}


class Concatenate(Merge):
    """Concatenates a list of tensors along ``axis``.

    Args:
        axis: The axis to join along (``-1``, the channels of channels_last images,
            by default). Every other axis must have the same size in all inputs.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        A list of tensors of the same rank that agree on every axis but ``axis``.

    Output shape:
        The common shape with ``axis`` equal to the sum of the inputs' sizes.

    Example:
        >>> import cnnkit
        >>> a, b = cnnkit.Input((10, 3)), cnnkit.Input((4, 3))
        >>> Concatenate(axis=1)([a, b]).shape
        (None, 14, 3)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise InvalidTypeError(f"`axis` must be an int; received axis={axis!r}.")
        self.axis = axis

    def _concat_shape(self, input_shape: Any) -> Shape:
        shapes = self._check_list(input_shape)
        ranks = sorted({len(s) for s in shapes})
        if len(ranks) > 1:
            raise shape_error(
                self,
                shapes,
                f"all inputs must have the same rank, but they have ranks {ranks}",
                "Reshape or Flatten the inputs so they have the same number of axes.",
                {"axis": self.axis},
            )
        rank = ranks[0]
        if not -rank <= self.axis < rank:
            raise shape_error(
                self,
                shapes,
                f"axis={self.axis} is out of range for inputs of rank {rank} "
                f"(valid axes: {-rank}..{rank - 1})",
                "Pick an existing axis; -1 joins along the channels of channels_last "
                "images.",
            )
        concat_axis = self.axis % rank
        for axis in range(rank):
            sizes = [s[axis] for s in shapes]
            if axis != concat_axis and len({d for d in sizes if d is not None}) > 1:
                raise shape_error(
                    self,
                    shapes,
                    "every axis except the concatenation axis "
                    f"{concat_axis} must have the same size in all inputs, but axis "
                    f"{axis} differs: {' vs '.join(str(d) for d in sizes)}",
                    self._fix(axis, rank),
                    {"axis": self.axis},
                )
        out = list(shapes[0])
        for axis in range(rank):
            known = [s[axis] for s in shapes if s[axis] is not None]
            out[axis] = known[0] if known else None
        parts = [s[concat_axis] for s in shapes]
        out[concat_axis] = None if None in parts else sum(parts)  # type: ignore[arg-type]
        return tuple(out)

    def _fix(self, axis: int, rank: int) -> str:
        if axis == channel_axis(rank) and rank >= 3:
            return (
                f"Axis {axis} holds the channels: to stack channels use the default "
                "axis=-1; otherwise make the channel counts equal (e.g. with a 1x1 "
                "convolution) or concatenate along another axis."
            )
        if rank >= 3:
            resize = _RESIZE_BY_RANK.get(rank, "cropping, padding or pooling")
            return (
                f"Axis {axis} is a spatial axis: make the branches the same size "
                "before concatenating — use padding='same' and equal strides in both "
                f"branches, or crop/pad/pool one branch ({resize}) — or concatenate "
                "along a different `axis`."
            )
        return "Make the inputs the same size on that axis, or concatenate along it."

    def build(self, input_shape: Any) -> None:
        self._concat_shape(input_shape)

    def compute_output_shape(self, input_shape: Any) -> Shape:
        return self._concat_shape(input_shape)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """As Keras: the inputs' masks (all-True for an input without one, each
        widened to its input's shape) concatenated, then any() over the last axis."""
        if not isinstance(previous_mask, list | tuple) or not previous_mask:
            return None
        if all(m is None for m in previous_mask):
            return None
        full = []
        for tensor, mask in zip(inputs, previous_mask):
            if mask is None:
                full.append(torch.ones_like(tensor, dtype=torch.bool))
                continue
            mask = torch.as_tensor(mask, device=tensor.device).bool()
            if mask.dim() < tensor.dim():
                mask = mask.unsqueeze(-1).expand(tensor.shape)  # (B, T) -> (B, T, C)
            full.append(mask)
        return torch.cat(full, dim=self.axis).any(dim=-1)

    def call(self, inputs: Sequence[torch.Tensor] | torch.Tensor) -> torch.Tensor:
        if isinstance(inputs, torch.Tensor):
            self._check_list(tuple(inputs.shape))
        try:
            return self._merge_function(list(inputs))
        except (RuntimeError, IndexError):
            self._concat_shape([tuple(t.shape) for t in inputs])
            raise

    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(inputs, dim=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of :class:`Concatenate`: ``concatenate([x1, x2], axis=-1)``.

    Args:
        inputs: A list of tensors (real or symbolic).
        axis: The axis to join along.
        **kwargs: Base layer arguments (``name``, ...).

    Returns:
        The concatenation of the inputs along ``axis``.

    Raises:
        IncompatibleShapeError: If the inputs differ on another axis.

    Example:
        >>> import torch
        >>> concatenate([torch.zeros(2, 3), torch.ones(2, 1)]).shape
        torch.Size([2, 4])
    """
    if not isinstance(inputs, list | tuple):
        raise InvalidArgumentError(
            "`concatenate` takes a list of tensors, e.g. `concatenate([x1, x2])`; "
            f"received {type(inputs).__name__}."
        )
    return Concatenate(axis=axis, **kwargs)(inputs)
