"""``ops.einsum`` and ``ops.image.extract_patches`` against ``keras.ops``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cnnkit import ops
from cnnkit.errors import InvalidArgumentError

PATCH_CASES = [
    ((2, 28, 28, 1), {"size": 7}),
    ((2, 10, 11, 3), {"size": (3, 2), "strides": (2, 3), "padding": "same"}),
    ((10, 11, 3), {"size": 3, "strides": 1, "dilation_rate": 2}),
    ((2, 3, 10, 11), {"size": 3, "strides": 2, "padding": "same",
                      "data_format": "channels_first"}),
    ((2, 6, 7, 8, 2), {"size": (2, 3, 2)}),
    ((2, 6, 7, 8, 2), {"size": (2, 3, 2), "strides": (1, 2, 3), "padding": "same"}),
]  # fmt: skip


@pytest.mark.oracle
@pytest.mark.parametrize(("shape", "kwargs"), PATCH_CASES, ids=str)
def test_extract_patches_matches_keras(shape: tuple[int, ...], kwargs: Any) -> None:
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    expected = keras.ops.convert_to_numpy(keras.ops.image.extract_patches(x, **kwargs))
    got = ops.convert_to_numpy(ops.image.extract_patches(x, **kwargs))
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("subscripts", "shapes"),
    [("ij,jk->ik", [(3, 4), (4, 5)]), ("bij->bji", [(2, 3, 4)]),
     ("abc,cde->abde", [(2, 3, 4), (4, 2, 5)]), ("...i,i->...", [(2, 3, 4), (4,)])],
)  # fmt: skip
def test_einsum_matches_keras(subscripts: str, shapes: list[tuple[int, ...]]) -> None:
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=s).astype("float32") for s in shapes]
    expected = keras.ops.convert_to_numpy(keras.ops.einsum(subscripts, *arrays))
    got = ops.convert_to_numpy(ops.einsum(subscripts, *arrays))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_patches_of_a_digit_tile_the_image() -> None:
    image = np.arange(28 * 28, dtype="float32").reshape(1, 28, 28, 1)
    patches = ops.convert_to_numpy(ops.image.extract_patches(image, size=7))
    assert patches.shape == (1, 4, 4, 49)
    np.testing.assert_array_equal(
        patches[0, 1, 2].reshape(7, 7), image[0, 7:14, 14:21, 0]
    )


def test_einsum_errors() -> None:
    with pytest.raises(InvalidArgumentError, match=r"the first argument must be"):
        ops.einsum(np.ones(3), "i->")
    with pytest.raises(InvalidArgumentError, match=r"came with no operands"):
        ops.einsum("i->")


def test_extract_patches_errors() -> None:
    images = np.zeros((1, 8, 8, 1), "float32")
    with pytest.raises(InvalidArgumentError, match=r"`padding` must be 'valid'"):
        ops.image.extract_patches(images, size=2, padding="full")
    with pytest.raises(InvalidArgumentError, match=r"`size` must be a positive int"):
        ops.image.extract_patches(images, size=(2, 0))
    with pytest.raises(InvalidArgumentError, match=r"must be 3-D \(height, width"):
        ops.image.extract_patches(np.zeros((8, 8), "float32"), size=2)
