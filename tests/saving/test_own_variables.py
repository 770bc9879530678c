"""Each layer saves and loads its own variables (Keras 3's ``save_own_variables`` /
``load_own_variables``), and a load that fails changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import cnnkit
from cnnkit import layers
from cnnkit.errors import FileFormatError


@cnnkit.saving.register_keras_serializable(package="tests_own_variables")
class CountingDense(layers.Dense):
    """A Dense that also remembers how many batches it has seen: state that is not a
    variable, which it saves through the hooks, as a Keras user would."""

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.batches_seen = 0

    def save_own_variables(self, store: Any) -> None:
        super().save_own_variables(store)
        store["batches_seen"] = np.array(self.batches_seen)

    def load_own_variables(self, store: Any) -> None:
        self.batches_seen = int(store["batches_seen"])
        super().load_own_variables(
            {key: value for key, value in store.items() if key != "batches_seen"}
        )


def _model(head_units: int = 3, head: type = layers.Dense) -> cnnkit.Sequential:
    return cnnkit.Sequential(
        [
            cnnkit.Input((4,)),
            layers.Dense(5, activation="relu"),
            layers.Dense(6, activation="relu"),
            head(head_units, activation="softmax"),
        ]
    )


def test_a_dense_layer_round_trips_through_a_plain_dict() -> None:
    dense = layers.Dense(2)
    dense.build((None, 3))
    store: dict[str, Any] = {}
    dense.save_own_variables(store)
    assert sorted(store) == ["0", "1"]
    assert store["0"].shape == (3, 2)
    other = layers.Dense(2)
    other.build((None, 3))
    other.load_own_variables(store)
    np.testing.assert_array_equal(other.kernel.numpy(), dense.kernel.numpy())


def test_batch_normalization_saves_trainable_variables_first() -> None:
    norm = layers.BatchNormalization()
    norm.build((None, 3))
    store: dict[str, Any] = {}
    norm.save_own_variables(store)
    # gamma, beta (trainable), then moving mean, moving variance: Keras' order.
    gamma, beta, moving_mean, moving_variance = (
        [1.0] * 3,
        [0.0] * 3,
        [0.0] * 3,
        [1.0] * 3,
    )
    assert [store[str(i)].tolist() for i in range(4)] == [
        gamma,
        beta,
        moving_mean,
        moving_variance,
    ]


def test_load_own_variables_refuses_another_number_of_variables() -> None:
    dense = layers.Dense(2)
    dense.build((None, 3))
    with pytest.raises(
        FileFormatError,
        match=r"Layer 'dense\w*' expected 2 variables, but received 1 variables "
        r"during loading\. Expected: \['kernel', 'bias'\]",
    ):
        dense.load_own_variables({"0": np.zeros((3, 2))})


def test_load_own_variables_names_keys_that_are_not_numbers() -> None:
    dense = layers.Dense(2)
    dense.build((None, 3))
    with pytest.raises(
        FileFormatError,
        match=r"expected its 2 variables as datasets named 0\.\.1, but the store "
        r"holds \['0', 'bias'\]",
    ):
        dense.load_own_variables({"0": np.zeros((3, 2)), "bias": np.zeros(2)})


def test_load_own_variables_refuses_another_shape_and_keeps_the_layer() -> None:
    dense = layers.Dense(2)
    dense.build((None, 3))
    kernel = dense.kernel.numpy().copy()
    with pytest.raises(
        FileFormatError, match=r"variable 'bias' has shape \(2,\), but the file holds "
    ):
        dense.load_own_variables({"0": np.ones((3, 2)), "1": np.zeros(5)})
    np.testing.assert_array_equal(dense.kernel.numpy(), kernel)


@pytest.mark.parametrize("filename", ["m.weights.h5", "m.keras"])
def test_files_save_what_a_custom_layer_saves(tmp_path: Path, filename: str) -> None:
    model = _model(head=CountingDense)
    model.layers[-1].batches_seen = 7
    path = tmp_path / filename
    if filename.endswith(".keras"):
        model.save(path)
        loaded = cnnkit.models.load_model(path)
    else:
        model.save_weights(path)
        loaded = _model(head=CountingDense)
        loaded.load_weights(path)
    assert loaded.layers[-1].batches_seen == 7
    for before, after in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(before, after)
    if filename.endswith(".h5"):
        with h5py.File(path) as h5:
            assert sorted(h5["layers/counting_dense/vars"]) == [
                "0",
                "1",
                "batches_seen",
            ]


def test_a_failed_load_weights_leaves_every_layer_as_it_was(tmp_path: Path) -> None:
    _model(head_units=3).save_weights(tmp_path / "three.weights.h5")
    model = _model(head_units=4)
    before = model.get_weights()
    with pytest.raises(
        FileFormatError,
        match=r"1 layer\(s\) could not be loaded: \['dense_\w+'\].*no layer was changed",
    ):
        model.load_weights(tmp_path / "three.weights.h5")
    for old, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, now)


def test_skip_mismatch_loads_the_layers_that_fit(tmp_path: Path) -> None:
    source = _model(head_units=3)
    source.save_weights(tmp_path / "three.weights.h5")
    model = _model(head_units=4)
    head_before = model.layers[-1].get_weights()
    with pytest.warns(UserWarning, match="keep their current values"):
        model.load_weights(tmp_path / "three.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(
        model.layers[0].get_weights()[0], source.layers[0].get_weights()[0]
    )
    np.testing.assert_array_equal(model.layers[-1].get_weights()[0], head_before[0])


class _BrokenLoader(layers.Dense):
    def load_own_variables(self, store: Any) -> None:
        raise RuntimeError("this layer cannot read its store")


def test_an_error_inside_a_custom_loader_restores_the_layers_loaded_before(
    tmp_path: Path,
) -> None:
    _model(head=_BrokenLoader).save_weights(tmp_path / "m.weights.h5")
    model = _model(head=_BrokenLoader)
    before = model.get_weights()
    with pytest.raises(RuntimeError, match="cannot read its store"):
        model.load_weights(tmp_path / "m.weights.h5")
    for old, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, now)


def test_optimizer_variables_must_be_numbered(tmp_path: Path) -> None:
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.zeros((4, 4)), np.zeros(4), epochs=1, verbose=0)
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as h5:
        group = h5["optimizer/vars"]
        group.move("0", "step")
    with pytest.raises(
        FileFormatError, match=r"optimizer/vars: should hold datasets named 0\.\."
    ):
        model.load_weights(path)
