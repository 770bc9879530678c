"""The Layer contract: lazy build, weights, naming, trainable, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit import layers
from cnnkit.backend import clear_session
from cnnkit.errors import IncompatibleShapeError, InvalidArgumentError, NotBuiltError
from cnnkit.naming import to_snake_case


@pytest.fixture(autouse=True)
def _fresh_names() -> None:
    clear_session()


def test_lazy_build_creates_keras_named_weights() -> None:
    layer = layers.Dense(3)
    assert not layer.built
    out = layer(np.zeros((2, 4), dtype="float32"))
    assert layer.built
    assert out.shape == (2, 3)
    assert [w.path for w in layer.weights] == ["dense/kernel", "dense/bias"]
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]


def test_auto_names_count_per_class_and_reset() -> None:
    names = [layers.Dense(1).name, layers.Dense(1).name, layers.Flatten().name]
    assert names == ["dense", "dense_1", "flatten"]
    clear_session()
    assert layers.Dense(1).name == "dense"


@pytest.mark.parametrize(
    ("class_name", "snake"),
    [("Conv2D", "conv2d"), ("MaxPooling2D", "max_pooling2d"), ("ReLU", "re_lu"),
     ("BatchNormalization", "batch_normalization"), ("Conv2DTranspose", "conv2d_transpose"),
     ("InputLayer", "input_layer")],
)  # fmt: skip
def test_snake_case_matches_keras(class_name: str, snake: str) -> None:
    assert to_snake_case(class_name) == snake


def test_set_weights_checks_count_and_shape() -> None:
    layer = layers.Dense(2)
    layer(np.zeros((1, 3), dtype="float32"))
    with pytest.raises(InvalidArgumentError, match="expecting 2 weights"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(
        IncompatibleShapeError, match=r"dense/kernel has shape \(3, 2\)"
    ):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    layer.set_weights([np.ones((3, 2)), np.full(2, 0.5)])
    out = layer(np.ones((1, 3), dtype="float32"))
    np.testing.assert_allclose(out.detach().numpy(), [[3.5, 3.5]])


def test_variable_assign_rejects_wrong_shape() -> None:
    layer = layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(IncompatibleShapeError, match="Cannot assign a value of shape"):
        layer.weights[0].assign(np.zeros((2, 2)))


def test_trainable_is_recursive_and_controls_gradients() -> None:
    model = cnnkit.Sequential([layers.Input((3,)), layers.Dense(2), layers.Dense(1)])
    assert len(model.trainable_weights) == 4
    model.trainable = False
    assert model.trainable_weights == []
    assert len(model.non_trainable_weights) == 4
    assert not any(p.requires_grad for p in model.parameters())
    model.layers[0].trainable = True
    assert [w.name for w in model.trainable_weights] == ["kernel", "bias"]
    assert model.trainable_weights[0].path.endswith("dense/kernel")


def test_trainable_must_be_bool() -> None:
    with pytest.raises(InvalidArgumentError, match="`trainable` must be a bool"):
        layers.Dense(1, trainable="yes")


def test_unknown_kwargs_are_rejected_with_keras_wording() -> None:
    with pytest.raises(
        InvalidArgumentError, match="Unrecognized keyword arguments passed to Dense"
    ):
        layers.Dense(1, unitz=3)


def test_bad_name_is_rejected() -> None:
    with pytest.raises(InvalidArgumentError, match="`name` must be a non-empty string"):
        layers.Dense(1, name="a/b")


def test_count_params_needs_build() -> None:
    with pytest.raises(NotBuiltError, match="isn't built"):
        layers.Dense(1).count_params()


def test_input_rank_error_teaches_the_fix() -> None:
    layer = layers.Dense(2)
    with pytest.raises(
        IncompatibleShapeError,
        match=r"expected min_ndim=2, found ndim=1.*Full shape received: \(3,\)",
    ):
        layer(torch.zeros(3))


def test_channel_mismatch_after_build_names_the_axis() -> None:
    layer = layers.Dense(2)
    layer(torch.zeros(1, 3))
    with pytest.raises(
        IncompatibleShapeError, match="expected axis -1 of input shape to have value 3"
    ):
        layer(torch.zeros(1, 4))


def test_custom_keras_style_layer_registers_weights_under_its_attribute() -> None:
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(
                shape=(input_shape[-1],), initializer="ones", name="scale"
            )

        def call(self, inputs):
            return inputs * self.w

    layer = Scale()
    out = layer(torch.ones(2, 3))
    assert torch.equal(out, torch.ones(2, 3))
    assert [name for name, _ in layer.named_parameters()] == ["w"]
    assert [w.path for w in layer.weights] == ["scale/scale"]
    assert layer.compute_output_shape((None, 3)) == (None, 3)


def test_layer_call_requires_inputs() -> None:
    with pytest.raises(InvalidArgumentError, match="must be called with its inputs"):
        layers.Dense(1)()


def test_object_arrays_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"Python objects \(dtype=object\)"):
        layers.Dense(1)(np.array([[1, "a"]], dtype=object))


def test_string_arrays_are_refused_before_torch_sees_them() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"Dense '.*': Received an array of strings"
    ):
        layers.Dense(1)(np.array([["a", "b"]]))


def test_training_flag_propagates_to_nested_layers() -> None:
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    model = cnnkit.Sequential([layers.Input((2,)), Probe()])
    model(torch.zeros(1, 2), training=True)
    model(torch.zeros(1, 2))
    assert seen[-2:] == [True, None]


def test_activity_regularizer_adds_a_loss_normalised_by_batch() -> None:
    layer = layers.Dense(1, kernel_initializer="ones", activity_regularizer="l2")
    layer(torch.ones(4, 2))
    (penalty,) = layer.losses
    assert float(penalty.detach()) == pytest.approx(0.01 * 4 * 4 / 4)


def test_repr_is_readable() -> None:
    assert repr(layers.Dense(1)) == "<Dense name=dense, built=False>"


def test_float64_inputs_are_cast_to_float32() -> None:
    out = layers.Dense(1)(np.zeros((2, 3)))
    assert out.dtype == torch.float32
