"""The registry of serialisable objects and Keras' ``{module, class_name, config}`` form.

Layers, initializers, regularizers, constraints, losses, metrics and optimizers are
written to ``config.json`` as ``{"module", "class_name", "config", "registered_name"}``
dicts. Built-ins are found by ``class_name`` in their module's table; user classes are
registered with ``register_keras_serializable`` and found by ``"package>Name"``.

Example:
    >>> @register_keras_serializable(package="demo")
    ... class Scale:
    ...     def __init__(self, factor=2.0): self.factor = factor
    ...     def get_config(self): return {"factor": self.factor}
    >>> get_registered_name(Scale)
    'demo>Scale'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cnnkit.errors import InvalidArgumentError

T = TypeVar("T")

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}


def register_keras_serializable(
    package: str = "Custom", name: str | None = None
) -> Callable[[T], T]:
    """Register a class or function so saved files can name and rebuild it."""

    def decorator(obj: T) -> T:
        registered = f"{package}>{name or getattr(obj, '__name__', type(obj).__name__)}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise InvalidArgumentError(
                f"Cannot register {obj.__name__}: a serialisable class needs a "
                "`get_config()` method returning its constructor arguments."
            )
        _GLOBAL_CUSTOM_OBJECTS[registered] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    """``"package>Name"`` for a registered object, else its plain name."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(
    name: str, custom_objects: dict[str, Any] | None = None
) -> Any | None:
    """Look ``name`` up in ``custom_objects``, then in the global registry."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    # A registered name may be looked up by its short form as well.
    for key, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        if key.split(">", 1)[-1] == name:
            return obj
    return None


def get_custom_objects() -> dict[str, Any]:
    """The live global registry (``register_keras_serializable`` fills it)."""
    return _GLOBAL_CUSTOM_OBJECTS


def serialize_object(obj: Any, module: str) -> dict[str, Any]:
    """``{module, class_name, config, registered_name}`` for an object with a config."""
    cls = type(obj)
    registered = _GLOBAL_CUSTOM_NAMES.get(cls)
    return {
        "module": module if registered is None else cls.__module__,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": registered,
    }


def deserialize_object(
    config: Any,
    builtins: dict[str, Any],
    kind: str,
    custom_objects: dict[str, Any] | None = None,
) -> Any:
    """Rebuild an object from its serialised dict using ``builtins`` or the registry."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise InvalidArgumentError(
            f"Cannot deserialize {kind} from {config!r}: expected a dict with "
            "'class_name' and 'config' keys, as written by `serialize`."
        )
    class_name = config["class_name"]
    registered = config.get("registered_name")
    cls = None
    for key in (registered, class_name):
        if key:
            cls = get_registered_object(key, custom_objects)
            if cls is not None:
                break
    if cls is None:
        cls = builtins.get(class_name)
    if cls is None:
        raise InvalidArgumentError(
            f"Unknown {kind} {class_name!r}. Known {kind}s: {sorted(builtins)}. For "
            "a custom class, decorate it with "
            "`@cnnkit.saving.register_keras_serializable()` or pass it in "
            "`custom_objects={...}`."
        )
    inner = config.get("config") or {}
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)
