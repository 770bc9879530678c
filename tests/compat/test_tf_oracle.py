"""The tf tensor functions against ``keras.ops`` (KERAS_BACKEND=torch) where the two
mean the same thing: same inputs, same values and shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from cnnkit.compat import tf_api as tf

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4)).astype("float32")
M = RNG.standard_normal((4, 5)).astype("float32")
LABELS = RNG.integers(0, 4, (2, 3)).astype("int32")
PROBS = np.abs(X) / np.abs(X).sum(-1, keepdims=True)
BITS = (RNG.random((2, 3, 4)) > 0.5).astype("float32")
IMG = RNG.random((2, 8, 6, 3)).astype("float32")
KERNEL = RNG.standard_normal((3, 3, 3, 4)).astype("float32")

# name -> (the tf call, the keras.ops call)
CASES: dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]] = {
    "reduce_sum": (lambda: tf.reduce_sum(X), lambda o: o.sum(X)),
    "reduce_sum_axis": (
        lambda: tf.reduce_sum(X, axis=[0, 2], keepdims=True),
        lambda o: o.sum(X, axis=(0, 2), keepdims=True),
    ),
    "reduce_mean": (lambda: tf.reduce_mean(X, axis=1), lambda o: o.mean(X, axis=1)),
    "reduce_max": (lambda: tf.reduce_max(X, -1), lambda o: o.max(X, axis=-1)),
    "reduce_min": (lambda: tf.reduce_min(X), lambda o: o.min(X)),
    "reduce_prod": (lambda: tf.reduce_prod(X, 2), lambda o: o.prod(X, axis=2)),
    "reduce_logsumexp": (
        lambda: tf.reduce_logsumexp(X, axis=-1),
        lambda o: o.logsumexp(X, axis=-1),
    ),
    "argmax": (lambda: tf.argmax(X, axis=-1), lambda o: o.argmax(X, axis=-1)),
    "argmin": (lambda: tf.argmin(X, axis=1), lambda o: o.argmin(X, axis=1)),
    "concat": (lambda: tf.concat([X, X], axis=1), lambda o: o.concatenate([X, X], 1)),
    "stack": (lambda: tf.stack([X, X], axis=-1), lambda o: o.stack([X, X], axis=-1)),
    "transpose": (lambda: tf.transpose(X), lambda o: o.transpose(X, (2, 1, 0))),
    "transpose_perm": (
        lambda: tf.transpose(X, perm=[1, 0, 2]),
        lambda o: o.transpose(X, (1, 0, 2)),
    ),
    "expand_dims": (lambda: tf.expand_dims(X, 1), lambda o: o.expand_dims(X, 1)),
    "squeeze": (lambda: tf.squeeze(X[:1]), lambda o: o.squeeze(X[:1])),
    "reshape": (lambda: tf.reshape(X, [-1, 4]), lambda o: o.reshape(X, (-1, 4))),
    "gather": (
        lambda: tf.gather(X, [2, 0], axis=1),
        lambda o: o.take(X, np.array([2, 0]), axis=1),
    ),
    "where": (
        lambda: tf.where(X > 0, X, tf.zeros_like(X)),
        lambda o: o.where(X > 0, X, o.zeros_like(X)),
    ),
    "one_hot": (lambda: tf.one_hot(LABELS, 4), lambda o: o.one_hot(LABELS, 4)),
    "matmul": (lambda: tf.matmul(X, M), lambda o: o.matmul(X, M)),
    "clip_by_value": (
        lambda: tf.clip_by_value(X, -0.5, 0.5),
        lambda o: o.clip(X, -0.5, 0.5),
    ),
    "abs": (lambda: tf.abs(X), lambda o: o.abs(X)),
    "exp": (lambda: tf.exp(X), lambda o: o.exp(X)),
    "log": (lambda: tf.math.log(PROBS), lambda o: o.log(PROBS)),
    "sqrt": (lambda: tf.sqrt(PROBS), lambda o: o.sqrt(PROBS)),
    "square": (lambda: tf.square(X), lambda o: o.square(X)),
    "pow": (lambda: tf.pow(PROBS, 1.5), lambda o: o.power(PROBS, 1.5)),
    "maximum": (lambda: tf.maximum(X, 0.1), lambda o: o.maximum(X, 0.1)),
    "minimum": (lambda: tf.minimum(X, M[:, 0]), lambda o: o.minimum(X, M[:, 0])),
    "add": (lambda: tf.add(X, 1.0), lambda o: o.add(X, 1.0)),
    "multiply": (lambda: tf.multiply(X, X), lambda o: o.multiply(X, X)),
    "subtract": (lambda: tf.subtract(X, 2.0), lambda o: o.subtract(X, 2.0)),
    "divide": (lambda: tf.divide(X, 2.0), lambda o: o.divide(X, 2.0)),
    "equal": (lambda: tf.equal(LABELS, 1), lambda o: o.equal(LABELS, 1)),
    "greater": (lambda: tf.greater(X, 0.0), lambda o: o.greater(X, 0.0)),
    "logical_and": (
        lambda: tf.logical_and(X > 0, X < 1),
        lambda o: o.logical_and(X > 0, X < 1),
    ),
    "cumsum": (lambda: tf.math.cumsum(X, axis=1), lambda o: o.cumsum(X, axis=1)),
    "top_k": (
        lambda: tf.math.top_k(X, k=2).values,
        lambda o: o.top_k(X, k=2)[0],
    ),
    "softmax": (lambda: tf.nn.softmax(X), lambda o: o.softmax(X)),
    "log_softmax": (lambda: tf.nn.log_softmax(X), lambda o: o.log_softmax(X)),
    "relu": (lambda: tf.nn.relu(X), lambda o: o.relu(X)),
    "sigmoid": (lambda: tf.nn.sigmoid(X), lambda o: o.sigmoid(X)),
    "gelu_exact": (lambda: tf.nn.gelu(X), lambda o: o.gelu(X, approximate=False)),
    "leaky_relu": (lambda: tf.nn.leaky_relu(X), lambda o: o.leaky_relu(X, 0.2)),
    "sigmoid_ce": (
        lambda: tf.nn.sigmoid_cross_entropy_with_logits(labels=BITS, logits=X),
        lambda o: o.binary_crossentropy(BITS, X, from_logits=True),
    ),
    "softmax_ce": (
        lambda: tf.nn.softmax_cross_entropy_with_logits(labels=PROBS, logits=X),
        lambda o: o.categorical_crossentropy(PROBS, X, from_logits=True),
    ),
    "sparse_softmax_ce": (
        lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=LABELS, logits=X),
        lambda o: o.sparse_categorical_crossentropy(LABELS, X, from_logits=True),
    ),
    "norm": (lambda: tf.norm(X, axis=-1), lambda o: o.norm(X, axis=-1)),
    "l2_normalize": (
        lambda: tf.math.l2_normalize(X, axis=-1),
        lambda o: o.normalize(X, axis=-1, order=2),
    ),
    "resize_bilinear": (
        lambda: tf.image.resize(IMG, (5, 9)),
        lambda o: o.image.resize(IMG, (5, 9), data_format="channels_last"),
    ),
    "resize_nearest": (
        lambda: tf.image.resize(IMG, (16, 12), method="nearest"),
        lambda o: o.image.resize(
            IMG, (16, 12), interpolation="nearest", data_format="channels_last"
        ),
    ),
    "rgb_to_grayscale": (
        lambda: tf.image.rgb_to_grayscale(IMG),
        lambda o: o.image.rgb_to_grayscale(IMG, data_format="channels_last"),
    ),
    "rgb_to_hsv": (
        lambda: tf.image.rgb_to_hsv(IMG),
        lambda o: o.image.rgb_to_hsv(IMG, data_format="channels_last"),
    ),
    "hsv_to_rgb": (
        lambda: tf.image.hsv_to_rgb(IMG),
        lambda o: o.image.hsv_to_rgb(IMG, data_format="channels_last"),
    ),
    "pad": (
        lambda: tf.pad(X, [[0, 0], [1, 2], [0, 1]]),
        lambda o: o.pad(X, ((0, 0), (1, 2), (0, 1))),
    ),
    "pad_reflect": (
        lambda: tf.pad(X, [[0, 0], [1, 1], [2, 2]], mode="REFLECT"),
        lambda o: o.pad(X, ((0, 0), (1, 1), (2, 2)), mode="reflect"),
    ),
    "split": (
        lambda: tf.split(X, 2, axis=-1)[1],
        lambda o: o.split(X, 2, axis=-1)[1],
    ),
    "sort": (lambda: tf.sort(X), lambda o: o.sort(X)),
    "argsort": (lambda: tf.argsort(X, axis=1), lambda o: o.argsort(X, axis=1)),
    "repeat": (lambda: tf.repeat(X, 2, axis=1), lambda o: o.repeat(X, 2, axis=1)),
    "roll": (lambda: tf.roll(X, 2, axis=2), lambda o: o.roll(X, 2, axis=2)),
    "einsum": (
        lambda: tf.einsum("bij,jk->bik", X, M),
        lambda o: o.einsum("bij,jk->bik", X, M),
    ),
    "meshgrid": (
        lambda: tf.meshgrid(M[0], M[1])[0],
        lambda o: o.meshgrid(M[0], M[1])[0],
    ),
    "extract_patches": (
        lambda: tf.image.extract_patches(
            IMG, [1, 2, 3, 1], [1, 2, 3, 1], [1, 1, 1, 1], "VALID"
        ),
        lambda o: o.image.extract_patches(
            IMG, (2, 3), strides=(2, 3), padding="valid", data_format="channels_last"
        ),
    ),
    "conv2d_same": (
        lambda: tf.nn.conv2d(IMG, KERNEL, strides=2, padding="SAME"),
        lambda o: o.conv(
            IMG, KERNEL, strides=2, padding="same", data_format="channels_last"
        ),
    ),
    "conv2d_valid_dilated": (
        lambda: tf.nn.conv2d(
            IMG, KERNEL, strides=[1, 1, 1, 1], padding="VALID", dilations=2
        ),
        lambda o: o.conv(
            IMG,
            KERNEL,
            strides=1,
            padding="valid",
            dilation_rate=2,
            data_format="channels_last",
        ),
    ),
    "max_pool2d_same": (
        lambda: tf.nn.max_pool2d(IMG, ksize=3, strides=2, padding="SAME"),
        lambda o: o.max_pool(
            IMG, 3, strides=2, padding="same", data_format="channels_last"
        ),
    ),
    "avg_pool2d_valid": (
        lambda: tf.nn.avg_pool2d(
            IMG, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID"
        ),
        lambda o: o.average_pool(
            IMG, 2, strides=2, padding="valid", data_format="channels_last"
        ),
    ),
    "flip_left_right": (
        lambda: tf.image.flip_left_right(IMG),
        lambda o: o.flip(IMG, axis=2),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras_ops(name: str) -> None:
    ours, theirs = CASES[name]
    got = np.asarray(ours().detach().cpu().numpy())
    expected = keras.ops.convert_to_numpy(theirs(keras.ops))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6)
