"""Property tests: ``compute_output_shape`` equals the real output shape (or the
configuration is impossible and the teaching error says so), and configs round-trip."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from cnnkit import layers
from cnnkit._kernels.conv import padding_amounts
from cnnkit._kernels.shapes import same_padding
from cnnkit.errors import IncompatibleShapeError

CONV = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}
TRANSPOSE = {
    1: layers.Conv1DTranspose,
    2: layers.Conv2DTranspose,
    3: layers.Conv3DTranspose,
}
DEPTHWISE = {1: layers.DepthwiseConv1D, 2: layers.DepthwiseConv2D}
SEPARABLE = {1: layers.SeparableConv1D, 2: layers.SeparableConv2D}


@st.composite
def conv_setups(draw: Any, max_rank: int = 3) -> dict[str, Any]:
    rank = draw(st.integers(1, max_rank))
    sizes = st.integers(1, 9 if rank < 3 else 5)
    spatial = tuple(draw(sizes) for _ in range(rank))
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(rank))
    if draw(st.booleans()):
        strides, dilation = (
            tuple(draw(st.integers(1, 3)) for _ in range(rank)),
            (1,) * rank,
        )
    else:
        strides, dilation = (
            (1,) * rank,
            tuple(draw(st.integers(1, 3)) for _ in range(rank)),
        )
    paddings = ["valid", "same", "causal"] if rank == 1 else ["valid", "same"]
    return {
        "rank": rank, "spatial": spatial, "kernel_size": kernel, "strides": strides,
        "dilation_rate": dilation, "padding": draw(st.sampled_from(paddings)),
        "data_format": draw(st.sampled_from(["channels_last", "channels_first"])),
    }  # fmt: skip


def _shape(setup: dict[str, Any], channels: int) -> tuple[int, ...]:
    if setup["data_format"] == "channels_last":
        return (2, *setup["spatial"], channels)
    return (2, channels, *setup["spatial"])


def _check(layer: Any, shape: tuple[int, ...]) -> None:
    symbolic = (None, *shape[1:])
    try:
        predicted = layer.compute_output_shape(symbolic)
    except IncompatibleShapeError:
        predicted = None
    if predicted is None:
        # Impossible configuration: the real call fails with the same teaching error.
        with pytest.raises(
            IncompatibleShapeError, match=r"would be .*Use padding='same'"
        ):
            layer(torch.zeros(shape))
        return
    out = layer(torch.zeros(shape))
    assert tuple(predicted) == (None, *out.shape[1:])


@given(conv_setups(), st.sampled_from([(1, 2), (2, 2), (4, 2)]))
def test_conv_output_shape_property(
    setup: dict[str, Any], groups_channels: tuple[int, int]
) -> None:
    groups, per_group = groups_channels
    layer = CONV[setup.pop("rank")](
        filters=2 * groups, groups=groups,
        **{k: v for k, v in setup.items() if k != "spatial"},
    )  # fmt: skip
    _check(layer, _shape(setup, groups * per_group))


@given(conv_setups(max_rank=2), st.integers(1, 2))
def test_depthwise_and_separable_output_shape_property(
    setup: dict[str, Any], mult: int
) -> None:
    assume(setup["padding"] != "causal")
    rank = setup.pop("rank")
    kwargs = {k: v for k, v in setup.items() if k != "spatial"}
    _check(DEPTHWISE[rank](depth_multiplier=mult, **kwargs), _shape(setup, 3))
    _check(SEPARABLE[rank](4, depth_multiplier=mult, **kwargs), _shape(setup, 3))


@given(conv_setups(), st.data())
def test_conv_transpose_output_shape_property(setup: dict[str, Any], data: Any) -> None:
    assume(setup["padding"] != "causal")
    rank = setup.pop("rank")
    output_padding = None
    if data.draw(st.booleans()):
        output_padding = tuple(
            data.draw(st.integers(0, s - 1)) for s in setup["strides"]
        )
    layer = TRANSPOSE[rank](
        filters=3, output_padding=output_padding,
        **{k: v for k, v in setup.items() if k != "spatial"},
    )  # fmt: skip
    _check(layer, _shape(setup, 2))


@given(conv_setups())
def test_config_round_trip_property(setup: dict[str, Any]) -> None:
    rank = setup.pop("rank")
    setup.pop("spatial")
    layer = CONV[rank](filters=4, **setup)
    rebuilt = type(layer).from_config(layer.get_config())
    assert rebuilt.get_config() == layer.get_config()


@given(
    st.integers(1, 30), st.integers(1, 7), st.integers(1, 4), st.integers(1, 3),
)  # fmt: skip
def test_same_padding_amounts_follow_tensorflow(n: int, k: int, s: int, d: int) -> None:
    ((before, after),) = padding_amounts((n,), (k,), (s,), (d,), "same")
    assert (before, after) == same_padding(n, k, s, d)
    assert after - before in (0, 1)  # the extra pixel goes after
    k_eff = d * (k - 1) + 1
    assert (n + before + after - k_eff) // s + 1 == -(-n // s)
