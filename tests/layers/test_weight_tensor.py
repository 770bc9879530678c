"""Weights behave as Keras variables (assign, assign_add, numpy) and as torch tensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnkit import layers


class ComputeSum(layers.Layer):
    """Keras' "making new layers" guide: a non-trainable weight updated in call."""

    def __init__(self, input_dim: int) -> None:
        super().__init__()
        self.total = self.add_weight(
            initializer="zeros", shape=(input_dim,), trainable=False
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self.total.assign_add(inputs.sum(0))
        return self.total


def test_a_weight_updated_in_call_accumulates() -> None:
    layer = ComputeSum(2)
    x = torch.ones(2, 2)
    assert layer(x).tolist() == [2.0, 2.0]
    assert layer(x).tolist() == [4.0, 4.0]
    assert [w.path for w in layer.weights] == ["compute_sum/variable"]


def test_layer_attributes_have_variable_methods() -> None:
    dense = layers.Dense(3)
    dense.build((None, 4))
    dense.bias.assign(np.ones(3, dtype="float32"))
    dense.kernel.assign_sub(dense.kernel.numpy())
    assert dense.kernel.numpy().tolist() == np.zeros((4, 3)).tolist()
    assert dense(np.ones((1, 4), dtype="float32")).tolist() == [[1.0, 1.0, 1.0]]
    assert type(dense.kernel * 2) is torch.Tensor  # arithmetic stays plain torch


def test_assign_checks_the_shape() -> None:
    dense = layers.Dense(3)
    dense.build((None, 4))
    with pytest.raises(ValueError, match=r"shape \(2,\) to a weight of shape \(3,\)"):
        dense.bias.assign(np.ones(2, dtype="float32"))


def test_dtype_moves_keep_the_variable_methods() -> None:
    bn = layers.BatchNormalization()
    bn.build((None, 3))
    bn.double()
    assert bn.moving_mean.dtype == torch.float64
    bn.moving_mean.assign([1.0, 2.0, 3.0])
    bn.gamma.assign([2.0, 2.0, 2.0])
    assert bn.moving_mean.numpy().tolist() == [1.0, 2.0, 3.0]
    assert [w.numpy().dtype for w in bn.weights] == [np.float64] * 4


def test_unnamed_weights_are_numbered_like_keras() -> None:
    class Two(layers.Layer):
        def build(self, input_shape: tuple[int, ...]) -> None:
            self.a = self.add_weight(shape=(1,))
            self.b = self.add_weight(shape=(1,))

        def call(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.a + self.b

    layer = Two(name="two")
    layer(torch.ones(1, 1))
    assert [w.path for w in layer.weights] == ["two/variable", "two/variable_1"]
