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
