"""Gradient, integrated gradients and occlusion against Captum on the same models.

Captum is given the model's logits (``model(x, training=False)``; the models here end
in a linear Dense, so cnnkit's score is the same), the same classes, baselines,
steps and windows. Captum's windows are written over every non-batch axis, so the
channel axis gets a window of its full size, as cnnkit's windows span all channels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import explain, layers, models


def _close(mine: np.ndarray, theirs: torch.Tensor) -> float:
    """Largest difference relative to the attributions' scale (1 when small)."""
    reference = theirs.detach().numpy()
    return float(np.abs(mine - reference).max() / max(1.0, np.abs(reference).max()))


def _model() -> Any:
    return models.Sequential([
        layers.Input((9, 10, 2)),
        layers.Conv2D(6, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(4, 2, activation="tanh"),
        layers.Flatten(),
        layers.Dense(5),
    ])  # fmt: skip


def _leaf(x: torch.Tensor) -> torch.Tensor:
    """Captum warns (an error here) unless its input already requires gradients."""
    return x.clone().requires_grad_(True)


def _logits(model: Any) -> Any:
    return lambda t: model(t, training=False)


CLASSES = [0, 3, 4]


@pytest.fixture
def x() -> torch.Tensor:
    return torch.rand(3, 9, 10, 2)


def test_gradient_equals_captum_saliency(captum_attr: Any, x: torch.Tensor) -> None:
    model = _model()
    mine = explain.saliency(model, x, class_index=CLASSES)
    theirs = captum_attr.Saliency(_logits(model)).attribute(
        _leaf(x), target=CLASSES, abs=False
    )
    assert _close(mine, theirs) <= 1e-5
    magnitude = explain.saliency(model, x, class_index=CLASSES, abs=True)
    assert _close(magnitude, theirs.abs()) <= 1e-5


@pytest.mark.parametrize(
    "rule", ["gausslegendre", "riemann_left", "riemann_right", "riemann_middle"]
)
def test_integrated_gradients_equal_captum(
    captum_attr: Any, x: torch.Tensor, rule: str
) -> None:
    model = _model()
    baseline = torch.full_like(x, 0.25)
    mine = explain.saliency(
        model, x, class_index=CLASSES, method="integrated_gradients",
        baseline=baseline.numpy(), steps=16, integration=rule, internal_batch_size=20,
    )  # fmt: skip
    theirs = captum_attr.IntegratedGradients(_logits(model)).attribute(
        _leaf(x), baselines=baseline, target=CLASSES, n_steps=16, method=rule
    )
    assert _close(mine, theirs) <= 1e-5


@pytest.mark.parametrize(("window", "stride"), [((3, 4), (2, 3)), (2, 2), (4, 1)])
def test_occlusion_equals_captum(
    captum_attr: Any, x: torch.Tensor, window: Any, stride: Any
) -> None:
    model = _model()
    mine = explain.saliency(
        model, x, class_index=CLASSES, method="occlusion", window=window,
        stride=stride, baseline=0.5, internal_batch_size=7,
    )  # fmt: skip
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    theirs = captum_attr.Occlusion(_logits(model)).attribute(
        x, sliding_window_shapes=(*pair(window), 2), strides=(*pair(stride), 2),
        baselines=0.5, target=CLASSES,
    )  # fmt: skip
    assert _close(mine, theirs) <= 1e-5


def test_torch_module_saliency_equals_captum(captum_attr: Any) -> None:
    """NCL input (a 1D torch model): gradient, integrated gradients and occlusion."""
    torch.manual_seed(3)
    model = torch.nn.Sequential(
        torch.nn.Conv1d(2, 4, 5), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(4 * 16, 3),
    )  # fmt: skip
    x = torch.rand(2, 2, 20)
    target = [2, 0]
    pairs = [
        (explain.saliency(model, x, class_index=target),
         captum_attr.Saliency(model).attribute(_leaf(x), target=target, abs=False)),
        (explain.saliency(model, x, class_index=target,
                          method="integrated_gradients", steps=20),
         captum_attr.IntegratedGradients(model).attribute(_leaf(x), target=target,
                                                          n_steps=20)),
        (explain.saliency(model, x, class_index=target, method="occlusion",
                          window=4, stride=3),
         captum_attr.Occlusion(model).attribute(
             x, sliding_window_shapes=(2, 4), strides=(2, 3), target=target)),
    ]  # fmt: skip
    for mine, theirs in pairs:
        assert mine.shape == (2, 2, 20)
        assert _close(mine, theirs) <= 1e-5
