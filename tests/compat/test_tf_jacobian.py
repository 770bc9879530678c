"""``tape.jacobian`` / ``tape.batch_jacobian`` and ``tf.UnconnectedGradients``:
shapes as TensorFlow's, values against closed forms and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit.compat import tf_api as tf


def _function(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return tf.tanh(tf.linalg.matmul(a, x[:, None]))[:, 0] * tf.sin(x[:2]).sum()


def test_jacobian_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    a = tf.constant(rng.normal(size=(3, 4)))
    x = tf.constant(rng.normal(size=4))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = _function(x, a)
    jac = tape.jacobian(y, x)
    assert tuple(jac.shape) == (3, 4)
    eps = 1e-6
    x = x.detach()  # watched: finite differences need no graph
    numeric = np.stack(
        [
            (
                _function(x + eps * torch.eye(4, dtype=x.dtype)[i], a)
                - _function(x - eps * torch.eye(4, dtype=x.dtype)[i], a)
            ).numpy()
            / (2 * eps)
            for i in range(4)
        ],
        axis=1,
    )
    np.testing.assert_allclose(jac.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_jacobian_shapes_are_target_then_source() -> None:
    w = tf.Variable(np.arange(6, dtype="float32").reshape(2, 3))
    x = tf.constant([[1.0, 2.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.linalg.matmul(x, w)  # (1, 3)
    jx, jw = tape.jacobian(y, [x, w])
    assert tuple(jx.shape) == (1, 3, 1, 2)
    assert tuple(jw.shape) == (1, 3, 2, 3)
    # dy[0, j]/dx[0, i] = w[i, j]
    np.testing.assert_array_equal(jx[0, :, 0, :].numpy(), w.numpy().T)
    # dy[0, j]/dw[i, k] = x[0, i] if j == k
    expected = np.einsum("i,jk->jik", [1.0, 2.0], np.eye(3))
    np.testing.assert_array_equal(jw[0].numpy(), expected)


def test_unconnected_sources_get_none_or_zeros() -> None:
    x = tf.Variable([1.0, 2.0])
    unused = tf.Variable([[3.0]])
    with tf.GradientTape(persistent=True) as tape:
        y = x * 3.0
    jx, junused = tape.jacobian(y, {"x": x, "u": unused}).values()
    np.testing.assert_array_equal(jx.numpy(), 3.0 * np.eye(2))
    assert junused is None
    zeros = tape.jacobian(y, unused, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert tuple(zeros.shape) == (2, 1, 1)
    assert not zeros.any()
    grads = tape.gradient(
        y, [x, unused], unconnected_gradients=tf.UnconnectedGradients.ZERO
    )
    assert grads[1].tolist() == [[0.0]]
    weighted = tape.gradient(y, x, output_gradients=tf.constant([1.0, -2.0]))
    assert weighted.tolist() == [3.0, -6.0]
    with pytest.raises(ValueError, match=r"tape.jacobian: `unconnected_gradients`"):
        tape.jacobian(y, x, unconnected_gradients="ones")


def test_a_hessian_from_nested_tapes() -> None:
    x = tf.constant([1.0, -2.0, 0.5])
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(x**3)
        grad = inner.gradient(y, x)
    hessian = outer.jacobian(grad, x)
    np.testing.assert_allclose(hessian.numpy(), np.diag([6.0, -12.0, 3.0]))


def test_batch_jacobian_of_a_model_is_each_examples_jacobian() -> None:
    keras = tf.keras
    model = keras.Sequential(
        [keras.Input(shape=(3,)), keras.layers.Dense(4, activation="tanh")]
    )
    x = tf.constant(np.random.default_rng(1).normal(size=(5, 3)).astype("float32"))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = model(x)
    batch = tape.batch_jacobian(y, x)
    assert tuple(batch.shape) == (5, 4, 3)
    full = tape.jacobian(y, x)  # (5, 4, 5, 3)
    for i in range(5):
        np.testing.assert_allclose(batch[i].numpy(), full[i, :, i].numpy(), atol=1e-6)
    kernel = model.layers[0].kernel.detach().numpy()
    closed = (1 - y.detach().numpy() ** 2)[:, :, None] * kernel.T[None]
    np.testing.assert_allclose(batch.numpy(), closed, rtol=1e-5, atol=1e-6)


def test_batch_jacobian_unconnected_and_shape_errors() -> None:
    x = tf.constant([[1.0], [2.0]])
    other = tf.constant([[1.0], [2.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, other])
        y = tf.concat([x, 2 * x], axis=1)  # (2, 2)
    assert tape.batch_jacobian(y, other) is None
    zeros = tape.batch_jacobian(y, other, unconnected_gradients="zero")
    assert tuple(zeros.shape) == (2, 2, 1)
    with pytest.raises(ValueError, match=r"batch as their first dimension.*\(2, 2\)"):
        tape.batch_jacobian(y, tf.constant([1.0, 2.0, 3.0]))


class _Cube(torch.autograd.Function):
    """An op whose backward torch cannot vmap: the jacobian takes one pass per row."""

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor
    ) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> torch.Tensor:
        (x,) = ctx.saved_tensors  # type: ignore[attr-defined]
        scale = float(grad.abs().max())  # .item(): vmap cannot batch this
        return (grad / scale) * 3 * x**2 * scale


def test_jacobian_of_an_op_without_a_batching_rule() -> None:
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = _Cube.apply(x)
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), np.diag([3.0, 12.0]))


def test_a_non_persistent_tape_gives_one_jacobian() -> None:
    x = tf.Variable([1.0])
    with tf.GradientTape() as tape:
        y = x * 2
    tape.jacobian(y, x)
    with pytest.raises(RuntimeError, match=r"tape.jacobian: a GradientTape gives one"):
        tape.jacobian(y, x)
