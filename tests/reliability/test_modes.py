"""Modes per call, not per model (issue "Nothing lost, nothing let in", part 4).

``predict``/``evaluate`` run every layer in inference mode through the call itself
(``training=False`` in the thread's call context), so a ``fit`` running at the same
time in another thread, on the same model, cannot switch a predict's Dropout or
BatchNormalization into training mode.
"""

from __future__ import annotations

import itertools
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


def _metric_model(kind: str) -> Any:
    model = _dense(cnnkit.layers) if kind == "dense" else _cnn(cnnkit.layers)
    loss = "mse" if kind == "dense" else "categorical_crossentropy"
    metrics = ["mae"] if kind == "dense" else ["accuracy", "mse"]
    model.compile(
        optimizer=cnnkit.optimizers.SGD(learning_rate=0.0), loss=loss, metrics=metrics
    )
    return model


def _seeded_fit(model: Any, x: np.ndarray, y: np.ndarray) -> dict[str, list[float]]:
    cnnkit.utils.set_random_seed(0)  # shuffling and Dropout draw from it
    history = model.fit(x, y, batch_size=8, epochs=4, verbose=0)
    return history.history


@pytest.mark.parametrize("kind", ["dense", "cnn"])
def test_evaluate_while_fit_runs_is_isolated(kind: str) -> None:
    # evaluate used to share fit's metric objects: it reset them mid-epoch and
    # restored them at its end, so each corrupted the other's values.
    x, y = _data(kind, np.random.default_rng(0))
    model = _metric_model(kind)
    reference = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    alone = _seeded_fit(model, x, y)
    assert _seeded_fit(model, x, y) == alone  # the premise: fit is repeatable
    done = threading.Event()
    errors: list[BaseException] = []
    results: list[dict[str, float]] = []
    concurrent: dict[str, list[float]] = {}

    def train() -> None:
        try:
            concurrent.update(_seeded_fit(model, x, y))
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            done.set()

    def evaluate() -> None:
        try:
            while not done.is_set():
                results.append(
                    model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
                )
        except BaseException as error:
            errors.append(error)

    _run_all(
        [threading.Thread(target=evaluate) for _ in range(3)]
        + [threading.Thread(target=train)]
    )
    assert not errors, errors
    assert results, "no evaluate ran"
    for result in results:
        assert result.keys() == reference.keys()
        for key, value in reference.items():
            assert result[key] == pytest.approx(value, rel=1e-6), (key, result)
    assert concurrent.keys() == alone.keys()
    for key, values in alone.items():
        assert concurrent[key] == pytest.approx(values, rel=1e-6), key


def test_evaluate_publishes_into_model_metrics_unless_fit_runs() -> None:
    x, y = _data("dense", np.random.default_rng(0))
    model = _metric_model("dense")
    result = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    # Keras: after evaluate, model.metrics hold its results.
    assert {k: float(v) for k, v in model.get_metrics_result().items()} == (
        pytest.approx(result)
    )
    alone = _seeded_fit(model, x, y)

    class EvaluateMidEpoch(cnnkit.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if batch in (3, 7):
                model.evaluate(x[:40], y[:40], verbose=0)

    cnnkit.utils.set_random_seed(0)
    history = model.fit(
        x, y, batch_size=8, epochs=4, verbose=0, callbacks=[EvaluateMidEpoch()]
    )
    # An evaluate inside fit neither reset fit's running values nor replaced them.
    for key, values in alone.items():
        assert history.history[key] == pytest.approx(values, rel=1e-6), key
    last = {k: float(v) for k, v in model.get_metrics_result().items()}
    assert last == pytest.approx({k: v[-1] for k, v in alone.items()}, rel=1e-6)


def test_predict_during_fit_sees_weights_between_steps() -> None:
    # Each inference batch holds the model's step lock for reading and each
    # training step holds it for writing: a predict made while fit trains sees
    # the weights after some step, never a mix of two (kernel of one step, bias
    # of the previous).
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 16)).astype("float32")
    y = rng.normal(size=(64, 4)).astype("float32")
    probe = x[:8]

    def build() -> Any:
        inputs = cnnkit.Input((16,))
        hidden = cnnkit.layers.Dense(64, activation="relu", name="hidden")(inputs)
        return cnnkit.Model(inputs, cnnkit.layers.Dense(4, name="out")(hidden))

    model = build()
    model.compile(optimizer=cnnkit.optimizers.Adam(0.01), loss="mse")
    snapshots = [model.get_weights()]

    class Snapshot(cnnkit.callbacks.Callback):
        # Runs in fit's thread between two steps: the weights as a predict may
        # see them until the next step.
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            snapshots.append(model.get_weights())

    done = threading.Event()
    errors: list[BaseException] = []
    seen: list[np.ndarray] = []

    def train() -> None:
        try:
            model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[Snapshot()])
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            done.set()

    def infer() -> None:
        try:
            while not done.is_set():
                seen.append(model.predict_on_batch(probe))
        except BaseException as error:
            errors.append(error)

    _run_all(
        [threading.Thread(target=infer) for _ in range(4)]
        + [threading.Thread(target=train)]
    )
    assert not errors, errors
    assert len(snapshots) == 3 * 16 + 1
    reference = build()
    expected = []
    for weights in snapshots:
        reference.set_weights(weights)
        expected.append(reference.predict_on_batch(probe))
    step = min(float(np.abs(a - b).max()) for a, b in itertools.pairwise(expected))
    assert step > 1e-4  # the premise: every step moves the outputs
    torn = [
        output
        for output in seen
        if min(float(np.abs(output - e).max()) for e in expected) > 1e-6
    ]
    assert seen, "no predict ran during fit"
    assert not torn, f"{len(torn)} of {len(seen)} predictions mixed steps"


def test_private_metric_copies_keep_referencing_the_model() -> None:
    # evaluate's private copies of the metrics are deep copies, but a custom
    # metric holding the model must still see the model, not a copy of it.
    model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(2)])
    seen: list[int] = []

    class Holder(cnnkit.metrics.Mean):
        def __init__(self) -> None:
            super().__init__(name="holder")
            self.model = model

        def update_state(
            self, y_true: Any, y_pred: Any, sample_weight: Any = None
        ) -> None:
            seen.append(id(self.model))
            super().update_state(y_pred)

    model.compile(optimizer="sgd", loss="mse", metrics=[Holder()])
    x, y = np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
    assert len(seen) >= 3  # evaluate, fit's step, fit's validation
    assert set(seen) == {id(model)}


class _OwnTestStep(cnnkit.Sequential):
    # Keras' guide's test_step: it updates model.metrics itself, so evaluate
    # cannot give it private copies.
    def test_step(self, data: Any) -> dict[str, Any]:
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_own_test_step_evaluated_inside_fit_gives_fits_values_back() -> None:
    x, y = _data("dense", np.random.default_rng(0))

    def build() -> Any:
        model = _OwnTestStep([cnnkit.Input((16,)), cnnkit.layers.Dense(4, name="out")])
        model.compile(
            optimizer=cnnkit.optimizers.SGD(0.01), loss="mse", metrics=["mae"]
        )
        return model

    cnnkit.utils.set_random_seed(0)
    alone = build().fit(x, y, batch_size=8, epochs=2, verbose=0).history

    class EvaluateMidEpoch(cnnkit.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if batch == 5:
                self.model.evaluate(x[:40], y[:40], verbose=0)

    cnnkit.utils.set_random_seed(0)
    model = build()
    history = model.fit(
        x, y, batch_size=8, epochs=2, verbose=0, callbacks=[EvaluateMidEpoch()]
    )
    for key, values in alone.items():
        assert history.history[key] == pytest.approx(values, rel=1e-6), key
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    assert {k: float(v) for k, v in model.get_metrics_result().items()} == (
        pytest.approx(result)
    )  # outside a fit, model.metrics hold evaluate's results (Keras)
