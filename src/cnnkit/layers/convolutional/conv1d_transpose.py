"""``Conv1DTranspose``: 1-D transposed convolution (``BaseConvTranspose``, rank 1).

Example:
    >>> import torch
    >>> from cnnkit.layers import Conv1DTranspose
    >>> layer = Conv1DTranspose(16, 3, strides=2, padding="same")
    >>> layer(torch.zeros(2, 50, 32)).shape       # 'same' upsamples by the stride
    torch.Size([2, 100, 16])
    >>> tuple(layer.kernel.shape)                 # Keras layout (k, out, in)
    (3, 16, 32)
"""

from __future__ import annotations

from typing import Any

from cnnkit.layers.convolutional.base_conv_transpose import BaseConvTranspose


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution layer (upsampling convolution, "deconvolution").

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of 1 int.
        strides: Int or tuple of 1 int, the upsampling factors.
        padding: ``'valid'`` or ``'same'``.
        output_padding: ``None`` or int/tuple of 1 int, each below the stride.
        data_format: ``'channels_last'`` or ``'channels_first'`` (default: global).
        dilation_rate: Int or tuple of 1 int.
        activation: Activation id or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer, bias_initializer: Initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: Penalties.
        kernel_constraint, bias_constraint: Constraints.

    Input shape:
        - ``channels_last``: ``(batch, steps, channels)``.
        - ``channels_first``: ``(batch, channels, steps)``.

    Output shape:
        - ``channels_last``: ``(batch, new_steps, filters)``.
        - ``channels_first``: ``(batch, filters, new_steps)``.

        With ``output_padding=None``: ``'same'`` gives ``n * stride``; ``'valid'``
        gives ``(n - 1) * stride + max(kernel, stride)`` (dilated kernel size).

    Example:
        >>> import torch
        >>> Conv1DTranspose(4, 3, strides=2)(torch.zeros(1, 7, 8)).shape
        torch.Size([1, 15, 4])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int],
        strides: int | tuple[int] = 1,
        padding: str = "valid",
        output_padding: int | tuple[int] | None = None,
        data_format: str | None = None,
        dilation_rate: int | tuple[int] = 1,
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
            rank=1, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )  # fmt: skip
