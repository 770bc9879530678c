"""History, TerminateOnNaN, LambdaCallback and MonitorCallback."""

from __future__ import annotations

import contextlib
import io
import math
import operator
from typing import Any

import pytest
from callback_fakes import FakeMetric, FakeModel

from cnnkit.callbacks import (
    Callback,
    CallbackList,
    History,
    LambdaCallback,
    MonitorCallback,
    TerminateOnNaN,
)
from cnnkit.errors import InvalidArgumentError, InvalidTypeError

# --- History -----------------------------------------------------------------------


def test_history_records_epochs_and_params() -> None:
    model = FakeModel()
    history = History()
    CallbackList([history], model=model, verbose=1, epochs=2, steps=3)
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.6})
    history.on_epoch_end(1, {"loss": 0.25, "val_loss": 0.4})
    assert history.history == {"loss": [0.5, 0.25], "val_loss": [0.6, 0.4]}
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 1, "epochs": 2, "steps": 3}
    assert model.history is history


def test_history_keeps_values_across_fits_but_resets_epochs() -> None:
    history = History()
    for _ in range(2):
        history.on_train_begin()
        history.on_epoch_end(0, {"loss": 1.0})
    assert (history.history, history.epoch) == ({"loss": [1.0, 1.0]}, [0])


# --- TerminateOnNaN ----------------------------------------------------------------


@pytest.mark.parametrize("loss", [math.nan, math.inf, -math.inf])
def test_invalid_loss_stops_training(
    loss: float, capsys: pytest.CaptureFixture[str]
) -> None:
    model = FakeModel()
    callbacks = CallbackList([TerminateOnNaN()], model=model)
    callbacks.on_train_batch_end(4, lambda: {"loss": loss})  # lazy logs are read for it
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 4: Invalid loss, terminating training\n"


@pytest.mark.parametrize("logs", [{"loss": 0.5}, {"accuracy": math.nan}, {}])
def test_finite_or_absent_loss_is_ignored(logs: dict[str, float]) -> None:
    model = FakeModel()
    guard = TerminateOnNaN()
    guard.set_model(model)
    guard.on_train_batch_end(0, logs)
    assert not model.stop_training


def test_raise_error_raises_at_once() -> None:
    guard = TerminateOnNaN(raise_error=True)
    guard.set_model(FakeModel())
    with pytest.raises(
        RuntimeError,
        match=r"NaN or Inf loss encountered at batch 2. Loss value: nan.*learning rate",
    ):
        guard.on_train_batch_end(2, {"loss": math.nan})


@pytest.mark.oracle
def test_terminate_on_nan_message_matches_keras() -> None:
    import keras

    printed = []
    for guard in (TerminateOnNaN(), keras.callbacks.TerminateOnNaN()):
        model = FakeModel()
        guard.set_model(model)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            guard.on_train_batch_end(3, {"loss": math.inf})
        printed.append((out.getvalue(), model.stop_training))
    assert printed[0] == printed[1]


# --- LambdaCallback ----------------------------------------------------------------


def test_lambda_callback_runs_each_function() -> None:
    seen: list[tuple[str, Any]] = []
    callback = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: seen.append(("epoch_end", logs)),
        on_train_begin=lambda logs: seen.append(("train_begin", logs)),
        on_train_end=lambda logs: seen.append(("train_end", logs)),
        on_train_batch_begin=lambda batch, logs: seen.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: seen.append(("batch_end", logs)),
        on_test_end=lambda logs: seen.append(("test_end", logs)),
    )
    callbacks = CallbackList([callback])
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, lambda: {"loss": 0.5})
    callbacks.on_test_end({"loss": 0.25})
    callbacks.on_epoch_end(0, {"loss": 0.5})
    callbacks.on_train_end({"loss": 0.5})
    assert seen == [
        ("train_begin", {}),
        ("epoch_begin", 0),
        ("batch_begin", 0),
        ("batch_end", {"loss": 0.5}),
        ("test_end", {"loss": 0.25}),
        ("epoch_end", {"loss": 0.5}),
        ("train_end", {"loss": 0.5}),
    ]


def test_lambda_callback_rejects_unknown_hooks() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"unknown hook names \['on_epoch_ends'\]"
    ):
        LambdaCallback(on_epoch_ends=print)


def test_lambda_callback_rejects_non_callables() -> None:
    with pytest.raises(
        InvalidTypeError, match="`on_epoch_end` must be a function; received 3"
    ):
        LambdaCallback(on_epoch_end=3)  # type: ignore[arg-type]


# --- MonitorCallback ---------------------------------------------------------------


class Watcher(MonitorCallback):
    pass


@pytest.mark.parametrize(
    ("monitor", "mode", "metrics", "op", "min_delta"),
    [
        ("val_loss", "auto", [], operator.lt, -0.1),
        ("loss", "auto", [], operator.lt, -0.1),
        ("val_accuracy", "auto", [FakeMetric("accuracy", "up")], operator.gt, 0.1),
        ("mae", "auto", [FakeMetric("mae", "down")], operator.lt, -0.1),
        ("anything", "max", [], operator.gt, 0.1),
        ("anything", "min", [], operator.lt, -0.1),
    ],
)
def test_monitor_direction(
    monitor: str, mode: Any, metrics: list[Any], op: Any, min_delta: float
) -> None:
    watcher = Watcher(monitor=monitor, mode=mode, min_delta=-0.1)
    watcher.set_model(FakeModel(metrics=metrics))
    watcher._set_monitor_op()
    assert (watcher.monitor_op, watcher.min_delta) == (op, min_delta)


def test_improvement_needs_min_delta() -> None:
    watcher = Watcher(monitor="val_accuracy", mode="max", min_delta=0.05)
    assert watcher._is_improvement(0.5, None)
    assert watcher._is_improvement(0.56, 0.5)
    assert not watcher._is_improvement(0.54, 0.5)


def test_monitor_error_lists_the_compiled_metrics() -> None:
    watcher = Watcher(monitor="val_f1")
    watcher.set_model(FakeModel(metrics=[FakeMetric("accuracy", "up")]))
    with pytest.raises(InvalidArgumentError, match=r"compiled metrics: \['accuracy'\]"):
        watcher._set_monitor_op()


def test_base_callback_hooks_are_no_ops() -> None:
    callback = Callback()
    for hook in ("on_train_begin", "on_test_begin", "on_predict_end"):
        getattr(callback, hook)({})
    callback.on_train_batch_end(0, {"loss": 1.0})
    assert callback.model is None
    assert callback.params is None
