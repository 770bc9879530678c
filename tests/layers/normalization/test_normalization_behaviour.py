"""Normalization layers: training-flag semantics, frozen layers, layouts, the layer
contract (``run_layer_test``) and every error they raise."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers, models
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, InvalidTypeError
from cnnkit.testing import run_layer_test

# ---------------------------------------------------------------- contract harness


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape", "trainable", "non_trainable"),
    [
        (layers.BatchNormalization, {}, (4, 5, 5, 3), 2, 2),
        (layers.BatchNormalization, {"axis": 1}, (4, 3, 5, 5), 2, 2),
        (layers.BatchNormalization, {"center": False}, (8, 6), 1, 2),
        (layers.BatchNormalization, {"renorm": True}, (8, 6), 2, 5),
        (layers.LayerNormalization, {}, (3, 4, 5), 2, 0),
        (layers.LayerNormalization, {"axis": [1, 2]}, (3, 4, 5), 2, 0),
        (layers.GroupNormalization, {"groups": 2}, (2, 3, 3, 4), 2, 0),
        (layers.GroupNormalization, {"groups": -1, "axis": 1}, (2, 4, 5), 2, 0),
    ],
)
def test_layer_contract(
    cls: type,
    kwargs: dict[str, Any],
    shape: tuple[int, ...],
    trainable: int,
    non_trainable: int,
) -> None:
    run_layer_test(
        cls, kwargs, input_shape=shape, expected_output_shape=shape,
        expected_num_trainable_weights=trainable,
        expected_num_non_trainable_weights=non_trainable,
    )  # fmt: skip


def test_public_names() -> None:
    from cnnkit.layers import normalization

    assert normalization.__all__ == [
        "BatchNormalization", "GroupNormalization", "LayerNormalization",
    ]  # fmt: skip
    for name in normalization.__all__:
        assert getattr(layers, name) is getattr(normalization, name)


# ---------------------------------------------------------------- BatchNormalization


def test_direct_call_defaults_to_inference_with_moving_statistics() -> None:
    layer = layers.BatchNormalization()
    x = torch.randn(4, 3, 3, 2) * 5 + 3
    y = layer(x)
    # Fresh moving statistics: mean 0, variance 1.
    torch.testing.assert_close(y, x / np.sqrt(1 + 1e-3), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(2, "float32"))


def test_training_uses_batch_statistics_and_biased_variance() -> None:
    layer = layers.BatchNormalization(momentum=0.0)  # moving stats = last batch stats
    x = torch.tensor([[1.0], [2.0], [3.0], [6.0]])
    y = layer(x, training=True).detach()
    assert float(y.mean()) == pytest.approx(0.0, abs=1e-6)
    biased, unbiased = float(x.var(unbiased=False)), float(x.var(unbiased=True))
    assert float(layer.moving_variance[0]) == pytest.approx(biased, rel=1e-5)
    assert float(layer.moving_variance[0]) != pytest.approx(unbiased, rel=1e-3)
    assert float(layer.moving_mean[0]) == pytest.approx(3.0, rel=1e-6)


def test_momentum_weights_the_old_value() -> None:
    layer = layers.BatchNormalization()  # momentum 0.99
    layer(torch.full((4, 2), 10.0) + torch.arange(4.0)[:, None], training=True)
    # moving_mean = 0 * 0.99 + 11.5 * 0.01
    np.testing.assert_allclose(layer.moving_mean.numpy(), [0.115, 0.115], rtol=1e-5)


def test_training_false_never_updates() -> None:
    layer = layers.BatchNormalization()
    x = torch.randn(4, 3) * 2 + 5
    layer(x, training=True)
    before = layer.get_weights()
    layer(x, training=False)
    layer(x)
    for b, a in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(b, a)


def test_frozen_layer_uses_and_keeps_moving_statistics() -> None:
    layer = layers.BatchNormalization()
    x = torch.randn(8, 3) * 4 + 2
    layer(x, training=True)
    layer.trainable = False
    before = layer.get_weights()
    y = layer(x, training=True)
    torch.testing.assert_close(y, layer(x, training=False))
    for b, a in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(b, a)
    assert not layer.gamma.requires_grad
    assert not layer.beta.requires_grad
    assert [v.name for v in layer.non_trainable_weights] == [
        "gamma", "beta", "moving_mean", "moving_variance",
    ]  # fmt: skip


def test_frozen_through_parent_model_and_active_through_model_training_flag() -> None:
    bn = layers.BatchNormalization()
    model = models.Sequential([layers.Input((4,)), bn])
    x = torch.randn(16, 4) * 3 + 1
    y = model(x, training=True).detach()  # the flag reaches the nested layer
    assert float(y.mean(0).abs().max()) < 1e-5
    assert float(bn.moving_mean.abs().sum()) > 0
    model.trainable = False  # recursive
    assert bn.trainable is False
    before = bn.get_weights()
    model(x, training=True)
    for b, a in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(b, a)
    model.trainable = True
    model(x)  # a plain model call is inference
    for b, a in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(b, a)


def test_constant_channel_gives_finite_output_and_non_negative_variance() -> None:
    layer = layers.BatchNormalization(beta_initializer="ones")
    x = torch.full((6, 4, 4, 2), 3.0)
    y = layer(x, training=True)
    torch.testing.assert_close(y, torch.ones_like(y))
    assert float(layer.moving_variance.min()) >= 0.0


def test_channels_last_output_stays_contiguous() -> None:
    """The NHWC input is viewed as a channels_last NCHW tensor: no layout copies."""
    layer = layers.BatchNormalization()
    x = torch.randn(4, 5, 6, 3)
    for training in (True, False):
        y = layer(x, training=training)
        assert y.is_contiguous()


def test_channels_first_and_channels_last_agree() -> None:
    x = torch.randn(6, 4, 5, 3)
    last = layers.BatchNormalization(axis=-1)
    first = layers.BatchNormalization(axis=1)
    y_last = last(x, training=True)
    y_first = first(x.permute(0, 3, 1, 2), training=True)
    torch.testing.assert_close(
        y_first.permute(0, 2, 3, 1), y_last, rtol=1e-5, atol=1e-5
    )
    torch.testing.assert_close(first.moving_variance, last.moving_variance)


def test_no_host_synchronisation_in_training_step() -> None:
    """On the meta device any ``.item()``/``bool(tensor)`` would raise."""
    layer = layers.BatchNormalization()
    layer(torch.randn(2, 3, 3, 4))
    layer.to("meta")
    y = layer(torch.empty(2, 3, 3, 4, device="meta"), training=True)
    assert y.device.type == "meta"
    assert layer.moving_variance.device.type == "meta"


def test_half_precision_input_is_normalised_in_float32() -> None:
    layer = layers.BatchNormalization(autocast=False)
    x = (torch.randn(8, 3) * 100 + 500).to(torch.bfloat16)
    y = layer(x, training=True).detach()
    assert y.dtype == torch.float32
    assert float(y.mean(0).abs().max()) < 1e-2


def test_state_dict_holds_moving_statistics_as_buffers() -> None:
    layer = layers.BatchNormalization()
    layer(torch.randn(8, 5, 5, 3), training=True)
    state = layer.state_dict()
    assert set(state) == {"gamma", "beta", "moving_mean", "moving_variance"}
    assert [name for name, _ in layer.named_buffers()] == [
        "moving_mean",
        "moving_variance",
    ]
    clone = layers.BatchNormalization()
    clone(torch.zeros(1, 5, 5, 3))
    clone.load_state_dict(state)
    np.testing.assert_array_equal(
        clone.moving_variance.numpy(), layer.moving_variance.numpy()
    )


def test_renorm_weights_follow_keras_order() -> None:
    layer = layers.BatchNormalization(renorm=True)
    layer(torch.randn(4, 3))
    assert [w.name for w in layer.weights] == [
        "gamma", "beta", "moving_mean", "moving_variance", "moving_stddev",
        "renorm_mean", "renorm_stddev",
    ]  # fmt: skip
    np.testing.assert_allclose(layer.moving_stddev.numpy(), np.ones(3))


def test_renorm_config_defaults_clipping_to_empty_dict() -> None:
    assert layers.BatchNormalization(renorm=True).get_config()["renorm_clipping"] == {}
    assert layers.BatchNormalization().get_config()["renorm_clipping"] is None


# ---------------------------------------------------------------- Layer / Group norm


def test_layer_norm_config_axis_becomes_sorted_list_when_built() -> None:
    layer = layers.LayerNormalization(axis=(3, 1))
    assert layer.get_config()["axis"] == [3, 1]
    layer(torch.randn(2, 3, 4, 5))
    assert layer.get_config()["axis"] == [1, 3]
    assert layer.gamma.shape == (3, 5)


def test_layer_norm_is_the_same_in_training_and_inference() -> None:
    model = models.Sequential([layers.Input((4, 6)), layers.LayerNormalization()])
    x = torch.randn(3, 4, 6)
    torch.testing.assert_close(model(x, training=True), model(x))


def test_layer_norm_rms_scaling_is_deprecated_but_works() -> None:
    with pytest.warns(UserWarning, match="rms_scaling=True.*deprecated"):
        layer = layers.LayerNormalization(rms_scaling=True, center=True)
    x = torch.randn(3, 5) + 2
    y = layer(x)
    assert [w.name for w in layer.weights] == ["gamma"]
    expected = x / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + 1e-3)
    torch.testing.assert_close(y, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.LayerNormalization(rms_scaling=False)  # as written in every config


def test_group_norm_groups_minus_one_resolves_at_build() -> None:
    layer = layers.GroupNormalization(groups=-1)
    assert layer.get_config()["groups"] == -1
    layer(torch.randn(2, 3, 3, 5))
    assert layer.get_config()["groups"] == 5


def test_group_norm_channels_first_and_last_agree() -> None:
    x = torch.randn(2, 4, 5, 6)
    last = layers.GroupNormalization(groups=3)(x)
    first = layers.GroupNormalization(groups=3, axis=1)(x.permute(0, 3, 1, 2))
    torch.testing.assert_close(first.permute(0, 2, 3, 1), last, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- errors


def test_batch_norm_synchronized_is_refused_with_a_reason() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"synchronized=True.*synchronized=False"
    ):
        layers.BatchNormalization(synchronized=True)


@pytest.mark.parametrize(
    ("clipping", "match"),
    [
        (
            {"rmax": 2.0, "r_max": 1.0},
            r"only the keys \['rmax', 'rmin', 'dmax'\].*r_max",
        ),
        ({"rmax": 0.5, "rmin": 1.0}, r"rmax >= rmin.*rmax=0\.5, rmin=1\.0"),
        ({"dmax": -1.0}, r"dmax.*non-negative.*dmax=-1\.0"),
    ],
)
def test_batch_norm_renorm_clipping_errors(
    clipping: dict[str, float], match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        layers.BatchNormalization(renorm=True, renorm_clipping=clipping)


@pytest.mark.parametrize("cls", [layers.BatchNormalization, layers.GroupNormalization])
def test_axis_must_be_an_int(cls: type) -> None:
    kwargs = {"groups": 1} if cls is layers.GroupNormalization else {}
    with pytest.raises(InvalidTypeError, match=r"`axis` must be an int.*axis=\[1, 2\]"):
        cls(axis=[1, 2], **kwargs)


def test_layer_norm_axis_type_error() -> None:
    with pytest.raises(
        InvalidTypeError, match=r"int or a list/tuple of ints.*axis='last'"
    ):
        layers.LayerNormalization(axis="last")


@pytest.mark.parametrize(
    "layer",
    [
        layers.BatchNormalization(axis=3),
        layers.LayerNormalization(axis=[1, 5]),
        layers.GroupNormalization(groups=1, axis=-4),
    ],
    ids=["bn", "ln", "gn"],
)
def test_axis_out_of_bounds_names_layer_shape_and_fix(layer: Any) -> None:
    with pytest.raises(
        IncompatibleShapeError,
        match=r"'.*' cannot process input of shape \(2, 3, 4\): with .*axis=.* is out of "
        r"bounds for a 3-D input\. Use axis=-1",
    ):
        layer(torch.zeros(2, 3, 4))
    with pytest.raises(IncompatibleShapeError, match=r"out of bounds"):
        layer.compute_output_shape((None, 3, 4))


@pytest.mark.parametrize(
    "layer",
    [
        layers.BatchNormalization(),
        layers.LayerNormalization(),
        layers.GroupNormalization(1),
    ],
)
def test_unknown_channel_size_is_refused(layer: Any) -> None:
    from cnnkit.layers import Input

    with pytest.raises(
        IncompatibleShapeError, match=r"\(None, 5, None\).*known size.*Input"
    ):
        layer(Input(shape=(5, None)))


def test_batch_norm_rejects_other_channel_count_after_build() -> None:
    layer = layers.BatchNormalization()
    layer(torch.zeros(2, 3))
    with pytest.raises(
        IncompatibleShapeError, match=r"axis -1 of input shape to have value 3"
    ):
        layer(torch.zeros(2, 4))


def test_batch_norm_needs_two_axes() -> None:
    with pytest.raises(
        IncompatibleShapeError, match=r"expected min_ndim=2, found ndim=1"
    ):
        layers.BatchNormalization()(torch.zeros(5))


def test_layer_norm_duplicate_axis() -> None:
    with pytest.raises(
        IncompatibleShapeError, match=r"same axis is listed twice.*List each"
    ):
        layers.LayerNormalization(axis=[-1, 2])(torch.zeros(2, 3, 4))


@pytest.mark.parametrize("groups", [0, -2, 2.0, True])
def test_group_norm_invalid_groups(groups: Any) -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"`groups` must be a positive integer"
    ):
        layers.GroupNormalization(groups=groups)


def test_group_norm_groups_must_divide_channels() -> None:
    with pytest.raises(
        IncompatibleShapeError,
        match=r"\(2, 3, 6\): with groups=4, axis=-1 the 6 channels cannot be split into "
        r"4 equal groups\. Choose `groups` among the divisors of 6: \[1, 2, 3, 6\]",
    ):
        layers.GroupNormalization(groups=4)(torch.zeros(2, 3, 6))


def test_group_norm_axis_zero_is_the_batch() -> None:
    with pytest.raises(IncompatibleShapeError, match=r"axis 0 is the batch axis"):
        layers.GroupNormalization(groups=1, axis=0)(torch.zeros(2, 3, 6))
