"""``Reshape``: give each sample a new shape with the same number of elements.

Example:
    >>> import torch
    >>> Reshape((7, 7, 64))(torch.zeros(2, 3136)).shape
    torch.Size([2, 7, 7, 64])
    >>> Reshape((-1, 4))(torch.zeros(2, 3, 8)).shape     # -1 is inferred: 6
    torch.Size([2, 6, 4])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import format_shape, shape_error

Shape = tuple[int | None, ...]


def _normalize_target_shape(target_shape: Any) -> tuple[int, ...]:
    if isinstance(target_shape, int | np.integer) and not isinstance(
        target_shape, bool
    ):
        raise InvalidTypeError(
            "`target_shape` must be a tuple of ints (the shape of one sample, without "
            f"the batch axis); received target_shape={target_shape!r}. Write it as a "
            f"tuple: Reshape(({int(target_shape)},))."
        )
    if not isinstance(target_shape, Sequence) or isinstance(target_shape, str):
        raise InvalidTypeError(
            "`target_shape` must be a tuple of ints (without the batch axis); "
            f"received target_shape={target_shape!r}."
        )
    dims = tuple(target_shape)
    if not all(
        isinstance(d, int | np.integer) and not isinstance(d, bool) for d in dims
    ):
        raise InvalidTypeError(
            "`target_shape` must contain only ints (use -1 for one unknown size); "
            f"received target_shape={target_shape!r}."
        )
    dims = tuple(int(d) for d in dims)
    if any(d < -1 for d in dims) or dims.count(-1) > 1:
        raise InvalidArgumentError(
            "Each size in `target_shape` must be a non-negative int, or -1 for a single "
            f"size to infer; received target_shape={target_shape!r}."
        )
    return dims


class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: The new shape of one sample, without the batch axis. One size
            may be ``-1``: it is inferred from the number of elements.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        ``(batch, *any)``.

    Output shape:
        ``(batch, *target_shape)`` with the ``-1`` resolved.

    Raises:
        IncompatibleShapeError: If a sample does not have as many elements as
            ``target_shape`` holds.

    Example:
        >>> Reshape((-1,)).compute_output_shape((None, 4, 4, 8))
        (None, 128)
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = _normalize_target_shape(target_shape)

    def _mismatch(self, input_shape: Sequence[int | None], size: int) -> Exception:
        target = format_shape(self.target_shape)
        known = [d for d in self.target_shape if d != -1]
        if -1 in self.target_shape:
            rule = (
                f"each sample has {size} elements, which cannot fill target_shape="
                f"{target}: {size} is not a multiple of the known sizes' product "
                f"{math.prod(known)}"
            )
        else:
            rule = (
                f"each sample has {size} elements but target_shape={target} holds "
                f"{math.prod(known)}"
            )
        return shape_error(
            self,
            tuple(input_shape),
            rule,
            "The target shape excludes the batch axis and must hold exactly as many "
            f"elements; e.g. use Reshape(({size},)), or put -1 in one position to let "
            "that size be inferred.",
        )

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        rest = tuple(input_shape[1:])
        if None in rest:
            # Unknown sizes: the -1 cannot be resolved (Keras does the same).
            return (
                input_shape[0],
                *(None if d == -1 else d for d in self.target_shape),
            )
        size = math.prod(rest)  # type: ignore[arg-type]
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if known == 0 or size % known:
                raise self._mismatch(input_shape, size)
            dims = tuple(size // known if d == -1 else d for d in self.target_shape)
        else:
            if known != size:
                raise self._mismatch(input_shape, size)
            dims = self.target_shape
        return (input_shape[0], *dims)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        try:
            return inputs.reshape(inputs.shape[0], *self.target_shape)  # (B, *target)
        except RuntimeError:
            # A later call with a different size: explain with the full shape.
            self.compute_output_shape(tuple(inputs.shape))
            raise

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": self.target_shape}

    def get_build_config(self) -> None:
        """Keras builds Reshape at construction and writes no ``build_config``."""
        return
