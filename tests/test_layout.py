"""``Layout``: one answer for the axes, shapes and tensor views of a ``data_format``."""

from __future__ import annotations

import io
import itertools

import pytest
import torch

from cnnkit._layout import (
    Layout,
    channel_axis_from_torch,
    channel_axis_to_torch,
    conv_input_to_torch,
    conv_output_from_torch,
    layout_of,
)
from cnnkit.errors import InvalidArgumentError

FORMATS = ("channels_last", "channels_first")
CASES = list(itertools.product(FORMATS, (1, 2, 3), (True, False)))


@pytest.mark.parametrize(
    ("data_format", "rank", "channel_axis", "spatial_axes"),
    [
        ("channels_last", 1, -1, (1,)),
        ("channels_last", 2, -1, (1, 2)),
        ("channels_last", 3, -1, (1, 2, 3)),
        ("channels_first", 1, 1, (2,)),
        ("channels_first", 2, 1, (2, 3)),
        ("channels_first", 3, 1, (2, 3, 4)),
    ],
)
def test_axes_of_a_batch_follow_keras(
    data_format: str, rank: int, channel_axis: int, spatial_axes: tuple[int, ...]
) -> None:
    layout = Layout(data_format, rank)
    assert layout.ndim == rank + 2
    assert layout.channel_axis == channel_axis  # Keras' own -1 / 1 convention
    assert layout.spatial_axes == spatial_axes


def test_axes_of_one_unbatched_image() -> None:
    last = Layout("channels_last", 2, batched=False)  # (H, W, C)
    first = Layout("channels_first", 2, batched=False)  # (C, H, W)
    assert (last.ndim, last.channel_axis, last.spatial_axes) == (3, -1, (0, 1))
    assert (first.ndim, first.channel_axis, first.spatial_axes) == (3, 0, (1, 2))


@pytest.mark.parametrize(("data_format", "rank", "batched"), CASES)
def test_split_then_join_gives_the_shape_back(
    data_format: str, rank: int, batched: bool
) -> None:
    layout = Layout(data_format, rank, batched=batched)
    shape = tuple(range(10, 10 + layout.ndim))
    batch, spatial, channels = layout.split(shape)
    assert len(spatial) == rank
    assert channels == shape[layout.channel_axis]
    assert spatial == tuple(shape[axis] for axis in layout.spatial_axes)
    assert batch == (shape[0] if batched else None)
    assert layout.join(batch, spatial, channels) == shape


def test_split_and_join_pass_unknown_sizes_through() -> None:
    layout = Layout("channels_first", 2)
    assert layout.split((None, 3, None, 28)) == (None, (None, 28), 3)
    assert layout.join(None, (None, 14), None) == (None, None, None, 14)


def test_join_builds_an_output_shape_with_new_spatial_sizes_and_channels() -> None:
    assert Layout("channels_last", 2).join(8, (14, 14), 32) == (8, 14, 14, 32)
    assert Layout("channels_first", 3).join(8, (4, 5, 6), 2) == (8, 2, 4, 5, 6)
    assert Layout("channels_first", 1, batched=False).join(None, (100,), 3) == (3, 100)


def test_join_takes_axis_names_for_messages() -> None:
    parts = Layout("channels_first", 2).join("batch", ("height", "width"), "channels")
    assert ", ".join(parts) == "batch, channels, height, width"


@pytest.mark.parametrize(("data_format", "rank", "batched"), CASES)
def test_tensors_round_trip_through_torch_order_as_views(
    data_format: str, rank: int, batched: bool
) -> None:
    layout = Layout(data_format, rank, batched=batched)
    x = torch.randn(*range(2, 2 + layout.ndim))
    torch_order = layout.to_channels_first(x)
    first = int(batched)
    assert torch_order.shape[first] == x.shape[layout.channel_axis]  # channels...
    spatial = [x.shape[axis] for axis in layout.spatial_axes]
    assert list(torch_order.shape[first + 1 :]) == spatial  # ...then the spatial axes
    assert torch_order.data_ptr() == x.data_ptr()  # a view, never a copy
    back = layout.from_channels_first(torch_order)
    assert back.shape == x.shape
    assert torch.equal(back, x)


def test_channels_first_tensors_are_returned_as_they_are() -> None:
    layout = Layout("channels_first", 2)
    x = torch.zeros(2, 3, 4, 5)
    assert layout.to_channels_first(x) is x
    assert layout.from_channels_first(x) is x
    assert Layout("channels_last", 2).to_channels_last(x) is x


def test_channels_last_view_of_an_nhwc_batch_is_torch_channels_last_memory() -> None:
    layout = Layout("channels_last", 2)
    view = layout.to_channels_first(torch.zeros(2, 5, 6, 3))  # (B, H, W, C)
    assert view.shape == (2, 3, 5, 6)
    assert view.is_contiguous(memory_format=layout.memory_format)
    assert layout.memory_format == torch.channels_last
    assert Layout("channels_last", 3).memory_format == torch.channels_last_3d
    assert Layout("channels_first", 2).memory_format == torch.contiguous_format
    assert Layout("channels_last", 1).memory_format == torch.contiguous_format


def test_to_channels_last_gives_keras_flatten_order() -> None:
    x = torch.arange(24.0).reshape(1, 2, 3, 4)  # (B, C, H, W)
    nhwc = Layout("channels_first", 2).to_channels_last(x)
    assert nhwc.shape == (1, 3, 4, 2)
    assert torch.equal(nhwc[0, 1, 2], x[0, :, 1, 2])


def test_shared_layouts_are_cached_and_frozen() -> None:
    layout = layout_of("channels_last", 2)
    assert layout is layout_of("channels_last", 2)
    assert layout == Layout("channels_last", 2)
    assert layout != Layout("channels_last", 2, batched=False)
    with pytest.raises(AttributeError):
        layout.rank = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data_format", "rank"), [("NHWC", 2), (None, 2), ("channels_last", -1)]
)
def test_a_bad_data_format_or_rank_is_refused(data_format: object, rank: int) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"needs `data_format` in \['channels_last'"
    ):
        Layout(data_format, rank)  # type: ignore[arg-type]


def test_any_channel_axis_moves_to_torch_and_back() -> None:
    x = torch.randn(2, 7, 5, 4)
    moved = channel_axis_to_torch(x, 2)
    assert moved.shape == (2, 5, 7, 4)
    assert torch.equal(channel_axis_from_torch(moved, 2), x)
    assert channel_axis_to_torch(x, 1) is x


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_conv_input_round_trips(data_format: str, rank: int) -> None:
    layout = Layout(data_format, rank)
    x = torch.randn(*range(2, 2 + layout.ndim))
    torch_input = conv_input_to_torch(x, layout)
    # 1-D channels_last runs as a 2-D conv over a (1, L) image.
    lifted = rank == 1 and data_format == "channels_last"
    assert torch_input.dim() == layout.ndim + lifted
    assert torch_input.shape[1] == x.shape[layout.channel_axis]
    assert torch.equal(conv_output_from_torch(torch_input, layout), x)


def test_layers_holding_a_layout_can_be_saved_whole_with_torch() -> None:
    buffer = io.BytesIO()
    torch.save(Layout("channels_last", 2), buffer)
    buffer.seek(0)
    layout = torch.load(buffer, weights_only=False)
    assert layout == Layout("channels_last", 2)
    assert layout.spatial_axes == (1, 2)
    assert layout.memory_format == torch.channels_last
