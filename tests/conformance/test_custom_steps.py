"""Keras' torch-backend guide "Customizing what happens in fit()", on cnnkit and Keras.

``train_step(self, data)`` written with autograd (``self.zero_grad()``,
``loss.backward()``, ``self.optimizer.apply(gradients, trainable_weights)``), using
``self.compute_loss`` and ``self.metrics``; the sample-weight variant; the
"lower-level" variant with its own ``Mean(name="loss")`` tracker and a ``metrics``
property; a custom ``test_step`` and ``predict_step``. ``fit``/``evaluate``/
``predict`` must call them, and the history must have the guide's keys.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from ._fit_twins import (
    SAMPLE_WEIGHT,
    TARGET,
    X_VAL,
    X,
    both,
    history_dict,
    same,
    weights,
)

pytestmark = pytest.mark.oracle


def guide_model_class(lib: Any) -> type:
    """The guide's first ``CustomModel``: ``compute_loss`` and ``self.metrics``."""

    class CustomModel(lib.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(5, activation="relu")
            self.head = lib.layers.Dense(1)

        def call(self, inputs: Any) -> Any:
            return self.head(self.hidden(inputs))

        def train_step(self, data: Any) -> dict[str, Any]:
            x, y = data
            # Call torch.nn.Module.zero_grad() to clear the leftover gradients
            # for the weights from the previous train step.
            self.zero_grad()
            y_pred = self(x, training=True)  # Forward pass
            loss = self.compute_loss(y=y, y_pred=y_pred)
            # Call torch.Tensor.backward() on the loss to compute gradients
            # for the weights.
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]  # noqa: C416 (the guide)
            gradients = [v.value.grad for v in trainable_weights]
            # Update weights
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            # Update metrics (includes the metric that tracks the loss)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            # Return a dict mapping metric names to current value
            # Note that it will include the loss (tracked in self.metrics).
            return {m.name: m.result() for m in self.metrics}

    return CustomModel


def built(model: Any) -> Any:
    model(X[:2])
    return model


def test_guide_train_step_with_compute_loss() -> None:
    def build(lib: Any) -> Any:
        class Counted(guide_model_class(lib)):  # type: ignore[misc]
            steps_run = 0

            def train_step(self, data: Any) -> dict[str, Any]:
                self.steps_run += 1
                return super().train_step(data)

        return built(Counted())

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        history = model.fit(X, TARGET, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "history": history_dict(history),
            "weights": weights(model),
            "iterations": int(model.optimizer.iterations),
            "train_step_calls": model.steps_run,
        }

    same(*both(build, idiom))


def test_guide_train_step_metric_names() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        model.fit(X, TARGET, batch_size=16, epochs=1, verbose=0)
        return {"metrics": [m.name for m in model.metrics]}

    same(*both(lambda lib: built(guide_model_class(lib)()), idiom))


def test_guide_train_step_then_evaluate_and_predict() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
        model.fit(X, TARGET, batch_size=8, epochs=1, shuffle=False, verbose=0)
        return {
            "evaluate": model.evaluate(X, TARGET, verbose=0, return_dict=True),
            "predict": model.predict(X_VAL, verbose=0),
        }

    same(*both(lambda lib: built(guide_model_class(lib)()), idiom))


def test_guide_functional_construction_of_a_subclass() -> None:
    """The guide builds ``CustomModel(inputs, outputs)``: a subclass, used functionally."""

    def build(lib: Any) -> Any:
        class CustomModel(lib.Model):
            train_step = guide_model_class(lib).train_step

        inputs = lib.Input(shape=(4,))
        outputs = lib.layers.Dense(1)(inputs)
        return CustomModel(inputs, outputs)

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        history = model.fit(X, TARGET, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "type": type(model).__name__,
            "history": history_dict(history),
            "weights": weights(model),
        }

    same(*both(build, idiom))


def sample_weight_model_class(lib: Any) -> type:
    """The guide's "Supporting sample_weight & class_weight" variant."""

    class CustomModel(guide_model_class(lib)):  # type: ignore[misc]
        def train_step(self, data: Any) -> dict[str, Any]:
            # Unpack the data. Its structure depends on your model and
            # on what you pass to `fit()`.
            if len(data) == 3:
                x, y, sample_weight = data
            else:
                sample_weight = None
                x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]  # noqa: C416 (the guide)
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred, sample_weight=sample_weight)
            return {m.name: m.result() for m in self.metrics}

    return CustomModel


def test_guide_train_step_with_sample_weight() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        history = model.fit(X, TARGET, sample_weight=SAMPLE_WEIGHT, batch_size=8,
                            epochs=2, shuffle=False, verbose=0)  # fmt: skip
        return {"history": history_dict(history), "weights": weights(model)}

    same(*both(lambda lib: built(sample_weight_model_class(lib)()), idiom))


def lower_level_model_class(lib: Any) -> type:
    """The guide's "Going lower-level": own trackers and a ``metrics`` property."""

    class CustomModel(lib.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(5, activation="relu")
            self.head = lib.layers.Dense(1)
            self.loss_tracker = lib.metrics.Mean(name="loss")
            self.mae_metric = lib.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = lib.losses.MeanSquaredError()

        def call(self, inputs: Any) -> Any:
            return self.head(self.hidden(inputs))

        def train_step(self, data: Any) -> dict[str, Any]:
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]  # noqa: C416 (the guide)
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            # Compute our own metrics
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {
                "loss": self.loss_tracker.result(),
                "mae": self.mae_metric.result(),
            }

        @property
        def metrics(self) -> list[Any]:
            # We list our `Metric` objects here so that `reset_states()` can be
            # called automatically at the start of each epoch.
            return [self.loss_tracker, self.mae_metric]

    return CustomModel


def test_guide_lower_level_train_step() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        # We don't pass a loss or metrics here.
        model.compile(optimizer="adam")
        history = model.fit(X, TARGET, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "history": history_dict(history),
            "weights": weights(model),
            # Reset at each epoch start: the last epoch's running values.
            "tracker": float(model.loss_tracker.result()),
            "count": float(model.loss_tracker.count),
        }

    same(*both(lambda lib: built(lower_level_model_class(lib)()), idiom))


def eval_step_model_class(lib: Any) -> type:
    """The guide's "Providing your own evaluation step"."""

    class CustomModel(lib.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(5, activation="relu")
            self.head = lib.layers.Dense(1)

        def call(self, inputs: Any) -> Any:
            return self.head(self.hidden(inputs))

        def test_step(self, data: Any) -> dict[str, Any]:
            # Unpack the data
            x, y = data
            # Compute predictions
            y_pred = self(x, training=False)
            # Updates the stateful loss metric.
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name != "loss":
                    metric.update_state(y, y_pred)
                else:
                    metric.update_state(loss)
            # Return a dict mapping metric names to current value.
            # Note that it will include the loss (tracked in self.metrics).
            return {m.name: m.result() for m in self.metrics}

    return CustomModel


@pytest.mark.parametrize("return_dict", [False, True])
def test_guide_custom_test_step(return_dict: bool) -> None:
    def idiom(lib: Any, model: Any) -> Any:
        model.compile(loss="mse", metrics=["mae"])
        return model.evaluate(X, TARGET, batch_size=8, verbose=0,
                              return_dict=return_dict)  # fmt: skip

    same(*both(lambda lib: built(eval_step_model_class(lib)()), idiom))


def test_custom_test_step_runs_for_validation() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
        history = model.fit(X, TARGET, batch_size=8, epochs=2, shuffle=False,
                            validation_data=(X_VAL, X_VAL[:, :1]),
                            verbose=0)  # fmt: skip
        return history_dict(history)

    same(*both(lambda lib: built(eval_step_model_class(lib)()), idiom))


def test_custom_predict_step() -> None:
    def build(lib: Any) -> Any:
        class Doubled(eval_step_model_class(lib)):  # type: ignore[misc]
            def predict_step(self, data: Any) -> Any:
                x = data[0] if isinstance(data, (tuple, list)) else data
                return self(x, training=False) * 2.0

        return built(Doubled())

    def idiom(lib: Any, model: Any) -> np.ndarray:
        return model.predict(X, batch_size=10, verbose=0)

    same(*both(build, idiom))


def test_train_step_returning_plain_floats_in_history() -> None:
    """A ``train_step`` may return any dict; its keys become the history keys."""

    def build(lib: Any) -> Any:
        class Counting(guide_model_class(lib)):  # type: ignore[misc]
            def train_step(self, data: Any) -> dict[str, Any]:
                logs = super().train_step(data)
                logs["batch_mean_target"] = lib.ops.mean(data[1])
                return logs

        return built(Counting())

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(X, TARGET, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return history_dict(history)

    same(*both(build, idiom))


def test_train_step_applies_gradients_without_naming_the_weights() -> None:
    """``self.optimizer.apply(gradients)``: fit builds the optimizer on the model's
    trainable weights before the first step, so the weights may be left out."""

    def build(lib: Any) -> Any:
        class Terse(lib.Model):  # type: ignore[misc,name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.head = lib.layers.Dense(1)

            def call(self, inputs: Any) -> Any:
                return self.head(inputs)

            def train_step(self, data: Any) -> dict[str, Any]:
                x, y = data
                self.zero_grad()
                loss = self.compute_loss(y=y, y_pred=self(x, training=True))
                loss.backward()
                with torch.no_grad():
                    self.optimizer.apply([v.value.grad for v in self.trainable_weights])
                # Not "loss": Keras would then log its own (never updated) tracker.
                return {"step_loss": loss}

        return built(Terse())

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(X, TARGET, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {"history": history_dict(history), "weights": weights(model)}

    same(*both(build, idiom))
