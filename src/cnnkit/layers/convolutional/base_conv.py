"""``BaseConv``: the N-D convolution behind ``Conv1D``, ``Conv2D`` and ``Conv3D``.

The kernel is stored in Keras' layout ``(*kernel_size, in_channels // groups,
filters)``; ``ops.conv`` permutes it for torch on each call (1-2% of the conv's time;
a cached copy measured no faster, see the speed notes in ``ops/conv.py``).
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit import constraints, initializers, regularizers
from cnnkit._kernels import conv as conv_ops
from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.convolutional._conv_layer import Shape, _ConvLayer
from cnnkit.utils.validation import check_positive_int, shape_error


class BaseConv(_ConvLayer):
    """N-D convolution layer: ``activation(conv(inputs, kernel) + bias)``.

    Args:
        rank: Number of spatial axes (1, 2 or 3).
        filters: Number of output channels.
        kernel_size: Int or tuple of ``rank`` ints, the window size.
        strides: Int or tuple of ``rank`` ints. ``strides > 1`` cannot be combined
            with ``dilation_rate > 1``.
        padding: ``'valid'`` (no padding), ``'same'`` (output size
            ``ceil(n / stride)``, the extra padding pixel goes after, as in
            TensorFlow) or, for ``rank=1`` only, ``'causal'`` (left padding).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` uses
            ``cnnkit.config.image_data_format()``.
        dilation_rate: Int or tuple of ``rank`` ints, for dilated (atrous) convs.
        groups: Split the channels into ``groups`` independent convolutions; both
            the input channels and ``filters`` must be divisible by it.
        activation: Activation id or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer, bias_initializer: Initializers (Keras ids or objects).
        kernel_regularizer, bias_regularizer, activity_regularizer: Penalties.
        kernel_constraint, bias_constraint: Constraints applied after each update.
    """

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size: int | tuple[int, ...],
        strides: int | tuple[int, ...] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, ...] = 1,
        groups: int = 1,
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
            activation, use_bias, allow_causal=rank == 1,
            activity_regularizer=activity_regularizer, **kwargs,
        )  # fmt: skip
        self.filters = check_positive_int(filters, "filters")
        self.groups = check_positive_int(groups, "groups")
        if filters % groups:
            raise InvalidArgumentError(
                f"`filters` must be divisible by `groups` (each group makes "
                f"filters // groups of the outputs); received filters={filters}, "
                f"groups={groups}. Use a multiple of {groups} for `filters`, or a "
                f"`groups` value that divides {filters}."
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
        if channels % self.groups:
            divisors = [g for g in range(1, channels + 1) if channels % g == 0]
            raise shape_error(
                self, input_shape,
                f"the {channels} input channels cannot be split into {self.groups} "
                "equal groups",
                f"Use a `groups` value that divides {channels} (one of {divisors}), "
                "or change the number of channels of the previous layer.",
                {"groups": self.groups},
            )  # fmt: skip
        self.compute_output_shape(input_shape)  # impossible shapes fail before weights
        self.kernel = self.add_weight(
            (*self.kernel_size, channels // self.groups, self.filters),
            self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
        )  # fmt: skip
        self._store_kernel_filters_first()
        if self.use_bias:
            self.bias = self.add_weight(
                (self.filters,), self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                name="bias",
            )  # fmt: skip
        else:
            self.bias = None

    def _store_kernel_filters_first(self) -> None:
        """Keep the ``(*k, in, out)`` kernel in ``(out, *k, in)`` memory order.

        Its values and shape stay Keras'; only the strides change, so that the
        torch view ``(out, in, *k)`` the conv takes is a channels_last tensor, the
        format oneDNN runs channels_last inputs with. Otherwise every call reorders
        the kernel inside oneDNN (seed CNN, one image: 134 µs -> 88 µs for its
        second conv), and a copy per call costs as much as it saves. A kernel with
        one input channel keeps Keras' order.
        """
        if (
            self.data_format != "channels_last"
            or self.kernel.dim() not in (4, 5)
            # One input channel (a first layer on grayscale images): oneDNN's
            # kernel-gradient pass ran 2x slower with this order, and there is no
            # reorder worth saving.
            or self.kernel.shape[-2] == 1
        ):
            return
        rank = self.kernel.dim() - 2
        filters_first = (rank + 1, *range(rank + 1))  # (*k, in, out) -> (out, *k, in)
        back = (*range(1, rank + 2), 0)
        with torch.no_grad():
            self.kernel.data = (
                self.kernel.permute(filters_first).contiguous().permute(back)
            )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs = conv_ops.conv(
            inputs, self.kernel, self.strides, self.padding, self.data_format,
            self.dilation_rate, bias=self.bias,
        )  # fmt: skip
        return self._activate(outputs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self._output_shape(
            input_shape, self._conv_spatial_output(input_shape), self.filters
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._base_config(),
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
