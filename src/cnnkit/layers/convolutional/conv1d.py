"""``Conv1D``: 1-D convolution over sequences (``BaseConv`` with ``rank=1``).

Example:
    >>> import torch
    >>> from cnnkit.layers import Conv1D
    >>> layer = Conv1D(16, 3, padding="causal", dilation_rate=2)
    >>> layer(torch.zeros(4, 100, 8)).shape            # causal keeps the length
    torch.Size([4, 100, 16])
    >>> tuple(layer.kernel.shape)                   # Keras layout (k, in, out)
    (3, 8, 16)
"""

from __future__ import annotations

from typing import Any

from cnnkit.layers.convolutional.base_conv import BaseConv


class Conv1D(BaseConv):
    """1-D convolution layer (e.g. temporal convolution over sequences).

    Args:
        filters: Number of output channels.
        kernel_size: Int or tuple of 1 int, the length of the window.
        strides: Int or tuple of 1 int. ``strides > 1`` cannot be combined with
            ``dilation_rate > 1``.
        padding: ``'valid'``, ``'same'`` (output ``ceil(n / stride)``; the extra
            padding step goes at the end, as in TensorFlow) or ``'causal'``
            (left padding by ``dilation_rate * (kernel_size - 1)``: output ``t``
            never sees inputs after ``t``).
        data_format: ``'channels_last'`` or ``'channels_first'``; ``None`` uses
            ``cnnkit.config.image_data_format()``.
        dilation_rate: Int or tuple of 1 int.
        groups: Number of channel groups convolved independently.
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

    Example:
        >>> import torch
        >>> Conv1D(8, 3, strides=2, padding="same")(torch.zeros(1, 101, 3)).shape
        torch.Size([1, 51, 8])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int],
        strides: int | tuple[int] = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: int | tuple[int] = 1,
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
            rank=1, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
            **kwargs,
        )  # fmt: skip
