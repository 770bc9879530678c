"""``DepthwiseConv1D``: per-channel 1-D convolution (``BaseDepthwiseConv``, rank 1).

Example:
    >>> import torch
    >>> from cnnkit.layers import DepthwiseConv1D
    >>> layer = DepthwiseConv1D(3, depth_multiplier=2, padding="same")
    >>> layer(torch.zeros(2, 40, 8)).shape         # 8 channels x 2
    torch.Size([2, 40, 16])
    >>> tuple(layer.kernel.shape)                  # (k, in, multiplier)
    (3, 8, 2)
"""

from __future__ import annotations

from typing import Any

from cnnkit.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-D depthwise convolution: each input channel is convolved on its own.

    Output channel ``c * depth_multiplier + j`` is input channel ``c`` convolved
    with ``kernel[:, c, j]``.

    Args:
        kernel_size: Int or tuple of 1 int.
        strides: Int or tuple of 1 int.
        padding: ``'valid'`` or ``'same'`` (extra padding step at the end).
        depth_multiplier: Output channels per input channel.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: global).
        dilation_rate: Int or tuple of 1 int.
        activation: Activation id or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer, bias_initializer: Initializers.
        depthwise_regularizer, bias_regularizer, activity_regularizer: Penalties.
        depthwise_constraint, bias_constraint: Constraints.

    Input shape:
        - ``channels_last``: ``(batch, steps, channels)``.
        - ``channels_first``: ``(batch, channels, steps)``.

    Output shape:
        - ``channels_last``: ``(batch, new_steps, channels * depth_multiplier)``.
        - ``channels_first``: ``(batch, channels * depth_multiplier, new_steps)``.

    Example:
        >>> import torch
        >>> DepthwiseConv1D(3, strides=2)(torch.zeros(1, 9, 4)).shape
        torch.Size([1, 4, 4])
    """

    def __init__(
        self,
        kernel_size: int | tuple[int],
        strides: int | tuple[int] = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: int | tuple[int] = 1,
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
            rank=1, depth_multiplier=depth_multiplier, kernel_size=kernel_size,
            strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )  # fmt: skip
