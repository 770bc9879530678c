"""Part B helpers: tiny models and data for the training idioms, built twice.

Every builder takes the library (``cnnkit`` or ``keras``) as its first argument, as a
tutorial would be written against either. ``twins(build)`` builds the cnnkit model
and its Keras twin and copies cnnkit's initial weights into Keras, so the same user
code (an *idiom*: ``idiom(lib, model) -> result``) can run on both and the results
be compared with ``same``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import cnnkit

from .harness import assert_same, copy_weights, keras

N, FEATURES, CLASSES = 32, 4, 3

_rng = np.random.default_rng(1234)
X = _rng.standard_normal((N, FEATURES)).astype("float32")
LABELS = _rng.integers(0, CLASSES, N)
ONE_HOT = np.eye(CLASSES, dtype="float32")[LABELS]
BINARY = (X[:, :1] + X[:, 1:2] > 0).astype("float32")
MULTI_HOT = (_rng.random((N, CLASSES)) > 0.5).astype("float32")
TARGET = (X @ np.array([[0.5], [-1.0], [0.25], [2.0]], dtype="float32")).astype(
    "float32"
)
SAMPLE_WEIGHT = _rng.uniform(0.2, 2.0, N).astype("float32")
X_VAL = _rng.standard_normal((10, FEATURES)).astype("float32")
LABELS_VAL = _rng.integers(0, CLASSES, 10)
IMAGES = _rng.standard_normal((16, 8, 8, 1)).astype("float32")
IMAGE_LABELS = _rng.integers(0, CLASSES, 16)

LIBS = (cnnkit, keras)


def mlp(lib: Any, units: int = CLASSES, activation: str | None = "softmax") -> Any:
    """``Input((4,)) → Dense(5, relu) → Dense(units, activation)``: the tutorial MLP."""
    return lib.Sequential(
        [
            lib.Input((FEATURES,)),
            lib.layers.Dense(5, activation="relu"),
            lib.layers.Dense(units, activation=activation),
        ]
    )


def cnn(lib: Any) -> Any:
    """A tiny MNIST-style CNN on ``(8, 8, 1)`` images."""
    return lib.Sequential(
        [
            lib.Input((8, 8, 1)),
            lib.layers.Conv2D(4, 3, activation="relu"),
            lib.layers.MaxPooling2D(),
            lib.layers.Flatten(),
            lib.layers.Dense(CLASSES, activation="softmax"),
        ]
    )


def two_heads(lib: Any) -> Any:
    """One input, a softmax head ``cls`` and a linear head ``reg``."""
    inputs = lib.Input((FEATURES,), name="features")
    hidden = lib.layers.Dense(5, activation="relu")(inputs)
    cls = lib.layers.Dense(CLASSES, activation="softmax", name="cls")(hidden)
    reg = lib.layers.Dense(1, name="reg")(hidden)
    return lib.Model(inputs, [cls, reg])


def twins(build: Callable[[Any], Any]) -> tuple[Any, Any]:
    """The cnnkit model and its Keras twin, with the same (cnnkit's) weights."""
    ours, theirs = build(cnnkit), build(keras)
    copy_weights(ours, theirs)
    return ours, theirs


def both(
    build: Callable[[Any], Any], idiom: Callable[[Any, Any], Any]
) -> tuple[Any, Any]:
    """``idiom(lib, model)`` on cnnkit and on Keras, each on its twin model."""
    ours, theirs = twins(build)
    return idiom(cnnkit, ours), idiom(keras, theirs)


def numeric(value: Any) -> Any:
    """Python / numpy floats as 0-d arrays (so ``assert_same`` uses tolerances).

    Everything else keeps its type: ints, strings and containers stay exact.
    """
    if isinstance(value, Mapping):
        return {k: numeric(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(numeric(v) for v in value)
    if isinstance(value, (float, np.floating)):
        return np.asarray(value, dtype="float64")
    return value


def same(ours: Any, theirs: Any, atol: float = 1e-5, rtol: float = 1e-5) -> None:
    """``assert_same`` with floats compared to tolerance, not with ``==``."""
    assert_same(numeric(ours), numeric(theirs), atol=atol, rtol=rtol)


def history_dict(history: Any) -> dict[str, list[float]]:
    """``history.history`` as plain floats (Keras keeps Python floats)."""
    return {k: [float(v) for v in values] for k, values in history.history.items()}


def weights(model: Any) -> list[np.ndarray]:
    return [np.asarray(w) for w in model.get_weights()]


TARGETS = {
    "labels": LABELS,
    "labels_column": LABELS[:, None],  # CIFAR-style (N, 1) integer labels
    "one_hot": ONE_HOT,
    "binary": BINARY,
    "multi_hot": MULTI_HOT,
    "regression": TARGET,
    "regression_flat": TARGET[:, 0],
}


def fit_and_evaluate(
    lib: Any,
    model: Any,
    y: Any,
    compile_kwargs: dict[str, Any],
    **fit_kwargs: Any,
) -> dict[str, Any]:
    model.compile(**compile_kwargs)
    fit_kwargs = {"batch_size": 8, "epochs": 2, "shuffle": False, **fit_kwargs}
    history = model.fit(X, y, verbose=0, **fit_kwargs)
    return {
        "history": history_dict(history),
        "weights": weights(model),
        "evaluate": model.evaluate(X, y, verbose=0, return_dict=True),
    }


__all__ = [
    "BINARY",
    "CLASSES",
    "FEATURES",
    "IMAGES",
    "IMAGE_LABELS",
    "LABELS",
    "LABELS_VAL",
    "LIBS",
    "MULTI_HOT",
    "ONE_HOT",
    "SAMPLE_WEIGHT",
    "TARGET",
    "TARGETS",
    "X_VAL",
    "X",
    "both",
    "cnn",
    "fit_and_evaluate",
    "history_dict",
    "keras",
    "mlp",
    "numeric",
    "same",
    "twins",
    "two_heads",
    "weights",
]
