"""Nested layers in configs (Bidirectional's ``layer``, RNN's ``cell``): Keras'
``{module, class_name, config, registered_name}`` form, written and read here so that
``cnnkit.layers`` needs nothing from ``cnnkit.saving``."""

from __future__ import annotations

from typing import Any

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.serialization import get_registered_name, get_registered_object


def serialize_layer(layer: Layer) -> dict[str, Any]:
    registered = get_registered_name(type(layer))
    custom = ">" in registered
    return {
        "module": type(layer).__module__ if custom else "keras.layers",
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "registered_name": registered if custom else None,
    }


def builtin_layer(name: str) -> type[Layer] | None:
    """The cnnkit layer class called ``name``, found among Layer's subclasses (the
    ``cnnkit.layers`` package imports this module, so it cannot be imported here)."""
    stack = list(Layer.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls.__name__ == name and cls.__module__.startswith("cnnkit.layers."):
            return cls
        stack.extend(cls.__subclasses__())
    return None


def deserialize_layer(entry: dict[str, Any]) -> Layer:
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise InvalidArgumentError(
            "Expected a layer or a serialised layer dict with 'class_name' and "
            f"'config' (Bidirectional's `layer`, RNN's `cell`); received {entry!r}."
        )
    name = entry["class_name"]
    cls = get_registered_object(entry.get("registered_name") or name)
    if cls is None:
        cls = builtin_layer(name)
    if cls is None:
        raise InvalidArgumentError(
            f"Cannot rebuild a layer of class {name!r}: it is neither a "
            "cnnkit layer nor registered with "
            "`@cnnkit.saving.register_keras_serializable()`."
        )
    return cls.from_config(dict(entry.get("config") or {}))
