"""Keras 2 spellings that old tutorials still call, kept working with a warning.

``fit_generator``/``evaluate_generator``/``predict_generator`` became plain
``fit``/``evaluate``/``predict`` (which accept generators); ``predict_classes`` became
``np.argmax(model.predict(x), axis=-1)`` (or a 0.5 threshold for one sigmoid unit).

Keras 2's queue arguments (``max_queue_size``, ``workers``, ``use_multiprocessing``)
are accepted and ignored: cnnkit reads a generator in the training process, which is
what Keras 2 did with its defaults. Any other unknown argument is a ``TypeError``, so
a misspelt one is not silently dropped.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def _deprecated(old: str, new: str) -> None:
    # stacklevel 3: this helper, the Keras 2 method, then the user's line.
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
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        shuffle: bool = True,
        initial_epoch: int = 0,
    ) -> Any:
        """Keras 2's ``fit_generator`` → ``fit`` (queue and worker arguments ignored).

        Example:
            >>> import numpy as np, cnnkit, warnings
            >>> model = cnnkit.Sequential([cnnkit.Input((2,)), cnnkit.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> batches = ((np.ones((4, 2)), np.ones((4, 1))) for _ in range(3))
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     len(model.fit_generator(batches, steps_per_epoch=3, verbose=0)
            ...         .history["loss"])
            1
        """
        _deprecated("fit_generator", "model.fit(generator, ...)")
        model: Any = self  # the Model this is mixed into
        return model.fit(
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
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        verbose: Any = 0,
    ) -> Any:
        """Keras 2's ``evaluate_generator`` → ``evaluate``."""
        _deprecated("evaluate_generator", "model.evaluate(generator, ...)")
        model: Any = self
        return model.evaluate(
            generator, steps=steps, callbacks=callbacks, verbose=verbose
        )

    def predict_generator(
        self,
        generator: Any,
        steps: int | None = None,
        callbacks: Any = None,
        max_queue_size: int = 10,
        workers: int = 1,
        use_multiprocessing: bool = False,
        verbose: Any = 0,
    ) -> Any:
        """Keras 2's ``predict_generator`` → ``predict``."""
        _deprecated("predict_generator", "model.predict(generator, ...)")
        model: Any = self
        return model.predict(
            generator, steps=steps, callbacks=callbacks, verbose=verbose
        )

    def predict_classes(
        self, x: Any, batch_size: int = 32, verbose: Any = 0
    ) -> np.ndarray:
        """Keras 2's ``predict_classes``: argmax of the outputs (0.5 threshold for 1 unit).

        As in Keras 2, one sigmoid unit gives shape ``(N, 1)`` int32, several give
        ``(N,)``.
        """
        _deprecated("predict_classes", "np.argmax(model.predict(x), axis=-1)")
        model: Any = self
        probabilities = np.asarray(
            model.predict(x, batch_size=batch_size, verbose=verbose)
        )
        if probabilities.shape[-1] > 1:
            return probabilities.argmax(axis=-1)
        return (probabilities > 0.5).astype("int32")

    def predict_proba(
        self, x: Any, batch_size: int = 32, verbose: Any = 0
    ) -> np.ndarray:
        """Keras 2's ``predict_proba`` → ``predict``."""
        _deprecated("predict_proba", "model.predict(x)")
        model: Any = self
        return np.asarray(model.predict(x, batch_size=batch_size, verbose=verbose))

    @property
    def compiled_metrics(self) -> _CompiledMetrics:
        """tf.keras 2's ``self.compiled_metrics.update_state(y, y_pred)`` in a custom
        ``train_step`` (Keras 3 keeps it on TensorFlow): updates the compiled metrics.

        Unlike Keras 3's shim, the loss tracker is left alone: it would otherwise
        average the predictions under the name ``loss``.
        """
        return _CompiledMetrics(self)

    def compiled_loss(
        self,
        y: Any,
        y_pred: Any,
        sample_weight: Any = None,
        regularization_losses: Any = None,
    ) -> Any:
        """tf.keras 2's ``self.compiled_loss(y, y_pred)`` → ``self.compute_loss``.

        ``regularization_losses`` is not needed: ``compute_loss`` adds
        ``self.losses`` itself.
        """
        del regularization_losses
        _deprecated("compiled_loss", "self.compute_loss(y=y, y_pred=y_pred)")
        model: Any = self
        return model.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)


class _CompiledMetrics:
    """What ``model.compiled_metrics`` gives: ``update_state`` on the compiled metrics."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def update_state(self, y: Any, y_pred: Any, sample_weight: Any = None) -> None:
        _deprecated(
            "compiled_metrics.update_state",
            "self.compute_metrics(x, y, y_pred) or, for each metric of self.metrics, "
            "metric.update_state(y, y_pred)",
        )
        state = self._model._require_state("compiled_metrics")
        state.compile_metrics.update_state(y, y_pred, sample_weight)
