"""``Input`` and ``InputLayer``: where a functional graph starts.

Example:
    >>> from cnnkit import Input
    >>> x = Input((28, 28, 1))
    >>> x.shape
    (None, 28, 28, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.keras_tensor import KerasTensor, Node
from cnnkit.layers.base.layer import Layer


class InputLayer(Layer):
    """The layer behind ``Input``; ``Sequential`` adds one for ``input_shape=``."""

    def __init__(
        self,
        shape: Sequence[int | None] | None = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Sequence[int | None] | None = None,
        input_tensor: Any = None,
        optional: bool = False,
        name: str | None = None,
        ragged: bool | None = None,
        **kwargs: Any,
    ) -> None:
        legacy_shape = kwargs.pop("input_shape", None)
        legacy_batch = kwargs.pop("batch_input_shape", None)
        kwargs.pop("trainable", None)
        super().__init__(name=name, dtype=_input_dtype(dtype), **kwargs)
        if sparse or ragged:
            raise InvalidArgumentError(
                "cnnkit has no sparse or ragged tensors; received "
                f"sparse={sparse!r}, ragged={ragged!r}. Use dense arrays."
            )
        shape = shape if shape is not None else legacy_shape
        batch_shape = batch_shape if batch_shape is not None else legacy_batch
        if shape is not None and batch_shape is not None:
            raise InvalidArgumentError(
                "Pass either `shape` or `batch_shape` to Input, not both; received "
                f"shape={shape!r}, batch_shape={batch_shape!r}."
            )
        if batch_shape is None:
            if shape is None:
                raise InvalidArgumentError(
                    "Input needs a `shape` (without the batch axis), e.g. "
                    "`Input(shape=(28, 28, 1))`."
                )
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size, *tuple(shape))
        self.batch_shape: tuple[int | None, ...] = tuple(
            None if d is None else int(d) for d in batch_shape
        )
        self.optional = optional
        self.built = True
        self._build_input_shape = None
        tensor = KerasTensor(self.batch_shape, self.dtype, name=self.name)
        Node(self, (), {}, tensor)

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        return self.batch_shape

    @property
    def output(self) -> KerasTensor:
        return self._inbound_nodes[0].outputs

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": list(self.batch_shape),
            "dtype": self.dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": self.optional,
        }


def _input_dtype(dtype: Any) -> Any:
    # Inputs may be integer (token ids, raw uint8 pixels); keep what was asked.
    if isinstance(dtype, dict):
        return dtype.get("config", {}).get("name")
    return dtype


def Input(
    shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Sequence[int | None] | None = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> KerasTensor:
    """A symbolic input of shape ``(batch_size, *shape)`` for functional models.

    Example:
        >>> from cnnkit import Input, Model, layers
        >>> inputs = Input((8,))
        >>> model = Model(inputs, layers.Dense(2)(inputs))
        >>> model.output_shape
        (None, 2)
    """
    layer = InputLayer(
        shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
        batch_shape=batch_shape, name=name, optional=optional,
    )  # fmt: skip
    return layer.output
