"""Subclassed ``Model``s as in Keras' guides, on cnnkit and Keras 3.

A model whose ``call(self, inputs)`` has no ``training`` argument must fit, evaluate
and predict; one with ``call(self, inputs, training=False)`` passes it to Dropout,
and gets ``training=True`` from fit and ``False`` from evaluate/predict, once per
batch; a custom layer's ``training`` argument is reached through a Sequential.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ._fit_twins import (
    LABELS,
    X,
    both,
    history_dict,
    same,
    weights,
)
from .harness import to_numpy

pytestmark = pytest.mark.oracle


def plain_model_class(lib: Any) -> type:
    """A subclassed model whose ``call`` has no ``training`` argument."""

    class TwoLayers(lib.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(5, activation="relu")
            self.classifier = lib.layers.Dense(3, activation="softmax")

        def call(self, inputs: Any) -> Any:
            return self.classifier(self.hidden(inputs))

    return TwoLayers


def built(model: Any) -> Any:
    model(X[:2])
    return model


def test_subclassed_model_without_training_arg() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(X, LABELS, batch_size=8, epochs=2, shuffle=False,
                            verbose=0, validation_split=0.25)  # fmt: skip
        return {
            "history": history_dict(history),
            "weights": weights(model),
            "evaluate": model.evaluate(X, LABELS, verbose=0),
            "predict": model.predict(X, verbose=0),
            "train_on_batch": model.train_on_batch(X[:8], LABELS[:8]),
        }

    same(*both(lambda lib: built(plain_model_class(lib)()), idiom))


def test_subclassed_model_layers_and_weights() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return {
            "layers": [layer.name for layer in model.layers],
            "weights": [tuple(w.shape) for w in model.weights],
            "count_params": model.count_params(),
            "built": model.built,
        }

    same(*both(lambda lib: built(plain_model_class(lib)()), idiom))


def dropout_model_class(lib: Any, seen: list[Any]) -> type:
    """``call(self, inputs, training=False)`` passing ``training`` to Dropout."""

    class WithDropout(lib.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(6, activation="relu")
            self.dropout = lib.layers.Dropout(0.5)
            self.classifier = lib.layers.Dense(3, activation="softmax")

        def call(self, inputs: Any, training: bool = False) -> Any:
            seen.append(training)
            x = self.hidden(inputs)
            x = self.dropout(x, training=training)
            return self.classifier(x)

    return WithDropout


@pytest.mark.xfail(
    strict=True,
    reason="known gap: before the first step fit runs a subclassed model once on two "
    "samples with training=False to resolve losses/metrics from the output shapes "
    "(and check the labels); Keras resolves them without that extra call",
)
def test_subclassed_model_with_training_arg_and_dropout() -> None:
    seen: dict[str, list[Any]] = {"cnnkit": [], "keras": []}

    def build(lib: Any) -> Any:
        return built(dropout_model_class(lib, seen[lib.__name__])())

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        calls = seen[lib.__name__]
        calls.clear()
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        before = model.evaluate(X, LABELS, batch_size=16, verbose=0)
        evaluated = [bool(t) for t in calls]
        calls.clear()
        history = model.fit(X, LABELS, batch_size=16, epochs=1, verbose=0)
        trained = [bool(t) for t in calls]
        calls.clear()
        return {
            # Dropout draws differ between libraries: compare only what is fixed.
            "history_keys": sorted(history.history),
            "evaluate_before_fit": before,
            # One call of `call` per batch, with the mode of the loop.
            "training_in_evaluate": evaluated,
            "training_in_fit": trained,
            "predict_is_deterministic": bool(
                np.array_equal(model.predict(X, verbose=0), model.predict(X, verbose=0))
            ),
            "direct_call_default": bool(
                np.array_equal(to_numpy(model(X)), to_numpy(model(X)))
            ),
        }

    same(*both(build, idiom))


def flag_layer_class(lib: Any) -> type:
    """Doubles its input in training: ``training`` must reach ``call``."""

    class TrainingFlag(lib.layers.Layer):
        def call(self, inputs: Any, training: Any = None) -> Any:
            return inputs * 2.0 if training else inputs

    return TrainingFlag


def test_training_flag_reaches_layer_call_in_sequential() -> None:
    def build(lib: Any) -> Any:
        return lib.Sequential(
            [
                lib.Input((4,)),
                lib.layers.Dense(5, activation="relu"),
                flag_layer_class(lib)(),
                lib.layers.Dense(3, activation="softmax"),
            ]
        )

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        history = model.fit(X, LABELS, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "history": history_dict(history),
            "weights": weights(model),
            "call_training_true": to_numpy(model(X[:4], training=True)),
            "call_training_false": to_numpy(model(X[:4], training=False)),
            "predict": model.predict(X[:4], verbose=0),
        }

    same(*both(build, idiom))
