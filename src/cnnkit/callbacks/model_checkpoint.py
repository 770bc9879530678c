"""``ModelCheckpoint``: save the model (or its weights) during training.

The file name is a template formatted with the epoch (1-based), the batch when
saving every N batches, and the logs: ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``.
With ``save_best_only`` a save happens only when the monitored value improves
(``mode`` as in ``EarlyStopping``). Every write is atomic, so a run killed during
a save leaves the previous checkpoint intact (KERAS_SPEC §5.2). A save that cannot
be written (disk full, size limit, permission) raises ``SaveError`` (an ``OSError``)
naming the file and the cause, and ends ``fit`` as Keras' own errors do: a
checkpoint the user asked for is silently missing otherwise. Temporaries left by a
process killed mid-save are removed by the next save into the same folder.

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> folder = tempfile.mkdtemp()
    >>> checkpoint = ModelCheckpoint(os.path.join(folder, "m-{epoch:02d}.keras"))
    >>> x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    >>> sorted(os.listdir(folder))
    ['m-01.keras', 'm-02.keras']
"""

from __future__ import annotations

import os
import warnings
from typing import Literal

import numpy as np

from cnnkit.callbacks.callback import Logs
from cnnkit.callbacks.monitor_callback import MonitorCallback
from cnnkit.errors import InvalidArgumentError
from cnnkit.utils.progbar import print_msg

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights every epoch or every ``save_freq`` batches.

    Args:
        filepath: A ``.keras`` (or ``.h5``) path for full saves, or a
            ``.weights.h5`` path with ``save_weights_only=True``. May contain
            ``{epoch}``, ``{batch}`` and any log key, with format specs.
        monitor: Log key compared by ``save_best_only``.
        verbose: 1 prints a line for each save (and each skipped improvement).
        save_best_only: Save only when ``monitor`` improves on the best so far.
        save_weights_only: Save ``model.save_weights`` instead of ``model.save``.
        mode: ``"auto"``, ``"min"`` or ``"max"``: which way ``monitor`` improves.
        save_freq: ``"epoch"``, or save after every this many batches.
        initial_value_threshold: A value the first save must beat
            (``save_best_only`` only).

    Raises:
        InvalidArgumentError: For a ``save_freq`` that is neither ``"epoch"`` nor
            an int, or a ``filepath`` with the wrong extension.
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: Literal["auto", "min", "max"] = "auto",
        save_freq: Literal["epoch"] | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int)
        ):
            raise InvalidArgumentError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                "'epoch' or integer values"
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise InvalidArgumentError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the "
                    "filepath provided must end in `.weights.h5` (Keras weights "
                    f"format). Received: filepath={self.filepath}"
                )
        elif not self.filepath.endswith((".keras", ".h5")):
            raise InvalidArgumentError(
                "The filepath provided must end in `.keras` (Keras model format). "
                f"Received: filepath={self.filepath}"
            )

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.monitor_op is None:
            # Delayed to here: the model's metrics exist only once training ran.
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        # Batches restart at 0 each epoch: count what happened since the last call.
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= int(self.save_freq):
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch: int, batch: int | None, logs: Logs | None) -> str:
        """The formatted file name.

        Raises:
            KeyError: If the template names a key the logs do not have.
        """
        logs = dict(logs or {})
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". '
                f"Reason: {error}. Available keys: {['epoch', 'batch', *logs]}"
            ) from error

    def _should_save_model(self, epoch: int, logs: Logs | None, filepath: str) -> bool:
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available.",
                UserWarning,
                stacklevel=4,
            )
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. "
                f"Received: {current}. Falling back to `save_best_only=False`.",
                UserWarning,
                stacklevel=4,
            )
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}"
            )
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: Logs | None) -> None:
        from cnnkit.distributed import is_main_process

        if not is_main_process():  # under DDP every rank holds the same weights
            return
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise InvalidArgumentError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {filepath}"
            )
        model = self._attached_model()
        if self.save_weights_only:
            model.save_weights(filepath, overwrite=True)
        else:
            model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")
