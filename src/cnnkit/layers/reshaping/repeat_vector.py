"""``RepeatVector``: repeat a ``(batch, features)`` input ``n`` times along a new axis.

Example:
    >>> import torch
    >>> RepeatVector(3)(torch.tensor([[1.0, 2.0]]))
    tensor([[[1., 2.],
             [1., 2.],
             [1., 2.]]])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer

Shape = tuple[int | None, ...]


class RepeatVector(Layer):
    """Repeats each feature vector ``n`` times.

    Args:
        n: Number of repetitions (a positive int).
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape:
        ``(batch, features)``.

    Output shape:
        ``(batch, n, features)``.

    Example:
        >>> RepeatVector(5).compute_output_shape((None, 32))
        (None, 5, 32)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise InvalidTypeError(f"`n` must be an int; received n={n!r}.")
        if n <= 0:
            raise InvalidArgumentError(
                f"`n` must be a positive integer; received n={n!r}."
            )
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        # A real copy, not an expand() view: later in-place ops must stay legal.
        return inputs.unsqueeze(1).repeat(1, self.n, 1)  # (B, n, F)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}
