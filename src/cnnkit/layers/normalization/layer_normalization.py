"""``LayerNormalization``: normalise each sample over the given axes only.

Example:
    >>> import torch
    >>> ln = LayerNormalization()
    >>> y = ln(torch.tensor([[0.0, 1.0, 2.0, 3.0, 4.0]]))
    >>> [round(v, 4) for v in y[0].tolist()]
    [-1.4139, -0.7069, 0.0, 0.7069, 1.4139]
    >>> [w.name for w in ln.weights]
    ['gamma', 'beta']
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F

from cnnkit.errors import InvalidTypeError
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.normalization._common import (
    AffineArgs,
    Shape,
    at_least_float32,
    cast,
    known_size,
    positive_axis,
)
from cnnkit.utils.validation import shape_error


class LayerNormalization(Layer, AffineArgs):
    """Normalises each sample over ``axis`` (the last axis by default).

    ``gamma * (x - mean) / sqrt(var + epsilon) + beta``, where the biased mean and
    variance are taken over ``axis`` alone, per sample and per position on the other
    axes. Unlike BatchNormalization there are no moving statistics, and training and
    inference behave the same.

    Args:
        axis: An int or a list of ints: the axes to normalise over. ``gamma`` and
            ``beta`` have the sizes of these axes.
        epsilon: Added to the variance before the square root.
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned scale ``gamma``.
        beta_initializer, gamma_initializer: Initializers of the affine weights.
        beta_regularizer, gamma_regularizer: Optional weight penalties.
        beta_constraint, gamma_constraint: Optional weight constraints.

    Input shape:
        Any rank; ``axis`` must exist in it.

    Output shape:
        Same as the input.
    """

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(
        self,
        axis: int | list[int] | tuple[int, ...] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        # Keras 3 still accepts (and writes in configs) the deprecated rms_scaling.
        rms_scaling = bool(kwargs.pop("rms_scaling", False))
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated (as in Keras): it "
                "scales by the variance, not the root mean square. Prefer "
                "`rms_scaling=False`.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        if isinstance(axis, list | tuple) and all(
            isinstance(a, int) and not isinstance(a, bool) for a in axis
        ):
            self.axis: int | list[int] = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise InvalidTypeError(
                "LayerNormalization: `axis` must be an int or a list/tuple of ints, "
                f"e.g. -1 or [1, 2, 3]; received axis={axis!r}."
            )
        self.epsilon = epsilon
        self.rms_scaling = rms_scaling
        self._init_affine(
            center, scale, beta_initializer, gamma_initializer, beta_regularizer,
            gamma_regularizer, beta_constraint, gamma_constraint,
        )  # fmt: skip

    def build(self, input_shape: Shape) -> None:
        # Keras stores the axes as a sorted list once built (it shows in get_config).
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        because = {"axis": self.axis}
        positive = [positive_axis(self, a, input_shape, because) for a in self.axis]
        if len(set(positive)) != len(positive):
            raise shape_error(
                self, input_shape, "the same axis is listed twice",
                "List each axis once, e.g. axis=[1, 2, 3].", because,
            )  # fmt: skip
        known_size(self, input_shape, positive, because)
        self._axes = sorted(positive)
        shape = tuple(int(input_shape[a]) for a in self.axis)  # type: ignore[arg-type]
        # The deprecated rms_scaling mode always scales and never offsets (Keras).
        self._add_affine_weights(
            shape, scale=self.scale or self.rms_scaling,
            center=self.center and not self.rms_scaling,
        )  # fmt: skip
        ndim = len(input_shape)
        # Fast path: torch's fused kernel normalises the trailing axes.
        self._trailing = self._axes == list(range(ndim - len(self._axes), ndim))
        # gamma/beta viewed to broadcast over the input: (1, ..., size, ..., 1).
        self._param_shape: tuple[int, ...] = tuple(
            int(input_shape[a]) if a in self._axes else 1  # type: ignore[arg-type]
            for a in range(ndim)
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = at_least_float32(inputs)
        gamma, beta = cast(self.gamma, x.dtype), cast(self.beta, x.dtype)
        if self.rms_scaling:
            variance = torch.var(x, dim=self._axes, keepdim=True, correction=0)
            y = x * torch.rsqrt(variance + self.epsilon)
            if gamma is not None:
                y = y * gamma.reshape(self._param_shape)
        elif self._trailing:
            normalized_shape = tuple(x.shape[a] for a in self._axes)
            y = F.layer_norm(
                x, normalized_shape,
                None if gamma is None else gamma.reshape(normalized_shape),
                None if beta is None else beta.reshape(normalized_shape),
                self.epsilon,
            )  # fmt: skip
        else:
            variance, mean = torch.var_mean(
                x, dim=self._axes, keepdim=True, correction=0
            )
            y = (x - mean) * torch.rsqrt(variance + self.epsilon)
            if gamma is not None:
                y = y * gamma.reshape(self._param_shape)
            if beta is not None:
                y = y + beta.reshape(self._param_shape)
        return cast(y, getattr(torch, self.compute_dtype))  # type: ignore[return-value]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            positive_axis(self, a, input_shape, {"axis": self.axis})
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        affine = self._affine_config()
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": affine.pop("center"),
            "scale": affine.pop("scale"),
            "rms_scaling": self.rms_scaling,
            **affine,
        }
