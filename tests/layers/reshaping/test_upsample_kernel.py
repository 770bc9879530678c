"""``upsample_nearest`` (torch's upsample kernels) equals the plain repeat exactly.

torch's nearest kernels compute source indices in floating point; these tests pin
that every integer factor, rank, layout and dtype gives the repeat bit for bit, that
channels_last outputs stay contiguous (no copy for the next layer), and gradients.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from cnnkit._kernels.upsampling import repeat_spatial, upsample_nearest
from cnnkit._layout import Layout

FACTORS = (1, 2, 3, 4, 5, 6, 7, 11, 13)


def _input(
    layout: Layout, dtype: torch.dtype, spatial: tuple[int, ...]
) -> torch.Tensor:
    shape = (2, *spatial, 3) if layout.channels_last else (2, 3, *spatial)
    return (torch.rand(shape) * 100).to(dtype)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_2d_every_factor_pair_is_the_repeat(
    data_format: str, dtype: torch.dtype
) -> None:
    layout = Layout(data_format, 2)
    x = _input(layout, dtype, (5, 9))
    for factors in itertools.product(FACTORS, repeat=2):
        expected = repeat_spatial(x, layout.spatial_axes, factors)
        assert torch.equal(upsample_nearest(x, layout, factors), expected), factors


@pytest.mark.parametrize("rank", [1, 3])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_1d_and_3d_are_the_repeat(rank: int, data_format: str) -> None:
    layout = Layout(data_format, rank)
    x = _input(layout, torch.float32, (7, 4, 5)[:rank])
    for factor in FACTORS:
        factors = (factor, 2, 3)[:rank]
        got = upsample_nearest(x, layout, factors)
        assert torch.equal(got, repeat_spatial(x, layout.spatial_axes, factors))
        if layout.channels_last:
            assert got.is_contiguous()


def test_integer_inputs_keep_the_repeat() -> None:
    layout = Layout("channels_last", 2)
    x = torch.arange(24).reshape(1, 2, 4, 3)
    got = upsample_nearest(x, layout, (3, 2))
    assert got.dtype == torch.int64
    assert torch.equal(got, repeat_spatial(x, layout.spatial_axes, (3, 2)))


@pytest.mark.parametrize("factors", [(2, 2), (3, 1), (2, 5)])
def test_gradcheck(factors: tuple[int, int]) -> None:
    layout = Layout("channels_last", 2)
    x = torch.rand(2, 3, 4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda t: upsample_nearest(t, layout, factors), (x,)
    )
