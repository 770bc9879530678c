"""``RNN(cell)``: cnnkit cells run as their layers; Keras-style custom cells run in
the step loop, save and load, and match Keras."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers
from cnnkit.errors import InvalidArgumentError, InvalidTypeError


@cnnkit.saving.register_keras_serializable(package="rnn_test")
class MinimalRNNCell(layers.Layer):
    """The custom cell of Keras' RNN docstring."""

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape: Any) -> None:
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="uniform",
            name="recurrent_kernel",
        )  # fmt: skip

    def call(self, inputs: torch.Tensor, states: list[torch.Tensor]) -> Any:
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


@pytest.fixture
def seq() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(3, 6, 5)).astype("float32")


def test_rnn_of_a_cnnkit_cell_equals_the_layer(seq: np.ndarray) -> None:
    wrapped = layers.RNN(layers.GRUCell(4), return_sequences=True)
    layer = layers.GRU(4, return_sequences=True)
    wrapped(seq), layer(seq)
    wrapped.set_weights(layer.get_weights())
    torch.testing.assert_close(wrapped(seq), layer(seq))


def test_custom_cell_runs_every_step(seq: np.ndarray) -> None:
    layer = layers.RNN(MinimalRNNCell(4), return_sequences=True, return_state=True)
    outputs, state = layer(seq)
    kernel, recurrent = (w.astype("float64") for w in layer.get_weights())
    h = np.zeros((3, 4))
    for t in range(6):
        h = seq[:, t] @ kernel + h @ recurrent
        np.testing.assert_allclose(outputs[:, t].detach().numpy(), h, rtol=1e-5)
    np.testing.assert_allclose(state.detach().numpy(), h, rtol=1e-5)
    assert layer.compute_output_shape((None, 6, 5)) == ((None, 6, 4), (None, 4))


def test_custom_cell_saves_and_loads(seq: np.ndarray, tmp_path: Path) -> None:
    model = cnnkit.Sequential(
        [cnnkit.Input((6, 5)), layers.RNN(MinimalRNNCell(4)), layers.Dense(1)]
    )
    model.save(tmp_path / "m.keras")
    loaded = cnnkit.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        loaded.predict(seq, verbose=0), model.predict(seq, verbose=0)
    )
    again = layers.RNN.from_config(model.layers[0].get_config())
    assert type(again.cell) is MinimalRNNCell


def test_analyze_counts_a_custom_cell_per_step() -> None:
    from cnnkit import explain

    model = cnnkit.Sequential([cnnkit.Input((6, 5)), layers.RNN(MinimalRNNCell(4))])
    (row,) = explain.analyze(model).rows
    assert row.macs == 6 * (5 * 4 + 4 * 4)


@pytest.mark.parametrize(
    ("cell", "error", "match"),
    [
        ([layers.LSTMCell(2), layers.LSTMCell(2)], InvalidArgumentError,
         "no StackedRNNCells"),
        (layers.Dense(2), InvalidTypeError, "`state_size` attribute"),
    ],
)  # fmt: skip
def test_bad_cells_are_explained(cell: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        layers.RNN(cell)


@pytest.mark.oracle
def test_rnn_matches_keras_and_files_move(seq: np.ndarray, tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    ours = cnnkit.Sequential(
        [cnnkit.Input((6, 5)), layers.RNN(layers.LSTMCell(4), go_backwards=True)]
    )
    theirs = keras.Sequential(
        [keras.Input((6, 5)),
         keras.layers.RNN(keras.layers.LSTMCell(4), go_backwards=True)]
    )  # fmt: skip
    ours.save_weights(tmp_path / "w.weights.h5")
    theirs.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_allclose(
        ours.predict(seq, verbose=0), theirs.predict(seq, verbose=0), atol=1e-6
    )
    ours.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        ours.predict(seq, verbose=0), reloaded.predict(seq, verbose=0), atol=1e-6
    )
    theirs.save(tmp_path / "k.keras")
    back = cnnkit.models.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(
        back.predict(seq, verbose=0), theirs.predict(seq, verbose=0), atol=1e-6
    )
