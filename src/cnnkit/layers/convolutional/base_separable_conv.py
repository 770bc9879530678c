"""``BaseSeparableConv``: depthwise then pointwise (1x1) convolution, behind
``SeparableConv1D/2D``.

Far fewer weights than a full conv: ``k*k*C*m + C*m*filters`` instead of
``k*k*C*filters``.
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import constraints, initializers, regularizers
from cnnkit._kernels import conv as conv_ops
from cnnkit.layers.convolutional._conv_layer import Shape, _ConvLayer
from cnnkit.utils.validation import check_positive_int


class BaseSeparableConv(_ConvLayer):
    """N-D depthwise-separable convolution.

    Args:
        rank: Number of spatial axes (1 or 2).
        depth_multiplier: Depthwise output channels per input channel.
        filters: Number of output channels (of the pointwise step).
        kernel_size: Int or tuple of ``rank`` ints (depthwise window).
        strides: Int or tuple of ``rank`` ints.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: global).
        dilation_rate: Int or tuple of ``rank`` ints.
        activation: Activation id or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector of ``filters``.
        depthwise_initializer, pointwise_initializer, bias_initializer: Initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: Penalties.
        depthwise_constraint, pointwise_constraint, bias_constraint: Constraints.
    """

    def __init__(
        self,
        rank: int,
        depth_multiplier: int,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            rank, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self.depth_multiplier = check_positive_int(depth_multiplier, "depth_multiplier")
        self.filters = check_positive_int(filters, "filters")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: Shape) -> None:
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)  # impossible shapes fail before weights
        self.depthwise_kernel = self.add_weight(
            (*self.kernel_size, channels, self.depth_multiplier),
            self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="depthwise_kernel",
        )  # fmt: skip
        self.pointwise_kernel = self.add_weight(
            (*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel",
        )  # fmt: skip
        if self.use_bias:
            self.bias = self.add_weight(
                (self.filters,), self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )  # fmt: skip
        else:
            self.bias = None

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs = conv_ops.separable_conv(
            inputs, self.depthwise_kernel, self.pointwise_kernel, self.strides,
            self.padding, self.data_format, self.dilation_rate, bias=self.bias,
        )  # fmt: skip
        return self._activate(outputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self._output_shape(
            input_shape, self._conv_spatial_output(input_shape), self.filters
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            **self._base_config(),
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
