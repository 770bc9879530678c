"""Pooling layers against Keras 3 itself (torch backend) and the NumPy reference.

For every configuration: same outputs (``atol=rtol=1e-4``), same (empty) weight list,
same ``compute_output_shape`` (also equal to the real output shape), same
``get_config`` and same ``get_build_config`` (``None``: Keras builds pooling layers at
construction).

Keras 3.15.1's torch backend averages asymmetric 'same' windows wrongly: it pads with
*replicated* edge values and counts them (fixed upstream after 3.15.1 by
keras-team/keras#23233, see also #18452). Those cases are marked ``numpy`` and their
values are compared with the float64 NumPy reference (TensorFlow semantics) instead;
everything else about them is still compared with Keras.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers
from reference import pooling as ref

keras = pytest.importorskip("keras")

ATOL = RTOL = 1e-4

# (class name, kwargs, input shape with batch, where the values come from)
CASES: list[tuple[str, dict[str, Any], tuple[int, ...], str]] = [
    ("MaxPooling2D", {}, (2, 8, 8, 3), "keras"),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 3), "keras"),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 8, 3), "keras"),
    ("MaxPooling2D", {"pool_size": 2, "strides": 1, "padding": "same"}, (2, 6, 7, 2), "keras"),
    ("MaxPooling2D", {"pool_size": (3, 2), "strides": (2, 1)}, (2, 9, 8, 2), "keras"),
    ("MaxPooling2D", {"pool_size": 2, "padding": "same"}, (2, 7, 5, 4), "keras"),
    (
        "MaxPooling2D",
        {"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"},
        (2, 3, 7, 8),
        "keras",
    ),
    ("MaxPooling1D", {}, (2, 9, 4), "keras"),
    ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 10, 4), "keras"),
    ("MaxPooling1D", {"pool_size": 2, "data_format": "channels_first"}, (2, 4, 9), "keras"),
    ("MaxPooling3D", {}, (2, 4, 6, 6, 2), "keras"),
    ("MaxPooling3D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 5, 6, 5, 2), "keras"),
    ("MaxPooling3D", {"pool_size": 2, "data_format": "channels_first"}, (2, 2, 4, 4, 6), "keras"),
    ("AveragePooling2D", {"pool_size": 2}, (2, 8, 8, 3), "keras"),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 3), "keras"),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 8, 3), "numpy"),
    ("AveragePooling2D", {"pool_size": 2, "strides": 1, "padding": "same"}, (2, 6, 7, 2), "keras"),
    ("AveragePooling2D", {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 5, 6, 2), "keras"),
    ("AveragePooling2D", {"pool_size": (3, 2), "strides": (2, 1), "padding": "same"}, (2, 8, 8, 2), "numpy"),
    (
        "AveragePooling2D",
        {"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"},
        (2, 3, 9, 10),
        "numpy",
    ),
    ("AveragePooling1D", {"pool_size": 3}, (2, 9, 4), "keras"),
    ("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 10, 4), "numpy"),
    ("AveragePooling1D", {"pool_size": 2, "data_format": "channels_first"}, (2, 4, 8), "keras"),
    ("AveragePooling3D", {"pool_size": 2}, (2, 4, 4, 6, 2), "keras"),
    ("AveragePooling3D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 5, 6, 2), "numpy"),
    ("AveragePooling3D", {"pool_size": 2, "data_format": "channels_first"}, (2, 2, 4, 4, 4), "keras"),
    ("GlobalMaxPooling1D", {}, (2, 7, 3), "keras"),
    ("GlobalMaxPooling1D", {"keepdims": True, "data_format": "channels_first"}, (2, 3, 7), "keras"),
    ("GlobalMaxPooling2D", {}, (2, 5, 6, 3), "keras"),
    ("GlobalMaxPooling2D", {"keepdims": True}, (2, 5, 6, 3), "keras"),
    ("GlobalMaxPooling3D", {"data_format": "channels_first"}, (2, 3, 4, 5, 2), "keras"),
    ("GlobalAveragePooling1D", {"keepdims": True}, (2, 7, 3), "keras"),
    ("GlobalAveragePooling2D", {}, (2, 5, 6, 3), "keras"),
    ("GlobalAveragePooling2D", {"keepdims": True, "data_format": "channels_first"}, (2, 3, 5, 6), "keras"),
    ("GlobalAveragePooling3D", {"keepdims": True}, (2, 3, 4, 5, 2), "keras"),
]  # fmt: skip


def _plain(value: Any) -> Any:
    """Tuples and lists compare equal after this (Keras writes tuples)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _numpy_reference(name: str, kwargs: dict[str, Any], x: np.ndarray) -> np.ndarray:
    rank = int(name[-2])
    pool_size = kwargs["pool_size"]
    pool_size = (pool_size,) * rank if isinstance(pool_size, int) else pool_size
    strides = kwargs.get("strides") or pool_size
    strides = (strides,) * rank if isinstance(strides, int) else strides
    mode = "max" if name.startswith("Max") else "average"
    return ref.pool(
        x, mode, pool_size, strides, kwargs.get("padding", "valid"),
        kwargs.get("data_format", "channels_last"),
    )  # fmt: skip


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("name", "kwargs", "shape", "source"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_matches_keras(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...], source: str
) -> None:
    ours = getattr(layers, name)(name="probe", **kwargs)
    theirs = getattr(keras.layers, name)(name="probe", **kwargs)
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype("float32")

    got = ours(torch.from_numpy(x)).numpy()
    expected = keras.ops.convert_to_numpy(theirs(x))
    assert theirs.get_weights() == ours.get_weights() == []
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights] == []
    if source == "keras":
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    else:
        # Keras 3.15.1 torch bug (see module docstring): compare with float64 NumPy.
        reference = _numpy_reference(name, kwargs, x)
        np.testing.assert_allclose(got, reference, atol=1e-5, rtol=5e-4)
        assert not np.allclose(expected, reference, atol=1e-4), "Keras fixed: use it"

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
    assert ours.get_build_config() is None
    assert theirs.get_build_config() is None


@pytest.mark.oracle
def test_global_average_pooling_1d_mask_matches_keras() -> None:
    x = np.random.default_rng(3).standard_normal((3, 6, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 1, 0, 1, 0, 1]], bool)
    got = layers.GlobalAveragePooling1D()(
        torch.from_numpy(x), mask=torch.from_numpy(mask)
    )
    expected = keras.layers.GlobalAveragePooling1D()(x, mask=mask)
    np.testing.assert_allclose(
        got.numpy(), keras.ops.convert_to_numpy(expected), atol=ATOL, rtol=RTOL
    )


@pytest.mark.oracle
def test_aliases_match_keras() -> None:
    for alias in ("MaxPool2D", "AvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool3D"):
        assert getattr(layers, alias).__name__ == getattr(keras.layers, alias).__name__


@pytest.mark.oracle
def test_average_pooling_has_no_default_pool_size() -> None:
    for name in ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D"):
        with pytest.raises(TypeError, match="pool_size"):
            getattr(layers, name)()
        with pytest.raises(TypeError, match="pool_size"):
            getattr(keras.layers, name)()
