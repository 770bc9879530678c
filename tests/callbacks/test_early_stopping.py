"""EarlyStopping and the mode='auto' rules of MonitorCallback."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pytest
from callback_fakes import FakeMetric, FakeModel
from hypothesis import given
from hypothesis import strategies as st

from cnnkit.callbacks import CallbackList, EarlyStopping
from cnnkit.errors import InvalidArgumentError


def run(
    stopper: Any,
    values: list[float | None],
    monitor: str = "val_loss",
    model: Any = None,
) -> dict[str, Any]:
    """Drive ``stopper`` through epochs whose monitored values are ``values``.

    The fake weights record the epoch, so the restored weights name an epoch.
    """
    model = model or FakeModel(metrics=[FakeMetric("accuracy", "up")])
    stopper.set_model(model)
    out = io.StringIO()
    trace = []
    with contextlib.redirect_stdout(out):
        stopper.on_train_begin({})
        for epoch, value in enumerate(values):
            model.mark_epoch(epoch)
            logs = {"loss": 1.0} if value is None else {monitor: value, "loss": 1.0}
            stopper.on_epoch_end(epoch, logs)
            trace.append(
                f"epoch {epoch}: {monitor}={value} "
                f"wait={stopper.wait} best={stopper.best}"
            )
            if model.stop_training:
                break
        stopper.on_train_end({})
    return {
        "epochs_run": epoch + 1,
        "stop_training": model.stop_training,
        "stopped_epoch": stopper.stopped_epoch,
        "best_epoch": stopper.best_epoch,
        "wait": stopper.wait,
        "best": None if stopper.best is None else float(stopper.best),
        "final_weights_epoch": float(model.weights[0][0, 0]),
        "printed": out.getvalue(),
        "trace": trace,
    }


SCRIPTS: list[tuple[dict[str, Any], str, list[float]]] = [
    ({"patience": 2, "verbose": 1}, "val_loss", [0.9, 0.8, 0.85, 0.82, 0.7]),
    ({"patience": 0, "verbose": 1}, "val_loss", [0.9, 0.95, 0.8]),
    (
        {"patience": 1, "min_delta": 0.1, "verbose": 1},
        "val_loss",
        [0.9, 0.85, 0.84, 0.5],
    ),
    ({"patience": 2, "baseline": 0.5, "verbose": 1}, "val_loss", [0.9, 0.8, 0.7, 0.6]),
    (
        {"patience": 1, "restore_best_weights": True, "verbose": 1},
        "val_accuracy",
        [0.5, 0.7, 0.6, 0.65],
    ),
    (
        {"restore_best_weights": True, "patience": 5, "verbose": 1},
        "val_loss",
        [0.5, 0.4, 0.6],
    ),
    (
        {"start_from_epoch": 2, "patience": 0, "verbose": 1},
        "val_loss",
        [0.1, 0.9, 0.9, 0.95],
    ),
    (
        {"mode": "max", "patience": 1, "min_delta": -0.05, "verbose": 1},
        "loss",
        [0.1, 0.12, 0.2, 0.21, 0.22],
    ),
]


def test_scripted_decisions_golden(golden: Any) -> None:
    lines = []
    for kwargs, monitor, values in SCRIPTS:
        result = run(EarlyStopping(monitor=monitor, **kwargs), values, monitor)
        lines.append(f"# EarlyStopping(monitor={monitor!r}, {kwargs})")
        lines += result.pop("trace")
        lines.append(result.pop("printed").rstrip("\n") or "(nothing printed)")
        lines.append(f"{result}\n")
    golden("early_stopping.txt", "\n".join(lines))


def test_first_epoch_never_stops() -> None:
    result = run(EarlyStopping(patience=0), [0.5, 0.6])
    assert (result["epochs_run"], result["stopped_epoch"]) == (2, 1)


def test_restores_best_weights_without_an_early_stop() -> None:
    # Keras 3 restores at the end of training even when it ran to completion.
    result = run(EarlyStopping(patience=10, restore_best_weights=True), [0.5, 0.3, 0.4])
    assert not result["stop_training"]
    assert result["final_weights_epoch"] == 1.0


def test_baseline_not_beaten_keeps_wait_counting() -> None:
    # Keras: an improvement that misses the baseline does not reset `wait`, but the
    # stop check runs only on epochs that do not improve.
    result = run(EarlyStopping(patience=2, baseline=0.1), [0.5, 0.6, 0.7])
    assert (result["stopped_epoch"], result["best"]) == (1, 0.5)
    result = run(EarlyStopping(patience=2, baseline=0.1), [0.5, 0.4, 0.3, 0.2])
    assert (result["stopped_epoch"], result["wait"]) == (0, 4)


def test_mode_auto_uses_the_metric_direction() -> None:
    result = run(
        EarlyStopping(monitor="val_accuracy", patience=0),
        [0.5, 0.6, 0.55],
        "val_accuracy",
    )
    assert result["stopped_epoch"] == 2


def test_mode_auto_finds_metrics_inside_containers() -> None:
    class Container:
        name = "compile_metrics"
        metrics = [FakeMetric("auc", "up")]  # noqa: RUF012

    model = FakeModel(metrics=[Container()])
    result = run(
        EarlyStopping(monitor="auc", patience=0), [0.5, 0.6, 0.55], "auc", model
    )
    assert result["stopped_epoch"] == 2


@pytest.mark.parametrize("direction", [None, "sideways"])
def test_mode_auto_without_a_direction_asks_for_a_mode(direction: str | None) -> None:
    model = FakeModel(metrics=[FakeMetric("f1", direction)])
    with pytest.raises(
        InvalidArgumentError, match=r"monitor='val_f1'.*Pass mode='max'.*mode='min'"
    ):
        run(EarlyStopping(monitor="val_f1"), [0.5], "val_f1", model)


def test_unknown_mode_warns_and_uses_auto() -> None:
    with pytest.warns(
        UserWarning, match=r"unknown mode='maximum'; falling back to mode='auto'"
    ):
        stopper = EarlyStopping(mode="maximum")  # type: ignore[arg-type]
    assert stopper.mode == "auto"


def test_missing_monitor_warns_and_lists_keys() -> None:
    with pytest.warns(
        UserWarning,
        match="`val_loss` which is not available. Available metrics are: loss",
    ):
        result = run(EarlyStopping(patience=0), [None, None])
    assert result["epochs_run"] == 2


def test_instance_is_reset_between_fits() -> None:
    stopper = EarlyStopping(patience=0)
    run(stopper, [0.5, 0.6])
    result = run(stopper, [0.9, 0.8, 0.7])
    assert (result["epochs_run"], result["stopped_epoch"]) == (3, 0)


def test_stops_fit_through_a_callback_list() -> None:
    model = FakeModel()
    callbacks = CallbackList([EarlyStopping(monitor="loss", patience=1)], model=model)
    callbacks.on_train_begin()
    for epoch, loss in enumerate([0.5, 0.6, 0.7]):
        callbacks.on_epoch_end(epoch, {"loss": loss})
    assert model.stop_training


def test_unattached_callback_is_explained() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"not attached to a model.*set_model\(model\)"
    ):
        EarlyStopping().on_epoch_end(0, {"val_loss": 0.5})


# --- oracle: keras.callbacks.EarlyStopping -----------------------------------------


@pytest.mark.oracle
@pytest.mark.parametrize(("kwargs", "monitor", "values"), SCRIPTS)
def test_scripts_match_keras(
    kwargs: dict[str, Any], monitor: str, values: list[float]
) -> None:
    import keras

    mode = kwargs.get("mode") or ("max" if "accuracy" in monitor else "auto")
    options = {**kwargs, "mode": mode}
    ours = run(EarlyStopping(monitor=monitor, **options), values, monitor)
    theirs = run(
        keras.callbacks.EarlyStopping(monitor=monitor, **options), values, monitor
    )
    assert ours == theirs


@pytest.mark.oracle
@given(
    values=st.lists(
        st.sampled_from([0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.9]), min_size=1, max_size=12
    ),
    patience=st.integers(0, 4),
    min_delta=st.sampled_from([0.0, 0.05, 0.1, -0.1]),
    baseline=st.sampled_from([None, 0.2, 0.4]),
    restore=st.booleans(),
    start_from_epoch=st.integers(0, 3),
    mode=st.sampled_from(["auto", "min", "max"]),
)
def test_decisions_match_keras(
    values: list[float],
    patience: int,
    min_delta: float,
    baseline: float | None,
    restore: bool,
    start_from_epoch: int,
    mode: str,
) -> None:
    import keras

    options = {
        "patience": patience,
        "min_delta": min_delta,
        "baseline": baseline,
        "restore_best_weights": restore,
        "start_from_epoch": start_from_epoch,
        "mode": mode,
        "verbose": 1,
    }
    ours = run(EarlyStopping(**options), values)
    theirs = run(keras.callbacks.EarlyStopping(**options), values)
    assert ours == theirs
    assert np.isfinite(ours["final_weights_epoch"])
