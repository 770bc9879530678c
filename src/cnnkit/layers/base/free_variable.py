"""``cnnkit.Variable`` (Keras 3's ``keras.Variable``): a variable made on its own.

Keras code creates variables outside ``add_weight`` too: ``keras.Variable(value)``
or TensorFlow's ``tf.Variable(value)``, often assigned to a custom layer's attribute
(``self.w = keras.Variable(...)`` in ``__init__`` or ``build``). Such a variable is a
torch Parameter with Keras' variable methods; a layer that receives one as an
attribute tracks it as one of its weights, as Keras does, so that it appears in
``trainable_weights``, is trained by ``fit`` and is saved with the layer.

Example:
    >>> import numpy as np
    >>> v = Variable(np.zeros((2, 3), dtype="float32"), name="w")
    >>> v.name, v.shape, v.trainable
    ('w', (2, 3), True)
    >>> Variable("ones", shape=(2,), trainable=False).numpy().tolist()
    [1.0, 1.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cnnkit import config, initializers
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError
from cnnkit.layers.base.weight_tensor import WeightParameter
from cnnkit.naming import unique_name
from cnnkit.ops.core import convert_to_tensor

__all__ = ["FreeVariable", "Variable"]


class FreeVariable(WeightParameter):
    """A Parameter that a layer tracks as a weight when assigned to its attribute.

    ``_free_name``/``_free_trainable`` are what the layer reads: the weight's name
    and whether it is trainable. ``tf.Variable`` is one too.
    """

    _free_name: str
    _free_trainable: bool

    @classmethod
    def _wrap(cls, data: torch.Tensor, trainable: bool, name: str) -> Any:
        # Only floating point variables can have gradients.
        grad = bool(trainable) and data.is_floating_point()
        variable = torch.nn.Parameter.__new__(cls, data, requires_grad=grad)
        variable._free_name = name
        variable._free_trainable = bool(trainable)
        return variable

    @property
    def free_name(self) -> str:
        """The name it gets as a layer weight (``w`` in ``my_layer/w``)."""
        return self._free_name

    @property
    def free_trainable(self) -> bool:
        return self._free_trainable


class Variable(FreeVariable):
    """``keras.Variable(initializer, shape=None, dtype=None, trainable=True, name=None)``.

    ``initializer`` is a value (array, list, number, tensor) or an initializer
    (``"zeros"``, ``keras.initializers.RandomNormal()``, any ``f(shape, dtype)``),
    which then needs ``shape``.

    Raises:
        InvalidArgumentError: An initializer without ``shape``.
        IncompatibleShapeError: A value whose shape is not ``shape``.
    """

    def __new__(
        cls,
        initializer: Any = None,
        shape: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str = "none",
        synchronization: str = "auto",
        name: str | None = None,
        **kwargs: Any,
    ) -> Variable:
        # autocast/aggregation/synchronization: distribution and mixed-precision
        # details of Keras' own variables; a torch Parameter needs none of them.
        del autocast, aggregation, synchronization, kwargs
        dtype_name = str(dtype or config.floatx()).removeprefix("torch.")
        data = _initial_value(initializer, shape, dtype, dtype_name)
        variable: Variable = cls._wrap(data, trainable, name or unique_name("variable"))
        return variable

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """All the work is done in ``__new__`` (Parameters are built there)."""

    @property
    def name(self) -> str:
        return self._free_name

    @property
    def path(self) -> str:
        return self._free_name

    @property
    def trainable(self) -> bool:
        return self._free_trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._free_trainable = bool(value)
        self.requires_grad_(bool(value) and self.is_floating_point())

    @property
    def value(self) -> torch.Tensor:
        """The tensor (the variable itself, as for Keras' ``variable.value``)."""
        return self

    @property
    def shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return tuple(super().shape)

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        return (
            f"<Variable path={self.path}, shape={self.shape}, "
            f"dtype={str(self.dtype).removeprefix('torch.')}, value={self.numpy()}>"
        )


def _initial_value(
    initializer: Any, shape: Any, dtype: Any, dtype_name: str
) -> torch.Tensor:
    wanted = None if shape is None else tuple(int(d) for d in shape)
    if isinstance(initializer, str) or (
        callable(initializer) and not isinstance(initializer, torch.Tensor | np.ndarray)
    ):
        if wanted is None:
            raise InvalidArgumentError(
                f"keras.Variable: an initializer ({initializer!r}) needs `shape`, "
                "e.g. keras.Variable('zeros', shape=(3, 4)); or pass the initial "
                "value itself."
            )
        made = initializers.get(initializer)(wanted, dtype_name)
        return torch.as_tensor(made).detach().clone()
    if initializer is None:
        raise InvalidArgumentError(
            "keras.Variable: `initializer` is required: a value "
            "(keras.Variable(np.zeros((3,)))) or an initializer with `shape`."
        )
    # Keras: `dtype` when given; else an array keeps its own, Python floats become
    # floatx() and Python ints int32 (convert_to_tensor's rules).
    data = convert_to_tensor(initializer).detach().clone()
    if dtype is not None:
        data = data.to(getattr(torch, dtype_name))
    if wanted is not None and tuple(data.shape) != wanted:
        raise IncompatibleShapeError(
            f"keras.Variable: the initial value has shape {tuple(data.shape)} but "
            f"shape={wanted} was given."
        )
    return data
