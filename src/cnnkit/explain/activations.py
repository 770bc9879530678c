"""Every layer's output for a batch of inputs (the "activation maps")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.explain import _target, _tensors
from cnnkit.utils.validation import check_positive_int


def activations(
    model: torch.nn.Module,
    x: Any,
    layers: _target.LayerSpec | Sequence[_target.LayerSpec] | None = None,
    *,
    batch_size: int = 32,
) -> dict[str, np.ndarray]:
    """The outputs of the model's layers on ``x``, in inference mode.

    Args:
        model: A cnnkit model (Sequential, functional, subclassed, nested) or a
            plain ``torch.nn.Module``.
        x: A batch of inputs in the model's layout (numpy array or tensor).
        layers: ``None`` for every layer, or one layer / a list of layers, each a
            name or a layer object. A layer of a nested model is named by its path,
            ``"base/conv2d_1"``, or by its own name when no other layer has it.
        batch_size: Samples per forward pass (bounds memory).

    Returns:
        A dict from layer key to a numpy array with the batch axis first, in the
        layer's own layout (channels_last for Keras defaults), in definition order.
        Keys are Keras layer names; the layers inside a nested model follow the
        nested model's own entry as ``"outer/inner"``. Input layers are left out
        (their output is ``x``). For a torch module, keys are ``named_modules()``
        names, and only modules whose output is one tensor are listed. A layer that
        runs several times in one call (shared in a graph) reports its last call.

    Raises:
        InvalidArgumentError: ``layers`` names a layer the model does not have, or
            one that did not run or does not output a single tensor.
        InvalidTypeError: ``model``, ``x`` or ``layers`` of the wrong type.

    Example:
        >>> import numpy as np
        >>> import cnnkit
        >>> from cnnkit import explain, layers
        >>> base = cnnkit.Sequential([layers.Input((8, 8, 1)),
        ...                           layers.Conv2D(3, 3, name="conv")], name="base")
        >>> inputs = cnnkit.Input((8, 8, 1))
        >>> outputs = layers.Dense(2, name="head")(layers.Flatten(name="flat")(base(inputs)))
        >>> model = cnnkit.Model(inputs, outputs)
        >>> x = np.ones((5, 8, 8, 1), dtype="float32")
        >>> {k: v.shape for k, v in explain.activations(model, x).items()}
        {'base': (5, 6, 6, 3), 'base/conv': (5, 6, 6, 3), 'flat': (5, 108), 'head': (5, 2)}
        >>> list(explain.activations(model, x, layers="conv"))
        ['base/conv']
    """
    model = _target.check_model(model, "activations")
    batch_size = check_positive_int(batch_size, "batch_size")
    inputs = _tensors.as_input(model, x)
    everything = layers is None
    if everything:
        chosen = _target.entries(model)
    elif isinstance(layers, str | torch.nn.Module):
        chosen = [_target.find(model, layers, "layers")]
    elif isinstance(layers, Sequence):
        chosen = [_target.find(model, spec, "layers") for spec in layers]
    else:
        raise InvalidTypeError(
            "`layers` must be None (every layer), a layer name or object, or a list "
            f"of them; received layers={layers!r} of type {type(layers).__name__}."
        )
    parts: dict[str, list[np.ndarray]] = {entry.key: [] for entry in chosen}
    with torch.no_grad():
        for rows in _tensors.chunks(inputs.shape[0], batch_size):
            with _tensors.capturing([entry.module for entry in chosen]) as seen:
                _tensors.call(model, inputs[rows])
            for entry in chosen:
                output = seen.outputs.get(id(entry.module))
                if isinstance(output, torch.Tensor):
                    parts[entry.key].append(_tensors.numpy(output))
                elif not everything:
                    raise _not_a_tensor(entry, output)
    return {key: np.concatenate(arrays) for key, arrays in parts.items() if arrays}


def _not_a_tensor(entry: _target.Entry, output: object) -> InvalidArgumentError:
    if output is None:
        return InvalidArgumentError(
            f"`layers`: the layer {entry.key!r} did not run when the model was "
            "called, so it has no output. Ask for layers on the path from the input "
            "to the output."
        )
    return InvalidArgumentError(
        f"`layers`: the layer {entry.key!r} outputs a {type(output).__name__}, not "
        "one tensor; explain.activations returns one array per layer. Ask for the "
        "layers that produce its parts instead."
    )
