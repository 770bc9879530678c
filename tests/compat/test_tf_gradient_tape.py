"""``tf.GradientTape`` on torch autograd: sources, structures, None for unconnected,
persistence, watch, and apply_gradients with cnnkit optimizers and models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit import layers, losses, metrics, models, optimizers
from cnnkit.compat import tf_api as tf


def test_gradient_of_a_variable_and_a_watched_constant() -> None:
    w = tf.Variable(3.0)
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = w * w * x
    dw, dx = tape.gradient(y, [w, x])
    assert dw.item() == 12.0
    assert dx.item() == 9.0


def test_unwatched_constants_and_unconnected_sources_give_none() -> None:
    w = tf.Variable(1.0)
    unused = tf.Variable(5.0)
    x = tf.constant(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = w * x
    assert tape.gradient(y, x) is None  # a constant must be watched first
    assert tape.gradient(y, unused) is None
    zero = tape.gradient(y, unused, unconnected_gradients="zero")
    assert zero.item() == 0.0
    assert tape.gradient(y, tf.constant([1, 2])) is None
    with pytest.raises(
        ValueError, match=r"`unconnected_gradients` must be 'none' or 'zero'"
    ):
        tape.gradient(y, w, unconnected_gradients="ones")


def test_sources_keep_their_structure() -> None:
    a, b, c = tf.Variable(1.0), tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = a * b * c
    grads = tape.gradient(y, {"ab": (a, b), "c": [c]})
    assert list(grads) == ["ab", "c"]
    assert isinstance(grads["ab"], tuple)
    assert isinstance(grads["c"], list)
    assert [grads["ab"][0].item(), grads["ab"][1].item(), grads["c"][0].item()] == [
        6,
        3,
        2,
    ]


def test_a_non_persistent_tape_gives_one_set_of_gradients() -> None:
    w = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = w * 2
    tape.gradient(y, w)
    with pytest.raises(
        RuntimeError, match=r"gives one set of gradients unless .*persistent"
    ):
        tape.gradient(y, w)


def test_persistent_tape_allows_several_gradients() -> None:
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert tape.gradient(z, x).item() == 108.0  # 4 x^3
    assert tape.gradient(y, x).item() == 6.0


def test_watch_accessed_variables_false_only_differentiates_watched() -> None:
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    assert ga.item() == 2.0
    assert gb is None
    assert tape.watched_variables() == [a]


def test_non_scalar_and_several_targets_are_summed() -> None:
    w = tf.Variable([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        y = w * w
    assert tape.gradient(y, w).tolist() == [2.0, 4.0]
    assert tape.gradient([y, w], w).tolist() == [3.0, 5.0]
    weighted = tape.gradient(y, w, output_gradients=tf.constant([1.0, 0.0]))
    assert weighted.tolist() == [2.0, 0.0]


def test_nested_tapes_give_second_derivatives() -> None:
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x * x * x
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert dy.item() == 12.0
    assert d2y.item() == 12.0


def test_a_tape_records_even_inside_no_grad() -> None:
    w = tf.Variable(2.0)
    with torch.no_grad(), tf.GradientTape() as tape:
        y = w * 3
    assert tape.gradient(y, w).item() == 3.0


def test_stop_recording_and_reset() -> None:
    w = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        with tape.stop_recording():
            frozen = w * 3
        tape.watch(tf.constant([1, 2]))  # integers are ignored, as TF does
        y = w + frozen
    assert tape.gradient(y, w).item() == 1.0
    tape.reset()
    assert tape.watched_variables() == []


def test_sources_must_be_tensors_or_variables() -> None:
    with tf.GradientTape() as tape:
        y = tf.Variable(1.0) * 2
    with pytest.raises(TypeError, match=r"each source must be a tensor or variable"):
        tape.gradient(y, ["w"])


def _model() -> models.Sequential:
    return models.Sequential(
        [layers.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3)]
    )


def test_custom_training_step_learns_with_apply_gradients() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0).astype("int64")
    model = _model()
    optimizer = optimizers.Adam(learning_rate=0.05)
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)
    accuracy = metrics.SparseCategoricalAccuracy()
    history = []
    for _ in range(60):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        history.append(float(loss.detach()))
    accuracy.update_state(y, model(x))
    assert history[-1] < history[0] * 0.5
    assert float(accuracy.result()) > 0.8
    assert all(g.shape == v.shape for g, v in zip(grads, model.trainable_variables))


def test_frozen_layers_get_no_gradient() -> None:
    model = _model()
    model.layers[0].trainable = False
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(np.ones((2, 4), "float32")))
    grads = tape.gradient(loss, model.variables)
    assert [g is None for g in grads] == [True, True, False, False]


def test_plain_tf_variables_train_with_an_optimizer() -> None:
    w = tf.Variable(tf.zeros([1]))
    optimizer = optimizers.SGD(learning_rate=0.1)
    for _ in range(50):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w - 3.0))
        optimizer.apply_gradients([(tape.gradient(loss, w), w)])
    assert w.numpy()[0] == pytest.approx(3.0, abs=1e-3)


def test_two_tapes_over_one_forward_pass_as_in_gan_training() -> None:
    generator = models.Sequential([layers.Input((2,)), layers.Dense(3)])
    discriminator = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    noise = tf.random.normal([4, 2])
    real = tf.random.normal([4, 3])
    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        fake_output = discriminator(generator(noise, training=True), training=True)
        real_output = discriminator(real, training=True)
        gen_loss = tf.reduce_mean(tf.nn.softplus(-fake_output))
        disc_loss = tf.reduce_mean(tf.nn.softplus(fake_output)) + tf.reduce_mean(
            tf.nn.softplus(-real_output)
        )
    gen_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
    disc_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
    assert all(g is not None for g in gen_grads + disc_grads)
    optimizers.Adam(1e-3).apply_gradients(zip(gen_grads, generator.trainable_variables))
