"""Callbacks as user code (Keras' "Writing your own callbacks" guide), on cnnkit and Keras.

A custom ``Callback`` records every ``on_*`` call and the ``logs`` it receives (fit,
evaluate, predict); the guide's callbacks, LambdaCallback, ``stop_training`` from a
callback, TerminateOnNaN and History. The other built-in callbacks are in
``test_callbacks_builtin.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ._fit_twins import (
    LABELS,
    LABELS_VAL,
    TARGET,
    X_VAL,
    X,
    both,
    history_dict,
    mlp,
    same,
    weights,
)

pytestmark = pytest.mark.oracle


def describe_logs(logs: Any) -> Any:
    """What a user sees in ``logs``: the keys, float values, output shapes."""
    if logs is None:
        return None
    described: dict[str, Any] = {}
    for key, value in logs.items():
        if key == "outputs":
            described[key] = tuple(np.shape(value))
        else:
            described[key] = float(value)
    return described


def recorder_class(lib: Any) -> type:
    """A callback overriding every hook, as the guide's ``CustomCallback`` does."""

    class Recorder(lib.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[tuple[Any, ...]] = []

        def on_train_begin(self, logs: Any = None) -> None:
            self.calls.append(("on_train_begin", describe_logs(logs)))

        def on_train_end(self, logs: Any = None) -> None:
            self.calls.append(("on_train_end", describe_logs(logs)))

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.calls.append(("on_epoch_begin", epoch, describe_logs(logs)))

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.calls.append(("on_epoch_end", epoch, describe_logs(logs)))

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            self.calls.append(("on_train_batch_begin", batch, describe_logs(logs)))

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.calls.append(("on_train_batch_end", batch, describe_logs(logs)))

        def on_test_begin(self, logs: Any = None) -> None:
            self.calls.append(("on_test_begin", describe_logs(logs)))

        def on_test_end(self, logs: Any = None) -> None:
            self.calls.append(("on_test_end", describe_logs(logs)))

        def on_test_batch_begin(self, batch: int, logs: Any = None) -> None:
            self.calls.append(("on_test_batch_begin", batch, describe_logs(logs)))

        def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
            self.calls.append(("on_test_batch_end", batch, describe_logs(logs)))

        def on_predict_begin(self, logs: Any = None) -> None:
            self.calls.append(("on_predict_begin", describe_logs(logs)))

        def on_predict_end(self, logs: Any = None) -> None:
            self.calls.append(("on_predict_end", describe_logs(logs)))

        def on_predict_batch_begin(self, batch: int, logs: Any = None) -> None:
            self.calls.append(("on_predict_batch_begin", batch, describe_logs(logs)))

        def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
            self.calls.append(("on_predict_batch_end", batch, describe_logs(logs)))

    return Recorder


HOOK_CASES = {
    "fit": lambda model, cb: model.fit(
        X, LABELS, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[cb]
    ),
    "fit-validation_data": lambda model, cb: model.fit(
        X, LABELS, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[cb],
        validation_data=(X_VAL, LABELS_VAL), validation_batch_size=5,
    ),
    "fit-validation_split-initial_epoch": lambda model, cb: model.fit(
        X, LABELS, batch_size=12, initial_epoch=1, epochs=3, shuffle=False,
        verbose=0, callbacks=[cb], validation_split=0.25,
    ),
    "fit-steps_per_epoch": lambda model, cb: model.fit(
        X, LABELS, batch_size=8, steps_per_epoch=1, epochs=2, shuffle=False,
        verbose=0, callbacks=[cb],
    ),
    "evaluate": lambda model, cb: model.evaluate(
        X, LABELS, batch_size=10, verbose=0, callbacks=[cb]
    ),
    "predict": lambda model, cb: model.predict(
        X, batch_size=10, verbose=0, callbacks=[cb]
    ),
}  # fmt: skip


@pytest.mark.parametrize("run", list(HOOK_CASES.values()), ids=list(HOOK_CASES))
def test_hook_order_and_logs(run: Any) -> None:
    def idiom(lib: Any, model: Any) -> list[tuple[Any, ...]]:
        model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        recorder = recorder_class(lib)()
        run(model, recorder)
        return recorder.calls

    ours, theirs = both(mlp, idiom)
    assert [call[:-1] for call in ours] == [call[:-1] for call in theirs]
    same(ours, theirs)


def test_legacy_on_batch_hooks_run_for_train_batches() -> None:
    def idiom(lib: Any, model: Any) -> list[Any]:
        class Batches(lib.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.seen: list[Any] = []

            def on_batch_begin(self, batch: int, logs: Any = None) -> None:
                self.seen.append(("begin", batch))

            def on_batch_end(self, batch: int, logs: Any = None) -> None:
                self.seen.append(("end", batch, sorted(logs)))

        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        callback = Batches()
        model.fit(X, LABELS, batch_size=16, epochs=1, verbose=0, callbacks=[callback])
        model.evaluate(X, LABELS, batch_size=16, verbose=0, callbacks=[callback])
        return callback.seen

    same(*both(mlp, idiom))


def test_callback_sees_model_and_params() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        seen: dict[str, Any] = {}

        class Inspect(lib.callbacks.Callback):
            def on_train_begin(self, logs: Any = None) -> None:
                seen["is_model"] = self.model is model
                seen["params"] = dict(self.params)

        model.compile("sgd", "sparse_categorical_crossentropy")
        model.fit(X, LABELS, batch_size=10, epochs=2, verbose=0, callbacks=[Inspect()])
        return seen

    same(*both(mlp, idiom))


def test_guide_loss_and_error_printing_callback() -> None:
    """The guide's ``LossAndErrorPrintingCallback``, collecting its lines."""

    def idiom(lib: Any, model: Any) -> list[str]:
        lines: list[str] = []

        class LossAndErrorPrintingCallback(lib.callbacks.Callback):
            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                lines.append(
                    f"Up to batch {batch}, the average loss is {logs['loss']:7.2f}."
                )

            def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
                lines.append(
                    f"Up to batch {batch}, the average loss is {logs['loss']:7.2f}."
                )

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                lines.append(
                    f"The average loss for epoch {epoch} is {logs['loss']:7.2f} "
                    f"and mean absolute error is {logs['mean_absolute_error']:7.2f}."
                )

        model.compile(lib.optimizers.RMSprop(0.1), "mean_squared_error",
                      metrics=["mean_absolute_error"])  # fmt: skip
        callback = LossAndErrorPrintingCallback()
        model.fit(X, LABELS.astype("float32"), batch_size=8, epochs=2, shuffle=False,
                  verbose=0, callbacks=[callback])  # fmt: skip
        model.evaluate(X, LABELS.astype("float32"), batch_size=16, verbose=0,
                       callbacks=[callback])  # fmt: skip
        return lines

    same(*both(lambda lib: mlp(lib, 1, None), idiom))


def test_callback_adds_a_key_that_history_records() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        class AddsKey(lib.callbacks.Callback):
            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                logs["doubled_loss"] = 2 * logs["loss"]

        model.compile("sgd", "sparse_categorical_crossentropy")
        history = model.fit(X, LABELS, batch_size=16, epochs=2, shuffle=False,
                            verbose=0, callbacks=[AddsKey()])  # fmt: skip
        return history_dict(history)

    same(*both(mlp, idiom))


# ------------------------------------------------------- small callbacks


def test_lambda_callback() -> None:
    def idiom(lib: Any, model: Any) -> list[Any]:
        events: list[Any] = []
        callback = lib.callbacks.LambdaCallback(
            on_train_begin=lambda logs: events.append("train_begin"),
            on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
            on_epoch_end=lambda epoch, logs: events.append(
                ("epoch_end", epoch, round(logs["loss"], 4))
            ),
            on_train_batch_end=lambda batch, logs: events.append(("batch", batch)),
            on_train_end=lambda logs: events.append("train_end"),
        )
        model.compile("sgd", "sparse_categorical_crossentropy")
        model.fit(X, LABELS, batch_size=16, epochs=2, shuffle=False, verbose=0,
                  callbacks=[callback])  # fmt: skip
        return events

    same(*both(mlp, idiom))


@pytest.mark.parametrize("where", ["on_train_batch_end", "on_epoch_end"])
def test_stop_training_from_a_callback(where: str) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        class Stop(lib.callbacks.Callback):
            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                if where == "on_train_batch_end" and batch == 1:
                    self.model.stop_training = True

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                if where == "on_epoch_end" and epoch == 1:
                    self.model.stop_training = True

        model.compile("sgd", "sparse_categorical_crossentropy")
        history = model.fit(X, LABELS, batch_size=8, epochs=4, shuffle=False,
                            verbose=0, callbacks=[Stop()])  # fmt: skip
        return {
            "history": history_dict(history),
            "iterations": int(model.optimizer.iterations),
            "stop_training": model.stop_training,
            "weights": weights(model),
        }

    same(*both(mlp, idiom))


def test_terminate_on_nan(capsys: pytest.CaptureFixture[str]) -> None:
    """A diverging regression (learning rate far too high) ends in an inf/NaN loss."""

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(50.0), "mse")
        history = model.fit(
            X, TARGET * 1000, batch_size=8, epochs=10, shuffle=False, verbose=0,
            callbacks=[lib.callbacks.TerminateOnNaN()],
        )  # fmt: skip
        printed = capsys.readouterr().out
        return {
            "epochs_run": len(history.epoch),
            "iterations": int(model.optimizer.iterations),
            "printed": printed.strip(),
        }

    same(*both(lambda lib: mlp(lib, 1, None), idiom))


def test_history_callback_passed_explicitly() -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        history = lib.callbacks.History()
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        returned = model.fit(X, LABELS, batch_size=16, epochs=2, shuffle=False,
                             verbose=0, callbacks=[history])  # fmt: skip
        return {
            "history": history_dict(history),
            "epoch": history.epoch,
            "returned_history": history_dict(returned),
        }

    same(*both(mlp, idiom))
