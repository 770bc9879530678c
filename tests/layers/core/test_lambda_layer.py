"""``Lambda``: calling, shape tracing, arguments, untracked weights, configs, loading."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import Input, Model, Sequential, layers
from cnnkit.errors import FileFormatError, InvalidArgumentError, InvalidTypeError
from cnnkit.models import load_model


def double(x: torch.Tensor) -> torch.Tensor:
    return x * 2


def keep_shape(shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
    return shape


def test_lambda_runs_on_arrays_with_arguments() -> None:
    layer = layers.Lambda(lambda x, power: x**power, arguments={"power": 3})
    out = layer(np.array([[2.0, -1.0]], dtype="float32"))
    np.testing.assert_allclose(out.numpy(), [[8.0, -1.0]])
    assert layer.name.startswith("lambda")


def test_lambda_in_sequential_trains_the_other_layers() -> None:
    model = Sequential([Input((4,)), layers.Lambda(double), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    history = model.fit(x, x.sum(axis=1), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.layers[0].trainable_weights == []
    np.testing.assert_allclose(model.layers[0](x).numpy(), x * 2)


def test_traced_output_shape_keeps_unknown_axes_unknown() -> None:
    images = Input((None, None, 3))
    gray = layers.Lambda(lambda t: t.mean(dim=-1, keepdim=True))(images)
    assert gray.shape == (None, None, None, 1)
    fixed = Input((8, 6, 3))
    strided = layers.Lambda(lambda t: t[:, ::2, :, :2])(fixed)
    assert strided.shape == (None, 4, 6, 2)


def test_functional_lambda_with_two_inputs() -> None:
    a, b = Input((3,)), Input((3,))
    total = layers.Lambda(lambda ts: ts[0] * ts[1])([a, b])
    model = Model([a, b], layers.Dense(2)(total))
    out = model([np.ones((5, 3), "float32"), np.full((5, 3), 2.0, "float32")])
    assert tuple(out.shape) == (5, 2)


def test_explicit_output_shape_tuple_and_function() -> None:
    as_tuple = layers.Lambda(lambda t: t.reshape(-1, 2, 2), output_shape=(2, 2))
    assert as_tuple.compute_output_shape((None, 4)) == (None, 2, 2)
    as_fn = layers.Lambda(double, output_shape=lambda s: s)
    assert as_fn.compute_output_shape((7, 4)) == (7, 4)


def test_training_reaches_a_function_that_declares_it() -> None:
    def noisy(x: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        return x + 1 if training else x

    layer = layers.Lambda(noisy)
    x = torch.zeros(1, 2)
    assert layer(x, training=True).sum().item() == 2.0
    assert layer(x).sum().item() == 0.0


def test_captured_module_weights_are_not_tracked_and_warn() -> None:
    dense = torch.nn.Linear(3, 3)
    with pytest.warns(UserWarning, match=r"uses \['dense'\].*does not track them"):
        layer = layers.Lambda(lambda t: dense(t))
    assert layer.trainable_weights == []
    assert list(layer.parameters()) == []


def test_untraceable_function_asks_for_output_shape() -> None:
    layer = layers.Lambda(lambda t: t.reshape(5, 7))
    with pytest.raises(InvalidArgumentError, match=r"could not infer.*`output_shape=`"):
        layer(Input((4,)))


def test_bad_arguments_are_explained() -> None:
    with pytest.raises(InvalidTypeError, match="`function` must be callable"):
        layers.Lambda(3)  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="`arguments` must be a dict"):
        layers.Lambda(double, arguments=[1])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="`mask` must be None"):
        layers.Lambda(double, mask=lambda x, m: m)


def test_config_of_a_python_lambda_is_keras_bytecode_form() -> None:
    config = layers.Lambda(lambda x, k=3: x * k, output_shape=(4,)).get_config()
    function = config["function"]
    assert function["class_name"] == "__lambda__"
    assert set(function["config"]) == {"code", "defaults", "closure"}
    assert function["config"]["defaults"] == [3]
    assert config["output_shape"] == [4]
    assert config["arguments"] == {}


def test_config_of_a_named_function_is_a_reference() -> None:
    config = layers.Lambda(double, name="d").get_config()
    assert config["function"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "double",
        "registered_name": "function",
    }


def test_unserialisable_closure_is_explained() -> None:
    weight = torch.ones(2)
    with pytest.raises(InvalidTypeError, match=r"closure holds a Tensor"):
        layers.Lambda(lambda t: t * weight).get_config()


def test_named_function_round_trips_through_keras_file(tmp_path: Path) -> None:
    model = Sequential([Input((4,)), layers.Lambda(double, name="d"), layers.Dense(2)])
    path = tmp_path / "m.keras"
    model.save(path)
    with pytest.raises(FileFormatError, match=r"calls the function 'double'.*custom_"):
        load_model(path)
    loaded = load_model(path, custom_objects={"double": double})
    x = np.ones((3, 4), "float32")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_registered_function_loads_without_custom_objects(tmp_path: Path) -> None:
    @cnnkit.saving.register_keras_serializable(package="lambda_test")
    def triple(x: torch.Tensor) -> torch.Tensor:
        return x * 3

    model = Sequential([Input((2,)), layers.Lambda(triple)])
    assert model.layers[0].get_config()["function"]["config"] == "lambda_test>triple"
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded(np.ones((1, 2), "float32")).numpy(), [[3, 3]])


@pytest.mark.parametrize("safe_mode", [True, False])
def test_python_lambda_file_is_refused_whatever_safe_mode(
    tmp_path: Path, safe_mode: bool
) -> None:
    model = Sequential([Input((4,)), layers.Lambda(lambda x: x + 1, name="plus")])
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileFormatError, match=r"`Lambda` \(layer 'plus'\).*custom_obj"):
        load_model(tmp_path / "m.keras", safe_mode=safe_mode)


def test_direct_from_config_refuses_bytecode_and_missing_function() -> None:
    config = layers.Lambda(lambda x: x, name="raw").get_config()
    with pytest.raises(FileFormatError, match="'raw' stores its `function` as Python"):
        layers.Lambda.from_config(config)
    with pytest.raises(FileFormatError, match="has no `function`"):
        layers.Lambda.from_config({"name": "empty"})


def test_from_config_resolves_output_shape_function() -> None:
    layer = layers.Lambda(double, output_shape=keep_shape)
    config = json.loads(json.dumps(layer.get_config()))
    rebuilt = layers.Lambda.from_config(
        config, custom_objects={"double": double, "keep_shape": keep_shape}
    )
    assert rebuilt.compute_output_shape((1, 2)) == (1, 2)


@pytest.mark.oracle
def test_keras_files_with_lambda_layers_both_ways(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    theirs = keras.Sequential(
        [keras.Input((4,)), keras.layers.Lambda(double), keras.layers.Dense(2)]
    )
    theirs.save(tmp_path / "named.keras")
    ours = load_model(tmp_path / "named.keras", custom_objects={"double": double})
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5
    )
    ours.save(tmp_path / "back.keras")
    again = keras.models.load_model(
        tmp_path / "back.keras", custom_objects={"double": double}
    )
    np.testing.assert_allclose(
        again.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5
    )
    coded = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda t: t + 1)])
    coded.save(tmp_path / "coded.keras")
    with pytest.raises(FileFormatError, match="stores Python bytecode"):
        load_model(tmp_path / "coded.keras", safe_mode=False)


def test_keras2_named_function_config_loads_with_custom_objects() -> None:
    from cnnkit.saving.layer_config import deserialize_layer, refuse_code

    entry = {
        "class_name": "Lambda",
        "config": {
            "name": "k2",
            "function": "double",
            "function_type": "function",
            "module": "__main__",
            "output_shape": None,
            "output_shape_type": "raw",
            "output_shape_module": None,
            "arguments": {},
        },
    }
    refuse_code(entry, "m.h5")  # a name is not code
    layer = deserialize_layer(entry, custom_objects={"double": double})
    assert layer(torch.ones(1, 2)).tolist() == [[2.0, 2.0]]
    coded = {**entry, "config": {**entry["config"], "function_type": "lambda"}}
    with pytest.raises(FileFormatError, match="stores Python bytecode"):
        refuse_code(coded, "m.h5")
