"""``LearningRateScheduler``: set the learning rate from a function of the epoch.

Example:
    >>> class Optimizer:
    ...     learning_rate = 0.1
    >>> class Model:
    ...     optimizer = Optimizer()
    >>> model = Model()
    >>> scheduler = LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr)
    >>> scheduler.set_model(model)
    >>> for epoch in range(3):
    ...     scheduler.on_epoch_begin(epoch)
    >>> model.optimizer.learning_rate
    0.025
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cnnkit.callbacks._optimizer import get_learning_rate, set_learning_rate
from cnnkit.callbacks.callback import Callback, Logs
from cnnkit.errors import InvalidArgumentError, InvalidTypeError
from cnnkit.utils.progbar import print_msg

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Learning rate scheduler, applied at the beginning of every epoch.

    ``schedule(epoch, lr)`` receives the 0-based epoch and the current rate and
    returns the new rate. A one-argument ``schedule(epoch)`` also works (the
    Keras 1 form): it is tried when the two-argument call raises ``TypeError``.
    Each epoch end writes the rate to ``logs["learning_rate"]``.

    Args:
        schedule: ``schedule(epoch, lr) -> float``.
        verbose: 1 prints the rate set at each epoch.

    Raises:
        InvalidTypeError: If ``schedule`` is not callable, or the optimizer
            follows a schedule of its own.
        InvalidArgumentError: If ``schedule`` returns something other than a float.
    """

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise InvalidTypeError(
                "LearningRateScheduler: `schedule` must be a function "
                f"schedule(epoch, lr) -> float; received {schedule!r}. For a fixed "
                "rate, pass it to the optimizer: Adam(learning_rate=...)."
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Ask ``schedule`` for this epoch's rate and set it on the optimizer."""
        model = self._attached_model()
        try:
            learning_rate = self.schedule(
                epoch, get_learning_rate(model, "LearningRateScheduler")
            )
        except TypeError:
            # Keras 1 schedules take only the epoch.
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise InvalidArgumentError(
                "The output of the `schedule` function should be a float. Got: "
                f"{learning_rate!r} ({type(learning_rate).__name__}) at epoch {epoch}. "
                "Return a Python float, e.g. `return float(lr * 0.9)`."
            )
        set_learning_rate(model, float(learning_rate), "LearningRateScheduler")
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate "
                f"to {learning_rate}."
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Record the rate in ``logs["learning_rate"]``."""
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(
                self._attached_model(), "LearningRateScheduler"
            )
