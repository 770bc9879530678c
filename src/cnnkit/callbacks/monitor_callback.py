"""``MonitorCallback``: shared "is this epoch an improvement?" logic.

EarlyStopping and ReduceLROnPlateau (and later ModelCheckpoint) watch one log
key. With ``mode="auto"`` the direction comes from the name, as in Keras 3: the
loss (``loss`` or ``val_loss``) goes down; any other key must be a compiled metric
that declares a ``_direction`` (``"up"`` for accuracy, ``"down"`` for errors).
Unlike tf.keras 2, nothing is guessed from the spelling of the name.

Example:
    >>> class Watcher(MonitorCallback):
    ...     pass
    >>> watcher = Watcher(monitor="val_loss", min_delta=0.1)
    >>> watcher._set_monitor_op()
    >>> watcher._is_improvement(0.85, 1.0), watcher._is_improvement(0.95, 1.0)
    (True, False)
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Literal

from cnnkit.callbacks.callback import Callback
from cnnkit.errors import InvalidArgumentError

__all__ = ["MonitorCallback"]

_MODES = ("auto", "min", "max")


def _all_metrics(metrics: Any) -> Iterator[Any]:
    """Metric objects, looking inside containers that hold a ``metrics`` list."""
    for metric in metrics or ():
        yield metric
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            yield from _all_metrics(inner)


class MonitorCallback(Callback):
    """Base class for callbacks that watch one quantity for improvements.

    Args:
        monitor: Log key to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        mode: ``"min"``, ``"max"``, or ``"auto"`` to infer it (see the module doc).
            An unknown mode warns and falls back to ``"auto"``, as in Keras.
        baseline: Initial best value, or ``None`` to take the first one seen.
        min_delta: Smallest change that counts as an improvement (its sign is
            ignored).

    Raises:
        InvalidArgumentError: At the first epoch end, if ``mode="auto"`` cannot
            tell whether ``monitor`` should go up or down.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: Literal["auto", "min", "max"] = "auto",
        baseline: float | None = None,
        min_delta: float = 0.0,
    ) -> None:
        super().__init__()
        if mode not in _MODES:
            warnings.warn(
                f"{type(self).__name__}: unknown mode={mode!r}; falling back to "
                f"mode='auto'. Use one of {list(_MODES)}.",
                UserWarning,
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best: float | None = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Callable[[Any, Any], bool] | None = None

    def _set_monitor_op(self) -> None:
        """Pick ``<`` or ``>``; done at the first epoch end, once metrics exist."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            self.monitor_op = self._infer_monitor_op()
        if self.monitor_op is operator.lt:
            # Improving means going down by at least min_delta.
            self.min_delta *= -1

    def _infer_monitor_op(self) -> Callable[[Any, Any], bool]:
        name = self.monitor.removeprefix("val_")
        found: Callable[[Any, Any], bool] | None = (
            operator.lt if name == "loss" else None
        )
        known = []
        for metric in _all_metrics(getattr(self.model, "metrics", None)):
            known.append(getattr(metric, "name", "?"))
            direction = getattr(metric, "_direction", None)
            if getattr(metric, "name", None) == name and direction in ("up", "down"):
                found = operator.gt if direction == "up" else operator.lt
        if found is None:
            raise InvalidArgumentError(
                f"{type(self).__name__} received monitor={self.monitor!r} with "
                f"mode='auto', but cannot tell whether {self.monitor!r} should be "
                "maximized or minimized: it is not the loss, and no compiled metric "
                f"named {name!r} declares a direction (compiled metrics: {known}). "
                "Pass mode='max' if higher is better (like accuracy) or mode='min' "
                "if lower is better (like an error)."
            )
        return found

    def _is_improvement(
        self, monitor_value: float, reference_value: float | None
    ) -> bool:
        """Whether ``monitor_value`` beats ``reference_value`` by ``min_delta``."""
        if reference_value is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        op = self.monitor_op
        return bool(
            op is not None and op(monitor_value - self.min_delta, reference_value)
        )

    def _warn_missing(self, what: str, logs: dict[str, Any]) -> None:
        """Warn (not raise) that the monitored key is absent, listing the keys."""
        warnings.warn(
            f"{what} conditioned on metric `{self.monitor}` which is not available. "
            f"Available metrics are: {','.join(logs)}",
            UserWarning,
            stacklevel=3,
        )
