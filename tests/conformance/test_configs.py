"""Configs and files the way tutorials use them, on cnnkit and on Keras 3.

``get_config``/``from_config`` for every layer class of ``layer_table.py`` (and each
config read by the other library), ``Sequential``/functional round trips
(``Model.from_config(m.get_config())``), ``to_json``/``models.model_from_json``,
``clone_model``, ``save("m.keras")``/``load_model`` and
``save_weights``/``load_weights`` — each file written by one library loaded by the
other, with equal predictions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cnnkit
from cnnkit import layers

from .harness import DataFactory, assert_same, copy_weights, keras
from .layer_table import TABLE, canonical_names

pytestmark = pytest.mark.oracle


def _jsonable(value: Any) -> Any:
    """What ``json.dumps`` would keep (tuples become lists)."""
    return json.loads(json.dumps(value))


def _comparable(config: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The JSON form; a ``seed`` the user did not pass is left out (Keras draws one
    for some random layers, RandomCrop, when none is given; the key itself is
    compared by ``test_layer_get_config_equals_keras``)."""
    config = _jsonable(config)
    if "seed" not in kwargs:
        config.pop("seed", None)
    return config


@pytest.mark.parametrize("name", canonical_names())
def test_layer_get_config_equals_keras(name: str) -> None:
    kwargs = TABLE[name].kwargs
    ours = getattr(layers, name)(**kwargs).get_config()
    theirs = getattr(keras.layers, name)(**kwargs).get_config()
    assert sorted(ours) == sorted(theirs)
    assert_same(_comparable(ours, kwargs), _comparable(theirs, kwargs))


@pytest.mark.parametrize("name", canonical_names())
def test_layer_from_config_round_trip(name: str) -> None:
    layer = getattr(layers, name)(**TABLE[name].kwargs)
    again = type(layer).from_config(layer.get_config())
    assert type(again) is type(layer)
    assert _jsonable(again.get_config()) == _jsonable(layer.get_config())


@pytest.mark.parametrize("name", canonical_names())
def test_keras_reads_our_layer_config(name: str) -> None:
    """A cnnkit config is a Keras config: ``keras.layers.X.from_config`` takes it."""
    kwargs = TABLE[name].kwargs
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name).from_config(ours.get_config())
    assert theirs.name == ours.name
    again = getattr(layers, name).from_config(theirs.get_config())
    assert _comparable(again.get_config(), kwargs) == _comparable(
        ours.get_config(), kwargs
    )


@pytest.mark.parametrize("name", canonical_names())
def test_we_read_keras_layer_config(name: str) -> None:
    theirs = getattr(keras.layers, name)(**TABLE[name].kwargs)
    ours = getattr(layers, name).from_config(theirs.get_config())
    assert ours.name == theirs.name


@pytest.mark.parametrize(
    "name",
    ["Conv2D", "Dense", "BatchNormalization", "MaxPooling2D", "Dropout", "Flatten"],
)
def test_built_layer_build_config(name: str, data: DataFactory) -> None:
    case = TABLE[name]
    ours = getattr(layers, name)(**case.kwargs)
    theirs = getattr(keras.layers, name)(**case.kwargs)
    x = data(*case.shapes[0])
    ours(x), theirs(x)
    assert _jsonable(ours.get_build_config()) == _jsonable(theirs.get_build_config())


def _cnn(ns: Any) -> Any:
    return ns.Sequential(
        [
            ns.Input(shape=(8, 8, 1)),
            ns.layers.Conv2D(4, (3, 3), activation="relu"),
            ns.layers.MaxPooling2D((2, 2)),
            ns.layers.BatchNormalization(),
            ns.layers.Flatten(),
            ns.layers.Dropout(0.25),
            ns.layers.Dense(3, activation="softmax"),
        ],
        name="cnn",
    )


def _functional(ns: Any) -> Any:
    inputs = ns.Input(shape=(8, 8, 1), name="image")
    x = ns.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    y = ns.layers.Conv2D(4, 1)(inputs)
    x = ns.layers.add([x, y])
    x = ns.layers.GlobalAveragePooling2D()(x)
    outputs = ns.layers.Dense(3, activation="softmax", name="probs")(x)
    return ns.Model(inputs=inputs, outputs=outputs, name="func")


def _nested(ns: Any) -> Any:
    block = ns.Sequential(
        [ns.layers.Conv2D(2, 3, padding="same"), ns.layers.ReLU()], name="block"
    )
    inputs = ns.Input(shape=(8, 8, 1))
    x = block(inputs)
    x = ns.layers.Flatten()(x)
    return ns.Model(inputs, ns.layers.Dense(2)(x), name="nested")


BUILDERS = {"sequential": _cnn, "functional": _functional, "nested": _nested}


@pytest.fixture(params=sorted(BUILDERS))
def pair(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    build = BUILDERS[request.param]
    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    return ours, theirs


def _strip_ids(value: Any) -> Any:
    """Drop the per-process ``shared_object_id`` keys (not part of a model's meaning)."""
    if isinstance(value, dict):
        return {k: _strip_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_strip_ids(v) for v in value]
    return value


def test_model_get_config_equals_keras(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    assert_same(
        _strip_ids(_jsonable(ours.get_config())),
        _strip_ids(_jsonable(theirs.get_config())),
    )


def test_model_get_config_keys(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    assert sorted(ours.get_config()) == sorted(theirs.get_config())


def _from_config(ns: Any, model: Any) -> Any:
    cls = ns.Sequential if type(model).__name__ == "Sequential" else ns.Model
    return cls.from_config(model.get_config())


def test_model_from_config_round_trip(pair: tuple[Any, Any], data: DataFactory) -> None:
    ours, theirs = pair
    again = _from_config(cnnkit, ours)
    assert type(again).__name__ == type(ours).__name__
    assert [la.name for la in again.layers] == [la.name for la in ours.layers]
    again.set_weights(ours.get_weights())
    x = data(2, 8, 8, 1)
    assert_same(again.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_sequential_from_config() -> None:
    ours = cnnkit.Sequential.from_config(_cnn(cnnkit).get_config())
    theirs = keras.Sequential.from_config(_cnn(keras).get_config())
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    assert ours.output_shape == theirs.output_shape


def test_functional_from_config_with_model_class() -> None:
    """``Model.from_config(functional.get_config())``."""
    ours = cnnkit.Model.from_config(_functional(cnnkit).get_config())
    theirs = keras.Model.from_config(_functional(keras).get_config())
    assert [la.name for la in ours.layers] == [la.name for la in theirs.layers]
    assert ours.output_shape == theirs.output_shape
    assert ours.count_params() == theirs.count_params()


def test_keras_reads_our_model_config(pair: tuple[Any, Any], data: DataFactory) -> None:
    ours, theirs = pair
    rebuilt = _from_config(keras, ours)
    assert [la.name for la in rebuilt.layers] == [la.name for la in theirs.layers]
    rebuilt.set_weights(ours.get_weights())
    x = data(2, 8, 8, 1)
    assert_same(ours.predict(x, verbose=0), rebuilt.predict(x, verbose=0))


def test_we_read_keras_model_config(pair: tuple[Any, Any], data: DataFactory) -> None:
    _ours, theirs = pair
    rebuilt = _from_config(cnnkit, theirs)
    assert [la.name for la in rebuilt.layers] == [la.name for la in theirs.layers]
    rebuilt.set_weights(theirs.get_weights())
    x = data(2, 8, 8, 1)
    assert_same(rebuilt.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_to_json_equals_keras(pair: tuple[Any, Any]) -> None:
    ours, theirs = pair
    assert_same(
        _strip_ids(json.loads(ours.to_json())), _strip_ids(json.loads(theirs.to_json()))
    )


def test_model_from_json_round_trip(pair: tuple[Any, Any], data: DataFactory) -> None:
    ours, theirs = pair
    json_string = ours.to_json()
    again = cnnkit.models.model_from_json(json_string)
    again.set_weights(ours.get_weights())
    x = data(2, 8, 8, 1)
    assert_same(again.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_json_crosses_both_ways(pair: tuple[Any, Any], data: DataFactory) -> None:
    ours, theirs = pair
    in_keras = keras.models.model_from_json(ours.to_json())
    in_cnnkit = cnnkit.models.model_from_json(theirs.to_json())
    assert [la.name for la in in_keras.layers] == [la.name for la in in_cnnkit.layers]
    in_keras.set_weights(ours.get_weights())
    in_cnnkit.set_weights(ours.get_weights())
    x = data(2, 8, 8, 1)
    assert_same(in_cnnkit.predict(x, verbose=0), in_keras.predict(x, verbose=0))


def test_clone_model(pair: tuple[Any, Any], data: DataFactory) -> None:
    ours, theirs = pair
    clone_ours = cnnkit.models.clone_model(ours)
    clone_theirs = keras.models.clone_model(theirs)
    assert type(clone_ours).__name__ == type(clone_theirs).__name__
    # Keras 3.15 names a cloned auto-named InputLayer after its KerasTensor
    # ("keras_tensor_3"), an internal counter cnnkit has no reason to copy; the other
    # layers keep their names on both sides.
    assert [
        la.name for la in clone_ours.layers if type(la).__name__ != "InputLayer"
    ] == [la.name for la in clone_theirs.layers if type(la).__name__ != "InputLayer"]
    assert len(clone_ours.layers) == len(clone_theirs.layers)
    assert clone_ours.count_params() == clone_theirs.count_params()
    assert clone_ours is not ours
    assert clone_ours.layers[-1] is not ours.layers[-1]
    # fresh weights: the kernels differ from the original's
    assert not np.allclose(
        clone_ours.layers[-1].get_weights()[0], ours.layers[-1].get_weights()[0]
    )
    clone_ours.set_weights(ours.get_weights())
    x = data(2, 8, 8, 1)
    assert_same(clone_ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_clone_model_then_compile_and_fit(
    pair: tuple[Any, Any], data: DataFactory
) -> None:
    ours, _ = pair
    clone = cnnkit.models.clone_model(ours)
    clone.compile(optimizer="adam", loss="mse")
    out_units = clone.output_shape[-1]
    history = clone.fit(data(4, 8, 8, 1), data(4, out_units), epochs=1, verbose=0)
    assert sorted(history.history) == ["loss"]


@pytest.mark.parametrize("direction", ["ours->ours", "ours->keras", "keras->ours"])
def test_save_and_load_model_keras_file(
    pair: tuple[Any, Any], direction: str, tmp_path: Path, data: DataFactory
) -> None:
    ours, theirs = pair
    path = tmp_path / "m.keras"
    writer = theirs if direction.startswith("keras") else ours
    writer.save(path)
    loader = (
        keras.models.load_model
        if direction.endswith("keras")
        else cnnkit.models.load_model
    )
    loaded = loader(path)
    assert type(loaded).__name__ == type(writer).__name__
    assert [la.name for la in loaded.layers] == [la.name for la in writer.layers]
    x = data(3, 8, 8, 1)
    assert_same(loaded.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_save_and_load_compiled_model(tmp_path: Path, data: DataFactory) -> None:
    ours = _cnn(cnnkit)
    ours.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    x, y = data(6, 8, 8, 1), np.arange(6) % 3
    ours.fit(x, y, epochs=1, batch_size=3, verbose=0)
    ours.save(tmp_path / "m.keras")
    loaded_ours = cnnkit.models.load_model(tmp_path / "m.keras")
    loaded_theirs = keras.models.load_model(tmp_path / "m.keras")
    assert_same(loaded_ours.predict(x, verbose=0), loaded_theirs.predict(x, verbose=0))
    assert_same(loaded_ours.predict(x, verbose=0), ours.predict(x, verbose=0))
    assert_same(
        loaded_ours.evaluate(x, y, verbose=0), loaded_theirs.evaluate(x, y, verbose=0)
    )


@pytest.mark.parametrize("direction", ["ours->ours", "ours->keras", "keras->ours"])
def test_save_and_load_weights(
    pair: tuple[Any, Any], direction: str, tmp_path: Path, data: DataFactory
) -> None:
    ours, theirs = pair
    path = tmp_path / "m.weights.h5"
    build = BUILDERS[
        next(k for k, b in BUILDERS.items() if b(cnnkit).name == ours.name)
    ]
    if direction.startswith("keras"):
        theirs.save_weights(path)
        target = build(cnnkit)
    elif direction.endswith("keras"):
        ours.save_weights(path)
        target = build(keras)
    else:
        ours.save_weights(path)
        target = build(cnnkit)
    target.load_weights(path)
    x = data(3, 8, 8, 1)
    assert_same(target.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert_same(target.get_weights(), ours.get_weights())


def test_load_weights_into_model_built_later(tmp_path: Path, data: DataFactory) -> None:
    """A Sequential without ``Input``: ``build`` then ``load_weights``."""

    def build(ns: Any) -> Any:
        model = ns.Sequential(
            [ns.layers.Dense(4, activation="relu"), ns.layers.Dense(2)]
        )
        model.build((None, 3))
        return model

    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    theirs.save_weights(tmp_path / "k.weights.h5")
    fresh = build(cnnkit)
    fresh.load_weights(tmp_path / "k.weights.h5")
    x = data(2, 3)
    assert_same(fresh(x), theirs(x))
