"""Every ``raise`` of the convolution layers and ops, with the message it teaches."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers, models
from cnnkit._kernels import conv as conv_ops
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError


def _zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape, dtype="float32")


# ---------------------------------------------------------------------- constructor


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.Conv2D(0, 3), r"`filters` must be a positive integer; received filters=0"),
        (lambda: layers.Conv1D(-4, 3), r"`filters` must be a positive integer; received filters=-4"),
        (lambda: layers.Conv2DTranspose(0, 3), r"`filters` must be a positive integer"),
        (lambda: layers.SeparableConv2D(0, 3), r"`filters` must be a positive integer"),
        (lambda: layers.Conv2D(8, 3, groups=0), r"`groups` must be a positive integer; received groups=0"),
        (lambda: layers.Conv2D(6, 3, groups=4), r"`filters` must be divisible by `groups`.*filters=6, groups=4.*multiple of 4"),
        (lambda: layers.Conv2D(8, 0), r"`kernel_size` values must be positive; received kernel_size=0"),
        (lambda: layers.Conv3D(8, (3, 0, 3)), r"`kernel_size` values must be positive"),
        (lambda: layers.Conv2D(8, 3, strides=(1, 0)), r"`strides` values must be positive; received strides=\(1, 0\)"),
        (lambda: layers.DepthwiseConv2D(3, strides=0), r"`strides` values must be positive"),
        (lambda: layers.Conv2DTranspose(8, 0), r"`kernel_size` values must be positive"),
        (lambda: layers.Conv2D(8, 3, strides=2, dilation_rate=2), r"Conv2D cannot combine `strides` > 1 with `dilation_rate` > 1; received strides=\(2, 2\), dilation_rate=\(2, 2\)\. Use strides=1"),
        (lambda: layers.Conv1D(8, 3, strides=2, dilation_rate=2), r"Conv1D cannot combine `strides` > 1"),
        (lambda: layers.Conv2DTranspose(8, 3, strides=(2, 1), dilation_rate=(1, 2)), r"Conv2DTranspose cannot combine"),
        (lambda: layers.Conv2DTranspose(8, 3, strides=2, output_padding=2), r"Each `output_padding` value must be smaller than the matching `strides` value.*output_padding=\(2, 2\), strides=\(2, 2\)"),
        (lambda: layers.Conv1DTranspose(8, 3, output_padding=1), r"`output_padding` value must be smaller"),
        (lambda: layers.Conv2DTranspose(8, 3, strides=2, output_padding=-1), r"`output_padding` values must be non-negative"),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), r"`depth_multiplier` must be a positive integer; received depth_multiplier=0"),
        (lambda: layers.SeparableConv1D(4, 3, depth_multiplier=0), r"`depth_multiplier` must be a positive integer"),
        (lambda: layers.Conv2D(8, 3, padding="causal"), r"padding='causal' is only supported by Conv1D.*Conv2D takes one of \['valid', 'same'\]"),
        (lambda: layers.Conv1DTranspose(8, 3, padding="causal"), r"padding='causal' is only supported by Conv1D"),
        (lambda: layers.Conv2D(8, 3, padding="full"), r"`padding` must be one of \['valid', 'same'\]; received padding='full'"),
        (lambda: layers.Conv1D(8, 3, padding="full"), r"`padding` must be one of \['valid', 'same', 'causal'\]"),
        (lambda: layers.Conv2D(8, 3, data_format="NHWC"), r"`data_format` must be one of"),
    ],
)  # fmt: skip
def test_invalid_arguments(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_argument_errors_are_cnnkit_errors_and_value_errors() -> None:
    with pytest.raises(InvalidArgumentError):
        layers.Conv2D(6, 3, groups=4)


def test_padding_is_case_insensitive_like_keras() -> None:
    assert layers.Conv2D(4, 3, padding="SAME").padding == "same"
    assert layers.Conv1D(4, 3, padding="Causal").padding == "causal"


# ---------------------------------------------------------------------- build time


def test_impossible_shape_in_a_sequential_names_layer_position_shape_rule_and_fix() -> (
    None
):
    model = models.Sequential(name="seq_errors")
    model.add(layers.Input((11, 11, 1)))
    model.add(layers.Conv2D(8, 3))  # -> 9x9
    model.add(layers.Conv2D(16, 3, strides=3))  # -> 3x3
    bad = layers.Conv2D(32, (5, 5), name="conv2d_bad")
    expected = (
        "Conv2D 'conv2d_bad' (layer 3 of Sequential 'seq_errors') cannot process input "
        "of shape (None, 3, 3, 16): with kernel_size=(5, 5), strides=(1, 1), "
        "padding='valid' the output height and width would be -1. Use padding='same', "
        "a smaller kernel_size, or remove an earlier pooling layer."
    )
    with pytest.raises(IncompatibleShapeError, match=re.escape(expected)):
        model.add(bad)
    assert not bad.weights  # failed before creating weights


@pytest.mark.parametrize(
    ("layer", "shape", "match"),
    [
        (lambda: layers.Conv2D(4, 3, dilation_rate=3), (2, 8, 6, 3),
         r"dilation_rate=\(3, 3\) the output width would be 0\. Use padding='same', a smaller kernel_size or dilation_rate"),
        (lambda: layers.Conv2D(4, (5, 2)), (2, 3, 4, 3),
         r"the output height would be -1\. "),
        (lambda: layers.Conv2D(4, (5, 6)), (2, 4, 4, 3),
         r"the output height would be 0 and the output width would be -1\. "),
        (lambda: layers.Conv1D(4, 7), (2, 5, 3), r"Conv1D '.*' cannot process input of shape \(2, 5, 3\): .*the output length would be -1"),
        (lambda: layers.Conv3D(4, 3, data_format="channels_first"), (1, 2, 2, 5, 5), r"the output depth would be 0"),
        (lambda: layers.DepthwiseConv2D(5), (1, 4, 4, 3), r"DepthwiseConv2D .* the output height and width would be 0"),
        (lambda: layers.SeparableConv1D(4, 5), (1, 3, 3), r"SeparableConv1D .* the output length would be -1"),
        (lambda: layers.Conv2D(8, 3, groups=2), (2, 8, 8, 3),
         r"input of shape \(2, 8, 8, 3\): with groups=2 the 3 input channels cannot be split into 2 equal groups\. Use a `groups` value that divides 3 \(one of \[1, 3\]\)"),
    ],
)  # fmt: skip
def test_build_shape_errors(layer: Any, shape: tuple[int, ...], match: str) -> None:
    with pytest.raises(IncompatibleShapeError, match=match):
        layer()(_zeros(*shape))


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape", "example"),
    [
        (layers.Conv2D, {"filters": 4, "kernel_size": 3}, (None, 8, 8, None), r"Input\(\(None, None, 3\)\)"),
        (layers.Conv2DTranspose, {"filters": 4, "kernel_size": 3, "data_format": "channels_first"}, (None, None, 8, 8), r"Input\(\(3, None, None\)\)"),
        (layers.DepthwiseConv2D, {"kernel_size": 3}, (None, 8, 8, None), r"Input"),
        (layers.SeparableConv2D, {"filters": 4, "kernel_size": 3}, (None, 8, 8, None), r"Input"),
    ],
)  # fmt: skip
def test_unknown_channel_count_cannot_size_the_kernel(
    cls: type, kwargs: dict[str, Any], shape: tuple[Any, ...], example: str
) -> None:
    with pytest.raises(
        IncompatibleShapeError,
        match=r"the channel axis must have a known size.*" + example,
    ):
        cls(**kwargs).build(shape)


def test_channel_count_is_fixed_after_build() -> None:
    layer = layers.Conv2D(4, 3)
    layer(_zeros(1, 5, 5, 3))
    with pytest.raises(
        IncompatibleShapeError, match=r"expected axis -1 of input shape to have value 3"
    ):
        layer(_zeros(1, 5, 5, 4))


# ---------------------------------------------------------------------- rank hints


@pytest.mark.parametrize(
    ("layer", "shape", "hint"),
    [
        (lambda: layers.Conv2D(8, 3), (2, 28, 28),
         "Conv2D expects 4-D input (batch, height, width, channels); add the channel axis: `x = x.reshape((-1, 28, 28, 1))` or `x[..., None]`"),
        (lambda: layers.Conv2D(8, 3, data_format="channels_first"), (2, 28, 28),
         "Conv2D expects 4-D input (batch, channels, height, width); add the channel axis: `x = x.reshape((-1, 1, 28, 28))` or `x[:, None]`"),
        (lambda: layers.Conv1D(8, 3), (2, 100),
         "Conv1D expects 3-D input (batch, steps, channels); add the channel axis: `x = x.reshape((-1, 100, 1))` or `x[..., None]`"),
        (lambda: layers.Conv2D(8, 3), (28, 28, 1),
         "add the channel axis: `x = x.reshape((-1, 28, 1, 1))` or `x[..., None]`; if this is one sample, add the batch axis instead: `x[None]`"),
        (lambda: layers.Conv2D(8, 3), (2, 784),
         "Conv2D expects 4-D input (batch, height, width, channels), but the input has 2 axes; if these are flattened 28x28 grayscale images, reshape them: `x = x.reshape((-1, 28, 28, 1))`."),
        (lambda: layers.Conv2D(8, 3), (2, 10),
         "Conv2D expects 4-D input (batch, height, width, channels), but the input has 2 axes; reshape it to (batch, height, width, channels)."),
        (lambda: layers.Conv3D(8, 3), (2, 28),
         "Conv3D expects 5-D input (batch, depth, height, width, channels), but the input has 2 axes; reshape it to (batch, depth, height, width, channels)."),
        (lambda: layers.Conv1D(8, 3), (2, 28, 28, 1),
         "Conv1D expects 3-D input (batch, steps, channels), but the input has 4 axes; remove the extra axes, e.g. with a Reshape layer (for images use Conv2D)."),
        (lambda: layers.Conv2D(8, 3), (2, 5, 28, 28, 1),
         "but the input has 5 axes; remove the extra axes, e.g. with a Reshape layer (for volumes use Conv3D)."),
        (lambda: layers.Conv3D(8, 3), (2, 5, 5, 5, 5, 1),
         "but the input has 6 axes; remove the extra axes, e.g. with a Reshape layer."),
        (lambda: layers.DepthwiseConv2D(3), (2, 28, 28),
         "DepthwiseConv2D expects 4-D input (batch, height, width, channels); add the channel axis"),
        (lambda: layers.Conv2DTranspose(4, 3), (2, 7, 7),
         "Conv2DTranspose expects 4-D input (batch, height, width, channels); add the channel axis"),
    ],
)  # fmt: skip
def test_rank_errors_carry_the_conv_specific_fix(
    layer: Any, shape: tuple[int, ...], hint: str
) -> None:
    with pytest.raises(IncompatibleShapeError, match=re.escape(hint)):
        layer()(_zeros(*shape))


def test_rank_hint_with_unknown_sizes_offers_indexing_only() -> None:
    hint = layers.Conv2D(8, 3)._rank_hint(4, (None, None, None))
    assert hint == (
        "Conv2D expects 4-D input (batch, height, width, channels); add the channel "
        "axis: `x[..., None]`"
    )


def test_rank_error_in_a_functional_graph_uses_the_hint() -> None:
    with pytest.raises(
        IncompatibleShapeError, match=re.escape("`x = x.reshape((-1, 28, 28, 1))`")
    ):
        layers.Conv2D(8, 3)(layers.Input((28, 28)))


# ---------------------------------------------------------------------- functional ops


def test_ops_conv_rejects_channels_that_do_not_fit_the_kernel() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"The input has 5 channels, which is not a multiple of the kernel's 2 input channels",
    ):
        conv_ops.conv(torch.zeros(1, 6, 6, 5), torch.zeros(3, 3, 2, 4))


def test_ops_depthwise_rejects_a_kernel_for_other_channels() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"The input has 4 channels but the depthwise kernel of shape \(3, 3, 3, 1\) was made for 3",
    ):
        conv_ops.depthwise_conv(torch.zeros(1, 6, 6, 4), torch.zeros(3, 3, 3, 1))


def test_ops_conv_transpose_rejects_a_kernel_for_other_channels() -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=r"transposed-conv kernel of shape \(3, 3, 8, 2\) expects 2",
    ):
        conv_ops.conv_transpose(torch.zeros(1, 6, 6, 4), torch.zeros(3, 3, 8, 2))


def test_ops_reject_the_wrong_rank() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"A 2-D convolution needs 4-D inputs.*\(1, 6, 4\)"
    ):
        conv_ops.conv(torch.zeros(1, 6, 4), torch.zeros(3, 3, 4, 2))
