"""``tf.constant``, ``tf.Variable``, dtypes, shapes and indexing, called as TF code
calls them (keywords, TF's defaults), with TF's results."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit.compat import tf_api as tf
from cnnkit.compat.tf import _common


def test_constant_follows_tensorflow_dtype_rules() -> None:
    assert tf.constant(1.5).dtype == tf.float32
    assert tf.constant(3).dtype == tf.int32
    assert tf.constant([True, False]).dtype == tf.bool
    assert tf.constant(np.zeros(2)).dtype == tf.float64  # numpy keeps its dtype
    assert tf.constant([1, 2], dtype=tf.float32).dtype == torch.float32
    assert tf.constant(7, shape=[2, 2]).tolist() == [[7, 7], [7, 7]]
    assert tf.constant([1, 2, 3, 4], shape=(2, 2)).shape == (2, 2)


def test_constant_copies_and_convert_to_tensor_does_not() -> None:
    t = torch.zeros(2)
    assert tf.constant(t) is not t
    assert tf.convert_to_tensor(t) is t
    assert tf.convert_to_tensor(2, dtype_hint=tf.float32).dtype == tf.float32
    assert tf.convert_to_tensor(np.int64(2), dtype_hint=tf.float32).dtype == tf.int64
    assert tf.is_tensor(t)
    assert not tf.is_tensor(np.zeros(1))
    assert tf.Tensor is torch.Tensor
    assert tf.newaxis is None


def test_constant_refuses_a_value_that_cannot_fill_the_shape() -> None:
    with pytest.raises(ValueError, match=r"tf\.constant: `value` has 3 elements"):
        tf.constant([1, 2, 3], shape=[2, 2])


def test_text_is_refused_with_the_reason() -> None:
    with pytest.raises(TypeError, match=r"`value` is a str: .* no tf\.string"):
        tf.constant("hello")


def test_variable_assign_numpy_and_trainable() -> None:
    v = tf.Variable(tf.zeros([2]), name="w")
    assert v.requires_grad
    assert v.trainable
    assert v.name == "w:0"
    v.assign([1.0, 2.0])
    v.assign_add(tf.ones([2]))
    v.assign_sub([0.5, 0.5])
    np.testing.assert_allclose(v.numpy(), [1.5, 2.5])
    assert "tf.Variable 'w:0' shape=(2,) dtype=float32" in repr(v)
    frozen = tf.Variable(3, trainable=False)
    assert not frozen.trainable
    assert not frozen.requires_grad
    assert tf.Variable(lambda: tf.ones([1])).tolist() == [1.0]
    assert tf.Variable([1.0], dtype=tf.float64).dtype == tf.float64
    assert type(v * 2) is torch.Tensor  # arithmetic gives plain tensors
    assert v.read_value().requires_grad
    assert v.value().tolist() == v.tolist()


def test_variable_needs_an_initial_value_of_the_given_shape() -> None:
    with pytest.raises(ValueError, match=r"tf\.Variable: `initial_value` is required"):
        tf.Variable()
    with pytest.raises(ValueError, match=r"has shape \(2,\) but shape=\[3\]"):
        tf.Variable([1.0, 2.0], shape=[3])


def test_cast_truncates_toward_zero_and_maps_nonzero_to_true() -> None:
    assert tf.cast([-1.7, 1.7, 2.5], tf.int32).tolist() == [-1, 1, 2]
    assert tf.cast([0.0, 0.3], tf.bool).tolist() == [False, True]
    assert tf.cast(np.array([3], dtype="uint8"), "float32").dtype == tf.float32
    assert tf.dtypes.cast([1], tf.int64).dtype == tf.int64
    assert tf.as_dtype("uint8") is tf.uint8
    assert tf.dtypes.float32 is tf.float32


def test_shape_is_an_int32_tensor_and_shape_args_take_it() -> None:
    x = tf.zeros([2, 3, 4])
    s = tf.shape(x)
    assert s.dtype == tf.int32
    assert s.tolist() == [2, 3, 4]
    assert tf.zeros(tf.shape(x)[1:]).shape == (3, 4)
    assert tf.reshape(x, [tf.shape(x)[0], -1]).shape == (2, 12)
    assert int(tf.size(x)) == 24
    assert int(tf.rank(x)) == 3
    assert tf.shape(x, out_type=tf.int64).dtype == tf.int64


def test_reshape_refuses_sizes_that_do_not_match() -> None:
    with pytest.raises(ValueError, match=r"tf\.reshape: cannot reshape .* \(2, 3\)"):
        tf.reshape(tf.zeros([2, 3]), [4, -1])
    with pytest.raises(ValueError, match=r"to shape=\[5\]"):
        tf.reshape(tf.zeros([2, 3]), [5])


def test_bad_shape_and_axis_arguments_say_what_is_expected() -> None:
    with pytest.raises(ValueError, match=r"`shape` must be a list of integers"):
        tf.zeros(["a"])
    with pytest.raises(ValueError, match=r"`axis` must be one integer axis"):
        tf.concat([tf.zeros(2)], axis=[0, 1])
    assert _common.axes(torch.tensor([0, 1])) == (0, 1)


def test_concat_stack_unstack_expand_squeeze_transpose_tile() -> None:
    a, b = tf.ones([2, 3]), tf.zeros([2, 3])
    assert tf.concat([a, b], axis=0).shape == (4, 3)
    assert tf.concat([a, b], -1).shape == (2, 6)
    assert tf.stack([a, b], axis=1).shape == (2, 2, 3)
    assert [t.shape for t in tf.unstack(a, axis=1)] == [(2,)] * 3
    assert tf.expand_dims(a, axis=-1).shape == (2, 3, 1)
    assert tf.squeeze(tf.zeros([1, 2, 1])).shape == (2,)
    assert tf.squeeze(tf.zeros([1, 2, 1]), axis=[2]).shape == (1, 2)
    assert tf.transpose(tf.zeros([2, 3, 4])).shape == (4, 3, 2)  # all axes reversed
    assert tf.transpose(tf.zeros([2, 3, 4]), perm=[0, 2, 1]).shape == (2, 4, 3)
    assert tf.tile([[1, 2]], [2, 2]).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert tf.identity(a).tolist() == a.tolist()
    assert tf.eye(2, batch_shape=[3]).shape == (3, 2, 2)


def test_gather_takes_whole_slices_along_axis() -> None:
    params = tf.reshape(tf.range(12), [3, 4])
    assert tf.gather(params, [2, 0]).tolist() == [[8, 9, 10, 11], [0, 1, 2, 3]]
    assert tf.gather(params, [[1], [3]], axis=1).shape == (3, 2, 1)
    assert tf.gather(params, 1, axis=-1).tolist() == [1, 5, 9]


def test_gather_refuses_bad_batch_dims_and_indices_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"`batch_dims` must count leading axes"):
        tf.gather(tf.zeros([2, 2]), [[0], [1], [0]], batch_dims=1)
    with pytest.raises(
        ValueError, match=r"index 5 is out of range for axis 0 of size 3"
    ):
        tf.gather(tf.zeros([3]), [0, 5])


def test_where_selects_or_returns_int64_coordinates() -> None:
    cond = tf.constant([[True, False], [False, True]])
    assert tf.where(cond).tolist() == [[0, 0], [1, 1]]
    assert tf.where(cond).dtype == tf.int64
    assert tf.where(cond, 1.0, 0.0).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    with pytest.raises(ValueError, match=r"tf\.where: give both `x` and `y`"):
        tf.where(cond, x=1.0)


def test_boolean_mask_keeps_the_true_rows() -> None:
    x = tf.constant([[1, 2], [3, 4], [5, 6]])
    assert tf.boolean_mask(x, [True, False, True]).tolist() == [[1, 2], [5, 6]]
    assert tf.boolean_mask(x, [False, True], axis=1).tolist() == [[2], [4], [6]]


def test_one_hot_defaults_and_off_value_out_of_range() -> None:
    out = tf.one_hot([0, 2, 5], depth=3)
    assert out.dtype == tf.float32
    assert out.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    custom = tf.one_hot([1], 2, on_value=5, off_value=-1)
    assert custom.tolist() == [[-1, 5]]
    assert custom.dtype == tf.int32
    assert tf.one_hot([1, 0], 2, axis=0).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match=r"tf\.one_hot: `depth` must be >= 0"):
        tf.one_hot([0], -1)


def test_range_fill_zeros_ones_like_clip() -> None:
    assert tf.range(5).tolist() == [0, 1, 2, 3, 4]
    assert tf.range(5).dtype == tf.int32
    assert tf.range(1, 10, 4).tolist() == [1, 5, 9]
    assert tf.range(0.0, 1.0, 0.5).dtype == tf.float32
    assert tf.range(tf.constant(3)).tolist() == [0, 1, 2]
    assert tf.fill([2], 3).dtype == tf.int32
    assert tf.fill([2], 0.5).tolist() == [0.5] * 2
    assert tf.zeros([2], dtype=tf.int64).dtype == tf.int64
    assert tf.ones_like(tf.constant([1, 2])).dtype == tf.int32
    assert tf.zeros_like([1.0], dtype=tf.int32).dtype == tf.int32
    clipped = tf.clip_by_value(tf.constant([-2.0, 0.5, 3.0]), -1.0, 1.0)
    assert clipped.tolist() == [-1.0, 0.5, 1.0]


def test_variable_handles_from_models_are_read_as_their_tensors() -> None:
    from cnnkit import layers

    dense = layers.Dense(2)
    dense.build((None, 3))
    kernel = dense.trainable_variables[0]
    assert tf.reduce_sum(tf.square(kernel)).shape == ()


def test_function_runs_eagerly_with_and_without_arguments() -> None:
    @tf.function
    def double(x: torch.Tensor) -> torch.Tensor:
        return x * 2

    @tf.function(jit_compile=True, reduce_retracing=True)
    def triple(x: torch.Tensor) -> torch.Tensor:
        return x * 3

    assert double(tf.constant(2)).item() == 4
    assert triple(tf.constant(2)).item() == 6
    assert double.__name__ == "double"
    assert tf.function(lambda: 1)() == 1


def test_print_writes_tensor_values_to_stderr_by_default(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    import sys

    tf.print("loss:", tf.constant(0.5), tf.constant([1, 2]))
    assert capsys.readouterr().err == "loss: 0.5 [1 2]\n"
    tf.print("x", output_stream=sys.stdout, sep="=", end="!\n")
    assert capsys.readouterr().out == "x!\n"
    target = f"{tmp_path}/log.txt"
    tf.print("to a file", output_stream=f"file://{target}")
    with open(target, encoding="utf-8") as f:
        assert f.read() == "to a file\n"


def test_stop_gradient_detaches() -> None:
    w = tf.Variable([1.0])
    assert not tf.stop_gradient(w * 2).requires_grad


def test_gather_with_batch_dims_takes_per_example_indices() -> None:
    logits = tf.constant([[0.1, 0.9, 0.0], [0.7, 0.2, 0.1]])
    assert tf.gather(logits, [1, 0], batch_dims=1).tolist() == pytest.approx([0.9, 0.7])
    rng = np.random.default_rng(0)
    params = rng.normal(size=(2, 3, 5, 4))
    indices = rng.integers(0, 5, size=(2, 3, 6))
    got = tf.gather(tf.constant(params), indices, axis=2, batch_dims=2)
    expected = np.stack(
        [np.stack([params[b, t][indices[b, t]] for t in range(3)]) for b in range(2)]
    )
    assert tuple(got.shape) == (2, 3, 6, 4)
    np.testing.assert_array_equal(got.numpy(), expected)
    # axis after the batch: params (2, 4, 5), indices (2, 3) along axis 2
    p = rng.normal(size=(2, 4, 5))
    i = rng.integers(0, 5, size=(2, 3))
    out = tf.gather(tf.constant(p), i, axis=2, batch_dims=1)
    assert tuple(out.shape) == (2, 4, 3)
    np.testing.assert_array_equal(
        out.numpy(), np.stack([p[b][:, i[b]] for b in range(2)])
    )
    assert tf.gather(logits, [[1], [2]], batch_dims=-1).tolist() == [
        pytest.approx([0.9]),
        pytest.approx([0.1]),
    ]
