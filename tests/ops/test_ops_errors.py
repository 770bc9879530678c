"""Every message ``cnnkit.ops`` raises, called as user code would."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit import ops


def test_one_hot_needs_a_positive_class_count() -> None:
    with pytest.raises(
        ValueError, match=r"`num_classes` must be a positive int.*num_classes=0"
    ):
        ops.one_hot([0, 1], 0)


def test_one_hot_of_an_unknown_label_is_a_row_of_zeros() -> None:
    assert ops.one_hot([1, 3], 2).tolist() == [[0.0, 1.0], [0.0, 0.0]]


def test_strings_are_not_tensors() -> None:
    with pytest.raises(
        TypeError, match="needs numeric data; received an array of dtype <U1"
    ):
        ops.convert_to_tensor(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="needs numbers; received str"):
        ops.convert_to_tensor("seven")


def test_unknown_dtype_names() -> None:
    with pytest.raises(
        ValueError, match=r"`dtype` must name a numeric dtype.*'floaty'"
    ):
        ops.cast([1.0], "floaty")


def test_squeeze_only_removes_size_one_axes() -> None:
    with pytest.raises(
        ValueError, match=r"squeeze: axis 1 has size 3 in shape \(1, 3\)"
    ):
        ops.squeeze(np.zeros((1, 3)), axis=1)


def test_resize_arguments() -> None:
    images = np.zeros((1, 8, 8, 1), dtype="float32")
    with pytest.raises(ValueError, match=r"`interpolation` must be one of .*'area'"):
        ops.image.resize(images, (4, 4), interpolation="area")
    with pytest.raises(
        ValueError, match=r"`size` must be \(height, width\); received size=\(4,\)"
    ):
        ops.image.resize(images, (4,))
    with pytest.raises(
        ValueError, match=r"must be 3-D .* or 4-D .*received shape \(8,\)"
    ):
        ops.image.resize(np.zeros(8, dtype="float32"), (4, 4))


def test_resize_channels_first_and_crop() -> None:
    images = np.random.default_rng(0).random((2, 3, 8, 6)).astype("float32")
    out = ops.image.resize(images, (4, 4), data_format="channels_first")
    assert tuple(out.shape) == (2, 3, 4, 4)
    cropped = ops.image.resize(
        images, (4, 4), crop_to_aspect_ratio=True, data_format="channels_first"
    )
    assert tuple(cropped.shape) == (2, 3, 4, 4)


def test_categorical_crossentropy_shapes_must_match() -> None:
    with pytest.raises(
        ValueError, match=r"must have the same shape; received \(2,\) and \(2, 3\)"
    ):
        ops.categorical_crossentropy(np.array([0.0, 1.0]), np.ones((2, 3)) / 3)
