"""Data inputs and model shapes in ``fit`` / ``predict``, on cnnkit and Keras 3.

User code: a ``PyDataset`` subclass (``cnnkit.utils.PyDataset`` vs
``keras.utils.PyDataset``), a Python generator, ``train_on_batch`` /
``test_on_batch`` / ``predict_on_batch``, multi-output models with loss dicts and
lists and ``loss_weights``, multi-input models, and what ``predict`` returns.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ._fit_twins import (
    CLASSES,
    FEATURES,
    IMAGES,
    LABELS,
    ONE_HOT,
    TARGET,
    X,
    both,
    cnn,
    history_dict,
    mlp,
    same,
    two_heads,
    weights,
)
from .harness import to_numpy

pytestmark = pytest.mark.oracle


def batches_class(lib: Any) -> type:
    """The Keras guide's ``PyDataset`` subclass, written against ``lib``."""

    class Batches(lib.utils.PyDataset):
        def __init__(self, x: Any, y: Any, batch_size: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.x, self.y = x, y
            self.batch_size = batch_size

        def __len__(self) -> int:
            return int(np.ceil(len(self.x) / self.batch_size))

        def __getitem__(self, idx: int) -> tuple[np.ndarray, np.ndarray]:
            low = idx * self.batch_size
            high = min(low + self.batch_size, len(self.x))
            return self.x[low:high], self.y[low:high]

    return Batches


def test_fit_evaluate_predict_pydataset() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        train = batches_class(lib)(X, LABELS, batch_size=10)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(train, epochs=2, shuffle=False, verbose=0)
        return {
            "history": history_dict(history),
            "steps": history.params["steps"],
            "weights": weights(model),
            "evaluate": model.evaluate(train, verbose=0, return_dict=True),
            "predict": model.predict(train, verbose=0),
        }

    same(*both(mlp, idiom))


def test_fit_pydataset_validation_data() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        batches = batches_class(lib)
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(
            batches(X[:24], LABELS[:24], batch_size=8),
            validation_data=batches(X[24:], LABELS[24:], batch_size=8),
            epochs=2,
            shuffle=False,
            verbose=0,
        )
        return history_dict(history)

    same(*both(mlp, idiom))


def endless_batches(batch_size: int = 8) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    while True:
        for low in range(0, len(X), batch_size):
            yield X[low : low + batch_size], LABELS[low : low + batch_size]


def test_fit_generator_with_steps_per_epoch() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(
            endless_batches(), steps_per_epoch=4, epochs=2, shuffle=False, verbose=0
        )
        return {
            "history": history_dict(history),
            "weights": weights(model),
            "evaluate": model.evaluate(endless_batches(), steps=2, verbose=0),
        }

    same(*both(mlp, idiom))


def test_predict_finite_generator() -> None:
    def idiom(lib: Any, model: Any) -> np.ndarray:
        batches = ((X[i : i + 10],) for i in range(0, len(X), 10))
        with warnings.catch_warnings():
            # Keras 3.15 warns "Your input ran out of data" at the end of any
            # finite generator in predict; that is not what this test compares.
            warnings.filterwarnings("ignore", "Your input ran out of data")
            return model.predict(batches, verbose=0)

    same(*both(mlp, idiom))


@pytest.mark.parametrize("return_dict", [False, True])
def test_train_and_test_on_batch(return_dict: bool) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(0.1), "categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        trained = [
            model.train_on_batch(X[i : i + 8], ONE_HOT[i : i + 8],
                                 return_dict=return_dict)
            for i in (0, 8, 16)
        ]  # fmt: skip
        tested = [
            model.test_on_batch(X[i : i + 8], ONE_HOT[i : i + 8],
                                return_dict=return_dict)
            for i in (0, 8)
        ]  # fmt: skip
        return {"train": trained, "test": tested, "weights": weights(model)}

    same(*both(mlp, idiom))


def test_train_on_batch_loss_only_is_a_float() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("adam", "mse")
        loss = model.train_on_batch(X, TARGET)
        return {"is_float": isinstance(loss, float), "loss": loss}

    same(*both(lambda lib: mlp(lib, 1, None), idiom))


def test_train_on_batch_sample_and_class_weight() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("sgd", "sparse_categorical_crossentropy")
        first = model.train_on_batch(
            X[:16], LABELS[:16], sample_weight=np.linspace(0, 1, 16)
        )
        second = model.train_on_batch(
            X[16:], LABELS[16:], class_weight={0: 2.0, 1: 1.0, 2: 0.5}
        )
        return {"losses": [first, second], "weights": weights(model)}

    same(*both(mlp, idiom))


def test_predict_on_batch() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        out = model.predict_on_batch(X[:5])
        return {"type": type(out).__name__, "out": out, "dtype": str(out.dtype)}

    same(*both(mlp, idiom))


# (loss, metrics, loss_weights, y as dict or list)
MULTI_OUTPUT_CASES = {
    "loss_dict-metrics_dict": (
        {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
        {"cls": ["accuracy"], "reg": ["mae"]}, None, "dict"),
    "loss_list-metrics_list": (
        ["sparse_categorical_crossentropy", "mse"], [["accuracy"], ["mae"]], None,
        "list"),
    "loss_dict-loss_weights_dict": (
        {"cls": "sparse_categorical_crossentropy", "reg": "mse"}, None,
        {"cls": 1.0, "reg": 0.25}, "dict"),
    "loss_list-loss_weights_list": (
        ["sparse_categorical_crossentropy", "mae"], None, [0.5, 2.0], "list"),
    "loss_dict-y_list": (
        {"cls": "sparse_categorical_crossentropy", "reg": "mse"}, None, None, "list"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("loss", "metrics", "loss_weights", "y_as"),
    list(MULTI_OUTPUT_CASES.values()),
    ids=list(MULTI_OUTPUT_CASES),
)
def test_multi_output_fit(
    loss: Any, metrics: Any, loss_weights: Any, y_as: str
) -> None:
    y: Any = {"cls": LABELS, "reg": TARGET}
    if y_as == "list":
        y = [LABELS, TARGET]

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(
            optimizer="adam", loss=loss, metrics=metrics, loss_weights=loss_weights
        )
        history = model.fit(X, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        return {
            "history": history_dict(history),
            "weights": weights(model),
            "evaluate": model.evaluate(X, y, verbose=0, return_dict=True),
        }

    same(*both(two_heads, idiom))


def test_multi_output_one_loss_for_every_output() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(
            X, [ONE_HOT, TARGET], batch_size=16, epochs=2, shuffle=False, verbose=0
        )
        return {"history": history_dict(history), "weights": weights(model)}

    same(*both(two_heads, idiom))


def test_multi_output_evaluate_list() -> None:
    def idiom(lib: Any, model: Any) -> Any:
        model.compile(
            "adam",
            {"cls": "sparse_categorical_crossentropy", "reg": "mse"},
            metrics={"cls": ["accuracy"]},
        )
        return model.evaluate(X, {"cls": LABELS, "reg": TARGET}, verbose=0)

    same(*both(two_heads, idiom))


def test_multi_output_predict() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        out = model.predict(X, batch_size=5, verbose=0)
        return {"type": type(out).__name__, "out": out}

    same(*both(two_heads, idiom))


def dict_output_model(lib: Any) -> Any:
    inputs = lib.Input((FEATURES,))
    hidden = lib.layers.Dense(5, activation="relu")(inputs)
    return lib.Model(
        inputs,
        {
            "label": lib.layers.Dense(CLASSES, activation="softmax")(hidden),
            "score": lib.layers.Dense(1, activation="sigmoid")(hidden),
        },
    )


def test_dict_output_model_fit_and_predict() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(
            "adam",
            loss={"label": "sparse_categorical_crossentropy",
                  "score": "binary_crossentropy"},
            metrics={"label": ["accuracy"], "score": ["accuracy"]},
        )  # fmt: skip
        y = {"label": LABELS, "score": (TARGET > 0).astype("float32")}
        history = model.fit(X, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        predicted = model.predict(X, verbose=0)
        return {
            "history": history_dict(history),
            "predict_keys": sorted(predicted),
            "predict": predicted,
        }

    same(*both(dict_output_model, idiom))


def two_inputs(lib: Any) -> Any:
    a = lib.Input((FEATURES,), name="a")
    b = lib.Input((2,), name="b")
    merged = lib.layers.Concatenate()([a, b])
    hidden = lib.layers.Dense(5, activation="relu")(merged)
    return lib.Model([a, b], lib.layers.Dense(CLASSES, activation="softmax")(hidden))


@pytest.mark.parametrize("x_as", ["list", "dict"])
def test_multi_input_fit(x_as: str) -> None:
    b = X[:, :2] * X[:, 2:]
    x: Any = [X, b] if x_as == "list" else {"a": X, "b": b}

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, LABELS, batch_size=8, epochs=2, shuffle=False,
                            verbose=0)  # fmt: skip
        return {
            "history": history_dict(history),
            "weights": weights(model),
            "predict": model.predict(x, verbose=0),
        }

    same(*both(two_inputs, idiom))


PREDICT_CASES = {
    "mlp-default_batch": (mlp, X, None),
    "mlp-partial_last_batch": (mlp, X, 5),
    "mlp-one_sample": (mlp, X[:1], None),
    "mlp-float64_input": (mlp, X.astype("float64"), 7),
    "cnn-images": (cnn, IMAGES, 4),
}


@pytest.mark.parametrize(
    ("build", "x", "batch_size"), list(PREDICT_CASES.values()), ids=list(PREDICT_CASES)
)
def test_predict_output(build: Any, x: np.ndarray, batch_size: int | None) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        out = model.predict(x, batch_size=batch_size, verbose=0)
        return {
            "type": type(out).__name__,
            "shape": out.shape,
            "dtype": str(out.dtype),
            "out": out,
            "call": to_numpy(model(x[:3], training=False)),
        }

    same(*both(build, idiom))
