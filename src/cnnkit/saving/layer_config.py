"""Layer and model configs in Keras' ``config.json`` schema (KERAS_SPEC §6.1).

Every object is ``{module, class_name, config, registered_name}`` (layers also carry
``build_config``; functional layers carry ``name`` and ``inbound_nodes``; models carry
``compile_config``). Loading accepts both dtype forms (a string in Keras 3.0, a
DTypePolicy dict later), ignores ``shared_object_id``, and resolves class names only
through cnnkit's layers, the registry and ``custom_objects``: a ``module`` named in a
file is never imported, and configs holding Python code are refused.

Example:
    >>> from cnnkit import layers
    >>> entry = serialize_layer(layers.Dense(2, name="head"))
    >>> entry["module"], entry["class_name"], entry["config"]["units"]
    ('keras.layers', 'Dense', 2)
    >>> deserialize_layer(entry).name
    'head'
"""

from __future__ import annotations

import inspect
from typing import Any

from cnnkit import layers
from cnnkit.errors import FileFormatError
from cnnkit.layers.base.layer import Layer
from cnnkit.saving import model_classes
from cnnkit.saving.compile_config import get_compile_config
from cnnkit.serialization import get_registered_name, get_registered_object

# Keras 2 spellings that old files and tutorials use.
LEGACY_CLASS_NAMES = {
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "Conv2DTranspose": "Conv2DTranspose", "Deconvolution2D": "Conv2DTranspose",
    "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D", "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D", "Sequential": "Sequential",
    "Model": "Functional",
}  # fmt: skip

# Layers whose config always carries Python bytecode: always refused (see
# refuse_code). A `Lambda` is refused only when its function is bytecode; one that
# names a function loads when that function is registered or in `custom_objects`.
UNSAFE_CLASS_NAMES = ("TFOpLambda", "SlicingOpLambda")


def _layer_registry() -> dict[str, type]:
    registry: dict[str, type] = dict(layers._layer_classes())
    registry.update(model_classes.graph_classes())
    return registry


def _model_envelope(model: Layer) -> tuple[str, str | None]:
    """Keras' ``module``/``registered_name`` for its two model classes."""
    if type(model) is model_classes.model_class("Sequential"):
        return "keras", None
    if type(model) is model_classes.model_class("Functional"):
        # Functional is not a public Keras class, so Keras names its module.
        return "keras.src.models.functional", "Functional"
    return type(model).__module__, get_registered_name(type(model))


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """``{module, class_name, config, registered_name[, build_config]}`` for a layer.

    Models also carry ``compile_config`` (``{}`` until compiled), as Keras writes.
    """
    is_model = model_classes.is_model(layer)
    cls = type(layer)
    registered = get_registered_name(cls)
    is_custom = "cnnkit." not in cls.__module__ or ">" in registered
    entry: dict[str, Any] = {
        "module": cls.__module__ if is_custom else "keras.layers",
        "class_name": cls.__name__,
        "config": layer.get_config(),
        "registered_name": registered if is_custom else None,
    }
    if is_model:
        entry["module"], entry["registered_name"] = _model_envelope(layer)
    build_config = layer.get_build_config()
    if isinstance(layer, model_classes.model_class("Functional")):
        # Keras records no input shape for a functional model: its graph has them.
        entry["build_config"] = {"input_shape": None}
    elif build_config is not None and (layer.built or not is_model):
        entry["build_config"] = build_config
    if is_model:
        entry["compile_config"] = get_compile_config(layer)
    return entry


# Keys that newer Keras (or tf.keras 2) writes at a neutral value for features
# cnnkit does not have; dropped only when the cnnkit class does not take them.
_NEUTRAL_KERAS_KEYS: dict[str, Any] = {
    "quantization_config": None, "lora_rank": None, "lora_alpha": None, "groups": 1,
    "synchronized": False, "renorm": False, "renorm_clipping": None,
    "renorm_momentum": 0.99, "fused": None, "virtual_batch_size": None,
    "adjustment": None,
}  # fmt: skip


def _clean_config(config: dict[str, Any], cls: type | None = None) -> dict[str, Any]:
    config = {k: v for k, v in config.items() if k != "shared_object_id"}
    dtype = config.get("dtype")
    if isinstance(dtype, dict):
        config["dtype"] = (dtype.get("config") or {}).get("name")
    if cls is not None:
        try:
            accepted = set(inspect.signature(cls).parameters)
        except (TypeError, ValueError):  # pragma: no cover - builtins
            accepted = set(config)
        for key, neutral in _NEUTRAL_KERAS_KEYS.items():
            if key in config and key not in accepted and config[key] == neutral:
                del config[key]
    return config


def _lambda_has_code(config: dict[str, Any]) -> bool:
    """Whether a Lambda's config holds a function only running code could rebuild:
    ``__lambda__`` (Keras 3) or a ``[code, defaults, closure]`` list (Keras 2)."""
    function = config.get("function")
    if isinstance(function, dict):
        return function.get("class_name") != "function"
    shape = config.get("output_shape")
    if isinstance(shape, dict) and shape.get("class_name") != "function":
        return True
    if isinstance(function, str):  # Keras 2: a name, or base64 bytecode
        return config.get("function_type") != "function"
    return isinstance(function, list)


def refuse_code(config: Any, filename: str) -> None:
    """Refuse a config that would need Python code from the file to rebuild.

    Keras serialises a Python lambda (in a ``Lambda`` layer or anywhere) as
    marshalled bytecode; cnnkit never runs it, whatever ``safe_mode`` says. A
    ``Lambda`` whose function is a named reference passes here: loading looks the
    function up in ``custom_objects`` and the registry.

    Raises:
        FileFormatError: If ``config`` contains Python bytecode.
    """
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get("class_name")
            inner = item.get("config")
            lambda_code = (
                name == "Lambda" and isinstance(inner, dict) and _lambda_has_code(inner)
            )
            if name in UNSAFE_CLASS_NAMES or name == "__lambda__" or lambda_code:
                layer = inner.get("name", "?") if isinstance(inner, dict) else "?"
                raise FileFormatError(
                    f"{filename!r} contains a `{name}` (layer {layer!r}), which "
                    "stores Python bytecode. cnnkit never runs code from a file, "
                    "even with safe_mode=False: define the function with `def` and "
                    "pass it in `custom_objects={'name': fn}`, or rewrite it as a "
                    "layer class registered with "
                    "`@cnnkit.saving.register_keras_serializable()`."
                )
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def resolve_layer_class(
    class_name: str,
    registered_name: str | None = None,
    custom_objects: dict[str, Any] | None = None,
) -> type:
    """The class a config names: custom objects first, then cnnkit's layers."""
    for key in (registered_name, class_name):
        if key:
            found = get_registered_object(key, custom_objects)
            if found is not None:
                return found
    registry = _layer_registry()
    name = LEGACY_CLASS_NAMES.get(class_name, class_name)
    if name in registry:
        return registry[name]
    if class_name in UNSAFE_CLASS_NAMES:
        raise FileFormatError(
            f"The model contains a `{class_name}` layer, which stores Python code. "
            "cnnkit never runs code from a file; rewrite it as a custom layer class "
            "registered with `@cnnkit.saving.register_keras_serializable()` and pass "
            "it in `custom_objects`."
        )
    raise FileFormatError(
        f"Unknown layer class {class_name!r}. cnnkit knows {sorted(registry)}. For a "
        "custom layer, register it with `@cnnkit.saving.register_keras_serializable()` "
        "or pass `custom_objects={...}`."
    )


def deserialize_layer(
    entry: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Layer:
    """Rebuild a layer (or nested model) from its serialised entry."""
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise FileFormatError(
            f"A layer entry must be a dict with 'class_name' and 'config'; found {entry!r}."
        )
    cls = resolve_layer_class(
        entry["class_name"], entry.get("registered_name"), custom_objects
    )
    config = _clean_config(entry.get("config") or {}, cls)
    if issubclass(cls, (model_classes.model_class("Model"), layers.Lambda)):
        # Both resolve names inside their config (sub-layers, the Lambda function).
        layer = cls.from_config(config, custom_objects=custom_objects)  # type: ignore[attr-defined]
    else:
        layer = cls.from_config(config)  # type: ignore[attr-defined]
    build_config = entry.get("build_config")
    if build_config and not layer.built:
        layer.build_from_config(build_config)
    return layer


def serialize_model(model: Layer) -> dict[str, Any]:
    return serialize_layer(model)


def deserialize_model(
    entry: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Any:
    return deserialize_layer(entry, custom_objects)
