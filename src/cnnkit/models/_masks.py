"""How a model hands sequence masks from layer to layer, as Keras does.

A layer that makes a mask (``Embedding(mask_zero=True)``) gives its output one
through ``compute_mask``; the next layer receives it as ``mask=`` when its ``call``
takes one and none was given (and, for a ``call`` with parameters ``x`` and
``x_mask``, such as MultiHeadAttention's ``query``/``query_mask``, the mask of
``x`` as ``x_mask``); layers that ``supports_masking`` pass it on
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

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

from cnnkit.layers.base.layer import Layer
from cnnkit.utils import tree

__all__ = ["makes_masks", "mask_kwargs", "named_mask_kwargs", "output_masks"]


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


@functools.cache
def _named_mask_params(
    call: Callable[..., Any],
) -> tuple[inspect.Signature, tuple[str, ...]]:
    """The signature of ``call`` and the names ``x`` it pairs with an ``x_mask``."""
    signature = inspect.signature(call)
    names = list(signature.parameters)
    paired = tuple(n[: -len("_mask")] for n in names if n.endswith("_mask"))
    return signature, tuple(n for n in paired if n in names)


def named_mask_kwargs(
    layer: Layer,
    recorded: tuple[tuple[Any, ...], dict[str, Any]],
    kwargs: dict[str, Any],
    mask_of: Callable[[Any], Any],
) -> dict[str, Any]:
    """``kwargs`` with ``x_mask=mask_of(x)`` for each argument ``x`` whose ``call``
    has an ``x_mask`` parameter the caller left empty (Keras' second rule).

    ``recorded`` is the call's ``(args, kwargs)`` as the graph recorded them
    (symbolic tensors), which ``mask_of`` maps to masks.
    """
    signature, paired = _named_mask_params(type(layer).call)
    if not paired:
        return kwargs
    args, named = recorded
    bound = signature.bind_partial(layer, *args, **named).arguments
    filled = dict(kwargs)
    for name in paired:
        if name in bound and bound.get(f"{name}_mask") is None:
            mask = mask_of(bound[name])
            if mask is not None:
                filled[f"{name}_mask"] = mask
    return filled


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
