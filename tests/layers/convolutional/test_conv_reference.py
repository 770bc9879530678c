"""Convolution layers against the float64 NumPy references, and float64 gradchecks.

Tolerances: float32 layer outputs vs the float64 reference ``rtol=5e-4, atol=1e-5``
(conv is a reduction). Gradients: ``torch.autograd.gradcheck`` in float64 with its
default tolerances, through the layer (``dtype="float64"``) with respect to the
input, the kernel(s) and the bias.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers
from reference import conv as ref

RTOL, ATOL = 5e-4, 1e-5
CL, CF = "channels_last", "channels_first"


def _random_weights(layer: Any, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = [
        rng.standard_normal(w.shape).astype("float32") * 0.5
        for w in layer.get_weights()
    ]
    layer.set_weights(weights)
    return [w.astype("float64") for w in weights]


def _input(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


CONV_TABLE = [
    # (cls, kwargs, input shape)
    (layers.Conv1D, {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 10, 2)),
    (layers.Conv1D, {"filters": 3, "kernel_size": 2, "padding": "causal", "strides": 3}, (2, 10, 2)),
    (layers.Conv1D, {"filters": 4, "kernel_size": 4, "padding": "same", "strides": 2, "groups": 2}, (2, 9, 4)),
    (layers.Conv1D, {"filters": 3, "kernel_size": 3, "padding": "same", "data_format": CF}, (2, 2, 7)),
    (layers.Conv2D, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 2)),
    (layers.Conv2D, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 8, 6, 2)),
    (layers.Conv2D, {"filters": 3, "kernel_size": 4, "padding": "same"}, (2, 6, 7, 2)),
    (layers.Conv2D, {"filters": 3, "kernel_size": (2, 3), "dilation_rate": 2}, (2, 7, 8, 2)),
    (layers.Conv2D, {"filters": 4, "kernel_size": 3, "groups": 4, "padding": "same"}, (1, 5, 5, 4)),
    (layers.Conv2D, {"filters": 4, "kernel_size": 3, "strides": (2, 1), "groups": 2, "data_format": CF}, (2, 4, 7, 6)),
    (layers.Conv3D, {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"}, (1, 3, 4, 5, 2)),
    (layers.Conv3D, {"filters": 2, "kernel_size": 3, "dilation_rate": (1, 2, 1), "data_format": CF}, (1, 2, 4, 6, 4)),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CONV_TABLE)
def test_conv_matches_reference(
    cls: type, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    layer = cls(**kwargs)
    x = _input(shape)
    layer(x)
    kernel, bias = _random_weights(layer)
    expected = ref.conv(
        x,
        kernel,
        layer.strides,
        layer.padding,
        layer.dilation_rate,
        layer.data_format,
        bias,
    )
    np.testing.assert_allclose(
        layer(x).detach().numpy(), expected, rtol=RTOL, atol=ATOL
    )


TRANSPOSE_TABLE = [
    (layers.Conv2DTranspose, {"filters": 3, "kernel_size": k, "strides": 2, "padding": p}, (2, 4, 5, 2))
    for k in (1, 2, 3, 4, 5)
    for p in ("valid", "same")
] + [
    (layers.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 3, "padding": "same", "output_padding": 2}, (1, 3, 3, 2)),
    (layers.Conv2DTranspose, {"filters": 3, "kernel_size": 4, "strides": 2, "output_padding": 1}, (1, 3, 3, 2)),
    (layers.Conv2DTranspose, {"filters": 3, "kernel_size": 2, "strides": 3, "padding": "same", "output_padding": 1}, (1, 3, 4, 2)),
    (layers.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (1, 4, 4, 2)),
    (layers.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "data_format": CF}, (1, 2, 4, 5)),
    (layers.Conv1DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 6, 2)),
    (layers.Conv1DTranspose, {"filters": 3, "kernel_size": 5, "strides": 4, "output_padding": 3}, (2, 4, 2)),
    (layers.Conv3DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (1, 2, 3, 2, 2)),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "shape"), TRANSPOSE_TABLE)
def test_conv_transpose_matches_reference(
    cls: type, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    layer = cls(**kwargs)
    x = _input(shape)
    layer(x)
    kernel, bias = _random_weights(layer)
    expected = ref.conv_transpose(
        x, kernel, layer.strides, layer.padding, layer.output_padding,
        layer.dilation_rate, layer.data_format, bias,
    )  # fmt: skip
    got = layer(x).detach().numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def test_ops_conv_transpose_pads_zeros_beyond_what_torch_allows() -> None:
    # output_padding >= stride is refused by torch (and by the layers); the functional
    # op still follows Keras' crop rule, a negative crop being zeros (then the bias).
    from cnnkit._kernels.conv import conv_transpose

    x = _input((1, 4, 3))
    kernel = np.random.default_rng(2).standard_normal((3, 2, 3)).astype("float32")
    bias = np.array([0.5, -1.0], dtype="float32")
    got = conv_transpose(
        torch.from_numpy(x), torch.from_numpy(kernel), 2, "valid", 3,
        bias=torch.from_numpy(bias),
    )  # fmt: skip
    expected = ref.conv_transpose(x, kernel, (2,), "valid", (3,), (1,), bias=bias)
    assert got.shape == expected.shape == (1, 12, 2)
    np.testing.assert_allclose(got.numpy(), expected, rtol=RTOL, atol=ATOL)


DEPTHWISE_TABLE = [
    (layers.DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2, "padding": "same", "strides": 2}, (2, 9, 3)),
    (layers.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2, "padding": "same", "strides": 2}, (2, 7, 6, 3)),
    (layers.DepthwiseConv2D, {"kernel_size": 2, "depth_multiplier": 3, "dilation_rate": 2, "data_format": CF}, (1, 2, 6, 6)),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "shape"), DEPTHWISE_TABLE)
def test_depthwise_matches_reference(
    cls: type, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    layer = cls(**kwargs)
    x = _input(shape)
    layer(x)
    kernel, bias = _random_weights(layer)
    expected = ref.depthwise_conv(
        x,
        kernel,
        layer.strides,
        layer.padding,
        layer.dilation_rate,
        layer.data_format,
        bias,
    )
    np.testing.assert_allclose(
        layer(x).detach().numpy(), expected, rtol=RTOL, atol=ATOL
    )


def test_depthwise_output_channel_order_is_channel_major() -> None:
    # Output channel c*m + j comes from input channel c (Keras), not j*C + c.
    layer = layers.DepthwiseConv2D(1, depth_multiplier=2, use_bias=False)
    x = np.zeros((1, 1, 1, 3), dtype="float32")
    x[..., 1] = 1.0
    layer(x)
    kernel = np.arange(6, dtype="float32").reshape(1, 1, 3, 2) + 1  # kernel[c, j]
    layer.set_weights([kernel])
    assert layer(x).detach()[0, 0, 0].tolist() == [0.0, 0.0, 3.0, 4.0, 0.0, 0.0]


SEPARABLE_TABLE = [
    (layers.SeparableConv1D, {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, (2, 8, 3)),
    (layers.SeparableConv2D, {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}, (2, 7, 6, 3)),
    (layers.SeparableConv2D, {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "data_format": CF}, (1, 3, 6, 5)),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "shape"), SEPARABLE_TABLE)
def test_separable_matches_reference(
    cls: type, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    layer = cls(**kwargs)
    x = _input(shape)
    layer(x)
    depthwise, pointwise, bias = _random_weights(layer)
    expected = ref.separable_conv(
        x, depthwise, pointwise, layer.strides, layer.padding, layer.dilation_rate,
        layer.data_format, bias,
    )  # fmt: skip
    np.testing.assert_allclose(
        layer(x).detach().numpy(), expected, rtol=RTOL, atol=ATOL
    )


def test_same_padding_puts_the_extra_pixel_bottom_right() -> None:
    # k=3, s=2 on 4x4: TF pads (0, 1), so the first window starts at x[0, 0]; torch's
    # symmetric padding=1 would start it at x[-1, -1].
    layer = layers.Conv2D(1, 3, strides=2, padding="same", use_bias=False)
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    layer(x)
    layer.set_weights([np.ones((3, 3, 1, 1), dtype="float32")])
    expected = ref.conv(x, np.ones((3, 3, 1, 1)), (2, 2), "same", (1, 1))
    np.testing.assert_allclose(
        layer(x).detach().numpy(), expected, rtol=1e-6, atol=1e-6
    )
    assert layer(x).detach()[0, 0, 0, 0].item() == 0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10


def test_causal_output_never_sees_the_future() -> None:
    layer = layers.Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = _input((1, 12, 2))
    before = layer(x).detach().numpy()
    x[:, 7:] += 10.0  # change only the future of step 6
    after = layer(x).detach().numpy()
    np.testing.assert_array_equal(before[:, :7], after[:, :7])
    assert not np.allclose(before[:, 7:], after[:, 7:])


# ---------------------------------------------------------------------- gradients

GRAD_TABLE = [
    (layers.Conv1D, {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 6, 2)),
    (layers.Conv2D, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 4, 2)),
    (layers.Conv2D, {"filters": 4, "kernel_size": 2, "groups": 2, "data_format": CF}, (1, 4, 4, 3)),
    (layers.Conv3D, {"filters": 2, "kernel_size": 2, "padding": "same"}, (1, 3, 3, 2, 2)),
    (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (1, 3, 3, 2)),
    (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"}, (1, 3, 3, 2)),
    (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 1, "strides": 2}, (1, 3, 2, 2)),
    (layers.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 3, 2)),
    (layers.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}, (1, 5, 4, 2)),
    (layers.DepthwiseConv1D, {"kernel_size": 2, "depth_multiplier": 2, "data_format": CF}, (1, 2, 5)),
    (layers.SeparableConv2D, {"filters": 2, "kernel_size": 2, "depth_multiplier": 2, "padding": "same"}, (1, 4, 3, 2)),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "shape"), GRAD_TABLE)
def test_gradcheck_float64(
    cls: type, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    layer = cls(dtype="float64", **kwargs)
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    layer(x)
    names = [v.attr for v in layer.weights]
    params = tuple(
        torch.randn(v.shape, dtype=torch.float64, requires_grad=True)
        for v in layer.weights
    )

    def forward(inputs: torch.Tensor, *weights: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(layer, dict(zip(names, weights)), (inputs,))

    assert torch.autograd.gradcheck(forward, (x, *params))
