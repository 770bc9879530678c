"""Python operators between a tensor and a NumPy array under ``import tensorflow``:
they stay torch operations (so a GradientTape sees them), in the tensor's dtype,
with the array on either side, as TensorFlow's operators do."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit.compat import hook


@pytest.fixture
def tf() -> Iterator[Any]:
    hook.install()
    try:
        yield importlib.import_module("tensorflow")
    finally:
        hook.uninstall()


def test_tensor_minus_a_numpy_array_is_differentiated(tf: Any) -> None:
    x = tf.Variable(np.array([1.0, 2.0, 4.0], dtype="float32"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum((x - np.ones(3)) ** 2)
    grad = tape.gradient(loss, x)
    assert grad is not None
    np.testing.assert_allclose(grad.numpy(), [0.0, 2.0, 6.0])


def test_a_numpy_array_on_the_left_is_differentiated(tf: Any) -> None:
    x = tf.constant([1.0, -2.0])
    weights = np.array([3.0, 5.0])  # float64, as NumPy makes it
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(weights * x + np.ones(2) / (x * x) - np.float64(1.0) * x)
    grad = tape.gradient(y, x)
    # d/dx (w x + 1/x^2 - x) = w - 2/x^3 - 1
    np.testing.assert_allclose(grad.numpy(), [3 - 2 - 1, 5 + 0.25 - 1], rtol=1e-6)


def test_a_loss_with_a_numpy_target_trains_a_model(tf: Any) -> None:
    keras = tf.keras
    rng = np.random.default_rng(0)
    features = rng.normal(size=(16, 3)).astype("float32")
    target = features @ np.array([[1.0], [-2.0], [0.5]])  # float64 NumPy target
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    losses = []
    for _ in range(20):
        with tf.GradientTape() as tape:
            prediction = model(features)
            loss = tf.reduce_mean(tf.square(prediction - target))
        grads = tape.gradient(loss, model.trainable_variables)
        assert all(g is not None for g in grads)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    assert losses[-1] < 0.2 * losses[0]


def test_the_array_takes_the_tensors_dtype(tf: Any) -> None:
    x = tf.constant([1.0, 2.0])
    assert (x - np.ones(2)).dtype == torch.float32
    assert (np.ones(2, dtype="int64") * x).dtype == torch.float32
    assert (tf.constant([1, 2]) + np.array([3, 4], dtype="int64")).dtype == torch.int32
    assert (np.ones(2) == x).tolist() == [True, False]
    assert (x > np.array([1.5, 1.5])).tolist() == [False, True]
    assert (np.array([[1.0, 0.0], [0.0, 2.0]]) @ x).tolist() == [1.0, 4.0]


def test_an_array_tf_would_not_convert_goes_to_numpy_as_in_tf(tf: Any) -> None:
    # TF cannot convert a float array to an int32 tensor and hands the pair to
    # NumPy, whose float64 result keeps the fractions.
    result = tf.constant([1, 2]) * np.array([1.5, 0.5])
    assert isinstance(result, np.ndarray)
    assert result.tolist() == [1.5, 1.0]


def test_torch_operators_come_back_after_the_script(tf: Any) -> None:
    hook.uninstall()
    assert "__add__" not in vars(torch.Tensor)
    assert (torch.ones(2) + torch.ones(2)).tolist() == [2.0, 2.0]


def test_a_python_float_keeps_its_digits_in_a_float64_constant(tf: Any) -> None:
    # Not through Keras' float32 default first (0.2 would become 0.2000000029...).
    assert tf.constant(0.2, dtype=tf.float64).item() == 0.2
    assert tf.fill([2], tf.constant(0.1, dtype=tf.float64)).tolist() == [0.1, 0.1]
    assert tf.constant([1, 2], dtype=tf.int64).dtype == torch.int64
    assert tf.constant(2**40, dtype=tf.int64).item() == 2**40
