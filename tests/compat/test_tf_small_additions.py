"""Small tf additions: ``tf.math.cumprod``'s exclusive/reverse forms,
``tf.broadcast_to``, ``tf.ensure_shape`` and ``tf.nn.top_k``, on TF's documented
values."""

from __future__ import annotations

import pytest

from cnnkit.compat import tf_api as tf


def test_cumprod_exclusive_and_reverse_as_in_tfs_documentation() -> None:
    x = tf.constant([2.0, 4.0, 6.0, 8.0])
    assert tf.math.cumprod(x).tolist() == [2, 8, 48, 384]
    assert tf.math.cumprod(x, exclusive=True).tolist() == [1, 2, 8, 48]
    assert tf.math.cumprod(x, reverse=True).tolist() == [384, 192, 48, 8]
    assert tf.math.cumprod(x, exclusive=True, reverse=True).tolist() == [192, 48, 8, 1]
    with_zero = tf.math.cumprod(tf.constant([3.0, 0.0, 2.0]), exclusive=True)
    assert with_zero.tolist() == [1, 3, 0]


def test_broadcast_to_refuses_an_incompatible_shape() -> None:
    with pytest.raises(
        ValueError, match=r"shape \(3,\) cannot be broadcast to \[2, 4\]"
    ):
        tf.broadcast_to(tf.constant([1, 2, 3]), [2, 4])
    assert tf.broadcast_to(tf.constant([1, 2, 3]), [2, 3]).tolist() == [[1, 2, 3]] * 2


def test_ensure_shape_and_nn_top_k() -> None:
    x = tf.zeros([2, 3])
    assert tf.ensure_shape(x, [None, 3]) is x
    assert tf.ensure_shape(x, (2, 3)) is x
    with pytest.raises(
        ValueError, match=r"has shape \(2, 3\), not the expected \[None, 4\]"
    ):
        tf.ensure_shape(x, [None, 4])
    with pytest.raises(ValueError, match=r"not the expected \[2\]"):
        tf.ensure_shape(x, [2])
    values, indices = tf.nn.top_k(tf.constant([[1.0, 5.0, 3.0]]), k=2)
    assert values.tolist() == [[5.0, 3.0]]
    assert indices.tolist() == [[1, 2]]
