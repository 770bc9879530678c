"""A functional model's graph in Keras' ``config.json`` schema, and back.

``functional_config`` writes each layer's entry with its ``inbound_nodes`` (the
tensors it was called on, as ``[layer name, node index, tensor index]``) and the
model's ``input_layers``/``output_layers``; ``graph_from_config`` creates the
layers and replays their calls in order, so shared layers and nested models come
back as they were.

Example:
    >>> import cnnkit
    >>> inputs = cnnkit.Input((3,), name="x")
    >>> model = cnnkit.Model(inputs, cnnkit.layers.Dense(2, name="head")(inputs))
    >>> config = functional_config(model)
    >>> [entry["name"] for entry in config["layers"]], config["output_layers"]
    (['x', 'head'], ['head', 0, 0])
    >>> inputs, outputs = graph_from_config(config)
    >>> outputs.shape
    (None, 2)
"""

from __future__ import annotations

from typing import Any

from cnnkit.errors import FileFormatError
from cnnkit.layers.base.keras_tensor import KerasTensor
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.input_layer import InputLayer
from cnnkit.saving.layer_config import deserialize_layer, serialize_layer


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


def graph_from_config(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> tuple[Any, Any]:
    """A functional config's ``(inputs, outputs)``: create the layers, then replay
    their calls in order (``Functional.from_config`` makes the model of them)."""
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
    return inputs, outputs
