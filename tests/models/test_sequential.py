"""Sequential: add/pop/build, layers, input coercion, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers, models
from cnnkit.backend import clear_session
from cnnkit.errors import InvalidArgumentError, InvalidTypeError, NotBuiltError


@pytest.fixture(autouse=True)
def _fresh_names() -> None:
    clear_session()


def _mlp() -> models.Sequential:
    return models.Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])


def test_layers_exclude_the_input_layer() -> None:
    model = _mlp()
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.output_shape == (None, 2)
    assert model.input_shape == (None, 4)


def test_input_shape_on_first_layer_builds_immediately() -> None:
    model = models.Sequential()
    model.add(layers.Dense(3, input_shape=(4,)))
    assert model.built
    assert model.layers[0].output.shape == (None, 3)


def test_unbuilt_model_builds_on_first_call() -> None:
    model = models.Sequential([layers.Dense(3)])
    assert not model.built
    out = model(np.zeros((5, 4), dtype="float32"))
    assert out.shape == (5, 3)
    assert model.built
    assert model.count_params() == 15


def test_build_with_explicit_shape() -> None:
    model = models.Sequential([layers.Dense(3)])
    model.build((None, 6))
    assert model.count_params() == 21
    with pytest.raises(InvalidArgumentError, match="was built for input shape"):
        model.build((None, 7))


def test_build_without_shape_explains() -> None:
    with pytest.raises(NotBuiltError, match="cannot be built without an input shape"):
        models.Sequential([layers.Dense(1)]).build()


def test_pop_removes_last_layer() -> None:
    model = _mlp()
    popped = model.pop()
    assert popped.name == "dense_1"
    assert model.output_shape == (None, 3)
    model.pop()
    with pytest.raises(InvalidArgumentError, match="no layers"):
        model.pop()


def test_add_rejects_non_layers_and_duplicates() -> None:
    model = _mlp()
    with pytest.raises(
        InvalidTypeError, match=r"Only instances of `cnnkit\.layers\.Layer`"
    ):
        model.add("dense")
    with pytest.raises(InvalidArgumentError, match="unique names"):
        model.add(layers.Dense(2, name="dense"))


def test_second_input_layer_is_an_error() -> None:
    model = _mlp()
    with pytest.raises(InvalidArgumentError, match="already has an input layer"):
        model.add(layers.InputLayer(shape=(4,)))
    plain = models.Sequential([layers.Dense(1)])
    with pytest.raises(InvalidArgumentError, match="can only be added first"):
        plain.add(layers.InputLayer(shape=(4,)))


def test_layers_attribute_is_read_only() -> None:
    with pytest.raises(InvalidArgumentError, match="read-only"):
        _mlp().layers = []


def test_missing_trailing_channel_axis_is_added() -> None:
    model = models.Sequential([layers.Input((3, 3, 1)), layers.Flatten()])
    assert model(np.zeros((2, 3, 3), dtype="uint8")).shape == (2, 9)


def test_uint8_input_is_converted_to_the_input_dtype() -> None:
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    assert model(np.ones((1, 2), dtype="uint8")).dtype == torch.float32


def test_wrong_rank_input_is_explained() -> None:
    model = models.Sequential([layers.Input((3, 3, 1)), layers.Flatten()])
    with pytest.raises(InvalidArgumentError, match=r"Invalid input shape for input"):
        model(np.zeros((3,), dtype="float32"))


def test_weights_are_listed_layer_by_layer() -> None:
    model = _mlp()
    # Keras 3.15: a Sequential builds its layers in its own name scope.
    assert [w.path for w in model.weights] == [
        f"{model.name}/dense/kernel",
        f"{model.name}/dense/bias",
        f"{model.name}/dense_1/kernel",
        f"{model.name}/dense_1/bias",
    ]


def test_model_is_a_torch_module_with_state_dict() -> None:
    model = _mlp()
    assert isinstance(model, torch.nn.Module)
    assert sorted(model.state_dict()) == [
        "_layer_list.0.bias",
        "_layer_list.0.kernel",
        "_layer_list.1.bias",
        "_layer_list.1.kernel",
    ]


def test_get_layer_by_name_and_index() -> None:
    model = _mlp()
    assert model.get_layer("dense_1") is model.layers[1]
    assert model.get_layer(index=0) is model.layers[0]
    with pytest.raises(InvalidArgumentError, match="No such layer: 'nope'"):
        model.get_layer("nope")
    with pytest.raises(InvalidArgumentError, match="only has 2 layers"):
        model.get_layer(index=5)
    with pytest.raises(InvalidArgumentError, match="not both"):
        model.get_layer("dense", 0)
    with pytest.raises(InvalidArgumentError, match="either a layer `name` or `index`"):
        model.get_layer()


def test_config_round_trip() -> None:
    model = _mlp()
    clone = models.Sequential.from_config(model.get_config())
    assert [type(layer) for layer in clone.layers] == [layers.Dense, layers.Dense]
    assert clone.output_shape == (None, 2)
    assert model.get_config()["build_input_shape"] == [None, 4]


def test_clone_model_has_fresh_weights() -> None:
    model = _mlp()
    clone = cnnkit.models.clone_model(model)
    assert clone.count_params() == model.count_params()


def test_io_properties_need_a_built_model() -> None:
    with pytest.raises(NotBuiltError, match="has no defined outputs yet"):
        models.Sequential([layers.Dense(1)]).output  # noqa: B018
