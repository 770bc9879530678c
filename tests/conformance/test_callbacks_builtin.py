"""Built-in callbacks in user code, on cnnkit and Keras 3.

EarlyStopping (stopped epoch, restored weights), ModelCheckpoint (files written),
LearningRateScheduler and ReduceLROnPlateau (rates per epoch, also from the
"Writing your own callbacks" guide's schedulers), CSVLogger (columns and rows) run in
the same ``fit`` on twins with the same weights and must act on the same epochs.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ._fit_twins import (
    LABELS,
    LABELS_VAL,
    X_VAL,
    X,
    both,
    history_dict,
    mlp,
    same,
    weights,
)

pytestmark = pytest.mark.oracle


# -------------------------------------------------------------- EarlyStopping

EARLY_STOPPING_CASES = {
    # Loss falls every epoch, so "max" sees no improvement after epoch 0.
    "restore_best_weights-mode_max": (
        {"monitor": "loss", "mode": "max", "patience": 1,
         "restore_best_weights": True}, False),
    "val_loss-patience_0": ({"patience": 0}, True),
    "val_accuracy-auto_mode": (
        {"monitor": "val_accuracy", "patience": 1, "restore_best_weights": True},
        True),
    "baseline_never_beaten": (
        {"monitor": "loss", "baseline": 0.01, "patience": 2,
         "restore_best_weights": True}, False),
    "min_delta_too_large": (
        {"monitor": "loss", "min_delta": 10.0, "patience": 1}, False),
    "start_from_epoch": (
        {"monitor": "loss", "mode": "max", "patience": 1, "start_from_epoch": 2,
         "restore_best_weights": True}, False),
}  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "validate"),
    list(EARLY_STOPPING_CASES.values()),
    ids=list(EARLY_STOPPING_CASES),
)
def test_early_stopping(kwargs: dict[str, Any], validate: bool) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        stopper = lib.callbacks.EarlyStopping(**kwargs)
        history = model.fit(
            X, LABELS, batch_size=16, epochs=6, shuffle=False, verbose=0,
            validation_data=(X_VAL, LABELS_VAL) if validate else None,
            callbacks=[stopper],
        )  # fmt: skip
        return {
            "history": history_dict(history),
            "epochs_run": len(history.epoch),
            "stopped_epoch": stopper.stopped_epoch,
            "best_epoch": stopper.best_epoch,
            "best": stopper.best,
            "wait": stopper.wait,
            "weights": weights(model),
        }

    same(*both(mlp, idiom))


def test_guide_early_stopping_at_min_loss() -> None:
    """The guide's ``EarlyStoppingAtMinLoss``: get/set_weights and stop_training."""

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        class EarlyStoppingAtMinLoss(lib.callbacks.Callback):
            def __init__(self, patience: int = 0) -> None:
                super().__init__()
                self.patience = patience
                self.best_weights: Any = None

            def on_train_begin(self, logs: Any = None) -> None:
                self.wait = 0
                self.stopped_epoch = 0
                self.best = np.inf

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                current = logs.get("loss")
                if np.less(current, self.best):
                    self.best = current
                    self.wait = 0
                    self.best_weights = self.model.get_weights()
                else:
                    self.wait += 1
                    if self.wait >= self.patience:
                        self.stopped_epoch = epoch
                        self.model.stop_training = True
                        self.model.set_weights(self.best_weights)

        model.compile(lib.optimizers.SGD(3.0), "sparse_categorical_crossentropy")
        callback = EarlyStoppingAtMinLoss(patience=1)
        history = model.fit(X, LABELS, batch_size=8, epochs=6, shuffle=False,
                            verbose=0, callbacks=[callback])  # fmt: skip
        return {
            "history": history_dict(history),
            "stopped_epoch": callback.stopped_epoch,
            "weights": weights(model),
        }

    same(*both(mlp, idiom))


# ------------------------------------------------------------ ModelCheckpoint


def test_model_checkpoint_save_best_only(tmp_path: Path) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        folder = tmp_path / lib.__name__
        folder.mkdir()
        checkpoint = lib.callbacks.ModelCheckpoint(
            str(folder / "model-{epoch:02d}.keras"), monitor="loss", mode="max",
            save_best_only=True,
        )  # fmt: skip
        model.compile("sgd", "sparse_categorical_crossentropy")
        model.fit(X, LABELS, batch_size=16, epochs=3, shuffle=False, verbose=0,
                  callbacks=[checkpoint])  # fmt: skip
        files = sorted(p.name for p in folder.iterdir())
        restored = lib.models.load_model(folder / files[0])
        return {
            "files": files,
            "best": checkpoint.best,
            "restored_predict": restored.predict(X, verbose=0),
        }

    same(*both(mlp, idiom))


def test_model_checkpoint_val_accuracy_best_only(tmp_path: Path) -> None:
    def idiom(lib: Any, model: Any) -> list[str]:
        folder = tmp_path / lib.__name__
        folder.mkdir()
        checkpoint = lib.callbacks.ModelCheckpoint(
            str(folder / "best.keras"), monitor="val_accuracy", save_best_only=True
        )
        model.compile(lib.optimizers.SGD(0.5), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        model.fit(X, LABELS, batch_size=8, epochs=3, shuffle=False, verbose=0,
                  validation_data=(X_VAL, LABELS_VAL),
                  callbacks=[checkpoint])  # fmt: skip
        return sorted(p.name for p in folder.iterdir())

    same(*both(mlp, idiom))


def test_model_checkpoint_weights_every_epoch(tmp_path: Path) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        folder = tmp_path / lib.__name__
        folder.mkdir()
        checkpoint = lib.callbacks.ModelCheckpoint(
            str(folder / "w-{epoch}.weights.h5"), save_weights_only=True
        )
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(X, LABELS, batch_size=16, epochs=2, shuffle=False, verbose=0,
                  callbacks=[checkpoint])  # fmt: skip
        final = weights(model)
        model.load_weights(folder / "w-1.weights.h5")
        after_epoch_1 = weights(model)
        return {
            "files": sorted(p.name for p in folder.iterdir()),
            "final": final,
            "after_epoch_1": after_epoch_1,
        }

    same(*both(mlp, idiom))


# ------------------------------------------------------------ learning rates


LR_SCHEDULES = {
    "two_args-halve_after_first": lambda epoch, lr: lr if epoch < 1 else lr * 0.5,
    "one_arg": lambda epoch: 0.1 / (epoch + 1),
    "numpy_float": lambda epoch, lr: np.float32(lr * 0.9),
}


@pytest.mark.parametrize(
    "schedule", list(LR_SCHEDULES.values()), ids=list(LR_SCHEDULES)
)
def test_learning_rate_scheduler(schedule: Any) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(0.2), "sparse_categorical_crossentropy")
        history = model.fit(
            X, LABELS, batch_size=16, epochs=3, shuffle=False, verbose=0,
            callbacks=[lib.callbacks.LearningRateScheduler(schedule)],
        )  # fmt: skip
        return {
            "history": history_dict(history),
            "final_lr": float(model.optimizer.learning_rate),
            "weights": weights(model),
        }

    same(*both(mlp, idiom))


def test_guide_custom_learning_rate_scheduler() -> None:
    """The guide's ``CustomLearningRateScheduler``, setting ``optimizer.learning_rate``."""
    lr_schedule = [(1, 0.05), (2, 0.01)]

    def schedule(epoch: int, lr: float) -> float:
        for start, value in lr_schedule:
            if epoch == start:
                return value
        return lr

    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        seen: list[float] = []

        class CustomLearningRateScheduler(lib.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                lr = self.model.optimizer.learning_rate
                scheduled_lr = schedule(epoch, float(lr))
                self.model.optimizer.learning_rate = scheduled_lr
                seen.append(float(self.model.optimizer.learning_rate))

        model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        model.fit(X, LABELS, batch_size=16, epochs=3, shuffle=False, verbose=0,
                  callbacks=[CustomLearningRateScheduler()])  # fmt: skip
        return {"seen": seen, "weights": weights(model)}

    same(*both(mlp, idiom))


REDUCE_LR_CASES = {
    "loss-mode_max-factor_half": (
        {"monitor": "loss", "mode": "max", "factor": 0.5, "patience": 1}, False),
    "min_lr": (
        {"monitor": "loss", "mode": "max", "factor": 0.1, "patience": 1,
         "min_lr": 0.005}, False),
    "cooldown": (
        {"monitor": "loss", "mode": "max", "factor": 0.5, "patience": 1,
         "cooldown": 2}, False),
    "val_loss-improving": ({"factor": 0.5, "patience": 1}, True),
}  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "validate"), list(REDUCE_LR_CASES.values()), ids=list(REDUCE_LR_CASES)
)
def test_reduce_lr_on_plateau(kwargs: dict[str, Any], validate: bool) -> None:
    def idiom(lib: Any, model: Any) -> dict[str, Any]:
        model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        history = model.fit(
            X, LABELS, batch_size=16, epochs=5, shuffle=False, verbose=0,
            validation_data=(X_VAL, LABELS_VAL) if validate else None,
            callbacks=[lib.callbacks.ReduceLROnPlateau(**kwargs)],
        )  # fmt: skip
        return {"history": history_dict(history), "weights": weights(model)}

    same(*both(mlp, idiom))


# ------------------------------------------------------------------ CSVLogger


def read_csv(path: Path, separator: str = ",") -> list[list[Any]]:
    with path.open(newline="") as f:
        rows = list(csv.reader(f, delimiter=separator))
    return [rows[0]] + [[cell_value(cell) for cell in row] for row in rows[1:]]


def cell_value(cell: str) -> Any:
    try:
        return float(cell)
    except ValueError:
        return cell  # "NA" for a column an epoch did not log


@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_logger(tmp_path: Path, separator: str) -> None:
    def idiom(lib: Any, model: Any) -> list[list[Any]]:
        path = tmp_path / f"{lib.__name__}.csv"
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(
            X, LABELS, batch_size=16, epochs=2, shuffle=False, verbose=0,
            validation_data=(X_VAL, LABELS_VAL),
            callbacks=[lib.callbacks.CSVLogger(str(path), separator=separator)],
        )  # fmt: skip
        return read_csv(path, separator)

    same(*both(mlp, idiom))


def test_csv_logger_append(tmp_path: Path) -> None:
    def idiom(lib: Any, model: Any) -> list[list[Any]]:
        path = tmp_path / f"{lib.__name__}.csv"
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
        for _ in range(2):
            model.fit(
                X, LABELS, batch_size=16, epochs=2, shuffle=False, verbose=0,
                callbacks=[lib.callbacks.CSVLogger(str(path), append=True)],
            )  # fmt: skip
        return read_csv(path)

    same(*both(mlp, idiom))
