"""The model interface callbacks may rely on, and nothing more.

Callbacks are duck-typed against the model (the real Model comes later):
``stop_training``, ``get_weights``/``set_weights``, ``optimizer.learning_rate`` (a
Python float; a schedule-driven optimizer refuses assignment with ``TypeError``)
and ``metrics`` (objects with ``name`` and ``_direction``). These fakes are
exactly that, so the tests also document the contract.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class FakeMetric:
    def __init__(self, name: str, direction: str | None) -> None:
        self.name = name
        self._direction = direction


class FakeOptimizer:
    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate


class ScheduledOptimizer:
    """Mimics an optimizer built with a LearningRateSchedule: the rate is read-only."""

    @property
    def learning_rate(self) -> float:
        return 0.01

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        raise TypeError(
            "This optimizer was created with a `LearningRateSchedule` object as its "
            "`learning_rate` constructor argument, hence its learning rate is not "
            "settable."
        )


class FakeModel:
    """The model interface callbacks may rely on, and nothing more."""

    def __init__(
        self,
        learning_rate: float = 0.01,
        metrics: list[Any] | None = None,
        optimizer: Any = "default",
    ) -> None:
        self.stop_training = False
        self.weights = [np.zeros((2, 2), "float32"), np.zeros((2,), "float32")]
        self.optimizer = (
            FakeOptimizer(learning_rate) if optimizer == "default" else optimizer
        )
        self.metrics = metrics if metrics is not None else []

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.weights = [np.array(w) for w in weights]

    def mark_epoch(self, epoch: int) -> None:
        """Training changes the weights; here they simply record the epoch."""
        self.weights = [
            np.full((2, 2), epoch, "float32"),
            np.full((2,), epoch, "float32"),
        ]
