"""Loss identifiers: ``get``, ``resolve`` (what ``compile`` does), (de)serialisation,
and :func:`logits_equivalent` for the fused softmax + cross-entropy path.

Example:
    >>> get("mse").__name__
    'mean_squared_error'
    >>> resolve("ce", y_true_shape=(32,), y_pred_shape=(32, 10)).fn.__name__
    'sparse_categorical_crossentropy'
    >>> fused = logits_equivalent(CategoricalCrossentropy(label_smoothing=0.1))
    >>> fused.from_logits, fused.label_smoothing
    (True, 0.1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from cnnkit.errors import InvalidArgumentError
from cnnkit.losses import classes as _classes
from cnnkit.losses.classes import (
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)
from cnnkit.losses.crossentropy import (
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from cnnkit.losses.functions import ALIASES, FUNCTION_REGISTRY, FUNCTIONS
from cnnkit.losses.loss import Loss
from cnnkit.losses.wrapper import LossFunctionWrapper
from cnnkit.naming import to_snake_case
from cnnkit.serialization import Registry

__all__ = [
    "ALL_OBJECTS",
    "deserialize",
    "get",
    "logits_equivalent",
    "resolve",
    "serialize",
    "target_kind",
]

LossFn = Callable[..., Any]
Identifier = str | dict[str, Any] | Loss | type | LossFn | None
TargetKind = Literal["binary", "sparse", "categorical"]

CLASSES: dict[str, type[Loss]] = {
    name: getattr(_classes, name) for name in _classes.__all__
}
ALL_OBJECTS: dict[str, Any] = {**CLASSES, **FUNCTIONS, **ALIASES}
_SHAPE_IDS = ("crossentropy", "ce")
_SHAPE_ID_FIX = (
    "The loss id {name!r} picks binary, sparse or categorical cross-entropy from "
    "the label and output shapes, so `get` cannot resolve it alone. Call "
    "cnnkit.losses.resolve({name!r}, y_true_shape, y_pred_shape), or name the loss: "
    "'binary_crossentropy', 'sparse_categorical_crossentropy' or "
    "'categorical_crossentropy'."
)
_REGISTRY = Registry(
    "loss",
    {**CLASSES, **FUNCTIONS},
    aliases=ALIASES,
    base=Loss,
    module="keras.losses",
    config_only={"LossFunctionWrapper": LossFunctionWrapper},
    functions=FUNCTION_REGISTRY,
    reserved=dict.fromkeys(_SHAPE_IDS, _SHAPE_ID_FIX),
    listed=sorted(FUNCTIONS) + sorted(ALIASES) + sorted(CLASSES) + list(_SHAPE_IDS),
    id_noun="loss identifier",
    known_label="Valid string ids",
    unknown_fix=". A custom loss can be passed as a function `fn(y_true, y_pred)` or "
    "a `cnnkit.losses.Loss` subclass instance.",
    accepts="a string id, a config dict, a `Loss` instance or a function "
    "fn(y_true, y_pred)",
    serializable="a `Loss` instance, a loss function or a string id",
)


def target_kind(
    y_true_shape: Sequence[int | None] | None, y_pred_shape: Sequence[int | None] | None
) -> TargetKind:
    """Keras' shape rule behind ``"accuracy"`` and ``"crossentropy"`` (spec §3.3).

    ``"binary"`` if ``y_pred.shape[-1] == 1``; else ``"sparse"`` if ``y_true`` has a
    lower rank, or ``y_true.shape[-1] == 1`` while ``y_pred.shape[-1] > 1``; else
    ``"categorical"``.

    Example:
        >>> target_kind((32, 1), (32, 10)), target_kind((32, 10), (32, 10))
        ('sparse', 'categorical')
    """
    if y_true_shape is None or y_pred_shape is None or not len(y_pred_shape):
        raise InvalidArgumentError(
            "Choosing between binary, sparse and categorical needs the label and "
            f"output shapes; received y_true_shape={y_true_shape!r}, "
            f"y_pred_shape={y_pred_shape!r}. Pass both (with a batch axis), or name "
            "the loss or metric explicitly."
        )
    true_last = y_true_shape[-1] if len(y_true_shape) else None
    pred_last = y_pred_shape[-1]
    if pred_last == 1:
        return "binary"
    if len(y_true_shape) < len(y_pred_shape) or (
        true_last == 1 and pred_last is not None and pred_last > 1
    ):
        return "sparse"
    return "categorical"


def get(identifier: Identifier) -> Loss | LossFn | None:
    """Retrieve a loss as Keras' ``keras.losses.get`` does.

    A snake_case id or alias (``"mse"``) gives the *function*; a class name
    (``"MeanSquaredError"``) or a class gives an instance with default arguments; a
    config dict is deserialised; a callable or ``Loss`` passes through.

    Raises:
        InvalidArgumentError: an unknown string id (the message lists the valid ones),
            or ``"crossentropy"``/``"ce"``, which need :func:`resolve`.
        InvalidTypeError: something that is neither a string, dict nor callable.

    Example:
        >>> get("MeanSquaredError")
        MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size')
        >>> get("msqe")
        Traceback (most recent call last):
        ...
        cnnkit.errors.InvalidArgumentError: Unknown loss identifier 'msqe'. Did you ...
    """
    return _REGISTRY.get(identifier)


def resolve(
    identifier: Identifier,
    y_true_shape: Sequence[int | None] | None = None,
    y_pred_shape: Sequence[int | None] | None = None,
) -> Loss | None:
    """Turn what was passed as ``compile(loss=...)`` into a :class:`Loss`.

    Strings and functions are wrapped in a :class:`LossFunctionWrapper` named after the
    string as passed (``"mse"`` stays ``"mse"``). ``"crossentropy"``/``"ce"`` choose
    binary, sparse or categorical cross-entropy with :func:`target_kind`.

    Example:
        >>> loss = resolve("mse")
        >>> loss.name, loss.fn.__name__
        ('mse', 'mean_squared_error')
        >>> resolve("ce", (32, 1), (32, 1)).fn.__name__
        'binary_crossentropy'
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in _SHAPE_IDS:
        kind = target_kind(y_true_shape, y_pred_shape)
        fn = {
            "binary": binary_crossentropy,
            "sparse": sparse_categorical_crossentropy,
            "categorical": categorical_crossentropy,
        }[kind]
        return LossFunctionWrapper(fn, name=identifier)
    obj = get(identifier)
    if isinstance(obj, Loss):
        return obj
    if isinstance(identifier, str):
        name = identifier
    else:
        name = to_snake_case(getattr(obj, "__name__", type(obj).__name__))
    return LossFunctionWrapper(obj, name=name)  # type: ignore[arg-type]


def logits_equivalent(loss: Any, softmax_axis: int = -1) -> Loss | None:
    """The same cross-entropy computed from the logits before a final softmax.

    DESIGN decision 8: when the model ends in a softmax, the trainer feeds the
    pre-softmax logits to this loss instead (fused ``log_softmax`` + NLL, one kernel,
    exact gradients). Only built-in categorical / sparse categorical cross-entropy
    with ``from_logits=False`` and the softmax's axis qualify; label smoothing,
    ``ignore_class``, reduction and name are kept. Anything else returns ``None``.

    How close the two are: with ``p = softmax(z)``, the probability form computes
    ``log(clip(p / sum(p), 1e-7, 1 - 1e-7))`` and the logits form ``log_softmax(z)``.
    They agree to float32 rounding (tested within ``rtol=1e-5, atol=1e-6``) unless a
    probability that the labels weight falls below 1e-7 (or above 1 - 1e-7): there
    Keras' clip caps the loss at ``-log(1e-7) ≈ 16.12`` and zeroes the gradient,
    while the fused form returns the true, larger value with a non-zero gradient.

    Example:
        >>> logits_equivalent(resolve("sparse_categorical_crossentropy")).name
        'sparse_categorical_crossentropy'
        >>> logits_equivalent(resolve("mse")) is None
        True
    """
    # Exact types only: a subclass may override `call`, and then fusing would be wrong.
    if type(loss) is CategoricalCrossentropy:
        if loss.from_logits or loss.axis != softmax_axis:
            return None
        return CategoricalCrossentropy(
            from_logits=True,
            label_smoothing=loss.label_smoothing,
            axis=loss.axis,
            reduction=loss.reduction,
            name=loss.name,
            dtype=loss.dtype,
        )
    if type(loss) is SparseCategoricalCrossentropy:
        if loss.from_logits or loss.axis != softmax_axis:
            return None
        return SparseCategoricalCrossentropy(
            from_logits=True,
            ignore_class=loss.ignore_class,
            reduction=loss.reduction,
            axis=loss.axis,
            name=loss.name,
            dtype=loss.dtype,
        )
    if type(loss) is LossFunctionWrapper and loss.fn in (
        categorical_crossentropy,
        sparse_categorical_crossentropy,
    ):
        kwargs = dict(loss._fn_kwargs)
        if kwargs.get("from_logits", False) or kwargs.get("axis", -1) != softmax_axis:
            return None
        kwargs["from_logits"] = True
        return LossFunctionWrapper(
            loss.fn,
            reduction=loss.reduction,
            name=loss.name,
            dtype=loss.dtype,
            **kwargs,
        )
    return None


def serialize(loss: Identifier) -> str | dict[str, Any] | None:
    """Keras' ``{module, class_name, config, registered_name}`` form of a loss.

    Strings and ``None`` are returned unchanged; built-in functions become Keras'
    ``{"class_name": "function", "config": name}`` record.

    Example:
        >>> serialize(get("mse"))["config"]
        'mean_squared_error'
        >>> serialize(CategoricalCrossentropy())["class_name"]
        'CategoricalCrossentropy'
    """
    if type(loss) is LossFunctionWrapper:
        # Keras writes its wrapper under its private module and registered name.
        return {
            "module": "keras.src.losses.losses",
            "class_name": "LossFunctionWrapper",
            "config": loss.get_config(),
            "registered_name": "LossFunctionWrapper",
        }
    return _REGISTRY.serialize(loss)


def deserialize(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Loss | LossFn:
    """Rebuild a loss from :func:`serialize`'s output (or a Keras file's).

    Raises:
        InvalidArgumentError: an unknown class or function name, or a malformed dict.

    Example:
        >>> config = serialize(CategoricalCrossentropy(from_logits=True))
        >>> deserialize(config).from_logits
        True
    """
    return _REGISTRY.deserialize(config, custom_objects)
