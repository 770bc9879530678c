"""``TerminateOnNaN``: stop training as soon as the loss becomes NaN or infinite.

Example:
    >>> class Model:
    ...     stop_training = False
    >>> model = Model()
    >>> guard = TerminateOnNaN()
    >>> guard.set_model(model)
    >>> guard.on_train_batch_end(7, {"loss": float("nan")})
    Batch 7: Invalid loss, terminating training
    >>> model.stop_training
    True
"""

from __future__ import annotations

import math

from cnnkit.callbacks.callback import Callback, Logs
from cnnkit.utils.progbar import print_msg

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Callback that terminates training when a NaN or Inf loss is encountered.

    It reads the loss after every training batch, so it costs one device
    synchronisation per batch on a GPU (the only built-in callback that does).

    Args:
        raise_error: ``False`` stops gracefully (``model.stop_training = True``,
            then every ``on_train_end`` runs); ``True`` raises at once, skipping
            that cleanup.

    Raises:
        RuntimeError: With ``raise_error=True``, on a NaN or Inf loss.
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Check the running loss of the epoch so far."""
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately. Common causes: a learning rate "
                "that is too high, inputs that are not scaled (pixels in 0-255 "
                "instead of 0-1), or log(0) in a custom loss."
            )
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self._attached_model().stop_training = True
