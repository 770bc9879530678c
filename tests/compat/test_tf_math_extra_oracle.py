"""``tf.math.erf``/``atan2``/``cumprod``, ``tf.reverse`` and ``tf.broadcast_to``
against ``keras.ops`` (KERAS_BACKEND=torch), and TF's own documented values."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit.compat import tf_api as tf

keras = pytest.importorskip("keras")
pytestmark = pytest.mark.oracle

RNG = np.random.default_rng(3)
X = RNG.standard_normal((2, 3, 4)).astype("float32")
Y = RNG.standard_normal((2, 3, 4)).astype("float32")


def _close(ours: object, theirs: object) -> None:
    np.testing.assert_allclose(
        np.asarray(ours), keras.ops.convert_to_numpy(theirs), rtol=1e-6, atol=1e-6
    )


def test_elementwise_and_running_products_match_keras_ops() -> None:
    _close(tf.math.erf(X), keras.ops.erf(X))
    _close(tf.math.atan2(X, Y), keras.ops.arctan2(X, Y))
    _close(tf.atan2(X, Y), keras.ops.arctan2(X, Y))
    _close(tf.math.cumprod(X, axis=1), keras.ops.cumprod(X, axis=1))
    _close(tf.reverse(X, axis=[0, 2]), keras.ops.flip(X, axis=(0, 2)))
    _close(
        tf.broadcast_to(X[:, :1], [2, 3, 4]),
        keras.ops.broadcast_to(X[:, :1], (2, 3, 4)),
    )
