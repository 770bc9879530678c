"""``Conv2D``: 2-D convolution over images (``BaseConv`` with ``rank=2``).

Example:
    >>> import torch
    >>> from cnnkit.layers import Conv2D
    >>> layer = Conv2D(32, (5, 5), activation="relu")
    >>> layer(torch.zeros(4, 28, 28, 1)).shape
    torch.Size([4, 24, 24, 32])
    >>> tuple(layer.kernel.shape)               # Keras layout (kh, kw, in, out)
    (5, 5, 1, 32)
"""

from __future__ import annotations

from typing import Any

from cnnkit.layers.convolutional.base_conv import BaseConv


class Conv2D(BaseConv):
    """2-D convolution layer (e.g. spatial convolution over images).

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of 2 ints, the height and width of the window.
        strides: Int or tuple of 2 ints. ``strides > 1`` cannot be combined with
            ``dilation_rate > 1``.
        padding: ``'valid'`` or ``'same'`` (output ``ceil(n / stride)``; the extra
            padding pixel goes bottom/right, as in TensorFlow).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` uses
            ``cnnkit.config.image_data_format()``.
        dilation_rate: Int or tuple of 2 ints.
        groups: Number of channel groups convolved independently.
        activation: Activation id or callable; ``None`` means linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer, bias_initializer: Initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: Penalties.
        kernel_constraint, bias_constraint: Constraints.

    Input shape:
        - ``channels_last``: ``(batch, height, width, channels)``.
        - ``channels_first``: ``(batch, channels, height, width)``.

    Output shape:
        - ``channels_last``: ``(batch, new_height, new_width, filters)``.
        - ``channels_first``: ``(batch, filters, new_height, new_width)``.

    Example:
        >>> import torch
        >>> Conv2D(8, 3, strides=2, padding="same")(torch.zeros(1, 28, 28, 3)).shape
        torch.Size([1, 14, 14, 8])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int | tuple[int, int] = (1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int, int] = (1, 1),
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
            rank=2, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )  # fmt: skip
