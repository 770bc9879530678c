"""``Merge``: the base of the layers that combine a list of tensors elementwise.

Inputs must agree on every axis after the batch, except that a size of 1 broadcasts
and a lower-rank input gains axes of size 1 right after the batch axis (Keras' rule).
A mismatch is reported while the model is being defined, naming the layer, every
input shape, the axis that differs and a fix.

Example:
    >>> import torch
    >>> from cnnkit.layers import Add
    >>> Add()([torch.ones(2, 3), torch.ones(2, 3)])
    tensor([[2., 2., 2.],
            [2., 2., 2.]])
"""

from __future__ import annotations

import abc
import functools
from collections.abc import Sequence
from typing import Any

import torch

from cnnkit import config
from cnnkit._layout import layout_of
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import format_shape, shape_error

Shape = tuple[int | None, ...]

_CONV_BY_RANK = {3: "Conv1D", 4: "Conv2D", 5: "Conv3D"}
_RESIZE_BY_RANK = {
    3: "Cropping1D / ZeroPadding1D / MaxPooling1D",
    4: "Cropping2D / ZeroPadding2D / MaxPooling2D",
    5: "Cropping3D / ZeroPadding3D / MaxPooling3D",
}


def is_shape_list(input_shape: Any) -> bool:
    """True for a list/tuple of shapes (what a merge layer's build receives)."""
    return (
        isinstance(input_shape, list | tuple)
        and len(input_shape) > 0
        and all(isinstance(s, list | tuple) for s in input_shape)
    )


def channel_axis(rank: int) -> int:
    """Index of the channel/feature axis of a ``rank``-D tensor (global data format)."""
    if rank < 3:
        return rank - 1  # (batch, features): no data format applies
    return layout_of(config.image_data_format(), rank - 2).channel_axis % rank


def axis_fix(axis: int, rank: int, sizes: Sequence[int | None], what: str) -> str:
    """The concrete next step when inputs differ along ``axis`` (STYLE §4 'fix')."""
    known = [s for s in sizes if s is not None]
    if axis == channel_axis(rank):
        target = max(known)
        if rank == 2:
            return (
                f"Axis {axis} holds the features: give every input {target} features, "
                f"e.g. with `Dense({target})` on the smaller one."
            )
        conv = _CONV_BY_RANK.get(rank, "a 1x1 convolution")
        return (
            f"Axis {axis} holds the channels: project the input(s) with fewer "
            f"channels to {target} with a 1x1 convolution, e.g. "
            f"`{conv}({target}, kernel_size=1)(x)` (a 'projection shortcut', as in "
            f"ResNet), before the {what}."
        )
    resize = _RESIZE_BY_RANK.get(rank, "cropping, padding or pooling")
    return (
        f"Axis {axis} is a spatial axis: make the branches the same size before the "
        f"{what} — use padding='same' and equal strides in both branches' "
        f"convolutions, or resize one branch ({resize})."
    )


def _broadcast_pair(a: int | None, b: int | None) -> int | None:
    """Keras' rule for one axis: unknown wins, then 1 broadcasts."""
    if a is None or b is None:
        return None
    return b if a == 1 else a


def _align_rank(tensor: torch.Tensor, rank: int) -> torch.Tensor:
    """Keras aligns ranks by inserting size-1 axes right after the batch axis."""
    missing = rank - tensor.dim()
    if not missing:
        return tensor
    return tensor.reshape(
        tensor.shape[0], *(1,) * missing, *tensor.shape[1:]
    )  # (B, 1.., *rest)


class Merge(Layer, abc.ABC):
    """Combines a list of tensors elementwise; subclasses define ``_merge_function``.

    Args:
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        A list of tensors of compatible shapes (equal, or 1 where broadcasting).

    Output shape:
        The broadcast shape of the inputs.
    """

    _min_inputs = 1
    _max_inputs: int | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    # Abstract: each merge layer says how it combines the aligned inputs.
    @abc.abstractmethod
    def _merge_function(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        """Combine ``inputs`` (same rank, broadcastable shapes) into one tensor."""

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """As Keras: a step is kept where any input keeps it; no mask unless every
        input has one."""
        if not isinstance(previous_mask, list | tuple) or not previous_mask:
            return None
        if any(m is None for m in previous_mask):
            return None
        merged = torch.as_tensor(previous_mask[0]).bool()
        for mask in previous_mask[1:]:
            merged = merged | torch.as_tensor(mask, device=merged.device).bool()
        return merged

    # ------------------------------------------------------------------ shapes

    def _check_list(self, input_shape: Any) -> list[Shape]:
        name = type(self).__name__
        if not is_shape_list(input_shape):
            received = (
                "an empty list"
                if isinstance(input_shape, list | tuple) and not input_shape
                else f"a single input of shape {format_shape(input_shape)}"
            )
            raise InvalidArgumentError(
                f"{name} '{self.name}' must be called on a list of tensors, e.g. "
                f"`{name}()([x1, x2])`; received {received}."
            )
        shapes = [tuple(s) for s in input_shape]
        if any(len(s) == 0 for s in shapes):
            raise InvalidArgumentError(
                f"{name} '{self.name}' needs inputs with a batch axis; received "
                f"shapes [{', '.join(format_shape(s) for s in shapes)}]."
            )
        count = len(shapes)
        if count < self._min_inputs or (
            self._max_inputs is not None and count > self._max_inputs
        ):
            wanted = (
                f"exactly {self._max_inputs}"
                if self._max_inputs == self._min_inputs
                else f"at least {self._min_inputs}"
            )
            raise InvalidArgumentError(
                f"{name} '{self.name}' takes {wanted} inputs; received {count} inputs "
                f"of shapes [{', '.join(format_shape(s) for s in shapes)}]."
            )
        batches = {s[0] for s in shapes if s} - {None}
        if len(batches) > 1:
            raise shape_error(
                self,
                shapes,
                f"the inputs have different batch sizes {sorted(batches)}",
                "Feed every input with the same number of samples.",
            )
        return shapes

    def _broadcast(self, shapes: list[Shape]) -> Shape:
        """Keras' elementwise rule on the non-batch axes, with a teaching error."""
        rank = max(len(s) for s in shapes)
        # Lower-rank inputs gain size-1 axes right after the batch axis.
        aligned = [(s[0], *(1,) * (rank - len(s)), *s[1:]) for s in shapes]
        batches = {s[0] for s in aligned} - {None}
        out: list[int | None] = [batches.pop() if batches else None]
        for axis in range(1, rank):
            sizes = [s[axis] for s in aligned]
            if len({d for d in sizes if d is not None and d != 1}) > 1:
                listed = " vs ".join(str(d) for d in sizes)
                raise shape_error(
                    self,
                    shapes,
                    "an elementwise merge needs the same size on every axis after the "
                    "batch (or size 1, which is broadcast), but axis "
                    f"{axis} differs: {listed}",
                    axis_fix(axis, rank, sizes, type(self).__name__),
                )
            out.append(functools.reduce(_broadcast_pair, sizes))
        return tuple(out)

    def build(self, input_shape: Any) -> None:
        self._broadcast(self._check_list(input_shape))

    def compute_output_shape(self, input_shape: Any) -> Shape:
        return self._broadcast(self._check_list(input_shape))

    # ------------------------------------------------------------------ calling

    def call(self, inputs: Sequence[torch.Tensor] | torch.Tensor) -> torch.Tensor:
        if isinstance(inputs, torch.Tensor):
            self._check_list(tuple(inputs.shape))
        rank = max(t.dim() for t in inputs)
        tensors = [_align_rank(t, rank) for t in inputs]
        try:
            return self._merge_function(tensors)
        except RuntimeError:
            # Shapes changed since build: explain with every shape before torch does.
            self.compute_output_shape([tuple(t.shape) for t in tensors])
            raise
