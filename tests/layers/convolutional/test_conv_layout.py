"""Memory layout on the hot path, and the layer contract harness for every conv layer.

channels_last activations must reach torch's conv as the NCHW *view* of the NHWC
tensor (torch's channels_last memory format, same storage) and come back as a
contiguous NHWC tensor, with no activation-sized copy on the way (DESIGN decision 2).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from cnnkit import _layout as layout
from cnnkit import layers
from cnnkit.testing import run_layer_test

_COPY_OPS = {
    "aten.clone.default",
    "aten.copy_.default",
    "aten._to_copy.default",
    "aten.contiguous",
}


class _RecordOps(TorchDispatchMode):
    """Record every aten op (name, output numel) and the inputs of each convolution."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[tuple[str, int]] = []
        self.conv_inputs: list[torch.Tensor] = []

    def __torch_dispatch__(
        self, func: Any, types: Any, args: Any = (), kwargs: Any = None
    ) -> Any:
        if str(func).startswith("aten.convolution"):
            self.conv_inputs.append(args[0])
        out = func(*args, **(kwargs or {}))
        numel = out.numel() if isinstance(out, torch.Tensor) else 0
        self.ops.append((str(func), numel))
        return out


def _record(layer: Any, x: torch.Tensor) -> tuple[torch.Tensor, _RecordOps]:
    layer(x)  # build outside the recording
    with torch.no_grad(), _RecordOps() as recorder:
        y = layer(x)
    return y, recorder


def test_channels_last_conv2d_consumes_the_nchw_view_and_returns_contiguous_nhwc() -> (
    None
):
    layer = layers.Conv2D(16, 3, activation="relu")
    x = torch.randn(4, 12, 12, 8)  # (B, H, W, C), contiguous
    y, recorder = _record(layer, x)

    assert y.is_contiguous()  # (B, H, W, C) contiguous
    assert layout.to_channels_first(y).is_contiguous(memory_format=torch.channels_last)
    (seen,) = recorder.conv_inputs
    assert seen.data_ptr() == x.data_ptr()  # the very same memory: a view, not a copy
    assert seen.is_contiguous(memory_format=torch.channels_last)
    copies = [(op, n) for op, n in recorder.ops if op in _COPY_OPS and n >= x.numel()]
    assert copies == []
    assert not any(op.startswith("aten.constant_pad_nd") for op, _ in recorder.ops)


def test_symmetric_same_padding_goes_to_torch_without_a_pad_copy() -> None:
    layer = layers.Conv2D(4, 3, padding="same")  # stride 1, odd kernel: pads (1, 1)
    x = torch.randn(2, 9, 9, 3)
    y, recorder = _record(layer, x)
    assert y.is_contiguous()
    assert not any(op.startswith("aten.constant_pad_nd") for op, _ in recorder.ops)
    assert recorder.conv_inputs[0].data_ptr() == x.data_ptr()


# (cls, kwargs, input shape, whether the padding is asymmetric and needs F.pad)
CONTIGUOUS_CASES = [
    (layers.Conv1D, {"filters": 4, "kernel_size": 3}, (2, 20, 3), False),
    (layers.Conv1D, {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 20, 3), True),
    (layers.Conv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 8, 8, 3), True),
    (layers.Conv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 9, 9, 3), False),
    (layers.Conv3D, {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 5, 6, 7, 3), False),
    (layers.Conv2DTranspose, {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 5, 5, 3), False),
    (layers.Conv2DTranspose, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 5, 3), False),
    (layers.Conv1DTranspose, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 6, 3), False),
    (layers.DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 9, 3), False),
    (layers.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 9, 9, 3), False),
    (layers.SeparableConv1D, {"filters": 4, "kernel_size": 3}, (2, 9, 3), False),
    (layers.SeparableConv2D, {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 9, 9, 3), False),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "shape", "asymmetric"), CONTIGUOUS_CASES)
def test_channels_last_output_is_contiguous(
    cls: type, kwargs: dict[str, Any], shape: tuple[int, ...], asymmetric: bool
) -> None:
    # Including 1-D layers (run as 2-D convs on a (B, C, 1, L) view) and the
    # transposed k=3, s=2 'same' crop, whose bias add materialises the cropped view.
    x = torch.randn(shape)
    y, recorder = _record(cls(**kwargs), x)
    assert y.is_contiguous()
    copies = [(op, n) for op, n in recorder.ops if op in _COPY_OPS and n >= x.numel()]
    assert copies == []
    pads = [op for op, _ in recorder.ops if op.startswith("aten.constant_pad_nd")]
    seen = recorder.conv_inputs[0]
    if asymmetric:
        # TF's asymmetric padding costs exactly one F.pad, which keeps channels_last.
        assert len(pads) == 1
        assert seen.is_contiguous(memory_format=torch.channels_last)
    else:
        assert pads == []
        assert seen.data_ptr() == x.data_ptr()


def test_channels_first_input_is_passed_through_untouched() -> None:
    layer = layers.Conv2D(4, 3, data_format="channels_first")
    x = torch.randn(2, 3, 8, 8)
    y, recorder = _record(layer, x)
    assert y.is_contiguous()
    assert recorder.conv_inputs[0].data_ptr() == x.data_ptr()


# ---------------------------------------------------------------------- contract

CONTRACT = [
    (layers.Conv1D, {"filters": 4, "kernel_size": 3, "padding": "causal"}, (2, 10, 3), (2, 10, 4), 2),
    (layers.Conv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}, (2, 7, 7, 3), (2, 4, 4, 4), 2),
    (layers.Conv3D, {"filters": 4, "kernel_size": 2, "use_bias": False}, (2, 3, 4, 5, 2), (2, 2, 3, 4, 4), 1),
    (layers.Conv1DTranspose, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 3), (2, 10, 4), 2),
    (layers.Conv2DTranspose, {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 4, 4, 3), (2, 9, 9, 4), 2),
    (layers.Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": 2, "data_format": "channels_first"}, (2, 3, 2, 2, 2), (2, 2, 4, 4, 4), 2),
    (layers.DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 9, 3), (2, 7, 6), 2),
    (layers.DepthwiseConv2D, {"kernel_size": 3, "padding": "same"}, (2, 6, 6, 3), (2, 6, 6, 3), 2),
    (layers.SeparableConv1D, {"filters": 4, "kernel_size": 3}, (2, 9, 3), (2, 7, 4), 3),
    (layers.SeparableConv2D, {"filters": 4, "kernel_size": 3, "depth_multiplier": 2}, (2, 6, 6, 3), (2, 4, 4, 4), 3),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "shape", "expected", "trainable"), CONTRACT)
def test_layer_contract(
    cls: type,
    kwargs: dict[str, Any],
    shape: tuple[int, ...],
    expected: tuple[int, ...],
    trainable: int,
) -> None:
    run_layer_test(
        cls, kwargs, shape, expected_output_shape=expected,
        expected_num_trainable_weights=trainable, expected_num_non_trainable_weights=0,
    )  # fmt: skip


def test_exported_from_cnnkit_layers() -> None:
    from cnnkit.layers import convolutional

    for name in convolutional.__all__:
        assert getattr(layers, name) is getattr(convolutional, name)


def test_weights_are_stored_in_keras_layouts() -> None:
    shapes = {
        layers.Conv2D(8, 3, groups=2): [(3, 3, 2, 8), (8,)],
        layers.Conv2DTranspose(8, 3): [(3, 3, 8, 4), (8,)],
        layers.DepthwiseConv2D(3, depth_multiplier=2): [(3, 3, 4, 2), (8,)],
        layers.SeparableConv2D(8, 3, depth_multiplier=2): [
            (3, 3, 4, 2),
            (1, 1, 8, 8),
            (8,),
        ],
    }
    for layer, expected in shapes.items():
        layer(torch.zeros(1, 5, 5, 4))
        assert [tuple(w.shape) for w in layer.get_weights()] == expected


def test_glorot_uniform_uses_keras_receptive_field_fans() -> None:
    # Conv2D(32, 3) on 1 channel: limit sqrt(6 / (9 * 1 + 9 * 32)) = 0.1421 (KERAS_SPEC §1.4).
    layer = layers.Conv2D(32, 3)
    layer(torch.zeros(1, 8, 8, 1))
    kernel = layer.get_weights()[0]
    assert abs(kernel).max() <= 0.14214
    assert abs(kernel).max() > 0.12
    assert (layer.get_weights()[1] == 0).all()
