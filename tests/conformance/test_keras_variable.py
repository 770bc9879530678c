"""``cnnkit.Variable`` against ``keras.Variable``: dtypes, shapes and values of the
ways tutorials create one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import cnnkit

from .harness import keras

pytestmark = pytest.mark.oracle

CASES: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "python_float": ((3.5,), {}),
    "python_int": ((3,), {"trainable": False}),
    "float_list": (([1.0, 2.0],), {}),
    "int_list": (([1, 2],), {"trainable": False}),
    "float64_array": ((np.arange(3.0),), {}),
    "int64_array": ((np.arange(3),), {"trainable": False}),
    "dtype_given": ((np.arange(3),), {"dtype": "float32"}),
    "initializer": (("ones",), {"shape": (2, 3)}),
    "initializer_object": ((None,), {"shape": (2,)}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_variable_matches_keras(case: str) -> None:
    args, kwargs = CASES[case]
    if case == "initializer_object":
        ours = cnnkit.Variable(cnnkit.initializers.Constant(0.5), **kwargs)
        theirs = keras.Variable(keras.initializers.Constant(0.5), **kwargs)
    else:
        ours, theirs = cnnkit.Variable(*args, **kwargs), keras.Variable(*args, **kwargs)
    assert str(ours.dtype).removeprefix("torch.") == theirs.dtype
    assert ours.shape == tuple(theirs.shape)
    assert ours.trainable == theirs.trainable
    np.testing.assert_array_equal(ours.numpy(), keras.ops.convert_to_numpy(theirs))
