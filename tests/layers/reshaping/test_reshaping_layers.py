"""Reshaping layers: NumPy references, gradients, shape properties, contract harness
and every error they raise.

Tolerances: data movement (pad, crop, repeat, permute, reshape) is exact; bilinear
interpolation vs the float64 reference ``rtol=atol=1e-6`` (elementwise).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import cnnkit
from cnnkit import layers
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError
from cnnkit.testing import run_layer_test
from reference import pooling as ref


def _x(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape).astype("float32")


# ---------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("padding", "pairs"),
    [
        (1, ((1, 1), (1, 1))),
        ((1, 2), ((1, 1), (2, 2))),
        (((0, 1), (2, 3)), ((0, 1), (2, 3))),
    ],
)
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_zero_padding_2d_matches_numpy(padding: Any, pairs: Any, fmt: str) -> None:
    x = _x(2, 4, 5, 3) if fmt == "channels_last" else _x(2, 3, 4, 5)
    width = (
        ((0, 0), *pairs, (0, 0)) if fmt == "channels_last" else ((0, 0), (0, 0), *pairs)
    )
    got = layers.ZeroPadding2D(padding, fmt)(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(got, np.pad(x, width))


def test_zero_padding_1d_and_3d_match_numpy() -> None:
    x = _x(2, 5, 3)
    got = layers.ZeroPadding1D((2, 1))(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(got, np.pad(x, ((0, 0), (2, 1), (0, 0))))
    v = _x(1, 2, 3, 4, 2)
    got = layers.ZeroPadding3D(((1, 0), (0, 2), (1, 1)))(torch.from_numpy(v)).numpy()
    np.testing.assert_array_equal(
        got, np.pad(v, ((0, 0), (1, 0), (0, 2), (1, 1), (0, 0)))
    )


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_cropping_matches_numpy_slicing(fmt: str) -> None:
    x = _x(2, 6, 7, 3) if fmt == "channels_last" else _x(2, 3, 6, 7)
    got = layers.Cropping2D(((1, 2), (0, 3)), fmt)(torch.from_numpy(x)).numpy()
    expected = x[:, 1:4, 0:4] if fmt == "channels_last" else x[:, :, 1:4, 0:4]
    np.testing.assert_array_equal(got, expected)
    seq = _x(2, 9, 3)
    np.testing.assert_array_equal(
        layers.Cropping1D((2, 3))(torch.from_numpy(seq)).numpy(), seq[:, 2:6]
    )
    vol = _x(1, 4, 5, 6, 2)
    np.testing.assert_array_equal(
        layers.Cropping3D(((1, 0), (0, 1), (2, 2)))(torch.from_numpy(vol)).numpy(),
        vol[:, 1:, :4, 2:4],
    )


def test_cropping_returns_a_view() -> None:
    x = torch.randn(2, 6, 6, 3)
    assert (
        layers.Cropping2D(1)(x).untyped_storage().data_ptr()
        == x.untyped_storage().data_ptr()
    )


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("size", [(2, 2), (3, 1), (1, 4)])
def test_upsampling_nearest_matches_numpy_repeat(
    fmt: str, size: tuple[int, int]
) -> None:
    x = _x(2, 3, 4, 2) if fmt == "channels_last" else _x(2, 2, 3, 4)
    got = layers.UpSampling2D(size, fmt)(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(got, ref.upsample_nearest(x, size, fmt))
    vol = _x(1, 2, 3, 2, 2)
    got3 = layers.UpSampling3D((2, 1, 3))(torch.from_numpy(vol)).numpy()
    np.testing.assert_array_equal(got3, ref.upsample_nearest(vol, (2, 1, 3)))
    seq = _x(2, 4, 3)
    np.testing.assert_array_equal(
        layers.UpSampling1D(3)(torch.from_numpy(seq)).numpy(), np.repeat(seq, 3, axis=1)
    )


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("size", [(2, 2), (3, 2), (1, 3), (4, 4)])
def test_upsampling_bilinear_matches_half_pixel_reference(
    fmt: str, size: tuple[int, int]
) -> None:
    x = _x(2, 3, 5, 2) if fmt == "channels_last" else _x(2, 2, 3, 5)
    got = layers.UpSampling2D(size, fmt, "bilinear")(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(
        got, ref.resize_bilinear(x, size, fmt), rtol=1e-6, atol=1e-6
    )


def test_reshape_permute_repeat_match_numpy() -> None:
    x = _x(2, 4, 6)
    np.testing.assert_array_equal(
        layers.Reshape((3, -1, 2))(torch.from_numpy(x)).numpy(), x.reshape(2, 3, -1, 2)
    )
    np.testing.assert_array_equal(
        layers.Permute((2, 1))(torch.from_numpy(x)).numpy(), x.transpose(0, 2, 1)
    )
    v = _x(3, 5)
    np.testing.assert_array_equal(
        layers.RepeatVector(4)(torch.from_numpy(v)).numpy(),
        np.repeat(v[:, None], 4, axis=1),
    )


def test_repeat_vector_output_is_writable() -> None:
    out = layers.RepeatVector(3)(torch.ones(2, 4))
    out.add_(1.0)  # a copy, not a stride-0 view: in-place ops stay legal
    assert out.sum().item() == 2 * 3 * 4 * 2


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    "layer",
    [
        layers.UpSampling2D((2, 3), interpolation="bilinear", dtype="float64"),
        layers.UpSampling2D(2, "channels_first", "bicubic", dtype="float64"),
        layers.UpSampling2D((2, 1), dtype="float64"),
        layers.ZeroPadding2D(((0, 1), (2, 0)), dtype="float64"),
        layers.Cropping2D(((1, 0), (0, 1)), dtype="float64"),
    ],
    ids=lambda layer: f"{type(layer).__name__}-{getattr(layer, 'interpolation', '')}",
)
def test_gradcheck_float64(layer: Any) -> None:
    x = torch.randn(2, 3, 3, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-6)


# ---------------------------------------------------------------- shape properties


@given(
    sizes=st.lists(st.integers(1, 8), min_size=3, max_size=3),
    amounts=st.lists(st.integers(0, 3), min_size=6, max_size=6),
    factors=st.lists(st.integers(1, 3), min_size=3, max_size=3),
    rank=st.integers(1, 3),
    fmt=st.sampled_from(["channels_last", "channels_first"]),
)
def test_compute_output_shape_equals_real_shape(
    sizes: list[int], amounts: list[int], factors: list[int], rank: int, fmt: str
) -> None:
    spatial = tuple(sizes[:rank])
    pairs = tuple((amounts[2 * i], amounts[2 * i + 1]) for i in range(rank))
    if rank == 1:
        fmt = "channels_last"  # Cropping1D / UpSampling1D have no data_format
        built = [
            layers.ZeroPadding1D(pairs[0], fmt),
            layers.Cropping1D(pairs[0]),
            layers.UpSampling1D(factors[0]),
        ]
    else:
        suffix = f"{rank}D"
        built = [
            getattr(layers, f"ZeroPadding{suffix}")(pairs, fmt),
            getattr(layers, f"Cropping{suffix}")(pairs, fmt),
            getattr(layers, f"UpSampling{suffix}")(tuple(factors[:rank]), fmt),
        ]
    shape = (2, *spatial, 3) if fmt == "channels_last" else (2, 3, *spatial)
    for layer in built:
        if isinstance(
            layer, layers.Cropping1D | layers.Cropping2D | layers.Cropping3D
        ) and any(a + b >= n for (a, b), n in zip(pairs, spatial)):
            with pytest.raises(IncompatibleShapeError, match="would leave nothing"):
                layer.compute_output_shape(shape)
            continue
        predicted = layer.compute_output_shape((None, *shape[1:]))
        assert predicted == (None, *layer(torch.zeros(shape)).shape[1:])


@given(dims=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_reshape_and_permute_shapes(dims: list[int], data: st.DataObject) -> None:
    shape = (2, *dims)
    size = math.prod(dims)
    first = data.draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
    for target in [(first, size // first), (first, -1), (-1,)]:
        layer = layers.Reshape(target)
        assert layer.compute_output_shape((None, *dims)) == (
            None, *layer(torch.zeros(shape)).shape[1:],
        )  # fmt: skip
    order = tuple(data.draw(st.permutations(range(1, len(dims) + 1))))
    permute = layers.Permute(order)
    assert permute.compute_output_shape(shape) == tuple(
        permute(torch.zeros(shape)).shape
    )


def test_unknown_sizes_pass_through() -> None:
    assert layers.Reshape((-1, 4)).compute_output_shape((None, None, 8)) == (
        None,
        None,
        4,
    )
    assert layers.ZeroPadding2D(1).compute_output_shape((None, None, 5, 3)) == (
        None,
        None,
        7,
        3,
    )
    assert layers.Cropping2D(1).compute_output_shape((None, 5, None, 3)) == (
        None,
        3,
        None,
        3,
    )
    assert layers.UpSampling2D().compute_output_shape((None, None, 4, 3)) == (
        None,
        None,
        8,
        3,
    )


# ---------------------------------------------------------------- contract harness


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape", "expected"),
    [
        (layers.Reshape, {"target_shape": (2, -1)}, (2, 4, 3), (2, 2, 6)),
        (layers.Permute, {"dims": (2, 1)}, (2, 4, 3), (2, 3, 4)),
        (layers.RepeatVector, {"n": 2}, (2, 4), (2, 2, 4)),
        (layers.ZeroPadding1D, {}, (2, 4, 3), (2, 6, 3)),
        (layers.ZeroPadding2D, {"padding": (1, 2)}, (2, 4, 4, 3), (2, 6, 8, 3)),
        (layers.ZeroPadding3D, {}, (2, 2, 2, 2, 3), (2, 4, 4, 4, 3)),
        (layers.Cropping1D, {}, (2, 4, 3), (2, 2, 3)),
        (layers.Cropping2D, {"cropping": 1}, (2, 4, 4, 3), (2, 2, 2, 3)),
        (layers.Cropping3D, {}, (2, 3, 3, 3, 3), (2, 1, 1, 1, 3)),
        (layers.UpSampling1D, {}, (2, 4, 3), (2, 8, 3)),
        (
            layers.UpSampling2D,
            {"interpolation": "bilinear"},
            (2, 3, 3, 2),
            (2, 6, 6, 2),
        ),
        (layers.UpSampling3D, {}, (2, 2, 2, 2, 3), (2, 4, 4, 4, 3)),
    ],
)
def test_layer_contract(
    cls: Any, kwargs: dict[str, Any], shape: Any, expected: Any
) -> None:
    run_layer_test(
        cls, kwargs, input_shape=shape, expected_output_shape=expected,
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
    )  # fmt: skip


def test_in_a_functional_model() -> None:
    inputs = cnnkit.Input((28, 28, 1))
    x = layers.ZeroPadding2D(2)(inputs)
    x = layers.Cropping2D(((1, 1), (2, 2)))(x)
    x = layers.UpSampling2D()(x)
    outputs = layers.Reshape((-1,))(x)
    model = cnnkit.Model(inputs, outputs)
    assert outputs.shape == (None, 60 * 56)
    assert tuple(model(np.zeros((3, 28, 28, 1), "float32")).shape) == (3, 60 * 56)


# ---------------------------------------------------------------- errors


def test_reshape_size_mismatch_names_both_shapes() -> None:
    inputs = cnnkit.Input((4, 4))
    with pytest.raises(IncompatibleShapeError) as info:
        layers.Reshape((3, 5), name="flat")(inputs)
    message = str(info.value)
    assert "Reshape 'flat'" in message
    assert "(None, 4, 4)" in message
    assert "16 elements" in message
    assert "target_shape=(3, 5) holds 15" in message
    assert "-1" in message  # the fix mentions letting one size be inferred


def test_reshape_minus_one_that_cannot_divide() -> None:
    with pytest.raises(
        IncompatibleShapeError, match=r"15 elements.*\(4, -1\).*multiple"
    ):
        layers.Reshape((4, -1)).compute_output_shape((None, 3, 5))


def test_reshape_mismatch_on_a_later_eager_call() -> None:
    layer = layers.Reshape((4, 4))
    layer(torch.zeros(2, 16))
    with pytest.raises(IncompatibleShapeError, match=r"\(2, 15\).*15 elements"):
        layer(torch.zeros(2, 15))


@pytest.mark.parametrize(
    ("target", "error", "pattern"),
    [
        (64, InvalidTypeError, r"Write it as a tuple: Reshape\(\(64,\)\)"),
        ("64", InvalidTypeError, r"must be a tuple of ints \(without the batch axis\)"),
        ((4, 2.5), InvalidTypeError, r"must contain only ints"),
        ((-1, -1), InvalidArgumentError, r"-1 for a single size"),
        ((4, -3), InvalidArgumentError, r"non-negative int"),
    ],
)
def test_reshape_bad_target_shape(target: Any, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        layers.Reshape(target)


@pytest.mark.parametrize("dims", [(1, 3), (0, 1), (), "21", 2])
def test_permute_bad_dims(dims: Any) -> None:
    with pytest.raises(InvalidArgumentError, match=r"permutation of the axes 1..n"):
        layers.Permute(dims)


def test_repeat_vector_bad_n() -> None:
    with pytest.raises(InvalidTypeError, match=r"`n` must be an int; received n=2.0"):
        layers.RepeatVector(2.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"positive integer; received n=0"):
        layers.RepeatVector(0)


@pytest.mark.parametrize(
    "value", [-1, (1, 2, 3), ((1, 2), (1, 2, 3)), ((1, -1), 2), "1"]
)
def test_zero_padding_2d_bad_padding_lists_the_forms(value: Any) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"an int, a tuple of 2 ints .* 2 pairs"
    ):
        layers.ZeroPadding2D(value)


def test_bad_3d_amounts_and_1d_pairs() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`cropping` must be an int, a tuple of 3"
    ):
        layers.Cropping3D((1, 1))
    with pytest.raises(InvalidArgumentError, match=r"pair of non-negative ints"):
        layers.ZeroPadding1D((1, 2, 3))
    with pytest.raises(InvalidArgumentError, match=r"received cropping=-1"):
        layers.Cropping1D(-1)


def test_over_cropping_is_a_teaching_error() -> None:
    inputs = cnnkit.Input((4, 6, 3))
    with pytest.raises(IncompatibleShapeError) as info:
        layers.Cropping2D(((2, 2), (0, 0)), name="crop")(inputs)
    message = str(info.value)
    assert "Cropping2D 'crop'" in message
    assert "(None, 4, 6, 3)" in message
    assert "would leave nothing" in message
    assert "Crop less" in message


def test_over_cropping_on_a_later_eager_call() -> None:
    layer = layers.Cropping1D((2, 2))
    layer(torch.zeros(1, 8, 2))
    with pytest.raises(
        IncompatibleShapeError, match=r"\(1, 4, 2\).*would leave nothing"
    ):
        layer(torch.zeros(1, 4, 2))


def test_upsampling_bad_size() -> None:
    with pytest.raises(
        InvalidTypeError, match=r"`size` must be an int; received size=\(2,\)"
    ):
        layers.UpSampling1D((2,))  # type: ignore[arg-type]
    with pytest.raises(
        InvalidArgumentError, match=r"positive integer; received size=0"
    ):
        layers.UpSampling1D(0)
    with pytest.raises(InvalidArgumentError, match=r"`size` values must be positive"):
        layers.UpSampling2D((2, 0))


def test_upsampling_bad_interpolation_lists_the_options() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"'bilinear'.*received interpolation='cubic'"
    ):
        layers.UpSampling2D(interpolation="cubic")
    with pytest.raises(
        InvalidArgumentError, match=r"Lanczos resampling is not available"
    ):
        layers.UpSampling2D(interpolation="lanczos3")
    assert layers.UpSampling2D(interpolation="BILINEAR").interpolation == "bilinear"
