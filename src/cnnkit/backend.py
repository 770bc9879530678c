"""``keras.backend`` basics tutorials still call.

Example:
    >>> from cnnkit import backend
    >>> backend.image_data_format(), backend.floatx()
    ('channels_last', 'float32')
"""

from __future__ import annotations

from cnnkit.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from cnnkit.naming import reset_names


def clear_session() -> None:
    """Reset the layer-name counters (``conv2d`` again) and free cached GPU memory."""
    import gc

    import torch

    reset_names()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def backend() -> str:
    """The engine's name: always ``'torch'``."""
    return "torch"


__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]
