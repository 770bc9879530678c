"""``PReLU``: a leaky ReLU whose negative slope ``alpha`` is learned.

Example:
    >>> import torch
    >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1, 2])
    >>> layer(torch.full((2, 4, 4, 3), -2.0)).unique()
    tensor([-2.], grad_fn=<Unique2Backward0>)
    >>> layer.alpha.shape                        # one slope per channel
    torch.Size([1, 1, 3])
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import constraints, initializers, regularizers
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.utils.validation import shape_error

Shape = tuple[int | None, ...]


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x >= 0``, ``alpha * x`` below.

    ``alpha`` has the input's shape without the batch axis, with size 1 on every
    axis listed in ``shared_axes``.

    Args:
        alpha_initializer: Initializer of ``alpha`` (zeros: starts as a ReLU).
        alpha_regularizer: Optional penalty on ``alpha``.
        alpha_constraint: Optional constraint on ``alpha``.
        shared_axes: Axes (counting the batch axis as 0) along which one slope is
            shared, e.g. ``[1, 2]`` for one slope per channel after a Conv2D.

    Input shape:
        Any rank >= 2; the non-shared axes must have known sizes.

    Output shape:
        Same as the input.
    """

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | list[int] | tuple[int, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes: list[int] | None = None
        else:
            axes = (
                list(shared_axes)
                if isinstance(shared_axes, list | tuple)
                else [shared_axes]
            )
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
                raise InvalidArgumentError(
                    "PReLU: `shared_axes` must be an int or a list of ints such as "
                    f"[1, 2]; received shared_axes={shared_axes!r}."
                )
            self.shared_axes = axes
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: Shape) -> None:
        ndim = len(input_shape)
        shared = self.shared_axes or []
        because = {"shared_axes": self.shared_axes}
        if any(not 1 <= a < ndim for a in shared):
            raise shape_error(
                self, input_shape,
                f"`shared_axes` must index non-batch axes, i.e. lie in [1, {ndim - 1}]",
                "Count axes from the batch axis (0), e.g. shared_axes=[1, 2] for "
                "(batch, height, width, channels).",
                because,
            )  # fmt: skip
        param_shape = [
            1 if axis in shared else input_shape[axis] for axis in range(1, ndim)
        ]
        if any(d is None for d in param_shape):
            raise shape_error(
                self, input_shape,
                "`alpha` needs a known size on every axis that is not shared",
                "Fix those sizes in the Input, or list the variable axes in "
                "`shared_axes`.",
                because,
            )  # fmt: skip
        self.alpha = self.add_weight(
            tuple(param_shape), self.alpha_initializer,  # type: ignore[arg-type]
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
            name="alpha",
        )  # fmt: skip
        fixed = {
            axis: input_shape[axis] for axis in range(1, ndim) if axis not in shared
        }
        self.input_spec = InputSpec(ndim=ndim, axes=fixed)  # type: ignore[arg-type]

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        # Same values as Keras' relu(x) - alpha * relu(-x), in one pass fewer.
        return torch.where(inputs >= 0, inputs, self.alpha * inputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
