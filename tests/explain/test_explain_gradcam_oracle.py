"""Grad-CAM, Grad-CAM++ and LayerCAM against pytorch-grad-cam on the same models.

pytorch-grad-cam min-max normalises each map and resizes it with OpenCV, and its
pipeline accepts 2D and 3D inputs only. Its own parts are compared instead: its
``ActivationsAndGradients`` hooks record the target layer's output and gradient for
the score ``sum(output[i, class_i])``, and its ``get_cam_image`` (the method's
weighting) turns them into the map at the layer's resolution, clipped at zero as its
pipeline does. A cnnkit layer's output is channels_last, so a ``reshape_transform``
moves the channels first (and lifts 1D maps to a 2D row, which the library's 2D
code then handles). Where the target layer keeps the input's size, neither side
resizes, so the maps compare directly; where it does not, cnnkit's bilinear resize
is compared with the ``cv2.resize`` the library uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import explain, layers, models

METHODS = {"gradcam": "GradCAM", "gradcam++": "GradCAMPlusPlus", "layercam": "LayerCAM"}
CONV = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}
POOL = {1: layers.MaxPooling1D, 2: layers.MaxPooling2D, 3: layers.MaxPooling3D}
SIZES = {1: (20,), 2: (10, 12), 3: (6, 7, 8)}


def _close(mine: np.ndarray, theirs: np.ndarray) -> float:
    """Largest difference relative to the map's scale (1 when maps are small)."""
    return float(np.abs(mine - theirs).max() / max(1.0, np.abs(theirs).max()))


def _model(rank: int, pool_first: bool = False) -> Any:
    stack: list[Any] = [layers.Input((*SIZES[rank], 2))]
    if pool_first:
        stack.append(POOL[rank](2))
    stack += [
        CONV[rank](6, 3, padding="same", activation="relu"),
        CONV[rank](5, 3, padding="same", activation="relu", name="target"),
        POOL[rank](2),
        layers.Flatten(),
        layers.Dense(4),
    ]
    return models.Sequential(stack)


def _their_raw_cam(
    grad_cam: Any,
    method: str,
    model: torch.nn.Module,
    layer: torch.nn.Module,
    x: torch.Tensor,
    classes: list[int],
    reshape: Any = None,
) -> np.ndarray:
    cam = getattr(grad_cam, METHODS[method])(
        model=model, target_layers=[layer], reshape_transform=reshape
    )
    try:
        targets = [
            grad_cam.utils.model_targets.ClassifierOutputTarget(c) for c in classes
        ]
        outputs = cam.activations_and_grads(x)
        model.zero_grad()
        sum(t(o) for t, o in zip(targets, outputs)).backward()
        activations = cam.activations_and_grads.activations[0].numpy()
        gradients = cam.activations_and_grads.gradients[0].numpy()
        raw = cam.get_cam_image(x, layer, targets, activations, gradients, False)
    finally:
        cam.activations_and_grads.release()
    return np.maximum(raw, 0)


def _channels_first(rank: int) -> Any:
    """cnnkit's (B, *S, C) maps as the library's (B, C, H, W[, D])."""
    if rank == 1:
        return lambda t: t.movedim(-1, 1).unsqueeze(2)  # (B, L, C) -> (B, C, 1, L)
    return lambda t: t.movedim(-1, 1)


def _torch_model() -> torch.nn.Sequential:
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(6, 4, 3, padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(16, 5),
    )  # fmt: skip


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("method", list(METHODS))
def test_cnnkit_maps_equal_pytorch_grad_cam(
    grad_cam: Any, rank: int, method: str
) -> None:
    model = _model(rank)
    x = torch.rand(3, *SIZES[rank], 2)
    classes = [0, 2, 3]
    mine = explain.gradcam(model, x, class_index=classes, layer="target", method=method)
    theirs = _their_raw_cam(
        grad_cam, method, model, model.get_layer("target"), x, classes,
        _channels_first(rank),
    )  # fmt: skip
    assert mine.shape == (3, *SIZES[rank])
    assert _close(mine, theirs.reshape(mine.shape)) <= 1e-5
    assert mine.max() > 0


@pytest.mark.parametrize("method", list(METHODS))
def test_torch_module_maps_equal_pytorch_grad_cam(grad_cam: Any, method: str) -> None:
    model = _torch_model()
    x = torch.rand(4, 3, 9, 11)
    mine = explain.gradcam(model, x, class_index=1, layer=model[3], method=method)
    theirs = _their_raw_cam(grad_cam, method, model, model[3], x, [1] * 4)
    assert _close(mine, theirs) <= 1e-5
    # Named by `named_modules()` too.
    assert np.array_equal(
        explain.gradcam(model, x, class_index=1, layer="3", method=method), mine
    )


@pytest.mark.parametrize("method", list(METHODS))
def test_normalized_maps_equal_the_full_pytorch_grad_cam_pipeline(
    grad_cam: Any, method: str
) -> None:
    """Same resolution on both sides (their pipeline reads NCHW input), so their
    min-max scaling is all that the option has to reproduce."""
    model = _torch_model()
    x = torch.rand(4, 3, 9, 11)
    mine = explain.gradcam(model, x, layer=model[3], method=method, normalize=True)
    with getattr(grad_cam, METHODS[method])(
        model=model, target_layers=[model[3]]
    ) as cam:
        theirs = cam(input_tensor=x, targets=None)  # the predicted classes
    assert mine.min() == 0.0
    assert mine.max() == 1.0
    assert _close(mine, theirs) <= 1e-5


@pytest.mark.parametrize("method", list(METHODS))
def test_bilinear_resize_equals_opencv(grad_cam: Any, method: str) -> None:
    """A 5x6 target layer (after a pooling) resized to the 10x12 input."""
    cv2 = pytest.importorskip("cv2")
    model = _model(2, pool_first=True)
    x = torch.rand(2, *SIZES[2], 2)
    layer = model.get_layer("target")
    mine = explain.gradcam(model, x, class_index=[3, 1], layer=layer, method=method)
    raw = _their_raw_cam(grad_cam, method, model, layer, x, [3, 1], _channels_first(2))
    assert raw.shape == (2, 5, 6)
    theirs = np.stack([cv2.resize(m, (SIZES[2][1], SIZES[2][0])) for m in raw])
    assert _close(mine, theirs) <= 1e-5
