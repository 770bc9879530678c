"""``Softmax``: exponentiate and normalise along ``axis`` (optionally masked).

Example:
    >>> import torch
    >>> Softmax()(torch.tensor([1.0, 2.0, 1.0]))
    tensor([0.2119, 0.5761, 0.2119])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import activations
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError
from cnnkit.layers.base.layer import Layer


class Softmax(Layer):
    """Softmax along ``axis``: ``exp(x - max(x)) / sum(exp(x - max(x)))``.

    Args:
        axis: An int, or a list of ints to normalise over several axes jointly.

    Call arguments:
        inputs: The logits.
        mask: Optional tensor broadcastable to ``inputs``; ``True`` (or > 0.5) keeps
            a position, masked positions get probability 0.

    Input shape:
        Any.

    Output shape:
        Same as the input.
    """

    _built_at_init = True  # nothing to create: built from the start, as in Keras

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(
        self, axis: int | list[int] | tuple[int, ...] = -1, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        items = axis if isinstance(axis, list | tuple) else [axis]
        if not items or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in items
        ):
            raise InvalidArgumentError(
                f"Softmax: `axis` must be an int or a non-empty list of ints; "
                f"received axis={axis!r}."
            )
        self.axis = axis

    def call(self, inputs: torch.Tensor, mask: Any = None) -> torch.Tensor:
        if mask is not None:
            mask = self._check_mask(inputs, mask)
            # Keras' "large negative" keeps the arithmetic finite (not -inf).
            fill = -3e4 if inputs.dtype == torch.float16 else -1e9
            inputs = inputs.masked_fill(~mask, fill)
        if isinstance(self.axis, list | tuple) and len(self.axis) > 1:
            dims = tuple(self.axis)
            outputs = torch.exp(
                inputs - torch.logsumexp(inputs, dim=dims, keepdim=True)
            )
        else:
            axis = self.axis[0] if isinstance(self.axis, list | tuple) else self.axis
            outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            # A fully masked row would otherwise come out uniform.
            outputs = outputs.masked_fill(~mask, 0.0)
        return outputs

    def _check_mask(self, inputs: torch.Tensor, mask: Any) -> torch.Tensor:
        mask = torch.as_tensor(mask, device=inputs.device)
        compatible = mask.dim() <= inputs.dim() and all(
            m in (1, i) for m, i in zip(reversed(mask.shape), reversed(inputs.shape))
        )
        if not compatible:
            raise IncompatibleShapeError(
                f"Softmax '{self.name}': the `mask` must be broadcastable to the "
                "inputs (each mask axis 1 or equal to the input's, and no more axes); "
                "received "
                f"inputs.shape={tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}. "
                "Reshape the mask, e.g. mask[:, None, :] to add an axis."
            )
        return mask if mask.dtype == torch.bool else mask > 0.5

    def compute_output_shape(
        self, input_shape: tuple[int | None, ...]
    ) -> tuple[int | None, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}
