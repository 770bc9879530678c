"""Models: ``Sequential``, functional ``Model``, and loading (``load_model``, JSON)."""

from typing import Any

from cnnkit.models.model import Functional, Model
from cnnkit.models.sequential import Sequential
from cnnkit.saving import load_model as _load
from cnnkit.saving import model_from_json as _from_json
from cnnkit.saving.layer_config import deserialize_model, serialize_model
from cnnkit.saving.model_classes import register_model_classes

# Saving sits below the models: it learns their classes here (see model_classes).
register_model_classes(model=Model, sequential=Sequential, functional=Functional)


def load_model(
    filepath: Any,
    custom_objects: Any = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Model:
    """Load a model saved with ``model.save`` (``.keras`` or legacy ``.h5``)."""
    return _load(
        filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
    )


def clone_model(model: Model) -> Model:
    """A new model with the same architecture and freshly initialised weights."""
    return deserialize_model(serialize_model(model))


def model_from_json(json_string: str, custom_objects: Any = None) -> Model:
    """A new, freshly initialised model from ``model.to_json()`` text."""
    return _from_json(json_string, custom_objects=custom_objects)


__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
]
