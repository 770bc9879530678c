"""``callbacks.WatchLearning``: the first convolution's filters and maps per epoch."""

from __future__ import annotations

import numpy as np
import pytest

import cnnkit
from cnnkit import callbacks, layers
from cnnkit.errors import InvalidArgumentError


def _model(data_format: str = "channels_last") -> cnnkit.Model:
    shape = (8, 8, 1) if data_format == "channels_last" else (1, 8, 8)
    model = cnnkit.Sequential([
        layers.Input(shape),
        layers.Conv2D(20, 3, activation="relu", data_format=data_format, name="first"),
        layers.Conv2D(2, 3, data_format=data_format, name="second"),
        layers.Flatten(), layers.Dense(2),
    ])  # fmt: skip
    model.compile(optimizer="sgd", loss="mse")
    return model


def _fit(model, watch, epochs=3):
    x = np.random.default_rng(0).random((8, *model.input_shape[1:]), dtype="float32")
    model.fit(
        x, np.zeros((8, 2), "float32"), epochs=epochs, verbose=0, callbacks=[watch]
    )
    return x


def test_snapshots_follow_the_filters_and_the_probe_maps():
    model = _model()
    watch = callbacks.WatchLearning(probe=np.ones((8, 8, 1)), max_channels=5)
    _fit(model, watch)
    snaps = model.learning_snapshots
    assert snaps.layer == "first"
    assert snaps.epochs == [0, 1, 2]
    np.testing.assert_allclose(
        snaps.filters[-1], model.layers[0].kernel.detach()[..., :5]
    )
    assert snaps.activations[0].shape == (6, 6, 5)
    sub = cnnkit.Model(model.inputs, model.layers[0].output)
    expected = sub.predict(np.ones((1, 8, 8, 1), "float32"), verbose=0)
    np.testing.assert_allclose(
        snaps.activations[-1], np.asarray(expected)[0, ..., :5], rtol=1e-5, atol=1e-6
    )
    assert not np.allclose(snaps.filters[0], snaps.filters[-1])  # it learned


def test_every_and_a_named_layer_and_channels_first():
    model = _model("channels_first")
    _fit(model, callbacks.WatchLearning(np.ones((1, 8, 8)), layer="second", every=2), 3)
    snaps = model.learning_snapshots
    assert snaps.layer == "second"
    assert snaps.epochs == [1, 2]
    assert snaps.activations[0].shape == (4, 4, 2)  # channels moved last


def test_without_probe_only_filters_and_a_model_without_conv_records_nothing():
    model = _model()
    _fit(model, callbacks.WatchLearning(), 1)
    assert model.learning_snapshots.activations == []
    mlp = cnnkit.Sequential([layers.Input((3,)), layers.Dense(2)])
    mlp.compile(optimizer="sgd", loss="mse")
    mlp.fit(
        np.ones((4, 3)),
        np.ones((4, 2)),
        verbose=0,
        callbacks=[callbacks.WatchLearning()],
    )
    assert mlp.learning_snapshots is None


@pytest.mark.parametrize("kwargs", [{"max_channels": 0}, {"every": True}])
def test_bad_arguments_teach(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(InvalidArgumentError, match=f"`{name}` must be a positive int"):
        callbacks.WatchLearning(**kwargs)


def test_an_unknown_layer_lists_the_convolutions():
    with pytest.raises(
        InvalidArgumentError, match=r"its convolutions are \['first', 'second'\]"
    ):
        _fit(_model(), callbacks.WatchLearning(layer="nope"), 1)
