"""``cnnkit.Variable`` (``keras.Variable``) and ``tf.Variable`` assigned to a custom
layer's attributes: tracked as the layer's weights, trained, saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import ops
from cnnkit.compat.tf import random as tf_random
from cnnkit.compat.tf.tensor import Variable as TFVariable
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError


@cnnkit.saving.register_keras_serializable(package="test_free_variable")
class Scaled(cnnkit.layers.Layer):
    """A Dense written the way tutorials do with tf.Variable / keras.Variable."""

    def __init__(self, units: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.scale = TFVariable(1.0, trainable=False, name="scale")

    def build(self, input_shape: Any) -> None:
        self.w = TFVariable(tf_random.normal([input_shape[-1], self.units]), name="w")
        self.b = cnnkit.Variable(np.zeros((self.units,), "float32"), name="b")

    def call(self, x: Any) -> Any:
        return ops.matmul(x, self.w) * self.scale + self.b

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((64, 3)).astype("float32")
    return x, x @ np.array([[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]], "float32")


def test_variables_assigned_in_init_and_build_are_weights() -> None:
    layer = Scaled(name="scaled")
    layer(np.zeros((1, 3), "float32"))
    assert [v.path for v in layer.trainable_weights] == ["scaled/w", "scaled/b"]
    assert [v.path for v in layer.non_trainable_weights] == ["scaled/scale"]
    assert layer.count_params() == 3 * 2 + 2 + 1
    layer.trainable = False
    assert layer.trainable_weights == []
    assert not layer.w.requires_grad


def test_fit_trains_them_and_saving_round_trips(tmp_path: Path) -> None:
    x, y = _data()
    model = cnnkit.Sequential([cnnkit.Input((3,)), Scaled()])
    assert len(model.trainable_weights) == 2
    model.compile(optimizer=cnnkit.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=20, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 4
    assert float(model.layers[0].scale) == 1.0  # not trainable: left alone
    path = tmp_path / "scaled.keras"
    model.save(path)
    loaded = cnnkit.saving.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6
    )


def test_reassigning_an_attribute_replaces_the_weight() -> None:
    layer = cnnkit.layers.Layer(name="holder")
    layer.v = cnnkit.Variable("zeros", shape=(2,), name="v")
    layer.v = cnnkit.Variable("ones", shape=(3,), name="v")
    assert [(w.path, w.shape) for w in layer.weights] == [("holder/v", (3,))]


def test_keras_variable_constructor() -> None:
    v = cnnkit.Variable(np.arange(3.0), name="r")  # a float64 array keeps its dtype
    assert (v.name, v.dtype, v.trainable) == ("r", torch.float64, True)
    assert cnnkit.Variable([1.0, 2.0]).dtype == torch.float32
    assert cnnkit.Variable(3, trainable=False).dtype == torch.int32  # as Keras
    init = cnnkit.Variable(cnnkit.initializers.Constant(2.0), shape=(2, 2))
    assert init.numpy().tolist() == [[2.0, 2.0], [2.0, 2.0]]
    v.assign_add(np.ones(3))
    assert v.numpy().tolist() == [1.0, 2.0, 3.0]


def test_keras_variable_errors_teach() -> None:
    with pytest.raises(InvalidArgumentError, match="needs `shape`"):
        cnnkit.Variable("zeros")
    with pytest.raises(InvalidArgumentError, match="`initializer` is required"):
        cnnkit.Variable()
    with pytest.raises(IncompatibleShapeError, match=r"shape=\(3,\) was given"):
        cnnkit.Variable(np.zeros(2), shape=(3,))
