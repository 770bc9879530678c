"""``Conv3DTranspose``: 3-D transposed convolution (``BaseConvTranspose``, rank 3).

Example:
    >>> import torch
    >>> from cnnkit.layers import Conv3DTranspose
    >>> layer = Conv3DTranspose(16, 3, strides=2, padding="same")
    >>> layer(torch.zeros(1, 4, 5, 6, 32)).shape  # 'same' upsamples by the stride
    torch.Size([1, 8, 10, 12, 16])
    >>> tuple(layer.kernel.shape)                 # Keras layout (kd, kh, kw, out, in)
    (3, 3, 3, 16, 32)
"""

from __future__ import annotations

from typing import Any

from cnnkit.layers.convolutional.base_conv_transpose import BaseConvTranspose


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution layer (upsampling convolution, "deconvolution").

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of 3 ints.
        strides: Int or tuple of 3 ints, the upsampling factors.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: global).
        output_padding: ``None`` or int/tuple of 3 ints, each below the stride
            (this argument comes after ``data_format`` here, as in Keras).
        dilation_rate: Int or tuple of 3 ints.
        activation: Activation id or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer, bias_initializer: Initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: Penalties.
        kernel_constraint, bias_constraint: Constraints.

    Input shape:
        - ``channels_last``: ``(batch, depth, height, width, channels)``.
        - ``channels_first``: ``(batch, channels, depth, height, width)``.

    Output shape:
        - ``channels_last``: ``(batch, new_depth, new_height, new_width, filters)``.
        - ``channels_first``: ``(batch, filters, new_depth, new_height, new_width)``.

        With ``output_padding=None``: ``'same'`` gives ``n * stride``; ``'valid'``
        gives ``(n - 1) * stride + max(kernel, stride)`` (dilated kernel size).

    Example:
        >>> import torch
        >>> Conv3DTranspose(4, 3, strides=2)(torch.zeros(1, 3, 7, 7, 8)).shape
        torch.Size([1, 7, 15, 15, 4])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int, int],
        strides: int | tuple[int, int, int] = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        output_padding: int | tuple[int, int, int] | None = None,
        dilation_rate: int | tuple[int, int, int] = (1, 1, 1),
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
            rank=3, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )  # fmt: skip
