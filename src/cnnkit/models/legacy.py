"""Keras 2 spellings that old tutorials still call, kept working with a warning.

``fit_generator``/``evaluate_generator``/``predict_generator`` became plain
``fit``/``evaluate``/``predict`` (which accept generators); ``predict_classes`` became
``np.argmax(model.predict(x), axis=-1)`` (or a 0.5 threshold for one sigmoid unit).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"`model.{old}` is the Keras 2 spelling; it still works in cnnkit but will not "
        f"in Keras 3. Use `{new}` instead.",
        DeprecationWarning,
        stacklevel=3,
    )


class Keras2Methods:
    """Mixed into ``Model``: the removed Keras 2 methods, forwarding to the new ones."""

    def fit_generator(
        self,
        generator: Any,
        steps_per_epoch: int | None = None,
        epochs: int = 1,
        verbose: Any = 1,
        callbacks: Any = None,
        validation_data: Any = None,
        validation_steps: int | None = None,
        validation_freq: int = 1,
        class_weight: Any = None,
        initial_epoch: int = 0,
        **ignored: Any,
    ) -> Any:
        """Keras 2's ``fit_generator`` → ``fit`` (queue/worker arguments are ignored)."""
        _deprecated("fit_generator", "model.fit(generator, ...)")
        return self.fit(  # type: ignore[attr-defined]
            generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
            callbacks=callbacks, validation_data=validation_data,
            validation_steps=validation_steps, validation_freq=validation_freq,
            class_weight=class_weight, initial_epoch=initial_epoch,
        )  # fmt: skip

    def evaluate_generator(
        self,
        generator: Any,
        steps: int | None = None,
        callbacks: Any = None,
        verbose: Any = 0,
        **ignored: Any,
    ) -> Any:
        """Keras 2's ``evaluate_generator`` → ``evaluate``."""
        _deprecated("evaluate_generator", "model.evaluate(generator, ...)")
        return self.evaluate(
            generator, steps=steps, callbacks=callbacks, verbose=verbose
        )  # type: ignore[attr-defined]

    def predict_generator(
        self,
        generator: Any,
        steps: int | None = None,
        callbacks: Any = None,
        verbose: Any = 0,
        **ignored: Any,
    ) -> Any:
        """Keras 2's ``predict_generator`` → ``predict``."""
        _deprecated("predict_generator", "model.predict(generator, ...)")
        return self.predict(
            generator, steps=steps, callbacks=callbacks, verbose=verbose
        )  # type: ignore[attr-defined]

    def predict_classes(
        self, x: Any, batch_size: int = 32, verbose: Any = 0
    ) -> np.ndarray:
        """Keras 2's ``predict_classes``: argmax of the outputs (0.5 threshold for 1 unit)."""
        _deprecated("predict_classes", "np.argmax(model.predict(x), axis=-1)")
        probabilities = np.asarray(
            self.predict(x, batch_size=batch_size, verbose=verbose)
        )  # type: ignore[attr-defined]
        if probabilities.shape[-1] > 1:
            return probabilities.argmax(axis=-1)
        return (probabilities > 0.5).astype("int32")

    def predict_proba(
        self, x: Any, batch_size: int = 32, verbose: Any = 0
    ) -> np.ndarray:
        """Keras 2's ``predict_proba`` → ``predict``."""
        _deprecated("predict_proba", "model.predict(x)")
        return np.asarray(self.predict(x, batch_size=batch_size, verbose=verbose))  # type: ignore[attr-defined]
