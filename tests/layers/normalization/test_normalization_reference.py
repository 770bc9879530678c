"""Normalization layers against the float64 NumPy reference, float64 gradchecks and
shape properties.

Tolerances: float32 outputs and moving statistics vs the float64 reference
``rtol=5e-4, atol=1e-5`` (reductions, STYLE §5).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import layers
from reference import normalization as ref

RTOL, ATOL = 5e-4, 1e-5


def _random_affine(layer: Any, rng: np.random.Generator) -> None:
    values = []
    for variable in layer.weights:
        low = 0.5 if variable.name == "moving_variance" else -1.5
        values.append(rng.uniform(low, 2.0, variable.shape).astype("float32"))
    layer.set_weights(values)


def _weights(layer: Any) -> dict[str, np.ndarray]:
    return {v.name: v.numpy() for v in layer.weights}


BN_CASES = [
    ({}, (6, 5, 5, 4)),
    ({"axis": 1}, (6, 4, 5, 5)),
    ({}, (20, 3)),
    ({}, (5, 8, 3)),
    ({"axis": 1}, (5, 3, 8)),
    ({}, (2, 3, 4, 3, 2)),
    ({"axis": 1}, (2, 3, 4, 3, 2)),
    ({"axis": -2}, (3, 4, 5, 2)),
    ({"center": False}, (6, 5, 5, 4)),
    ({"scale": False, "momentum": 0.5}, (6, 5, 5, 4)),
    ({"center": False, "scale": False, "epsilon": 1e-5}, (6, 5, 5, 4)),
]


@pytest.mark.parametrize(("kwargs", "shape"), BN_CASES)
def test_batch_norm_training_and_moving_update_match_reference(
    kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    layer = layers.BatchNormalization(**kwargs)
    rng = np.random.default_rng(len(shape))
    layer.build_from_config({"input_shape": list(shape)})
    _random_affine(layer, rng)
    w = _weights(layer)
    moving_mean, moving_var = w["moving_mean"], w["moving_variance"]
    axis = kwargs.get("axis", -1)
    for step in range(3):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype("float32")
        got = layer(torch.from_numpy(x), training=True).detach().numpy()
        expected, moving_mean, moving_var = ref.batch_norm_train(
            x, axis, w.get("gamma"), w.get("beta"), moving_mean, moving_var,
            kwargs.get("momentum", 0.99), kwargs.get("epsilon", 1e-3),
        )  # fmt: skip
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(
            layer.moving_mean.numpy(), moving_mean, rtol=RTOL, atol=ATOL
        )
        np.testing.assert_allclose(
            layer.moving_variance.numpy(), moving_var, rtol=RTOL, atol=ATOL
        )


@pytest.mark.parametrize(("kwargs", "shape"), BN_CASES)
def test_batch_norm_inference_matches_reference(
    kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    layer = layers.BatchNormalization(**kwargs)
    rng = np.random.default_rng(1)
    layer.build_from_config({"input_shape": list(shape)})
    _random_affine(layer, rng)
    w = _weights(layer)
    x = (rng.standard_normal(shape) * 3).astype("float32")
    got = layer(torch.from_numpy(x)).detach().numpy()
    expected = ref.batch_norm_inference(
        x, kwargs.get("axis", -1), w.get("gamma"), w.get("beta"), w["moving_mean"],
        w["moving_variance"], kwargs.get("epsilon", 1e-3),
    )  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), w["moving_mean"])


LN_CASES = [
    ({}, (3, 4, 5)),
    ({}, (4, 9)),
    ({"axis": 1}, (3, 4, 5)),
    ({"axis": -2}, (3, 4, 5)),
    ({"axis": [1, 2]}, (2, 3, 4, 5)),
    ({"axis": [1, 2, 3]}, (2, 3, 4, 5)),
    ({"axis": [1, 3]}, (2, 3, 4, 5)),
    ({"axis": [-1, 1]}, (2, 3, 4, 5)),
    ({"center": False, "epsilon": 1e-5}, (3, 4, 5)),
    ({"scale": False}, (3, 4, 5)),
]


@pytest.mark.parametrize(("kwargs", "shape"), LN_CASES)
def test_layer_norm_matches_reference(
    kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    layer = layers.LayerNormalization(**kwargs)
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(shape) * 2 + 1).astype("float32")
    layer(x)
    _random_affine(layer, rng)
    w = _weights(layer)
    axis = kwargs.get("axis", -1)
    axes = [axis] if isinstance(axis, int) else list(axis)
    got = layer(torch.from_numpy(x)).detach().numpy()
    gamma, beta = w.get("gamma"), w.get("beta")
    # The reference takes gamma/beta in increasing axis order; the layer stores them in
    # Keras' sorted(axis) order, which is the same unless negative and positive mix.
    positive = sorted(a % len(shape) for a in axes)
    sizes = tuple(shape[a] for a in positive)
    gamma = None if gamma is None else gamma.reshape(sizes)
    beta = None if beta is None else beta.reshape(sizes)
    expected = ref.layer_norm(x, axes, gamma, beta, kwargs.get("epsilon", 1e-3))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


GN_CASES = [
    ({"groups": 2}, (2, 4, 4, 6)),
    ({"groups": 1}, (2, 4, 4, 6)),
    ({"groups": -1}, (2, 5, 3)),
    ({"groups": 3, "axis": 1}, (2, 6, 4, 3)),
    ({"groups": 4}, (3, 8)),
    ({"groups": 2, "axis": -2}, (2, 3, 4, 5)),
    ({"groups": 2}, (2, 2, 3, 2, 4)),
]


@pytest.mark.parametrize(("kwargs", "shape"), GN_CASES)
def test_group_norm_matches_reference(
    kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    layer = layers.GroupNormalization(**kwargs)
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 2 - 1).astype("float32")
    layer(x)
    _random_affine(layer, rng)
    w = _weights(layer)
    got = layer(torch.from_numpy(x)).detach().numpy()
    axis = kwargs.get("axis", -1)
    groups = kwargs["groups"] if kwargs["groups"] != -1 else shape[axis]
    expected = ref.group_norm(x, groups, axis, w.get("gamma"), w.get("beta"))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- gradients (float64)


def _gradcheck_layer(layer: Any, x: torch.Tensor, **call_kwargs: Any) -> None:
    """Check d(output)/d(input) and d(output)/d(every trainable weight)."""
    layer(x.detach(), **call_kwargs)  # build
    names = [v.attr for v in layer.trainable_weights]
    with torch.no_grad():
        for name in names:
            getattr(layer, name).uniform_(0.5, 1.5)
    params = tuple(getattr(layer, n).detach().clone().requires_grad_() for n in names)

    def fn(inputs: torch.Tensor, *weights: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(
            layer, dict(zip(names, weights)), (inputs,), call_kwargs
        )

    assert torch.autograd.gradcheck(fn, (x, *params), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({}, (3, 2, 2, 2)),
        ({"axis": 1}, (3, 2, 3)),
        ({}, (5, 2)),
        ({"center": False}, (3, 3, 2)),
    ],
)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(
    kwargs: dict[str, Any], shape: tuple[int, ...], training: bool
) -> None:
    layer = layers.BatchNormalization(dtype="float64", **kwargs)
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    _gradcheck_layer(layer, x, training=training)


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [({}, (2, 3, 4)), ({"axis": [1, 2]}, (2, 3, 2, 2)), ({"axis": 1}, (2, 3, 4))],
)
def test_layer_norm_gradcheck(kwargs: dict[str, Any], shape: tuple[int, ...]) -> None:
    layer = layers.LayerNormalization(dtype="float64", **kwargs)
    _gradcheck_layer(layer, torch.randn(shape, dtype=torch.float64, requires_grad=True))


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [({"groups": 2}, (2, 2, 2, 4)), ({"groups": 3, "axis": 1}, (2, 6, 2))],
)
def test_group_norm_gradcheck(kwargs: dict[str, Any], shape: tuple[int, ...]) -> None:
    layer = layers.GroupNormalization(dtype="float64", **kwargs)
    _gradcheck_layer(layer, torch.randn(shape, dtype=torch.float64, requires_grad=True))


# ---------------------------------------------------------------- shape properties


@st.composite
def _shape_and_axis(draw: st.DrawFn) -> tuple[tuple[int, ...], int]:
    rank = draw(st.integers(2, 5))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    axis = draw(st.integers(-rank, rank - 1))
    return shape, axis


@given(_shape_and_axis())
def test_batch_norm_output_shape_property(case: tuple[tuple[int, ...], int]) -> None:
    shape, axis = case
    layer = layers.BatchNormalization(axis=axis)
    x = torch.randn((max(shape[0], 2), *shape[1:]))
    if x.shape[axis] != shape[axis] or axis % len(shape) == 0:
        return  # the batch axis as channels is legal but not what this checks
    out = layer(x, training=True)
    assert tuple(out.shape) == tuple(x.shape)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:])
    rebuilt = layers.BatchNormalization.from_config(layer.get_config())
    assert rebuilt.get_config() == layer.get_config()


@given(_shape_and_axis(), st.booleans())
def test_layer_norm_output_shape_property(
    case: tuple[tuple[int, ...], int], as_list: bool
) -> None:
    shape, axis = case
    layer = layers.LayerNormalization(axis=[axis] if as_list else axis)
    out = layer(torch.randn(shape))
    assert tuple(out.shape) == shape
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:])


@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3), st.booleans())
def test_group_norm_output_shape_property(
    per_group: int, groups: int, spatial: int, channels_first: bool
) -> None:
    channels = per_group * groups
    shape = (
        (2, channels, spatial, spatial)
        if channels_first
        else (2, spatial, spatial, channels)
    )
    layer = layers.GroupNormalization(groups=groups, axis=1 if channels_first else -1)
    out = layer(torch.randn(shape))
    assert tuple(out.shape) == shape
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:])
