"""``save_weights``/``load_weights`` across ``.weights.h5``, ``.keras`` and ``.h5``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from saving_builders import BUILDERS, sample_data

import cnnkit
from cnnkit import layers
from cnnkit.errors import FileFormatError, InvalidArgumentError, NotBuiltError
from cnnkit.saving import load_weights, save_weights


def _trained(name: str = "branchy_2d") -> Any:
    model = BUILDERS[name](cnnkit)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = sample_data(model)
    model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    return model


def _assert_same_weights(a: Any, b: Any) -> None:
    for left, right in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(left, right)


def test_weights_file_round_trip_with_optimizer(tmp_path: Path) -> None:
    model = _trained()
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as h5:
        assert "optimizer/vars" in h5  # Keras includes the optimizer too
        assert h5["layers/conv2d/vars"].attrs["name"] == "c1"
    fresh = BUILDERS["branchy_2d"](cnnkit)
    fresh.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    fresh.load_weights(tmp_path / "w.weights.h5")
    _assert_same_weights(fresh, model)
    assert fresh.optimizer.iterations == model.optimizer.iterations


def test_uncompiled_model_ignores_optimizer_state(tmp_path: Path) -> None:
    model = _trained()
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = BUILDERS["branchy_2d"](cnnkit)
    fresh.load_weights(tmp_path / "w.weights.h5")
    _assert_same_weights(fresh, model)


def test_load_weights_from_keras_and_legacy_files(tmp_path: Path) -> None:
    model = _trained()
    model.save(tmp_path / "m.keras")
    with pytest.warns(UserWarning, match="legacy"):
        model.save(tmp_path / "m.h5")
    for name in ("m.keras", "m.h5"):
        fresh = BUILDERS["branchy_2d"](cnnkit)
        load_weights(fresh, tmp_path / name)
        _assert_same_weights(fresh, model)


def test_v3_layout_in_a_plain_h5_name(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    model.save_weights(tmp_path / "w.weights.h5")
    (tmp_path / "w.weights.h5").rename(tmp_path / "renamed.h5")
    fresh = BUILDERS["seed_cnn"](cnnkit)
    fresh.load_weights(tmp_path / "renamed.h5")
    _assert_same_weights(fresh, model)


def test_mismatched_layers_fail_or_are_skipped(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    model.save_weights(tmp_path / "w.weights.h5")
    wider = cnnkit.Sequential(
        [
            cnnkit.Input((12, 12, 1)),
            layers.Conv2D(4, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(5, activation="softmax"),
        ]
    )
    with pytest.raises(FileFormatError, match=r"'dense\S*'.*has shape \(100, 5\)"):
        wider.load_weights(tmp_path / "w.weights.h5")
    before = wider.layers[-1].get_weights()[0].copy()
    with pytest.warns(UserWarning, match="skip_mismatch=True"):
        wider.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(wider.layers[-1].get_weights()[0], before)
    np.testing.assert_array_equal(
        wider.layers[0].get_weights()[0], model.layers[0].get_weights()[0]
    )


def test_variable_count_mismatch_message(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    model.save_weights(tmp_path / "w.weights.h5")
    no_bias = cnnkit.Sequential(
        [
            cnnkit.Input((12, 12, 1)),
            layers.Conv2D(4, (3, 3), use_bias=False),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(3),
        ]
    )
    with pytest.raises(FileFormatError, match="expected 1 variables, but received 2"):
        no_bias.load_weights(tmp_path / "w.weights.h5")


def test_optimizer_state_count_mismatch_warns(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = BUILDERS["seed_cnn"](cnnkit)
    fresh.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        fresh.load_weights(tmp_path / "w.weights.h5")
    _assert_same_weights(fresh, model)


def test_extension_and_argument_rules(tmp_path: Path) -> None:
    model = _trained("seed_cnn")
    with pytest.raises(InvalidArgumentError, match=r"must end in `\.weights\.h5`"):
        save_weights(model, tmp_path / "w.h5")
    with pytest.raises(InvalidArgumentError, match="Sharded weights"):
        save_weights(model, tmp_path / "w.weights.h5", max_shard_size=1)
    with pytest.raises(InvalidArgumentError, match="Invalid keyword arguments"):
        save_weights(model, tmp_path / "w.weights.h5", bogus=True)
    save_weights(model, tmp_path / "w.weights.h5")
    with pytest.raises(InvalidArgumentError, match="overwrite=False"):
        save_weights(model, tmp_path / "w.weights.h5", overwrite=False)
    with pytest.raises(InvalidArgumentError, match="Invalid keyword arguments"):
        load_weights(model, tmp_path / "w.weights.h5", bogus=True)
    with pytest.raises(InvalidArgumentError, match="`by_name` only supports"):
        load_weights(model, tmp_path / "w.weights.h5", by_name=True)
    with pytest.raises(InvalidArgumentError, match="File format not supported"):
        load_weights(model, tmp_path / "w.ckpt")


def test_unbuilt_models_are_refused(tmp_path: Path) -> None:
    _trained("seed_cnn").save_weights(tmp_path / "w.weights.h5")
    unbuilt = cnnkit.Sequential([layers.Dense(2)])
    with pytest.raises(NotBuiltError, match="saving weights of a model"):
        unbuilt.save_weights(tmp_path / "x.weights.h5")
    with pytest.raises(NotBuiltError, match="loading weights of a model"):
        unbuilt.load_weights(tmp_path / "w.weights.h5")


def test_keras_file_without_weights_member(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "m.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    model = BUILDERS["seed_cnn"](cnnkit)
    with pytest.raises(FileFormatError, match=r"has no model\.weights\.h5"):
        model.load_weights(tmp_path / "m.keras")
