"""``tf.math``, ``tf.nn`` and ``tf.linalg`` with TensorFlow's defaults and traps."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cnnkit.compat import tf_api as tf


def test_reduce_over_all_axes_by_default_and_keepdims() -> None:
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert tf.reduce_sum(x).item() == 10.0
    assert tf.reduce_sum(x, axis=0).tolist() == [4.0, 6.0]
    assert tf.reduce_sum(x, axis=[0, 1], keepdims=True).shape == (1, 1)
    assert tf.reduce_mean(x, axis=-1).tolist() == [1.5, 3.5]
    assert tf.reduce_max(x, 1).tolist() == [2.0, 4.0]
    assert tf.math.reduce_min(x).item() == 1.0
    assert tf.reduce_prod(x).item() == 24.0
    assert tf.reduce_prod(x, axis=1, keepdims=True).tolist() == [[2.0], [12.0]]
    assert tf.reduce_logsumexp(tf.zeros([2])).item() == pytest.approx(math.log(2))
    assert tf.math.reduce_variance(x).item() == pytest.approx(1.25)
    assert tf.math.reduce_std(x, axis=0).tolist() == [1.0, 1.0]
    assert tf.reduce_sum(x, axis=[]).tolist() == x.tolist()  # no axis: nothing reduced


def test_integer_reductions_keep_the_dtype_and_truncate_the_mean() -> None:
    ints = tf.constant([1, 2])
    assert tf.reduce_mean(ints).item() == 1  # TF's integer mean
    assert tf.reduce_mean(ints).dtype == tf.int32
    assert tf.reduce_mean(tf.constant([[1, 2], [4, 4]]), axis=1).tolist() == [1, 4]
    assert tf.reduce_sum(ints).dtype == tf.int32
    assert tf.reduce_mean(tf.cast(ints, tf.float32)).item() == 1.5


def test_reduce_any_all_and_count_nonzero() -> None:
    b = tf.constant([[True, False], [True, True]])
    assert tf.reduce_all(b, axis=1).tolist() == [False, True]
    assert tf.reduce_any(b).item() is True
    assert tf.reduce_all(b, axis=[0, 1], keepdims=True).shape == (1, 1)
    counted = tf.math.count_nonzero(tf.constant([[0, 1], [2, 3]]), axis=1)
    assert counted.tolist() == [1, 2]
    assert counted.dtype == tf.int64


def test_argmax_defaults_to_axis_0_and_int64() -> None:
    x = tf.constant([[1, 9], [5, 2]])
    assert tf.argmax(x).tolist() == [1, 0]
    assert tf.argmax(x).dtype == tf.int64
    assert tf.math.argmax(x, axis=1, output_type=tf.int32).dtype == tf.int32
    assert tf.argmin(x, axis=-1).tolist() == [0, 1]


def test_integer_division_is_float64_and_floordiv_floors() -> None:
    q = tf.divide(tf.constant([1, 3]), tf.constant([2, 2]))
    assert q.dtype == tf.float64
    assert q.tolist() == [0.5, 1.5]
    assert tf.truediv(3, tf.constant(2)).dtype == tf.float64
    assert tf.divide(tf.constant([1.0]), 2).dtype == tf.float32
    assert tf.math.floordiv(tf.constant([-3, 3]), 2).tolist() == [-2, 1]
    assert tf.math.floormod(tf.constant([-3, 3]), 2).tolist() == [1, 1]
    assert tf.math.divide_no_nan(tf.constant([1.0, 2.0]), [0.0, 4.0]).tolist() == [
        0,
        0.5,
    ]


def test_binary_ops_broadcast_and_python_numbers_take_the_tensor_dtype() -> None:
    x = tf.constant([1, 2], dtype=tf.int64)
    assert tf.add(x, 1).dtype == tf.int64
    assert tf.multiply(tf.constant([1.0, 2.0]), [[1.0], [2.0]]).shape == (2, 2)
    assert tf.subtract(5, x).tolist() == [4, 3]
    assert tf.pow(tf.constant([2.0, 3.0]), 2).tolist() == [4.0, 9.0]
    assert tf.maximum([1.0, 5.0], [3.0, 2.0]).tolist() == [3.0, 5.0]
    assert tf.minimum([1.0, 5.0], 2.0).tolist() == [1.0, 2.0]
    assert tf.math.squared_difference([3.0], [1.0]).tolist() == [4.0]
    assert tf.add_n([tf.ones([2]), tf.ones([2]), tf.ones([2])]).tolist() == [3.0, 3.0]
    with pytest.raises(
        ValueError, match=r"tf\.math\.add_n: `inputs` must not be empty"
    ):
        tf.add_n([])


def test_comparisons_and_logic_give_booleans() -> None:
    x = tf.constant([1, 2, 3])
    assert tf.equal(x, 2).tolist() == [False, True, False]
    assert tf.math.not_equal(x, 2).tolist() == [True, False, True]
    assert tf.greater(x, 1).tolist() == [False, True, True]
    assert tf.greater_equal(x, 2).tolist() == [False, True, True]
    assert tf.less(x, 2).tolist() == [True, False, False]
    assert tf.less_equal(x, 2).tolist() == [True, True, False]
    assert tf.logical_and([True, True], [True, False]).tolist() == [True, False]
    assert tf.logical_or([False, False], [True, False]).tolist() == [True, False]
    assert tf.math.logical_xor([True], [True]).tolist() == [False]
    assert tf.logical_not([True]).tolist() == [False]


def test_unary_functions_compute_integers_in_float() -> None:
    assert tf.sqrt(tf.constant([4, 9])).tolist() == [2.0, 3.0]
    assert tf.exp(tf.constant([0])).dtype == tf.float32
    assert tf.math.log(tf.constant([1.0])).tolist() == [0.0]
    assert tf.abs(tf.constant([-2])).tolist() == [2]
    assert tf.square(tf.constant([3])).tolist() == [9]
    assert tf.round(tf.constant([0.5, 1.5, 2.5])).tolist() == [0.0, 2.0, 2.0]
    assert tf.math.is_nan(tf.constant([float("nan"), 1.0])).tolist() == [True, False]
    assert tf.sigmoid(tf.constant([0.0])).tolist() == [0.5]
    assert tf.math.cumsum([1, 2, 3]).tolist() == [1, 3, 6]
    assert tf.math.cumsum([1, 2, 3], exclusive=True).tolist() == [0, 1, 3]
    assert tf.math.cumsum([1, 2, 3], reverse=True).tolist() == [6, 5, 3]


def test_top_k_returns_values_and_int32_indices() -> None:
    result = tf.math.top_k(tf.constant([[1.0, 5.0, 3.0]]), k=2)
    assert result.values.tolist() == [[5.0, 3.0]]
    assert result.indices.tolist() == [[1, 2]]
    assert result.indices.dtype == tf.int32
    values, indices = tf.math.top_k([4.0, 1.0])
    assert values.tolist() == [4.0]
    assert indices.tolist() == [0]
    with pytest.raises(ValueError, match=r"top_k: `k` must be between 0 and .* \(3\)"):
        tf.math.top_k(tf.zeros([3]), k=4)


def test_l2_normalize_over_all_axes_or_one() -> None:
    x = tf.constant([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(
        tf.math.l2_normalize(x, axis=1).numpy(), [[0.6, 0.8], [0, 0]]
    )
    np.testing.assert_allclose(tf.nn.l2_normalize(x).numpy(), [[0.6, 0.8], [0, 0]])


def test_activations() -> None:
    x = tf.constant([-1.0, 0.0, 2.0])
    assert tf.nn.relu(x).tolist() == [0.0, 0.0, 2.0]
    assert tf.nn.relu6(tf.constant([7.0])).tolist() == [6.0]
    assert tf.nn.leaky_relu(x).tolist() == pytest.approx([-0.2, 0.0, 2.0])
    assert tf.nn.softmax(tf.zeros([2, 4])).sum(-1).tolist() == [1.0, 1.0]
    assert tf.nn.log_softmax(tf.zeros([2])).tolist() == pytest.approx(
        [math.log(0.5)] * 2
    )
    exact = tf.nn.gelu(tf.constant([1.0])).item()
    assert exact == pytest.approx(0.8413447, abs=1e-6)  # exact, TF's default
    assert tf.nn.gelu(tf.constant([1.0]), approximate=True).item() != exact
    assert tf.nn.silu(tf.constant([0.0])).tolist() == [0.0]
    assert tf.nn.swish is tf.nn.silu
    assert tf.nn.elu(tf.constant([0.0])).tolist() == [0.0]
    assert tf.nn.selu(tf.constant([0.0])).tolist() == [0.0]
    assert tf.nn.tanh(tf.constant([0.0])).tolist() == [0.0]
    mean, variance = tf.nn.moments(tf.constant([[1.0, 3.0]]), axes=[1])
    assert mean.tolist() == [2.0]
    assert variance.tolist() == [1.0]


def test_sigmoid_cross_entropy_with_logits_is_elementwise() -> None:
    labels = tf.constant([[1.0, 0.0]])
    logits = tf.constant([[100.0, -100.0]])
    loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
    assert loss.shape == (1, 2)
    assert loss.max().item() < 1e-30
    z, y = 0.3, 1.0
    expected = max(z, 0) - z * y + math.log1p(math.exp(-abs(z)))
    value = tf.nn.sigmoid_cross_entropy_with_logits(labels=[y], logits=[z]).item()
    assert value == pytest.approx(expected)


def test_softmax_cross_entropies_per_example() -> None:
    logits = tf.constant([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    dense = tf.nn.softmax_cross_entropy_with_logits(
        labels=tf.one_hot([0, 1], 3), logits=logits
    )
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0, 1], logits=logits
    )
    expected = -torch.log_softmax(logits, -1)[[0, 1], [0, 1]]
    np.testing.assert_allclose(dense.numpy(), expected.numpy(), rtol=1e-6)
    np.testing.assert_allclose(sparse.numpy(), expected.numpy(), rtol=1e-6)


def test_cross_entropy_errors_name_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"give both `labels` and `logits`"):
        tf.nn.sigmoid_cross_entropy_with_logits(logits=[1.0])
    with pytest.raises(
        ValueError, match=r"sigmoid_cross_entropy_with_logits: .*same shape"
    ):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0], logits=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"must be a distribution of `logits`' shape"):
        tf.nn.softmax_cross_entropy_with_logits(labels=[0, 1], logits=tf.zeros([2, 3]))
    with pytest.raises(ValueError, match=r"`labels` must have shape \(2,\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.zeros([2, 3]), logits=tf.zeros([2, 3])
        )
    with pytest.raises(
        ValueError, match=r"class ids in \[0, 3\); received values from 0 to 3"
    ):
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=[0, 3], logits=tf.zeros([2, 3])
        )


def test_linalg_matmul_norm_and_friends() -> None:
    a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert tf.matmul(a, a, transpose_b=True).tolist() == [[5.0, 11.0], [11.0, 25.0]]
    assert tf.linalg.matmul(a, a, transpose_a=True).tolist() == [
        [10.0, 14.0],
        [14.0, 20.0],
    ]
    assert tf.matmul(tf.zeros([3, 2, 4]), tf.zeros([4, 5])).shape == (3, 2, 5)
    assert tf.norm(tf.constant([[3.0, 4.0]])).item() == 5.0  # all entries
    assert tf.norm(a, axis=1).tolist() == pytest.approx([math.sqrt(5), 5.0])
    assert tf.norm(tf.constant([-3.0, 4.0]), ord=1).item() == 7.0
    assert tf.norm(a, ord=1, axis=[0, 1]).item() == 6.0  # matrix 1-norm: max column sum
    assert tf.linalg.norm(tf.constant([1, 1])).item() == pytest.approx(math.sqrt(2))
    assert tf.linalg.inv(a).matmul(a).round().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert tf.linalg.det(a).item() == pytest.approx(-2.0)
    assert tf.linalg.trace(a).item() == 5.0
    assert tf.linalg.diag([1, 2]).tolist() == [[1, 0], [0, 2]]
    assert tf.linalg.diag_part(a).tolist() == [1.0, 4.0]
    assert tf.linalg.matrix_transpose(a).tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert tf.linalg.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    with pytest.raises(ValueError, match=r"tf\.norm: `ord` must be one of"):
        tf.norm(a, ord=3)


def test_confusion_matrix_rows_are_labels() -> None:
    m = tf.math.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert m.dtype == tf.int32
    weighted = tf.math.confusion_matrix([0, 1], [1, 1], num_classes=2, weights=[2.0, 3.0],
                                        dtype=tf.float32)  # fmt: skip
    assert weighted.tolist() == [[0.0, 2.0], [0.0, 3.0]]
    with pytest.raises(
        ValueError, match=r"class ids must be in \[0, 2\); received labels"
    ):
        tf.math.confusion_matrix([0, 3], [0, 1], num_classes=2)


def test_dropout_drops_and_rescales() -> None:
    tf.random.set_seed(0)
    out = tf.nn.dropout(tf.ones([1000]), rate=0.25, seed=1)
    kept = out[out != 0]
    np.testing.assert_allclose(kept.numpy(), 1 / 0.75, rtol=1e-6)
    assert 0.65 < kept.numel() / 1000 < 0.85
    rows = tf.nn.dropout(tf.ones([4, 6]), 0.5, noise_shape=[4, 1])
    assert all(len(set(r.tolist())) == 1 for r in rows)  # whole rows kept or dropped
    with pytest.raises(
        ValueError, match=r"tf\.nn\.dropout: `rate` must be in \[0, 1\)"
    ):
        tf.nn.dropout(tf.ones([2]), rate=1.0)


def test_clip_by_norm_and_global_norm() -> None:
    clipped = tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0)
    np.testing.assert_allclose(clipped.numpy(), [0.6, 0.8], rtol=1e-6)
    assert tf.clip_by_norm(tf.constant([0.3, 0.4]), 1.0).tolist() == pytest.approx(
        [0.3, 0.4]
    )
    per_row = tf.clip_by_norm(tf.constant([[3.0, 4.0], [0.0, 0.5]]), 1.0, axes=[1])
    np.testing.assert_allclose(per_row.numpy(), [[0.6, 0.8], [0.0, 0.5]], rtol=1e-6)
    grads = [tf.constant([3.0]), None, tf.constant([4.0])]
    clipped_list, norm = tf.clip_by_global_norm(grads, 1.0)
    assert norm.item() == pytest.approx(5.0)
    assert clipped_list[1] is None
    assert [clipped_list[0].item(), clipped_list[2].item()] == pytest.approx([0.6, 0.8])
    same, _ = tf.clip_by_global_norm([tf.constant([0.1])], 1.0)
    assert same[0].item() == pytest.approx(0.1)
    _, given = tf.clip_by_global_norm([tf.constant([1.0])], 1.0, use_norm=2.0)
    assert given.item() == 2.0
    assert tf.clip_by_global_norm([None], 1.0)[1].item() == 0.0


@pytest.mark.parametrize("reduce", [tf.reduce_sum, tf.reduce_mean])
def test_sums_and_means_of_booleans_need_a_cast(reduce: object) -> None:
    with pytest.raises(TypeError, match=r"does not take booleans .*tf\.cast\(mask"):
        reduce(tf.constant([True, False]))  # type: ignore[operator]


def test_conv_and_pooling_shapes_and_same_averages() -> None:
    x = tf.ones([1, 5, 5, 2])
    assert tf.nn.conv2d(x, tf.ones([3, 3, 2, 4]), 1, "VALID").shape == (1, 3, 3, 4)
    assert tf.nn.conv2d(x, tf.ones([3, 3, 2, 4]), [2, 2], "SAME").shape == (1, 3, 3, 4)
    assert tf.nn.max_pool2d(x, 2, 2, "SAME").shape == (1, 3, 3, 2)
    np.testing.assert_allclose(tf.nn.avg_pool2d(x, 3, 2, "SAME").numpy(), 1.0)
    ints = tf.constant([[[[1], [3]], [[5], [7]]]])
    assert tf.nn.max_pool2d(ints, 2, 1, "VALID").tolist() == [[[[7.0]]]]


def test_conv_and_pooling_errors() -> None:
    x = tf.ones([1, 4, 4, 2])
    with pytest.raises(ValueError, match=r"supports data_format='NHWC' only"):
        tf.nn.conv2d(x, tf.ones([1, 1, 2, 1]), 1, "SAME", data_format="NCHW")
    with pytest.raises(
        ValueError, match=r"`filters` must be \(height, width, 2, out\)"
    ):
        tf.nn.conv2d(x, tf.ones([1, 1, 3, 1]), 1, "SAME")
    with pytest.raises(ValueError, match=r"`input` must be 4-D"):
        tf.nn.max_pool2d(tf.ones([4, 4]), 2, 2, "VALID")
    with pytest.raises(ValueError, match=r"`padding` must be 'SAME' or 'VALID'"):
        tf.nn.avg_pool2d(x, 2, 2, "FULL")
    with pytest.raises(ValueError, match=r"`strides` must be an int, \[rows, cols\]"):
        tf.nn.max_pool2d(x, 2, [1, 2, 3], "VALID")
