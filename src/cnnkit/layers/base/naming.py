"""Keras auto-names: snake_case of the class plus a process-global counter.

Example:
    >>> to_snake_case("MaxPooling2D"), to_snake_case("ReLU")
    ('max_pooling2d', 're_lu')
"""

from __future__ import annotations

import re
from collections import defaultdict

_counters: defaultdict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    """``Conv2DTranspose`` → ``conv2d_transpose`` (Keras' rule, so names match)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def unique_name(base: str) -> str:
    """``conv2d`` the first time, then ``conv2d_1``, ``conv2d_2``, ..."""
    count = _counters[base]
    _counters[base] += 1
    return base if count == 0 else f"{base}_{count}"


def reset_names() -> None:
    """Restart every counter (``cnnkit.backend.clear_session()``)."""
    _counters.clear()
