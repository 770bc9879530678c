"""``ProgbarLogger``: draws the Keras progress bar during fit, evaluate and predict.

Example:
    >>> import io
    >>> out, now = io.StringIO(), [0.0]
    >>> logger = ProgbarLogger(stream=out, clock=lambda: now[0])
    >>> logger.set_params({"verbose": 1, "epochs": 2, "steps": 2})
    >>> logger.on_train_begin()
    >>> logger.on_epoch_begin(0)
    >>> for batch in (0, 1):
    ...     now[0] += 0.5
    ...     logger.on_train_batch_end(batch, {"loss": 0.5})
    >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    >>> print(out.getvalue(), end="")
    Epoch 1/2
    2/2 ━━━━━━━━━━━━━━━━━━━━ 1s 500ms/step - loss: 0.5000 - val_loss: 0.7500
"""

from __future__ import annotations

from typing import IO, Any

from cnnkit.callbacks.callback import Callback, LazyLogs, Logs
from cnnkit.utils.progbar import Clock, Progbar, print_msg

__all__ = ["ProgbarLogger"]


class ProgbarLogger(Callback):
    """Callback that prints the progress bar and the metrics to stdout.

    ``fit``, ``evaluate`` and ``predict`` add one automatically when ``verbose`` is
    not 0, after the user's callbacks. ``Epoch e/E`` heads each epoch only when
    ``epochs > 1``. Validation inside ``fit`` is silent; its ``val_*`` values join
    the epoch's final line. Batch logs may be lazy (see ``Progbar.update``): they
    are read only when the bar redraws.

    Args:
        clock: Time source passed to each ``Progbar`` (for deterministic tests).
        stream: Output stream; default the current ``sys.stdout``.
        dynamic: Force (``True``) or forbid (``False``) ``\\r`` redraws; ``None``
            redraws only on a terminal. See ``Progbar``.
        color: Force or forbid ANSI colours in redraws; ``None`` means with
            redraws unless ``NO_COLOR`` is set.
    """

    accepts_lazy_logs = True

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        stream: IO[str] | None = None,
        dynamic: bool | None = None,
        color: bool | None = None,
    ) -> None:
        super().__init__()
        self.seen = 0
        self.progbar: Progbar | None = None
        self.target: int | None = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False
        self._bar_options: dict[str, Any] = {
            "clock": clock,
            "stream": stream,
            "dynamic": dynamic,
            "color": color,
        }

    def set_params(self, params: dict[str, Any]) -> None:
        """Read ``verbose`` (``"auto"`` means 1), ``epochs`` and ``steps``."""
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Inside ``fit``, validation runs without a bar."""
        self._called_in_fit = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        """A later ``evaluate`` with this logger shows its bar again."""
        self._called_in_fit = False

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Start a new bar, headed ``Epoch e/E`` when there are several epochs."""
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(
                f"Epoch {epoch + 1}/{self.epochs}", stream=self._bar_options["stream"]
            )

    def on_train_batch_end(
        self, batch: int, logs: Logs | LazyLogs | None = None
    ) -> None:
        """Advance the bar; lazy logs are read only if it redraws."""
        self._update_progbar(batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Draw the final line with the epoch's logs, validation included."""
        self._finalize_progbar(logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        """Start the ``evaluate`` bar (not for validation inside ``fit``)."""
        if not self._called_in_fit:
            self._reset_progbar()

    def on_test_batch_end(
        self, batch: int, logs: Logs | LazyLogs | None = None
    ) -> None:
        """Advance the ``evaluate`` bar."""
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        """Draw the final ``evaluate`` line."""
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        """Start the ``predict`` bar."""
        self._reset_progbar()

    def on_predict_batch_end(
        self, batch: int, logs: Logs | LazyLogs | None = None
    ) -> None:
        """Advance the ``predict`` bar; predictions are never shown."""
        self._update_progbar(batch, None)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        """Draw the final ``predict`` line."""
        self._finalize_progbar(None)

    def _reset_progbar(self) -> Progbar:
        self.seen = 0
        self.progbar = Progbar(
            target=self.target,
            verbose=self.verbose,
            unit_name="step",
            # Logs are already running means: show them as given.
            stateless_metrics=set(),
            **self._bar_options,
        )
        return self.progbar

    def _update_progbar(self, batch: int, logs: Logs | LazyLogs | None) -> None:
        progbar = self.progbar or self._reset_progbar()
        self.seen = batch + 1  # Progbar counts steps done, batches are 0-based.
        if self.verbose == 1:
            progbar.update(self.seen, logs, finalize=False)

    def _finalize_progbar(self, logs: Logs | None) -> None:
        progbar = self.progbar or self._reset_progbar()
        if self.target is None:
            # Unknown length (a generator): the first pass tells it for later epochs.
            self.target = self.seen
        progbar.target = self.target
        progbar.update(self.target, logs or {}, finalize=True)
