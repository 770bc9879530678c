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

from cnnkit.errors import FileFormatError
from cnnkit.layers.base.keras_tensor import KerasTensor
from cnnkit.layers.base.layer import Layer
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

# Layers whose config carries Python bytecode: always refused (see refuse_code).
UNSAFE_CLASS_NAMES = ("Lambda", "TFOpLambda", "SlicingOpLambda")


def _layer_registry() -> dict[str, type]:
    from cnnkit import layers, models

    registry: dict[str, type] = dict(layers._layer_classes())
    registry.update({"Sequential": models.Sequential, "Functional": models.Functional})
    return registry


def _model_envelope(model: Any) -> tuple[str, str | None]:
    """Keras' ``module``/``registered_name`` for its two model classes."""
    from cnnkit.models.functional import Functional
    from cnnkit.models.sequential import Sequential

    if type(model) is Sequential:
        return "keras", None
    if type(model) is Functional:
        # Functional is not a public Keras class, so Keras names its module.
        return "keras.src.models.functional", "Functional"
    return type(model).__module__, get_registered_name(type(model))


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """``{module, class_name, config, registered_name[, build_config]}`` for a layer.

    Models also carry ``compile_config`` (``{}`` until compiled), as Keras writes.
    """
    from cnnkit.models.functional import Functional
    from cnnkit.models.model import Model

    cls = type(layer)
    registered = get_registered_name(cls)
    is_custom = "cnnkit." not in cls.__module__ or ">" in registered
    entry: dict[str, Any] = {
        "module": cls.__module__ if is_custom else "keras.layers",
        "class_name": cls.__name__,
        "config": layer.get_config(),
        "registered_name": registered if is_custom else None,
    }
    if isinstance(layer, Model):
        entry["module"], entry["registered_name"] = _model_envelope(layer)
    build_config = layer.get_build_config()
    if isinstance(layer, Functional):
        # Keras records no input shape for a functional model: its graph has them.
        entry["build_config"] = {"input_shape": None}
    elif build_config is not None and (layer.built or not isinstance(layer, Model)):
        entry["build_config"] = build_config
    if isinstance(layer, Model):
        from cnnkit.saving.compile_config import get_compile_config

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


def refuse_code(config: Any, filename: str) -> None:
    """Refuse a config that would need Python code from the file to rebuild.

    Keras serialises a ``Lambda`` layer (or a lambda anywhere) as marshalled
    bytecode; cnnkit never runs it, whatever ``safe_mode`` says.

    Raises:
        FileFormatError: If ``config`` contains a Lambda layer or a ``__lambda__``.
    """
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get("class_name")
            if name in UNSAFE_CLASS_NAMES or name == "__lambda__":
                inner = item.get("config")
                layer = inner.get("name", "?") if isinstance(inner, dict) else "?"
                raise FileFormatError(
                    f"{filename!r} contains a `{name}` (layer {layer!r}), which "
                    "stores Python bytecode. cnnkit never runs code from a file, "
                    "even with safe_mode=False: rewrite it as a layer class "
                    "registered with `@cnnkit.saving.register_keras_serializable()` "
                    "and pass it in `custom_objects`."
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
    from cnnkit.models.model import Model

    if issubclass(cls, Model) and hasattr(cls, "from_config"):
        layer = cls.from_config(config, custom_objects=custom_objects)
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


# ---------------------------------------------------------------- functional graphs


def _model_node_index(model: Any) -> dict[int, int]:
    """Per layer, renumber the nodes that belong to ``model`` from 0 (as Keras does)."""
    renumbered: dict[int, int] = {}
    for layer in model.layers:
        own = [n for n in layer._inbound_nodes if any(n is m for m in model._nodes)]
        for i, node in enumerate(own):
            renumbered[id(node)] = i
    return renumbered


def _tensor_ref(tensor: KerasTensor, renumbered: dict[int, int]) -> list[Any]:
    layer, node_index, tensor_index = tensor._keras_history  # type: ignore[misc]
    node = layer._inbound_nodes[node_index]
    return [layer.name, renumbered.get(id(node), node_index), tensor_index]


def functional_config(model: Any) -> dict[str, Any]:
    """``{name, trainable, layers, input_layers, output_layers}`` for a Functional."""
    renumbered = _model_node_index(model)

    def encode(value: Any) -> Any:
        if isinstance(value, KerasTensor):
            return {
                "class_name": "__keras_tensor__",
                "config": {
                    "shape": list(value.shape),
                    "dtype": value.dtype,
                    "keras_history": _tensor_ref(value, renumbered),
                },
            }
        if isinstance(value, list | tuple):
            return [encode(v) for v in value]
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        return value

    layer_entries = []
    for layer in model.layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        nodes = [n for n in layer._inbound_nodes if any(n is m for m in model._nodes)]
        entry["inbound_nodes"] = [
            {"args": encode(list(node.args)), "kwargs": encode(node.kwargs)}
            for node in nodes
            if not node.is_input
        ]
        layer_entries.append(entry)

    def refs(structure: Any) -> Any:
        if isinstance(structure, KerasTensor):
            return _tensor_ref(structure, renumbered)
        if isinstance(structure, dict):
            return {k: refs(v) for k, v in structure.items()}
        return [refs(t) for t in structure]

    base = Layer.get_config(model)
    return {
        "name": base["name"],
        "trainable": base["trainable"],
        "layers": layer_entries,
        "input_layers": refs(model._graph_inputs),
        "output_layers": refs(model._graph_outputs),
    }


def _call_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keras records ``training`` (and ``mask=None``) on nodes, but at run time the
    caller's ``training`` wins; replaying it would freeze Dropout/BN in one mode."""
    return {
        k: v for k, v in kwargs.items()
        if k != "training" and not (k == "mask" and v is None)
    }  # fmt: skip


def functional_from_config(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Any:
    """Rebuild a Functional model: create layers, then replay their calls in order."""
    from cnnkit.layers.input_layer import InputLayer
    from cnnkit.models.functional import Functional

    created: dict[str, Layer] = {}
    produced: dict[tuple[str, int], Any] = {}
    pending: list[tuple[Layer, list[dict[str, Any]]]] = []
    for entry in config["layers"]:
        layer = deserialize_layer(entry, custom_objects)
        name = entry.get("name") or entry["config"].get("name")
        created[name] = layer
        if isinstance(layer, InputLayer):
            produced[(name, 0)] = layer.output
        else:
            pending.append((layer, list(entry.get("inbound_nodes") or [])))

    def decode(value: Any) -> Any:
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            name, node_index, tensor_index = value["config"]["keras_history"]
            outputs = produced[(name, node_index)]
            return (
                outputs if isinstance(outputs, KerasTensor) else outputs[tensor_index]
            )
        if (
            isinstance(value, list | tuple)  # a live Keras config holds tuples
            and len(value) == 3
            and isinstance(value[0], str)
            and isinstance(value[1], int)
        ):
            # Keras 2 / legacy node form: [layer_name, node_index, tensor_index, kwargs]
            return decode(
                {
                    "class_name": "__keras_tensor__",
                    "config": {"keras_history": value[:3]},
                }
            )
        if isinstance(value, list | tuple):
            return [decode(v) for v in value]
        if isinstance(value, dict):
            return {k: decode(v) for k, v in value.items()}
        return value

    node_counts: dict[str, int] = {}
    progress = True
    while pending and progress:
        progress = False
        remaining = []
        for layer, nodes in pending:
            while nodes:
                try:
                    args = decode(nodes[0].get("args", []))
                    kwargs = decode(_call_kwargs(nodes[0].get("kwargs") or {}))
                except KeyError:
                    break
                outputs = layer(*args, **kwargs)
                index = node_counts.get(layer.name, 0)
                produced[(layer.name, index)] = outputs
                node_counts[layer.name] = index + 1
                nodes.pop(0)
                progress = True
            if nodes:
                remaining.append((layer, nodes))
        pending = remaining
    if pending:
        raise FileFormatError(
            "The functional model config is inconsistent: layers "
            f"{[layer.name for layer, _ in pending]} reference tensors that no layer produces."
        )

    def lookup(ref: Any) -> Any:
        if isinstance(ref, dict):
            return {k: lookup(v) for k, v in ref.items()}
        if ref and isinstance(ref[0], list | tuple):
            return [lookup(r) for r in ref]
        name, node_index, tensor_index = ref[:3]
        outputs = produced[(name, node_index)]
        return outputs if isinstance(outputs, KerasTensor) else outputs[tensor_index]

    inputs, outputs = lookup(config["input_layers"]), lookup(config["output_layers"])
    # tf.keras 2 wrote one input/output as a list of one; Keras 3 calls such a
    # model with and returns the bare tensor, so unwrap it the same way.
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if isinstance(outputs, list) and len(outputs) == 1:
        outputs = outputs[0]
    return Functional(
        inputs,
        outputs,
        name=config.get("name"),
        trainable=config.get("trainable", True),
    )
