"""Normalization layers against Keras 3 itself (torch backend).

For every configuration, with random (non-default) weights copied into Keras with
``set_weights``: same outputs (``atol=rtol=1e-4``), same weight names, shapes and
order, same weights after the call (BatchNormalization's moving statistics after a
training call), same ``compute_output_shape`` (also equal to the real output shape)
and same ``get_config`` before and after building.

Keras 3.15.1's torch backend gets LayerNormalization wrong when the normalised axes
are contiguous but do not end at the last axis (``axis=1`` on 3-D input, ``axis=[1,
2]`` on 4-D): it hands them to ``F.layer_norm``, which always normalises the
*trailing* axes, so it raises or silently normalises the wrong axis. Those cases are
marked ``numpy``: their values are compared with the float64 NumPy reference instead;
everything else about them is still compared with Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers
from reference import normalization as ref

keras = pytest.importorskip("keras")

ATOL = RTOL = 1e-4

# (class name, kwargs, input shape with batch, training, where the values come from)
CASES: list[tuple[str, dict[str, Any], tuple[int, ...], bool, str]] = [
    ("BatchNormalization", {}, (4, 6, 6, 5), True, "keras"),
    ("BatchNormalization", {}, (4, 6, 6, 5), False, "keras"),
    ("BatchNormalization", {"axis": 1}, (4, 5, 6, 6), True, "keras"),
    ("BatchNormalization", {"axis": 1}, (4, 5, 6, 6), False, "keras"),
    ("BatchNormalization", {}, (16, 7), True, "keras"),
    ("BatchNormalization", {}, (16, 7), False, "keras"),
    ("BatchNormalization", {"axis": 1}, (4, 3, 10), True, "keras"),
    ("BatchNormalization", {"momentum": 0.9, "epsilon": 1e-5}, (4, 10, 6), True, "keras"),
    ("BatchNormalization", {}, (2, 3, 4, 5, 3), True, "keras"),
    ("BatchNormalization", {"axis": 1}, (2, 3, 4, 5, 3), True, "keras"),
    ("BatchNormalization", {"axis": 2}, (3, 4, 5, 6), True, "keras"),
    ("BatchNormalization", {"center": False}, (4, 5, 5, 3), True, "keras"),
    ("BatchNormalization", {"scale": False}, (4, 5, 5, 3), True, "keras"),
    ("BatchNormalization", {"center": False, "scale": False}, (4, 5, 5, 3), True, "keras"),
    ("BatchNormalization", {"center": False, "scale": False}, (4, 5, 5, 3), False, "keras"),
    (
        "BatchNormalization",
        {"gamma_initializer": "random_normal", "moving_variance_initializer": "zeros",
         "gamma_regularizer": "l2", "beta_constraint": "non_neg"},
        (4, 5, 5, 3), True, "keras",
    ),
    ("BatchNormalization", {"renorm": True}, (8, 4, 4, 3), True, "keras"),
    (
        "BatchNormalization",
        {"renorm": True, "renorm_clipping": {"rmax": 1.5, "rmin": 0.8, "dmax": 0.2},
         "renorm_momentum": 0.9},
        (8, 4, 4, 3), True, "keras",
    ),
    ("BatchNormalization", {"renorm": True}, (8, 4, 4, 3), False, "keras"),
    ("LayerNormalization", {}, (3, 4, 5), False, "keras"),
    ("LayerNormalization", {}, (3, 7), False, "keras"),
    ("LayerNormalization", {"axis": [1, 2, 3]}, (2, 3, 4, 5), False, "keras"),
    ("LayerNormalization", {"axis": [-2, -1]}, (2, 3, 4, 5), False, "keras"),
    ("LayerNormalization", {"axis": [1, 3]}, (2, 3, 4, 5), False, "keras"),
    ("LayerNormalization", {"axis": (3, 1)}, (2, 3, 4, 5), False, "keras"),
    ("LayerNormalization", {"axis": 1}, (3, 4, 5), False, "numpy"),
    ("LayerNormalization", {"axis": [1, 2]}, (2, 3, 4, 5), False, "numpy"),
    ("LayerNormalization", {"center": False, "epsilon": 1e-5}, (3, 4, 5), False, "keras"),
    ("LayerNormalization", {"scale": False}, (3, 4, 5), False, "keras"),
    ("LayerNormalization", {"center": False, "scale": False}, (3, 4, 5), False, "keras"),
    ("GroupNormalization", {"groups": 2}, (2, 5, 5, 4), False, "keras"),
    ("GroupNormalization", {"groups": 1}, (2, 4, 4, 6), False, "keras"),
    ("GroupNormalization", {"groups": -1}, (2, 7, 6), False, "keras"),
    ("GroupNormalization", {"groups": 3, "axis": 1}, (2, 6, 4, 4), False, "keras"),
    ("GroupNormalization", {"groups": 4}, (3, 8), False, "keras"),
    ("GroupNormalization", {"groups": 2, "axis": 1}, (2, 4, 3, 3, 3), False, "keras"),
    ("GroupNormalization", {"groups": 2, "center": False, "scale": False}, (2, 3, 3, 4), False, "keras"),
]  # fmt: skip


def _plain(value: Any) -> Any:
    """Tuples and lists compare equal after this (Keras writes tuples)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _randomize(layer: Any, rng: np.random.Generator) -> None:
    """Non-default weights, so every term of the formula is exercised."""
    values = []
    for variable in layer.weights:
        shape = variable.shape
        if variable.name in ("moving_variance", "moving_stddev", "renorm_stddev"):
            values.append(rng.uniform(0.5, 2.0, shape))
        else:
            values.append(rng.normal(0.0, 1.0, shape))
    layer.set_weights([v.astype("float32") for v in values])


def _numpy_reference(
    name: str, kwargs: dict[str, Any], x: np.ndarray, layer: Any
) -> np.ndarray:
    weights = {v.name: v.numpy() for v in layer.weights}
    if name == "LayerNormalization":
        axis = kwargs.get("axis", -1)
        axes = [axis] if isinstance(axis, int) else list(axis)
        return ref.layer_norm(x, axes, weights.get("gamma"), weights.get("beta"),
                              kwargs.get("epsilon", 1e-3))  # fmt: skip
    raise AssertionError(f"no NumPy reference wired for {name}")


def _case_id(case: tuple[Any, ...]) -> str:
    name, kwargs, shape, training, _ = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return (
        f"{name}({args})-{'x'.join(map(str, shape))}-{'train' if training else 'infer'}"
    )


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("name", "kwargs", "shape", "training", "source"),
    CASES,
    ids=[_case_id(c) for c in CASES],
)
def test_matches_keras(
    name: str,
    kwargs: dict[str, Any],
    shape: tuple[int, ...],
    training: bool,
    source: str,
) -> None:
    ours = getattr(layers, name)(name="probe", **kwargs)
    theirs = getattr(keras.layers, name)(name="probe", **kwargs)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())

    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 2.0 + 0.5).astype("float32")
    ours(x)  # builds (inference: no state changes)
    theirs.build(shape)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
    _randomize(ours, rng)
    theirs.set_weights(ours.get_weights())

    # Only BatchNormalization's call takes `training` (LN/GN behave the same in both).
    call_kwargs = {"training": training} if name == "BatchNormalization" else {}
    got = ours(torch.from_numpy(x), **call_kwargs).detach().numpy()
    if source == "keras":
        expected = keras.ops.convert_to_numpy(theirs(x, training=training))
    else:
        expected = _numpy_reference(name, kwargs, x, ours)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    if source == "keras":
        # Moving statistics (and everything else) end up the same after the call.
        for mine, keras_weight in zip(ours.weights, theirs.weights):
            np.testing.assert_allclose(
                mine.numpy(), keras.ops.convert_to_numpy(keras_weight),
                atol=ATOL, rtol=RTOL, err_msg=mine.name,
            )  # fmt: skip

    symbolic = (None, *shape[1:])
    assert tuple(ours.compute_output_shape(symbolic)) == tuple(
        theirs.compute_output_shape(symbolic)
    )
    assert tuple(ours.compute_output_shape(shape)) == tuple(got.shape)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({}, (8, 5, 5, 4)),
        ({"axis": 1}, (8, 4, 5, 5)),
        ({}, (32, 6)),
        ({"momentum": 0.8, "center": False}, (8, 9, 3)),
        (
            {
                "renorm": True,
                "renorm_clipping": {"rmax": 2.0, "rmin": 0.5, "dmax": 1.0},
            },
            (8, 5, 5, 4),
        ),
    ],
)
def test_moving_statistics_after_several_training_steps_match_keras(
    kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    ours = layers.BatchNormalization(**kwargs)
    theirs = keras.layers.BatchNormalization(**kwargs)
    rng = np.random.default_rng(7)
    batches = [
        (rng.standard_normal(shape) * (1 + i) + i).astype("float32") for i in range(6)
    ]
    for x in batches:
        got = ours(torch.from_numpy(x), training=True).detach().numpy()
        expected = keras.ops.convert_to_numpy(theirs(x, training=True))
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    for mine, keras_weight in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(
            mine.numpy(), keras.ops.convert_to_numpy(keras_weight), atol=ATOL, rtol=RTOL,
            err_msg=mine.name,
        )  # fmt: skip
    # And inference afterwards uses the same (moving) statistics.
    probe = batches[0][:2]
    np.testing.assert_allclose(
        ours(torch.from_numpy(probe)).detach().numpy(),
        keras.ops.convert_to_numpy(theirs(probe)), atol=ATOL, rtol=RTOL,
    )  # fmt: skip


@pytest.mark.oracle
def test_frozen_batch_normalization_matches_keras() -> None:
    """trainable=False: moving statistics even with training=True, and no update."""
    ours = layers.BatchNormalization()
    theirs = keras.layers.BatchNormalization()
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((6, 4, 4, 3)) * 3 + 1).astype("float32")
    ours(x)
    theirs.build(x.shape)
    _randomize(ours, rng)
    theirs.set_weights(ours.get_weights())
    ours.trainable = False
    theirs.trainable = False
    before = ours.get_weights()
    got = ours(torch.from_numpy(x), training=True).detach().numpy()
    expected = keras.ops.convert_to_numpy(theirs(x, training=True))
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    for b, a, k in zip(before, ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(b, a)
        np.testing.assert_array_equal(a, k)
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
