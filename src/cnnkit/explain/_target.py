"""Which layers a model has, what they are called, and where their data sit.

``cnnkit.explain`` takes two kinds of model: a cnnkit model (Keras layout, layers
named as Keras names them) and a plain ``torch.nn.Module`` (channels first, modules
named by ``named_modules()``). This module answers, for both, the questions the
explainers ask: the list of layers with their keys, the layer a user means by
``layer=``, the data format of the input and of a layer's output, and the layer
that Grad-CAM should look at when none is given.

Keys of a cnnkit model are Keras layer names; the layers of a model used as a layer
(a base ``Sequential`` inside a classifier) are keyed by their path,
``"base/conv2d_1"``, and may also be asked for by their own name when no other layer
of the whole model has it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from cnnkit import config
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers import InputLayer, Layer

LayerSpec = str | torch.nn.Module


@dataclass(frozen=True)
class Entry:
    """One layer of a model: its key in results and error messages, and the module."""

    key: str
    module: torch.nn.Module

    @property
    def is_container(self) -> bool:
        """Whether other entries sit inside this one (a nested model, a torch block)."""
        if isinstance(self.module, Layer):
            return _sublayers(self.module) is not None
        return next(self.module.children(), None) is not None


def is_keras_model(model: torch.nn.Module) -> bool:
    """Whether ``model`` is a cnnkit layer or model (Keras layout and names)."""
    return isinstance(model, Layer)


def check_model(model: object, function: str) -> torch.nn.Module:
    """``model`` itself when it is a torch module (every cnnkit model is one)."""
    if not isinstance(model, torch.nn.Module):
        raise InvalidTypeError(
            f"`explain.{function}` needs a model: a cnnkit model or a "
            f"`torch.nn.Module`; received model={model!r} of type "
            f"{type(model).__name__}. Pass the model itself, e.g. "
            f"`explain.{function}(model, x)`."
        )
    return model


def _sublayers(layer: Layer) -> list[Layer] | None:
    """The layers inside a cnnkit model used as a layer; ``None`` for plain layers."""
    inner = getattr(layer, "layers", None)
    return list(inner) if isinstance(inner, list | tuple) else None


def _walk_keras(layer: Layer, prefix: str) -> Iterator[Entry]:
    for child in _sublayers(layer) or []:
        if isinstance(child, InputLayer):
            continue  # its output is the input itself
        key = f"{prefix}{child.name}"
        yield Entry(key, child)
        if _sublayers(child) is not None:
            yield from _walk_keras(child, key + "/")


def entries(model: torch.nn.Module) -> list[Entry]:
    """Every layer of ``model`` in definition order, nested ones after their model.

    Example:
        >>> from cnnkit import layers, models
        >>> base = models.Sequential([layers.Input((8, 8, 1)),
        ...                           layers.Conv2D(2, 3, name="conv")], name="base")
        >>> model = models.Sequential([base, layers.Flatten(name="flat")])
        >>> [entry.key for entry in entries(model)]
        ['base', 'base/conv', 'flat']
        >>> [entry.key for entry in entries(torch.nn.Sequential(torch.nn.ReLU()))]
        ['0']
    """
    if is_keras_model(model):
        return list(_walk_keras(model, ""))  # type: ignore[arg-type]
    return [Entry(name, module) for name, module in model.named_modules() if name]


def find(model: torch.nn.Module, spec: object, argument: str) -> Entry:
    """The layer that ``spec`` (a key, a bare nested name, or the module) names."""
    known = entries(model)
    if isinstance(spec, torch.nn.Module):
        for entry in known:
            if entry.module is spec:
                return entry
        name = getattr(spec, "name", type(spec).__name__)
        raise InvalidArgumentError(
            f"`{argument}` is the layer {type(spec).__name__} {name!r}, which is not "
            f"part of the model; its layers are {[e.key for e in known]}. Pass a "
            "layer of this model (e.g. `model.get_layer(name)`), or its name."
        )
    if not isinstance(spec, str):
        raise InvalidTypeError(
            f"`{argument}` must be a layer name (str) or a layer of the model; "
            f"received {argument}={spec!r} of type {type(spec).__name__}."
        )
    exact = [entry for entry in known if entry.key == spec]
    if exact:
        return exact[0]
    by_name = [entry for entry in known if entry.key.rsplit("/", 1)[-1] == spec]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise InvalidArgumentError(
            f"`{argument}`={spec!r} names {len(by_name)} layers of nested models: "
            f"{[e.key for e in by_name]}. Pass the full path, e.g. "
            f"{argument}={by_name[0].key!r}."
        )
    raise InvalidArgumentError(
        f"`{argument}`={spec!r} names no layer of the model. Its layers are "
        f"{[e.key for e in known]}; pass one of these names or a layer object."
    )


def input_format(model: torch.nn.Module) -> str:
    """The data format the model reads: its first layer's that has one.

    A plain torch module reads channels first (NCL / NCHW / NCDHW); a cnnkit model
    the data format of its first layer that declares one, else the configured
    ``cnnkit.config.image_data_format()``.
    """
    if not is_keras_model(model):
        return "channels_first"
    for entry in entries(model):
        data_format = getattr(entry.module, "data_format", None)
        if data_format in ("channels_last", "channels_first"):
            return str(data_format)
    return config.image_data_format()


def output_format(model: torch.nn.Module, entry: Entry) -> str:
    """The layout of ``entry``'s output: its own ``data_format``, else the input's."""
    data_format = getattr(entry.module, "data_format", None)
    if is_keras_model(model) and data_format in ("channels_last", "channels_first"):
        return str(data_format)
    return input_format(model)
