"""The training face of every model: ``compile``/``fit``/``evaluate``/``predict`` and
the steps they run, as Keras 3's ``Trainer`` (``Model`` inherits it).

Keras' way of customising training: override ``train_step(self, data)`` (and
``test_step``/``predict_step``) on a ``Model`` subclass and keep using ``fit``, its
callbacks and its progress bar. With the torch engine a ``train_step`` is written
with autograd, as in Keras' guide for its torch backend:

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

The defaults below are what ``fit`` runs when nothing is overridden (the trainer's
fused, synchronisation-free path in ``cnnkit.training.steps``). The model owns its
step and its compile state; the loops in ``fit.py``/``evaluate.py`` own iteration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from cnnkit.errors import InvalidArgumentError
from cnnkit.layers.base.layer import Layer
from cnnkit.metrics import Metric
from cnnkit.training import prepare
from cnnkit.training.batch import predict_on_batch, test_on_batch, train_on_batch
from cnnkit.training.compile import CompileState, compile_state
from cnnkit.training.evaluate import evaluate, fitting
from cnnkit.training.fit import fit
from cnnkit.training.predict import predict
from cnnkit.training.steps import runner_for


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` → a 3-tuple (Keras' helper).

    Example:
        >>> unpack_x_y_sample_weight(("x", "y"))
        ('x', 'y', None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise InvalidArgumentError(
        "`data` must be x, (x,), (x, y) or (x, y, sample_weight); received a tuple of "
        f"{len(data)} elements."
    )


class Trainer(Layer):
    """Keras 3's ``Trainer``: the methods a model trains with, and what they hold.

    ``Model`` inherits it; the free functions of this package do the work, each
    given the model. The compile state (optimizer, losses, metrics) is set here and
    only here, by ``compile``.
    """

    _compile_state: CompileState | None
    _compile_args: dict[str, Any]

    if TYPE_CHECKING:  # what the trainer uses of the model it is part of

        @property
        def layers(self) -> list[Layer]: ...

        @property
        def output_names(self) -> list[str]: ...

        def save(
            self, filepath: Any, overwrite: bool = True, **kwargs: Any
        ) -> None: ...

        def save_weights(
            self, filepath: Any, overwrite: bool = True, **kwargs: Any
        ) -> None: ...

    def _init_training_state(self) -> None:
        self.optimizer: Any = None
        self.loss: Any = None
        self.compiled = False
        self.stop_training = False
        self.history: Any = None
        # WatchLearning's per-epoch pictures; saved with the model like the history.
        self.learning_snapshots: Any = None
        self._compile_state = None

    # ------------------------------------------------------------------ training

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """Configure the model for training (Keras' ``compile`` arguments)."""
        state, arguments, jit_forward = compile_state(self, *args, **kwargs)
        self._compile_state = state
        self.optimizer = state.optimizer
        self.loss = arguments["loss"]
        self.compiled = True
        self.stop_training = False
        self._compile_args = arguments
        # A plain __dict__ entry, not a registered submodule: the compiled wrapper
        # holds the model, so as a child module `state_dict()` would recurse forever.
        self.__dict__["_jit_forward"] = jit_forward

    def fit(self, *args: Any, **kwargs: Any) -> Any:
        """Train for a number of epochs (Keras' ``fit`` arguments); returns History."""
        self.stop_training = False
        with fitting(self):
            self.history = fit(self, *args, **kwargs)
        return self.history

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        """Loss and metric values on data (Keras' ``evaluate`` arguments).

        As in Keras, ``model.metrics`` hold the results afterwards.

        Thread safety: ``evaluate`` runs every layer in inference mode through the
        call (as ``predict`` does) and tracks its loss and metrics in a private
        copy of the compiled metrics, so it may run in several threads at once and
        while ``fit`` trains the same model in another thread: it neither resets
        nor mixes into fit's running values, and fit's cannot leak into it. While a
        ``fit`` of the model is running (in any thread, or from one of its
        callbacks), the results are returned but not copied into
        ``model.metrics``, which belong to that fit until it ends. Two evaluates
        ending together publish one after the other, whole. Each batch sees the
        weights between two training steps (see ``predict``). A model with
        its own ``test_step`` updates ``model.metrics`` itself, so such an
        evaluate is not isolated from a concurrent ``fit``.
        """
        return evaluate(self, *args, **kwargs)

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """Outputs for data, batched, as numpy (Keras' ``predict`` arguments).

        Every layer runs in inference mode (Dropout off, BatchNormalization on its
        moving statistics): ``predict`` passes ``training=False`` down the call, and
        the flag lives in the calling thread's call context, never on the model.

        Thread safety: once the model is built, ``predict`` may run in several
        threads at once, and while ``fit`` trains the same model in another
        thread; each predict still sees inference mode
        (``tests/reliability/test_modes.py``). Each batch holds the model's step
        lock shared and each training step holds it exclusively, so a batch
        predicted during training sees the weights between two steps, never a mix
        of two; different batches of one ``predict`` may see different steps.
        Predict on a copy (``clone_model`` + ``set_weights``) for one snapshot
        of the whole data. ``evaluate`` during ``fit`` is isolated the same way
        (see ``evaluate``).
        """
        return predict(self, *args, **kwargs)

    def train_on_batch(self, *args: Any, **kwargs: Any) -> Any:
        return train_on_batch(self, *args, **kwargs)

    def test_on_batch(self, *args: Any, **kwargs: Any) -> Any:
        return test_on_batch(self, *args, **kwargs)

    def predict_on_batch(self, x: Any) -> Any:
        return predict_on_batch(self, x)

    @property
    def metrics_names(self) -> list[str]:
        """The labels of ``evaluate()``'s list, in its order.

        Keras 3 returns ``['loss', 'compile_metrics']`` here, which cannot label that
        list (KERAS_SPEC §8, #9); cnnkit names every entry. Until the first batch
        resolves the compiled metrics, only ``'loss'`` is known.
        """
        state = self._compile_state
        if state is None or not state.built:
            return ["loss"]
        keys = ["loss", *state.metric_names()]
        if len(state.loss_output_names) > 1:
            keys += [f"{name}_loss" for name in state.loss_output_names]
        return state.ordered_keys(keys)

    @classmethod
    def _overrides(cls, method: str) -> bool:
        """Whether this class replaces ``Trainer.<method>`` (Keras' customisation)."""
        return getattr(cls, method, None) is not getattr(Trainer, method)

    # ------------------------------------------------------------------ steps

    def train_step(self, data: Any) -> dict[str, Any]:
        """One optimisation step on a batch ``data``; returns the logs (tensors)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        runner = self._runner("train_step", x, y)
        runner.train_step(x, y, sample_weight)
        return runner.tensor_logs()

    def test_step(self, data: Any) -> dict[str, Any]:
        """Update the loss and metrics on a batch ``data``; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        runner = self._runner("test_step", x, y)
        runner.test_step(x, y, sample_weight)
        return runner.tensor_logs()

    def _inference_call(self, x: Any) -> Any:
        """``self(x, training=False)``: what ``predict`` runs on each batch, with
        the model and ``x`` on one device. ``Sequential`` runs it through its
        inference plan (``models/_inference_plan.py``)."""
        return self(x, training=False)

    def predict_step(self, data: Any) -> Any:
        """The outputs for a batch ``data`` (inference mode)."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _runner(self, method: str, x: Any, y: Any) -> Any:
        """The trainer for this model, built and resolved on ``x``/``y`` when a step is
        called outside ``fit`` (which prepares all of this before its first step)."""
        state = self._require_state(method)
        device = prepare.training_device(self)
        if not state.built:
            prepare.prepare_model(self, device, x)
            prepare.build_compile_state(self, x, y)
        return runner_for(self, device)

    # ------------------------------------------------------------------ loss

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> torch.Tensor:
        """The compiled loss of ``y_pred`` against ``y``, plus every ``self.losses``
        penalty (weight and activity regularisers, ``add_loss``)."""
        del x, training  # as in Keras: the default uses neither
        state = self._require_state("compute_loss")
        terms: list[torch.Tensor] = []
        if state.loss_spec is not None:
            if not state.built:
                state.build(y, y_pred)
            total, _ = state.compute_loss(y, y_pred, sample_weight)
            terms.append(total)
        terms.extend(p.float().sum() for p in self.losses)
        if not terms:
            raise InvalidArgumentError(
                "No loss to compute: pass `loss=` to `compile()` (or add a penalty "
                "with `self.add_loss(...)` in a layer's call)."
            )
        return terms[0] if len(terms) == 1 else torch.stack(terms).sum()

    # ------------------------------------------------------------------ metrics

    @property
    def metrics(self) -> list[Any]:
        """The loss tracker, the compiled metrics, the per-output loss trackers, then
        every ``Metric`` the model holds as an attribute — Keras' order."""
        found: list[Any] = []
        state = self._compile_state
        if state is not None:
            found += [state.loss_tracker, state.compile_metrics]
            found += state.output_loss_trackers
        found += [v for v in vars(self).values() if isinstance(v, Metric)]
        return found

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Update the compiled metrics; returns ``get_metrics_result()``."""
        del x
        state = self._require_state("compute_metrics")
        state.compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict[str, Any]:
        """Every metric of ``self.metrics`` by name; the compiled ones merged in."""
        results: dict[str, Any] = {}
        for metric in self.metrics:
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = value
        return results

    def reset_metrics(self) -> None:
        """Zero every metric of ``self.metrics`` (``fit`` does it at each epoch)."""
        for metric in self.metrics:
            metric.reset_state()

    def _require_state(self, method: str) -> CompileState:
        return prepare.require_compiled(self, method)
