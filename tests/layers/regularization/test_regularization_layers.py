"""Regularization layers: the training flag, statistics of the random draws, seeds,
devices, the layer contract and every error they raise.

Statistical bounds are 6 standard errors wide (a false failure about once in 10^9
runs), and the draws are seeded anyway, so the tests are deterministic.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers, models
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError
from cnnkit.testing import run_layer_test
from cnnkit.utils import set_random_seed

N = 200_000  # elements for the statistical checks


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape"),
    [
        (layers.Dropout, {"rate": 0.5}, (2, 3, 4)),
        (
            layers.Dropout,
            {"rate": 0.2, "noise_shape": (None, 1, 4), "seed": 1},
            (2, 3, 4),
        ),
        (layers.SpatialDropout1D, {"rate": 0.5}, (2, 3, 4)),
        (
            layers.SpatialDropout2D,
            {"rate": 0.5, "data_format": "channels_first"},
            (2, 3, 4, 4),
        ),
        (layers.SpatialDropout3D, {"rate": 0.5, "seed": 3}, (2, 2, 2, 2, 3)),
        (layers.GaussianNoise, {"stddev": 0.3}, (2, 5)),
        (layers.GaussianDropout, {"rate": 0.3}, (2, 5)),
        (layers.ActivityRegularization, {"l1": 0.1}, (2, 5)),
    ],
)
def test_layer_contract(
    cls: type, kwargs: dict[str, Any], shape: tuple[int, ...]
) -> None:
    run_layer_test(
        cls, kwargs, input_shape=shape, expected_output_shape=shape,
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
    )  # fmt: skip


def test_public_names() -> None:
    from cnnkit.layers import regularization

    assert regularization.__all__ == [
        "ActivityRegularization", "Dropout", "GaussianDropout", "GaussianNoise",
        "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    ]  # fmt: skip
    for name in regularization.__all__:
        assert getattr(layers, name) is getattr(regularization, name)


# ---------------------------------------------------------------- training flag


NOISY = [
    layers.Dropout(0.5),
    layers.SpatialDropout2D(0.5),
    layers.GaussianNoise(0.5),
    layers.GaussianDropout(0.5),
]


@pytest.mark.parametrize("layer", NOISY, ids=lambda layer: type(layer).__name__)
def test_direct_call_is_identity_and_training_true_is_not(layer: Any) -> None:
    x = torch.randn(4, 6, 6, 8)
    assert layer(x) is x
    assert layer(x, training=False) is x
    assert not torch.equal(layer(x, training=True), x)


@pytest.mark.parametrize("layer", NOISY, ids=lambda layer: type(layer).__name__)
def test_active_inside_a_model_called_with_training_true(layer: Any) -> None:
    model = models.Sequential([layers.Input((6, 6, 8)), layer])
    x = torch.randn(4, 6, 6, 8)
    torch.testing.assert_close(model(x), x)
    assert not torch.equal(model(x, training=True), x)


def test_dropout_drops_and_scales() -> None:
    x = torch.ones(1000)
    y = layers.Dropout(0.5, seed=0)(x, training=True)
    assert set(y.unique().tolist()) == {0.0, 2.0}


# ---------------------------------------------------------------- statistics


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("seed", [None, 11])
@pytest.mark.parametrize("noise_shape", [None, (None, 1000)])
def test_dropout_keep_rate_and_scaling(
    rate: float, seed: int | None, noise_shape: Any
) -> None:
    x = torch.ones(N // 1000, 1000)
    y = layers.Dropout(rate, noise_shape=noise_shape, seed=seed)(x, training=True)
    kept = y != 0
    keep = 1.0 - rate
    # Every kept value is scaled by exactly 1 / keep (in float32).
    torch.testing.assert_close(
        y[kept], torch.full_like(y[kept], 1.0 / keep), rtol=1e-6, atol=0
    )
    bound = 6 * math.sqrt(rate * keep / N)
    assert abs(float(kept.float().mean()) - keep) < bound
    assert abs(float(y.mean()) - 1.0) < bound / keep  # expectation preserved


def test_dropout_noise_shape_shares_draws() -> None:
    x = torch.ones(50, 7, 40)
    y = layers.Dropout(0.5, noise_shape=(None, 1, 40), seed=2)(x, training=True)
    assert torch.equal(y, y[:, :1, :].expand_as(y))  # same mask on every step
    assert 0 < int((y == 0).sum()) < y.numel()


@pytest.mark.parametrize(
    ("cls", "shape", "data_format", "channel_axis"),
    [
        (layers.SpatialDropout1D, (400, 5, 50), None, -1),
        (layers.SpatialDropout2D, (400, 4, 4, 50), "channels_last", -1),
        (layers.SpatialDropout2D, (400, 50, 4, 4), "channels_first", 1),
        (layers.SpatialDropout3D, (400, 2, 3, 2, 50), "channels_last", -1),
        (layers.SpatialDropout3D, (400, 50, 2, 3, 2), "channels_first", 1),
    ],
)
def test_spatial_dropout_drops_whole_feature_maps(
    cls: type, shape: tuple[int, ...], data_format: str | None, channel_axis: int
) -> None:
    kwargs = {} if data_format is None else {"data_format": data_format}
    y = cls(0.3, seed=4, **kwargs)(torch.ones(shape), training=True)
    maps = y.movedim(channel_axis, 1).reshape(
        shape[0], shape[channel_axis], -1
    )  # (B, C, S)
    assert torch.equal(
        maps, maps[..., :1].expand_as(maps)
    )  # one draw per (sample, channel)
    per_map = maps[..., 0]
    values = per_map.unique().tolist()
    assert values == [0.0, pytest.approx(1 / 0.7)]
    dropped = float((per_map == 0).float().mean())
    assert abs(dropped - 0.3) < 6 * math.sqrt(0.3 * 0.7 / per_map.numel())


@pytest.mark.parametrize("seed", [None, 5])
def test_gaussian_noise_statistics(seed: int | None) -> None:
    y = layers.GaussianNoise(0.4, seed=seed)(torch.full((N,), 3.0), training=True)
    assert abs(float(y.mean()) - 3.0) < 6 * 0.4 / math.sqrt(N)
    assert abs(float(y.std()) - 0.4) < 6 * 0.4 / math.sqrt(2 * N)


@pytest.mark.parametrize("seed", [None, 5])
def test_gaussian_dropout_statistics(seed: int | None) -> None:
    rate = 0.3
    stddev = math.sqrt(rate / (1 - rate))
    y = layers.GaussianDropout(rate, seed=seed)(torch.full((N,), 2.0), training=True)
    assert abs(float(y.mean()) - 2.0) < 6 * 2 * stddev / math.sqrt(N)
    assert abs(float(y.std()) - 2 * stddev) < 6 * 2 * stddev / math.sqrt(2 * N)


# ---------------------------------------------------------------- seeds and devices


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: layers.Dropout(0.5, seed=seed),
        lambda seed: layers.SpatialDropout2D(0.5, seed=seed),
        lambda seed: layers.GaussianNoise(0.5, seed=seed),
        lambda seed: layers.GaussianDropout(0.5, seed=seed),
    ],
    ids=["Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout"],
)
def test_seeded_layers_repeat_across_instances_and_ignore_the_global_seed(
    make: Any,
) -> None:
    x = torch.ones(4, 5, 5, 6)
    first, second = make(42), make(42)
    torch.manual_seed(1)
    a1, a2 = first(x, training=True), first(x, training=True)
    torch.manual_seed(2)
    b1, b2 = second(x, training=True), second(x, training=True)
    assert torch.equal(a1, b1)
    assert torch.equal(a2, b2)
    assert not torch.equal(a1, a2)  # the stream advances
    assert not torch.equal(make(43)(x, training=True), a1)


@pytest.mark.parametrize("noise_shape", [None, (None, 1, 1, 6)])
def test_unseeded_layers_follow_the_global_seed(noise_shape: Any) -> None:
    x = torch.ones(4, 5, 5, 6)
    set_random_seed(3)
    a = layers.Dropout(0.5, noise_shape=noise_shape)(x, training=True)
    set_random_seed(3)
    b = layers.Dropout(0.5, noise_shape=noise_shape)(x, training=True)
    assert torch.equal(a, b)


@pytest.mark.parametrize(
    "layer",
    [
        layers.Dropout(0.5),
        layers.Dropout(0.5, noise_shape=(None, 1, 4)),
        layers.SpatialDropout1D(0.5),
        layers.GaussianNoise(0.1),
        layers.GaussianDropout(0.1),
        layers.Dropout(1.0),
    ],
    ids=["fused", "noise_shape", "spatial", "noise", "gauss_dropout", "rate1"],
)
def test_random_tensors_are_created_on_the_input_device(layer: Any) -> None:
    """On the meta device, a mask made on the CPU would fail to combine."""
    y = layer(torch.empty(2, 3, 4, device="meta"), training=True)
    assert y.device.type == "meta"
    assert tuple(y.shape) == (2, 3, 4)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_seeded_dropout_on_cuda() -> None:
    layer = layers.Dropout(0.5, seed=3)
    x = torch.ones(8, 8, device="cuda")
    y = layer(x, training=True)
    assert y.device.type == "cuda"
    assert torch.equal(y, layers.Dropout(0.5, seed=3)(x, training=True))


def test_rate_one_gives_exact_zeros_and_zero_gradients() -> None:
    x = torch.tensor([1.0, -2.0, float("inf"), float("nan")], requires_grad=True)
    y = layers.Dropout(1.0)(x, training=True)
    assert torch.equal(y, torch.zeros(4))
    y.sum().backward()
    assert torch.equal(x.grad, torch.zeros(4))


def test_dropout_gradient_is_the_scaled_mask() -> None:
    x = torch.randn(50, 40, requires_grad=True)
    y = layers.Dropout(0.25, seed=9)(x, training=True)
    y.sum().backward()
    mask = (y != 0).float()
    torch.testing.assert_close(x.grad, mask / 0.75)


# ---------------------------------------------------------------- activity penalty


def test_activity_regularization_penalty_is_divided_by_batch_size() -> None:
    x = torch.tensor([[1.0, -2.0], [3.0, 0.5]])
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    y = layer(x)
    assert y is x
    expected = (0.1 * 6.5 + 0.01 * (1 + 4 + 9 + 0.25)) / 2
    assert [float(p) for p in layer.losses] == [pytest.approx(expected)]
    model = models.Sequential(
        [layers.Input((2,)), layers.ActivityRegularization(l2=1.0)]
    )
    model(x)
    assert [float(p) for p in model.losses] == [pytest.approx(14.25 / 2)]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("cls", "value", "error", "match"),
    [
        (layers.Dropout, 1.5, InvalidArgumentError, r"`rate` must be a float in \[0, 1\]; received rate=1\.5"),
        (layers.Dropout, -0.1, InvalidArgumentError, r"`rate` must be a float in \[0, 1\]"),
        (layers.Dropout, "0.5", InvalidTypeError, r"`rate` must be a float in \[0, 1\]"),
        (layers.SpatialDropout2D, 2, InvalidArgumentError, r"`rate` must be a float in \[0, 1\]"),
        (layers.GaussianNoise, 1.5, InvalidArgumentError, r"`stddev` must be a float in \[0, 1\]"),
        (layers.GaussianDropout, -1, InvalidArgumentError, r"`rate` must be a float in \[0, 1\]"),
    ],
)  # fmt: skip
def test_rate_validation(cls: type, value: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        cls(value)


def test_gaussian_dropout_rate_one_is_refused_with_a_reason() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"\[0, 1\): rate=1 would give.*infinite"
    ):
        layers.GaussianDropout(1.0)


@pytest.mark.parametrize(
    ("noise_shape", "match"),
    [
        ("(None, 1)", r"`noise_shape` must be a tuple of ints or None"),
        (5, r"`noise_shape` must be a tuple of ints or None"),
        ((None, 0), r"`noise_shape` entries must be positive ints or None"),
        ((None, 1.5), r"`noise_shape` entries must be positive ints or None"),
    ],
)
def test_noise_shape_validation(noise_shape: Any, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        layers.Dropout(0.5, noise_shape=noise_shape)


@pytest.mark.parametrize("noise_shape", [(None, 1), (None, 2, 4), (None, 1, 1, 1)])
def test_noise_shape_must_broadcast_to_the_input(noise_shape: tuple[Any, ...]) -> None:
    layer = layers.Dropout(0.5, noise_shape=noise_shape)
    assert layer(torch.ones(2, 3, 4)).shape == (2, 3, 4)  # inference never draws
    with pytest.raises(
        IncompatibleShapeError,
        match=r"Dropout '.*' cannot process input of shape \(2, 3, 4\): with "
        r"noise_shape=.* the dropout mask of shape .* must broadcast.*Use None for axes",
    ):
        layer(torch.ones(2, 3, 4), training=True)


@pytest.mark.parametrize("seed", [1.5, "7", True])
def test_seed_must_be_an_int(seed: Any) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`seed` must be an integer or None"
    ):
        layers.Dropout(0.5, seed=seed)


@pytest.mark.parametrize(
    ("cls", "shape", "ndim"),
    [
        (layers.SpatialDropout1D, (2, 3), 3),
        (layers.SpatialDropout2D, (2, 3, 4), 4),
        (layers.SpatialDropout3D, (2, 3, 4, 5), 5),
    ],
)
def test_spatial_dropout_rank(cls: type, shape: tuple[int, ...], ndim: int) -> None:
    with pytest.raises(
        IncompatibleShapeError, match=rf"expected ndim={ndim}, found ndim="
    ):
        cls(0.5)(torch.ones(shape))


def test_spatial_dropout_data_format() -> None:
    with pytest.raises(InvalidArgumentError, match=r"`data_format` must be one of"):
        layers.SpatialDropout2D(0.5, data_format="NHWC")


def test_activity_regularization_factors() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`l1` must be a non-negative number"
    ):
        layers.ActivityRegularization(l1=-1.0)
    assert np.isclose(layers.ActivityRegularization(l2=0.5).get_config()["l2"], 0.5)
