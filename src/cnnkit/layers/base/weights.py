"""What a layer says about its weights: the lists Keras exposes, ``get_weights`` /
``set_weights``, ``count_params``, and the per-layer save hooks.

``save_own_variables`` / ``load_own_variables`` are Keras 3's: a file format walks
the model and hands each layer a store for *its own* variables (not its children's),
keyed ``"0"``, ``"1"``, ... in Keras' order (trainable first). A custom layer that
keeps extra state overrides them; ``cnnkit.saving`` only ever calls them.

Example:
    >>> import cnnkit
    >>> dense = cnnkit.layers.Dense(2)
    >>> dense.build((None, 3))
    >>> store = {}
    >>> dense.save_own_variables(store)
    >>> sorted(store), store["0"].shape
    (['0', '1'], (3, 2))
    >>> other = cnnkit.layers.Dense(2)
    >>> other.build((None, 3))
    >>> other.load_own_variables(store)
    >>> bool((other.kernel.numpy() == dense.kernel.numpy()).all())
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnkit.errors import (
    FileFormatError,
    IncompatibleShapeError,
    InvalidArgumentError,
    NotBuiltError,
)
from cnnkit.layers.base.variable import Variable
from cnnkit.utils.validation import format_shape

if TYPE_CHECKING:
    from cnnkit.layers.base.layer import Layer

__all__ = ["LayerWeights"]


class LayerWeights:
    """The weight-facing half of :class:`~cnnkit.layers.Layer` (a mixin: it reads the
    layer's ``_variables`` and sub-layers and keeps no state of its own)."""

    name: str
    built: bool
    _variables: list[Variable]

    if TYPE_CHECKING:

        def _ordered_sublayers(self) -> list[Layer]: ...

    @property
    def weights(self) -> list[Variable]:
        """Own variables in creation order, then sub-layers' (de-duplicated)."""
        seen: set[int] = set()
        result: list[Variable] = []
        for variable in self._all_variables():
            if id(variable) not in seen:
                seen.add(id(variable))
                result.append(variable)
        return result

    def _all_variables(self) -> list[Variable]:
        found = list(self._variables)
        for layer in self._ordered_sublayers():
            found.extend(layer._all_variables())
        return found

    variables = weights

    @property
    def trainable_weights(self) -> list[Variable]:
        return [v for v in self.weights if v.trainable]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [v for v in self.weights if not v.trainable]

    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """Weights as numpy arrays in Keras layouts and order."""
        return [variable.numpy() for variable in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Assign numpy arrays in Keras layouts (the order of ``get_weights``)."""
        variables = self.weights
        if len(weights) != len(variables):
            raise InvalidArgumentError(
                f"You called `set_weights(weights)` on {type(self).__name__} "
                f"'{self.name}' with a weight list of length {len(weights)}, but the "
                f"layer was expecting {len(variables)} weights "
                f"({[v.path for v in variables]}). Build the layer first if it has none."
            )
        for variable, value in zip(variables, weights):
            if tuple(np.shape(value)) != variable.shape:
                raise IncompatibleShapeError(
                    f"Weight {variable.path} has shape {format_shape(variable.shape)} "
                    f"but set_weights received shape {format_shape(np.shape(value))}. "
                    "Weights use Keras layouts: (kh, kw, in, out) for conv kernels and "
                    "(in, out) for Dense kernels."
                )
        for variable, value in zip(variables, weights):
            variable.assign(value)

    def count_params(self) -> int:
        """Number of scalars in every weight (trainable and not)."""
        if not self.built:
            raise NotBuiltError(
                f"You tried to call `count_params` on {type(self).__name__} "
                f"'{self.name}', but the layer isn't built. Build it first with "
                "`layer.build(input_shape)` or by calling it on data."
            )
        return sum(math.prod(v.shape) for v in self.weights)

    # ------------------------------------------------------------------ save hooks

    def _variables_in_save_order(self) -> list[Variable]:
        """Own variables as Keras saves them: trainable ones, then the rest, each in
        creation order."""
        created = self._variables
        return [v for v in created if v.declared_trainable] + [
            v for v in created if not v.declared_trainable
        ]

    def save_own_variables(self, store: MutableMapping[str, Any]) -> None:
        """Write this layer's own variables into ``store`` as ``"0"``, ``"1"``, ...

        Sub-layers are not included: whoever walks the model visits them too.
        """
        for index, variable in enumerate(self._variables_in_save_order()):
            store[str(index)] = variable.numpy()

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Assign this layer's own variables from ``store`` (what
        :meth:`save_own_variables` wrote). All are checked before any is assigned,
        so a mismatch leaves the layer as it was.

        Raises:
            FileFormatError: The store holds another number of variables, or one
                of another shape.
        """
        expected = self._variables_in_save_order()
        keys = [str(index) for index in range(len(expected))]
        if len(store) == len(keys) and sorted(store) != sorted(keys):
            raise FileFormatError(
                f"Layer '{self.name}' expected its {len(keys)} variables as datasets "
                f"named 0..{len(keys) - 1}, but the store holds {sorted(store)}."
            )
        if sorted(store) != sorted(keys):
            raise FileFormatError(
                f"Layer '{self.name}' expected {len(expected)} variables, but received "
                f"{len(store)} variables during loading. Expected: "
                f"{[v.name for v in expected]}"
            )
        values = [store[key] for key in keys]
        for variable, value in zip(expected, values):
            if tuple(np.shape(value)) != variable.shape:
                raise FileFormatError(
                    f"Layer '{self.name}': variable '{variable.name}' has shape "
                    f"{variable.shape}, but the file holds shape "
                    f"{tuple(np.shape(value))}."
                )
        for variable, value in zip(expected, values):
            variable.assign(value)
