"""``EarlyStopping``: stop training when a monitored quantity stops improving.

Example:
    >>> class Model:  # the few attributes EarlyStopping uses
    ...     stop_training = False
    >>> model = Model()
    >>> stopper = EarlyStopping(monitor="val_loss", patience=1, verbose=1)
    >>> stopper.set_model(model)
    >>> stopper.on_train_begin()
    >>> for epoch, val_loss in enumerate([0.5, 0.4, 0.45, 0.41]):
    ...     stopper.on_epoch_end(epoch, {"val_loss": val_loss})
    ...     if model.stop_training:
    ...         break
    >>> stopper.on_train_end()
    Epoch 3: early stopping
"""

from __future__ import annotations

from typing import Any, Literal

from cnnkit.callbacks.callback import Logs
from cnnkit.callbacks.monitor_callback import MonitorCallback
from cnnkit.utils.progbar import print_msg

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored metric has stopped improving.

    At each epoch end ``wait`` grows by one, and goes back to 0 when the epoch
    improves on the best value (and beats ``baseline``, if given). Training stops
    once ``wait >= patience``, never after the first epoch (``epoch > 0``).

    Args:
        monitor: Log key to watch. Default ``"val_loss"``.
        min_delta: Smallest change that counts as an improvement.
        patience: Epochs without improvement before stopping.
        verbose: 1 prints ``Epoch N: early stopping`` and the restore message.
        mode: ``"auto"``, ``"min"`` or ``"max"`` (see ``MonitorCallback``).
        baseline: A value the metric must beat for ``wait`` to reset; if no epoch
            beats it, training stops after ``patience`` epochs.
        restore_best_weights: Put back the weights of the best epoch at the end of
            training, **whether or not it stopped early** (Keras 3 behaviour; Keras
            2 restored only on an early stop). The first monitored epoch counts as
            best until another improves on it.
        start_from_epoch: Epochs of warm-up before monitoring starts.

    Attributes:
        stopped_epoch: 0-based epoch at which training was stopped, 0 if never.
        best_epoch: 0-based epoch of the best value.
        wait: Epochs since the last improvement.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: Literal["auto", "min", "max"] = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights: list[Any] | None = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Reset the state, so one instance can serve several ``fit`` calls."""
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Update ``wait`` and the best value; ask the model to stop if needed."""
        model = self._attached_model()
        if self.monitor_op is None:
            # Delayed to here: the model's metrics exist only once training ran.
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = model.get_weights()
            # Restart the count only when the baseline is beaten too.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Report the stop and restore the best weights if asked."""
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self._attached_model().set_weights(self.best_weights)

    def get_monitor_value(self, logs: Logs | None) -> float | None:
        """The monitored value, or ``None`` with a warning listing the keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            self._warn_missing("Early stopping", logs)
        return value
