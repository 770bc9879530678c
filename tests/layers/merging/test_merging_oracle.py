"""Merging layers against Keras 3 itself (torch backend).

For every configuration: same outputs (``atol=rtol=1e-4``), same (empty) weight list,
same ``compute_output_shape`` (also equal to the real output shape), same
``get_config`` and ``get_build_config``. The lowercase functional forms are compared
too.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import layers

keras = pytest.importorskip("keras")

ATOL = RTOL = 1e-4
IMG = (2, 4, 4, 3)

CASES: list[tuple[str, dict[str, Any], list[tuple[int, ...]]]] = [
    ("Add", {}, [IMG, IMG]),
    ("Add", {}, [IMG, IMG, IMG]),
    ("Add", {}, [IMG, (2, 1, 1, 3)]),
    ("Add", {}, [(2, 3), (2, 4, 3)]),
    ("Subtract", {}, [IMG, IMG]),
    ("Subtract", {}, [(2, 5), (2, 1)]),
    ("Multiply", {}, [IMG, IMG]),
    ("Multiply", {}, [IMG, (2, 1, 1, 3)]),
    ("Average", {}, [IMG, IMG, IMG]),
    ("Maximum", {}, [IMG, IMG]),
    ("Maximum", {}, [(2, 5), (2, 5), (2, 5)]),
    ("Minimum", {}, [IMG, IMG]),
    ("Minimum", {}, [(2, 3, 5), (2, 1, 5)]),
    ("Concatenate", {}, [IMG, (2, 4, 4, 5)]),
    ("Concatenate", {"axis": 1}, [(2, 3, 4), (2, 5, 4)]),
    ("Concatenate", {"axis": 1}, [(2, 3, 4, 4), (2, 2, 4, 4), (2, 1, 4, 4)]),
    ("Concatenate", {"axis": -2}, [(2, 3, 4), (2, 5, 4)]),
    ("Concatenate", {"axis": 2}, [IMG, (2, 4, 6, 3)]),
]


def _plain(value: Any) -> Any:
    """Tuples and lists compare equal after this (Keras writes tuples)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _inputs(shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    rng = np.random.default_rng(len(shapes))
    return [rng.standard_normal(s).astype("float32") for s in shapes]


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("name", "kwargs", "shapes"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_matches_keras(
    name: str, kwargs: dict[str, Any], shapes: list[tuple[int, ...]]
) -> None:
    ours = getattr(layers, name)(name="probe", **kwargs)
    theirs = getattr(keras.layers, name)(name="probe", **kwargs)
    xs = _inputs(shapes)

    got = ours([torch.from_numpy(x) for x in xs]).numpy()
    expected = keras.ops.convert_to_numpy(theirs(xs))
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    assert theirs.get_weights() == ours.get_weights() == []
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights] == []

    symbolic = [(None, *s[1:]) for s in shapes]
    assert ours.compute_output_shape(symbolic) == tuple(
        theirs.compute_output_shape(symbolic)
    )
    assert ours.compute_output_shape(shapes) == got.shape
    assert _plain(ours.get_config()) == _plain(theirs.get_config())
    # Configs survive JSON both ways (what .keras files carry).
    ours_json = json.loads(json.dumps(ours.get_config()))
    theirs_json = json.loads(json.dumps(theirs.get_config()))
    keras_clone = type(theirs).from_config(ours_json)
    ours_clone = type(ours).from_config(theirs_json)
    assert _plain(keras_clone.get_config()) == _plain(theirs_json)
    assert _plain(ours_clone.get_config()) == _plain(ours_json)
    assert _plain(ours.get_build_config()) == _plain(theirs.get_build_config())


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        ("add", {}), ("subtract", {}), ("multiply", {}), ("average", {}),
        ("maximum", {}), ("minimum", {}), ("concatenate", {"axis": 1}),
    ],
)  # fmt: skip
def test_functional_forms_match_keras(function: str, kwargs: dict[str, Any]) -> None:
    xs = _inputs([IMG, IMG])
    got = getattr(layers, function)([torch.from_numpy(x) for x in xs], **kwargs)
    expected = getattr(keras.layers, function)(xs, **kwargs)
    np.testing.assert_allclose(
        got.numpy(), keras.ops.convert_to_numpy(expected), atol=ATOL, rtol=RTOL
    )
