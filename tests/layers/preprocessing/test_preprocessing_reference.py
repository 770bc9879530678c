"""Warps and resizes against the float64 NumPy references in tests/reference.

The references apply Keras' fill-mode definitions tap by tap, so these tables also
check that ``grid_sample``'s padding modes (plus the wrap and constant constructions)
mean what Keras means. Tolerances: float32 outputs ``rtol=5e-4, atol=1e-4`` (values up
to 10; the error comes from float32 sampling coordinates); float64 ``1e-10``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cnnkit import layers
from reference.preprocessing import (
    affine_transform,
    contrast,
    resize_bilinear,
    resize_nearest,
    rotation_params,
    translation_params,
    zoom_params,
)

F32 = {"rtol": 5e-4, "atol": 1e-4}
FILLS = ("reflect", "wrap", "constant", "nearest")


def _images(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) * 10).astype("float32")


@pytest.mark.parametrize("fill_mode", FILLS)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("turn", [0.05, -0.3, 0.5])
def test_rotation_matches_reference(
    fill_mode: str, interpolation: str, turn: float
) -> None:
    x = _images((2, 6, 7, 3))
    layer = layers.RandomRotation(
        (turn, turn), fill_mode=fill_mode, interpolation=interpolation, fill_value=-2.0
    )
    out = layer(x).numpy()
    params = rotation_params(turn * 2 * math.pi, 6, 7)
    for i in range(2):
        ref = affine_transform(x[i], params, interpolation, fill_mode, -2.0)
        np.testing.assert_allclose(out[i], ref, **F32)


@pytest.mark.parametrize("fill_mode", FILLS)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize(("hf", "wf"), [(0.35, -0.2), (-0.55, 0.9), (0.45, None)])
def test_zoom_matches_reference(
    fill_mode: str, interpolation: str, hf: float, wf: float | None
) -> None:
    # The factors keep every sampling point off exact .5 ties, where nearest
    # interpolation may round either way in float32.
    x = _images((2, 6, 7, 2))
    layer = layers.RandomZoom(
        (hf, hf),
        None if wf is None else (wf, wf),
        fill_mode=fill_mode,
        interpolation=interpolation,
        fill_value=3.0,
    )
    out = layer(x).numpy()
    params = zoom_params(1 + hf, 1 + (hf if wf is None else wf), 6, 7)
    for i in range(2):
        ref = affine_transform(x[i], params, interpolation, fill_mode, 3.0)
        np.testing.assert_allclose(out[i], ref, **F32)


@pytest.mark.parametrize("fill_mode", FILLS)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize(("hf", "wf"), [(0.3, -0.55), (-1.0, 1.0), (0.07, 0.0)])
def test_translation_matches_reference(
    fill_mode: str, interpolation: str, hf: float, wf: float
) -> None:
    x = _images((2, 6, 7, 2))
    layer = layers.RandomTranslation(
        (hf, hf), (wf, wf), fill_mode=fill_mode, interpolation=interpolation
    )
    out = layer(x).numpy()
    params = translation_params(hf * 6, wf * 7)
    for i in range(2):
        ref = affine_transform(x[i], params, interpolation, fill_mode, 0.0)
        np.testing.assert_allclose(out[i], ref, **F32)


@pytest.mark.parametrize("fill_mode", FILLS)
def test_float64_warp_matches_reference_to_rounding(fill_mode: str) -> None:
    x = np.random.default_rng(3).random((1, 5, 6, 2))
    layer = layers.RandomRotation((0.13, 0.13), fill_mode=fill_mode, dtype="float64")
    out = layer(x).numpy()
    ref = affine_transform(
        x[0], rotation_params(0.13 * 2 * math.pi, 5, 6), "bilinear", fill_mode
    )
    np.testing.assert_allclose(out[0], ref, rtol=1e-10, atol=1e-10)


def test_reflect_is_edge_repeating_mirror() -> None:
    # Keras' definition: d c b a | a b c d | d c b a (shift right by 4 = the width).
    x = np.array([1.0, 2.0, 3.0, 4.0], dtype="float32").reshape(1, 1, 4, 1)
    layer = layers.RandomTranslation(0.0, (1.0, 1.0), interpolation="nearest")
    assert layer(x).flatten().tolist() == [4.0, 3.0, 2.0, 1.0]
    half = layers.RandomTranslation(0.0, (0.5, 0.5), interpolation="nearest")
    assert half(x).flatten().tolist() == [2.0, 1.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("shape", "size"),
    [((2, 7, 9, 3), (4, 6)), ((1, 5, 4, 2), (11, 13)), ((1, 6, 6, 1), (6, 6))],
)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resizing_matches_reference(
    shape: tuple[int, ...], size: tuple[int, int], interpolation: str
) -> None:
    x = _images(shape)
    out = layers.Resizing(*size, interpolation=interpolation)(x).numpy()
    reference = resize_bilinear if interpolation == "bilinear" else resize_nearest
    for i in range(shape[0]):
        np.testing.assert_allclose(out[i], reference(x[i], *size), rtol=1e-6, atol=1e-5)


def test_contrast_matches_reference() -> None:
    x = _images((3, 4, 5, 2)) * 25
    layer = layers.RandomContrast((0.3, 0.6), seed=5)
    factors = layer._uniform((3, 1, 1, 1), 0.7, 1.6, torch.zeros(1))
    out = layers.RandomContrast((0.3, 0.6), seed=5)(x).numpy()
    for i in range(3):
        ref = contrast(x[i], float(factors[i]), (0, 255))
        np.testing.assert_allclose(out[i], ref, rtol=1e-5, atol=1e-4)
