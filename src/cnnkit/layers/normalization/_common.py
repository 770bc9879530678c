"""Helpers shared by the normalization layers (axis checks, gamma/beta handling)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from cnnkit import constraints, initializers, regularizers
from cnnkit.errors import InvalidTypeError
from cnnkit.utils.validation import shape_error

Shape = tuple[int | None, ...]


def check_int_axis(axis: Any, layer_name: str) -> int:
    """``axis`` must be a plain int (Keras calls ``int(axis)``; a float is a slip)."""
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise InvalidTypeError(
            f"{layer_name}: `axis` must be an int such as -1 (channels_last) or 1 "
            f"(channels_first); received axis={axis!r}."
        )
    return axis


def positive_axis(
    layer: Any, axis: int, input_shape: Shape, because: dict[str, Any]
) -> int:
    """``axis`` as an index in ``[0, ndim)``, or a teaching error naming the layer."""
    ndim = len(input_shape)
    if not -ndim <= axis < ndim:
        raise shape_error(
            layer,
            input_shape,
            f"axis {axis} is out of bounds for a {ndim}-D input",
            "Use axis=-1 for channels_last data or axis=1 for channels_first data.",
            because,
        )
    return axis % ndim


def known_size(
    layer: Any, input_shape: Shape, axes: Sequence[int], because: dict[str, Any]
) -> None:
    """The normalised axes size the weights, so they must be known when building."""
    if any(input_shape[a] is None for a in axes):
        raise shape_error(
            layer,
            input_shape,
            "the normalized axis must have a known size (it sets the size of "
            "`gamma` and `beta`)",
            "Give the Input a fixed size on that axis, e.g. Input((28, 28, 3)).",
            because,
        )


_FULL_PRECISION = (torch.float32, torch.float64)


def at_least_float32(x: torch.Tensor) -> torch.Tensor:
    """Statistics of float16/bfloat16 data overflow, so Keras computes them in float32."""
    return x if x.dtype in _FULL_PRECISION else x.float()


def cast(t: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """``t.to(dtype)`` without the dispatcher round trip when it is a no-op (hot path)."""
    return t if t is None or t.dtype == dtype else t.to(dtype)


class AffineArgs:
    """The ``center``/``scale`` and gamma/beta options BN, LN and GN share."""

    center: bool
    scale: bool

    def _init_affine(
        self,
        center: bool,
        scale: bool,
        beta_initializer: Any,
        gamma_initializer: Any,
        beta_regularizer: Any,
        gamma_regularizer: Any,
        beta_constraint: Any,
        gamma_constraint: Any,
    ) -> None:
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _add_affine_weights(
        self,
        shape: tuple[int, ...],
        scale: bool | None = None,
        center: bool | None = None,
    ) -> None:
        """``gamma`` then ``beta`` (Keras' order), each only if enabled."""
        scale = self.scale if scale is None else scale
        center = self.center if center is None else center
        # Not pre-set to None: the torch attribute must be free for the registration.
        self.gamma: torch.Tensor | None
        self.beta: torch.Tensor | None
        if scale:
            self.gamma = self.add_weight(  # type: ignore[attr-defined]
                shape, self.gamma_initializer, regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint, name="gamma",
            )  # fmt: skip
        else:
            self.gamma = None
        if center:
            self.beta = self.add_weight(  # type: ignore[attr-defined]
                shape, self.beta_initializer, regularizer=self.beta_regularizer,
                constraint=self.beta_constraint, name="beta",
            )  # fmt: skip
        else:
            self.beta = None

    def _affine_config(self) -> dict[str, Any]:
        return {
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
