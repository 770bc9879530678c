"""``ReduceLROnPlateau``: lower the learning rate when a metric stops improving.

Example:
    >>> class Optimizer:
    ...     learning_rate = 0.5
    >>> class Model:
    ...     optimizer = Optimizer()
    >>> reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, verbose=1)
    >>> reduce.set_model(Model())
    >>> reduce.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
    ...     reduce.on_epoch_end(epoch, {"loss": loss})
    <BLANKLINE>
    Epoch 2: ReduceLROnPlateau reducing learning rate to 0.25.
    <BLANKLINE>
    Epoch 3: ReduceLROnPlateau reducing learning rate to 0.125.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from cnnkit.callbacks._optimizer import get_learning_rate, set_learning_rate
from cnnkit.callbacks.callback import Logs
from cnnkit.callbacks.monitor_callback import MonitorCallback
from cnnkit.errors import InvalidArgumentError
from cnnkit.utils.progbar import print_msg

if TYPE_CHECKING:
    from cnnkit.callbacks._watched import WatchedModel

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Reduce the learning rate when a metric has stopped improving.

    Each epoch end first writes the current rate to ``logs["learning_rate"]``
    (History and the progress bar then show it). After ``patience`` epochs without
    improvement, outside a cooldown, the rate becomes ``max(lr * factor, min_lr)``
    if it is still above ``min_lr``, and a cooldown of ``cooldown`` epochs starts.

    Args:
        monitor: Log key to watch. Default ``"val_loss"``.
        factor: Multiplier applied to the rate, below 1.
        patience: Epochs without improvement before reducing.
        verbose: 1 prints a message at each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see ``MonitorCallback``).
        min_delta: Smallest change that counts as an improvement.
        cooldown: Epochs to wait after a reduction before counting again.
        min_lr: Lower bound on the rate.
        **kwargs: Ignored with a warning, as Keras 3 ignores them (Keras 2's
            ``epsilon`` is now ``min_delta``).

    Raises:
        InvalidArgumentError: If ``factor >= 1``.
        InvalidTypeError: At a reduction, if the optimizer follows a schedule.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: Literal["auto", "min", "max"] = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise InvalidArgumentError(
                "ReduceLROnPlateau does not support a factor >= 1.0: the new rate "
                f"is lr * factor, so it would not go down. Received factor={factor}; "
                "use e.g. factor=0.5 to halve the rate."
            )
        if kwargs:
            warnings.warn(
                f"ReduceLROnPlateau ignores unknown arguments {sorted(kwargs)}, as "
                "Keras 3 does (Keras 2's `epsilon` is now `min_delta`).",
                UserWarning,
                stacklevel=2,
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Reset the counters and the best value."""
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Log the rate, then reduce it if the metric has plateaued."""
        model = self._attached_model()
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = get_learning_rate(model, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            self._warn_missing("Learning rate reduction is", logs)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(model, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce_lr(self, model: WatchedModel, epoch: int) -> bool:
        old_lr = get_learning_rate(model, "ReduceLROnPlateau")
        # Optimizers keep the rate in float32: a rate already clipped to min_lr
        # reads back as float32(min_lr), which must not count as "above min_lr".
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        set_learning_rate(model, new_lr, "ReduceLROnPlateau")
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                f"to {new_lr}."
            )
        return True

    def in_cooldown(self) -> bool:
        """Whether a reduction happened less than ``cooldown`` epochs ago."""
        return self.cooldown_counter > 0
