"""``cnnkit.activations.*`` take numpy arrays and lists, as Keras' do.

Generated from the registry, so a new activation is covered: each function gets a
float32 numpy array, a float64 one and a nested list, and must give what it gives
the same values as a tensor (and what Keras 3 gives, where Keras has the function).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import activations

NAMES = sorted(
    name
    for name in activations.__all__
    if name not in ("get", "serialize", "deserialize")
)
VALUES = [[-2.0, -0.5, 0.0, 0.25, 1.5, 3.0], [0.1, -1.0, 2.0, -3.0, 0.5, 4.0]]
# Arguments an activation cannot do without (Keras' `threshold` too).
REQUIRED: dict[str, tuple[float, ...]] = {"threshold": (0.5, -1.0)}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", ["float32", "float64", "list"])
def test_activation_takes_arrays_like_tensors(name: str, kind: str) -> None:
    function = getattr(activations, name)
    given: Any = VALUES if kind == "list" else np.array(VALUES, dtype=kind)
    dtype = torch.float64 if kind == "float64" else torch.float32
    args = REQUIRED.get(name, ())
    expected = function(torch.tensor(VALUES, dtype=dtype), *args)
    result = function(given, *args)
    assert isinstance(result, torch.Tensor)
    assert result.dtype == expected.dtype
    torch.testing.assert_close(result, expected)


def test_get_still_returns_the_public_functions() -> None:
    # Layers compare with `is` (the fused softmax cross-entropy, the ReLU/pool
    # rewrite): the registry and the module must hold the same objects.
    for name in NAMES:
        assert activations.get(name) is getattr(activations, name)


@pytest.mark.oracle
@pytest.mark.parametrize("name", NAMES)
def test_arrays_give_what_keras_gives(name: str) -> None:
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.activations, name, None)
    if theirs is None:
        pytest.skip(f"keras.activations has no {name}")
    given = np.array(VALUES, dtype="float32")
    args = REQUIRED.get(name, ())
    ours = activations.get(name)(given, *args)
    expected = np.asarray(keras.ops.convert_to_numpy(theirs(given, *args)))
    np.testing.assert_allclose(ours.numpy(), expected, atol=1e-5, rtol=1e-5)
