"""The graph of layers a functional model runs: its nodes in order, its call and
its config.

:class:`GraphNetwork` holds what a ``Functional`` model adds to ``Model``; the
``Functional`` class itself is declared next to ``Model`` (``Model(inputs, outputs)``
returns one), so this module never imports the model it serves.
"""

from __future__ import annotations

from typing import Any

import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.keras_tensor import KerasTensor, Node
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.input_layer import InputLayer
from cnnkit.models._inputs import refuse_mask, standardize_model_input
from cnnkit.models._masks import (
    makes_masks,
    mask_kwargs,
    named_mask_kwargs,
    output_masks,
)
from cnnkit.models.functional_config import functional_config
from cnnkit.utils import tree


def map_graph(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> list[Node]:
    """Nodes between ``inputs`` and ``outputs`` in execution order.

    Order: deepest first (inputs), ties broken by discovery order, as Keras orders
    ``model.layers`` (so weight order and summaries match).
    """
    input_ids = {id(t) for t in inputs}
    discovered: list[Node] = []
    seen: set[int] = set()

    def visit(tensor: KerasTensor, path: tuple[str, ...]) -> None:
        if tensor._keras_history is None:
            raise InvalidArgumentError(
                f"Tensor {tensor!r} was not produced by a cnnkit layer; every output "
                "must come from layers applied to `cnnkit.Input(...)` tensors."
            )
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in seen:
            return
        if node.is_input and id(tensor) not in input_ids:
            raise InvalidArgumentError(
                f"Graph disconnected: cannot obtain value for tensor {tensor!r} at "
                f"layer '{layer.name}'. The path to it was: {' <- '.join(path)}. Add "
                "this Input to the model's `inputs`."
            )
        if not node.is_input:
            for parent in node.input_tensors:
                visit(parent, (*path, layer.name))
        seen.add(id(node))
        discovered.append(node)

    for tensor in outputs:
        visit(tensor, ("output",))
    for tensor in inputs:  # unused inputs still belong to the model
        layer, node_index, _ = tensor._keras_history  # type: ignore[misc]
        node = layer._inbound_nodes[node_index]
        if id(node) not in seen:
            seen.add(id(node))
            discovered.insert(0, node)

    depth: dict[int, int] = {}
    for node in reversed(discovered):  # consumers come after producers
        depth.setdefault(id(node), 0)
        for parent in node.parent_nodes:
            depth[id(parent)] = max(depth.get(id(parent), 0), depth[id(node)] + 1)
    order = {id(node): i for i, node in enumerate(discovered)}
    return sorted(discovered, key=lambda n: (-depth[id(n)], order[id(n)]))


class GraphNetwork(Layer):
    """Runs the layers between ``Input`` tensors and output tensors, node by node.

    A mixin for ``Functional`` (which puts it before ``Model`` in its bases): it sets
    up the graph in :meth:`_init_graph` and overrides the layer list, ``call``, the
    output shape and the config.
    """

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        flat_inputs, flat_outputs = tree.flatten(inputs), tree.flatten(outputs)
        for tensor in flat_inputs:
            history = getattr(tensor, "_keras_history", None)
            if not isinstance(tensor, KerasTensor) or not isinstance(
                history[0] if history else None, InputLayer
            ):
                raise InvalidTypeError(
                    "`inputs` of a functional Model must be tensors returned by "
                    f"`cnnkit.Input(...)`; received {tensor!r}."
                )
        for tensor in flat_outputs:
            if not isinstance(tensor, KerasTensor):
                raise InvalidTypeError(
                    "`outputs` of a functional Model must be tensors returned by "
                    f"calling layers on `cnnkit.Input(...)`; received {tensor!r}."
                )
        self._graph_inputs = inputs if not isinstance(inputs, tuple) else list(inputs)
        self._graph_outputs = (
            outputs if not isinstance(outputs, tuple) else list(outputs)
        )
        self._flat_inputs: list[KerasTensor] = flat_inputs
        self._flat_outputs: list[KerasTensor] = flat_outputs
        self._nodes = map_graph(flat_inputs, flat_outputs)
        layers: list[Layer] = []
        for node in self._nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        self._layer_list = torch.nn.ModuleList(layers)
        self._input_layers: list[InputLayer] = [
            t._keras_history[0] for t in flat_inputs
        ]
        self.built = True
        self._build_input_shape = [t.shape for t in flat_inputs]

    @property
    def layers(self) -> list[Layer]:
        return list(self._layer_list)  # type: ignore[arg-type]

    def _ordered_sublayers(self) -> list[Layer]:
        return self.layers

    def _flatten_call_inputs(self, inputs: Any) -> list[Any]:
        if isinstance(inputs, dict):
            names = [layer.name for layer in self._input_layers]
            if isinstance(self._graph_inputs, dict):
                keys = list(self._graph_inputs)
                return [inputs[k] for k in sorted(keys)]
            missing = [n for n in names if n not in inputs]
            if missing:
                raise InvalidArgumentError(
                    f"Model '{self.name}' expects inputs named {names}; the dict given "
                    f"has keys {sorted(inputs)} (missing {missing})."
                )
            return [inputs[n] for n in names]
        flat = tree.flatten(inputs) if isinstance(inputs, list | tuple) else [inputs]
        if len(flat) != len(self._flat_inputs):
            raise InvalidArgumentError(
                f"Model '{self.name}' expects {len(self._flat_inputs)} input(s) "
                f"({[layer.name for layer in self._input_layers]}) but received "
                f"{len(flat)}. Pass a list with one array per input."
            )
        return flat

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        refuse_mask(self, mask)
        values: dict[int, Any] = {}
        for tensor, value, layer in zip(
            self._flat_inputs, self._flatten_call_inputs(inputs), self._input_layers
        ):
            values[id(tensor)] = standardize_model_input(
                layer._convert_input(value), layer
            )

        def resolve(item: Any) -> Any:
            return values[id(item)] if isinstance(item, KerasTensor) else item

        masks: dict[int, Any] = {}  # sequence masks by tensor, see models/_masks.py
        for node in self._nodes:
            if node.is_input:
                continue
            args = tree.map_structure(resolve, list(node.args))
            kwargs = tree.map_structure(resolve, node.kwargs)
            if training is not None and "training" in kwargs:
                # Keras 3: the model's own `training` overrides one recorded on the
                # node (`base(x, training=False)`); frozen BatchNormalization layers
                # stay in inference through `trainable=False` instead.
                kwargs["training"] = training
            mask = self._input_mask(node, masks)
            kwargs = mask_kwargs(node.layer, kwargs, mask)
            if masks:
                kwargs = named_mask_kwargs(
                    node.layer, (tuple(node.args), node.kwargs), kwargs,
                    lambda t: masks.get(id(t)) if isinstance(t, KerasTensor) else None,
                )  # fmt: skip
            result = node.layer(*args, **kwargs)
            for tensor, value in zip(node.output_tensors, tree.flatten(result)):
                values[id(tensor)] = value
            if mask is not None or makes_masks(node.layer):
                produced = output_masks(node.layer, args[0], result, mask)
                for tensor, out_mask in zip(node.output_tensors, produced or []):
                    if out_mask is not None:
                        masks[id(tensor)] = out_mask
        return tree.map_structure(resolve, self._graph_outputs)

    @staticmethod
    def _input_mask(node: Node, masks: dict[int, Any]) -> Any:
        """The mask of the node's first input (a list of masks when that input is
        a list, as for ``Attention``), or ``None``: Keras' rule."""
        if not masks or not node.args:
            return None
        first = node.args[0]
        if isinstance(first, list | tuple):
            found = [masks.get(id(t)) for t in first]
            return found if any(m is not None for m in found) else None
        return masks.get(id(first))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tree.map_structure(lambda t: t.shape, self._graph_outputs)

    def get_config(self) -> dict[str, Any]:
        return functional_config(self)
