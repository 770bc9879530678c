"""Legacy HDF5 models: cnnkit's writer, and files in tf.keras 2's shape."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from saving_builders import BUILDERS, sample_data
from tf2_files import (
    FUNCTIONAL_CONFIG,
    FUNCTIONAL_WEIGHTS,
    SEQUENTIAL_CONFIG,
    SEQUENTIAL_WEIGHTS,
    TRAINING_CONFIG,
    write_tf2_h5,
)

import cnnkit
from cnnkit import layers
from cnnkit.errors import FileFormatError
from cnnkit.saving import legacy_h5, load_model


def _save_h5(model: Any, path: Path, **kwargs: Any) -> None:
    with pytest.warns(UserWarning, match="legacy"):
        model.save(path, **kwargs)


def _trained(name: str) -> Any:
    model = BUILDERS[name](cnnkit)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = sample_data(model)
    model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    return model


def test_legacy_layout_matches_keras(tmp_path: Path) -> None:
    model = _trained("branchy_2d")
    _save_h5(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as h5:
        assert h5.attrs["backend"] == "torch"
        config = json.loads(h5.attrs["model_config"])
        assert config["class_name"] == "Functional"
        first = config["config"]["layers"][1]
        assert set(first) == {"class_name", "config", "name", "inbound_nodes"}
        training = json.loads(h5.attrs["training_config"])
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert "optimizer" not in training
        weights = h5["model_weights"]
        names = legacy_h5._read_names(weights, "layer_names")
        assert names == [layer.name for layer in model.layers]
        assert legacy_h5._read_names(weights["bn"], "weight_names") == [
            "bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance",
        ]  # fmt: skip
        assert weights["c1/c1/kernel"].shape == (3, 3, 3, 4)
        assert len(weights["add"].attrs["weight_names"]) == 0
        assert "top_level_model_weights" in weights
        optimizer = h5["optimizer_weights"]
        assert len(optimizer.attrs["weight_names"]) == 2 + 2 * len(
            model.trainable_weights
        )


@pytest.mark.parametrize("name", ["seed_cnn", "branchy_2d", "nested"])
def test_legacy_round_trip(tmp_path: Path, name: str) -> None:
    model = _trained(name)
    _save_h5(model, tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    x, _ = sample_data(model, seed=3)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    assert loaded.optimizer.iterations == model.optimizer.iterations
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not load_model(tmp_path / "m.h5", compile=False).compiled


def test_include_optimizer_false_skips_training_config(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    _save_h5(model, tmp_path / "m.hdf5", include_optimizer=False)
    with h5py.File(tmp_path / "m.hdf5") as h5:
        assert "training_config" not in h5.attrs
        assert "optimizer_weights" not in h5
    assert not load_model(tmp_path / "m.hdf5").compiled


def _reference_sequential(values: list[np.ndarray]) -> Any:
    model = cnnkit.Sequential(
        [
            cnnkit.Input((8, 8, 1)),
            layers.Conv2D(3, 3, activation="relu"),
            layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.set_weights(values)
    return model


def test_tf2_sequential_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "tf2.h5"
    values = write_tf2_h5(path, SEQUENTIAL_CONFIG, SEQUENTIAL_WEIGHTS, TRAINING_CONFIG)
    with pytest.warns(UserWarning, match="optimizer starts fresh"):
        model = load_model(path)
    assert [type(layer).__name__ for layer in model.layers][:3] == [
        "Conv2D", "DepthwiseConv2D", "BatchNormalization",
    ]  # fmt: skip
    assert model.layers[2].axis == -1 or model.layers[2].axis == 3
    assert model.compiled
    assert type(model.optimizer).__name__ == "Adam"
    x = np.random.RandomState(0).rand(4, 8, 8, 1).astype("float32")
    expected = _reference_sequential(values).predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)


def test_tf2_functional_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "tf2.h5"
    values = write_tf2_h5(path, FUNCTIONAL_CONFIG, FUNCTIONAL_WEIGHTS)
    model = load_model(path)
    assert type(model).__name__ == "Functional"
    assert not model.compiled
    inputs = cnnkit.Input((6, 6, 2))
    x = layers.Add()([layers.Conv2D(2, 1, activation="relu")(inputs), inputs])
    reference = cnnkit.Model(
        inputs, layers.Dense(2)(layers.GlobalAveragePooling2D()(x))
    )
    reference.set_weights(values)
    data = np.random.RandomState(1).rand(3, 6, 6, 2).astype("float32")
    np.testing.assert_allclose(
        model.predict(data, verbose=0), reference.predict(data, verbose=0), rtol=1e-6
    )


def test_tf2_model_class_name_and_legacy_sequential_list(tmp_path: Path) -> None:
    config = {**FUNCTIONAL_CONFIG, "class_name": "Model"}
    write_tf2_h5(tmp_path / "a.h5", config, FUNCTIONAL_WEIGHTS)
    assert type(load_model(tmp_path / "a.h5")).__name__ == "Functional"
    # Keras 2.0-2.2 wrote a Sequential config as the bare list of layers.
    old = {
        "class_name": "Sequential",
        "config": SEQUENTIAL_CONFIG["config"]["layers"][1:],
    }
    write_tf2_h5(tmp_path / "b.h5", old, SEQUENTIAL_WEIGHTS)
    assert load_model(tmp_path / "b.h5").count_params() == 30 + 60 + 24 + 165


def test_weights_only_legacy_file(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            group = h5.create_group(layer.name)
            group.attrs["weight_names"] = [
                f"{v.path}:0".encode() for v in layer.weights
            ]
            for variable in layer.weights:
                group.create_dataset(f"{variable.path}:0", data=variable.numpy())
    with pytest.raises(FileFormatError, match="weights-only file"):
        load_model(path)
    fresh = BUILDERS["seed_cnn"](cnnkit)
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_by_name_and_count_mismatch(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    _save_h5(model, tmp_path / "m.h5")
    # Same names, different order and an extra layer: by_name matches them.
    other = cnnkit.Sequential(
        [
            cnnkit.Input((12, 12, 1)),
            layers.Conv2D(4, (3, 3), activation="relu", name="conv"),
            layers.MaxPooling2D((2, 2), name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(8, name="extra"),
            layers.Dense(3, activation="softmax", name="probs"),
        ]
    )
    with pytest.raises(FileFormatError, match="layer count mismatch"):
        other.load_weights(tmp_path / "m.h5")
    with pytest.raises(FileFormatError, match="Shape mismatch"):
        other.load_weights(tmp_path / "m.h5", by_name=True)
    with pytest.warns(UserWarning, match="Shape mismatch"):
        other.load_weights(tmp_path / "m.h5", by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(
        other.get_layer("conv").get_weights()[0],
        model.get_layer("conv").get_weights()[0],
    )


def test_weight_count_mismatch_is_reported(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    _save_h5(model, tmp_path / "m.h5")
    no_bias = cnnkit.Sequential(
        [
            cnnkit.Input((12, 12, 1)),
            layers.Conv2D(4, (3, 3), use_bias=False),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(3),
        ]
    )
    with pytest.raises(FileFormatError, match="Weight count mismatch"):
        no_bias.load_weights(tmp_path / "m.h5")


def test_long_name_lists_are_chunked(tmp_path: Path) -> None:
    names = [f"layer_{i:05d}_{'x' * 200}".encode() for i in range(600)]
    with h5py.File(tmp_path / "n.h5", "w") as h5:
        legacy_h5._write_names(h5, "layer_names", names)
        assert "layer_names" not in h5.attrs
        assert "layer_names0" in h5.attrs
        assert legacy_h5._read_names(h5, "layer_names") == [n.decode() for n in names]


def test_not_a_keras_h5_file(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "other.h5", "w") as h5:
        h5.create_dataset("data", data=np.zeros(3))
    model = BUILDERS["seed_cnn"](cnnkit)
    with pytest.raises(FileFormatError, match="not a Keras weights file"):
        model.load_weights(tmp_path / "other.h5")
    with pytest.raises(FileFormatError, match="no model config"):
        load_model(tmp_path / "other.h5")


def test_corrupted_json_attribute(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "bad.h5", "w") as h5:
        h5.attrs["model_config"] = b"{oops"
    with pytest.raises(FileFormatError, match="model_config attribute is not JSON"):
        load_model(tmp_path / "bad.h5")


def test_unreadable_legacy_node(tmp_path: Path) -> None:
    config = json.loads(json.dumps(FUNCTIONAL_CONFIG))
    config["config"]["layers"][1]["inbound_nodes"] = ["garbage"]
    write_tf2_h5(tmp_path / "bad.h5", config, FUNCTIONAL_WEIGHTS)
    with pytest.raises(FileFormatError, match="Unreadable inbound node"):
        load_model(tmp_path / "bad.h5")
    bad = {"class_name": "Sequential", "config": {"layers": ["not a dict"]}}
    write_tf2_h5(tmp_path / "bad2.h5", bad, {})
    with pytest.raises(FileFormatError, match="must be a dict with 'class_name'"):
        load_model(tmp_path / "bad2.h5")


def test_no_warning_for_clean_round_trip(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    _save_h5(model, tmp_path / "m.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(tmp_path / "m.h5")
