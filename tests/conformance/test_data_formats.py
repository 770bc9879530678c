"""``channels_first`` and ``channels_last``, on cnnkit and on Keras 3.

``data_format=`` on convolutions (1D/2D/3D), pooling, reshaping and preprocessing
layers; ``BatchNormalization(axis=1)``; the flatten order (Keras always flattens
H, W, C); a whole channels-first CNN; and the global
``config.set_image_data_format`` (restored after each test by ``conftest.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cnnkit
from cnnkit import layers

from .harness import DataFactory, assert_same, copy_weights, keras, to_numpy

pytestmark = pytest.mark.oracle

CF, CL = "channels_first", "channels_last"

# (class name, kwargs without data_format, channels-first input shape)
CF_TABLE: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    (
        "Conv1D",
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 3, 9),
    ),
    ("Conv2D", {"filters": 4, "kernel_size": 3}, (2, 3, 7, 6)),
    (
        "Conv2D",
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 3, 8, 8),
    ),
    ("Conv3D", {"filters": 2, "kernel_size": 2}, (2, 2, 4, 4, 3)),
    (
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 2, 4, 4),
    ),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 3, 6, 6)),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3}, (2, 3, 6, 6)),
    ("MaxPooling1D", {"pool_size": 2}, (2, 3, 8)),
    ("MaxPooling2D", {"pool_size": 2}, (2, 3, 6, 6)),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 3, 7, 7)),
    ("MaxPooling3D", {"pool_size": 2}, (2, 2, 4, 4, 4)),
    ("AveragePooling1D", {"pool_size": 2}, (2, 3, 8)),
    ("AveragePooling2D", {"pool_size": 2, "padding": "same"}, (2, 3, 5, 5)),
    ("AveragePooling3D", {"pool_size": 2}, (2, 2, 4, 4, 4)),
    ("GlobalAveragePooling1D", {}, (2, 3, 6)),
    ("GlobalAveragePooling2D", {}, (2, 3, 4, 4)),
    ("GlobalMaxPooling2D", {"keepdims": True}, (2, 3, 4, 4)),
    ("GlobalMaxPooling3D", {}, (2, 2, 3, 3, 3)),
    ("Flatten", {}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": 2}, (2, 3, 3, 4)),
    ("UpSampling3D", {"size": 2}, (2, 2, 2, 2, 2)),
    ("ZeroPadding2D", {"padding": ((1, 0), (2, 1))}, (2, 3, 4, 4)),
    ("Cropping2D", {"cropping": ((1, 0), (0, 2))}, (2, 3, 5, 5)),
    ("ZeroPadding3D", {"padding": 1}, (2, 2, 2, 2, 2)),
    ("Cropping3D", {"cropping": 1}, (2, 2, 4, 4, 4)),
    ("SpatialDropout2D", {"rate": 0.5}, (2, 3, 4, 4)),
    ("Resizing", {"height": 3, "width": 5}, (2, 3, 6, 6)),
    ("CenterCrop", {"height": 4, "width": 4}, (2, 3, 6, 6)),
    ("RandomFlip", {"mode": "horizontal"}, (2, 3, 6, 6)),
]

IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CF_TABLE)]


@pytest.mark.parametrize(("name", "kwargs", "shape"), CF_TABLE, ids=IDS)
def test_channels_first_argument(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...], data: DataFactory
) -> None:
    ours = getattr(layers, name)(data_format=CF, **kwargs)
    theirs = getattr(keras.layers, name)(data_format=CF, **kwargs)
    x = data(*shape)
    ours(x, training=False), theirs(x, training=False)
    copy_weights(ours, theirs)
    assert_same(ours(x, training=False), theirs(x, training=False))
    assert ours.get_config()["data_format"] == theirs.get_config()["data_format"] == CF


@pytest.mark.parametrize(("name", "kwargs", "shape"), CF_TABLE, ids=IDS)
def test_global_image_data_format(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...], data: DataFactory
) -> None:
    cnnkit.config.set_image_data_format(CF)
    keras.config.set_image_data_format(CF)
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    assert ours.get_config()["data_format"] == theirs.get_config()["data_format"]
    x = data(*shape)
    ours(x, training=False), theirs(x, training=False)
    copy_weights(ours, theirs)
    assert_same(ours(x, training=False), theirs(x, training=False))


@pytest.mark.parametrize(
    ("name", "kwargs", "shape"),
    [(n, k, s) for n, k, s in CF_TABLE if n in {"Conv2D", "MaxPooling2D", "Flatten"}],
)
def test_channels_first_compute_output_shape(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    ours = getattr(layers, name)(data_format=CF, **kwargs)
    theirs = getattr(keras.layers, name)(data_format=CF, **kwargs)
    batchless = (None, *shape[1:])
    assert tuple(ours.compute_output_shape(batchless)) == tuple(
        theirs.compute_output_shape(batchless)
    )


def test_image_data_format_getter_and_setter() -> None:
    assert cnnkit.config.image_data_format() == keras.config.image_data_format() == CL
    cnnkit.config.set_image_data_format(CF)
    assert cnnkit.config.image_data_format() == CF
    assert cnnkit.backend.image_data_format() == CF


def test_set_image_data_format_rejects_unknown_value() -> None:
    with pytest.raises(ValueError, match="channels_first") as theirs:
        keras.config.set_image_data_format("NCHW")
    with pytest.raises(type(theirs.value), match="channels_first"):
        cnnkit.config.set_image_data_format("NCHW")


def test_layer_keeps_the_format_it_was_created_with(data: DataFactory) -> None:
    ours, theirs = layers.MaxPooling2D(), keras.layers.MaxPooling2D()
    cnnkit.config.set_image_data_format(CF)
    keras.config.set_image_data_format(CF)
    x = data(2, 4, 4, 3)
    assert_same(ours(x), theirs(x))
    assert ours.data_format == theirs.data_format == CL


@pytest.mark.parametrize("axis", [1, -1])
def test_batch_normalization_axis(axis: int, data: DataFactory) -> None:
    ours = layers.BatchNormalization(axis=axis)
    theirs = keras.layers.BatchNormalization(axis=axis)
    x = data(4, 3, 5, 5)
    assert_same(ours(x, training=True), theirs(x, training=True))
    assert [tuple(w.shape) for w in ours.weights] == [
        tuple(w.shape) for w in theirs.weights
    ]
    assert_same(ours.get_weights(), theirs.get_weights())
    assert_same(ours(x, training=False), theirs(x, training=False))


def test_flatten_order_channels_first_is_hwc(data: DataFactory) -> None:
    """Keras flattens a channels-first tensor in H, W, C order."""
    x = data(2, 3, 4, 5)
    ours = layers.Flatten(data_format=CF)(x).numpy()
    assert_same(ours, keras.layers.Flatten(data_format=CF)(x))
    assert_same(ours, np.transpose(x, (0, 2, 3, 1)).reshape(2, -1))


def _cf_cnn(ns: Any) -> Any:
    return ns.Sequential(
        [
            ns.Input(shape=(1, 8, 8)),
            ns.layers.Conv2D(4, 3, activation="relu", data_format=CF),
            ns.layers.MaxPooling2D(2, data_format=CF),
            ns.layers.BatchNormalization(axis=1),
            ns.layers.Conv2D(3, 3, padding="same", data_format=CF),
            ns.layers.Flatten(data_format=CF),
            ns.layers.Dense(3, activation="softmax"),
        ]
    )


def test_channels_first_cnn(data: DataFactory) -> None:
    ours, theirs = _cf_cnn(cnnkit), _cf_cnn(keras)
    copy_weights(ours, theirs)
    assert [tuple(la.output.shape) for la in ours.layers] == [
        tuple(la.output.shape) for la in theirs.layers
    ]
    x = data(3, 1, 8, 8)
    assert_same(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert_same(ours(x, training=True), theirs(x, training=True))


def test_channels_first_cnn_under_global_setting(data: DataFactory) -> None:
    cnnkit.config.set_image_data_format(CF)
    keras.config.set_image_data_format(CF)

    def build(ns: Any) -> Any:
        return ns.Sequential(
            [
                ns.Input(shape=(2, 6, 6)),
                ns.layers.Conv2D(3, 3),
                ns.layers.MaxPooling2D(),
                ns.layers.GlobalAveragePooling2D(),
                ns.layers.Dense(2),
            ]
        )

    ours, theirs = build(cnnkit), build(keras)
    assert ours.output_shape == theirs.output_shape
    copy_weights(ours, theirs)
    x = data(2, 2, 6, 6)
    assert_same(ours(x), theirs(x))


def test_same_weights_both_formats_give_transposed_outputs(data: DataFactory) -> None:
    """One set of Keras-layout weights serves both formats (cnnkit alone, then Keras)."""
    last = layers.Conv2D(4, 3, padding="same")
    first = layers.Conv2D(4, 3, padding="same", data_format=CF)
    x = data(2, 6, 6, 3)
    last(x)
    first(np.transpose(x, (0, 3, 1, 2)))
    first.set_weights(last.get_weights())
    y_first = to_numpy(first(np.transpose(x, (0, 3, 1, 2))))
    assert_same(np.transpose(y_first, (0, 2, 3, 1)), last(x))
    k_first = keras.layers.Conv2D(4, 3, padding="same", data_format=CF)
    k_first(np.transpose(x, (0, 3, 1, 2)))
    k_first.set_weights(last.get_weights())
    assert_same(y_first, k_first(np.transpose(x, (0, 3, 1, 2))))
