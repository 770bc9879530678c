"""``fit`` / ``evaluate`` options as tutorials pass them, on cnnkit and Keras 3.

``validation_data`` / ``validation_split`` / ``validation_freq`` (the ``val_*`` keys),
``class_weight`` and ``sample_weight`` (with ``weighted_metrics``),
``steps_per_epoch``, ``initial_epoch``, ``epochs`` and ``batch_size``, and a CNN on
images; the weights, the history and ``evaluate`` must agree to 1e-5.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ._fit_twins import (
    LABELS,
    LABELS_VAL,
    ONE_HOT,
    SAMPLE_WEIGHT,
    TARGET,
    TARGETS,
    X_VAL,
    X,
    both,
    cnn,
    fit_and_evaluate,
    history_dict,
    mlp,
    same,
    weights,
)

pytestmark = pytest.mark.oracle


def test_fit_validation_data() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(
            X,
            LABELS,
            validation_data=(X_VAL, LABELS_VAL),
            epochs=2,
            batch_size=8,
            shuffle=False,
            verbose=0,
        )
        return {"history": history_dict(history), "weights": weights(model)}

    same(*both(mlp, idiom))


def test_fit_validation_data_with_sample_weight() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        val_weights = np.linspace(0.5, 1.5, len(X_VAL)).astype("float32")
        history = model.fit(
            X,
            LABELS,
            validation_data=(X_VAL, LABELS_VAL, val_weights),
            epochs=2,
            batch_size=8,
            shuffle=False,
            verbose=0,
        )
        return history_dict(history)

    same(*both(mlp, idiom))


def test_fit_validation_split() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return fit_and_evaluate(
            lib,
            model,
            ONE_HOT,
            {"optimizer": "adam", "loss": "categorical_crossentropy",
             "metrics": ["accuracy"]},
            validation_split=0.25,
        )  # fmt: skip

    same(*both(mlp, idiom))


def test_fit_validation_freq() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(
            X,
            LABELS,
            validation_data=(X_VAL, LABELS_VAL),
            validation_freq=2,
            epochs=3,
            batch_size=16,
            shuffle=False,
            verbose=0,
        )
        return history_dict(history)

    same(*both(mlp, idiom))


@pytest.mark.parametrize("target", ["labels", "one_hot"])
def test_fit_class_weight(target: str) -> None:
    loss = {
        "labels": "sparse_categorical_crossentropy",
        "one_hot": "categorical_crossentropy",
    }[target]

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return fit_and_evaluate(
            lib,
            model,
            TARGETS[target],
            {"optimizer": "adam", "loss": loss, "metrics": ["accuracy"]},
            class_weight={0: 1.0, 1: 3.0, 2: 0.5},
        )

    same(*both(mlp, idiom))


def test_fit_sample_weight() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return fit_and_evaluate(
            lib,
            model,
            TARGET,
            {"optimizer": "sgd", "loss": "mse", "metrics": ["mae"]},
            sample_weight=SAMPLE_WEIGHT,
        )

    same(*both(lambda lib: mlp(lib, 1, None), idiom))


def test_fit_sample_weight_with_weighted_metrics() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return fit_and_evaluate(
            lib,
            model,
            LABELS,
            {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
             "metrics": ["accuracy"], "weighted_metrics": ["accuracy"]},
            sample_weight=SAMPLE_WEIGHT,
        )  # fmt: skip

    same(*both(mlp, idiom))


def test_fit_steps_per_epoch() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(
            X, LABELS, batch_size=8, epochs=2, steps_per_epoch=2, shuffle=False,
            verbose=0,
        )  # fmt: skip
        return {
            "history": history_dict(history),
            "params": history.params,
            "weights": weights(model),
            "iterations": int(model.optimizer.iterations),
        }

    same(*both(mlp, idiom))


def test_fit_initial_epoch() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("sgd", "sparse_categorical_crossentropy")
        history = model.fit(
            X, LABELS, initial_epoch=1, epochs=3, batch_size=16, shuffle=False,
            verbose=0,
        )  # fmt: skip
        return {
            "history": history_dict(history),
            "epoch": history.epoch,
            "iterations": int(model.optimizer.iterations),
            "weights": weights(model),
        }

    same(*both(mlp, idiom))


@pytest.mark.parametrize(
    ("batch_size", "epochs"), [(None, 1), (5, 2), (32, 3), (50, 1)]
)
def test_fit_batch_size_and_epochs(batch_size: int | None, epochs: int) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        history = model.fit(
            X, LABELS, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0
        )
        return {
            "history": history_dict(history),
            "steps": history.params["steps"],
            "iterations": int(model.optimizer.iterations),
            "weights": weights(model),
        }

    same(*both(mlp, idiom))


def test_fit_cnn_on_images() -> None:
    from ._fit_twins import IMAGE_LABELS, IMAGES

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )  # fmt: skip
        history = model.fit(
            IMAGES, IMAGE_LABELS, batch_size=4, epochs=2, shuffle=False, verbose=0,
            validation_split=0.25,
        )  # fmt: skip
        return {
            "history": history_dict(history),
            "weights": weights(model),
            "predict": model.predict(IMAGES, verbose=0),
        }

    same(*both(cnn, idiom))
