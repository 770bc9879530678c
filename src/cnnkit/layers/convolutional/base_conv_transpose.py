"""``BaseConvTranspose``: the N-D transposed convolution behind ``Conv*DTranspose``.

Values follow Keras exactly: the full ``conv_transpose`` output cropped by
``ops.shapes.transpose_crops`` (see ``ops.conv.conv_transpose``), including the
k=3, stride=2, ``'same'`` case that torch's symmetric padding cannot express.
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import constraints, initializers, regularizers
from cnnkit._kernels import conv as conv_ops
from cnnkit._kernels.shapes import transpose_output_length
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.convolutional._conv_layer import Shape, _ConvLayer
from cnnkit.utils.validation import check_positive_int, to_tuple


class BaseConvTranspose(_ConvLayer):
    """N-D transposed convolution ("deconvolution"): upsamples by ``strides``.

    Args:
        rank: Number of spatial axes (1, 2 or 3).
        filters: Number of output channels.
        kernel_size: Int or tuple of ``rank`` ints.
        strides: Int or tuple of ``rank`` ints, the upsampling factors.
        padding: ``'valid'`` or ``'same'`` (output ``n * stride`` when
            ``output_padding`` is ``None``).
        output_padding: ``None`` or an int/tuple of ``rank`` ints, each smaller than
            the stride: extra output rows/columns at the end.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: global).
        dilation_rate: Int or tuple of ``rank`` ints.
        activation, use_bias, *_initializer, *_regularizer, *_constraint: As in
            ``Conv2D``.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        output_padding: int | tuple[int, ...] | None = None,
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            rank, kernel_size, strides, padding, data_format, dilation_rate,
            activation, use_bias, activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self.filters = check_positive_int(filters, "filters")
        self.output_padding = (
            None
            if output_padding is None
            else to_tuple(output_padding, rank, "output_padding", allow_zero=True)
        )
        if self.output_padding is not None and any(
            op >= s for op, s in zip(self.output_padding, self.strides)
        ):
            raise InvalidArgumentError(
                f"Each `output_padding` value must be smaller than the matching "
                f"`strides` value (it adds at most stride - 1 rows at the end); "
                f"received output_padding={self.output_padding}, "
                f"strides={self.strides}. Use output_padding=None to let the layer "
                "choose, or values below the strides."
            )
        self._check_strides_with_dilation()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: Shape) -> None:
        channels = self._input_channels(input_shape)
        # Keras layout: output and input axes swapped vs Conv (KERAS_SPEC §1.2).
        self.kernel = self.add_weight(
            (*self.kernel_size, self.filters, channels), self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            name="kernel",
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
        outputs = conv_ops.conv_transpose(
            inputs, self.kernel, self.strides, self.padding, self.output_padding,
            self.data_format, self.dilation_rate, bias=self.bias,
        )  # fmt: skip
        return self._activate(outputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        extras = self.output_padding or (None,) * self.rank
        spatial = tuple(
            transpose_output_length(n, k, self.padding, s, op, d)
            for n, k, s, op, d in zip(
                self._spatial(input_shape), self.kernel_size, self.strides, extras,
                self.dilation_rate,
            )
        )  # fmt: skip
        return self._output_shape(input_shape, spatial, self.filters)

    def get_config(self) -> dict[str, Any]:
        config = self._base_config()
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": config.pop("kernel_size"),
            "strides": config.pop("strides"),
            "padding": config.pop("padding"),
            "output_padding": self.output_padding,
            **config,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
