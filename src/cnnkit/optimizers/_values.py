"""Plain numbers that also answer the Keras ``Variable`` methods user code calls.

Keras 3 returns variables for ``optimizer.learning_rate`` and ``optimizer.iterations``;
tutorials and callbacks call ``.assign(new_lr)`` and ``.numpy()`` on them. cnnkit keeps
both on the host as Python numbers (a step never reads the GPU), so it returns a
``float`` / ``int`` subclass that supports those calls and is a number everywhere else.

Example:
    >>> from cnnkit.optimizers import SGD
    >>> opt = SGD(learning_rate=0.1)
    >>> opt.learning_rate.assign(0.5)
    >>> float(opt.learning_rate), opt.learning_rate.numpy().dtype.name
    (0.5, 'float32')
    >>> opt.iterations.numpy()
    np.int64(0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LearningRateValue", "StepCount"]


class LearningRateValue(float):
    """The learning rate for the next step; ``assign`` sets the optimizer's rate."""

    _optimizer: Any

    def __new__(cls, value: float, optimizer: Any) -> LearningRateValue:
        instance = super().__new__(cls, value)
        instance._optimizer = optimizer
        return instance

    def assign(self, value: Any) -> None:
        """``optimizer.learning_rate = value`` (Keras' ``Variable.assign``)."""
        self._optimizer.learning_rate = value

    def numpy(self) -> np.float32:
        return np.float32(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (float, (float(self),))  # copies and pickles as a plain float


class StepCount(int):
    """The optimizer's step counter; ``numpy()`` as on a Keras variable."""

    def numpy(self) -> np.int64:
        return np.int64(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (int, (int(self),))
