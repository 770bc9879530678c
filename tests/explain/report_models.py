"""Tiny trained classifiers for the report and plot tests (not a test module)."""

from __future__ import annotations

import numpy as np

import cnnkit
from cnnkit import layers


def data_2d(n: int = 36, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, 10, 10, 1), dtype="float32"), np.arange(n) % classes


def sequential_2d() -> cnnkit.Model:
    return cnnkit.Sequential([
        layers.Input((10, 10, 1)),
        layers.Conv2D(4, 3, activation="relu", name="conv_a"),
        layers.MaxPooling2D(),
        layers.Conv2D(6, 2, activation="relu", name="conv_b"),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])  # fmt: skip


def functional_2d() -> cnnkit.Model:
    inputs = cnnkit.Input((10, 10, 1))
    a = layers.Conv2D(4, 3, activation="relu", name="left")(inputs)
    b = layers.Conv2D(4, 3, activation="relu", name="right")(inputs)
    merged = layers.Add()([a, b])
    pooled = layers.GlobalAveragePooling2D()(merged)
    return cnnkit.Model(inputs, layers.Dense(3, activation="softmax")(pooled))


def sequential_1d() -> cnnkit.Model:
    return cnnkit.Sequential([
        layers.Input((24, 2)),
        layers.Conv1D(4, 3, activation="relu", name="conv1d_a"),
        layers.MaxPooling1D(),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])  # fmt: skip


def data_1d(n: int = 36) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.random((n, 24, 2), dtype="float32"), np.arange(n) % 3


def trained(
    model: cnnkit.Model, x: np.ndarray, y: np.ndarray, **fit: object
) -> cnnkit.Model:
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    model.fit(x, y, epochs=2, batch_size=12, verbose=0, **fit)  # type: ignore[arg-type]
    return model
