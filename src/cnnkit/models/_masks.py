"""How a model hands sequence masks from layer to layer, as Keras does.

A layer that makes a mask (``Embedding(mask_zero=True)``) gives its output one
through ``compute_mask``; the next layer receives it as ``mask=`` when its ``call``
takes one and none was given; layers that ``supports_masking`` pass it on
unchanged; any other layer ends it (with Keras' warning). Only models do this:
inside a custom layer's ``call``, give ``mask=`` yourself.

Example:
    >>> import numpy as np
    >>> from cnnkit import Sequential, Input, layers
    >>> model = Sequential([Input((None,), dtype="int32"),
    ...                     layers.Embedding(5, 3, mask_zero=True), layers.LSTM(2)])
    >>> ids = np.array([[1, 2, 0, 0]], dtype="int32")
    >>> bool(np.allclose(model.predict(ids, verbose=0),
    ...                  model.predict(ids[:, :2], verbose=0)))     # padding skipped
    True
"""

from __future__ import annotations

import warnings
from typing import Any

from cnnkit.layers.base.layer import Layer
from cnnkit.utils import tree

__all__ = ["makes_masks", "mask_kwargs", "output_masks"]


def makes_masks(layer: Layer) -> bool:
    """Whether ``layer`` can give its output a mask of its own (it overrides
    ``compute_mask``), even from an input without one."""
    return type(layer).compute_mask is not Layer.compute_mask


def mask_kwargs(layer: Layer, kwargs: dict[str, Any], mask: Any) -> dict[str, Any]:
    """``kwargs`` with the input's ``mask`` filled in where the call takes one and
    the caller gave none (the functional graph records ``mask=None``)."""
    if mask is None or not layer._call_signature.accepts_mask:
        return kwargs
    if kwargs.get("mask") is not None:
        return kwargs
    return {**kwargs, "mask": mask}


def output_masks(
    layer: Layer, inputs: Any, outputs: Any, mask: Any
) -> list[Any] | None:
    """One mask (or ``None``) per flattened output; ``None`` when there are none."""
    if makes_masks(layer) or layer.supports_masking:
        produced = layer.compute_mask(inputs, mask)
    else:
        if mask is not None and not layer._call_signature.accepts_mask:
            warnings.warn(
                f"Layer '{layer.name}' ({type(layer).__name__}) was passed an input "
                "with a mask attached to it. However, this layer does not support "
                "masking and will therefore destroy the mask information. "
                "Downstream layers will not see the mask.",
                UserWarning,
                stacklevel=3,
            )
        return None
    if produced is None:
        return None
    flat_outputs = tree.flatten(outputs)
    flat = list(produced) if isinstance(produced, list | tuple) else [produced]
    if all(m is None for m in flat):
        return None
    return (flat + [None] * len(flat_outputs))[: len(flat_outputs)]
