"""The model classes that saving tells apart, registered by ``cnnkit.models``.

Saving sits below the models in the import order (models call ``save_model``,
never the other way round), yet a file must say whether it holds a Sequential, a
functional graph or a subclassed model, and a config naming ``"Sequential"`` must
come back as one. So ``cnnkit.models`` registers its classes here when it is
imported (``import cnnkit`` always imports it before any file is read), and saving
asks this table instead of importing the models.

Example:
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((2,)), cnnkit.layers.Dense(1)])
    >>> is_model(model), is_graph_model(model), model_class("Sequential").__name__
    (True, True, 'Sequential')
"""

from __future__ import annotations

from typing import Any

from cnnkit.errors import CnnkitError

_classes: dict[str, type] = {}


def register_model_classes(*, model: type, sequential: type, functional: type) -> None:
    """Called once by ``cnnkit.models``: the base model class and the two graph ones."""
    _classes.update(Model=model, Sequential=sequential, Functional=functional)


def model_class(name: str) -> type:
    """``"Model"``, ``"Sequential"`` or ``"Functional"``: the registered class."""
    try:
        return _classes[name]
    except KeyError:
        raise CnnkitError(
            f"No model class {name!r} is registered with cnnkit.saving: import "
            "cnnkit (or cnnkit.models) before loading or saving models."
        ) from None


def graph_classes() -> dict[str, type]:
    """The classes a config's ``class_name`` may name for a whole model."""
    return {name: model_class(name) for name in ("Sequential", "Functional")}


def is_model(obj: Any) -> bool:
    """A ``Model`` (Sequential, functional or subclassed), not a plain layer."""
    return isinstance(obj, model_class("Model"))


def is_graph_model(obj: Any) -> bool:
    """A Sequential or functional model: its layers are its graph, in order."""
    return isinstance(obj, tuple(graph_classes().values()))
