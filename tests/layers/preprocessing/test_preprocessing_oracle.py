"""Preprocessing and augmentation layers against Keras 3 itself (torch backend).

Random layers are compared only where the result is deterministic: a degenerate
factor range (``(f, f)``), ``training=False``, or by checking each sample against
the few outputs it may have. Tolerance for values: ``atol=1e-4, rtol=1e-4`` (the
warps agree with Keras to ~1e-6 relative; the slack covers float32 rounding of the
normalised sampling grid).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from cnnkit import layers as C

pytestmark = pytest.mark.oracle
K = keras.layers
TOL = {"atol": 1e-4, "rtol": 1e-4}


def _plain(value: Any) -> Any:
    """Tuples and lists compare equal (JSON has only lists)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _np(value: Any) -> np.ndarray:
    return keras.ops.convert_to_numpy(value)


def _images(shape: tuple[int, ...], seed: int = 0, scale: float = 10.0) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) * scale).astype("float32")


# ------------------------------------------------------------------ configs

CONFIG_CASES = [
    ("Rescaling", {"scale": 1 / 255}),
    ("Rescaling", {"scale": 2, "offset": -1}),
    ("Rescaling", {"scale": [1.0, 2.0, 3.0]}),
    ("Rescaling", {"scale": np.array([1.0, 2.0], dtype="float32")}),
    ("Resizing", {"height": 4, "width": 5}),
    (
        "Resizing",
        {
            "height": 4,
            "width": 5,
            "interpolation": "nearest",
            "crop_to_aspect_ratio": True,
            "data_format": "channels_first",
        },
    ),
    (
        "Resizing",
        {
            "height": 3,
            "width": 3,
            "pad_to_aspect_ratio": True,
            "fill_value": 1.5,
            "antialias": True,
        },
    ),
    ("CenterCrop", {"height": 3, "width": 4}),
    ("CenterCrop", {"height": 3, "width": 4, "data_format": "channels_first"}),
    ("RandomFlip", {}),
    ("RandomFlip", {"mode": "horizontal", "seed": 3}),
    ("RandomRotation", {"factor": 0.2}),
    (
        "RandomRotation",
        {
            "factor": (0.1, -0.3),
            "fill_mode": "constant",
            "interpolation": "nearest",
            "seed": 1,
            "fill_value": 2.0,
        },
    ),
    ("RandomRotation", {"factor": [-0.5, 0.5], "data_format": "channels_first"}),
    ("RandomZoom", {"height_factor": 0.2}),
    (
        "RandomZoom",
        {
            "height_factor": (-0.3, 0.2),
            "width_factor": 0.1,
            "fill_mode": "wrap",
            "seed": 7,
        },
    ),
    ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.2}),
    (
        "RandomTranslation",
        {
            "height_factor": (-0.2, 0.1),
            "width_factor": [0.0, 0.3],
            "fill_mode": "nearest",
            "interpolation": "nearest",
        },
    ),
    ("RandomContrast", {"factor": 0.5}),
    ("RandomContrast", {"factor": (0.2, 0.4), "value_range": (0, 1), "seed": 2}),
    ("RandomCrop", {"height": 3, "width": 3, "seed": 1}),
    (
        "RandomCrop",
        {"height": 3, "width": 5, "seed": 9, "data_format": "channels_first"},
    ),
    ("RandomBrightness", {"factor": 0.2}),
    ("RandomBrightness", {"factor": (-0.1, 0.3), "value_range": (1, 0), "seed": 4}),
]


@pytest.mark.parametrize(("name", "kwargs"), CONFIG_CASES)
def test_config_equals_keras(name: str, kwargs: dict[str, Any]) -> None:
    ours = getattr(C, name)(**kwargs).get_config()
    theirs = getattr(K, name)(**kwargs).get_config()
    ours.pop("name")
    theirs.pop("name")
    assert _plain(ours) == _plain(theirs)


@pytest.mark.parametrize(("name", "kwargs"), CONFIG_CASES)
def test_keras_config_loads_and_round_trips(name: str, kwargs: dict[str, Any]) -> None:
    theirs = getattr(K, name)(**kwargs).get_config()
    ours = getattr(C, name).from_config(dict(theirs))
    assert _plain(ours.get_config()) == _plain(theirs)


# ------------------------------------------------------------------ deterministic


@pytest.mark.parametrize(
    ("kwargs", "dtype"),
    [
        ({"scale": 1 / 255}, "uint8"),
        ({"scale": 0.5, "offset": -1.0}, "float32"),
        ({"scale": [1.0, 2.0, 3.0], "offset": [0.0, 1.0, -1.0]}, "float32"),
    ],
)
def test_rescaling_matches_keras(kwargs: dict[str, Any], dtype: str) -> None:
    x = (np.random.default_rng(0).random((2, 4, 5, 3)) * 255).astype(dtype)
    ours = C.Rescaling(**kwargs)(x)
    assert ours.dtype == torch.float32
    np.testing.assert_allclose(ours.numpy(), _np(K.Rescaling(**kwargs)(x)), **TOL)


RESIZE_CASES = [
    ({"height": 4, "width": 6}, (2, 7, 9, 3)),
    ({"height": 11, "width": 5}, (2, 7, 9, 3)),
    ({"height": 14, "width": 18}, (1, 7, 9, 2)),
    ({"height": 4, "width": 6, "interpolation": "nearest"}, (2, 7, 9, 3)),
    ({"height": 13, "width": 4, "interpolation": "nearest"}, (2, 7, 9, 3)),
    ({"height": 5, "width": 5, "interpolation": "bicubic"}, (2, 8, 9, 1)),
    ({"height": 4, "width": 4, "antialias": True}, (2, 12, 9, 3)),
    ({"height": 4, "width": 8, "crop_to_aspect_ratio": True}, (2, 9, 9, 3)),
    ({"height": 8, "width": 3, "crop_to_aspect_ratio": True}, (2, 9, 10, 3)),
    (
        {"height": 4, "width": 8, "pad_to_aspect_ratio": True, "fill_value": 3.0},
        (2, 9, 9, 3),
    ),
    ({"height": 6, "width": 3, "pad_to_aspect_ratio": True}, (2, 5, 9, 3)),
    ({"height": 4, "width": 6, "data_format": "channels_first"}, (2, 3, 7, 9)),
    ({"height": 4, "width": 6}, (7, 9, 3)),
    ({"height": 4, "width": 6, "data_format": "channels_first"}, (3, 7, 9)),
]


@pytest.mark.parametrize(("kwargs", "shape"), RESIZE_CASES)
def test_resizing_matches_keras(kwargs: dict[str, Any], shape: tuple[int, ...]) -> None:
    x = _images(shape)
    ours_layer = C.Resizing(**kwargs)
    ours = ours_layer(x)
    theirs = _np(K.Resizing(**kwargs)(x))
    assert tuple(ours.shape) == theirs.shape == ours_layer.compute_output_shape(shape)
    np.testing.assert_allclose(ours.numpy(), theirs, **TOL)


def test_resizing_keeps_integer_dtype_like_keras() -> None:
    x = (np.random.default_rng(1).random((2, 7, 9, 3)) * 255).astype("uint8")
    ours = C.Resizing(4, 5)(x)
    theirs = _np(K.Resizing(4, 5)(x))
    assert ours.dtype == torch.uint8
    assert str(theirs.dtype) == "uint8"
    # Rounding of exact .5 ties may differ by one grey level.
    assert np.abs(ours.numpy().astype(int) - theirs.astype(int)).max() <= 1


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({"height": 3, "width": 4}, (2, 7, 9, 3)),
        ({"height": 2, "width": 2}, (2, 6, 6, 1)),
        ({"height": 10, "width": 4}, (2, 7, 9, 3)),
        ({"height": 12, "width": 12}, (1, 7, 9, 2)),
        ({"height": 3, "width": 4, "data_format": "channels_first"}, (2, 3, 7, 9)),
        ({"height": 3, "width": 4}, (7, 9, 3)),
    ],
)
def test_center_crop_matches_keras(
    kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    x = _images(shape)
    ours = C.CenterCrop(**kwargs)(x)
    np.testing.assert_allclose(ours.numpy(), _np(K.CenterCrop(**kwargs)(x)), **TOL)


# ------------------------------------------------------------------ geometric, fixed


def _same_output(ours_layer: Any, keras_layer: Any, x: np.ndarray) -> None:
    ours = ours_layer(x)
    theirs = _np(keras_layer(x, training=True))
    assert ours.dtype == torch.float32
    assert tuple(ours.shape) == x.shape
    np.testing.assert_allclose(ours.numpy(), theirs, **TOL)


FILLS = [
    (fill, interp)
    for fill in ("reflect", "wrap", "constant", "nearest")
    for interp in ("bilinear", "nearest")
]


@pytest.mark.parametrize(("fill_mode", "interpolation"), FILLS)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_fixed_rotation_matches_keras(
    fill_mode: str, interpolation: str, data_format: str
) -> None:
    kwargs = {
        "fill_mode": fill_mode,
        "interpolation": interpolation,
        "fill_value": 2.5,
        "data_format": data_format,
    }
    shape = (3, 7, 9, 2) if data_format == "channels_last" else (3, 2, 7, 9)
    x = _images(shape)
    _same_output(
        C.RandomRotation((0.07, 0.07), **kwargs),
        K.RandomRotation((0.07, 0.07), **kwargs),
        x,
    )


@pytest.mark.parametrize(("fill_mode", "interpolation"), FILLS)
@pytest.mark.parametrize(("height", "width"), [(0.31, -0.23), (0.9, -0.77)])
def test_fixed_translation_matches_keras(
    fill_mode: str, interpolation: str, height: float, width: float
) -> None:
    kwargs = {
        "fill_mode": fill_mode,
        "interpolation": interpolation,
        "fill_value": -1.0,
    }
    _same_output(
        C.RandomTranslation((height, height), (width, width), **kwargs),
        K.RandomTranslation((height, height), (width, width), **kwargs),
        _images((3, 7, 9, 2)),
    )


@pytest.mark.parametrize(("fill_mode", "interpolation"), FILLS)
@pytest.mark.parametrize(
    ("height", "width"), [(0.37, -0.21), (0.93, None), (-0.4, None)]
)
def test_fixed_zoom_matches_keras(
    fill_mode: str, interpolation: str, height: float, width: float | None
) -> None:
    kwargs = {"fill_mode": fill_mode, "interpolation": interpolation, "fill_value": 4.0}
    width_factor = None if width is None else (width, width)
    _same_output(
        C.RandomZoom((height, height), width_factor, **kwargs),
        K.RandomZoom((height, height), width_factor, **kwargs),
        _images((3, 7, 9, 2)),
    )


def test_single_image_warps_match_keras() -> None:
    x = _images((7, 9, 2))
    _same_output(C.RandomRotation((0.1, 0.1)), K.RandomRotation((0.1, 0.1)), x)
    _same_output(C.RandomZoom((0.2, 0.2)), K.RandomZoom((0.2, 0.2)), x)


def test_rotation_by_a_quarter_turn_is_rot90() -> None:
    x = _images((2, 6, 6, 3))
    ours = C.RandomRotation((0.25, 0.25))(x).numpy()
    theirs = _np(K.RandomRotation((0.25, 0.25))(x))
    expected = np.rot90(x, k=1, axes=(1, 2))  # counter-clockwise
    np.testing.assert_allclose(ours, expected, **TOL)
    np.testing.assert_allclose(theirs, expected, **TOL)


@pytest.mark.parametrize(("dy", "dx"), [(2, 3), (-1, 2), (0, -4)])
def test_whole_pixel_translation_is_roll_plus_fill(dy: int, dx: int) -> None:
    x = _images((2, 6, 8, 1))
    fill = 7.0
    expected = np.roll(x, (dy, dx), axis=(1, 2))
    rows = slice(0, dy) if dy > 0 else slice(6 + dy, 6)
    cols = slice(0, dx) if dx > 0 else slice(8 + dx, 8)
    expected[:, rows] = fill
    expected[:, :, cols] = fill
    args = ((dy / 6, dy / 6), (dx / 8, dx / 8))
    kwargs = {"fill_mode": "constant", "fill_value": fill}
    np.testing.assert_allclose(
        C.RandomTranslation(*args, **kwargs)(x).numpy(), expected, **TOL
    )
    np.testing.assert_allclose(
        _np(K.RandomTranslation(*args, **kwargs)(x)), expected, **TOL
    )


# ------------------------------------------------------------------ random, bounded


def test_flip_coin_flips_both_axes_together_like_keras() -> None:
    x = _images((64, 5, 6, 2))
    both = x[:, ::-1, ::-1]
    for out in (C.RandomFlip(seed=1)(x).numpy(), _np(K.RandomFlip(seed=1)(x))):
        same = np.isclose(out, x).all(axis=(1, 2, 3))
        flipped = np.isclose(out, both).all(axis=(1, 2, 3))
        assert (same | flipped).all()  # never only one axis
        assert same.any()
        assert flipped.any()


@pytest.mark.parametrize(("mode", "axis"), [("horizontal", 2), ("vertical", 1)])
def test_flip_modes_give_identity_or_the_flip_like_keras(mode: str, axis: int) -> None:
    x = _images((64, 5, 6, 2))
    mirrored = np.flip(x, axis=axis)
    for out in (
        C.RandomFlip(mode, seed=2)(x).numpy(),
        _np(K.RandomFlip(mode, seed=2)(x)),
    ):
        same = np.isclose(out, x).all(axis=(1, 2, 3))
        flipped = np.isclose(out, mirrored).all(axis=(1, 2, 3))
        assert (same ^ flipped).all()
        assert same.any()
        assert flipped.any()


def _force(layer: Any, value: float) -> Any:
    """Make a cnnkit random layer draw ``value`` everywhere."""
    layer._uniform = lambda shape, low, high, like: torch.full(
        tuple(shape), value, dtype=like.dtype, device=like.device
    )
    return layer


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_contrast_formula_and_clipping_match_keras(data_format: str) -> None:
    shape = (2, 5, 6, 3) if data_format == "channels_last" else (2, 3, 5, 6)
    x = _images(shape, scale=255.0)
    for factor in (0.4, 1.8):
        ours = _force(C.RandomContrast(0.9, data_format=data_format), factor)(x)
        keras_layer = K.RandomContrast(0.9, data_format=data_format)
        factors = np.full((2, 1, 1, 1), factor, dtype="float32")
        theirs = keras_layer.transform_images(
            keras.ops.convert_to_tensor(x), {"contrast_factor": factors}, training=True
        )
        np.testing.assert_allclose(ours.numpy(), _np(theirs), **TOL)


def test_contrast_factor_range_matches_keras() -> None:
    # Keras 3.15.1 turns a single factor f into (0, f): factors in [1, 1 + f].
    x = _images((512, 2, 2, 1))
    keras_layer = K.RandomContrast(0.5, seed=0)
    drawn = _np(keras_layer.get_random_transformation(x)["contrast_factor"]).ravel()
    ours = C.RandomContrast(0.5, seed=0)
    mine = ours._uniform((512,), 1 - ours.factor[0], 1 + ours.factor[1], torch.zeros(1))
    for values in (drawn, mine.numpy()):
        assert values.min() >= 1.0
        assert values.max() <= 1.5
        assert values.min() < 1.05
        assert values.max() > 1.45


def test_brightness_with_fixed_delta_matches_keras() -> None:
    x = _images((2, 4, 5, 3), scale=255.0)
    ours = C.RandomBrightness((0.3, 0.3))(x)
    theirs = _np(K.RandomBrightness((0.3, 0.3))(x))
    np.testing.assert_allclose(ours.numpy(), theirs, **TOL)
    assert theirs.max() == ours.numpy().max() == 255.0  # clipped to value_range


def test_random_crop_training_window_is_a_window_like_keras() -> None:
    x = _images((3, 8, 9, 2))
    for out in (
        C.RandomCrop(4, 5, seed=0)(x).numpy(),
        _np(K.RandomCrop(4, 5, seed=0)(x)),
    ):
        windows = [x[:, i : i + 4, j : j + 5] for i in range(5) for j in range(5)]
        assert any(np.allclose(out, w) for w in windows)  # one window for the batch


@pytest.mark.parametrize(
    ("shape", "target"),
    [((2, 4, 9, 2), (4, 5)), ((2, 8, 5, 2), (4, 5)), ((2, 3, 3, 2), (3, 3))],
)
def test_random_crop_not_larger_than_target_matches_keras(
    shape: tuple[int, ...], target: tuple[int, int]
) -> None:
    # Not larger on both axes: the deterministic branch (the centred window of the
    # target aspect ratio). Where the image is *smaller* than the target, Keras
    # 3.15.1 slices a target-sized (clipped) box and resizes it, distorting the
    # aspect; cnnkit resizes the aspect-correct window instead (not compared).
    x = _images(shape)
    ours = C.RandomCrop(*target, seed=0)(x)
    theirs = _np(K.RandomCrop(*target, seed=0)(x))
    np.testing.assert_allclose(ours.numpy(), theirs, **TOL)


def test_identity_when_not_training_matches_keras() -> None:
    x = _images((2, 5, 6, 3))
    for name, kwargs in [
        ("RandomFlip", {}),
        ("RandomRotation", {"factor": 0.3}),
        ("RandomZoom", {"height_factor": 0.3}),
        ("RandomTranslation", {"height_factor": 0.3, "width_factor": 0.3}),
        ("RandomContrast", {"factor": 0.3}),
        ("RandomBrightness", {"factor": 0.3}),
    ]:
        ours = getattr(C, name)(**kwargs)(x, training=False).numpy()
        theirs = _np(getattr(K, name)(**kwargs)(x, training=False))
        np.testing.assert_array_equal(ours, x)
        np.testing.assert_allclose(ours, theirs, **TOL)


@pytest.mark.parametrize(
    ("name", "kwargs", "shape"),
    [
        ("Resizing", {"height": 4, "width": 6}, (None, 7, 9, 3)),
        (
            "Resizing",
            {"height": 4, "width": 6, "data_format": "channels_first"},
            (None, 3, 7, 9),
        ),
        ("CenterCrop", {"height": 3, "width": 2}, (None, 7, 9, 3)),
        ("CenterCrop", {"height": 3, "width": 2}, (7, 9, 3)),
        ("RandomCrop", {"height": 3, "width": 2, "seed": 1}, (None, 7, 9, 3)),
        ("RandomCrop", {"height": 3, "width": 2, "seed": 1}, (3, 7, 9)),
        ("RandomRotation", {"factor": 0.1}, (None, 7, 9, 3)),
        ("Rescaling", {"scale": 2.0}, (None, 5)),
    ],
)
def test_compute_output_shape_matches_keras(
    name: str, kwargs: dict[str, Any], shape: tuple[int | None, ...]
) -> None:
    ours = getattr(C, name)(**kwargs).compute_output_shape(shape)
    theirs = getattr(K, name)(**kwargs).compute_output_shape(shape)
    assert tuple(ours) == tuple(theirs)
