"""``BaseDepthwiseConv``: per-channel convolution behind ``DepthwiseConv1D/2D``.

Each input channel gets its own ``depth_multiplier`` filters; output channel
``c * depth_multiplier + j`` comes from input channel ``c`` (Keras' channel-major
order). It runs as one grouped torch conv with ``groups = in_channels``.
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import constraints, initializers, regularizers
from cnnkit._kernels import conv as conv_ops
from cnnkit.layers.convolutional._conv_layer import Shape, _ConvLayer
from cnnkit.utils.validation import check_positive_int


class BaseDepthwiseConv(_ConvLayer):
    """N-D depthwise convolution: ``activation(depthwise_conv(x, kernel) + bias)``.

    Args:
        rank: Number of spatial axes (1 or 2).
        depth_multiplier: Output channels per input channel.
        kernel_size: Int or tuple of ``rank`` ints.
        strides: Int or tuple of ``rank`` ints.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: global).
        dilation_rate: Int or tuple of ``rank`` ints.
        activation: Activation id or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector of ``in_channels * depth_multiplier``.
        depthwise_initializer, bias_initializer: Initializers.
        depthwise_regularizer, bias_regularizer, activity_regularizer: Penalties.
        depthwise_constraint, bias_constraint: Constraints.
    """

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            rank, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: Shape) -> None:
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # impossible shapes fail before weights
        # Keras 3 names this weight `kernel` (Keras 2 said `depthwise_kernel`).
        self.kernel = self.add_weight(
            (*self.kernel_size, channels, self.depth_multiplier),
            self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="kernel",
        )  # fmt: skip
        if self.use_bias:
            self.bias = self.add_weight(
                (channels * self.depth_multiplier,), self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )  # fmt: skip
        else:
            self.bias = None

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs = conv_ops.depthwise_conv(
            inputs, self.kernel, self.strides, self.padding, self.data_format,
            self.dilation_rate, bias=self.bias,
        )  # fmt: skip
        return self._activate(outputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        channels = input_shape[self._channel_axis]
        out_channels = None if channels is None else channels * self.depth_multiplier
        return self._output_shape(
            input_shape, self._conv_spatial_output(input_shape), out_channels
        )

    def get_config(self) -> dict[str, Any]:
        config = self._base_config()
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **config,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
