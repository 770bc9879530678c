"""``SeparableConv1D``: depthwise 1-D conv then a size-1 conv (``BaseSeparableConv``).

Example:
    >>> import torch
    >>> from cnnkit.layers import SeparableConv1D
    >>> layer = SeparableConv1D(32, 3, depth_multiplier=2, padding="same")
    >>> layer(torch.zeros(2, 40, 8)).shape
    torch.Size([2, 40, 32])
    >>> [tuple(w.shape) for w in layer.weights]   # depthwise, pointwise, bias
    [(3, 8, 2), (1, 16, 32), (32,)]
"""

from __future__ import annotations

from typing import Any

from cnnkit.layers.convolutional.base_separable_conv import BaseSeparableConv


class SeparableConv1D(BaseSeparableConv):
    """1-D depthwise-separable convolution (as in Xception / MobileNet).

    A depthwise conv (``depthwise_kernel``, ``(k, in, depth_multiplier)``)
    followed by a pointwise (size-1) conv (``pointwise_kernel``,
    ``(1, in * depth_multiplier, filters)``), then ``bias`` and ``activation``.

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of 1 int (depthwise window).
        strides: Int or tuple of 1 int.
        padding: ``'valid'`` or ``'same'`` (extra padding step at the end).
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: global).
        dilation_rate: Int or tuple of 1 int.
        depth_multiplier: Depthwise output channels per input channel.
        activation: Activation id or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer, pointwise_initializer, bias_initializer: Initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: Penalties.
        depthwise_constraint, pointwise_constraint, bias_constraint: Constraints.

    Input shape:
        - ``channels_last``: ``(batch, steps, channels)``.
        - ``channels_first``: ``(batch, channels, steps)``.

    Output shape:
        - ``channels_last``: ``(batch, new_steps, filters)``.
        - ``channels_first``: ``(batch, filters, new_steps)``.

    Example:
        >>> import torch
        >>> SeparableConv1D(4, 3, strides=2)(torch.zeros(1, 9, 3)).shape
        torch.Size([1, 4, 4])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int],
        strides: int | tuple[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int] = 1,
        depth_multiplier: int = 1,
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
            rank=1, depth_multiplier=depth_multiplier, filters=filters,
            kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )  # fmt: skip
