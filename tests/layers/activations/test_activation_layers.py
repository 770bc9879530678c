"""Activation layers: NumPy formulas (elementwise ``rtol=atol=1e-6``), PReLU's float64
gradcheck, softmax properties, the layer contract and every error they raise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import layers
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError
from cnnkit.layers import Input
from cnnkit.testing import run_layer_test

TOL = {"rtol": 1e-6, "atol": 1e-6}


def _x(shape: tuple[int, ...] = (3, 4, 5), seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype("float32")


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape", "trainable"),
    [
        (layers.ReLU, {"max_value": 6.0}, (2, 5), 0),
        (layers.LeakyReLU, {}, (2, 3, 4), 0),
        (layers.PReLU, {"alpha_initializer": "ones"}, (2, 3, 4), 1),
        (
            layers.PReLU,
            {"shared_axes": [1, 2], "alpha_initializer": "ones"},
            (2, 3, 3, 4),
            1,
        ),
        (layers.ELU, {"alpha": 0.5}, (2, 5), 0),
        (layers.Softmax, {"axis": [1, 2]}, (2, 3, 4), 0),
    ],
)
def test_layer_contract(
    cls: type, kwargs: dict[str, Any], shape: tuple[int, ...], trainable: int
) -> None:
    run_layer_test(
        cls, kwargs, input_shape=shape, expected_output_shape=shape,
        expected_num_trainable_weights=trainable, expected_num_non_trainable_weights=0,
    )  # fmt: skip


def test_public_names() -> None:
    from cnnkit.layers import activations

    assert activations.__all__ == ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
    for name in activations.__all__:
        assert getattr(layers, name) is getattr(activations, name)


# ---------------------------------------------------------------- NumPy formulas


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"max_value": 1.5},
        {"negative_slope": 0.25},
        {"threshold": 1.0},
        {"max_value": 4.0, "negative_slope": 0.1, "threshold": 0.5},
    ],
)
def test_relu_matches_formula(kwargs: dict[str, Any]) -> None:
    x = _x()
    slope, threshold = kwargs.get("negative_slope", 0.0), kwargs.get("threshold", 0.0)
    expected = np.where(x > threshold, x, slope * (x.astype(np.float64) - threshold))
    if kwargs.get("max_value") is not None:
        expected = np.minimum(expected, kwargs["max_value"])
    got = layers.ReLU(**kwargs)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, **TOL)


def test_leaky_relu_and_elu_match_formulas() -> None:
    x = _x().astype(np.float64)
    got = layers.LeakyReLU()(torch.from_numpy(x.astype("float32"))).numpy()
    np.testing.assert_allclose(got, np.where(x >= 0, x, 0.3 * x), **TOL)
    got = layers.ELU(alpha=0.7)(torch.from_numpy(x.astype("float32"))).numpy()
    np.testing.assert_allclose(got, np.where(x > 0, x, 0.7 * np.expm1(x)), **TOL)


def test_prelu_matches_formula_with_shared_axes() -> None:
    x = _x((2, 3, 4, 5))
    layer = layers.PReLU(shared_axes=[1, 3])
    layer(x)
    assert layer.alpha.shape == (1, 4, 1)
    alpha = np.random.default_rng(1).uniform(0, 1, (1, 4, 1)).astype("float32")
    layer.set_weights([alpha])
    got = layer(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, np.where(x >= 0, x, alpha[None] * x), **TOL)


def test_prelu_starts_as_relu() -> None:
    x = torch.from_numpy(_x())
    torch.testing.assert_close(layers.PReLU()(x).detach(), torch.relu(x))


@pytest.mark.parametrize(("axis", "dims"), [(-1, (2,)), (1, (1,)), ([1, 2], (1, 2))])
def test_softmax_matches_formula(axis: Any, dims: tuple[int, ...]) -> None:
    x = _x().astype(np.float64)
    e = np.exp(x - x.max(axis=dims, keepdims=True))
    expected = e / e.sum(axis=dims, keepdims=True)
    got = layers.Softmax(axis=axis)(torch.from_numpy(x.astype("float32"))).numpy()
    np.testing.assert_allclose(got, expected, **TOL)


@given(
    st.lists(st.integers(1, 5), min_size=2, max_size=4),
    st.integers(0, 3),
    st.floats(-50, 50, allow_nan=False),
)
def test_softmax_sums_to_one_property(
    shape: list[int], axis_pick: int, shift: float
) -> None:
    axis = axis_pick % len(shape)
    x = torch.randn(shape) * 10 + shift
    y = layers.Softmax(axis=axis)(x)
    torch.testing.assert_close(y.sum(axis), torch.ones_like(y.sum(axis)))
    assert layers.Softmax(axis=axis).compute_output_shape(tuple(shape)) == tuple(
        y.shape
    )


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    ("kwargs", "shape"), [({}, (2, 3, 2)), ({"shared_axes": [1, 2]}, (2, 2, 2, 3))]
)
def test_prelu_gradcheck(kwargs: dict[str, Any], shape: tuple[int, ...]) -> None:
    layer = layers.PReLU(dtype="float64", **kwargs)
    x = torch.randn(shape, dtype=torch.float64)
    x = torch.where(
        x.abs() < 0.1, x + 0.3, x
    ).requires_grad_()  # keep away from the kink
    layer(x.detach())
    alpha = torch.rand(layer.alpha.shape, dtype=torch.float64, requires_grad=True)

    def fn(inputs: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(layer, {"alpha": a}, (inputs,))

    assert torch.autograd.gradcheck(fn, (x, alpha), eps=1e-6, atol=1e-5)


def test_elu_gradcheck() -> None:
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layers.ELU(alpha=0.5, dtype="float64"), (x,))


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_value": -1.0}, r"ReLU: `max_value` must be a float >= 0 or None; received max_value=-1\.0"),
        ({"negative_slope": None}, r"ReLU: `negative_slope` must be a float >= 0; received negative_slope=None"),
        ({"negative_slope": -0.1}, r"`negative_slope` must be a float >= 0"),
        ({"threshold": -2}, r"ReLU: `threshold` must be a float >= 0; received threshold=-2"),
        ({"threshold": None}, r"`threshold` must be a float >= 0"),
    ],
)  # fmt: skip
def test_relu_rejects_negative_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        layers.ReLU(**kwargs)


@pytest.mark.parametrize("slope", [None, -0.3])
def test_leaky_relu_rejects_negative_slope(slope: Any) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"LeakyReLU: `negative_slope` must be"
    ):
        layers.LeakyReLU(negative_slope=slope)


def test_prelu_shared_axes_type() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`shared_axes` must be an int or a list"
    ):
        layers.PReLU(shared_axes=["h"])


@pytest.mark.parametrize("shared_axes", [[0], [-1], [4]])
def test_prelu_shared_axes_out_of_range(shared_axes: list[int]) -> None:
    with pytest.raises(
        IncompatibleShapeError,
        match=r"PReLU '.*' cannot process input of shape \(2, 3, 3, 4\): with shared_axes=.* "
        r"must index non-batch axes, i\.e\. lie in \[1, 3\]\. Count axes from the batch",
    ):
        layers.PReLU(shared_axes=shared_axes)(torch.zeros(2, 3, 3, 4))


def test_prelu_needs_known_sizes_on_unshared_axes() -> None:
    with pytest.raises(
        IncompatibleShapeError, match=r"\(None, None, 4\).*`alpha` needs a known"
    ):
        layers.PReLU()(Input(shape=(None, 4)))
    out = layers.PReLU(shared_axes=1)(
        Input(shape=(None, 4))
    )  # sharing the variable axis
    assert out.shape == (None, None, 4)


def test_prelu_rejects_other_sizes_after_build() -> None:
    layer = layers.PReLU(shared_axes=[1])
    layer(torch.zeros(2, 3, 4))
    layer(torch.zeros(2, 7, 4))  # shared axis may vary
    with pytest.raises(
        IncompatibleShapeError, match=r"axis 2 of input shape to have value 4"
    ):
        layer(torch.zeros(2, 3, 5))


@pytest.mark.parametrize("axis", [[], 1.5, "last", [1, None]])
def test_softmax_axis_type(axis: Any) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"Softmax: `axis` must be an int or a"
    ):
        layers.Softmax(axis=axis)


@pytest.mark.parametrize("mask_shape", [(2, 3, 4), (1, 2, 3, 5)])
def test_softmax_mask_must_broadcast(mask_shape: tuple[int, ...]) -> None:
    with pytest.raises(
        IncompatibleShapeError,
        match=r"Softmax '.*': the `mask` must be broadcastable.*inputs\.shape=\(2, 3, 5\), "
        r"mask\.shape=\(.*\)\. Reshape the mask",
    ):
        layers.Softmax()(
            torch.zeros(2, 3, 5), mask=torch.ones(mask_shape, dtype=torch.bool)
        )
