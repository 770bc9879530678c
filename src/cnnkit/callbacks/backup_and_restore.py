"""``BackupAndRestore``: resume a ``fit`` that was interrupted, from its last backup.

At the end of every epoch (or every ``save_freq`` batches) the callback writes the
weights, the optimizer state, the epoch reached and the random-number generator
states into ``backup_dir`` — one file, replaced atomically, so a process killed at
any instant (even with SIGKILL, even during the write) leaves a usable backup. When
``fit`` starts again with the same callback, it restores all of that and training
continues from the first unfinished epoch; with a fixed seed on the CPU, the
result equals the uninterrupted run's. The backup is deleted when training ends
normally (``delete_checkpoint=True``).

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> import cnnkit
    >>> model = cnnkit.Sequential([cnnkit.Input((3,)), cnnkit.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> backup = BackupAndRestore(os.path.join(tempfile.mkdtemp(), "backup"))
    >>> x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    >>> history = model.fit(x, y, epochs=2, verbose=0, callbacks=[backup])
    >>> os.path.exists(backup.backup_dir)  # a finished run leaves no backup
    False
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import warnings
from typing import Literal

from cnnkit.callbacks.callback import Callback, Logs
from cnnkit.errors import FileFormatError, InvalidArgumentError, NotBuiltError

__all__ = ["BackupAndRestore"]


class BackupAndRestore(Callback):
    """Back up the training state regularly; restore it when ``fit`` restarts.

    Args:
        backup_dir: Directory for the backup files (created when needed). Use one
            directory per training job.
        save_freq: ``"epoch"`` or a number of batches. Resuming restarts the epoch
            in progress, so runs equal uninterrupted ones only with ``"epoch"``.
        double_checkpoint: Also keep the previous backup (``*.bkp``), used if the
            latest cannot be read.
        delete_checkpoint: Remove the backup files once training ends normally.

    A backup that cannot be written (disk full, quota, permission) warns with a
    ``RuntimeWarning`` naming the file and the cause; training continues and the
    last good backup stays in place, since every write is atomic. A backup that
    cannot be deleted when training ends warns too (delete it by hand, or the next
    ``fit`` with this ``backup_dir`` resumes from it).

    Raises:
        InvalidArgumentError: For an empty ``backup_dir`` or a bad ``save_freq``.
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        save_freq: Literal["epoch"] | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise InvalidArgumentError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool)
            or not isinstance(save_freq, int)
            or save_freq < 1
        ):
            raise InvalidArgumentError(
                "Invalid value for argument `save_freq`. Received: "
                f"save_freq={save_freq!r}. Expected either 'epoch' or a positive "
                "integer value."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_metadata_path = f"{self._metadata_path}.bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    # ------------------------------------------------------------------ restore

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Restore the last backup, if any, and tell ``fit`` where to start."""
        model = self._attached_model()
        if not model.built:
            raise NotBuiltError(
                "To use the BackupAndRestore callback, your model must be built "
                f"before you call `fit()`. Model '{model.name}' is unbuilt. Build it "
                "by calling it on a batch of data or with `model.build(shape)`."
            )
        self._current_epoch = 0
        if not os.path.exists(self._weights_path):
            return
        try:
            self._restore(self._weights_path, self._metadata_path)
        except (FileFormatError, OSError):
            if not os.path.exists(self._prev_weights_path):
                raise
            self._restore(self._prev_weights_path, self._prev_metadata_path)

    def _restore(self, weights_path: str, metadata_path: str) -> None:
        from cnnkit.saving.training_state import load_training_state

        model = self._attached_model()
        progress = load_training_state(model, weights_path)
        if progress is None and os.path.exists(metadata_path):
            # A backup written by Keras: weights plus a separate progress file.
            with open(metadata_path, encoding="utf-8") as handle:
                progress = json.load(handle)
        if progress is not None:
            self._current_epoch = int(progress["epoch"])
            model._initial_epoch = self._current_epoch

    # ------------------------------------------------------------------ backup

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model()

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch started
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= int(self.save_freq):
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self) -> None:
        from cnnkit.distributed import is_main_process
        from cnnkit.saving._files import SaveError

        if not is_main_process():  # every rank restores; only rank 0 writes
            return
        try:
            self._write_backup()
        except SaveError as error:
            # A backup exists to protect the run: losing one (full disk, quota)
            # must not end the run it protects. Every write is atomic, so the
            # previous backup is still whole and a restart resumes from it.
            warnings.warn(
                f"BackupAndRestore could not write its backup in "
                f"{self.backup_dir!r}; training continues and the last good backup "
                f"is kept. {error}",
                RuntimeWarning,
                stacklevel=2,
            )

    def _write_backup(self) -> None:
        from cnnkit.saving._files import SaveError, atomic_write
        from cnnkit.saving.training_state import save_training_state

        try:
            os.makedirs(self.backup_dir, exist_ok=True)
        except OSError as error:
            raise SaveError(
                error.errno or 0,
                f"Could not create the backup folder {self.backup_dir!r}: {error}.",
            ) from error
        if self.double_checkpoint:
            for source, target in (
                (self._weights_path, self._prev_weights_path),
                (self._metadata_path, self._prev_metadata_path),
            ):
                if os.path.exists(source):
                    with atomic_write(target) as tmp:
                        shutil.copyfile(source, tmp)
        progress = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        save_training_state(self._attached_model(), self._weights_path, progress)
        # Keras keeps the progress in its own file; written for Keras' sake only.
        with (
            atomic_write(self._metadata_path) as tmp,
            open(tmp, "w", encoding="utf-8") as handle,
        ):
            json.dump(progress, handle)

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Delete the backup files (only ours, with the temporaries of killed
        writes of them), and the directory if left empty."""
        from cnnkit.distributed import is_main_process
        from cnnkit.saving._files import clean_stale_temps

        if not self.delete_checkpoint or not is_main_process():
            return
        kept: list[str] = []
        for path in (
            self._weights_path,
            self._metadata_path,
            self._prev_weights_path,
            self._prev_metadata_path,
        ):
            try:
                os.remove(path)
            except (FileNotFoundError, NotADirectoryError):
                # NotADirectoryError: the folder never came to be (a failed backup
                # warned already); nothing of ours to delete.
                continue
            except OSError as error:
                kept.append(f"{path!r} ({error.strerror or error})")
        if kept:
            # The training it protected is done: a backup that cannot be removed
            # (read-only folder) must not turn a finished fit into an exception,
            # but left in place it would make the next fit with this folder
            # resume at the end, so say so.
            warnings.warn(
                f"BackupAndRestore could not delete its backup after training "
                f"ended: {', '.join(kept)}. Delete it by hand: a later `fit` with "
                f"backup_dir={self.backup_dir!r} would resume from it.",
                RuntimeWarning,
                stacklevel=2,
            )
        # A run killed while writing a backup left a temporary of it; training is
        # over, so no later backup would clean it: remove it now, whatever its age.
        clean_stale_temps(
            self.backup_dir,
            older_than_s=0.0,
            targets=tuple(
                os.path.basename(p)
                for p in (
                    self._weights_path,
                    self._metadata_path,
                    self._prev_weights_path,
                    self._prev_metadata_path,
                )
            ),
        )
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)

    def __repr__(self) -> str:
        return (
            f"BackupAndRestore(backup_dir={self.backup_dir!r}, "
            f"save_freq={self.save_freq!r})"
        )
