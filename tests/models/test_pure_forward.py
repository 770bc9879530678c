"""A forward pass is pure: it assigns to no layer, so one model serves many threads.

The models are built as the tutorials build them. A model's exact rewrites (ReLU moved
after max-pooling, softmax fused into the cross-entropy) keep their state in the
calling thread's context rather than on the layers (DESIGN decision 8).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch

from cnnkit import Input, Model, activations, layers, models
from cnnkit.layers.base import context
from cnnkit.layers.base.layer import Layer
from cnnkit.models._relu_pool import defers_relu

THREADS = 8


# ---------------------------------------------------------------------- models


def seed_cnn() -> models.Sequential:
    """The seed tutorial's MNIST CNN: both conv/pool pairs take the ReLU rewrite."""
    return models.Sequential(
        [
            Input((28, 28, 1)),
            layers.Conv2D(32, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def functional_cnn() -> Model:
    inputs = Input((28, 28, 1))
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return Model(inputs, outputs)


def dropout_batchnorm_cnn() -> models.Sequential:
    return models.Sequential(
        [
            Input((28, 28, 1)),
            layers.Conv2D(8, 3, padding="same"),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def nested_cnn() -> models.Sequential:
    block = models.Sequential(
        [layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(2)],
        name="block",
    )
    return models.Sequential(
        [
            Input((28, 28, 1)),
            block,
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


MODELS: dict[str, Callable[[], Any]] = {
    "seed_cnn": seed_cnn,
    "functional": functional_cnn,
    "dropout_batchnorm": dropout_batchnorm_cnn,
    "nested": nested_cnn,
}


def images(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((count, 28, 28, 1), dtype=np.float32)


def one_hot(count: int) -> np.ndarray:
    return np.eye(10, dtype=np.float32)[np.arange(count) % 10]


def compiled(make: Callable[[], Any]) -> Any:
    model = make()
    model.compile(
        optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return model


# ---------------------------------------------------------------------- recording


class Assignments:
    """Every ``setattr`` on a layer (models included) or torch module while
    :meth:`record` is active, as ``(name, attribute)`` pairs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, str]] = []
        self.recording = False
        layer_setattr, module_setattr = Layer.__setattr__, torch.nn.Module.__setattr__

        def note(obj: Any, key: str) -> None:
            if self.recording:
                self.seen.append((getattr(obj, "name", type(obj).__name__), key))

        def on_layer(obj: Layer, key: str, value: Any) -> None:
            note(obj, key)
            layer_setattr(obj, key, value)

        def on_module(obj: torch.nn.Module, key: str, value: Any) -> None:
            if not isinstance(obj, Layer):  # a layer's own setattr already noted it
                note(obj, key)
            module_setattr(obj, key, value)

        monkeypatch.setattr(Layer, "__setattr__", on_layer)
        monkeypatch.setattr(torch.nn.Module, "__setattr__", on_module)

    @contextlib.contextmanager
    def record(self) -> Iterator[list[tuple[str, str]]]:
        self.seen.clear()
        self.recording = True
        try:
            yield self.seen
        finally:
            self.recording = False


@pytest.fixture
def assignments(monkeypatch: pytest.MonkeyPatch) -> Assignments:
    return Assignments(monkeypatch)


def module_state(model: torch.nn.Module) -> dict[tuple[str, str], Any]:
    """What every module holds, by identity: catches writes that bypass setattr
    (``module.__dict__[key] = ...``) and a weight replaced by a new tensor."""
    state: dict[tuple[str, str], Any] = {}
    for path, module in model.named_modules():
        for key, value in vars(module).items():
            if isinstance(value, dict | list):
                state[path, key] = (id(value), tuple(map(id, tree_values(value))))
            else:
                state[path, key] = id(value)
    return state


def tree_values(value: dict[Any, Any] | list[Any]) -> list[Any]:
    return list(value.values()) if isinstance(value, dict) else list(value)


# ---------------------------------------------------------------------- 1. no writes

OPERATIONS: dict[str, Callable[[Any, np.ndarray, np.ndarray], Any]] = {
    "call": lambda model, x, y: model(x),
    "call_inference": lambda model, x, y: model(x, training=False),
    "call_training": lambda model, x, y: model(x, training=True),
    "predict": lambda model, x, y: model.predict(x, batch_size=4, verbose=0),
    "evaluate": lambda model, x, y: model.evaluate(x, y, batch_size=4, verbose=0),
    "train_on_batch": lambda model, x, y: model.train_on_batch(x, y),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("make", list(MODELS))
def test_a_built_model_is_not_assigned_to_during_a_forward_pass(
    assignments: Assignments, make: str, operation: str
) -> None:
    model = compiled(MODELS[make])
    x, y = images(8), one_hot(8)
    run = OPERATIONS[operation]
    run(model, x, y)  # the first call may build (weights, optimizer slots, metrics)
    before = module_state(model)
    with assignments.record() as seen:
        run(model, x, y)
    assert seen == []
    assert module_state(model) == before


@pytest.mark.parametrize("make", list(MODELS))
def test_fit_assigns_only_its_keras_attributes_on_the_model(
    assignments: Assignments, make: str
) -> None:
    """Between steps ``fit`` sets ``model.history`` and ``model.stop_training`` (as
    Keras does); its forward passes, fused or rewritten, set nothing."""
    model = compiled(MODELS[make])
    x, y = images(8), one_hot(8)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    with assignments.record() as seen:
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_data=(x, y))
    assert set(seen) == {(model.name, "history"), (model.name, "stop_training")}


def test_the_fused_softmax_and_cross_entropy_step_assigns_nothing(
    assignments: Assignments, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = compiled(seed_cnn)
    x, y = images(8), one_hot(8)
    model.train_on_batch(x, y)
    dense = model.layers[-1]
    deferred: list[Any] = []
    real_defer = context.defer_activation

    def spy(layer: object) -> Any:
        deferred.append(layer)
        return real_defer(layer)

    monkeypatch.setattr(context, "defer_activation", spy)
    with assignments.record() as seen:
        model.train_on_batch(x, y)
    # The step really ran fused (the Dense returned logits) and rewrote both pairs.
    assert dense in deferred
    assert model.layers[0] in deferred
    assert model.layers[2] in deferred
    assert seen == []
    assert dense.activation is activations.softmax
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_batch_normalization_updates_its_moving_statistics_in_place() -> None:
    model = compiled(dropout_batchnorm_cnn)
    x, y = images(8), one_hot(8)
    model.train_on_batch(x, y)
    bn = model.layers[1]
    mean, variance = bn.moving_mean, bn.moving_variance
    pointers = mean.data_ptr(), variance.data_ptr()
    old_mean, old_variance = mean.detach().clone(), variance.detach().clone()
    model.train_on_batch(x, y)
    assert bn.moving_mean is mean
    assert bn.moving_variance is variance
    assert (mean.data_ptr(), variance.data_ptr()) == pointers
    assert not torch.equal(mean.detach(), old_mean)
    assert not torch.equal(variance.detach(), old_variance)


def test_a_layer_with_an_activity_penalty_keeps_only_its_last_calls() -> None:
    dense = layers.Dense(1, kernel_initializer="ones", activity_regularizer="l2")
    dense(torch.ones(4, 2))
    dense(torch.ones(4, 2) * 2)
    (penalty,) = dense.losses
    assert float(penalty.detach()) == pytest.approx(0.01 * 4 * 16 / 4)


# ---------------------------------------------------------------------- 2. threads


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Let the interpreter switch threads every few bytecodes, so calls interleave."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def run_together(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run each task in its own thread, all released at once by a barrier."""
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = tasks[index]()
        except BaseException as error:  # re-raised in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


ROUNDS = 6


@pytest.mark.usefixtures("frequent_thread_switches")
def test_one_model_from_eight_threads_matches_sequential_calls() -> None:
    """Callers and predictors run beside an evaluate (whose forward fuses the
    softmax into the loss): each sees exactly what it would see alone."""
    model = compiled(seed_cnn)
    assert defers_relu(model.layers[0], model.layers[1])
    batches = [images(4, seed=i) for i in range(THREADS)]
    x_eval, y_eval = images(16, seed=99), one_hot(16)
    model.evaluate(x_eval, y_eval, batch_size=4, verbose=0)
    with torch.no_grad():
        called = [model(b).numpy() for b in batches]
    predicted = [model.predict(b, verbose=0) for b in batches]
    evaluated = model.evaluate(x_eval, y_eval, batch_size=4, verbose=0)

    def call(i: int) -> Callable[[], list[np.ndarray]]:
        def run() -> list[np.ndarray]:
            with torch.no_grad():
                return [model(batches[i]).numpy() for _ in range(ROUNDS)]

        return run

    def predict(i: int) -> Callable[[], list[np.ndarray]]:
        return lambda: [model.predict(batches[i], verbose=0) for _ in range(ROUNDS)]

    def evaluate() -> list[Any]:
        return [
            model.evaluate(x_eval, y_eval, batch_size=4, verbose=0)
            for _ in range(ROUNDS)
        ]

    tasks = [evaluate] + [call(i) if i % 2 else predict(i) for i in range(1, THREADS)]
    results = run_together(tasks)
    for values in results[0]:
        np.testing.assert_allclose(values, evaluated, rtol=1e-6, atol=1e-6)
    for i in range(1, THREADS):
        expected = called[i] if i % 2 else predicted[i]
        for got in results[i]:
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.usefixtures("frequent_thread_switches")
def test_calls_and_predicts_from_eight_threads_match_sequential_ones() -> None:
    model = seed_cnn()
    batches = [images(4, seed=i) for i in range(THREADS)]
    with torch.no_grad():
        called = [model(b, training=False).numpy() for b in batches]
    predicted = [model.predict(b, verbose=0) for b in batches]

    def task(i: int) -> Callable[[], list[np.ndarray]]:
        def run() -> list[np.ndarray]:
            out = []
            for _ in range(ROUNDS):
                with torch.no_grad():
                    out.append(model(batches[i], training=False).numpy())
                out.append(model.predict(batches[i], verbose=0))
            return out

        return run

    results = run_together([task(i) for i in range(THREADS)])
    for i, outputs in enumerate(results):
        for got in outputs[0::2]:
            np.testing.assert_allclose(got, called[i], rtol=1e-6, atol=1e-6)
        for got in outputs[1::2]:
            np.testing.assert_allclose(got, predicted[i], rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------- 3. sharing


@pytest.mark.usefixtures("frequent_thread_switches")
def test_a_conv_shared_by_two_models_gives_each_its_own_result() -> None:
    """One model moves the shared conv's ReLU past its pool; the other, with no
    pool, needs the conv to apply it. Interleaved, each gets its own numbers."""
    conv = layers.Conv2D(8, 3, activation="relu")
    pool = layers.MaxPooling2D(2)
    pooled = models.Sequential([Input((28, 28, 1)), conv, pool, layers.Flatten()])
    plain = models.Sequential([Input((28, 28, 1)), conv, layers.Flatten()])
    assert defers_relu(conv, pool)
    x = torch.from_numpy(images(4))
    with torch.no_grad():
        expected_pooled = pool(conv(x)).flatten(1)
        expected_plain = conv(x).flatten(1)
    assert bool((expected_plain >= 0).all())

    def calls(model: models.Sequential) -> Callable[[], list[torch.Tensor]]:
        def run() -> list[torch.Tensor]:
            with torch.no_grad():
                return [model(x) for _ in range(40)]

        return run

    from_pooled, from_plain = run_together([calls(pooled), calls(plain)])
    for got in from_pooled:
        torch.testing.assert_close(got, expected_pooled, rtol=0, atol=0)
    for got in from_plain:
        torch.testing.assert_close(got, expected_plain, rtol=0, atol=0)


# ---------------------------------------------------------------------- 4. compile


def test_torch_compile_traces_the_seed_cnn_in_one_graph() -> None:
    model = seed_cnn()
    x = torch.from_numpy(images(4))
    with torch.no_grad():
        expected = model(x)
    torch._dynamo.reset()
    try:
        with torch.no_grad():
            explanation = torch._dynamo.explain(model)(x, training=False)
            # "eager" only traces (no C++ code generation): fullgraph=True fails on
            # any graph break.
            traced = torch.compile(model, backend="eager", fullgraph=True)
            got = traced(x, training=False)
    finally:
        torch._dynamo.reset()
    assert explanation.break_reasons == []
    assert explanation.graph_break_count == 0
    assert explanation.graph_count == 1
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
