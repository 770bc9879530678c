"""ReduceLROnPlateau: the plateau rule, cooldown, min_lr, messages and errors."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import numpy as np
import pytest
from callback_fakes import FakeModel, ScheduledOptimizer
from hypothesis import given
from hypothesis import strategies as st

from cnnkit.callbacks import CallbackList, History, ReduceLROnPlateau
from cnnkit.errors import InvalidArgumentError, InvalidTypeError


def run(
    reducer: Any, values: list[float], learning_rate: float = 0.1
) -> dict[str, Any]:
    """Drive ``reducer`` through epochs of ``val_loss`` values; trace its state."""
    model = FakeModel(learning_rate=learning_rate)
    reducer.set_model(model)
    out = io.StringIO()
    logged, trace = [], []
    with contextlib.redirect_stdout(out):
        reducer.on_train_begin({})
        for epoch, value in enumerate(values):
            logs = {"loss": 1.0, "val_loss": value}
            reducer.on_epoch_end(epoch, logs)
            logged.append(logs["learning_rate"])
            trace.append(
                f"epoch {epoch}: val_loss={value} wait={reducer.wait} "
                f"cooldown={reducer.cooldown_counter} "
                f"lr={model.optimizer.learning_rate!r}"
            )
    return {
        "learning_rates": [float(v) for v in logged],
        "final_lr": float(model.optimizer.learning_rate),
        "printed": out.getvalue(),
        "trace": trace,
    }


SCRIPTS: list[tuple[dict[str, Any], list[float]]] = [
    (
        {"factor": 0.5, "patience": 2, "verbose": 1},
        [1.0, 0.9, 0.95, 0.92, 0.93, 0.91, 0.94],
    ),
    (
        {"factor": 0.5, "patience": 1, "cooldown": 2, "verbose": 1},
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    ),
    (
        {"factor": 0.1, "patience": 1, "min_lr": 0.005, "verbose": 1},
        [1.0, 1.1, 1.2, 1.3, 1.4],
    ),
    (
        {"factor": 0.5, "patience": 1, "min_delta": 0.1, "verbose": 1},
        [1.0, 0.95, 0.8, 0.79],
    ),
    ({"factor": 0.5, "patience": 0, "mode": "max", "verbose": 1}, [0.5, 0.6, 0.6, 0.7]),
]


def test_scripted_decisions_golden(golden: Any) -> None:
    lines = []
    for kwargs, values in SCRIPTS:
        result = run(ReduceLROnPlateau(**kwargs), values)
        lines.append(f"# ReduceLROnPlateau({kwargs})")
        lines += result.pop("trace")
        lines.append(result.pop("printed").strip("\n") or "(nothing printed)")
        lines.append(f"{result}\n")
    golden("reduce_lr_on_plateau.txt", "\n".join(lines))


def test_learning_rate_reaches_history() -> None:
    model = FakeModel(learning_rate=0.1)
    callbacks = CallbackList(
        [ReduceLROnPlateau(patience=0, factor=0.5)], add_history=True, model=model
    )
    callbacks.on_train_begin()
    for epoch, loss in enumerate([1.0, 1.0]):
        callbacks.on_epoch_end(epoch, {"val_loss": loss})
    assert isinstance(callbacks.history, History)
    assert callbacks.history.history["learning_rate"] == [0.1, 0.1]
    assert model.optimizer.learning_rate == 0.05


def test_a_rate_clipped_to_min_lr_in_float32_is_not_reduced_again() -> None:
    result = run(
        ReduceLROnPlateau(factor=0.5, patience=0, min_lr=0.1),
        [1.0, 1.0, 1.0],
        learning_rate=float(np.float32(0.1)),
    )
    assert result["printed"] == ""


def test_factor_of_one_or_more_is_refused() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"factor >= 1.0.*factor=1.5.*factor=0.5"
    ):
        ReduceLROnPlateau(factor=1.5)


def test_unknown_arguments_warn_like_keras_ignores_them() -> None:
    with pytest.warns(UserWarning, match=r"ignores unknown arguments \['epsilon'\]"):
        ReduceLROnPlateau(epsilon=1e-4)


def test_missing_monitor_warns_but_logs_the_rate() -> None:
    reducer = ReduceLROnPlateau()
    reducer.set_model(FakeModel())
    logs = {"loss": 1.0}
    with pytest.warns(
        UserWarning,
        match="`val_loss` which is not available. "
        "Available metrics are: loss,learning_rate",
    ):
        reducer.on_epoch_end(0, logs)
    assert logs["learning_rate"] == 0.01


def test_schedule_driven_optimizer_is_explained() -> None:
    reducer = ReduceLROnPlateau(patience=0)
    reducer.set_model(FakeModel(optimizer=ScheduledOptimizer()))
    reducer.on_train_begin()
    reducer.on_epoch_end(0, {"val_loss": 1.0})
    with pytest.raises(
        InvalidTypeError,
        match=r"follows a learning-rate schedule.*Adam\(learning_rate=1e-3\)",
    ):
        reducer.on_epoch_end(1, {"val_loss": 1.0})


def test_uncompiled_model_is_explained() -> None:
    reducer = ReduceLROnPlateau()
    reducer.set_model(FakeModel(optimizer=None))
    with pytest.raises(
        InvalidArgumentError, match=r"needs a compiled model.*model.compile\(optimizer="
    ):
        reducer.on_epoch_end(0, {"val_loss": 1.0})


def test_optimizer_without_learning_rate_is_explained() -> None:
    reducer = ReduceLROnPlateau()
    reducer.set_model(FakeModel(optimizer=object()))
    with pytest.raises(
        InvalidArgumentError, match="object has no `learning_rate` attribute"
    ):
        reducer.on_epoch_end(0, {"val_loss": 1.0})


# --- oracle: keras.callbacks.ReduceLROnPlateau -------------------------------------


@pytest.mark.oracle
@pytest.mark.parametrize(("kwargs", "values"), SCRIPTS)
def test_scripts_match_keras(kwargs: dict[str, Any], values: list[float]) -> None:
    import keras

    assert run(ReduceLROnPlateau(**kwargs), values) == run(
        keras.callbacks.ReduceLROnPlateau(**kwargs), values
    )


@pytest.mark.oracle
@given(
    values=st.lists(
        st.sampled_from([0.1, 0.2, 0.3, 0.35, 0.4, 0.9]), min_size=1, max_size=12
    ),
    factor=st.sampled_from([0.1, 0.5, 0.9]),
    patience=st.integers(0, 3),
    cooldown=st.integers(0, 2),
    min_lr=st.sampled_from([0.0, 0.001, 0.05]),
    min_delta=st.sampled_from([0.0, 1e-4, 0.1]),
    mode=st.sampled_from(["auto", "min", "max"]),
)
def test_decisions_match_keras(
    values: list[float],
    factor: float,
    patience: int,
    cooldown: int,
    min_lr: float,
    min_delta: float,
    mode: str,
) -> None:
    import keras

    options = {
        "factor": factor,
        "patience": patience,
        "cooldown": cooldown,
        "min_lr": min_lr,
        "min_delta": min_delta,
        "mode": mode,
        "verbose": 1,
    }
    ours = run(ReduceLROnPlateau(**options), values)
    assert ours == run(keras.callbacks.ReduceLROnPlateau(**options), values)
