"""The registry of serialisable objects and Keras' ``{module, class_name, config}`` form.

Layers, initializers, regularizers, constraints, losses, metrics and optimizers are
written to ``config.json`` as ``{"module", "class_name", "config", "registered_name"}``
dicts. Built-ins are found by ``class_name`` in their family's :class:`Registry`; user
classes are registered with ``register_keras_serializable`` and found by
``"package>Name"``.

Example:
    >>> @register_keras_serializable(package="demo")
    ... class Scale:
    ...     def __init__(self, factor=2.0): self.factor = factor
    ...     def get_config(self): return {"factor": self.factor}
    >>> get_registered_name(Scale)
    'demo>Scale'
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from cnnkit.errors import InvalidArgumentError, InvalidTypeError

__all__ = [
    "Registry",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
]

T = TypeVar("T")

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_REGISTER_FIX = (
    ". For a custom class, decorate it with "
    "`@cnnkit.saving.register_keras_serializable()` or pass it in "
    "`custom_objects={...}`."
)


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
    name: str, custom_objects: Mapping[str, Any] | None = None
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


def _article(noun: str) -> str:
    # Good enough for our nouns: "an initializer", "a unit", "a loss".
    return "an" if noun[:1] in ("a", "e", "i", "o") else "a"


class Registry:
    """One family's string ids and Keras' ``get`` / ``serialize`` / ``deserialize``.

    Every family (activations, initializers, losses, ...) is the same table: names
    that resolve to built-ins, then the user's ``custom_objects`` and the classes
    registered with :func:`register_keras_serializable`. What differs is data: the
    names, the Keras module written into configs, and the wording of the errors.

    Args:
        kind: The family's noun in messages (``"initializer"``).
        members: Canonical names (class or function ``__name__``) and their objects.
        aliases: More names for the same objects (``"mse"``); read, never written.
        base: Instances of this class pass ``get`` unchanged, subclasses are
            instantiated; None for a family of plain functions.
        module: The Keras module that configs of built-ins name (``"keras.losses"``).
        config_only: Classes a config dict may name that no string id reaches
            (``LossFunctionWrapper`` needs a function, so ``get`` cannot build it).
        functions: The registry that Keras' ``{"class_name": "function"}`` records
            resolve in; this one by default.
        case_insensitive: Whether ``"Adam"`` and ``"adam"`` are the same id.
        reserved: Lower-case ids that no table can answer, each with the message
            (a ``str.format`` template with ``{name}``) that says what to do instead.
        keras_only: Lower-case ids that Keras has and cnnkit does not (yet).
        listed: The ids an unknown-id error lists, in order; all ids by default.
        id_noun: What an unknown name is called (``"loss identifier"``); ``kind``
            by default.
        known_label: The words before the listed ids.
        unknown_fix: What follows the list in an unknown-id error.
        accepts: What ``get`` accepts, for the error on anything else.
        serializable: What ``serialize`` accepts, for the error on anything else.
        type_error: The class of the error ``get`` raises on an unusable type.

    Example:
        >>> class Gain:
        ...     def __init__(self, factor=2.0): self.factor = factor
        ...     def get_config(self): return {"factor": self.factor}
        >>> gains = Registry("gain", {"Gain": Gain}, aliases={"gain": Gain},
        ...                  base=Gain, module="demo.gains")
        >>> gains.get("gain").factor
        2.0
        >>> config = gains.serialize(Gain(3.0))
        >>> config["module"], config["class_name"], config["config"]
        ('demo.gains', 'Gain', {'factor': 3.0})
        >>> gains.deserialize(config).factor
        3.0
        >>> gains.get("gian")
        Traceback (most recent call last):
        ...
        cnnkit.errors.InvalidArgumentError: Unknown gain 'gian'. Did you mean 'gain'? ...
    """

    def __init__(
        self,
        kind: str,
        members: Mapping[str, Any],
        *,
        aliases: Mapping[str, Any] | None = None,
        base: type | None = None,
        module: str = "",
        config_only: Mapping[str, Any] | None = None,
        functions: Registry | None = None,
        case_insensitive: bool = False,
        reserved: Mapping[str, str] | None = None,
        keras_only: Collection[str] = (),
        listed: Sequence[str] | None = None,
        id_noun: str | None = None,
        known_label: str = "Known ids",
        unknown_fix: str = _REGISTER_FIX,
        accepts: str = "a string id, a config dict or a callable",
        serializable: str = "an object with `get_config()`, a function or a string id",
        type_error: type[Exception] = InvalidTypeError,
    ) -> None:
        self.kind = kind
        self.base = base
        self.module = module
        self.config_only = dict(config_only or {})
        self.functions = functions or self
        self.case_insensitive = case_insensitive
        self.reserved = dict(reserved or {})
        self.keras_only = tuple(keras_only)
        self.listed = list(listed) if listed is not None else None
        self.id_noun = id_noun or kind
        self.known_label = known_label
        self.unknown_fix = unknown_fix
        self.accepts = accepts
        self.serializable = serializable
        self.type_error = type_error
        self._table = {
            self._key(name): obj for name, obj in {**members, **(aliases or {})}.items()
        }

    def __repr__(self) -> str:
        return f"<Registry of {len(self._table)} {self.kind} ids>"

    def _key(self, name: str) -> str:
        return name.lower() if self.case_insensitive else name

    def names(self) -> list[str]:
        """The ids an unknown-id error lists."""
        return list(self.listed) if self.listed is not None else sorted(self._table)

    def find(
        self, name: str, custom_objects: Mapping[str, Any] | None = None
    ) -> Any | None:
        """A built-in by id, else a custom or registered object, else None."""
        found = self._table.get(self._key(name))
        return (
            found if found is not None else get_registered_object(name, custom_objects)
        )

    def lookup(self, name: str, custom_objects: Mapping[str, Any] | None = None) -> Any:
        """Like :meth:`find`, but an unknown or reserved id raises a teaching error."""
        template = self.reserved.get(name.lower())
        if template is not None:
            raise InvalidArgumentError(template.format(name=name))
        found = self.find(name, custom_objects)
        if found is None:
            raise self.unknown(name)
        return found

    def unknown(self, name: str) -> InvalidArgumentError:
        """The error for an id nothing answers: close matches, then every valid id."""
        names = self.names()
        if name.lower() in self.keras_only:
            hint = f" {name!r} exists in Keras but is not implemented in cnnkit yet."
        else:
            close = difflib.get_close_matches(self._key(name), names, n=3)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        return InvalidArgumentError(
            f"Unknown {self.id_noun} {name!r}.{hint} {self.known_label}: "
            f"{names}{self.unknown_fix}"
        )

    def get(
        self, identifier: object, custom_objects: Mapping[str, Any] | None = None
    ) -> Any:
        """Keras' ``get``: None and instances of ``base`` pass through, a string id or
        a config dict is deserialised, a ``base`` subclass is instantiated with its
        defaults and any other callable passes through.

        Raises:
            InvalidArgumentError: an unknown or reserved id, or a malformed dict.
            type_error: anything else (the message says what is accepted).
        """
        if identifier is None or (
            self.base is not None and isinstance(identifier, self.base)
        ):
            return identifier
        if isinstance(identifier, str | Mapping):
            return self.deserialize(identifier, custom_objects)
        if (
            isinstance(identifier, type)
            and self.base is not None
            and issubclass(identifier, self.base)
        ):
            return identifier()
        if callable(identifier):
            return identifier
        raise self.type_error(
            f"{_article(self.kind).title()} {self.kind} must be {self.accepts}; received {identifier!r} "
            f"of type {type(identifier).__name__}."
        )

    def is_builtin(self, cls: type) -> bool:
        """Whether ``cls`` is the class a built-in id or config names."""
        found = self._table.get(self._key(cls.__name__))
        return found is cls or self.config_only.get(cls.__name__) is cls

    def name_of(self, fn: Any) -> str:
        """The id ``serialize`` writes for a function: its own name for a built-in,
        else its registered name."""
        name = getattr(fn, "__name__", None)
        if name is not None and self._table.get(self._key(name)) is fn:
            return str(name)
        return get_registered_name(fn)

    def serialize(self, obj: Any) -> Any:
        """Keras' config form: ``{module, class_name, config, registered_name}`` for an
        object with ``get_config()``, Keras' ``"function"`` record for a function;
        None and strings are returned unchanged.

        Raises:
            InvalidTypeError: ``obj`` is none of these.
        """
        if obj is None or isinstance(obj, str):
            return obj
        if hasattr(obj, "get_config") and not isinstance(obj, type):
            cls = type(obj)
            builtin = self.is_builtin(cls)
            return {
                "module": self.module if builtin else cls.__module__,
                "class_name": cls.__name__,
                "config": obj.get_config(),
                "registered_name": None if builtin else get_registered_name(cls),
            }
        if callable(obj) and hasattr(obj, "__name__"):
            return {
                "module": "builtins",
                "class_name": "function",
                "config": self.name_of(obj),
                "registered_name": "function",
            }
        raise InvalidTypeError(
            f"Cannot serialize the {self.kind} {obj!r} of type {type(obj).__name__}: "
            f"expected {self.serializable}."
        )

    def resolve_class(
        self, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None
    ) -> Any:
        """The class a config dict names: the user's objects first (by registered
        name, then class name), then the built-ins."""
        class_name = str(config["class_name"])
        for key in (config.get("registered_name"), class_name):
            if key:
                found = get_registered_object(str(key), custom_objects)
                if found is not None:
                    return found
        found = self._table.get(self._key(class_name))
        if found is None:
            found = self.config_only.get(class_name)
        if found is None:
            raise self.unknown(class_name)
        return found

    def deserialize(
        self,
        config: str | Mapping[str, Any],
        custom_objects: Mapping[str, Any] | None = None,
    ) -> Any:
        """Rebuild what :meth:`serialize` wrote, or what a string id names.

        Raises:
            InvalidArgumentError: an unknown name, or a dict without ``class_name``.
        """
        if isinstance(config, str):
            found = self.lookup(config, custom_objects)
            return found() if isinstance(found, type) else found
        if not isinstance(config, Mapping) or "class_name" not in config:
            raise InvalidArgumentError(
                f"Cannot deserialize {_article(self.kind)} {self.kind} from {config!r}: expected "
                "a string id or a dict with 'class_name' and 'config' keys, as "
                "written by `serialize`."
            )
        if config["class_name"] == "function":
            return self.functions.deserialize(str(config.get("config")), custom_objects)
        cls = self.resolve_class(config, custom_objects)
        if not isinstance(cls, type):
            return cls  # a function that a config names by class_name
        inner = dict(config.get("config") or {})
        if hasattr(cls, "from_config"):
            return cls.from_config(inner)
        return cls(**inner)
