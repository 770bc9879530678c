"""``layers.Normalization`` against Keras 3: adapt, call, and files both ways."""

from __future__ import annotations

import numpy as np
import pytest

import cnnkit

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle

RNG = np.random.default_rng(1)
DATA = (RNG.normal(size=(30, 4, 4, 3)) * [1.0, 3.0, 0.5] + [2.0, -1.0, 7.0]).astype(
    "float32"
)


@pytest.mark.parametrize("axis", [-1, None, (1, 2)])
def test_adapt_and_call_match_keras(axis: object) -> None:
    ours = cnnkit.layers.Normalization(axis=axis)
    ours.adapt([DATA[:11], DATA[11:]])
    theirs = keras.layers.Normalization(axis=axis)
    theirs.adapt(DATA)
    x = DATA[:5]
    np.testing.assert_allclose(
        ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-4, atol=1e-5
    )
    inverse_ours = cnnkit.layers.Normalization(axis=axis, invert=True)
    inverse_ours.adapt(DATA)
    inverse_theirs = keras.layers.Normalization(axis=axis, invert=True)
    inverse_theirs.adapt(DATA)
    np.testing.assert_allclose(
        inverse_ours(x).numpy(), np.asarray(inverse_theirs(x)), rtol=1e-4, atol=1e-4
    )


def test_keras_files_move_both_ways(tmp_path) -> None:
    norm = cnnkit.layers.Normalization()
    norm.adapt(DATA)
    ours = cnnkit.Sequential([cnnkit.Input((4, 4, 3)), norm])
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(
        np.asarray(theirs(DATA[:3])), ours(DATA[:3]).numpy(), atol=1e-6
    )
    keras_norm = keras.layers.Normalization(axis=-1)
    keras_norm.adapt(DATA * 2.0)
    keras_model = keras.Sequential([keras.Input((4, 4, 3)), keras_norm])
    keras_model.save_weights(tmp_path / "theirs.weights.h5")
    ours.load_weights(tmp_path / "theirs.weights.h5")
    np.testing.assert_allclose(
        ours(DATA[:3]).numpy(), np.asarray(keras_model(DATA[:3])), rtol=1e-5, atol=1e-5
    )
