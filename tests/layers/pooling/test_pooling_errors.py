"""Every error a pooling layer raises, with the words that make it useful."""

from __future__ import annotations

import pytest
import torch

import cnnkit
from cnnkit import layers
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError


def test_bad_pool_size_names_the_argument() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`pool_size` must be an int or a tuple of 2"
    ):
        layers.MaxPooling2D(pool_size=(2, 2, 2))
    with pytest.raises(
        InvalidArgumentError, match=r"`pool_size` values must be positive"
    ):
        layers.AveragePooling1D(pool_size=0)


def test_bad_strides_names_the_argument() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`strides` values must be positive"
    ):
        layers.MaxPooling2D(strides=0)
    with pytest.raises(InvalidTypeError, match=r"`strides` must be an int"):
        layers.MaxPooling3D(strides="2")


def test_bad_padding_lists_the_options() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"\['valid', 'same'\].*padding='full'"
    ):
        layers.MaxPooling2D(padding="full")


def test_bad_data_format_lists_the_options() -> None:
    with pytest.raises(InvalidArgumentError, match="channels_last"):
        layers.GlobalMaxPooling2D(data_format="NHWC")


def test_keepdims_must_be_bool() -> None:
    with pytest.raises(InvalidTypeError, match=r"`keepdims` must be True or False"):
        layers.GlobalAveragePooling2D(keepdims="yes")


def test_window_larger_than_input_is_a_teaching_error() -> None:
    inputs = cnnkit.Input((3, 3, 16))
    with pytest.raises(IncompatibleShapeError) as info:
        layers.MaxPooling2D(pool_size=(5, 5), name="pool")(inputs)
    message = str(info.value)
    assert "MaxPooling2D 'pool'" in message  # who
    assert "(None, 3, 3, 16)" in message  # the full shape received
    assert "pool_size=(5, 5)" in message
    assert "padding='valid'" in message
    assert "every pooling window must fit" in message  # rule
    assert "padding='same'" in message.split("must fit")[1]  # fix


def test_smaller_input_on_a_later_call_is_a_teaching_error() -> None:
    layer = layers.AveragePooling2D(4)
    layer(torch.zeros(1, 8, 8, 2))
    with pytest.raises(
        IncompatibleShapeError, match=r"\(1, 3, 8, 2\).*must fit inside"
    ):
        layer(torch.zeros(1, 3, 8, 2))


def test_wrong_rank_is_reported_by_the_input_spec() -> None:
    with pytest.raises(IncompatibleShapeError, match=r"expected ndim=4, found ndim=3"):
        layers.MaxPooling2D()(torch.zeros(28, 28, 1))
    with pytest.raises(IncompatibleShapeError, match=r"expected ndim=3, found ndim=4"):
        layers.GlobalMaxPooling1D()(torch.zeros(2, 4, 4, 1))
