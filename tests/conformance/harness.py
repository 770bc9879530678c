"""Shared helpers for the conformance suite: the same user code on cnnkit and on Keras 3.

A conformance test writes a Keras idiom the way a tutorial does, runs it once with
``cnnkit`` and once with ``keras`` (the test-only oracle, ``KERAS_BACKEND=torch``), and
compares what the user would see: numbers to ``1e-5`` (absolute and relative), shapes,
names and dict keys exactly.

Usage::

    from .harness import assert_same, copy_weights, keras, to_numpy

    pytestmark = pytest.mark.oracle

    def test_dense(data):
        ours = cnnkit.layers.Dense(4)
        theirs = keras.layers.Dense(4)
        x = data(2, 3)
        ours(x), theirs(x)              # build both
        copy_weights(ours, theirs)      # cnnkit's weights into Keras
        assert_same(ours(x), theirs(x))

The autouse fixture in ``conftest.py`` clears both sessions before each test, so
auto-names (``conv2d``, ``conv2d_1``) start from the same counter on both sides.
Never loosen ``ATOL``/``RTOL`` or special-case cnnkit here: a difference is a finding.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pytest
import torch

import cnnkit

keras: Any = pytest.importorskip("keras")

ATOL = 1e-5
RTOL = 1e-5

#: ``data(*shape)`` returns seeded float32 numpy data; see the ``data`` fixture.
DataFactory = Callable[..., np.ndarray]


def to_numpy(value: Any) -> Any:
    """A torch tensor, Keras variable, cnnkit variable or array-like as numpy.

    Nested lists, tuples and dicts are converted element by element (the container
    type is kept); ``None``, strings, ints and floats pass through unchanged.
    """
    if value is None or isinstance(value, (str, bytes, bool, int, float)):
        return value
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, Mapping):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy(v) for v in value)
    if hasattr(value, "numpy"):  # keras.Variable, cnnkit.Variable
        return to_numpy(value.numpy())
    return np.asarray(value)


def assert_same(
    ours: Any, theirs: Any, atol: float = ATOL, rtol: float = RTOL, path: str = "value"
) -> None:
    """Assert two results are the same, recursively.

    Arrays/tensors: equal shapes, then ``np.testing.assert_allclose`` with ``atol`` and
    ``rtol``. Dicts: equal key sets (order ignored), then value by value. Lists and
    tuples: equal lengths, then item by item (a list and a tuple compare equal, since
    Keras itself is not strict about which it returns). Anything else: ``==``.
    ``path`` names the element in the failure message (``value[1]['dense']``).
    """
    if isinstance(ours, Mapping) or isinstance(theirs, Mapping):
        kinds = f"{path}: {type(ours).__name__} vs Keras {type(theirs).__name__}"
        assert isinstance(ours, Mapping), kinds
        assert isinstance(theirs, Mapping), kinds
        assert sorted(map(str, ours)) == sorted(map(str, theirs)), (
            f"{path}: keys {list(ours)} vs Keras {list(theirs)}"
        )
        for key in theirs:
            assert_same(ours[key], theirs[key], atol, rtol, f"{path}[{key!r}]")
        return
    if isinstance(ours, (list, tuple)) and isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), (
            f"{path}: length {len(ours)} vs Keras {len(theirs)}"
        )
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, atol, rtol, f"{path}[{i}]")
        return
    a, b = to_numpy(ours), to_numpy(theirs)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{path}: shape {a.shape} vs Keras {b.shape}"
        np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=path)
        return
    assert a == b, f"{path}: {a!r} vs Keras {b!r}"


def copy_weights(ours: Any, theirs: Any) -> None:
    """Copy the weights of a built cnnkit layer/model into its built Keras twin.

    Uses the public ``get_weights``/``set_weights`` of both, so it also checks that
    the two agree on the number, order and shapes of the weights.
    """
    values = ours.get_weights()
    shapes = [tuple(np.shape(w)) for w in values]
    keras_shapes = [tuple(np.shape(w)) for w in theirs.get_weights()]
    assert shapes == keras_shapes, f"weight shapes {shapes} vs Keras {keras_shapes}"
    theirs.set_weights(values)


def shapes(value: Any) -> Any:
    """The shape(s) of a tensor or nested structure as tuples of ints/None."""
    if isinstance(value, Mapping):
        return {k: shapes(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not all(
        v is None or isinstance(v, int) for v in value
    ):
        return [shapes(v) for v in value]
    return tuple(value.shape) if hasattr(value, "shape") else tuple(value)


def weight_paths(obj: Any) -> list[str]:
    """``[w.path for w in obj.weights]``: Keras 3's unique weight names."""
    return [w.path for w in obj.weights]


@contextlib.contextmanager
def quiet_keras() -> Iterator[None]:
    """Silence Keras' own ``UserWarning``s around an oracle-side call.

    The suite turns warnings into errors; Keras warns on some tutorial idioms (a
    model built with ``inputs=m.inputs`` -- a list -- called with one array). Wrap
    only the Keras call, never the cnnkit one.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def clear_sessions() -> None:
    """Reset auto-naming counters on both sides (``conv2d`` again)."""
    cnnkit.backend.clear_session()
    keras.backend.clear_session()


def make_data(seed: int = 0) -> DataFactory:
    """A factory of seeded float32 normal data: ``data(2, 8, 8, 3)``."""
    rng = np.random.default_rng(seed)

    def data(
        *shape: int, low: float | None = None, high: float | None = None
    ) -> np.ndarray:
        if low is not None or high is not None:
            lo = 0.0 if low is None else low
            hi = 1.0 if high is None else high
            return rng.uniform(lo, hi, size=shape).astype("float32")
        return rng.standard_normal(shape).astype("float32")

    return data


__all__ = [
    "ATOL",
    "RTOL",
    "DataFactory",
    "assert_same",
    "clear_sessions",
    "copy_weights",
    "keras",
    "make_data",
    "quiet_keras",
    "shapes",
    "to_numpy",
    "weight_paths",
]
