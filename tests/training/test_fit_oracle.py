"""fit / evaluate / predict against Keras 3 itself (KERAS_BACKEND=torch).

Both libraries build the same architecture; cnnkit takes Keras' initial weights
(``set_weights``); both train on the same data with ``shuffle=False``. After a few
steps the weights agree within ``atol=1e-5`` and every History value within
``rtol=1e-5`` (float32 arithmetic in a different order: the residual is ~1e-7).

What ``tests/optimizers/test_optimizers_oracle.py`` already covers (each update
rule, schedules, clipping, EMA, configs) is not repeated: here the optimizers only
drive whole training runs, where the data pipeline, losses, metrics, sample and
class weights, regularisation, validation and the log names all take part.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from training_builders import (
    CLASSES,
    conv_model,
    dense_model,
    images,
    tiny_data,
    two_input_model,
    two_output_model,
)

import cnnkit

pytestmark = pytest.mark.oracle

WEIGHT_ATOL = 1e-5
LOG_RTOL, LOG_ATOL = 1e-5, 1e-6


@pytest.fixture(scope="module")
def keras() -> ModuleType:
    return pytest.importorskip("keras")


_x, _y = tiny_data(20)
_x_val, _y_val = tiny_data(7, seed=1)
_images = images(16)
_labels16 = tiny_data(16)[1]
_one_hot16 = np.eye(CLASSES, dtype="float32")[_labels16]
_target = np.linspace(-1, 1, 20, dtype="float32")[:, None]
_weights = np.random.default_rng(3).random(20).astype("float32")


@dataclass
class Case:
    build: Callable[[ModuleType], Any]
    compile: Callable[[ModuleType], dict[str, Any]]
    x: Any
    y: Any
    fit: dict[str, Any] = field(default_factory=dict)
    warns: str | None = None


CASES: dict[str, Case] = {
    "dense_default_rmsprop_sparse_ce": Case(
        lambda lib: dense_model(lib),
        lambda lib: {
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        _x,
        _y,
        {"batch_size": 8, "epochs": 2, "validation_split": 0.25},
    ),
    "conv_batchnorm_sgd_momentum_categorical_ce": Case(
        lambda lib: conv_model(lib),
        lambda lib: {
            "optimizer": lib.optimizers.SGD(0.05, momentum=0.9),
            "loss": "categorical_crossentropy",
            "metrics": ["accuracy", "categorical_crossentropy"],
        },
        _images,
        _one_hot16,
        {
            "batch_size": 5,
            "epochs": 2,
            "validation_data": (_images[:6], _one_hot16[:6]),
        },
    ),
    "binary_sigmoid_adam": Case(
        lambda lib: dense_model(lib, units=1, activation="sigmoid"),
        lambda lib: {
            "optimizer": "adam",
            "loss": "binary_crossentropy",
            "metrics": ["accuracy", "binary_accuracy"],
        },
        _x,
        (_y == 1).astype("float32"),
        {"batch_size": 8, "epochs": 2},
    ),
    "logits_from_logits_adamw": Case(
        lambda lib: dense_model(lib, activation=None),
        lambda lib: {
            "optimizer": lib.optimizers.AdamW(0.01),
            "loss": lib.losses.SparseCategoricalCrossentropy(from_logits=True),
            "metrics": ["accuracy"],
        },
        _x,
        _y,
        {"batch_size": 6, "epochs": 2},
    ),
    "softmax_label_smoothing_nadam": Case(
        lambda lib: dense_model(lib),
        lambda lib: {
            "optimizer": lib.optimizers.Nadam(0.01),
            "loss": lib.losses.CategoricalCrossentropy(label_smoothing=0.1),
            "metrics": [lib.metrics.TopKCategoricalAccuracy(k=2)],
        },
        _x,
        np.eye(CLASSES, dtype="float32")[_y],
        {"batch_size": 8, "epochs": 2},
    ),
    "regression_mse_with_mae": Case(
        lambda lib: dense_model(lib, units=1, activation=None),
        lambda lib: {"optimizer": "adam", "loss": "mse", "metrics": ["mae"]},
        _x,
        _target[:, 0],  # (N,) labels for an (N, 1) output: no N×N broadcast
        {"batch_size": 8, "epochs": 2},
    ),
    "loss_only_sgd": Case(
        lambda lib: dense_model(lib),
        lambda lib: {"optimizer": "sgd", "loss": "sparse_categorical_crossentropy"},
        _x,
        _y,
        {"epochs": 2},
    ),
    "sample_weight_and_weighted_metrics": Case(
        lambda lib: dense_model(lib),
        lambda lib: {
            "optimizer": "adam",
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
            "weighted_metrics": ["accuracy"],
        },
        _x,
        _y,
        {
            "batch_size": 8,
            "sample_weight": _weights,
            "validation_data": (_x_val, _y_val, np.arange(7.0)),
        },
    ),
    "class_weight_one_hot": Case(
        lambda lib: dense_model(lib),
        lambda lib: {
            "optimizer": "adam",
            "loss": "categorical_crossentropy",
            "weighted_metrics": ["accuracy"],
        },
        _x,
        np.eye(CLASSES, dtype="float32")[_y],
        {"batch_size": 8, "class_weight": {0: 1.0, 1: 3.0}},  # class 2 missing: 1.0
    ),
    "l2_regularizer": Case(
        lambda lib: dense_model(lib, kernel_regularizer=lib.regularizers.L2(0.05)),
        lambda lib: {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
        _x,
        _y,
        {"batch_size": 8, "epochs": 2, "validation_data": (_x_val, _y_val)},
    ),
    "steps_per_epoch_runs_out": Case(
        lambda lib: dense_model(lib),
        lambda lib: {
            "optimizer": "sgd",
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        _x,
        _y,
        {"batch_size": 8, "steps_per_epoch": 2, "epochs": 3},
        warns="Your input ran out of data",
    ),
    "steps_per_epoch_without_batch_size": Case(
        lambda lib: dense_model(lib),
        lambda lib: {"optimizer": "sgd", "loss": "sparse_categorical_crossentropy"},
        _x,
        _y,
        {"steps_per_epoch": 3, "epochs": 2},
    ),
    "initial_epoch_and_validation_freq": Case(
        lambda lib: dense_model(lib),
        lambda lib: {
            "optimizer": "rmsprop",
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["acc"],
        },
        _x,
        _y,
        {
            "batch_size": 8,
            "epochs": 4,
            "initial_epoch": 1,
            "validation_freq": 2,
            "validation_data": (_x_val, _y_val),
            "validation_batch_size": 3,
        },
    ),
    "two_outputs_loss_weights": Case(
        lambda lib: two_output_model(lib),
        lambda lib: {
            "optimizer": "adam",
            "loss": ["sparse_categorical_crossentropy", "mse"],
            "loss_weights": [1.0, 0.5],
            "metrics": [["accuracy"], ["mae"]],
        },
        _x,
        [_y, _target],
        {"batch_size": 8, "epochs": 2, "validation_split": 0.2},
    ),
    "dict_outputs_not_in_sorted_order": Case(
        lambda lib: two_output_model(lib, names=("zeta", "alpha")),
        lambda lib: {
            "optimizer": "adam",
            "loss": {"zeta": "sparse_categorical_crossentropy", "alpha": "mse"},
            "metrics": {"zeta": ["accuracy"], "alpha": ["mae"]},
        },
        _x,
        {"zeta": _y, "alpha": _target},
        {"batch_size": 8, "epochs": 2},
    ),
    "two_inputs": Case(
        lambda lib: two_input_model(lib),
        lambda lib: {
            "optimizer": "adam",
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        [_x, _x[:, :2].copy()],
        _y,
        {"batch_size": 8, "epochs": 2},
    ),
}


def _pair(keras: ModuleType, case: Case) -> tuple[Any, Any]:
    theirs, ours = case.build(keras), case.build(cnnkit)
    ours.set_weights(theirs.get_weights())
    theirs.compile(**case.compile(keras))
    ours.compile(**case.compile(cnnkit))
    return theirs, ours


@contextlib.contextmanager
def _expect(warning: str | None) -> Iterator[None]:
    """Both libraries must warn; Keras' other warnings (numpy 2 deprecations from
    inside Keras, which pytest.warns would re-raise as errors) are dropped."""
    if warning is None:
        yield
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert any(warning in str(w.message) for w in caught), warning


def assert_weights_match(ours: Any, theirs: Any) -> None:
    mine, keras_weights = ours.get_weights(), theirs.get_weights()
    assert len(mine) == len(keras_weights)
    for i, (a, b) in enumerate(zip(mine, keras_weights)):
        np.testing.assert_allclose(
            a, b, rtol=0, atol=WEIGHT_ATOL, err_msg=f"weight {i}"
        )


def assert_logs_match(ours: Any, theirs: Any) -> None:
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)  # same keys, same (sorted) order
        ours, theirs = list(ours.values()), list(theirs.values())
    np.testing.assert_allclose(ours, theirs, rtol=LOG_RTOL, atol=LOG_ATOL)


def _fit(model: Any, case: Case) -> Any:
    with _expect(case.warns):
        return model.fit(case.x, case.y, shuffle=False, verbose=0, **case.fit)


@pytest.mark.parametrize("name", list(CASES))
def test_fit_matches_keras(keras: ModuleType, name: str) -> None:
    case = CASES[name]
    theirs, ours = _pair(keras, case)
    keras_history, history = _fit(theirs, case), _fit(ours, case)
    assert sorted(history.history) == sorted(keras_history.history)
    for key, values in keras_history.history.items():
        np.testing.assert_allclose(
            history.history[key], values, rtol=LOG_RTOL, atol=LOG_ATOL, err_msg=key
        )
    assert history.epoch == keras_history.epoch
    assert history.params == keras_history.params
    assert_weights_match(ours, theirs)


@pytest.mark.parametrize("name", list(CASES))
def test_evaluate_and_predict_match_keras(keras: ModuleType, name: str) -> None:
    case = CASES[name]
    theirs, ours = _pair(keras, case)
    sample_weight = case.fit.get("sample_weight")
    for kwargs in ({}, {"batch_size": 7}, {"return_dict": True}):
        expected = theirs.evaluate(
            case.x, case.y, sample_weight=sample_weight, verbose=0, **kwargs
        )
        got = ours.evaluate(
            case.x, case.y, sample_weight=sample_weight, verbose=0, **kwargs
        )
        # A scalar, a list in Keras' order, or a dict: the same form as Keras'.
        assert type(got) is type(expected)
        assert_logs_match(got, expected)
    expected_out = theirs.predict(case.x, batch_size=7, verbose=0)
    got_out = ours.predict(case.x, batch_size=7, verbose=0)
    assert type(got_out) is type(expected_out)
    for a, b in zip(_as_list(expected_out), _as_list(got_out)):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name",
    ["dense_default_rmsprop_sparse_ce", "loss_only_sgd", "two_outputs_loss_weights"],
)
def test_on_batch_methods_match_keras(keras: ModuleType, name: str) -> None:
    case = CASES[name]
    theirs, ours = _pair(keras, case)
    for return_dict in (False, True):
        for method in ("train_on_batch", "test_on_batch"):
            expected = getattr(theirs, method)(case.x, case.y, return_dict=return_dict)
            got = getattr(ours, method)(case.x, case.y, return_dict=return_dict)
            assert type(got) is type(expected)
            assert_logs_match(got, expected)
    assert_weights_match(ours, theirs)
    expected_out, got_out = (
        theirs.predict_on_batch(case.x),
        ours.predict_on_batch(case.x),
    )
    assert type(got_out) is type(expected_out)
    for a, b in zip(_as_list(expected_out), _as_list(got_out)):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def _as_list(outputs: Any) -> list[np.ndarray]:
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def test_pydataset_training_matches_keras(keras: ModuleType) -> None:
    def make(lib: ModuleType) -> Any:
        class Batches(lib.utils.PyDataset):
            def __len__(self) -> int:
                return 3

            def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
                part = slice(8 * index, 8 * index + 8)
                return _x[part], _y[part]

        return Batches()

    case = CASES["dense_default_rmsprop_sparse_ce"]
    theirs, ours = _pair(keras, case)
    # Both shuffle the batch order with Python's `random` by default, but Keras
    # draws one extra order to build the model: compare unshuffled runs.
    keras_history = theirs.fit(make(keras), epochs=2, shuffle=False, verbose=0)
    history = ours.fit(make(cnnkit), epochs=2, shuffle=False, verbose=0)
    for key, values in keras_history.history.items():
        np.testing.assert_allclose(history.history[key], values, rtol=LOG_RTOL)
    assert history.params == keras_history.params
    assert_weights_match(ours, theirs)
