"""Pooling against the float64 NumPy reference, float64 gradchecks, shape properties,
memory layout and the layer contract harness.

Tolerances: pooled float32 values vs the float64 reference ``rtol=5e-4, atol=1e-5``
(reductions); global pooling the same.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnkit import layers
from cnnkit._kernels.pooling import pool
from cnnkit.errors import IncompatibleShapeError
from cnnkit.testing import run_layer_test
from reference import pooling as ref

RTOL, ATOL = 5e-4, 1e-5
MAX = {1: layers.MaxPooling1D, 2: layers.MaxPooling2D, 3: layers.MaxPooling3D}
AVG = {
    1: layers.AveragePooling1D,
    2: layers.AveragePooling2D,
    3: layers.AveragePooling3D,
}


def _input(shape: tuple[int, ...], seed: int = 0, dtype: str = "float32") -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _channels(rank: int, spatial: tuple[int, ...], data_format: str) -> tuple[int, ...]:
    return (2, *spatial, 3) if data_format == "channels_last" else (2, 3, *spatial)


# Odd and even sizes, pool 2/3, stride 1/2/3, both paddings: every padding branch
# (symmetric, asymmetric with stride > 1, asymmetric with stride 1) appears.
TABLE_2D = [
    (size, k, s, padding, fmt)
    for size, k, s, padding, fmt in itertools.product(
        [(7, 7), (8, 8), (6, 9)], [2, 3], [1, 2, 3], ["valid", "same"],
        ["channels_last", "channels_first"],
    )
]  # fmt: skip


@pytest.mark.parametrize(("mode"), ["max", "average"])
@pytest.mark.parametrize(("size", "k", "s", "padding", "fmt"), TABLE_2D)
def test_2d_matches_numpy_reference(
    mode: str, size: tuple[int, int], k: int, s: int, padding: str, fmt: str
) -> None:
    x = _input(_channels(2, size, fmt))
    layer = (MAX if mode == "max" else AVG)[2](k, s, padding, fmt)
    expected = ref.pool(x, mode, (k, k), (s, s), padding, fmt)
    np.testing.assert_allclose(
        layer(torch.from_numpy(x)).numpy(), expected, rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize(
    ("rank", "spatial", "k", "s", "padding"),
    [
        (1, (10,), (3,), (2,), "same"),
        (1, (9,), (2,), (1,), "same"),
        (1, (9,), (4,), (3,), "valid"),
        (3, (5, 6, 7), (2, 3, 2), (2, 1, 2), "same"),
        (3, (6, 6, 6), (3, 3, 3), (2, 2, 2), "same"),
        (3, (4, 5, 6), (2, 2, 3), (1, 2, 3), "valid"),
    ],
)
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_1d_and_3d_match_numpy_reference(
    mode: str, rank: int, spatial: tuple[int, ...], k: tuple[int, ...],
    s: tuple[int, ...], padding: str, fmt: str,
) -> None:  # fmt: skip
    x = _input(_channels(rank, spatial, fmt), seed=rank)
    layer = (MAX if mode == "max" else AVG)[rank](k, s, padding, fmt)
    expected = ref.pool(x, mode, k, s, padding, fmt)
    np.testing.assert_allclose(
        layer(torch.from_numpy(x)).numpy(), expected, rtol=RTOL, atol=ATOL
    )


@given(
    n=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 5),
    padding=st.sampled_from(["valid", "same"]), mode=st.sampled_from(["max", "average"]),
)  # fmt: skip
def test_1d_op_matches_reference_for_any_size(
    n: int, k: int, s: int, padding: str, mode: str
) -> None:
    if padding == "valid" and n < k:
        return
    x = _input((2, n, 2))
    got = pool(torch.from_numpy(x), mode, (k,), (s,), padding, "channels_last")  # type: ignore[arg-type]
    np.testing.assert_allclose(
        got.numpy(), ref.pool(x, mode, (k,), (s,), padding), rtol=RTOL, atol=ATOL
    )


def test_same_padding_never_lets_padding_win_or_count() -> None:
    x = -torch.ones(1, 5, 1)  # every value below the zero a constant pad would add
    assert layers.MaxPooling1D(2, padding="same")(x).flatten().tolist() == [-1.0] * 3
    ramp = torch.tensor([[0.0], [3.0], [6.0], [9.0]])[None]  # (1, 4, 1)
    # pool 3, stride 2 on 4 cells pads (0, 1): windows [0, 3, 6] and [6, 9, pad].
    out = layers.AveragePooling1D(3, strides=2, padding="same")(ramp)
    assert out.flatten().tolist() == [3.0, 7.5]


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_global_pooling_matches_numpy_reference(
    mode: str, fmt: str, keepdims: bool, rank: int
) -> None:
    x = _input(_channels(rank, (3, 4, 5)[:rank], fmt))
    cls = getattr(
        layers, f"Global{'Max' if mode == 'max' else 'Average'}Pooling{rank}D"
    )
    got = cls(data_format=fmt, keepdims=keepdims)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(
        got, ref.global_pool(x, mode, fmt, keepdims), rtol=RTOL, atol=ATOL
    )


# ---------------------------------------------------------------- gradients


@pytest.fixture
def one_thread() -> Any:
    """gradcheck makes hundreds of calls on tiny tensors: thread wake-ups dominate."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize(
    ("rank", "spatial", "k", "s", "padding", "fmt"),
    [
        (2, (5, 6), 3, 2, "same", "channels_last"),
        (2, (6, 6), 3, 2, "same", "channels_last"),
        (2, (5, 5), 2, 1, "same", "channels_first"),
        (2, (6, 7), 2, 2, "valid", "channels_last"),
        (1, (7,), 2, 1, "same", "channels_last"),
        (1, (8,), 3, 2, "same", "channels_first"),
        (3, (4, 5, 3), 2, 2, "same", "channels_last"),
    ],
)
@pytest.mark.usefixtures("one_thread")
def test_gradcheck_float64(
    mode: str,
    rank: int,
    spatial: tuple[int, ...],
    k: int,
    s: int,
    padding: str,
    fmt: str,
) -> None:
    cls = (MAX if mode == "max" else AVG)[rank]
    layer = cls(k, s, padding, fmt, dtype="float64")
    shape = (2, *spatial, 2) if fmt == "channels_last" else (2, 2, *spatial)
    # Well-separated values: a finite-difference step never changes which cell is max.
    values = np.random.default_rng(1).permutation(np.prod(shape)).reshape(shape)
    x = torch.tensor(values * 0.1, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-6)


# ---------------------------------------------------------------- shapes and layout


@given(
    rank=st.integers(1, 3),
    sizes=st.lists(st.integers(1, 9), min_size=3, max_size=3),
    pools=st.lists(st.integers(1, 4), min_size=3, max_size=3),
    strides=st.lists(st.integers(1, 4), min_size=3, max_size=3),
    padding=st.sampled_from(["valid", "same"]),
    fmt=st.sampled_from(["channels_last", "channels_first"]),
    mode=st.sampled_from(["max", "average"]),
)
def test_compute_output_shape_equals_real_shape(
    rank: int, sizes: list[int], pools: list[int], strides: list[int],
    padding: str, fmt: str, mode: str,
) -> None:  # fmt: skip
    layer = (MAX if mode == "max" else AVG)[rank](
        tuple(pools[:rank]), tuple(strides[:rank]), padding, fmt
    )
    shape = _channels(rank, tuple(sizes[:rank]), fmt)
    fits = all(n >= k for n, k in zip(sizes[:rank], pools[:rank]))
    if padding == "valid" and not fits:
        with pytest.raises(
            IncompatibleShapeError, match="every pooling window must fit"
        ):
            layer.compute_output_shape(shape)
        return
    predicted = layer.compute_output_shape((None, *shape[1:]))
    real = layer(torch.zeros(shape)).shape
    assert predicted == (None, *real[1:])


def test_none_dimensions_pass_through() -> None:
    layer = layers.MaxPooling2D(3, 2, "same")
    assert layer.compute_output_shape((None, None, 9, 4)) == (None, None, 5, 4)
    gap = layers.GlobalAveragePooling2D(keepdims=True)
    assert gap.compute_output_shape((None, None, None, 4)) == (None, 1, 1, 4)


@pytest.mark.parametrize(
    "layer",
    [
        layers.MaxPooling2D(),
        layers.MaxPooling2D(3, 2, "same"),
        layers.AveragePooling2D(2),
        layers.AveragePooling2D(3, 2, "same"),
        layers.MaxPooling1D(2),
        layers.AveragePooling1D(3, 2, "same"),
        layers.MaxPooling3D(2),
    ],
    ids=lambda layer: f"{type(layer).__name__}-{layer.padding}",
)
def test_channels_last_output_is_contiguous_view(layer: Any) -> None:
    """The NHWC result comes straight from torch's channels_last kernel: no copy."""
    rank = layer.rank
    x = torch.randn(2, *(8,) * rank, 16)
    y = layer(x)
    assert y.is_contiguous()
    # The channels-first view of the result is torch's channels_last format.
    if rank == 2:
        assert y.movedim(-1, 1).is_contiguous(memory_format=torch.channels_last)


def test_channels_last_max_pooling_2d_reads_input_without_copy() -> None:
    x = torch.randn(2, 8, 8, 16, requires_grad=True)
    y = layers.MaxPooling2D()(x)
    y.sum().backward()
    assert y.is_contiguous()
    assert x.grad is not None
    assert x.grad.is_contiguous()


# ---------------------------------------------------------------- contract harness


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape", "expected"),
    [
        (layers.MaxPooling1D, {}, (2, 8, 3), (2, 4, 3)),
        (layers.MaxPooling2D, {"padding": "same"}, (2, 5, 5, 3), (2, 3, 3, 3)),
        (layers.MaxPooling3D, {}, (2, 4, 4, 4, 3), (2, 2, 2, 2, 3)),
        (layers.AveragePooling1D, {"pool_size": 3}, (2, 9, 3), (2, 3, 3)),
        (
            layers.AveragePooling2D,
            {"pool_size": 2, "data_format": "channels_first"},
            (2, 3, 6, 6),
            (2, 3, 3, 3),
        ),
        (layers.AveragePooling3D, {"pool_size": 2}, (2, 4, 4, 4, 3), (2, 2, 2, 2, 3)),
        (layers.GlobalMaxPooling1D, {}, (2, 5, 3), (2, 3)),
        (layers.GlobalMaxPooling2D, {"keepdims": True}, (2, 5, 5, 3), (2, 1, 1, 3)),
        (layers.GlobalMaxPooling3D, {}, (2, 3, 3, 3, 4), (2, 4)),
        (layers.GlobalAveragePooling1D, {}, (2, 5, 3), (2, 3)),
        (layers.GlobalAveragePooling2D, {}, (2, 5, 5, 3), (2, 3)),
        (
            layers.GlobalAveragePooling3D,
            {"keepdims": True},
            (2, 3, 3, 3, 4),
            (2, 1, 1, 1, 4),
        ),
    ],
)
def test_layer_contract(
    cls: Any, kwargs: dict[str, Any], shape: Any, expected: Any
) -> None:
    run_layer_test(
        cls, kwargs, input_shape=shape, expected_output_shape=expected,
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
    )  # fmt: skip


def test_from_config_round_trip() -> None:
    layer = layers.AveragePooling2D((3, 2), strides=(2, 1), padding="SAME", name="avg")
    clone = layers.AveragePooling2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.padding == "same"
