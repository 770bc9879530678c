"""``GroupNormalization``: normalise each sample over groups of channels.

Example:
    >>> import torch
    >>> gn = GroupNormalization(groups=2)
    >>> x = torch.randn(3, 5, 5, 4) * 3 + 1              # (B, H, W, C)
    >>> y = gn(x)
    >>> round(y[0, :, :, :2].mean().item(), 4) + 0.0     # group 0 of sample 0
    0.0
    >>> gn.gamma.shape
    torch.Size([4])
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cnnkit._layout import channel_axis_from_torch, channel_axis_to_torch
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.input_spec import InputSpec
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.normalization._common import (
    AffineArgs,
    Shape,
    at_least_float32,
    cast,
    check_int_axis,
    known_size,
    positive_axis,
)
from cnnkit.utils.validation import shape_error


class GroupNormalization(Layer, AffineArgs):
    """Splits the channels into ``groups`` and normalises each group per sample.

    The mean and (biased) variance of a group are taken over its channels and every
    non-batch axis; channel ``c`` belongs to group ``c // (channels // groups)``.
    ``groups=1`` normalises over all channels and positions (like LayerNormalization
    over every non-batch axis); ``groups=-1`` (one channel per group) is Instance
    Normalization. ``gamma`` and ``beta`` are per channel.

    Args:
        groups: Number of groups; must divide the channel count. ``-1`` means one
            group per channel.
        axis: The channel axis (``-1`` for channels_last, ``1`` for channels_first).
        epsilon: Added to the variance before the square root.
        center: Whether to add the learned offset ``beta``.
        scale: Whether to multiply by the learned scale ``gamma``.
        beta_initializer, gamma_initializer: Initializers of the affine weights.
        beta_regularizer, gamma_regularizer: Optional weight penalties.
        beta_constraint, gamma_constraint: Optional weight constraints.

    Input shape:
        Any rank >= 2. ``(batch, ..., channels)`` with ``axis=-1`` or
        ``(batch, channels, ...)`` with ``axis=1``.

    Output shape:
        Same as the input.
    """

    supports_masking = True  # a sequence mask passes through, as in Keras

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
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
        if (
            isinstance(groups, bool)
            or not isinstance(groups, int)
            or (groups <= 0 and groups != -1)
        ):
            raise InvalidArgumentError(
                "GroupNormalization: `groups` must be a positive integer that divides "
                "the number of channels, or -1 for one group per channel (instance "
                f"normalization); received groups={groups!r}."
            )
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = check_int_axis(axis, "GroupNormalization")
        self.epsilon = epsilon
        self._init_affine(
            center, scale, beta_initializer, gamma_initializer, beta_regularizer,
            gamma_regularizer, beta_constraint, gamma_constraint,
        )  # fmt: skip
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape: Shape) -> None:
        because = {"groups": self.groups, "axis": self.axis}
        self._channel_axis = positive_axis(self, self.axis, input_shape, because)
        if self._channel_axis == 0:
            raise shape_error(
                self, input_shape, "axis 0 is the batch axis, not a channel axis",
                "Use axis=-1 for channels_last data or axis=1 for channels_first.",
                because,
            )  # fmt: skip
        known_size(self, input_shape, [self._channel_axis], because)
        channels = int(input_shape[self._channel_axis])  # type: ignore[arg-type]
        if self.groups == -1:
            self.groups = channels  # Keras resolves -1 at build (it shows in configs)
        if channels % self.groups:
            raise shape_error(
                self, input_shape,
                f"the {channels} channels cannot be split into {self.groups} "
                "equal groups",
                f"Choose `groups` among the divisors of {channels}: "
                f"{[g for g in range(1, channels + 1) if channels % g == 0]}.",
                because,
            )  # fmt: skip
        self._add_affine_weights((channels,))
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = at_least_float32(inputs)
        gamma, beta = cast(self.gamma, x.dtype), cast(self.beta, x.dtype)
        axis = self._channel_axis
        # torch's fused kernel groups consecutive channels on axis 1, as Keras does.
        # The channels-first copy is deliberate: torch 2.13's CPU group_norm backward
        # segfaults on channels_last inputs when only gamma/beta need gradients, and
        # copy + fused kernel measured ~5x faster than a hand-written group norm.
        x_cf = channel_axis_to_torch(x, axis).contiguous()  # (B, C, *spatial)
        y = F.group_norm(x_cf, self.groups, gamma, beta, self.epsilon)
        y = channel_axis_from_torch(y, axis)
        return cast(y, getattr(torch, self.compute_dtype))  # type: ignore[return-value]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        positive_axis(
            self, self.axis, input_shape, {"groups": self.groups, "axis": self.axis}
        )
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            **self._affine_config(),
        }
