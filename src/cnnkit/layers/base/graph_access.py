"""A layer's place in functional graphs: ``layer.input`` / ``layer.output`` (the
symbolic tensors of its first call) and ``input_shape`` / ``output_shape``.

Example:
    >>> import cnnkit
    >>> inputs = cnnkit.Input((4,))
    >>> dense = cnnkit.layers.Dense(2)
    >>> outputs = dense(inputs)
    >>> dense.input is inputs, dense.output.shape, dense.output_shape
    (True, (None, 2), (None, 2))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnnkit.errors import NotBuiltError

if TYPE_CHECKING:
    from cnnkit.layers.base.keras_tensor import Node

__all__ = ["GraphAccess"]


class GraphAccess:
    """The graph-facing properties of :class:`~cnnkit.layers.Layer` (a mixin that
    reads the layer's inbound nodes and build shape, and keeps no state)."""

    name: str
    _inbound_nodes: list[Node]
    _build_input_shape: Any

    if TYPE_CHECKING:

        def compute_output_shape(self, input_shape: Any) -> Any: ...

    def _node_attribute(self, attr: str, what: str) -> Any:
        if not self._inbound_nodes:
            raise NotBuiltError(
                f"{type(self).__name__} '{self.name}' has no {what} yet: it has never "
                "been called on a symbolic input. Use it in a functional model or a "
                "Sequential with a known input shape first."
            )
        node = self._inbound_nodes[0]
        return node.args[0] if attr == "input" else node.outputs

    @property
    def input(self) -> Any:
        """The symbolic input of this layer's first call (functional graphs)."""
        return self._node_attribute("input", "input")

    @property
    def output(self) -> Any:
        """The symbolic output of this layer's first call (functional graphs)."""
        return self._node_attribute("output", "output")

    @property
    def input_shape(self) -> Any:
        if self._build_input_shape is None:
            raise NotBuiltError(
                f"{type(self).__name__} '{self.name}' has no input shape until it is built."
            )
        return self._build_input_shape

    @property
    def output_shape(self) -> Any:
        return self.compute_output_shape(self.input_shape)
