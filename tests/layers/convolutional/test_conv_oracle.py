"""Convolution layers against Keras 3 itself (KERAS_BACKEND=torch, set by conftest).

For every configuration: same weights (cnnkit's, copied into Keras), same float32
input; outputs agree within ``atol=rtol=1e-4``; weight names, shapes and order,
``compute_output_shape`` and ``get_config`` are equal.

Keras 3.15.1 already contains the Conv*DTranspose crop fix (keras-team/keras#22876:
its torch backend crops the full ``conv_transpose`` output, see
``keras/src/backend/torch/nn.py::conv_transpose``), so the transposed 'same' / stride
2 cases are compared with Keras directly here; they are also checked against the
independent NumPy reference in ``test_conv_reference.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cnnkit import layers

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.oracle
ATOL = RTOL = 1e-4

CL, CF = "channels_last", "channels_first"

# (layer name, constructor kwargs, input shape with batch)
TABLE: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    # Conv1D
    ("Conv1D", {"filters": 4, "kernel_size": 3}, (2, 10, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 11, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 4, "padding": "causal", "strides": 2}, (2, 11, 3)),
    ("Conv1D", {"filters": 5, "kernel_size": 3, "padding": "same", "strides": 2}, (2, 11, 3)),
    ("Conv1D", {"filters": 4, "kernel_size": 5, "padding": "same", "groups": 2, "data_format": CF}, (2, 4, 9)),
    ("Conv1D", {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 3, "data_format": CF}, (2, 3, 10)),
    # Conv2D
    ("Conv2D", {"filters": 6, "kernel_size": 3, "activation": "relu"}, (2, 8, 8, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 8, 8, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 4, "padding": "same"}, (2, 9, 9, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 2, "strides": 2, "padding": "same"}, (2, 7, 6, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 9, 8, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "dilation_rate": (2, 1)}, (2, 9, 8, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": (3, 5), "strides": (1, 2)}, (2, 8, 11, 3)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 2, "padding": "same"}, (2, 7, 7, 4)),
    ("Conv2D", {"filters": 8, "kernel_size": 3, "groups": 4}, (2, 7, 7, 8)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same", "data_format": CF}, (2, 3, 9, 8)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "use_bias": False, "activation": "tanh"}, (2, 6, 6, 2)),
    # Conv3D
    ("Conv3D", {"filters": 4, "kernel_size": 3}, (2, 5, 6, 5, 2)),
    ("Conv3D", {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same"}, (2, 5, 5, 5, 2)),
    ("Conv3D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same", "data_format": CF}, (2, 2, 6, 5, 5)),
    # Conv2DTranspose: stride 2 with k in {2, 3, 4, 5}, both paddings, output_padding
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 2, "strides": 2}, (2, 5, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same"}, (2, 5, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 5, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 5, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 4, "strides": 2}, (2, 5, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 5, "strides": 2, "padding": "same"}, (2, 5, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 5, "strides": 2}, (2, 5, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 0}, (2, 5, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 3, "output_padding": 2}, (2, 4, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 4, "strides": 3, "padding": "same", "output_padding": (1, 2)}, (2, 4, 4, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 1, "strides": 2}, (2, 4, 5, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 5, 5, 3)),
    ("Conv2DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "data_format": CF}, (2, 3, 5, 4)),
    # Conv1DTranspose / Conv3DTranspose
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 7, 3)),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1}, (2, 7, 3)),
    ("Conv1DTranspose", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "data_format": CF}, (2, 3, 7)),
    ("Conv3DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 3, 4, 3, 2)),
    ("Conv3DTranspose", {"filters": 3, "kernel_size": 2, "strides": 2, "data_format": CF}, (2, 2, 3, 4, 3)),
    # Depthwise
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}, (2, 9, 3)),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}, (2, 7, 7, 3)),
    ("DepthwiseConv2D", {"kernel_size": 3, "dilation_rate": 2, "data_format": CF}, (2, 3, 9, 9)),
    ("DepthwiseConv2D", {"kernel_size": (2, 3), "depth_multiplier": 3, "use_bias": False}, (2, 6, 7, 2)),
    # Separable
    ("SeparableConv1D", {"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, (2, 9, 3)),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}, (2, 8, 7, 3)),
    ("SeparableConv2D", {"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "dilation_rate": 2, "data_format": CF}, (2, 3, 9, 9)),
]  # fmt: skip


def _normalise(value: Any) -> Any:
    """Tuples and lists compare equal (Keras and JSON disagree about them)."""
    if isinstance(value, tuple | list):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def _pair(name: str, kwargs: dict[str, Any], shape: tuple[int, ...]) -> tuple[Any, Any]:
    ours = getattr(layers, name)(name="probe", **kwargs)
    theirs = getattr(keras.layers, name)(name="probe", **kwargs)
    ours.build_from_config({"input_shape": list(shape)})
    theirs.build(shape)
    # Random weights everywhere (the default bias is zero, which would hide bias bugs).
    rng = np.random.default_rng(1)
    ours.set_weights(
        [
            rng.standard_normal(w.shape).astype("float32") * 0.5
            for w in ours.get_weights()
        ]
    )
    theirs.set_weights(ours.get_weights())
    return ours, theirs


@pytest.mark.parametrize(
    ("name", "kwargs", "shape"),
    TABLE,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(TABLE)],
)
def test_matches_keras(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    ours, theirs = _pair(name, kwargs, shape)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")

    expected = keras.ops.convert_to_numpy(theirs(x))
    got = ours(x).detach().numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)

    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.weights] == [
        tuple(w.shape) for w in theirs.weights
    ]

    symbolic = (None, *shape[1:])
    assert tuple(ours.compute_output_shape(symbolic)) == tuple(
        theirs.compute_output_shape(symbolic)
    )
    assert tuple(ours.compute_output_shape(shape)) == got.shape

    ours_config, keras_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(keras_config)
    assert _normalise(ours_config) == _normalise(keras_config)


def test_table_covers_every_layer_and_is_large_enough() -> None:
    from cnnkit.layers import convolutional

    # Aliases (Convolution2D is Conv2D) name the same classes: count classes.
    classes = {getattr(convolutional, name).__name__ for name in convolutional.__all__}
    assert {name for name, _, _ in TABLE} == classes
    assert len(TABLE) >= 25


@pytest.mark.parametrize(
    "name", ["Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D"]
)
def test_default_config_matches_keras(name: str) -> None:
    args = (
        {"kernel_size": 3}
        if name == "DepthwiseConv2D"
        else {"filters": 4, "kernel_size": 3}
    )
    ours = getattr(layers, name)(name="probe", **args)
    theirs = getattr(keras.layers, name)(name="probe", **args)
    assert _normalise(ours.get_config()) == _normalise(theirs.get_config())


def test_keras_config_round_trips_into_cnnkit() -> None:
    theirs = keras.layers.Conv2D(
        8, (3, 5), strides=2, padding="same", activation="relu", name="c"
    )
    ours = layers.Conv2D.from_config(theirs.get_config())
    assert _normalise(ours.get_config()) == _normalise(theirs.get_config())
