"""``History``: records the logs of every epoch; ``fit`` returns it.

Example:
    >>> history = History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.on_epoch_end(1, {"loss": 0.25})
    >>> history.history, history.epoch
    ({'loss': [0.5, 0.25]}, [0, 1])
"""

from __future__ import annotations

from typing import Any

from cnnkit.callbacks.callback import Callback, Logs

__all__ = ["History"]


class History(Callback):
    """Callback that records the logs of each epoch.

    ``fit`` adds one automatically, after the user's callbacks (so it sees keys they
    add, such as ``learning_rate``), and returns it.

    Attributes:
        history: Dict of lists, one value per epoch for each log key.
        epoch: The 0-based indices of the recorded epochs (reset by each ``fit``).
        params: The run parameters ``{"verbose", "epochs", "steps"}``.
    """

    def __init__(self) -> None:
        super().__init__()
        # As in Keras, `history` is not reset between fits but `epoch` is.
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Start a new list of epochs."""
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Append each log value to its list."""
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            # Keeps `model.history` pointing at the latest state, as Keras does.
            self.model.history = self
