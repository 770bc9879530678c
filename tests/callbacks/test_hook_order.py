"""The exact order of callback hooks in fit, evaluate and predict (a golden list).

``drive_fit`` / ``drive_evaluate`` / ``drive_predict`` call ``CallbackList`` the way
the trainer must (they follow Keras 3's torch trainer): the golden file pins the
order, and an oracle test runs a real Keras ``fit`` with the same recorder to prove
the scripted order is Keras' order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from callback_fakes import FakeModel

from cnnkit.callbacks import HOOKS, Callback, CallbackList, History, ProgbarLogger

_WITH_INDEX = {hook for hook in HOOKS if "epoch" in hook or "batch" in hook}


def make_recorder(base: type, calls: list[str], tag: str) -> Any:
    """A ``base`` subclass that logs every hook call, then runs the base hook."""

    def recording(hook: str) -> Callable[..., None]:
        takes_index = hook in _WITH_INDEX

        def method(self: Any, *args: Any, **kwargs: Any) -> None:
            logs = kwargs.get("logs", args[-1] if len(args) > takes_index else None)
            index = f"{args[0]}" if takes_index else ""
            keys = sorted(logs) if isinstance(logs, dict) else logs
            calls.append(f"{tag}.{hook}({index}) logs={keys}")
            getattr(base, hook)(self, *args, **kwargs)  # keeps the alias calls

        return method

    recorder_class = type(f"Recorder{tag}", (base,), {h: recording(h) for h in HOOKS})
    return recorder_class()


def drive_evaluate(callbacks: CallbackList, steps: int) -> dict[str, float]:
    """What ``evaluate`` (and validation inside ``fit``) calls."""
    callbacks.on_test_begin()
    for step in range(steps):
        callbacks.on_test_batch_begin(step)
        callbacks.on_test_batch_end(step, lambda s=step: {"loss": 1.0 / (s + 1)})
    logs = {"loss": 0.5}
    callbacks.on_test_end(logs)
    return logs


def drive_fit(
    callbacks: CallbackList,
    model: Any,
    *,
    epochs: int,
    steps: int,
    val_steps: int = 0,
    initial_epoch: int = 0,
) -> None:
    """What ``fit`` calls: the contract the trainer follows (Keras 3 torch trainer)."""
    model.stop_training = False
    callbacks.on_train_begin()
    training_logs: dict[str, float] = {}
    for epoch in range(initial_epoch, epochs):
        callbacks.on_epoch_begin(epoch)
        for step in range(steps):
            callbacks.on_train_batch_begin(step)
            # Lazy logs: read only by the callbacks that need them.
            callbacks.on_train_batch_end(step, lambda s=step: {"loss": 1.0 / (s + 1)})
            if model.stop_training:
                break
        epoch_logs = {"loss": 0.25}
        if val_steps:
            val_logs = drive_evaluate(callbacks, val_steps)
            epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
        callbacks.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if model.stop_training:
            break
    callbacks.on_train_end(training_logs)


def drive_predict(callbacks: CallbackList, steps: int) -> None:
    """What ``predict`` calls."""
    callbacks.on_predict_begin()
    for step in range(steps):
        callbacks.on_predict_batch_begin(step)
        callbacks.on_predict_batch_end(step, {"outputs": np.zeros((2, 1))})
    callbacks.on_predict_end()


class _StopAt(Callback):
    """Stops training at one batch, as TerminateOnNaN would."""

    def __init__(self, epoch: int, batch: int) -> None:
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = -1

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if (self.epoch, batch) == self.at:
            self.model.stop_training = True


class _AddsKey(Callback):
    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        logs["added_by_a"] = float(epoch)


def test_hook_order_golden(golden: Any, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[str] = []
    model = FakeModel()
    first = make_recorder(Callback, calls, "A")
    callbacks = CallbackList(
        [_AddsKey(), first, make_recorder(Callback, calls, "B")],
        add_history=True,
        add_progbar=True,
        model=model,
        verbose=1,
        epochs=2,
        steps=3,
    )
    order = [type(c).__name__ for c in callbacks.callbacks]
    sections = [
        f"callbacks: {order}",
        "",
        "# fit(epochs=2, steps=3, validation 2 steps)",
    ]
    drive_fit(callbacks, model, epochs=2, steps=3, val_steps=2)
    sections += [*calls, f"history keys: {sorted(model.history.history)}", ""]

    calls.clear()
    stopped = CallbackList([_StopAt(1, 1), first], model=model, epochs=3, steps=3)
    drive_fit(stopped, model, epochs=3, steps=3)
    sections += ["# fit stopped at epoch 1, batch 1", *calls, ""]

    calls.clear()
    evaluation = CallbackList([first], model=model, epochs=1, steps=2)
    drive_evaluate(evaluation, 2)
    sections += ["# evaluate(steps=2)", *calls, ""]

    calls.clear()
    prediction = CallbackList([first], model=model, epochs=1, steps=2)
    drive_predict(prediction, 2)
    sections += ["# predict(steps=2)", *calls, ""]
    capsys.readouterr()  # the progress bar printed too; its text has its own test
    golden("callback_hook_order.txt", "\n".join(sections))


def test_defaults_come_after_user_callbacks() -> None:
    user = Callback()
    callbacks = CallbackList([user], add_history=True, add_progbar=True)
    assert callbacks.callbacks[0] is user
    assert [type(c) for c in callbacks.callbacks[1:]] == [History, ProgbarLogger]


@pytest.mark.oracle
def test_scripted_fit_matches_keras_fit_order() -> None:
    import keras

    keras.utils.set_random_seed(0)
    keras_calls: list[str] = []
    net = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    net.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((6, 2), "float32"), np.ones((6, 1), "float32")
    net.fit(
        x,
        y,
        batch_size=2,
        epochs=2,
        verbose=0,
        validation_data=(x[:4], y[:4]),
        callbacks=[make_recorder(keras.callbacks.Callback, keras_calls, "A")],
    )
    net.evaluate(
        x[:4],
        y[:4],
        batch_size=2,
        verbose=0,
        callbacks=[make_recorder(keras.callbacks.Callback, keras_calls, "A")],
    )
    net.predict(
        x[:4],
        batch_size=2,
        verbose=0,
        callbacks=[make_recorder(keras.callbacks.Callback, keras_calls, "A")],
    )

    ours: list[str] = []

    class Model:
        stop_training = False

    model = Model()
    recorder = make_recorder(Callback, ours, "A")
    drive_fit(
        CallbackList([recorder], model=model), model, epochs=2, steps=3, val_steps=2
    )
    drive_evaluate(CallbackList([recorder], model=model), 2)
    drive_predict(CallbackList([recorder], model=model), 2)
    assert ours == keras_calls


# --- ProgbarLogger: the text fit, evaluate and predict print ------------------------


class TickingClock:
    """Every reading is 0.25 s after the previous one: deterministic bar text."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


def logger_run(**options: Any) -> str:
    """fit (2 epochs, validation), then evaluate and predict, into one string."""
    import io

    out = io.StringIO()
    verbose = options.pop("verbose", 1)
    model = FakeModel()

    def logger() -> ProgbarLogger:
        return ProgbarLogger(clock=TickingClock(), stream=out, **options)

    fit = CallbackList([logger()], model=model, verbose=verbose, epochs=2, steps=3)
    drive_fit(fit, model, epochs=2, steps=3, val_steps=2)
    out.write("# evaluate\n")
    drive_evaluate(
        CallbackList([logger()], model=model, verbose=verbose, epochs=1, steps=2), 2
    )
    out.write("# predict\n")
    drive_predict(
        CallbackList([logger()], model=model, verbose=verbose, epochs=1, steps=2), 2
    )
    return out.getvalue()


def test_progbar_logger_text_golden(golden: Any) -> None:
    text = "# terminal\n" + logger_run(dynamic=True, color=True)
    text += "# pipe\n" + logger_run(dynamic=False)
    text += "# verbose=2\n" + logger_run(verbose=2)
    golden("progbar_logger.txt", text)


def test_progbar_logger_pipe_output_is_clean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = FakeModel()
    callbacks = CallbackList(
        [], add_progbar=True, model=model, verbose="auto", epochs=2, steps=3
    )
    drive_fit(callbacks, model, epochs=2, steps=3, val_steps=2)
    lines = capsys.readouterr().out.splitlines()
    assert not any(set(line) & {"\b", "\r", "\x1b"} for line in lines)
    assert [line.split(" ")[0] for line in lines] == ["Epoch", "3/3", "Epoch", "3/3"]
    assert lines[1].endswith("- loss: 0.2500 - val_loss: 0.5000")


def test_no_epoch_header_for_a_single_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    model = FakeModel()
    callbacks = CallbackList(
        [], add_progbar=True, model=model, verbose=1, epochs=1, steps=3
    )
    drive_fit(callbacks, model, epochs=1, steps=3)
    assert "Epoch" not in capsys.readouterr().out


def test_unknown_steps_are_learned_in_the_first_epoch(
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = FakeModel()
    callbacks = CallbackList(
        [], add_progbar=True, model=model, verbose=1, epochs=2, steps=None
    )
    drive_fit(callbacks, model, epochs=2, steps=3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("3/3 ")  # the first epoch's final line knows it
    assert callbacks._progbar is not None
    assert callbacks._progbar.target == 3


def test_progbar_logger_reads_lazy_logs_only_to_draw() -> None:
    reads = []

    def lazy() -> dict[str, float]:
        reads.append(1)
        return {"loss": 1.0}

    model = FakeModel()
    logger = ProgbarLogger(stream=__import__("io").StringIO(), dynamic=False)
    callbacks = CallbackList([logger], model=model, verbose=1, epochs=1, steps=50)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    for step in range(50):
        callbacks.on_train_batch_end(step, lazy)
    assert reads == []  # a log file: nothing read before the epoch's final line


def test_evaluate_after_fit_shows_its_bar() -> None:
    import io

    out = io.StringIO()
    model = FakeModel()
    logger = ProgbarLogger(clock=TickingClock(), stream=out, dynamic=False)
    callbacks = CallbackList([logger], model=model, verbose=1, epochs=1, steps=2)
    drive_fit(callbacks, model, epochs=1, steps=2, val_steps=2)
    assert out.getvalue().count("\n") == 1  # validation inside fit is silent
    drive_evaluate(callbacks, 2)
    assert out.getvalue().count("\n") == 2
