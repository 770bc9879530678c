"""Activation layers against Keras 3 itself (torch backend).

For every configuration, with random weights (PReLU's ``alpha``) copied into Keras:
same outputs (``atol=rtol=1e-4``), same weight names, shapes and order, same
``compute_output_shape`` (also equal to the real output shape) and same
``get_config``. Inputs are continuous random values, so they never sit exactly on a
ReLU threshold (see ``test_relu_value_at_threshold_matches_keras``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers

keras = pytest.importorskip("keras")

ATOL = RTOL = 1e-4

CASES: list[tuple[str, dict[str, Any], tuple[int, ...]]] = [
    ("ReLU", {}, (3, 4, 5)),
    ("ReLU", {"max_value": 6.0}, (3, 4, 5)),
    ("ReLU", {"max_value": 0.5}, (3, 4, 5)),
    ("ReLU", {"negative_slope": 0.1}, (3, 4, 5)),
    ("ReLU", {"threshold": 0.7}, (3, 4, 5)),
    ("ReLU", {"negative_slope": 0.2, "threshold": 0.5}, (3, 4, 5)),
    ("ReLU", {"max_value": 2.0, "negative_slope": 0.3, "threshold": 0.5}, (2, 3, 3, 4)),
    ("ReLU", {"max_value": 6, "negative_slope": 0.1}, (4, 6)),
    ("LeakyReLU", {}, (3, 4, 5)),
    ("LeakyReLU", {"negative_slope": 0.05}, (2, 3, 3, 4)),
    ("LeakyReLU", {"negative_slope": 0.0}, (4, 6)),
    ("PReLU", {}, (2, 3, 3, 4)),
    ("PReLU", {"shared_axes": [1, 2]}, (2, 3, 3, 4)),
    ("PReLU", {"shared_axes": 1}, (3, 5, 4)),
    ("PReLU", {"shared_axes": (1, 2, 3)}, (2, 3, 3, 4)),
    ("PReLU", {"alpha_initializer": "ones", "alpha_regularizer": "l2",
               "alpha_constraint": "non_neg"}, (4, 6)),
    ("ELU", {}, (3, 4, 5)),
    ("ELU", {"alpha": 0.5}, (2, 3, 3, 4)),
    ("Softmax", {}, (3, 4, 5)),
    ("Softmax", {"axis": 1}, (3, 4, 5)),
    ("Softmax", {"axis": -2}, (2, 3, 3, 4)),
    ("Softmax", {"axis": [1, 2]}, (2, 3, 3, 4)),
    ("Softmax", {"axis": (2,)}, (3, 4, 5)),
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
    ("name", "kwargs", "shape"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_matches_keras(
    name: str, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    ours = getattr(layers, name)(name="probe", **kwargs)
    theirs = getattr(keras.layers, name)(name="probe", **kwargs)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3).astype("float32")
    ours(x)
    theirs(x)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    if ours.weights:
        ours.set_weights(
            [rng.uniform(0.05, 0.5, w.shape).astype("float32") for w in ours.weights]
        )
        theirs.set_weights(ours.get_weights())
    got = ours(torch.from_numpy(x)).detach().numpy()
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    symbolic = (None, *shape[1:])
    assert tuple(ours.compute_output_shape(symbolic)) == tuple(
        theirs.compute_output_shape(symbolic)
    )
    assert tuple(ours.compute_output_shape(shape)) == got.shape
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


@pytest.mark.oracle
def test_relu_value_at_threshold_matches_keras() -> None:
    x = np.array([[-1.0, 0.0, 0.5, 1.0, 2.0]], dtype="float32")
    kwargs = {"threshold": 0.5, "negative_slope": 0.5}
    got = layers.ReLU(**kwargs)(torch.from_numpy(x)).numpy()
    expected = keras.ops.convert_to_numpy(keras.layers.ReLU(**kwargs)(x))
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)


@pytest.mark.oracle
def test_softmax_mask_matches_keras() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5)).astype("float32")
    mask = rng.uniform(size=(2, 1, 5)) > 0.4
    mask[0, 0, :] = False  # a fully masked row: all zeros, not uniform
    got = layers.Softmax()(torch.from_numpy(x), mask=torch.from_numpy(mask)).numpy()
    expected = keras.ops.convert_to_numpy(keras.layers.Softmax()(x, mask=mask))
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    float_mask = mask.astype("float32")
    got = layers.Softmax()(
        torch.from_numpy(x), mask=torch.from_numpy(float_mask)
    ).numpy()
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)


@pytest.mark.oracle
def test_leaky_relu_alpha_is_accepted_with_keras_warning() -> None:
    with pytest.warns(
        UserWarning, match="Argument `alpha` is deprecated"
    ) as ours_record:
        ours = layers.LeakyReLU(alpha=0.1, negative_slope=0.7)
    with warnings.catch_warnings(record=True) as keras_record:
        warnings.simplefilter("always")
        theirs = keras.layers.LeakyReLU(alpha=0.1, negative_slope=0.7)
    assert [str(w.message) for w in ours_record] == [
        str(w.message) for w in keras_record if w.category is UserWarning
    ]
    assert ours.negative_slope == theirs.negative_slope == 0.1
    assert _plain(ours.get_config()) == _plain(
        {**theirs.get_config(), "name": ours.name}
    )
