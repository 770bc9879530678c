"""Symbolic tensors and nodes: how ``Input`` + layer calls describe a functional graph.

Calling a layer on a ``KerasTensor`` builds the layer, computes the output shape
without running any maths, and records a ``Node`` linking inputs to outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnnkit.utils import tree
from cnnkit.utils.validation import format_shape

if TYPE_CHECKING:
    from cnnkit.layers.base.layer import Layer


class KerasTensor:
    """A placeholder with a shape (``None`` for unknown sizes) and a dtype."""

    def __init__(
        self,
        shape: tuple[int | None, ...],
        dtype: str = "float32",
        name: str | None = None,
    ) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self._keras_history: tuple[Layer, int, int] | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return (
            f"<KerasTensor shape={format_shape(self.shape)}, dtype={self.dtype}, "
            f"name={self.name}>"
        )

    def __bool__(self) -> bool:
        raise TypeError(
            "A symbolic KerasTensor has no value: it only describes a layer's output "
            "while a functional model is being defined. Call the finished model on "
            "real data to get values."
        )


def contains_keras_tensor(value: Any) -> bool:
    return any(isinstance(leaf, KerasTensor) for leaf in tree.flatten(value))


class Node:
    """One call of ``layer`` on symbolic ``args``/``kwargs`` producing ``outputs``."""

    def __init__(
        self, layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any], outputs: Any
    ) -> None:
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.input_tensors: list[KerasTensor] = [
            t for t in tree.flatten([list(args), kwargs]) if isinstance(t, KerasTensor)
        ]
        self.output_tensors: list[KerasTensor] = tree.flatten(outputs)
        node_index = len(layer._inbound_nodes)
        for i, tensor in enumerate(self.output_tensors):
            tensor._keras_history = (layer, node_index, i)
            tensor.name = tensor.name or layer.name
        layer._inbound_nodes.append(self)
        for tensor in self.input_tensors:
            if tensor._keras_history is not None:
                tensor._keras_history[0]._outbound_nodes.append(self)

    @property
    def parent_nodes(self) -> list[Node]:
        parents = []
        for tensor in self.input_tensors:
            if tensor._keras_history is not None:
                producer, node_index, _ = tensor._keras_history
                parents.append(producer._inbound_nodes[node_index])
        return parents

    @property
    def is_input(self) -> bool:
        return not self.input_tensors
