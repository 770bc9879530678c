"""Keras auto-names: the snake_case of the class plus a process-global counter.

One counter store for layers, models, optimizers, losses and metrics, as in Keras, so
``cnnkit.backend.clear_session()`` restarts all of them at once.

Example:
    >>> to_snake_case("MaxPooling2D"), to_snake_case("ReLU"), to_snake_case("F1Score")
    ('max_pooling2d', 're_lu', 'f1_score')
    >>> auto_name("ExampleThing"), auto_name("ExampleThing")
    ('example_thing', 'example_thing_1')
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


def auto_name(class_name: str) -> str:
    """The default name of an instance of ``class_name``: ``unique_name`` of its snake_case."""
    return unique_name(to_snake_case(class_name))


def reset_names() -> None:
    """Restart every counter (``cnnkit.backend.clear_session()``)."""
    _counters.clear()


__all__ = ["auto_name", "reset_names", "to_snake_case", "unique_name"]
