"""The ``.keras`` format written and read by cnnkit alone (no Keras needed)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from saving_builders import BUILDERS, sample_data

import cnnkit
from cnnkit import layers
from cnnkit.errors import FileFormatError, InvalidArgumentError
from cnnkit.saving import load_model, model_from_json, save_model


def _trained(name: str, epochs: int = 1) -> Any:
    model = BUILDERS[name](cnnkit)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = sample_data(model)
    model.fit(x, y, epochs=epochs, batch_size=3, verbose=0)
    return model


def _weights_h5(path: Path) -> h5py.File:
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    return h5py.File(io.BytesIO(data), "r")


def _config(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def _h5_paths(h5: h5py.File) -> dict[str, Any]:
    found: dict[str, Any] = {}
    h5.visititems(
        lambda name, obj: found.__setitem__(
            name, tuple(obj.shape) if isinstance(obj, h5py.Dataset) else None
        )
    )
    return found


def test_zip_members_are_stored_in_keras_order(tmp_path: Path) -> None:
    path = tmp_path / "m.keras"
    _trained("seed_cnn").save(path)
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == [
        "metadata.json",
        "config.json",
        "model.weights.h5",
    ]
    assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
    with zipfile.ZipFile(path) as archive:
        metadata = json.loads(archive.read("metadata.json"))
    # Keras' two keys, then cnnkit's training record (a trained model), which
    # Keras never reads back.
    assert list(metadata) == ["keras_version", "date_saved", "cnnkit"]
    assert metadata["keras_version"].startswith("3.")


def test_sequential_layout_uses_class_keys_not_names(tmp_path: Path) -> None:
    model = cnnkit.Sequential(
        [
            cnnkit.Input((6, 6, 1)),
            layers.Conv2D(2, 3, name="first"),
            layers.Conv2D(2, 3, name="second"),
            layers.Flatten(name="flat"),
            layers.Dense(2, name="head"),
        ],
        name="named",
    )
    model.save(tmp_path / "m.keras")
    with _weights_h5(tmp_path / "m.keras") as h5:
        paths = _h5_paths(h5)
        assert paths["layers/conv2d/vars/0"] == (3, 3, 1, 2)
        assert paths["layers/conv2d_1/vars/1"] == (2,)
        assert "layers/flatten/vars" in paths  # weightless layers get empty vars
        assert not any(k.startswith("layers/input_layer") for k in paths)
        assert h5["layers/conv2d/vars"].attrs["name"] == "first"
        assert h5["vars"].attrs["name"] == "named"
        assert "optimizer" not in h5  # never compiled


def test_functional_and_nested_layout(tmp_path: Path) -> None:
    model = BUILDERS["nested"](cnnkit)
    model.save(tmp_path / "m.keras")
    with _weights_h5(tmp_path / "m.keras") as h5:
        paths = _h5_paths(h5)
    assert "layers/input_layer/vars" in paths  # functional models list their Input
    assert paths["layers/sequential/layers/conv2d/vars/0"] == (3, 3, 3, 3)
    assert paths["layers/sequential/layers/batch_normalization/vars/3"] == (3,)
    assert "layers/sequential/vars" in paths


def test_optimizer_variables_follow_keras_order(tmp_path: Path) -> None:
    model = _trained("seed_cnn", epochs=2)
    model.save(tmp_path / "m.keras")
    with _weights_h5(tmp_path / "m.keras") as h5:
        group = h5["optimizer/vars"]
        assert group.attrs["name"] == model.optimizer.name
        assert group["0"][()] == 4  # 2 epochs x 2 batches
        assert group["0"].dtype == np.int32
        assert group["1"].dtype == np.float32
        kernel = model.get_layer("conv").get_weights()[0]
        # Adam: momentum then velocity per trainable variable, in model order.
        assert group["2"].shape == group["3"].shape == kernel.shape
        assert len(group) == 2 + 2 * len(model.trainable_weights)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_round_trip_keeps_predictions_and_optimizer(tmp_path: Path, name: str) -> None:
    model = _trained(name)
    x, _ = sample_data(model, seed=5)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    assert loaded.optimizer.iterations == model.optimizer.iterations
    for saved, restored in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(saved.numpy(), restored.numpy())


def test_loaded_model_continues_training_exactly(tmp_path: Path) -> None:
    def fresh() -> Any:
        import torch

        torch.manual_seed(0)
        model = BUILDERS["branchy_2d"](cnnkit)
        model.compile(
            optimizer=cnnkit.optimizers.Adam(0.01),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    x, y = sample_data(fresh(), n=4)
    straight = fresh()
    for _ in range(3):
        straight.train_on_batch(x, y)
    interrupted = fresh()
    for _ in range(2):
        interrupted.train_on_batch(x, y)
    interrupted.save(tmp_path / "m.keras")
    resumed = load_model(tmp_path / "m.keras")
    resumed.train_on_batch(x, y)
    assert resumed.optimizer.iterations == 3
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_compile_config_is_written_and_restored(tmp_path: Path) -> None:
    model = BUILDERS["seed_cnn"](cnnkit)
    model.compile(
        optimizer=cnnkit.optimizers.SGD(learning_rate=0.05, momentum=0.9),
        loss=cnnkit.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    model.save(tmp_path / "m.keras")
    config = _config(tmp_path / "m.keras")
    compile_config = config["compile_config"]
    assert list(compile_config) == [
        "optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
        "run_eagerly", "steps_per_execution", "jit_compile",
    ]  # fmt: skip
    assert compile_config["loss"]["class_name"] == "SparseCategoricalCrossentropy"
    assert compile_config["jit_compile"] is False
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.compiled
    assert type(loaded.optimizer).__name__ == "SGD"
    assert loaded.optimizer.get_config()["momentum"] == 0.9
    assert loaded._compile_args["metrics"] == ["accuracy"]
    assert not load_model(tmp_path / "m.keras", compile=False).compiled


def test_uncompiled_model_has_empty_compile_config(tmp_path: Path) -> None:
    model = BUILDERS["seed_cnn"](cnnkit)
    config = json.loads(model.to_json())
    assert config["compile_config"] == {}
    assert config["build_config"] == {"input_shape": [None, 12, 12, 1]}
    functional = json.loads(BUILDERS["branchy_2d"](cnnkit).to_json())
    assert functional["module"] == "keras.src.models.functional"
    assert functional["registered_name"] == "Functional"
    assert functional["build_config"] == {"input_shape": None}


def test_model_from_json_rebuilds_architecture() -> None:
    model = BUILDERS["nested"](cnnkit)
    again = model_from_json(model.to_json())
    assert [layer.name for layer in again.layers] == [
        layer.name for layer in model.layers
    ]
    assert again.count_params() == model.count_params()
    assert not again.compiled


def test_model_from_json_rejects_bad_text() -> None:
    with pytest.raises(FileFormatError, match="not valid JSON"):
        model_from_json("{not json")
    with pytest.raises(FileFormatError, match="must be a JSON object"):
        model_from_json("[1, 2]")
    layer_only = json.dumps({"class_name": "Dense", "config": {"units": 2}})
    with pytest.raises(FileFormatError, match="not a model"):
        model_from_json(layer_only)


@cnnkit.saving.register_keras_serializable(package="tests")
class ScaledDense(layers.Layer):
    """A custom layer with its own weight and a config argument."""

    def __init__(self, units: int = 2, scale: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units, self.scale = units, scale

    def build(self, input_shape: Any) -> None:
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), name="kernel"
        )

    def call(self, inputs: Any) -> Any:
        return self.scale * inputs @ self.kernel

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "scale": self.scale}


class Unregistered(ScaledDense):
    pass


def test_registered_custom_layer_round_trips(tmp_path: Path) -> None:
    model = cnnkit.Sequential([cnnkit.Input((4,)), ScaledDense(3, scale=2.0)])
    model.save(tmp_path / "m.keras")
    config = _config(tmp_path / "m.keras")
    entry = config["config"]["layers"][1]
    assert entry["registered_name"] == "tests>ScaledDense"
    loaded = load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[0], ScaledDense)
    assert loaded.layers[0].scale == 2.0
    x = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_unregistered_custom_layer_needs_custom_objects(tmp_path: Path) -> None:
    model = cnnkit.Sequential([cnnkit.Input((4,)), Unregistered(3)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileFormatError, match="Unknown layer class 'Unregistered'"):
        load_model(tmp_path / "m.keras")
    loaded = load_model(
        tmp_path / "m.keras", custom_objects={"Unregistered": Unregistered}
    )
    assert isinstance(loaded.layers[0], Unregistered)


def test_config_variants_from_other_keras_versions_load() -> None:
    """Keras 3.0's string dtypes, shared_object_id, Keras-only neutral keys, and
    ``training``/``mask`` call arguments recorded on graph nodes."""
    model = BUILDERS["nested"](cnnkit)
    config = json.loads(model.to_json())
    for entry in config["config"]["layers"]:
        inner = entry["config"]
        if isinstance(inner.get("dtype"), dict):
            inner["dtype"]["shared_object_id"] = 1234
        if entry["class_name"] == "Dense":
            inner["dtype"] = "float32"
            inner["quantization_config"] = None
        if entry["class_name"] == "Sequential":
            entry["inbound_nodes"][0]["kwargs"] = {"mask": None, "training": False}
    again = model_from_json(json.dumps(config))
    x = np.random.RandomState(0).rand(2, 8, 8, 3).astype("float32")
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_save_model_extension_and_argument_errors(tmp_path: Path) -> None:
    model = BUILDERS["seed_cnn"](cnnkit)
    with pytest.raises(InvalidArgumentError, match="Invalid filepath extension"):
        save_model(model, tmp_path / "m.pt")
    with pytest.raises(InvalidArgumentError, match=r"not supported: \['bogus'\]"):
        save_model(model, tmp_path / "m.keras", bogus=1)
    with pytest.raises(InvalidArgumentError, match="zipped=False"):
        save_model(model, tmp_path / "m.keras", zipped=False)
    with pytest.raises(InvalidArgumentError, match="save_format"):
        save_model(model, tmp_path / "m.pt", save_format="tf")
    with pytest.warns(DeprecationWarning, match="save_format"):
        save_model(model, tmp_path / "m.keras", save_format="keras")
    with pytest.raises(InvalidArgumentError, match="overwrite=False"):
        save_model(model, tmp_path / "m.keras", overwrite=False)
    with pytest.raises(cnnkit.errors.InvalidTypeError, match=r"str or pathlib\.Path"):
        save_model(model, 42)


def test_saving_unbuilt_model_warns(tmp_path: Path) -> None:
    model = cnnkit.Sequential([layers.Dense(2)])
    with pytest.warns(UserWarning, match="not yet been built"):
        model.save(tmp_path / "m.keras")
    assert load_model(tmp_path / "m.keras").layers[0].units == 2


def test_unserialisable_config_is_refused(tmp_path: Path) -> None:
    model = BUILDERS["seed_cnn"](cnnkit)
    model.compile(
        optimizer=cnnkit.optimizers.SGD(learning_rate=lambda: 0.1), loss="mse"
    )
    with pytest.raises(InvalidArgumentError, match="not JSON-serialisable"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_load_model_path_errors(tmp_path: Path) -> None:
    model = BUILDERS["seed_cnn"](cnnkit)
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(FileFormatError, match="weights-only file"):
        load_model(tmp_path / "w.weights.h5")
    with pytest.raises(InvalidArgumentError, match="File format not supported"):
        load_model(tmp_path / "m.pt")
    with pytest.raises(FileFormatError, match="is a directory"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="No such file"):
        load_model(tmp_path / "missing.keras")
    with pytest.raises(InvalidArgumentError, match="safe_mode"):
        load_model(tmp_path / "missing.keras", safe_mode="yes")  # type: ignore[arg-type]


def test_training_configuration_errors_name_the_file(tmp_path: Path) -> None:
    model = BUILDERS["seed_cnn"](cnnkit)
    model.compile(optimizer="adam", loss="mse")
    config = json.loads(model.to_json())
    config["compile_config"]["optimizer"]["class_name"] = "Ftrl"
    path = tmp_path / "m.keras"
    model.save(path)
    _rewrite_member(path, "config.json", json.dumps(config).encode())
    with pytest.raises(FileFormatError, match="training configuration"):
        load_model(path)
    assert load_model(path, compile=False).count_params() == model.count_params()


def _rewrite_member(path: Path, name: str, data: bytes) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i.filename) for i in archive.infolist()}
    members[name] = data
    with zipfile.ZipFile(path, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
