"""``cnnkit.ops`` against ``keras.ops`` itself: same inputs, same values, dtypes, shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from cnnkit import ops

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4)).astype("float32")
P = np.abs(X) + 0.1
LABELS = RNG.integers(0, 5, (2, 3)).astype("int32")
IMG = RNG.random((2, 8, 6, 3)).astype("float32")

# name -> (call taking the ops namespace, ...)
CASES: dict[str, Callable[[Any], Any]] = {
    "convert_float": lambda o: o.convert_to_tensor(1.5),
    "convert_int": lambda o: o.convert_to_tensor(3),
    "convert_list": lambda o: o.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]]),
    "convert_f64": lambda o: o.convert_to_tensor(X.astype("float64")),
    "cast": lambda o: o.cast(X, "int32"),
    "reshape": lambda o: o.reshape(X, (6, 4)),
    "reshape_-1": lambda o: o.reshape(X, (-1,)),
    "transpose_axes": lambda o: o.transpose(X, (0, 2, 1)),
    "expand_dims": lambda o: o.expand_dims(X, 0),
    "expand_dims_-1": lambda o: o.expand_dims(X, -1),
    "squeeze": lambda o: o.squeeze(X[:1]),
    "squeeze_axis": lambda o: o.squeeze(X[:1], axis=0),
    "concatenate": lambda o: o.concatenate([X, X], axis=-1),
    "stack": lambda o: o.stack([X, X], axis=1),
    "sum": lambda o: o.sum(X),
    "sum_axis": lambda o: o.sum(X, axis=1, keepdims=True),
    "sum_int": lambda o: o.sum(LABELS, axis=0),
    "mean": lambda o: o.mean(X, axis=(1, 2)),
    "mean_int": lambda o: o.mean(LABELS),
    "max": lambda o: o.max(X, axis=-1),
    "min": lambda o: o.min(X),
    "argmax": lambda o: o.argmax(X, axis=-1),
    "argmax_flat": lambda o: o.argmax(X),
    "argmin": lambda o: o.argmin(X, axis=1),
    "abs": lambda o: o.abs(X),
    "sqrt": lambda o: o.sqrt(P),
    "sqrt_int": lambda o: o.sqrt(LABELS),
    "square": lambda o: o.square(X),
    "exp": lambda o: o.exp(X),
    "log": lambda o: o.log(P),
    "clip": lambda o: o.clip(X, -0.5, 0.5),
    "where": lambda o: o.where(X > 0, X, 0.0),
    "equal": lambda o: o.equal(LABELS, 2),
    "add_scalar": lambda o: o.add(X, 2),
    "multiply": lambda o: o.multiply(X, X),
    "divide_int": lambda o: o.divide(LABELS, 2),
    "maximum": lambda o: o.maximum(X, 0.0),
    "one_hot": lambda o: o.one_hot(LABELS, 5),
    "softmax": lambda o: o.softmax(X),
    "softmax_axis": lambda o: o.softmax(X, axis=1),
    "log_softmax": lambda o: o.log_softmax(X),
    "relu": lambda o: o.relu(X),
    "sigmoid": lambda o: o.sigmoid(X),
    "tanh": lambda o: o.tanh(X),
    "matmul": lambda o: o.matmul(X, np.swapaxes(X, 1, 2)),
    "zeros": lambda o: o.zeros((2, 3)),
    "ones_like": lambda o: o.ones_like(LABELS),
    "arange": lambda o: o.arange(5),
    "categorical_ce": lambda o: o.categorical_crossentropy(
        np.eye(4, dtype="float32")[[0, 3]], P[0, :2]
    ),
    "categorical_ce_logits": lambda o: o.categorical_crossentropy(
        np.eye(4, dtype="float32")[[0, 3]], X[0, :2], from_logits=True
    ),
    "sparse_ce": lambda o: o.sparse_categorical_crossentropy(
        np.array([1, 2]), P[0, :2]
    ),
    "resize_bilinear": lambda o: o.image.resize(IMG, (4, 3)),
    "resize_up": lambda o: o.image.resize(IMG, (16, 12)),
    "resize_nearest": lambda o: o.image.resize(IMG, (4, 3), interpolation="nearest"),
    "resize_bicubic": lambda o: o.image.resize(IMG, (5, 7), interpolation="bicubic"),
    "resize_one_image": lambda o: o.image.resize(IMG[0], (4, 4)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras_ops(name: str) -> None:
    ours = CASES[name](ops)
    theirs = CASES[name](keras.ops)
    got, expected = ops.convert_to_numpy(ours), keras.ops.convert_to_numpy(theirs)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_argmax_of_predict_reads_the_classes() -> None:
    from cnnkit import layers, models

    model = models.Sequential(
        [layers.Input((4,)), layers.Dense(3, activation="softmax")]
    )
    classes = ops.argmax(model.predict(X[0], verbose=0), axis=-1)
    assert (
        ops.convert_to_numpy(classes).tolist()
        == np.argmax(model.predict(X[0], verbose=0), axis=-1).tolist()
    )
