"""What every application builder shares: argument checks, the input, the weights.

``weights="imagenet"`` fetches Keras' published file with :func:`get_file` (the same
name, origin and hash, cached in ``$KERAS_HOME/models/``), so a file Keras already
downloaded is reused and an offline machine is told where to put it. Those files are
Keras-2 HDF5 weight files (``layer_names``, per-layer ``weight_names``); they load
here **by layer name**, all or nothing: every layer of the model must find its
weights with the right shapes before any weight changes. Layers Keras leaves
auto-named (``conv2d``, ``batch_normalization_3``: their numbers depend on what was
built before) are matched in order among the file's layers no name claimed.
"""

from __future__ import annotations

import os
import re
from typing import Any

from cnnkit.errors import FileFormatError, InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.keras_tensor import KerasTensor
from cnnkit.layers.base.layer import Layer
from cnnkit.layers.input_layer import Input, InputLayer
from cnnkit.models import Model
from cnnkit.naming import to_snake_case
from cnnkit.saving import legacy_h5
from cnnkit.saving.weights_h5 import dataset_cap, open_h5, safe_group
from cnnkit.utils.file_utils import get_file


def _auto_named(layer: Layer) -> bool:
    """Whether ``layer`` carries Keras' automatic name (``conv2d``, ``add_3``)."""
    base = to_snake_case(type(layer).__name__)
    return re.fullmatch(rf"{re.escape(base)}(?:_\d+)?", layer.name) is not None


def check_weights(weights: Any, include_top: bool, classes: int) -> None:
    if not (weights is None or weights == "imagenet" or _is_file(weights)):
        raise InvalidArgumentError(
            "`weights` must be None (random initialization), 'imagenet' (Keras' "
            "pretrained weights), or the path of an existing weights file; "
            f"received weights={weights!r}."
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise InvalidArgumentError(
            "With weights='imagenet' and include_top=True, `classes` must be 1000 "
            f"(the ImageNet classifier); received classes={classes}. For your own "
            "classes pass include_top=False and add a new head (transfer learning)."
        )


def _is_file(weights: Any) -> bool:
    return isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights)


def image_input(
    input_tensor: Any, input_shape: tuple[int | None, ...]
) -> tuple[Any, Any]:
    """``(the tensor the network starts from, the model's inputs)``."""
    if input_tensor is None:
        tensor = Input(shape=input_shape)
        return tensor, tensor
    if not isinstance(input_tensor, KerasTensor):
        raise InvalidTypeError(
            "`input_tensor` must be a symbolic tensor from `keras.Input(...)` (or a "
            "layer applied to one); received "
            f"{type(input_tensor).__name__}. Pass `input_shape=` for plain shapes."
        )
    return input_tensor, source_inputs(input_tensor)


def source_inputs(tensor: KerasTensor) -> list[KerasTensor]:
    """The ``Input`` tensors ``tensor`` was computed from, in the order first met."""
    found: list[KerasTensor] = []
    seen: set[int] = set()
    stack = [tensor]
    while stack:
        current = stack.pop()
        history = current._keras_history
        if history is None:
            continue
        layer, node_index, _ = history
        if isinstance(layer, InputLayer):
            if id(current) not in seen:
                seen.add(id(current))
                found.append(current)
            continue
        stack.extend(reversed(layer._inbound_nodes[node_index].input_tensors))
    return found if len(found) != 1 else found[0]  # type: ignore[return-value]


def build_model(inputs: Any, outputs: Any, name: str) -> Model:
    return Model(inputs, outputs, name=name)


def load_weights(
    model: Model,
    weights: Any,
    *,
    file_name: str,
    origin: str,
    file_hash: str | None,
) -> None:
    """Load ``weights`` ('imagenet': Keras' published file; a path: that file)."""
    if weights is None:
        return
    if weights == "imagenet":
        path = get_file(file_name, origin, cache_subdir="models", file_hash=file_hash)
    else:
        path = os.fspath(weights)
    if path.endswith((".keras", ".weights.h5")):
        model.load_weights(path)
        return
    load_h5_by_name(model, path)


def _weighted(layer: Layer) -> list[Any]:
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def load_h5_by_name(model: Model, path: str) -> None:
    """Fill ``model`` from a Keras-2 HDF5 weights file, matching layers by name.

    Raises:
        FileFormatError: If a layer has no weights in the file, the file has weights
            for layers the model lacks, or a count or shape differs (nothing is
            loaded then).
    """
    with open_h5(path, path) as h5:
        if legacy_h5.is_v3_weights(h5):
            model.load_weights(path)  # a Keras 3 `.weights.h5` under another name
            return
        group = legacy_h5.legacy_weights_group(h5, path)
        saved = [
            name
            for name in legacy_h5._read_names(group, "layer_names")
            if legacy_h5._read_names(safe_group(group, name, path), "weight_names")
        ]
        layers = [layer for layer in model.layers if _weighted(layer)]
        by_name = {name: name for name in saved}
        matched: dict[str, str] = {}
        unmatched: list[Layer] = []
        for layer in layers:
            if layer.name in by_name:
                matched[layer.name] = layer.name
            else:
                unmatched.append(layer)
        spare = [name for name in saved if name not in matched]
        if any(not _auto_named(layer) for layer in unmatched) or len(spare) != len(
            unmatched
        ):
            missing = [layer.name for layer in unmatched]
            raise FileFormatError(
                f"{path!r} does not fit model {model.name!r}: model layers without "
                f"weights in the file: {missing[:8]}; file layers the model lacks: "
                f"{spare[:8]}. A weights file fits one architecture and one "
                "include_top setting (files for include_top=False end in "
                "'_notop.h5'); check the model's arguments."
            )
        for layer, name in zip(unmatched, spare):
            matched[layer.name] = name
        cap = dataset_cap(model)
        pairs: list[tuple[Any, Any]] = []
        for layer in layers:
            name = matched[layer.name]
            values = legacy_h5._group_values(safe_group(group, name, path), path, cap)
            where = f"layer {layer.name!r} (file layer {name!r}) of {path!r}"
            pairs += legacy_h5._checked(_weighted(layer), values, where, False)
    for variable, value in pairs:
        variable.assign(value)
