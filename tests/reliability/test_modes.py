"""Modes per call, not per model (issue "Nothing lost, nothing let in", part 4).

``predict``/``evaluate`` run every layer in inference mode through the call itself
(``training=False`` in the thread's call context), so a ``fit`` running at the same
time in another thread, on the same model, cannot switch a predict's Dropout or
BatchNormalization into training mode.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

import cnnkit

THREADS = 8
ROUNDS = 6


def _dense(layers: Any) -> Any:
    inputs = cnnkit.Input((16,))
    hidden = layers.Dense(64, name="hidden")(inputs)
    hidden = layers.BatchNormalization(momentum=1.0, name="bn")(hidden)
    hidden = layers.Dropout(0.5, name="drop")(hidden)
    return cnnkit.Model(inputs, layers.Dense(4, name="out")(hidden))


def _cnn(layers: Any) -> Any:
    # Conv2D(relu) + MaxPooling2D and a softmax head: the rewrites a model runs
    # through the (thread-local) call context, next to Dropout and BN.
    return cnnkit.Sequential(
        [
            cnnkit.Input((8, 8, 1)),
            layers.Conv2D(8, 3, activation="relu", name="conv"),
            layers.MaxPooling2D(2, name="pool"),
            layers.BatchNormalization(momentum=1.0, name="bn"),
            layers.Flatten(name="flat"),
            layers.Dropout(0.5, name="drop"),
            layers.Dense(4, activation="softmax", name="out"),
        ]
    )


def _model(kind: str) -> Any:
    # learning_rate=0 and BatchNormalization(momentum=1.0): fit changes no weight
    # and no moving statistic, so any difference in a predict is a mode leak.
    model = _dense(cnnkit.layers) if kind == "dense" else _cnn(cnnkit.layers)
    loss = "mse" if kind == "dense" else "categorical_crossentropy"
    model.compile(optimizer=cnnkit.optimizers.SGD(learning_rate=0.0), loss=loss)
    return model


def _data(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    shape = (96, 16) if kind == "dense" else (96, 8, 8, 1)
    x = rng.normal(size=shape).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, 96)]
    return x, y


def _run_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
        assert not thread.is_alive(), "a thread did not finish"


@pytest.mark.parametrize("kind", ["dense", "cnn"])
def test_predict_while_fit_runs_sees_inference_mode(kind: str) -> None:
    x, y = _data(kind, np.random.default_rng(0))
    model = _model(kind)
    reference = model.predict(x, batch_size=32, verbose=0)
    weights = [w.copy() for w in model.get_weights()]
    stop = threading.Event()
    errors: list[BaseException] = []
    differing: list[int] = []

    def train() -> None:
        try:
            while not stop.is_set():
                model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    def infer() -> None:
        try:
            for _ in range(ROUNDS):
                seen = model.predict(x, batch_size=32, verbose=0)
                differing.append(int((~np.isclose(seen, reference)).any(1).sum()))
        except BaseException as error:
            errors.append(error)

    trainer = threading.Thread(target=train)
    trainer.start()
    try:
        _run_all([threading.Thread(target=infer) for _ in range(THREADS)])
    finally:
        stop.set()
        trainer.join(timeout=300)
    assert not errors, errors
    assert len(differing) == THREADS * ROUNDS
    assert sum(differing) == 0, f"{sum(differing)} predictions saw training mode"
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)  # the premise of the test
