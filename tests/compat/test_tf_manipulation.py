"""``tf.pad``, ``tf.split``, ``tf.sort``, ``tf.repeat``, ``tf.roll``, ``tf.meshgrid``,
``tf.gather_nd``, ``tf.einsum``, ``tf.py_function`` with TF's conventions."""

from __future__ import annotations

import numpy as np
import pytest

from cnnkit.compat import tf_api as tf


def test_pad_counts_from_the_first_axis_and_mirrors() -> None:
    t = tf.constant([[1, 2, 3], [4, 5, 6]])
    padded = tf.pad(t, [[1, 0], [2, 0]])
    assert padded.shape == (3, 5)
    assert padded[1].tolist() == [0, 0, 1, 2, 3]
    assert tf.pad(t, [[0, 0], [0, 1]], constant_values=9)[0].tolist() == [1, 2, 3, 9]
    np.testing.assert_array_equal(
        tf.pad(t, [[0, 0], [2, 2]], "REFLECT").numpy(),
        np.pad(t.numpy(), [[0, 0], [2, 2]], mode="reflect"),
    )
    np.testing.assert_array_equal(
        tf.pad(t, [[1, 1], [2, 2]], mode="symmetric").numpy(),
        np.pad(t.numpy(), [[1, 1], [2, 2]], mode="symmetric"),
    )
    with pytest.raises(ValueError, match=r"tf\.pad: `mode` must be one of"):
        tf.pad(t, [[0, 0], [0, 0]], mode="EDGE")
    with pytest.raises(
        ValueError, match=r"one \[before, after\] pair per axis of the 2-D"
    ):
        tf.pad(t, [[1, 1]])


def test_split_equal_parts_and_sizes() -> None:
    x = tf.reshape(tf.range(12), [2, 6])
    assert [p.shape for p in tf.split(x, 3, axis=1)] == [(2, 2)] * 3
    assert [p.shape[1] for p in tf.split(x, [1, -1, 2], axis=1)] == [1, 3, 2]
    with pytest.raises(ValueError, match=r"axis 1 of size 6 cannot be split into 4"):
        tf.split(x, 4, axis=1)
    with pytest.raises(ValueError, match=r"sizes \[1, 2\] do not add up to axis 1"):
        tf.split(x, [1, 2], axis=1)


def test_sort_argsort_repeat_roll() -> None:
    v = tf.constant([3, 1, 2])
    assert tf.sort(v).tolist() == [1, 2, 3]
    assert tf.sort(v, direction="DESCENDING").tolist() == [3, 2, 1]
    order = tf.argsort(v)
    assert order.tolist() == [1, 2, 0]
    assert order.dtype == tf.int32
    with pytest.raises(ValueError, match=r"`direction` must be 'ASCENDING' or"):
        tf.sort(v, direction="UP")
    assert tf.repeat([[1, 2]], 2, axis=0).tolist() == [[1, 2], [1, 2]]
    assert tf.repeat([1, 2], [1, 3]).tolist() == [1, 2, 2, 2]
    assert tf.repeat([[1], [2]], 2).tolist() == [1, 1, 2, 2]
    assert tf.roll([1, 2, 3, 4], shift=1, axis=0).tolist() == [4, 1, 2, 3]
    assert tf.roll([[1, 2], [3, 4]], shift=[1, 1], axis=[0, 1]).tolist() == [
        [4, 3],
        [2, 1],
    ]


def test_meshgrid_indexes_xy_by_default() -> None:
    xs, _ = tf.meshgrid(tf.range(3), tf.range(2))
    assert xs.shape == (2, 3)
    assert xs[0].tolist() == [0, 1, 2]
    ii, _ = tf.meshgrid(tf.range(3), tf.range(2), indexing="ij")
    assert ii.shape == (3, 2)
    with pytest.raises(ValueError, match=r"`indexing` must be 'xy' or 'ij'"):
        tf.meshgrid(tf.range(2), indexing="yx")


def test_gather_nd_picks_elements_and_slices() -> None:
    params = tf.reshape(tf.range(12), [2, 3, 2])
    assert tf.gather_nd(params, [[0, 1, 1], [1, 2, 0]]).tolist() == [3, 10]
    assert tf.gather_nd(params, [[1, 0]]).tolist() == [[6, 7]]
    assert tf.gather_nd(params, [[[0], [1]]]).shape == (1, 2, 3, 2)
    with pytest.raises(ValueError, match=r"supports batch_dims=0 only"):
        tf.gather_nd(params, [[0]], batch_dims=1)
    with pytest.raises(
        ValueError, match=r"index vectors of length 4 cannot index a 3-D"
    ):
        tf.gather_nd(params, [[0, 0, 0, 0]])


def test_einsum_and_python_functions() -> None:
    a = tf.ones([2, 3])
    assert tf.einsum("ij,kj->ik", a, a).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert tf.py_function(lambda x: x + 1, [tf.constant(1)]).item() == 2
    assert tf.py_function(lambda x: x * 2, [1.5], Tout=tf.float32).dtype == tf.float32
    pair = tf.py_function(lambda x: (x, x), [2], Tout=[tf.int64, tf.float32])
    assert [p.dtype for p in pair] == [tf.int64, tf.float32]
    seen = []
    out = tf.numpy_function(
        lambda x: seen.append(type(x)) or x * 3, [tf.constant([1])], tf.int64
    )
    assert seen == [np.ndarray]
    assert out.tolist() == [3]
    assert out.dtype == tf.int64


def test_sequence_mask_unique_and_scatters() -> None:
    mask = tf.sequence_mask([1, 3], maxlen=4)
    assert mask.tolist() == [[True, False, False, False], [True, True, True, False]]
    assert tf.sequence_mask([2, 1], dtype=tf.float32).tolist() == [
        [1.0, 1.0],
        [1.0, 0.0],
    ]
    y, idx = tf.unique(tf.constant([4, 1, 4, 2, 1]))
    assert y.tolist() == [4, 1, 2]  # first appearance, as TF
    assert idx.tolist() == [0, 1, 0, 2, 1]
    assert idx.dtype == tf.int32
    with pytest.raises(ValueError, match=r"tf\.unique: `x` must be 1-D"):
        tf.unique(tf.zeros([2, 2]))
    scattered = tf.scatter_nd([[1], [3], [1]], tf.constant([5, 6, 7]), [5])
    assert scattered.tolist() == [0, 12, 0, 6, 0]
    base = tf.zeros([2, 3])
    updated = tf.tensor_scatter_nd_update(base, [[0, 1], [1, 2]], [1.0, 2.0])
    assert updated.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]
    assert base.tolist() == [[0.0] * 3] * 2  # a copy
    rows = tf.tensor_scatter_nd_update(base, [[1]], [[7.0, 8.0, 9.0]])
    assert rows[1].tolist() == [7.0, 8.0, 9.0]
    added = tf.tensor_scatter_nd_add(tf.ones([3]), [[0], [0]], [1.0, 2.0])
    assert added.tolist() == [4.0, 1.0, 1.0]
