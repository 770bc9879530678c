"""``set_random_seed``: one call seeds Python, NumPy and torch.

Example:
    >>> import torch
    >>> set_random_seed(7); a = torch.rand(2)
    >>> set_random_seed(7); bool(torch.equal(a, torch.rand(2)))
    True
"""

from __future__ import annotations

import random

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError


def set_random_seed(seed: int) -> None:
    """Seed ``random``, ``numpy`` and ``torch`` (CPU and every GPU).

    Two CPU runs of the same program then give identical weights and histories. GPU
    kernels may still be non-deterministic; see ``torch.use_deterministic_algorithms``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgumentError(
            f"`seed` must be a non-negative int; received seed={seed!r}."
        )
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
