"""LearningRateScheduler: the two schedule signatures, the float check, logs."""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from callback_fakes import FakeModel, ScheduledOptimizer

from cnnkit.callbacks import LearningRateScheduler
from cnnkit.errors import InvalidArgumentError, InvalidTypeError


def run(scheduler: Any, epochs: int = 4) -> dict[str, Any]:
    model = FakeModel(learning_rate=0.1)
    scheduler.set_model(model)
    out = io.StringIO()
    rates, logged = [], []
    with contextlib.redirect_stdout(out):
        for epoch in range(epochs):
            scheduler.on_epoch_begin(epoch, {})
            rates.append(model.optimizer.learning_rate)
            logs = {"loss": 1.0}
            scheduler.on_epoch_end(epoch, logs)
            logged.append(logs["learning_rate"])
    return {
        "rates": [float(r) for r in rates],
        "logged": logged,
        "printed": out.getvalue(),
    }


def halve_after_two(epoch: int, lr: float) -> float:
    return lr if epoch < 2 else lr * 0.5


def exponential(epoch: int, lr: float) -> float:
    return float(lr * math.exp(-0.1))


def by_epoch(epoch: int) -> float:  # the one-argument Keras 1 form
    return 0.1 / (epoch + 1)


def float32_schedule(epoch: int, lr: float) -> Any:
    return np.float32(0.25)


SCHEDULES: list[Callable[..., Any]] = [
    halve_after_two,
    exponential,
    by_epoch,
    float32_schedule,
]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_rates_follow_the_schedule(schedule: Callable[..., Any]) -> None:
    result = run(LearningRateScheduler(schedule, verbose=1))
    assert result["rates"] == result["logged"]
    assert result["printed"].startswith(
        "\nEpoch 1: LearningRateScheduler setting learning rate to "
    )


def test_one_argument_schedule_is_supported() -> None:
    assert run(LearningRateScheduler(by_epoch))["rates"] == [0.1, 0.05, 0.1 / 3, 0.025]


def test_non_float_result_is_explained() -> None:
    scheduler = LearningRateScheduler(lambda epoch, lr: 1)
    scheduler.set_model(FakeModel())
    with pytest.raises(
        InvalidArgumentError,
        match=r"should be a float. Got: 1 \(int\) at epoch 0.*float\(lr \* 0.9\)",
    ):
        scheduler.on_epoch_begin(0)


def test_non_callable_schedule_is_explained() -> None:
    with pytest.raises(
        InvalidTypeError,
        match=r"must be a function schedule\(epoch, lr\).*received 0.01",
    ):
        LearningRateScheduler(0.01)  # type: ignore[arg-type]


def test_schedule_driven_optimizer_is_explained() -> None:
    scheduler = LearningRateScheduler(halve_after_two)
    scheduler.set_model(FakeModel(optimizer=ScheduledOptimizer()))
    with pytest.raises(
        InvalidTypeError, match="LearningRateScheduler cannot change the learning rate"
    ):
        scheduler.on_epoch_begin(0)


@pytest.mark.oracle
@pytest.mark.parametrize("schedule", SCHEDULES)
def test_matches_keras(schedule: Callable[..., Any]) -> None:
    import keras

    ours = run(LearningRateScheduler(schedule, verbose=1))
    assert ours == run(keras.callbacks.LearningRateScheduler(schedule, verbose=1))


@pytest.mark.oracle
def test_rejects_what_keras_rejects() -> None:
    import keras

    for cls in (LearningRateScheduler, keras.callbacks.LearningRateScheduler):
        scheduler = cls(lambda epoch, lr: 1)
        scheduler.set_model(FakeModel())
        with pytest.raises(ValueError, match="should be a float"):
            scheduler.on_epoch_begin(0)
