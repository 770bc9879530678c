"""Reading and writing ``model.optimizer.learning_rate`` for the LR callbacks.

Both ReduceLROnPlateau and LearningRateScheduler change the rate between epochs;
an optimizer built with a schedule refuses that with a ``TypeError``, which is
turned here into an error that says what to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnnkit.errors import InvalidArgumentError, InvalidTypeError

if TYPE_CHECKING:
    from cnnkit.callbacks._watched import WatchedModel


def _optimizer(model: WatchedModel, owner: str) -> Any:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise InvalidArgumentError(
            f"{owner} needs a compiled model: the model has no optimizer. Call "
            "model.compile(optimizer=..., loss=...) before model.fit()."
        )
    if not hasattr(optimizer, "learning_rate"):
        raise InvalidArgumentError(
            f"{owner}: the optimizer {type(optimizer).__name__} has no "
            "`learning_rate` attribute to read or change."
        )
    return optimizer


def get_learning_rate(model: WatchedModel, owner: str) -> float:
    """The optimizer's current learning rate as a Python float."""
    return float(_optimizer(model, owner).learning_rate)


def set_learning_rate(model: WatchedModel, value: float, owner: str) -> None:
    """Assign a new constant learning rate, or explain why it cannot be done."""
    optimizer = _optimizer(model, owner)
    try:
        optimizer.learning_rate = value
    except TypeError as exc:
        raise InvalidTypeError(
            f"{owner} cannot change the learning rate of "
            f"{type(optimizer).__name__}: it follows a learning-rate schedule "
            f"({exc}). Either compile with a constant rate, e.g. "
            "Adam(learning_rate=1e-3), and keep the callback, or keep the schedule "
            f"and remove {owner}."
        ) from exc
