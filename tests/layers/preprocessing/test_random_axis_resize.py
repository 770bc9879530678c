"""``RandomHeight`` / ``RandomWidth``: shapes, seeds, inference identity, configs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit import Input, Model, Sequential, layers
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError

CLASSES = [layers.RandomHeight, layers.RandomWidth]


def _axis(cls: type) -> int:
    return 1 if cls is layers.RandomHeight else 2


@pytest.mark.parametrize("cls", CLASSES)
def test_training_call_changes_only_its_axis(cls: type) -> None:
    layer = cls(factor=(0.5, 0.5))
    out = layer(torch.rand(3, 8, 10, 2), training=True)
    expected = [3, 8, 10, 2]
    expected[_axis(cls)] = int(1.5 * expected[_axis(cls)])
    assert list(out.shape) == expected


@pytest.mark.parametrize("cls", CLASSES)
def test_factor_range_bounds_the_new_size(cls: type) -> None:
    layer = cls(factor=0.25, seed=3)
    sizes = {layer(torch.rand(1, 16, 16, 1)).shape[_axis(cls)] for _ in range(20)}
    assert min(sizes) >= 12
    assert max(sizes) <= 20
    assert len(sizes) > 1


@pytest.mark.parametrize("cls", CLASSES)
def test_inference_is_identity(cls: type) -> None:
    x = np.random.default_rng(0).random((2, 6, 7, 3)).astype("float32")
    out = cls(factor=0.4)(x, training=False)
    np.testing.assert_array_equal(out.numpy(), x)
    model = Sequential([Input((6, 7, 3)), cls(factor=0.4)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


@pytest.mark.parametrize("cls", CLASSES)
def test_same_seed_same_sizes_and_pixels(cls: type) -> None:
    x = torch.rand(2, 9, 9, 3)
    first, second = cls(factor=0.3, seed=7), cls(factor=0.3, seed=7)
    for _ in range(3):
        a, b = first(x), second(x)
        assert a.shape == b.shape
        torch.testing.assert_close(a, b)


def test_unit_factor_keeps_the_image() -> None:
    x = torch.rand(2, 5, 6, 3)
    torch.testing.assert_close(layers.RandomWidth(factor=0.0)(x), x)


@pytest.mark.parametrize("cls", CLASSES)
def test_output_shape_marks_the_changed_axis_unknown(cls: type) -> None:
    layer = cls(factor=0.2)
    expected: list[int | None] = [None, 8, 10, 3]
    expected[_axis(cls)] = None
    assert layer.compute_output_shape((None, 8, 10, 3)) == tuple(expected)
    symbolic = cls(factor=0.2)(Input((8, 10, 3)))
    assert symbolic.shape == tuple(expected)


def test_channels_first_and_single_image() -> None:
    layer = layers.RandomHeight(factor=(1.0, 1.0), data_format="channels_first")
    assert tuple(layer(torch.rand(2, 3, 4, 5)).shape) == (2, 3, 8, 5)
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 3, None, 5)
    assert tuple(layers.RandomWidth(factor=(1.0, 1.0))(torch.rand(4, 5, 3)).shape) == (
        4,
        10,
        3,
    )


def test_nearest_keeps_pixel_values() -> None:
    x = torch.arange(16.0).reshape(1, 4, 4, 1)
    out = layers.RandomWidth(factor=(1.0, 1.0), interpolation="nearest")(x)
    assert set(out.unique().tolist()) <= set(x.unique().tolist())


def test_in_a_model_followed_by_global_pooling_trains() -> None:
    inputs = Input((None, None, 1))
    x = layers.RandomWidth(0.2, seed=1)(inputs)
    x = layers.RandomHeight(0.2, seed=2)(x)
    x = layers.Conv2D(2, 3, padding="same")(x)
    outputs = layers.Dense(1)(layers.GlobalAveragePooling2D()(x))
    model = Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    images = np.random.default_rng(0).random((8, 12, 12, 1)).astype("float32")
    history = model.fit(images, np.ones(8), epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_config_round_trip() -> None:
    layer = layers.RandomWidth(
        factor=(-0.1, 0.3), interpolation="nearest", seed=5, name="w"
    )
    config = layer.get_config()
    assert {k: config[k] for k in ("factor", "interpolation", "seed")} == {
        "factor": (-0.1, 0.3),
        "interpolation": "nearest",
        "seed": 5,
    }
    assert layers.RandomWidth.from_config(config).get_config() == config


def test_bad_arguments_are_explained() -> None:
    with pytest.raises(InvalidArgumentError, match=r"`factor` must be.*factor=-1.5"):
        layers.RandomHeight(factor=-1.5)
    with pytest.raises(InvalidTypeError, match="`factor` must be a number"):
        layers.RandomWidth(factor="big")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="interpolation"):
        layers.RandomWidth(factor=0.1, interpolation="lanczos3")  # type: ignore[arg-type]
    with pytest.raises(IncompatibleShapeError, match="expected max_ndim=4"):
        layers.RandomWidth(factor=0.1)(torch.rand(2, 3, 4, 5, 6))


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["RandomHeight", "RandomWidth"])
def test_config_matches_keras_legacy_layer(name: str) -> None:
    pytest.importorskip("keras")
    from keras.src.legacy import layers as legacy  # Keras 3 keeps them here

    kwargs = {"factor": (0.1, 0.2), "interpolation": "nearest", "seed": 3}
    theirs = getattr(legacy, name)(name="x", **kwargs).get_config()
    ours = getattr(layers, name)(name="x", **kwargs).get_config()
    # cnnkit adds `data_format` (Keras 3 image layers all take it); the rest agree.
    assert set(ours) - set(theirs) == {"data_format"}
    assert {k: ours[k] for k in theirs} == theirs
