"""Metric ids: ``get``, ``resolve`` (the ``"accuracy"`` rule) and (de)serialisation.

Example:
    >>> resolve("acc", y_true_shape=(32, 1), y_pred_shape=(32, 10))
    <SparseCategoricalAccuracy name=acc>
    >>> resolve("accuracy", (32,), (32, 1))
    <BinaryAccuracy name=accuracy>
    >>> get("mse")
    <MeanSquaredError name=mean_squared_error>
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cnnkit.errors import InvalidArgumentError
from cnnkit.losses.loss import Loss
from cnnkit.losses.registry import target_kind
from cnnkit.metrics import accuracy_metrics as _accuracy
from cnnkit.metrics import auc as _auc
from cnnkit.metrics import confusion as _confusion
from cnnkit.metrics import fscore as _fscore
from cnnkit.metrics import iou_metrics as _iou
from cnnkit.metrics import probabilistic as _probabilistic
from cnnkit.metrics import regression as _regression
from cnnkit.metrics.functions import (
    FUNCTION_REGISTRY,
    deserialize_function,
    serialize_function,
)
from cnnkit.metrics.metric import Metric
from cnnkit.metrics.reduction import Mean, MeanMetricWrapper, Sum
from cnnkit.naming import to_snake_case
from cnnkit.serialization import Registry

__all__ = [
    "ALL_OBJECTS",
    "deserialize",
    "deserialize_function",
    "get",
    "resolve",
    "serialize",
    "serialize_function",
]

MetricFn = Callable[..., Any]
Identifier = str | dict[str, Any] | Metric | type | MetricFn | None

_CLASS_LIST: list[type[Metric]] = [Mean, Sum]
for _module in (
    _accuracy,
    _confusion,
    _auc,
    _fscore,
    _iou,
    _regression,
    _probabilistic,
):
    _CLASS_LIST += [
        getattr(_module, n)
        for n in _module.__all__
        if isinstance(getattr(_module, n), type)
    ]
CLASSES: dict[str, type[Metric]] = {cls.__name__: cls for cls in _CLASS_LIST}
SNAKE_NAMES: dict[str, type[Metric]] = {to_snake_case(n): c for n, c in CLASSES.items()}
ALIASES: dict[str, type[Metric]] = {
    "bce": _probabilistic.BinaryCrossentropy,
    "BCE": _probabilistic.BinaryCrossentropy,
    "mse": _regression.MeanSquaredError,
    "MSE": _regression.MeanSquaredError,
    "mae": _regression.MeanAbsoluteError,
    "MAE": _regression.MeanAbsoluteError,
    "mape": _regression.MeanAbsolutePercentageError,
    "MAPE": _regression.MeanAbsolutePercentageError,
    "msle": _regression.MeanSquaredLogarithmicError,
    "MSLE": _regression.MeanSquaredLogarithmicError,
}
ALL_OBJECTS: dict[str, type[Metric]] = {**CLASSES, **SNAKE_NAMES, **ALIASES}
_ACCURACY_IDS = ("accuracy", "acc")
_CROSSENTROPY_IDS = ("crossentropy", "ce")

_BY_KIND: dict[str, dict[str, type[Metric]]] = {
    "accuracy": {
        "binary": _accuracy.BinaryAccuracy,
        "sparse": _accuracy.SparseCategoricalAccuracy,
        "categorical": _accuracy.CategoricalAccuracy,
    },
    "crossentropy": {
        "binary": _probabilistic.BinaryCrossentropy,
        "sparse": _probabilistic.SparseCategoricalCrossentropy,
        "categorical": _probabilistic.CategoricalCrossentropy,
    },
}


_SHAPE_ID_FIX = (
    "The metric id {name!r} picks its binary, sparse or categorical form from the "
    "label and output shapes, so `get` cannot resolve it alone. Call "
    "cnnkit.metrics.resolve({name!r}, y_true_shape, y_pred_shape), or name the "
    "metric, e.g. 'sparse_categorical_accuracy'."
)
_REGISTER_FIX = (
    ". Register a custom one with @register_keras_serializable or pass it in "
    "`custom_objects`."
)
_REGISTRY = Registry(
    "metric",
    CLASSES,
    aliases={**SNAKE_NAMES, **ALIASES},
    base=Metric,
    module="keras.metrics",
    config_only={"MeanMetricWrapper": MeanMetricWrapper},
    functions=FUNCTION_REGISTRY,
    reserved=dict.fromkeys(("acc", *_CROSSENTROPY_IDS), _SHAPE_ID_FIX),
    listed=sorted(SNAKE_NAMES) + sorted(ALIASES) + ["acc", "ce", "crossentropy"],
    id_noun="metric identifier",
    known_label="Valid string ids",
    unknown_fix=" (class names such as 'Precision' work too). A custom metric can be "
    "passed as a function fn(y_true, y_pred) or a `cnnkit.metrics.Metric` instance.",
    accepts="a string id, a config dict, a `Metric` instance or a function "
    "fn(y_true, y_pred)",
    serializable="a `Metric` instance, a function or a string id",
)


def get(identifier: Identifier) -> Metric | MetricFn | None:
    """Retrieve a metric as Keras' ``keras.metrics.get`` does.

    String ids (snake_case or class names, and aliases) and classes give an instance
    with default arguments; functions and ``Metric`` instances pass through. Note that
    ``"accuracy"`` here is :class:`Accuracy` (exact equality); the shape-dependent
    meaning it has in ``compile`` comes from :func:`resolve`.

    Raises:
        InvalidArgumentError: an unknown id (the message lists the valid ones), or
            ``"acc"``/``"crossentropy"``/``"ce"``, which need :func:`resolve`.
        InvalidTypeError: something that is neither a string, dict nor callable.

    Example:
        >>> type(get("auc")).__name__, get("AUC").curve
        ('AUC', 'ROC')
    """
    return _REGISTRY.get(identifier)


def resolve(
    identifier: Identifier,
    y_true_shape: Sequence[int | None] | None = None,
    y_pred_shape: Sequence[int | None] | None = None,
) -> Metric:
    """Turn one entry of ``compile(metrics=[...])`` into a :class:`Metric`.

    ``"accuracy"``/``"acc"`` (any case) resolve by shape only (KERAS_SPEC §3.3):
    binary if ``y_pred.shape[-1] == 1``; else sparse if ``y_true`` has a lower rank or
    ``y_true.shape[-1] == 1``; else categorical. ``"crossentropy"``/``"ce"`` follow
    the same rule. A string id names the metric exactly as passed ('acc' stays
    'acc'); functions are wrapped in :class:`MeanMetricWrapper`.

    Raises:
        InvalidArgumentError: ``identifier`` is None or unknown, or the shapes a
            shape-dependent id needs are missing.

    Example:
        >>> resolve("acc", (32, 10), (32, 10))
        <CategoricalAccuracy name=acc>
        >>> resolve("mse").name
        'mse'
    """
    if identifier is None:
        raise InvalidArgumentError(
            "Expected a metric, received None. Remove it from `metrics=[...]`."
        )
    if isinstance(identifier, str) and identifier.lower() in (
        *_ACCURACY_IDS,
        *_CROSSENTROPY_IDS,
    ):
        family = "accuracy" if identifier.lower() in _ACCURACY_IDS else "crossentropy"
        kind = target_kind(y_true_shape, y_pred_shape)
        return _BY_KIND[family][kind](name=identifier)
    obj = get(identifier)
    if isinstance(identifier, str):
        name = identifier
    elif hasattr(obj, "name"):
        name = obj.name  # type: ignore[union-attr]
    else:
        name = to_snake_case(getattr(obj, "__name__", type(obj).__name__))
    if not isinstance(obj, Metric):
        obj = MeanMetricWrapper(obj, name=name)  # type: ignore[arg-type]
    obj.name = name
    return obj


def serialize(metric: Identifier) -> str | dict[str, Any] | None:
    """Keras' ``{module, class_name, config, registered_name}`` form of a metric.

    Example:
        >>> serialize(get("auc"))["config"]["num_thresholds"]
        200
    """
    if isinstance(metric, Loss):
        return serialize_function(metric)
    return _REGISTRY.serialize(metric)


def deserialize(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Metric | MetricFn:
    """Rebuild a metric from :func:`serialize`'s output (or a Keras file's).

    Raises:
        InvalidArgumentError: an unknown class name or a malformed config.

    Example:
        >>> deserialize(serialize(get("Precision"))).thresholds
        [0.5]
    """
    return _REGISTRY.deserialize(config, custom_objects)
