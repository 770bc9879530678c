"""Legacy model configs: Keras 3's ``.h5`` form and tf.keras 2's, both directions.

A legacy ``.h5`` file stores ``model_config`` as ``{class_name, config}`` with layer
entries that carry no ``module``/``registered_name``/``build_config``. Files from
tf.keras 2 differ further: ``batch_input_shape`` instead of ``batch_shape``,
``axis`` as a one-element list, mixed-precision ``Policy`` dtypes, ``Model`` as
the functional class name, and graph nodes written as nested lists
``[[["conv2d", 0, 0, {}]]]`` instead of ``{"args": ..., "kwargs": ...}``.
``upgrade_model_config`` rewrites any of them into the Keras 3 form that
``deserialize_layer`` reads; ``legacy_model_config`` writes Keras 3's legacy form.

Example:
    >>> entry = upgrade_model_config({
    ...     "class_name": "InputLayer",
    ...     "config": {"batch_input_shape": [None, 28, 28, 1], "name": "input_1"}})
    >>> entry["config"]
    {'name': 'input_1', 'batch_shape': [None, 28, 28, 1]}
"""

from __future__ import annotations

from typing import Any

from cnnkit.errors import FileFormatError
from cnnkit.layers.base.layer import Layer
from cnnkit.saving.layer_config import LEGACY_CLASS_NAMES

__all__ = ["legacy_model_config", "upgrade_model_config"]

_MODEL_CLASSES = ("Sequential", "Functional")
# Keys Keras 3's legacy writer leaves out of layer entries.
_V3_ONLY_KEYS = ("module", "registered_name", "build_config", "compile_config")


def _tensor(ref: list[Any]) -> dict[str, Any]:
    return {
        "class_name": "__keras_tensor__",
        "config": {"keras_history": [ref[0], ref[1], ref[2]]},
    }


def _upgrade_nodes(nodes: Any) -> list[dict[str, Any]]:
    """tf.keras 2 nodes (lists of ``[layer, node, tensor, kwargs]``) → Keras 3."""
    upgraded = []
    for node in nodes or []:
        if isinstance(node, dict):
            upgraded.append(node)
            continue
        if not isinstance(node, list) or not all(isinstance(r, list) for r in node):
            raise FileFormatError(
                f"Unreadable inbound node in the model config: {node!r}."
            )
        tensors = [_tensor(ref) for ref in node]
        kwargs = node[0][3] if node and len(node[0]) > 3 else {}
        # One input is passed as itself, several as one list (Add, Concatenate).
        args = [tensors[0]] if len(tensors) == 1 else [tensors]
        upgraded.append({"args": args, "kwargs": dict(kwargs or {})})
    return upgraded


def _upgrade_layer_config(class_name: str, config: dict[str, Any]) -> dict[str, Any]:
    config = dict(config)
    shape = config.pop("batch_input_shape", None)
    if shape is not None:
        # Other layers keep it: it still means "prepend an Input" in a Sequential.
        config["batch_shape" if class_name == "InputLayer" else "batch_input_shape"] = (
            shape
        )
    axis = config.get("axis")
    if isinstance(axis, list) and len(axis) == 1:
        config["axis"] = int(axis[0])
    dtype = config.get("dtype")
    if isinstance(dtype, dict) and dtype.get("class_name") == "Policy":
        policy = dtype.get("config") or {}
        # A non-object policy config is left for the layer checks to refuse.
        if isinstance(policy, dict):
            config["dtype"] = policy.get("name")
    return config


def _refuse(where: str, message: str) -> FileFormatError:
    return FileFormatError(f"at {where} in the model config, {message}")


def upgrade_model_config(entry: Any, where: str = "$") -> dict[str, Any]:
    """Any legacy model or layer entry → the Keras 3 entry ``deserialize_layer`` reads.

    ``where`` is the entry's place in the config (``$.config.layers[1]``), for
    messages about a malformed file.

    Raises:
        FileFormatError: If ``entry`` is not a ``{class_name, config}`` dict, or
            its parts are not of the types Keras writes (a ``config`` that is not
            an object, a ``layers`` that is not a list).
    """
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise FileFormatError(
            "A model config must be a dict with 'class_name' and 'config'; found "
            f"{type(entry).__name__}" + ("." if where == "$" else f" at {where}.")
        )
    raw_name = entry["class_name"]
    if not isinstance(raw_name, str):
        raise _refuse(
            where, f"'class_name' is {type(raw_name).__name__}, not a string."
        )
    class_name = str(LEGACY_CLASS_NAMES.get(raw_name, raw_name))
    config = entry.get("config")
    legacy_list = class_name == "Sequential" and isinstance(config, list)
    if config is not None and not isinstance(config, dict) and not legacy_list:
        raise _refuse(
            where,
            f"the 'config' of {class_name!r} is {type(config).__name__}, not a JSON "
            "object.",
        )
    if class_name in _MODEL_CLASSES:
        if legacy_list:  # Keras 2.0-2.2 wrote the layer list only
            config = {"layers": config}
        config = dict(config or {})
        layers = config.get("layers", [])
        if not isinstance(layers, list):
            raise _refuse(
                where,
                f"'config.layers' is {type(layers).__name__}, not a list of layers.",
            )
        upgraded = []
        for index, layer in enumerate(layers):
            place = f"{where}.config.layers[{index}]"
            item = upgrade_model_config(layer, place)
            if class_name == "Functional":
                try:
                    nodes = _upgrade_nodes(layer.get("inbound_nodes"))
                except (TypeError, IndexError, ValueError) as error:
                    raise _refuse(
                        place, f"the inbound nodes are unreadable: {error}."
                    ) from error
                item = {**item, "inbound_nodes": nodes}
            upgraded.append(item)
        config["layers"] = upgraded
    else:
        config = _upgrade_layer_config(class_name, config or {})
    return {**entry, "class_name": class_name, "config": config}


def _strip_entry(entry: dict[str, Any]) -> dict[str, Any]:
    stripped = {k: v for k, v in entry.items() if k not in _V3_ONLY_KEYS}
    if entry.get("class_name") in _MODEL_CLASSES:
        stripped["config"] = _strip_model(stripped["config"])
    return stripped


def _strip_model(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "layers": [_strip_entry(e) for e in config["layers"]]}


def legacy_model_config(model: Layer) -> dict[str, Any]:
    """``{"class_name", "config"}`` as Keras 3 writes in a legacy ``.h5`` file."""
    return {
        "class_name": type(model).__name__,
        "config": _strip_model(model.get_config()),
    }
