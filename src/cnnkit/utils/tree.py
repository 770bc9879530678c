"""Tiny helpers over nested lists / tuples / dicts of leaves (inputs and outputs).

Example:
    >>> flatten({"b": [1, 2], "a": 3})
    [3, 1, 2]
    >>> map_structure(lambda v: v * 10, [1, (2, 3)])
    [10, (20, 30)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def flatten(value: Any) -> list[Any]:
    """Leaves in order; dict values are visited in sorted-key order (as Keras does)."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in flatten(value[key])]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in flatten(item)]
    return [value]


def map_structure(fn: Callable[[Any], Any], value: Any) -> Any:
    """Apply ``fn`` to every leaf, keeping the container types."""
    if isinstance(value, dict):
        return {key: map_structure(fn, item) for key, item in value.items()}
    if isinstance(value, list):
        return [map_structure(fn, item) for item in value]
    if isinstance(value, tuple):
        return tuple(map_structure(fn, item) for item in value)
    return fn(value)
