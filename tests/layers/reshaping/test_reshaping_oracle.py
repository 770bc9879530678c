"""Reshaping layers against Keras 3 itself (torch backend).

For every configuration: same outputs (``atol=rtol=1e-4``), same (empty) weight list,
same ``compute_output_shape`` (also equal to the real output shape), same
``get_config`` and ``get_build_config``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers

keras = pytest.importorskip("keras")

ATOL = RTOL = 1e-4
CF = {"data_format": "channels_first"}

CASES: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("Reshape", {"target_shape": (4, -1)}, (2, 4, 6)),
    ("Reshape", {"target_shape": (-1,)}, (2, 3, 4, 5)),
    ("Reshape", {"target_shape": (7, 7, 4)}, (2, 196)),
    ("Permute", {"dims": (2, 1)}, (2, 3, 4)),
    ("Permute", {"dims": (3, 1, 2)}, (2, 4, 5, 3)),
    ("RepeatVector", {"n": 3}, (2, 5)),
    ("ZeroPadding1D", {}, (2, 5, 3)),
    ("ZeroPadding1D", {"padding": (1, 2), **CF}, (2, 3, 5)),
    ("ZeroPadding2D", {}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": 2}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": (1, 2)}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": ((0, 1), (2, 3))}, (2, 4, 5, 3)),
    ("ZeroPadding2D", {"padding": ((0, 1), (2, 3)), **CF}, (2, 3, 4, 5)),
    ("ZeroPadding3D", {"padding": 1}, (2, 3, 4, 2, 2)),
    ("ZeroPadding3D", {"padding": ((0, 1), (1, 0), (2, 2)), **CF}, (2, 2, 3, 4, 2)),
    ("Cropping1D", {}, (2, 6, 3)),
    ("Cropping1D", {"cropping": (2, 0)}, (2, 6, 3)),
    ("Cropping2D", {"cropping": 1}, (2, 6, 7, 3)),
    ("Cropping2D", {"cropping": (1, 2)}, (2, 6, 7, 3)),
    ("Cropping2D", {"cropping": ((0, 1), (2, 0)), **CF}, (2, 3, 6, 7)),
    ("Cropping3D", {}, (2, 4, 5, 6, 2)),
    ("Cropping3D", {"cropping": ((0, 1), (1, 0), (2, 0)), **CF}, (2, 2, 4, 5, 6)),
    ("UpSampling1D", {"size": 3}, (2, 4, 3)),
    ("UpSampling2D", {}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (2, 3), **CF}, (2, 2, 3, 4)),
    ("UpSampling2D", {"interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (3, 2), "interpolation": "bilinear", **CF}, (2, 2, 3, 4)),
    ("UpSampling2D", {"size": 3, "interpolation": "bicubic"}, (2, 4, 5, 2)),
    ("UpSampling3D", {}, (2, 2, 3, 2, 2)),
    ("UpSampling3D", {"size": (1, 2, 3), **CF}, (2, 2, 2, 3, 2)),
]


def _plain(value: Any) -> Any:
    """Tuples and lists compare equal after this (Keras writes tuples)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("name", "kwargs", "shape"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_matches_keras(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    ours = getattr(layers, name)(name="probe", **kwargs)
    theirs = getattr(keras.layers, name)(name="probe", **kwargs)
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype("float32")

    got = ours(torch.from_numpy(x)).numpy()
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    assert theirs.get_weights() == ours.get_weights() == []
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights] == []

    symbolic = (None, *shape[1:])
    assert ours.compute_output_shape(symbolic) == tuple(
        theirs.compute_output_shape(symbolic)
    )
    assert ours.compute_output_shape(shape) == got.shape
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    # Configs survive JSON both ways (what .keras files carry).
    ours_json = json.loads(json.dumps(ours.get_config()))
    theirs_json = json.loads(json.dumps(theirs.get_config()))
    keras_clone = type(theirs).from_config(ours_json)
    ours_clone = type(ours).from_config(theirs_json)
    assert _plain(keras_clone.get_config()) == _plain(theirs_json)
    assert _plain(ours_clone.get_config()) == _plain(ours_json)
    assert _plain(ours.get_build_config()) == _plain(theirs.get_build_config())


@pytest.mark.oracle
def test_area_upsampling_equals_nearest() -> None:
    """TensorFlow's 'area' resize gives nearest for integer factors (Keras' torch
    backend rejects 'area'; cnnkit follows TensorFlow)."""
    x = torch.randn(2, 3, 4, 2)
    area = layers.UpSampling2D((2, 3), interpolation="area")(x)
    nearest = keras.layers.UpSampling2D((2, 3))(x.numpy())
    np.testing.assert_array_equal(area.numpy(), keras.ops.convert_to_numpy(nearest))
