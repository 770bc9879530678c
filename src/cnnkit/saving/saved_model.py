"""What saving uses of a model, as a protocol.

Saving sits below the trainer and the models in the import order (``Model.save``
calls it), so it names the model by the handful of things it touches instead of
importing the class. Any cnnkit ``Model`` satisfies it; a type checker sees a
plain layer passed where a model is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, cast

import torch

from cnnkit.errors import InvalidTypeError
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.base.variable import Variable
from cnnkit.saving.model_classes import is_model

__all__ = ["SavedModel", "as_saved_model"]


class SavedModel(Protocol):
    optimizer: Any
    training: bool

    @property
    def name(self) -> str: ...

    @property
    def layers(self) -> list[Layer]: ...

    @property
    def inputs(self) -> list[Any]: ...

    @property
    def trainable_weights(self) -> list[Variable]: ...

    @property
    def compile(self) -> Callable[..., None]: ...

    @property
    def load_weights(self) -> Callable[..., None]: ...

    def train(self, mode: bool = True) -> Any: ...

    def parameters(self, recurse: bool = True) -> Iterator[torch.nn.Parameter]: ...

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def as_saved_model(layer: Layer, action: str) -> SavedModel:
    """``layer`` seen as the model saving needs, once checked that it is one.

    Raises:
        InvalidTypeError: ``layer`` is a plain layer, not a ``Model``.
    """
    if not is_model(layer):
        raise InvalidTypeError(
            f"Cannot {action} {type(layer).__name__} '{layer.name}': it is a layer, "
            "not a model. Wrap it in a model first, e.g. "
            "`cnnkit.Sequential([cnnkit.Input(shape), layer])`."
        )
    return cast(SavedModel, layer)
