"""``compile_config``: what ``compile()`` was given, as Keras writes it, and back.

A saved model remembers its optimizer (with its current hyper-parameters), loss,
metrics and the other ``compile`` arguments, so ``load_model(..., compile=True)``
returns a model that trains on exactly where it stopped. Strings stay strings
(``"accuracy"`` keeps meaning "pick by label shape"); objects become Keras'
``{module, class_name, config, registered_name}`` dicts.

Example:
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(2)])
    >>> get_compile_config(model)
    {}
    >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    >>> config = get_compile_config(model)
    >>> config["optimizer"]["class_name"], config["loss"], config["metrics"]
    ('SGD', 'mse', ['mae'])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cnnkit import losses, metrics, optimizers
from cnnkit.layers.base.layer import Layer
from cnnkit.saving.saved_model import as_saved_model

__all__ = [
    "compile_from_config",
    "get_compile_config",
    "training_config_to_compile_config",
]

# Keras' `compile` arguments that a compile_config may carry.
_COMPILE_KEYS = (
    "optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
    "run_eagerly", "steps_per_execution", "jit_compile",
)  # fmt: skip


def _map_objects(value: Any, fn: Callable[[Any], Any]) -> Any:
    """Apply ``fn`` to every leaf object of a loss/metrics spec, keep the nesting."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_map_objects(item, fn) for item in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _map_objects(item, fn) for key, item in value.items()}
    return fn(value)


def get_compile_config(model: Layer) -> dict[str, Any]:
    """The ``compile_config`` of ``model``: ``{}`` until it is compiled."""
    args = getattr(model, "_compile_args", None)
    if not getattr(model, "compiled", False) or args is None:
        return {}
    jit = args.get("jit_compile")
    return {
        "optimizer": optimizers.serialize(as_saved_model(model, "save").optimizer),
        "loss": _map_objects(args.get("loss"), losses.serialize),
        "loss_weights": args.get("loss_weights"),
        "metrics": _map_objects(args.get("metrics"), metrics.serialize),
        "weighted_metrics": _map_objects(
            args.get("weighted_metrics"), metrics.serialize
        ),
        "run_eagerly": bool(args.get("run_eagerly", False)),
        "steps_per_execution": args.get("steps_per_execution", 1),
        # On torch, Keras resolves "auto" to False (eager).
        "jit_compile": jit is True,
    }


def _rebuild(value: Any, deserialize: Callable[..., Any], custom: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict) and "class_name" in value:
        return deserialize(value, custom)
    if isinstance(value, dict):
        return {key: _rebuild(item, deserialize, custom) for key, item in value.items()}
    return [_rebuild(item, deserialize, custom) for item in value]


def compile_from_config(
    model: Layer,
    config: dict[str, Any],
    custom_objects: dict[str, Any] | None = None,
) -> None:
    """``model.compile(...)`` with the arguments a ``compile_config`` records."""
    config = {key: config[key] for key in _COMPILE_KEYS if key in config}
    optimizer = config.pop("optimizer", "rmsprop")
    if isinstance(optimizer, dict):
        optimizer = optimizers.deserialize(optimizer, custom_objects)
    kwargs = {
        "loss": _rebuild(config.pop("loss", None), losses.deserialize, custom_objects),
        "metrics": _rebuild(
            config.pop("metrics", None), metrics.deserialize, custom_objects
        ),
        "weighted_metrics": _rebuild(
            config.pop("weighted_metrics", None), metrics.deserialize, custom_objects
        ),
    }
    as_saved_model(model, "compile").compile(optimizer=optimizer, **kwargs, **config)


def _upgrade_optimizer_config(config: dict[str, Any]) -> dict[str, Any]:
    """tf.keras 2 optimizer configs: ``lr`` → ``learning_rate``; drop dead keys."""
    inner = dict(config.get("config") or {})
    if "lr" in inner and "learning_rate" not in inner:
        inner["learning_rate"] = inner.pop("lr")
    for key in ("is_legacy_optimizer", "jit_compile"):
        inner.pop(key, None)
    if not inner.get("decay"):
        inner.pop("decay", None)  # 0.0 meant "no decay"; a real one still warns
    return {**config, "config": inner}


def _upgrade_loss(value: Any) -> Any:
    """Keras 2 loss objects carry ``reduction="auto"``, which meant the batch mean."""
    if isinstance(value, dict) and "class_name" in value:
        inner = dict(value.get("config") or {})
        if inner.get("reduction") == "auto":
            inner["reduction"] = "sum_over_batch_size"
        return {**value, "config": inner}
    if isinstance(value, dict):
        return {key: _upgrade_loss(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_upgrade_loss(item) for item in value]
    return value


def training_config_to_compile_config(training: dict[str, Any]) -> dict[str, Any]:
    """A legacy ``.h5`` ``training_config`` (Keras 3 or tf.keras 2) → compile config."""
    config = {key: training[key] for key in _COMPILE_KEYS if key in training}
    optimizer = training.get("optimizer_config")
    if isinstance(optimizer, dict):
        config["optimizer"] = _upgrade_optimizer_config(optimizer)
    config["loss"] = _upgrade_loss(config.get("loss"))
    for key in ("metrics", "weighted_metrics"):
        value = config.get(key)
        # tf.keras 2 wrote one list per output: [["accuracy"]] for one output.
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
            config[key] = value[0]
    return config
