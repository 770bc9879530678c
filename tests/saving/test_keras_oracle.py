"""Files move both ways between cnnkit and Keras 3 (the test oracle).

Keras 3.15 with ``KERAS_BACKEND=torch`` writes ``.keras``, ``.weights.h5`` and legacy
``.h5`` files that cnnkit must load with equal predictions and optimizer state, and
loads the files cnnkit writes. The ``config.json`` and weights layouts are compared
key by key with the files Keras writes for the same models.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from saving_builders import BUILDERS, sample_data, strip_shared_ids
from tf2_files import (
    FUNCTIONAL_CONFIG,
    FUNCTIONAL_WEIGHTS,
    SEQUENTIAL_CONFIG,
    SEQUENTIAL_WEIGHTS,
    write_tf2_h5,
)

import cnnkit
from cnnkit.saving import load_model

keras = pytest.importorskip("keras")

pytestmark = pytest.mark.oracle

ATOL = 1e-4


def _fit(model: Any, ns: Any) -> Any:
    model.compile(
        optimizer=ns.optimizers.Adam(learning_rate=0.01, name="adam"),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    x, y = sample_data(model)
    model.fit(x, y, epochs=2, batch_size=3, verbose=0)
    return model


def _keras_optimizer_state(model: Any) -> list[np.ndarray]:
    return [np.asarray(v.numpy()) for v in model.optimizer.variables]


def _cnnkit_optimizer_state(model: Any) -> list[np.ndarray]:
    return [v.detach().cpu().numpy() for v in model.optimizer.variables]


def _assert_states_equal(left: list[np.ndarray], right: list[np.ndarray]) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_keras_file_loads_in_cnnkit(tmp_path: Path, name: str) -> None:
    keras_model = _fit(BUILDERS[name](keras), keras)
    keras_model.save(tmp_path / "k.keras")
    model = load_model(tmp_path / "k.keras")
    x, _ = sample_data(keras_model, seed=7)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), keras_model.predict(x, verbose=0), atol=ATOL
    )
    assert model.compiled
    assert model.optimizer.iterations == 4
    _assert_states_equal(
        _cnnkit_optimizer_state(model), _keras_optimizer_state(keras_model)
    )


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_cnnkit_file_loads_in_keras(tmp_path: Path, name: str) -> None:
    model = _fit(BUILDERS[name](cnnkit), cnnkit)
    model.save(tmp_path / "c.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Skipping variable loading"
        keras_model = keras.saving.load_model(tmp_path / "c.keras")
    x, _ = sample_data(model, seed=7)
    np.testing.assert_allclose(
        keras_model.predict(x, verbose=0), model.predict(x, verbose=0), atol=ATOL
    )
    assert int(keras_model.optimizer.iterations) == 4
    _assert_states_equal(
        _keras_optimizer_state(keras_model), _cnnkit_optimizer_state(model)
    )


# Differences that come from layer classes' own get_config/get_build_config (owned
# by the layers, not by the file format); listed so that they stay visible.
KNOWN_LAYER_GAPS = {
    ("Dense", "config", "quantization_config"),
    ("Dense", "config", "activity_regularizer"),
    ("Dropout", "entry", "build_config"),
}


def _config_differences(
    keras_value: Any, ours: Any, where: str, owner: str
) -> list[str]:
    if isinstance(keras_value, dict) and isinstance(ours, dict):
        cls = keras_value.get("class_name", owner) if "config" in keras_value else owner
        found = []
        for key in sorted(set(keras_value) | set(ours)):
            kind = "entry" if "class_name" in keras_value else "config"
            if key not in keras_value or key not in ours:
                # Keras records call defaults (`mask=None`, `training`) on graph
                # nodes; the caller's values win at run time, so cnnkit omits them.
                node_default = where.endswith("/kwargs") and key in ("mask", "training")
                if (cls, kind, key) not in KNOWN_LAYER_GAPS and not node_default:
                    side = "Keras" if key in keras_value else "cnnkit"
                    found.append(f"{where}/{key}: only in {side}")
                continue
            found += _config_differences(
                keras_value[key], ours[key], f"{where}/{key}", cls
            )
        return found
    if isinstance(keras_value, list) and isinstance(ours, list):
        if len(keras_value) != len(ours):
            return [f"{where}: {len(keras_value)} items vs {len(ours)}"]
        return [
            d
            for i, (a, b) in enumerate(zip(keras_value, ours))
            for d in _config_differences(a, b, f"{where}[{i}]", owner)
        ]
    return [] if keras_value == ours else [f"{where}: {keras_value!r} != {ours!r}"]


def _read_config(path: Path) -> Any:
    with zipfile.ZipFile(path) as archive:
        return strip_shared_ids(json.loads(archive.read("config.json")))


@pytest.mark.parametrize("name", ["seed_cnn", "branchy_2d", "nested", "conv1d"])
def test_config_json_matches_keras_key_by_key(tmp_path: Path, name: str) -> None:
    for ns, file in ((keras, "k.keras"), (cnnkit, "c.keras")):
        model = BUILDERS[name](ns)
        model.compile(
            optimizer=ns.optimizers.Adam(name="adam"),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.save(tmp_path / file)
    keras_config, ours = (
        _read_config(tmp_path / "k.keras"),
        _read_config(tmp_path / "c.keras"),
    )
    # Keras on torch names its backend-specific optimizer subclass; the public
    # `keras.optimizers` form that cnnkit writes loads in every backend.
    for config in (keras_config, ours):
        config["compile_config"]["optimizer"].pop("module")
        config["compile_config"]["optimizer"].pop("registered_name")
    assert _config_differences(keras_config, ours, "", "") == []
    assert list(ours) == list(keras_config)  # top-level key order too


def _layout(h5: h5py.File) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def visit(path: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            found[path] = (obj.shape, obj.dtype.str)
        else:
            found[path] = dict(obj.attrs)

    h5.visititems(visit)
    return found


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_weights_layout_matches_keras(tmp_path: Path, name: str) -> None:
    layouts = []
    for ns, file in ((keras, "k.keras"), (cnnkit, "c.keras")):
        model = _fit(BUILDERS[name](ns), ns)
        model.save(tmp_path / file)
        with zipfile.ZipFile(tmp_path / file) as archive:
            data = archive.read("model.weights.h5")
        with h5py.File(io.BytesIO(data), "r") as h5:
            layouts.append(_layout(h5))
    assert layouts[1] == layouts[0]


@pytest.mark.parametrize("name", ["seed_cnn", "branchy_2d", "conv3d"])
def test_weights_files_both_ways(tmp_path: Path, name: str) -> None:
    keras_model = _fit(BUILDERS[name](keras), keras)
    keras_model.save_weights(tmp_path / "k.weights.h5")
    model = BUILDERS[name](cnnkit)
    model.compile(optimizer=cnnkit.optimizers.Adam(0.01), loss="mse")
    model.load_weights(tmp_path / "k.weights.h5")
    x, _ = sample_data(model, seed=9)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), keras_model.predict(x, verbose=0), atol=ATOL
    )
    _assert_states_equal(
        _cnnkit_optimizer_state(model), _keras_optimizer_state(keras_model)
    )

    ours = _fit(BUILDERS[name](cnnkit), cnnkit)
    ours.save_weights(tmp_path / "c.weights.h5")
    target = BUILDERS[name](keras)
    target.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    target.optimizer.build(target.trainable_variables)
    target.load_weights(tmp_path / "c.weights.h5")
    np.testing.assert_allclose(
        target.predict(x, verbose=0), ours.predict(x, verbose=0), atol=ATOL
    )
    _assert_states_equal(_keras_optimizer_state(target), _cnnkit_optimizer_state(ours))


@pytest.mark.parametrize("name", ["seed_cnn", "branchy_2d", "nested", "conv1d"])
def test_legacy_h5_both_ways(tmp_path: Path, name: str) -> None:
    keras_model = _fit(BUILDERS[name](keras), keras)
    keras_model.save(tmp_path / "k.h5")  # Keras logs its legacy warning via absl
    model = load_model(tmp_path / "k.h5")
    x, _ = sample_data(model, seed=11)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), keras_model.predict(x, verbose=0), atol=ATOL
    )
    _assert_states_equal(
        _cnnkit_optimizer_state(model), _keras_optimizer_state(keras_model)
    )

    ours = _fit(BUILDERS[name](cnnkit), cnnkit)
    with pytest.warns(UserWarning, match="legacy"):
        ours.save(tmp_path / "c.h5")
    # Keras' own legacy loader cannot restore optimizer slots on the torch backend
    # (it builds the optimizer before the model's variables are tracked), even for
    # files Keras wrote; predictions and the training config are compared.
    loaded = keras.saving.load_model(tmp_path / "c.h5")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), ours.predict(x, verbose=0), atol=ATOL
    )
    assert type(loaded.optimizer).__name__ == "Adam"


def _without_depthwise_groups(config: dict[str, Any]) -> dict[str, Any]:
    config = json.loads(json.dumps(config))
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "DepthwiseConv2D":
            layer["config"].pop("groups")
    return config


def test_tf2_style_files_load_like_keras(tmp_path: Path) -> None:
    """The hand-written tf.keras 2 files are read the same by Keras 3 and cnnkit.

    tf.keras 2 wrote ``groups: 1`` into DepthwiseConv2D configs, which Keras 3
    rejects ("Unrecognized keyword arguments passed to DepthwiseConv2D"); cnnkit
    reads the original, Keras a copy without that key.
    """
    x_seq = np.random.RandomState(0).rand(3, 8, 8, 1).astype("float32")
    x_fn = np.random.RandomState(1).rand(3, 6, 6, 2).astype("float32")
    for config, weights, x in (
        (SEQUENTIAL_CONFIG, SEQUENTIAL_WEIGHTS, x_seq),
        (FUNCTIONAL_CONFIG, FUNCTIONAL_WEIGHTS, x_fn),
    ):
        write_tf2_h5(tmp_path / "tf2.h5", config, weights)
        write_tf2_h5(tmp_path / "k.h5", _without_depthwise_groups(config), weights)
        with warnings.catch_warnings():
            # Keras 3 warns about the `input_shape` it makes of batch_input_shape.
            warnings.simplefilter("ignore", UserWarning)
            reference = keras.saving.load_model(tmp_path / "k.h5")
        model = load_model(tmp_path / "tf2.h5")
        np.testing.assert_allclose(
            model.predict(x, verbose=0), reference.predict(x, verbose=0), atol=ATOL
        )
