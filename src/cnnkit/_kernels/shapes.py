"""None-aware shape arithmetic for convolutions, pooling and transposed convolutions.

Every formula follows Keras 3 (KERAS_SPEC §1.3). ``None`` (an unknown size) passes
through every function unchanged.

Example:
    >>> conv_output_length(28, 5, "valid", 1)
    24
    >>> conv_output_length(28, 3, "same", 2)
    14
    >>> same_padding(28, 3, 2)
    (0, 1)
    >>> conv_output_length(None, 3, "valid", 1) is None
    True
"""

from __future__ import annotations

from collections.abc import Sequence

Dim = int | None


def effective_kernel_size(kernel_size: int, dilation_rate: int = 1) -> int:
    """Size of a dilated kernel's footprint: ``d * (k - 1) + 1``."""
    return dilation_rate * (kernel_size - 1) + 1


def conv_output_length(
    length: Dim,
    kernel_size: int,
    padding: str,
    stride: int,
    dilation_rate: int = 1,
) -> Dim:
    """Output length of a convolution or pooling window along one axis.

    The result may be zero or negative for an impossible configuration; callers
    report that with a teaching error (see ``validation.conv_shape_error``).
    """
    if length is None:
        return None
    if padding in ("same", "causal"):
        return (length + stride - 1) // stride
    k_eff = effective_kernel_size(kernel_size, dilation_rate)
    return (length - k_eff) // stride + 1


def same_padding(
    length: int, kernel_size: int, stride: int, dilation_rate: int = 1
) -> tuple[int, int]:
    """TF/Keras 'same' padding ``(before, after)``: the extra pixel goes after.

    Example:
        >>> same_padding(5, 4, 1)
        (1, 2)
    """
    out = (length + stride - 1) // stride
    k_eff = effective_kernel_size(kernel_size, dilation_rate)
    total = max(0, (out - 1) * stride + k_eff - length)
    return total // 2, total - total // 2


def conv_output_shape(
    spatial: Sequence[Dim],
    kernel_size: Sequence[int],
    padding: str,
    strides: Sequence[int],
    dilation_rate: Sequence[int],
) -> tuple[Dim, ...]:
    """Output spatial shape of an N-D convolution."""
    return tuple(
        conv_output_length(n, k, padding, s, d)
        for n, k, s, d in zip(spatial, kernel_size, strides, dilation_rate)
    )


def transpose_output_length(
    length: Dim,
    kernel_size: int,
    padding: str,
    stride: int,
    output_padding: int | None,
    dilation_rate: int = 1,
) -> Dim:
    """Output length of a transposed convolution along one axis (Keras rule).

    Example:
        >>> transpose_output_length(7, 3, "same", 2, None)
        14
        >>> transpose_output_length(7, 3, "valid", 2, None)
        15
        >>> transpose_output_length(7, 1, "valid", 2, None)
        14
    """
    if length is None:
        return None
    k_eff = effective_kernel_size(kernel_size, dilation_rate)
    if output_padding is None:
        if padding == "same":
            return length * stride
        return (length - 1) * stride + max(k_eff, stride)
    if padding == "same":
        return (length - 1) * stride + k_eff % 2 + output_padding
    return (length - 1) * stride + k_eff + output_padding


def transpose_crops(
    kernel_size: int,
    padding: str,
    stride: int,
    output_padding: int | None,
    dilation_rate: int = 1,
) -> tuple[int, int]:
    """Crops ``(start, end)`` to apply to a full (unpadded) transposed convolution.

    A negative crop means "pad with zeros" at that end. The full output of
    ``conv_transpose`` with no padding has length ``(n - 1) * s + k_eff``.

    Example:
        >>> transpose_crops(3, "same", 2, None)
        (0, 1)
        >>> transpose_crops(1, "valid", 2, None)
        (0, -1)
    """
    k_eff = effective_kernel_size(kernel_size, dilation_rate)
    if padding == "same":
        if output_padding is None:
            total = stride + k_eff - 2
        else:
            total = k_eff + k_eff % 2 - 2 + output_padding
        before = min((total + 1) // 2, k_eff - 1)
        after = total - before
    else:
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        before, after = k_eff - 1, k_eff - 1 + extra
    return k_eff - 1 - before, k_eff - 1 - after


def pool_output_shape(
    spatial: Sequence[Dim],
    pool_size: Sequence[int],
    strides: Sequence[int],
    padding: str,
) -> tuple[Dim, ...]:
    """Output spatial shape of an N-D pooling window."""
    return tuple(
        conv_output_length(n, p, padding, s)
        for n, p, s in zip(spatial, pool_size, strides)
    )
