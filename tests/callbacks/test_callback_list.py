"""CallbackList: construction, the dispatcher, log normalisation and lazy logs."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import torch
from callback_fakes import FakeModel

from cnnkit.callbacks import (
    HOOKS,
    Callback,
    CallbackList,
    EarlyStopping,
    History,
    LambdaCallback,
    ProgbarLogger,
    TerminateOnNaN,
)
from cnnkit.callbacks.callback import overrides_hook
from cnnkit.callbacks.callback_list import pythonify_logs
from cnnkit.errors import InvalidArgumentError, InvalidTypeError


class Spy(Callback):
    """Records the logs object each batch-end hook receives."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Any] = []

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.seen.append(logs)


class LazySpy(Spy):
    accepts_lazy_logs = True


class CountingLogs:
    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> dict[str, Any]:
        self.reads += 1
        return {"loss": torch.tensor(0.5), "accuracy": np.float32(0.25)}


# --- construction ------------------------------------------------------------------


def test_accepts_none_a_callback_or_nested_lists() -> None:
    first, second, third = Callback(), Callback(), Callback()
    assert CallbackList().callbacks == []
    assert CallbackList(first).callbacks == [first]
    assert CallbackList([first, [second, (third,)]]).callbacks == [first, second, third]


def test_a_class_instead_of_an_instance_is_explained() -> None:
    with pytest.raises(
        InvalidTypeError,
        match=r"the class EarlyStopping itself.*EarlyStopping\(\.\.\.\)",
    ):
        CallbackList([EarlyStopping])


def test_a_function_instead_of_a_callback_is_explained() -> None:
    with pytest.raises(InvalidTypeError, match="LambdaCallback\\(on_epoch_end=fn\\)"):
        CallbackList([print])


def test_existing_history_and_progbar_are_not_duplicated() -> None:
    history, progbar = History(), ProgbarLogger()
    callbacks = CallbackList([progbar, history], add_history=True, add_progbar=True)
    assert callbacks.callbacks == [progbar, history]
    assert callbacks.history is history


def test_model_and_params_reach_every_callback() -> None:
    model, first = FakeModel(), Callback()
    callbacks = CallbackList([first], add_history=True, model=model, epochs=3, steps=5)
    assert first.model is model
    assert first.params == {"epochs": 3, "steps": 5}
    assert model.history is callbacks.history
    callbacks.set_model(None)  # ignored, as in Keras
    assert first.model is model
    callbacks.set_params({})  # empty params are not pushed down
    assert first.params == {"epochs": 3, "steps": 5}


def test_append_attaches_model_and_params() -> None:
    model = FakeModel()
    callbacks = CallbackList([], model=model, epochs=2)
    late = Callback()
    callbacks.append(late)
    assert callbacks.callbacks == [late]
    assert (late.model, late.params) == (model, {"epochs": 2})


def test_callback_model_setter() -> None:
    callback, model = Callback(), FakeModel()
    callback.model = model
    assert callback.model is model


# --- dispatcher --------------------------------------------------------------------


def test_call_hook_rejects_unknown_hooks() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"unknown hook 'on_epoch_ended'.*on_epoch_end"
    ):
        CallbackList().call_hook("on_epoch_ended", 0)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_named_hook_dispatches(hook: str) -> None:
    seen: list[tuple[Any, ...]] = []
    recorder = LambdaCallback(**{hook: lambda *args: seen.append(args)})
    callbacks = CallbackList([recorder])
    takes_index = "epoch" in hook or "batch" in hook
    args = (3,) if takes_index else ()
    getattr(callbacks, hook)(*args, {"b": 1, "a": 2})
    assert seen == [(*args, {"a": 2.0, "b": 1.0})]


def test_logs_are_normalised_once_and_shared() -> None:
    class AddKey(Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs["learning_rate"] = 0.1

    received: list[Any] = []
    reader = LambdaCallback(on_epoch_end=lambda epoch, logs: received.append(logs))
    trainer_logs = {"val_loss": torch.tensor(0.5), "loss": np.float64(0.25)}
    CallbackList([AddKey(), reader]).on_epoch_end(0, trainer_logs)
    assert received == [{"loss": 0.25, "val_loss": 0.5, "learning_rate": 0.1}]
    assert type(received[0]["val_loss"]) is float
    assert "learning_rate" not in trainer_logs  # the trainer's dict is untouched


def test_pythonify_logs() -> None:
    outputs = torch.zeros(3)
    logs = pythonify_logs(
        {"z": 1, "nested": {"b": np.float32(0.5)}, "outputs": outputs}
    )
    assert list(logs) == ["b", "outputs", "z"]
    assert logs["outputs"] is outputs  # not a scalar: kept
    assert logs["z"] == 1.0
    assert pythonify_logs(None) == {}


# --- lazy logs ---------------------------------------------------------------------


def test_lazy_logs_are_not_read_when_nobody_needs_them() -> None:
    logs = CountingLogs()
    callbacks = CallbackList([Callback(), EarlyStopping()], add_history=True)
    callbacks.on_train_batch_end(0, logs)
    assert logs.reads == 0


def test_lazy_logs_are_read_once_for_all_readers() -> None:
    logs, first, second = CountingLogs(), Spy(), Spy()
    CallbackList([first, second, LazySpy()]).on_train_batch_end(0, logs)
    assert logs.reads == 1
    assert first.seen == second.seen == [{"accuracy": 0.25, "loss": 0.5}]


def test_lazy_aware_callbacks_get_the_callable() -> None:
    logs, spy = CountingLogs(), LazySpy()
    CallbackList([spy]).on_train_batch_end(0, logs)
    assert logs.reads == 0
    assert spy.seen[0]() == {"accuracy": 0.25, "loss": 0.5}
    assert spy.seen[0]() is spy.seen[0]()  # memoised: one device sync at most


@pytest.mark.parametrize(
    "reader",
    [
        TerminateOnNaN(),  # overrides the Keras 2 alias on_batch_end
        LambdaCallback(on_train_batch_end=lambda batch, logs: None),
        LambdaCallback(on_batch_end=lambda batch, logs: None),
    ],
)
def test_overriding_a_batch_hook_forces_a_read(reader: Callback) -> None:
    logs = CountingLogs()
    CallbackList([reader], model=FakeModel()).on_train_batch_end(0, logs)
    assert logs.reads == 1


def test_nested_callback_list_keeps_logs_lazy() -> None:
    logs, spy = CountingLogs(), LazySpy()
    CallbackList([CallbackList([spy])]).on_train_batch_end(0, logs)
    assert logs.reads == 0
    assert callable(spy.seen[0])


def test_overrides_hook() -> None:
    assert not overrides_hook(Callback(), "on_train_batch_end")
    assert overrides_hook(Spy(), "on_train_batch_end")
    assert not overrides_hook(Spy(), "on_test_batch_end")


# --- hygiene -----------------------------------------------------------------------


def test_cnnkit_callbacks_never_import_keras() -> None:
    code = (
        "import sys, cnnkit.callbacks, cnnkit.utils.progbar; "
        "print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('keras', 'tensorflow')))"
    )
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert result.stdout.strip() == "[]"
