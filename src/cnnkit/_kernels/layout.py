"""Every translation between Keras layouts and torch layouts lives here.

cnnkit stores weights in Keras layouts (``(kh, kw, in, out)`` kernels, ``(in, out)``
Dense kernels), so ``get_weights``, ``layer.kernel.shape`` and files match Keras. torch
kernels want ``(out, in, kh, kw)`` and ``(N, C, H, W)`` tensors; the functions below
convert with views (``permute``/``movedim``) so the hot path copies nothing but the
(small) kernels.

A contiguous NHWC tensor viewed as NCHW *is* a torch ``channels_last`` tensor: torch's
conv and pooling kernels read it without a copy and return a ``channels_last`` result,
whose NHWC view is contiguous again.

Example:
    >>> import torch
    >>> x = torch.zeros(2, 5, 6, 3)            # (B, H, W, C), Keras channels_last
    >>> to_channels_first(x).shape              # (B, C, H, W) view, no copy
    torch.Size([2, 3, 5, 6])
    >>> to_channels_first(x).is_contiguous(memory_format=torch.channels_last)
    True
    >>> conv_kernel_to_torch(torch.zeros(3, 3, 4, 8)).shape
    torch.Size([8, 4, 3, 3])
"""

from __future__ import annotations

import torch


def to_channels_first(x: torch.Tensor) -> torch.Tensor:
    """``(B, *spatial, C)`` → ``(B, C, *spatial)`` as a view."""
    return x.movedim(-1, 1)


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """``(B, C, *spatial)`` → ``(B, *spatial, C)`` as a view."""
    return x.movedim(1, -1)


def conv_kernel_to_torch(kernel: torch.Tensor) -> torch.Tensor:
    """Keras ``(*k, in, out)`` → torch ``(out, in, *k)``.

    The same permutation maps a transposed-conv kernel, Keras ``(*k, out, in)``, to
    torch's ``conv_transpose`` layout ``(in, out, *k)``.
    """
    rank = kernel.dim() - 2
    return kernel.permute(rank + 1, rank, *range(rank))


def depthwise_kernel_to_torch(kernel: torch.Tensor) -> torch.Tensor:
    """Keras depthwise ``(*k, in, m)`` → torch grouped ``(in*m, 1, *k)``.

    Output channel ``c*m + j`` comes from input channel ``c`` (channel-major), as in
    Keras.
    """
    *spatial, channels, multiplier = kernel.shape
    flat = kernel.reshape(*spatial, 1, channels * multiplier)  # (*k, 1, in*m)
    return conv_kernel_to_torch(flat)


def lift_kernel_1d(kernel: torch.Tensor) -> torch.Tensor:
    """torch 1-D kernel ``(out, in, k)`` → the 2-D kernel ``(out, in, 1, k)`` (a view).

    Used together with :func:`conv_input_to_torch`, which runs 1-D channels_last
    convolutions as 2-D ones (see there for why).
    """
    return kernel.unsqueeze(2)


def conv_input_to_torch(x: torch.Tensor, data_format: str) -> torch.Tensor:
    """A Keras conv input → the channels-first view that torch's conv ops take.

    - ``channels_first``: already torch's layout, returned as is.
    - ``channels_last``, 2-D/3-D: ``(B, *S, C)`` → ``(B, C, *S)``, a view in torch's
      ``channels_last`` memory format (no copy).
    - ``channels_last``, 1-D: ``(B, L, C)`` → ``(B, C, 1, L)``. torch has no
      ``channels_last`` format for 3-D tensors, so ``conv1d`` on the ``(B, C, L)`` view
      copies the input and returns ``(B, C, L)`` memory (a second copy later); a 2-D
      conv on this view reads and writes NHWC memory directly (about 2x faster forward
      and 1.7x forward+backward here). Pair with :func:`lift_kernel_1d` and
      :func:`conv_output_from_torch`.

    Example:
        >>> x = torch.zeros(2, 10, 3)                      # (B, L, C)
        >>> conv_input_to_torch(x, "channels_last").shape  # (B, C, 1, L)
        torch.Size([2, 3, 1, 10])
    """
    if data_format == "channels_first":
        return x
    if x.dim() == 3:
        return x.unsqueeze(1).movedim(
            -1, 1
        )  # (B, L, C) -> (B, 1, L, C) -> (B, C, 1, L)
    return to_channels_first(x)


def conv_output_from_torch(
    y: torch.Tensor, data_format: str, rank: int
) -> torch.Tensor:
    """Inverse of :func:`conv_input_to_torch` for a conv of spatial ``rank``.

    Example:
        >>> y = torch.zeros(2, 5, 1, 8)                       # (B, C, 1, L)
        >>> conv_output_from_torch(y, "channels_last", 1).shape  # (B, L, C)
        torch.Size([2, 8, 5])
    """
    if data_format == "channels_first":
        return y
    if rank == 1:
        return y.movedim(1, -1).squeeze(1)  # (B, C, 1, L) -> (B, 1, L, C) -> (B, L, C)
    return to_channels_last(y)
