"""``compile`` / ``fit`` / ``evaluate`` as tutorials write them, on cnnkit and Keras 3.

Each test is user code: build a tiny model, ``compile`` with losses and metrics as
strings or objects, ``fit`` a few epochs on fixed data with ``shuffle=False``, then
read ``history.history``, ``evaluate`` and the weights. cnnkit's twin starts from the
same weights as Keras' (``twins``); the numbers must agree to 1e-5 and the keys
exactly.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._fit_twins import (
    LABELS,
    SAMPLE_WEIGHT,
    TARGET,
    TARGETS,
    X,
    both,
    fit_and_evaluate,
    mlp,
    same,
)

pytestmark = pytest.mark.oracle

# (loss, metrics, target, output units, output activation)
STRING_CASES = {
    "categorical_crossentropy-accuracy": (
        "categorical_crossentropy", ["accuracy"], "one_hot", 3, "softmax"),
    "sparse_categorical_crossentropy-accuracy": (
        "sparse_categorical_crossentropy", ["accuracy"], "labels", 3, "softmax"),
    "sparse_categorical_crossentropy-acc": (
        "sparse_categorical_crossentropy", ["acc"], "labels", 3, "softmax"),
    "sparse_ce-labels_column-accuracy": (
        "sparse_categorical_crossentropy", ["accuracy"], "labels_column", 3, "softmax"),
    "sparse_ce-sparse_categorical_accuracy": (
        "sparse_categorical_crossentropy", ["sparse_categorical_accuracy"], "labels",
        3, "softmax"),
    "categorical_ce-accuracy-categorical_accuracy": (
        "categorical_crossentropy", ["accuracy", "categorical_accuracy"], "one_hot",
        3, "softmax"),
    "binary_crossentropy-accuracy": (
        "binary_crossentropy", ["accuracy"], "binary", 1, "sigmoid"),
    "binary_crossentropy-binary_accuracy": (
        "binary_crossentropy", ["binary_accuracy"], "binary", 1, "sigmoid"),
    "binary_crossentropy-multi_label-accuracy": (
        "binary_crossentropy", ["accuracy"], "multi_hot", 3, "sigmoid"),
    "mse-mae": ("mse", ["mae"], "regression", 1, None),
    "mse-flat_target-mae": ("mse", ["mae"], "regression_flat", 1, None),
    "mean_squared_error-mean_absolute_error": (
        "mean_squared_error", ["mean_absolute_error"], "regression", 1, None),
    "mae-mse": ("mae", ["mse"], "regression", 1, None),
    "huber-mae": ("huber", ["mae"], "regression", 1, None),
}  # fmt: skip


@pytest.mark.parametrize(
    ("loss", "metrics", "target", "units", "activation"),
    list(STRING_CASES.values()),
    ids=list(STRING_CASES),
)
def test_compile_with_strings(
    loss: str, metrics: list[str], target: str, units: int, activation: str | None
) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return fit_and_evaluate(
            lib,
            model,
            TARGETS[target],
            {"optimizer": "adam", "loss": loss, "metrics": metrics},
        )

    same(*both(lambda lib: mlp(lib, units, activation), idiom))


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad", "nadam"])
def test_compile_optimizer_string(optimizer: str) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return fit_and_evaluate(
            lib,
            model,
            LABELS,
            {"optimizer": optimizer, "loss": "sparse_categorical_crossentropy"},
        )

    same(*both(mlp, idiom))


def test_compile_default_optimizer_is_rmsprop() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        result = fit_and_evaluate(lib, model, TARGET, {"loss": "mse"})
        result["optimizer"] = type(model.optimizer).__name__
        return result

    same(*both(lambda lib: mlp(lib, 1, None), idiom))


# (compile kwargs built from the library, target, output units, output activation)
OBJECT_CASES = {
    "sparse_ce_from_logits-SparseCategoricalAccuracy": (
        lambda lib: {
            "optimizer": lib.optimizers.Adam(0.01),
            "loss": lib.losses.SparseCategoricalCrossentropy(from_logits=True),
            "metrics": [lib.metrics.SparseCategoricalAccuracy()],
        },
        "labels", 3, None),
    "categorical_ce_from_logits-named_accuracy": (
        lambda lib: {
            "optimizer": lib.optimizers.SGD(0.1),
            "loss": lib.losses.CategoricalCrossentropy(from_logits=True),
            "metrics": [lib.metrics.CategoricalAccuracy(name="acc")],
        },
        "one_hot", 3, None),
    "binary_ce_from_logits-BinaryAccuracy_threshold": (
        lambda lib: {
            "optimizer": lib.optimizers.RMSprop(0.01),
            "loss": lib.losses.BinaryCrossentropy(from_logits=True),
            "metrics": [lib.metrics.BinaryAccuracy(threshold=0.0)],
        },
        "binary", 1, None),
    "label_smoothing-TopK": (
        lambda lib: {
            "optimizer": "adam",
            "loss": lib.losses.CategoricalCrossentropy(label_smoothing=0.1),
            "metrics": [lib.metrics.TopKCategoricalAccuracy(k=2)],
        },
        "one_hot", 3, "softmax"),
    "MeanSquaredError-MAE-RMSE": (
        lambda lib: {
            "optimizer": lib.optimizers.SGD(0.05),
            "loss": lib.losses.MeanSquaredError(),
            "metrics": [
                lib.metrics.MeanAbsoluteError(),
                lib.metrics.RootMeanSquaredError(),
            ],
        },
        "regression", 1, None),
    "loss_and_metric_functions": (
        lambda lib: {
            "optimizer": "adam",
            "loss": lib.losses.sparse_categorical_crossentropy,
            "metrics": [lib.metrics.sparse_categorical_accuracy],
        },
        "labels", 3, "softmax"),
    "Precision-Recall-AUC": (
        lambda lib: {
            "optimizer": "adam",
            "loss": lib.losses.BinaryCrossentropy(),
            "metrics": [
                lib.metrics.Precision(),
                lib.metrics.Recall(),
                lib.metrics.AUC(),
            ],
        },
        "binary", 1, "sigmoid"),
    "Huber_delta": (
        lambda lib: {
            "optimizer": "adam",
            "loss": lib.losses.Huber(delta=0.5),
            "metrics": ["mse"],
        },
        "regression", 1, None),
}  # fmt: skip


@pytest.mark.parametrize(
    ("make_compile", "target", "units", "activation"),
    list(OBJECT_CASES.values()),
    ids=list(OBJECT_CASES),
)
def test_compile_with_objects(
    make_compile: Any, target: str, units: int, activation: str | None
) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        return fit_and_evaluate(lib, model, TARGETS[target], make_compile(lib))

    same(*both(lambda lib: mlp(lib, units, activation), idiom))


def test_history_object() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(X, LABELS, epochs=3, batch_size=10, verbose=0)
        return {
            "keys": list(history.history),
            "epoch": history.epoch,
            "params": history.params,
            "is_model_history": model.history is history,
            "lengths": [len(v) for v in history.history.values()],
        }

    same(*both(mlp, idiom))


# (metrics, return_dict)
EVALUATE_CASES = {
    "loss_only": ([], False),
    "loss_only-return_dict": ([], True),
    "accuracy": (["accuracy"], False),
    "accuracy-return_dict": (["accuracy"], True),
    "two_metrics": (["accuracy", "sparse_categorical_crossentropy"], False),
    "two_metrics-return_dict": (["accuracy", "sparse_categorical_crossentropy"], True),
}


@pytest.mark.parametrize(
    ("metrics", "return_dict"), list(EVALUATE_CASES.values()), ids=list(EVALUATE_CASES)
)
def test_evaluate_return_value(metrics: list[str], return_dict: bool) -> None:
    def idiom(lib: Any, model: Any) -> Any:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=metrics)
        result = model.evaluate(X, LABELS, verbose=0, return_dict=return_dict)
        return {"type": type(result).__name__, "value": result}

    ours, theirs = both(mlp, idiom)
    # Keras returns a Python float for a single value; cnnkit must too (not a tensor).
    if ours["type"] in ("float", "float32", "float64"):
        ours["type"] = "float"
    if theirs["type"] in ("float", "float32", "float64"):
        theirs["type"] = "float"
    same(ours, theirs)


def test_evaluate_batch_size_and_sample_weight() -> None:
    def idiom(lib: Any, model: Any) -> Any:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return [
            model.evaluate(X, LABELS, batch_size=5, verbose=0),
            model.evaluate(X, LABELS, sample_weight=SAMPLE_WEIGHT, verbose=0),
        ]

    same(*both(mlp, idiom))
