"""Optimizers with Keras 3 defaults and update rules, running on torch tensors.

``compile(optimizer="adam")`` resolves its string through ``get``; instances pass
through unchanged. Each optimizer updates plain ``torch.nn.Parameter`` tensors in
place with multi-tensor ops and never synchronises with the GPU.

Example:
    >>> import cnnkit.optimizers as optimizers
    >>> opt = optimizers.get("Adam")
    >>> type(opt).__name__, opt.get_config()["learning_rate"]
    ('Adam', 0.0010000000474974513)
    >>> optimizers.get(opt) is opt
    True
    >>> type(optimizers.deserialize(optimizers.serialize(opt))).__name__
    'Adam'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, overload

from cnnkit.errors import InvalidTypeError
from cnnkit.optimizers import schedules
from cnnkit.optimizers.adadelta import Adadelta
from cnnkit.optimizers.adagrad import Adagrad
from cnnkit.optimizers.adam import Adam, AdamW
from cnnkit.optimizers.adamax import Adamax
from cnnkit.optimizers.base import Optimizer
from cnnkit.optimizers.lion import Lion
from cnnkit.optimizers.nadam import Nadam
from cnnkit.optimizers.rmsprop import RMSprop
from cnnkit.optimizers.sgd import SGD
from cnnkit.serialization import Registry

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

_REGISTRY = Registry(
    "optimizer",
    {
        cls.__name__: cls
        for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion)
    },
    base=Optimizer,
    module="keras.optimizers",
    case_insensitive=True,
    # Keras optimizers that cnnkit does not provide (yet): named in the error message.
    keras_only=("adafactor", "ftrl", "lamb", "lossscaleoptimizer", "muon"),
    known_label="Valid ids (case-insensitive)",
    unknown_fix="; a custom class can be passed as an instance or through "
    "custom_objects.",
)


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Return the Keras 3 serialized form: ``{module, class_name, config, ...}``.

    Raises:
        InvalidTypeError: If ``optimizer`` is not a cnnkit ``Optimizer``.
    """
    if not isinstance(optimizer, Optimizer):
        raise InvalidTypeError(
            "`optimizer` must be a cnnkit Optimizer instance; received "
            f"{optimizer!r} of type {type(optimizer).__name__}."
        )
    return _REGISTRY.serialize(optimizer)


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Optimizer:
    """Create an optimizer from ``serialize()`` output or a Keras file's config.

    Args:
        config: A dict with ``class_name`` (case-insensitive for built-ins) and
            ``config``.
        custom_objects: Extra optimizer or schedule classes by name.

    Raises:
        InvalidTypeError: If ``config`` is not a dict with a ``class_name``.
        InvalidArgumentError: If ``class_name`` is unknown.
    """
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise InvalidTypeError(
            "`config` must be a dict such as {'class_name': 'Adam', 'config': {...}} "
            f"(the output of serialize()); received {config!r}."
        )
    cls = _REGISTRY.resolve_class(config, custom_objects)
    # Optimizers take custom_objects too: a schedule in the config may be custom.
    return cls.from_config(config.get("config") or {}, custom_objects)


@overload
def get(identifier: None) -> None: ...
@overload
def get(identifier: str | Mapping[str, Any] | Optimizer) -> Optimizer: ...


def get(identifier: str | Mapping[str, Any] | Optimizer | None) -> Optimizer | None:
    """Resolve an optimizer identifier, as ``keras.optimizers.get``.

    Args:
        identifier: A name such as ``"adam"`` or ``"RMSprop"`` (case-insensitive; the
            optimizer gets its default arguments), a serialized dict, an
            ``Optimizer`` instance (returned as is), or None (returned as is).

    Raises:
        InvalidArgumentError: For an unknown name.
        InvalidTypeError: For anything else, e.g. a class or a torch optimizer.

    Example:
        >>> get("sgd").get_config()["momentum"]
        0.0
    """
    if identifier is None or isinstance(identifier, str | Optimizer):
        return _REGISTRY.get(identifier)
    if isinstance(identifier, Mapping):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        fix = f"an instance: {identifier.__name__}()"
    elif type(identifier).__module__.startswith("torch.optim"):
        name = type(identifier).__name__
        fix = f"the cnnkit equivalent, e.g. cnnkit.optimizers.{name}()"
    else:
        fix = "a name such as 'adam' or an instance such as cnnkit.optimizers.Adam()"
    raise InvalidTypeError(
        f"Could not interpret optimizer identifier: {identifier!r}. Pass {fix}."
    )
