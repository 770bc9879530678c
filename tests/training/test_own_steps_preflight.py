"""fit's pre-flight checks stand in for errors Keras would raise in its own steps:
a model with its own ``train_step``/``test_step`` or ``compute_loss`` decides what
the loss and the metrics see, so they must not refuse it (knowledge distillation:
the metric sees the student's outputs, no loss is compiled)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cnnkit
from cnnkit.errors import TrainingInputError

_rng = np.random.default_rng(0)
X = _rng.random((32, 6)).astype("float32")
Y = _rng.integers(0, 3, 32)


class TwoHeads(cnnkit.Model):
    """Returns (logits, embedding): the compiled metric only fits the first."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = cnnkit.layers.Dense(5)
        self.head = cnnkit.layers.Dense(3)
        self.head.build((None, 5))  # the plain forward below never reaches it

    def call(self, x: Any) -> Any:
        # What a plain forward gives: not class scores (as a distiller's inputs).
        return cnnkit.ops.expand_dims(self.embed(x), -1)


class OwnSteps(TwoHeads):
    def train_step(self, data: Any) -> dict[str, Any]:
        x, y = data
        self.zero_grad()
        logits = self.head(self.embed(x))
        loss = cnnkit.losses.sparse_categorical_crossentropy(
            y, logits, from_logits=True
        )
        loss = loss.mean()
        loss.backward()
        weights = self.trainable_weights
        with torch.no_grad():
            self.optimizer.apply([v.value.grad for v in weights], weights)
        for metric in self.metrics:
            if metric.name != "loss":
                metric.update_state(y, logits)
        return {"loss_used": loss, **{m.name: m.result() for m in self.metrics}}

    def test_step(self, data: Any) -> dict[str, Any]:
        x, y = data
        for metric in self.metrics:
            if metric.name != "loss":
                metric.update_state(y, self.head(self.embed(x)))
        return {m.name: m.result() for m in self.metrics}


class OwnLoss(cnnkit.Model):
    def __init__(self) -> None:
        super().__init__()
        self.head = cnnkit.layers.Dense(3)

    def call(self, x: Any) -> Any:
        return self.head(x)

    def compute_loss(  # type: ignore[override]
        self, x: Any = None, y: Any = None, y_pred: Any = None,
        sample_weight: Any = None, allow_empty: bool = False,
    ) -> Any:  # fmt: skip
        # A loss on the outputs alone: the labels are never compared with them.
        return cnnkit.ops.mean(cnnkit.ops.square(y_pred))


def test_own_steps_are_not_checked_against_the_plain_forward() -> None:
    model = OwnSteps()
    model.compile(optimizer="sgd", metrics=[cnnkit.metrics.SparseCategoricalAccuracy()])
    history = model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    assert sorted(history.history) == [
        "loss",
        "loss_used",
        "sparse_categorical_accuracy",
    ]
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "sparse_categorical_accuracy"]


def test_the_same_metric_on_the_plain_model_is_still_refused() -> None:
    model = TwoHeads()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    with pytest.raises(TrainingInputError, match="cannot compare the labels"):
        model.fit(X, np.zeros((32, 4), "float32"), epochs=1, verbose=0)


def test_own_compute_loss_needs_no_compiled_loss_and_is_minimised() -> None:
    model = OwnLoss()
    model.compile(optimizer=cnnkit.optimizers.SGD(0.5), metrics=["accuracy"])
    # One-hot labels with a 3-unit output: the metric check still applies and passes.
    history = model.fit(X, np.eye(3)[Y], epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert sorted(history.history) == ["accuracy", "loss"]


def test_keras2_compiled_metrics_and_compiled_loss_still_work() -> None:
    class Keras2Step(cnnkit.Model):
        def __init__(self) -> None:
            super().__init__()
            self.head = cnnkit.layers.Dense(3)

        def call(self, x: Any) -> Any:
            return self.head(x)

        def train_step(self, data: Any) -> dict[str, Any]:
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred)
            loss.backward()
            weights = self.trainable_weights
            with torch.no_grad():
                self.optimizer.apply([v.value.grad for v in weights], weights)
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    model = Keras2Step()
    model.compile(
        optimizer="sgd",
        loss=cnnkit.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    with pytest.warns(DeprecationWarning, match="Keras 2 spelling") as caught:
        history = model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    messages = {str(w.message).split(" is ")[0] for w in caught}
    assert messages == {
        "`model.compiled_loss`",
        "`model.compiled_metrics.update_state`",
    }
    assert 0.0 <= history.history["accuracy"][0] <= 1.0
