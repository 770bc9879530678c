"""Gradient clipping with Keras' formulas, as multi-tensor (``torch._foreach``) ops.

Each function returns new tensors and leaves its input alone: the gradients usually
are the parameters' ``.grad`` tensors, which the caller may still want to read.
Nothing here reads a tensor value back to the host, so nothing waits for the GPU.

Example:
    >>> import torch
    >>> [g.tolist() for g in clip_by_norm([torch.tensor([3.0, 4.0])], 1.0)]
    [[0.6000000238418579, 0.800000011920929]]
    >>> [g.tolist() for g in clip_by_value([torch.tensor([-2.0, 0.5])], 1.0)]
    [[-1.0, 0.5]]
"""

from __future__ import annotations

import torch

__all__ = ["clip_by_global_norm", "clip_by_norm", "clip_by_value"]


def clip_by_norm(grads: list[torch.Tensor], clipnorm: float) -> list[torch.Tensor]:
    """Scale each gradient so that its own L2 norm is at most ``clipnorm``.

    Keras' form ``g * clipnorm / max(norm, clipnorm)``: a gradient already inside the
    ball, including an all-zero one, is multiplied by exactly 1.
    """
    norms = torch._foreach_norm(grads)
    denominators = torch._foreach_maximum(norms, clipnorm)
    return list(torch._foreach_div(torch._foreach_mul(grads, clipnorm), denominators))


def clip_by_global_norm(
    grads: list[torch.Tensor], clipnorm: float
) -> list[torch.Tensor]:
    """Scale all gradients together so that their joint L2 norm is at most ``clipnorm``.

    As in Keras, a non-finite global norm turns every gradient into NaN rather than
    silently skipping the clip; the ``(norm - norm)`` term carries that NaN.
    """
    norms = torch._foreach_norm(grads)
    total = torch.linalg.vector_norm(torch.stack(norms))  # stack promotes dtypes
    scale = torch.clamp(total.reciprocal(), max=1.0 / clipnorm) * clipnorm
    scale = scale + (total - total)
    # A 0-d tensor does not promote the dtype of the gradients it multiplies.
    return list(torch._foreach_mul(grads, scale))


def clip_by_value(grads: list[torch.Tensor], clipvalue: float) -> list[torch.Tensor]:
    """Clamp every gradient element into ``[-clipvalue, clipvalue]``."""
    return list(
        torch._foreach_clamp_max(torch._foreach_clamp_min(grads, -clipvalue), clipvalue)
    )
