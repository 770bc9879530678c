"""Grad-CAM, Grad-CAM++ and LayerCAM heatmaps for 1D, 2D and 3D models.

Each method weighs the feature maps ``A`` of one layer by the gradient ``G`` of a
class score with respect to them, sums over the channels, keeps the positive part,
and resizes the map to the input:

- ``"gradcam"`` (Selvaraju et al., 2017): channel weights ``mean(G)`` over positions.
- ``"gradcam++"`` (Chattopadhay et al., 2018, eq. 19): channel weights
  ``sum(alpha * relu(G))`` with ``alpha = G² / (2 G² + sum(A) G³)``.
- ``"layercam"`` (Jiang et al., 2021): a weight per position, ``relu(G) * A``.

The score is the class logit: a final softmax is left out (see ``_scores``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F

from cnnkit._layout import layout_of
from cnnkit.errors import InvalidArgumentError
from cnnkit.explain import _classes, _scores, _target, _tensors
from cnnkit.utils.validation import check_choice, check_positive_int, format_shape

Method = Literal["gradcam", "gradcam++", "layercam"]
METHODS = ("gradcam", "gradcam++", "layercam")
# Keeps Grad-CAM++'s alpha finite where its denominator vanishes; the same value as
# pytorch-grad-cam, so the two agree where the gradients are tiny.
_PLUSPLUS_EPS = 1e-6
_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


def gradcam(
    model: torch.nn.Module,
    x: Any,
    class_index: _classes.ClassIndex = None,
    layer: _target.LayerSpec | None = None,
    method: Method = "gradcam",
    *,
    normalize: bool = False,
    batch_size: int = 32,
) -> np.ndarray:
    """Class activation heatmaps, one per sample, the size of the input.

    Args:
        model: A cnnkit model, or a plain ``torch.nn.Module`` returning class scores
            (its input is then channels first: NCL, NCHW or NCDHW).
        x: A batch of inputs in the model's layout (numpy array or tensor), e.g.
            ``(N, H, W, C)`` for a channels_last 2D model.
        class_index: ``None`` explains each sample's predicted class; an int explains
            that class for every sample; a sequence gives one class per sample.
        layer: The layer whose feature maps are weighed: a layer name (nested layers
            by ``"base/conv2d_1"`` or by their own name when unique), a layer object,
            or, for a torch module, a module or its ``named_modules()`` name.
            ``None`` picks the last layer whose output still has spatial axes, looking
            inside nested models (the base of a classifier) too.
        method: ``"gradcam"``, ``"gradcam++"`` or ``"layercam"``.
        normalize: Scale each heatmap to ``[0, 1]`` (divide by its maximum after
            subtracting its minimum). Off by default: the raw values keep the
            method's definition and compare across samples.
        batch_size: Samples per forward/backward pass (bounds memory).

    Returns:
        A float32 array of shape ``(N, *spatial)``, the spatial sizes of ``x``
        (``(N, H, W)`` for images), with values ``>= 0``. The layer's map is resized
        with linear / bilinear / trilinear interpolation (``align_corners=False``).

    Raises:
        InvalidArgumentError: An unknown ``method``, a layer the model does not have
            or whose output has no spatial axes, or a bad ``class_index``.
        InvalidTypeError: ``model`` or ``x`` of the wrong type.

    Example:
        >>> import numpy as np
        >>> from cnnkit import explain, layers, models
        >>> model = models.Sequential([
        ...     layers.Input((12, 12, 1)),
        ...     layers.Conv2D(4, 3, activation="relu", name="conv"),
        ...     layers.MaxPooling2D(),
        ...     layers.Flatten(),
        ...     layers.Dense(3, activation="softmax"),
        ... ])
        >>> x = np.random.default_rng(0).random((2, 12, 12, 1), dtype="float32")
        >>> heat = explain.gradcam(model, x, class_index=1, layer="conv")
        >>> heat.shape, bool((heat >= 0).all())
        ((2, 12, 12), True)
        >>> float(explain.gradcam(model, x, method="layercam", normalize=True).max())
        1.0
    """
    model = _target.check_model(model, "gradcam")
    check_choice(method, METHODS, "method")
    batch_size = check_positive_int(batch_size, "batch_size")
    inputs = _tensors.as_input(model, x, min_ndim=3)
    rank = inputs.dim() - 2
    _, spatial, _ = layout_of(_target.input_format(model), rank).split(
        tuple(inputs.shape)
    )
    entry = (
        _target.find(model, layer, "layer")
        if layer is not None
        else pick_layer(model, inputs[:1])
    )
    planned = _classes.plan(class_index, inputs.shape[0])
    maps = []
    for rows in _tensors.chunks(inputs.shape[0], batch_size):
        activations, gradients = _activations_and_gradients(
            model, entry, inputs[rows], planned, rows
        )
        cam = _cam(method, activations, gradients)
        maps.append(_resize(cam, spatial))
    heat = torch.cat(maps)
    if normalize:
        heat = _min_max(heat)
    return _tensors.numpy(heat)


def pick_layer(model: torch.nn.Module, sample: torch.Tensor) -> _target.Entry:
    """The last layer (in execution order) whose output has the input's spatial rank.

    Containers (a nested model, a torch block) are passed over for the layers inside
    them, which produce the same tensor; maps of a single position are passed over
    too, since resizing one value to the input shows nothing.
    """
    candidates = [e for e in _target.entries(model) if not e.is_container]
    by_id = {id(e.module): e for e in candidates}
    rank = sample.dim() - 2
    with torch.no_grad(), _tensors.capturing([e.module for e in candidates]) as seen:
        _tensors.call(model, sample)
    for key in reversed(seen.order):
        output = seen.outputs[key]
        if isinstance(output, torch.Tensor) and output.dim() == sample.dim():
            layout = layout_of(_target.output_format(model, by_id[key]), rank)
            if np.prod(layout.split(tuple(output.shape))[1]) > 1:
                return by_id[key]
    raise InvalidArgumentError(
        "Grad-CAM found no layer with spatial output (batch, *spatial, channels) in "
        f"this model for input of shape {format_shape(tuple(sample.shape))}; its "
        f"layers are {[e.key for e in _target.entries(model)]}. Pass `layer=` a "
        "convolution or pooling layer."
    )


def _activations_and_gradients(
    model: torch.nn.Module,
    entry: _target.Entry,
    inputs: torch.Tensor,
    planned: np.ndarray | None,
    rows: slice,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The layer's output and the score's gradient there, channels first."""
    with torch.enable_grad(), _tensors.capturing([entry.module]) as seen:
        scores = _scores.logits(model, inputs)
    output = seen.outputs.get(id(entry.module))
    if output is None:
        raise InvalidArgumentError(
            f"`layer`={entry.key!r} did not run when the model was called, so it has "
            "no feature maps to weigh. Pass a layer on the path from the input to "
            "the output."
        )
    if not isinstance(output, torch.Tensor) or output.dim() != inputs.dim():
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else output
        raise InvalidArgumentError(
            f"`layer`={entry.key!r} outputs shape {format_shape(shape)}, which has no "
            f"spatial axes like the input {format_shape(tuple(inputs.shape))}: "
            "Grad-CAM weighs feature maps (batch, *spatial, channels). Pass a "
            "convolution or pooling layer, or leave `layer=None` to pick the last one."
        )
    classes = _classes.pick(planned, rows, scores)
    score = _classes.selected(scores, classes).sum()
    (gradient,) = torch.autograd.grad(score, output, allow_unused=True)
    if gradient is None:
        gradient = torch.zeros_like(output)  # the scores do not depend on this layer
    layout = layout_of(_target.output_format(model, entry), output.dim() - 2)
    # (B, *S, C) -> (B, C, *S) for channels_last layers; a view either way.
    return layout.to_channels_first(output.detach()), layout.to_channels_first(gradient)


def _cam(method: str, a: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``(B, C, *S)`` feature maps and gradients → ``(B, *S)`` heatmaps."""
    spatial = tuple(range(2, a.dim()))
    if method == "layercam":
        return (g.clamp_min(0) * a).sum(dim=1).clamp_min(0)
    if method == "gradcam":
        weights = g.mean(dim=spatial, keepdim=True)  # (B, C, 1, ...)
    else:
        g2 = g * g
        denominator = 2 * g2 + a.sum(dim=spatial, keepdim=True) * g2 * g
        alpha = torch.where(g != 0, g2 / (denominator + _PLUSPLUS_EPS), 0.0)
        weights = (alpha * g.clamp_min(0)).sum(dim=spatial, keepdim=True)
    return (weights * a).sum(dim=1).clamp_min(0)


def _resize(cam: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
    """``(B, *S')`` → ``(B, *size)`` by (bi/tri)linear interpolation."""
    if tuple(cam.shape[1:]) == tuple(size):
        return cam
    resized = F.interpolate(
        cam[:, None], size=size, mode=_MODES[len(size)], align_corners=False
    )
    return resized[:, 0].clamp_min(0)


def _min_max(heat: torch.Tensor) -> torch.Tensor:
    flat = heat.flatten(1)
    low = flat.min(dim=1, keepdim=True).values
    span = flat.max(dim=1, keepdim=True).values - low
    scaled = (flat - low) / torch.where(span > 0, span, torch.ones_like(span))
    return scaled.view_as(heat)
