"""Functional models: DAGs, several inputs/outputs, graph errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers
from cnnkit.backend import clear_session
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.layers.base.keras_tensor import KerasTensor


@pytest.fixture(autouse=True)
def _fresh_names() -> None:
    clear_session()


def test_two_inputs_two_outputs() -> None:
    a, b = cnnkit.Input((3,), name="a"), cnnkit.Input((2,), name="b")
    ha = layers.Dense(4, name="ha")(a)
    hb = layers.Dense(4, name="hb")(b)
    joined = layers.Activation("relu")(ha)
    out1 = layers.Dense(1, name="out1")(joined)
    out2 = layers.Dense(2, name="out2")(hb)
    model = cnnkit.Model([a, b], [out1, out2])
    y1, y2 = model([np.ones((5, 3)), np.ones((5, 2))])
    assert y1.shape == (5, 1)
    assert y2.shape == (5, 2)
    # Keras 3.15 orders these layers exactly so (deepest first, then discovery order).
    assert [layer.name for layer in model.layers] == [
        "a",
        "ha",
        "b",
        "activation",
        "hb",
        "out1",
        "out2",
    ]
    y1d, _ = model({"a": np.ones((1, 3)), "b": np.ones((1, 2))})
    assert torch.allclose(y1d, y1[:1])


def test_model_with_dict_outputs() -> None:
    x = cnnkit.Input((2,))
    model = cnnkit.Model(x, {"y": layers.Dense(1)(x)})
    assert set(model(np.ones((1, 2)))) == {"y"}


def test_shared_layer_is_listed_once() -> None:
    x = cnnkit.Input((2,))
    shared = layers.Dense(2)
    model = cnnkit.Model(x, shared(shared(x)))
    assert model.layers.count(shared) == 1
    assert model(np.ones((1, 2))).shape == (1, 2)


def test_graph_disconnected_names_the_missing_input() -> None:
    a, b = cnnkit.Input((2,), name="a"), cnnkit.Input((2,), name="b")
    out = layers.Dense(1)(layers.Activation("relu")(b))
    with pytest.raises(InvalidArgumentError, match=r"Graph disconnected.*layer 'b'"):
        cnnkit.Model(a, out)


def test_inputs_must_be_input_tensors() -> None:
    with pytest.raises(
        InvalidTypeError, match=r"must be tensors returned by `cnnkit\.Input"
    ):
        cnnkit.Model(np.zeros(2), np.zeros(2))
    x = cnnkit.Input((2,))
    with pytest.raises(InvalidTypeError, match="`outputs` of a functional Model"):
        cnnkit.Model(x, "out")


def test_wrong_number_of_inputs_is_explained() -> None:
    a, b = cnnkit.Input((2,), name="a"), cnnkit.Input((2,), name="b")
    model = cnnkit.Model([a, b], layers.Dense(1)(a))
    with pytest.raises(InvalidArgumentError, match=r"expects 2 input\(s\)"):
        model(np.ones((1, 2)))
    with pytest.raises(InvalidArgumentError, match=r"missing \[.b.\]"):
        model({"a": np.ones((1, 2))})


def test_symbolic_tensor_has_no_truth_value() -> None:
    with pytest.raises(TypeError, match="has no value"):
        bool(cnnkit.Input((2,)))


def test_layer_output_attribute_allows_feature_extraction() -> None:
    model = cnnkit.Sequential(
        [layers.Input((4,)), layers.Dense(3, name="hidden"), layers.Dense(1)]
    )
    extractor = cnnkit.Model(model.input, model.get_layer("hidden").output)
    assert extractor(np.ones((2, 4))).shape == (2, 3)
    assert isinstance(model.layers[0].output, KerasTensor)


def test_config_round_trip_keeps_the_graph() -> None:
    x = cnnkit.Input((3,), name="img")
    a = layers.Dense(2, name="a")(x)
    b = layers.Dense(2, name="b")(x)
    out = layers.Dense(1, name="out")(layers.Activation("relu")(a))
    model = cnnkit.Model(x, [out, b])
    config = model.get_config()
    assert config["input_layers"] == ["img", 0, 0] or config["input_layers"] == [
        ["img", 0, 0]
    ]
    rebuilt = cnnkit.models.Functional.from_config(config)
    rebuilt.set_weights(model.get_weights())
    data = np.random.rand(4, 3).astype("float32")
    for mine, theirs in zip(model(data), rebuilt(data)):
        assert torch.allclose(mine, theirs)


def test_subclass_model_with_custom_call() -> None:
    class Tiny(cnnkit.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(3)
            self.out = layers.Dense(1)

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    model = Tiny()
    assert model(np.ones((2, 5))).shape == (2, 1)
    # Keras 3: layers built during the model's first call sit in its name scope.
    assert [w.path for w in model.weights] == [
        "tiny/dense/kernel",
        "tiny/dense/bias",
        "tiny/dense_1/kernel",
        "tiny/dense_1/bias",
    ]


def test_subclass_may_build_its_graph_in_init() -> None:
    # Keras' pattern: a subclass whose __init__ hands a graph to Model.__init__.
    class Classifier(cnnkit.Model):
        def __init__(self) -> None:
            inputs = cnnkit.Input((2,))
            outputs = cnnkit.layers.Dense(3)(inputs)
            super().__init__(inputs=inputs, outputs=outputs, name="clf")

    model = Classifier()
    assert isinstance(model, Classifier)
    assert model.name == "clf"
    assert model.output_shape == (None, 3)
    assert model(np.ones((4, 2), dtype="float32")).shape == (4, 3)
