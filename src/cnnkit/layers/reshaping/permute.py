"""``Permute``: reorder the axes of each sample (the batch axis stays first).

Example:
    >>> import torch
    >>> Permute((2, 1))(torch.zeros(4, 10, 64)).shape
    torch.Size([4, 64, 10])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer

Shape = tuple[int | None, ...]


class Permute(Layer):
    """Permutes the non-batch axes according to ``dims``.

    Args:
        dims: A permutation of ``1 .. rank`` (axis 0, the batch, is never moved);
            ``(2, 1)`` swaps the two axes of a ``(batch, a, b)`` input.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        ``(batch, d_1, ..., d_n)`` with ``n == len(dims)``.

    Output shape:
        ``(batch, d_dims[0], ..., d_dims[n-1])``.

    Example:
        >>> Permute((3, 1, 2)).compute_output_shape((None, 28, 28, 3))
        (None, 3, 28, 28)
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(dims, str) or not isinstance(dims, Sequence):
            dims_list: list[Any] = []
        else:
            dims_list = list(dims)
        if not dims_list or sorted(dims_list) != list(range(1, len(dims_list) + 1)):
            raise InvalidArgumentError(
                "`dims` must be a permutation of the axes 1..n (the batch axis 0 is "
                f"never moved), e.g. dims=(2, 1); received dims={dims!r}."
            )
        self.dims = tuple(int(d) for d in dims_list)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.permute(0, *self.dims)  # (B, *[d_i for i in dims]) view

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dims": self.dims}
