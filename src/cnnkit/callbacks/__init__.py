"""Callbacks: objects that hook into ``fit``, ``evaluate`` and ``predict``.

The same classes and arguments as ``keras.callbacks``.

Example:
    >>> from cnnkit import callbacks
    >>> stop = callbacks.EarlyStopping(monitor="val_loss", patience=3)
    >>> stop.patience
    3
"""

from __future__ import annotations

from cnnkit.callbacks.backup_and_restore import BackupAndRestore
from cnnkit.callbacks.callback import HOOKS, Callback
from cnnkit.callbacks.callback_list import CallbackList
from cnnkit.callbacks.csv_logger import CSVLogger
from cnnkit.callbacks.doctor import Doctor
from cnnkit.callbacks.early_stopping import EarlyStopping
from cnnkit.callbacks.history import History
from cnnkit.callbacks.lambda_callback import LambdaCallback
from cnnkit.callbacks.learning_rate_scheduler import LearningRateScheduler
from cnnkit.callbacks.model_checkpoint import ModelCheckpoint
from cnnkit.callbacks.monitor_callback import MonitorCallback
from cnnkit.callbacks.progbar_logger import ProgbarLogger
from cnnkit.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from cnnkit.callbacks.terminate_on_nan import TerminateOnNaN
from cnnkit.callbacks.watch_learning import WatchLearning

__all__ = [
    "HOOKS",
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "Doctor",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
    "WatchLearning",
]
