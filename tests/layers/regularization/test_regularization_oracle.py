"""Regularization layers against Keras 3 itself (torch backend).

Random draws cannot match Keras' (different generators), so Keras is compared where
the result is deterministic: inference (the call default, ``training=False``) is the
identity, ``rate=0``/``stddev=0`` in training is the identity, ``Dropout(1.0)`` gives
zeros, and ``ActivityRegularization`` adds the same penalty. Configs, weights (none)
and ``compute_output_shape`` are compared for every case. Values: ``atol=rtol=1e-4``
(they are exact here). The statistics of the random paths are tested in
``test_regularization_layers.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers

keras = pytest.importorskip("keras")

ATOL = RTOL = 1e-4

# (class name, kwargs, input shape with batch, training)
CASES: list[tuple[str, dict[str, Any], tuple[int, ...], bool]] = [
    ("Dropout", {"rate": 0.5}, (3, 4, 5), False),
    ("Dropout", {"rate": 0.3, "noise_shape": (None, 1, 5), "seed": 3}, (3, 4, 5), False),
    ("Dropout", {"rate": 0.0}, (3, 4), True),
    ("Dropout", {"rate": 1.0}, (3, 4, 5), True),
    ("Dropout", {"rate": 1.0, "seed": 7}, (2, 6), True),
    ("SpatialDropout1D", {"rate": 0.3}, (2, 5, 4), False),
    ("SpatialDropout1D", {"rate": 0.3, "seed": 1}, (2, 5, 4), False),
    ("SpatialDropout2D", {"rate": 0.4}, (2, 5, 5, 3), False),
    ("SpatialDropout2D", {"rate": 0.4, "data_format": "channels_first", "seed": 2}, (2, 3, 5, 5), False),
    ("SpatialDropout2D", {"rate": 1.0}, (2, 3, 3, 4), True),
    ("SpatialDropout3D", {"rate": 0.2}, (2, 3, 3, 3, 2), False),
    ("SpatialDropout3D", {"rate": 0.2, "data_format": "channels_first"}, (2, 2, 3, 3, 3), False),
    ("GaussianNoise", {"stddev": 0.1}, (3, 4), False),
    ("GaussianNoise", {"stddev": 0.5, "seed": 2}, (2, 3, 3, 2), False),
    ("GaussianNoise", {"stddev": 0.0}, (3, 4), True),
    ("GaussianDropout", {"rate": 0.3}, (3, 4), False),
    ("GaussianDropout", {"rate": 0.0, "seed": 4}, (3, 4), True),
    ("ActivityRegularization", {"l1": 0.01, "l2": 0.02}, (4, 5), False),
    ("ActivityRegularization", {"l2": 0.5}, (2, 3, 3, 2), True),
    ("ActivityRegularization", {}, (2, 3), False),
]  # fmt: skip


def _plain(value: Any) -> Any:
    """Tuples and lists compare equal after this (Keras writes tuples)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("name", "kwargs", "shape", "training"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_matches_keras(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...], training: bool
) -> None:
    ours = getattr(layers, name)(name="probe", **kwargs)
    theirs = getattr(keras.layers, name)(name="probe", **kwargs)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    x = (np.random.default_rng(0).standard_normal(shape) * 2).astype("float32")
    got = ours(torch.from_numpy(x), training=training).numpy()
    expected = keras.ops.convert_to_numpy(theirs(x, training=training))
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    if not training:
        np.testing.assert_array_equal(got, x)
        # The call default is inference, as in Keras.
        np.testing.assert_array_equal(ours(torch.from_numpy(x)).numpy(), x)
    assert ours.weights == []
    assert theirs.weights == []
    assert len(ours.losses) == len(theirs.losses)
    for mine, keras_loss in zip(ours.losses, theirs.losses):
        np.testing.assert_allclose(
            float(mine),
            float(keras.ops.convert_to_numpy(keras_loss)),
            atol=ATOL,
            rtol=RTOL,
        )
    symbolic = (None, *shape[1:])
    assert tuple(ours.compute_output_shape(symbolic)) == tuple(
        theirs.compute_output_shape(symbolic)
    )
    assert tuple(ours.compute_output_shape(shape)) == got.shape
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


@pytest.mark.oracle
@pytest.mark.parametrize(
    "name", ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]
)
def test_spatial_dropout_configs_round_trip_with_keras(name: str) -> None:
    """Keras writes only {rate, seed, name, dtype[, data_format]} for these."""
    theirs = getattr(keras.layers, name)(0.25, seed=5, name="sd")
    ours = getattr(layers, name).from_config(theirs.get_config())
    assert ours.get_config() == theirs.get_config()
    again = getattr(keras.layers, name).from_config(ours.get_config())
    assert again.get_config() == theirs.get_config()
