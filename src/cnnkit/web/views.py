"""What the page shows, computed with ``cnnkit.explain`` and made JSON-ready.

All of it runs with the model's lock held (see :class:`ServedModel`): one call of a
model at a time, so requests share it safely. Maps travel as nested lists rounded
to 3 decimals, channels first; big layers are cut to their first
``MAX_MAPS_PER_LAYER`` maps and strided down to ``MAX_MAP_SIDE`` pixels a side
(``MAX_CURVE_POINTS`` for 1D layers), so
a response stays a few hundred kilobytes whatever the model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cnnkit.web.errors import WebError
from cnnkit.web.inputs import seen_by_network, slice_index
from cnnkit.web.shelf import ServedModel

__all__ = [
    "MAX_CURVE_POINTS",
    "MAX_MAPS_PER_LAYER",
    "MAX_MAP_SIDE",
    "explanation",
    "feature_layers",
    "first_filters",
    "prediction",
    "probabilities",
]

MAX_MAPS_PER_LAYER = 64
MAX_MAP_SIDE = 56
MAX_CURVE_POINTS = 512  # a 1D layer's map is a curve: it can keep more points
_FEATURE_KINDS = ("Conv", "Pool")


def probabilities(served: ServedModel, batch: np.ndarray) -> np.ndarray:
    """Class probabilities ``(N, K)`` for a batch (a softmax on logits)."""
    from cnnkit.explain import as_probabilities

    with served.lock:
        scores = served.model.predict_on_batch(batch)
    return as_probabilities(np.asarray(scores))


def prediction(
    served: ServedModel, row: np.ndarray, x: np.ndarray, at: float
) -> dict[str, Any]:
    """``{"class", "label", "probabilities", "input"}`` for one sample's probabilities."""
    k = int(np.argmax(row))
    return {
        "class": k,
        "label": _label(served, k),
        "probabilities": [round(float(p), 6) for p in row],
        "input": seen_by_network(served, x, at),
    }


def _label(served: ServedModel, k: int) -> str:
    return served.class_names[k] if k < len(served.class_names) else str(k)


def feature_layers(served: ServedModel) -> list[str]:
    """The convolution and pooling layers whose outputs still have spatial axes."""
    return [
        layer["name"]
        for layer in served.description["layers"]
        if any(kind in layer["class_name"] for kind in _FEATURE_KINDS)
        and layer["output_shape"] is not None
        and len(layer["output_shape"]) >= 3
    ]


def explanation(
    served: ServedModel, x: np.ndarray, class_index: int | None, at: float
) -> dict[str, Any]:
    """Prediction, every feature layer's maps and a Grad-CAM heatmap for ``x``.

    Raises:
        WebError: 400 when ``class_index`` is not one of the model's classes.
    """
    from cnnkit import explain

    row = probabilities(served, x[None])[0]
    result = prediction(served, row, x, at)
    classes = len(row)
    if class_index is not None and not 0 <= class_index < classes:
        raise WebError(
            400,
            f"The field 'class' must be a class index from 0 to {classes - 1}; "
            f"received {class_index}.",
        )
    target = result["class"] if class_index is None else class_index
    names = feature_layers(served)
    with served.lock:
        maps = explain.activations(served.model, x[None], layers=names) if names else {}
        heat, cam_layer = _gradcam(served, x, target, at)
    result.update(
        explained_class=target,
        explained_label=_label(served, target),
        activations={name: _maps(served, value[0], at) for name, value in maps.items()},
        activation_shapes={name: list(value.shape[1:]) for name, value in maps.items()},
        gradcam=heat,
        gradcam_layer=cam_layer,
    )
    return result


def _gradcam(
    served: ServedModel, x: np.ndarray, target: int, at: float
) -> tuple[Any, str | None]:
    """The heatmap (``None`` for a model without spatial layers) and its layer.

    The layer is the last convolution, as in Grad-CAM's paper: a pooling layer
    after it carries the same evidence on a coarser grid (the seed model's last
    pool is 4x4, its last convolution 8x8).
    """
    from cnnkit import explain
    from cnnkit.errors import InvalidArgumentError

    convolutions = [
        name for name in feature_layers(served) if "Conv" in _kind_of(served, name)
    ]
    if served.kind in ("flat-image", "other") or not convolutions:
        return None, None  # no layer keeps the picture's axes
    layer = convolutions[-1]
    try:
        heat = explain.gradcam(
            served.model, x[None], class_index=target, layer=layer, normalize=True
        )[0]
    except InvalidArgumentError:
        return None, None
    if served.kind == "volume":
        heat = heat[slice_index(heat.shape[0], at)]
    return np.round(heat.astype("float64"), 3).tolist(), layer


def _kind_of(served: ServedModel, name: str) -> str:
    kinds = {
        layer["name"]: layer["class_name"] for layer in served.description["layers"]
    }
    return str(kinds.get(name, ""))


def _maps(served: ServedModel, value: np.ndarray, at: float) -> list[Any]:
    """One layer's output (no batch axis, channels last) as maps, channels first."""
    if value.ndim == 4:  # a 3D layer: the slice at the page's depth
        value = value[slice_index(value.shape[0], at)]
    maps = np.moveaxis(value, -1, 0)[:MAX_MAPS_PER_LAYER]
    longest = MAX_CURVE_POINTS if maps.ndim == 2 else MAX_MAP_SIDE
    step = max(1, math.ceil(max(maps.shape[1:]) / longest))
    maps = maps[(slice(None),) + (slice(None, None, step),) * (maps.ndim - 1)]
    return np.round(maps.astype("float64"), 3).tolist()


def first_filters(served: ServedModel) -> dict[str, Any] | None:
    """The first convolution's kernels as pictures: ``{"layer", "shape", "filters"}``.

    Each filter is a 2-D list (``kh x kw``; an RGB model's first layer gives
    ``kh x kw x 3``), a 1-D list for 1D convolutions, the middle depth for 3D;
    other input-channel counts are averaged. ``None`` when there is no convolution.
    """
    from cnnkit import explain
    from cnnkit.errors import InvalidArgumentError

    convolutions = [
        layer for layer in served.description["layers"] if "Conv" in layer["class_name"]
    ]
    if not convolutions:
        return None
    try:
        with served.lock:
            kernel = explain.filters(served.model)
    except InvalidArgumentError:
        return None
    shape = list(kernel.shape)
    if kernel.ndim == 5:  # (kd, kh, kw, in, out): the middle depth
        kernel = kernel[kernel.shape[0] // 2]
    if kernel.ndim == 4 and kernel.shape[2] != 3:
        kernel = kernel.mean(axis=2)  # (kh, kw, out)
    elif kernel.ndim == 3 and served.kind == "signal":
        kernel = kernel.mean(axis=1)  # (k, out)
    filters = np.moveaxis(kernel, -1, 0)[:MAX_MAPS_PER_LAYER]
    return {
        "layer": convolutions[0]["name"],
        "shape": shape,
        "filters": np.round(filters.astype("float64"), 4).tolist(),
    }
